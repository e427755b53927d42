/* ticker.h: a background thread that runs one function every tick or as soon as it is woken,
 * until it is stopped: the shape of each of Kefu's job threads (scheduler, webhook outbox, mail
 * sender). */
#ifndef KEFU_TICKER_H
#define KEFU_TICKER_H

#include <pthread.h>
#include <stdatomic.h>

struct ticker;
/* One pass of the thread's work. It may take long; it should look at ticker_stopping(). */
typedef void ticker_fn(struct ticker *t, void *arg);

struct ticker {
    ticker_fn *fn;
    void *arg;
    int tick_ms;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int woken;
    atomic_int stop;
};

/* Starts the thread, named name (15 characters at most), calling fn(t, arg) at once and then
 * each tick_ms milliseconds after the last pass ended, or sooner when woken. t is the caller's
 * (embedded in its own struct, so that fn may use it from the first pass on). */
void ticker_start(struct ticker *t, const char *name, int tick_ms, ticker_fn *fn, void *arg);
/* Makes the thread start its next pass as soon as the current one ends. */
void ticker_wake(struct ticker *t);
/* 1 once ticker_stop has begun: a long pass should end. */
int ticker_stopping(struct ticker *t);
/* Asks the thread to end, waits for the pass under way and releases what ticker_start made. */
void ticker_stop(struct ticker *t);

#endif
