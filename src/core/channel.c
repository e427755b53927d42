/* channel.c: channels as an admin connects them: kinds, settings checked per kind, health. */
#include "core/channel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/actor.h"
#include "core/audit.h"
#include "core/enums.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/text.h"
#include "store/db.h"

const char *const channel_kinds[] = {"mail",  "webhook", "wechat", "chat",
                                     "phone", "web",     "manual", NULL};

enum check {
    CK_TEXT,
    CK_SECRET,
    CK_IMAP_URL,
    CK_SMTP_URL,
    CK_HTTP_URL,
    CK_TLS,
    CK_FROM,
    CK_POLL,
    CK_BOOL
};

static const struct spec {
    const char *kind, *key;
    enum check check;
} specs[] = {
    {"mail", "imap_url", CK_IMAP_URL},     {"mail", "imap_user", CK_TEXT},
    {"mail", "imap_password", CK_SECRET},  {"mail", "smtp_url", CK_SMTP_URL},
    {"mail", "smtp_user", CK_TEXT},        {"mail", "smtp_password", CK_SECRET},
    {"mail", "smtp_tls", CK_TLS},          {"mail", "from", CK_FROM},
    {"mail", "poll_seconds", CK_POLL},     {"mail", "acknowledge", CK_BOOL},
    {"mail", "imap_done_folder", CK_TEXT}, {"webhook", "secret", CK_SECRET},
    {"webhook", "reply_url", CK_HTTP_URL}, {"phone", "secret", CK_SECRET},
    {"wechat", "token", CK_SECRET},        {"wechat", "app_id", CK_TEXT},
    {"wechat", "app_secret", CK_SECRET},   {"wechat", "api_base", CK_HTTP_URL},
};

static const struct spec *spec_of(const char *kind, const char *key)
{
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
        if (!strcmp(specs[i].kind, kind) && !strcmp(specs[i].key, key))
            return &specs[i];
    return NULL;
}

enum setting_type channel_setting_type(const char *kind, const char *key, int *ret_secret)
{
    const struct spec *s = spec_of(kind, key);
    if (ret_secret)
        *ret_secret = s && s->check == CK_SECRET;
    if (!s)
        return SETTING_NONE;
    return s->check == CK_POLL ? SETTING_INT : s->check == CK_BOOL ? SETTING_BOOL : SETTING_STRING;
}

const char *channel_setting(const struct channel_config *c, const char *key)
{
    for (size_t i = 0; i < c->nsettings; i++)
        if (!strcmp(c->settings[i].key, key))
            return c->settings[i].value;
    return NULL;
}

static int has_prefix(const char *s, const char *p)
{
    return !strncmp(s, p, strlen(p));
}

/* scheme://host...: a host after the scheme, no spaces or control characters. */
static int url_ok(const char *v, const char *const *schemes)
{
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return 0;
    for (size_t i = 0; schemes[i]; i++)
        if (has_prefix(v, schemes[i]))
            return v[strlen(schemes[i])] != '\0' && v[strlen(schemes[i])] != '/';
    return 0;
}

/* local@domain.tld, no spaces, angle brackets or control characters. */
static int addr_ok(const char *a, size_t n)
{
    const char *at = memchr(a, '@', n);
    if (!at || at == a || at == a + n - 1 || memchr(at + 1, '@', n - (size_t)(at + 1 - a)))
        return 0;
    if (!memchr(at + 1, '.', n - (size_t)(at + 1 - a)) || at[1] == '.' || a[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)a[i] <= 0x20 || a[i] == '<' || a[i] == '>' || a[i] == '"' ||
            a[i] == ',' || a[i] == 0x7f)
            return 0;
    return 1;
}

/* An RFC 5322 mailbox: an address, or a display name and the address in angle brackets. */
static int from_ok(const char *v)
{
    const char *lt = strchr(v, '<');
    size_t n = strlen(v);
    if (!lt)
        return addr_ok(v, n);
    if (n < 2 || v[n - 1] != '>' || strchr(lt + 1, '<'))
        return 0;
    for (const char *p = v; p < lt; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '>')
            return 0;
    return addr_ok(lt + 1, (size_t)(v + n - 1 - (lt + 1)));
}

