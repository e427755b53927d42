/* housekeeping.h: periodic upkeep of the store, run by the job thread. */
#ifndef KEFU_HOUSEKEEPING_H
#define KEFU_HOUSEKEEPING_H

struct writer;

/* Runs the upkeep that is due (by ktime_now(), so the test clock moves it too): every ten
 * minutes, uploads not attached to a ticket within a day are removed, through w. Call it
 * often, from one thread; it keeps its own schedule and reports on stderr. */
void housekeeping_tick(struct writer *w);

#endif
