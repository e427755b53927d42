/* reply.c: what handlers share: query parameters, ids, headers and error answers. */
#include <stdlib.h>
#include <string.h>

#include "http/handlers.h"
#include "http/http.h"
#include "lib/banned.h"
#include "lib/jw.h"

const char *req_query(const struct request *req, const char *key)
{
    for (int i = 0; i < req->nquery; i++)
        if (!strcmp(req->query[i].key, key))
            return req->query[i].value;
    return NULL;
}

int query_flag(const struct request *req, const char *key)
{
    const char *v = req_query(req, key);
    return v && (!strcmp(v, "1") || !strcmp(v, "true"));
}

int64_t parse_id(const char *s)
{
    char *end;
    long long v = s ? strtoll(s, &end, 10) : 0;
    return s && *s && !*end && v > 0 ? v : 0;
}

int64_t param_id(const struct request *req, int i)
{
    return parse_id(req->params[i]);
}

void resp_header(struct response *resp, const char *key, const char *value)
{
    if (resp->nheaders < RESP_MAX_HEADERS) {
        resp->headers[resp->nheaders].key = key;
        resp->headers[resp->nheaders].value = value;
        resp->nheaders++;
    }
}

int reply_errorf(struct response *resp, int status, const char *code, const char *field,
                 const char *message)
{
    struct jw w;
    strbuf_reset(&resp->body);
    resp->data = NULL;
    resp->render = NULL;
    resp->content_type = "application/json";
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "error");
    jw_obj_begin(&w);
    jw_kstr(&w, "code", code);
    jw_kstr(&w, "message", message);
    if (field)
        jw_kstr(&w, "field", field);
    jw_obj_end(&w);
    jw_obj_end(&w);
    resp->status = status;
    return status;
}

int reply_error(struct response *resp, int rc, const struct kf_error *e)
{
    static const struct {
        int rc, status;
        const char *code, *message;
    } map[] = {
        {KF_EINVAL, 422, "validation_failed", "a value is not acceptable"},
        {KF_ENOTFOUND, 404, "not_found", "no such resource"},
        {KF_ECONFLICT, 409, "conflict", "the resource changed or exists already"},
        {KF_EFORBIDDEN, 403, "forbidden", "your role does not allow this"},
        {KF_EAUTH, 401, "unauthorized", "sign in first"},
        {KF_ETOOBIG, 413, "too_large", "the request is too large"},
        {KF_EBADREQ, 400, "bad_request", "the request is malformed"},
        {KF_ELIMIT, 429, "too_many_requests", "too many requests; wait and try again"},
        {KF_EBUSY, 503, "unavailable", "the database is busy; try again"},
        {KF_ESHUTDOWN, 503, "shutting_down", "the server is stopping"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (map[i].rc == rc)
            return reply_errorf(resp, map[i].status, map[i].code, e ? e->field : NULL,
                                e && e->message ? e->message : map[i].message);
    return reply_errorf(resp, 500, "internal", NULL, "the server failed; try again later");
}

int resp_defer(struct response *resp, int status,
               void (*render)(const struct request *req, struct response *resp, const void *arg),
               const void *arg)
{
    resp->render = render;
    resp->render_arg = arg;
    resp->status = status;
    return status;
}

int reply_limited(struct request *req, struct response *resp, int64_t retry_ms, const char *message)
{
    int seconds = retry_ms > 0 ? (int)((retry_ms + 999) / 1000) : 1;
    resp_header(resp, "Retry-After", arena_printf(req->arena, "%d", seconds));
    return reply_errorf(resp, 429, "too_many_requests", NULL, message);
}
