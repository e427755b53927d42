/* mail_poll.c: the mailbox poller. A supervising thread reads the mail channels every two
 * seconds and keeps one thread per mailbox; each logs in, takes the mails not yet taken in
 * batches (one UID FETCH per batch, each mail one writer job, several in the writer at once so
 * that the group commit syncs them together) and marks a mail taken only once its ticket is
 * durable, then waits for new mail (IDLE, or poll_seconds). A crash between storing and marking
 * fetches the mail again: its Message-ID makes it a duplicate, which is then marked too. */
#define _GNU_SOURCE
#include "jobs/mail_poll.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "channels/imap.h"
#include "channels/mail_in.h"
#include "channels/mail_parse.h"
#include "core/channel.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "lib/xalloc.h"
#include "store/db.h"
#include "store/writer.h"

enum {
    LIST_MS = 2000,          /* how often the channel list is read again */
    BATCH = 500,             /* mails per UID FETCH */
    WINDOW = 64,             /* mails in the writer at once */
    WINDOW_BYTES = 64 << 20, /* and their bytes */
    IDLE_MAX_S = 25 * 60,    /* IDLE is renewed before servers end it (RFC 2177: 29 min) */
    DEFAULT_POLL_S = 30,
    TIMEOUT_S = 30,
};

struct mailbox {
    struct mail_poller *p;
    char *code, *fingerprint;
    char *url, *user, *password, *folder;
    int poll_s;
    struct imap_config cfg;
    pthread_t thread;
    atomic_int stop, finished;
    char last_error[IMAP_ERROR_MAX]; /* what was last logged */
    struct mailbox *next;
};

struct mail_poller {
    char path[600], data_dir[512], ca_file[512];
    struct writer *writer;
    struct db *db; /* the supervisor's, for reading the channels */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_int stop;
    int wake[2]; /* written once on stop: every wait ends at once */
    struct mailbox *boxes, *retired;
};

/* ---- one batch of mails in the writer ---- */

struct batch {
    struct mailbox *b;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int outstanding;
    size_t bytes;
    struct taken *head, **tail;
};

struct taken {
    struct write_job job;
    struct batch *bt;
    uint32_t uid;
    char *raw; /* kept only while it may have to be kept as rejected */
    size_t len;
    int failed_read; /* unreadable or too big: only the failure is recorded */
    struct arena arena;
    struct mail_in mail;
    struct mail_take take;
    int status, unusable;
    char why[200];
    struct taken *next;
};

static int box_stopped(void *arg)
{
    struct mailbox *b = arg;
    return atomic_load(&b->stop) || atomic_load(&b->p->stop);
}

static int taken_run(struct db *db, struct write_job *job)
{
    struct taken *t = (struct taken *)((char *)job - offsetof(struct taken, job));
    return mail_take_run(db, &t->take);
}

/* On the writer's thread: keeps what the poller needs of the outcome, frees the rest. */
static void taken_done(struct write_job *job, int status)
{
    struct taken *t = (struct taken *)((char *)job - offsetof(struct taken, job));
    struct batch *bt = t->bt;
    t->status = status;
    t->unusable = mail_take_unusable(status, &t->take.e);
    snprintf(t->why, sizeof(t->why), "%s",
             t->take.e.message ? t->take.e.message : kf_strerror(status));
    if (!t->unusable) {
        free(t->raw);
        t->raw = NULL;
    }
    arena_release(&t->arena);
    pthread_mutex_lock(&bt->mu);
    bt->outstanding--;
    bt->bytes -= t->len;
    pthread_cond_signal(&bt->cv);
    pthread_mutex_unlock(&bt->mu);
}

static void keep_rejected(struct mailbox *b, const char *raw, size_t len, const char *why)
{
    char path[1200];
    if (mail_keep_rejected(b->p->data_dir, raw, len, path, sizeof(path)))
        fprintf(stderr, "kefu: mail %s: %s; cannot keep it in %s: %s\n", b->code, why, path,
                strerror(errno));
    else
        fprintf(stderr, "kefu: mail %s: %s; kept as %s\n", b->code, why, path);
}

/* imap_fetch's callback: parses the mail and hands it to the writer, waiting while the
 * window is full. */
