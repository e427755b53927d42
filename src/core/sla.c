/* sla.c: SLA policies, the clocks of each ticket, and the sweep that acts on their deadlines. */
#include "core/sla.h"

#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/audit.h"
#include "core/bizhours.h"
#include "core/calendar.h"
#include "core/enums.h"
#include "core/notify.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "lib/text.h"
#include "store/db.h"

static const char *const target_names[SLA__COUNT] = {"accept", "first_response", "resolve",
                                                     "feedback", "second_handling"};
static const int64_t MINUTE = 60000;
enum { FEEDBACK_WARN_PERCENT = 80 };

const char *sla_target_name(enum sla_target t)
{
    return target_names[t];
}

static int target_of(const char *s)
{
    for (int t = 0; t < SLA__COUNT; t++)
        if (!strcmp(target_names[t], s))
            return t;
    return -1;
}

/* ---- policies ---- */

static void read_policy(struct stmt *st, struct arena *a, struct sla_policy *p)
{
    memset(p, 0, sizeof(*p));
    p->id = col_int(st, 0);
    p->name = arena_strdup(a, col_text(st, 1));
    p->priority = arena_strdup(a, col_text(st, 2));
    p->type = arena_strdup(a, col_text(st, 3));
    for (int t = 0; t < SLA_POLICY_CLOCKS; t++)
        p->minutes[t] = col_int(st, 4 + t);
    p->calendar_id = col_int(st, 7);
    p->warn_percent = (int)col_int(st, 8);
    p->created_at = col_int(st, 9);
    p->updated_at = col_int(st, 10);
}

static int one_policy(struct stmt *st, struct arena *a, struct sla_policy *ret)
{
    int rc = st_step(st);
    if (rc == 1)
        read_policy(st, a, ret);
    st_reset(st);
    return rc < 0 ? rc : rc == 1 ? 0 : KF_ENOTFOUND;
}

int sla_policy_get(struct db *db, int64_t id, struct arena *arena, struct sla_policy *ret)
{
    struct stmt *st = db_stmt(db, SQL_sla_policy_by_id);
    st_int(st, 1, id);
    return one_policy(st, arena, ret);
}

int sla_policy_list(struct db *db, struct arena *arena, struct sla_policy **ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_sla_policy_list);
    size_t n = 0, cap = 16;
    struct sla_policy *v = arena_alloc(arena, cap * sizeof(*v));
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            struct sla_policy *w = arena_alloc(arena, 2 * cap * sizeof(*w));
            memcpy(w, v, n * sizeof(*w));
            v = w, cap *= 2;
        }
        read_policy(st, arena, &v[n++]);
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

static int check_policy(struct db *db, const struct sla_policy *p, int64_t id, struct kf_error *e)
{
    static const char *const fields[SLA_POLICY_CLOCKS] = {
        "accept_minutes", "first_response_minutes", "resolve_minutes"};
    int rc;
    if ((rc = text_check(p->name, "name", SLA_NAME_MAX, 1, e)))
        return rc;
    if (!enum_has(priorities, p->priority))
        return kf_fail(e, KF_EINVAL, "priority", "priority must be urgent, high, medium or low");
    if (p->type && !enum_has(ticket_types, p->type))
        return kf_fail(e, KF_EINVAL, "type",
                       "type must be inquiry, problem, fault, complaint, suggestion or special");
    int any = 0;
    for (int t = 0; t < SLA_POLICY_CLOCKS; t++) {
        if (p->minutes[t] < 0 || p->minutes[t] > SLA_MINUTES_MAX)
            return kf_fail(e, KF_EINVAL, fields[t], "minutes must be between 1 and 527040");
        any |= p->minutes[t] > 0;
    }
    if (!any)
        return kf_fail(e, KF_EINVAL, "resolve_minutes", "a policy needs at least one target");
    if (p->warn_percent < 1 || p->warn_percent > 99)
        return kf_fail(e, KF_EINVAL, "warn_percent", "warn_percent must be between 1 and 99");
    if (p->calendar_id) {
        struct arena a = ARENA_INIT;
        struct calendar c;
        rc = calendar_get(db, p->calendar_id, &a, &c);
        arena_release(&a);
        if (rc == KF_ENOTFOUND)
            return kf_fail(e, KF_EINVAL, "calendar_id", "no such calendar");
        if (rc)
            return rc;
    }
    struct stmt *st = db_stmt(db, SQL_sla_policy_scope_taken);
    st_text(st, 1, p->priority);
    st_text(st, 2, p->type);
    st_int(st, 3, id);
    int64_t other = 0;
    if ((rc = st_one_int(st, &other)) < 0)
        return rc;
    if (rc)
        return kf_fail(e, KF_ECONFLICT, "type",
                       "a policy for this priority and type exists already");
    return 0;
}

