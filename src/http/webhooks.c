/* webhooks.c: handlers of the notification webhook, and what its deliveries say of an event. */
#include <stdlib.h>
#include <string.h>

#include "core/outbox.h"
#include "core/ticket.h"
#include "core/user.h"
#include "core/webhook.h"
#include "http/handlers.h"
#include "http/json.h"
#include "http/webhooks.h"
#include "lib/banned.h"
#include "lib/jw.h"

static void render_webhook(struct jw *w, struct arena *a, const struct webhook *h)
{
    jw_obj_begin(w);
    jw_kint(w, "id", h->id);
    jw_kstr(w, "url", h->url);
    jw_key(w, "events");
    jw_arr_begin(w);
    for (const char *p = h->events; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        jw_str(w, arena_strndup(a, p, len));
        p += len + (end ? 1 : 0);
    }
    jw_arr_end(w);
    jw_kbool(w, "enabled", h->enabled);
    jw_time(w, "created_at", h->created_at);
    jw_time(w, "updated_at", h->updated_at);
    jw_obj_end(w);
}

static int reply_webhook(struct request *req, struct response *resp, const struct webhook *h,
                         int status)
{
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "webhook");
    render_webhook(&w, req->arena, h);
    jw_obj_end(&w);
    return status;
}

/* Reads the body of POST or PATCH into in; 0 or KF_EINVAL with e naming the field. */
static int read_input(struct request *req, json_t *o, struct webhook_input *in, struct kf_error *e)
{
    static const char *const known[] = {"url", "secret", "events", "enabled", NULL};
    int rc = jonly(req, o, known, NULL, e);
    if (rc)
        return rc;
    if ((rc = jstr(req, o, "url", &in->url, e)) < 0 ||
        (rc = jstr(req, o, "secret", &in->secret, e)) < 0)
        return rc;
    if (rc == 2)
        return kf_fail(e, KF_EINVAL, "secret", "secret is required");
    if ((rc = jbool(o, "enabled", &in->enabled, e)) < 0)
        return rc;
    in->has_enabled = rc == 1;
    if ((rc = jstrs(req, o, "events", WEBHOOK_EVENTS_MAX, &in->events, &in->nevents, e)) < 0)
        return rc;
    if (rc == 2)
        return kf_fail(e, KF_EINVAL, "events", "must be an array of strings");
    in->has_events = rc == 1;
    return 0;
}

static int write_webhook(struct request *req, struct response *resp, int64_t id)
{
    json_t *o;
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    struct webhook_input in = {0};
    struct kf_error e = {0};
    struct webhook h;
    rc = read_input(req, o, &in, &e);
    if (!rc)
        rc = id ? webhook_update(req->db, &req->actor, id, &in, req->arena, &h, &e)
                : webhook_create(req->db, &req->actor, &in, req->arena, &h, &e);
    json_decref(o);
    if (rc)
        return reply_error(resp, rc, &e);
    return reply_webhook(req, resp, &h, id ? 200 : 201);
}

int h_webhooks_create(struct request *req, struct response *resp)
{
    return write_webhook(req, resp, 0);
}

int h_webhook_patch(struct request *req, struct response *resp)
{
    int64_t id = param_id(req, 0);
    if (!id)
        return reply_error(resp, KF_ENOTFOUND, NULL);
    return write_webhook(req, resp, id);
}

int h_webhooks_list(struct request *req, struct response *resp)
{
    struct webhook *v;
    size_t n;
    int rc = webhook_list(req->db, req->arena, &v, &n);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_webhook(&w, req->arena, &v[i]);
    list_end(&w, NULL);
    return 200;
}

int h_webhook_get(struct request *req, struct response *resp)
{
    struct webhook h;
    int64_t id = param_id(req, 0);
    int rc = id ? webhook_get(req->db, id, req->arena, &h) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    return reply_webhook(req, resp, &h, 200);
}

int h_webhook_delete(struct request *req, struct response *resp)
{
    int64_t id = param_id(req, 0);
    int rc = id ? webhook_delete(req->db, &req->actor, id) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    return 204;
}

