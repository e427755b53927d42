/* scheduler.c: the job thread: wakes every second and runs what is due: the SLA clocks'
 * deadlines, the satisfaction surveys' sending and expiry and the scheduled reports (each asked
 * of an index, so a pass with nothing due costs one lookup), then upkeep. */
#include "jobs/scheduler.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/report_schedule.h"
#include "core/sla.h"
#include "core/survey.h"
#include "jobs/housekeeping.h"
#include "jobs/ticker.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/xalloc.h"
#include "store/db.h"
#include "store/writer.h"

enum { TICK_MS = 1000, SWEEP_BATCH = 500 };

struct scheduler {
    struct db *db; /* reads only: writes go to the writer */
    struct writer *writer;
    struct ticker ticker;
    char *path; /* the database's: report files are written beside it a moment */
};

typedef int sweep_fn(struct db *db, int64_t now, int max, int *ret_n);
typedef int due_fn(struct db *db, int64_t now);

struct sweep {
    sweep_fn *fn;
    int64_t now;
    int n;
};

static int sweep_run(struct db *db, void *arg)
{
    struct sweep *sw = arg;
    return sw->fn(db, sw->now, SWEEP_BATCH, &sw->n);
}

/* Acts on everything of one kind due now, a batch per write, so that other writes go between. */
static void sweep(struct scheduler *s, due_fn *due, sweep_fn *fn, const char *what)
{
    int64_t now = ktime_now();
    if (due(s->db, now) != 1)
        return;
    db_reset_all(s->db); /* no read snapshot held while the writer works */
    struct sweep sw = {fn, now, 0};
    do {
        int rc = writer_run(s->writer, sweep_run, &sw);
        if (rc) {
            if (rc != KF_ESHUTDOWN)
                fprintf(stderr, "kefu: the %s sweep failed: %s\n", what, kf_strerror(rc));
            return;
        }
    } while (sw.n == SWEEP_BATCH);
}

static void scheduler_pass(struct ticker *t, void *arg)
{
    (void)t;
    struct scheduler *s = arg;
    sweep(s, sla_due, sla_sweep, "SLA");
    sweep(s, survey_due, survey_sweep, "survey");
    int64_t now = ktime_now();
    if (report_schedule_due(s->db, now) == 1) {
        int rc = report_schedule_run(s->db, s->writer, s->path, now);
        if (rc && rc != KF_ESHUTDOWN)
            fprintf(stderr, "kefu: a scheduled report failed: %s\n", kf_strerror(rc));
    }
    housekeeping_tick(s->writer);
}

struct scheduler *scheduler_start(const char *path, struct writer *w)
{
    struct scheduler *s = xcalloc(1, sizeof(*s));
    if (db_open(path, DB_NO_CHECKPOINT | DB_READONLY, &s->db, NULL)) {
        fprintf(stderr, "kefu: jobs cannot open \"%s\"\n", path);
        free(s);
        return NULL;
    }
    s->writer = w;
    s->path = xstrdup(path);
    ticker_start(&s->ticker, "kefu-jobs", TICK_MS, scheduler_pass, s);
    return s;
}

void scheduler_stop(struct scheduler *s)
{
    if (!s)
        return;
    ticker_stop(&s->ticker);
    db_close(s->db);
    free(s->path);
    free(s);
}