static void bind_policy(struct stmt *st, int first, const struct sla_policy *p)
{
    st_text(st, first, p->name);
    st_text(st, first + 1, p->priority);
    st_text(st, first + 2, p->type);
    for (int t = 0; t < SLA_POLICY_CLOCKS; t++)
        if (p->minutes[t])
            st_int(st, first + 3 + t, p->minutes[t]);
    if (p->calendar_id)
        st_int(st, first + 6, p->calendar_id);
    st_int(st, first + 7, p->warn_percent);
}

static int audit_policy(struct db *db, const struct actor *actor, const char *action, int64_t id,
                        const struct sla_policy *before, const struct sla_policy *after)
{
    struct strbuf b = STRBUF_INIT(4096), a = STRBUF_INIT(4096);
    for (int i = 0; i < 2; i++) {
        const struct sla_policy *p = i ? after : before;
        if (!p)
            continue;
        struct jw w;
        jw_init(&w, i ? &a : &b);
        jw_obj_begin(&w);
        jw_kstr(&w, "name", p->name);
        jw_kstr(&w, "priority", p->priority);
        jw_kstr(&w, "type", p->type);
        for (int t = 0; t < SLA_POLICY_CLOCKS; t++)
            jw_kint(&w, target_names[t], p->minutes[t]);
        jw_kint(&w, "calendar_id", p->calendar_id);
        jw_kint(&w, "warn_percent", p->warn_percent);
        jw_obj_end(&w);
    }
    int rc = audit_write(db, actor, action, "sla_policy", id, before ? b.buf : NULL,
                         after ? a.buf : NULL);
    strbuf_release(&b);
    strbuf_release(&a);
    return rc;
}

static int may_configure(const struct actor *actor, struct kf_error *e)
{
    if (actor && actor->role != ROLE_ADMIN)
        return kf_fail(e, KF_EFORBIDDEN, NULL, "only an admin changes SLA policies");
    return 0;
}

int sla_policy_create(struct db *db, const struct actor *actor, const struct sla_policy *in,
                      struct arena *arena, struct sla_policy *ret, struct kf_error *e)
{
    int rc;
    struct sla_policy p = *in;
    if (!p.warn_percent)
        p.warn_percent = 80;
    if ((rc = may_configure(actor, e)) || (rc = check_policy(db, &p, 0, e)))
        return rc;
    struct stmt *st = db_stmt(db, SQL_sla_policy_insert);
    bind_policy(st, 1, &p);
    st_int(st, 9, ktime_now());
    if ((rc = st_exec(st)) == KF_ECONFLICT)
        return kf_fail(e, rc, "type", "a policy for this priority and type exists already");
    if (rc || (rc = sla_policy_get(db, db_last_id(db), arena, ret)))
        return rc;
    return audit_policy(db, actor, "sla_policy.created", ret->id, NULL, ret);
}

int sla_policy_update(struct db *db, const struct actor *actor, int64_t id, unsigned set,
                      const struct sla_policy *in, struct arena *arena, struct sla_policy *ret,
                      struct kf_error *e)
{
    struct sla_policy cur;
    int rc;
    if ((rc = may_configure(actor, e)) || (rc = sla_policy_get(db, id, arena, &cur)))
        return rc;
    struct sla_policy p = cur;
    if (set & SP_NAME)
        p.name = in->name;
    if (set & SP_PRIORITY)
        p.priority = in->priority;
    if (set & SP_TYPE)
        p.type = in->type;
    for (int t = 0; t < SLA_POLICY_CLOCKS; t++)
        if (set & (SP_ACCEPT << t))
            p.minutes[t] = in->minutes[t];
    if (set & SP_CALENDAR)
        p.calendar_id = in->calendar_id;
    if (set & SP_WARN)
        p.warn_percent = in->warn_percent;
    if ((rc = check_policy(db, &p, id, e)))
        return rc;
    struct stmt *st = db_stmt(db, SQL_sla_policy_update);
    st_int(st, 1, id);
    bind_policy(st, 2, &p);
    st_int(st, 10, ktime_now());
    if ((rc = st_exec(st)) == KF_ECONFLICT)
        return kf_fail(e, rc, "type", "a policy for this priority and type exists already");
    if (rc || (rc = sla_policy_get(db, id, arena, ret)))
        return rc;
    return audit_policy(db, actor, "sla_policy.updated", id, &cur, ret);
}

