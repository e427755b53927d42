/* audit.c: audit rows, ticket history and outbox events. */
#include "core/audit.h"

#include "core/actor.h"
#include "lib/banned.h"
#include "lib/ktime.h"
#include "store/db.h"

static void bind_actor(struct stmt *st, int i, const struct actor *actor)
{
    if (actor && actor->user_id)
        st_int(st, i, actor->user_id);
    else
        st_null(st, i);
}

int audit_write(struct db *db, const struct actor *actor, const char *action, const char *entity,
                int64_t entity_id, const char *before, const char *after)
{
    struct stmt *st = db_stmt(db, SQL_audit_insert);
    st_int(st, 1, ktime_now());
    bind_actor(st, 2, actor);
    st_text(st, 3, action);
    st_text(st, 4, entity);
    if (entity_id)
        st_int(st, 5, entity_id);
    st_text(st, 6, before);
    st_text(st, 7, after);
    return st_exec(st);
}

int history_write(struct db *db, int64_t ticket_id, const struct actor *actor, const char *action,
                  const char *detail)
{
    struct stmt *st = db_stmt(db, SQL_history_insert);
    st_int(st, 1, ticket_id);
    st_int(st, 2, ktime_now());
    bind_actor(st, 3, actor);
    st_text(st, 4, action);
    st_text(st, 5, detail ? detail : "{}");
    return st_exec(st);
}

int event_write(struct db *db, const char *kind, const char *entity, int64_t entity_id,
                const char *payload)
{
    struct stmt *st = db_stmt(db, SQL_event_insert);
    st_int(st, 1, ktime_now());
    st_text(st, 2, kind);
    st_text(st, 3, entity);
    st_int(st, 4, entity_id);
    st_text(st, 5, payload ? payload : "{}");
    return st_exec(st);
}
