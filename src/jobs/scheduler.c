/* scheduler.c: the job thread: wakes every second and runs what is due. */
#define _GNU_SOURCE
#include "jobs/scheduler.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "jobs/housekeeping.h"
#include "lib/banned.h"
#include "lib/xalloc.h"
#include "store/db.h"

enum { TICK_MS = 1000 };

struct scheduler {
    struct db *db; /* reads only: writes go to the writer */
    struct writer *writer;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
};

static void *scheduler_main(void *arg)
{
    struct scheduler *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        pthread_mutex_unlock(&s->mu);
        housekeeping_tick(s->db, s->writer);
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