int sla_policy_delete(struct db *db, const struct actor *actor, int64_t id, struct kf_error *e)
{
    struct arena a = ARENA_INIT;
    struct sla_policy cur;
    int rc;
    if (!(rc = may_configure(actor, e)) && !(rc = sla_policy_get(db, id, &a, &cur))) {
        /* the tickets keep their deadline rows and due times; only the link goes */
        struct stmt *st = db_stmt(db, SQL_sla_policy_release);
        st_int(st, 1, id);
        if (!(rc = st_exec(st))) {
            st = db_stmt(db, SQL_sla_policy_delete);
            st_int(st, 1, id);
            rc = st_exec(st);
        }
        if (!rc)
            rc = audit_policy(db, actor, "sla_policy.deleted", id, &cur, NULL);
    }
    arena_release(&a);
    return rc;
}

/* ---- clocks ---- */

struct deadline {
    int64_t id, ticket_id;
    int target;
    int64_t budget, used, run_from, due, warn, next, warned, breached, met;
};

/* The calendar a policy counts on, NULL for around the clock (or a calendar that is gone). */
static const struct biz_calendar *policy_calendar(struct db *db, int64_t calendar_id,
                                                  struct arena *a, struct calendar *store)
{
    if (!calendar_id || calendar_get(db, calendar_id, a, store))
        return NULL;
    return &store->biz;
}

static int64_t clock_add(const struct biz_calendar *c, int64_t from, int64_t ms)
{
    return c ? biz_add(c, from, ms) : from + ms;
}

static int64_t clock_elapsed(const struct biz_calendar *c, int64_t from, int64_t to)
{
    if (to <= from)
        return 0;
    return c ? biz_elapsed(c, from, to) : to - from;
}

/* When a running clock is due, when it warns, and when the sweep must look at it next. */
static void schedule(struct deadline *d, const struct biz_calendar *c, int warn_percent)
{
    if (!d->run_from) {
        d->next = 0;
        return;
    }
    int64_t left = d->budget - d->used;
    d->due = clock_add(c, d->run_from, left > 0 ? left : 0);
    int64_t warn_left = d->budget * warn_percent / 100 - d->used;
    d->warn = warn_left > 0 ? clock_add(c, d->run_from, warn_left) : d->run_from;
    if (d->due < 0) /* no working time ahead at all */
        d->due = d->warn = 0;
    d->next = !d->due ? 0 : !d->warned && d->warn < d->due ? d->warn : !d->breached ? d->due : 0;
}

/* Stops a running clock, keeping the working time it has used; a paused clock has no due time
 * until it runs again, a finished one keeps the one it had. */
static void clock_stop(struct deadline *d, const struct biz_calendar *c, int64_t now, int pause,
                       int met)
{
    if (d->run_from) {
        d->used += clock_elapsed(c, d->run_from, now);
        d->run_from = 0;
    }
    d->next = 0;
    if (pause)
        d->due = d->warn = 0;
    if (met && !d->met)
        d->met = now;
}

static void clock_run(struct deadline *d, const struct biz_calendar *c, int warn_percent,
                      int64_t now)
{
    if (!d->run_from) {
        d->run_from = now;
        d->met = 0;
    }
    schedule(d, c, warn_percent);
}

static void read_deadline(struct stmt *st, struct deadline *d)
{
    d->id = col_int(st, 0);
    d->ticket_id = col_int(st, 1);
    d->target = target_of(col_text(st, 2));
    d->budget = col_int(st, 3);
    d->used = col_int(st, 4);
    d->run_from = col_int(st, 5);
    d->due = col_int(st, 6);
    d->warn = col_int(st, 7);
    d->next = col_int(st, 8);
    d->warned = col_int(st, 9);
    d->breached = col_int(st, 10);
    d->met = col_int(st, 11);
}

