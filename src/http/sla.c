/* sla.c: handlers of calendars, SLA policies and notifications. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"
#include "core/notify.h"
#include "core/sla.h"
#include "http/handlers.h"
#include "http/json.h"
#include "lib/banned.h"
#include "lib/jw.h"

static const char *const weekdays[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* ---- calendars ---- */

/* "2023-10-02" → 20231002; 0 when it is not of that form. */
static int parse_day(const char *s)
{
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || s[4] != '-' ||
        s[7] != '-')
        return 0;
    return y * 10000 + m * 100 + d;
}

static int read_days(struct request *req, json_t *o, const char *key, const int **ret,
                     size_t *ret_n, int *given, struct kf_error *e)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_array(v) || json_array_size(v) > CALENDAR_DAYS_MAX)
        return kf_fail(e, KF_EINVAL, key, "must be an array of dates such as \"2023-10-02\"");
    int *days = arena_alloc(req->arena, (json_array_size(v) + 1) * sizeof(int));
    size_t i, n = 0;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        int d = json_is_string(x) ? parse_day(json_string_value(x)) : 0;
        if (!d || !calendar_day_valid(d))
            return kf_fail(e, KF_EINVAL, key, "must be an array of dates such as \"2023-10-02\"");
        days[n++] = d;
    }
    *ret = days;
    *ret_n = n;
    *given = 1;
    return 0;
}

static int read_hours(struct request *req, json_t *h, struct biz_calendar *out, struct kf_error *e)
{
    if (!json_is_object(h))
        return kf_fail(e, KF_EINVAL, "hours", "must be an object of weekdays (mon ... sun)");
    const struct {
        const char *key;
        int *nspans;
    } days[7] = {
        {"mon", &out->nspans[0]}, {"tue", &out->nspans[1]}, {"wed", &out->nspans[2]},
        {"thu", &out->nspans[3]}, {"fri", &out->nspans[4]}, {"sat", &out->nspans[5]},
        {"sun", &out->nspans[6]},
    };
    const char *key;
    json_t *v;
    json_object_foreach(h, key, v)
    {
        int d = 0;
        while (d < 7 && strcmp(days[d].key, key))
            d++;
        const char *field = arena_printf(req->arena, "hours.%s", key);
        if (d == 7)
            return kf_fail(e, KF_EINVAL, field, "weekdays are mon, tue, wed, thu, fri, sat, sun");
        if (!json_is_array(v) || json_array_size(v) > BIZ_SPANS_MAX)
            return kf_fail(e, KF_EINVAL, field,
                           "must be up to 4 spans such as [[\"09:00\", \"18:00\"]]");
        size_t i;
        json_t *span;
        json_array_foreach(v, i, span)
        {
            int s, t;
            json_t *a = json_array_get(span, 0), *b = json_array_get(span, 1);
            if (!json_is_array(span) || json_array_size(span) != 2 || !json_is_string(a) ||
                !json_is_string(b) || biz_parse_hhmm(json_string_value(a), &s) ||
                biz_parse_hhmm(json_string_value(b), &t))
                return kf_fail(e, KF_EINVAL, field, "a span is [\"HH:MM\", \"HH:MM\"]");
            out->spans[d][i].start = s;
            out->spans[d][i].end = t;
        }
        *days[d].nspans = (int)json_array_size(v);
    }
    return 0;
}

static int read_calendar(struct request *req, json_t *o, struct calendar_input *in,
                         struct kf_error *e)
{
    int rc;
    if (jstr(req, o, "name", &in->name, e) < 0 || jstr(req, o, "time_zone", &in->time_zone, e) < 0)
        return KF_EINVAL;
    json_t *h = json_object_get(o, "hours");
    if (h) {
        in->has_hours = 1;
        if ((rc = read_hours(req, h, &in->hours, e)))
            return rc;
    }
    const struct {
        const char *key;
        const int **days;
        size_t *n;
        int *given;
    } lists[] = {
        {"holidays", &in->holidays, &in->nholidays, &in->has_holidays},
        {"extra_workdays", &in->workdays, &in->nworkdays, &in->has_workdays},
    };
    for (size_t i = 0; i < 2; i++)
        if ((rc = read_days(req, o, lists[i].key, lists[i].days, lists[i].n, lists[i].given, e)))
            return rc;
    return 0;
}

static void hhmm(struct jw *w, int minutes)
{
    char buf[8];
    snprintf(buf, sizeof(buf), "%02d:%02d", minutes / 60 % 100, minutes % 60);
    jw_str(w, buf);
}

