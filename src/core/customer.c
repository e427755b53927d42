/* customer.c: customers and their contacts. */
#include "core/customer.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/audit.h"
#include "core/channel.h"
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
    c->merged_into = col_int(st, 7);
}

/* The customer statement sql finds for id. */
static int read_one(struct db *db, enum sql_id sql, int64_t id, struct arena *arena,
                    struct customer *ret)
{
    struct stmt *st = db_stmt(db, sql);
    st_int(st, 1, id);
    int rc = st_step(st);
    if (rc == 1)
        read_customer(st, arena, ret);
    st_reset(st);
    return rc < 0 ? rc : rc ? 0 : KF_ENOTFOUND;
}

int customer_get(struct db *db, int64_t id, struct arena *arena, struct customer *ret)
{
    return read_one(db, SQL_customer_by_id, id, arena, ret);
}

int customer_record(struct db *db, int64_t id, struct arena *arena, struct customer *ret)
{
    return read_one(db, SQL_customer_record, id, arena, ret);
}

int customer_ticket_count(struct db *db, int64_t id, int64_t *ret)
{
    struct stmt *st = db_stmt(db, SQL_customer_ticket_count);
    st_int(st, 1, id);
    *ret = 0;
    int rc = st_one_int(st, ret);
    return rc < 0 ? rc : 0;
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

/* Writes c's row (insert when c->id is 0, then c->id and c->created_at are set). */
static int write_row(struct db *db, struct customer *c, struct kf_error *e)
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
    return 0;
}

/* Writes c (insert when c->id is 0) and its audit row. */
static int save(struct db *db, const struct actor *actor, const struct customer *before,
                struct customer *c, struct kf_error *e)
{
    int rc = write_row(db, c, e);
    if (rc)
        return rc;
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
        0, in->name, in->phone, in->email, in->member_id, in->tier ? in->tier : "normal", 0, 0};
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
        0, in->name, in->phone, in->email, in->member_id, in->tier ? in->tier : "normal", 0, 0};
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
    if ((rc = customer_record(db, id, arena, &cur)))
        return rc;
    if (cur.merged_into)
        return kf_fail(e, KF_EINVAL, "id",
                       arena_printf(arena, "this customer was merged into customer %lld",
                                    (long long)cur.merged_into));
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

/* Checks value as an identity of the public kind and normalizes it in arena: a phone, e-mail or
 * member id like a customer's contact, an openid as WeChat writes them, an external id as any
 * UTF-8 without control characters. KF_EINVAL naming "value". */
static int identity_value(const char *kind, const char *value, struct arena *a, const char **ret,
                          struct kf_error *e)
{
    if (!value || !*value)
        return kf_fail(e, KF_EINVAL, "value", "value is required");
    if (strlen(value) > CUSTOMER_IDENTITY_MAX)
        return kf_fail(e, KF_EINVAL, "value", "an identity has at most 200 bytes");
    struct customer_input in = {0};
    if (!strcmp(kind, "phone"))
        in.phone = value;
    else if (!strcmp(kind, "email"))
        in.email = value;
    else if (!strcmp(kind, "member_id"))
        in.member_id = value;
    if (in.phone || in.email || in.member_id) {
        int rc = customer_normalize(&in, NULL, a, e);
        if (rc) {
            if (e)
                e->field = "value";
            return rc;
        }
        *ret = in.phone ? in.phone : in.email ? in.email : in.member_id;
        return 0;
    }
    size_t n = strlen(value);
    if (!strcmp(kind, "wechat_openid")) {
        int ok = n <= 128;
        for (size_t i = 0; ok && i < n; i++)
            ok = isalnum((unsigned char)value[i]) || value[i] == '-' || value[i] == '_';
        if (!ok)
            return kf_fail(e, KF_EINVAL, "value",
                           "an openid has up to 128 letters, digits, '-' or '_'");
    } else {
        int ok = utf8_valid(value, n);
        for (size_t i = 0; ok && i < n; i++)
            ok = (unsigned char)value[i] >= 0x20 && value[i] != 0x7f;
        if (!ok)
            return kf_fail(e, KF_EINVAL, "value",
                           "an identity is 1 to 200 bytes of UTF-8 without control characters");
    }
    *ret = value;
    return 0;
}