static void bind_opt(struct stmt *st, int i, int64_t v)
{
    if (v)
        st_int(st, i, v);
}

static int save_deadline(struct db *db, const struct deadline *d)
{
    struct stmt *st = db_stmt(db, SQL_deadline_save);
    st_int(st, 1, d->id);
    st_int(st, 2, d->budget);
    st_int(st, 3, d->used);
    bind_opt(st, 4, d->run_from);
    bind_opt(st, 5, d->due);
    bind_opt(st, 6, d->warn);
    bind_opt(st, 7, d->next);
    bind_opt(st, 8, d->warned);
    bind_opt(st, 9, d->breached);
    bind_opt(st, 10, d->met);
    return st_exec(st);
}

static int insert_deadline(struct db *db, const struct deadline *d)
{
    struct stmt *st = db_stmt(db, SQL_deadline_insert);
    st_int(st, 1, d->ticket_id);
    st_text(st, 2, target_names[d->target]);
    st_int(st, 3, d->budget);
    bind_opt(st, 4, d->run_from);
    bind_opt(st, 5, d->due);
    bind_opt(st, 6, d->warn);
    bind_opt(st, 7, d->next);
    return st_exec(st);
}

/* The ticket's clocks by target; absent ones have id 0. */
static int load_deadlines(struct db *db, int64_t ticket_id, struct deadline out[SLA__COUNT])
{
    memset(out, 0, SLA__COUNT * sizeof(*out));
    struct stmt *st = db_stmt(db, SQL_deadlines_of);
    st_int(st, 1, ticket_id);
    int rc;
    while ((rc = st_step(st)) == 1) {
        struct deadline d;
        read_deadline(st, &d);
        if (d.target >= 0)
            out[d.target] = d;
    }
    st_reset(st);
    return rc < 0 ? rc : 0;
}

/* Writes the ticket's view of its clocks: policy, paused, breached targets and due times. */
static int sync_ticket(struct db *db, int64_t ticket_id, int64_t policy_id,
                       const struct deadline d[SLA__COUNT])
{
    char breached[64] = "";
    size_t len = 0;
    for (int t = 0; t < SLA__COUNT; t++)
        if (d[t].id && d[t].breached)
            len += (size_t)snprintf(breached + len, sizeof(breached) - len, "%s%s", len ? "\n" : "",
                                    target_names[t]);
    const struct deadline *r = &d[SLA_RESOLVE];
    int paused = r->id && !r->run_from && !r->met && !r->due; /* a pause drops the due time */
    struct stmt *st = db_stmt(db, SQL_ticket_sla_set);
    st_int(st, 1, ticket_id);
    bind_opt(st, 2, policy_id);
    st_int(st, 3, paused);
    st_text(st, 4, breached);
    return st_exec(st);
}

static int find_policy(struct db *db, const char *priority, const char *type, struct arena *a,
                       struct sla_policy *ret)
{
    struct stmt *st = db_stmt(db, SQL_sla_policy_for);
    st_text(st, 1, priority);
    st_text(st, 2, type);
    return one_policy(st, a, ret);
}

int sla_plan_clocks(struct db *db, const char *priority, const char *type, int64_t raised_at,
                    struct sla_plan *ret)
{
    struct arena a = ARENA_INIT;
    struct sla_policy p;
    struct calendar cal;
    memset(ret, 0, sizeof(*ret));
    ret->raised_at = raised_at;
    int rc = find_policy(db, priority, type, &a, &p);
    if (rc) { /* no policy: no clocks */
        arena_release(&a);
        return rc == KF_ENOTFOUND ? 0 : rc;
    }
    const struct biz_calendar *c = policy_calendar(db, p.calendar_id, &a, &cal);
    ret->policy_id = p.id;
    for (int t = 0; t < SLA_POLICY_CLOCKS; t++) {
        if (!p.minutes[t])
            continue;
        struct deadline d = {.target = t, .budget = p.minutes[t] * MINUTE};
        clock_run(&d, c, p.warn_percent, raised_at);
        ret->budget[t] = d.budget;
        ret->due[t] = d.due;
        ret->warn[t] = d.warn;
        ret->next[t] = d.next;
    }
    arena_release(&a);
    return 0;
}

