/* call.h: phone calls as a telephony system reports them (POST /hooks/{code} on a phone
 * channel): a ringing call pops up with the caller's history, an ended one is recorded on the
 * ticket registered during it, and one never answered becomes a ticket to call back. */
#ifndef KEFU_CALL_H
#define KEFU_CALL_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct actor;
struct kf_error;

enum { CALL_HISTORY_DAYS = 92 }; /* the caller's last 3 months of tickets */

struct call_event {
    const char *event;                                    /* "ringing", "answered", "ended" */
    const char *call_id, *caller, *agent, *recording_url; /* caller normalized */
    int64_t at;
};

/* Takes ev on phone channel `channel` in the writer's transaction: ringing records the call
 * and writes call.ringing (for the agent named, else for everyone on shift, else for all
 * staff); answered and ended record when; ended links the ticket the agent registered for the
 * caller meanwhile, or, for a call never answered, registers a ticket of type special
 * (未接来电 and the masked number). A repeated event changes nothing. *ret_ticket_id (may be
 * NULL) is the call's ticket once known. KF_EINVAL naming the field for bad input. */
int call_event(struct db *db, const char *channel, const struct call_event *ev, struct arena *arena,
               int64_t *ret_ticket_id, struct kf_error *e);

struct call {
    const char *call_id, *caller, *agent, *recording_url; /* caller masked */
    int64_t started_at, answered_at, ended_at, ticket_id;
    int64_t duration_seconds; /* talking: from answered to ended, 0 when never answered */
};

/* The calls recorded on ticket ticket_id, oldest first; ticket_id 0: the newest 50 calls. */
int call_list(struct db *db, int64_t ticket_id, struct arena *arena, struct call **ret,
              size_t *ret_n);

#endif
