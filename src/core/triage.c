/* triage.c: priority rules: storing them, checking them, and running them over a ticket. */
#define _POSIX_C_SOURCE 200809L
#include "core/triage.h"

#include <pthread.h>
#include <sodium.h>
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
#include "lib/strbuf.h"
#include "lib/text.h"
#include "store/db.h"

static const char *const kind_db[RT__COUNT] = {"keyword", "type",    "category", "urgency",
                                               "tier",    "channel", "label"};
static const char *const kind_api[RT__COUNT] = {"keywords", "type",    "category", "urgency",
                                                "tier",     "channel", "labels"};
static const char VERSION_KEY[] = "priority_rules_version";

const char *rule_kind_name(enum rule_term_kind k)
{
    return kind_db[k];
}

const char *rule_kind_api(enum rule_term_kind k)
{
    return kind_api[k];
}

static int kind_of(const char *s)
{
    for (int k = 0; k < RT__COUNT; k++)
        if (!strcmp(kind_db[k], s))
            return k;
    return -1;
}

/* ---- labels ---- */

const char *labels_join(struct arena *arena, const char *const *labels, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(labels[i]) + 1;
    char *out = arena_alloc(arena, len), *p = out;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(labels[i]);
        if (i)
            *p++ = '\n';
        memcpy(p, labels[i], l);
        p += l;
    }
    *p = '\0';
    return out;
}

size_t labels_split(struct arena *arena, const char *text, const char **out, size_t max)
{
    size_t n = 0;
    for (const char *p = text; p && *p && n < max;) {
        const char *end = strchr(p, '\n');
        size_t l = end ? (size_t)(end - p) : strlen(p);
        if (l)
            out[n++] = arena_strndup(arena, p, l);
        p += l + (end != NULL);
    }
    return n;
}

/* Adds label to the n labels of out (at most max) unless it is there already. */
static size_t label_add(const char **out, size_t n, size_t max, const char *label)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(out[i], label))
            return n;
    if (n < max)
        out[n++] = label;
    return n;
}

/* ---- reading ---- */

static void read_rule(struct stmt *st, struct arena *a, struct priority_rule *r)
{
    memset(r, 0, sizeof(*r));
    r->id = col_int(st, 0);
    r->name = arena_strdup(a, col_text(st, 1));
    r->position = col_int(st, 2);
    r->enabled = (int)col_int(st, 3);
    r->stop = (int)col_int(st, 4);
    r->set_priority = arena_strdup(a, col_text(st, 5));
    r->set_department_id = col_int(st, 6);
    r->created_at = col_int(st, 7);
    r->updated_at = col_int(st, 8);
}

static void values_push(struct arena *a, struct rule_values *rv, const char *value)
{
    if (rv->n % 8 == 0) {
        const char **w = arena_alloc(a, (rv->n + 8) * sizeof(*w));
        if (rv->n)
            memcpy(w, rv->v, rv->n * sizeof(*w));
        rv->v = w;
    }
    rv->v[rv->n++] = arena_strdup(a, value);
    rv->given = 1;
}

/* Reads the terms of the n rules (sorted by id is not needed: found by id) from st. */
static int read_terms(struct stmt *st, struct arena *a, struct priority_rule *rules, size_t n)
{
    int rc;
    size_t hint = 0;
    while ((rc = st_step(st)) == 1) {
        int64_t id = col_int(st, 0);
        int k = kind_of(col_text(st, 1));
        if (k < 0)
            continue;
        if (hint >= n || rules[hint].id != id)
            for (hint = 0; hint < n && rules[hint].id != id; hint++)
                ;
        if (hint < n)
            values_push(a, &rules[hint].terms[k], col_text(st, 2));
    }
    st_reset(st);
    return rc < 0 ? rc : 0;
}

int rule_get(struct db *db, int64_t id, struct arena *arena, struct priority_rule *ret)
{
    struct stmt *st = db_stmt(db, SQL_rule_by_id);
    st_int(st, 1, id);
    int rc = st_step(st);
    if (rc == 1)
        read_rule(st, arena, ret);
    st_reset(st);
    if (rc <= 0)
        return rc < 0 ? rc : KF_ENOTFOUND;
    st = db_stmt(db, SQL_rule_terms_of);
    st_int(st, 1, id);
    return read_terms(st, arena, ret, 1);
}

int rule_list(struct db *db, struct arena *arena, struct priority_rule **ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_rule_list);
    size_t n = 0, cap = 16;
    struct priority_rule *v = arena_alloc(arena, cap * sizeof(*v));
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            struct priority_rule *w = arena_alloc(arena, 2 * cap * sizeof(*w));
            memcpy(w, v, n * sizeof(*w));
            v = w, cap *= 2;
        }
        read_rule(st, arena, &v[n++]);
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    if ((rc = read_terms(db_stmt(db, SQL_rule_terms_all), arena, v, n)))
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

