/* portal.c: the customer portal: one-time codes, portal sessions, and a customer's own tickets. */
#include "core/portal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/attachment.h"
#include "core/audit.h"
#include "core/message.h"
#include "core/ticket.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "lib/text.h"
#include "store/db.h"

enum { SALT_BYTES = 16, HASH_BYTES = 32, COMMENT_MAX = 2000 };

/* The portal acts as the system on the customer's behalf. */
static const struct actor portal_actor = {.name = "portal", .role = ROLE_ADMIN};

static void code_hash(const char *code, const unsigned char *salt, unsigned char out[HASH_BYTES])
{
    crypto_generichash(out, HASH_BYTES, (const unsigned char *)code, strlen(code), salt,
                       SALT_BYTES);
}

static void token_hash(const char *token, unsigned char out[HASH_BYTES])
{
    crypto_generichash(out, HASH_BYTES, (const unsigned char *)token, strlen(token), NULL, 0);
}

/* A new random token (64 hex digits) into out, and its hash. */
static void token_new(char out[PORTAL_TOKEN_TEXT], unsigned char hash[HASH_BYTES])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(out, PORTAL_TOKEN_TEXT, raw, sizeof(raw));
    token_hash(out, hash);
}

int portal_code_issue(struct db *db, const char *email, char ret_code[PORTAL_CODE_DIGITS + 1],
                      int64_t *ret_customer_id)
{
    *ret_customer_id = 0;
    struct stmt *st = db_stmt(db, SQL_portal_customer_by_email);
    st_text(st, 1, email);
    int64_t customer_id;
    int rc = st_one_int(st, &customer_id);
    if (rc <= 0)
        return rc;
    st = db_stmt(db, SQL_portal_code_retire);
    st_text(st, 1, email);
    if ((rc = st_exec(st)))
        return rc;
    snprintf(ret_code, PORTAL_CODE_DIGITS + 1, "%06u", (unsigned)randombytes_uniform(1000000));
    unsigned char salt[SALT_BYTES], hash[HASH_BYTES];
    randombytes_buf(salt, sizeof(salt));
    code_hash(ret_code, salt, hash);
    int64_t now = ktime_now();
    st = db_stmt(db, SQL_portal_code_insert);
    st_int(st, 1, customer_id);
    st_text(st, 2, email);
    st_blob(st, 3, hash, sizeof(hash));
    st_blob(st, 4, salt, sizeof(salt));
    st_int(st, 5, now);
    st_int(st, 6, now + PORTAL_CODE_TTL_MS);
    if ((rc = st_exec(st)))
        return rc;
    *ret_customer_id = customer_id;
    return 0;
}

int portal_code_verify(struct db *db, const char *email, const char *code, const char *ip,
                       enum portal_outcome *ret_outcome, int64_t *ret_customer_id,
                       char ret_token[PORTAL_TOKEN_TEXT])
{
    int64_t now = ktime_now();
    *ret_outcome = PORTAL_NO_CODE;
    struct stmt *st = db_stmt(db, SQL_portal_code_live);
    st_text(st, 1, email);
    st_int(st, 2, now);
    int rc = st_step(st);
    if (rc <= 0) {
        st_reset(st);
        return rc;
    }
    int64_t id = col_int(st, 0), customer_id = col_int(st, 1);
    unsigned char want[HASH_BYTES], salt[SALT_BYTES], got[HASH_BYTES];
    int ok = col_bytes(st, 2) == HASH_BYTES && col_bytes(st, 3) == SALT_BYTES;
    if (ok) {
        memcpy(want, col_blob(st, 2), HASH_BYTES);
        memcpy(salt, col_blob(st, 3), SALT_BYTES);
    }
    st_reset(st);
    if (ok) {
        code_hash(code, salt, got);
        ok = sodium_memcmp(want, got, HASH_BYTES) == 0;
    }
    if (!ok) {
        st = db_stmt(db, SQL_portal_code_wrong);
        st_int(st, 1, id);
        st_int(st, 2, PORTAL_CODE_TRIES);
        *ret_outcome = PORTAL_WRONG_CODE;
        return st_exec(st);
    }
    st = db_stmt(db, SQL_portal_code_used);
    st_int(st, 1, id);
    st_int(st, 2, now);
    if ((rc = st_exec(st)))
        return rc;
    unsigned char hash[HASH_BYTES];
    token_new(ret_token, hash);
    st = db_stmt(db, SQL_portal_session_insert);
    st_blob(st, 1, hash, sizeof(hash));
    st_int(st, 2, customer_id);
    st_int(st, 3, now);
    st_int(st, 4, now + PORTAL_SESSION_TTL_MS);
    st_text(st, 5, ip);
    if ((rc = st_exec(st)) || (rc = audit_write(db, &portal_actor, "portal.signed_in", "customer",
                                                customer_id, NULL, NULL)))
        return rc;
    *ret_customer_id = customer_id;
    *ret_outcome = PORTAL_SIGNED_IN;
    return 0;
}

