/* kb.c: handlers of the knowledge base, and of archiving and suggestions on a ticket. */
#include "core/kb.h"

#include <stdlib.h>
#include <string.h>

#include "core/reply_template.h"
#include "http/handlers.h"
#include "http/json.h"
#include "http/markdown.h"
#include "lib/banned.h"
#include "lib/jw.h"
#include "lib/text.h"

/* Tags (one per line) as a JSON array. */
static void render_tags(struct jw *w, struct arena *a, const char *tags)
{
    jw_key(w, "tags");
    jw_arr_begin(w);
    for (const char *p = tags ? tags : ""; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        jw_str(w, arena_strndup(a, p, len));
        p += len + (end ? 1 : 0);
    }
    jw_arr_end(w);
}

static void jw_id_or_null(struct jw *w, const char *key, int64_t id)
{
    jw_key(w, key);
    id ? jw_int(w, id) : jw_null(w);
}

/* An article as docs/api.md shows it; with_html adds body_html (the rendered Markdown). */
static void render_article(struct jw *w, struct arena *a, const struct kb_article *k, int with_html)
{
    jw_obj_begin(w);
    jw_kint(w, "id", k->id);
    jw_kstr(w, "title", k->title);
    jw_kstr(w, "body", k->body);
    if (with_html)
        jw_kstr(w, "body_html", markdown_html(a, k->body, strlen(k->body)));
    jw_kstr(w, "need_type", k->need_type);
    jw_kstr(w, "category", k->category);
    render_tags(w, a, k->tags);
    jw_kstr(w, "state", k->state);
    jw_kint(w, "version", k->version);
    jw_time(w, "effective_from", k->effective_from);
    jw_id_or_null(w, "replaced_by", k->replaced_by);
    jw_kstr(w, "replaced_by_title", k->replaced_by_title);
    jw_id_or_null(w, "source_ticket", k->source_ticket);
    jw_kstr(w, "source_ticket_number", k->source_ticket_number);
    jw_time(w, "updated_at", k->updated_at);
    jw_ref(w, "updated_by", k->updated_by, k->updated_by_name);
    if (k->snippet)
        jw_kstr(w, "snippet", k->snippet);
    jw_obj_end(w);
}

static int reply_article(struct request *req, struct response *resp, const struct kb_article *k,
                         int status)
{
    struct jw w;
    jw_init(&w, &resp->body);
    render_article(&w, req->arena, k, 1);
    return status;
}

/* Reads the body of POST or PATCH into in; 0 or KF_EINVAL naming the field. */
static int read_input(struct request *req, json_t *o, struct kb_input *in, struct kf_error *e)
{
    static const char *const known[] = {"title", "body",           "need_type", "category",
                                        "tags",  "effective_from", NULL};
    int rc = jonly(req, o, known, NULL, e);
    if (rc)
        return rc;
    if ((rc = jstr(req, o, "title", &in->title, e)) < 0 ||
        (rc = jstr(req, o, "body", &in->body, e)) < 0 ||
        (rc = jstr(req, o, "need_type", &in->need_type, e)) < 0)
        return rc;
    if ((rc = jstr(req, o, "category", &in->category, e)) < 0)
        return rc;
    in->has_category = rc > 0;
    if ((rc = jtime(o, "effective_from", &in->effective_from, e)) < 0)
        return rc;
    in->has_effective_from = rc > 0;
    if ((rc = jstrs(req, o, "tags", KB_TAGS_MAX, &in->tags, &in->ntags, e)) < 0)
        return rc;
    in->has_tags = rc != 0; /* null: no tags */
    return 0;
}

static int write_article(struct request *req, struct response *resp, int64_t id)
{
    json_t *o;
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    struct kb_input in = {0};
    struct kf_error e = {0};
    struct kb_article k;
    rc = read_input(req, o, &in, &e);
    if (!rc)
        rc = id ? kb_update(req->db, &req->actor, id, &in, req->arena, &k, &e)
                : kb_create(req->db, &req->actor, &in, req->arena, &k, &e);
    json_decref(o);
    if (rc)
        return reply_error(resp, rc, &e);
    return reply_article(req, resp, &k, id ? 200 : 201);
}

