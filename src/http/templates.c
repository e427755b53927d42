/* templates.c: handlers of standard replies (标准话术): keeping them, finding them, filling them.
 */
#include <string.h>

#include "core/reply_template.h"
#include "core/template.h"
#include "http/handlers.h"
#include "http/json.h"
#include "lib/banned.h"
#include "lib/jw.h"

static int reply_template(struct response *resp, const struct reply_template *t, int status)
{
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "template");
    render_reply_template(&w, t);
    jw_obj_end(&w);
    return status;
}

/* The result rc of jstr for a nullable field: *has set when it is given (a value or null). */
static int nullable(int rc, const char **ret, int *has)
{
    if (rc < 0)
        return rc;
    *has = rc != 0;
    if (rc == 2)
        *ret = NULL;
    return 0;
}

static int read_input(struct request *req, json_t *o, struct reply_template_input *in,
                      struct kf_error *e)
{
    static const char *const known[] = {"name", "type", "category", "shortcut", "body", NULL};
    int rc = jonly(req, o, known, NULL, e);
    if (rc)
        return rc;
    if ((rc = jstr(req, o, "name", &in->name, e)) < 0)
        return rc;
    if (rc == 2)
        return kf_fail(e, KF_EINVAL, "name", "name is required");
    if ((rc = jstr(req, o, "body", &in->body, e)) < 0)
        return rc;
    if (rc == 2)
        return kf_fail(e, KF_EINVAL, "body", "body is required");
    if ((rc = nullable(jstr(req, o, "type", &in->type, e), &in->type, &in->has_type)) ||
        (rc = nullable(jstr(req, o, "category", &in->category, e), &in->category,
                       &in->has_category)) ||
        (rc = nullable(jstr(req, o, "shortcut", &in->shortcut, e), &in->shortcut,
                       &in->has_shortcut)))
        return rc;
    /* an empty shortcut is none */
    if (in->shortcut && !*in->shortcut)
        in->shortcut = NULL;
    return 0;
}

static int write_template(struct request *req, struct response *resp, int64_t id)
{
    json_t *o;
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    struct reply_template_input in = {0};
    struct kf_error e = {0};
    struct reply_template t;
    rc = read_input(req, o, &in, &e);
    if (!rc)
        rc = id ? reply_template_update(req->db, &req->actor, id, &in, req->arena, &t, &e)
                : reply_template_create(req->db, &req->actor, &in, req->arena, &t, &e);
    json_decref(o);
    if (rc)
        return reply_error(resp, rc, &e);
    return reply_template(resp, &t, id ? 200 : 201);
}

int h_templates_create(struct request *req, struct response *resp)
{
    return write_template(req, resp, 0);
}

int h_template_patch(struct request *req, struct response *resp)
{
    int64_t id = param_id(req, 0);
    if (!id)
        return reply_error(resp, KF_ENOTFOUND, NULL);
    return write_template(req, resp, id);
}

int h_templates_list(struct request *req, struct response *resp)
{
    const char *limit = req_query(req, "limit"), *cursor = req_query(req, "cursor");
    struct reply_template_query q = {
        .type = req_query(req, "type"),
        .category = req_query(req, "category"),
        .q = req_query(req, "q"),
        .limit = limit ? (int)parse_id(limit) : 50,
    };
    if (q.type && !*q.type)
        q.type = NULL;
    if (q.category && !*q.category)
        q.category = NULL;
    if (q.limit < 1 || q.limit > 200)
        return reply_errorf(resp, 422, "validation_failed", "limit", "limit must be 1 to 200");
    if (cursor && (q.offset = (int)parse_id(cursor)) <= 0)
        return reply_errorf(resp, 422, "validation_failed", "cursor",
                            "this cursor does not belong to this list");
    struct reply_template *v;
    size_t n;
    int more;
    struct kf_error e = {0};
    int rc = reply_template_list(req->db, &q, req->arena, &v, &n, &more, &e);
    if (rc)
        return reply_error(resp, rc, &e);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_reply_template(&w, &v[i]);
    list_end(&w, more ? arena_printf(req->arena, "%d", q.offset + (int)n) : NULL);
    return 200;
}

int h_template_get(struct request *req, struct response *resp)
{
    struct reply_template t;
    int64_t id = param_id(req, 0);
    int rc = id ? reply_template_get(req->db, id, req->arena, &t) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    return reply_template(resp, &t, 200);
}

int h_template_delete(struct request *req, struct response *resp)
{
    int64_t id = param_id(req, 0);
    int rc = id ? reply_template_delete(req->db, &req->actor, id) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    return 204;
}

int h_template_render(struct request *req, struct response *resp)
{
    int64_t id = param_id(req, 0);
    if (!id)
        return reply_error(resp, KF_ENOTFOUND, NULL);
    json_t *o;
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    struct kf_error e = {0};
    int64_t ticket_id = 0;
    rc = jint(o, "ticket_id", &ticket_id, &e);
    json_decref(o);
    if (rc < 0)
        return reply_error(resp, rc, &e);
    if (rc != 1 || ticket_id <= 0)
        return reply_errorf(resp, 422, "validation_failed", "ticket_id", "ticket_id is required");
    struct template_text t;
    if ((rc = reply_template_render(req->db, &req->actor, id, ticket_id, req->arena, &t, &e)))
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_kstr(&w, "body", t.body);
    jw_key(&w, "blanks");
    jw_arr_begin(&w);
    for (size_t i = 0; i < t.nblanks; i++) {
        jw_obj_begin(&w);
        jw_kint(&w, "start", (int64_t)t.blanks[i].start);
        jw_kint(&w, "end", (int64_t)t.blanks[i].end);
        jw_kstr(&w, "text", t.blanks[i].text);
        jw_kstr(&w, "kind", template_blank_kind_name(t.blanks[i].kind));
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    return 200;
}
