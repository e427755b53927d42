/* server.c: HTTP on libmicrohttpd: sessions, parking writes and resuming them, operations.
 *
 * Reads run on libmicrohttpd's threads, each with its own read connection. A write is parked
 * (MHD_suspend_connection) and submitted to the store's writer as a job: its handler runs in
 * the writer's transaction, and the connection resumes once that is durable (store/writer.h).
 * Password hashing runs on two more threads so that logins cannot starve the rest, and requests
 * that wait for another server (a mail channel's test) on two others; what they write goes to
 * the writer too. */
#define _GNU_SOURCE
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/chat.h"
#include "core/portal.h"
#include "core/sla.h"
#include "core/survey.h"
#include "core/user.h"
#include "http/framing.h"
#include "http/handlers.h"
#include "http/http.h"
#include "http/json.h"
#include "http/router.h"
#include "http/static.h"
#include "http/stream.h"
#include "http/webhooks.h"
#include "jobs/channel_sender.h"
#include "jobs/mail_poll.h"
#include "jobs/mail_sender.h"
#include "jobs/outbox.h"
#include "jobs/scheduler.h"
#include "lib/banned.h"
#include "lib/config.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/xalloc.h"
#include "store/db.h"
#include "store/writer.h"

enum {
    JSON_BODY_MAX = 1024 * 1024,
    RESPONSE_MAX = 64 * 1024 * 1024,
    SLOW_THREADS = 2,
    NET_THREADS = 2,
    LONG_THREADS = 1, /* exports: one at a time, the rest wait their turn */
};

enum conn_state { CS_READING, CS_QUEUED, CS_DONE };

struct conn_req {
    struct arena arena;
    struct strbuf body;
    int too_big;
    int parked; /* suspended and counted in srv.parked, until libmicrohttpd takes it back */
    enum conn_state state;
    const struct route *route;
    struct request req;
    struct response resp;
    struct write_job job; /* a write, as the writer runs it */
    struct MHD_Connection *conn;
    struct conn_req *next;
};

struct executor {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct conn_req *head, *tail;
    int stop, nthreads;
    pthread_t threads[SLOW_THREADS > NET_THREADS ? SLOW_THREADS : NET_THREADS];
};

static struct {
    const struct config *cfg;
    char db_path[600];
    struct writer *writer;
    struct scheduler *scheduler;
    char link_base[160];                 /* where links to the server point without public_url */
    struct outbox *outbox;               /* the notification webhook's dispatcher */
    struct mail_sender *mail;            /* sends queued mail */
    struct channel_sender_job *chan_out; /* sends what other channels queued */
    struct mail_poller *mailboxes;       /* the mailboxes of the mail channels */
    struct executor slow;
    struct executor net;     /* requests that wait for another server (a mail channel's test) */
    struct executor longrun; /* long reads (the record export), off the request threads */
    pthread_key_t db_key;
    atomic_long requests[6]; /* by status class 1xx..5xx */
    atomic_long tickets_created;
    atomic_long parked; /* connections suspended: libmicrohttpd may not stop while any are */
    atomic_int stopping;
} srv;

void metrics_count_ticket(void)
{
    atomic_fetch_add(&srv.tickets_created, 1);
}

/* ---- database connections ---- */

static void close_thread_db(void *p)
{
    db_close(p);
}

/* The calling thread's own connection, opened on first use with flags besides
 * DB_NO_CHECKPOINT. NULL when the file cannot be opened. */
static struct db *thread_db(int flags)
{
    struct db *db = pthread_getspecific(srv.db_key);
    if (!db) {
        if (db_open(srv.db_path, DB_NO_CHECKPOINT | flags, &db, NULL)) {
            fprintf(stderr, "kefu: cannot open \"%s\"\n", srv.db_path);
            return NULL;
        }
        pthread_setspecific(srv.db_key, db);
    }
    return db;
}

/* ---- running handlers ---- */

static void run_handler(struct conn_req *cr, struct db *db)
{
    cr->req.db = db;
    int status = cr->route->fn(&cr->req, &cr->resp);
    cr->resp.status = status;
    if (status >= 500 && db)
        fprintf(stderr, "kefu: %s %s answered %d: %s\n", cr->req.method, cr->req.path, status,
                db_errmsg(db));
    if (db)
        db_reset_all(db);
}