int portal_session_resolve(struct db *db, const char *token, int64_t *ret_session_id,
                           int64_t *ret_customer_id)
{
    unsigned char hash[HASH_BYTES];
    if (strlen(token) != PORTAL_TOKEN_TEXT - 1)
        return KF_EAUTH;
    token_hash(token, hash);
    struct stmt *st = db_stmt(db, SQL_portal_session_resolve);
    st_blob(st, 1, hash, sizeof(hash));
    st_int(st, 2, ktime_now());
    int rc = st_step(st);
    if (rc == 1) {
        *ret_session_id = col_int(st, 0);
        *ret_customer_id = col_int(st, 1);
    }
    st_reset(st);
    return rc < 0 ? rc : rc ? 0 : KF_EAUTH;
}

int portal_session_end(struct db *db, int64_t session_id)
{
    struct stmt *st = db_stmt(db, SQL_portal_session_delete);
    st_int(st, 1, session_id);
    return st_exec(st);
}

int portal_upload(struct db *db, const char *filename, const char *content_type, const void *data,
                  size_t size, struct arena *arena, struct attachment *ret,
                  char ret_token[PORTAL_TOKEN_TEXT], struct kf_error *e)
{
    int rc =
        attachment_create(db, &portal_actor, filename, content_type, data, size, arena, ret, e);
    if (rc)
        return rc;
    unsigned char hash[HASH_BYTES];
    token_new(ret_token, hash);
    struct stmt *st = db_stmt(db, SQL_portal_upload_key);
    st_int(st, 1, ret->id);
    st_blob(st, 2, hash, sizeof(hash));
    return st_exec(st);
}

/* Links the uploads of tokens to the ticket and its message; each must be a portal upload not in
 * use. */
static int uploads_link(struct db *db, int64_t ticket_id, int64_t message_id,
                        const char *const *tokens, int n, struct kf_error *e)
{
    for (int i = 0; i < n; i++) {
        unsigned char hash[HASH_BYTES];
        token_hash(tokens[i], hash);
        struct stmt *st = db_stmt(db, SQL_portal_upload_link);
        st_blob(st, 1, hash, sizeof(hash));
        st_int(st, 2, ticket_id);
        st_int(st, 3, message_id);
        int rc = st_exec(st);
        if (rc)
            return rc;
        if (db_changes(db) != 1)
            return kf_fail(e, KF_EINVAL, "attachments",
                           "an attachment is unknown or in use already");
    }
    return 0;
}

int portal_ticket_create(struct db *db, struct ticket_input *in, const char *const *tokens, int n,
                         struct arena *arena, struct ticket *ret, struct kf_error *e)
{
    in->channel = "WEB";
    in->has_customer = 1;
    int rc = ticket_create(db, &portal_actor, in, arena, ret, e);
    int64_t message_id;
    if (!rc)
        rc = message_add_customer(db, ret->id, ret->customer.id, in->description, arena,
                                  &message_id, e);
    if (!rc)
        rc = uploads_link(db, ret->id, message_id, tokens, n, e);
    return rc;
}

int portal_ticket_get(struct db *db, int64_t customer_id, const char *number, struct arena *arena,
                      struct ticket *ret)
{
    struct stmt *st = db_stmt(db, SQL_portal_ticket_by_number);
    st_text(st, 1, number);
    int64_t id;
    int rc = st_one_int(st, &id);
    if (rc <= 0)
        return rc < 0 ? rc : KF_ENOTFOUND;
    if (!(rc = ticket_get_id(db, NULL, id, arena, ret)) && ret->customer.id != customer_id)
        rc = KF_ENOTFOUND;
    return rc;
}

