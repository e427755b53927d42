/* portal.c: the customer portal's API: the public request form, uploads and code sign-in, and a
 * signed-in customer's own tickets (the kefu_portal cookie; see authenticate in server.c). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "core/attachment.h"
#include "core/customer.h"
#include "core/enums.h"
#include "core/mail_out.h"
#include "core/message.h"
#include "core/portal.h"
#include "core/ticket.h"
#include "http/handlers.h"
#include "http/json.h"
#include "lib/banned.h"
#include "lib/config.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/text.h"
#include "lib/throttle.h"
#include "store/db.h"
#include "store/writer.h"

/* ---- limits: per address (e-mail or phone) and per client address, as for staff sign-in ---- */

enum {
    SLOTS = 1024,
    WINDOW_MS = 15 * 60 * 1000,
    ADDRESS_LIMIT = 5,       /* forms, or code requests, per e-mail address or phone */
    WRONG_CODE_LIMIT = 10,   /* wrong codes per e-mail address (a code ends after 5) */
    UPLOADS_PER_REQUEST = 4, /* uploads allowed per client address, per allowed request */
};

struct limit {
    struct throttle *by_address, *by_ip;
    int address_limit, ip_factor;
};

#define LIMIT_TABLES(name)                                                                         \
    static struct throttle_entry name##_addr_e[SLOTS], name##_ip_e[SLOTS];                         \
    static struct throttle name##_addr = THROTTLE_INIT(name##_addr_e, WINDOW_MS);                  \
    static struct throttle name##_ip = THROTTLE_INIT(name##_ip_e, WINDOW_MS)

LIMIT_TABLES(form);
LIMIT_TABLES(code);
LIMIT_TABLES(wrong);
static struct throttle_entry upload_ip_e[SLOTS];
static struct throttle upload_ip = THROTTLE_INIT(upload_ip_e, WINDOW_MS);

static struct limit form_limit = {&form_addr, &form_ip, ADDRESS_LIMIT, 1};
static struct limit code_limit = {&code_addr, &code_ip, ADDRESS_LIMIT, 1};
static struct limit wrong_limit = {&wrong_addr, &wrong_ip, WRONG_CODE_LIMIT, 1};
static struct limit upload_limit = {NULL, &upload_ip, 0, UPLOADS_PER_REQUEST};

/* When address (may be NULL) or the client's address has reached its limit, it has replied 429
 * with Retry-After and returns that; else 0. Counts nothing. */
static int limited_or_reply(struct request *req, struct response *resp, const struct limit *l,
                            const char *address)
{
    int64_t now = ktime_monotonic(), retry = 0, r;
    int limited = 0;
    if (address && l->by_address &&
        throttle_count(l->by_address, address, now, &r) >= l->address_limit)
        limited = 1, retry = r;
    if (throttle_count(l->by_ip, req->ip, now, &r) >= req->cfg->portal_ip_limit * l->ip_factor) {
        limited = 1;
        retry = r > retry ? r : retry;
    }
    return limited ? reply_limited(req, resp, retry, "too many requests; wait and try again") : 0;
}

/* Counts one request (or failure) of address (may be NULL) and of the client's address. */
static void limit_count(struct request *req, const struct limit *l, const char *address)
{
    int64_t now = ktime_monotonic();
    if (address && l->by_address)
        throttle_fail(l->by_address, address, now);
    throttle_fail(l->by_ip, req->ip, now);
}

/* ---- reading ---- */

/* "attachments": up to PORTAL_MAX_UPLOADS upload tokens, as POST /api/v1/portal/attachments
 * gave them. */
static int jtokens(struct request *req, json_t *o, const char **ret, int *ret_n, struct kf_error *e)
{
    json_t *v = json_object_get(o, "attachments");
    *ret_n = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v) || json_array_size(v) > PORTAL_MAX_UPLOADS)
        return kf_fail(e, KF_EINVAL, "attachments", "must be a list of up to 20 upload tokens");
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        if (!json_is_string(x) || json_string_length(x) != PORTAL_TOKEN_TEXT - 1)
            return kf_fail(e, KF_EINVAL, "attachments", "must be a list of upload tokens");
        ret[(*ret_n)++] = arena_strdup(req->arena, json_string_value(x));
    }
    return 1;
}

/* The e-mail address of a sign-in request, normalized. */
static int read_email(struct request *req, json_t *o, const char **ret, struct kf_error *e)
{
    int rc = jstr(req, o, "email", ret, e);
    if (rc < 0)
        return rc;
    if (rc != 1)
        return kf_fail(e, KF_EINVAL, "email", "email is required");
    struct customer_input ci = {.email = *ret};
    if ((rc = customer_normalize(&ci, NULL, req->arena, e)))
        return rc;
    *ret = ci.email;
    return 0;
}

