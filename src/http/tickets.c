/* tickets.c: handlers of tickets, their conversation, history and attachments. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "channels/html_clean.h"
#include "core/attachment.h"
#include "core/customer.h"
#include "core/message.h"
#include "core/ticket.h"
#include "core/ticket_status.h"
#include "http/handlers.h"
#include "http/json.h"
#include "lib/banned.h"
#include "lib/jw.h"
#include "lib/ktime.h"

/* Reads the strings of o named in keys into the pointers of out (absent: untouched). */
struct str_field {
    const char *key;
    const char **out;
    unsigned flag;
};

static int read_strings(struct request *req, json_t *o, const struct str_field *f, size_t n,
                        unsigned *set, struct kf_error *e)
{
    for (size_t i = 0; i < n; i++) {
        int rc = jstr(req, o, f[i].key, f[i].out, e);
        if (rc < 0)
            return rc;
        if (rc > 0 && set)
            *set |= f[i].flag;
    }
    return 0;
}

/* A ticket's answer as it is rendered later, on the HTTP thread (resp_defer). */
struct ticket_answer {
    struct ticket t;
    const struct attachment *att;
    size_t natt;
    int unmask;
};

static void render_answer(const struct request *req, struct response *resp, const void *arg)
{
    const struct ticket_answer *ta = arg;
    struct jw w;
    jw_init(&w, &resp->body);
    render_ticket(&w, req->arena, &ta->t, &req->actor, ta->unmask, ta->att, ta->natt);
}

static int render_one(struct request *req, struct response *resp, const struct ticket *t,
                      int unmask, int status)
{
    struct attachment *att;
    size_t natt;
    int rc = ticket_attachments(req->db, t->id, req->arena, &att, &natt);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct ticket_answer *ta = arena_alloc(req->arena, sizeof(*ta));
    *ta = (struct ticket_answer){*t, att, natt, unmask};
    resp_header(resp, "ETag", arena_printf(req->arena, "\"%lld\"", (long long)t->version));
    return resp_defer(resp, status, render_answer, ta);
}

int ticket_input_read(struct request *req, json_t *o, struct ticket_input *in, struct kf_error *e)
{
    const struct str_field fields[] = {
        {"channel", &in->channel, 0},           {"type", &in->type, 0},
        {"category", &in->category, 0},         {"subject", &in->subject, 0},
        {"description", &in->description, 0},   {"urgency", &in->urgency, 0},
        {"contact_name", &in->contact_name, 0}, {"mood", &in->mood, 0},
        {"mood_note", &in->mood_note, 0},
    };
    int rc = read_strings(req, o, fields, sizeof(fields) / sizeof(fields[0]), NULL, e);
    if (!rc && jtime(o, "raised_at", &in->raised_at, e) < 0)
        rc = KF_EINVAL;
    if (!rc && jtime(o, "expected_at", &in->expected_at, e) < 0)
        rc = KF_EINVAL;
    if (!rc && jint(o, "customer_id", &in->customer_id, e) < 0)
        rc = KF_EINVAL;
    if (!rc && jint(o, "store_id", &in->store_id, e) < 0)
        rc = KF_EINVAL;
    if (!rc &&
        jids(o, "attachments", in->attachments, TICKET_MAX_ATTACHMENTS, &in->nattachments, e) < 0)
        rc = KF_EINVAL;
    json_t *c = json_object_get(o, "customer");
    if (!rc && c && !json_is_null(c) && !in->customer_id) {
        if (!json_is_object(c)) {
            rc = kf_fail(e, KF_EINVAL, "customer", "must be an object");
        } else {
            const struct str_field cf[] = {
                {"name", &in->customer.name, 0},   {"phone", &in->customer.phone, 0},
                {"email", &in->customer.email, 0}, {"member_id", &in->customer.member_id, 0},
                {"tier", &in->customer.tier, 0},
            };
            rc = read_strings(req, c, cf, sizeof(cf) / sizeof(cf[0]), NULL, e);
            if (e->field)
                e->field = arena_printf(req->arena, "customer.%s", e->field);
            in->has_customer = 1;
        }
    }
    return rc;
}

