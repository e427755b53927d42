/* report.c: the summary and the comparison of a period, computed exactly from the tickets
 * created in it (an index range in creation order, migration 021) and their answered surveys. */
#include "core/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/actor.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "store/db.h"

const int report_bucket_max[REPORT_BUCKETS] = {5, 15, 30, 60, 120, 240, 480, 1440, 0};

static const double MINUTE_MS = 60000.0;

/* ---- the arithmetic ---- */

/* The index of the p-th percentile's value among n sorted values (n > 0): ceil(p * n / 100)
 * - 1, within the array. */
static size_t rank_index(size_t n, int p)
{
    size_t rank = ((size_t)p * n + 99) / 100;
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return rank - 1;
}

int64_t report_percentile(const int64_t *v, size_t n, int p)
{
    return n ? v[rank_index(n, p)] : 0;
}

/* Moves the k-th smallest of v[lo..hi] to v[k], with none larger before it and none smaller
 * after it (Hoare's selection, median of three): what sorting would put there, in linear time. */
static void select_kth(int64_t *v, int64_t lo, int64_t hi, int64_t k)
{
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int64_t a = v[lo], b = v[mid], c = v[hi];
        int64_t pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                int64_t t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        /* now v[lo..j] <= pivot <= v[i..hi], and v[j+1..i-1] equal the pivot */
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

/* The p-th percentile of the n values v in any order (reordered), as report_percentile would
 * answer once they were sorted. */
static int64_t percentile_unsorted(int64_t *v, size_t n, int p)
{
    if (!n)
        return 0;
    size_t k = rank_index(n, p);
    select_kth(v, 0, (int64_t)n - 1, (int64_t)k);
    return v[k];
}

int report_pearson(const double *x, const double *y, size_t n, double *ret)
{
    if (n < 2)
        return KF_EINVAL;
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++)
        mx += x[i], my += y[i];
    mx /= (double)n, my /= (double)n;
    double sxy = 0, sxx = 0, syy = 0; /* about the means: no cancellation of large sums */
    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxy += dx * dy, sxx += dx * dx, syy += dy * dy;
    }
    if (sxx <= 0 || syy <= 0)
        return KF_EINVAL;
    double r = sxy / sqrt(sxx * syy);
    *ret = r > 1 ? 1 : r < -1 ? -1 : r;
    return 0;
}

int report_bucket(double minutes)
{
    for (int i = 0; i < REPORT_BUCKETS - 1; i++)
        if (minutes <= report_bucket_max[i])
            return i;
    return REPORT_BUCKETS - 1;
}

/* The proleptic Gregorian date of day `days` since 1970-01-01 as YYYYMMDD. */
static int civil_from_days(int64_t days)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return (int)((y + (m <= 2)) * 10000 + m * 100 + d);
}

static int64_t days_of(int ymd)
{
    return days_from_civil(ymd / 10000, (unsigned)(ymd / 100 % 100), (unsigned)(ymd % 100));
}

/* The first local day of the period of granularity g holding the local day ymd, and the first
 * day of the next period. */
static int period_first(int ymd, enum report_granularity g)
{
    if (g == REPORT_MONTH)
        return ymd / 100 * 100 + 1;
    if (g == REPORT_WEEK) {
        int64_t days = days_of(ymd);
        int64_t monday = days - ((days % 7 + 7 + 3) % 7); /* 1970-01-01 was a Thursday */
        return civil_from_days(monday);
    }
    return ymd;
}

static int period_next(int ymd, enum report_granularity g)
{
    if (g == REPORT_MONTH) {
        int y = ymd / 10000, m = ymd / 100 % 100;
        return m == 12 ? (y + 1) * 10000 + 101 : y * 10000 + (m + 1) * 100 + 1;
    }
    return civil_from_days(days_of(ymd) + (g == REPORT_WEEK ? 7 : 1));
}