/* The answer to a write that arrives once the server is stopping: it did not happen. */
static void refuse_stopping(struct response *resp)
{
    reply_error(resp, KF_ESHUTDOWN, NULL);
    resp_header(resp, "Connection", "close");
}

static void finish(struct conn_req *cr)
{
    cr->state = CS_DONE;
    MHD_resume_connection(cr->conn);
}

static struct conn_req *job_conn(struct write_job *job)
{
    return (struct conn_req *)((char *)job - offsetof(struct conn_req, job));
}

/* A write request as a job of the writer: the handler runs in the writer's transaction, and an
 * answer of 400 or more undoes what it wrote. */
static int http_job_run(struct db *db, struct write_job *job)
{
    struct conn_req *cr = job_conn(job);
    run_handler(cr, db);
    return cr->resp.status >= 400;
}

/* The write is durable or failed: the parked connection resumes with its answer. */
static void http_job_done(struct write_job *job, int status)
{
    struct conn_req *cr = job_conn(job);
    if (status && cr->resp.status < 400)
        reply_error(&cr->resp, status == KF_EBUSY ? KF_EBUSY : KF_EDB, NULL);
    finish(cr);
}

static void executor_push(struct executor *ex, struct conn_req *cr)
{
    pthread_mutex_lock(&ex->mu);
    if (ex->stop) { /* a request that arrived after shutdown began */
        pthread_mutex_unlock(&ex->mu);
        refuse_stopping(&cr->resp);
        finish(cr);
        return;
    }
    cr->next = NULL;
    if (ex->tail)
        ex->tail->next = cr;
    else
        ex->head = cr;
    ex->tail = cr;
    pthread_cond_signal(&ex->cv);
    pthread_mutex_unlock(&ex->mu);
}

/* Runs slow requests (password hashing) one at a time per thread; what they write goes to the
 * writer (writer_run), on which they may wait. */
static void *executor_main(void *arg)
{
    struct executor *ex = arg;
    struct db *db = thread_db(0);
    for (;;) {
        pthread_mutex_lock(&ex->mu);
        while (!ex->head && !ex->stop)
            pthread_cond_wait(&ex->cv, &ex->mu);
        struct conn_req *jobs = ex->head;
        if (!jobs) { /* stopped, and nothing is left */
            pthread_mutex_unlock(&ex->mu);
            break;
        }
        ex->head = jobs->next;
        if (!ex->head)
            ex->tail = NULL;
        jobs->next = NULL;
        pthread_mutex_unlock(&ex->mu);
        if (!db)
            reply_error(&jobs->resp, KF_EDB, NULL);
        else
            run_handler(jobs, db);
        finish(jobs); /* after our own lock is released */
    }
    return NULL;
}

static void executor_start(struct executor *ex, const char *name, int nthreads)
{
    pthread_mutex_init(&ex->mu, NULL);
    pthread_cond_init(&ex->cv, NULL);
    ex->nthreads = nthreads;
    for (int i = 0; i < nthreads; i++) {
        pthread_create(&ex->threads[i], NULL, executor_main, ex);
        pthread_setname_np(ex->threads[i], name); /* for top -H and perf */
    }
}

static void executor_stop(struct executor *ex)
{
    pthread_mutex_lock(&ex->mu);
    ex->stop = 1;
    pthread_cond_broadcast(&ex->cv);
    pthread_mutex_unlock(&ex->mu);
    for (int i = 0; i < ex->nthreads; i++)
        pthread_join(ex->threads[i], NULL);
}

/* ---- libmicrohttpd glue ---- */

static void add_security_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
}

/* The chat visitor's routes, called from other sites by the widget: CORS for these alone. They
 * take no cookie (the token is a header), so any origin may call them. */
static int is_visitor_path(const char *path)
{
    return !strncmp(path, "/api/v1/chat/", 13);
}

