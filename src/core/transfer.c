/* transfer.c: transfers (转接), cooperating departments (协办) and nudges (催办). */
#define _POSIX_C_SOURCE 200809L
#include "core/transfer.h"

#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/assign.h"
#include "core/audit.h"
#include "core/notify.h"
#include "core/sla.h"
#include "core/ticket.h"
#include "core/ticket_status.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "lib/text.h"
#include "store/db.h"

static const int64_t FEEDBACK_MAX_MS = 30LL * 24 * 3600 * 1000;

/* The name of a user or a department by id, NULL when there is none. */
static const char *name_of(struct db *db, enum sql_id sql, int col, int64_t id, struct arena *a)
{
    if (!id)
        return NULL;
    struct stmt *st = db_stmt(db, sql);
    st_int(st, 1, id);
    const char *name = st_step(st) == 1 ? arena_strdup(a, col_text(st, col)) : NULL;
    st_reset(st);
    return name;
}

static int cooperating_has(const struct ticket *t, int64_t dept)
{
    for (size_t i = 0; i < t->ncooperating; i++)
        if (t->cooperating[i].id == dept)
            return 1;
    return 0;
}

/* The cooperating departments of t with dept added (add) or taken out, as stored. */
static const char *cooperating_text(const struct ticket *t, int64_t dept, int add, struct arena *a)
{
    struct strbuf sb = STRBUF_INIT(1024);
    for (size_t i = 0; i < t->ncooperating; i++)
        if (t->cooperating[i].id != dept)
            strbuf_addf(&sb, "%s%lld", sb.len ? "\n" : "", (long long)t->cooperating[i].id);
    if (add)
        strbuf_addf(&sb, "%s%lld", sb.len ? "\n" : "", (long long)dept);
    const char *out = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return out;
}

static int check_input(struct db *db, const struct ticket *t, const struct transfer_input *in,
                       struct arena *a, struct kf_error *e)
{
    int rc;
    if (!in->to_user_id == !in->to_department_id)
        return kf_fail(e, KF_EINVAL, "to_user_id", "give to_user_id or to_department_id");
    if ((rc = text_check(in->reason, "reason", TRANSFER_REASON_MAX, 1, e)))
        return rc;
    int64_t now = ktime_now();
    if (in->due_at && (in->due_at <= now || in->due_at > now + FEEDBACK_MAX_MS))
        return kf_fail(e, KF_EINVAL, "due_at", "due_at lies in the next 30 days");
    if (in->cooperate && !in->to_department_id)
        return kf_fail(e, KF_EINVAL, "cooperate", "only a department cooperates");
    if (!strcmp(t->status, "closed"))
        return kf_fail(e, KF_EINVAL, "status", "a closed ticket is not transferred");
    if (in->to_user_id) {
        if (!name_of(db, SQL_user_active, 0, in->to_user_id, a))
            return kf_fail(e, KF_EINVAL, "to_user_id", "no such active user");
        if (in->to_user_id == t->assignee_id)
            return kf_fail(e, KF_EINVAL, "to_user_id", "the ticket is with this person already");
    } else {
        struct stmt *st = db_stmt(db, SQL_department_ref);
        st_int(st, 1, in->to_department_id);
        rc = st_step(st);
        st_reset(st);
        if (rc < 0)
            return rc;
        if (!rc)
            return kf_fail(e, KF_EINVAL, "to_department_id", "no such department");
        if (in->to_department_id == t->department_id)
            return kf_fail(e, KF_EINVAL, "to_department_id",
                           "the ticket is with this department already");
        if (in->cooperate && cooperating_has(t, in->to_department_id))
            return kf_fail(e, KF_EINVAL, "to_department_id",
                           "this department cooperates on the ticket already");
        if (in->cooperate && t->ncooperating >= COOPERATING_MAX)
            return kf_fail(e, KF_EINVAL, "to_department_id", "at most 8 departments cooperate");
    }
    return 0;
}

/* The history detail of a transfer (and its audit and event). */
static const char *transfer_detail(const struct transfer *tr, struct arena *a)
{
    struct strbuf sb = STRBUF_INIT(8192);
    struct jw w;
    jw_init(&w, &sb);
    jw_obj_begin(&w);
    jw_kint(&w, "transfer_id", tr->id);
    jw_kstr(&w, "kind", tr->kind);
    jw_key(&w, "from");
    jw_obj_begin(&w);
    jw_kstr(&w, "user", tr->from_user_name);
    jw_kstr(&w, "department", tr->from_department_name);
    jw_obj_end(&w);
    jw_key(&w, "to");
    jw_obj_begin(&w);
    jw_kstr(&w, "user", tr->to_user_name);
    jw_kstr(&w, "department", tr->to_department_name);
    jw_obj_end(&w);
    jw_kstr(&w, "reason", tr->reason);
    if (tr->due_at) {
        char due[KTIME_RFC3339_LEN];
        ktime_format(tr->due_at, due);
        jw_kstr(&w, "due_at", due);
    }
    jw_obj_end(&w);
    const char *out = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return out;
}

