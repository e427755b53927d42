/* dept.c: departments and their members. */
#include "core/dept.h"

#include <stdio.h>
#include <string.h>

#include "core/audit.h"
#include "core/enums.h"
#include "core/user.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/text.h"
#include "store/db.h"

static const char *const assignments[] = {"manual", "round_robin", "least_loaded", NULL};

static int enum_has_assignment(const char *s)
{
    return enum_has(assignments, s);
}

static int read_members(struct db *db, struct arena *arena, struct department *d)
{
    struct stmt *st = db_stmt(db, SQL_dept_members);
    st_int(st, 1, d->id);
    size_t n = 0, cap = 8;
    struct member *v = arena_alloc(arena, cap * sizeof(*v));
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            struct member *w = arena_alloc(arena, 2 * cap * sizeof(*w));
            memcpy(w, v, n * sizeof(*w));
            v = w, cap *= 2;
        }
        v[n].id = col_int(st, 0);
        v[n].name = arena_strdup(arena, col_text(st, 1));
        v[n].role = role_parse(col_text(st, 2));
        n++;
    }
    d->members = v;
    d->nmembers = n;
    return rc < 0 ? rc : 0;
}

static void read_dept(struct stmt *st, struct arena *arena, struct department *d)
{
    d->id = col_int(st, 0);
    d->code = arena_strdup(arena, col_text(st, 1));
    d->name = arena_strdup(arena, col_text(st, 2));
    d->supervisor_id = col_int(st, 3);
    d->assignment = arena_strdup(arena, col_text(st, 4));
    d->members = NULL;
    d->nmembers = 0;
}

static int get_one(struct db *db, struct stmt *st, struct arena *arena, struct department *ret)
{
    int rc = st_step(st);
    if (rc <= 0) {
        st_reset(st);
        return rc < 0 ? rc : KF_ENOTFOUND;
    }
    read_dept(st, arena, ret);
    st_reset(st);
    return read_members(db, arena, ret);
}

int dept_get(struct db *db, int64_t id, struct arena *arena, struct department *ret)
{
    struct stmt *st = db_stmt(db, SQL_dept_by_id);
    st_int(st, 1, id);
    return get_one(db, st, arena, ret);
}

int dept_by_code(struct db *db, const char *code, struct arena *arena, struct department *ret)
{
    struct stmt *st = db_stmt(db, SQL_dept_by_code);
    st_text(st, 1, code);
    return get_one(db, st, arena, ret);
}

int dept_list(struct db *db, struct arena *arena, struct department **ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_dept_list);
    size_t n = 0, cap = 16;
    struct department *v = arena_alloc(arena, cap * sizeof(*v));
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            struct department *w = arena_alloc(arena, 2 * cap * sizeof(*w));
            memcpy(w, v, n * sizeof(*w));
            v = w, cap *= 2;
        }
        read_dept(st, arena, &v[n++]);
    }
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        if ((rc = read_members(db, arena, &v[i])))
            return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

static int validate(struct db *db, const struct department_input *in, struct kf_error *e)
{
    if (in->name && (!*in->name || utf8_chars(in->name) > 100))
        return kf_fail(e, KF_EINVAL, "name", "the name must have 1 to 100 characters");
    if (in->assignment && !enum_has_assignment(in->assignment))
        return kf_fail(e, KF_EINVAL, "assignment",
                       "assignment must be manual, round_robin or least_loaded");
    if (in->has_supervisor && in->supervisor_id) {
        struct arena a = ARENA_INIT;
        struct user u;
        int rc = user_get(db, in->supervisor_id, &a, &u);
        arena_release(&a);
        if (rc == KF_ENOTFOUND)
            return kf_fail(e, KF_EINVAL, "supervisor_id", "no such user");
        if (rc)
            return rc;
    }
    return 0;
}

static void dept_json(struct strbuf *sb, const struct department_input *in)
{
    struct jw w;
    jw_init(&w, sb);
    jw_obj_begin(&w);
    if (in->code)
        jw_kstr(&w, "code", in->code);
    if (in->name)
        jw_kstr(&w, "name", in->name);
    if (in->assignment)
        jw_kstr(&w, "assignment", in->assignment);
    if (in->has_supervisor)
        jw_kint(&w, "supervisor_id", in->supervisor_id);
    jw_obj_end(&w);
}

