/* refdata.c: channels, the category tree and settings. */
#include "core/refdata.h"

#include <string.h>

#include "core/audit.h"
#include "core/dept.h"
#include "core/enums.h"
#include "core/ticket_number.h"
#include "core/user.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/text.h"
#include "store/db.h"

int channel_list(struct db *db, struct arena *arena, struct channel **ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_channel_list);
    size_t n = 0, cap = 32;
    struct channel *v = arena_alloc(arena, cap * sizeof(*v));
    int rc = 0;
    while (n < cap && (rc = st_step(st)) == 1) {
        v[n].code = arena_strdup(arena, col_text(st, 0));
        v[n].name = arena_strdup(arena, col_text(st, 1));
        v[n].name_en = arena_strdup(arena, col_text(st, 2));
        v[n].enabled = (int)col_int(st, 3);
        v[n].kind = arena_strdup(arena, col_text(st, 4));
        n++;
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

int category_list(struct db *db, struct arena *arena, struct category **ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_category_list);
    size_t n = 0, cap = 64;
    struct category *v = arena_alloc(arena, cap * sizeof(*v));
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            struct category *w = arena_alloc(arena, 2 * cap * sizeof(*w));
            memcpy(w, v, n * sizeof(*w));
            v = w, cap *= 2;
        }
        v[n].id = col_int(st, 0);
        v[n].code = arena_strdup(arena, col_text(st, 1));
        v[n].name = arena_strdup(arena, col_text(st, 2));
        v[n].type = arena_strdup(arena, col_text(st, 3));
        v[n].parent_code = arena_strdup(arena, col_text(st, 4));
        v[n].department_id = col_int(st, 5);
        n++;
    }
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

static int check_department(struct db *db, int64_t id, struct kf_error *e)
{
    struct arena a = ARENA_INIT;
    struct department d;
    int rc = id ? dept_get(db, id, &a, &d) : 0;
    arena_release(&a);
    if (rc == KF_ENOTFOUND)
        return kf_fail(e, KF_EINVAL, "department_id", "no such department");
    return rc;
}

static int audit_category(struct db *db, const struct actor *actor, const char *action,
                          const char *code, const struct category_input *in)
{
    struct strbuf sb = STRBUF_INIT(16 * 1024);
    struct jw w;
    jw_init(&w, &sb);
    jw_obj_begin(&w);
    jw_kstr(&w, "code", code);
    if (in->name)
        jw_kstr(&w, "name", in->name);
    if (in->type)
        jw_kstr(&w, "type", in->type);
    if (in->parent_code)
        jw_kstr(&w, "parent_code", in->parent_code);
    if (in->has_department)
        jw_kint(&w, "department_id", in->department_id);
    jw_obj_end(&w);
    int rc = audit_write(db, actor, action, "category", 0, NULL, sb.buf);
    strbuf_release(&sb);
    return rc;
}

int category_create(struct db *db, const struct actor *actor, const struct category_input *in,
                    struct kf_error *e)
{
    int rc;
    if (!in->code || !*in->code || strlen(in->code) > 64 || strpbrk(in->code, " /?#%\"'<>"))
        return kf_fail(e, KF_EINVAL, "code", "the code must have 1 to 64 characters, no spaces");
    if (!in->name || !*in->name || utf8_chars(in->name) > 100)
        return kf_fail(e, KF_EINVAL, "name", "the name must have 1 to 100 characters");
    if (!in->type || !enum_has(ticket_types, in->type))
        return kf_fail(e, KF_EINVAL, "type", "unknown ticket type");
    int64_t parent = 0;
    if (in->parent_code) {
        struct stmt *st = db_stmt(db, SQL_category_by_code);
        st_text(st, 1, in->parent_code);
        rc = st_step(st);
        int same_type = rc == 1 && !strcmp(col_text(st, 1), in->type);
        parent = rc == 1 ? col_int(st, 0) : 0;
        st_reset(st);
        if (rc < 0)
            return rc;
        if (!parent || !same_type)
            return kf_fail(e, KF_EINVAL, "parent_code", "no such category of this type");
    }
    if (in->has_department && (rc = check_department(db, in->department_id, e)))
        return rc;
    struct stmt *st = db_stmt(db, SQL_category_insert);
    st_text(st, 1, in->code);
    st_text(st, 2, in->name);
    st_text(st, 3, in->type);
    if (parent)
        st_int(st, 4, parent);
    if (in->has_department && in->department_id)
        st_int(st, 5, in->department_id);
    rc = st_exec(st);
    if (rc == KF_ECONFLICT)
        return kf_fail(e, rc, "code", "a category with this code exists");
    if (rc)
        return rc;
    return audit_category(db, actor, "category.created", in->code, in);
}

