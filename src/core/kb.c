/* kb.c: the knowledge base: articles, versions, review, search, suggestions and archiving. */
#define _POSIX_C_SOURCE 200809L
#include "core/kb.h"

#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/audit.h"
#include "core/enums.h"
#include "core/notify.h"
#include "core/refdata.h"
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

static const char *const kb_states[] = {"draft", "in_review", "published", "obsolete", NULL};

enum {
    SUGGEST_TERMS = 24,     /* tokens of the ticket looked at */
    SUGGEST_PICK = 6,       /* of them, the rarest ones ranked by */
    SUGGEST_COMMON = 500,   /* a token in more articles than this tells little */
    SUGGEST_TEXT_MAX = 400, /* characters of the ticket read */
    /* A search matching more articles than this ranks by BM25 those whose title or tags match,
     * then adds the newest of the rest: ranking every article costs about 1 µs each. */
    RANK_ALL_MAX = 2000,
    SNIPPET_CHARS = 80, /* characters of a snippet */
};

static const char *dup_col(struct arena *a, struct stmt *st, int c)
{
    return arena_strdup(a, col_text(st, c));
}

static void read_article(struct stmt *st, struct arena *a, struct kb_article *r)
{
    *r = (struct kb_article){0};
    r->id = col_int(st, 0);
    r->title = dup_col(a, st, 1);
    r->body = dup_col(a, st, 2);
    r->need_type = dup_col(a, st, 3);
    r->category = dup_col(a, st, 4);
    r->tags = dup_col(a, st, 5);
    r->state = dup_col(a, st, 6);
    r->version = col_int(st, 7);
    r->effective_from = col_int(st, 8);
    r->replaced_by = col_int(st, 9);
    r->source_ticket = col_int(st, 10);
    r->updated_at = col_int(st, 11);
    r->updated_by = col_int(st, 12);
    r->updated_by_name = dup_col(a, st, 13);
    r->category_id = col_int(st, 14);
    r->source_ticket_number = dup_col(a, st, 15);
    r->replaced_by_title = dup_col(a, st, 16);
}

int kb_get(struct db *db, int64_t id, struct arena *arena, struct kb_article *ret)
{
    struct stmt *st = db_stmt(db, SQL_kb_get);
    st_int(st, 1, id);
    int rc = st_step(st);
    if (rc == 1)
        read_article(st, arena, ret);
    st_reset(st);
    return rc < 0 ? rc : rc ? 0 : KF_ENOTFOUND;
}

/* The id of category code (NULL: 0) for need type `type`; KF_EINVAL naming field otherwise. */
static int category_id_of(struct db *db, const char *code, const char *type, const char *field,
                          int64_t *ret, struct kf_error *e)
{
    *ret = 0;
    if (!code)
        return 0;
    struct kf_error ce = {0};
    if (!type) { /* a filter without a type: any category */
        struct stmt *st = db_stmt(db, SQL_category_by_code);
        st_text(st, 1, code);
        int rc = st_step(st);
        if (rc == 1)
            *ret = col_int(st, 0);
        st_reset(st);
        return rc < 0 ? rc : rc ? 0 : kf_fail(e, KF_EINVAL, field, "no such category");
    }
    int rc = category_resolve(db, code, type, ret, NULL, &ce);
    if (rc == KF_EINVAL)
        return kf_fail(e, rc, field, ce.message);
    return rc;
}

/* The tags of in, checked, as one per line. */
static int tags_of(const struct kb_input *in, struct arena *arena, const char **ret,
                   struct kf_error *e)
{
    if (in->ntags > KB_TAGS_MAX)
        return kf_fail(e, KF_EINVAL, "tags", "an article has at most 20 tags");
    struct strbuf sb = STRBUF_INIT(KB_TAGS_MAX * (KB_TAG_MAX * 4 + 1) + 1);
    int rc = 0;
    for (size_t i = 0; i < in->ntags && !rc; i++) {
        const char *t = in->tags[i];
        if ((rc = text_check(t, "tags", KB_TAG_MAX, 1, e)))
            break;
        if (strpbrk(t, "\r\n")) {
            rc = kf_fail(e, KF_EINVAL, "tags", "a tag is one line");
            break;
        }
        /* each tag once */
        size_t n = strlen(t);
        int seen = 0;
        for (const char *p = sb.buf; *p && !seen;) {
            const char *end = strchr(p, '\n');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            seen = len == n && !memcmp(p, t, n);
            p += len + (end ? 1 : 0);
        }
        if (!seen)
            strbuf_addf(&sb, "%s%s", sb.len ? "\n" : "", t);
    }
    if (!rc)
        *ret = arena_strdup(arena, sb.buf);
    strbuf_release(&sb);
    return rc;
}

