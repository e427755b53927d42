/* ticket_update.c: changing a ticket: the change, its rules, its history; the review. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/audit.h"
#include "core/dept.h"
#include "core/enums.h"
#include "core/refdata.h"
#include "core/sla.h"
#include "core/store.h"
#include "core/survey.h"
#include "core/ticket.h"
#include "core/ticket_status.h"
#include "core/triage.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "lib/text.h"
#include "store/db.h"

struct change_log {
    struct strbuf reclass, other, before, after;
    struct jw wr, wo, wb, wa;
    int nreclass, nother;
};

static void log_init(struct change_log *l)
{
    strbuf_init(&l->reclass, 256 * 1024);
    strbuf_init(&l->other, 256 * 1024);
    strbuf_init(&l->before, 256 * 1024);
    strbuf_init(&l->after, 256 * 1024);
    jw_init(&l->wr, &l->reclass);
    jw_init(&l->wo, &l->other);
    jw_init(&l->wb, &l->before);
    jw_init(&l->wa, &l->after);
    jw_obj_begin(&l->wr);
    jw_key(&l->wr, "changes");
    jw_obj_begin(&l->wr);
    jw_obj_begin(&l->wo);
    jw_key(&l->wo, "changes");
    jw_obj_begin(&l->wo);
    jw_obj_begin(&l->wb);
    jw_obj_begin(&l->wa);
    l->nreclass = l->nother = 0;
}

static void log_release(struct change_log *l)
{
    strbuf_release(&l->reclass);
    strbuf_release(&l->other);
    strbuf_release(&l->before);
    strbuf_release(&l->after);
}

static int same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Notes a changed text field in the history (reclassification or other) and the audit. */
static void log_text(struct change_log *l, int reclass, const char *field, const char *from,
                     const char *to)
{
    struct jw *w = reclass ? &l->wr : &l->wo;
    jw_key(w, field);
    jw_obj_begin(w);
    jw_kstr(w, "from", from);
    jw_kstr(w, "to", to);
    jw_obj_end(w);
    jw_kstr(&l->wb, field, from);
    jw_kstr(&l->wa, field, to);
    if (reclass)
        l->nreclass++;
    else
        l->nother++;
}

static void log_id(struct change_log *l, const char *field, int64_t from, int64_t to)
{
    jw_key(&l->wb, field);
    from ? jw_int(&l->wb, from) : jw_null(&l->wb);
    jw_key(&l->wa, field);
    to ? jw_int(&l->wa, to) : jw_null(&l->wa);
}

/* Notes a changed id field (0: none) in the history's other changes and the audit. */
static void log_id_change(struct change_log *l, const char *field, int64_t from, int64_t to)
{
    log_id(l, field, from, to);
    struct jw *w = &l->wo;
    jw_key(w, field);
    jw_obj_begin(w);
    jw_key(w, "from");
    from ? jw_int(w, from) : jw_null(w);
    jw_key(w, "to");
    to ? jw_int(w, to) : jw_null(w);
    jw_obj_end(w);
    l->nother++;
}

/* A time as RFC 3339 in the arena, NULL for none: how history shows changed times. */
static const char *time_text(struct arena *arena, int64_t ms)
{
    if (!ms)
        return NULL;
    char *buf = arena_alloc(arena, KTIME_RFC3339_LEN);
    ktime_format(ms, buf);
    return buf;
}

static const char *user_name(struct db *db, int64_t id, struct arena *arena)
{
    struct stmt *st = db_stmt(db, SQL_user_active);
    st_int(st, 1, id);
    int rc = st_step(st);
    const char *name = rc == 1 ? arena_strdup(arena, col_text(st, 0)) : NULL;
    st_reset(st);
    return name;
}

