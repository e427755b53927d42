/* report.h: the team's figures for a period: volume and shares, response and resolution times
 * with exact percentiles, SLA attainment, overdue tickets, top issues, satisfaction and how it
 * follows the first response, and the comparison of types, agents, channels and departments. */
#ifndef KEFU_REPORT_H
#define KEFU_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct actor;
struct kf_error;

enum report_granularity { REPORT_DAY, REPORT_WEEK, REPORT_MONTH };
enum report_by { REPORT_BY_TYPE, REPORT_BY_ASSIGNEE, REPORT_BY_CHANNEL, REPORT_BY_DEPARTMENT };

enum {
    REPORT_TOP_ISSUES = 5,
    REPORT_BUCKETS = 9,           /* first-response buckets of the correlation, the last open */
    REPORT_MAX_DAYS = 366,        /* the longest period one report covers */
    REPORT_PERIOD_LABEL_MAX = 16, /* "2023-10-01" */
};

/* The upper bounds (minutes, inclusive) of the correlation's buckets; the last is 0: no bound. */
extern const int report_bucket_max[REPORT_BUCKETS];

/* Which tickets a report counts: those created in [from, to) (UTC ms) that match every filter
 * set (NULL or 0: any). */
struct report_query {
    int64_t from, to;
    enum report_granularity granularity;
    const char *channel, *type;
    int64_t department_id, assignee_id, store_id;
};

/* Minutes from the customer's request (raised_at) to the first response or the resolution. */
struct report_times {
    long n;
    double avg_minutes, p50_minutes, p90_minutes; /* 0 when n is 0 */
};

/* One row of a breakdown or of the top issues. */
struct report_count {
    const char *key; /* channel code, type, category code; NULL for an id */
    int64_t id;      /* department, user or category id; 0 for "none" */
    const char *code, *name;
    long count;
};

struct report_period {
    char label[REPORT_PERIOD_LABEL_MAX]; /* day/week: its first date, month: YYYY-MM */
    int64_t start;                       /* UTC ms of its first local midnight */
    long created, resolved, overdue;
    long score_n;
    double score_sum;
};

struct report_summary {
    long total;
    struct report_count *by_channel, *by_type, *by_department, *by_assignee, *top_issues;
    size_t nby_channel, nby_type, nby_department, nby_assignee, ntop_issues;
    struct report_times first_response, resolution;
    long overdue, overdue_accept, overdue_first_response, overdue_resolve;
    /* SLA: tickets whose clock for the target is decided (met, or breached), and those met */
    long fr_decided, fr_met, res_decided, res_met;
    long sat_n, sat_dist[6]; /* sat_dist[score], scores 1-5 */
    double sat_sum;
    struct report_period *series;
    size_t nseries;
    long corr_n;
    int has_pearson; /* 0 when fewer than two pairs, or either side does not vary */
    double pearson;
    long bucket_n[REPORT_BUCKETS];
    double bucket_sum[REPORT_BUCKETS];
};

struct report_row {
    const char *key, *name;
    int64_t id;
    long count, overdue;
    long fr_n, res_n, score_n;
    double fr_sum_min, res_sum_min, score_sum;
};

/* ---- the arithmetic (pure) ---- */

/* The p-th percentile (0 < p <= 100) of the n values v sorted ascending, by nearest rank: the
 * smallest value with at least p% of the values at or below it (v[ceil(p*n/100) - 1]). 0 when
 * n is 0. */
int64_t report_percentile(const int64_t *v, size_t n, int p);

/* Pearson's correlation coefficient of the n pairs (x[i], y[i]) into *ret. 0, or KF_EINVAL
 * (*ret untouched) when n < 2 or x or y does not vary. */
int report_pearson(const double *x, const double *y, size_t n, double *ret);

/* The correlation bucket of a first response of `minutes` (the first bound it does not
 * exceed; the last bucket takes the rest, negative times the first). */
int report_bucket(double minutes);

/* The periods of granularity g covering [from, to) in the configured zone: the first starts
 * at the local midnight that begins the day, Monday or first of the month holding from. Into
 * *ret (arena) and *ret_n; KF_EINVAL when to <= from. */
int report_periods(int64_t from, int64_t to, enum report_granularity g, struct arena *a,
                   struct report_period **ret, size_t *ret_n);

/* The index of the period holding t among the n sorted periods p (-1 before the first). */
long report_period_of(const struct report_period *p, size_t n, int64_t t);

/* ---- the reports ---- */

/* The summary of the tickets q selects. Supervisors and admins see every ticket; an agent or
 * specialist sees only the tickets assigned to them (q's assignee_id is theirs, asking for
 * another's is KF_EFORBIDDEN naming assignee_id). Strings live in the arena. */
int report_summary_get(struct db *db, const struct actor *actor, const struct report_query *q,
                       struct arena *a, struct report_summary *ret, struct kf_error *e);

/* The comparison rows of the tickets q selects grouped by `by`, largest count first. An agent
 * or specialist gets the rows of their own tickets only: by assignee, their own row. */
int report_compare(struct db *db, const struct actor *actor, const struct report_query *q,
                   enum report_by by, struct arena *a, struct report_row **ret, size_t *ret_n,
                   struct kf_error *e);

#endif
