/* user.c: accounts, passwords, sessions and API tokens. */
#include "core/user.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/audit.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/text.h"
#include "store/db.h"

enum { NAME_MAX_CHARS = 100, USERNAME_MAX = 64, CODE_MAX = 64 };

/* A username: 2-64 of [a-z0-9._-], starting with a letter or digit. */
static int valid_username(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > USERNAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 (i > 0 && (c == '.' || c == '_' || c == '-'));
        if (!ok)
            return 0;
    }
    return 1;
}

int user_hash_password(struct user_input *in, struct kf_error *e)
{
    size_t n = in->password ? utf8_chars(in->password) : 0;
    if (!in->password)
        return 0;
    if (n < PASSWORD_MIN || n > PASSWORD_MAX)
        return kf_fail(e, KF_EINVAL, "password", "the password must have 8 to 128 characters");
    if (crypto_pwhash_str(in->password_hash, in->password, strlen(in->password),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return kf_fail(e, KF_EIO, NULL, "cannot hash the password");
    return 0;
}

static void read_user(struct stmt *st, struct arena *arena, struct user *u)
{
    u->id = col_int(st, 0);
    u->username = arena_strdup(arena, col_text(st, 1));
    u->name = arena_strdup(arena, col_text(st, 2));
    u->role = role_parse(col_text(st, 3));
    u->department_id = col_int(st, 4);
    u->department_code = arena_strdup(arena, col_text(st, 5));
    u->department_name = arena_strdup(arena, col_text(st, 6));
    u->active = (int)col_int(st, 7);
    u->created_at = col_int(st, 8);
}

int user_get(struct db *db, int64_t id, struct arena *arena, struct user *ret)
{
    struct stmt *st = db_stmt(db, SQL_user_by_id);
    st_int(st, 1, id);
    int rc = st_step(st);
    if (rc < 0)
        return rc;
    if (rc == 1)
        read_user(st, arena, ret);
    st_reset(st);
    return rc ? 0 : KF_ENOTFOUND;
}

int user_list(struct db *db, const char *role, int64_t department_id, int active,
              struct arena *arena, struct user **ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_user_list);
    st_text(st, 1, role);
    if (department_id)
        st_int(st, 2, department_id);
    if (active >= 0)
        st_int(st, 3, active);
    size_t n = 0, cap = 16;
    struct user *v = arena_alloc(arena, cap * sizeof(*v));
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            struct user *w = arena_alloc(arena, 2 * cap * sizeof(*w));
            memcpy(w, v, n * sizeof(*w));
            v = w, cap *= 2;
        }
        read_user(st, arena, &v[n++]);
    }
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

int user_count(struct db *db, int64_t *ret)
{
    int rc = st_one_int(db_stmt(db, SQL_user_count), ret);
    return rc < 0 ? rc : 0;
}

/* A department is looked up by its row alone: user.c stays below dept.c, which reads users. */
static int check_department(struct db *db, int64_t id, struct kf_error *e)
{
    struct stmt *st = db_stmt(db, SQL_dept_by_id);
    st_int(st, 1, id);
    int rc = st_step(st);
    st_reset(st);
    if (rc == 0)
        return kf_fail(e, KF_EINVAL, "department_id", "no such department");
    return rc < 0 ? rc : 0;
}

/* A user's own department makes them a member of it too (the department checked already). */
static int join_department(struct db *db, const struct actor *actor, int64_t dept_id,
                           int64_t user_id)
{
    struct stmt *st = db_stmt(db, SQL_dept_member_add);
    st_int(st, 1, dept_id);
    st_int(st, 2, user_id);
    int rc = st_exec(st);
    if (rc || !db_changes(db))
        return rc;
    char after[64];
    snprintf(after, sizeof(after), "{\"user_id\":%lld}", (long long)user_id);
    return audit_write(db, actor, "department.member_added", "department", dept_id, NULL, after);
}

/* The audit detail of a change: what was set (never the password itself) and what it ended
 * (revoked may be NULL). */