int h_kb_create(struct request *req, struct response *resp)
{
    return write_article(req, resp, 0);
}

int h_kb_patch(struct request *req, struct response *resp)
{
    int64_t id = param_id(req, 0);
    return id ? write_article(req, resp, id) : reply_error(resp, KF_ENOTFOUND, NULL);
}

int h_kb_get(struct request *req, struct response *resp)
{
    struct kb_article k;
    int64_t id = param_id(req, 0);
    int rc = id ? kb_get(req->db, id, req->arena, &k) : KF_ENOTFOUND;
    return rc ? reply_error(resp, rc, NULL) : reply_article(req, resp, &k, 200);
}

int h_kb_list(struct request *req, struct response *resp)
{
    struct kb_query q = {.state = req_query(req, "state"),
                         .need_type = req_query(req, "need_type"),
                         .category = req_query(req, "category"),
                         .tag = req_query(req, "tag")};
    const char *limit = req_query(req, "limit"), *cursor = req_query(req, "cursor");
    q.limit = limit ? (int)parse_id(limit) : 50;
    if (q.limit < 1 || q.limit > KB_LIST_MAX)
        return reply_errorf(resp, 422, "validation_failed", "limit", "limit must be 1 to 100");
    if (cursor && !(q.before = parse_id(cursor)))
        return reply_errorf(resp, 422, "validation_failed", "cursor",
                            "this cursor does not belong to this list");
    struct kb_article *v;
    size_t n;
    struct kf_error e = {0};
    int rc = kb_list(req->db, &q, req->arena, &v, &n, &e);
    if (rc)
        return reply_error(resp, rc, &e);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_article(&w, req->arena, &v[i], 0);
    list_end(&w, n == (size_t)q.limit ? arena_printf(req->arena, "%lld", (long long)v[n - 1].id)
                                      : NULL);
    return 200;
}

static void render_version(struct jw *w, struct arena *a, const struct kb_version *v, int with_html)
{
    jw_obj_begin(w);
    jw_kint(w, "version", v->version);
    jw_kstr(w, "title", v->title);
    jw_kstr(w, "body", v->body);
    if (with_html)
        jw_kstr(w, "body_html", markdown_html(a, v->body, strlen(v->body)));
    jw_kstr(w, "need_type", v->need_type);
    jw_kstr(w, "category", v->category);
    render_tags(w, a, v->tags);
    jw_time(w, "effective_from", v->effective_from);
    jw_time(w, "created_at", v->created_at);
    jw_ref(w, "created_by", v->created_by, v->created_by_name);
    jw_obj_end(w);
}

int h_kb_versions(struct request *req, struct response *resp)
{
    struct kb_version *v;
    size_t n;
    int64_t id = param_id(req, 0);
    int rc = id ? kb_versions(req->db, id, req->arena, &v, &n) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_version(&w, req->arena, &v[i], 0);
    list_end(&w, NULL);
    return 200;
}

int h_kb_version_get(struct request *req, struct response *resp)
{
    struct kb_version v;
    int64_t id = param_id(req, 0), n = param_id(req, 1);
    int rc = id && n ? kb_version_get(req->db, id, n, req->arena, &v) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    render_version(&w, req->arena, &v, 1);
    return 200;
}

int h_kb_submit(struct request *req, struct response *resp)
{
    struct kb_article k;
    struct kf_error e = {0};
    int64_t id = param_id(req, 0);
    int rc = id ? kb_submit(req->db, &req->actor, id, req->arena, &k, &e) : KF_ENOTFOUND;
    return rc ? reply_error(resp, rc, &e) : reply_article(req, resp, &k, 200);
}

/* The optional JSON body of publish and obsolete: an empty body is {}. */
static int optional_body_or_reply(struct request *req, struct response *resp, json_t **ret)
{
    if (!req->body_len && !req->ahead.json) {
        *ret = json_object();
        return 0;
    }
    return body_object_or_reply(req, resp, ret);
}

