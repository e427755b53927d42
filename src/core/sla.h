/* sla.h: service levels (时效): SLA policies and the clocks of each ticket.
 *
 * A ticket's policy is the most specific one for its priority and type (priority + type, then
 * priority alone). It gives up to three clocks: accept (met when the ticket leaves `new`), first
 * response (met at the first public reply) and resolve (met at `resolved`; paused while the
 * ticket waits for the customer, running again when it is reopened). Clocks start at raised_at and
 * count working time on the policy's calendar, or around the clock without one. Each clock is a
 * deadline row; the scheduler's sweep warns the assignee at warn_percent, escalates an
 * unaccepted ticket to the department's supervisor, and marks a missed response or resolution
 * as breached with a notice to the supervisor: each once, in the ticket's history. */
#ifndef KEFU_SLA_H
#define KEFU_SLA_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct actor;
struct kf_error;

/* The policy's three clocks come first; then the feedback a transfer asks for, and second
 * handling (二次处理), which count around the clock from a due time of their own. */
enum sla_target {
    SLA_ACCEPT,
    SLA_FIRST_RESPONSE,
    SLA_RESOLVE,
    SLA_FEEDBACK,
    SLA_SECOND_HANDLING,
    SLA__COUNT,
    SLA_POLICY_CLOCKS = SLA_FEEDBACK,
};

/* "accept", "first_response", "resolve", "feedback", "second_handling" */
const char *sla_target_name(enum sla_target t);

enum { SLA_MINUTES_MAX = 366 * 24 * 60, SLA_NAME_MAX = 100 };

struct sla_policy {
    int64_t id;
    const char *name, *priority, *type; /* type NULL: any type */
    int64_t minutes[SLA_POLICY_CLOCKS]; /* 0: no such clock */
    int64_t calendar_id;                /* 0: around the clock */
    int warn_percent;
    int64_t created_at, updated_at;
};

enum sla_policy_set {
    SP_NAME = 1 << 0,
    SP_PRIORITY = 1 << 1,
    SP_TYPE = 1 << 2,
    SP_ACCEPT = 1 << 3,
    SP_FIRST_RESPONSE = 1 << 4,
    SP_RESOLVE = 1 << 5,
    SP_CALENDAR = 1 << 6,
    SP_WARN = 1 << 7,
};

/* Creates a policy (admin). KF_ECONFLICT when one for the same priority and type exists;
 * KF_EINVAL naming the field; KF_EFORBIDDEN. Tickets created from now on use it. */
int sla_policy_create(struct db *db, const struct actor *actor, const struct sla_policy *in,
                      struct arena *arena, struct sla_policy *ret, struct kf_error *e);
/* Changes what `set` names; open tickets keep the clocks they have until re-classified. */
int sla_policy_update(struct db *db, const struct actor *actor, int64_t id, unsigned set,
                      const struct sla_policy *in, struct arena *arena, struct sla_policy *ret,
                      struct kf_error *e);
/* Removes a policy (admin); KF_ENOTFOUND, KF_EFORBIDDEN. Tickets that had it keep the deadlines
 * they have (due times, warnings, breaches) and lose only the link (sla.policy_id null): a clock
 * that runs again later counts around the clock, warning at 80 %, until re-classification brings
 * a policy. New tickets get the next most specific policy. */
int sla_policy_delete(struct db *db, const struct actor *actor, int64_t id, struct kf_error *e);
int sla_policy_get(struct db *db, int64_t id, struct arena *arena, struct sla_policy *ret);
int sla_policy_list(struct db *db, struct arena *arena, struct sla_policy **ret, size_t *ret_n);

/* The clocks a new ticket starts with, planned before its row is written so that the row
 * carries its policy and due times from the start. */
struct sla_plan {
    int64_t policy_id; /* 0: no policy, and no clocks */
    int64_t raised_at;
    int64_t budget[SLA_POLICY_CLOCKS]; /* 0: no such clock */
    int64_t due[SLA_POLICY_CLOCKS], warn[SLA_POLICY_CLOCKS], next[SLA_POLICY_CLOCKS];
};

/* Plans the clocks of a ticket of this priority and type raised at `raised_at`. 0 or a negative
 * code. */
int sla_plan_clocks(struct db *db, const char *priority, const char *type, int64_t raised_at,
                    struct sla_plan *ret);
/* Starts the planned clocks of the new ticket ticket_id (its deadline rows), in the caller's
 * transaction. 0 or a negative code. */
int sla_plan_start(struct db *db, int64_t ticket_id, const struct sla_plan *plan);

/* What the clocks look at of a ticket before and after a change. */
struct sla_state {
    int64_t id, sla_policy_id, first_response_at;
    const char *status, *priority, *type;
};

/* Moves the clocks after a change from `before` to `after` (the ticket as it is now stored):
 * status moves stop, pause and resume them; a new priority or type brings the new policy's
 * budgets. */
int sla_ticket_changed(struct db *db, const struct sla_state *before,
                       const struct sla_state *after);
/* The first public reply meets the first-response clock. */
int sla_ticket_replied(struct db *db, int64_t ticket_id);

/* Asks for feedback on the ticket by due_at (a transfer's deadline, around the clock, warning
 * at 80 %), replacing the one asked before. */
int sla_feedback_set(struct db *db, int64_t ticket_id, int64_t now, int64_t due_at);
/* Second handling (二次处理) is due at due_at: its own clock, around the clock, warning at
 * 80 %, breached like the others; resolving the ticket meets it. */
int sla_second_handling_set(struct db *db, int64_t ticket_id, int64_t now, int64_t due_at);
/* The feedback asked for has come (a message of the ticket's assignee). */
int sla_feedback_met(struct db *db, int64_t ticket_id);

/* Acts on up to max deadlines due at `now` (warnings, escalations, breaches), oldest first, in
 * the caller's transaction; *ret_n counts them. 0 or a negative code. */
int sla_sweep(struct db *db, int64_t now, int max, int *ret_n);
/* Whether anything is due at now (a cheap look, for a reading connection): 1, 0 or a negative
 * code. */
int sla_due(struct db *db, int64_t now);

#endif