int sla_plan_start(struct db *db, int64_t ticket_id, const struct sla_plan *plan)
{
    if (!plan->policy_id)
        return 0;
    struct stmt *st = db_stmt(db, SQL_deadlines_start); /* one statement for all three */
    st_int(st, 1, ticket_id);
    st_int(st, 2, plan->raised_at);
    for (int t = 0; t < SLA_POLICY_CLOCKS; t++) {
        if (!plan->budget[t])
            continue;
        st_int(st, 3 + 4 * t, plan->budget[t]);
        bind_opt(st, 4 + 4 * t, plan->due[t]);
        bind_opt(st, 5 + 4 * t, plan->warn[t]);
        bind_opt(st, 6 + 4 * t, plan->next[t]);
    }
    return st_exec(st);
}

static int is_running_status(const char *s)
{
    return !strcmp(s, "new") || !strcmp(s, "accepted") || !strcmp(s, "in_progress");
}

static int is_done_status(const char *s)
{
    return !strcmp(s, "resolved") || !strcmp(s, "closed");
}

int sla_ticket_changed(struct db *db, const struct sla_state *before, const struct sla_state *after)
{
    int64_t now = ktime_now();
    struct arena a = ARENA_INIT;
    struct deadline d[SLA__COUNT];
    struct sla_policy p = {0};
    struct calendar cal;
    int rc = load_deadlines(db, after->id, d);
    int repriced = strcmp(before->priority, after->priority) || strcmp(before->type, after->type);
    int moved = strcmp(before->status, after->status) != 0;
    int64_t policy_id = 0;
    if (!rc) {
        rc = repriced ? find_policy(db, after->priority, after->type, &a, &p)
                      : (before->sla_policy_id ? sla_policy_get(db, before->sla_policy_id, &a, &p)
                                               : KF_ENOTFOUND);
        if (rc == KF_ENOTFOUND)
            rc = 0, p = (struct sla_policy){.warn_percent = 80};
        policy_id = p.id;
    }
    if (rc || (!moved && !repriced)) {
        arena_release(&a);
        return rc;
    }
    const struct biz_calendar *c = policy_calendar(db, p.calendar_id, &a, &cal);
    if (moved) {
        if (!strcmp(before->status, "new") && d[SLA_ACCEPT].id)
            clock_stop(&d[SLA_ACCEPT], c, now, 0, 1);
        struct deadline *r = &d[SLA_RESOLVE];
        if (is_done_status(after->status)) {
            for (int t = 0; t < SLA__COUNT; t++)
                if (d[t].id)
                    clock_stop(&d[t], c, now, 0, t == SLA_RESOLVE || t == SLA_SECOND_HANDLING);
        } else if (!strcmp(after->status, "waiting_customer")) {
            if (r->id)
                clock_stop(r, c, now, 1, 0);
        } else if (is_running_status(after->status) && r->id && !r->run_from) {
            clock_run(r, c, p.warn_percent, now); /* resumed, or reopened */
        }
    }
    if (repriced && p.id) {
        /* the new policy's budgets; a clock it lacks stops, one it adds starts now if the
         * ticket still owes it */
        for (int t = 0; !rc && t < SLA_POLICY_CLOCKS; t++) {
            struct deadline *x = &d[t];
            if (!p.minutes[t]) {
                if (x->id)
                    clock_stop(x, c, now, 0, 0);
                continue;
            }
            x->budget = p.minutes[t] * MINUTE;
            if (x->id) {
                if (x->run_from)
                    schedule(x, c, p.warn_percent);
                continue;
            }
            int owed = t == SLA_ACCEPT           ? !strcmp(after->status, "new")
                       : t == SLA_FIRST_RESPONSE ? !after->first_response_at
                                                 : is_running_status(after->status);
            *x = (struct deadline){.ticket_id = after->id, .target = t, .budget = x->budget};
            if (owed)
                clock_run(x, c, p.warn_percent, now);
            if (!(rc = insert_deadline(db, x)))
                x->id = db_last_id(db);
        }
    }
    for (int t = 0; !rc && t < SLA__COUNT; t++)
        if (d[t].id)
            rc = save_deadline(db, &d[t]);
    if (!rc)
        rc = sync_ticket(db, after->id, policy_id ? policy_id : before->sla_policy_id, d);
    arena_release(&a);
    return rc;
}

