/* assign.c: handlers of shifts, transfers and nudges. */
#include <string.h>

#include "core/assign.h"
#include "core/ticket.h"
#include "core/transfer.h"
#include "http/handlers.h"
#include "http/json.h"
#include "lib/banned.h"
#include "lib/jw.h"
#include "lib/ktime.h"

/* ---- shifts ---- */

static void render_shift(struct jw *w, const struct shift *s)
{
    jw_obj_begin(w);
    jw_kint(w, "id", s->id);
    jw_key(w, "user");
    jw_obj_begin(w);
    jw_kint(w, "id", s->user_id);
    jw_kstr(w, "name", s->user_name);
    jw_obj_end(w);
    jw_kint(w, "user_id", s->user_id);
    jw_kint(w, "department_id", s->department_id);
    jw_time(w, "starts_at", s->starts_at);
    jw_time(w, "ends_at", s->ends_at);
    jw_time(w, "created_at", s->created_at);
    jw_obj_end(w);
}

int h_shifts_create(struct request *req, struct response *resp)
{
    json_t *o;
    struct shift in = {0};
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    if (jint(o, "user_id", &in.user_id, &e) < 0 ||
        jint(o, "department_id", &in.department_id, &e) < 0 ||
        jtime(o, "starts_at", &in.starts_at, &e) < 0 || jtime(o, "ends_at", &in.ends_at, &e) < 0)
        rc = KF_EINVAL;
    json_decref(o);
    if (rc)
        return reply_error(resp, rc, &e);
    struct shift s;
    if ((rc = shift_create(req->db, &req->actor, &in, req->arena, &s, &e)))
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    render_shift(&w, &s);
    return 201;
}

int h_shift_delete(struct request *req, struct response *resp)
{
    struct kf_error e = {0};
    int64_t id = param_id(req, 0);
    int rc = id ? shift_delete(req->db, &req->actor, id, &e) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, &e);
    return 204;
}

int h_shifts_list(struct request *req, struct response *resp)
{
    static const int64_t DAY = 24LL * 3600 * 1000;
    const char *from = req_query(req, "from"), *to = req_query(req, "to");
    const char *dept = req_query(req, "department_id"), *user = req_query(req, "user_id");
    int64_t f = 0, t = 0, d = dept ? parse_id(dept) : 0, u = user ? parse_id(user) : 0;
    if (from && ktime_parse(from, &f))
        return reply_errorf(resp, 422, "validation_failed", "from", "must be an RFC 3339 time");
    if (to && ktime_parse(to, &t))
        return reply_errorf(resp, 422, "validation_failed", "to", "must be an RFC 3339 time");
    if ((dept && !d) || (user && !u))
        return reply_errorf(resp, 422, "validation_failed",
                            dept && !d ? "department_id" : "user_id", "must be an id");
    if (!from)
        f = ktime_now() - DAY;
    if (!to)
        t = f + 8 * DAY;
    if (t <= f || t - f > 62 * DAY)
        return reply_errorf(resp, 422, "validation_failed", "to",
                            "to lies after from, at most 62 days later");
    struct shift *v;
    size_t n;
    int rc = shift_list(req->db, f, t, d, u, req->arena, &v, &n);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_shift(&w, &v[i]);
    list_end(&w, NULL);
    return 200;
}

/* ---- transfers ---- */

static void side(struct jw *w, const char *key, int64_t user_id, const char *user_name,
                 int64_t dept_id, const char *dept_name)
{
    jw_key(w, key);
    jw_obj_begin(w);
    jw_key(w, "user");
    if (user_id) {
        jw_obj_begin(w);
        jw_kint(w, "id", user_id);
        jw_kstr(w, "name", user_name);
        jw_obj_end(w);
    } else {
        jw_null(w);
    }
    jw_key(w, "department");
    if (dept_id) {
        jw_obj_begin(w);
        jw_kint(w, "id", dept_id);
        jw_kstr(w, "name", dept_name);
        jw_obj_end(w);
    } else {
        jw_null(w);
    }
    jw_obj_end(w);
}

static void render_transfer(struct jw *w, const struct transfer *t)
{
    jw_obj_begin(w);
    jw_kint(w, "id", t->id);
    jw_kstr(w, "kind", t->kind);
    side(w, "from", t->from_user_id, t->from_user_name, t->from_department_id,
         t->from_department_name);
    side(w, "to", t->to_user_id, t->to_user_name, t->to_department_id, t->to_department_name);
    jw_kstr(w, "reason", t->reason);
    jw_time(w, "due_at", t->due_at);
    jw_time(w, "at", t->at);
    jw_key(w, "actor");
    if (t->actor_id) {
        jw_obj_begin(w);
        jw_kint(w, "id", t->actor_id);
        jw_kstr(w, "name", t->actor_name);
        jw_obj_end(w);
    } else {
        jw_null(w);
    }
    jw_obj_end(w);
}

int h_transfers_create(struct request *req, struct response *resp)
{
    json_t *o;
    struct transfer_input in = {0};
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    if (jint(o, "to_user_id", &in.to_user_id, &e) < 0 ||
        jint(o, "to_department_id", &in.to_department_id, &e) < 0 ||
        jstr(req, o, "reason", &in.reason, &e) < 0 || jtime(o, "due_at", &in.due_at, &e) < 0 ||
        jbool(o, "cooperate", &in.cooperate, &e) < 0)
        rc = KF_EINVAL;
    json_decref(o);
    if (rc)
        return reply_error(resp, rc, &e);
    struct transfer tr;
    struct ticket t;
    if ((rc = transfer_create(req->db, &req->actor, req->params[0], &in, req->arena, &tr, &t, &e)))
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "transfer");
    render_transfer(&w, &tr);
    jw_key(&w, "ticket");
    render_ticket(&w, req->arena, &t, &req->actor, 0, NULL, 0);
    jw_obj_end(&w);
    return 201;
}

int h_transfers_list(struct request *req, struct response *resp)
{
    struct transfer *v;
    size_t n;
    int rc = transfer_list(req->db, &req->actor, req->params[0], req->arena, &v, &n);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_transfer(&w, &v[i]);
    list_end(&w, NULL);
    return 200;
}

int h_nudges_create(struct request *req, struct response *resp)
{
    json_t *o;
    const char *message = NULL;
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    if (jstr(req, o, "message", &message, &e) < 0)
        rc = KF_EINVAL;
    json_decref(o);
    if (rc)
        return reply_error(resp, rc, &e);
    struct nudge n;
    if ((rc = nudge_create(req->db, &req->actor, req->params[0], message, req->arena, &n, &e)))
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_kint(&w, "ticket_id", n.ticket_id);
    jw_key(&w, "to");
    jw_obj_begin(&w);
    jw_kint(&w, "id", n.to_user_id);
    jw_kstr(&w, "name", n.to_name);
    jw_obj_end(&w);
    jw_kstr(&w, "message", n.message);
    jw_time(&w, "at", n.at);
    jw_obj_end(&w);
    return 201;
}