static void days(struct jw *w, const char *key, const int *v, size_t n)
{
    jw_key(w, key);
    jw_arr_begin(w);
    for (size_t i = 0; i < n; i++) {
        char buf[16];
        snprintf(buf, sizeof(buf), "%04d-%02d-%02d", v[i] / 10000 % 10000, v[i] / 100 % 100,
                 v[i] % 100);
        jw_str(w, buf);
    }
    jw_arr_end(w);
}

static void render_calendar(struct jw *w, const struct calendar *c)
{
    jw_obj_begin(w);
    jw_kint(w, "id", c->id);
    jw_kstr(w, "name", c->name);
    jw_kstr(w, "time_zone", c->time_zone);
    jw_key(w, "hours");
    jw_obj_begin(w);
    for (int d = 0; d < 7; d++) {
        jw_key(w, weekdays[d]);
        jw_arr_begin(w);
        for (int i = 0; i < c->biz.nspans[d]; i++) {
            jw_arr_begin(w);
            hhmm(w, c->biz.spans[d][i].start);
            hhmm(w, c->biz.spans[d][i].end);
            jw_arr_end(w);
        }
        jw_arr_end(w);
    }
    jw_obj_end(w);
    days(w, "holidays", c->biz.holidays, c->biz.nholidays);
    days(w, "extra_workdays", c->biz.workdays, c->biz.nworkdays);
    jw_time(w, "created_at", c->created_at);
    jw_time(w, "updated_at", c->updated_at);
    jw_obj_end(w);
}

static int calendar_write(struct request *req, struct response *resp, int64_t id)
{
    json_t *o;
    struct calendar_input in = {0};
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    rc = read_calendar(req, o, &in, &e);
    json_decref(o);
    if (rc)
        return reply_error(resp, rc, &e);
    struct calendar c;
    rc = id ? calendar_update(req->db, &req->actor, id, &in, req->arena, &c, &e)
            : calendar_create(req->db, &req->actor, &in, req->arena, &c, &e);
    if (rc)
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    render_calendar(&w, &c);
    return id ? 200 : 201;
}

int h_calendars_create(struct request *req, struct response *resp)
{
    return calendar_write(req, resp, 0);
}

int h_calendar_patch(struct request *req, struct response *resp)
{
    int64_t id = param_id(req, 0);
    return id ? calendar_write(req, resp, id) : reply_error(resp, KF_ENOTFOUND, NULL);
}

int h_calendar_get(struct request *req, struct response *resp)
{
    struct calendar c;
    int64_t id = param_id(req, 0);
    int rc = id ? calendar_get(req->db, id, req->arena, &c) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    render_calendar(&w, &c);
    return 200;
}

int h_calendar_delete(struct request *req, struct response *resp)
{
    struct kf_error e = {0};
    int64_t id = param_id(req, 0);
    int rc = id ? calendar_delete(req->db, &req->actor, id, &e) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, &e);
    return 204;
}

int h_calendars_list(struct request *req, struct response *resp)
{
    struct calendar *v;
    size_t n;
    int rc = calendar_list(req->db, req->arena, &v, &n);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_calendar(&w, &v[i]);
    list_end(&w, NULL);
    return 200;
}

/* ---- policies ---- */

static const char *const minute_keys[SLA_POLICY_CLOCKS] = {
    "accept_minutes", "first_response_minutes", "resolve_minutes"};

static int read_policy(struct request *req, json_t *o, struct sla_policy *p, unsigned *set,
                       struct kf_error *e)
{
    int got;
    if ((got = jstr(req, o, "name", &p->name, e)) < 0)
        return got;
    *set |= got ? SP_NAME : 0;
    if ((got = jstr(req, o, "priority", &p->priority, e)) < 0)
        return got;
    *set |= got ? SP_PRIORITY : 0;
    if ((got = jstr(req, o, "type", &p->type, e)) < 0)
        return got;
    *set |= got ? SP_TYPE : 0;
    const struct {
        const char *key;
        int64_t *minutes;
        unsigned flag;
    } clocks[SLA_POLICY_CLOCKS] = {
        {"accept_minutes", &p->minutes[SLA_ACCEPT], SP_ACCEPT},
        {"first_response_minutes", &p->minutes[SLA_FIRST_RESPONSE], SP_FIRST_RESPONSE},
        {"resolve_minutes", &p->minutes[SLA_RESOLVE], SP_RESOLVE},
    };
    for (int t = 0; t < SLA_POLICY_CLOCKS; t++) {
        if ((got = jint(o, clocks[t].key, clocks[t].minutes, e)) < 0)
            return got;
        *set |= got ? clocks[t].flag : 0;
    }
    if ((got = jint(o, "calendar_id", &p->calendar_id, e)) < 0)
        return got;
    *set |= got ? SP_CALENDAR : 0;
    int64_t warn = 0;
    if ((got = jint(o, "warn_percent", &warn, e)) < 0)
        return got;
    if (got == 1) {
        if (warn > 99)
            return kf_fail(e, KF_EINVAL, "warn_percent", "warn_percent must be between 1 and 99");
        p->warn_percent = (int)warn;
        *set |= SP_WARN;
    }
    return 0;
}