static void user_json(struct strbuf *sb, const struct user_input *in,
                      const struct user_revoked *revoked)
{
    struct jw w;
    jw_init(&w, sb);
    jw_obj_begin(&w);
    if (in->username)
        jw_kstr(&w, "username", in->username);
    if (in->name)
        jw_kstr(&w, "name", in->name);
    if (in->role)
        jw_kstr(&w, "role", in->role);
    if (in->has_department) {
        jw_key(&w, "department_id");
        if (in->department_id)
            jw_int(&w, in->department_id);
        else
            jw_null(&w);
    }
    if (in->has_active)
        jw_kbool(&w, "active", in->active);
    if (in->password)
        jw_kstr(&w, "password", "(changed)");
    if (revoked && (revoked->sessions || revoked->tokens)) {
        jw_key(&w, "revoked");
        jw_obj_begin(&w);
        jw_kint(&w, "sessions", revoked->sessions);
        jw_kint(&w, "tokens", revoked->tokens);
        jw_obj_end(&w);
    }
    jw_obj_end(&w);
}

static int validate_user(struct db *db, const struct user_input *in, struct kf_error *e)
{
    if (in->name && (!*in->name || utf8_chars(in->name) > NAME_MAX_CHARS))
        return kf_fail(e, KF_EINVAL, "name", "the name must have 1 to 100 characters");
    if (in->role && role_parse(in->role) == ROLE_NONE)
        return kf_fail(e, KF_EINVAL, "role", "role must be agent, specialist, supervisor or admin");
    if (in->has_department && in->department_id)
        return check_department(db, in->department_id, e);
    return 0;
}

int user_create(struct db *db, const struct actor *actor, struct user_input *in,
                struct arena *arena, struct user *ret, struct kf_error *e)
{
    if (!in->username || !valid_username(in->username))
        return kf_fail(e, KF_EINVAL, "username",
                       "the username must have 2 to 64 lower-case letters, digits, '.', '_' "
                       "or '-'");
    if (!in->name)
        in->name = in->username;
    if (!in->role)
        return kf_fail(e, KF_EINVAL, "role", "role is required");
    if (!in->password || !in->password_hash[0])
        return kf_fail(e, KF_EINVAL, "password", "password is required");
    int rc = validate_user(db, in, e);
    if (rc)
        return rc;
    int64_t now = ktime_now();
    struct stmt *st = db_stmt(db, SQL_user_insert);
    st_text(st, 1, in->username);
    st_text(st, 2, in->name);
    st_text(st, 3, in->role);
    if (in->has_department && in->department_id)
        st_int(st, 4, in->department_id);
    st_text(st, 5, in->password_hash);
    st_int(st, 6, now);
    rc = st_exec(st);
    if (rc == KF_ECONFLICT)
        return kf_fail(e, rc, "username", "this username is taken");
    if (rc)
        return rc;
    int64_t id = db_last_id(db);
    if (in->has_department && in->department_id &&
        (rc = join_department(db, actor, in->department_id, id)))
        return rc;
    struct strbuf sb = STRBUF_INIT(64 * 1024);
    user_json(&sb, in, NULL);
    rc = audit_write(db, actor, "user.created", "user", id, NULL, sb.buf);
    strbuf_release(&sb);
    if (rc)
        return rc;
    return user_get(db, id, arena, ret);
}