static enum MHD_Result queue(struct conn_req *cr)
{
    struct response *resp = &cr->resp;
    struct MHD_Response *r;
    if (resp->render) {
        resp->render(&cr->req, resp, resp->render_arg);
        resp->render = NULL;
    }
    if (resp->stream) { /* an open event stream: its hub feeds it (http/stream.h) */
        struct sse *s = resp->stream;
        resp->stream = NULL;
        if (!(r = stream_response(s, cr->conn)))
            return MHD_NO;
    } else if (resp->data_fd > 0) {
        struct stat sb;
        int fd = resp->data_fd;
        resp->data_fd = 0;
        r = fstat(fd, &sb) ? NULL : MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
        if (!r) {
            close(fd);
            return MHD_NO;
        }
    } else if (resp->data) {
        r = MHD_create_response_from_buffer(resp->data_len, (void *)resp->data,
                                            MHD_RESPMEM_MUST_COPY);
    } else {
        size_t len;
        char *body = strbuf_detach(&resp->body, &len);
        r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    }
    if (!r)
        return MHD_NO;
    add_security_headers(r);
    if (!MHD_get_response_header(r, "Content-Type"))
        MHD_add_response_header(r, "Content-Type",
                                resp->content_type ? resp->content_type : "application/json");
    if (!resp->data || strncmp(cr->req.path, "/api/", 5) == 0)
        MHD_add_response_header(r, "Cache-Control", "no-store");
    for (int i = 0; i < resp->nheaders; i++)
        MHD_add_response_header(r, resp->headers[i].key, resp->headers[i].value);
    if (is_visitor_path(cr->req.path)) /* the chat widget runs on the customer's own site */
        MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
    int status = resp->status ? resp->status : 200;
    if (status >= 100 && status < 600)
        atomic_fetch_add(&srv.requests[status / 100], 1);
    enum MHD_Result ok = MHD_queue_response(cr->conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result serve_static(struct conn_req *cr)
{
    const struct static_file *sf = static_find(cr->req.path);
    struct MHD_Response *r;
    if (!sf) {
        static const char msg[] = "<!doctype html><meta charset=utf-8><title>Kefu</title>"
                                  "<p>The web app is not built: run <code>make web</code>.";
        r = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
    } else {
        r = MHD_create_response_from_buffer(sf->len, sf->data, MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, "Content-Type", sf->type);
        MHD_add_response_header(r, "Cache-Control",
                                sf->immutable ? "public, max-age=31536000, immutable" : "no-cache");
    }
    add_security_headers(r);
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data: blob:; "
                            "style-src 'self' 'unsafe-inline'; font-src 'self' data:; "
                            "frame-ancestors 'none'");
    atomic_fetch_add(&srv.requests[2], 1);
    enum MHD_Result ok = MHD_queue_response(cr->conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    struct conn_req *cr = cls;
    (void)kind;
    if (cr->req.nquery < REQ_MAX_QUERY) {
        cr->req.query[cr->req.nquery].key = arena_strdup(&cr->arena, key);
        cr->req.query[cr->req.nquery].value = arena_strdup(&cr->arena, value ? value : "");
        cr->req.nquery++;
    }
    return MHD_YES;
}

/* A portal route's caller: the kefu_portal cookie alone (a staff token or session is no
 * customer). 0, or the status it replied with. */
static int authenticate_customer(struct conn_req *cr, struct db *db)
{
    struct request *req = &cr->req;
    const char *cookie = MHD_lookup_connection_value(cr->conn, MHD_COOKIE_KIND, "kefu_portal");
    int rc = cookie && *cookie
                 ? portal_session_resolve(db, cookie, &req->portal_session_id, &req->customer_id)
                 : KF_EAUTH;
    if (rc == KF_EAUTH)
        return reply_errorf(&cr->resp, 401, "unauthorized", NULL, "sign in to the portal first");
    return rc ? reply_error(&cr->resp, rc, NULL) : 0;
}

/* A chat visitor's route: "Authorization: Visitor <token>" (or ?visitor_token=, for an
 * EventSource) for the chat in the path; another chat's token finds nothing there. 0, or the
 * status it replied with. */
static int authenticate_visitor(struct conn_req *cr, struct db *db)
{
    struct request *req = &cr->req;
    const char *auth = MHD_lookup_connection_value(cr->conn, MHD_HEADER_KIND, "Authorization");
    const char *token =
        auth && !strncasecmp(auth, "Visitor ", 8) ? auth + 8 : req_query(req, "visitor_token");
    if (!token || !*token)
        return reply_errorf(&cr->resp, 401, "unauthorized", NULL,
                            "send the chat's token: Authorization: Visitor <token>");
    int64_t id = param_id(req, 0);
    int rc = id ? chat_check_token(db, id, token) : KF_ENOTFOUND;
    db_reset_all(db);
    if (rc == KF_ENOTFOUND)
        return reply_errorf(&cr->resp, 404, "not_found", NULL, "no such chat");
    if (rc)
        return reply_error(&cr->resp, rc, NULL);
    req->chat_id = id;
    return 0;
}

/* Who is calling: a Bearer token or the session cookie (the portal's cookie on portal routes
 * only). 0, or the status it replied with. */
static int authenticate(struct conn_req *cr, struct db *db)
{
    struct request *req = &cr->req;
    memset(&req->actor, 0, sizeof(req->actor));
    if (cr->route->role == ROLE_CUSTOMER)
        return authenticate_customer(cr, db);
    if (cr->route->role == ROLE_VISITOR)
        return authenticate_visitor(cr, db);
    const char *auth = MHD_lookup_connection_value(cr->conn, MHD_HEADER_KIND, "Authorization");
    const char *cookie = MHD_lookup_connection_value(cr->conn, MHD_COOKIE_KIND, "kefu_session");
    int rc = KF_EAUTH;
    if (auth && !strncasecmp(auth, "Bearer ", 7)) {
        rc = token_resolve(db, auth + 7, &cr->arena, &req->actor);
    } else if (cookie && *cookie) {
        const char *csrf = NULL;
        rc = session_resolve(db, cookie, &cr->arena, &req->actor, &csrf);
        req->csrf_token = csrf;
        if (!rc && strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
            const char *sent =
                MHD_lookup_connection_value(cr->conn, MHD_HEADER_KIND, "X-CSRF-Token");
            if (!sent || strlen(sent) != strlen(csrf) ||
                sodium_memcmp(sent, csrf, strlen(csrf)) != 0)
                return reply_errorf(&cr->resp, 403, "csrf_failed", NULL,
                                    "send the X-CSRF-Token header of your session");
        }
    }
    if (rc == KF_EAUTH) {
        memset(&req->actor, 0, sizeof(req->actor));
        if (cr->route->role == ROLE_NONE)
            return 0;
        return reply_errorf(&cr->resp, 401, "unauthorized", NULL, "sign in first");
    }
    if (rc)
        return reply_error(&cr->resp, rc, NULL);
    if (req->actor.role < cr->route->role)
        return reply_errorf(&cr->resp, 403, "forbidden", NULL, "your role does not allow this");
    return 0;
}

static size_t body_limit(const char *method, const char *url);

static enum MHD_Result dispatch(struct conn_req *cr)
{
    struct request *req = &cr->req;
    if (!cr->route && !strcmp(req->method, "OPTIONS") && is_visitor_path(req->path)) {
        /* a CORS preflight of the chat widget */
        cr->resp.status = 204;
        resp_header(&cr->resp, "Access-Control-Allow-Methods", "GET, POST");
        resp_header(&cr->resp, "Access-Control-Allow-Headers",
                    "Authorization, Content-Type, Last-Event-ID");
        resp_header(&cr->resp, "Access-Control-Max-Age", "600");
        return queue(cr);
    }
    if (!cr->route) {
        int other = 0;
        cr->route = route_find(req->method, req->path, req->params, &cr->arena, &other);
        if (!cr->route) {
            if (strncmp(req->path, "/api/", 5) && strncmp(req->path, "/hooks/", 7) &&
                (!strcmp(req->method, "GET") || !strcmp(req->method, "HEAD")))
                return serve_static(cr);
            if (other)
                reply_errorf(&cr->resp, 405, "method_not_allowed", NULL,
                             "this method is not allowed here");
            else
                reply_errorf(&cr->resp, 404, "not_found", NULL, "no such resource");
            return queue(cr);
        }
    }
    if (cr->too_big) {
        reply_errorf(&cr->resp, 413, "too_large", NULL,
                     chat_upload_path(req->path)
                         ? arena_printf(&cr->arena, "an image may have at most %zu KiB",
                                        body_limit(req->method, req->path) / 1024)
                         : "the request body is too large");
        return queue(cr);
    }
    req->body = cr->body.buf;
    req->body_len = cr->body.len;
    MHD_get_connection_values(cr->conn, MHD_GET_ARGUMENT_KIND, collect_query, cr);
    req->content_type = MHD_lookup_connection_value(cr->conn, MHD_HEADER_KIND, "Content-Type");
    req->if_match = MHD_lookup_connection_value(cr->conn, MHD_HEADER_KIND, "If-Match");
    req->accept_language =
        MHD_lookup_connection_value(cr->conn, MHD_HEADER_KIND, "Accept-Language");
    req->last_event_id = MHD_lookup_connection_value(cr->conn, MHD_HEADER_KIND, "Last-Event-ID");
    req->signature = MHD_lookup_connection_value(cr->conn, MHD_HEADER_KIND, "X-Kefu-Signature");
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(cr->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char ip[INET6_ADDRSTRLEN] = "";
    if (ci && ci->client_addr) {
        if (ci->client_addr->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, ip,
                      sizeof(ip));
        else if (ci->client_addr->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, ip,
                      sizeof(ip));
    }
    req->ip = arena_strdup(&cr->arena, ip);

    struct db *db = thread_db(0);
    if (!db) {
        reply_error(&cr->resp, KF_EDB, NULL);
        return queue(cr);
    }
    if (authenticate(cr, db))
        return queue(cr);
    enum exec exec = cr->route->exec;
    if (exec == EXEC_AUDITED)
        exec = query_flag(req, "unmask") ? EXEC_WRITE : EXEC_READ;
    if (exec == EXEC_READ || exec == EXEC_STREAM) {
        run_handler(cr, db);
        return queue(cr);
    }
    /* an upload may be larger, and is no JSON; a hook's body is read once its signature holds */
    if (req->body_len <= JSON_BODY_MAX && strncmp(req->path, "/hooks/", 7))
        body_parse_ahead(req); /* here, on one of many threads, not on the writer */
    /* park the connection first, then queue it: the executor may resume it at once */
    atomic_fetch_add(&srv.parked, 1); /* counted before the check: see server_run() */
    if (atomic_load(&srv.stopping)) {
        atomic_fetch_sub(&srv.parked, 1);
        refuse_stopping(&cr->resp);
        return queue(cr);
    }
    cr->state = CS_QUEUED;
    cr->parked = 1;
    MHD_suspend_connection(cr->conn);
    if (exec == EXEC_SLOW || exec == EXEC_NET || exec == EXEC_LONG) {
        executor_push(exec == EXEC_SLOW  ? &srv.slow
                      : exec == EXEC_NET ? &srv.net
                                         : &srv.longrun,
                      cr);
    } else {
        cr->job.run = http_job_run;
        cr->job.done = http_job_done;
        if (writer_submit(srv.writer, &cr->job)) { /* the writer has begun to stop */
            refuse_stopping(&cr->resp);
            finish(cr);
        }
    }
    return MHD_YES;
}

/* libmicrohttpd has taken a parked connection back (or closed it). */
static void unpark(struct conn_req *cr)
{
    if (cr->parked) {
        cr->parked = 0;
        atomic_fetch_sub(&srv.parked, 1);
    }
}

static size_t body_limit(const char *method, const char *url)
{
    if (!strcmp(method, "POST") &&
        (!strcmp(url, "/api/v1/attachments") || !strcmp(url, "/api/v1/portal/attachments")))
        return (size_t)srv.cfg->max_attachment_bytes;
    if (!strcmp(method, "POST") && chat_upload_path(url)) /* an image in a live chat */
        return (size_t)srv.cfg->max_attachment_bytes < CHAT_IMAGE_MAX
                   ? (size_t)srv.cfg->max_attachment_bytes
                   : CHAT_IMAGE_MAX;
    return JSON_BODY_MAX;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct conn_req *cr = *req_cls;
    (void)cls;
    if (!cr) {
        cr = xcalloc(1, sizeof(*cr));
        strbuf_init(&cr->body, body_limit(method, url));
        strbuf_init(&cr->resp.body, RESPONSE_MAX);
        cr->conn = conn;
        cr->req.arena = &cr->arena;
        cr->req.method = arena_strdup(&cr->arena, method);
        cr->req.path = arena_strdup(&cr->arena, url);
        cr->req.cfg = srv.cfg;
        cr->req.writer = srv.writer;
        cr->resp.status = 200;
        *req_cls = cr;
        struct kf_error e = {0};
        if (http_check_framing(conn, version, &e)) {
            /* answered in this first call, libmicrohttpd reads no body and closes after the
             * response; the header says so to the client too */
            reply_error(&cr->resp, KF_EBADREQ, &e);
            resp_header(&cr->resp, "Connection", "close");
            return queue(cr);
        }
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > cr->body.max)
            cr->too_big = 1;
        return MHD_YES;
    }
    if (cr->state == CS_DONE) {
        unpark(cr);
        return queue(cr);
    }
    if (cr->state == CS_QUEUED)
        return MHD_YES; /* a spurious call while parked */
    if (*upload_data_size) {
        if (!cr->too_big && strbuf_add(&cr->body, upload_data, *upload_data_size))
            cr->too_big = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }
    return dispatch(cr);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct conn_req *cr = *req_cls;
    (void)cls, (void)conn, (void)toe;
    if (!cr)
        return;
    unpark(cr);
    body_release_ahead(&cr->req);
    strbuf_release(&cr->body);
    strbuf_release(&cr->resp.body);
    if (cr->resp.data_fd > 0) /* a download never queued */
        close(cr->resp.data_fd);
    arena_release(&cr->arena);
    free(cr);
    *req_cls = NULL;
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof(host))
        return -1;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *h = host;
    if (h[0] == '[') { /* [::1]:8080 */
        h++;
        h[strlen(h) - 1] = '\0';
    }
    struct addrinfo hints = {0}, *res;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    if (getaddrinfo(*h ? h : NULL, colon + 1, &hints, &res))
        return -1;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("kefu: http: ", stderr);
    vfprintf(stderr, fmt, ap);
}

int server_run(const struct config *cfg)
{
    srv.cfg = cfg;
    config_db_path(cfg, srv.db_path, sizeof(srv.db_path));
    pthread_key_create(&srv.db_key, close_thread_db);
    static_load(cfg->web_dir);
    survey_set_link_base(*cfg->public_url ? cfg->public_url
                                          : (snprintf(srv.link_base, sizeof(srv.link_base),
                                                      "http://%s", cfg->listen),
                                             srv.link_base));

    struct sockaddr_storage ss;
    socklen_t sslen;
    if (parse_listen(cfg->listen, &ss, &sslen)) {
        fprintf(stderr, "kefu: cannot use listen address \"%s\"\n", cfg->listen);
        return 1;
    }
    /* signals are taken by sigwait below, never by the worker threads */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct kf_error e = {0};
    if (writer_start(srv.db_path, &srv.writer, &e)) {
        fprintf(stderr, "kefu: cannot open \"%s\": %s\n", srv.db_path, e.message);
        return 1;
    }
    if (stream_hub_start(srv.db_path, srv.writer)) {
        writer_stop(srv.writer);
        writer_free(srv.writer);
        return 1;
    }
    executor_start(&srv.slow, "kefu-password", SLOW_THREADS);
    executor_start(&srv.net, "kefu-net", NET_THREADS);
    executor_start(&srv.longrun, "kefu-export", LONG_THREADS);
    srv.scheduler = scheduler_start(srv.db_path, srv.writer);
    srv.outbox = outbox_start(srv.db_path, srv.writer, webhook_render);
    srv.mail = mail_sender_start(srv.db_path, srv.writer);
    srv.chan_out = channel_sender_start(srv.db_path, srv.writer);
    srv.mailboxes = mail_poller_start(srv.db_path, cfg->data_dir, cfg->mail_ca_file, srv.writer);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = cfg->threads ? (unsigned)cfg->threads : (unsigned)(cores > 0 ? cores : 2);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)4000, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "kefu: cannot listen on %s: %s\n", cfg->listen, strerror(errno));
        mail_sender_stop(srv.mail);
        channel_sender_stop(srv.chan_out);
        mail_poller_stop(srv.mailboxes);
        outbox_stop(srv.outbox);
        scheduler_stop(srv.scheduler);
        executor_stop(&srv.slow);
        executor_stop(&srv.net);
        executor_stop(&srv.longrun);
        stream_hub_stop();
        writer_stop(srv.writer);
        writer_free(srv.writer);
        stream_hub_free();
        return 1;
    }
    fprintf(stderr, "kefu: serving http://%s/ (%u threads, data in \"%s\")\n", cfg->listen, threads,
            cfg->data_dir);

    int sig;
    sigwait(&sigs, &sig);
    fprintf(stderr, "kefu: %s received, shutting down\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    /* No MHD_quiesce_daemon: with a pool of epoll threads, libmicrohttpd 0.9.75 (Debian 12)
     * takes the listening socket out of each thread's epoll set there while the threads may
     * do the same, and aborts when it loses that race. New connections are accepted until
     * MHD_stop_daemon; writes on them are answered 503 once the writer has stopped. The live
     * streams end first: none may stay suspended when the daemon stops. */
    stream_hub_stop();
    mail_poller_stop(srv.mailboxes);   /* a mail fetched but not stored is fetched again */
    outbox_stop(srv.outbox);           /* ends a POST under way: it is sent again after a restart */
    mail_sender_stop(srv.mail);        /* likewise a mail, with the same Message-ID */
    channel_sender_stop(srv.chan_out); /* and a callback */
    scheduler_stop(srv.scheduler);
    executor_stop(&srv.slow); /* what it writes is still taken */
    executor_stop(&srv.net);
    executor_stop(&srv.longrun);
    writer_stop(srv.writer); /* drains: every queued write is synced and answered */
    /* No connection parks from now on (a write is refused with 503), and
     * every parked one has been resumed: wait until libmicrohttpd has taken each back. A
     * request thread counts itself in srv.parked before it looks at srv.stopping, so that
     * either it sees the flag or this loop sees it. */
    atomic_store(&srv.stopping, 1);
    for (int i = 0; i < 10000 && atomic_load(&srv.parked) > 0; i++)
        usleep(1000);
    MHD_stop_daemon(d);
    writer_free(srv.writer);
    stream_hub_free();
    static_free();
    fprintf(stderr, "kefu: stopped\n");
    return 0;
}