/* ---- checks ---- */

static int exists(struct db *db, enum sql_id id, int64_t num, const char *text)
{
    struct stmt *st = db_stmt(db, id);
    if (text)
        st_text(st, 1, text);
    else
        st_int(st, 1, num);
    int rc = st_step(st);
    st_reset(st);
    return rc;
}

static int check_value(struct db *db, enum rule_term_kind k, const char *v, const char *field,
                       struct kf_error *e)
{
    int ok = 1;
    switch (k) {
    case RT_KEYWORD:
        if (text_blank(v) || utf8_chars(v) > RULE_KEYWORD_MAX || strpbrk(v, "\n\r\t"))
            return kf_fail(e, KF_EINVAL, field,
                           "a keyword must have 1 to 50 characters, and no line breaks");
        return 0;
    case RT_LABEL:
        if (text_blank(v) || utf8_chars(v) > LABEL_MAX || strpbrk(v, "\n\r\t"))
            return kf_fail(e, KF_EINVAL, field, "a label must have 1 to 32 characters");
        return 0;
    case RT_TYPE:
        ok = enum_has(ticket_types, v);
        break;
    case RT_URGENCY:
        ok = enum_has(urgencies, v);
        break;
    case RT_TIER:
        ok = enum_has(tiers, v);
        break;
    case RT_CATEGORY:
    case RT_CHANNEL: {
        int rc = exists(db, k == RT_CATEGORY ? SQL_category_exists : SQL_channel_enabled, 0, v);
        if (rc < 0)
            return rc;
        ok = rc == 1;
        break;
    }
    case RT__COUNT:
        break;
    }
    if (!ok)
        return kf_fail(e, KF_EINVAL, field, "unknown value");
    return 0;
}

static int check_rule(struct db *db, unsigned set, const struct priority_rule *r, struct arena *a,
                      struct kf_error *e)
{
    int rc;
    if ((set & RS_NAME) && (rc = text_check(r->name, "name", RULE_NAME_MAX, 1, e)))
        return rc;
    if ((set & RS_POSITION) && r->position < 0)
        return kf_fail(e, KF_EINVAL, "position", "position must be 1 or more");
    for (int k = 0; k < RT__COUNT; k++) {
        const struct rule_values *rv = &r->terms[k];
        int cond = k != RT_LABEL;
        if (!rv->given || !(set & (cond ? RS_CONDITIONS : RS_ACTIONS)))
            continue;
        const char *field = arena_printf(a, "%s.%s", cond ? "conditions" : "actions", kind_api[k]);
        if (!rv->n)
            return kf_fail(e, KF_EINVAL, field, "an empty list matches nothing: leave it out");
        if (rv->n > (k == RT_LABEL ? (size_t)TICKET_LABELS_MAX : (size_t)RULE_VALUES_MAX))
            return kf_fail(e, KF_EINVAL, field, "too many values");
        for (size_t i = 0; i < rv->n; i++)
            if ((rc = check_value(db, (enum rule_term_kind)k, rv->v[i], field, e)))
                return rc;
    }
    if (set & RS_ACTIONS) {
        if (r->set_priority && !enum_has(priorities, r->set_priority))
            return kf_fail(e, KF_EINVAL, "actions.priority",
                           "priority must be urgent, high, medium or low");
        if (r->set_department_id) {
            rc = exists(db, SQL_department_exists, r->set_department_id, NULL);
            if (rc < 0)
                return rc;
            if (!rc)
                return kf_fail(e, KF_EINVAL, "actions.department_id", "no such department");
        }
        if (!r->set_priority && !r->set_department_id && !r->terms[RT_LABEL].n)
            return kf_fail(e, KF_EINVAL, "actions",
                           "a rule must set a priority or a department, or add labels");
    }
    return 0;
}

/* ---- writing ---- */

/* Every change of the rules gives them a new random version: a process that holds them in
 * memory reads them again, and a change rolled back leaves the old version, not a reused one. */
static int bump_version(struct db *db)
{
    unsigned char raw[12];
    char hex[sizeof(raw) * 2 + 1];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
    struct stmt *st = db_stmt(db, SQL_setting_set);
    st_text(st, 1, VERSION_KEY);
    st_text(st, 2, hex);
    return st_exec(st);
}