int user_update(struct db *db, const struct actor *actor, int64_t id, struct user_input *in,
                struct arena *arena, struct user *ret, struct user_revoked *ret_revoked,
                struct kf_error *e)
{
    struct user cur;
    int rc = user_get(db, id, arena, &cur);
    if (rc)
        return rc;
    if ((rc = validate_user(db, in, e)))
        return rc;
    if (actor && actor->user_id == id &&
        ((in->role && role_parse(in->role) != ROLE_ADMIN) || (in->has_active && !in->active)))
        return kf_fail(e, KF_EINVAL, in->role ? "role" : "active",
                       "you cannot demote or deactivate your own account");
    struct stmt *st = db_stmt(db, SQL_user_update);
    st_int(st, 1, id);
    st_text(st, 2, in->name ? in->name : cur.name);
    st_text(st, 3, in->role ? in->role : role_name(cur.role));
    int64_t dept = in->has_department ? in->department_id : cur.department_id;
    if (dept)
        st_int(st, 4, dept);
    st_int(st, 5, in->has_active ? in->active : cur.active);
    st_text(st, 6, in->password ? in->password_hash : NULL);
    st_int(st, 7, ktime_now());
    if ((rc = st_exec(st)))
        return rc;
    if (in->has_department && in->department_id &&
        (rc = join_department(db, actor, in->department_id, id)))
        return rc;
    /* a new password or a deactivation ends every session of the account; a new password
     * also revokes its tokens, which whoever knew the old one may have made */
    struct user_revoked revoked = {0, 0};
    if (in->password || (in->has_active && !in->active)) {
        st = db_stmt(db, SQL_session_delete_user);
        st_int(st, 1, id);
        if ((rc = st_exec(st)))
            return rc;
        revoked.sessions = db_changes(db);
    }
    if (in->password) {
        st = db_stmt(db, SQL_token_revoke_user);
        st_int(st, 1, id);
        st_int(st, 2, ktime_now());
        if ((rc = st_exec(st)))
            return rc;
        revoked.tokens = db_changes(db);
    }
    struct strbuf sb = STRBUF_INIT(64 * 1024);
    user_json(&sb, in, &revoked);
    rc = audit_write(db, actor, "user.updated", "user", id, NULL, sb.buf);
    strbuf_release(&sb);
    if (rc || (rc = user_get(db, id, arena, ret)))
        return rc;
    if (ret_revoked)
        *ret_revoked = revoked;
    return 0;
}

int user_authenticate(struct db *db, const char *username, const char *password,
                      struct arena *arena, struct user *ret)
{
    /* a fixed hash to verify against when the user is unknown, so that the answer takes
     * as long either way */
    static char dummy[crypto_pwhash_STRBYTES];
    if (!dummy[0] &&
        crypto_pwhash_str(dummy, "kefu-dummy-password", 19, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return KF_EIO;
    struct stmt *st = db_stmt(db, SQL_user_by_username);
    st_text(st, 1, username);
    int rc = st_step(st);
    if (rc < 0)
        return rc;
    char hash[crypto_pwhash_STRBYTES] = "";
    struct user u = {0};
    if (rc == 1) {
        read_user(st, arena, &u);
        snprintf(hash, sizeof(hash), "%s", col_text(st, 9));
    }
    st_reset(st); /* release the read snapshot before the slow part */
    int ok = crypto_pwhash_str_verify(rc == 1 ? hash : dummy, password, strlen(password)) == 0;
    if (rc != 1 || !ok || !u.active)
        return KF_EAUTH;
    *ret = u;
    return 0;
}

static void random_hex(char *out, size_t nbytes)
{
    unsigned char buf[32];
    randombytes_buf(buf, nbytes);
    sodium_bin2hex(out, nbytes * 2 + 1, buf, nbytes);
}

static void token_hash(const char *token, unsigned char out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)token, strlen(token), NULL, 0);
}

int session_create(struct db *db, int64_t user_id, const char *ip, int64_t ttl_ms,
                   char ret_token[TOKEN_TEXT_MAX], char ret_csrf[TOKEN_TEXT_MAX])
{
    unsigned char h[32];
    int64_t now = ktime_now();
    random_hex(ret_token, 32);
    random_hex(ret_csrf, 32);
    token_hash(ret_token, h);
    struct stmt *st = db_stmt(db, SQL_session_purge);
    st_int(st, 1, now);
    int rc = st_exec(st);
    if (rc)
        return rc;
    st = db_stmt(db, SQL_session_insert);
    st_blob(st, 1, h, sizeof(h));
    st_int(st, 2, user_id);
    st_text(st, 3, ret_csrf);
    st_int(st, 4, now);
    st_int(st, 5, now + ttl_ms);
    st_text(st, 6, ip);
    if ((rc = st_exec(st)))
        return rc;
    struct actor a = {.user_id = user_id};
    return audit_write(db, &a, "session.created", "user", user_id, NULL, NULL);
}

