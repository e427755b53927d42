/* store.h: stores (门店): the shops where customers walk in, kept by admins, named on a
 * walk-in registration (channel STORE) and counted in reports like a channel. */
#ifndef KEFU_CORE_STORE_H
#define KEFU_CORE_STORE_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct actor;
struct kf_error;

/* The channel whose tickets may name a store. */
#define STORE_CHANNEL "STORE"

enum { STORE_NAME_MAX = 100, STORE_CODE_MAX = 64, STORES_MAX = 2000 };

struct store {
    int64_t id;
    const char *code, *name;
    int active;
    int64_t created_at, updated_at;
};

/* A new store or a change: NULL strings and has_active 0 leave a field as it is. */
struct store_input {
    const char *code, *name;
    int active, has_active;
};

/* Adds a store (code and name required; active unless said otherwise), with an audit row. In
 * the writer's transaction. KF_EINVAL naming the field; KF_ECONFLICT naming "code" when the code
 * is taken. */
int store_create(struct db *db, const struct actor *actor, const struct store_input *in,
                 struct arena *arena, struct store *ret, struct kf_error *e);
/* Renames, recodes, closes (active 0) or reopens store id, with an audit row. Tickets keep the
 * store they name. KF_ENOTFOUND, KF_EINVAL or KF_ECONFLICT as store_create. */
int store_update(struct db *db, const struct actor *actor, int64_t id, const struct store_input *in,
                 struct arena *arena, struct store *ret, struct kf_error *e);
int store_get(struct db *db, int64_t id, struct arena *arena, struct store *ret);
/* Every store (active_only: the open ones), by name. */
int store_list(struct db *db, int active_only, struct arena *arena, struct store **ret,
               size_t *ret_n);
/* Checks that a ticket of channel may name store id (0: none): only the STORE channel's may,
 * and only an open store on creation (is_new). KF_EINVAL naming "store_id" otherwise. */
int store_check_for_ticket(struct db *db, const char *channel, int64_t id, int is_new,
                           struct kf_error *e);

#endif
