/* assign.c: shifts and automatic assignment. */
#include "core/assign.h"

#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/audit.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "store/db.h"

static const int64_t HOUR = 3600 * 1000;

static void read_shift(struct stmt *st, struct arena *a, struct shift *s)
{
    s->id = col_int(st, 0);
    s->user_id = col_int(st, 1);
    s->user_name = arena_strdup(a, col_text(st, 2));
    s->department_id = col_int(st, 3);
    s->starts_at = col_int(st, 4);
    s->ends_at = col_int(st, 5);
    s->created_by = col_int(st, 6);
    s->created_at = col_int(st, 7);
}

int assign_is_member(struct db *db, int64_t user_id, int64_t department_id)
{
    struct stmt *st = db_stmt(db, SQL_member_of);
    st_int(st, 1, user_id);
    st_int(st, 2, department_id);
    int rc = st_step(st);
    st_reset(st);
    return rc;
}

int64_t assign_supervisor(struct db *db, int64_t department_id)
{
    struct stmt *st = db_stmt(db, SQL_assign_mode);
    st_int(st, 1, department_id);
    int64_t id = st_step(st) == 1 ? col_int(st, 1) : 0;
    st_reset(st);
    return id;
}

static int may_plan(const struct actor *actor, struct kf_error *e)
{
    if (actor && !role_is_lead(actor->role))
        return kf_fail(e, KF_EFORBIDDEN, NULL, "only a supervisor or an admin plans shifts");
    return 0;
}

int shift_create(struct db *db, const struct actor *actor, const struct shift *in,
                 struct arena *arena, struct shift *ret, struct kf_error *e)
{
    int rc;
    if ((rc = may_plan(actor, e)))
        return rc;
    if (!in->user_id)
        return kf_fail(e, KF_EINVAL, "user_id", "user_id is required");
    if (!in->department_id)
        return kf_fail(e, KF_EINVAL, "department_id", "department_id is required");
    if (!in->starts_at)
        return kf_fail(e, KF_EINVAL, "starts_at", "starts_at is required");
    if (in->ends_at <= in->starts_at)
        return kf_fail(e, KF_EINVAL, "ends_at", "a shift ends after it starts");
    if (in->ends_at - in->starts_at > SHIFT_HOURS_MAX * HOUR)
        return kf_fail(e, KF_EINVAL, "ends_at", "a shift lasts at most 24 hours");
    rc = assign_is_member(db, in->user_id, in->department_id);
    if (rc < 0)
        return rc;
    if (!rc)
        return kf_fail(e, KF_EINVAL, "user_id", "no active member of this department has this id");
    struct stmt *st = db_stmt(db, SQL_shift_overlap);
    st_int(st, 1, in->user_id);
    st_int(st, 2, in->starts_at);
    st_int(st, 3, in->ends_at);
    st_int(st, 4, 0);
    rc = st_step(st);
    st_reset(st);
    if (rc < 0)
        return rc;
    if (rc)
        return kf_fail(e, KF_ECONFLICT, "starts_at", "this person has a shift at that time");
    st = db_stmt(db, SQL_shift_insert);
    st_int(st, 1, in->user_id);
    st_int(st, 2, in->department_id);
    st_int(st, 3, in->starts_at);
    st_int(st, 4, in->ends_at);
    if (actor && actor->user_id)
        st_int(st, 5, actor->user_id);
    st_int(st, 6, ktime_now());
    if ((rc = st_exec(st)))
        return rc;
    int64_t id = db_last_id(db);
    st = db_stmt(db, SQL_shift_by_id);
    st_int(st, 1, id);
    if ((rc = st_step(st)) == 1)
        read_shift(st, arena, ret);
    st_reset(st);
    if (rc < 0)
        return rc;
    char after[160];
    snprintf(after, sizeof(after), "{\"user_id\":%lld,\"department_id\":%lld}",
             (long long)in->user_id, (long long)in->department_id);
    return audit_write(db, actor, "shift.created", "shift", id, NULL, after);
}

int shift_delete(struct db *db, const struct actor *actor, int64_t id, struct kf_error *e)
{
    int rc;
    if ((rc = may_plan(actor, e)))
        return rc;
    struct stmt *st = db_stmt(db, SQL_shift_delete);
    st_int(st, 1, id);
    if ((rc = st_exec(st)))
        return rc;
    if (!db_changes(db))
        return kf_fail(e, KF_ENOTFOUND, NULL, "no such shift");
    return audit_write(db, actor, "shift.deleted", "shift", id, NULL, NULL);
}

int shift_list(struct db *db, int64_t from, int64_t to, int64_t department_id, int64_t user_id,
               struct arena *arena, struct shift **ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_shift_list);
    st_int(st, 1, from);
    st_int(st, 2, to);
    st_int(st, 3, department_id);
    st_int(st, 4, user_id);
    size_t n = 0, cap = 32;
    struct shift *v = arena_alloc(arena, cap * sizeof(*v));
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            struct shift *w = arena_alloc(arena, 2 * cap * sizeof(*w));
            memcpy(w, v, n * sizeof(*w));
            v = w, cap *= 2;
        }
        read_shift(st, arena, &v[n++]);
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

int assign_pick(struct db *db, int64_t department_id, int64_t now, struct arena *arena,
                int64_t *ret_user_id, const char **ret_name, const char **ret_mode)
{
    *ret_user_id = 0;
    *ret_name = NULL;
    *ret_mode = "manual";
    if (!department_id)
        return 0;
    struct stmt *st = db_stmt(db, SQL_assign_mode);
    st_int(st, 1, department_id);
    int rc = st_step(st);
    char mode[16] = "manual";
    if (rc == 1)
        snprintf(mode, sizeof(mode), "%s", col_text(st, 0));
    st_reset(st);
    if (rc <= 0 || !strcmp(mode, "manual"))
        return rc < 0 ? rc : 0;
    enum { MAX = 200 };
    int64_t ids[MAX];
    const char *names[MAX];
    int n = 0;
    st = db_stmt(db, SQL_shift_candidates);
    st_int(st, 1, department_id);
    st_int(st, 2, now);
    while (n < MAX && (rc = st_step(st)) == 1) {
        ids[n] = col_int(st, 0);
        names[n++] = arena_strdup(arena, col_text(st, 1));
    }
    st_reset(st);
    if (rc < 0 || !n)
        return rc < 0 ? rc : 0;
    int pick = 0;
    if (!strcmp(mode, "least_loaded")) {
        *ret_mode = "least_loaded";
        int64_t best = INT64_MAX;
        for (int i = 0; i < n; i++) {
            int64_t load = 0;
            st = db_stmt(db, SQL_open_load);
            st_int(st, 1, ids[i]);
            if ((rc = st_one_int(st, &load)) < 0)
                return rc;
            if (load < best) /* ties: the lowest id, the candidates being sorted */
                best = load, pick = i;
        }
    } else {
        *ret_mode = "round_robin";
        int64_t last = 0;
        st = db_stmt(db, SQL_assign_cursor_get);
        st_int(st, 1, department_id);
        if ((rc = st_one_int(st, &last)) < 0)
            return rc;
        while (pick < n && ids[pick] <= last)
            pick++;
        if (pick == n)
            pick = 0; /* round again from the first */
        st = db_stmt(db, SQL_assign_cursor_set);
        st_int(st, 1, department_id);
        st_int(st, 2, ids[pick]);
        if ((rc = st_exec(st)))
            return rc;
    }
    *ret_user_id = ids[pick];
    *ret_name = names[pick];
    return 0;
}