/* The customer that identity (stored kind, value) names: a linked identity, or for a phone,
 * e-mail or member id also a customer's own contact. *ret is 0 for nobody. */
static int identity_owner(struct db *db, const char *kind, const char *value, int64_t *ret)
{
    *ret = 0;
    struct stmt *st = db_stmt(db, SQL_customer_identity_find);
    st_text(st, 1, kind);
    st_text(st, 2, value);
    int rc = st_one_int(st, ret);
    if (rc)
        return rc < 0 ? rc : 0;
    int phone = !strcmp(kind, "phone"), email = !strcmp(kind, "email");
    if (!phone && !email && strcmp(kind, "member_id"))
        return 0;
    st = db_stmt(db, SQL_customer_match);
    st_text(st, 1, phone ? value : NULL);
    st_text(st, 2, email ? value : NULL);
    st_text(st, 3, !phone && !email ? value : NULL);
    rc = st_one_int(st, ret);
    return rc < 0 ? rc : 0;
}

static void identity_json(struct strbuf *sb, int64_t id, const char *kind, const char *value)
{
    struct jw w;
    jw_init(&w, sb);
    jw_obj_begin(&w);
    jw_kint(&w, "id", id);
    jw_kstr(&w, "kind", kind);
    jw_kstr(&w, "value", value);
    jw_obj_end(&w);
}

/* KF_EINVAL naming "id" when c is a tombstone. */
static int live_or_fail(const struct customer *c, struct arena *a, struct kf_error *e)
{
    if (!c->merged_into)
        return 0;
    return kf_fail(
        e, KF_EINVAL, "id",
        arena_printf(a, "this customer was merged into customer %lld", (long long)c->merged_into));
}

int customer_identities(struct db *db, int64_t id, struct arena *arena,
                        struct customer_identity **ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_customer_identities_of);
    st_int(st, 1, id);
    size_t n = 0, cap = 8;
    struct customer_identity *v = arena_alloc(arena, cap * sizeof(*v));
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            struct customer_identity *w = arena_alloc(arena, 2 * cap * sizeof(*v));
            memcpy(w, v, n * sizeof(*v));
            v = w, cap *= 2;
        }
        v[n++] =
            (struct customer_identity){col_int(st, 0), id, arena_strdup(arena, col_text(st, 1)),
                                       arena_strdup(arena, col_text(st, 2)), col_int(st, 3)};
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

int customer_identity_link(struct db *db, const struct actor *actor, int64_t id, const char *kind,
                           const char *channel, const char *value, struct arena *arena,
                           struct customer_identity *ret, struct kf_error *e)
{
    static const char *const kinds[] = {"phone",       "email",     "wechat_openid",
                                        "external_id", "member_id", NULL};
    int known = 0;
    for (const char *const *k = kinds; kind && *k; k++)
        known |= !strcmp(*k, kind);
    if (!known)
        return kf_fail(e, KF_EINVAL, "kind",
                       "kind must be phone, email, wechat_openid, external_id or member_id");
    const char *stored = kind;
    int rc;
    if (!strcmp(kind, "external_id")) {
        struct channel_config cfg;
        if (!channel)
            return kf_fail(e, KF_EINVAL, "channel", "an external_id needs its channel");
        if ((rc = channel_get(db, channel, arena, &cfg)))
            return rc == KF_ENOTFOUND ? kf_fail(e, KF_EINVAL, "channel", "no such channel") : rc;
        stored = arena_printf(arena, "external_id:%s", channel);
    } else if (channel) {
        return kf_fail(e, KF_EINVAL, "channel", "only an external_id belongs to a channel");
    }
    if ((rc = identity_value(kind, value, arena, &value, e)))
        return rc;
    struct customer c;
    if ((rc = customer_record(db, id, arena, &c)) || (rc = live_or_fail(&c, arena, e)))
        return rc;
    int64_t owner;
    if ((rc = identity_owner(db, stored, value, &owner)))
        return rc;
    if (owner == id)
        return kf_fail(e, KF_ECONFLICT, "value", "this customer has this identity already");
    if (owner)
        return kf_fail(e, KF_ECONFLICT, "value",
                       arena_printf(arena,
                                    "this identity belongs to customer %lld: merge the two "
                                    "customers instead",
                                    (long long)owner));
    if ((rc = customer_identity_add(db, id, stored, value)))
        return rc;
    *ret = (struct customer_identity){db_last_id(db), id, stored, value, ktime_now()};
    struct strbuf a = STRBUF_INIT(4096);
    identity_json(&a, ret->id, stored, value);
    rc = audit_write(db, actor, "customer.identity_added", "customer", id, NULL, a.buf);
    strbuf_release(&a);
    return rc;
}

