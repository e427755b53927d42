/* user.h: accounts, passwords, sessions and API tokens. */
#ifndef KEFU_USER_H
#define KEFU_USER_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"

struct db;
struct arena;
struct kf_error;

enum {
    PASSWORD_MIN = 8,
    PASSWORD_MAX = 128,
    PASSWORD_HASH_MAX = 128, /* crypto_pwhash_STRBYTES */
    TOKEN_TEXT_MAX = 80,
};

struct user {
    int64_t id;
    const char *username, *name;
    enum role role;
    int64_t department_id; /* 0: none */
    const char *department_code, *department_name;
    int active;
    int64_t created_at;
};

/* What an admin sets; a NULL pointer or has_* == 0 leaves a field as it is on update. */
struct user_input {
    const char *username, *name, *role, *password;
    int64_t department_id;
    int has_department, active, has_active;
    /* the password's Argon2id hash, made by user_hash_password() before the transaction */
    char password_hash[PASSWORD_HASH_MAX];
};

/* Checks the password's length and hashes it (Argon2id, about 60 ms and 64 MiB) into
 * in->password_hash. Call it outside any transaction. Returns 0 or KF_EINVAL. */
int user_hash_password(struct user_input *in, struct kf_error *e);

/* Creates an account (admin or the system). Strings of ret live in arena. */
int user_create(struct db *db, const struct actor *actor, struct user_input *in,
                struct arena *arena, struct user *ret, struct kf_error *e);

/* What a change of an account ended. */
struct user_revoked {
    int sessions, tokens;
};

/* Changes an account, in the caller's transaction. A new password ends every session and
 * revokes every API token of the account (whoever learnt the old password may have made
 * them); a deactivation ends its sessions (its tokens are refused while it is inactive).
 * Returns 0 with the account in ret (strings in arena) and, when ret_revoked is not NULL,
 * what was ended in *ret_revoked; KF_ENOTFOUND, or KF_EINVAL with e naming the field. On
 * failure some of the change may have been written: the caller undoes it (a writer job's
 * savepoint does). */
int user_update(struct db *db, const struct actor *actor, int64_t id, struct user_input *in,
                struct arena *arena, struct user *ret, struct user_revoked *ret_revoked,
                struct kf_error *e);
int user_get(struct db *db, int64_t id, struct arena *arena, struct user *ret);
/* role NULL, department_id 0 and active -1 mean any. */
int user_list(struct db *db, const char *role, int64_t department_id, int active,
              struct arena *arena, struct user **ret, size_t *ret_n);
int user_count(struct db *db, int64_t *ret);

/* Checks a username and password. Returns 0 and the user, or KF_EAUTH (unknown user, wrong
 * password, inactive account: the caller cannot tell which). Slow: run it off the request
 * threads. */
int user_authenticate(struct db *db, const char *username, const char *password,
                      struct arena *arena, struct user *ret);

/* Sessions: a random token for the cookie and a CSRF token, both hex; only a hash of the
 * session token is stored. */
int session_create(struct db *db, int64_t user_id, const char *ip, int64_t ttl_ms,
                   char ret_token[TOKEN_TEXT_MAX], char ret_csrf[TOKEN_TEXT_MAX]);
/* Fills ret with the session's user, and *ret_csrf (arena) with its CSRF token; KF_EAUTH when
 * the token is unknown or expired. */
int session_resolve(struct db *db, const char *token, struct arena *arena, struct actor *ret,
                    const char **ret_csrf);
int session_delete(struct db *db, int64_t session_id);

struct api_token {
    int64_t id, user_id;
    const char *name;
    const char *token; /* only right after creation */
    int64_t created_at;
    int64_t expires_at; /* UTC ms; 0: never */
};

/* Makes an API token for the actor, named name (1-100 characters), working until expires_at
 * (UTC ms, which must be in the future; 0: until revoked). Returns 0 with the token, its secret
 * included, in ret (strings in arena); KF_EINVAL with e naming "name" or "expires_at"; or a
 * database error. Only a hash of the secret is stored. */
int token_create(struct db *db, const struct actor *actor, const char *name, int64_t expires_at,
                 struct arena *arena, struct api_token *ret, struct kf_error *e);
/* Fills ret with the owner of the token (name in arena); KF_EAUTH when the token is unknown,
 * revoked, expired or its owner inactive. What it read is remembered for a second, and only
 * while no identity changes (db_identity_generation), so a revocation counts at once; expiry
 * is checked on every call. */
int token_resolve(struct db *db, const char *token, struct arena *arena, struct actor *ret);
/* The user's tokens not revoked (expired ones included), oldest first, without secrets; the
 * array and its strings live in arena. */
int token_list(struct db *db, int64_t user_id, struct arena *arena, struct api_token **ret,
               size_t *ret_n);
/* The owner or an admin revokes. */
int token_revoke(struct db *db, const struct actor *actor, int64_t id, struct kf_error *e);

#endif
