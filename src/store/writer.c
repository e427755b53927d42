/* writer.c: the group-commit writer: one connection, one transaction open at a time, one sync
 * per commit.
 *
 * Jobs run as they arrive in the writer's open transaction, each in its own savepoint. The
 * commit is written to the write-ahead log but not synced: the sync thread flushes the log with
 * one fdatasync and only then calls the jobs' done(), so nobody is told of a write that a crash
 * could lose. While the disk syncs, the jobs that come meanwhile run in the next transaction,
 * which commits the moment the sync ends: each sync covers one commit, as large as the load
 * makes it, and an idle writer commits a lone job at once. A checkpointer thread copies the log
 * into the database file in the background. */
#define _GNU_SOURCE
#include "store/writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/xalloc.h"
#include "store/db.h"

enum {
    BATCH_MAX = 512,
    /* past this many log frames (64 MiB) the writer checkpoints, so the log can start over;
     * a longer log means fewer checkpoints, each of which holds the writer up for milliseconds */
    WAL_RESTART_FRAMES = 16384,
    WAL_RESTART_EVERY_MS = 50,
    CHECKPOINT_EVERY_MS = 500,
};

/* Commits waiting for their fdatasync: one, unless a commit came early. */
struct syncer {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct write_job *head, *tail;
    atomic_int busy; /* from a hand-over to the end of the sync that covers it */
    int stop;
    pthread_t thread;
};

struct writer {
    struct db *db;   /* the writer's connection */
    struct db *ckpt; /* the checkpointer's */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct write_job *head, *tail;
    int stop;
    pthread_t thread;
    struct syncer sync;
    pthread_t checkpointer;
    pthread_mutex_t ckpt_mu;
    pthread_cond_t ckpt_cv;
    int ckpt_stop;
    atomic_long commits, jobs, syncs, checkpoints;
    writer_hook_fn *_Atomic durable_hook;
    void *durable_arg;
};

/* The timed waits here end at ktime_monotonic() times: their condition variables are made on
 * that clock. */
static void cond_init_monotonic(pthread_cond_t *cv)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &attr);
    pthread_condattr_destroy(&attr);
}

/* Waits for a signal on cv, or until ktime_monotonic() reaches due_ms. */
static void wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t due_ms)
{
    struct timespec until = {(time_t)(due_ms / 1000), (long)(due_ms % 1000) * 1000000L};
    pthread_cond_timedwait(cv, mu, &until);
}

static void done_all(struct write_job *jobs)
{
    while (jobs) {
        struct write_job *next = jobs->next;
        jobs->done(jobs, jobs->status);
        jobs = next;
    }
}

/* Runs jobs in the writer's transaction, which it begins if none is open (*open), each in a
 * savepoint of its own so that one failure rolls back only itself. Returns how many ran. */
static int run_jobs(struct db *db, struct write_job *jobs, int *open)
{
    int rc = 0, n = 0;
    if (!*open) {
        rc = db_begin(db);
        *open = !rc;
    }
    for (struct write_job *j = jobs; j; j = j->next) {
        n++;
        if (rc || db_savepoint(db)) {
            j->status = KF_EBUSY;
            continue;
        }
        j->status = j->run(db, j);
        db_reset_all(db);
        if (j->status) {
            db_rollback_to(db);
        } else if (db_release(db)) {
            db_rollback_to(db);
            j->status = KF_EDB;
        }
    }
    return n;
}

static void *syncer_main(void *arg)
{
    struct writer *w = arg;
    struct syncer *sy = &w->sync;
    for (;;) {
        pthread_mutex_lock(&sy->mu);
        while (!sy->head && !sy->stop)
            pthread_cond_wait(&sy->cv, &sy->mu);
        struct write_job *jobs = sy->head;
        sy->head = sy->tail = NULL;
        pthread_mutex_unlock(&sy->mu);
        if (!jobs)
            break; /* stopped, and nothing is left */
        if (db_sync(w->db)) {
            /* what was committed may not be on disk, and some of it is visible already: stop
             * rather than answer; a restart recovers what the disk holds */
            fprintf(stderr, "kefu: cannot sync the write-ahead log: %s\n", strerror(errno));
            abort();
        }
        atomic_fetch_add(&w->syncs, 1);
        writer_hook_fn *hook = atomic_load(&w->durable_hook);
        if (hook)
            hook(w->durable_arg);
        /* the writer commits what waited for this sync, and the disk starts on it while these
         * jobs finish; the flag changes before the writer's lock is taken, so the writer either
         * sees it or is already waiting for the signal. (A commit may already wait here.) */
        pthread_mutex_lock(&sy->mu);
        atomic_store(&sy->busy, sy->head != NULL);
        pthread_mutex_unlock(&sy->mu);
        pthread_mutex_lock(&w->mu);
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
        done_all(jobs);
    }
    return NULL;
}

