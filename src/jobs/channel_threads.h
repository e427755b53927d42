/* channel_threads.h: what the senders of outgoing messages share (mail_sender.c,
 * channel_sender.c): a thread that looks every half second (or when woken) for the channels
 * with something due, and one thread per such channel, each with its own reading connection,
 * so that a channel whose server hangs holds up only itself. */
#ifndef KEFU_JOBS_CHANNEL_THREADS_H
#define KEFU_JOBS_CHANNEL_THREADS_H

#include <stddef.h>
#include <stdint.h>

#include "jobs/ticker.h"

struct db;
struct arena;
struct writer;

enum { CHANNEL_THREADS_MAX = 32, CHANNEL_CODE_MAX = 40 };

struct channel_threads;

/* One channel's thread. */
struct channel_worker {
    struct channel_threads *pool;
    char channel[CHANNEL_CODE_MAX];
    struct db *db; /* its own, for reading */
    struct ticker ticker;
};

/* The codes of up to max channels with something due at now, in arena. */
typedef int channel_due_fn(struct db *db, int64_t now, int max, struct arena *arena,
                           const char ***ret, size_t *ret_n);
/* One pass of a channel's thread: send what is due. */
typedef void channel_work_fn(struct channel_worker *w);

struct channel_threads {
    char path[600];
    struct db *db; /* reads only: writes go to the writer */
    struct writer *writer;
    struct ticker ticker;
    struct channel_worker *workers[CHANNEL_THREADS_MAX]; /* only the pool's thread changes them */
    size_t nworkers;
    channel_due_fn *due;
    channel_work_fn *work;
    const char *label;       /* for the log: "mail" */
    const char *thread_name; /* a channel thread's name, 15 characters at most */
    void *arg;               /* the sender's own */
};

/* Opens p's reading connection to the database at path and starts its thread (named name);
 * p's due, work, label, thread_name and arg are set by the caller first. 0, or -1 (said on
 * stderr) when it cannot. */
int channel_threads_start(struct channel_threads *p, const char *path, struct writer *w,
                          const char *name);
void channel_threads_wake(struct channel_threads *p);
/* Stops the pool's thread, then every channel's (all end their sends at once), and closes. */
void channel_threads_stop(struct channel_threads *p);

#endif