int customer_identity_unlink(struct db *db, const struct actor *actor, int64_t id,
                             int64_t identity_id)
{
    struct stmt *st = db_stmt(db, SQL_customer_identity_by_id);
    st_int(st, 1, identity_id);
    struct strbuf b = STRBUF_INIT(4096);
    int rc = st_step(st);
    int mine = rc == 1 && col_int(st, 0) == id;
    if (mine)
        identity_json(&b, identity_id, col_text(st, 1), col_text(st, 2));
    st_reset(st);
    if (rc >= 0 && !mine)
        rc = KF_ENOTFOUND;
    if (rc >= 0) {
        st = db_stmt(db, SQL_customer_identity_delete);
        st_int(st, 1, identity_id);
        if (!(rc = st_exec(st)))
            rc = audit_write(db, actor, "customer.identity_removed", "customer", id, b.buf, NULL);
    }
    strbuf_release(&b);
    return rc;
}

static int tier_rank(const char *tier)
{
    return !strcmp(tier, "vip") ? 2 : !strcmp(tier, "normal") ? 1 : 0;
}

/* Runs statement id with ($1 from, $2 into). */
static int move_rows(struct db *db, enum sql_id id, int64_t from, int64_t into)
{
    struct stmt *st = db_stmt(db, id);
    st_int(st, 1, from);
    st_int(st, 2, into);
    return st_exec(st);
}

/* The ids of customer id's tickets, in arena. */
static int ticket_ids(struct db *db, int64_t id, struct arena *a, int64_t **ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_customer_ticket_ids);
    st_int(st, 1, id);
    size_t n = 0, cap = 16;
    int64_t *v = arena_alloc(a, cap * sizeof(*v));
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            int64_t *w = arena_alloc(a, 2 * cap * sizeof(*v));
            memcpy(w, v, n * sizeof(*v));
            v = w, cap *= 2;
        }
        v[n++] = col_int(st, 0);
    }
    st_reset(st);
    *ret = v;
    *ret_n = n;
    return rc < 0 ? rc : 0;
}

/* Gives into the contact *from_field when into has none (*into_field), else keeps it as an
 * identity of into in *ret_left. */
static void take_contact(const char **into_field, const char *from_field, const char **ret_left)
{
    *ret_left = NULL;
    if (!from_field)
        return;
    if (!*into_field)
        *into_field = from_field;
    else if (strcmp(*into_field, from_field))
        *ret_left = from_field;
}

