/* scheduler.c: the job thread: wakes every second and runs what is due: the SLA clocks'
 * deadlines (asked of an index, so a pass with nothing due costs one lookup), then upkeep. */
#define _GNU_SOURCE
#include "jobs/scheduler.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/sla.h"
#include "jobs/housekeeping.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/xalloc.h"
#include "store/db.h"
#include "store/writer.h"

enum { TICK_MS = 1000, SWEEP_BATCH = 500 };

struct scheduler {
    struct db *db; /* reads only: writes go to the writer */
    struct writer *writer;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
};

struct sweep {
    int64_t now;
    int n;
};

static int sweep_run(struct db *db, void *arg)
{
    struct sweep *sw = arg;
    return sla_sweep(db, sw->now, SWEEP_BATCH, &sw->n);
}

/* Acts on every SLA deadline due now, a batch per write, so that other writes go between. */
static void sweep_clocks(struct scheduler *s)
{
    int64_t now = ktime_now();
    if (sla_due(s->db, now) != 1)
        return;
    db_reset_all(s->db); /* no read snapshot held while the writer works */
    struct sweep sw = {now, 0};
    do {
        int rc = writer_run(s->writer, sweep_run, &sw);
        if (rc) {
            if (rc != KF_ESHUTDOWN)
                fprintf(stderr, "kefu: the SLA sweep failed: %s\n", kf_strerror(rc));
            return;
        }
    } while (sw.n == SWEEP_BATCH);
}

static void *scheduler_main(void *arg)
{
    struct scheduler *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        pthread_mutex_unlock(&s->mu);
        sweep_clocks(s);
        housekeeping_tick(s->writer);
        pthread_mutex_lock(&s->mu);
        if (s->stop)
            break;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += TICK_MS / 1000;
        pthread_cond_timedwait(&s->cv, &s->mu, &until);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

struct scheduler *scheduler_start(const char *path, struct writer *w)
{
    struct scheduler *s = xcalloc(1, sizeof(*s));
    if (db_open(path, DB_NO_CHECKPOINT | DB_READONLY, &s->db, NULL)) {
        fprintf(stderr, "kefu: jobs cannot open \"%s\"\n", path);
        free(s);
        return NULL;
    }
    s->writer = w;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &attr);
    pthread_condattr_destroy(&attr);
    pthread_create(&s->thread, NULL, scheduler_main, s);
    pthread_setname_np(s->thread, "kefu-jobs");
    return s;
}

void scheduler_stop(struct scheduler *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    db_close(s->db);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}