static int write_terms(struct db *db, int64_t id, const struct priority_rule *r)
{
    struct stmt *st = db_stmt(db, SQL_rule_terms_delete);
    st_int(st, 1, id);
    int rc = st_exec(st);
    for (int k = 0; !rc && k < RT__COUNT; k++)
        for (size_t i = 0; !rc && i < r->terms[k].n; i++) {
            st = db_stmt(db, SQL_rule_term_insert);
            st_int(st, 1, id);
            st_text(st, 2, kind_db[k]);
            st_text(st, 3, r->terms[k].v[i]);
            rc = st_exec(st);
        }
    return rc;
}

/* The rule as JSON, for the audit trail. */
static void rule_json(struct strbuf *sb, const struct priority_rule *r)
{
    struct jw w;
    jw_init(&w, sb);
    jw_obj_begin(&w);
    jw_kstr(&w, "name", r->name);
    jw_kint(&w, "position", r->position);
    jw_kbool(&w, "enabled", r->enabled);
    jw_kbool(&w, "stop", r->stop);
    for (int k = 0; k < RT__COUNT; k++) {
        if (!r->terms[k].n)
            continue;
        jw_key(&w, kind_api[k]);
        jw_arr_begin(&w);
        for (size_t i = 0; i < r->terms[k].n; i++)
            jw_str(&w, r->terms[k].v[i]);
        jw_arr_end(&w);
    }
    jw_kstr(&w, "set_priority", r->set_priority);
    if (r->set_department_id)
        jw_kint(&w, "set_department_id", r->set_department_id);
    jw_obj_end(&w);
}

static int audit_rule(struct db *db, const struct actor *actor, const char *action, int64_t id,
                      const struct priority_rule *before, const struct priority_rule *after)
{
    struct strbuf b = STRBUF_INIT(256 * 1024), a = STRBUF_INIT(256 * 1024);
    if (before)
        rule_json(&b, before);
    if (after)
        rule_json(&a, after);
    int rc = audit_write(db, actor, action, "priority_rule", id, before ? b.buf : NULL,
                         after ? a.buf : NULL);
    strbuf_release(&b);
    strbuf_release(&a);
    return rc;
}

static int may_configure(const struct actor *actor, struct kf_error *e)
{
    if (actor && actor->role != ROLE_ADMIN)
        return kf_fail(e, KF_EFORBIDDEN, NULL, "only an admin changes priority rules");
    return 0;
}

/* Puts rule id at `position` (1: first; past the end: last) and numbers every rule 1..n in
 * that order, so that a move is one change and the positions stay a plain sequence. id 0 only
 * numbers the rules again (after a deletion). */
