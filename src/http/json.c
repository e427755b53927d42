/* json.c: request bodies in, Kefu's JSON shapes out. */
#include "http/json.h"

#include <string.h>

#include "core/attachment.h"
#include "core/dept.h"
#include "core/message.h"
#include "core/reply_template.h"
#include "core/sla.h"
#include "core/ticket.h"
#include "core/ticket_status.h"
#include "core/triage.h"
#include "core/user.h"
#include "lib/banned.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/text.h"

/* Parses the body as a JSON object: 0 and *ret, or the status of the error with its code and
 * message. */
static int parse_body(struct request *req, json_t **ret, const char **code, const char **message)
{
    const char *ct = req->content_type;
    *code = "bad_request";
    if (!ct || strncmp(ct, "application/json", 16) != 0 ||
        (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
        *code = "unsupported_media_type";
        *message = "send the body as application/json";
        return 415;
    }
    if (req->body_len && !utf8_valid(req->body, req->body_len)) {
        *message = "the body is not valid UTF-8";
        return 400;
    }
    json_error_t err;
    json_t *o = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &err);
    if (!o) {
        *message = arena_printf(req->arena, "malformed JSON at line %d, column %d: %s", err.line,
                                err.column, err.text);
        return 400;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        *message = "the body must be a JSON object";
        return 400;
    }
    *ret = o;
    return 0;
}

void body_parse_ahead(struct request *req)
{
    if (req->ahead.done || !req->content_type)
        return;
    json_t *o = NULL;
    req->ahead.status = parse_body(req, &o, &req->ahead.code, &req->ahead.message);
    req->ahead.json = o;
    req->ahead.done = 1;
}

void body_release_ahead(struct request *req)
{
    json_decref(req->ahead.json);
    req->ahead.json = NULL;
}

int body_object_or_reply(struct request *req, struct response *resp, json_t **ret)
{
    const char *code, *message;
    int status;
    if (req->ahead.done) {
        status = req->ahead.status;
        code = req->ahead.code, message = req->ahead.message;
        *ret = req->ahead.json;
        req->ahead.json = NULL; /* the caller's now */
    } else {
        status = parse_body(req, ret, &code, &message);
    }
    return status ? reply_errorf(resp, status, code, NULL, message) : 0;
}

int jstr(struct request *req, json_t *o, const char *key, const char **ret, struct kf_error *e)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (json_is_null(v)) {
        *ret = NULL;
        return 2;
    }
    if (!json_is_string(v))
        return kf_fail(e, KF_EINVAL, key, "must be a string");
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (memchr(s, 0, n))
        return kf_fail(e, KF_EINVAL, key, "may not contain NUL characters");
    *ret = arena_strndup(req->arena, s, n);
    return 1;
}

int jint(json_t *o, const char *key, int64_t *ret, struct kf_error *e)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (json_is_null(v)) {
        *ret = 0;
        return 2;
    }
    if (!json_is_integer(v))
        return kf_fail(e, KF_EINVAL, key, "must be an integer");
    *ret = json_integer_value(v);
    if (*ret <= 0)
        return kf_fail(e, KF_EINVAL, key, "must be a positive integer");
    return 1;
}

int jbool(json_t *o, const char *key, int *ret, struct kf_error *e)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return kf_fail(e, KF_EINVAL, key, "must be true or false");
    *ret = json_is_true(v);
    return 1;
}

int jtime(json_t *o, const char *key, int64_t *ret, struct kf_error *e)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (json_is_null(v)) {
        *ret = 0;
        return 2;
    }
    if (!json_is_string(v) || ktime_parse(json_string_value(v), ret))
        return kf_fail(e, KF_EINVAL, key,
                       "must be an RFC 3339 time such as 2023-10-01T09:05:00+08:00");
    return 1;
}

int jonly(struct request *req, json_t *o, const char *const *allowed, const char *field,
          struct kf_error *e)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = !strcmp(*a, key);
        if (!ok)
            return kf_fail(e, KF_EINVAL,
                           field ? arena_printf(req->arena, "%s.%s", field, key)
                                 : arena_strdup(req->arena, key),
                           "unknown field");
    }
    return 0;
}

int jstrs(struct request *req, json_t *o, const char *key, size_t max, const char ***ret,
          size_t *ret_n, struct kf_error *e)
{
    json_t *v = json_object_get(o, key);
    *ret = NULL;
    *ret_n = 0;
    if (!v || json_is_null(v))
        return v ? 2 : 0;
    if (!json_is_array(v))
        return kf_fail(e, KF_EINVAL, key, "must be an array of strings");
    size_t n = json_array_size(v);
    if (n > max)
        return kf_fail(e, KF_EINVAL, key, "has too many items");
    const char **out = arena_alloc(req->arena, (n ? n : 1) * sizeof(*out));
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        if (!json_is_string(x))
            return kf_fail(e, KF_EINVAL, key, "must be an array of strings");
        out[i] = arena_strdup(req->arena, json_string_value(x));
    }
    *ret = out;
    *ret_n = n;
    return 1;
}

