/* store.c: stores (门店) and the rule that only walk-in tickets name one. */
#include "core/store.h"

#include <string.h>

#include "core/audit.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "lib/text.h"
#include "store/db.h"

static void read_store(struct stmt *st, struct arena *arena, struct store *s)
{
    s->id = col_int(st, 0);
    s->code = arena_strdup(arena, col_text(st, 1));
    s->name = arena_strdup(arena, col_text(st, 2));
    s->active = (int)col_int(st, 3);
    s->created_at = col_int(st, 4);
    s->updated_at = col_int(st, 5);
}

int store_get(struct db *db, int64_t id, struct arena *arena, struct store *ret)
{
    struct stmt *st = db_stmt(db, SQL_store_get);
    st_int(st, 1, id);
    int rc = st_step(st);
    if (rc == 1)
        read_store(st, arena, ret);
    st_reset(st);
    return rc < 0 ? rc : rc ? 0 : KF_ENOTFOUND;
}

int store_list(struct db *db, int active_only, struct arena *arena, struct store **ret,
               size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_store_list);
    st_int(st, 1, active_only ? 1 : 0);
    size_t n = 0, cap = 16;
    struct store *v = arena_alloc(arena, cap * sizeof(*v));
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            struct store *w = arena_alloc(arena, 2 * cap * sizeof(*w));
            memcpy(w, v, n * sizeof(*w));
            v = w, cap *= 2;
        }
        read_store(st, arena, &v[n++]);
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

static int validate(const struct store_input *in, struct kf_error *e)
{
    if (in->code && !text_is_code(in->code, STORE_CODE_MAX))
        return kf_fail(e, KF_EINVAL, "code",
                       "the code must have 1 to 64 letters, digits, '-' or '_'");
    return text_check(in->name, "name", STORE_NAME_MAX, 0, e);
}

/* The audit row of a store written as s (before: as it was, or NULL). */
static int audit_store(struct db *db, const struct actor *actor, const char *action,
                       const struct store *before, const struct store *s)
{
    struct strbuf b = STRBUF_INIT(4096), a = STRBUF_INIT(4096);
    const struct store *v[2] = {before, s};
    struct strbuf *out[2] = {&b, &a};
    for (int i = 0; i < 2; i++) {
        if (!v[i])
            continue;
        struct jw w;
        jw_init(&w, out[i]);
        jw_obj_begin(&w);
        jw_kstr(&w, "code", v[i]->code);
        jw_kstr(&w, "name", v[i]->name);
        jw_kbool(&w, "active", v[i]->active);
        jw_obj_end(&w);
    }
    int rc = audit_write(db, actor, action, "store", s->id, before ? b.buf : NULL, a.buf);
    strbuf_release(&b);
    strbuf_release(&a);
    return rc;
}

/* Writes s (id 0: a new row). */
static int write_store(struct db *db, const struct store *s, int64_t now, struct kf_error *e)
{
    struct stmt *st = db_stmt(db, s->id ? SQL_store_update : SQL_store_insert);
    int i = 1;
    if (s->id)
        st_int(st, i++, s->id);
    st_text(st, i++, s->code);
    st_text(st, i++, s->name);
    st_int(st, i++, s->active);
    st_int(st, i, now);
    int rc = st_exec(st);
    if (rc == KF_ECONFLICT)
        return kf_fail(e, rc, "code", "a store with this code exists");
    return rc;
}

int store_create(struct db *db, const struct actor *actor, const struct store_input *in,
                 struct arena *arena, struct store *ret, struct kf_error *e)
{
    if (!in->code)
        return kf_fail(e, KF_EINVAL, "code", "code is required");
    if (!in->name || text_blank(in->name))
        return kf_fail(e, KF_EINVAL, "name", "name is required");
    int rc = validate(in, e);
    if (rc)
        return rc;
    struct store s = {
        .code = in->code, .name = in->name, .active = in->has_active ? in->active : 1};
    int64_t now = ktime_now();
    if ((rc = write_store(db, &s, now, e)))
        return rc;
    s.id = db_last_id(db);
    if ((rc = audit_store(db, actor, "store.created", NULL, &s)))
        return rc;
    return store_get(db, s.id, arena, ret);
}

int store_update(struct db *db, const struct actor *actor, int64_t id, const struct store_input *in,
                 struct arena *arena, struct store *ret, struct kf_error *e)
{
    struct store cur;
    int rc = store_get(db, id, arena, &cur);
    if (rc)
        return rc;
    if (in->name && text_blank(in->name))
        return kf_fail(e, KF_EINVAL, "name", "name may not be empty");
    if ((rc = validate(in, e)))
        return rc;
    struct store s = cur;
    if (in->code)
        s.code = in->code;
    if (in->name)
        s.name = in->name;
    if (in->has_active)
        s.active = in->active;
    if ((rc = write_store(db, &s, ktime_now(), e)) ||
        (rc = audit_store(db, actor, "store.updated", &cur, &s)))
        return rc;
    return store_get(db, id, arena, ret);
}

int store_check_for_ticket(struct db *db, const char *channel, int64_t id, int is_new,
                           struct kf_error *e)
{
    if (!id)
        return 0;
    if (!channel || strcmp(channel, STORE_CHANNEL))
        return kf_fail(e, KF_EINVAL, "store_id",
                       "only a walk-in ticket (channel " STORE_CHANNEL ") names a store");
    struct arena a = ARENA_INIT;
    struct store s;
    int rc = store_get(db, id, &a, &s);
    int active = !rc && s.active;
    arena_release(&a);
    if (rc == KF_ENOTFOUND)
        return kf_fail(e, KF_EINVAL, "store_id", "no such store");
    if (rc)
        return rc;
    if (is_new && !active)
        return kf_fail(e, KF_EINVAL, "store_id", "this store is closed");
    return 0;
}
