/* actor.h: who is acting: the signed-in user (or nobody, for the system itself). */
#ifndef KEFU_ACTOR_H
#define KEFU_ACTOR_H

#include <stdint.h>

enum role {
    ROLE_VISITOR = -2,  /* routes only: a live chat's visitor with that chat's token */
    ROLE_CUSTOMER = -1, /* routes only: a customer signed in to the portal, never a staff role */
    ROLE_NONE = 0,      /* not signed in */
    ROLE_AGENT,
    ROLE_SPECIALIST,
    ROLE_SUPERVISOR,
    ROLE_ADMIN,
};

struct actor {
    int64_t user_id; /* 0: the system */
    const char *name;
    enum role role;
    int64_t department_id;
    int64_t session_id; /* 0 for API tokens */
    int64_t token_id;   /* 0 for sessions */
};

/* "agent" → ROLE_AGENT; ROLE_NONE for anything else. */
enum role role_parse(const char *s);
const char *role_name(enum role r);
/* Supervisors and admins: see full contacts, change any ticket. */
int role_is_lead(enum role r);

#endif