static int write_tags(struct db *db, int64_t id, const char *tags)
{
    struct stmt *st = db_stmt(db, SQL_kb_tags_clear);
    st_int(st, 1, id);
    int rc = st_exec(st);
    for (const char *p = tags; !rc && *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char tag[KB_TAG_MAX * 4 + 1];
        snprintf(tag, sizeof(tag), "%.*s", (int)len, p);
        st = db_stmt(db, SQL_kb_tag_insert);
        st_text(st, 1, tag);
        st_int(st, 2, id);
        rc = st_exec(st);
        p += len + (end ? 1 : 0);
    }
    return rc;
}

/* The fields of an article once in is applied to cur (NULL: a new one), checked. */
struct fields {
    const char *title, *body, *need_type, *category, *tags;
    int64_t category_id, effective_from;
};

static int merge(struct db *db, const struct kb_article *cur, const struct kb_input *in,
                 struct arena *arena, struct fields *f, struct kf_error *e)
{
    int rc;
    f->title = in->title ? in->title : cur ? cur->title : NULL;
    f->body = in->body ? in->body : cur ? cur->body : NULL;
    f->need_type = in->need_type ? in->need_type : cur ? cur->need_type : NULL;
    f->category = in->has_category ? in->category : cur ? cur->category : NULL;
    f->effective_from = in->has_effective_from ? in->effective_from : cur ? cur->effective_from : 0;
    if ((rc = text_check(f->title, "title", KB_TITLE_MAX, 1, e)) ||
        (rc = text_check(f->body, "body", KB_BODY_MAX, 1, e)))
        return rc;
    if (!f->need_type)
        return kf_fail(e, KF_EINVAL, "need_type", "need_type is required");
    if (!enum_has(ticket_types, f->need_type))
        return kf_fail(e, KF_EINVAL, "need_type",
                       arena_printf(arena, "unknown need type \"%.40s\"", f->need_type));
    if (f->effective_from && f->effective_from < TICKET_TIME_MIN)
        return kf_fail(e, KF_EINVAL, "effective_from", "effective_from lies before 2000");
    if ((rc = category_id_of(db, f->category, f->need_type, "category", &f->category_id, e)))
        return rc;
    if (in->has_tags)
        return tags_of(in, arena, &f->tags, e);
    f->tags = cur ? cur->tags : "";
    return 0;
}

static const char *audit_json(struct arena *arena, const struct kb_article *a)
{
    struct strbuf sb = STRBUF_INIT(4096);
    struct jw j;
    jw_init(&j, &sb);
    jw_obj_begin(&j);
    jw_kstr(&j, "title", utf8_prefix(arena, a->title, 100));
    jw_kstr(&j, "state", a->state);
    jw_kint(&j, "version", a->version);
    if (a->replaced_by)
        jw_kint(&j, "replaced_by", a->replaced_by);
    jw_obj_end(&j);
    const char *out = arena_strdup(arena, sb.buf);
    strbuf_release(&sb);
    return out;
}

/* The audit row and the event of a change of article id (before: its audit JSON, or NULL), and
 * the article read back into ret. */
static int changed(struct db *db, const struct actor *actor, int64_t id, const char *kind,
                   const char *before, const char *extra, struct arena *arena,
                   struct kb_article *ret)
{
    int rc = kb_get(db, id, arena, ret);
    if (rc)
        return rc;
    const char *after = audit_json(arena, ret);
    if ((rc = audit_write(db, actor, kind, "kb_article", id, before, after)))
        return rc;
    struct strbuf sb = STRBUF_INIT(4096);
    struct jw j;
    jw_init(&j, &sb);
    jw_obj_begin(&j);
    jw_kint(&j, "id", id);
    jw_kstr(&j, "title", utf8_prefix(arena, ret->title, 100));
    jw_kstr(&j, "state", ret->state);
    jw_kint(&j, "version", ret->version);
    jw_kstr(&j, "by", actor->name);
    if (extra)
        jw_raw(&j, extra);
    jw_obj_end(&j);
    rc = event_write(db, kind, "kb_article", id, sb.buf);
    strbuf_release(&sb);
    return rc;
}

static int write_version(struct db *db, enum sql_id sql, int64_t id, int64_t version,
                         const struct fields *f, const struct actor *actor, int64_t now)
{
    struct stmt *st = db_stmt(db, sql);
    st_int(st, 1, id);
    st_int(st, 2, version);
    st_text(st, 3, f->title);
    st_text(st, 4, f->body);
    st_text(st, 5, f->need_type);
    f->category_id ? st_int(st, 6, f->category_id) : st_null(st, 6);
    st_text(st, 7, f->tags);
    f->effective_from ? st_int(st, 8, f->effective_from) : st_null(st, 8);
    actor->user_id ? st_int(st, 9, actor->user_id) : st_null(st, 9);
    st_int(st, 10, now);
    return st_exec(st);
}

