/* channel_sender.c: the channel sender: a thread that looks every half second (or when woken)
 * for the channels with payloads due, and one thread per such channel that sends each through
 * its kind's send function and records the try, so that a receiver that hangs holds up its own
 * channel only. A payload whose try was not recorded (a crash) is sent again. */
#include "jobs/channel_sender.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/senders.h"
#include "channels/webhook_out.h"
#include "core/channel.h"
#include "core/channel_out.h"
#include "jobs/ticker.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/xalloc.h"
#include "store/db.h"
#include "store/writer.h"

enum { TICK_MS = 500, CHANNEL_TICK_MS = 5000, BATCH = 50, CHANNELS_MAX = 32, CODE_MAX = 40 };

struct worker {
    struct channel_sender_job *s;
    char channel[CODE_MAX];
    struct db *db;
    struct ticker ticker;
};

struct channel_sender_job {
    char path[600];
    struct db *db; /* reads only: writes go to the writer */
    struct writer *writer;
    struct ticker ticker;
    struct worker *workers[CHANNELS_MAX]; /* only the sender's thread changes them */
    size_t nworkers;
};

struct tried {
    const struct channel_due *d;
    int64_t at;
    enum channel_try result;
    const char *error;
};

static int tried_run(struct db *db, void *arg)
{
    struct tried *t = arg;
    int rc = channel_out_tried(db, t->d->id, t->d->attempts, t->at, t->result, t->error);
    if (!rc) /* the channel's status shows what its last send did */
        rc = channel_record(db, t->d->channel, t->result == CHANNEL_SENT ? NULL : t->error);
    return rc;
}

/* Sends one payload and records the try. 0, or a negative code. */
static int send_one(struct worker *w, const struct channel_config *ch, const struct channel_due *d)
{
    struct tried t = {.d = d, .result = CHANNEL_TRY_AGAIN};
    struct channel_send_result res = {0};
    channel_send_fn *send = ch ? channel_sender_of(ch->kind) : NULL;
    if (!send) {
        t.error = "this channel's kind sends nothing";
        t.result = CHANNEL_REFUSED;
    } else {
        int rc = send(ch, d->payload, &res);
        if (rc)
            return rc;
        t.result = res.ok ? CHANNEL_SENT : res.permanent ? CHANNEL_REFUSED : CHANNEL_TRY_AGAIN;
        t.error = res.ok ? NULL : res.error;
    }
    t.at = ktime_now();
    return writer_run(w->s->writer, tried_run, &t);
}

/* One batch of the channel's due payloads. 1 when there may be more, 0 when done, or a
 * negative code. */
static int send_batch(struct worker *w)
{
    struct arena a = ARENA_INIT;
    struct channel_due *d;
    size_t n = 0;
    struct channel_config ch;
    int rc = channel_out_due(w->db, w->channel, ktime_now(), BATCH, &a, &d, &n);
    int have_ch = !rc && n && !channel_get(w->db, w->channel, &a, &ch);
    db_reset_all(w->db); /* no read snapshot held while the network and the writer work */
    for (size_t i = 0; !rc && i < n && !ticker_stopping(&w->ticker); i++)
        rc = send_one(w, have_ch ? &ch : NULL, &d[i]);
    arena_release(&a);
    return rc < 0 ? rc : n == BATCH;
}

static void worker_pass(struct ticker *t, void *arg)
{
    struct worker *w = arg;
    int rc;
    while ((rc = send_batch(w)) == 1 && !ticker_stopping(t))
        ;
    if (rc < 0 && rc != KF_ESHUTDOWN)
        fprintf(stderr, "kefu: channel out: sending on \"%s\" failed: %s\n", w->channel,
                kf_strerror(rc));
}

static struct worker *worker_of(struct channel_sender_job *s, const char *code)
{
    for (size_t i = 0; i < s->nworkers; i++)
        if (!strcmp(s->workers[i]->channel, code))
            return s->workers[i];
    if (s->nworkers == CHANNELS_MAX || strlen(code) >= CODE_MAX)
        return NULL;
    struct worker *w = xcalloc(1, sizeof(*w));
    if (db_open(s->path, DB_NO_CHECKPOINT | DB_READONLY, &w->db, NULL)) {
        free(w);
        return NULL;
    }
    w->s = s;
    snprintf(w->channel, sizeof(w->channel), "%s", code);
    s->workers[s->nworkers++] = w;
    ticker_start(&w->ticker, "kefu-chan-out", CHANNEL_TICK_MS, worker_pass, w);
    return w;
}

static void sender_pass(struct ticker *t, void *arg)
{
    (void)t;
    struct channel_sender_job *s = arg;
    struct arena a = ARENA_INIT;
    const char **codes;
    size_t n = 0;
    int rc = channel_out_due_channels(s->db, ktime_now(), CHANNELS_MAX, &a, &codes, &n);
    db_reset_all(s->db);
    if (rc < 0)
        fprintf(stderr, "kefu: channel out: reading the queue failed: %s\n", kf_strerror(rc));
    for (size_t i = 0; i < n; i++) {
        struct worker *w = worker_of(s, codes[i]);
        if (w)
            ticker_wake(&w->ticker);
    }
    arena_release(&a);
}

struct channel_sender_job *channel_sender_start(const char *path, struct writer *w)
{
    if (webhook_out_init()) {
        fprintf(stderr, "kefu: channel out cannot start the HTTP client\n");
        return NULL;
    }
    struct channel_sender_job *s = xcalloc(1, sizeof(*s));
    if (strlen(path) >= sizeof(s->path) ||
        db_open(path, DB_NO_CHECKPOINT | DB_READONLY, &s->db, NULL)) {
        fprintf(stderr, "kefu: channel out cannot open \"%s\"\n", path);
        webhook_out_cleanup();
        free(s);
        return NULL;
    }
    snprintf(s->path, sizeof(s->path), "%s", path);
    s->writer = w;
    ticker_start(&s->ticker, "kefu-channel", TICK_MS, sender_pass, s);
    return s;
}

void channel_sender_wake(struct channel_sender_job *s)
{
    if (s)
        ticker_wake(&s->ticker);
}

void channel_sender_stop(struct channel_sender_job *s)
{
    if (!s)
        return;
    ticker_stop(&s->ticker);
    for (size_t i = 0; i < s->nworkers; i++)
        ticker_ask_stop(&s->workers[i]->ticker);
    for (size_t i = 0; i < s->nworkers; i++) {
        ticker_stop(&s->workers[i]->ticker);
        db_close(s->workers[i]->db);
        free(s->workers[i]);
    }
    db_close(s->db);
    webhook_out_cleanup();
    free(s);
}