int h_tickets_create(struct request *req, struct response *resp)
{
    json_t *o;
    struct ticket_input in = {0};
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    rc = ticket_input_read(req, o, &in, &e);
    json_decref(o);
    if (rc)
        return reply_error(resp, rc, &e);
    struct ticket t;
    if ((rc = ticket_create(req->db, &req->actor, &in, req->arena, &t, &e)))
        return reply_error(resp, rc, &e);
    metrics_count_ticket();
    return render_one(req, resp, &t, 0, 201);
}

int h_ticket_get(struct request *req, struct response *resp)
{
    struct ticket t;
    int unmask = query_flag(req, "unmask");
    if (unmask && !role_is_lead(req->actor.role))
        return reply_errorf(resp, 403, "forbidden", "unmask",
                            "only supervisors and admins may see full contacts");
    int rc = ticket_get(req->db, &req->actor, req->params[0], req->arena, &t);
    if (!rc && unmask)
        rc = customer_contact_viewed(req->db, &req->actor, t.customer.id, t.id);
    if (rc)
        return reply_error(resp, rc, NULL);
    return render_one(req, resp, &t, unmask, 200);
}

/* Parses a comma-free id filter: a number, "none" (-1) or "me". */
static int id_filter(struct request *req, const char *key, int64_t *ret, struct kf_error *e)
{
    const char *v = req_query(req, key);
    if (!v || !*v)
        return 0;
    if (!strcmp(v, "none")) {
        *ret = -1;
        return 0;
    }
    if (!strcmp(v, "me")) {
        *ret = req->actor.user_id;
        return 0;
    }
    if (!(*ret = parse_id(v)))
        return kf_fail(e, KF_EINVAL, key, "must be an id");
    return 0;
}

static int time_filter(struct request *req, const char *key, int64_t *ret, struct kf_error *e)
{
    const char *v = req_query(req, key);
    if (v && *v && ktime_parse(v, ret))
        return kf_fail(e, KF_EINVAL, key, "must be an RFC 3339 time");
    return 0;
}

int h_tickets_list(struct request *req, struct response *resp)
{
    struct ticket_query q = {0};
    struct kf_error e = {0};
    int64_t dept = 0, cust = 0, store = 0;
    q.status = req_query(req, "status");
    q.type = req_query(req, "type");
    q.channel = req_query(req, "channel");
    q.priority = req_query(req, "priority");
    q.urgency = req_query(req, "urgency");
    q.q = req_query(req, "q");
    q.category = req_query(req, "category");
    q.cursor = req_query(req, "cursor");
    const char *limit = req_query(req, "limit"), *sort = req_query(req, "sort");
    int rc = 0;
    if (limit) {
        char *end;
        long v = strtol(limit, &end, 10);
        if (*end || v < 1 || v > 200)
            rc = kf_fail(&e, KF_EINVAL, "limit", "limit must be 1 to 200");
        q.limit = (int)v;
    }
    if (!rc && sort) {
        if (!strcmp(sort, "created"))
            q.sort = 1;
        else if (!strcmp(sort, "-created"))
            q.sort = -1;
        else if (strcmp(sort, "priority"))
            rc = kf_fail(&e, KF_EINVAL, "sort", "sort must be priority, created or -created");
    }
    if (!rc)
        rc = id_filter(req, "assignee_id", &q.assignee_id, &e);
    if (!rc)
        rc = id_filter(req, "department_id", &dept, &e);
    if (!rc)
        rc = id_filter(req, "customer_id", &cust, &e);
    if (!rc)
        rc = id_filter(req, "store_id", &store, &e);
    if (!rc)
        rc = time_filter(req, "created_from", &q.created_from, &e);
    if (!rc)
        rc = time_filter(req, "created_to", &q.created_to, &e);
    if (!rc && q.category && strlen(q.category) > 64)
        rc = kf_fail(&e, KF_EINVAL, "category", "no such category");
    if (!rc && q.q && strlen(q.q) > 200)
        rc = kf_fail(&e, KF_EINVAL, "q", "the search text is too long");
    if (rc)
        return reply_error(resp, rc, &e);
    q.department_id = dept > 0 ? dept : 0;
    q.customer_id = cust > 0 ? cust : 0;
    q.store_id = store > 0 ? store : 0;
    struct ticket *v;
    size_t n;
    const char *next;
    if ((rc = ticket_list(req->db, &req->actor, &q, req->arena, &v, &n, &next, &e)))
        return reply_error(resp, rc, &e);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_ticket(&w, req->arena, &v[i], &req->actor, 0, NULL, 0);
    list_end(&w, next);
    return 200;
}

