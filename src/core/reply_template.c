/* reply_template.c: standard replies: keeping them, finding them, filling them for a ticket. */
#define _POSIX_C_SOURCE 200809L
#include "core/reply_template.h"

#include <stdlib.h>
#include <string.h>

#include "core/actor.h"
#include "core/audit.h"
#include "core/enums.h"
#include "core/template.h"
#include "core/ticket.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "lib/text.h"
#include "store/db.h"
#include "store/fts_cjk.h"

static const char *dup_or_null(struct arena *a, const char *s)
{
    return s ? arena_strdup(a, s) : NULL;
}

static void read_template(struct stmt *st, struct arena *a, struct reply_template *t)
{
    t->id = col_int(st, 0);
    t->name = arena_strdup(a, col_text(st, 1));
    t->type = dup_or_null(a, col_text(st, 2));
    t->category = dup_or_null(a, col_text(st, 3));
    t->shortcut = dup_or_null(a, col_text(st, 4));
    t->body = arena_strdup(a, col_text(st, 5));
    t->created_at = col_int(st, 6);
    t->updated_at = col_int(st, 7);
    t->category_id = col_int(st, 8);
    t->updated_by_name = dup_or_null(a, col_text(st, 9));
}

int reply_template_get(struct db *db, int64_t id, struct arena *arena, struct reply_template *ret)
{
    struct stmt *st = db_stmt(db, SQL_template_get);
    st_int(st, 1, id);
    int rc = st_step(st);
    if (rc == 1)
        read_template(st, arena, ret);
    st_reset(st);
    return rc < 0 ? rc : rc ? 0 : KF_ENOTFOUND;
}

/* Every template of type and category (NULL: any), by name. */
static int load(struct db *db, const char *type, const char *category, struct arena *arena,
                struct reply_template **ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_template_list);
    st_text(st, 1, type);
    st_text(st, 2, category);
    size_t n = 0, cap = 16;
    struct reply_template *v = arena_alloc(arena, cap * sizeof(*v));
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            struct reply_template *w = arena_alloc(arena, 2 * cap * sizeof(*w));
            memcpy(w, v, n * sizeof(*v));
            v = w;
            cap *= 2;
        }
        read_template(st, arena, &v[n++]);
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

static int shortcut_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > REPLY_TEMPLATE_SHORTCUT_MAX)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return 0;
    return 1;
}

static char *ascii_lower(struct arena *a, const char *s)
{
    char *out = arena_strdup(a, s);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return out;
}

/* The stored values of in over cur (NULL on create), checked; the category's id in
 * *ret_category_id. */
static int check(struct db *db, const struct reply_template_input *in,
                 const struct reply_template *cur, struct arena *arena, struct reply_template *ret,
                 struct kf_error *e)
{
    int rc;
    int creating = cur == NULL;
    ret->name = in->name || creating ? in->name : cur->name;
    ret->body = in->body || creating ? in->body : cur->body;
    ret->type = in->has_type || creating ? in->type : cur->type;
    ret->category = in->has_category || creating ? in->category : cur->category;
    ret->shortcut = in->has_shortcut || creating ? in->shortcut : cur->shortcut;
    if ((rc = text_check(ret->name, "name", REPLY_TEMPLATE_NAME_MAX, 1, e)) ||
        (rc = text_check(ret->body, "body", REPLY_TEMPLATE_BODY_MAX, 1, e)))
        return rc;
    if (ret->type && !enum_has(ticket_types, ret->type))
        return kf_fail(e, KF_EINVAL, "type", "unknown ticket type");
    ret->category_id = 0;
    if (ret->category) {
        struct stmt *st = db_stmt(db, SQL_category_by_code);
        st_text(st, 1, ret->category);
        rc = st_step(st);
        const char *type = rc == 1 ? arena_strdup(arena, col_text(st, 1)) : NULL;
        ret->category_id = rc == 1 ? col_int(st, 0) : 0;
        st_reset(st);
        if (rc < 0)
            return rc;
        if (!rc)
            return kf_fail(e, KF_EINVAL, "category", "no such category");
        /* a category given with no type brings its own; one kept follows a new type */
        if (!ret->type || (!in->has_type && !creating && in->has_category))
            ret->type = type;
        else if (strcmp(type, ret->type))
            return kf_fail(e, KF_EINVAL, "category", "the category belongs to another type");
    }
    if (ret->shortcut) {
        if (!shortcut_ok(ret->shortcut))
            return kf_fail(e, KF_EINVAL, "shortcut",
                           "the shortcut must have 1 to 20 letters, digits, '-' or '_'");
        ret->shortcut = ascii_lower(arena, ret->shortcut);
    }
    return 0;
}

