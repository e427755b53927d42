/* ticket.h: tickets: registration, the record, changes and the pending pool.
 * Numbers are in ticket_number.h, status rules in ticket_status.h, the conversation and
 * attachments in message.h. */
#ifndef KEFU_TICKET_H
#define KEFU_TICKET_H

#include <stddef.h>
#include <stdint.h>

#include "core/customer.h"
#include "core/notify.h"

struct db;
struct arena;
struct actor;
struct kf_error;

enum {
    TICKET_MAX_ATTACHMENTS = 20,
    SUBJECT_MAX = 200,       /* characters */
    DESCRIPTION_MAX = 20000, /* characters */
    SHORT_TEXT_MAX = 2000,   /* measures, remarks, mood notes */
};

/* No time a user gives lies before 2000-01-01 (UTC ms): anything earlier is a typing error. */
#define TICKET_TIME_MIN INT64_C(946684800000)

/* Times are UTC ms, 0 when not set; ids 0 when none. */
struct ticket {
    int64_t id, version;
    const char *number, *channel, *type, *category, *subject, *description;
    const char *urgency, *priority, *status;
    struct customer customer;
    const char *contact_name, *mood, *mood_note;
    int64_t assignee_id;
    const char *assignee_name;
    int64_t department_id;
    const char *department_code, *department_name;
    int64_t raised_at, taken_over_at, first_response_at, processing_started_at, resolved_at,
        closed_at;
    int64_t accept_by, first_response_by, resolve_by;
    int64_t expected_at; /* 预计完成时间, as promised by the owner */
    const char *result, *measures, *satisfaction, *remarks;
    int64_t reviewer_id;
    const char *reviewer_name;
    int64_t reviewed_at;
    int64_t created_by;
    const char *created_by_name;
    int64_t created_at, updated_at;
    const char *labels;       /* one per line (triage.h: labels_split) */
    int64_t sla_policy_id;    /* 0: no policy applies */
    int sla_paused;           /* the resolve clock waits for the customer */
    const char *sla_breached; /* the targets missed, one per line */
    struct ticket_dept {
        int64_t id;
        const char *code, *name;
    } cooperating[8]; /* departments that work on it beside the lead (协办) */
    size_t ncooperating;
    struct ticket_survey { /* the newest answer to a satisfaction survey (survey.h) */
        int answered;
        const char *rating, *comment;
        int score;
        int64_t answered_at;
    } survey;
    struct ticket_second_handling { /* the newest round of second handling, round 0: none */
        int round;
        int64_t started_at, due_at, ended_at;
    } second_handling;
    int64_t store_id; /* the store a walk-in came to (core/store.h), 0: none */
    const char *store_code, *store_name;
};

struct ticket_input {
    const char *channel, *type, *category, *subject, *description, *urgency;
    const char *contact_name, *mood, *mood_note;
    int64_t raised_at;   /* 0: now */
    int64_t expected_at; /* 0: not promised */
    int64_t customer_id; /* or: */
    struct customer_input customer;
    int64_t store_id; /* 0: none; only with channel STORE */
    int has_customer;
    int64_t attachments[TICKET_MAX_ATTACHMENTS];
    int nattachments;
};

/* Registers a ticket: finds or creates the customer, allocates the number, applies the
 * priority, writes history, audit and event rows. ret is read back in full. */
int ticket_create(struct db *db, const struct actor *actor, struct ticket_input *in,
                  struct arena *arena, struct ticket *ret, struct kf_error *e);

/* What a notice about t says (ticket_notice in notify.h): its summary, the nearest deadline, the
 * customer with the contact masked, and reason and by as given (may be NULL). */
struct ticket_notice ticket_notice_of(const struct ticket *t, struct arena *arena,
                                      const char *reason, const char *by);

/* ref is a numeric id or a ticket number. KF_ENOTFOUND also when the actor may not see it. */
int ticket_get(struct db *db, const struct actor *actor, const char *ref, struct arena *arena,
               struct ticket *ret);
int ticket_get_id(struct db *db, const struct actor *actor, int64_t id, struct arena *arena,
                  struct ticket *ret);

enum ticket_field {
    TF_TYPE = 1 << 0,
    TF_CATEGORY = 1 << 1,
    TF_URGENCY = 1 << 2,
    TF_SUBJECT = 1 << 3,
    TF_DESCRIPTION = 1 << 4,
    TF_STATUS = 1 << 5,
    TF_ASSIGNEE = 1 << 6,
    TF_DEPARTMENT = 1 << 7,
    TF_CONTACT_NAME = 1 << 8,
    TF_RESULT = 1 << 9,
    TF_MEASURES = 1 << 10,
    TF_REMARKS = 1 << 11,
    TF_MOOD = 1 << 12,
    TF_MOOD_NOTE = 1 << 13,
    TF_EXPECTED = 1 << 14,
    TF_STORE = 1 << 15,
};

/* A change: `set` says which fields are given; a given NULL string or 0 id clears. */
struct ticket_patch {
    unsigned set;
    const char *type, *category, *urgency, *subject, *description, *status, *contact_name;
    const char *result, *measures, *remarks, *mood, *mood_note;
    int64_t assignee_id, department_id, expected_at, store_id;
    int64_t if_version; /* 0: no check */
};

/* Applies a change as one step: permission, status rules, time nodes, history per kind of
 * change, audit and event. KF_ECONFLICT when if_version is stale; KF_EINVAL naming the field. */
int ticket_update(struct db *db, const struct actor *actor, const char *ref,
                  const struct ticket_patch *p, struct arena *arena, struct ticket *ret,
                  struct kf_error *e);

/* Signs off a resolved or closed record (审核): the actor, a supervisor or an admin, becomes
 * its reviewer. KF_EFORBIDDEN for other roles, KF_EINVAL before resolution, KF_ECONFLICT when
 * it was reviewed already or if_version is stale. */
int ticket_review(struct db *db, const struct actor *actor, const char *ref, int64_t if_version,
                  struct arena *arena, struct ticket *ret, struct kf_error *e);

struct ticket_query {
    const char *status, *type, *channel, *priority, *urgency; /* comma-separated lists */
    int64_t assignee_id;                                      /* -1: unassigned */
    int64_t department_id, customer_id, store_id;
    int64_t created_from, created_to, raised_from;
    const char *category; /* a category's code */
    const char *q;
    int sort; /* 0: queue order, 1: created ascending, -1: created descending */
    int limit;
    const char *cursor;
};

/* Lists tickets the actor may see (ticket_pool.c). *ret_cursor (arena) is NULL on the last page. */
int ticket_list(struct db *db, const struct actor *actor, const struct ticket_query *q,
                struct arena *arena, struct ticket **ret, size_t *ret_n, const char **ret_cursor,
                struct kf_error *e);

#endif
