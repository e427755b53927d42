/* ticket.c: tickets: registration and reading the record. */
#define _POSIX_C_SOURCE 200809L
#include "core/ticket.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/actor.h"
#include "core/assign.h"
#include "core/attachment.h"
#include "core/audit.h"
#include "core/enums.h"
#include "core/refdata.h"
#include "core/sla.h"
#include "core/store.h"
#include "core/survey.h"
#include "core/ticket_number.h"
#include "core/triage.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/text.h"
#include "store/db.h"

/* the columns of ticket_view, in order (its newest definition is in migration 017) */
enum ticket_col {
    TC_ID,
    TC_NUMBER,
    TC_VERSION,
    TC_CHANNEL,
    TC_TYPE,
    TC_CATEGORY,
    TC_SUBJECT,
    TC_DESCRIPTION,
    TC_URGENCY,
    TC_PRIORITY,
    TC_STATUS,
    TC_CUSTOMER_ID,
    TC_CUSTOMER_NAME,
    TC_PHONE,
    TC_EMAIL,
    TC_MEMBER_ID,
    TC_TIER,
    TC_CONTACT_NAME,
    TC_MOOD,
    TC_MOOD_NOTE,
    TC_ASSIGNEE_ID,
    TC_ASSIGNEE_NAME,
    TC_DEPARTMENT_ID,
    TC_DEPARTMENT_CODE,
    TC_DEPARTMENT_NAME,
    TC_RAISED_AT,
    TC_TAKEN_OVER_AT,
    TC_FIRST_RESPONSE_AT,
    TC_PROCESSING_STARTED_AT,
    TC_RESOLVED_AT,
    TC_CLOSED_AT,
    TC_ACCEPT_BY,
    TC_FIRST_RESPONSE_BY,
    TC_RESOLVE_BY,
    TC_RESULT,
    TC_MEASURES,
    TC_SATISFACTION,
    TC_REMARKS,
    TC_REVIEWER_ID,
    TC_REVIEWER_NAME,
    TC_REVIEWED_AT,
    TC_CREATED_BY,
    TC_CREATED_BY_NAME,
    TC_CREATED_AT,
    TC_UPDATED_AT,
    TC_PRIO_RANK,
    TC_CATEGORY_ID,
    TC_EXPECTED_AT,
    TC_LABELS,
    TC_SLA_POLICY_ID,
    TC_SLA_PAUSED,
    TC_SLA_BREACHED,
    TC_COOPERATING,
    TC_STORE_ID,
    TC_STORE_CODE,
    TC_STORE_NAME,
};

enum {
    NUMBER_RETRIES = 5, /* a changed format may meet an old number */
};

static const char *dup(struct arena *a, struct stmt *st, int c)
{
    return arena_strdup(a, col_text(st, c));
}

