/* outbox.c: the dispatcher thread: every second (or when woken) it queues a delivery of each
 * new outbox event for every webhook that takes it, then POSTs what is due and records each
 * try. Queuing and moving its cursor are one write, so a crash neither loses nor repeats a
 * delivery; a POST whose result was not recorded is sent again with the same delivery id. */
#include "jobs/outbox.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "channels/webhook_out.h"
#include "core/outbox.h"
#include "core/webhook.h"
#include "jobs/ticker.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/xalloc.h"
#include "store/db.h"
#include "store/writer.h"

enum { TICK_MS = 1000, FAN_BATCH = 200, SEND_BATCH = 20 };

struct outbox {
    struct db *db; /* reads only: writes go to the writer */
    struct writer *writer;
    outbox_render_fn *render;
    struct ticker ticker;
};

struct fan_job {
    int64_t from;
    const struct outbox_event *ev;
    const char *const *members;
    size_t n;
    int queued;
};

static int fan_run(struct db *db, void *arg)
{
    struct fan_job *j = arg;
    return webhook_fan_out(db, j->from, j->ev, j->members, j->n, &j->queued);
}

/* Fans out one batch of new events. 1 when there may be more, 0 when done, or a negative code. */
static int fan_out_batch(struct outbox *o)
{
    struct arena a = ARENA_INIT;
    struct outbox_event *ev = arena_alloc(&a, FAN_BATCH * sizeof(*ev));
    size_t n = 0;
    int64_t from;
    int rc = webhook_cursor(o->db, &from);
    if (!rc && (rc = outbox_read(o->db, from, INT64_MAX, FAN_BATCH, &a, ev)) >= 0) {
        n = (size_t)rc;
        rc = 0;
    }
    const char **members = n ? arena_alloc(&a, n * sizeof(*members)) : NULL;
    for (size_t i = 0; !rc && i < n; i++) {
        int wanted = 0;
        members[i] = NULL;
        if (!(rc = webhook_wanted(o->db, ev[i].kind, &wanted)) && wanted)
            rc = o->render(o->db, &ev[i], &a, &members[i]);
    }
    db_reset_all(o->db); /* no read snapshot held while the writer works */
    if (!rc && n) {
        struct fan_job j = {from, ev, members, n, 0};
        rc = writer_run(o->writer, fan_run, &j);
        if (rc == KF_ECONFLICT)
            rc = 0; /* the cursor moved under us: read again */
    }
    arena_release(&a);
    return rc < 0 ? rc : n == FAN_BATCH;
}

struct tried_job {
    const struct webhook_due *d;
    int64_t at;
    const struct webhook_result *res;
};

static int tried_run(struct db *db, void *arg)
{
    struct tried_job *j = arg;
    return webhook_tried(db, j->d->id, j->d->attempts, j->at, j->res->http_status,
                         j->res->error[0] ? j->res->error : NULL, j->res->duration_ms);
}

static int stopping(void *arg)
{
    struct outbox *o = arg;
    return ticker_stopping(&o->ticker);
}

/* Sends one batch of due deliveries. 1 when there may be more, 0 when done, or a negative code. */
static int send_batch(struct outbox *o)
{
    struct arena a = ARENA_INIT;
    struct webhook_due *d;
    size_t n = 0;
    int rc = webhook_due(o->db, ktime_now(), SEND_BATCH, &a, &d, &n);
    db_reset_all(o->db);
    for (size_t i = 0; !rc && i < n && !stopping(o); i++) {
        struct webhook_request rq = {d[i].url, d[i].secret, d[i].event, d[i].body, d[i].id};
        struct webhook_result res;
        int64_t at = ktime_now();
        if ((rc = webhook_post(&rq, stopping, o, &res)))
            break;
        struct tried_job j = {&d[i], at, &res};
        rc = writer_run(o->writer, tried_run, &j);
    }
    arena_release(&a);
    return rc < 0 ? rc : n == SEND_BATCH;
}

static void report(const char *what, int rc)
{
    if (rc < 0 && rc != KF_ESHUTDOWN)
        fprintf(stderr, "kefu: webhooks: %s failed: %s\n", what, kf_strerror(rc));
}

static void outbox_pass(struct ticker *t, void *arg)
{
    struct outbox *o = arg;
    int rc;
    while ((rc = fan_out_batch(o)) == 1 && !ticker_stopping(t))
        ;
    report("queuing deliveries", rc);
    while ((rc = send_batch(o)) == 1 && !ticker_stopping(t))
        ;
    report("sending deliveries", rc);
}

struct outbox *outbox_start(const char *path, struct writer *w, outbox_render_fn *render)
{
    if (webhook_out_init()) {
        fprintf(stderr, "kefu: webhooks cannot start the HTTP client\n");
        return NULL;
    }
    struct outbox *o = xcalloc(1, sizeof(*o));
    if (db_open(path, DB_NO_CHECKPOINT | DB_READONLY, &o->db, NULL)) {
        fprintf(stderr, "kefu: webhooks cannot open \"%s\"\n", path);
        webhook_out_cleanup();
        free(o);
        return NULL;
    }
    o->writer = w;
    o->render = render;
    ticker_start(&o->ticker, "kefu-outbox", TICK_MS, outbox_pass, o);
    return o;
}

void outbox_wake(struct outbox *o)
{
    if (o)
        ticker_wake(&o->ticker);
}

void outbox_stop(struct outbox *o)
{
    if (!o)
        return;
    ticker_stop(&o->ticker);
    db_close(o->db);
    webhook_out_cleanup();
    free(o);
}
