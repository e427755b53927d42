/* housekeeping.c: periodic upkeep of the store. */
#include "jobs/housekeeping.h"

#include <stdint.h>
#include <stdio.h>

#include "core/attachment.h"
#include "core/portal.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "store/db.h"
#include "store/writer.h"

/* An upload not attached to a ticket within a day never will be (the form was abandoned). */
static const int64_t UPLOAD_KEEP_MS = 24LL * 3600 * 1000, UPLOAD_PURGE_EVERY_MS = 10LL * 60 * 1000;

struct purge {
    int64_t before;
    int n;
};

static int purge_run(struct db *db, void *arg)
{
    struct purge *p = arg;
    int rc = attachments_purge_unlinked(db, p->before, &p->n);
    return rc ? rc : portal_purge(db, ktime_now()); /* expired sign-in codes and sessions */
}

static void purge_uploads(struct writer *w)
{
    struct purge p = {ktime_now() - UPLOAD_KEEP_MS, 0};
    int rc = writer_run(w, purge_run, &p);
    if (rc && rc != KF_ESHUTDOWN)
        fprintf(stderr, "kefu: cannot remove old unattached uploads: %s\n", kf_strerror(rc));
    else if (!rc && p.n)
        fprintf(stderr, "kefu: removed %d uploads never attached to a ticket\n", p.n);
}

void housekeeping_tick(struct writer *w)
{
    static int64_t next_purge; /* one caller: the job thread */
    if (ktime_now() < next_purge)
        return;
    purge_uploads(w);
    next_purge = ktime_now() + UPLOAD_PURGE_EVERY_MS;
}