static void read_ticket(struct stmt *st, struct arena *a, struct ticket *t)
{
    t->id = col_int(st, TC_ID);
    t->number = dup(a, st, TC_NUMBER);
    t->version = col_int(st, TC_VERSION);
    t->channel = dup(a, st, TC_CHANNEL);
    t->type = dup(a, st, TC_TYPE);
    t->category = dup(a, st, TC_CATEGORY);
    t->subject = dup(a, st, TC_SUBJECT);
    t->description = dup(a, st, TC_DESCRIPTION);
    t->urgency = dup(a, st, TC_URGENCY);
    t->priority = dup(a, st, TC_PRIORITY);
    t->status = dup(a, st, TC_STATUS);
    t->customer.id = col_int(st, TC_CUSTOMER_ID);
    t->customer.name = dup(a, st, TC_CUSTOMER_NAME);
    t->customer.phone = dup(a, st, TC_PHONE);
    t->customer.email = dup(a, st, TC_EMAIL);
    t->customer.member_id = dup(a, st, TC_MEMBER_ID);
    t->customer.tier = dup(a, st, TC_TIER);
    t->customer.created_at = 0;
    t->customer.merged_into = 0; /* a ticket always names a live customer */
    t->contact_name = dup(a, st, TC_CONTACT_NAME);
    t->mood = dup(a, st, TC_MOOD);
    t->mood_note = dup(a, st, TC_MOOD_NOTE);
    t->assignee_id = col_int(st, TC_ASSIGNEE_ID);
    t->assignee_name = dup(a, st, TC_ASSIGNEE_NAME);
    t->department_id = col_int(st, TC_DEPARTMENT_ID);
    t->department_code = dup(a, st, TC_DEPARTMENT_CODE);
    t->department_name = dup(a, st, TC_DEPARTMENT_NAME);
    t->raised_at = col_int(st, TC_RAISED_AT);
    t->taken_over_at = col_int(st, TC_TAKEN_OVER_AT);
    t->first_response_at = col_int(st, TC_FIRST_RESPONSE_AT);
    t->processing_started_at = col_int(st, TC_PROCESSING_STARTED_AT);
    t->resolved_at = col_int(st, TC_RESOLVED_AT);
    t->closed_at = col_int(st, TC_CLOSED_AT);
    t->accept_by = col_int(st, TC_ACCEPT_BY);
    t->first_response_by = col_int(st, TC_FIRST_RESPONSE_BY);
    t->resolve_by = col_int(st, TC_RESOLVE_BY);
    t->expected_at = col_int(st, TC_EXPECTED_AT);
    t->labels = dup(a, st, TC_LABELS);
    t->sla_policy_id = col_int(st, TC_SLA_POLICY_ID);
    t->sla_paused = (int)col_int(st, TC_SLA_PAUSED);
    t->sla_breached = dup(a, st, TC_SLA_BREACHED);
    t->ncooperating = 0;
    /* ids only: the names are read after the row (read_cooperating) */
    const char *co = col_text(st, TC_COOPERATING);
    for (const char *p = co; p && *p && t->ncooperating < 8;) {
        t->cooperating[t->ncooperating++].id = strtoll(p, NULL, 10);
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    t->result = dup(a, st, TC_RESULT);
    t->measures = dup(a, st, TC_MEASURES);
    t->satisfaction = dup(a, st, TC_SATISFACTION);
    t->remarks = dup(a, st, TC_REMARKS);
    t->reviewer_id = col_int(st, TC_REVIEWER_ID);
    t->reviewer_name = dup(a, st, TC_REVIEWER_NAME);
    t->reviewed_at = col_int(st, TC_REVIEWED_AT);
    t->created_by = col_int(st, TC_CREATED_BY);
    t->created_by_name = dup(a, st, TC_CREATED_BY_NAME);
    t->created_at = col_int(st, TC_CREATED_AT);
    t->updated_at = col_int(st, TC_UPDATED_AT);
    t->store_id = col_int(st, TC_STORE_ID);
    t->store_code = dup(a, st, TC_STORE_CODE);
    t->store_name = dup(a, st, TC_STORE_NAME);
}

/* The codes and names of the cooperating departments whose ids read_ticket found. */
static int read_cooperating(struct db *db, struct arena *a, struct ticket *t)
{
    size_t kept = 0;
    for (size_t i = 0; i < t->ncooperating; i++) {
        struct stmt *st = db_stmt(db, SQL_department_ref);
        st_int(st, 1, t->cooperating[i].id);
        int rc = st_step(st);
        if (rc == 1) {
            t->cooperating[kept].id = t->cooperating[i].id;
            t->cooperating[kept].code = arena_strdup(a, col_text(st, 1));
            t->cooperating[kept++].name = arena_strdup(a, col_text(st, 2));
        }
        st_reset(st);
        if (rc < 0)
            return rc;
    }
    t->ncooperating = kept;
    return 0;
}

static int member_of(struct db *db, const struct actor *actor, int64_t dept)
{
    if (!dept)
        return 0;
    if (dept == actor->department_id)
        return 1;
    struct stmt *st = db_stmt(db, SQL_dept_member_check);
    st_int(st, 1, actor->user_id);
    st_int(st, 2, dept);
    int rc = st_step(st);
    st_reset(st);
    return rc == 1;
}

/* Specialists see the tickets of their departments (lead or cooperating) and their own;
 * everyone else sees all. */
static int may_see(struct db *db, const struct actor *actor, const struct ticket *t)
{
    if (!actor || actor->role != ROLE_SPECIALIST)
        return 1;
    if (t->assignee_id == actor->user_id || t->created_by == actor->user_id ||
        member_of(db, actor, t->department_id))
        return 1;
    for (size_t i = 0; i < t->ncooperating; i++)
        if (member_of(db, actor, t->cooperating[i].id))
            return 1;
    return 0;
}

int ticket_get_id(struct db *db, const struct actor *actor, int64_t id, struct arena *arena,
                  struct ticket *ret)
{
    struct stmt *st = db_stmt(db, SQL_ticket_by_id);
    st_int(st, 1, id);
    int rc = st_step(st);
    if (rc == 1)
        read_ticket(st, arena, ret);
    st_reset(st);
    if (rc == 1) {
        int crc = ret->ncooperating ? read_cooperating(db, arena, ret) : 0;
        if (!crc)
            crc = survey_ticket_facts(db, arena, ret);
        if (crc)
            rc = crc;
    }
    if (rc < 0)
        return rc;
    if (rc == 0 || !may_see(db, actor, ret))
        return KF_ENOTFOUND;
    return 0;
}

int ticket_get(struct db *db, const struct actor *actor, const char *ref, struct arena *arena,
               struct ticket *ret)
{
    char *end;
    long long id = strtoll(ref, &end, 10);
    if (*ref && !*end && id > 0)
        return ticket_get_id(db, actor, id, arena, ret);
    struct stmt *st = db_stmt(db, SQL_ticket_by_number);
    st_text(st, 1, ref);
    int rc = st_step(st);
    if (rc == 1)
        read_ticket(st, arena, ret);
    st_reset(st);
    if (rc == 1) {
        int crc = ret->ncooperating ? read_cooperating(db, arena, ret) : 0;
        if (!crc)
            crc = survey_ticket_facts(db, arena, ret);
        if (crc)
            rc = crc;
    }
    if (rc < 0)
        return rc;
    if (rc == 0 || !may_see(db, actor, ret))
        return KF_ENOTFOUND;
    return 0;
}

struct ticket_notice ticket_notice_of(const struct ticket *t, struct arena *arena,
                                      const char *reason, const char *by)
{
    int64_t due = t->accept_by && !t->taken_over_at ? t->accept_by : t->resolve_by;
    struct ticket_notice n = {.ticket_id = t->id,
                              .number = t->number,
                              .subject = t->subject,
                              .priority = t->priority,
                              .due_at = due,
                              .customer_name = t->customer.name,
                              .contact = t->customer.phone ? mask_phone(arena, t->customer.phone)
                                                           : mask_email(arena, t->customer.email),
                              .reason = reason,
                              .by = by};
    return n;
}

/* The system gave a new ticket to someone: the history says how, and they hear of it. */
static int auto_assigned(struct db *db, const struct ticket *t, const char *mode,
                         struct arena *arena)
{
    struct strbuf sb = STRBUF_INIT(4096);
    struct jw w;
    jw_init(&w, &sb);
    jw_obj_begin(&w);
    jw_knull(&w, "from");
    jw_kint(&w, "to", t->assignee_id);
    jw_kstr(&w, "to_name", t->assignee_name);
    jw_kstr(&w, "by", mode);
    jw_obj_end(&w);
    struct ticket_notice n = ticket_notice_of(t, arena, NULL, mode);
    int rc = history_write(db, t->id, NULL, "assigned", sb.buf);
    if (!rc)
        rc = event_write(db, "ticket.assigned", "ticket", t->id, sb.buf);
    if (!rc)
        rc = notify_ticket(db, t->assignee_id, "assigned", &n);
    strbuf_release(&sb);
    return rc;
}

static int check_channel(struct db *db, const char *code, struct kf_error *e)
{
    struct stmt *st = db_stmt(db, SQL_channel_enabled);
    st_text(st, 1, code);
    int rc = st_step(st);
    int enabled = rc == 1 && col_int(st, 0);
    st_reset(st);
    if (rc < 0)
        return rc;
    if (!enabled)
        return kf_fail(e, KF_EINVAL, "channel", "no such channel, or it is disabled");
    return 0;
}

int ticket_create(struct db *db, const struct actor *actor, struct ticket_input *in,
                  struct arena *arena, struct ticket *ret, struct kf_error *e)
{
    int rc;
    int64_t now = ktime_now(), category_id = 0;
    if (!in->channel)
        return kf_fail(e, KF_EINVAL, "channel", "channel is required");
    if (!in->type || !enum_has(ticket_types, in->type))
        return kf_fail(e, KF_EINVAL, "type",
                       "type must be inquiry, problem, fault, complaint, suggestion or special");
    if (!in->urgency)
        in->urgency = "medium";
    if (!enum_has(urgencies, in->urgency))
        return kf_fail(e, KF_EINVAL, "urgency", "urgency must be high, medium or low");
    if ((rc = text_check(in->subject, "subject", SUBJECT_MAX, 1, e)) ||
        (rc = text_check(in->description, "description", DESCRIPTION_MAX, 0, e)) ||
        (rc = text_check(in->contact_name, "contact_name", 100, 0, e)) ||
        (rc = text_check(in->mood_note, "mood_note", SHORT_TEXT_MAX, 0, e)))
        return rc;
    if (in->mood && !enum_has(moods, in->mood))
        return kf_fail(e, KF_EINVAL, "mood",
                       "mood must be calm, anxious, angry, confused or grateful");
    if (!in->raised_at)
        in->raised_at = now;
    if (in->raised_at > now + 60 * 1000)
        return kf_fail(e, KF_EINVAL, "raised_at", "raised_at may not lie in the future");
    if (in->raised_at < TICKET_TIME_MIN)
        return kf_fail(e, KF_EINVAL, "raised_at", "raised_at must lie after the year 2000");
    if (in->expected_at && in->expected_at < TICKET_TIME_MIN)
        return kf_fail(e, KF_EINVAL, "expected_at", "expected_at must lie after the year 2000");
    if (!in->customer_id && !in->has_customer)
        return kf_fail(e, KF_EINVAL, "customer", "customer or customer_id is required");
    if ((rc = check_channel(db, in->channel, e)) ||
        (rc = store_check_for_ticket(db, in->channel, in->store_id, 1, e)))
        return rc;
    int64_t category_dept = 0;
    if (in->category &&
        (rc = category_resolve(db, in->category, in->type, &category_id, &category_dept, e)))
        return rc;
    struct customer cust;
    if (in->customer_id) {
        rc = customer_get(db, in->customer_id, arena, &cust);
        if (rc == KF_ENOTFOUND)
            return kf_fail(e, KF_EINVAL, "customer_id", "no such customer");
    } else {
        if (!(rc = customer_normalize(&in->customer, "customer.", arena, e)))
            rc = customer_find_or_create(db, actor, &in->customer, arena, &cust, e);
    }
    if (rc)
        return rc;

    struct triage_facts facts = {in->type,    in->category, in->urgency,     cust.tier,
                                 in->channel, in->subject,  in->description, category_dept};
    struct triage_result tr;
    if ((rc = triage_run(db, &facts, arena, &tr)))
        return rc;
    const char *priority = tr.priority;
    int64_t assignee = 0;
    const char *assignee_name, *mode;
    if ((rc = assign_pick(db, tr.department_id, now, arena, &assignee, &assignee_name, &mode)))
        return rc;
    struct sla_plan sla; /* the row carries its policy and due times from the start */
    if ((rc = sla_plan_clocks(db, priority, in->type, in->raised_at, &sla)))
        return rc;
    char number[96];
    int64_t id = 0;
    for (int attempt = 0; attempt < NUMBER_RETRIES; attempt++) {
        if ((rc = ticket_number_next(db, in->channel, now, arena, number, sizeof(number))))
            return rc;
        struct stmt *st = db_stmt(db, SQL_ticket_insert);
        st_text(st, 1, number);
        st_text(st, 2, in->channel);
        st_text(st, 3, in->type);
        if (category_id)
            st_int(st, 4, category_id);
        st_text(st, 5, in->subject);
        st_text(st, 6, in->description ? in->description : "");
        st_text(st, 7, in->urgency);
        st_text(st, 8, priority);
        st_int(st, 9, priority_rank(priority));
        st_int(st, 10, cust.id);
        st_text(st, 11, in->contact_name);
        st_text(st, 12, in->mood);
        st_text(st, 13, in->mood_note);
        st_int(st, 14, in->raised_at);
        if (actor->user_id)
            st_int(st, 15, actor->user_id);
        st_int(st, 16, now);
        if (in->expected_at)
            st_int(st, 17, in->expected_at);
        if (tr.department_id)
            st_int(st, 18, tr.department_id);
        st_text(st, 19, labels_join(arena, tr.labels, tr.nlabels));
        if (assignee)
            st_int(st, 20, assignee);
        if (sla.policy_id)
            st_int(st, 21, sla.policy_id);
        for (int t = 0; t < SLA_POLICY_CLOCKS; t++)
            if (sla.due[t])
                st_int(st, 22 + t, sla.due[t]);
        if (in->store_id)
            st_int(st, 25, in->store_id);
        rc = st_exec(st);
        if (rc != KF_ECONFLICT)
            break;
    }
    if (rc)
        return rc;
    id = db_last_id(db);
    if ((rc = attachments_link(db, actor, id, 0, in->attachments, in->nattachments, e)))
        return rc;

    struct strbuf sb = STRBUF_INIT(256 * 1024);
    struct jw w;
    jw_init(&w, &sb);
    jw_obj_begin(&w);
    jw_kstr(&w, "number", number);
    jw_kstr(&w, "channel", in->channel);
    jw_kstr(&w, "type", in->type);
    jw_kstr(&w, "category", in->category);
    jw_kstr(&w, "urgency", in->urgency);
    jw_kstr(&w, "priority", priority);
    jw_kstr(&w, "subject", in->subject);
    jw_kint(&w, "customer_id", cust.id);
    if (tr.department_id)
        jw_kint(&w, "department_id", tr.department_id);
    if (in->store_id)
        jw_kint(&w, "store_id", in->store_id);
    jw_obj_end(&w);
    if (!(rc = history_write(db, id, actor, "created", sb.buf)) &&
        !(rc = triage_record(db, id, &tr)) && !(rc = sla_plan_start(db, id, &sla)) &&
        !(rc = audit_write(db, actor, "ticket.created", "ticket", id, NULL, sb.buf)))
        rc = event_write(db, "ticket.created", "ticket", id, sb.buf);
    strbuf_release(&sb);
    if (rc || (rc = ticket_get_id(db, NULL, id, arena, ret)))
        return rc;
    return assignee ? auto_assigned(db, ret, mode, arena) : 0;
}