static void render_delivery(struct jw *w, const struct webhook_delivery *d)
{
    jw_obj_begin(w);
    jw_kint(w, "id", d->id);
    jw_kint(w, "event_id", d->event_id);
    jw_kstr(w, "event", d->event);
    jw_kstr(w, "status", d->status);
    jw_kint(w, "attempts", d->attempts);
    jw_time(w, "next_at", d->next_at);
    jw_key(w, "last_status");
    d->last_status ? jw_int(w, d->last_status) : jw_null(w);
    jw_kstr(w, "last_error", d->last_error);
    jw_time(w, "created_at", d->created_at);
    jw_time(w, "delivered_at", d->delivered_at);
    jw_kraw(w, "body", d->body[0] ? d->body : NULL);
    jw_key(w, "tries");
    jw_arr_begin(w);
    for (size_t i = 0; i < d->ntries; i++) {
        const struct webhook_try *t = &d->tries[i];
        jw_obj_begin(w);
        jw_time(w, "at", t->at);
        jw_key(w, "status");
        t->http_status ? jw_int(w, t->http_status) : jw_null(w);
        jw_kstr(w, "error", t->error);
        jw_kint(w, "duration_ms", t->duration_ms);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}

int h_webhook_deliveries(struct request *req, struct response *resp)
{
    const char *limit = req_query(req, "limit"), *cursor = req_query(req, "cursor");
    int64_t before = cursor ? parse_id(cursor) : 0;
    if (cursor && !before)
        return reply_errorf(resp, 422, "validation_failed", "cursor",
                            "this cursor does not belong to this list");
    int lim = limit ? (int)parse_id(limit) : 50;
    if (lim < 1 || lim > WEBHOOK_DELIVERIES_MAX)
        return reply_errorf(resp, 422, "validation_failed", "limit", "limit must be 1 to 100");
    int64_t id = param_id(req, 0);
    struct webhook_delivery *v;
    size_t n;
    int rc = id ? webhook_deliveries(req->db, id, before, lim, req->arena, &v, &n) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_delivery(&w, &v[i]);
    list_end(&w,
             n == (size_t)lim ? arena_printf(req->arena, "%lld", (long long)v[n - 1].id) : NULL);
    return 200;
}

int h_webhook_retry(struct request *req, struct response *resp)
{
    int64_t id = param_id(req, 0), delivery = param_id(req, 1);
    struct kf_error e = {0};
    int rc = id && delivery ? webhook_retry(req->db, id, delivery, &e) : KF_ENOTFOUND;
    struct webhook_delivery *d;
    size_t n = 0;
    if (!rc) /* the one below delivery + 1, newest first: itself */
        rc = webhook_deliveries(req->db, id, delivery + 1, 1, req->arena, &d, &n);
    if (!rc && !n)
        rc = KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "delivery");
    render_delivery(&w, d);
    jw_obj_end(&w);
    return 200;
}

/* ---- what a delivery says ---- */

/* The notice of a notification.created event: its kind, the person told, what it says. */
static void render_notice(struct jw *w, struct db *db, struct arena *a, json_t *p)
{
    int64_t user_id = json_integer_value(json_object_get(p, "user_id"));
    struct user u;
    jw_key(w, "notification");
    jw_obj_begin(w);
    jw_kint(w, "id", json_integer_value(json_object_get(p, "id")));
    jw_kstr(w, "kind", json_string_value(json_object_get(p, "kind")));
    jw_key(w, "user");
    jw_obj_begin(w);
    jw_kint(w, "id", user_id);
    jw_kstr(w, "name", user_get(db, user_id, a, &u) ? NULL : u.name);
    jw_obj_end(w);
    char *notice = json_dumps(json_object_get(p, "payload"), JSON_COMPACT);
    jw_kraw(w, "notice", notice);
    free(notice);
    jw_obj_end(w);
}

int webhook_render(struct db *db, const struct outbox_event *ev, struct arena *a,
                   const char **ret_json)
{
    static const struct actor kefu = {.name = "kefu", .role = ROLE_ADMIN};
    struct strbuf sb = STRBUF_INIT(16 * 1024 * 1024);
    struct jw w;
    jw_init(&w, &sb);
    jw_obj_begin(&w);
    int64_t ticket_id = !strcmp(ev->entity, "ticket") ? ev->entity_id : 0;
    json_t *p = json_loads(ev->payload, 0, NULL);
    int notice = !strcmp(ev->kind, "notification.created") && json_is_object(p);
    if (notice)
        ticket_id = json_integer_value(json_object_get(p, "ticket_id"));
    int rc = 0;
    jw_key(&w, "ticket");
    struct ticket t;
    if (ticket_id && !(rc = ticket_get_id(db, &kefu, ticket_id, a, &t)))
        render_ticket(&w, a, &t, &kefu, 0, NULL, 0);
    else
        jw_null(&w);
    if (rc == KF_ENOTFOUND)
        rc = 0;
    if (notice)
        render_notice(&w, db, a, p);
    else
        jw_kraw(&w, "detail", p ? ev->payload : NULL);
    jw_obj_end(&w);
    json_decref(p);
    if (!rc)
        *ret_json = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return rc;
}
