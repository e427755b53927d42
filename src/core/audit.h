/* audit.h: the trail every change leaves: audit rows, ticket history and outbox events.
 * Each is written in the caller's transaction, so it exists exactly when the change does. */
#ifndef KEFU_AUDIT_H
#define KEFU_AUDIT_H

#include <stdint.h>

struct db;
struct actor;

/* before/after are JSON texts or NULL. Return 0 or a negative kf_err. */
int audit_write(struct db *db, const struct actor *actor, const char *action, const char *entity,
                int64_t entity_id, const char *before, const char *after);
int history_write(struct db *db, int64_t ticket_id, const struct actor *actor, const char *action,
                  const char *detail);
int event_write(struct db *db, const char *kind, const char *entity, int64_t entity_id,
                const char *payload);

#endif