static void render_policy(struct jw *w, const struct sla_policy *p)
{
    jw_obj_begin(w);
    jw_kint(w, "id", p->id);
    jw_kstr(w, "name", p->name);
    jw_kstr(w, "priority", p->priority);
    jw_kstr(w, "type", p->type);
    for (int t = 0; t < SLA_POLICY_CLOCKS; t++) {
        jw_key(w, minute_keys[t]);
        p->minutes[t] ? jw_int(w, p->minutes[t]) : jw_null(w);
    }
    jw_key(w, "calendar_id");
    p->calendar_id ? jw_int(w, p->calendar_id) : jw_null(w);
    jw_kint(w, "warn_percent", p->warn_percent);
    jw_time(w, "created_at", p->created_at);
    jw_time(w, "updated_at", p->updated_at);
    jw_obj_end(w);
}

static int policy_write(struct request *req, struct response *resp, int64_t id)
{
    json_t *o;
    struct sla_policy in = {0};
    struct kf_error e = {0};
    unsigned set = 0;
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    rc = read_policy(req, o, &in, &set, &e);
    json_decref(o);
    if (rc)
        return reply_error(resp, rc, &e);
    struct sla_policy p;
    rc = id ? sla_policy_update(req->db, &req->actor, id, set, &in, req->arena, &p, &e)
            : sla_policy_create(req->db, &req->actor, &in, req->arena, &p, &e);
    if (rc)
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    render_policy(&w, &p);
    return id ? 200 : 201;
}

int h_sla_policies_create(struct request *req, struct response *resp)
{
    return policy_write(req, resp, 0);
}

int h_sla_policy_patch(struct request *req, struct response *resp)
{
    int64_t id = param_id(req, 0);
    return id ? policy_write(req, resp, id) : reply_error(resp, KF_ENOTFOUND, NULL);
}

int h_sla_policy_get(struct request *req, struct response *resp)
{
    struct sla_policy p;
    int64_t id = param_id(req, 0);
    int rc = id ? sla_policy_get(req->db, id, req->arena, &p) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    render_policy(&w, &p);
    return 200;
}

int h_sla_policy_delete(struct request *req, struct response *resp)
{
    struct kf_error e = {0};
    int64_t id = param_id(req, 0);
    int rc = id ? sla_policy_delete(req->db, &req->actor, id, &e) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, &e);
    return 204;
}

int h_sla_policies_list(struct request *req, struct response *resp)
{
    struct sla_policy *v;
    size_t n;
    int rc = sla_policy_list(req->db, req->arena, &v, &n);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_policy(&w, &v[i]);
    list_end(&w, NULL);
    return 200;
}

/* ---- notifications ---- */

int h_notifications_list(struct request *req, struct response *resp)
{
    const char *limit = req_query(req, "limit"), *cursor = req_query(req, "cursor");
    int64_t before = cursor ? parse_id(cursor) : 0;
    if (cursor && !before)
        return reply_errorf(resp, 422, "validation_failed", "cursor",
                            "this cursor does not belong to this list");
    struct notification *v;
    size_t n;
    int64_t unread;
    int lim = limit ? (int)parse_id(limit) : 50;
    if (lim < 1 || lim > NOTIFY_LIST_MAX)
        return reply_errorf(resp, 422, "validation_failed", "limit", "limit must be 1 to 200");
    int rc = notification_list(req->db, &req->actor, before, query_flag(req, "unread"), lim,
                               req->arena, &v, &n, &unread);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "items");
    jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj_begin(&w);
        jw_kint(&w, "id", v[i].id);
        jw_kstr(&w, "kind", v[i].kind);
        jw_key(&w, "ticket_id");
        v[i].ticket_id ? jw_int(&w, v[i].ticket_id) : jw_null(&w);
        jw_kraw(&w, "detail", v[i].payload);
        jw_time(&w, "created_at", v[i].created_at);
        jw_time(&w, "read_at", v[i].read_at);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_kint(&w, "unread", unread);
    jw_key(&w, "next_cursor");
    if (n == (size_t)lim)
        jw_str(&w, arena_printf(req->arena, "%lld", (long long)v[n - 1].id));
    else
        jw_null(&w);
    jw_obj_end(&w);
    return 200;
}

int h_notification_read(struct request *req, struct response *resp)
{
    struct kf_error e = {0};
    int64_t id = param_id(req, 0);
    int rc = id ? notification_read(req->db, &req->actor, id, &e) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, &e);
    return 204;
}