int jids(json_t *o, const char *key, int64_t *ret, int max, int *ret_n, struct kf_error *e)
{
    json_t *v = json_object_get(o, key);
    *ret_n = 0;
    if (!v || json_is_null(v))
        return v ? 2 : 0;
    if (!json_is_array(v))
        return kf_fail(e, KF_EINVAL, key, "must be an array of ids");
    if ((int)json_array_size(v) > max)
        return kf_fail(e, KF_EINVAL, key, "too many items");
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        if (!json_is_integer(x) || json_integer_value(x) <= 0)
            return kf_fail(e, KF_EINVAL, key, "must be an array of ids");
        ret[(*ret_n)++] = json_integer_value(x);
    }
    return 1;
}

void jw_time(struct jw *w, const char *key, int64_t ms)
{
    char buf[KTIME_RFC3339_LEN];
    jw_key(w, key);
    if (!ms) {
        jw_null(w);
        return;
    }
    ktime_format(ms, buf);
    jw_str(w, buf);
}

void render_customer(struct jw *w, struct arena *a, const struct customer *c, int unmask)
{
    jw_obj_begin(w);
    render_customer_fields(w, a, c, unmask);
    jw_obj_end(w);
}

void render_customer_fields(struct jw *w, struct arena *a, const struct customer *c, int unmask)
{
    jw_kint(w, "id", c->id);
    jw_kstr(w, "name", c->name);
    jw_kstr(w, "phone", unmask ? c->phone : mask_phone(a, c->phone));
    jw_kstr(w, "email", unmask ? c->email : mask_email(a, c->email));
    jw_kstr(w, "member_id", unmask ? c->member_id : mask_member(a, c->member_id));
    jw_kstr(w, "tier", c->tier);
    if (c->created_at)
        jw_time(w, "created_at", c->created_at);
    jw_kbool(w, "masked", !unmask);
    if (c->merged_into)
        jw_kint(w, "merged_into", c->merged_into);
}

/* {"id", "code" (when not NULL), "name"}, or null for id 0. */
static void ref_object(struct jw *w, const char *key, int64_t id, const char *code,
                       const char *name)
{
    jw_key(w, key);
    if (!id) {
        jw_null(w);
        return;
    }
    jw_obj_begin(w);
    jw_kint(w, "id", id);
    if (code)
        jw_kstr(w, "code", code);
    jw_kstr(w, "name", name);
    jw_obj_end(w);
}

void jw_ref(struct jw *w, const char *key, int64_t id, const char *name)
{
    ref_object(w, key, id, NULL, name);
}

void jw_dept_ref(struct jw *w, const char *key, int64_t id, const char *code, const char *name)
{
    ref_object(w, key, id, code ? code : "", name);
}

static void minutes(struct jw *w, const char *key, int64_t from, int64_t to)
{
    jw_key(w, key);
    if (from && to)
        jw_int(w, (to - from) / 60000);
    else
        jw_null(w);
}

