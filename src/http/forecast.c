/* forecast.c: GET /api/v1/reports/forecast, the next days' volume by hour and the staffing each
 * planned shift needs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/forecast.h"
#include "http/handlers.h"
#include "http/json.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"

/* A number with at most two decimals, without trailing zeros. */
static void jw_knum(struct jw *w, const char *key, double v)
{
    char buf[48];
    snprintf(buf, sizeof(buf), "%.2f", round(v * 100) / 100);
    char *dot = strchr(buf, '.');
    if (dot) {
        char *end = buf + strlen(buf);
        while (end > dot + 1 && end[-1] == '0')
            *--end = '\0';
        if (end == dot + 1)
            *dot = '\0';
    }
    if (!strcmp(buf, "-0"))
        buf[0] = '0', buf[1] = '\0';
    jw_kraw(w, key, buf);
}

static void jw_kdate(struct jw *w, const char *key, int yyyymmdd)
{
    char buf[16];
    snprintf(buf, sizeof(buf), "%04d-%02d-%02d", yyyymmdd / 10000, yyyymmdd / 100 % 100,
             yyyymmdd % 100);
    jw_kstr(w, key, buf);
}

/* The query parameter `key` as a number (left 0 when absent): 0, or KF_EINVAL naming it. */
static int num_param(struct request *req, const char *key, double *ret, struct kf_error *e)
{
    const char *v = req_query(req, key);
    if (!v)
        return 0;
    char *end;
    double d = strtod(v, &end);
    if (!*v || *end || !isfinite(d) || d <= 0)
        return kf_fail(e, KF_EINVAL, key, "must be a positive number");
    *ret = d;
    return 0;
}

static void render_forecast(struct jw *w, const struct forecast *f)
{
    jw_obj_begin(w);
    jw_kstr(w, "method", f->fit.method);
    jw_kint(w, "history_days", f->history_days);
    jw_key(w, "model");
    jw_obj_begin(w);
    jw_kint(w, "weeks", f->fit.weeks);
    jw_knum(w, "trend", f->fit.trend);
    jw_knum(w, "dispersion", f->fit.dispersion);
    jw_knum(w, "interval", 0.9);
    jw_obj_end(w);
    jw_key(w, "days");
    jw_arr_begin(w);
    for (int k = 0; k < f->ndays; k++) {
        const struct forecast_day *d = &f->days[k];
        jw_obj_begin(w);
        jw_kdate(w, "date", d->date);
        jw_key(w, "hours");
        jw_arr_begin(w);
        for (int h = 0; h < 24; h++) {
            jw_obj_begin(w);
            jw_kint(w, "hour", h);
            jw_knum(w, "expected", d->hours[h].expected);
            jw_kint(w, "low", d->hours[h].low);
            jw_kint(w, "high", d->hours[h].high);
            jw_obj_end(w);
        }
        jw_arr_end(w);
        jw_knum(w, "expected", d->expected);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "staffing_basis");
    jw_obj_begin(w);
    jw_knum(w, "handling_minutes", f->handling_minutes);
    jw_kstr(w, "handling_source", f->handling_source);
    jw_kint(w, "handling_n", f->handling_n);
    jw_knum(w, "target_minutes", f->target_minutes);
    jw_kstr(w, "target_source", f->target_source);
    jw_knum(w, "service_level", f->service_level);
    jw_obj_end(w);
    jw_key(w, "staffing");
    jw_arr_begin(w);
    for (size_t i = 0; i < f->nstaffing; i++) {
        const struct forecast_staffing *s = &f->staffing[i];
        jw_obj_begin(w);
        jw_kdate(w, "date", s->date);
        jw_kstr(w, "shift", s->shift);
        jw_time(w, "starts_at", s->starts_at);
        jw_time(w, "ends_at", s->ends_at);
        jw_knum(w, "expected", s->expected);
        jw_kint(w, "agents_needed", s->agents_needed);
        jw_kint(w, "planned", s->planned);
        jw_kint(w, "short", s->agents_needed > s->planned ? s->agents_needed - s->planned : 0);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}

int h_reports_forecast(struct request *req, struct response *resp)
{
    struct forecast_query q = {0};
    struct kf_error e = {0};
    int rc = 0;
    const char *days = req_query(req, "days"), *dept = req_query(req, "department_id");
    if (days) {
        char *end;
        long v = strtol(days, &end, 10);
        if (!*days || *end || v < 1 || v > FORECAST_DAYS_MAX)
            rc = kf_fail(&e, KF_EINVAL, "days", "days must be 1 to 28");
        q.days = (int)v;
    }
    q.channel = req_query(req, "channel");
    q.type = req_query(req, "type");
    if (!rc && q.channel && (!*q.channel || strlen(q.channel) > 50))
        rc = kf_fail(&e, KF_EINVAL, "channel", "must be a channel code");
    if (!rc && dept && !(q.department_id = parse_id(dept)))
        rc = kf_fail(&e, KF_EINVAL, "department_id", "must be an id");
    if (!rc)
        rc = num_param(req, "handling_minutes", &q.handling_minutes, &e);
    if (!rc)
        rc = num_param(req, "target_minutes", &q.target_minutes, &e);
    if (!rc)
        rc = num_param(req, "service_level", &q.service_level, &e);
    struct forecast f;
    if (!rc)
        rc = forecast_get(req->db, &req->actor, &q, ktime_now(), req->arena, &f, &e);
    if (rc)
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    render_forecast(&w, &f);
    return 200;
}
