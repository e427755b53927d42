/* server.c: HTTP on libmicrohttpd: routing, sessions, executors and static files.
 *
 * Reads run on libmicrohttpd's threads, each with its own read connection. Writes are parked
 * (MHD_suspend_connection) and handed to one writer thread that runs every queued write in
 * one transaction, each in its own savepoint, and commits. The commit is written to the
 * write-ahead log but not yet synced: the syncer thread flushes the log with one fdatasync and
 * only then resumes the connections, so an answer never promises what a crash could lose. While
 * the disk syncs, the writer runs the writes that come meanwhile in its next transaction and
 * commits that the moment the sync ends: each sync covers one commit, as large as the load
 * makes it. Password hashing runs on two more threads so that logins cannot starve the rest. */
#define _GNU_SOURCE
#include "http/server.h"

#include <arpa/inet.h>
#include <dirent.h>
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
#include <sys/stat.h>
#include <unistd.h>

#include "core/user.h"
#include "http/handlers.h"
#include "http/http.h"
#include "http/json.h"
#include "jobs/housekeeping.h"
#include "lib/banned.h"
#include "lib/config.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/xalloc.h"
#include "store/db.h"

enum exec { EXEC_READ, EXEC_WRITE, EXEC_SLOW, EXEC_AUDITED };

struct route {
    const char *method, *pattern;
    handler_fn *fn;
    enum role role;
    enum exec exec;
};

static const struct route routes[] = {
#define ROUTE(method, pattern, fn, role, exec) {method, pattern, fn, role, exec},
#include "http/routes.def"
#undef ROUTE
};

enum {
    JSON_BODY_MAX = 1024 * 1024,
    RESPONSE_MAX = 64 * 1024 * 1024,
    BATCH_MAX = 512,
    SLOW_THREADS = 2,
    /* past this many log frames (64 MiB) the writer checkpoints, so the log can start over;
     * a longer log means fewer checkpoints, each of which holds the writer up for milliseconds */
    WAL_RESTART_FRAMES = 16384,
    WAL_RESTART_EVERY_MS = 50,
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
    struct MHD_Connection *conn;
    struct conn_req *next;
};

struct executor {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct conn_req *head, *tail;
    int stop, nthreads;
    pthread_t threads[SLOW_THREADS];
};

struct static_file {
    char *path; /* "/assets/x.js" */
    char *data;
    size_t len;
    const char *type;
    int immutable;
};

/* Commits waiting for their fdatasync: one, unless the writer let another connection in. */
struct syncer {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct conn_req *head, *tail;
    struct db *db;   /* the writer's connection */
    atomic_int busy; /* from a hand-over to the end of the sync that covers it */
    int stop;
    pthread_t thread;
};

static struct {
    const struct config *cfg;
    char db_path[600];
    struct executor writer, slow;
    struct syncer sync;
    pthread_key_t db_key;
    struct static_file *files;
    size_t nfiles;
    const struct static_file *index;
    atomic_long requests[6]; /* by status class 1xx..5xx */
    atomic_long tickets_created, batches, batched_writes, syncs, checkpoints;
    atomic_long parked; /* connections suspended: libmicrohttpd may not stop while any are */
    atomic_int stopping;
    pthread_t checkpointer;
    pthread_mutex_t ckpt_mu;
    pthread_cond_t ckpt_cv;
    int ckpt_stop;
} srv;

/* ---- helpers for handlers ---- */

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
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (map[i].rc == rc)
            return reply_errorf(resp, map[i].status, map[i].code, e ? e->field : NULL,
                                e && e->message ? e->message : map[i].message);
    return reply_errorf(resp, 500, "internal", NULL, "the server failed; try again later");
}

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

static void finish(struct conn_req *cr);

/* The answer to a write that arrives once the server is stopping: it did not happen. */
static void refuse_stopping(struct response *resp)
{
    reply_errorf(resp, 503, "shutting_down", NULL, "the server is stopping");
    resp_header(resp, "Connection", "close");
}