int session_resolve(struct db *db, const char *token, struct arena *arena, struct actor *ret,
                    const char **ret_csrf)
{
    unsigned char h[32];
    token_hash(token, h);
    struct stmt *st = db_stmt(db, SQL_session_resolve);
    st_blob(st, 1, h, sizeof(h));
    st_int(st, 2, ktime_now());
    int rc = st_step(st);
    if (rc <= 0) {
        st_reset(st);
        return rc < 0 ? rc : KF_EAUTH;
    }
    ret->session_id = col_int(st, 0);
    *ret_csrf = arena_strdup(arena, col_text(st, 1));
    ret->user_id = col_int(st, 2);
    ret->name = arena_strdup(arena, col_text(st, 3));
    ret->role = role_parse(col_text(st, 4));
    ret->department_id = col_int(st, 5);
    ret->token_id = 0;
    st_reset(st);
    return 0;
}

int session_delete(struct db *db, int64_t session_id)
{
    struct stmt *st = db_stmt(db, SQL_session_delete);
    st_int(st, 1, session_id);
    return st_exec(st);
}

int token_create(struct db *db, const struct actor *actor, const char *name, int64_t expires_at,
                 struct arena *arena, struct api_token *ret, struct kf_error *e)
{
    if (!name || !*name || utf8_chars(name) > NAME_MAX_CHARS)
        return kf_fail(e, KF_EINVAL, "name", "the token needs a name of 1 to 100 characters");
    int64_t now = ktime_now();
    if (expires_at && expires_at <= now)
        return kf_fail(e, KF_EINVAL, "expires_at", "the expiry must be in the future");
    char hex[TOKEN_TEXT_MAX];
    random_hex(hex, 32);
    char *token = arena_printf(arena, "kefu_%s", hex);
    unsigned char h[32];
    token_hash(token, h);
    struct stmt *st = db_stmt(db, SQL_token_insert);
    st_int(st, 1, actor->user_id);
    st_text(st, 2, name);
    st_blob(st, 3, h, sizeof(h));
    st_int(st, 4, now);
    if (expires_at)
        st_int(st, 5, expires_at);
    else
        st_null(st, 5);
    int rc = st_exec(st);
    if (rc)
        return rc;
    ret->id = db_last_id(db);
    ret->user_id = actor->user_id;
    ret->name = arena_strdup(arena, name);
    ret->token = token;
    ret->created_at = now;
    ret->expires_at = expires_at;
    return audit_write(db, actor, "token.created", "api_token", ret->id, NULL, NULL);
}

/* ---- who an API token is, remembered ----
 *
 * An integration sends its token with every request, and reading it costs a read transaction.
 * What was read is kept for TOKEN_CACHE_MS, and only while no commit of this process has
 * changed users, departments, sessions or tokens since it was read (db_identity_generation):
 * a revoked token or a deactivated user is refused at once. A change made by another process
 * is seen within TOKEN_CACHE_MS. A token's expiry is kept with it and checked at every use,
 * since nothing is written when a token expires. */
enum { TOKEN_CACHE_SLOTS = 64, TOKEN_CACHE_MS = 1000 };

struct token_slot {
    unsigned char hash[32];
    long generation;
    int64_t until;      /* ktime_monotonic(); 0: empty */
    int64_t expires_at; /* ktime_now(); 0: never */
    int64_t token_id, user_id, department_id;
    enum role role;
    char name[NAME_MAX_CHARS * 4 + 1];
};

static struct token_slot token_cache[TOKEN_CACHE_SLOTS];
static pthread_mutex_t token_cache_mu = PTHREAD_MUTEX_INITIALIZER;

