/* auth.c: sign-in, sign-out, the caller, API tokens, and the login throttle. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/user.h"
#include "http/handlers.h"
#include "http/json.h"
#include "lib/banned.h"
#include "lib/config.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/throttle.h"
#include "store/db.h"
#include "store/writer.h"

/* ---- throttle: failures per username and per address within a window ---- */

enum {
    THROTTLE_SLOTS = 1024, /* per table: about 90 KiB each */
    WINDOW_MS = 15 * 60 * 1000,
    USER_LIMIT = 5,
    IP_LIMIT = 20,
    SLOW_AFTER = 3, /* from the third failure on, each failed answer waits a little */
};

/* Usernames and addresses in tables of their own, so that a flood of made-up usernames cannot
 * push the addresses into the shared overflow, nor many addresses the usernames. */
static struct throttle_entry user_entries[THROTTLE_SLOTS], ip_entries[THROTTLE_SLOTS];
static struct throttle by_user = THROTTLE_INIT(user_entries, WINDOW_MS);
static struct throttle by_ip = THROTTLE_INIT(ip_entries, WINDOW_MS);

/* Whether username or ip has failed too often; *ret_retry_ms is how long until that is over. */
static int login_throttled(const char *username, const char *ip, int64_t *ret_retry_ms)
{
    int64_t now = ktime_monotonic(), retry = 0, r;
    int limited = 0;
    if (throttle_count(&by_user, username, now, &r) >= USER_LIMIT)
        limited = 1, retry = r;
    if (throttle_count(&by_ip, ip, now, &r) >= IP_LIMIT) {
        limited = 1;
        retry = r > retry ? r : retry;
    }
    *ret_retry_ms = retry;
    return limited;
}

static void login_failed(const char *username, const char *ip)
{
    int64_t now = ktime_monotonic();
    int n = throttle_fail(&by_user, username, now);
    throttle_fail(&by_ip, ip, now);
    if (n >= SLOW_AFTER) {
        long steps = n - SLOW_AFTER + 1; /* a quarter of a second each, at most one second */
        struct timespec ts = {steps >= 4, steps >= 4 ? 0 : 250L * 1000 * 1000 * steps};
        nanosleep(&ts, NULL);
    }
}

static void login_succeeded(const char *username)
{
    throttle_reset(&by_user, username);
}

/* ---- handlers ---- */

static void me_json(struct response *resp, const struct user *u, const char *csrf)
{
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "user");
    render_user(&w, u);
    jw_kstr(&w, "csrf_token", csrf);
    jw_obj_end(&w);
}

struct new_session {
    int64_t user_id;
    const char *ip;
    int64_t ttl_ms;
    char token[TOKEN_TEXT_MAX], csrf[TOKEN_TEXT_MAX];
};

static int session_run(struct db *db, void *arg)
{
    struct new_session *ns = arg;
    return session_create(db, ns->user_id, ns->ip, ns->ttl_ms, ns->token, ns->csrf);
}

/* Runs on a password thread: checks the password there, then has the writer make the session. */
int h_login(struct request *req, struct response *resp)
{
    json_t *o;
    const char *username = NULL, *password = NULL;
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    if ((rc = jstr(req, o, "username", &username, &e)) >= 0 && rc != 1)
        e = (struct kf_error){NULL, "username", "username is required"}, rc = KF_EINVAL;
    if (rc >= 0 && (rc = jstr(req, o, "password", &password, &e)) >= 0 && rc != 1)
        e = (struct kf_error){NULL, "password", "password is required"}, rc = KF_EINVAL;
    json_decref(o);
    if (rc < 0)
        return reply_error(resp, rc, &e);
    if (strlen(username) > 64 || strlen(password) > 1024)
        return reply_errorf(resp, 401, "unauthorized", NULL, "wrong username or password");
    int64_t retry;
    if (login_throttled(username, req->ip, &retry))
        return reply_limited(req, resp, retry, "too many failed sign-ins; wait and try again");
    struct user u;
    rc = user_authenticate(req->db, username, password, req->arena, &u);
    if (rc == KF_EAUTH) {
        login_failed(username, req->ip);
        return reply_errorf(resp, 401, "unauthorized", NULL, "wrong username or password");
    }
    if (rc)
        return reply_error(resp, rc, NULL);
    login_succeeded(username);
    struct new_session ns = {
        .user_id = u.id, .ip = req->ip, .ttl_ms = (int64_t)req->cfg->session_hours * 3600 * 1000};
    if ((rc = writer_run(req->writer, session_run, &ns)))
        return reply_error(resp, rc, NULL);
    resp_header(resp, "Set-Cookie",
                arena_printf(req->arena,
                             "kefu_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s",
                             ns.token, req->cfg->session_hours * 3600,
                             req->cfg->cookie_secure ? "; Secure" : ""));
    me_json(resp, &u, ns.csrf);
    return 200;
}

int h_logout(struct request *req, struct response *resp)
{
    if (req->actor.session_id) {
        int rc = session_delete(req->db, req->actor.session_id);
        if (rc)
            return reply_error(resp, rc, NULL);
    }
    resp_header(resp, "Set-Cookie", "kefu_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    return 204;
}

int h_me(struct request *req, struct response *resp)
{
    struct user u;
    int rc = user_get(req->db, req->actor.user_id, req->arena, &u);
    if (rc)
        return reply_error(resp, rc, NULL);
    me_json(resp, &u, req->csrf_token);
    return 200;
}

static void render_token(struct jw *w, const struct api_token *t)
{
    jw_obj_begin(w);
    jw_kint(w, "id", t->id);
    jw_kstr(w, "name", t->name);
    if (t->token)
        jw_kstr(w, "token", t->token);
    jw_time(w, "created_at", t->created_at);
    jw_time(w, "expires_at", t->expires_at); /* null: never */
    jw_obj_end(w);
}

int h_tokens_create(struct request *req, struct response *resp)
{
    json_t *o;
    const char *name = NULL;
    int64_t expires_at = 0; /* absent or null: never */
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    if ((rc = jstr(req, o, "name", &name, &e)) >= 0)
        rc = jtime(o, "expires_at", &expires_at, &e);
    json_decref(o);
    if (rc < 0)
        return reply_error(resp, rc, &e);
    struct api_token t;
    if ((rc = token_create(req->db, &req->actor, name, expires_at, req->arena, &t, &e)))
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    render_token(&w, &t);
    return 201;
}

int h_tokens_list(struct request *req, struct response *resp)
{
    struct api_token *v;
    size_t n;
    int rc = token_list(req->db, req->actor.user_id, req->arena, &v, &n);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_token(&w, &v[i]);
    list_end(&w, NULL);
    return 200;
}

int h_token_delete(struct request *req, struct response *resp)
{
    struct kf_error e = {0};
    int64_t id = param_id(req, 0);
    int rc = id ? token_revoke(req->db, &req->actor, id, &e) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, &e);
    return 204;
}