static void executor_push(struct executor *ex, struct conn_req *cr)
{
    pthread_mutex_lock(&ex->mu);
    if (ex->stop) { /* a write that arrived after shutdown began */
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

static void finish(struct conn_req *cr)
{
    cr->state = CS_DONE;
    MHD_resume_connection(cr->conn);
}

/* Runs writes in the writer's transaction, which it begins if none is open (*open), each in a
 * savepoint of its own so that one failure rolls back only itself. Returns how many ran. */
static int run_writes(struct db *db, struct conn_req *jobs, int *open)
{
    int rc = 0, n = 0;
    if (!*open) {
        rc = db ? db_begin(db) : KF_EDB;
        *open = !rc;
    }
    for (struct conn_req *cr = jobs; cr; cr = cr->next) {
        n++;
        if (rc) {
            reply_error(&cr->resp, KF_EBUSY, NULL);
            continue;
        }
        if (db_savepoint(db)) {
            reply_error(&cr->resp, KF_EBUSY, NULL);
            continue;
        }
        run_handler(cr, db);
        if (cr->resp.status >= 400) {
            db_rollback_to(db);
        } else if (db_release(db)) {
            db_rollback_to(db);
            reply_error(&cr->resp, KF_EDB, NULL);
        }
    }
    return n;
}

/* Resumes a list of finished requests. */
static void finish_all(struct conn_req *jobs)
{
    while (jobs) {
        struct conn_req *next = jobs->next;
        finish(jobs);
        jobs = next;
    }
}

static void *syncer_main(void *arg)
{
    struct syncer *sy = arg;
    for (;;) {
        pthread_mutex_lock(&sy->mu);
        while (!sy->head && !sy->stop)
            pthread_cond_wait(&sy->cv, &sy->mu);
        struct conn_req *jobs = sy->head;
        struct db *db = sy->db;
        sy->head = sy->tail = NULL;
        pthread_mutex_unlock(&sy->mu);
        if (!jobs)
            break; /* stopped, and nothing is left */
        if (db && db_sync(db)) {
            /* what was committed may not be on disk, and some of it is visible already: stop
             * rather than answer; a restart recovers what the disk holds */
            fprintf(stderr, "kefu: cannot sync the write-ahead log: %s\n", strerror(errno));
            abort();
        }
        atomic_fetch_add(&srv.syncs, 1);
        /* the writer commits what waited for this sync, and the disk starts on it while these
         * connections resume; the flag changes before the writer's lock is taken, so the writer
         * either sees it or is already waiting for the signal. (A commit may already wait here:
         * the writer commits early when another connection wants the write lock.) */
        pthread_mutex_lock(&sy->mu);
        atomic_store(&sy->busy, sy->head != NULL);
        pthread_mutex_unlock(&sy->mu);
        pthread_mutex_lock(&srv.writer.mu);
        pthread_cond_signal(&srv.writer.cv);
        pthread_mutex_unlock(&srv.writer.mu);
        finish_all(jobs);
    }
    return NULL;
}

/* Hands a commit to the syncer; its connections resume after the sync that covers it. */
static void sync_push(struct db *db, struct conn_req *jobs)
{
    struct conn_req *last = jobs;
    while (last->next)
        last = last->next;
    pthread_mutex_lock(&srv.sync.mu);
    atomic_store(&srv.sync.busy, 1);
    srv.sync.db = db;
    if (srv.sync.tail)
        srv.sync.tail->next = jobs;
    else
        srv.sync.head = jobs;
    srv.sync.tail = last;
    pthread_cond_signal(&srv.sync.cv);
    pthread_mutex_unlock(&srv.sync.mu);
}

/* The log starts over from its beginning only when a write transaction begins with every frame
 * copied to the database file. The checkpointer copies them in the background, but under a
 * steady load new commits always outrun it, so once the log is long the writer copies the
 * last few itself between two batches. */
static void restart_log(struct db *db, int64_t *last_ms)
{
    if (db_wal_frames(db) < WAL_RESTART_FRAMES)
        return;
    int64_t now = ktime_monotonic();
    if (now - *last_ms < WAL_RESTART_EVERY_MS)
        return;
    *last_ms = now;
    if (!db_checkpoint(db))
        atomic_fetch_add(&srv.checkpoints, 1);
}

/* The timed waits here end at ktime_monotonic() times: their condition variables are made on
 * that clock. */
static void cond_init_monotonic(pthread_cond_t *cv)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &attr);
    pthread_condattr_destroy(&attr);
}

