/* mail_sender.c: the mail sender thread: every half second (or when woken) it composes each
 * queued mail that is due, hands it to its channel's SMTP server and records the try. A mail
 * whose try was not recorded (a crash) is sent again with the same Message-ID: each try is
 * recorded while the next mail goes out, so that one sync does not wait for another. */
#include "jobs/mail_sender.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/mail_compose.h"
#include "channels/smtp_out.h"
#include "channels/webhook_out.h"
#include "core/channel.h"
#include "core/mail_out.h"
#include "jobs/ticker.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/xalloc.h"
#include "store/db.h"
#include "store/writer.h"

enum { TICK_MS = 500, BATCH = 100, CHANNELS_MAX = 32 };

struct mail_sender {
    struct db *db; /* reads only: writes go to the writer */
    struct writer *writer;
    struct ticker ticker;
};

/* One due mail and what it takes to send it. */
struct job {
    struct mail_due *d;
    const struct channel_config *ch; /* NULL: the channel is gone or cannot send */
    struct smtp_conn **conn;         /* the batch's connection to its channel's server */
    int skip;                        /* its channel is down: not tried in this batch */
};

/* The records of one batch's tries: each is written while the next mail goes out, and the
 * batch ends once all are durable. */
struct records {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int pending;
    int failed; /* the first record that could not be written */
};

struct tried_job {
    struct write_job job; /* first: the writer hands it back */
    struct records *rec;
    const struct mail_due *d;
    int64_t at;
    enum mail_try result;
    const char *error;
    int channel_down; /* the server did not answer: the channel's other mails wait too */
    int64_t next_at;
};

static int tried_run(struct db *db, void *arg)
{
    struct tried_job *j = arg;
    int rc = mail_out_tried(db, j->d->id, j->d->attempts, j->at, j->result, j->error, &j->next_at);
    if (!rc && j->channel_down && j->next_at)
        rc = mail_out_postpone(db, j->d->channel, j->next_at);
    if (!rc)
        rc = channel_record(db, j->d->channel, j->channel_down ? j->error : NULL);
    return rc;
}

static int tried_job_run(struct db *db, struct write_job *job)
{
    return tried_run(db, (struct tried_job *)job);
}

static void tried_done(struct write_job *job, int status)
{
    struct records *rec = ((struct tried_job *)job)->rec;
    pthread_mutex_lock(&rec->mu);
    if (status && !rec->failed)
        rec->failed = status;
    rec->pending--;
    pthread_cond_signal(&rec->cv);
    pthread_mutex_unlock(&rec->mu);
}

static int stopping(void *arg)
{
    struct mail_sender *s = arg;
    return ticker_stopping(&s->ticker);
}

/* The channels of one batch, each read once, with a connection to its server. */
struct seen {
    struct channel_config ch[CHANNELS_MAX];
    struct smtp_conn *conn[CHANNELS_MAX];
    size_t n;
};

/* Fills j with mail d's channel, read now if this batch has not yet. */
static void channel_of(struct mail_sender *s, struct arena *a, struct seen *seen,
                       struct mail_due *d, struct job *j)
{
    *j = (struct job){d, NULL, NULL, 0};
    for (size_t i = 0; i < seen->n; i++)
        if (!strcmp(seen->ch[i].code, d->channel)) {
            j->ch = &seen->ch[i];
            j->conn = &seen->conn[i];
            return;
        }
    if (seen->n == CHANNELS_MAX || channel_get(s->db, d->channel, a, &seen->ch[seen->n]))
        return;
    seen->conn[seen->n] = NULL;
    j->ch = &seen->ch[seen->n];
    j->conn = &seen->conn[seen->n];
    seen->n++;
}

/* Reads the files of mail jb->d into m, composes it and sends it; *t says how the try went
 * (its error in a, which outlives m). 0, or KF_ESHUTDOWN, or the store's error. */
