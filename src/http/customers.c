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

int h_customer_get(struct request *req, struct response *resp)
{
    struct customer c;
    int unmask = query_flag(req, "unmask");
    if (unmask && !role_is_lead(req->actor.role))
        return reply_errorf(resp, 403, "forbidden", "unmask",
                            "only supervisors and admins may see full contacts");
    int64_t id = param_id(req, 0);
    int rc = id ? customer_get(req->db, id, req->arena, &c) : KF_ENOTFOUND;
    if (!rc && unmask)
        rc = customer_contact_viewed(req->db, &req->actor, id, 0);
    if (rc)
        return reply_error(resp, rc, NULL);
    return reply_customer(req, resp, &c, unmask, 200);
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
    int rc = id ? customer_get(req->db, id, req->arena, &c) : KF_ENOTFOUND;
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