/* Waits for a signal on cv, or until ktime_monotonic() reaches due_ms. */
static void wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t due_ms)
{
    struct timespec until = {(time_t)(due_ms / 1000), (long)(due_ms % 1000) * 1000000L};
    pthread_cond_timedwait(cv, mu, &until);
}

static void syncer_stop(void)
{
    pthread_mutex_lock(&srv.sync.mu);
    srv.sync.stop = 1;
    pthread_cond_broadcast(&srv.sync.cv);
    pthread_mutex_unlock(&srv.sync.mu);
    pthread_join(srv.sync.thread, NULL);
}

/* Commits the writer's transaction (if one is open) and hands its writes to the syncer. */
static void commit_writes(struct db *db, struct conn_req *jobs, int open, int n)
{
    if (open && db_commit(db)) {
        fprintf(stderr, "kefu: commit of %d writes failed: %s\n", n, db_errmsg(db));
        for (struct conn_req *cr = jobs; cr; cr = cr->next)
            if (cr->resp.status < 400)
                reply_error(&cr->resp, KF_EDB, NULL);
    }
    atomic_fetch_add(&srv.batches, 1);
    atomic_fetch_add(&srv.batched_writes, n);
    sync_push(db, jobs); /* resumed after the sync, outside our own lock */
}

/* The writer: runs every queued write as it comes, in one open transaction, and commits it
 * whenever the syncer is idle; when nothing is queued, indexes the search text that is due. */
static void *writer_main(void *arg)
{
    struct executor *ex = arg;
    struct db *db = thread_db(DB_GROUP_SYNC | DB_BATCH_SEARCH);
    struct conn_req *ran = NULL, *ran_tail = NULL; /* in the open transaction */
    int open = 0, nran = 0;
    int64_t last_restart = 0;
    pthread_mutex_lock(&ex->mu);
    for (;;) {
        /* another connection (a sign-in, housekeeping) waits for the write lock: commit, and
         * begin no new transaction until it has the lock */
        int wanted = db_write_wanted();
        if (ran && (wanted || !atomic_load(&srv.sync.busy))) {
            struct conn_req *jobs = ran;
            int was_open = open, n = nran;
            ran = ran_tail = NULL, open = 0, nran = 0;
            pthread_mutex_unlock(&ex->mu);
            commit_writes(db, jobs, was_open, n);
            if (db)
                restart_log(db, &last_restart);
            pthread_mutex_lock(&ex->mu);
            continue;
        }
        if (ex->head && !wanted) {
            struct conn_req *jobs = ex->head, *last = jobs;
            for (int n = 1; last->next && n < BATCH_MAX; n++)
                last = last->next;
            ex->head = last->next;
            if (!ex->head)
                ex->tail = NULL;
            last->next = NULL;
            pthread_mutex_unlock(&ex->mu);
            nran += run_writes(db, jobs, &open);
            if (ran_tail)
                ran_tail->next = jobs;
            else
                ran = jobs;
            ran_tail = last;
            pthread_mutex_lock(&ex->mu);
            continue;
        }
        if (wanted && ex->head) { /* look again soon: it may have the lock by then */
            wait_until(&ex->cv, &ex->mu, ktime_monotonic() + 1);
            continue;
        }
        if (ran) { /* the sync under way ends with a signal */
            pthread_cond_wait(&ex->cv, &ex->mu);
            continue;
        }
        /* idle: the search text still waiting is indexed when it is due, and before the
         * connection closes at stop */
        int64_t due = db ? db_search_due(db) : 0;
        if (!ex->stop && (!due || ktime_monotonic() < due)) {
            if (!due)
                pthread_cond_wait(&ex->cv, &ex->mu);
            else
                wait_until(&ex->cv, &ex->mu, due);
            continue;
        }
        int stop = ex->stop;
        pthread_mutex_unlock(&ex->mu);
        if (due && db_search_flush(db))
            fprintf(stderr, "kefu: cannot index the search text: %s\n", db_errmsg(db));
        pthread_mutex_lock(&ex->mu);
        if (stop)
            break;
    }
    pthread_mutex_unlock(&ex->mu);
    syncer_stop(); /* it uses this thread's connection, which closes when the thread ends */
    return NULL;
}