/* The version in If-Match ("3", "\"3\"" or W/"3") into *ret (0 without the header); on a
 * malformed header it has replied 400 and returns that. */
static int if_match_or_reply(struct request *req, struct response *resp, int64_t *ret)
{
    const char *s = req->if_match;
    *ret = 0;
    if (!s)
        return 0;
    if (s[0] == 'W' && s[1] == '/')
        s += 2;
    if (*s == '"')
        s++;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || v <= 0 || (*end && strcmp(end, "\"")))
        return reply_errorf(resp, 400, "bad_request", "If-Match",
                            "If-Match must be the ticket's version");
    *ret = v;
    return 0;
}

int h_ticket_patch(struct request *req, struct response *resp)
{
    json_t *o;
    struct ticket_patch p = {0};
    struct kf_error e = {0};
    int rc = if_match_or_reply(req, resp, &p.if_version);
    if (rc)
        return rc;
    rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    const struct str_field fields[] = {
        {"type", &p.type, TF_TYPE},
        {"category", &p.category, TF_CATEGORY},
        {"urgency", &p.urgency, TF_URGENCY},
        {"subject", &p.subject, TF_SUBJECT},
        {"description", &p.description, TF_DESCRIPTION},
        {"status", &p.status, TF_STATUS},
        {"contact_name", &p.contact_name, TF_CONTACT_NAME},
        {"result", &p.result, TF_RESULT},
        {"measures", &p.measures, TF_MEASURES},
        {"remarks", &p.remarks, TF_REMARKS},
        {"mood", &p.mood, TF_MOOD},
        {"mood_note", &p.mood_note, TF_MOOD_NOTE},
    };
    rc = read_strings(req, o, fields, sizeof(fields) / sizeof(fields[0]), &p.set, &e);
    int r;
    if (!rc && (r = jint(o, "assignee_id", &p.assignee_id, &e)) != 0)
        rc = r < 0 ? r : 0, p.set |= r > 0 ? TF_ASSIGNEE : 0;
    if (!rc && (r = jint(o, "department_id", &p.department_id, &e)) != 0)
        rc = r < 0 ? r : 0, p.set |= r > 0 ? TF_DEPARTMENT : 0;
    if (!rc && (r = jtime(o, "expected_at", &p.expected_at, &e)) != 0)
        rc = r < 0 ? r : 0, p.set |= r > 0 ? TF_EXPECTED : 0;
    if (!rc && (r = jint(o, "store_id", &p.store_id, &e)) != 0)
        rc = r < 0 ? r : 0, p.set |= r > 0 ? TF_STORE : 0;
    json_decref(o);
    if (rc)
        return reply_error(resp, rc, &e);
    /* fields that may not be null */
    static const struct {
        unsigned flag;
        const char *name;
    } required[] = {
        {TF_TYPE, "type"}, {TF_URGENCY, "urgency"}, {TF_SUBJECT, "subject"}, {TF_STATUS, "status"}};
    const char *const *vals[] = {&p.type, &p.urgency, &p.subject, &p.status};
    for (size_t i = 0; i < 4; i++)
        if ((p.set & required[i].flag) && !*vals[i])
            return reply_errorf(resp, 422, "validation_failed", required[i].name,
                                "may not be null");
    struct ticket t;
    if ((rc = ticket_update(req->db, &req->actor, req->params[0], &p, req->arena, &t, &e)))
        return reply_error(resp, rc, &e);
    return render_one(req, resp, &t, 0, 200);
}