static int audit_dept(struct db *db, const struct actor *actor, const char *action, int64_t id,
                      const struct department_input *in)
{
    struct strbuf sb = STRBUF_INIT(64 * 1024);
    dept_json(&sb, in);
    int rc = audit_write(db, actor, action, "department", id, NULL, sb.buf);
    strbuf_release(&sb);
    return rc;
}

int dept_create(struct db *db, const struct actor *actor, const struct department_input *in,
                struct arena *arena, struct department *ret, struct kf_error *e)
{
    if (!in->code || !text_is_code(in->code, 64))
        return kf_fail(e, KF_EINVAL, "code",
                       "the code must have 1 to 64 letters, digits, '-' or '_'");
    if (!in->name)
        return kf_fail(e, KF_EINVAL, "name", "name is required");
    int rc = validate(db, in, e);
    if (rc)
        return rc;
    struct stmt *st = db_stmt(db, SQL_dept_insert);
    st_text(st, 1, in->code);
    st_text(st, 2, in->name);
    if (in->has_supervisor && in->supervisor_id)
        st_int(st, 3, in->supervisor_id);
    st_text(st, 4, in->assignment ? in->assignment : "manual");
    st_int(st, 5, ktime_now());
    rc = st_exec(st);
    if (rc == KF_ECONFLICT)
        return kf_fail(e, rc, "code", "a department with this code exists");
    if (rc)
        return rc;
    int64_t id = db_last_id(db);
    if ((rc = audit_dept(db, actor, "department.created", id, in)))
        return rc;
    return dept_get(db, id, arena, ret);
}

int dept_update(struct db *db, const struct actor *actor, int64_t id,
                const struct department_input *in, struct arena *arena, struct department *ret,
                struct kf_error *e)
{
    struct department cur;
    int rc = dept_get(db, id, arena, &cur);
    if (rc)
        return rc;
    if ((rc = validate(db, in, e)))
        return rc;
    struct stmt *st = db_stmt(db, SQL_dept_update);
    st_int(st, 1, id);
    st_text(st, 2, in->name ? in->name : cur.name);
    int64_t sup = in->has_supervisor ? in->supervisor_id : cur.supervisor_id;
    if (sup)
        st_int(st, 3, sup);
    st_text(st, 4, in->assignment ? in->assignment : cur.assignment);
    st_int(st, 5, ktime_now());
    if ((rc = st_exec(st)))
        return rc;
    if ((rc = audit_dept(db, actor, "department.updated", id, in)))
        return rc;
    return dept_get(db, id, arena, ret);
}

static int member_change(struct db *db, const struct actor *actor, enum sql_id sql,
                         const char *action, int64_t dept_id, int64_t user_id, struct kf_error *e)
{
    struct arena a = ARENA_INIT;
    struct department d;
    struct user u;
    int rc = dept_get(db, dept_id, &a, &d);
    if (!rc) {
        rc = user_get(db, user_id, &a, &u);
        if (rc == KF_ENOTFOUND)
            rc = kf_fail(e, KF_EINVAL, "user_id", "no such user");
    }
    arena_release(&a);
    if (rc)
        return rc;
    struct stmt *st = db_stmt(db, sql);
    st_int(st, 1, dept_id);
    st_int(st, 2, user_id);
    if ((rc = st_exec(st)))
        return rc;
    if (!db_changes(db))
        return 0;
    char after[64];
    snprintf(after, sizeof(after), "{\"user_id\":%lld}", (long long)user_id);
    return audit_write(db, actor, action, "department", dept_id, NULL, after);
}

int dept_member_add(struct db *db, const struct actor *actor, int64_t dept_id, int64_t user_id,
                    struct kf_error *e)
{
    return member_change(db, actor, SQL_dept_member_add, "department.member_added", dept_id,
                         user_id, e);
}

int dept_member_remove(struct db *db, const struct actor *actor, int64_t dept_id, int64_t user_id,
                       struct kf_error *e)
{
    return member_change(db, actor, SQL_dept_member_remove, "department.member_removed", dept_id,
                         user_id, e);
}