int report_periods(int64_t from, int64_t to, enum report_granularity g, struct arena *a,
                   struct report_period **ret, size_t *ret_n)
{
    if (to <= from)
        return KF_EINVAL;
    size_t n = 0, cap = 0;
    struct report_period *v = NULL;
    for (int ymd = period_first(ktime_day(from), g);; ymd = period_next(ymd, g)) {
        int64_t start = ktime_day_start(ymd);
        if (n && start >= to)
            break;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            struct report_period *w = arena_alloc(a, ncap * sizeof(*w));
            if (n)
                memcpy(w, v, n * sizeof(*w));
            v = w, cap = ncap;
        }
        struct report_period *p = &v[n++];
        memset(p, 0, sizeof(*p));
        p->start = start;
        int y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;
        char *o = p->label; /* digits only: no snprintf truncation to reason about */
        o[0] = (char)('0' + y / 1000 % 10), o[1] = (char)('0' + y / 100 % 10);
        o[2] = (char)('0' + y / 10 % 10), o[3] = (char)('0' + y % 10), o[4] = '-';
        o[5] = (char)('0' + m / 10), o[6] = (char)('0' + m % 10);
        if (g == REPORT_MONTH) {
            o[7] = '\0';
        } else {
            o[7] = '-', o[8] = (char)('0' + d / 10), o[9] = (char)('0' + d % 10), o[10] = '\0';
        }
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

long report_period_of(const struct report_period *p, size_t n, int64_t t)
{
    size_t lo = 0, hi = n; /* the first period starting after t */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p[mid].start <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (long)lo - 1;
}

/* ---- names ---- */

struct name {
    int64_t id;
    const char *key, *code, *name;
};
struct names {
    struct name *v;
    size_t n;
};

/* Reads rows of (id, code, name), (id, name) or (code, name) from statement id. */
static int read_names(struct db *db, enum sql_id id, int shape, struct arena *a, struct names *ret)
{
    struct stmt *st = db_stmt(db, id);
    size_t cap = 0;
    int rc;
    ret->v = NULL, ret->n = 0;
    while ((rc = st_step(st)) == 1) {
        if (ret->n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            struct name *w = arena_alloc(a, ncap * sizeof(*w));
            if (ret->n)
                memcpy(w, ret->v, ret->n * sizeof(*w));
            ret->v = w, cap = ncap;
        }
        struct name *x = &ret->v[ret->n++];
        memset(x, 0, sizeof(*x));
        if (shape == 2) { /* code, name */
            x->key = arena_strdup(a, col_text(st, 0));
            x->name = arena_strdup(a, col_text(st, 1));
        } else {
            x->id = col_int(st, 0);
            if (shape == 3)
                x->code = arena_strdup(a, col_text(st, 1));
            x->name = arena_strdup(a, col_text(st, shape == 3 ? 2 : 1));
        }
    }
    st_reset(st);
    return rc < 0 ? rc : 0;
}

static const struct name *name_of_id(const struct names *ns, int64_t id)
{
    size_t lo = 0, hi = ns->n; /* read in id order */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ns->v[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ns->n && ns->v[lo].id == id ? &ns->v[lo] : NULL;
}

static const struct name *name_of_key(const struct names *ns, const char *key)
{
    for (size_t i = 0; key && i < ns->n; i++)
        if (!strcmp(ns->v[i].key, key))
            return &ns->v[i];
    return NULL;
}

/* ---- tallies: counts by a string key or an id ---- */

struct tally {
    struct report_count *v;
    size_t n, cap;
    /* for ids: the index + 1 of each id below nslot (0: not seen), so that a million tickets
     * find their agent without a search */
    int32_t *slot;
    int64_t nslot;
};

static void tally_init_ids(struct tally *t, const struct names *ns, struct arena *a)
{
    memset(t, 0, sizeof(*t));
    t->nslot = (ns->n ? ns->v[ns->n - 1].id : 0) + 1;
    t->slot = arena_alloc(a, (size_t)t->nslot * sizeof(*t->slot));
    memset(t->slot, 0, (size_t)t->nslot * sizeof(*t->slot));
}

static size_t tally_push(struct tally *t, struct arena *a)
{
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 16;
        struct report_count *w = arena_alloc(a, ncap * sizeof(*w));
        if (t->n)
            memcpy(w, t->v, t->n * sizeof(*w));
        t->v = w, t->cap = ncap;
    }
    memset(&t->v[t->n], 0, sizeof(t->v[t->n]));
    return t->n++;
}

/* The index of key (a new row if unseen). */
static size_t tally_key(struct tally *t, struct arena *a, const char *key)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->v[i].key, key ? key : ""))
            return i;
    size_t i = tally_push(t, a);
    t->v[i].key = arena_strdup(a, key ? key : "");
    return i;
}

