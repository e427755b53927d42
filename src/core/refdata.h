/* refdata.h: channels, the category tree and settings. */
#ifndef KEFU_REFDATA_H
#define KEFU_REFDATA_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct actor;
struct kf_error;

struct channel {
    const char *code, *name, *name_en;
    int enabled;
    const char *kind; /* core/channel.h: channel_kinds */
};

struct category {
    int64_t id;
    const char *code, *name, *type, *parent_code;
    int64_t department_id;
};

struct category_input {
    const char *code, *name, *type, *parent_code;
    int64_t department_id;
    int has_department;
};

/* The settings the database keeps and an admin may change. The time zone and the attachment
 * limit that GET /settings shows too are configuration (lib/config.h), fixed while the server
 * runs. */
struct settings {
    const char *ticket_number_format;
};

int channel_list(struct db *db, struct arena *arena, struct channel **ret, size_t *ret_n);
int category_list(struct db *db, struct arena *arena, struct category **ret, size_t *ret_n);
int category_create(struct db *db, const struct actor *actor, const struct category_input *in,
                    struct kf_error *e);
int category_update(struct db *db, const struct actor *actor, const char *code,
                    const struct category_input *in, struct kf_error *e);
/* The id of category `code`, which must belong to ticket type `type`: 0 and *ret_id (and the
 * category's handling department, 0 for none, in *ret_department_id unless it is NULL), or
 * KF_EINVAL naming "category" (unknown, or of another type). */
int category_resolve(struct db *db, const char *code, const char *type, int64_t *ret_id,
                     int64_t *ret_department_id, struct kf_error *e);
/* The settings in force, copied into arena; a setting never changed has its default. 0, or a
 * negative kf_err when the database fails. */
int settings_get(struct db *db, struct arena *arena, struct settings *ret);
/* Changes the non-NULL members of in, after checking them, and audits the change. 0, or
 * KF_EINVAL with e naming the field (nothing changed), or another negative kf_err. NULL
 * members are left as they are. */
int settings_update(struct db *db, const struct actor *actor, const struct settings *in,
                    struct kf_error *e);

#endif
