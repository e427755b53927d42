/* customers.c: handlers of customers and their service history. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/customer.h"
#include "core/ticket.h"
#include "http/handlers.h"
#include "http/json.h"
#include "lib/banned.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/text.h"

/* Reads the fields; null removes a contact, and may not remove the name or the tier. */
static int read_input(struct request *req, json_t *o, struct customer_input *in, struct kf_error *e)
{
    static const struct {
        const char *key;
        size_t offset;
        unsigned clear; /* 0: may not be null */
    } fields[] = {
        {"name", offsetof(struct customer_input, name), 0},
        {"phone", offsetof(struct customer_input, phone), CUSTOMER_CLEAR_PHONE},
        {"email", offsetof(struct customer_input, email), CUSTOMER_CLEAR_EMAIL},
        {"member_id", offsetof(struct customer_input, member_id), CUSTOMER_CLEAR_MEMBER_ID},
        {"tier", offsetof(struct customer_input, tier), 0},
    };
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const char **v = (const char **)((char *)in + fields[i].offset);
        int rc = jstr(req, o, fields[i].key, v, e);
        if (rc < 0)
            return rc;
        if (rc == 2 && !fields[i].clear)
            return kf_fail(e, KF_EINVAL, fields[i].key, "this field may not be null");
        if (rc == 2)
            in->clear |= fields[i].clear;
    }
    return 0;
}

static int reply_customer(struct request *req, struct response *resp, const struct customer *c,
                          int unmask, int status)
{
    struct jw w;
    jw_init(&w, &resp->body);
    render_customer(&w, req->arena, c, unmask);
    return status;
}

static int customer_write(struct request *req, struct response *resp, int64_t id)
{
    json_t *o;
    struct customer_input in = {0};
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    rc = read_input(req, o, &in, &e);
    json_decref(o);
    struct customer c;
    if (!rc)
        rc = id ? customer_update(req->db, &req->actor, id, &in, req->arena, &c, &e)
                : customer_create(req->db, &req->actor, &in, req->arena, &c, &e);
    if (rc)
        return reply_error(resp, rc, &e);
    return reply_customer(req, resp, &c, 0, id ? 200 : 201);
}

int h_customers_create(struct request *req, struct response *resp)
{
    return customer_write(req, resp, 0);
}

int h_customer_patch(struct request *req, struct response *resp)
{
    int64_t id = param_id(req, 0);
    return id ? customer_write(req, resp, id) : reply_error(resp, KF_ENOTFOUND, NULL);
}

/* The customer with its ticket count ("merged_into" for a merged one). */
static int reply_customer_detail(struct request *req, struct response *resp,
                                 const struct customer *c, int unmask)
{
    int64_t tickets;
    int rc = customer_ticket_count(req->db, c->id, &tickets);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    render_customer_fields(&w, req->arena, c, unmask);
    jw_kint(&w, "ticket_count", tickets);
    jw_obj_end(&w);
    return 200;
}

/* Reads customer {id} as stored into c and whether the caller may see full contacts
 * (?unmask=1 by a lead, audited) into *unmask: 0, or the status of the reply already given
 * (404, 403). */
static int customer_or_reply(struct request *req, struct response *resp, struct customer *c,
                             int *unmask)
{
    int64_t id = param_id(req, 0);
    int rc = id ? customer_record(req->db, id, req->arena, c) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    *unmask = query_flag(req, "unmask");
    if (!*unmask)
        return 0;
    if (!role_is_lead(req->actor.role))
        return reply_errorf(resp, 403, "forbidden", "unmask",
                            "only supervisors and admins may see full contacts");
    rc = customer_contact_viewed(req->db, &req->actor, id, 0);
    return rc ? reply_error(resp, rc, NULL) : 0;
}

int h_customer_get(struct request *req, struct response *resp)
{
    struct customer c;
    int unmask;
    int rc = customer_or_reply(req, resp, &c, &unmask);
    return rc ? rc : reply_customer_detail(req, resp, &c, unmask);
}

int h_customers_list(struct request *req, struct response *resp)
{
    const char *q = req_query(req, "q"), *limit = req_query(req, "limit");
    int n = 50;
    if (limit) {
        char *end;
        long v = strtol(limit, &end, 10);
        if (*end || v < 1 || v > 200)
            return reply_errorf(resp, 422, "validation_failed", "limit", "limit must be 1 to 200");
        n = (int)v;
    }
    if (q && strlen(q) > 254)
        return reply_errorf(resp, 422, "validation_failed", "q", "the search text is too long");
    /* a phone number is looked up as it is stored: digits only */
    struct customer_input norm = {.phone = q};
    struct customer *v;
    size_t count;
    if (q && *q && !customer_normalize(&norm, NULL, req->arena, NULL) && norm.phone)
        q = norm.phone;
    int rc = customer_search(req->db, q, n, req->arena, &v, &count);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < count; i++)
        render_customer(&w, req->arena, &v[i], 0);
    list_end(&w, NULL);
    return 200;
}

