/* channel_threads.c: one thread per channel with something due, woken by the pool's thread. */
#include "jobs/channel_threads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/xalloc.h"
#include "store/db.h"

/* a channel's thread is woken by the pool's; its own tick is a fallback */
enum { TICK_MS = 500, CHANNEL_TICK_MS = 5000 };

static void worker_pass(struct ticker *t, void *arg)
{
    (void)t;
    struct channel_worker *w = arg;
    w->pool->work(w);
}

/* The thread of channel code, started now if it has none. NULL when it cannot start. */
static struct channel_worker *worker_of(struct channel_threads *p, const char *code)
{
    for (size_t i = 0; i < p->nworkers; i++)
        if (!strcmp(p->workers[i]->channel, code))
            return p->workers[i];
    if (p->nworkers == CHANNEL_THREADS_MAX || strlen(code) >= CHANNEL_CODE_MAX)
        return NULL;
    struct channel_worker *w = xcalloc(1, sizeof(*w));
    if (db_open(p->path, DB_NO_CHECKPOINT | DB_READONLY, &w->db, NULL)) {
        free(w);
        return NULL;
    }
    w->pool = p;
    snprintf(w->channel, sizeof(w->channel), "%s", code);
    p->workers[p->nworkers++] = w;
    ticker_start(&w->ticker, p->thread_name, CHANNEL_TICK_MS, worker_pass, w);
    return w;
}

/* Wakes the thread of each channel with something due. */
static void pool_pass(struct ticker *t, void *arg)
{
    (void)t;
    struct channel_threads *p = arg;
    struct arena a = ARENA_INIT;
    const char **codes;
    size_t n = 0;
    int rc = p->due(p->db, ktime_now(), CHANNEL_THREADS_MAX, &a, &codes, &n);
    db_reset_all(p->db);
    if (rc < 0)
        fprintf(stderr, "kefu: %s: reading the queue failed: %s\n", p->label, kf_strerror(rc));
    for (size_t i = 0; i < n; i++) {
        struct channel_worker *w = worker_of(p, codes[i]);
        if (w)
            ticker_wake(&w->ticker);
    }
    arena_release(&a);
}

int channel_threads_start(struct channel_threads *p, const char *path, struct writer *w,
                          const char *name)
{
    if (strlen(path) >= sizeof(p->path) ||
        db_open(path, DB_NO_CHECKPOINT | DB_READONLY, &p->db, NULL)) {
        fprintf(stderr, "kefu: %s cannot open \"%s\"\n", p->label, path);
        return -1;
    }
    snprintf(p->path, sizeof(p->path), "%s", path);
    p->writer = w;
    ticker_start(&p->ticker, name, TICK_MS, pool_pass, p);
    return 0;
}

void channel_threads_wake(struct channel_threads *p)
{
    ticker_wake(&p->ticker);
}

void channel_threads_stop(struct channel_threads *p)
{
    ticker_stop(&p->ticker); /* no thread is started from now on */
    for (size_t i = 0; i < p->nworkers; i++)
        ticker_ask_stop(&p->workers[i]->ticker); /* all end their sends at once */
    for (size_t i = 0; i < p->nworkers; i++) {
        ticker_stop(&p->workers[i]->ticker);
        db_close(p->workers[i]->db);
        free(p->workers[i]);
    }
    p->nworkers = 0;
    db_close(p->db);
}
