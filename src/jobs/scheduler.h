/* scheduler.h: the thread of Kefu's background jobs: upkeep now, deadlines as they come. */
#ifndef KEFU_SCHEDULER_H
#define KEFU_SCHEDULER_H

struct writer;
struct scheduler;

/* Starts the job thread with its own reading connection to the database at path; every write
 * of a job goes to w. Returns NULL (and says why on stderr) when it cannot start. */
struct scheduler *scheduler_start(const char *path, struct writer *w);
/* Stops the thread after the job under way and frees. Accepts NULL. */
void scheduler_stop(struct scheduler *s);

#endif
