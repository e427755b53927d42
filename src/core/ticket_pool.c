/* ticket_pool.c: the pending pool (待处理池): filtered, searched, in queue order, by pages. */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/enums.h"
#include "core/ticket.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "store/db.h"
#include "store/fts_cjk.h"

enum { FTS_FEW_MATCHES = 1000 }; /* up to this many, search results are fetched by id */

/* The bound values of a query built at run time, numbered in order of appearance. */
struct binds {
    int n;
    struct {
        int is_text;
        int64_t i;
        const char *s;
    } v[96]; /* filter lists stop at 52; the rest adds at most 16 */
};

static int bind_int(struct binds *b, int64_t v)
{
    b->v[b->n].is_text = 0;
    b->v[b->n].i = v;
    return ++b->n;
}

static int bind_text(struct binds *b, const char *s)
{
    b->v[b->n].is_text = 1;
    b->v[b->n].s = s;
    return ++b->n;
}

/* Adds "AND column IN ($a, $b, ...)" for a comma-separated list of words from `allowed`. */
static int filter_in(struct strbuf *sql, struct binds *b, const char *column, const char *list,
                     const char *const *allowed, const char *field, struct arena *arena,
                     struct kf_error *e)
{
    if (!list)
        return 0;
    char *copy = arena_strdup(arena, list), *save = NULL;
    int n = 0;
    strbuf_addf(sql, " AND %s IN (", column);
    for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        if (allowed && !enum_has(allowed, w))
            return kf_fail(e, KF_EINVAL, field, arena_printf(arena, "unknown value \"%s\"", w));
        if (b->n > 40 || n >= 12)
            return kf_fail(e, KF_EINVAL, field, "too many values");
        strbuf_addf(sql, "%s$%d", n++ ? ", " : "", bind_text(b, w));
    }
    if (!n)
        return kf_fail(e, KF_EINVAL, field, "give at least one value");
    strbuf_addch(sql, ')');
    return 0;
}

#define DUE_EXPR "coalesce(resolve_by, 9223372036854775807)"

int ticket_list(struct db *db, const struct actor *actor, const struct ticket_query *q,
                struct arena *arena, struct ticket **ret, size_t *ret_n, const char **ret_cursor,
                struct kf_error *e)
{
    struct strbuf sql = STRBUF_INIT(16 * 1024);
    struct binds b = {0};
    int rc = 0, limit = q->limit > 0 ? q->limit : 50;
    /* the narrow rows are found and sorted first; the names are joined for one page only */
    strbuf_addstr(&sql, "SELECT id, prio_rank, " DUE_EXPR " FROM tickets WHERE 1 = 1");
    if ((rc = filter_in(&sql, &b, "status", q->status, statuses, "status", arena, e)) ||
        (rc = filter_in(&sql, &b, "type", q->type, ticket_types, "type", arena, e)) ||
        (rc = filter_in(&sql, &b, "channel", q->channel, NULL, "channel", arena, e)) ||
        (rc = filter_in(&sql, &b, "priority", q->priority, priorities, "priority", arena, e)) ||
        (rc = filter_in(&sql, &b, "urgency", q->urgency, urgencies, "urgency", arena, e)))
        goto out;
    if (q->assignee_id == -1)
        strbuf_addstr(&sql, " AND assignee_id IS NULL");
    else if (q->assignee_id)
        strbuf_addf(&sql, " AND assignee_id = $%d", bind_int(&b, q->assignee_id));
    if (q->department_id)
        strbuf_addf(&sql, " AND department_id = $%d", bind_int(&b, q->department_id));
    if (q->customer_id)
        strbuf_addf(&sql, " AND customer_id = $%d", bind_int(&b, q->customer_id));
    if (q->store_id)
        strbuf_addf(&sql, " AND store_id = $%d", bind_int(&b, q->store_id));
    if (q->category && *q->category)
        strbuf_addf(&sql, " AND category_id = (SELECT id FROM categories WHERE code = $%d)",
                    bind_text(&b, q->category));
    if (q->created_from)
        strbuf_addf(&sql, " AND created_at >= $%d", bind_int(&b, q->created_from));
    if (q->created_to)
        strbuf_addf(&sql, " AND created_at < $%d", bind_int(&b, q->created_to));
    if (q->raised_from)
        strbuf_addf(&sql, " AND raised_at >= $%d", bind_int(&b, q->raised_from));
    if (actor && actor->role == ROLE_SPECIALIST) {
        int me = bind_int(&b, actor->user_id);
        strbuf_addf(&sql,
                    " AND (assignee_id = $%d OR created_by = $%d OR department_id IN"
                    " (SELECT department_id FROM department_members WHERE user_id = $%d)",
                    me, me, me);
        /* or a department of theirs cooperates (the ids are stored one per line) */
        strbuf_addf(&sql,
                    " OR (cooperating <> '' AND EXISTS (SELECT 1 FROM department_members m"
                    " WHERE m.user_id = $%d AND '\n' || cooperating || '\n' LIKE"
                    " '%%\n' || m.department_id || '\n%%'))",
                    me);
        if (actor->department_id) {
            int dept = bind_int(&b, actor->department_id);
            strbuf_addf(&sql,
                        " OR department_id = $%d OR (cooperating <> '' AND '\n' || cooperating"
                        " || '\n' LIKE '%%\n' || CAST($%d AS TEXT) || '\n%%')",
                        dept, dept);
        }
        strbuf_addch(&sql, ')');
    }
    if (q->q && *q->q) {
        char match[1024];
        int n = fts_cjk_query(q->q, match, sizeof(match));
        if (n < 0) {
            rc = kf_fail(e, KF_EINVAL, "q", "the search text is too long");
            goto out;
        }
        if (n > 0) {
            /* few matches: fetch them by id and sort them; many: walk the queue order and
             * keep the matches ("+id" keeps SQLite from turning every match into a row
             * lookup), which stops at the end of the page */
            struct stmt *st = db_stmt(db, SQL_fts_count);
            st_text(st, 1, match);
            int64_t matches = 0;
            if ((rc = st_one_int(st, &matches)) < 0)
                goto out;
            /* the tickets written since the index was last filled are matched one by one
             * (see db_commit): at most a few hundred. CROSS JOIN keeps search_pending the
             * outer loop; otherwise SQLite, knowing no sizes, may scan every ticket */
            int m = bind_text(&b, arena_strdup(arena, match)), raw = bind_text(&b, q->q);
            strbuf_addf(&sql,
                        " AND %sid IN (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH $%d"
                        " UNION ALL SELECT sp.ticket_id FROM search_pending sp"
                        " CROSS JOIN tickets st ON st.id = sp.ticket_id"
                        " WHERE kefu_match($%d, st.number, st.subject, st.description))",
                        matches > FTS_FEW_MATCHES ? "+" : "", m, raw);
        }
    }