static int send_one(struct mail_sender *s, struct arena *a, struct arena *m, const struct job *jb,
                    struct tried_job *t)
{
    const struct channel_config *ch = jb->ch;
    if (!ch) {
        t->error = "the channel cannot be read";
        t->channel_down = 1;
        return 0;
    }
    const char *url = channel_setting(ch, "smtp_url");
    const char *from = channel_setting(ch, "from");
    t->result = MAIL_TRY_AGAIN;
    if (!url || !from || strcmp(ch->kind, "mail")) {
        t->error = "the channel cannot send mail: it needs smtp_url and from";
        t->channel_down = 1;
        return 0;
    }
    int rc = mail_out_files(s->db, m, jb->d);
    db_reset_all(s->db); /* no read snapshot held while the network and the writer work */
    if (rc)
        return rc;
    char *raw;
    size_t len;
    const char *sender;
    struct kf_error e = {0};
    if (mail_compose(jb->d, from, m, &raw, &len, &sender, &e)) {
        t->error = arena_printf(a, "the mail cannot be written: %s", e.message);
        t->result = MAIL_REFUSED;
        return 0;
    }
    struct smtp_server srv = {url, channel_setting(ch, "smtp_tls"),
                              channel_setting(ch, "smtp_user"),
                              channel_setting(ch, "smtp_password")};
    struct smtp_result res;
    if (!*jb->conn)
        *jb->conn = smtp_conn_new(); /* NULL: this mail on a connection of its own */
    rc = smtp_send(*jb->conn, &srv, sender, jb->d->to, raw, len, stopping, s, &res);
    if (rc)
        return rc;
    t->result = res.outcome == SMTP_SENT      ? MAIL_SENT
                : res.outcome == SMTP_REFUSED ? MAIL_REFUSED
                                              : MAIL_TRY_AGAIN;
    t->error = res.outcome == SMTP_SENT ? NULL : arena_strdup(a, res.error);
    /* no answer, or the channel's login or TLS refused: its other mails would fare the same */
    t->channel_down =
        res.outcome == SMTP_TRANSIENT &&
        (!res.reached || res.code < 400 || res.code == 421 || res.code == 530 || res.code == 535);
    return 0;
}

/* Sends one batch of due mail. 1 when there may be more, 0 when done, or a negative code. */
static int send_batch(struct mail_sender *s)
{
    struct arena a = ARENA_INIT;
    struct mail_due *d;
    size_t n = 0;
    struct seen *seen = arena_alloc(&a, sizeof(*seen));
    seen->n = 0;
    int rc = mail_out_due(s->db, ktime_now(), BATCH, &a, &d, &n);
    struct job *jobs = arena_alloc(&a, (n ? n : 1) * sizeof(*jobs));
    for (size_t i = 0; !rc && i < n; i++)
        channel_of(s, &a, seen, &d[i], &jobs[i]);
    db_reset_all(s->db);
    struct records rec = {.pending = 0, .failed = 0};
    pthread_mutex_init(&rec.mu, NULL);
    pthread_cond_init(&rec.cv, NULL);
    for (size_t i = 0; !rc && i < n && !stopping(s); i++) {
        if (jobs[i].skip)
            continue;
        struct tried_job *t = arena_alloc(&a, sizeof(*t));
        *t = (struct tried_job){.job = {.run = tried_job_run, .done = tried_done},
                                .rec = &rec,
                                .d = &d[i],
                                .at = ktime_now()};
        struct arena m = ARENA_INIT; /* the mail itself: one at a time in memory */
        rc = send_one(s, &a, &m, &jobs[i], t);
        arena_release(&m);
        if (rc)
            break;
        pthread_mutex_lock(&rec.mu);
        rec.pending++;
        pthread_mutex_unlock(&rec.mu);
        if ((rc = writer_submit(s->writer, &t->job))) {
            tried_done(&t->job, 0);
            break;
        }
        for (size_t k = i + 1; t->channel_down && k < n; k++)
            if (!strcmp(d[k].channel, d[i].channel))
                jobs[k].skip = 1;
    }
    pthread_mutex_lock(&rec.mu);
    while (rec.pending)
        pthread_cond_wait(&rec.cv, &rec.mu);
    pthread_mutex_unlock(&rec.mu);
    pthread_mutex_destroy(&rec.mu);
    pthread_cond_destroy(&rec.cv);
    if (!rc)
        rc = rec.failed; /* a record that could not be written: tried again later */
    for (size_t i = 0; i < seen->n; i++)
        smtp_conn_free(seen->conn[i]);
    arena_release(&a);
    return rc < 0 ? rc : n == BATCH;
}

static void sender_pass(struct ticker *t, void *arg)
{
    struct mail_sender *s = arg;
    int rc;
    while ((rc = send_batch(s)) == 1 && !ticker_stopping(t))
        ;
    if (rc < 0 && rc != KF_ESHUTDOWN)
        fprintf(stderr, "kefu: mail: sending failed: %s\n", kf_strerror(rc));
}

struct mail_sender *mail_sender_start(const char *path, struct writer *w)
{
    if (webhook_out_init()) {
        fprintf(stderr, "kefu: mail cannot start the SMTP client\n");
        return NULL;
    }
    struct mail_sender *s = xcalloc(1, sizeof(*s));
    if (db_open(path, DB_NO_CHECKPOINT | DB_READONLY, &s->db, NULL)) {
        fprintf(stderr, "kefu: mail cannot open \"%s\"\n", path);
        webhook_out_cleanup();
        free(s);
        return NULL;
    }
    s->writer = w;
    ticker_start(&s->ticker, "kefu-mail-out", TICK_MS, sender_pass, s);
    return s;
}

void mail_sender_wake(struct mail_sender *s)
{
    if (s)
        ticker_wake(&s->ticker);
}

void mail_sender_stop(struct mail_sender *s)
{
    if (!s)
        return;
    ticker_stop(&s->ticker);
    db_close(s->db);
    webhook_out_cleanup();
    free(s);
}