/* Inserts a draft of f (from ticket source, 0: none). */
static int insert(struct db *db, const struct actor *actor, const struct fields *f, int64_t source,
                  struct arena *arena, struct kb_article *ret)
{
    int64_t now = ktime_now();
    struct stmt *st = db_stmt(db, SQL_kb_insert);
    st_text(st, 1, f->title);
    st_text(st, 2, f->body);
    st_text(st, 3, f->need_type);
    f->category_id ? st_int(st, 4, f->category_id) : st_null(st, 4);
    st_text(st, 5, f->tags);
    f->effective_from ? st_int(st, 6, f->effective_from) : st_null(st, 6);
    source ? st_int(st, 7, source) : st_null(st, 7);
    actor->user_id ? st_int(st, 8, actor->user_id) : st_null(st, 8);
    st_int(st, 9, now);
    int rc = st_exec(st);
    if (rc)
        return rc;
    int64_t id = db_last_id(db);
    if ((rc = write_version(db, SQL_kb_version_insert, id, 1, f, actor, now)) ||
        (rc = write_tags(db, id, f->tags)))
        return rc;
    return changed(db, actor, id, "kb.created", NULL, NULL, arena, ret);
}

int kb_create(struct db *db, const struct actor *actor, const struct kb_input *in,
              struct arena *arena, struct kb_article *ret, struct kf_error *e)
{
    struct fields f;
    int rc = merge(db, NULL, in, arena, &f, e);
    return rc ? rc : insert(db, actor, &f, 0, arena, ret);
}

int kb_update(struct db *db, const struct actor *actor, int64_t id, const struct kb_input *in,
              struct arena *arena, struct kb_article *ret, struct kf_error *e)
{
    struct kb_article cur;
    int rc = kb_get(db, id, arena, &cur);
    if (rc)
        return rc;
    if (!strcmp(cur.state, "obsolete"))
        return kf_fail(e, KF_ECONFLICT, "state",
                       "an obsolete article is not changed: write a new one");
    if (strcmp(cur.state, "draft") && !role_is_lead(actor->role))
        return kf_fail(e, KF_EFORBIDDEN, NULL,
                       "only a supervisor or an admin changes an article in review or published");
    struct fields f;
    if ((rc = merge(db, &cur, in, arena, &f, e)))
        return rc;
    int64_t now = ktime_now();
    int64_t version = cur.version + (strcmp(cur.state, "published") ? 0 : 1);
    struct stmt *st = db_stmt(db, SQL_kb_update);
    st_int(st, 1, id);
    st_text(st, 2, f.title);
    st_text(st, 3, f.body);
    st_text(st, 4, f.need_type);
    f.category_id ? st_int(st, 5, f.category_id) : st_null(st, 5);
    st_text(st, 6, f.tags);
    f.effective_from ? st_int(st, 7, f.effective_from) : st_null(st, 7);
    st_int(st, 8, version);
    actor->user_id ? st_int(st, 9, actor->user_id) : st_null(st, 9);
    st_int(st, 10, now);
    if ((rc = st_exec(st)) ||
        (rc = write_version(db,
                            version == cur.version ? SQL_kb_version_update : SQL_kb_version_insert,
                            id, version, &f, actor, now)) ||
        (rc = write_tags(db, id, f.tags)))
        return rc;
    return changed(db, actor, id, "kb.updated", audit_json(arena, &cur), NULL, arena, ret);
}