void render_ticket(struct jw *w, struct arena *a, const struct ticket *t, const struct actor *who,
                   int unmask, const struct attachment *att, size_t natt)
{
    jw_obj_begin(w);
    jw_kint(w, "id", t->id);
    jw_kstr(w, "number", t->number);
    jw_kint(w, "version", t->version);
    jw_kstr(w, "channel", t->channel);
    jw_kstr(w, "type", t->type);
    jw_kstr(w, "category", t->category);
    jw_kstr(w, "subject", t->subject);
    jw_kstr(w, "description", t->description);
    jw_kstr(w, "urgency", t->urgency);
    jw_kstr(w, "priority", t->priority);
    jw_kstr(w, "status", t->status);
    jw_key(w, "customer");
    render_customer(w, a, &t->customer, unmask);
    jw_kstr(w, "contact_name", t->contact_name);
    jw_kstr(w, "mood", t->mood);
    jw_kstr(w, "mood_note", t->mood_note);
    jw_ref(w, "assignee", t->assignee_id, t->assignee_name);
    jw_dept_ref(w, "department", t->department_id, t->department_code, t->department_name);
    jw_key(w, "times");
    jw_obj_begin(w);
    jw_time(w, "raised_at", t->raised_at);
    jw_time(w, "taken_over_at", t->taken_over_at);
    jw_time(w, "first_response_at", t->first_response_at);
    jw_time(w, "processing_started_at", t->processing_started_at);
    jw_time(w, "resolved_at", t->resolved_at);
    jw_time(w, "closed_at", t->closed_at);
    jw_obj_end(w);
    jw_key(w, "durations");
    jw_obj_begin(w);
    minutes(w, "first_response_minutes", t->raised_at, t->first_response_at);
    minutes(w, "resolution_minutes", t->raised_at, t->resolved_at);
    minutes(w, "total_minutes", t->raised_at, t->closed_at);
    jw_obj_end(w);
    jw_key(w, "due");
    jw_obj_begin(w);
    jw_time(w, "accept_by", t->accept_by);
    jw_time(w, "first_response_by", t->first_response_by);
    jw_time(w, "resolve_by", t->resolve_by);
    jw_obj_end(w);
    jw_time(w, "expected_at", t->expected_at);
    jw_kstr(w, "result", t->result);
    jw_kstr(w, "measures", t->measures);
    jw_key(w, "satisfaction");
    if (t->survey.answered) {
        jw_obj_begin(w);
        jw_kstr(w, "rating", t->survey.rating);
        jw_kint(w, "score", t->survey.score);
        jw_kstr(w, "comment", t->survey.comment);
        jw_time(w, "answered_at", t->survey.answered_at);
        jw_obj_end(w);
    } else {
        jw_null(w);
    }
    jw_key(w, "second_handling");
    if (t->second_handling.round) {
        jw_obj_begin(w);
        jw_time(w, "started_at", t->second_handling.started_at);
        jw_time(w, "due_at", t->second_handling.due_at);
        jw_kint(w, "round", t->second_handling.round);
        jw_time(w, "ended_at", t->second_handling.ended_at);
        jw_obj_end(w);
    } else {
        jw_null(w);
    }
    jw_kstr(w, "remarks", t->remarks);
    jw_ref(w, "reviewer", t->reviewer_id, t->reviewer_name);
    jw_time(w, "reviewed_at", t->reviewed_at);
    jw_key(w, "sla");
    jw_obj_begin(w);
    jw_key(w, "policy_id");
    t->sla_policy_id ? jw_int(w, t->sla_policy_id) : jw_null(w);
    jw_kbool(w, "paused", t->sla_paused);
    jw_key(w, "breached");
    jw_arr_begin(w);
    const char *breached[SLA__COUNT]; /* one per target at most */
    size_t nbreached = labels_split(a, t->sla_breached, breached, SLA__COUNT);
    for (size_t i = 0; i < nbreached; i++)
        jw_str(w, breached[i]);
    jw_arr_end(w);
    jw_obj_end(w);
    jw_key(w, "labels");
    jw_arr_begin(w);
    const char *labels[TICKET_LABELS_MAX];
    size_t nlabels = labels_split(a, t->labels, labels, TICKET_LABELS_MAX);
    for (size_t i = 0; i < nlabels; i++)
        jw_str(w, labels[i]);
    jw_arr_end(w);
    jw_key(w, "cooperating_departments");
    jw_arr_begin(w);
    for (size_t i = 0; i < t->ncooperating; i++) {
        jw_obj_begin(w);
        jw_kint(w, "id", t->cooperating[i].id);
        jw_kstr(w, "code", t->cooperating[i].code);
        jw_kstr(w, "name", t->cooperating[i].name);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "next_statuses");
    jw_arr_begin(w);
    const char *next[8];
    ticket_next_statuses(t, who, next);
    for (int i = 0; next[i]; i++)
        jw_str(w, next[i]);
    jw_arr_end(w);
    jw_dept_ref(w, "store", t->store_id, t->store_code, t->store_name); /* {id, code, name} */
    jw_ref(w, "created_by", t->created_by, t->created_by_name);
    jw_time(w, "created_at", t->created_at);
    jw_time(w, "updated_at", t->updated_at);
    if (att) {
        jw_key(w, "attachments");
        jw_arr_begin(w);
        for (size_t i = 0; i < natt; i++)
            if (!att[i].message_id) /* the files given with the ticket, not with a message */
                render_attachment(w, &att[i]);
        jw_arr_end(w);
    }
    jw_obj_end(w);
}

void render_user(struct jw *w, const struct user *u)
{
    jw_obj_begin(w);
    render_user_fields(w, u);
    jw_obj_end(w);
}

void render_user_fields(struct jw *w, const struct user *u)
{
    jw_kint(w, "id", u->id);
    jw_kstr(w, "username", u->username);
    jw_kstr(w, "name", u->name);
    jw_kstr(w, "role", role_name(u->role));
    jw_dept_ref(w, "department", u->department_id, u->department_code, u->department_name);
    jw_kbool(w, "active", u->active);
    jw_time(w, "created_at", u->created_at);
}

