/* enums.c: the ticket vocabulary. */
#include "core/enums.h"

#include <string.h>

#include "core/actor.h"
#include "lib/banned.h"

const char *const ticket_types[] = {"inquiry",    "problem", "fault", "complaint",
                                    "suggestion", "special", NULL};
const char *const urgencies[] = {"high", "medium", "low", NULL};
const char *const priorities[] = {"urgent", "high", "medium", "low", NULL};
const char *const statuses[] = {"new",      "accepted", "in_progress", "waiting_customer",
                                "resolved", "closed",   NULL};
const char *const results[] = {"fixed", "solution_provided", "withdrawn", "unresolvable", "other",
                               NULL};
const char *const moods[] = {"calm", "anxious", "angry", "confused", "grateful", NULL};
const char *const tiers[] = {"vip", "normal", "new", NULL};
const char *const message_kinds[] = {"reply", "note", NULL};

int enum_has(const char *const *list, const char *s)
{
    if (!s)
        return 0;
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return 1;
    return 0;
}

int priority_rank(const char *p)
{
    static const char *const order[] = {"low", "medium", "high", "urgent"};
    for (int i = 0; p && i < 4; i++)
        if (strcmp(order[i], p) == 0)
            return i + 1;
    return 0;
}

static const char *const role_names[] = {"none", "agent", "specialist", "supervisor", "admin"};

enum role role_parse(const char *s)
{
    for (int i = ROLE_AGENT; s && i <= ROLE_ADMIN; i++)
        if (strcmp(role_names[i], s) == 0)
            return (enum role)i;
    return ROLE_NONE;
}

const char *role_name(enum role r)
{
    return (r >= ROLE_NONE && r <= ROLE_ADMIN) ? role_names[r] : "none";
}

int role_is_lead(enum role r)
{
    return r == ROLE_SUPERVISOR || r == ROLE_ADMIN;
}