/* Runs slow requests (password hashing) one at a time per thread. */
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
        finish(jobs); /* after COMMIT, and after our own lock is released */
    }
    return NULL;
}

/* Checkpoints the write-ahead log twice a second on its own connection, so that commits
 * seldom stop to copy pages into the database file; removes abandoned uploads now and then. */
static void *checkpointer_main(void *arg)
{
    (void)arg;
    struct db *db = thread_db(0);
    pthread_mutex_lock(&srv.ckpt_mu);
    while (!srv.ckpt_stop) {
        wait_until(&srv.ckpt_cv, &srv.ckpt_mu, ktime_monotonic() + 500);
        pthread_mutex_unlock(&srv.ckpt_mu);
        if (db && !db_checkpoint(db))
            atomic_fetch_add(&srv.checkpoints, 1);
        if (db)
            housekeeping_tick(db);
        pthread_mutex_lock(&srv.ckpt_mu);
    }
    pthread_mutex_unlock(&srv.ckpt_mu);
    if (db)
        db_checkpoint(db);
    return NULL;
}

/* Starts nthreads threads on ex: the writer's loop when writer is set, else one request at a
 * time. */
static void executor_start(struct executor *ex, const char *name, int nthreads, int writer)
{
    pthread_mutex_init(&ex->mu, NULL);
    cond_init_monotonic(&ex->cv);
    ex->nthreads = nthreads;
    for (int i = 0; i < nthreads; i++) {
        pthread_create(&ex->threads[i], NULL, writer ? writer_main : executor_main, ex);
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

/* ---- routing ---- */

/* Matches path against pattern ("/api/v1/tickets/:id"), filling params. */
static int match(const char *pattern, const char *path, const char **params, struct arena *a)
{
    int np = 0;
    while (*pattern && *path) {
        if (*pattern == ':') {
            const char *end = strchr(path, '/');
            size_t n = end ? (size_t)(end - path) : strlen(path);
            if (n == 0 || np >= REQ_MAX_PARAMS)
                return 0;
            params[np++] = arena_strndup(a, path, n);
            path += n;
            while (*pattern && *pattern != '/')
                pattern++;
            continue;
        }
        if (*pattern++ != *path++)
            return 0;
    }
    return !*pattern && !*path;
}

/* The route for method and path; *ret_other says a route matched the path with another
 * method (405). */
static const struct route *find_route(const char *method, const char *path, const char **params,
                                      struct arena *a, int *ret_other)
{
    *ret_other = 0;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!match(routes[i].pattern, path, params, a))
            continue;
        if (!strcmp(routes[i].method, method))
            return &routes[i];
        *ret_other = 1;
    }
    return NULL;
}

/* ---- static files ---- */

static const char *mime_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".woff", "font/woff"},
        {".ttf", "font/ttf"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (!strcmp(dot, types[i].ext))
            return types[i].type;
    return "application/octet-stream";
}