int kb_list(struct db *db, const struct kb_query *q, struct arena *arena, struct kb_article **ret,
            size_t *ret_n, struct kf_error *e)
{
    if (q->state && !enum_has(kb_states, q->state))
        return kf_fail(e, KF_EINVAL, "state",
                       "state must be draft, in_review, published or obsolete");
    if (q->need_type && !enum_has(ticket_types, q->need_type))
        return kf_fail(e, KF_EINVAL, "need_type", "unknown need type");
    int64_t cat = 0;
    int rc = q->category ? category_id_of(db, q->category, q->need_type, "category", &cat, e) : 0;
    if (rc)
        return rc;
    int limit = q->limit > 0 && q->limit <= KB_LIST_MAX ? q->limit : 50;
    struct stmt *st = db_stmt(db, SQL_kb_list);
    st_text(st, 1, q->state);
    st_text(st, 2, q->need_type);
    cat ? st_int(st, 3, cat) : st_null(st, 3);
    st_text(st, 4, q->tag);
    st_int(st, 5, limit);
    st_int(st, 6, q->before);
    int64_t *ids = arena_alloc(arena, (size_t)limit * sizeof(*ids));
    size_t n = 0;
    while ((rc = st_step(st)) == 1 && n < (size_t)limit)
        ids[n++] = col_int(st, 0);
    st_reset(st);
    if (rc < 0)
        return rc;
    struct kb_article *v = arena_alloc(arena, (n ? n : 1) * sizeof(*v));
    for (size_t i = 0; i < n; i++)
        if ((rc = kb_get(db, ids[i], arena, &v[i])))
            return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

static void read_version(struct stmt *st, struct arena *a, struct kb_version *v)
{
    v->version = col_int(st, 0);
    v->title = dup_col(a, st, 1);
    v->body = dup_col(a, st, 2);
    v->need_type = dup_col(a, st, 3);
    v->category = dup_col(a, st, 4);
    v->tags = dup_col(a, st, 5);
    v->effective_from = col_int(st, 6);
    v->created_at = col_int(st, 7);
    v->created_by = col_int(st, 8);
    v->created_by_name = dup_col(a, st, 9);
}

int kb_versions(struct db *db, int64_t id, struct arena *arena, struct kb_version **ret,
                size_t *ret_n)
{
    struct kb_article cur;
    int rc = kb_get(db, id, arena, &cur);
    if (rc)
        return rc;
    size_t n = 0, cap = (size_t)cur.version;
    struct kb_version *v = arena_alloc(arena, cap * sizeof(*v));
    struct stmt *st = db_stmt(db, SQL_kb_versions_list);
    st_int(st, 1, id);
    while ((rc = st_step(st)) == 1 && n < cap)
        read_version(st, arena, &v[n++]);
    st_reset(st);
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

int kb_version_get(struct db *db, int64_t id, int64_t version, struct arena *arena,
                   struct kb_version *ret)
{
    struct stmt *st = db_stmt(db, SQL_kb_version_get);
    st_int(st, 1, id);
    st_int(st, 2, version);
    int rc = st_step(st);
    if (rc == 1)
        read_version(st, arena, ret);
    st_reset(st);
    return rc < 0 ? rc : rc ? 0 : KF_ENOTFOUND;
}

static int set_state(struct db *db, const struct actor *actor, int64_t id, const char *state,
                     int64_t replaced_by)
{
    struct stmt *st = db_stmt(db, SQL_kb_set_state);
    st_int(st, 1, id);
    st_text(st, 2, state);
    replaced_by ? st_int(st, 3, replaced_by) : st_null(st, 3);
    actor->user_id ? st_int(st, 4, actor->user_id) : st_null(st, 4);
    st_int(st, 5, ktime_now());
    return st_exec(st);
}

int kb_submit(struct db *db, const struct actor *actor, int64_t id, struct arena *arena,
              struct kb_article *ret, struct kf_error *e)
{
    struct kb_article cur;
    int rc = kb_get(db, id, arena, &cur);
    if (rc)
        return rc;
    if (strcmp(cur.state, "draft"))
        return kf_fail(
            e, KF_ECONFLICT, "state",
            arena_printf(arena, "only a draft is submitted for review; this one is %s", cur.state));
    if ((rc = set_state(db, actor, id, "in_review", 0)))
        return rc;
    return changed(db, actor, id, "kb.submitted", audit_json(arena, &cur), NULL, arena, ret);
}

/* Tells every active staff member but the publisher that article a changed. */
static int notify_all(struct db *db, const struct actor *actor, const struct kb_article *a,
                      struct arena *arena)
{
    struct strbuf sb = STRBUF_INIT(4096);
    struct jw j;
    jw_init(&j, &sb);
    jw_obj_begin(&j);
    jw_kint(&j, "article_id", a->id);
    jw_kstr(&j, "title", utf8_prefix(arena, a->title, 100));
    jw_kint(&j, "version", a->version);
    jw_kstr(&j, "by", actor->name);
    jw_obj_end(&j);
    const char *payload = arena_strdup(arena, sb.buf);
    strbuf_release(&sb);
    /* the ids first: notify() uses statements of its own */
    size_t n = 0, cap = 64;
    int64_t *ids = arena_alloc(arena, cap * sizeof(*ids));
    struct stmt *st = db_stmt(db, SQL_kb_staff);
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            int64_t *more = arena_alloc(arena, 2 * cap * sizeof(*more));
            memcpy(more, ids, n * sizeof(*ids));
            ids = more, cap *= 2;
        }
        ids[n++] = col_int(st, 0);
    }
    st_reset(st);
    for (size_t i = 0; !rc && i < n; i++)
        if (ids[i] != actor->user_id)
            rc = notify(db, ids[i], "kb_updated", 0, payload);
    return rc;
}

