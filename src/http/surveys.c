/* surveys.c: handlers of the satisfaction surveys: the customer's page (public, by the link's
 * token; a client address that tries too many unknown tokens is held off for a while), the
 * staff's list of answers and the second-handling queue. */
#include <stdlib.h>
#include <string.h>

#include "core/survey.h"
#include "core/ticket.h"
#include "http/handlers.h"
#include "http/json.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/config.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/throttle.h"
#include "store/db.h"

enum { PROBE_SLOTS = 1024, PROBE_WINDOW_MS = 15 * 60 * 1000 };
/* unknown tokens asked for, per client address: portal_ip_limit of them per 15 minutes */
static struct throttle_entry probe_e[PROBE_SLOTS];
static struct throttle probe = THROTTLE_INIT(probe_e, PROBE_WINDOW_MS);

/* 429 when req's address has asked for too many unknown tokens lately, else 0. */
static int probing(struct request *req, struct response *resp)
{
    int64_t retry;
    if (throttle_count(&probe, req->ip, ktime_monotonic(), &retry) < req->cfg->portal_ip_limit)
        return 0;
    return reply_limited(req, resp, retry, "too many unknown survey links; wait and try again");
}

/* 404 for a token that opens no survey, counted against the caller's address. */
static int no_survey(struct request *req, struct response *resp)
{
    throttle_fail(&probe, req->ip, ktime_monotonic());
    return reply_errorf(resp, 404, "not_found", NULL, "no survey has this link");
}