static void load_dir(const char *root, const char *rel, size_t *cap)
{
    char dir[1200];
    snprintf(dir, sizeof(dir), "%s%s", root, rel);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char relpath[1200], full[2400];
        snprintf(relpath, sizeof(relpath), "%s/%s", rel, de->d_name);
        snprintf(full, sizeof(full), "%s%s", root, relpath);
        struct stat st;
        if (stat(full, &st))
            continue;
        if (S_ISDIR(st.st_mode)) {
            load_dir(root, relpath, cap);
            continue;
        }
        FILE *f = fopen(full, "rb");
        if (!f)
            continue;
        char *data = xmalloc((size_t)st.st_size + 1);
        size_t got = fread(data, 1, (size_t)st.st_size, f);
        fclose(f);
        if (srv.nfiles == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            srv.files = xrealloc(srv.files, *cap * sizeof(*srv.files));
        }
        struct static_file *sf = &srv.files[srv.nfiles++];
        sf->path = xstrdup(relpath);
        sf->data = data;
        sf->len = got;
        sf->type = mime_type(relpath);
        sf->immutable = strncmp(relpath, "/assets/", 8) == 0;
    }
    closedir(d);
}

static void load_static(const char *root)
{
    size_t cap = 0;
    load_dir(root, "", &cap);
    for (size_t i = 0; i < srv.nfiles; i++)
        if (!strcmp(srv.files[i].path, "/index.html"))
            srv.index = &srv.files[i];
}

static void free_static(void)
{
    for (size_t i = 0; i < srv.nfiles; i++) {
        free(srv.files[i].path);
        free(srv.files[i].data);
    }
    free(srv.files);
}

static const struct static_file *find_static(const char *path)
{
    for (size_t i = 0; i < srv.nfiles; i++)
        if (!strcmp(srv.files[i].path, path))
            return &srv.files[i];
    return srv.index; /* the app routes everything else itself */
}

/* ---- libmicrohttpd glue ---- */

static void add_security_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
}

