/* ticket_status.c: the status lifecycle: which moves are allowed, and for whom. */
#include "core/ticket_status.h"

#include <string.h>

#include "core/actor.h"
#include "core/ticket.h"
#include "lib/banned.h"
#include "lib/err.h"

/* Supervisors and admins change any ticket; others the ones that are theirs or nobody's. */
int ticket_may_change(const struct actor *actor, const struct ticket *t)
{
    return role_is_lead(actor->role) || t->assignee_id == 0 || t->assignee_id == actor->user_id;
}

struct move {
    const char *from, *to;
    int lead_only;
};

static const struct move moves[] = {
    {"new", "accepted", 0},
    {"new", "in_progress", 0},
    {"accepted", "in_progress", 0},
    {"accepted", "waiting_customer", 0},
    {"accepted", "resolved", 0},
    {"in_progress", "waiting_customer", 0},
    {"in_progress", "resolved", 0},
    {"waiting_customer", "in_progress", 0},
    {"waiting_customer", "resolved", 0},
    {"resolved", "closed", 0},
    {"resolved", "in_progress", 0},
    {"closed", "in_progress", 1},
};

int ticket_move_check(const struct actor *actor, const char *from, const char *to,
                      struct kf_error *e)
{
    for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++) {
        if (strcmp(moves[i].from, from) || strcmp(moves[i].to, to))
            continue;
        if (moves[i].lead_only && !role_is_lead(actor->role))
            return kf_fail(e, KF_EFORBIDDEN, "status",
                           "only a supervisor or an admin may reopen a closed ticket");
        return 0;
    }
    return kf_fail(e, KF_EINVAL, "status", "this status change is not allowed");
}

size_t ticket_next_statuses(const struct ticket *t, const struct actor *actor, const char *out[8])
{
    size_t n = 0;
    if (actor && ticket_may_change(actor, t))
        for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]) && n < 7; i++)
            if (!strcmp(moves[i].from, t->status) &&
                (!moves[i].lead_only || role_is_lead(actor->role)))
                out[n++] = moves[i].to;
    out[n] = NULL;
    return n;
}