static int on_mail(void *arg, uint32_t uid, char *raw, size_t len)
{
    struct batch *bt = arg;
    struct mailbox *b = bt->b;
    struct taken *t = xcalloc(1, sizeof(*t));
    t->bt = bt;
    t->uid = uid;
    t->raw = raw;
    t->len = raw ? len : 0;
    t->arena = (struct arena)ARENA_INIT;
    t->take.channel = b->code;
    t->take.arena = &t->arena;
    *bt->tail = t;
    bt->tail = &t->next;
    if (!raw) {
        t->failed_read = 1;
        t->take.failure = arena_printf(&t->arena,
                                       "a mail of %zu bytes is over the limit of %d MB: it stays "
                                       "in the mailbox, marked as taken",
                                       len, MAIL_MAX_BYTES >> 20);
        fprintf(stderr, "kefu: mail %s: %s\n", b->code, t->take.failure);
    } else if (mail_parse(raw, len, 0, &t->arena, &t->mail, &t->take.e)) {
        t->failed_read = 1;
        t->take.failure =
            arena_printf(&t->arena, "a mail could not be read: %s", t->take.e.message);
        t->take.e = (struct kf_error){0};
        keep_rejected(b, raw, len, t->take.failure);
    } else {
        t->take.mail = &t->mail;
    }
    pthread_mutex_lock(&bt->mu);
    while (bt->outstanding >= WINDOW || (bt->outstanding && bt->bytes + t->len > WINDOW_BYTES))
        pthread_cond_wait(&bt->cv, &bt->mu);
    bt->outstanding++;
    bt->bytes += t->len;
    pthread_mutex_unlock(&bt->mu);
    t->job.run = taken_run;
    t->job.done = taken_done;
    if (writer_submit(b->p->writer, &t->job)) {
        taken_done(&t->job, KF_ESHUTDOWN);
        return KF_ESHUTDOWN;
    }
    return 0;
}

struct record {
    const char *code, *error;
};

static int record_run(struct db *db, void *arg)
{
    struct record *r = arg;
    return channel_record(db, r->code, r->error);
}

/* Records the channel's health: error NULL for a success. */
static void record(struct mailbox *b, const char *error)
{
    struct record r = {b->code, error};
    writer_run(b->p->writer, record_run, &r);
    if (error && strcmp(error, b->last_error))
        fprintf(stderr, "kefu: mail %s: %s\n", b->code, error);
    snprintf(b->last_error, sizeof(b->last_error), "%s", error ? error : "");
}

/* Takes the n mails and marks those that are stored (or rejected for good). *ret_errors counts
 * the mails whose failure was recorded on the channel. */
static int take_batch(struct mailbox *b, struct imap *im, const uint32_t *uids, size_t n,
                      int *ret_errors)
{
    struct batch bt = {.b = b, .tail = &bt.head};
    pthread_mutex_init(&bt.mu, NULL);
    pthread_cond_init(&bt.cv, NULL);
    int rc = imap_fetch(im, uids, n, MAIL_MAX_BYTES, on_mail, &bt);
    pthread_mutex_lock(&bt.mu);
    while (bt.outstanding)
        pthread_cond_wait(&bt.cv, &bt.mu);
    pthread_mutex_unlock(&bt.mu);

    uint32_t *done = xmalloc(n * sizeof(*done));
    size_t ndone = 0;
    int store_rc = 0;
    for (struct taken *t = bt.head; t; t = t->next) {
        if (t->unusable) { /* read, but it cannot become a ticket */
            char why[300];
            snprintf(why, sizeof(why), "a mail could not be taken in: %s", t->why);
            keep_rejected(b, t->raw, t->len, why);
            struct mail_take failed = {.channel = b->code, .failure = why};
            t->status = writer_run(b->p->writer, mail_take_run, &failed);
        }
        if (!t->status) {
            done[ndone++] = t->uid;
            *ret_errors += t->failed_read || t->unusable;
        } else if (!store_rc) {
            store_rc = t->status;
            if (t->status != KF_ESHUTDOWN) {
                char why[300];
                snprintf(why, sizeof(why), "a mail cannot be stored now (%s): it is tried again",
                         t->why);
                record(b, why);
                *ret_errors += 1;
            }
        }
    }
    for (struct taken *t = bt.head, *next; t; t = next) {
        next = t->next;
        free(t->raw);
        free(t);
    }
    pthread_mutex_destroy(&bt.mu);
    pthread_cond_destroy(&bt.cv);
    /* only what is durable is marked, also when the fetch broke off */
    int mark_rc = ndone ? imap_mark(im, done, ndone, b->folder) : 0;
    free(done);
    if (rc)
        return rc;
    if (mark_rc)
        return mark_rc;
    return store_rc == KF_ESHUTDOWN ? store_rc : 0;
}

