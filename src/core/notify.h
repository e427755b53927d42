/* notify.h: notifications (通知) for a person: assigned, warnings, escalations, nudges. Each is a
 * row for its user and an outbox event, in the caller's transaction, so the live badge, the
 * list and the notification webhook all see it exactly once. */
#ifndef KEFU_NOTIFY_H
#define KEFU_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct actor;
struct kf_error;

enum { NOTIFY_LIST_MAX = 200 };

struct notification {
    int64_t id, user_id, ticket_id;
    const char *kind;    /* assigned, transferred, sla_warning, escalated, breached, nudge */
    const char *payload; /* JSON text: what the notice says (summary, due, contact) */
    int64_t created_at, read_at;
};

/* Notifies user_id (0: nobody, and nothing is written) of kind about ticket_id (0: none) with
 * payload (JSON text or NULL). 0 or a negative code. */
int notify(struct db *db, int64_t user_id, const char *kind, int64_t ticket_id,
           const char *payload);
/* What a notice about a ticket says, so that the person (or the SMS or enterprise-IM gateway
 * behind the notification webhook) can act without opening it: the summary, the deadline, the
 * customer and their contact (masked), and why. NULL strings and 0 times are left out. */
struct ticket_notice {
    int64_t ticket_id;
    const char *number, *subject, *priority;
    int64_t due_at;
    const char *customer_name, *contact;
    const char *reason, *by;
};

/* Notifies user_id of kind with the notice's JSON as payload. 0 or a negative code. */
int notify_ticket(struct db *db, int64_t user_id, const char *kind, const struct ticket_notice *n);

/* The actor's newest notifications before id `before` (0: from the newest), unread only when
 * unread_only; *ret_unread counts all unread. */
int notification_list(struct db *db, const struct actor *actor, int64_t before, int unread_only,
                      int limit, struct arena *arena, struct notification **ret, size_t *ret_n,
                      int64_t *ret_unread);
/* Marks one of the actor's notifications read; KF_ENOTFOUND for another's or an unknown id. */
int notification_read(struct db *db, const struct actor *actor, int64_t id, struct kf_error *e);

#endif