static int check_patch_values(const struct ticket_patch *p, struct kf_error *e)
{
    int rc;
    unsigned s = p->set;
    if ((s & TF_TYPE) && !enum_has(ticket_types, p->type))
        return kf_fail(e, KF_EINVAL, "type",
                       "type must be inquiry, problem, fault, complaint, suggestion or special");
    if ((s & TF_URGENCY) && !enum_has(urgencies, p->urgency))
        return kf_fail(e, KF_EINVAL, "urgency", "urgency must be high, medium or low");
    if ((s & TF_STATUS) && !enum_has(statuses, p->status))
        return kf_fail(e, KF_EINVAL, "status", "unknown status");
    if ((s & TF_RESULT) && p->result && !enum_has(results, p->result))
        return kf_fail(e, KF_EINVAL, "result",
                       "result must be fixed, solution_provided, withdrawn, unresolvable or "
                       "other");
    if ((s & TF_MOOD) && p->mood && !enum_has(moods, p->mood))
        return kf_fail(e, KF_EINVAL, "mood",
                       "mood must be calm, anxious, angry, confused or grateful");
    if (((s & TF_SUBJECT) && (rc = text_check(p->subject, "subject", SUBJECT_MAX, 1, e))) ||
        ((s & TF_DESCRIPTION) &&
         (rc = text_check(p->description, "description", DESCRIPTION_MAX, 0, e))) ||
        ((s & TF_CONTACT_NAME) && (rc = text_check(p->contact_name, "contact_name", 100, 0, e))) ||
        ((s & TF_MEASURES) && (rc = text_check(p->measures, "measures", SHORT_TEXT_MAX, 0, e))) ||
        ((s & TF_REMARKS) && (rc = text_check(p->remarks, "remarks", SHORT_TEXT_MAX, 0, e))) ||
        ((s & TF_MOOD_NOTE) && (rc = text_check(p->mood_note, "mood_note", SHORT_TEXT_MAX, 0, e))))
        return rc;
    return 0;
}

/* What the SLA clocks look at of t. */
static struct sla_state sla_state_of(const struct ticket *t)
{
    return (struct sla_state){t->id,     t->sla_policy_id, t->first_response_at,
                              t->status, t->priority,      t->type};
}

int ticket_update(struct db *db, const struct actor *actor, const char *ref,
                  const struct ticket_patch *p, struct arena *arena, struct ticket *ret,
                  struct kf_error *e)
{
    struct ticket cur;
    int rc = ticket_get(db, actor, ref, arena, &cur);
    if (rc)
        return rc;
    if (p->if_version && p->if_version != cur.version)
        return kf_fail(e, KF_ECONFLICT, NULL,
                       "someone else changed this ticket; reload it and try again");
    if (!ticket_may_change(actor, &cur))
        return kf_fail(e, KF_EFORBIDDEN, NULL,
                       "this ticket belongs to someone else; ask a supervisor to re-assign it");
    if ((rc = check_patch_values(p, e)))
        return rc;

    struct ticket t = cur;
    int64_t now = ktime_now(), category_id = 0;
    unsigned s = p->set;
    if (s & TF_TYPE)
        t.type = p->type;
    if (s & TF_URGENCY)
        t.urgency = p->urgency;
    if (s & TF_SUBJECT)
        t.subject = p->subject;
    if (s & TF_DESCRIPTION)
        t.description = p->description ? p->description : "";
    if (s & TF_CONTACT_NAME)
        t.contact_name = p->contact_name;
    if (s & TF_RESULT)
        t.result = p->result;
    if (s & TF_MEASURES)
        t.measures = p->measures;
    if (s & TF_REMARKS)
        t.remarks = p->remarks;
    if (s & TF_MOOD)
        t.mood = p->mood;
    if (s & TF_MOOD_NOTE)
        t.mood_note = p->mood_note;
    if (s & TF_EXPECTED)
        t.expected_at = p->expected_at;
    if ((s & TF_STORE) && p->store_id != cur.store_id) {
        if ((rc = store_check_for_ticket(db, t.channel, p->store_id, 1, e)))
            return rc;
        t.store_id = p->store_id;
    }