int category_update(struct db *db, const struct actor *actor, const char *code,
                    const struct category_input *in, struct kf_error *e)
{
    struct arena a = ARENA_INIT;
    struct category *all, *cur = NULL;
    size_t n;
    int rc = category_list(db, &a, &all, &n);
    for (size_t i = 0; !rc && i < n; i++)
        if (!strcmp(all[i].code, code))
            cur = &all[i];
    if (!rc && !cur)
        rc = KF_ENOTFOUND;
    if (!rc && in->name && (!*in->name || utf8_chars(in->name) > 100))
        rc = kf_fail(e, KF_EINVAL, "name", "the name must have 1 to 100 characters");
    if (!rc && in->has_department)
        rc = check_department(db, in->department_id, e);
    if (!rc) {
        struct stmt *st = db_stmt(db, SQL_category_update);
        st_text(st, 1, code);
        st_text(st, 2, in->name ? in->name : cur->name);
        int64_t dept = in->has_department ? in->department_id : cur->department_id;
        if (dept)
            st_int(st, 3, dept);
        rc = st_exec(st);
    }
    if (!rc)
        rc = audit_category(db, actor, "category.updated", code, in);
    arena_release(&a);
    return rc;
}

int settings_get(struct db *db, struct arena *arena, struct settings *ret)
{
    struct stmt *st = db_stmt(db, SQL_setting_get);
    st_text(st, 1, "ticket_number_format");
    int rc = st_step(st);
    ret->ticket_number_format =
        rc == 1 ? arena_strdup(arena, col_text(st, 0)) : "{channel}-{YYYYMMDD}-{serial}";
    st_reset(st);
    return rc < 0 ? rc : 0;
}

int settings_update(struct db *db, const struct actor *actor, const struct settings *in,
                    struct kf_error *e)
{
    int rc;
    if (!in->ticket_number_format)
        return 0;
    if ((rc = ticket_number_format_check(in->ticket_number_format, e)))
        return rc;
    struct arena a = ARENA_INIT;
    struct settings cur;
    rc = settings_get(db, &a, &cur);
    if (!rc) {
        struct stmt *st = db_stmt(db, SQL_setting_set);
        st_text(st, 1, "ticket_number_format");
        st_text(st, 2, in->ticket_number_format);
        rc = st_exec(st);
    }
    if (!rc) {
        struct strbuf b = STRBUF_INIT(1024), af = STRBUF_INIT(1024);
        struct jw w;
        jw_init(&w, &b);
        jw_obj_begin(&w);
        jw_kstr(&w, "ticket_number_format", cur.ticket_number_format);
        jw_obj_end(&w);
        jw_init(&w, &af);
        jw_obj_begin(&w);
        jw_kstr(&w, "ticket_number_format", in->ticket_number_format);
        jw_obj_end(&w);
        rc = audit_write(db, actor, "settings.updated", "settings", 0, b.buf, af.buf);
        strbuf_release(&b);
        strbuf_release(&af);
    }
    arena_release(&a);
    return rc;
}

int category_resolve(struct db *db, const char *code, const char *type, int64_t *ret_id,
                     int64_t *ret_department_id, struct kf_error *e)
{
    struct stmt *st = db_stmt(db, SQL_category_by_code);
    st_text(st, 1, code);
    int rc = st_step(st);
    int ok = rc == 1 && strcmp(col_text(st, 1), type) == 0;
    int64_t id = rc == 1 ? col_int(st, 0) : 0, dept = rc == 1 ? col_int(st, 2) : 0;
    st_reset(st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return kf_fail(e, KF_EINVAL, "category", "no such category");
    if (!ok)
        return kf_fail(e, KF_EINVAL, "category", "the category belongs to another type");
    *ret_id = id;
    if (ret_department_id)
        *ret_department_id = dept;
    return 0;
}