int h_ticket_history(struct request *req, struct response *resp)
{
    struct history_entry *v;
    size_t n;
    int rc = history_list(req->db, &req->actor, req->params[0], req->arena, &v, &n);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_history(&w, &v[i]);
    list_end(&w, NULL);
    return 200;
}

int h_messages_list(struct request *req, struct response *resp)
{
    struct message *v;
    size_t n;
    int rc = message_list(req->db, &req->actor, req->params[0], req->arena, &v, &n);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_message(&w, &v[i]);
    list_end(&w, NULL);
    return 200;
}

/* A mail's HTML body, sanitised by the allow-list of html_clean() for showing in a sandboxed
 * frame; the text body stays what the conversation shows. */
int h_message_html(struct request *req, struct response *resp)
{
    int64_t id = param_id(req, 1);
    const char *html = NULL;
    int rc = id ? message_html_get(req->db, &req->actor, req->params[0], id, req->arena, &html)
                : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_kint(&w, "message_id", id);
    jw_kstr(&w, "html", html_clean(req->arena, html, strlen(html)));
    jw_obj_end(&w);
    return 200;
}

int h_messages_create(struct request *req, struct response *resp)
{
    json_t *o;
    const char *kind = NULL, *body = NULL;
    int64_t att[TICKET_MAX_ATTACHMENTS];
    int natt = 0;
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    if ((rc = jstr(req, o, "kind", &kind, &e)) >= 0 && (rc = jstr(req, o, "body", &body, &e)) >= 0)
        rc = jids(o, "attachments", att, TICKET_MAX_ATTACHMENTS, &natt, &e);
    json_decref(o);
    if (rc < 0)
        return reply_error(resp, rc, &e);
    struct message m;
    if ((rc = message_add(req->db, &req->actor, req->params[0], kind, body, att, natt, req->arena,
                          &m, &e)))
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    render_message(&w, &m);
    return 201;
}

int h_attachments_create(struct request *req, struct response *resp)
{
    struct attachment a;
    struct kf_error e = {0};
    const char *name = req_query(req, "filename");
    int rc = attachment_create(req->db, &req->actor, name, req->content_type, req->body,
                               req->body_len, req->arena, &a, &e);
    if (rc)
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    render_attachment(&w, &a);
    return 201;
}

/* RFC 5987 encoding of a file name for Content-Disposition. */
static const char *disposition(struct arena *arena, const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(name);
    char *enc = arena_alloc(arena, n * 3 + 1), *q = enc;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '.' || *p == '-' || *p == '_') {
            *q++ = (char)*p;
        } else {
            *q++ = '%';
            *q++ = hex[*p >> 4];
            *q++ = hex[*p & 15];
        }
    }
    *q = '\0';
    return arena_printf(arena, "attachment; filename*=UTF-8''%s", enc);
}

int h_attachment_get(struct request *req, struct response *resp)
{
    struct attachment a;
    int64_t id = param_id(req, 0);
    int rc = id ? attachment_get(req->db, &req->actor, id, req->arena, &a) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    return attachment_download(req, resp, &a);
}

int attachment_download(struct request *req, struct response *resp, const struct attachment *a)
{
    resp->data = a->data;
    resp->data_len = (size_t)a->size;
    resp->content_type = a->content_type;
    resp_header(resp, "Content-Disposition", disposition(req->arena, a->filename));
    resp_header(resp, "Content-Security-Policy", "sandbox");
    return 200;
}

int h_ticket_review(struct request *req, struct response *resp)
{
    struct kf_error e = {0};
    int64_t version = 0;
    int rc = if_match_or_reply(req, resp, &version);
    if (rc)
        return rc;
    struct ticket t;
    if ((rc = ticket_review(req->db, &req->actor, req->params[0], version, req->arena, &t, &e)))
        return reply_error(resp, rc, &e);
    return render_one(req, resp, &t, 0, 200);
}