/* The ticket's SLA policy, 0 for none (or when it cannot be read). */
static int64_t ticket_policy(struct db *db, int64_t ticket_id)
{
    struct stmt *st = db_stmt(db, SQL_ticket_sla_facts);
    st_int(st, 1, ticket_id);
    int64_t policy = st_step(st) == 1 ? col_int(st, 7) : 0;
    st_reset(st);
    return policy;
}

int sla_ticket_replied(struct db *db, int64_t ticket_id)
{
    struct deadline d[SLA__COUNT];
    int rc = load_deadlines(db, ticket_id, d);
    if (rc || !d[SLA_FIRST_RESPONSE].id || d[SLA_FIRST_RESPONSE].met)
        return rc;
    /* the used time of a met clock is not counted again: no calendar needed */
    d[SLA_FIRST_RESPONSE].run_from = 0;
    d[SLA_FIRST_RESPONSE].next = 0;
    d[SLA_FIRST_RESPONSE].met = ktime_now();
    if ((rc = save_deadline(db, &d[SLA_FIRST_RESPONSE])))
        return rc;
    return sync_ticket(db, ticket_id, ticket_policy(db, ticket_id), d);
}

/* ---- the sweep ---- */

struct facts {
    int64_t id, assignee_id, department_id, supervisor_id, policy_id;
    const char *status, *number, *subject;
};

static int load_facts(struct db *db, int64_t ticket_id, struct arena *a, struct facts *f)
{
    struct stmt *st = db_stmt(db, SQL_ticket_sla_facts);
    st_int(st, 1, ticket_id);
    int rc = st_step(st);
    if (rc == 1) {
        f->id = col_int(st, 0);
        f->status = arena_strdup(a, col_text(st, 1));
        f->assignee_id = col_int(st, 4);
        f->department_id = col_int(st, 5);
        f->supervisor_id = col_int(st, 6);
        f->policy_id = col_int(st, 7);
        f->number = arena_strdup(a, col_text(st, 10));
        f->subject = arena_strdup(a, col_text(st, 11));
    }
    st_reset(st);
    return rc < 0 ? rc : rc == 1 ? 0 : KF_ENOTFOUND;
}

/* The department's supervisor; without one, every active supervisor. */
static int notify_supervisors(struct db *db, const struct facts *f, const char *kind,
                              const char *payload)
{
    if (f->supervisor_id)
        return notify(db, f->supervisor_id, kind, f->id, payload);
    struct stmt *st = db_stmt(db, SQL_supervisors_active);
    int64_t ids[64];
    int n = 0, rc;
    while (n < 64 && (rc = st_step(st)) == 1)
        ids[n++] = col_int(st, 0);
    st_reset(st);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n; i++)
        if ((rc = notify(db, ids[i], kind, f->id, payload)))
            return rc;
    return 0;
}

/* What a notice and a history entry of the clocks say. */
static const char *clock_detail(struct arena *a, const struct facts *f, const struct deadline *d)
{
    char due[KTIME_RFC3339_LEN];
    ktime_format(d->due, due);
    struct strbuf sb = STRBUF_INIT(4096);
    struct jw w;
    jw_init(&w, &sb);
    jw_obj_begin(&w);
    jw_kstr(&w, "target", target_names[d->target]);
    jw_kstr(&w, "due_at", due);
    jw_kstr(&w, "number", f->number);
    jw_kstr(&w, "subject", f->subject);
    jw_obj_end(&w);
    const char *out = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return out;
}