static const char *audit_json(struct arena *arena, const struct reply_template *t)
{
    struct strbuf sb = STRBUF_INIT(64 * 1024);
    struct jw w;
    jw_init(&w, &sb);
    jw_obj_begin(&w);
    jw_kstr(&w, "name", t->name);
    jw_kstr(&w, "type", t->type);
    jw_kstr(&w, "category", t->category);
    jw_kstr(&w, "shortcut", t->shortcut);
    jw_kstr(&w, "body", t->body);
    jw_obj_end(&w);
    const char *out = arena_strdup(arena, sb.buf);
    strbuf_release(&sb);
    return out;
}

static void bind_values(struct stmt *st, int first, const struct reply_template *t)
{
    st_text(st, first, t->name);
    st_text(st, first + 1, t->type);
    if (t->category_id)
        st_int(st, first + 2, t->category_id);
    else
        st_null(st, first + 2);
    st_text(st, first + 3, t->shortcut);
    st_text(st, first + 4, t->body);
}

static int conflict(int rc, struct kf_error *e)
{
    if (rc == KF_ECONFLICT)
        return kf_fail(e, rc, "shortcut", "another template has this shortcut");
    return rc;
}

int reply_template_create(struct db *db, const struct actor *actor,
                          const struct reply_template_input *in, struct arena *arena,
                          struct reply_template *ret, struct kf_error *e)
{
    struct reply_template t = {0};
    int rc = check(db, in, NULL, arena, &t, e);
    if (rc)
        return rc;
    struct stmt *st = db_stmt(db, SQL_template_insert);
    bind_values(st, 1, &t);
    if (actor->user_id)
        st_int(st, 6, actor->user_id);
    else
        st_null(st, 6);
    st_int(st, 7, ktime_now());
    if ((rc = conflict(st_exec(st), e)))
        return rc;
    int64_t id = db_last_id(db);
    if ((rc = reply_template_get(db, id, arena, ret)))
        return rc;
    return audit_write(db, actor, "template.created", "template", id, NULL, audit_json(arena, ret));
}

int reply_template_update(struct db *db, const struct actor *actor, int64_t id,
                          const struct reply_template_input *in, struct arena *arena,
                          struct reply_template *ret, struct kf_error *e)
{
    struct reply_template cur, t = {0};
    int rc = reply_template_get(db, id, arena, &cur);
    if (!rc)
        rc = check(db, in, &cur, arena, &t, e);
    if (rc)
        return rc;
    struct stmt *st = db_stmt(db, SQL_template_update);
    st_int(st, 1, id);
    bind_values(st, 2, &t);
    if (actor->user_id)
        st_int(st, 7, actor->user_id);
    else
        st_null(st, 7);
    st_int(st, 8, ktime_now());
    if ((rc = conflict(st_exec(st), e)))
        return rc;
    if ((rc = reply_template_get(db, id, arena, ret)))
        return rc;
    return audit_write(db, actor, "template.updated", "template", id, audit_json(arena, &cur),
                       audit_json(arena, ret));
}

int reply_template_delete(struct db *db, const struct actor *actor, int64_t id)
{
    struct arena a = ARENA_INIT;
    struct reply_template cur;
    int rc = reply_template_get(db, id, &a, &cur);
    if (!rc) {
        struct stmt *st = db_stmt(db, SQL_template_delete);
        st_int(st, 1, id);
        rc = st_exec(st);
    }
    if (!rc)
        rc = audit_write(db, actor, "template.deleted", "template", id, audit_json(&a, &cur), NULL);
    arena_release(&a);
    return rc;
}

/* ---- finding ---- */

/* A template's text in lower case (ASCII), once per search: what the words are looked for in. */
struct folded {
    const char *name, *shortcut, *body;
};

