/* report_schedules.c: handlers of the scheduled reports (定时报表) and their deliveries. */
#include <string.h>

#include "core/report_schedule.h"
#include "http/handlers.h"
#include "http/json.h"
#include "lib/banned.h"
#include "lib/jw.h"

static void render_schedule(struct jw *w, const struct report_schedule *s,
                            const struct report_delivery *d, size_t nd, int with_deliveries)
{
    jw_obj_begin(w);
    jw_kint(w, "id", s->id);
    jw_kstr(w, "kind", s->kind);
    jw_key(w, "to");
    jw_arr_begin(w);
    for (size_t i = 0; i < s->nto; i++)
        jw_str(w, s->to[i]);
    jw_arr_end(w);
    jw_kstr(w, "at", s->at);
    jw_kstr(w, "format", s->format);
    jw_kstr(w, "channel", s->channel);
    jw_time(w, "next_at", s->next_at);
    jw_time(w, "created_at", s->created_at);
    jw_time(w, "updated_at", s->updated_at);
    if (with_deliveries) {
        jw_key(w, "deliveries");
        jw_arr_begin(w);
        for (size_t i = 0; i < nd; i++) {
            jw_obj_begin(w);
            jw_kint(w, "id", d[i].id);
            jw_kstr(w, "period", d[i].period);
            jw_kstr(w, "status", d[i].status);
            jw_kstr(w, "error", d[i].error);
            jw_kstr(w, "filename", d[i].filename);
            jw_kint(w, "mails", d[i].mails);
            jw_kint(w, "sent", d[i].sent);
            jw_time(w, "created_at", d[i].created_at);
            jw_time(w, "sent_at", d[i].sent_at);
            jw_obj_end(w);
        }
        jw_arr_end(w);
    }
    jw_obj_end(w);
}

static int reply_schedule(struct request *req, struct response *resp,
                          const struct report_schedule *s, int status)
{
    struct report_delivery *d = NULL;
    size_t nd = 0;
    int rc = report_deliveries(req->db, s->id, req->arena, &d, &nd);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "report_schedule");
    render_schedule(&w, s, d, nd, 1);
    jw_obj_end(&w);
    return status;
}

/* Reads the body of POST or PATCH into in; 0 or KF_EINVAL with e naming the field. */
static int read_input(struct request *req, json_t *o, struct report_schedule_input *in,
                      struct kf_error *e)
{
    static const char *const known[] = {"kind", "to", "at", "format", "channel", NULL};
    int rc = jonly(req, o, known, NULL, e);
    if (rc)
        return rc;
    if ((rc = jstr(req, o, "kind", &in->kind, e)) < 0)
        return rc;
    in->has_kind = rc != 0;
    if ((rc = jstr(req, o, "at", &in->at, e)) < 0)
        return rc;
    in->has_at = rc != 0;
    if ((rc = jstr(req, o, "format", &in->format, e)) < 0)
        return rc;
    in->has_format = rc != 0;
    if ((rc = jstr(req, o, "channel", &in->channel, e)) < 0)
        return rc;
    in->has_channel = rc != 0;
    if ((rc = jstrs(req, o, "to", REPORT_TO_MAX, &in->to, &in->nto, e)) < 0)
        return rc;
    if (rc == 2)
        return kf_fail(e, KF_EINVAL, "to", "must be an array of strings");
    in->has_to = rc == 1;
    return 0;
}

static int write_schedule(struct request *req, struct response *resp, int64_t id)
{
    json_t *o;
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    struct report_schedule_input in = {0};
    struct kf_error e = {0};
    struct report_schedule s;
    rc = read_input(req, o, &in, &e);
    if (!rc)
        rc = id ? report_schedule_update(req->db, &req->actor, id, &in, req->arena, &s, &e)
                : report_schedule_create(req->db, &req->actor, &in, req->arena, &s, &e);
    json_decref(o);
    if (rc)
        return reply_error(resp, rc, &e);
    return reply_schedule(req, resp, &s, id ? 200 : 201);
}

int h_report_schedules_create(struct request *req, struct response *resp)
{
    return write_schedule(req, resp, 0);
}

int h_report_schedule_patch(struct request *req, struct response *resp)
{
    int64_t id = param_id(req, 0);
    if (!id)
        return reply_error(resp, KF_ENOTFOUND, NULL);
    return write_schedule(req, resp, id);
}

int h_report_schedules_list(struct request *req, struct response *resp)
{
    struct report_schedule *v;
    size_t n;
    int rc = report_schedule_list(req->db, req->arena, &v, &n);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++) {
        struct report_delivery *d = NULL;
        size_t nd = 0;
        if ((rc = report_deliveries(req->db, v[i].id, req->arena, &d, &nd)))
            return reply_error(resp, rc, NULL);
        render_schedule(&w, &v[i], d, nd, 1);
    }
    list_end(&w, NULL);
    return 200;
}

int h_report_schedule_get(struct request *req, struct response *resp)
{
    struct report_schedule s;
    int64_t id = param_id(req, 0);
    int rc = id ? report_schedule_get(req->db, id, req->arena, &s) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    return reply_schedule(req, resp, &s, 200);
}

int h_report_schedule_delete(struct request *req, struct response *resp)
{
    int64_t id = param_id(req, 0);
    int rc = id ? report_schedule_delete(req->db, &req->actor, id) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    return 204;
}
