/* transfer.h: handing a ticket on (转接) to a person or a department, asking a department to
 * cooperate (协办), and nudging (催办) whoever has it. Each is a record on the ticket, a
 * history entry and a notice to the one who must act. */
#ifndef KEFU_TRANSFER_H
#define KEFU_TRANSFER_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct actor;
struct kf_error;
struct ticket;

enum { TRANSFER_REASON_MAX = 500, NUDGE_MESSAGE_MAX = 500, COOPERATING_MAX = 8 };

struct transfer_input {
    int64_t to_user_id, to_department_id; /* one of them */
    const char *reason;                   /* required */
    int64_t due_at;                       /* 0: no feedback deadline */
    int cooperate; /* with to_department_id: the department helps; the lead stays */
};

struct transfer {
    int64_t id, ticket_id;
    const char *kind; /* "transfer" or "cooperate" */
    int64_t from_user_id, from_department_id, to_user_id, to_department_id;
    const char *from_user_name, *from_department_name, *to_user_name, *to_department_name;
    const char *reason;
    int64_t due_at, actor_id;
    const char *actor_name;
    int64_t at;
};

/* Transfers the ticket `ref`: to a person (who becomes its assignee, and their department its
 * lead when they are not of the ticket's), or to a department (its lead, with a new assignee
 * picked as the department assigns, or none), or adds a cooperating department. The assignee,
 * supervisors and admins may (an unassigned ticket: anyone who may change it). A due_at asks
 * for feedback by then: a clock that warns and breaches like the SLA's. KF_EINVAL naming the
 * field (also for a transfer to whoever has it already), KF_EFORBIDDEN, KF_ENOTFOUND. */
int transfer_create(struct db *db, const struct actor *actor, const char *ref,
                    const struct transfer_input *in, struct arena *arena, struct transfer *ret,
                    struct ticket *ret_ticket, struct kf_error *e);
/* The ticket's transfers, oldest first. */
int transfer_list(struct db *db, const struct actor *actor, const char *ref, struct arena *arena,
                  struct transfer **ret, size_t *ret_n);

struct nudge {
    int64_t ticket_id, to_user_id;
    const char *to_name, *message;
    int64_t at;
};

/* A supervisor or an admin nudges (催办) the assignee of an open ticket (or, while nobody has it,
 * the department's supervisor). KF_EFORBIDDEN for other roles, KF_EINVAL when the ticket is
 * closed or nobody could be nudged. */
int nudge_create(struct db *db, const struct actor *actor, const char *ref, const char *message,
                 struct arena *arena, struct nudge *ret, struct kf_error *e);

#endif