/* The index of id (0: none; a new row if unseen). */
static size_t tally_id(struct tally *t, struct arena *a, int64_t id)
{
    if (id >= 0 && id < t->nslot && t->slot[id])
        return (size_t)t->slot[id] - 1;
    if (id < 0 || id >= t->nslot)
        for (size_t i = 0; i < t->n; i++)
            if (t->v[i].id == id)
                return i;
    size_t i = tally_push(t, a);
    t->v[i].id = id;
    if (id >= 0 && id < t->nslot)
        t->slot[id] = (int32_t)i + 1;
    return i;
}

static int by_count_desc(const void *pa, const void *pb)
{
    const struct report_count *x = pa, *y = pb;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    if (x->key && y->key)
        return strcmp(x->key, y->key);
    return x->id < y->id ? -1 : x->id > y->id;
}

/* ---- the scan ---- */

/* One ticket as the scan keeps it, for what needs a second pass: percentiles, the scores. */
struct row {
    int64_t id, fr_ms; /* fr_ms -1: no first response */
    int32_t period;
    int32_t group; /* the comparison row */
};

struct scan {
    struct row *rows;
    size_t n, cap;
    int64_t *fr, *res; /* the times, ms */
    size_t nfr, nres;
};

/* 1 when the breached targets (one per line) hold target. */
static int breached(const char *list, const char *target)
{
    size_t len = strlen(target);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && !memcmp(p, target, len))
            return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

static int unfiltered(const struct report_query *q)
{
    return !q->channel && !q->type && !q->department_id && !q->assignee_id && !q->store_id;
}

/* The statement of the period's tickets (resolved: of its resolutions) with q bound; without
 * filters, the one that tests nothing per row. */
static struct stmt *query_stmt(struct db *db, const struct report_query *q, int resolved)
{
    int all = unfiltered(q);
    struct stmt *st = db_stmt(db, resolved ? (all ? SQL_report_resolved_all : SQL_report_resolved)
                                           : (all ? SQL_report_tickets_all : SQL_report_tickets));
    st_int(st, 1, q->from);
    st_int(st, 2, q->to);
    if (all)
        return st;
    st_text(st, 3, q->channel ? q->channel : "");
    st_text(st, 4, q->type ? q->type : "");
    st_int(st, 5, q->department_id);
    st_int(st, 6, q->assignee_id);
    st_int(st, 7, q->store_id);
    return st;
}

/* What a scan does with each ticket besides keeping its row. */
struct scan_sink {
    struct report_summary *sum; /* NULL for a comparison */
    struct tally *channel, *type, *dept, *user, *cat;
    struct report_period *periods;
    size_t nperiods;
    /* a comparison: the tally rows are the groups, and their sums */
    enum report_by by;
    struct tally *groups;
    struct report_row **grows;
    size_t *ngrows;
};

static void *grow(struct arena *a, void *v, size_t n, size_t *cap, size_t sz)
{
    if (n < *cap)
        return v;
    size_t ncap = *cap ? *cap * 2 : 1024;
    void *w = arena_alloc(a, ncap * sz);
    if (n)
        memcpy(w, v, n * sz);
    *cap = ncap;
    return w;
}

enum {
    C_ID,
    C_CREATED,
    C_CHANNEL,
    C_TYPE,
    C_DEPT,
    C_USER,
    C_CATEGORY,
    C_POLICY,
    C_RAISED,
    C_FIRST_RESPONSE,
    C_RESOLVED,
    C_BREACHED
};

