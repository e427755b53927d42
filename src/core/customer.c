/* customer.c: customers and their contacts. */
#include "core/customer.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/audit.h"
#include "core/enums.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/text.h"
#include "store/db.h"

static const char *field(struct arena *a, const char *prefix, const char *name)
{
    return prefix && *prefix ? arena_printf(a, "%s%s", prefix, name) : name;
}

int customer_normalize(struct customer_input *in, const char *prefix, struct arena *arena,
                       struct kf_error *e)
{
    if (in->name && (!*in->name || utf8_chars(in->name) > 100))
        return kf_fail(e, KF_EINVAL, field(arena, prefix, "name"),
                       "the name must have 1 to 100 characters");
    if (in->phone) {
        size_t n = strlen(in->phone), digits = 0;
        char *p = arena_alloc(arena, n + 1), *q = p;
        for (size_t i = 0; i < n; i++) {
            char c = in->phone[i];
            if (isdigit((unsigned char)c))
                *q++ = c, digits++;
            else if (c == '+' && q == p)
                *q++ = c;
            else if (c != ' ' && c != '-' && c != '(' && c != ')')
                return kf_fail(e, KF_EINVAL, field(arena, prefix, "phone"),
                               "a phone number may hold only digits, spaces, '-', '(' and ')'");
        }
        *q = '\0';
        if (digits < 5 || digits > 20)
            return kf_fail(e, KF_EINVAL, field(arena, prefix, "phone"),
                           "a phone number has 5 to 20 digits");
        in->phone = p;
    }
    if (in->email) {
        size_t n = strlen(in->email);
        const char *at = strchr(in->email, '@');
        if (n > 254 || !at || at == in->email || !strchr(at, '.') || strchr(at + 1, '@') ||
            strpbrk(in->email, " \t\r\n<>\"(),;:"))
            return kf_fail(e, KF_EINVAL, field(arena, prefix, "email"),
                           "this is not an e-mail address");
        char *p = arena_strdup(arena, in->email);
        for (char *c = p; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        in->email = p;
    }
    if (in->member_id) {
        size_t n = strlen(in->member_id);
        int ok = n >= 1 && n <= 64;
        for (size_t i = 0; ok && i < n; i++) {
            char c = in->member_id[i];
            ok = isalnum((unsigned char)c) || c == '-' || c == '_';
        }
        if (!ok)
            return kf_fail(e, KF_EINVAL, field(arena, prefix, "member_id"),
                           "a member id has 1 to 64 letters, digits, '-' or '_'");
    }
    if (in->tier && !enum_has(tiers, in->tier))
        return kf_fail(e, KF_EINVAL, field(arena, prefix, "tier"),
                       "tier must be vip, normal or new");
    return 0;
}

static void read_customer(struct stmt *st, struct arena *arena, struct customer *c)
{
    c->id = col_int(st, 0);
    c->name = arena_strdup(arena, col_text(st, 1));
    c->phone = arena_strdup(arena, col_text(st, 2));
    c->email = arena_strdup(arena, col_text(st, 3));
    c->member_id = arena_strdup(arena, col_text(st, 4));
    c->tier = arena_strdup(arena, col_text(st, 5));
    c->created_at = col_int(st, 6);
}

int customer_get(struct db *db, int64_t id, struct arena *arena, struct customer *ret)
{
    struct stmt *st = db_stmt(db, SQL_customer_by_id);
    st_int(st, 1, id);
    int rc = st_step(st);
    if (rc == 1)
        read_customer(st, arena, ret);
    st_reset(st);
    return rc < 0 ? rc : rc ? 0 : KF_ENOTFOUND;
}

int customer_search(struct db *db, const char *q, int limit, struct arena *arena,
                    struct customer **ret, size_t *ret_n)
{
    struct stmt *st;
    if (q && *q) {
        st = db_stmt(db, SQL_customer_search);
        st_text(st, 1, q);
        st_int(st, 2, limit);
    } else {
        st = db_stmt(db, SQL_customer_recent);
        st_int(st, 1, limit);
    }
    struct customer *v = arena_alloc(arena, (size_t)limit * sizeof(*v));
    size_t n = 0;
    int rc = 0;
    while (n < (size_t)limit && (rc = st_step(st)) == 1)
        read_customer(st, arena, &v[n++]);
    st_reset(st);
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

static void customer_json(struct strbuf *sb, const struct customer *c)
{
    struct jw w;
    jw_init(&w, sb);
    jw_obj_begin(&w);
    jw_kstr(&w, "name", c->name);
    jw_kstr(&w, "phone", c->phone);
    jw_kstr(&w, "email", c->email);
    jw_kstr(&w, "member_id", c->member_id);
    jw_kstr(&w, "tier", c->tier);
    jw_obj_end(&w);
}

/* Writes c (insert when c->id is 0) and its audit row. */
static int save(struct db *db, const struct actor *actor, const struct customer *before,
                struct customer *c, struct kf_error *e)
{
    int64_t now = ktime_now();
    struct stmt *st;
    if (c->id) {
        st = db_stmt(db, SQL_customer_update);
        st_int(st, 1, c->id);
        st_text(st, 2, c->name);
        st_text(st, 3, c->phone);
        st_text(st, 4, c->email);
        st_text(st, 5, c->member_id);
        st_text(st, 6, c->tier);
        st_int(st, 7, now);
    } else {
        st = db_stmt(db, SQL_customer_insert);
        st_text(st, 1, c->name);
        st_text(st, 2, c->phone);
        st_text(st, 3, c->email);
        st_text(st, 4, c->member_id);
        st_text(st, 5, c->tier);
        st_int(st, 6, now);
    }
    int rc = st_exec(st);
    if (rc == KF_ECONFLICT)
        return kf_fail(e, rc, "customer",
                       "this phone, e-mail or member id belongs to another customer");
    if (rc)
        return rc;
    if (!c->id) {
        c->id = db_last_id(db);
        c->created_at = now;
    }
    struct strbuf b = STRBUF_INIT(64 * 1024), a = STRBUF_INIT(64 * 1024);
    if (before)
        customer_json(&b, before);
    customer_json(&a, c);
    rc = audit_write(db, actor, before ? "customer.updated" : "customer.created", "customer", c->id,
                     before ? b.buf : NULL, a.buf);
    strbuf_release(&b);
    strbuf_release(&a);
    return rc;
}

int customer_find_or_create(struct db *db, const struct actor *actor,
                            const struct customer_input *in, struct arena *arena,
                            struct customer *ret, struct kf_error *e)
{
    int rc = 0;
    if (in->phone || in->email || in->member_id) {
        struct stmt *st = db_stmt(db, SQL_customer_match);
        st_text(st, 1, in->phone);
        st_text(st, 2, in->email);
        st_text(st, 3, in->member_id);
        rc = st_step(st);
        if (rc == 1)
            read_customer(st, arena, ret);
        st_reset(st);
        if (rc < 0)
            return rc;
    }
    if (rc == 1) {
        /* known: fill in what the record lacks, never overwrite */
        struct customer before = *ret;
        int changed = 0;
        if (!ret->phone && in->phone)
            ret->phone = in->phone, changed = 1;
        if (!ret->email && in->email)
            ret->email = in->email, changed = 1;
        if (!ret->member_id && in->member_id)
            ret->member_id = in->member_id, changed = 1;
        if (!changed)
            return 0;
        rc = save(db, actor, &before, ret, e);
        if (rc == KF_ECONFLICT) /* the new contact is someone else's: keep the record */
            *ret = before, rc = 0;
        return rc;
    }
    if (!in->name)
        return kf_fail(e, KF_EINVAL, "customer.name", "a new customer needs a name");
    struct customer c = {
        0, in->name, in->phone, in->email, in->member_id, in->tier ? in->tier : "normal", 0};
    if ((rc = save(db, actor, NULL, &c, e)))
        return rc;
    *ret = c;
    return 0;
}

int customer_create(struct db *db, const struct actor *actor, struct customer_input *in,
                    struct arena *arena, struct customer *ret, struct kf_error *e)
{
    int rc = customer_normalize(in, NULL, arena, e);
    if (rc)
        return rc;
    if (!in->name)
        return kf_fail(e, KF_EINVAL, "name", "name is required");
    struct customer c = {
        0, in->name, in->phone, in->email, in->member_id, in->tier ? in->tier : "normal", 0};
    if ((rc = save(db, actor, NULL, &c, e)))
        return rc;
    *ret = c;
    return 0;
}

int customer_update(struct db *db, const struct actor *actor, int64_t id, struct customer_input *in,
                    struct arena *arena, struct customer *ret, struct kf_error *e)
{
    int rc = customer_normalize(in, NULL, arena, e);
    if (rc)
        return rc;
    struct customer cur;
    if ((rc = customer_get(db, id, arena, &cur)))
        return rc;
    struct customer c = cur;
    if (in->name)
        c.name = in->name;
    if (in->phone || (in->clear & CUSTOMER_CLEAR_PHONE))
        c.phone = in->phone;
    if (in->email || (in->clear & CUSTOMER_CLEAR_EMAIL))
        c.email = in->email;
    if (in->member_id || (in->clear & CUSTOMER_CLEAR_MEMBER_ID))
        c.member_id = in->member_id;
    if (in->tier)
        c.tier = in->tier;
    if ((rc = save(db, actor, &cur, &c, e)))
        return rc;
    *ret = c;
    return 0;
}

int customer_contact_viewed(struct db *db, const struct actor *actor, int64_t id, int64_t ticket_id)
{
    char detail[96];
    snprintf(detail, sizeof(detail), "{\"customer_id\":%lld}", (long long)id);
    int rc = audit_write(db, actor, "customer.contact_viewed", "customer", id, NULL, NULL);
    if (!rc && ticket_id)
        rc = history_write(db, ticket_id, actor, "contact_viewed", detail);
    return rc;
}

int customer_identity_kind_ok(const char *kind)
{
    static const char *const kinds[] = {"wechat_openid", "phone", "email", "member_id", NULL};
    if (!kind)
        return 0;
    if (!strncmp(kind, "external_id:", 12))
        return kind[12] && strlen(kind) <= 60;
    for (const char *const *k = kinds; *k; k++)
        if (!strcmp(*k, kind))
            return 1;
    return 0;
}

int customer_identity_add(struct db *db, int64_t id, const char *kind, const char *value)
{
    struct stmt *st = db_stmt(db, SQL_customer_identity_insert);
    st_int(st, 1, id);
    st_text(st, 2, kind);
    st_text(st, 3, value);
    st_int(st, 4, ktime_now());
    return st_exec(st);
}

int customer_find_or_create_by_identity(struct db *db, const struct actor *actor, const char *kind,
                                        const char *value, const struct customer_input *fallback,
                                        struct arena *arena, struct customer *ret,
                                        struct kf_error *e)
{
    if (!customer_identity_kind_ok(kind))
        return kf_fail(e, KF_EINVAL, "kind", "not a kind of customer identity");
    if (!value || !*value || strlen(value) > CUSTOMER_IDENTITY_MAX ||
        !utf8_valid(value, strlen(value)))
        return kf_fail(e, KF_EINVAL, "value", "an identity is 1 to 200 bytes of UTF-8");
    struct stmt *st = db_stmt(db, SQL_customer_identity_find);
    st_text(st, 1, kind);
    st_text(st, 2, value);
    int64_t id = 0;
    int rc = st_one_int(st, &id);
    if (rc < 0)
        return rc;
    if (rc == 1 && !(rc = customer_get(db, id, arena, ret)))
        return 0;
    if (rc < 0 && rc != KF_ENOTFOUND)
        return rc;
    struct customer_input in = fallback ? *fallback : (struct customer_input){0};
    if (!strcmp(kind, "phone") && !in.phone)
        in.phone = value;
    else if (!strcmp(kind, "email") && !in.email)
        in.email = value;
    else if (!strcmp(kind, "member_id") && !in.member_id)
        in.member_id = value;
    if (!in.name)
        in.name = value;
    if ((rc = customer_find_or_create(db, actor, &in, arena, ret, e)))
        return rc;
    return customer_identity_add(db, ret->id, kind, value);
}