static struct folded fold(struct arena *a, const struct reply_template *t)
{
    return (struct folded){ascii_lower(a, t->name), t->shortcut ? t->shortcut : "",
                           ascii_lower(a, t->body)};
}

enum { Q_WORDS_MAX = 16 };

struct ranked {
    struct reply_template *t;
    int rank, score;
};

static int by_rank(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank - y->rank;
    if (x->score != y->score)
        return y->score - x->score;
    int c = strcmp(x->t->name, y->t->name);
    return c ? c : (x->t->id > y->t->id) - (x->t->id < y->t->id);
}

/* The rank of t for the search q (lower case, trimmed) of n words, or -1 when it does not
 * match. */
static int search_rank(const struct reply_template *t, const struct folded *f, const char *q,
                       char **words, size_t n)
{
    int in_name = 1;
    for (size_t i = 0; i < n; i++) {
        int name = strstr(f->name, words[i]) != NULL;
        if (!name && !strstr(f->shortcut, words[i]) && !strstr(f->body, words[i]))
            return -1;
        in_name &= name;
    }
    if (t->shortcut && !strcmp(t->shortcut, q))
        return 0;
    if (t->shortcut && !strncmp(t->shortcut, q, strlen(q)))
        return 1;
    return in_name ? 2 : 3;
}

int reply_template_list(struct db *db, const struct reply_template_query *q, struct arena *arena,
                        struct reply_template **ret, size_t *ret_n, int *ret_more,
                        struct kf_error *e)
{
    if (q->type && !enum_has(ticket_types, q->type))
        return kf_fail(e, KF_EINVAL, "type", "unknown ticket type");
    if (q->category) {
        struct stmt *st = db_stmt(db, SQL_category_by_code);
        st_text(st, 1, q->category);
        int rc = st_step(st);
        st_reset(st);
        if (rc < 0)
            return rc;
        if (!rc)
            return kf_fail(e, KF_EINVAL, "category", "no such category");
    }
    char *words[Q_WORDS_MAX];
    size_t nwords = 0;
    char *query = NULL;
    if (q->q && !text_blank(q->q)) {
        if (utf8_chars(q->q) > REPLY_TEMPLATE_Q_MAX)
            return kf_fail(e, KF_EINVAL, "q", "the search has more than 200 characters");
        query = ascii_lower(arena, q->q);
        char *copy = arena_strdup(arena, query);
        for (char *save = NULL, *w = strtok_r(copy, " \t\r\n", &save); w;
             w = strtok_r(NULL, " \t\r\n", &save))
            if (nwords < Q_WORDS_MAX)
                words[nwords++] = w;
        /* the whole search, trimmed, for the shortcut */
        while (*query == ' ' || *query == '\t')
            query++;
        size_t len = strlen(query);
        while (len && strchr(" \t\r\n", query[len - 1]))
            query[--len] = '\0';
    }
    struct reply_template *all;
    size_t n;
    int rc = load(db, q->type, q->category, arena, &all, &n);
    if (rc)
        return rc;
    struct ranked *r = arena_alloc(arena, (n ? n : 1) * sizeof(*r));
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        struct folded fd = query ? fold(arena, &all[i]) : (struct folded){0};
        int rank = query ? search_rank(&all[i], &fd, query, words, nwords) : 0;
        if (rank >= 0)
            r[m++] = (struct ranked){&all[i], rank, 0};
    }
    if (query)
        qsort(r, m, sizeof(*r), by_rank);
    size_t from = q->offset > 0 ? (size_t)q->offset : 0, lim = (size_t)q->limit;
    size_t k = from < m ? (m - from < lim ? m - from : lim) : 0;
    struct reply_template *out = arena_alloc(arena, (k ? k : 1) * sizeof(*out));
    for (size_t i = 0; i < k; i++)
        out[i] = *r[from + i].t;
    *ret = out;
    *ret_n = k;
    *ret_more = from + k < m;
    return 0;
}

/* ---- filling for a ticket ---- */

/* ms as "2023-10-05 18:00" in the configured zone, or NULL for none. */
static const char *local_time(struct arena *a, int64_t ms)
{
    if (!ms)
        return NULL;
    char buf[KTIME_RFC3339_LEN];
    ktime_format(ms, buf);
    return arena_printf(a, "%.10s %.5s", buf, buf + 11);
}