static int act(struct db *db, struct deadline *d, int64_t now, struct arena *a)
{
    struct facts f = {0};
    int rc = load_facts(db, d->ticket_id, a, &f);
    if (rc)
        return rc == KF_ENOTFOUND ? 0 : rc;
    const char *detail = clock_detail(a, &f, d);
    if (!d->warned && now < d->due) {
        d->warned = now;
        if ((rc = history_write(db, f.id, NULL, "sla_warning", detail)) ||
            (rc = event_write(db, "ticket.sla_warning", "ticket", f.id, detail)))
            return rc;
        rc = f.assignee_id ? notify(db, f.assignee_id, "sla_warning", f.id, detail)
                           : notify_supervisors(db, &f, "sla_warning", detail);
        if (rc)
            return rc;
    } else if (!d->breached && now >= d->due) {
        const char *action = d->target == SLA_ACCEPT ? "escalated" : "breached";
        d->breached = now;
        if (!d->warned)
            d->warned = now; /* past the warning already: it would come too late */
        char kind[40];
        snprintf(kind, sizeof(kind), "ticket.%s", action);
        if ((rc = history_write(db, f.id, NULL, action, detail)) ||
            (rc = event_write(db, kind, "ticket", f.id, detail)) ||
            (rc = notify_supervisors(db, &f, action, detail)))
            return rc;
    }
    d->next = !d->warned ? d->warn : !d->breached ? d->due : 0;
    if ((rc = save_deadline(db, d)))
        return rc;
    struct deadline all[SLA__COUNT];
    if ((rc = load_deadlines(db, d->ticket_id, all)))
        return rc;
    return sync_ticket(db, d->ticket_id, f.policy_id, all);
}

int sla_sweep(struct db *db, int64_t now, int max, int *ret_n)
{
    *ret_n = 0;
    if (max <= 0)
        return 0;
    struct arena a = ARENA_INIT;
    int64_t *ids = arena_alloc(&a, (size_t)max * sizeof(*ids));
    int n = 0, rc;
    struct stmt *st = db_stmt(db, SQL_deadlines_due);
    st_int(st, 1, now);
    st_int(st, 2, max);
    while ((rc = st_step(st)) == 1)
        ids[n++] = col_int(st, 0);
    st_reset(st);
    for (int i = 0; rc >= 0 && i < n; i++) {
        struct deadline d;
        st = db_stmt(db, SQL_deadline_by_id);
        st_int(st, 1, ids[i]);
        rc = st_step(st);
        if (rc == 1)
            read_deadline(st, &d);
        st_reset(st);
        if (rc == 1 && d.next && d.next <= now && d.target >= 0)
            rc = act(db, &d, now, &a);
        if (rc >= 0)
            (*ret_n)++;
    }
    arena_release(&a);
    return rc < 0 ? rc : 0;
}

int sla_due(struct db *db, int64_t now)
{
    struct stmt *st = db_stmt(db, SQL_deadlines_due);
    st_int(st, 1, now);
    st_int(st, 2, 1);
    int rc = st_step(st);
    st_reset(st);
    return rc;
}

/* Runs the ticket's clock of target from now to due_at, around the clock, warning at 80 %,
 * replacing the one it had. */
static int timer_set(struct db *db, int64_t ticket_id, enum sla_target target, int64_t now,
                     int64_t due_at)
{
    struct deadline d[SLA__COUNT];
    int rc = load_deadlines(db, ticket_id, d);
    if (rc)
        return rc;
    struct deadline *f = &d[target];
    int64_t id = f->id;
    *f = (struct deadline){
        .id = id, .ticket_id = ticket_id, .target = target, .budget = due_at - now};
    clock_run(f, NULL, FEEDBACK_WARN_PERCENT, now); /* around the clock: a time was named */
    rc = id ? save_deadline(db, f) : insert_deadline(db, f);
    if (!id && !rc)
        f->id = db_last_id(db);
    return rc ? rc : sync_ticket(db, ticket_id, ticket_policy(db, ticket_id), d);
}

int sla_feedback_set(struct db *db, int64_t ticket_id, int64_t now, int64_t due_at)
{
    return timer_set(db, ticket_id, SLA_FEEDBACK, now, due_at);
}

int sla_second_handling_set(struct db *db, int64_t ticket_id, int64_t now, int64_t due_at)
{
    return timer_set(db, ticket_id, SLA_SECOND_HANDLING, now, due_at);
}

int sla_feedback_met(struct db *db, int64_t ticket_id)
{
    struct deadline d[SLA__COUNT];
    int rc = load_deadlines(db, ticket_id, d);
    struct deadline *f = &d[SLA_FEEDBACK];
    if (rc || !f->id || f->met || !f->run_from)
        return rc;
    clock_stop(f, NULL, ktime_now(), 0, 1);
    if ((rc = save_deadline(db, f)))
        return rc;
    return sync_ticket(db, ticket_id, ticket_policy(db, ticket_id), d);
}