/* ---- operations ---- */

int h_healthz(struct request *req, struct response *resp)
{
    (void)req;
    strbuf_addstr(&resp->body, "{\"status\":\"ok\"}");
    return 200;
}

int h_metrics(struct request *req, struct response *resp)
{
    struct writer_stats ws;
    writer_get_stats(req->writer, &ws);
    resp->content_type = "text/plain; version=0.0.4";
    strbuf_addstr(&resp->body, "# TYPE kefu_http_responses_total counter\n");
    for (int i = 1; i < 6; i++)
        strbuf_addf(&resp->body, "kefu_http_responses_total{class=\"%dxx\"} %ld\n", i,
                    atomic_load(&srv.requests[i]));
    strbuf_addf(&resp->body,
                "# TYPE kefu_tickets_created_total counter\nkefu_tickets_created_total %ld\n"
                "# TYPE kefu_write_batches_total counter\nkefu_write_batches_total %ld\n"
                "# TYPE kefu_batched_writes_total counter\nkefu_batched_writes_total %ld\n"
                "# TYPE kefu_log_syncs_total counter\nkefu_log_syncs_total %ld\n"
                "# TYPE kefu_checkpoints_total counter\nkefu_checkpoints_total %ld\n",
                atomic_load(&srv.tickets_created), ws.commits, ws.jobs, ws.syncs, ws.checkpoints);
    return 200;
}