/* ---- writing: what a customer sees of a ticket ---- */

static void render_summary_fields(struct jw *w, const struct ticket *t)
{
    jw_kstr(w, "number", t->number);
    jw_kstr(w, "status", t->status);
    jw_kstr(w, "type", t->type);
    jw_kstr(w, "subject", t->subject);
    jw_time(w, "created_at", t->created_at);
    jw_time(w, "updated_at", t->updated_at);
    jw_time(w, "resolved_at", t->resolved_at);
    jw_time(w, "closed_at", t->closed_at);
    jw_kbool(w, "can_confirm",
             !strcmp(t->status, "waiting_customer") || !strcmp(t->status, "resolved"));
}

static void render_summary(struct jw *w, const struct ticket *t)
{
    jw_obj_begin(w);
    render_summary_fields(w, t);
    jw_obj_end(w);
}

/* The customer's own contact, in full: it is theirs. */
static void render_own_customer(struct jw *w, const struct customer *c)
{
    jw_obj_begin(w);
    jw_kstr(w, "name", c->name);
    jw_kstr(w, "email", c->email);
    jw_kstr(w, "phone", c->phone);
    jw_obj_end(w);
}

/* {"customer": {...}} of customer id, answered 200, or the error it replied with. */
static int customer_or_reply(struct request *req, struct response *resp, int64_t id)
{
    struct customer c;
    int rc = customer_get(req->db, id, req->arena, &c);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "customer");
    render_own_customer(&w, &c);
    jw_obj_end(&w);
    return 200;
}

static void render_attachments(struct jw *w, const struct attachment *v, size_t n, int own_only)
{
    jw_key(w, "attachments");
    jw_arr_begin(w);
    for (size_t i = 0; i < n; i++)
        if (!own_only || !v[i].message_id)
            render_attachment(w, &v[i]);
    jw_arr_end(w);
}

/* The ticket with its public conversation, as the answer. */
static int render_detail_or_reply(struct request *req, struct response *resp,
                                  const struct ticket *t, int status)
{
    struct message *msgs;
    struct attachment *att;
    size_t nmsgs, natt;
    int rc = portal_messages(req->db, t, req->arena, &msgs, &nmsgs);
    if (!rc)
        rc = ticket_attachments(req->db, t->id, req->arena, &att, &natt);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    render_summary_fields(&w, t);
    jw_kstr(&w, "description", t->description);
    jw_kstr(&w, "result", t->result);
    jw_key(&w, "assignee"); /* a display name only */
    if (t->assignee_id) {
        jw_obj_begin(&w);
        jw_kstr(&w, "name", t->assignee_name);
        jw_obj_end(&w);
    } else {
        jw_null(&w);
    }
    jw_key(&w, "customer");
    render_own_customer(&w, &t->customer);
    render_attachments(&w, att, natt, 1);
    jw_key(&w, "messages");
    jw_arr_begin(&w);
    for (size_t i = 0; i < nmsgs; i++)
        render_public_message(&w, &msgs[i]);
    jw_arr_end(&w);
    jw_obj_end(&w);
    return status;
}

/* ---- the public side ---- */

int h_portal_types(struct request *req, struct response *resp)
{
    (void)req;
    struct jw w;
    list_begin(&w, resp);
    for (const char *const *p = ticket_types; *p; p++) {
        jw_obj_begin(&w);
        jw_kstr(&w, "code", *p);
        jw_obj_end(&w);
    }
    list_end(&w, NULL);
    return 200;
}

int h_portal_tickets_create(struct request *req, struct response *resp)
{
    json_t *o;
    struct ticket_input in = {0};
    const char *name = NULL, *tokens[PORTAL_MAX_UPLOADS];
    int ntokens = 0;
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    struct customer_input *c = &in.customer;
    if ((rc = jstr(req, o, "type", &in.type, &e)) >= 0 &&
        (rc = jstr(req, o, "subject", &in.subject, &e)) >= 0 &&
        (rc = jstr(req, o, "description", &in.description, &e)) >= 0 &&
        (rc = jstr(req, o, "name", &name, &e)) >= 0 &&
        (rc = jstr(req, o, "email", &c->email, &e)) >= 0 &&
        (rc = jstr(req, o, "phone", &c->phone, &e)) >= 0)
        rc = jtokens(req, o, tokens, &ntokens, &e);
    json_decref(o);
    if (rc >= 0 && (rc = text_check(name, "name", 100, 1, &e)) == 0)
        rc = text_check(in.description, "description", DESCRIPTION_MAX, 1, &e);
    if (rc >= 0 && !rc && !c->email && !c->phone)
        rc = kf_fail(&e, KF_EINVAL, "email", "give an e-mail address or a phone number");
    c->name = in.contact_name = name;
    if (rc >= 0 && !rc)
        rc = customer_normalize(c, NULL, req->arena, &e);
    if (rc < 0)
        return reply_error(resp, rc, &e);
    const char *address = c->email ? c->email : c->phone;
    if ((rc = limited_or_reply(req, resp, &form_limit, address)))
        return rc;
    limit_count(req, &form_limit, address);
    struct ticket t;
    if ((rc = portal_ticket_create(req->db, &in, tokens, ntokens, req->arena, &t, &e)))
        return reply_error(resp, rc, &e);
    metrics_count_ticket();
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_kstr(&w, "number", t.number);
    jw_kstr(&w, "status", t.status);
    jw_obj_end(&w);
    return 201;
}