static int scan_tickets(struct db *db, const struct report_query *q, struct arena *a,
                        struct scan *s, struct scan_sink *k)
{
    struct stmt *st = query_stmt(db, q, 0);
    size_t frcap = 0, rescap = 0;
    int rc;
    struct report_summary *sum = k->sum;
    while ((rc = st_step(st)) == 1) {
        s->rows = grow(a, s->rows, s->n, &s->cap, sizeof(*s->rows));
        struct row *r = &s->rows[s->n++];
        r->id = col_int(st, C_ID);
        r->period = 0;
        r->group = 0;
        int64_t raised = col_int(st, C_RAISED), first = col_int(st, C_FIRST_RESPONSE),
                resolved = col_int(st, C_RESOLVED);
        int has_policy = !col_is_null(st, C_POLICY);
        const char *br = col_text(st, C_BREACHED);
        int b_acc = breached(br, "accept"), b_fr = breached(br, "first_response"),
            b_res = breached(br, "resolve"), overdue = b_acc || b_fr || b_res;
        r->fr_ms = first ? (first > raised ? first - raised : 0) : -1;
        int64_t res_ms = resolved ? (resolved > raised ? resolved - raised : 0) : -1;
        if (r->fr_ms >= 0) {
            s->fr = grow(a, s->fr, s->nfr, &frcap, sizeof(*s->fr));
            s->fr[s->nfr++] = r->fr_ms;
        }
        if (res_ms >= 0) {
            s->res = grow(a, s->res, s->nres, &rescap, sizeof(*s->res));
            s->res[s->nres++] = res_ms;
        }
        if (sum) {
            sum->total++;
            /* (the index first: finding it may move the rows) */
            size_t i = tally_key(k->channel, a, col_text(st, C_CHANNEL));
            k->channel->v[i].count++;
            i = tally_key(k->type, a, col_text(st, C_TYPE));
            k->type->v[i].count++;
            i = tally_id(k->dept, a, col_int(st, C_DEPT));
            k->dept->v[i].count++;
            i = tally_id(k->user, a, col_int(st, C_USER));
            k->user->v[i].count++;
            if (!col_is_null(st, C_CATEGORY)) {
                i = tally_id(k->cat, a, col_int(st, C_CATEGORY));
                k->cat->v[i].count++;
            }
            sum->overdue += overdue;
            sum->overdue_accept += b_acc;
            sum->overdue_first_response += b_fr;
            sum->overdue_resolve += b_res;
            if (b_fr || (has_policy && first)) {
                sum->fr_decided++;
                sum->fr_met += !b_fr;
            }
            if (b_res || (has_policy && resolved)) {
                sum->res_decided++;
                sum->res_met += !b_res;
            }
            long p = report_period_of(k->periods, k->nperiods, col_int(st, C_CREATED));
            r->period = (int32_t)(p < 0 ? 0 : p);
            k->periods[r->period].created++;
            k->periods[r->period].overdue += overdue;
        } else {
            size_t g;
            switch (k->by) {
            case REPORT_BY_TYPE:
                g = tally_key(k->groups, a, col_text(st, C_TYPE));
                break;
            case REPORT_BY_CHANNEL:
                g = tally_key(k->groups, a, col_text(st, C_CHANNEL));
                break;
            case REPORT_BY_DEPARTMENT:
                g = tally_id(k->groups, a, col_int(st, C_DEPT));
                break;
            default:
                g = tally_id(k->groups, a, col_int(st, C_USER));
                break;
            }
            if (g >= *k->ngrows) { /* a new group: its sums */
                size_t cap = *k->ngrows, ncap = k->groups->cap;
                struct report_row *w = arena_alloc(a, ncap * sizeof(*w));
                if (cap)
                    memcpy(w, *k->grows, cap * sizeof(*w));
                memset(w + cap, 0, (ncap - cap) * sizeof(*w));
                *k->grows = w, *k->ngrows = ncap;
            }
            struct report_row *gr = &(*k->grows)[g];
            r->group = (int32_t)g;
            gr->count++;
            gr->overdue += overdue;
            if (r->fr_ms >= 0)
                gr->fr_n++, gr->fr_sum_min += (double)r->fr_ms / MINUTE_MS;
            if (res_ms >= 0)
                gr->res_n++, gr->res_sum_min += (double)res_ms / MINUTE_MS;
        }
    }
    st_reset(st);
    return rc < 0 ? rc : 0;
}

static int by_row_id(const void *pa, const void *pb)
{
    int64_t x = ((const struct row *)pa)->id, y = ((const struct row *)pb)->id;
    return x < y ? -1 : x > y;
}

static struct row *row_of(struct scan *s, int64_t id)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->rows[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->rows[lo].id == id ? &s->rows[lo] : NULL;
}

/* Calls each(ticket row, score) once per scanned ticket with an answered survey, with the
 * score of its last answered round. Sorts s->rows by id. */
static int read_scores(struct db *db, struct scan *s, void (*each)(struct row *, int, void *),
                       void *arg)
{
    if (!s->n)
        return 0;
    int sorted = 1;
    for (size_t i = 1; i < s->n && sorted; i++)
        sorted = s->rows[i - 1].id < s->rows[i].id;
    if (!sorted)
        qsort(s->rows, s->n, sizeof(*s->rows), by_row_id);
    struct stmt *st = db_stmt(db, SQL_report_scores);
    st_int(st, 1, s->rows[0].id);
    st_int(st, 2, s->rows[s->n - 1].id);
    int rc;
    struct row *cur = NULL;
    int64_t cur_id = 0;
    int score = 0;
    while ((rc = st_step(st)) == 1) {
        int64_t id = col_int(st, 0);
        if (id != cur_id) {
            if (cur)
                each(cur, score, arg);
            cur_id = id;
            cur = row_of(s, id);
        }
        score = (int)col_int(st, 1);
    }
    if (cur && rc == 0)
        each(cur, score, arg);
    st_reset(st);
    return rc < 0 ? rc : 0;
}