static int token_cached(const unsigned char h[32], long generation, struct arena *arena,
                        struct actor *ret)
{
    struct token_slot *s = &token_cache[h[0] % TOKEN_CACHE_SLOTS];
    int hit = 0;
    pthread_mutex_lock(&token_cache_mu);
    if (s->until && s->generation == generation && ktime_monotonic() < s->until &&
        (!s->expires_at || ktime_now() < s->expires_at) && sodium_memcmp(s->hash, h, 32) == 0) {
        ret->token_id = s->token_id;
        ret->user_id = s->user_id;
        ret->name = arena_strdup(arena, s->name);
        ret->role = s->role;
        ret->department_id = s->department_id;
        ret->session_id = 0;
        hit = 1;
    }
    pthread_mutex_unlock(&token_cache_mu);
    return hit;
}

static void token_remember(const unsigned char h[32], long generation, int64_t expires_at,
                           const struct actor *a)
{
    if (strlen(a->name) >= sizeof(token_cache[0].name))
        return;
    struct token_slot *s = &token_cache[h[0] % TOKEN_CACHE_SLOTS];
    pthread_mutex_lock(&token_cache_mu);
    memcpy(s->hash, h, 32);
    s->generation = generation;
    s->until = ktime_monotonic() + TOKEN_CACHE_MS;
    s->expires_at = expires_at;
    s->token_id = a->token_id;
    s->user_id = a->user_id;
    s->department_id = a->department_id;
    s->role = a->role;
    memcpy(s->name, a->name, strlen(a->name) + 1);
    pthread_mutex_unlock(&token_cache_mu);
}

int token_resolve(struct db *db, const char *token, struct arena *arena, struct actor *ret)
{
    unsigned char h[32];
    token_hash(token, h);
    long generation = db_identity_generation(); /* before reading: a change after it shows */
    if (token_cached(h, generation, arena, ret))
        return 0;
    struct stmt *st = db_stmt(db, SQL_token_resolve);
    st_blob(st, 1, h, sizeof(h));
    st_int(st, 2, ktime_now());
    int rc = st_step(st);
    if (rc <= 0) {
        st_reset(st);
        return rc < 0 ? rc : KF_EAUTH;
    }
    ret->token_id = col_int(st, 0);
    ret->user_id = col_int(st, 1);
    ret->name = arena_strdup(arena, col_text(st, 2));
    ret->role = role_parse(col_text(st, 3));
    ret->department_id = col_int(st, 4);
    ret->session_id = 0;
    int64_t expires_at = col_is_null(st, 5) ? 0 : col_int(st, 5);
    st_reset(st);
    if (ret->name)
        token_remember(h, generation, expires_at, ret);
    return 0;
}

int token_list(struct db *db, int64_t user_id, struct arena *arena, struct api_token **ret,
               size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_token_list);
    st_int(st, 1, user_id);
    size_t n = 0, cap = 8;
    struct api_token *v = arena_alloc(arena, cap * sizeof(*v));
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            struct api_token *w = arena_alloc(arena, 2 * cap * sizeof(*w));
            memcpy(w, v, n * sizeof(*w));
            v = w, cap *= 2;
        }
        v[n].id = col_int(st, 0);
        v[n].user_id = col_int(st, 1);
        v[n].name = arena_strdup(arena, col_text(st, 2));
        v[n].created_at = col_int(st, 3);
        v[n].expires_at = col_is_null(st, 4) ? 0 : col_int(st, 4);
        v[n].token = NULL;
        n++;
    }
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

int token_revoke(struct db *db, const struct actor *actor, int64_t id, struct kf_error *e)
{
    struct stmt *st = db_stmt(db, SQL_token_owner);
    st_int(st, 1, id);
    int rc = st_step(st);
    if (rc < 0)
        return rc;
    int64_t owner = rc ? col_int(st, 0) : 0;
    st_reset(st);
    if (!owner || (owner != actor->user_id && actor->role != ROLE_ADMIN))
        return kf_fail(e, KF_ENOTFOUND, NULL, "no such token");
    st = db_stmt(db, SQL_token_revoke);
    st_int(st, 1, id);
    st_int(st, 2, ktime_now());
    if ((rc = st_exec(st)))
        return rc;
    return audit_write(db, actor, "token.revoked", "api_token", id, NULL, NULL);
}