static int place_rule(struct db *db, int64_t id, int64_t position)
{
    struct stmt *st = db_stmt(db, SQL_rule_order_others);
    st_int(st, 1, id);
    int64_t ids[RULES_MAX + 1], was[RULES_MAX + 1];
    size_t n = 0;
    int rc;
    while ((rc = st_step(st)) == 1 && n < RULES_MAX) {
        ids[n] = col_int(st, 0);
        was[n++] = col_int(st, 1);
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    if (id) {
        size_t at = position < 1 ? 0 : (size_t)position - 1 > n ? n : (size_t)position - 1;
        memmove(ids + at + 1, ids + at, (n - at) * sizeof(*ids));
        memmove(was + at + 1, was + at, (n - at) * sizeof(*was));
        ids[at] = id;
        was[at] = 0; /* always written: the rule's own row holds the number it was given */
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        if (was[i] == (int64_t)i + 1)
            continue;
        st = db_stmt(db, SQL_rule_position_set);
        st_int(st, 1, ids[i]);
        st_int(st, 2, (int64_t)i + 1);
        if ((rc = st_exec(st)))
            return rc;
    }
    return 0;
}

int rule_create(struct db *db, const struct actor *actor, const struct priority_rule *in,
                struct arena *arena, struct priority_rule *ret, struct kf_error *e)
{
    unsigned all = RS_NAME | RS_POSITION | RS_ENABLED | RS_STOP | RS_CONDITIONS | RS_ACTIONS;
    int rc;
    int64_t count = 0, position = in->position;
    if ((rc = may_configure(actor, e)) || (rc = check_rule(db, all, in, arena, e)))
        return rc;
    if ((rc = st_one_int(db_stmt(db, SQL_rule_count), &count)) < 0)
        return rc;
    if (count >= RULES_MAX)
        return kf_fail(e, KF_EINVAL, NULL, "there are 1000 rules already");
    if (!position) {
        if ((rc = st_one_int(db_stmt(db, SQL_rule_last_position), &position)) < 0)
            return rc;
        position++;
    }
    struct stmt *st = db_stmt(db, SQL_rule_insert);
    st_text(st, 1, in->name);
    st_int(st, 2, position);
    st_int(st, 3, in->enabled);
    st_int(st, 4, in->stop);
    st_text(st, 5, in->set_priority);
    if (in->set_department_id)
        st_int(st, 6, in->set_department_id);
    st_int(st, 7, ktime_now());
    if ((rc = st_exec(st)))
        return rc;
    int64_t id = db_last_id(db);
    if ((rc = place_rule(db, id, position)) || (rc = write_terms(db, id, in)) ||
        (rc = bump_version(db)) || (rc = rule_get(db, id, arena, ret)))
        return rc;
    return audit_rule(db, actor, "priority_rule.created", id, NULL, ret);
}

int rule_update(struct db *db, const struct actor *actor, int64_t id, unsigned set,
                const struct priority_rule *in, struct arena *arena, struct priority_rule *ret,
                struct kf_error *e)
{
    struct priority_rule cur;
    int rc;
    if ((rc = may_configure(actor, e)) || (rc = rule_get(db, id, arena, &cur)) ||
        (rc = check_rule(db, set, in, arena, e)))
        return rc;
    struct priority_rule r = cur;
    if (set & RS_NAME)
        r.name = in->name;
    if ((set & RS_POSITION) && in->position)
        r.position = in->position;
    if (set & RS_ENABLED)
        r.enabled = in->enabled;
    if (set & RS_STOP)
        r.stop = in->stop;
    if (set & RS_CONDITIONS)
        for (int k = 0; k < RT_LABEL; k++)
            r.terms[k] = in->terms[k];
    if (set & RS_ACTIONS) {
        r.set_priority = in->set_priority;
        r.set_department_id = in->set_department_id;
        r.terms[RT_LABEL] = in->terms[RT_LABEL];
    }
    struct stmt *st = db_stmt(db, SQL_rule_update);
    st_int(st, 1, id);
    st_text(st, 2, r.name);
    st_int(st, 3, r.position);
    st_int(st, 4, r.enabled);
    st_int(st, 5, r.stop);
    st_text(st, 6, r.set_priority);
    if (r.set_department_id)
        st_int(st, 7, r.set_department_id);
    st_int(st, 8, ktime_now());
    if ((rc = st_exec(st)) || ((set & RS_POSITION) && (rc = place_rule(db, id, r.position))) ||
        (rc = write_terms(db, id, &r)) || (rc = bump_version(db)) ||
        (rc = rule_get(db, id, arena, ret)))
        return rc;
    return audit_rule(db, actor, "priority_rule.updated", id, &cur, ret);
}

int rule_delete(struct db *db, const struct actor *actor, int64_t id, struct kf_error *e)
{
    struct arena a = ARENA_INIT;
    struct priority_rule cur;
    int rc;
    if (!(rc = may_configure(actor, e)) && !(rc = rule_get(db, id, &a, &cur))) {
        struct stmt *st = db_stmt(db, SQL_rule_terms_delete);
        st_int(st, 1, id);
        if (!(rc = st_exec(st))) {
            st = db_stmt(db, SQL_rule_delete);
            st_int(st, 1, id);
            rc = st_exec(st);
        }
        if (!rc && !(rc = place_rule(db, 0, 0)) && !(rc = bump_version(db)))
            rc = audit_rule(db, actor, "priority_rule.deleted", id, &cur, NULL);
    }
    arena_release(&a);
    return rc;
}

/* ---- running ---- */

/* The enabled rules as last read, with their keywords in lower case; one copy for the process,
 * read again when the stored version differs. */
static struct {
    pthread_mutex_t mu;
    char version[64];
    int loaded;
    struct arena arena;
    struct priority_rule *rules;
    size_t n;
} cache = {.mu = PTHREAD_MUTEX_INITIALIZER};

static char *ascii_lower(struct arena *a, const char *s)
{
    char *out = arena_strdup(a, s ? s : "");
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return out;
}

/* Reads the rules again when the stored version is not the one in memory. With cache.mu. */
static int cache_refresh(struct db *db)
{
    struct stmt *st = db_stmt(db, SQL_setting_get);
    st_text(st, 1, VERSION_KEY);
    int rc = st_step(st);
    char version[64];
    snprintf(version, sizeof(version), "%s", rc == 1 ? col_text(st, 0) : "");
    st_reset(st);
    if (rc < 0)
        return rc;
    if (cache.loaded && !strcmp(version, cache.version))
        return 0;
    struct arena a = ARENA_INIT;
    struct priority_rule *all;
    size_t n = 0;
    if (!version[0]) { /* never written: no rules */
        all = NULL;
    } else if ((rc = rule_list(db, &a, &all, &n))) {
        arena_release(&a);
        return rc;
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (!all[i].enabled)
            continue;
        struct rule_values *kw = &all[i].terms[RT_KEYWORD];
        for (size_t j = 0; j < kw->n; j++)
            kw->v[j] = ascii_lower(&a, kw->v[j]);
        all[kept++] = all[i];
    }
    arena_release(&cache.arena);
    cache.arena = a;
    cache.rules = all;
    cache.n = kept;
    cache.loaded = 1;
    snprintf(cache.version, sizeof(cache.version), "%s", version);
    return 0;
}

static int any_equal(const struct rule_values *rv, const char *s)
{
    for (size_t i = 0; s && i < rv->n; i++)
        if (!strcmp(rv->v[i], s))
            return 1;
    return 0;
}

static int matches(const struct priority_rule *r, const struct triage_facts *f, const char *text)
{
    const char *fact[RT__COUNT] = {NULL,    f->type,    f->category, f->urgency,
                                   f->tier, f->channel, NULL};
    for (int k = RT_TYPE; k < RT_LABEL; k++)
        if (r->terms[k].n && !any_equal(&r->terms[k], fact[k]))
            return 0;
    const struct rule_values *kw = &r->terms[RT_KEYWORD];
    if (!kw->n)
        return 1;
    for (size_t i = 0; i < kw->n; i++)
        if (strstr(text, kw->v[i]))
            return 1;
    return 0;
}

int triage_run(struct db *db, const struct triage_facts *f, struct arena *arena,
               struct triage_result *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->priority = f->urgency;
    ret->department_id = f->category_department_id;
    pthread_mutex_lock(&cache.mu);
    int rc = cache_refresh(db);
    if (rc || !cache.n) {
        pthread_mutex_unlock(&cache.mu);
        return rc;
    }
    /* keywords are matched against both texts at once, in lower case; a line break between
     * them, which no keyword holds, keeps a match from spanning the two */
    const char *text = arena_printf(arena, "%s\n%s", ascii_lower(arena, f->subject),
                                    ascii_lower(arena, f->description));
    for (size_t i = 0; i < cache.n; i++) {
        const struct priority_rule *r = &cache.rules[i];
        if (!matches(r, f, text))
            continue;
        if (r->set_priority)
            ret->priority = arena_strdup(arena, r->set_priority);
        if (r->set_department_id)
            ret->department_id = r->set_department_id, ret->department_by_rule = 1;
        const struct rule_values *lv = &r->terms[RT_LABEL];
        const char **labels = arena_alloc(arena, (lv->n ? lv->n : 1) * sizeof(*labels));
        for (size_t j = 0; j < lv->n; j++) {
            labels[j] = arena_strdup(arena, lv->v[j]);
            ret->nlabels = label_add(ret->labels, ret->nlabels, TICKET_LABELS_MAX, labels[j]);
        }
        if (ret->nmatched < TRIAGE_MATCHED_MAX) {
            struct triage_match *m = &ret->matched[ret->nmatched++];
            m->id = r->id;
            m->name = arena_strdup(arena, r->name);
            m->set_priority = r->set_priority ? arena_strdup(arena, r->set_priority) : NULL;
            m->set_department_id = r->set_department_id;
            m->labels = labels;
            m->nlabels = lv->n;
        }
        if (r->stop)
            break;
    }
    pthread_mutex_unlock(&cache.mu);
    return 0;
}

int triage_record(struct db *db, int64_t ticket_id, const struct triage_result *r)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < r->nmatched; i++) {
        const struct triage_match *m = &r->matched[i];
        struct strbuf sb = STRBUF_INIT(64 * 1024);
        struct jw w;
        jw_init(&w, &sb);
        jw_obj_begin(&w);
        jw_kint(&w, "rule_id", m->id);
        jw_kstr(&w, "name", m->name);
        jw_key(&w, "actions");
        jw_obj_begin(&w);
        if (m->set_priority)
            jw_kstr(&w, "priority", m->set_priority);
        if (m->set_department_id)
            jw_kint(&w, "department_id", m->set_department_id);
        if (m->nlabels) {
            jw_key(&w, "labels");
            jw_arr_begin(&w);
            for (size_t j = 0; j < m->nlabels; j++)
                jw_str(&w, m->labels[j]);
            jw_arr_end(&w);
        }
        jw_obj_end(&w);
        jw_obj_end(&w);
        rc = history_write(db, ticket_id, NULL, "rule_applied", sb.buf);
        strbuf_release(&sb);
    }
    return rc;
}
