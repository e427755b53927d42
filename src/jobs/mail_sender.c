/* mail_sender.c: the mail sender: on the threads of jobs/channel_threads.c (one per channel
 * with mail due), each channel's thread composes each due mail,
 * hands it to the channel's SMTP server and records the try, so that a server that hangs holds
 * up its own channel only. A mail whose try was not recorded (a crash) is sent again with the
 * same Message-ID: each try is recorded while the next mail goes out, so that one sync does not
 * wait for another. */
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
#include "jobs/channel_threads.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/xalloc.h"
#include "store/db.h"
#include "store/writer.h"

enum { BATCH = 100 };

struct mail_sender {
    struct channel_threads pool;
};

/* The records of one batch's tries: each is written while the next mail goes out, and the
 * batch ends once all are durable. */
struct records {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int pending;
    int failed; /* the first record that could not be written */
};

/* One due mail and its try. */
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
    struct channel_worker *w = arg;
    return ticker_stopping(&w->ticker);
}

/* Reads the files of mail d into m, composes it and sends it on *conn (made on first use);
 * *t says how the try went (its error in a, which outlives m). 0, or KF_ESHUTDOWN, or the
 * store's error. */
static int send_one(struct channel_worker *w, const struct channel_config *ch,
                    struct smtp_conn **conn, struct arena *a, struct arena *m, struct mail_due *d,
                    struct tried_job *t)
{
    t->result = MAIL_TRY_AGAIN;
    const char *url = ch ? channel_setting(ch, "smtp_url") : NULL;
    const char *from = ch ? channel_setting(ch, "from") : NULL;
    if (!url || !from || strcmp(ch->kind, "mail")) {
        t->error = "the channel cannot send mail: it needs smtp_url and from";
        t->channel_down = 1;
        return 0;
    }
    int rc = mail_out_files(w->db, m, d);
    db_reset_all(w->db); /* no read snapshot held while the network and the writer work */
    if (rc)
        return rc;
    char *raw;
    size_t len;
    const char *sender;
    struct kf_error e = {0};
    if (mail_compose(d, from, m, &raw, &len, &sender, &e)) {
        t->error = arena_printf(a, "the mail cannot be written: %s", e.message);
        t->result = MAIL_REFUSED;
        return 0;
    }
    struct smtp_server srv = {url, channel_setting(ch, "smtp_tls"),
                              channel_setting(ch, "smtp_user"),
                              channel_setting(ch, "smtp_password")};
    struct smtp_result res;
    if (!*conn)
        *conn = smtp_conn_new(); /* NULL: this mail on a connection of its own */
    if ((rc = smtp_send(*conn, &srv, sender, d->to, raw, len, stopping, w, &res)))
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

/* Sends one batch of the channel's due mail on one connection, until the server is found
 * down. 1 when there may be more, 0 when done, or a negative code. */
static int send_batch(struct channel_worker *w)
{
    struct arena a = ARENA_INIT;
    struct mail_due *d;
    size_t n = 0;
    struct channel_config ch;
    int rc = mail_out_due(w->db, w->channel, ktime_now(), BATCH, &a, &d, &n);
    int have_ch = !rc && n && !channel_get(w->db, w->channel, &a, &ch);
    db_reset_all(w->db);
    struct records rec = {.pending = 0, .failed = 0};
    pthread_mutex_init(&rec.mu, NULL);
    pthread_cond_init(&rec.cv, NULL);
    struct smtp_conn *conn = NULL;
    for (size_t i = 0; !rc && i < n && !stopping(w); i++) {
        struct tried_job *t = arena_alloc(&a, sizeof(*t));
        *t = (struct tried_job){.job = {.run = tried_job_run, .done = tried_done},
                                .rec = &rec,
                                .d = &d[i],
                                .at = ktime_now()};
        struct arena m = ARENA_INIT; /* the mail itself: one at a time in memory */
        rc = send_one(w, have_ch ? &ch : NULL, &conn, &a, &m, &d[i], t);
        arena_release(&m);
        if (rc)
            break;
        pthread_mutex_lock(&rec.mu);
        rec.pending++;
        pthread_mutex_unlock(&rec.mu);
        if ((rc = writer_submit(w->pool->writer, &t->job))) {
            tried_done(&t->job, 0);
            break;
        }
        if (t->channel_down) { /* the rest wait with the channel (its record postpones them) */
            n = 0;
            break;
        }
    }
    pthread_mutex_lock(&rec.mu);
    while (rec.pending)
        pthread_cond_wait(&rec.cv, &rec.mu);
    pthread_mutex_unlock(&rec.mu);
    pthread_mutex_destroy(&rec.mu);
    pthread_cond_destroy(&rec.cv);
    if (!rc)
        rc = rec.failed; /* a record that could not be written: tried again later */
    smtp_conn_free(conn);
    arena_release(&a);
    return rc < 0 ? rc : n == BATCH;
}

static void work(struct channel_worker *w)
{
    int rc;
    while ((rc = send_batch(w)) == 1 && !ticker_stopping(&w->ticker))
        ;
    if (rc < 0 && rc != KF_ESHUTDOWN)
        fprintf(stderr, "kefu: mail: sending on \"%s\" failed: %s\n", w->channel, kf_strerror(rc));
}

struct mail_sender *mail_sender_start(const char *path, struct writer *w)
{
    if (webhook_out_init()) {
        fprintf(stderr, "kefu: mail cannot start the SMTP client\n");
        return NULL;
    }
    struct mail_sender *s = xcalloc(1, sizeof(*s));
    s->pool.due = mail_out_due_channels;
    s->pool.work = work;
    s->pool.label = "mail";
    s->pool.thread_name = "kefu-mail-out";
    s->pool.arg = s;
    if (channel_threads_start(&s->pool, path, w, "kefu-mail")) {
        webhook_out_cleanup();
        free(s);
        return NULL;
    }
    return s;
}

void mail_sender_wake(struct mail_sender *s)
{
    if (s)
        channel_threads_wake(&s->pool);
}

void mail_sender_stop(struct mail_sender *s)
{
    if (!s)
        return;
    channel_threads_stop(&s->pool);
    webhook_out_cleanup();
    free(s);
}