int h_portal_attachments_create(struct request *req, struct response *resp)
{
    int rc = limited_or_reply(req, resp, &upload_limit, NULL);
    if (rc)
        return rc;
    limit_count(req, &upload_limit, NULL);
    struct attachment a;
    struct kf_error e = {0};
    char token[PORTAL_TOKEN_TEXT];
    if ((rc = portal_upload(req->db, req_query(req, "filename"), req->content_type, req->body,
                            req->body_len, req->arena, &a, token, &e)))
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_kint(&w, "id", a.id);
    jw_kstr(&w, "filename", a.filename);
    jw_kstr(&w, "content_type", a.content_type);
    jw_kint(&w, "size", a.size);
    jw_kstr(&w, "token", token);
    jw_obj_end(&w);
    return 201;
}

/* Queues the mail that carries code to email, in this write's transaction. KF_ENOTFOUND when no
 * mail channel can send it. */
static int mail_code(struct request *req, const char *email, const char *code)
{
    struct mail_out m = {
        .kind = "code",
        .to = email,
        .subject = "您的登录验证码 Your sign-in code",
        .text = arena_printf(req->arena,
                             "您的验证码是 %s,10 分钟内有效,只能使用一次。\n"
                             "如果不是您本人在登录,请忽略这封邮件。\n\n"
                             "Your sign-in code is %s. It is valid for 10 minutes, once.\n"
                             "If you did not ask to sign in, ignore this mail.\n",
                             code, code),
    };
    struct kf_error e = {0};
    return mail_out_queue(req->db, &m, NULL, &e);
}

int h_portal_login(struct request *req, struct response *resp)
{
    json_t *o;
    const char *email = NULL;
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    rc = read_email(req, o, &email, &e);
    json_decref(o);
    if (rc)
        return reply_error(resp, rc, &e);
    if ((rc = limited_or_reply(req, resp, &code_limit, email)))
        return rc;
    limit_count(req, &code_limit, email);
    char code[PORTAL_CODE_DIGITS + 1];
    int64_t customer_id;
    if ((rc = portal_code_issue(req->db, email, code, &customer_id)))
        return reply_error(resp, rc, NULL);
    if (customer_id && (rc = mail_code(req, email, code)) == KF_ENOTFOUND) {
        fprintf(stderr,
                "kefu: portal: no mail channel can send the sign-in code for customer "
                "%lld: connect a mail channel with SMTP\n",
                (long long)customer_id);
        rc = 0;
    }
    if (rc)
        return reply_error(resp, rc, NULL);
    /* the same answer whether the address is known or not */
    strbuf_addf(&resp->body, "{\"expires_in\":%d}", PORTAL_CODE_TTL_MS / 1000);
    return 202;
}

struct verify_job {
    const char *email, *code, *ip;
    enum portal_outcome outcome;
    int64_t customer_id;
    char token[PORTAL_TOKEN_TEXT];
};

static int verify_run(struct db *db, void *arg)
{
    struct verify_job *v = arg;
    return portal_code_verify(db, v->email, v->code, v->ip, &v->outcome, &v->customer_id, v->token);
}

