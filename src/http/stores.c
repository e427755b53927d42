/* stores.c: handlers of the stores (门店) that walk-in tickets name. */
#include <string.h>

#include "core/store.h"
#include "http/handlers.h"
#include "http/json.h"
#include "lib/banned.h"
#include "lib/jw.h"

static void render_store(struct jw *w, const struct store *s)
{
    jw_obj_begin(w);
    jw_kint(w, "id", s->id);
    jw_kstr(w, "code", s->code);
    jw_kstr(w, "name", s->name);
    jw_kbool(w, "active", s->active);
    jw_time(w, "created_at", s->created_at);
    jw_time(w, "updated_at", s->updated_at);
    jw_obj_end(w);
}

static int store_write(struct request *req, struct response *resp, int64_t id)
{
    json_t *o;
    struct store_input in = {0};
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    int r = 0;
    if ((rc = jstr(req, o, "code", &in.code, &e)) >= 0 &&
        (rc = jstr(req, o, "name", &in.name, &e)) >= 0)
        r = jbool(o, "active", &in.active, &e);
    in.has_active = r == 1;
    json_decref(o);
    if (rc < 0 || r < 0)
        return reply_error(resp, rc < 0 ? rc : r, &e);
    struct store s;
    rc = id ? store_update(req->db, &req->actor, id, &in, req->arena, &s, &e)
            : store_create(req->db, &req->actor, &in, req->arena, &s, &e);
    if (rc)
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    render_store(&w, &s);
    return id ? 200 : 201;
}

int h_stores_create(struct request *req, struct response *resp)
{
    return store_write(req, resp, 0);
}

int h_store_patch(struct request *req, struct response *resp)
{
    int64_t id = param_id(req, 0);
    return id ? store_write(req, resp, id) : reply_error(resp, KF_ENOTFOUND, NULL);
}

int h_store_get(struct request *req, struct response *resp)
{
    struct store s;
    int64_t id = param_id(req, 0);
    int rc = id ? store_get(req->db, id, req->arena, &s) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    render_store(&w, &s);
    return 200;
}

int h_stores_list(struct request *req, struct response *resp)
{
    const char *active = req_query(req, "active");
    if (active && strcmp(active, "1") && strcmp(active, "true") && strcmp(active, "0") &&
        strcmp(active, "false"))
        return reply_errorf(resp, 422, "validation_failed", "active", "active must be 1 or 0");
    int active_only = active && (!strcmp(active, "1") || !strcmp(active, "true"));
    struct store *v;
    size_t n;
    int rc = store_list(req->db, active_only, req->arena, &v, &n);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_store(&w, &v[i]);
    list_end(&w, NULL);
    return 200;
}
