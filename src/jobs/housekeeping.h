/* housekeeping.h: periodic upkeep of the store, run by the server's checkpointer thread. */
#ifndef KEFU_HOUSEKEEPING_H
#define KEFU_HOUSEKEEPING_H

struct db;

/* Runs the upkeep that is due (by ktime_now(), so the test clock moves it too): every ten
 * minutes, uploads not attached to a ticket within a day are removed. Call it often; it keeps
 * its own schedule and reports on stderr. */
void housekeeping_tick(struct db *db);

#endif