int transfer_create(struct db *db, const struct actor *actor, const char *ref,
                    const struct transfer_input *in, struct arena *arena, struct transfer *ret,
                    struct ticket *ret_ticket, struct kf_error *e)
{
    struct ticket t;
    int rc = ticket_get(db, actor, ref, arena, &t);
    if (rc)
        return rc;
    if (!ticket_may_change(actor, &t))
        return kf_fail(e, KF_EFORBIDDEN, NULL,
                       "only its assignee, a supervisor or an admin transfers this ticket");
    if ((rc = check_input(db, &t, in, arena, e)))
        return rc;
    int64_t now = ktime_now();
    struct transfer tr = {.ticket_id = t.id,
                          .kind = in->cooperate ? "cooperate" : "transfer",
                          .from_user_id = t.assignee_id,
                          .from_department_id = t.department_id,
                          .reason = in->reason,
                          .due_at = in->due_at,
                          .actor_id = actor->user_id,
                          .actor_name = actor->name,
                          .at = now};
    int64_t assignee = t.assignee_id, dept = t.department_id;
    if (in->to_user_id) {
        assignee = in->to_user_id;
        if (!dept || (rc = assign_is_member(db, assignee, dept)) == 0) {
            struct stmt *st = db_stmt(db, SQL_user_department);
            st_int(st, 1, assignee);
            int64_t own = 0;
            if ((rc = st_one_int(st, &own)) < 0)
                return rc;
            if (own)
                dept = own;
        } else if (rc < 0) {
            return rc;
        }
    } else if (!in->cooperate) {
        const char *name, *mode;
        dept = in->to_department_id;
        if ((rc = assign_pick(db, dept, now, arena, &assignee, &name, &mode)))
            return rc;
    }
    tr.to_user_id = in->cooperate ? 0 : assignee;
    tr.to_department_id = in->cooperate ? in->to_department_id : dept;
    tr.from_user_name = name_of(db, SQL_user_active, 0, tr.from_user_id, arena);
    tr.from_department_name = name_of(db, SQL_department_ref, 2, tr.from_department_id, arena);
    tr.to_user_name = name_of(db, SQL_user_active, 0, tr.to_user_id, arena);
    tr.to_department_name = name_of(db, SQL_department_ref, 2, tr.to_department_id, arena);

    struct stmt *st;
    if (in->cooperate) {
        st = db_stmt(db, SQL_ticket_cooperating_set);
        st_int(st, 1, t.id);
        st_text(st, 2, cooperating_text(&t, in->to_department_id, 1, arena));
        st_int(st, 3, now);
    } else {
        st = db_stmt(db, SQL_ticket_assign);
        st_int(st, 1, t.id);
        if (assignee)
            st_int(st, 2, assignee);
        if (dept)
            st_int(st, 3, dept);
        st_int(st, 4, now);
    }
    if ((rc = st_exec(st)))
        return rc;
    if (!in->cooperate && dept != t.department_id && cooperating_has(&t, dept)) {
        /* the new lead no longer cooperates with itself */
        st = db_stmt(db, SQL_ticket_cooperating_set);
        st_int(st, 1, t.id);
        st_text(st, 2, cooperating_text(&t, dept, 0, arena));
        st_int(st, 3, now);
        if ((rc = st_exec(st)))
            return rc;
    }
    st = db_stmt(db, SQL_transfer_insert);
    st_int(st, 1, t.id);
    st_text(st, 2, tr.kind);
    if (tr.from_user_id)
        st_int(st, 3, tr.from_user_id);
    if (tr.from_department_id)
        st_int(st, 4, tr.from_department_id);
    if (tr.to_user_id)
        st_int(st, 5, tr.to_user_id);
    if (tr.to_department_id)
        st_int(st, 6, tr.to_department_id);
    st_text(st, 7, tr.reason);
    if (tr.due_at)
        st_int(st, 8, tr.due_at);
    if (actor->user_id)
        st_int(st, 9, actor->user_id);
    st_int(st, 10, now);
    if ((rc = st_exec(st)))
        return rc;
    tr.id = db_last_id(db);
    const char *detail = transfer_detail(&tr, arena);
    if ((rc = history_write(db, t.id, actor, "transferred", detail)) ||
        (rc = audit_write(db, actor, "ticket.transferred", "ticket", t.id, NULL, detail)) ||
        (rc = event_write(db, "ticket.transferred", "ticket", t.id, detail)))
        return rc;
    if (in->due_at && (rc = sla_feedback_set(db, t.id, now, in->due_at)))
        return rc;
    if ((rc = ticket_get_id(db, NULL, t.id, arena, ret_ticket)))
        return rc;
    /* the one who must act now hears of it: the new assignee, or the department's supervisor */
    int64_t told = in->cooperate ? 0 : tr.to_user_id;
    if (!told)
        told = assign_supervisor(db, tr.to_department_id);
    if (told && told != actor->user_id) {
        struct ticket_notice n = ticket_notice_of(ret_ticket, arena, tr.reason, actor->name);
        if (in->due_at)
            n.due_at = in->due_at;
        if ((rc = notify_ticket(db, told, "transferred", &n)))
            return rc;
    }
    *ret = tr;
    return 0;
}

