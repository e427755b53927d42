/* outbox.h: reading the outbox (the events table) for the live stream, and who may see each
 * event: the same rules as for the tickets themselves (ticket.c's may_see). */
#ifndef KEFU_OUTBOX_H
#define KEFU_OUTBOX_H

#include <stdint.h>

#include "core/actor.h"

struct db;
struct arena;

enum { VIEWER_DEPTS_MAX = 32, AUDIENCE_COOP_MAX = 8 };

struct outbox_event {
    int64_t id, at, entity_id;
    const char *kind, *entity, *payload; /* payload: JSON text */
};

/* Reads up to max events with ids above `after` and not above `upto`, oldest first, into v
 * (strings in arena). Returns how many, or a negative code. */
int outbox_read(struct db *db, int64_t after, int64_t upto, int max, struct arena *arena,
                struct outbox_event *v);
/* The newest event's id (0 when there is none) in *ret. 0 or a negative code. */
int outbox_last(struct db *db, int64_t *ret);

/* Who watches: a user, their role and the departments they belong to (home and member). */
struct viewer {
    int64_t user_id, session_id, token_id;
    enum role role;
    int64_t depts[VIEWER_DEPTS_MAX];
    int ndepts;
    /* a live chat's visitor (user_id 0): only their chat's chat.message, chat.accepted and
     * chat.closed reach them */
    int64_t chat_id, chat_ticket_id;
};

/* Fills ret for actor, reading its departments. 0 or a negative code. */
int viewer_load(struct db *db, const struct actor *actor, struct viewer *ret);
/* Reads the viewer's session or API token again at time now: 0 and the role and departments
 * brought up to date; KF_EAUTH once it was revoked or expired or its user deactivated. */
int viewer_refresh(struct db *db, struct viewer *v, int64_t now);

/* Whom an event concerns. */
struct audience {
    int ticket;      /* about a ticket (entity "ticket") */
    int64_t user_id; /* entity "user": the one person it is for */
    int everyone;    /* entity "kb_article": the knowledge base changed, for all the staff */
    int found;       /* the ticket still exists */
    int64_t department_id, assignee_id, created_by;
    int64_t coop[AUDIENCE_COOP_MAX];
    int ncoop;
};

/* Fills ret for ev, reading its ticket when it is about one. 0 or a negative code. */
int audience_load(struct db *db, const struct outbox_event *ev, struct audience *ret);
/* Whether v may see an event for a: a ticket's events go to whoever may see the ticket, a
 * person's (a notification) to that person only, a knowledge-base article's to all the staff,
 * anything else to supervisors and admins. */
int audience_includes(const struct audience *a, const struct viewer *v);
/* Whether event ev is for v, a chat's visitor: their chat's messages (never notes: no event of
 * a note is a chat event), acceptance and end. */
int audience_visitor(const struct outbox_event *ev, const struct viewer *v);

#endif
