/* channel_sender.c: the channel sender: on the threads of jobs/channel_threads.c (one per
 * channel with payloads or media due), each channel's thread sends each due payload through
 * its kind's send function and records the try, and fetches the media its followers sent
 * (WeChat), so that a receiver that hangs holds up its own channel only. A payload or medium
 * whose try was not recorded (a crash) is tried again. */
#include "jobs/channel_sender.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/senders.h"
#include "channels/webhook_out.h"
#include "channels/wechat_out.h"
#include "core/channel.h"
#include "core/channel_out.h"
#include "core/wechat_media.h"
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

struct fetched {
    const char *channel;
    const struct wechat_media_due *d;
    int64_t at;
    enum channel_try result;
    const char *error;
    struct wechat_media_got got;
};

static int fetched_run(struct db *db, void *arg)
{
    struct fetched *f = arg;
    int rc = wechat_media_tried(db, f->d, f->at, f->result, f->error, &f->got);
    if (!rc)
        rc = channel_record(db, f->channel, f->result == CHANNEL_SENT ? NULL : f->error);
    return rc;
}

/* Fetches one medium and records the try. 0, or a negative code. */
static int fetch_one(struct channel_worker *w, const struct channel_config *ch,
                     const struct wechat_media_due *d)
{
    struct fetched f = {
        .channel = w->channel, .d = d, .result = CHANNEL_REFUSED, .error = "not a WeChat channel"};
    struct wechat_media_file file = {0};
    struct wechat_send_result res = {0};
    if (ch && !strcmp(ch->kind, "wechat")) {
        wechat_media_fetch(ch, d->media_id, &file, &res);
        f.result = res.ok ? CHANNEL_SENT : res.permanent ? CHANNEL_REFUSED : CHANNEL_TRY_AGAIN;
        f.error = res.ok ? NULL : res.error;
        f.got = (struct wechat_media_got){file.filename, file.content_type, file.data, file.size};
    }
    f.at = ktime_now();
    int rc = writer_run(w->pool->writer, fetched_run, &f);
    free(file.data);
    return rc;
}

/* One batch of the channel's due media. 1 when there may be more, 0 when done, or a negative
 * code. */
static int fetch_batch(struct channel_worker *w)
{
    struct arena a = ARENA_INIT;
    struct wechat_media_due *d;
    size_t n = 0;
    struct channel_config ch;
    int rc = wechat_media_due(w->db, w->channel, ktime_now(), BATCH, &a, &d, &n);
    int have_ch = !rc && n && !channel_get(w->db, w->channel, &a, &ch);
    db_reset_all(w->db);
    for (size_t i = 0; !rc && i < n && !ticker_stopping(&w->ticker); i++)
        rc = fetch_one(w, have_ch ? &ch : NULL, &d[i]);
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
    while ((rc = fetch_batch(w)) == 1 && !ticker_stopping(&w->ticker))
        ;
    if (rc < 0 && rc != KF_ESHUTDOWN)
        fprintf(stderr, "kefu: channel in: fetching media on \"%s\" failed: %s\n", w->channel,
                kf_strerror(rc));
}

/* The channels with payloads to send or media to fetch. */
static int due_channels(struct db *db, int64_t now, int max, struct arena *arena, const char ***ret,
                        size_t *ret_n)
{
    const char **out, **media;
    size_t n, nmedia;
    int rc = channel_out_due_channels(db, now, max, arena, &out, &n);
    if (rc || (rc = wechat_media_due_channels(db, now, max, arena, &media, &nmedia)))
        return rc;
    const char **v = arena_alloc(arena, (n + nmedia + 1) * sizeof(*v));
    memcpy(v, out, n * sizeof(*v));
    for (size_t i = 0; i < nmedia && n < (size_t)max; i++) {
        size_t j = 0;
        while (j < n && strcmp(v[j], media[i]))
            j++;
        if (j == n)
            v[n++] = media[i];
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

struct channel_sender_job *channel_sender_start(const char *path, struct writer *w)
{
    if (webhook_out_init()) {
        fprintf(stderr, "kefu: channel out cannot start the HTTP client\n");
        return NULL;
    }
    struct channel_sender_job *s = xcalloc(1, sizeof(*s));
    s->pool.due = due_channels;
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