int kb_publish(struct db *db, const struct actor *actor, int64_t id, int notify_staff,
               struct arena *arena, struct kb_article *ret, struct kf_error *e)
{
    if (!role_is_lead(actor->role))
        return kf_fail(e, KF_EFORBIDDEN, NULL, "only a supervisor or an admin publishes");
    struct kb_article cur;
    int rc = kb_get(db, id, arena, &cur);
    if (rc)
        return rc;
    if (strcmp(cur.state, "draft") && strcmp(cur.state, "in_review"))
        return kf_fail(e, KF_ECONFLICT, "state",
                       arena_printf(arena,
                                    "only a draft or an article in review is published;"
                                    " this one is %s",
                                    cur.state));
    if ((rc = set_state(db, actor, id, "published", 0)) ||
        (rc = changed(db, actor, id, "kb.published", audit_json(arena, &cur),
                      notify_staff ? "\"notify\":true" : "\"notify\":false", arena, ret)))
        return rc;
    return notify_staff ? notify_all(db, actor, ret, arena) : 0;
}

int kb_obsolete(struct db *db, const struct actor *actor, int64_t id, int64_t replaced_by,
                struct arena *arena, struct kb_article *ret, struct kf_error *e)
{
    if (!role_is_lead(actor->role))
        return kf_fail(e, KF_EFORBIDDEN, NULL, "only a supervisor or an admin retires an article");
    struct kb_article cur, by;
    int rc = kb_get(db, id, arena, &cur);
    if (rc)
        return rc;
    if (strcmp(cur.state, "published"))
        return kf_fail(
            e, KF_ECONFLICT, "state",
            arena_printf(arena, "only a published article is retired; this one is %s", cur.state));
    if (replaced_by) {
        if (replaced_by == id)
            return kf_fail(e, KF_EINVAL, "replaced_by", "an article does not replace itself");
        rc = kb_get(db, replaced_by, arena, &by);
        if (rc == KF_ENOTFOUND)
            return kf_fail(e, KF_EINVAL, "replaced_by", "no such article");
        if (rc)
            return rc;
        if (!strcmp(by.state, "obsolete"))
            return kf_fail(e, KF_EINVAL, "replaced_by", "the replacement is obsolete itself");
    }
    if ((rc = set_state(db, actor, id, "obsolete", replaced_by)))
        return rc;
    return changed(db, actor, id, "kb.obsoleted", audit_json(arena, &cur), NULL, arena, ret);
}

/* ---- search ---- */

char *kb_snippet_html(struct arena *a, const char *raw)
{
    struct strbuf sb = STRBUF_INIT(1024 * 1024);
    int open = 0;
    for (const char *p = raw ? raw : ""; *p; p++) {
        switch (*p) {
        case '&':
            strbuf_addstr(&sb, "&amp;");
            break;
        case '<':
            strbuf_addstr(&sb, "&lt;");
            break;
        case '>':
            strbuf_addstr(&sb, "&gt;");
            break;
        case '"':
            strbuf_addstr(&sb, "&quot;");
            break;
        case '\'':
            strbuf_addstr(&sb, "&#39;");
            break;
        case '\x01': /* KB_MARK_OPEN */
            if (!open)
                strbuf_addstr(&sb, "<mark>"), open = 1;
            break;
        case '\x02': /* KB_MARK_CLOSE */
            if (open)
                strbuf_addstr(&sb, "</mark>"), open = 0;
            break;
        default:
            strbuf_addch(&sb, *p);
        }
    }
    if (open)
        strbuf_addstr(&sb, "</mark>");
    char *out = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return out;
}

/* How many published articles match the FTS5 expression match, counted up to max. */
static int match_count(struct db *db, const char *match, int64_t max, int64_t *ret)
{
    struct stmt *st = db_stmt(db, SQL_kb_match_count);
    st_text(st, 1, match);
    st_int(st, 2, max);
    *ret = 0;
    int rc = st_one_int(st, ret);
    return rc < 0 ? rc : 0;
}

/* The snippet of article k for the FTS5 expression match, as HTML: from its body, or from its
 * title when only the title matches. */
static const char *snippet_of(struct arena *arena, const struct kb_article *k, const char *match)
{
    struct strbuf sb = STRBUF_INIT(64 * 1024);
    if (fts_cjk_snippet(k->body, match, SNIPPET_CHARS, KB_MARK_OPEN, KB_MARK_CLOSE, &sb) == 0) {
        struct strbuf title = STRBUF_INIT(64 * 1024);
        if (fts_cjk_snippet(k->title, match, SNIPPET_CHARS, KB_MARK_OPEN, KB_MARK_CLOSE, &title) >
            0) {
            strbuf_release(&sb);
            sb = title;
        } else {
            strbuf_release(&title);
        }
    }
    const char *out = kb_snippet_html(arena, sb.buf);
    strbuf_release(&sb);
    return out;
}

