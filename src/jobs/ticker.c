/* ticker.c: a job thread that runs a function every tick or when woken. */
#define _GNU_SOURCE
#include "jobs/ticker.h"

#include <time.h>

#include "lib/banned.h"

static void *ticker_main(void *arg)
{
    struct ticker *t = arg;
    while (!ticker_stopping(t)) {
        t->fn(t, t->arg);
        pthread_mutex_lock(&t->mu);
        if (!t->woken && !ticker_stopping(t)) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            long ns = until.tv_nsec + (long)(t->tick_ms % 1000) * 1000000L;
            until.tv_sec += t->tick_ms / 1000 + ns / 1000000000L;
            until.tv_nsec = ns % 1000000000L;
            pthread_cond_timedwait(&t->cv, &t->mu, &until);
        }
        t->woken = 0;
        pthread_mutex_unlock(&t->mu);
    }
    return NULL;
}

void ticker_start(struct ticker *t, const char *name, int tick_ms, ticker_fn *fn, void *arg)
{
    t->fn = fn;
    t->arg = arg;
    t->tick_ms = tick_ms;
    t->woken = 0;
    atomic_init(&t->stop, 0);
    pthread_mutex_init(&t->mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cv, &attr);
    pthread_condattr_destroy(&attr);
    pthread_create(&t->thread, NULL, ticker_main, t);
    pthread_setname_np(t->thread, name);
}

void ticker_wake(struct ticker *t)
{
    pthread_mutex_lock(&t->mu);
    t->woken = 1;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

int ticker_stopping(struct ticker *t)
{
    return atomic_load(&t->stop);
}

void ticker_stop(struct ticker *t)
{
    pthread_mutex_lock(&t->mu);
    atomic_store(&t->stop, 1);
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->thread, NULL);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
}