int h_customer_history(struct request *req, struct response *resp)
{
    const char *m = req_query(req, "months");
    long months = 3;
    if (m) {
        char *end;
        months = strtol(m, &end, 10);
        if (*end || months < 1 || months > 24)
            return reply_errorf(resp, 422, "validation_failed", "months", "months must be 1 to 24");
    }
    int64_t id = param_id(req, 0);
    struct customer c;
    int rc = id ? customer_record(req->db, id, req->arena, &c) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    struct ticket_query q = {0};
    q.customer_id = id;
    q.raised_from = ktime_now() - months * 30LL * 24 * 3600 * 1000;
    q.sort = -1;
    q.limit = 200;
    struct ticket *v;
    size_t n;
    const char *next;
    struct kf_error e = {0};
    if ((rc = ticket_list(req->db, &req->actor, &q, req->arena, &v, &n, &next, &e)))
        return reply_error(resp, rc, &e);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_ticket(&w, req->arena, &v[i], &req->actor, 0, NULL, 0);
    list_end(&w, next);
    return 200;
}

/* {"id", "kind", "value", "channel", "created_at"}: an external id's kind without its channel,
 * a phone, e-mail or member id masked unless unmask. */
static void render_identity(struct jw *w, struct arena *a, const struct customer_identity *i,
                            int unmask)
{
    const char *kind = i->kind, *channel = NULL, *value = i->value;
    if (!strncmp(kind, "external_id:", 12))
        channel = kind + 12, kind = "external_id";
    else if (!unmask && !strcmp(kind, "phone"))
        value = mask_phone(a, value);
    else if (!unmask && !strcmp(kind, "email"))
        value = mask_email(a, value);
    else if (!unmask && !strcmp(kind, "member_id"))
        value = mask_member(a, value);
    jw_obj_begin(w);
    jw_kint(w, "id", i->id);
    jw_kstr(w, "kind", kind);
    jw_kstr(w, "value", value);
    jw_kstr(w, "channel", channel);
    jw_time(w, "created_at", i->created_at);
    jw_obj_end(w);
}

int h_customer_identities(struct request *req, struct response *resp)
{
    struct customer c;
    int unmask;
    int rc = customer_or_reply(req, resp, &c, &unmask);
    if (rc)
        return rc;
    struct customer_identity *v;
    size_t n;
    if ((rc = customer_identities(req->db, c.id, req->arena, &v, &n)))
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_identity(&w, req->arena, &v[i], unmask);
    list_end(&w, NULL);
    return 200;
}

int h_customer_identity_add(struct request *req, struct response *resp)
{
    json_t *o;
    const char *kind = NULL, *value = NULL, *channel = NULL;
    struct kf_error e = {0};
    int64_t id = param_id(req, 0);
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    if ((rc = jstr(req, o, "kind", &kind, &e)) >= 0 &&
        (rc = jstr(req, o, "value", &value, &e)) >= 0)
        rc = jstr(req, o, "channel", &channel, &e);
    json_decref(o);
    struct customer_identity ident;
    if (rc >= 0)
        rc = id ? customer_identity_link(req->db, &req->actor, id, kind, channel, value, req->arena,
                                         &ident, &e)
                : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    render_identity(&w, req->arena, &ident, 0);
    return 201;
}

int h_customer_identity_delete(struct request *req, struct response *resp)
{
    int64_t id = param_id(req, 0), identity_id = param_id(req, 1);
    int rc = id && identity_id ? customer_identity_unlink(req->db, &req->actor, id, identity_id)
                               : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    return 204;
}

int h_customer_merge(struct request *req, struct response *resp)
{
    json_t *o;
    int64_t id = param_id(req, 0), from = 0, moved;
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    rc = jint(o, "from", &from, &e);
    json_decref(o);
    if (rc == 0 || rc == 2)
        return reply_error(resp, KF_EINVAL, &(struct kf_error){NULL, "from", "from is required"});
    struct customer c;
    if (rc > 0)
        rc = id ? customer_merge(req->db, &req->actor, id, from, req->arena, &c, &moved, &e)
                : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, &e);
    return reply_customer_detail(req, resp, &c, 0);
}