int portal_messages(struct db *db, const struct ticket *t, struct arena *arena,
                    struct message **ret, size_t *ret_n)
{
    struct message *v;
    size_t n, kept = 0;
    int rc = message_list(db, NULL, arena_printf(arena, "%lld", (long long)t->id), arena, &v, &n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].kind, "customer") || !strcmp(v[i].kind, "reply"))
            v[kept++] = v[i];
    *ret = v;
    *ret_n = kept;
    return 0;
}

int portal_reply(struct db *db, int64_t customer_id, const char *number, const char *body,
                 const char *const *tokens, int n, struct arena *arena, int64_t *ret_message_id,
                 struct kf_error *e)
{
    int rc = text_check(body, "body", DESCRIPTION_MAX, 1, e);
    struct ticket t;
    if (rc || (rc = portal_ticket_get(db, customer_id, number, arena, &t)))
        return rc;
    if (!strcmp(t.status, "closed"))
        return kf_fail(e, KF_ECONFLICT, "status",
                       "this ticket is closed: send a new request instead");
    if (!(rc = message_add_customer(db, t.id, customer_id, body, arena, ret_message_id, e)))
        rc = uploads_link(db, t.id, *ret_message_id, tokens, n, e);
    return rc;
}

int portal_confirm(struct db *db, int64_t customer_id, const char *number, int accepted,
                   const char *comment, struct arena *arena, struct ticket *ret, struct kf_error *e)
{
    int rc = text_check(comment, "comment", COMMENT_MAX, 0, e);
    struct ticket t;
    if (rc || (rc = portal_ticket_get(db, customer_id, number, arena, &t)))
        return rc;
    if (strcmp(t.status, "waiting_customer") && strcmp(t.status, "resolved"))
        return kf_fail(e, KF_ECONFLICT, "status",
                       "only a ticket that waits for you or is resolved can be confirmed");
    const char *to = accepted ? "resolved" : "in_progress";
    if (strcmp(t.status, to)) {
        struct ticket_patch p = {.set = TF_STATUS, .status = to};
        if (accepted && !t.result) { /* the customer accepts the solution they were given */
            p.set |= TF_RESULT;
            p.result = "solution_provided";
        }
        const char *ref = arena_printf(arena, "%lld", (long long)t.id); /* a number may be digits */
        if ((rc = ticket_update(db, &portal_actor, ref, &p, arena, ret, e)))
            return rc;
    }
    struct strbuf sb = STRBUF_INIT(8192);
    struct jw w;
    jw_init(&w, &sb);
    jw_obj_begin(&w);
    jw_kstr(&w, "from", t.status);
    jw_kstr(&w, "comment", comment && *comment ? comment : NULL);
    jw_obj_end(&w);
    const char *action = accepted ? "confirmed" : "disputed";
    rc = history_write(db, t.id, &portal_actor, action, sb.buf);
    strbuf_release(&sb);
    int64_t message_id;
    if (!rc && !accepted && comment && !text_blank(comment)) /* the reason, in the conversation */
        rc = message_add_customer(db, t.id, customer_id, comment, arena, &message_id, e);
    return rc ? rc : ticket_get_id(db, NULL, t.id, arena, ret);
}

int portal_attachment_get(struct db *db, int64_t customer_id, int64_t id, struct arena *arena,
                          struct attachment *ret)
{
    int rc = attachment_get(db, &portal_actor, id, arena, ret);
    if (rc)
        return rc;
    struct ticket t;
    if (!ret->ticket_id || (rc = ticket_get_id(db, NULL, ret->ticket_id, arena, &t)))
        return rc ? rc : KF_ENOTFOUND;
    if (t.customer.id != customer_id)
        return KF_ENOTFOUND;
    rc = attachment_on_note(db, ret);
    return rc < 0 ? rc : rc ? KF_ENOTFOUND : 0;
}

int portal_purge(struct db *db, int64_t now)
{
    struct stmt *st = db_stmt(db, SQL_portal_codes_purge);
    st_int(st, 1, now);
    int rc = st_exec(st);
    if (rc)
        return rc;
    st = db_stmt(db, SQL_portal_sessions_purge);
    st_int(st, 1, now);
    return st_exec(st);
}
