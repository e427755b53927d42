/* reports.c: GET /api/v1/reports/summary and /reports/compare, the team's figures as JSON. */
#include <stdio.h>
#include <string.h>

#include "core/enums.h"
#include "core/report.h"
#include "http/handlers.h"
#include "http/json.h"
#include "lib/banned.h"
#include "lib/jw.h"
#include "lib/ktime.h"

static const int64_t DAY_MS = 86400000;

/* A local date YYYY-MM-DD into *ret_ymd; -1 when s is not one. */
static int parse_date(const char *s, int *ret_ymd)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    int v[3] = {0}, at[3] = {0, 5, 8}, len[3] = {4, 2, 2};
    for (int f = 0; f < 3; f++)
        for (int i = 0; i < len[f]; i++) {
            char c = s[at[f] + i];
            if (c < '0' || c > '9')
                return -1;
            v[f] = v[f] * 10 + (c - '0');
        }
    if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1)
        return -1;
    int64_t first = days_from_civil(v[0], (unsigned)v[1], 1),
            next = v[1] == 12 ? days_from_civil(v[0] + 1, 1, 1)
                              : days_from_civil(v[0], (unsigned)v[1] + 1, 1);
    if (v[2] > next - first)
        return -1;
    *ret_ymd = v[0] * 10000 + v[1] * 100 + v[2];
    return 0;
}

/* The bound `key` into *ret: a local date (from: its first instant; to: the first instant of
 * the day after, the date being inclusive) or an RFC 3339 time. */
static int bound(struct request *req, const char *key, int is_to, int64_t *ret, struct kf_error *e)
{
    const char *v = req_query(req, key);
    int ymd;
    if (!v || !*v)
        return 0;
    if (!parse_date(v, &ymd)) {
        *ret = ktime_day_start(ymd);
        if (is_to)
            *ret = ktime_day_start(ktime_day(*ret + DAY_MS + DAY_MS / 2));
        return 0;
    }
    if (ktime_parse(v, ret))
        return kf_fail(e, KF_EINVAL, key, "must be a date (2023-10-01) or an RFC 3339 time");
    return 0;
}

static int id_param(struct request *req, const char *key, int64_t *ret, struct kf_error *e)
{
    const char *v = req_query(req, key);
    if (!v || !*v)
        return 0;
    if (!strcmp(v, "me") && req->actor.user_id) {
        *ret = req->actor.user_id;
        return 0;
    }
    if (!(*ret = parse_id(v)))
        return kf_fail(e, KF_EINVAL, key, "must be an id");
    return 0;
}

/* Reads the period and filters shared by both reports. */
static int read_query(struct request *req, struct report_query *q, struct kf_error *e)
{
    memset(q, 0, sizeof(*q));
    int64_t now = ktime_now();
    int today = ktime_day(now);
    q->from = ktime_day_start(today / 100 * 100 + 1); /* this month, today included */
    q->to = ktime_day_start(ktime_day(ktime_day_start(today) + DAY_MS + DAY_MS / 2));
    const char *g = req_query(req, "granularity");
    q->channel = req_query(req, "channel");
    q->type = req_query(req, "type");
    int rc;
    if ((rc = bound(req, "from", 0, &q->from, e)) || (rc = bound(req, "to", 1, &q->to, e)))
        return rc;
    if (q->to <= q->from)
        return kf_fail(e, KF_EINVAL, "to", "to must not lie before from");
    if (q->to - q->from > (int64_t)REPORT_MAX_DAYS * DAY_MS + DAY_MS / 24)
        return kf_fail(e, KF_EINVAL, "to", "a report covers at most 366 days");
    if (!g || !*g || !strcmp(g, "day"))
        q->granularity = REPORT_DAY;
    else if (!strcmp(g, "week"))
        q->granularity = REPORT_WEEK;
    else if (!strcmp(g, "month"))
        q->granularity = REPORT_MONTH;
    else
        return kf_fail(e, KF_EINVAL, "granularity", "granularity must be day, week or month");
    if (q->channel && !*q->channel)
        q->channel = NULL;
    if (q->type && !*q->type)
        q->type = NULL;
    if (q->channel && strlen(q->channel) > 32)
        return kf_fail(e, KF_EINVAL, "channel", "no such channel");
    if (q->type && !enum_has(ticket_types, q->type))
        return kf_fail(e, KF_EINVAL, "type", "no such ticket type");
    if ((rc = id_param(req, "department_id", &q->department_id, e)) ||
        (rc = id_param(req, "assignee_id", &q->assignee_id, e)) ||
        (rc = id_param(req, "store_id", &q->store_id, e)))
        return rc;
    return 0;
}

