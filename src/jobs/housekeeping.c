/* housekeeping.c: periodic upkeep of the store. */
#include "jobs/housekeeping.h"

#include <stdint.h>
#include <stdio.h>

#include "core/ticket.h"
#include "lib/banned.h"
#include "lib/ktime.h"
#include "store/db.h"

/* An upload not attached to a ticket within a day never will be (the form was abandoned). */
static const int64_t UPLOAD_KEEP_MS = 24LL * 3600 * 1000, UPLOAD_PURGE_EVERY_MS = 10LL * 60 * 1000;

static void purge_uploads(struct db *db)
{
    int n = 0;
    int rc = db_begin(db);
    if (!rc && !(rc = attachments_purge_unlinked(db, ktime_now() - UPLOAD_KEEP_MS, &n)))
        rc = db_commit(db);
    if (rc) {
        db_rollback(db);
        fprintf(stderr, "kefu: cannot remove old unattached uploads: %s\n", db_errmsg(db));
    } else if (n) {
        fprintf(stderr, "kefu: removed %d uploads never attached to a ticket\n", n);
    }
}

void housekeeping_tick(struct db *db)
{
    static int64_t next_purge; /* one caller: the checkpointer thread */
    if (ktime_now() < next_purge)
        return;
    purge_uploads(db);
    next_purge = ktime_now() + UPLOAD_PURGE_EVERY_MS;
}
