/* http.h: Kefu's own request and response, as handlers see them (no libmicrohttpd here). */
#ifndef KEFU_HTTP_H
#define KEFU_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "lib/arena.h"
#include "lib/err.h"
#include "lib/strbuf.h"

struct db;
struct config;
struct writer;
struct sse;

enum { REQ_MAX_PARAMS = 4, REQ_MAX_QUERY = 32, RESP_MAX_HEADERS = 8 };

struct kv {
    const char *key, *value;
};

struct request {
    struct arena *arena;
    const char *method, *path;
    const char *params[REQ_MAX_PARAMS]; /* path parameters, in pattern order */
    struct kv query[REQ_MAX_QUERY];
    int nquery;
    const char *content_type, *if_match, *ip;
    const char *last_event_id;   /* the header, for the live stream */
    const char *signature;       /* X-Kefu-Signature, for inbound hooks */
    const char *accept_language; /* the header, for exports' column names */
    const char *body;
    size_t body_len;
    /* A JSON body parsed before the request waited for the writer (body_parse_ahead): the
     * json_t, which body_object_or_reply hands over, or the error it answers with. */
    struct {
        int done, status;
        void *json;
        const char *code, *message;
    } ahead;
    struct actor actor;
    /* a portal route's signed-in customer (ROLE_CUSTOMER), 0 elsewhere */
    int64_t customer_id, portal_session_id;
    /* a chat visitor's route (ROLE_VISITOR): the chat their token opens, 0 elsewhere */
    int64_t chat_id;
    const char *csrf_token; /* the session's, for /me and login */
    /* the writer's connection inside its transaction for a write (EXEC_WRITE); the thread's own
     * reading connection otherwise */
    struct db *db;
    /* where a handler that runs off the writer (EXEC_SLOW) submits what it writes */
    struct writer *writer;
    const struct config *cfg;
};

struct response {
    int status;
    const char *content_type;
    struct strbuf body;
    const void *data; /* a body not in `body` (a download), owned by the request arena */
    size_t data_len;
    /* a body sent from this open file (a download written to a temporary file), which the
     * response closes when sent; 0: none */
    int data_fd;
    struct kv headers[RESP_MAX_HEADERS];
    int nheaders;
    /* A body rendered later, on the HTTP thread that sends it (resp_defer). */
    void (*render)(const struct request *req, struct response *resp, const void *arg);
    const void *render_arg;
    struct sse *stream; /* an event stream to answer with instead of body (http/stream.h) */
};

/* Has the body rendered by render(req, resp, arg) just before the answer is sent, on an HTTP
 * thread: a write handler leaves the building of its JSON to that thread, so the writer spends
 * its time only on the transaction. render may not use req->db; arg lives in the request's
 * arena. An error answered later (reply_error) replaces it. Returns status. */
int resp_defer(struct response *resp, int status,
               void (*render)(const struct request *req, struct response *resp, const void *arg),
               const void *arg);

/* The value of a query parameter, or NULL. */
const char *req_query(const struct request *req, const char *key);
void resp_header(struct response *resp, const char *key, const char *value);

/* Writes {"error": {...}} with the status that belongs to rc (or `status` when not 0) and
 * returns the status. */
int reply_error(struct response *resp, int rc, const struct kf_error *e);
int reply_errorf(struct response *resp, int status, const char *code, const char *field,
                 const char *message);

typedef int handler_fn(struct request *req, struct response *resp);

#endif
