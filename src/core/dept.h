/* dept.h: departments (部门): their members, supervisor and way of assigning work. */
#ifndef KEFU_DEPT_H
#define KEFU_DEPT_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"

struct db;
struct arena;
struct kf_error;

struct member {
    int64_t id;
    const char *name;
    enum role role;
};

struct department {
    int64_t id;
    const char *code, *name;
    int64_t supervisor_id;
    const char *assignment;
    struct member *members;
    size_t nmembers;
};

struct department_input {
    const char *code, *name, *assignment;
    int64_t supervisor_id;
    int has_supervisor;
};

int dept_create(struct db *db, const struct actor *actor, const struct department_input *in,
                struct arena *arena, struct department *ret, struct kf_error *e);
int dept_update(struct db *db, const struct actor *actor, int64_t id,
                const struct department_input *in, struct arena *arena, struct department *ret,
                struct kf_error *e);
int dept_get(struct db *db, int64_t id, struct arena *arena, struct department *ret);
int dept_by_code(struct db *db, const char *code, struct arena *arena, struct department *ret);
int dept_list(struct db *db, struct arena *arena, struct department **ret, size_t *ret_n);
int dept_member_add(struct db *db, const struct actor *actor, int64_t dept_id, int64_t user_id,
                    struct kf_error *e);
int dept_member_remove(struct db *db, const struct actor *actor, int64_t dept_id, int64_t user_id,
                       struct kf_error *e);

#endif