/* ---- the summary ---- */

struct pairs {
    struct report_summary *sum;
    struct arena *a;
    double *x, *y;
    size_t n, cap;
};

static void summary_score(struct row *r, int score, void *arg)
{
    struct pairs *p = arg;
    struct report_summary *sum = p->sum;
    if (score < 1 || score > 5)
        return;
    sum->sat_n++;
    sum->sat_sum += score;
    sum->sat_dist[score]++;
    sum->series[r->period].score_n++;
    sum->series[r->period].score_sum += score;
    if (r->fr_ms < 0)
        return;
    double minutes = (double)r->fr_ms / MINUTE_MS;
    if (p->n == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 1024;
        double *x = arena_alloc(p->a, ncap * sizeof(*x)), *y = arena_alloc(p->a, ncap * sizeof(*y));
        if (p->n)
            memcpy(x, p->x, p->n * sizeof(*x)), memcpy(y, p->y, p->n * sizeof(*y));
        p->x = x, p->y = y, p->cap = ncap;
    }
    p->x[p->n] = minutes, p->y[p->n++] = score;
    int b = report_bucket(minutes);
    sum->bucket_n[b]++;
    sum->bucket_sum[b] += score;
}

static void times(int64_t *v, size_t n, struct report_times *t)
{
    t->n = (long)n;
    if (!n)
        return;
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += (double)v[i];
    t->avg_minutes = total / (double)n / MINUTE_MS;
    /* p90 first: selecting it leaves the smaller values before it, where p50 lies */
    t->p90_minutes = (double)percentile_unsorted(v, n, 90) / MINUTE_MS;
    size_t k90 = rank_index(n, 90), k50 = rank_index(n, 50);
    select_kth(v, 0, (int64_t)k90, (int64_t)k50);
    t->p50_minutes = (double)v[k50] / MINUTE_MS;
}

/* Sorts the tally and gives each row its code and name. */
static void tally_finish(struct tally *t, const struct names *ns, int by_id, size_t keep,
                         struct report_count **ret, size_t *ret_n)
{
    if (t->n)
        qsort(t->v, t->n, sizeof(*t->v), by_count_desc);
    for (size_t i = 0; i < t->n; i++) {
        const struct name *x = by_id ? name_of_id(ns, t->v[i].id) : name_of_key(ns, t->v[i].key);
        if (x)
            t->v[i].code = x->code, t->v[i].name = x->name;
    }
    *ret = t->v;
    *ret_n = keep && t->n > keep ? keep : t->n;
}

/* Applies the caller's role to q: an agent's reports are of their own tickets. */
static int scope(const struct actor *actor, const struct report_query *q, struct report_query *ret,
                 struct kf_error *e)
{
    if (!actor || actor->role < ROLE_AGENT)
        return KF_EFORBIDDEN;
    *ret = *q;
    if (role_is_lead(actor->role))
        return 0;
    if (q->assignee_id && q->assignee_id != actor->user_id)
        return kf_fail(e, KF_EFORBIDDEN, "assignee_id",
                       "an agent's reports are of their own tickets only");
    ret->assignee_id = actor->user_id;
    return 0;
}