/* One round: what is new, taken in batches. */
static int take_new(struct mailbox *b, struct imap *im, int *ret_errors)
{
    uint32_t *uids = NULL;
    size_t n = 0;
    int rc = imap_search_new(im, &uids, &n);
    for (size_t i = 0; !rc && i < n && !box_stopped(b); i += BATCH)
        rc = take_batch(b, im, uids + i, n - i < BATCH ? n - i : BATCH, ret_errors);
    free(uids);
    return rc;
}

/* Sleeps ms, or less when stopped. */
static void pause_ms(struct mailbox *b, int ms)
{
    for (int slept = 0; slept < ms && !box_stopped(b); slept += 100)
        usleep(100 * 1000);
}

static void *box_main(void *arg)
{
    struct mailbox *b = arg;
    char err[IMAP_ERROR_MAX];
    while (!box_stopped(b)) {
        struct imap *im = NULL;
        int rc = imap_open(&b->cfg, &im, err, sizeof(err));
        if (rc == KF_ESHUTDOWN)
            break;
        if (rc) {
            record(b, err);
            pause_ms(b, b->poll_s * 1000);
            continue;
        }
        int wait_s = b->poll_s;
        if (imap_can_idle(im) && wait_s > IDLE_MAX_S)
            wait_s = IDLE_MAX_S;
        for (;;) {
            int errors = 0;
            if ((rc = take_new(b, im, &errors)))
                break;
            if (!errors)
                record(b, NULL);
            if ((rc = imap_wait(im, wait_s * 1000)) < 0)
                break;
        }
        if (rc != KF_ESHUTDOWN && !box_stopped(b))
            record(b, imap_error(im));
        imap_close(im);
        if (rc != KF_ESHUTDOWN)
            pause_ms(b, (b->poll_s < 10 ? b->poll_s : 10) * 1000);
    }
    atomic_store(&b->finished, 1);
    return NULL;
}

/* ---- the supervisor ---- */