/* Hands a commit to the syncer; its jobs are done after the sync that covers it. */
static void sync_push(struct writer *w, struct write_job *jobs)
{
    struct write_job *last = jobs;
    while (last->next)
        last = last->next;
    pthread_mutex_lock(&w->sync.mu);
    atomic_store(&w->sync.busy, 1);
    if (w->sync.tail)
        w->sync.tail->next = jobs;
    else
        w->sync.head = jobs;
    w->sync.tail = last;
    pthread_cond_signal(&w->sync.cv);
    pthread_mutex_unlock(&w->sync.mu);
}

/* The log starts over from its beginning only when a write transaction begins with every frame
 * copied to the database file. The checkpointer copies them in the background, but under a
 * steady load new commits always outrun it, so once the log is long the writer copies the
 * last few itself between two commits. */
static void restart_log(struct writer *w, int64_t *last_ms)
{
    if (db_wal_frames(w->db) < WAL_RESTART_FRAMES)
        return;
    int64_t now = ktime_monotonic();
    if (now - *last_ms < WAL_RESTART_EVERY_MS)
        return;
    *last_ms = now;
    if (!db_checkpoint(w->db))
        atomic_fetch_add(&w->checkpoints, 1);
}

/* Commits the writer's transaction (if one is open) and hands its jobs to the syncer. */
static void commit_jobs(struct writer *w, struct write_job *jobs, int open, int n)
{
    if (open && db_commit(w->db)) {
        fprintf(stderr, "kefu: commit of %d writes failed: %s\n", n, db_errmsg(w->db));
        for (struct write_job *j = jobs; j; j = j->next)
            if (!j->status)
                j->status = KF_EDB;
    }
    atomic_fetch_add(&w->commits, 1);
    atomic_fetch_add(&w->jobs, n);
    sync_push(w, jobs); /* done after the sync, outside our own lock */
}

static void syncer_stop(struct writer *w)
{
    pthread_mutex_lock(&w->sync.mu);
    w->sync.stop = 1;
    pthread_cond_broadcast(&w->sync.cv);
    pthread_mutex_unlock(&w->sync.mu);
    pthread_join(w->sync.thread, NULL);
}

/* The writer: runs every queued job as it comes, in one open transaction, and commits it
 * whenever the syncer is idle; when nothing is queued, indexes the search text that is due.
 * Another connection of the process waiting for the write lock (db_write_wanted) makes it
 * commit at once and begin nothing new until that connection has the lock. */
static void *writer_main(void *arg)
{
    struct writer *w = arg;
    struct db *db = w->db;
    struct write_job *ran = NULL, *ran_tail = NULL; /* in the open transaction */
    int open = 0, nran = 0;
    int64_t last_restart = 0;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        int wanted = db_write_wanted();
        if (ran && (wanted || !atomic_load(&w->sync.busy))) {
            struct write_job *jobs = ran;
            int was_open = open, n = nran;
            ran = ran_tail = NULL, open = 0, nran = 0;
            pthread_mutex_unlock(&w->mu);
            commit_jobs(w, jobs, was_open, n);
            restart_log(w, &last_restart);
            pthread_mutex_lock(&w->mu);
            continue;
        }
        if (w->head && !wanted) {
            struct write_job *jobs = w->head, *last = jobs;
            for (int n = 1; last->next && n < BATCH_MAX; n++)
                last = last->next;
            w->head = last->next;
            if (!w->head)
                w->tail = NULL;
            last->next = NULL;
            pthread_mutex_unlock(&w->mu);
            nran += run_jobs(db, jobs, &open);
            if (ran_tail)
                ran_tail->next = jobs;
            else
                ran = jobs;
            ran_tail = last;
            pthread_mutex_lock(&w->mu);
            continue;
        }
        if (wanted && w->head) { /* look again soon: it may have the lock by then */
            wait_until(&w->cv, &w->mu, ktime_monotonic() + 1);
            continue;
        }
        if (ran) { /* the sync under way ends with a signal */
            pthread_cond_wait(&w->cv, &w->mu);
            continue;
        }
        /* idle: the search text still waiting is indexed when it is due, and before the
         * connection closes at stop */
        int64_t due = db_search_due(db);
        if (!w->stop && (!due || ktime_monotonic() < due)) {
            if (!due)
                pthread_cond_wait(&w->cv, &w->mu);
            else
                wait_until(&w->cv, &w->mu, due);
            continue;
        }
        int stop = w->stop;
        pthread_mutex_unlock(&w->mu);
        if (due && db_search_flush(db))
            fprintf(stderr, "kefu: cannot index the search text: %s\n", db_errmsg(db));
        pthread_mutex_lock(&w->mu);
        if (stop)
            break;
    }
    pthread_mutex_unlock(&w->mu);
    syncer_stop(w);
    return NULL;
}

/* Checkpoints the write-ahead log twice a second on its own connection, so that commits
 * seldom stop to copy pages into the database file. */