/* A number with `decimals` digits after the point, or null when !has. */
static void num(struct jw *w, const char *key, double v, int decimals, int has)
{
    char buf[48];
    if (key)
        jw_key(w, key);
    if (!has) {
        jw_null(w);
        return;
    }
    snprintf(buf, sizeof(buf), "%.*f", decimals, v);
    if (!strcmp(buf, "-0") || !strncmp(buf, "-0.", 3)) { /* never "-0.0" */
        int zero = 1;
        for (const char *p = buf + 1; *p; p++)
            zero &= *p == '0' || *p == '.';
        if (zero)
            memmove(buf, buf + 1, strlen(buf));
    }
    jw_raw(w, buf);
}

static void render_times(struct jw *w, const char *key, const struct report_times *t)
{
    jw_key(w, key);
    jw_obj_begin(w);
    num(w, "avg_minutes", t->avg_minutes, 1, t->n > 0);
    num(w, "p50_minutes", t->p50_minutes, 1, t->n > 0);
    num(w, "p90_minutes", t->p90_minutes, 1, t->n > 0);
    jw_kint(w, "n", t->n);
    jw_obj_end(w);
}

/* One breakdown: key_name is the row's key ("channel", "type"); id_name its id's
 * ("department_id", "assignee_id") for rows by id. */