/* Runs a search statement st (ids in column 0) into up to limit articles, each with its snippet
 * for the FTS5 expression match. */
static int search_rows(struct db *db, struct stmt *st, const char *match, int limit,
                       struct arena *arena, struct kb_article **ret, size_t *ret_n)
{
    int64_t *ids = arena_alloc(arena, (size_t)limit * sizeof(*ids));
    size_t n = 0;
    int rc;
    while ((rc = st_step(st)) == 1 && n < (size_t)limit)
        ids[n++] = col_int(st, 0);
    st_reset(st);
    if (rc < 0)
        return rc;
    struct kb_article *v = arena_alloc(arena, (n ? n : 1) * sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        if ((rc = kb_get(db, ids[i], arena, &v[i])))
            return rc;
        v[i].snippet = snippet_of(arena, &v[i], match);
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

int kb_search(struct db *db, const char *q, const char *need_type, const char *category, int limit,
              struct arena *arena, struct kb_article **ret, size_t *ret_n, struct kf_error *e)
{
    *ret_n = 0;
    *ret = NULL;
    if (text_blank(q))
        return 0; /* nothing asked, nothing found */
    int rc = text_check(q, "q", KB_QUERY_MAX, 1, e);
    if (rc)
        return rc;
    if (need_type && !enum_has(ticket_types, need_type))
        return kf_fail(e, KF_EINVAL, "need_type", "unknown need type");
    int64_t cat = 0;
    if (category && (rc = category_id_of(db, category, need_type, "category", &cat, e)))
        return rc;
    char match[4 * KB_QUERY_MAX * 2 + 64];
    int n = fts_cjk_query(q, match, sizeof(match));
    if (n < 0)
        return kf_fail(e, KF_EINVAL, "q", "the search text is too long");
    if (n == 0)
        return 0; /* nothing searchable (punctuation only): nothing found */
    if (limit < 1 || limit > KB_SEARCH_MAX)
        limit = 20;
    int64_t count;
    if ((rc = match_count(db, match, RANK_ALL_MAX + 1, &count)))
        return rc;
    const char *ranked = match;
    if (count > RANK_ALL_MAX) /* a word most articles hold: rank where it is in the title */
        ranked = arena_printf(arena, "{title tags} : (%s)", match);
    int64_t now = ktime_now();
    struct stmt *st = db_stmt(db, SQL_kb_search);
    st_text(st, 1, ranked);
    st_text(st, 2, need_type);
    cat ? st_int(st, 3, cat) : st_null(st, 3);
    st_int(st, 4, now);
    st_int(st, 5, limit);
    if ((rc = search_rows(db, st, match, limit, arena, ret, ret_n)) || ranked == match ||
        *ret_n == (size_t)limit)
        return rc;
    /* fill the page with the newest of the others */
    struct kb_article *first = *ret;
    size_t nfirst = *ret_n;
    st = db_stmt(db, SQL_kb_search_newest);
    st_text(st, 1, match);
    st_text(st, 2, need_type);
    cat ? st_int(st, 3, cat) : st_null(st, 3);
    st_int(st, 4, now);
    st_int(st, 5, limit);
    struct kb_article *more;
    size_t nmore;
    if ((rc = search_rows(db, st, match, limit, arena, &more, &nmore)))
        return rc;
    struct kb_article *v = arena_alloc(arena, (size_t)limit * sizeof(*v));
    size_t all = 0;
    for (size_t i = 0; i < nfirst; i++)
        v[all++] = first[i];
    for (size_t i = 0; i < nmore && all < (size_t)limit; i++) {
        int dup = 0;
        for (size_t j = 0; j < nfirst && !dup; j++)
            dup = first[j].id == more[i].id;
        if (!dup)
            v[all++] = more[i];
    }
    *ret = v;
    *ret_n = all;
    return 0;
}

static int64_t category_of_ticket(struct db *db, const struct ticket *t)
{
    int64_t id = 0;
    if (!t->category)
        return 0;
    struct stmt *st = db_stmt(db, SQL_category_by_code);
    st_text(st, 1, t->category);
    if (st_step(st) == 1)
        id = col_int(st, 0);
    st_reset(st);
    return id;
}

struct word {
    const char *p; /* a quoted token in the expression */
    size_t n;
    int64_t docs;
};

/* Of the ticket's tokens (an FTS5 expression "a" OR "b" ... from fts_cjk_any_query), the
 * SUGGEST_PICK that the fewest published articles hold, leaving out those that more than
 * SUGGEST_COMMON hold unless nothing else is left, as the same kind of expression in out: a
 * word that most articles hold tells nothing about the ticket, and ranking by it costs the
 * most. Returns how many it kept (0: none is in any article) or a negative code. */
static int telling_words(struct db *db, const char *words, char *out, size_t outsz)
{
    struct word w[SUGGEST_TERMS];
    int nw = 0, rc;
    for (const char *p = words; *p == '"' && nw < SUGGEST_TERMS;) {
        const char *end = strchr(p + 1, '"');
        if (!end)
            break;
        char term[160];
        snprintf(term, sizeof(term), "%.*s", (int)(end - p + 1), p);
        int64_t d;
        if ((rc = match_count(db, term, SUGGEST_COMMON + 1, &d)))
            return rc;
        if (d > 0)
            w[nw++] = (struct word){p, (size_t)(end - p + 1), d};
        p = end + 1;
        if (!strncmp(p, " OR ", 4))
            p += 4;
    }
    /* the rarest first (a few dozen: an insertion sort) */
    for (int i = 1; i < nw; i++)
        for (int j = i; j > 0 && w[j].docs < w[j - 1].docs; j--) {
            struct word x = w[j];
            w[j] = w[j - 1], w[j - 1] = x;
        }
    size_t pos = 0;
    int kept = 0;
    out[0] = '\0';
    for (int i = 0; i < nw && kept < SUGGEST_PICK; i++) {
        if (kept && w[i].docs > SUGGEST_COMMON)
            break;
        if (pos + w[i].n + 5 >= outsz)
            break;
        if (kept++)
            memcpy(out + pos, " OR ", 4), pos += 4;
        memcpy(out + pos, w[i].p, w[i].n);
        pos += w[i].n;
        out[pos] = '\0';
    }
    return kept;
}

int kb_suggest(struct db *db, const struct actor *actor, const char *ref, struct arena *arena,
               struct kb_article **ret, size_t *ret_n, int64_t *ret_ticket_id, struct kf_error *e)
{
    (void)e;
    struct ticket t;
    int rc = ticket_get(db, actor, ref, arena, &t);
    if (rc)
        return rc;
    if (ret_ticket_id)
        *ret_ticket_id = t.id;
    int64_t cat = category_of_ticket(db, &t), now = ktime_now();
    /* the subject first: its words are the first terms */
    const char *text = arena_printf(arena, "%s\n%s", t.subject ? t.subject : "",
                                    t.description ? t.description : "");
    text = utf8_prefix(arena, text, SUGGEST_TEXT_MAX);
    char words[SUGGEST_TERMS * 40], match[SUGGEST_PICK * 40];
    int n = fts_cjk_any_query(text, SUGGEST_TERMS, words, sizeof(words));
    *ret_n = 0;
    if (n > 0 && (rc = telling_words(db, words, match, sizeof(match))) < 0)
        return rc;
    if (n > 0 && rc > 0) {
        struct stmt *st = db_stmt(db, SQL_kb_suggest);
        st_text(st, 1, match);
        st_text(st, 2, t.type);
        cat ? st_int(st, 3, cat) : st_null(st, 3);
        st_int(st, 4, now);
        st_int(st, 5, KB_SUGGEST_MAX);
        if ((rc = search_rows(db, st, match, KB_SUGGEST_MAX, arena, ret, ret_n)))
            return rc;
    }
    if (*ret_n)
        return 0;
    struct stmt *st = db_stmt(db, SQL_kb_suggest_recent);
    st_text(st, 1, t.type);
    cat ? st_int(st, 2, cat) : st_null(st, 2);
    st_int(st, 3, now);
    st_int(st, 4, KB_SUGGEST_MAX);
    int64_t ids[KB_SUGGEST_MAX];
    size_t m = 0;
    while ((rc = st_step(st)) == 1 && m < KB_SUGGEST_MAX)
        ids[m++] = col_int(st, 0);
    st_reset(st);
    if (rc < 0)
        return rc;
    struct kb_article *v = arena_alloc(arena, (m ? m : 1) * sizeof(*v));
    for (size_t i = 0; i < m; i++)
        if ((rc = kb_get(db, ids[i], arena, &v[i])))
            return rc;
    *ret = v;
    *ret_n = m;
    return 0;
}

/* ---- archiving a ticket ---- */

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* The length of the match of needle at s (ASCII letters without case; a needle of digits also
 * with spaces or dashes between them), or 0. */
static size_t match_at(const char *s, const char *needle)
{
    int digits = 1;
    for (const char *p = needle; *p && digits; p++)
        digits = is_digit((unsigned char)*p) || *p == '+';
    const char *p = s;
    for (const char *q = needle; *q; q++) {
        if (digits && q != needle)
            while (*p == ' ' || *p == '-')
                p++;
        if (!*p || lower((unsigned char)*p) != lower((unsigned char)*q))
            return 0;
        p++;
    }
    return (size_t)(p - s);
}

char *kb_scrub(struct arena *a, const char *text, const char *const *needles, size_t n,
               const char *with)
{
    struct strbuf sb = STRBUF_INIT(64 * 1024 * 1024);
    for (const char *p = text ? text : ""; *p;) {
        size_t best = 0;
        for (size_t i = 0; i < n; i++) {
            if (!needles[i] || !*needles[i])
                continue;
            size_t m = match_at(p, needles[i]);
            if (m > best)
                best = m;
        }
        if (best) {
            strbuf_addstr(&sb, with);
            p += best;
        } else {
            strbuf_addch(&sb, *p++);
        }
    }
    char *out = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return out;
}

char *kb_customer_number(struct arena *a, int64_t customer_id, const char *member_id)
{
    if (member_id && *member_id)
        return mask_member(a, member_id);
    return arena_printf(a, "C%lld", (long long)customer_id);
}

static const char *result_label(const char *r)
{
    static const char *const labels[][2] = {{"fixed", "已解决"},
                                            {"solution_provided", "已提供解决方案"},
                                            {"withdrawn", "客户撤回"},
                                            {"unresolvable", "无法解决"},
                                            {"other", "其他"}};
    for (size_t i = 0; r && i < sizeof(labels) / sizeof(labels[0]); i++)
        if (!strcmp(labels[i][0], r))
            return labels[i][1];
    return r;
}

/* What of t names the customer: their name and the contact's (two characters or more, so that
 * a one-character name does not wipe the text), phone and e-mail. */
struct private_words {
    const char *names[2], *contacts[2];
};

static const char *name_word(const char *s)
{
    return s && utf8_chars(s) >= 2 ? s : NULL;
}

static const char *scrubbed(struct arena *a, const struct private_words *w, const char *number,
                            const char *text)
{
    const char *s = kb_scrub(a, text, w->contacts, 2, "[已隐去]");
    return kb_scrub(a, s, w->names, 2, arena_printf(a, "客户 %s", number));
}

int kb_archive_ticket(struct db *db, const struct actor *actor, const char *ref,
                      struct arena *arena, struct kb_article *ret, struct kf_error *e)
{
    struct ticket t;
    int rc = ticket_get(db, actor, ref, arena, &t);
    if (rc)
        return rc;
    if (strcmp(t.status, "resolved") && strcmp(t.status, "closed"))
        return kf_fail(e, KF_ECONFLICT, "status",
                       "only a resolved or closed ticket is archived in the knowledge base");
    const char *number = kb_customer_number(arena, t.customer.id, t.customer.member_id);
    struct private_words w = {{name_word(t.customer.name), name_word(t.contact_name)},
                              {t.customer.phone, t.customer.email}};
    struct strbuf sb = STRBUF_INIT(4 * KB_BODY_MAX);
    strbuf_addf(&sb, "**需求类型**:%s  \n**客户编号**:%s  \n**来源工单**:%s\n\n", t.type, number,
                t.number);
    strbuf_addf(&sb, "## 问题\n\n%s\n\n",
                text_blank(t.description) ? scrubbed(arena, &w, number, t.subject)
                                          : scrubbed(arena, &w, number, t.description));
    if (t.result)
        strbuf_addf(&sb, "## 处理结果\n\n%s\n\n", result_label(t.result));
    if (!text_blank(t.measures))
        strbuf_addf(&sb, "## 处理措施\n\n%s\n\n", scrubbed(arena, &w, number, t.measures));
    struct stmt *st = db_stmt(db, SQL_kb_ticket_replies);
    st_int(st, 1, t.id);
    int first = 1;
    while ((rc = st_step(st)) == 1) {
        if (first)
            strbuf_addstr(&sb, "## 答复\n\n"), first = 0;
        strbuf_addf(&sb, "%s\n\n", scrubbed(arena, &w, number, col_text(st, 1)));
    }
    st_reset(st);
    if (rc < 0) {
        strbuf_release(&sb);
        return rc;
    }
    const char *body = utf8_prefix(arena, sb.buf, KB_BODY_MAX);
    body = arena_strdup(arena, body);
    strbuf_release(&sb);
    struct fields f = {.title =
                           utf8_prefix(arena, scrubbed(arena, &w, number, t.subject), KB_TITLE_MAX),
                       .body = body,
                       .need_type = t.type,
                       .category = t.category,
                       .tags = "",
                       .category_id = category_of_ticket(db, &t)};
    return insert(db, actor, &f, t.id, arena, ret);
}