/* What the poller's thread for c depends on: a change of it starts a new session. */
static char *fingerprint(const struct channel_config *c)
{
    struct strbuf sb = STRBUF_INIT(64 * 1024);
    for (size_t i = 0; i < c->nsettings; i++)
        if (!strncmp(c->settings[i].key, "imap_", 5) || !strcmp(c->settings[i].key, "poll_seconds"))
            strbuf_addf(&sb, "%s=%s\n", c->settings[i].key, c->settings[i].value);
    return strbuf_detach(&sb, NULL);
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static struct mailbox *box_start(struct mail_poller *p, const struct channel_config *c, char *fp)
{
    struct mailbox *b = xcalloc(1, sizeof(*b));
    b->p = p;
    b->code = xstrdup(c->code);
    b->fingerprint = fp;
    b->url = xstrdup(channel_setting(c, "imap_url"));
    b->user = dup_or_null(channel_setting(c, "imap_user"));
    b->password = dup_or_null(channel_setting(c, "imap_password"));
    const char *folder = channel_setting(c, "imap_done_folder");
    b->folder = folder && *folder ? xstrdup(folder) : NULL;
    const char *poll = channel_setting(c, "poll_seconds");
    b->poll_s = poll ? (int)strtol(poll, NULL, 10) : DEFAULT_POLL_S;
    if (b->poll_s < 1)
        b->poll_s = DEFAULT_POLL_S;
    b->cfg = (struct imap_config){.url = b->url,
                                  .user = b->user,
                                  .password = b->password,
                                  .timeout_s = TIMEOUT_S,
                                  .ca_file = p->ca_file,
                                  .wake_fd = p->wake[0],
                                  .stop = box_stopped,
                                  .stop_arg = b};
    atomic_init(&b->stop, 0);
    atomic_init(&b->finished, 0);
    pthread_create(&b->thread, NULL, box_main, b);
    char name[16];
    snprintf(name, sizeof(name), "kefu-mail-%.5s", b->code);
    pthread_setname_np(b->thread, name);
    return b;
}

static void box_free(struct mailbox *b)
{
    pthread_join(b->thread, NULL);
    free(b->code);
    free(b->fingerprint);
    free(b->url);
    free(b->user);
    free(b->password);
    free(b->folder);
    free(b);
}

/* Moves b from the running list to the retired one: its thread ends soon. */
static void box_retire(struct mail_poller *p, struct mailbox **link)
{
    struct mailbox *b = *link;
    *link = b->next;
    atomic_store(&b->stop, 1);
    b->next = p->retired;
    p->retired = b;
}

/* Starts, restarts and stops the mailbox threads as the channel list says. */
static void sync_boxes(struct mail_poller *p)
{
    struct arena a = ARENA_INIT;
    const char **codes;
    size_t n;
    int rc = channel_list_polled(p->db, &a, &codes, &n);
    if (rc) {
        fprintf(stderr, "kefu: mail: cannot read the channels: %s\n", kf_strerror(rc));
        n = 0;
    }
    struct mailbox *keep = NULL;
    for (size_t i = 0; !rc && i < n; i++) {
        struct channel_config c;
        if (channel_get(p->db, codes[i], &a, &c))
            continue;
        char *fp = fingerprint(&c);
        struct mailbox **link = &p->boxes;
        while (*link && strcmp((*link)->code, c.code))
            link = &(*link)->next;
        struct mailbox *b = *link;
        if (b && !strcmp(b->fingerprint, fp)) { /* unchanged: keeps running */
            *link = b->next;
            free(fp);
        } else {
            if (b)
                box_retire(p, link);
            b = box_start(p, &c, fp);
        }
        b->next = keep;
        keep = b;
    }
    db_reset_all(p->db);
    arena_release(&a);
    if (rc) { /* the list could not be read: nothing changes */
        struct mailbox **end = &keep;
        while (*end)
            end = &(*end)->next;
        *end = p->boxes;
        p->boxes = keep;
        return;
    }
    while (p->boxes) /* channels removed, disabled or without a mailbox now */
        box_retire(p, &p->boxes);
    p->boxes = keep;
    for (struct mailbox **link = &p->retired; *link;) {
        struct mailbox *b = *link;
        if (atomic_load(&b->finished)) {
            *link = b->next;
            box_free(b);
        } else {
            link = &b->next;
        }
    }
}

static void *poller_main(void *arg)
{
    struct mail_poller *p = arg;
    while (!atomic_load(&p->stop)) {
        sync_boxes(p);
        pthread_mutex_lock(&p->mu);
        if (!atomic_load(&p->stop)) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_sec += LIST_MS / 1000;
            pthread_cond_timedwait(&p->cv, &p->mu, &until);
        }
        pthread_mutex_unlock(&p->mu);
    }
    while (p->boxes)
        box_retire(p, &p->boxes);
    while (p->retired) {
        struct mailbox *b = p->retired;
        p->retired = b->next;
        box_free(b);
    }
    return NULL;
}

struct mail_poller *mail_poller_start(const char *path, const char *data_dir, const char *ca_file,
                                      struct writer *w)
{
    if (imap_global_init()) {
        fprintf(stderr, "kefu: mail: cannot start the IMAP client\n");
        return NULL;
    }
    struct mail_poller *p = xcalloc(1, sizeof(*p));
    snprintf(p->path, sizeof(p->path), "%s", path);
    snprintf(p->data_dir, sizeof(p->data_dir), "%s", data_dir);
    snprintf(p->ca_file, sizeof(p->ca_file), "%s", ca_file ? ca_file : "");
    if (pipe(p->wake)) {
        free(p);
        return NULL;
    }
    if (db_open(path, DB_NO_CHECKPOINT | DB_READONLY, &p->db, NULL)) {
        fprintf(stderr, "kefu: mail: cannot open \"%s\"\n", path);
        close(p->wake[0]);
        close(p->wake[1]);
        free(p);
        return NULL;
    }
    p->writer = w;
    atomic_init(&p->stop, 0);
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &attr);
    pthread_condattr_destroy(&attr);
    pthread_create(&p->thread, NULL, poller_main, p);
    pthread_setname_np(p->thread, "kefu-mail");
    return p;
}

void mail_poller_stop(struct mail_poller *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (write(p->wake[1], "x", 1) < 0) { /* the threads still see stop within 250 ms */
    }
    pthread_join(p->thread, NULL);
    db_close(p->db);
    close(p->wake[0]);
    close(p->wake[1]);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    imap_global_cleanup();
    free(p);
}