static void *checkpointer_main(void *arg)
{
    struct writer *w = arg;
    pthread_mutex_lock(&w->ckpt_mu);
    while (!w->ckpt_stop) {
        wait_until(&w->ckpt_cv, &w->ckpt_mu, ktime_monotonic() + CHECKPOINT_EVERY_MS);
        pthread_mutex_unlock(&w->ckpt_mu);
        if (!db_checkpoint(w->ckpt))
            atomic_fetch_add(&w->checkpoints, 1);
        pthread_mutex_lock(&w->ckpt_mu);
    }
    pthread_mutex_unlock(&w->ckpt_mu);
    db_checkpoint(w->ckpt);
    return NULL;
}

int writer_start(const char *path, struct writer **ret, struct kf_error *e)
{
    struct writer *w = xcalloc(1, sizeof(*w));
    int rc = db_open(path, DB_NO_CHECKPOINT | DB_GROUP_SYNC | DB_BATCH_SEARCH, &w->db, e);
    if (!rc)
        rc = db_open(path, DB_NO_CHECKPOINT, &w->ckpt, e);
    if (rc) {
        db_close(w->db);
        free(w);
        return rc;
    }
    pthread_mutex_init(&w->mu, NULL);
    cond_init_monotonic(&w->cv);
    pthread_mutex_init(&w->sync.mu, NULL);
    pthread_cond_init(&w->sync.cv, NULL);
    pthread_mutex_init(&w->ckpt_mu, NULL);
    cond_init_monotonic(&w->ckpt_cv);
    pthread_create(&w->sync.thread, NULL, syncer_main, w);
    pthread_setname_np(w->sync.thread, "kefu-sync"); /* for top -H and perf */
    pthread_create(&w->thread, NULL, writer_main, w);
    pthread_setname_np(w->thread, "kefu-writer");
    pthread_create(&w->checkpointer, NULL, checkpointer_main, w);
    pthread_setname_np(w->checkpointer, "kefu-checkpoint");
    *ret = w;
    return 0;
}

void writer_stop(struct writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL); /* drains: every queued job is synced and done */
    pthread_mutex_lock(&w->ckpt_mu);
    w->ckpt_stop = 1;
    pthread_cond_signal(&w->ckpt_cv);
    pthread_mutex_unlock(&w->ckpt_mu);
    pthread_join(w->checkpointer, NULL);
    db_close(w->ckpt);
    db_close(w->db);
    w->ckpt = w->db = NULL;
}

void writer_free(struct writer *w)
{
    if (!w)
        return;
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->sync.mu);
    pthread_cond_destroy(&w->sync.cv);
    pthread_mutex_destroy(&w->ckpt_mu);
    pthread_cond_destroy(&w->ckpt_cv);
    free(w);
}

int writer_submit(struct writer *w, struct write_job *job)
{
    pthread_mutex_lock(&w->mu);
    if (w->stop) {
        pthread_mutex_unlock(&w->mu);
        return KF_ESHUTDOWN;
    }
    job->next = NULL;
    job->status = 0;
    if (w->tail)
        w->tail->next = job;
    else
        w->head = job;
    w->tail = job;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

struct waited_job {
    struct write_job job; /* first: the writer hands this back */
    write_fn *fn;
    void *arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int finished, status;
};

static int waited_run(struct db *db, struct write_job *job)
{
    struct waited_job *wj = (struct waited_job *)job;
    return wj->fn(db, wj->arg);
}

static void waited_done(struct write_job *job, int status)
{
    struct waited_job *wj = (struct waited_job *)job;
    pthread_mutex_lock(&wj->mu);
    wj->status = status;
    wj->finished = 1;
    pthread_cond_signal(&wj->cv);
    pthread_mutex_unlock(&wj->mu);
}

int writer_run(struct writer *w, write_fn *fn, void *arg)
{
    struct waited_job wj = {.job = {.run = waited_run, .done = waited_done}, .fn = fn, .arg = arg};
    pthread_mutex_init(&wj.mu, NULL);
    pthread_cond_init(&wj.cv, NULL);
    int rc = writer_submit(w, &wj.job);
    if (!rc) {
        pthread_mutex_lock(&wj.mu);
        while (!wj.finished)
            pthread_cond_wait(&wj.cv, &wj.mu);
        pthread_mutex_unlock(&wj.mu);
        rc = wj.status;
    }
    pthread_mutex_destroy(&wj.mu);
    pthread_cond_destroy(&wj.cv);
    return rc;
}

void writer_set_durable_hook(struct writer *w, writer_hook_fn *fn, void *arg)
{
    w->durable_arg = arg;
    atomic_store(&w->durable_hook, fn);
}

void writer_get_stats(struct writer *w, struct writer_stats *ret)
{
    ret->commits = atomic_load(&w->commits);
    ret->jobs = atomic_load(&w->jobs);
    ret->syncs = atomic_load(&w->syncs);
    ret->checkpoints = atomic_load(&w->checkpoints);
}