int transfer_list(struct db *db, const struct actor *actor, const char *ref, struct arena *arena,
                  struct transfer **ret, size_t *ret_n)
{
    struct ticket t;
    int rc = ticket_get(db, actor, ref, arena, &t);
    if (rc)
        return rc;
    struct stmt *st = db_stmt(db, SQL_transfer_list);
    st_int(st, 1, t.id);
    size_t n = 0, cap = 8;
    struct transfer *v = arena_alloc(arena, cap * sizeof(*v));
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            struct transfer *w = arena_alloc(arena, 2 * cap * sizeof(*w));
            memcpy(w, v, n * sizeof(*w));
            v = w, cap *= 2;
        }
        struct transfer *x = &v[n++];
        x->id = col_int(st, 0);
        x->ticket_id = t.id;
        x->kind = arena_strdup(arena, col_text(st, 1));
        x->from_user_id = col_int(st, 2);
        x->from_user_name = arena_strdup(arena, col_text(st, 3));
        x->from_department_id = col_int(st, 4);
        x->from_department_name = arena_strdup(arena, col_text(st, 5));
        x->to_user_id = col_int(st, 6);
        x->to_user_name = arena_strdup(arena, col_text(st, 7));
        x->to_department_id = col_int(st, 8);
        x->to_department_name = arena_strdup(arena, col_text(st, 9));
        x->reason = arena_strdup(arena, col_text(st, 10));
        x->due_at = col_int(st, 11);
        x->actor_id = col_int(st, 12);
        x->actor_name = arena_strdup(arena, col_text(st, 13));
        x->at = col_int(st, 14);
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

int nudge_create(struct db *db, const struct actor *actor, const char *ref, const char *message,
                 struct arena *arena, struct nudge *ret, struct kf_error *e)
{
    if (!role_is_lead(actor->role))
        return kf_fail(e, KF_EFORBIDDEN, NULL, "only a supervisor or an admin nudges");
    int rc = text_check(message, "message", NUDGE_MESSAGE_MAX, 0, e);
    if (rc)
        return rc;
    struct ticket t;
    if ((rc = ticket_get(db, actor, ref, arena, &t)))
        return rc;
    if (!strcmp(t.status, "closed") || !strcmp(t.status, "resolved"))
        return kf_fail(e, KF_EINVAL, "status", "the ticket is done: nothing to nudge");
    int64_t to = t.assignee_id ? t.assignee_id : assign_supervisor(db, t.department_id);
    if (!to || to == actor->user_id)
        return kf_fail(e, KF_EINVAL, NULL, "nobody else has this ticket: assign it first");
    const char *to_name = name_of(db, SQL_user_active, 0, to, arena);
    struct strbuf sb = STRBUF_INIT(8192);
    struct jw w;
    jw_init(&w, &sb);
    jw_obj_begin(&w);
    jw_kint(&w, "to_user_id", to);
    jw_kstr(&w, "to", to_name);
    jw_kstr(&w, "message", message);
    jw_obj_end(&w);
    const char *detail = arena_strdup(arena, sb.buf);
    strbuf_release(&sb);
    struct ticket_notice n = ticket_notice_of(&t, arena, message, actor->name);
    if ((rc = history_write(db, t.id, actor, "nudged", detail)) ||
        (rc = audit_write(db, actor, "ticket.nudged", "ticket", t.id, NULL, detail)) ||
        (rc = event_write(db, "ticket.nudged", "ticket", t.id, detail)) ||
        (rc = notify_ticket(db, to, "nudge", &n)))
        return rc;
    *ret = (struct nudge){t.id, to, to_name, message, ktime_now()};
    return 0;
}
