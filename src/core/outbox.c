/* outbox.c: the outbox as the live stream reads it, and the audience of each event. */
#include "core/outbox.h"

#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "store/db.h"

int outbox_read(struct db *db, int64_t after, int64_t upto, int max, struct arena *arena,
                struct outbox_event *v)
{
    struct stmt *st = db_stmt(db, SQL_events_after);
    st_int(st, 1, after);
    st_int(st, 2, max);
    st_int(st, 3, upto);
    int n = 0, rc = 0;
    while (n < max && (rc = st_step(st)) == 1) {
        v[n++] = (struct outbox_event){
            .id = col_int(st, 0),
            .at = col_int(st, 1),
            .kind = arena_strdup(arena, col_text(st, 2)),
            .entity = arena_strdup(arena, col_text(st, 3)),
            .entity_id = col_int(st, 4),
            .payload = arena_strdup(arena, col_text(st, 5)),
        };
    }
    st_reset(st);
    return rc < 0 ? rc : n;
}

int outbox_last(struct db *db, int64_t *ret)
{
    int rc = st_one_int(db_stmt(db, SQL_events_last), ret);
    return rc < 0 ? rc : 0;
}

static int read_depts(struct db *db, struct viewer *v)
{
    struct stmt *st = db_stmt(db, SQL_user_departments);
    st_int(st, 1, v->user_id);
    int rc;
    v->ndepts = 0;
    while ((rc = st_step(st)) == 1)
        if (v->ndepts < VIEWER_DEPTS_MAX)
            v->depts[v->ndepts++] = col_int(st, 0);
    st_reset(st);
    return rc < 0 ? rc : 0;
}

int viewer_load(struct db *db, const struct actor *actor, struct viewer *ret)
{
    *ret = (struct viewer){.user_id = actor->user_id,
                           .session_id = actor->session_id,
                           .token_id = actor->token_id,
                           .role = actor->role};
    return read_depts(db, ret);
}

int viewer_refresh(struct db *db, struct viewer *v, int64_t now)
{
    if (v->chat_id) /* a visitor's token lasts as long as their chat */
        return 0;
    struct stmt *st = db_stmt(db, v->token_id ? SQL_token_alive : SQL_session_alive);
    st_int(st, 1, v->token_id ? v->token_id : v->session_id);
    st_int(st, 2, now);
    int rc = st_step(st);
    if (rc == 1)
        v->role = role_parse(col_text(st, 0));
    st_reset(st);
    if (rc <= 0)
        return rc < 0 ? rc : KF_EAUTH;
    return read_depts(db, v);
}

int audience_load(struct db *db, const struct outbox_event *ev, struct audience *ret)
{
    *ret = (struct audience){0};
    if (!strcmp(ev->entity, "user")) {
        ret->user_id = ev->entity_id;
        return 0;
    }
    if (!strcmp(ev->entity, "kb_article")) {
        ret->everyone = 1;
        return 0;
    }
    if (strcmp(ev->entity, "ticket"))
        return 0;
    ret->ticket = 1;
    struct stmt *st = db_stmt(db, SQL_event_ticket_audience);
    st_int(st, 1, ev->entity_id);
    int rc = st_step(st);
    if (rc == 1) {
        ret->found = 1;
        ret->department_id = col_int(st, 0);
        const char *co = col_text(st, 1);
        for (const char *p = co; p && *p && ret->ncoop < AUDIENCE_COOP_MAX;) {
            char *end;
            long long id = strtoll(p, &end, 10);
            if (end == p)
                break;
            ret->coop[ret->ncoop++] = id;
            p = end + (*end == '\n');
        }
        ret->assignee_id = col_int(st, 2);
        ret->created_by = col_int(st, 3);
    }
    st_reset(st);
    return rc < 0 ? rc : 0;
}

static int in_depts(const struct viewer *v, int64_t dept)
{
    for (int i = 0; dept && i < v->ndepts; i++)
        if (v->depts[i] == dept)
            return 1;
    return 0;
}

int audience_visitor(const struct outbox_event *ev, const struct viewer *v)
{
    return !strcmp(ev->entity, "ticket") && ev->entity_id == v->chat_ticket_id &&
           (!strcmp(ev->kind, "chat.message") || !strcmp(ev->kind, "chat.accepted") ||
            !strcmp(ev->kind, "chat.closed"));
}

int audience_includes(const struct audience *a, const struct viewer *v)
{
    if (v->chat_id)
        return 0;
    if (a->user_id)
        return a->user_id == v->user_id;
    if (a->everyone)
        return 1;
    if (!a->ticket)
        return role_is_lead(v->role);
    /* specialists see their departments' tickets (lead or cooperating) and their own; every
     * other role sees all of them, as in the ticket list */
    if (v->role != ROLE_SPECIALIST)
        return 1;
    if (!a->found)
        return 0;
    if (a->assignee_id == v->user_id || a->created_by == v->user_id ||
        in_depts(v, a->department_id))
        return 1;
    for (int i = 0; i < a->ncoop; i++)
        if (in_depts(v, a->coop[i]))
            return 1;
    return 0;
}
