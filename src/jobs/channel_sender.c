/* channel_sender.c: the channel sender: on the threads of jobs/channel_threads.c (one per
 * channel with payloads due), each channel's thread sends each due payload through
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
#include "jobs/channel_threads.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/xalloc.h"
#include "store/db.h"
#include "store/writer.h"

enum { BATCH = 50 };

struct channel_sender_job {
    struct channel_threads pool;
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
static int send_one(struct channel_worker *w, const struct channel_config *ch,
                    const struct channel_due *d)
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
    return writer_run(w->pool->writer, tried_run, &t);
}

/* One batch of the channel's due payloads. 1 when there may be more, 0 when done, or a
 * negative code. */
static int send_batch(struct channel_worker *w)
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

static void work(struct channel_worker *w)
{
    int rc;
    while ((rc = send_batch(w)) == 1 && !ticker_stopping(&w->ticker))
        ;
    if (rc < 0 && rc != KF_ESHUTDOWN)
        fprintf(stderr, "kefu: channel out: sending on \"%s\" failed: %s\n", w->channel,
                kf_strerror(rc));
}

struct channel_sender_job *channel_sender_start(const char *path, struct writer *w)
{
    if (webhook_out_init()) {
        fprintf(stderr, "kefu: channel out cannot start the HTTP client\n");
        return NULL;
    }
    struct channel_sender_job *s = xcalloc(1, sizeof(*s));
    s->pool.due = channel_out_due_channels;
    s->pool.work = work;
    s->pool.label = "channel out";
    s->pool.thread_name = "kefu-chan-out";
    s->pool.arg = s;
    if (channel_threads_start(&s->pool, path, w, "kefu-channel")) {
        webhook_out_cleanup();
        free(s);
        return NULL;
    }
    return s;
}

void channel_sender_wake(struct channel_sender_job *s)
{
    if (s)
        channel_threads_wake(&s->pool);
}

void channel_sender_stop(struct channel_sender_job *s)
{
    if (!s)
        return;
    channel_threads_stop(&s->pool);
    webhook_out_cleanup();
    free(s);
}