int h_kb_publish(struct request *req, struct response *resp)
{
    json_t *o;
    int rc = optional_body_or_reply(req, resp, &o);
    if (rc)
        return rc;
    struct kf_error e = {0};
    int notify = 0;
    static const char *const known[] = {"notify", NULL};
    rc = jonly(req, o, known, NULL, &e);
    if (!rc)
        rc = jbool(o, "notify", &notify, &e) < 0 ? KF_EINVAL : 0;
    json_decref(o);
    struct kb_article k;
    int64_t id = param_id(req, 0);
    if (!rc)
        rc = id ? kb_publish(req->db, &req->actor, id, notify, req->arena, &k, &e) : KF_ENOTFOUND;
    return rc ? reply_error(resp, rc, &e) : reply_article(req, resp, &k, 200);
}

int h_kb_obsolete(struct request *req, struct response *resp)
{
    json_t *o;
    int rc = optional_body_or_reply(req, resp, &o);
    if (rc)
        return rc;
    struct kf_error e = {0};
    int64_t by = 0;
    static const char *const known[] = {"replaced_by", NULL};
    rc = jonly(req, o, known, NULL, &e);
    if (!rc)
        rc = jint(o, "replaced_by", &by, &e) < 0 ? KF_EINVAL : 0;
    json_decref(o);
    struct kb_article k;
    int64_t id = param_id(req, 0);
    if (!rc)
        rc = id ? kb_obsolete(req->db, &req->actor, id, by, req->arena, &k, &e) : KF_ENOTFOUND;
    return rc ? reply_error(resp, rc, &e) : reply_article(req, resp, &k, 200);
}

int h_kb_search(struct request *req, struct response *resp)
{
    const char *limit = req_query(req, "limit");
    int lim = limit ? (int)parse_id(limit) : 20;
    if (lim < 1 || lim > KB_SEARCH_MAX)
        return reply_errorf(resp, 422, "validation_failed", "limit", "limit must be 1 to 50");
    struct kb_article *v;
    size_t n;
    struct kf_error e = {0};
    int rc = kb_search(req->db, req_query(req, "q"), req_query(req, "need_type"),
                       req_query(req, "category"), lim, req->arena, &v, &n, &e);
    if (rc)
        return reply_error(resp, rc, &e);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_article(&w, req->arena, &v[i], 0);
    list_end(&w, NULL);
    return 200;
}

int h_ticket_archive(struct request *req, struct response *resp)
{
    struct kb_article k;
    struct kf_error e = {0};
    int rc = kb_archive_ticket(req->db, &req->actor, req->params[0], req->arena, &k, &e);
    return rc ? reply_error(resp, rc, &e) : reply_article(req, resp, &k, 201);
}

/* Beside the reply box: the articles and the standard replies (标准话术) for the ticket at hand,
 * up to 5 of each, each ranked by its own module for the same ticket. */
int h_ticket_suggestions(struct request *req, struct response *resp)
{
    struct kb_article *v;
    size_t n;
    struct kf_error e = {0};
    int64_t ticket_id = 0;
    int rc = kb_suggest(req->db, &req->actor, req->params[0], req->arena, &v, &n, &ticket_id, &e);
    if (rc)
        return reply_error(resp, rc, &e);
    struct reply_template *tv;
    size_t tn;
    if ((rc = reply_template_suggest(req->db, &req->actor, ticket_id, 5, req->arena, &tv, &tn)))
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "articles");
    jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++)
        render_article(&w, req->arena, &v[i], 0);
    jw_arr_end(&w);
    jw_key(&w, "templates");
    jw_arr_begin(&w);
    for (size_t i = 0; i < tn; i++)
        render_reply_template(&w, &tv[i]);
    jw_arr_end(&w);
    jw_obj_end(&w);
    return 200;
}

int h_kb_preview(struct request *req, struct response *resp)
{
    json_t *o;
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    struct kf_error e = {0};
    const char *body = NULL;
    static const char *const known[] = {"body", NULL};
    rc = jonly(req, o, known, NULL, &e);
    if (!rc && (rc = jstr(req, o, "body", &body, &e)) >= 0)
        rc = text_check(body, "body", KB_BODY_MAX, 0, &e);
    json_decref(o);
    if (rc)
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_kstr(&w, "body_html", markdown_html(req->arena, body ? body : "", body ? strlen(body) : 0));
    jw_obj_end(&w);
    return 200;
}