/* History, event and audit rows of a merge of from into into (before: into as it was). */
static int merge_trail(struct db *db, const struct actor *actor, const struct customer *before,
                       const struct customer *after, const struct customer *from,
                       const int64_t *tickets, size_t n)
{
    struct strbuf d = STRBUF_INIT(4096), b = STRBUF_INIT(64 * 1024), a = STRBUF_INIT(64 * 1024);
    struct jw w;
    jw_init(&w, &d);
    jw_obj_begin(&w);
    jw_kint(&w, "from_customer_id", from->id);
    jw_kstr(&w, "from_name", from->name);
    jw_kint(&w, "customer_id", after->id);
    jw_kstr(&w, "name", after->name);
    jw_obj_end(&w);
    char ev[64];
    snprintf(ev, sizeof(ev), "{\"customer_id\":%lld}", (long long)after->id);
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++)
        if (!(rc = history_write(db, tickets[i], actor, "customer_merged", d.buf)))
            rc = event_write(db, "ticket.updated", "ticket", tickets[i], ev);
    if (!rc) {
        customer_json(&b, before);
        jw_init(&w, &a);
        jw_obj_begin(&w);
        jw_kint(&w, "from_customer_id", from->id);
        jw_kint(&w, "tickets_moved", (int64_t)n);
        strbuf_reset(&d);
        customer_json(&d, after);
        jw_kraw(&w, "customer", d.buf);
        jw_obj_end(&w);
        rc = audit_write(db, actor, "customer.merged", "customer", after->id, b.buf, a.buf);
    }
    if (!rc) {
        strbuf_reset(&b);
        customer_json(&b, from);
        snprintf(ev, sizeof(ev), "{\"merged_into\":%lld}", (long long)after->id);
        rc = audit_write(db, actor, "customer.merged_away", "customer", from->id, b.buf, ev);
    }
    strbuf_release(&d);
    strbuf_release(&b);
    strbuf_release(&a);
    return rc;
}

int customer_merge(struct db *db, const struct actor *actor, int64_t into, int64_t from,
                   struct arena *arena, struct customer *ret, int64_t *ret_moved,
                   struct kf_error *e)
{
    struct customer a, b;
    int rc = customer_record(db, into, arena, &a);
    if (rc == KF_ENOTFOUND)
        return kf_fail(e, rc, "id", "no such customer");
    if (rc || (rc = live_or_fail(&a, arena, e)))
        return rc;
    if (from == into)
        return kf_fail(e, KF_EINVAL, "from", "a customer cannot be merged into itself");
    if ((rc = customer_record(db, from, arena, &b)) == KF_ENOTFOUND)
        return kf_fail(e, rc, "from", "no such customer");
    if (rc)
        return rc;
    if (b.merged_into)
        return kf_fail(e, KF_EINVAL, "from",
                       arena_printf(arena, "this customer was merged into customer %lld already",
                                    (long long)b.merged_into));
    int64_t *tickets;
    size_t n;
    if ((rc = ticket_ids(db, from, arena, &tickets, &n)))
        return rc;
    /* messages are found through the tickets, so they move first */
    static const enum sql_id moves[] = {
        SQL_customer_merge_messages,        SQL_customer_merge_identities,
        SQL_customer_merge_calls,           SQL_customer_merge_portal_codes,
        SQL_customer_merge_portal_sessions, SQL_customer_merge_tombstones,
    };
    for (size_t i = 0; !rc && i < sizeof(moves) / sizeof(moves[0]); i++)
        rc = move_rows(db, moves[i], from, into);
    struct stmt *st = db_stmt(db, SQL_customer_merge_tickets);
    st_int(st, 1, from);
    st_int(st, 2, into);
    st_int(st, 3, ktime_now());
    if (rc || (rc = st_exec(st)))
        return rc;
    /* from's contacts leave its row before into takes them: they are unique */
    st = db_stmt(db, SQL_customer_tombstone);
    st_int(st, 1, from);
    st_int(st, 2, into);
    st_int(st, 3, ktime_now());
    if ((rc = st_exec(st)))
        return rc;
    struct customer c = a;
    const char *left[3];
    take_contact(&c.phone, b.phone, &left[0]);
    take_contact(&c.email, b.email, &left[1]);
    take_contact(&c.member_id, b.member_id, &left[2]);
    if (tier_rank(b.tier) > tier_rank(c.tier))
        c.tier = b.tier;
    if ((rc = write_row(db, &c, e)))
        return rc;
    static const char *const kinds[] = {"phone", "email", "member_id"};
    for (size_t i = 0; !rc && i < 3; i++)
        if (left[i])
            rc = customer_identity_add(db, into, kinds[i], left[i]);
    if (rc || (rc = merge_trail(db, actor, &a, &c, &b, tickets, n)))
        return rc;
    *ret = c;
    *ret_moved = (int64_t)n;
    return 0;
}