int report_summary_get(struct db *db, const struct actor *actor, const struct report_query *query,
                       struct arena *a, struct report_summary *ret, struct kf_error *e)
{
    struct report_query q;
    int rc = scope(actor, query, &q, e);
    if (rc)
        return rc;
    struct report_summary sum;
    memset(&sum, 0, sizeof(sum));
    if ((rc = report_periods(q.from, q.to, q.granularity, a, &sum.series, &sum.nseries)))
        return kf_fail(e, rc, "to", "to must lie after from");
    struct names channels, depts, users, cats;
    if ((rc = read_names(db, SQL_report_channels, 2, a, &channels)) ||
        (rc = read_names(db, SQL_report_departments, 3, a, &depts)) ||
        (rc = read_names(db, SQL_report_users, 1, a, &users)) ||
        (rc = read_names(db, SQL_report_categories, 3, a, &cats)))
        return rc;
    struct tally tc = {0}, tt = {0}, td, tu, tk;
    tally_init_ids(&td, &depts, a);
    tally_init_ids(&tu, &users, a);
    tally_init_ids(&tk, &cats, a);
    struct scan s = {0};
    struct scan_sink k = {.sum = &sum,
                          .channel = &tc,
                          .type = &tt,
                          .dept = &td,
                          .user = &tu,
                          .cat = &tk,
                          .periods = sum.series,
                          .nperiods = sum.nseries};
    if ((rc = scan_tickets(db, &q, a, &s, &k)))
        return rc;
    /* resolutions in the period, whenever their tickets were created */
    struct stmt *st = query_stmt(db, &q, 1);
    while ((rc = st_step(st)) == 1) {
        long p = report_period_of(sum.series, sum.nseries, col_int(st, 0));
        if (p >= 0)
            sum.series[p].resolved++;
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    struct pairs pr = {.sum = &sum, .a = a};
    if ((rc = read_scores(db, &s, summary_score, &pr)))
        return rc;
    sum.corr_n = (long)pr.n;
    sum.has_pearson = !report_pearson(pr.x, pr.y, pr.n, &sum.pearson);
    times(s.fr, s.nfr, &sum.first_response);
    times(s.res, s.nres, &sum.resolution);
    tally_finish(&tc, &channels, 0, 0, &sum.by_channel, &sum.nby_channel);
    struct names none = {0}; /* types have no names of their own here */
    tally_finish(&tt, &none, 0, 0, &sum.by_type, &sum.nby_type);
    tally_finish(&td, &depts, 1, 0, &sum.by_department, &sum.nby_department);
    tally_finish(&tu, &users, 1, 0, &sum.by_assignee, &sum.nby_assignee);
    tally_finish(&tk, &cats, 1, REPORT_TOP_ISSUES, &sum.top_issues, &sum.ntop_issues);
    *ret = sum;
    return 0;
}

/* ---- the comparison ---- */

static void compare_score(struct row *r, int score, void *arg)
{
    struct report_row *rows = arg;
    if (score < 1 || score > 5)
        return;
    rows[r->group].score_n++;
    rows[r->group].score_sum += score;
}

static int by_row_count_desc(const void *pa, const void *pb)
{
    const struct report_row *x = pa, *y = pb;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    if (x->key && y->key)
        return strcmp(x->key, y->key);
    return x->id < y->id ? -1 : x->id > y->id;
}

int report_compare(struct db *db, const struct actor *actor, const struct report_query *query,
                   enum report_by by, struct arena *a, struct report_row **ret, size_t *ret_n,
                   struct kf_error *e)
{
    struct report_query q;
    int rc = scope(actor, query, &q, e);
    if (rc)
        return rc;
    if (q.to <= q.from)
        return kf_fail(e, KF_EINVAL, "to", "to must lie after from");
    struct names ns;
    enum sql_id names_sql = by == REPORT_BY_ASSIGNEE     ? SQL_report_users
                            : by == REPORT_BY_DEPARTMENT ? SQL_report_departments
                                                         : SQL_report_channels;
    int shape = by == REPORT_BY_ASSIGNEE ? 1 : by == REPORT_BY_DEPARTMENT ? 3 : 2;
    if ((rc = read_names(db, names_sql, shape, a, &ns)))
        return rc;
    struct tally groups = {0};
    int by_id = by == REPORT_BY_ASSIGNEE || by == REPORT_BY_DEPARTMENT;
    if (by_id)
        tally_init_ids(&groups, &ns, a);
    struct report_row *rows = NULL;
    size_t nrows = 0;
    struct scan s = {0};
    struct scan_sink k = {.by = by, .groups = &groups, .grows = &rows, .ngrows = &nrows};
    if ((rc = scan_tickets(db, &q, a, &s, &k)) || (rc = read_scores(db, &s, compare_score, rows)))
        return rc;
    for (size_t i = 0; i < groups.n; i++) {
        struct report_row *r = &rows[i];
        const struct report_count *c = &groups.v[i];
        r->key = c->key, r->id = c->id;
        if (by == REPORT_BY_TYPE) {
            r->name = NULL;
        } else {
            const struct name *x = by_id ? name_of_id(&ns, c->id) : name_of_key(&ns, c->key);
            r->name = x ? x->name : NULL;
        }
    }
    if (groups.n)
        qsort(rows, groups.n, sizeof(*rows), by_row_count_desc);
    *ret = rows;
    *ret_n = groups.n;
    return 0;
}