static void render_counts(struct jw *w, const char *key, const char *key_name, const char *id_name,
                          const struct report_count *v, size_t n, long total)
{
    jw_key(w, key);
    jw_arr_begin(w);
    for (size_t i = 0; i < n; i++) {
        jw_obj_begin(w);
        if (id_name) {
            jw_key(w, id_name);
            if (v[i].id)
                jw_int(w, v[i].id);
            else
                jw_null(w);
        } else {
            jw_kstr(w, key_name, v[i].key);
        }
        if (v[i].code || id_name)
            jw_kstr(w, "code", v[i].code);
        jw_kstr(w, "name", v[i].name);
        jw_kint(w, "count", v[i].count);
        num(w, "share", total ? (double)v[i].count / (double)total : 0, 4, 1);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

static void render_summary(struct jw *w, const struct report_query *q,
                           const struct report_summary *s)
{
    static const char *const grains[] = {"day", "week", "month"};
    jw_obj_begin(w);
    jw_time(w, "from", q->from);
    jw_time(w, "to", q->to);
    jw_kstr(w, "granularity", grains[q->granularity]);
    jw_key(w, "volume");
    jw_obj_begin(w);
    jw_kint(w, "total", s->total);
    render_counts(w, "by_channel", "channel", NULL, s->by_channel, s->nby_channel, s->total);
    render_counts(w, "by_type", "type", NULL, s->by_type, s->nby_type, s->total);
    render_counts(w, "by_department", NULL, "department_id", s->by_department, s->nby_department,
                  s->total);
    render_counts(w, "by_assignee", NULL, "assignee_id", s->by_assignee, s->nby_assignee, s->total);
    jw_obj_end(w);
    render_times(w, "first_response", &s->first_response);
    render_times(w, "resolution", &s->resolution);
    jw_key(w, "overdue");
    jw_obj_begin(w);
    jw_kint(w, "count", s->overdue);
    jw_key(w, "by_target");
    jw_obj_begin(w);
    jw_kint(w, "accept", s->overdue_accept);
    jw_kint(w, "first_response", s->overdue_first_response);
    jw_kint(w, "resolve", s->overdue_resolve);
    jw_obj_end(w);
    jw_obj_end(w);
    jw_key(w, "sla_attainment");
    jw_obj_begin(w);
    num(w, "first_response", s->fr_decided ? (double)s->fr_met / (double)s->fr_decided : 0, 4,
        s->fr_decided > 0);
    num(w, "resolve", s->res_decided ? (double)s->res_met / (double)s->res_decided : 0, 4,
        s->res_decided > 0);
    jw_obj_end(w);
    jw_key(w, "top_issues");
    jw_arr_begin(w);
    for (size_t i = 0; i < s->ntop_issues; i++) {
        jw_obj_begin(w);
        jw_kstr(w, "category", s->top_issues[i].code);
        jw_kint(w, "category_id", s->top_issues[i].id);
        jw_kstr(w, "name", s->top_issues[i].name);
        jw_kint(w, "count", s->top_issues[i].count);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "satisfaction");
    jw_obj_begin(w);
    jw_kint(w, "n", s->sat_n);
    num(w, "avg_score", s->sat_n ? s->sat_sum / (double)s->sat_n : 0, 2, s->sat_n > 0);
    /* the team's default four levels (5, 4, 3, and 1 or 2: what the surveys call unsatisfied),
     * then each score */
    jw_key(w, "distribution");
    jw_obj_begin(w);
    jw_kint(w, "very_satisfied", s->sat_dist[5]);
    jw_kint(w, "satisfied", s->sat_dist[4]);
    jw_kint(w, "average", s->sat_dist[3]);
    jw_kint(w, "unsatisfied", s->sat_dist[1] + s->sat_dist[2]);
    jw_obj_end(w);
    jw_key(w, "by_score");
    jw_obj_begin(w);
    for (int k = 1; k <= 5; k++)
        jw_kint(w, (const char *[]){"1", "2", "3", "4", "5"}[k - 1], s->sat_dist[k]);
    jw_obj_end(w);
    jw_key(w, "trend");
    jw_arr_begin(w);
    for (size_t i = 0; i < s->nseries; i++) {
        const struct report_period *p = &s->series[i];
        jw_obj_begin(w);
        jw_kstr(w, "period", p->label);
        num(w, "avg_score", p->score_n ? p->score_sum / (double)p->score_n : 0, 2, p->score_n > 0);
        jw_kint(w, "n", p->score_n);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
    jw_key(w, "series");
    jw_arr_begin(w);
    for (size_t i = 0; i < s->nseries; i++) {
        const struct report_period *p = &s->series[i];
        jw_obj_begin(w);
        jw_kstr(w, "period", p->label);
        jw_time(w, "start", p->start);
        jw_kint(w, "created", p->created);
        jw_kint(w, "resolved", p->resolved);
        jw_kint(w, "overdue", p->overdue);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "correlation");
    jw_obj_begin(w);
    jw_key(w, "first_response_vs_score");
    jw_obj_begin(w);
    jw_kint(w, "n", s->corr_n);
    num(w, "pearson", s->pearson, 4, s->has_pearson);
    jw_key(w, "buckets");
    jw_arr_begin(w);
    for (int b = 0; b < REPORT_BUCKETS; b++) {
        jw_obj_begin(w);
        jw_key(w, "max_minutes");
        if (report_bucket_max[b])
            jw_int(w, report_bucket_max[b]);
        else
            jw_null(w);
        num(w, "avg_score", s->bucket_n[b] ? s->bucket_sum[b] / (double)s->bucket_n[b] : 0, 2,
            s->bucket_n[b] > 0);
        jw_kint(w, "n", s->bucket_n[b]);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
    jw_obj_end(w);
    jw_obj_end(w);
}

int h_report_summary(struct request *req, struct response *resp)
{
    struct report_query q;
    struct report_summary s;
    struct kf_error e = {0};
    int rc = read_query(req, &q, &e);
    if (!rc)
        rc = report_summary_get(req->db, &req->actor, &q, req->arena, &s, &e);
    if (rc)
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    render_summary(&w, &q, &s);
    return 200;
}

int h_report_compare(struct request *req, struct response *resp)
{
    static const char *const bys[] = {"type", "assignee", "channel", "department"};
    struct report_query q;
    struct kf_error e = {0};
    int rc = read_query(req, &q, &e);
    const char *by = req_query(req, "by");
    int b = by ? -1 : REPORT_BY_ASSIGNEE;
    for (int i = 0; by && i < 4; i++)
        if (!strcmp(by, bys[i]))
            b = i;
    if (!rc && b < 0)
        rc = kf_fail(&e, KF_EINVAL, "by", "by must be type, assignee, channel or department");
    struct report_row *v = NULL;
    size_t n = 0;
    if (!rc)
        rc = report_compare(req->db, &req->actor, &q, (enum report_by)b, req->arena, &v, &n, &e);
    if (rc)
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_kstr(&w, "by", bys[b]);
    jw_time(&w, "from", q.from);
    jw_time(&w, "to", q.to);
    jw_key(&w, "rows");
    jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++) {
        const struct report_row *r = &v[i];
        jw_obj_begin(&w);
        jw_key(&w, "key");
        if (r->key)
            jw_str(&w, r->key);
        else if (r->id)
            jw_int(&w, r->id);
        else
            jw_null(&w);
        jw_kstr(&w, "name", r->name);
        jw_kint(&w, "count", r->count);
        num(&w, "avg_first_response_minutes", r->fr_n ? r->fr_sum_min / (double)r->fr_n : 0, 1,
            r->fr_n > 0);
        num(&w, "avg_resolution_minutes", r->res_n ? r->res_sum_min / (double)r->res_n : 0, 1,
            r->res_n > 0);
        jw_kint(&w, "overdue", r->overdue);
        num(&w, "avg_score", r->score_n ? r->score_sum / (double)r->score_n : 0, 2, r->score_n > 0);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    return 200;
}