static enum MHD_Result queue(struct conn_req *cr)
{
    struct response *resp = &cr->resp;
    struct MHD_Response *r;
    if (resp->data) {
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
    MHD_add_response_header(r, "Content-Type",
                            resp->content_type ? resp->content_type : "application/json");
    if (!resp->data || strncmp(cr->req.path, "/api/", 5) == 0)
        MHD_add_response_header(r, "Cache-Control", "no-store");
    for (int i = 0; i < resp->nheaders; i++)
        MHD_add_response_header(r, resp->headers[i].key, resp->headers[i].value);
    int status = resp->status ? resp->status : 200;
    if (status >= 100 && status < 600)
        atomic_fetch_add(&srv.requests[status / 100], 1);
    enum MHD_Result ok = MHD_queue_response(cr->conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result serve_static(struct conn_req *cr)
{
    const struct static_file *sf = find_static(cr->req.path);
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

/* Who is calling: a Bearer token or the session cookie. 0, or the status it replied with. */
static int authenticate(struct conn_req *cr, struct db *db)
{
    struct request *req = &cr->req;
    const char *auth = MHD_lookup_connection_value(cr->conn, MHD_HEADER_KIND, "Authorization");
    const char *cookie = MHD_lookup_connection_value(cr->conn, MHD_COOKIE_KIND, "kefu_session");
    int rc = KF_EAUTH;
    memset(&req->actor, 0, sizeof(req->actor));
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

static enum MHD_Result dispatch(struct conn_req *cr)
{
    struct request *req = &cr->req;
    if (!cr->route) {
        int other = 0;
        cr->route = find_route(req->method, req->path, req->params, &cr->arena, &other);
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
        reply_errorf(&cr->resp, 413, "too_large", NULL, "the request body is too large");
        return queue(cr);
    }
    req->body = cr->body.buf;
    req->body_len = cr->body.len;
    MHD_get_connection_values(cr->conn, MHD_GET_ARGUMENT_KIND, collect_query, cr);
    req->content_type = MHD_lookup_connection_value(cr->conn, MHD_HEADER_KIND, "Content-Type");
    req->if_match = MHD_lookup_connection_value(cr->conn, MHD_HEADER_KIND, "If-Match");
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
    if (exec == EXEC_READ) {
        run_handler(cr, db);
        return queue(cr);
    }
    if (req->body_len <= JSON_BODY_MAX) /* an upload may be larger, and is no JSON */
        body_parse_ahead(req);          /* here, on one of many threads, not on the writer */
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
    executor_push(exec == EXEC_SLOW ? &srv.slow : &srv.writer, cr);
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
    if (!strcmp(method, "POST") && !strcmp(url, "/api/v1/attachments"))
        return (size_t)srv.cfg->max_attachment_bytes;
    return JSON_BODY_MAX;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct conn_req *cr = *req_cls;
    (void)cls, (void)version;
    if (!cr) {
        cr = xcalloc(1, sizeof(*cr));
        strbuf_init(&cr->body, body_limit(method, url));
        strbuf_init(&cr->resp.body, RESPONSE_MAX);
        cr->conn = conn;
        cr->req.arena = &cr->arena;
        cr->req.method = arena_strdup(&cr->arena, method);
        cr->req.path = arena_strdup(&cr->arena, url);
        cr->req.cfg = srv.cfg;
        cr->resp.status = 200;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > cr->body.max)
            cr->too_big = 1;
        *req_cls = cr;
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
    load_static(cfg->web_dir);

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

    pthread_mutex_init(&srv.sync.mu, NULL);
    pthread_cond_init(&srv.sync.cv, NULL);
    pthread_create(&srv.sync.thread, NULL, syncer_main, &srv.sync);
    pthread_setname_np(srv.sync.thread, "kefu-sync");
    executor_start(&srv.writer, "kefu-writer", 1, 1);
    executor_start(&srv.slow, "kefu-password", SLOW_THREADS, 0);
    pthread_mutex_init(&srv.ckpt_mu, NULL);
    cond_init_monotonic(&srv.ckpt_cv);
    pthread_create(&srv.checkpointer, NULL, checkpointer_main, NULL);
    pthread_setname_np(srv.checkpointer, "kefu-checkpoint");
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
        executor_stop(&srv.writer);
        executor_stop(&srv.slow);
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
     * MHD_stop_daemon; writes on them are answered 503 once the writer has stopped. */
    executor_stop(&srv.writer); /* drains: every queued write is synced and answered */
    executor_stop(&srv.slow);
    /* No connection parks from now on (a write is refused with 503), and
     * every parked one has been resumed: wait until libmicrohttpd has taken each back. A
     * request thread counts itself in srv.parked before it looks at srv.stopping, so that
     * either it sees the flag or this loop sees it. */
    atomic_store(&srv.stopping, 1);
    for (int i = 0; i < 10000 && atomic_load(&srv.parked) > 0; i++)
        usleep(1000);
    MHD_stop_daemon(d);
    pthread_mutex_lock(&srv.ckpt_mu);
    srv.ckpt_stop = 1;
    pthread_cond_signal(&srv.ckpt_cv);
    pthread_mutex_unlock(&srv.ckpt_mu);
    pthread_join(srv.checkpointer, NULL);
    free_static();
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
    (void)req;
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
                atomic_load(&srv.tickets_created), atomic_load(&srv.batches),
                atomic_load(&srv.batched_writes), atomic_load(&srv.syncs),
                atomic_load(&srv.checkpoints));
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
    char buf[KTIME_RFC3339_LEN];
    ktime_format(ktime_now(), buf);
    strbuf_addf(&resp->body, "{\"now\":\"%s\"}", buf);
    return 200;
}