    /* keyset pagination: the cursor is the sort key of the last row shown */
    if (q->cursor) {
        long long k[4];
        char kind;
        int ok = 0;
        if (q->sort == 0)
            ok = sscanf(q->cursor, "%c%lld.%lld.%lld.%lld", &kind, &k[0], &k[1], &k[2], &k[3]) ==
                     5 &&
                 kind == 'q';
        else
            ok = sscanf(q->cursor, "%c%lld.%lld", &kind, &k[0], &k[1]) == 3 && kind == 'c';
        if (!ok) {
            rc = kf_fail(e, KF_EINVAL, "cursor", "this cursor does not belong to this list");
            goto out;
        }
        if (q->sort == 0) {
            int p = bind_int(&b, k[0]), d = bind_int(&b, k[1]), r = bind_int(&b, k[2]),
                i = bind_int(&b, k[3]);
            strbuf_addf(&sql,
                        " AND (prio_rank < $%d OR (prio_rank = $%d AND (" DUE_EXPR " > $%d OR"
                        " (" DUE_EXPR " = $%d AND (raised_at > $%d OR"
                        " (raised_at = $%d AND id > $%d))))))",
                        p, p, d, d, r, r, i);
        } else {
            int c = bind_int(&b, k[0]), i = bind_int(&b, k[1]);
            const char *op = q->sort > 0 ? ">" : "<";
            strbuf_addf(&sql, " AND (created_at %s $%d OR (created_at = $%d AND id %s $%d))", op, c,
                        c, op, i);
        }
    }
    if (q->sort == 0)
        strbuf_addstr(&sql, " ORDER BY prio_rank DESC, " DUE_EXPR ", raised_at, id");
    else if (q->sort > 0)
        strbuf_addstr(&sql, " ORDER BY created_at, id");
    else
        strbuf_addstr(&sql, " ORDER BY created_at DESC, id DESC");
    strbuf_addf(&sql, " LIMIT $%d", bind_int(&b, limit + 1));
    if (sql.overflow) {
        rc = kf_fail(e, KF_EINVAL, NULL, "the query is too long");
        goto out;
    }

    struct stmt *st = db_stmt_sql(db, sql.buf);
    for (int i = 0; i < b.n; i++) {
        if (b.v[i].is_text)
            st_text(st, i + 1, b.v[i].s);
        else
            st_int(st, i + 1, b.v[i].i);
    }
    struct ticket *v = arena_alloc(arena, (size_t)(limit + 1) * sizeof(*v));
    int64_t *ids = arena_alloc(arena, (size_t)(limit + 1) * sizeof(*ids));
    size_t n = 0;
    int64_t last_rank = 0, last_due = 0;
    while ((rc = st_step(st)) == 1 && n < (size_t)limit) {
        ids[n++] = col_int(st, 0);
        last_rank = col_int(st, 1);
        last_due = col_int(st, 2);
    }
    int more = rc == 1;
    st_reset(st);
    if (rc < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if ((rc = ticket_get_id(db, NULL, ids[i], arena, &v[i]))) {
            rc = rc == KF_ENOTFOUND ? KF_EDB : rc; /* it was there a moment ago */
            goto out;
        }
    }
    rc = 0;
    *ret = v;
    *ret_n = n;
    *ret_cursor = NULL;
    if (more && n) {
        const struct ticket *t = &v[n - 1];
        if (q->sort == 0)
            *ret_cursor = arena_printf(arena, "q%" PRId64 ".%" PRId64 ".%" PRId64 ".%" PRId64,
                                       last_rank, last_due, t->raised_at, t->id);
        else
            *ret_cursor = arena_printf(arena, "c%" PRId64 ".%" PRId64, t->created_at, t->id);
    }
out:
    strbuf_release(&sql);
    return rc;
}