int h_test_clock(struct request *req, struct response *resp)
{
    if (!req->cfg->test_clock)
        return reply_errorf(resp, 404, "not_found", NULL, "no such resource");
    json_t *o;
    int64_t now;
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    rc = jtime(o, "now", &now, &e);
    json_decref(o);
    if (rc != 1)
        return reply_error(resp, KF_EINVAL,
                           rc ? &e : &(struct kf_error){NULL, "now", "now is required"});
    ktime_set_now(now);
    outbox_wake(srv.outbox); /* deliveries whose back-off is over by the new time */
    mail_sender_wake(srv.mail);
    channel_sender_wake(srv.chan_out);
    /* one pass of the scheduler's clocks at the new time, in this write's transaction */
    int swept = 0, n;
    do {
        if ((rc = sla_sweep(req->db, ktime_now(), 500, &n)))
            return reply_error(resp, rc, NULL);
        swept += n;
    } while (n == 500);
    do { /* then the surveys, whose answers and expiries may start second handling */
        if ((rc = survey_sweep(req->db, ktime_now(), 500, &n)))
            return reply_error(resp, rc, NULL);
        swept += n;
    } while (n == 500);
    char buf[KTIME_RFC3339_LEN];
    ktime_format(ktime_now(), buf);
    strbuf_addf(&resp->body, "{\"now\":\"%s\",\"swept\":%d}", buf, swept);
    return 200;
}