static int check_value(const struct spec *s, const struct channel_setting *in, const char *field,
                       struct kf_error *e)
{
    static const char *const imap[] = {"imaps://", "imap://", NULL};
    static const char *const smtp[] = {"smtps://", "smtp://", NULL};
    static const char *const http[] = {"https://", "http://", NULL};
    enum setting_type want = channel_setting_type(s->kind, s->key, NULL);
    if (in->type != want)
        return kf_fail(e, KF_EINVAL, field,
                       want == SETTING_INT    ? "this setting is a whole number"
                       : want == SETTING_BOOL ? "this setting is true or false"
                                              : "this setting is a string");
    const char *v = in->value;
    if (want == SETTING_STRING && (!utf8_valid(v, strlen(v)) || strlen(v) > 1000))
        return kf_fail(e, KF_EINVAL, field, "at most 1000 bytes of UTF-8");
    switch (s->check) {
    case CK_TEXT:
    case CK_SECRET:
        return 0;
    case CK_IMAP_URL:
        return url_ok(v, imap) ? 0
                               : kf_fail(e, KF_EINVAL, field,
                                         "an IMAP address: imaps://host[:port]/MAILBOX or imap://");
    case CK_SMTP_URL:
        return url_ok(v, smtp) ? 0
                               : kf_fail(e, KF_EINVAL, field,
                                         "an SMTP address: smtp://host[:port] or smtps://");
    case CK_HTTP_URL:
        return url_ok(v, http) ? 0 : kf_fail(e, KF_EINVAL, field, "an http:// or https:// address");
    case CK_TLS:
        return !strcmp(v, "starttls") || !strcmp(v, "tls") || !strcmp(v, "none")
                   ? 0
                   : kf_fail(e, KF_EINVAL, field, "smtp_tls is starttls, tls or none");
    case CK_FROM:
        return from_ok(v)
                   ? 0
                   : kf_fail(e, KF_EINVAL, field,
                             "an address, optionally with a name: 客服中心 <support@example.com>");
    case CK_POLL: {
        long n = strtol(v, NULL, 10);
        return n >= 10 && n <= 3600
                   ? 0
                   : kf_fail(e, KF_EINVAL, field, "poll_seconds lies between 10 and 3600");
    }
    case CK_BOOL:
        return 0;
    }
    return 0;
}

static int read_settings(struct db *db, const char *code, struct arena *arena,
                         struct channel_config *c)
{
    struct stmt *st = db_stmt(db, SQL_channel_settings_of);
    st_text(st, 1, code);
    int rc;
    c->nsettings = 0;
    while ((rc = st_step(st)) == 1) {
        if (c->nsettings == CHANNEL_SETTINGS_MAX)
            continue;
        struct channel_setting *s = &c->settings[c->nsettings++];
        s->key = arena_strdup(arena, col_text(st, 0));
        s->value = arena_strdup(arena, col_text(st, 1));
        s->type = channel_setting_type(c->kind, s->key, NULL);
    }
    return rc < 0 ? rc : 0;
}

int channel_get(struct db *db, const char *code, struct arena *arena, struct channel_config *ret)
{
    struct stmt *st = db_stmt(db, SQL_channel_get);
    st_text(st, 1, code);
    int rc = st_step(st);
    if (rc == 1) {
        ret->code = arena_strdup(arena, col_text(st, 0));
        ret->name = arena_strdup(arena, col_text(st, 1));
        ret->name_en = arena_strdup(arena, col_text(st, 2));
        ret->enabled = (int)col_int(st, 3);
        ret->kind = arena_strdup(arena, col_text(st, 4));
        ret->last_success_at = col_int(st, 5);
        ret->last_error = arena_strdup(arena, col_text(st, 6));
        ret->last_error_at = col_int(st, 7);
    }
    st_reset(st);
    if (rc <= 0)
        return rc < 0 ? rc : KF_ENOTFOUND;
    return read_settings(db, code, arena, ret);
}

static int code_ok(const char *c)
{
    size_t n = strlen(c);
    if (n < 1 || n > 16 || c[0] < 'A' || c[0] > 'Z')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((c[i] >= 'A' && c[i] <= 'Z') || (c[i] >= '0' && c[i] <= '9') || c[i] == '_'))
            return 0;
    return 1;
}

