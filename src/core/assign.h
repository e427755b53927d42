/* assign.h: who works a ticket: shifts (排班), automatic assignment among the members of a
 * department who are on shift (round robin or least loaded), and the notices they get. */
#ifndef KEFU_ASSIGN_H
#define KEFU_ASSIGN_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct actor;
struct kf_error;

enum { SHIFT_HOURS_MAX = 24, SHIFT_LIST_MAX = 2000 };

struct shift {
    int64_t id, user_id, department_id, starts_at, ends_at;
    const char *user_name;
    int64_t created_by, created_at;
};

/* Puts a member of a department on shift (supervisor or admin): ends after it starts, lasts at
 * most 24 hours, and does not overlap another shift of the same person. KF_EINVAL naming the
 * field, KF_ECONFLICT for an overlap, KF_EFORBIDDEN. */
int shift_create(struct db *db, const struct actor *actor, const struct shift *in,
                 struct arena *arena, struct shift *ret, struct kf_error *e);
int shift_delete(struct db *db, const struct actor *actor, int64_t id, struct kf_error *e);
/* The shifts that overlap [from, to), of one department and one person when those are not 0. */
int shift_list(struct db *db, int64_t from, int64_t to, int64_t department_id, int64_t user_id,
               struct arena *arena, struct shift **ret, size_t *ret_n);

/* Who gets a new ticket of department_id at `now`: the department's way (round_robin or
 * least_loaded) among its active members on shift. *ret_user_id is 0 when the department
 * assigns by hand or nobody is on shift; *ret_mode (static) says how. 0 or a negative code. */
int assign_pick(struct db *db, int64_t department_id, int64_t now, struct arena *arena,
                int64_t *ret_user_id, const char **ret_name, const char **ret_mode);

/* 1 when user_id is an active member of department_id (its own department or a membership). */
int assign_is_member(struct db *db, int64_t user_id, int64_t department_id);
/* The department's supervisor, 0 when it has none. */
int64_t assign_supervisor(struct db *db, int64_t department_id);

#endif