    /* the category follows the type: a category of another type is dropped */
    if (s & TF_CATEGORY)
        t.category = p->category;
    int64_t category_dept = 0;
    if (t.category) {
        rc = category_resolve(db, t.category, t.type, &category_id, &category_dept, e);
        if (rc == KF_EINVAL && !(s & TF_CATEGORY))
            t.category = NULL, category_id = 0, rc = 0;
        if (rc)
            return rc;
    }
    /* re-classification runs the rules again: the priority is theirs (or the urgency); the
     * department changes when a rule names one or the category changed, unless this change
     * names one itself; labels are only ever added */
    struct triage_result tr = {0};
    int reclassified =
        !same(cur.type, t.type) || !same(cur.category, t.category) || !same(cur.urgency, t.urgency);
    if (reclassified) {
        struct triage_facts f = {t.type,    t.category, t.urgency,     cur.customer.tier,
                                 t.channel, t.subject,  t.description, category_dept};
        if ((rc = triage_run(db, &f, arena, &tr)))
            return rc;
        t.priority = tr.priority;
        if (!(s & TF_DEPARTMENT) &&
            (tr.department_by_rule || (!same(cur.category, t.category) && tr.department_id)))
            t.department_id = tr.department_id;
        if (tr.nlabels) {
            const char *labels[TICKET_LABELS_MAX];
            size_t n = labels_split(arena, cur.labels, labels, TICKET_LABELS_MAX);
            for (size_t i = 0; i < tr.nlabels; i++) {
                size_t j = 0;
                while (j < n && strcmp(labels[j], tr.labels[i]))
                    j++;
                if (j == n && n < TICKET_LABELS_MAX)
                    labels[n++] = tr.labels[i];
            }
            t.labels = labels_join(arena, labels, n);
        }
    }

    if (s & TF_ASSIGNEE) {
        if (p->assignee_id && p->assignee_id != actor->user_id && !role_is_lead(actor->role))
            return kf_fail(e, KF_EFORBIDDEN, "assignee_id",
                           "only a supervisor or an admin may assign a ticket to someone else");
        if (p->assignee_id && !(t.assignee_name = user_name(db, p->assignee_id, arena)))
            return kf_fail(e, KF_EINVAL, "assignee_id", "no such active user");
        t.assignee_id = p->assignee_id;
        if (!t.assignee_id)
            t.assignee_name = NULL;
    }
    if (s & TF_DEPARTMENT) {
        if (p->department_id) {
            struct department d;
            rc = dept_get(db, p->department_id, arena, &d);
            if (rc == KF_ENOTFOUND)
                return kf_fail(e, KF_EINVAL, "department_id", "no such department");
            if (rc)
                return rc;
        }
        t.department_id = p->department_id;
    }
    if ((s & TF_STATUS) && strcmp(p->status, cur.status) != 0) {
        if ((rc = ticket_move_check(actor, cur.status, p->status, e)))
            return rc;
        t.status = p->status;
        if (!strcmp(cur.status, "new")) {
            t.taken_over_at = now;
            if (!t.assignee_id) /* taking a ticket over makes it yours */
                t.assignee_id = actor->user_id, t.assignee_name = actor->name;
        }
        if (!strcmp(t.status, "in_progress") && !t.processing_started_at)
            t.processing_started_at = now;
        if (!strcmp(t.status, "resolved")) {
            if (!t.result)
                return kf_fail(e, KF_EINVAL, "result", "say how the ticket was resolved");
            t.resolved_at = now;
        }
        if (!strcmp(t.status, "closed"))
            t.closed_at = now;
        if (!strcmp(t.status, "in_progress") &&
            (!strcmp(cur.status, "resolved") || !strcmp(cur.status, "closed")))
            t.resolved_at = t.closed_at = 0; /* reopened */
    }