static void render_choices(struct jw *w, const char *scale)
{
    const struct survey_choice *c;
    size_t n = survey_choices(survey_scale_of(scale), &c);
    jw_key(w, "choices");
    jw_arr_begin(w);
    for (size_t i = 0; i < n; i++) {
        jw_obj_begin(w);
        jw_kstr(w, "value", c[i].value);
        jw_kstr(w, "label", c[i].label);
        jw_kstr(w, "label_en", c[i].label_en);
        jw_kint(w, "score", c[i].score);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

/* What the customer's page shows: the ticket by number and subject only, the scale, the
 * state, and their own answer once given. */
static void render_public(struct jw *w, const struct survey *s)
{
    jw_obj_begin(w);
    jw_key(w, "ticket");
    jw_obj_begin(w);
    jw_kstr(w, "number", s->number);
    jw_kstr(w, "subject", s->subject);
    jw_obj_end(w);
    jw_kstr(w, "scale", s->scale);
    render_choices(w, s->scale);
    jw_kstr(w, "state", s->state);
    jw_kint(w, "round", s->round);
    jw_kstr(w, "rating", s->rating);
    jw_kstr(w, "comment", s->comment);
    jw_time(w, "answered_at", s->answered_at);
    jw_time(w, "expires_at", s->expires_at);
    jw_obj_end(w);
}

int h_survey_get(struct request *req, struct response *resp)
{
    struct survey s;
    int rc = probing(req, resp);
    if (rc)
        return rc;
    rc = survey_by_token(req->db, req->params[0], req->arena, &s);
    if (rc == KF_ENOTFOUND)
        return no_survey(req, resp);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    render_public(&w, &s);
    return 200;
}

int h_survey_answer(struct request *req, struct response *resp)
{
    json_t *o;
    struct kf_error e = {0};
    int rc = probing(req, resp);
    if (rc || (rc = body_object_or_reply(req, resp, &o)))
        return rc;
    const char *rating = NULL, *comment = NULL;
    json_t *r = json_object_get(o, "rating");
    if (json_is_integer(r)) /* a score on five points may come as a number */
        rating = arena_printf(req->arena, "%lld", (long long)json_integer_value(r));
    else if (r && !json_is_string(r))
        rc = kf_fail(&e, KF_EINVAL, "rating", "rating must be a string or a number");
    else if (r)
        rating = arena_strdup(req->arena, json_string_value(r));
    if (!rc && !rating)
        rc = kf_fail(&e, KF_EINVAL, "rating", "rating is required");
    if (!rc && jstr(req, o, "comment", &comment, &e) < 0)
        rc = KF_EINVAL;
    json_decref(o);
    struct survey s;
    if (!rc)
        rc = survey_answer_token(req->db, req->params[0], rating, comment, req->arena, &s, &e);
    if (rc == KF_ENOTFOUND)
        return no_survey(req, resp);
    if (rc == SURVEY_GONE)
        return reply_errorf(resp, 410, "gone", NULL, e.message);
    if (rc)
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    render_public(&w, &s);
    return 200;
}

/* A day (YYYY-MM-DD, local; `to` includes it) or an RFC 3339 time. */
static int range_bound(struct request *req, const char *key, int end, int64_t *ret,
                       struct kf_error *e)
{
    const char *v = req_query(req, key);
    if (!v || !*v)
        return 0;
    if (strlen(v) == 10 && v[4] == '-' && v[7] == '-') {
        int day = (int)(strtol(v, NULL, 10) * 10000 + strtol(v + 5, NULL, 10) * 100 +
                        strtol(v + 8, NULL, 10));
        if (day >= 20000101 && day <= 99991231) {
            *ret = ktime_day_start(day) + (end ? 24LL * 3600 * 1000 : 0);
            return 0;
        }
    } else if (!ktime_parse(v, ret)) {
        return 0;
    }
    return kf_fail(e, KF_EINVAL, key, "must be a day (YYYY-MM-DD) or an RFC 3339 time");
}

int h_surveys_list(struct request *req, struct response *resp)
{
    struct survey_query q = {0};
    struct kf_error e = {0};
    int rc = range_bound(req, "from", 0, &q.from, &e);
    if (!rc)
        rc = range_bound(req, "to", 1, &q.to, &e);
    const char *ref = req_query(req, "ticket_id"), *sort = req_query(req, "sort");
    const char *limit = req_query(req, "limit");
    if (!rc && ref) {
        struct ticket t;
        rc = ticket_get(req->db, &req->actor, ref, req->arena, &t);
        if (rc == KF_ENOTFOUND)
            rc = kf_fail(&e, KF_EINVAL, "ticket_id", "no such ticket");
        q.ticket_id = t.id;
    }
    if (!rc && sort) {
        if (!strcmp(sort, "unsatisfied_first"))
            q.unsatisfied_first = 1;
        else if (strcmp(sort, "-sent"))
            rc = kf_fail(&e, KF_EINVAL, "sort", "sort must be unsatisfied_first or -sent");
    }
    if (!rc && limit) {
        char *end;
        long v = strtol(limit, &end, 10);
        if (*end || v < 1 || v > SURVEY_LIST_MAX)
            rc = kf_fail(&e, KF_EINVAL, "limit", "limit must be 1 to 500");
        q.limit = (int)v;
    }
    q.rating = req_query(req, "rating");
    struct survey *v;
    size_t n;
    if (rc || (rc = survey_list(req->db, &req->actor, &q, req->arena, &v, &n, &e)))
        return reply_error(resp, rc, &e);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++) {
        jw_obj_begin(&w);
        jw_kint(&w, "id", v[i].id);
        jw_kint(&w, "ticket_id", v[i].ticket_id);
        jw_key(&w, "ticket");
        jw_obj_begin(&w);
        jw_kint(&w, "id", v[i].ticket_id);
        jw_kstr(&w, "number", v[i].number);
        jw_kstr(&w, "subject", v[i].subject);
        jw_kstr(&w, "status", v[i].ticket_status);
        jw_obj_end(&w);
        jw_kint(&w, "round", v[i].round);
        jw_time(&w, "sent_at", v[i].sent_at);
        jw_kstr(&w, "channel", v[i].channel);
        jw_kstr(&w, "scale", v[i].scale);
        jw_kstr(&w, "rating", v[i].rating);
        jw_key(&w, "score");
        v[i].score ? jw_int(&w, v[i].score) : jw_null(&w);
        jw_kstr(&w, "comment", v[i].comment);
        jw_time(&w, "answered_at", v[i].answered_at);
        jw_time(&w, "expires_at", v[i].expires_at);
        jw_kstr(&w, "state", v[i].state);
        jw_obj_end(&w);
    }
    list_end(&w, NULL);
    return 200;
}

int h_second_handling_list(struct request *req, struct response *resp)
{
    struct second_handling *v;
    size_t n;
    int rc = second_handling_list(req->db, SURVEY_LIST_MAX, req->arena, &v, &n);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++) {
        jw_obj_begin(&w);
        jw_key(&w, "ticket");
        jw_obj_begin(&w);
        jw_kint(&w, "id", v[i].ticket_id);
        jw_kstr(&w, "number", v[i].number);
        jw_kstr(&w, "subject", v[i].subject);
        jw_kstr(&w, "status", v[i].status);
        jw_obj_end(&w);
        jw_ref(&w, "assignee", v[i].assignee_id, v[i].assignee_name);
        jw_kint(&w, "round", v[i].round);
        jw_time(&w, "started_at", v[i].started_at);
        jw_time(&w, "due_at", v[i].due_at);
        jw_time(&w, "warned_at", v[i].warned_at);
        jw_time(&w, "breached_at", v[i].breached_at);
        jw_obj_end(&w);
    }
    list_end(&w, NULL);
    return 200;
}
