/* writer.h: the one write path: every write of the process is a job run by the writer.
 *
 * HTTP handlers, scheduler jobs, channels and CLI commands all submit their writes here. The
 * writer runs each job as it arrives in its open transaction, in a savepoint of its own, and
 * commits whenever the disk is free; one fdatasync makes a commit durable, and only then is each
 * job's done() called. Nothing else in the process begins or commits a transaction. */
#ifndef KEFU_WRITER_H
#define KEFU_WRITER_H

struct db;
struct kf_error;
struct writer;
struct write_job;

/* Runs inside the writer's transaction, in the job's own savepoint: 0 keeps what it wrote,
 * anything else undoes only this job. It runs on the writer's thread and must not block. */
typedef int write_run_fn(struct db *db, struct write_job *job);
/* Called once per submitted job, from the writer's or the sync thread: status 0 when what run
 * wrote is durable; run's own non-zero result when it undid itself; KF_EBUSY when no
 * transaction could begin; KF_EDB when the commit failed (nothing of the job stayed). It must
 * not block: wake whoever waits and return. */
typedef void write_done_fn(struct write_job *job, int status);

struct write_job {
    write_run_fn *run;
    write_done_fn *done;
    /* the writer's own */
    int status;
    struct write_job *next;
};

struct writer_stats {
    long commits, jobs, syncs, checkpoints;
};

/* Opens the writer's connection to the database at path (already migrated) and starts the
 * writer, its sync thread and the background checkpointer. Returns 0 and *ret, or KF_EDB with a
 * message in e. */
int writer_start(const char *path, struct writer **ret, struct kf_error *e);
/* Refuses new jobs, runs and makes durable every job already queued (each gets its done()),
 * stops the threads and closes the connections. writer_submit may still be called (it refuses)
 * until writer_free, which releases what is left. Both accept NULL. */
void writer_stop(struct writer *w);
void writer_free(struct writer *w);

/* Queues job. Returns 0 (done() will be called), or KF_ESHUTDOWN once writer_stop has begun
 * (done() will not be called; nothing was written). */
int writer_submit(struct writer *w, struct write_job *job);

typedef int write_fn(struct db *db, void *arg);
/* Runs fn(db, arg) as a job and waits until it is durable: for threads that may block (jobs,
 * channels, password hashing, the CLI), never for the writer's own. Returns 0, fn's non-zero
 * result (what it wrote was undone), or a code as for done(), or KF_ESHUTDOWN. */
int writer_run(struct writer *w, write_fn *fn, void *arg);

typedef void writer_hook_fn(void *arg);
/* Has fn(arg) called on the sync thread after each commit is durable, before its jobs' done():
 * to wake whoever reads what was written (the live stream's hub). fn must not block. Set it
 * before the first job; NULL removes it. */
void writer_set_durable_hook(struct writer *w, writer_hook_fn *fn, void *arg);

/* Counters since start, for /metrics. */
void writer_get_stats(struct writer *w, struct writer_stats *ret);

#endif
