/* ticket_status.h: the status lifecycle new → accepted → in progress → waiting for the customer →
 * resolved → closed, with reopening, and who may move a ticket. */
#ifndef KEFU_TICKET_STATUS_H
#define KEFU_TICKET_STATUS_H

#include <stddef.h>

struct actor;
struct ticket;
struct kf_error;

/* Supervisors and admins change any ticket; others the ones that are theirs or nobody's. */
int ticket_may_change(const struct actor *actor, const struct ticket *t);
/* 0 when actor may move a ticket from `from` to `to`, else KF_EINVAL (no such move) or
 * KF_EFORBIDDEN (not for this role), naming "status". */
int ticket_move_check(const struct actor *actor, const char *from, const char *to,
                      struct kf_error *e);
/* The statuses the actor may move t to, NULL-terminated, static strings. */
size_t ticket_next_statuses(const struct ticket *t, const struct actor *actor, const char *out[8]);

#endif