    struct change_log l;
    log_init(&l);
    if (!same(cur.type, t.type))
        log_text(&l, 1, "type", cur.type, t.type);
    if (!same(cur.category, t.category))
        log_text(&l, 1, "category", cur.category, t.category);
    if (!same(cur.urgency, t.urgency))
        log_text(&l, 1, "urgency", cur.urgency, t.urgency);
    if (!same(cur.priority, t.priority))
        log_text(&l, 1, "priority", cur.priority, t.priority);
    if (!same(cur.subject, t.subject))
        log_text(&l, 0, "subject", cur.subject, t.subject);
    if (!same(cur.description, t.description))
        log_text(&l, 0, "description", cur.description, t.description);
    if (!same(cur.contact_name, t.contact_name))
        log_text(&l, 0, "contact_name", cur.contact_name, t.contact_name);
    if (!same(cur.result, t.result))
        log_text(&l, 0, "result", cur.result, t.result);
    if (!same(cur.measures, t.measures))
        log_text(&l, 0, "measures", cur.measures, t.measures);
    if (!same(cur.remarks, t.remarks))
        log_text(&l, 0, "remarks", cur.remarks, t.remarks);
    if (!same(cur.mood, t.mood))
        log_text(&l, 0, "mood", cur.mood, t.mood);
    if (!same(cur.mood_note, t.mood_note))
        log_text(&l, 0, "mood_note", cur.mood_note, t.mood_note);
    if (cur.expected_at != t.expected_at)
        log_text(&l, 0, "expected_at", time_text(arena, cur.expected_at),
                 time_text(arena, t.expected_at));
    if (cur.store_id != t.store_id)
        log_id_change(&l, "store_id", cur.store_id, t.store_id);
    int status_changed = !same(cur.status, t.status);
    int assignee_changed = cur.assignee_id != t.assignee_id;
    int dept_changed = cur.department_id != t.department_id;
    if (status_changed)
        jw_kstr(&l.wb, "status", cur.status), jw_kstr(&l.wa, "status", t.status);
    if (assignee_changed)
        log_id(&l, "assignee_id", cur.assignee_id, t.assignee_id);
    if (dept_changed)
        log_id_change(&l, "department_id", cur.department_id, t.department_id);
    if (!l.nreclass && !l.nother && !status_changed && !assignee_changed) {
        log_release(&l);
        *ret = cur;
        return 0; /* nothing changes: no new version */
    }

    struct stmt *st = db_stmt(db, SQL_ticket_update);
    st_int(st, 1, t.id);
    st_text(st, 2, t.type);
    if (category_id)
        st_int(st, 3, category_id);
    st_text(st, 4, t.urgency);
    st_text(st, 5, t.priority);
    st_int(st, 6, priority_rank(t.priority));
    st_text(st, 7, t.subject);
    st_text(st, 8, t.description);
    st_text(st, 9, t.status);
    if (t.assignee_id)
        st_int(st, 10, t.assignee_id);
    if (t.department_id)
        st_int(st, 11, t.department_id);
    st_text(st, 12, t.contact_name);
    st_text(st, 13, t.result);
    st_text(st, 14, t.measures);
    st_text(st, 15, t.remarks);
    st_text(st, 16, t.mood);
    st_text(st, 17, t.mood_note);
    int64_t times[] = {t.taken_over_at, t.processing_started_at, t.resolved_at, t.closed_at};
    for (int i = 0; i < 4; i++)
        if (times[i])
            st_int(st, 18 + i, times[i]);
    st_int(st, 22, now);
    st_int(st, 23, cur.version);
    if (t.expected_at)
        st_int(st, 24, t.expected_at);
    st_text(st, 25, t.labels ? t.labels : "");
    if (t.store_id)
        st_int(st, 26, t.store_id);
    rc = st_exec(st);
    if (!rc && db_changes(db) != 1)
        rc = kf_fail(e, KF_ECONFLICT, NULL,
                     "someone else changed this ticket; reload it and try again");