void render_department(struct jw *w, const struct department *d)
{
    jw_obj_begin(w);
    jw_kint(w, "id", d->id);
    jw_kstr(w, "code", d->code);
    jw_kstr(w, "name", d->name);
    jw_key(w, "supervisor_id");
    d->supervisor_id ? jw_int(w, d->supervisor_id) : jw_null(w);
    jw_kstr(w, "assignment", d->assignment);
    jw_key(w, "members");
    jw_arr_begin(w);
    for (size_t i = 0; i < d->nmembers; i++) {
        jw_obj_begin(w);
        jw_kint(w, "id", d->members[i].id);
        jw_kstr(w, "name", d->members[i].name);
        jw_kstr(w, "role", role_name(d->members[i].role));
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}

void render_attachment(struct jw *w, const struct attachment *at)
{
    jw_obj_begin(w);
    jw_kint(w, "id", at->id);
    jw_kstr(w, "filename", at->filename);
    jw_kstr(w, "content_type", at->content_type);
    jw_kint(w, "size", at->size);
    jw_kstr(w, "sha256", at->sha256);
    jw_obj_end(w);
}

/* A message. For staff, with the author's id and the mail's delivery; for the portal, the
 * author's kind and display name only. */
static void render_message_as(struct jw *w, const struct message *m, int staff)
{
    jw_obj_begin(w);
    jw_kint(w, "id", m->id);
    jw_kstr(w, "kind", m->kind);
    jw_kstr(w, "body", m->body);
    /* who wrote it: a customer (on any channel), a user, or Kefu itself */
    jw_key(w, "author");
    jw_obj_begin(w);
    jw_kstr(w, "kind", m->customer_id ? "customer" : m->author_id ? "user" : "system");
    if (staff) {
        jw_key(w, "id");
        m->customer_id ? jw_int(w, m->customer_id)
        : m->author_id ? jw_int(w, m->author_id)
                       : jw_null(w);
    }
    jw_kstr(w, "name", m->customer_id ? m->customer_name : m->author_id ? m->author_name : "Kefu");
    jw_obj_end(w);
    jw_time(w, "created_at", m->created_at);
    if (staff) /* the formatted mail is for staff (GET .../messages/{message}/html) */
        jw_kbool(w, "has_html", m->has_html);
    jw_key(w, "attachments");
    jw_arr_begin(w);
    for (size_t i = 0; i < m->nattachments; i++)
        render_attachment(w, &m->attachments[i]);
    jw_arr_end(w);
    if (staff) {
        jw_key(w, "delivery");
        if (m->mailed) {
            jw_obj_begin(w);
            jw_kstr(w, "status", m->delivery.status);
            jw_kint(w, "attempts", m->delivery.attempts);
            jw_kstr(w, "last_error", m->delivery.last_error);
            jw_time(w, "sent_at", m->delivery.sent_at);
            jw_obj_end(w);
        } else {
            jw_null(w);
        }
    }
    jw_obj_end(w);
}

void render_message(struct jw *w, const struct message *m)
{
    render_message_as(w, m, 1);
}

void render_public_message(struct jw *w, const struct message *m)
{
    render_message_as(w, m, 0);
}

void render_history(struct jw *w, const struct history_entry *h)
{
    jw_obj_begin(w);
    jw_kint(w, "id", h->id);
    jw_time(w, "at", h->at);
    jw_ref(w, "actor", h->actor_id, h->actor_name);
    jw_kstr(w, "action", h->action);
    jw_kraw(w, "detail", h->detail);
    jw_obj_end(w);
}

void list_begin(struct jw *w, struct response *resp)
{
    jw_init(w, &resp->body);
    jw_obj_begin(w);
    jw_key(w, "items");
    jw_arr_begin(w);
}

void list_end(struct jw *w, const char *next_cursor)
{
    jw_arr_end(w);
    jw_kstr(w, "next_cursor", next_cursor);
    jw_obj_end(w);
}

void render_reply_template(struct jw *w, const struct reply_template *t)
{
    jw_obj_begin(w);
    jw_kint(w, "id", t->id);
    jw_kstr(w, "name", t->name);
    jw_kstr(w, "type", t->type);
    jw_kstr(w, "category", t->category);
    jw_kstr(w, "shortcut", t->shortcut);
    jw_kstr(w, "body", t->body);
    jw_time(w, "created_at", t->created_at);
    jw_time(w, "updated_at", t->updated_at);
    jw_kstr(w, "updated_by", t->updated_by_name);
    jw_obj_end(w);
}
