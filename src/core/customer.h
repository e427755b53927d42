/* customer.h: customers: found by phone, e-mail or member id, never duplicated. */
#ifndef KEFU_CUSTOMER_H
#define KEFU_CUSTOMER_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct actor;
struct kf_error;

struct customer {
    int64_t id;
    const char *name, *phone, *email, *member_id, *tier;
    int64_t created_at;
    int64_t merged_into; /* 0, or the customer this one was merged into (a tombstone) */
};

/* NULL fields are absent (on update: unchanged). */
/* Contacts a change removes (customer_update). */
enum customer_clear {
    CUSTOMER_CLEAR_PHONE = 1,
    CUSTOMER_CLEAR_EMAIL = 2,
    CUSTOMER_CLEAR_MEMBER_ID = 4,
};

struct customer_input {
    const char *name, *phone, *email, *member_id, *tier;
    unsigned clear; /* enum customer_clear bits */
};

/* Checks and normalizes in place (phone: digits and a leading '+'; e-mail lower-cased);
 * normalized strings live in arena. 0 or KF_EINVAL naming the field with `prefix` before it
 * (e.g. "customer."). */
int customer_normalize(struct customer_input *in, const char *prefix, struct arena *arena,
                       struct kf_error *e);
/* Finds the customer with the same phone, e-mail or member id, filling in what it lacks, or
 * creates one. in must be normalized. */
int customer_find_or_create(struct db *db, const struct actor *actor,
                            const struct customer_input *in, struct arena *arena,
                            struct customer *ret, struct kf_error *e);
enum { CUSTOMER_IDENTITY_MAX = 200 };

/* Whether kind names an identity: "external_id:CODE" (a user id on channel CODE),
 * "wechat_openid", "phone", "email" or "member_id". */
int customer_identity_kind_ok(const char *kind);
/* The customer known by identity (kind, value), else the one fallback finds (by phone, e-mail
 * or member id), else a new one named fallback->name or, lacking it, value; the identity is
 * recorded for that customer. fallback must be normalized (it may be NULL). In the writer's
 * transaction. KF_EINVAL naming "kind" or "value" for a bad identity. */
int customer_find_or_create_by_identity(struct db *db, const struct actor *actor, const char *kind,
                                        const char *value, const struct customer_input *fallback,
                                        struct arena *arena, struct customer *ret,
                                        struct kf_error *e);
/* Records identity (kind, value) for customer id; nothing when it is already someone's. */
int customer_identity_add(struct db *db, int64_t id, const char *kind, const char *value);

/* Creates a customer; KF_ECONFLICT naming the field when a contact belongs to another. */
int customer_create(struct db *db, const struct actor *actor, struct customer_input *in,
                    struct arena *arena, struct customer *ret, struct kf_error *e);
int customer_update(struct db *db, const struct actor *actor, int64_t id, struct customer_input *in,
                    struct arena *arena, struct customer *ret, struct kf_error *e);
/* The customer id, or the customer it was merged into: what intakes and tickets use. */
int customer_get(struct db *db, int64_t id, struct arena *arena, struct customer *ret);
/* The customer id as stored, a merged one too (ret->merged_into set). KF_ENOTFOUND. */
int customer_record(struct db *db, int64_t id, struct arena *arena, struct customer *ret);
/* How many tickets customer id has. */
int customer_ticket_count(struct db *db, int64_t id, int64_t *ret);
/* q: a phone, e-mail or member id (exact) or the start of a name; NULL lists the newest. */
int customer_search(struct db *db, const char *q, int limit, struct arena *arena,
                    struct customer **ret, size_t *ret_n);
/* Records that actor saw the full contact of customer id (and, if ticket_id, on which
 * ticket). */
int customer_contact_viewed(struct db *db, const struct actor *actor, int64_t id,
                            int64_t ticket_id);

/* One way a customer is known. kind is what the store keeps ("external_id:APP"). */
struct customer_identity {
    int64_t id, customer_id;
    const char *kind, *value;
    int64_t created_at;
};

/* The identities of customer id, oldest first, in arena. */
int customer_identities(struct db *db, int64_t id, struct arena *arena,
                        struct customer_identity **ret, size_t *ret_n);
/* Links identity kind ("phone", "email", "wechat_openid", "member_id" or "external_id" with the
 * code of channel) and value to customer id, audited; the value is checked and normalized like
 * the customer's contacts. KF_EINVAL naming "kind", "channel" or "value"; KF_ENOTFOUND; a merged
 * customer is KF_EINVAL naming "id"; KF_ECONFLICT when the identity (or a customer's contact of
 * that kind) is another customer's, the message naming that customer as "customer N". In the
 * writer's transaction. */
int customer_identity_link(struct db *db, const struct actor *actor, int64_t id, const char *kind,
                           const char *channel, const char *value, struct arena *arena,
                           struct customer_identity *ret, struct kf_error *e);
/* Removes identity identity_id of customer id, audited. KF_ENOTFOUND when it is not id's. */
int customer_identity_unlink(struct db *db, const struct actor *actor, int64_t id,
                             int64_t identity_id);

/* Merges customer from into customer into, in the writer's transaction: every ticket (each
 * with a "customer_merged" history entry and a ticket.updated event), message, identity, call
 * and portal code or session of from moves to into; the contacts into lacks are taken from
 * from, the others become identities of into; into's tier is the higher of the two; from stays
 * as a tombstone without contacts, merged_into = into, and customers merged into from before now
 * name into. Audited on both. ret is into afterwards, *ret_moved the tickets moved.
 * KF_ENOTFOUND naming "id" or "from"; KF_EINVAL naming "from" for from == into or a merged
 * from, naming "id" for a merged into. Nothing is changed on failure (the writer's savepoint). */
int customer_merge(struct db *db, const struct actor *actor, int64_t into, int64_t from,
                   struct arena *arena, struct customer *ret, int64_t *ret_moved,
                   struct kf_error *e);

#endif