    char detail[512];
    if (!rc && status_changed) {
        snprintf(detail, sizeof(detail), "{\"from\":\"%s\",\"to\":\"%s\"}", cur.status, t.status);
        rc = history_write(db, t.id, actor, "status_changed", detail);
        if (!rc)
            rc = event_write(db, "ticket.status_changed", "ticket", t.id, detail);
    }
    if (!rc && assignee_changed) {
        struct strbuf sb = STRBUF_INIT(4096);
        struct jw w;
        jw_init(&w, &sb);
        jw_obj_begin(&w);
        jw_key(&w, "from");
        cur.assignee_id ? jw_int(&w, cur.assignee_id) : jw_null(&w);
        jw_key(&w, "to");
        t.assignee_id ? jw_int(&w, t.assignee_id) : jw_null(&w);
        jw_kstr(&w, "from_name", cur.assignee_name);
        jw_kstr(&w, "to_name", t.assignee_name);
        jw_obj_end(&w);
        rc = history_write(db, t.id, actor, "assigned", sb.buf);
        if (!rc)
            rc = event_write(db, "ticket.assigned", "ticket", t.id, sb.buf);
        strbuf_release(&sb);
    }
    jw_obj_end(&l.wr), jw_obj_end(&l.wr);
    jw_obj_end(&l.wo), jw_obj_end(&l.wo);
    jw_obj_end(&l.wb);
    jw_obj_end(&l.wa);
    if (!rc && l.nreclass)
        rc = history_write(db, t.id, actor, "reclassified", l.reclass.buf);
    if (!rc && l.nother)
        rc = history_write(db, t.id, actor, "updated", l.other.buf);
    if (!rc && reclassified)
        rc = triage_record(db, t.id, &tr);
    if (!rc)
        rc = audit_write(db, actor, "ticket.updated", "ticket", t.id, l.before.buf, l.after.buf);
    if (!rc)
        rc = event_write(db, "ticket.updated", "ticket", t.id, l.after.buf);
    log_release(&l);
    struct sla_state before = sla_state_of(&cur), after = sla_state_of(&t);
    if (!rc)
        rc = sla_ticket_changed(db, &before, &after);
    if (!rc && status_changed)
        rc = survey_ticket_changed(db, t.id, cur.status, t.status);
    if (rc || (rc = ticket_get_id(db, NULL, t.id, arena, ret)))
        return rc;
    if (assignee_changed && ret->assignee_id && ret->assignee_id != actor->user_id) {
        struct ticket_notice n = ticket_notice_of(ret, arena, NULL, actor->name);
        rc = notify_ticket(db, ret->assignee_id, "assigned", &n);
    }
    return rc;
}

int ticket_review(struct db *db, const struct actor *actor, const char *ref, int64_t if_version,
                  struct arena *arena, struct ticket *ret, struct kf_error *e)
{
    struct ticket t;
    int rc = ticket_get(db, actor, ref, arena, &t);
    if (rc)
        return rc;
    if (!role_is_lead(actor->role))
        return kf_fail(e, KF_EFORBIDDEN, NULL, "only a supervisor or an admin reviews records");
    if (if_version && if_version != t.version)
        return kf_fail(e, KF_ECONFLICT, NULL,
                       "someone else changed this ticket; reload it and try again");
    if (strcmp(t.status, "resolved") && strcmp(t.status, "closed"))
        return kf_fail(e, KF_EINVAL, "status", "only a resolved or closed record is reviewed");
    if (t.reviewer_id)
        return kf_fail(e, KF_ECONFLICT, NULL, "this record was reviewed already");
    int64_t now = ktime_now();
    struct stmt *st = db_stmt(db, SQL_ticket_review);
    st_int(st, 1, t.id);
    st_int(st, 2, actor->user_id);
    st_int(st, 3, now);
    st_int(st, 4, t.version);
    if ((rc = st_exec(st)))
        return rc;
    if (db_changes(db) != 1)
        return kf_fail(e, KF_ECONFLICT, NULL,
                       "someone else changed this ticket; reload it and try again");
    char detail[64];
    snprintf(detail, sizeof(detail), "{\"reviewer_id\":%lld}", (long long)actor->user_id);
    if ((rc = history_write(db, t.id, actor, "reviewed", detail)) ||
        (rc = audit_write(db, actor, "ticket.reviewed", "ticket", t.id, NULL, detail)) ||
        (rc = event_write(db, "ticket.reviewed", "ticket", t.id, detail)))
        return rc;
    return ticket_get_id(db, NULL, t.id, arena, ret);
}