/* Runs off the writer (EXEC_SLOW), so that a wrong code is counted however it is answered. */
int h_portal_verify(struct request *req, struct response *resp)
{
    json_t *o;
    struct verify_job v = {.ip = req->ip};
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    if (!(rc = read_email(req, o, &v.email, &e)) && (rc = jstr(req, o, "code", &v.code, &e)) >= 0 &&
        rc != 1)
        rc = kf_fail(&e, KF_EINVAL, "code", "code is required");
    json_decref(o);
    if (rc >= 0 && (strlen(v.code) != PORTAL_CODE_DIGITS ||
                    strspn(v.code, "0123456789") != PORTAL_CODE_DIGITS))
        rc = kf_fail(&e, KF_EINVAL, "code", "the code has 6 digits");
    if (rc < 0)
        return reply_error(resp, rc, &e);
    if ((rc = limited_or_reply(req, resp, &wrong_limit, v.email)))
        return rc;
    if ((rc = writer_run(req->writer, verify_run, &v)))
        return reply_error(resp, rc, NULL);
    if (v.outcome != PORTAL_SIGNED_IN) {
        limit_count(req, &wrong_limit, v.email);
        return reply_errorf(resp, 401, "invalid_code", "code",
                            "the code is wrong, used or expired: ask for a new one");
    }
    throttle_reset(&wrong_addr, v.email);
    resp_header(resp, "Set-Cookie",
                arena_printf(req->arena,
                             "kefu_portal=%s; Path=/api/v1/portal; HttpOnly; SameSite=Strict; "
                             "Max-Age=%lld%s",
                             v.token, (long long)(PORTAL_SESSION_TTL_MS / 1000),
                             req->cfg->cookie_secure ? "; Secure" : ""));
    return customer_or_reply(req, resp, v.customer_id);
}

/* ---- the signed-in customer (ROLE_CUSTOMER routes) ---- */

int h_portal_logout(struct request *req, struct response *resp)
{
    int rc = portal_session_end(req->db, req->portal_session_id);
    if (rc)
        return reply_error(resp, rc, NULL);
    resp_header(resp, "Set-Cookie",
                "kefu_portal=; Path=/api/v1/portal; HttpOnly; SameSite=Strict; Max-Age=0");
    return 204;
}

int h_portal_me(struct request *req, struct response *resp)
{
    return customer_or_reply(req, resp, req->customer_id);
}

int h_portal_tickets_list(struct request *req, struct response *resp)
{
    static const struct actor all = {.name = "portal", .role = ROLE_ADMIN};
    struct ticket_query q = {.customer_id = req->customer_id, .sort = -1, .limit = 50};
    q.cursor = req_query(req, "cursor");
    struct ticket *v;
    size_t n;
    const char *next;
    struct kf_error e = {0};
    int rc = ticket_list(req->db, &all, &q, req->arena, &v, &n, &next, &e);
    if (rc)
        return reply_error(resp, rc, &e);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_summary(&w, &v[i]);
    list_end(&w, next);
    return 200;
}

int h_portal_ticket_get(struct request *req, struct response *resp)
{
    struct ticket t;
    int rc = portal_ticket_get(req->db, req->customer_id, req->params[0], req->arena, &t);
    if (rc)
        return reply_error(resp, rc, NULL);
    return render_detail_or_reply(req, resp, &t, 200);
}

int h_portal_messages_create(struct request *req, struct response *resp)
{
    json_t *o;
    const char *body = NULL, *tokens[PORTAL_MAX_UPLOADS];
    int ntokens = 0;
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    if ((rc = jstr(req, o, "body", &body, &e)) >= 0)
        rc = jtokens(req, o, tokens, &ntokens, &e);
    json_decref(o);
    if (rc < 0)
        return reply_error(resp, rc, &e);
    int64_t message_id;
    struct ticket t;
    if ((rc = portal_reply(req->db, req->customer_id, req->params[0], body, tokens, ntokens,
                           req->arena, &message_id, &e)) ||
        (rc = portal_ticket_get(req->db, req->customer_id, req->params[0], req->arena, &t)))
        return reply_error(resp, rc, &e);
    return render_detail_or_reply(req, resp, &t, 201);
}

int h_portal_confirm(struct request *req, struct response *resp)
{
    json_t *o;
    const char *comment = NULL;
    int accepted = 0;
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    if ((rc = jbool(o, "accepted", &accepted, &e)) >= 0 && rc != 1)
        rc = kf_fail(&e, KF_EINVAL, "accepted", "accepted is required: true or false");
    if (rc >= 0)
        rc = jstr(req, o, "comment", &comment, &e);
    json_decref(o);
    if (rc < 0)
        return reply_error(resp, rc, &e);
    struct ticket t;
    if ((rc = portal_confirm(req->db, req->customer_id, req->params[0], accepted, comment,
                             req->arena, &t, &e)))
        return reply_error(resp, rc, &e);
    return render_detail_or_reply(req, resp, &t, 200);
}

int h_portal_attachment_get(struct request *req, struct response *resp)
{
    struct attachment a;
    int64_t id = param_id(req, 0);
    int rc =
        id ? portal_attachment_get(req->db, req->customer_id, id, req->arena, &a) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    return attachment_download(req, resp, &a);
}