int reply_template_render(struct db *db, const struct actor *actor, int64_t id, int64_t ticket_id,
                          struct arena *arena, struct template_text *ret, struct kf_error *e)
{
    struct reply_template t;
    int rc = reply_template_get(db, id, arena, &t);
    if (rc)
        return rc;
    struct ticket tk;
    rc = ticket_get_id(db, actor, ticket_id, arena, &tk);
    if (rc == KF_ENOTFOUND)
        return kf_fail(e, KF_EINVAL, "ticket_id", "no such ticket");
    if (rc)
        return rc;
    const char *customer =
        tk.customer.name && *tk.customer.name ? tk.customer.name : tk.contact_name;
    const struct template_value values[] = {
        {"customer.name", customer},
        {"ticket.number", tk.number},
        {"ticket.subject", tk.subject},
        {"agent.name", actor->name},
        {"eta", local_time(arena, tk.expected_at)},
        {"due", local_time(arena, tk.resolve_by)},
    };
    rc = template_fill(t.body, values, sizeof(values) / sizeof(values[0]), arena, ret);
    if (rc == KF_ETOOBIG)
        return kf_fail(e, rc, "body", "the filled reply is too long");
    return rc;
}

/* ---- suggesting for a ticket ---- */

enum { TERMS_MAX = 256 };

struct terms {
    const char *v[TERMS_MAX];
    size_t n;
    struct arena *arena;
};

static int add_term(void *ctx, const char *token, int ntoken)
{
    struct terms *t = ctx;
    for (size_t i = 0; i < t->n; i++)
        if (strlen(t->v[i]) == (size_t)ntoken && !memcmp(t->v[i], token, (size_t)ntoken))
            return 0;
    if (t->n < TERMS_MAX)
        t->v[t->n++] = arena_strndup(t->arena, token, (size_t)ntoken);
    return 0;
}

static void collect_terms(struct terms *t, const char *text)
{
    if (text)
        fts_cjk_terms(text, strlen(text), add_term, t);
}

/* How many of the ticket's terms s (lower case) holds. */
static int shared(const struct terms *ticket, const char *s)
{
    int n = 0;
    for (size_t i = 0; i < ticket->n; i++)
        n += strstr(s, ticket->v[i]) != NULL;
    return n;
}

int reply_template_suggest(struct db *db, const struct actor *actor, int64_t ticket_id, int limit,
                           struct arena *arena, struct reply_template **ret, size_t *ret_n)
{
    struct ticket tk;
    int rc = ticket_get_id(db, actor, ticket_id, arena, &tk);
    if (rc)
        return rc;
    struct terms *terms = arena_alloc(arena, sizeof(*terms));
    terms->arena = arena;
    collect_terms(terms, tk.subject);
    collect_terms(terms, tk.description);
    struct reply_template *all;
    size_t n;
    if ((rc = load(db, NULL, NULL, arena, &all, &n)))
        return rc;
    struct ranked *r = arena_alloc(arena, (n ? n : 1) * sizeof(*r));
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const struct reply_template *t = &all[i];
        int same_type = t->type && tk.type && !strcmp(t->type, tk.type);
        int same_cat = t->category && tk.category && !strcmp(t->category, tk.category);
        int rank = same_cat ? 0 : same_type && !t->category ? 1 : !t->type ? 2 : 3;
        struct folded fd = fold(arena, t);
        int score = 3 * shared(terms, fd.name) + shared(terms, fd.body);
        if (rank < 3 || score > 0)
            r[m++] = (struct ranked){&all[i], rank, score};
    }
    qsort(r, m, sizeof(*r), by_rank);
    if (limit < 1 || limit > REPLY_TEMPLATE_SUGGEST_MAX)
        limit = REPLY_TEMPLATE_SUGGEST_MAX;
    size_t k = m < (size_t)limit ? m : (size_t)limit;
    struct reply_template *out = arena_alloc(arena, (k ? k : 1) * sizeof(*out));
    for (size_t i = 0; i < k; i++)
        out[i] = *r[i].t;
    *ret = out;
    *ret_n = k;
    return 0;
}