/* Merges in's settings into cur (checked against kind) and writes them. */
static int write_settings(struct db *db, const char *code, const char *kind,
                          const struct channel_config *cur, const struct channel_input *in,
                          struct arena *arena, struct kf_error *e)
{
    struct channel_setting out[CHANNEL_SETTINGS_MAX];
    size_t n = 0;
    for (size_t i = 0; cur && i < cur->nsettings; i++)
        if (spec_of(kind, cur->settings[i].key))
            out[n++] = cur->settings[i];
    for (size_t i = 0; i < in->nsettings; i++) {
        const struct channel_setting *s = &in->settings[i];
        const char *field = arena_printf(arena, "settings.%s", s->key);
        const struct spec *sp = spec_of(kind, s->key);
        if (!sp)
            return kf_fail(e, KF_EINVAL, field,
                           arena_printf(arena, "a %s channel has no setting \"%s\"", kind, s->key));
        size_t j = 0;
        while (j < n && strcmp(out[j].key, s->key))
            j++;
        if (s->type == SETTING_REMOVE) {
            if (j < n)
                out[j] = out[--n];
            continue;
        }
        int rc = check_value(sp, s, field, e);
        if (rc)
            return rc;
        if (j == n)
            n++;
        out[j] = *s;
    }
    struct stmt *st = db_stmt(db, SQL_channel_settings_clear);
    st_text(st, 1, code);
    int rc = st_exec(st);
    for (size_t i = 0; !rc && i < n; i++) {
        st = db_stmt(db, SQL_channel_setting_put);
        st_text(st, 1, code);
        st_text(st, 2, out[i].key);
        st_text(st, 3, out[i].value);
        rc = st_exec(st);
    }
    return rc;
}

static int check_input(const struct channel_input *in, struct kf_error *e)
{
    if (in->kind && !enum_has(channel_kinds, in->kind))
        return kf_fail(e, KF_EINVAL, "kind",
                       "kind must be mail, webhook, wechat, chat, phone, web or manual");
    return in->name ? text_check(in->name, "name", 50, 1, e) : 0;
}

static int audit_channel(struct db *db, const struct actor *actor, const char *action,
                         const char *code, const char *kind)
{
    char detail[128];
    snprintf(detail, sizeof(detail), "{\"code\":\"%s\",\"kind\":\"%s\"}", code, kind);
    return audit_write(db, actor, action, "channel", 0, NULL, detail);
}

int channel_create(struct db *db, const struct actor *actor, const struct channel_input *in,
                   struct arena *arena, struct channel_config *ret, struct kf_error *e)
{
    if (!in->code || !code_ok(in->code))
        return kf_fail(e, KF_EINVAL, "code",
                       "code is 1 to 16 capital letters, digits or _, starting with a letter");
    if (!in->name)
        return kf_fail(e, KF_EINVAL, "name", "name is required");
    if (!in->kind)
        return kf_fail(e, KF_EINVAL, "kind", "kind is required");
    int rc = check_input(in, e);
    if (rc)
        return rc;
    struct stmt *st = db_stmt(db, SQL_channel_insert);
    st_text(st, 1, in->code);
    st_text(st, 2, in->name);
    st_text(st, 3, in->name);
    st_text(st, 4, in->kind);
    rc = st_exec(st);
    if (rc == KF_ECONFLICT)
        return kf_fail(e, KF_ECONFLICT, "code",
                       "a channel has this code: change it with PATCH /api/v1/channels/{code}");
    if (rc || (rc = write_settings(db, in->code, in->kind, NULL, in, arena, e)) ||
        (rc = audit_channel(db, actor, "channel.created", in->code, in->kind)))
        return rc;
    return channel_get(db, in->code, arena, ret);
}

int channel_update(struct db *db, const struct actor *actor, const char *code,
                   const struct channel_input *in, struct arena *arena, struct channel_config *ret,
                   struct kf_error *e)
{
    struct channel_config cur;
    int rc = channel_get(db, code, arena, &cur);
    if (rc || (rc = check_input(in, e)))
        return rc;
    const char *kind = in->kind ? in->kind : cur.kind;
    struct stmt *st = db_stmt(db, SQL_channel_update);
    st_text(st, 1, code);
    st_text(st, 2, in->name ? in->name : cur.name);
    st_text(st, 3, kind);
    if ((rc = st_exec(st)) || (rc = write_settings(db, code, kind, &cur, in, arena, e)) ||
        (rc = audit_channel(db, actor, "channel.updated", code, kind)))
        return rc;
    return channel_get(db, code, arena, ret);
}

int channel_record(struct db *db, const char *code, const char *error)
{
    struct stmt *st = db_stmt(db, error ? SQL_channel_failed : SQL_channel_succeeded);
    st_text(st, 1, code);
    if (error) {
        st_text(st, 2, error);
        st_int(st, 3, ktime_now());
    } else {
        st_int(st, 2, ktime_now());
    }
    return st_exec(st);
}

int channel_list_polled(struct db *db, struct arena *arena, const char ***ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_channel_polled);
    size_t n = 0, cap = 16;
    const char **codes = arena_alloc(arena, cap * sizeof(*codes));
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            const char **more = arena_alloc(arena, 2 * cap * sizeof(*more));
            memcpy(more, codes, n * sizeof(*codes));
            codes = more, cap *= 2;
        }
        codes[n++] = arena_strdup(arena, col_text(st, 0));
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    *ret = codes;
    *ret_n = n;
    return 0;
}
