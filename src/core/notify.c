/* notify.c: notifications for a person, written with their event. */
#include "core/notify.h"

#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/audit.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "store/db.h"

int notify(struct db *db, int64_t user_id, const char *kind, int64_t ticket_id, const char *payload)
{
    if (!user_id)
        return 0;
    struct stmt *st = db_stmt(db, SQL_notification_insert);
    st_int(st, 1, user_id);
    st_text(st, 2, kind);
    if (ticket_id)
        st_int(st, 3, ticket_id);
    st_text(st, 4, payload ? payload : "{}");
    st_int(st, 5, ktime_now());
    int rc = st_exec(st);
    if (rc)
        return rc;
    int64_t id = db_last_id(db);
    char head[160];
    snprintf(head, sizeof(head),
             "{\"id\":%lld,\"user_id\":%lld,\"kind\":\"%s\",\"ticket_id\":%lld,", (long long)id,
             (long long)user_id, kind, (long long)ticket_id);
    struct arena a = ARENA_INIT;
    const char *ev = arena_printf(&a, "%s\"payload\":%s}", head, payload ? payload : "{}");
    rc = event_write(db, "notification.created", "user", user_id, ev);
    arena_release(&a);
    return rc;
}

int notify_ticket(struct db *db, int64_t user_id, const char *kind, const struct ticket_notice *n)
{
    if (!user_id)
        return 0;
    struct strbuf sb = STRBUF_INIT(64 * 1024);
    struct jw w;
    jw_init(&w, &sb);
    jw_obj_begin(&w);
    jw_kstr(&w, "number", n->number);
    jw_kstr(&w, "subject", n->subject);
    if (n->priority)
        jw_kstr(&w, "priority", n->priority);
    if (n->due_at) {
        char due[KTIME_RFC3339_LEN];
        ktime_format(n->due_at, due);
        jw_kstr(&w, "due_at", due);
    }
    if (n->customer_name || n->contact) {
        jw_key(&w, "customer");
        jw_obj_begin(&w);
        jw_kstr(&w, "name", n->customer_name);
        jw_kstr(&w, "contact", n->contact);
        jw_obj_end(&w);
    }
    if (n->reason)
        jw_kstr(&w, "reason", n->reason);
    if (n->by)
        jw_kstr(&w, "by", n->by);
    jw_obj_end(&w);
    int rc = notify(db, user_id, kind, n->ticket_id, sb.buf);
    strbuf_release(&sb);
    return rc;
}

int notification_list(struct db *db, const struct actor *actor, int64_t before, int unread_only,
                      int limit, struct arena *arena, struct notification **ret, size_t *ret_n,
                      int64_t *ret_unread)
{
    if (limit <= 0 || limit > NOTIFY_LIST_MAX)
        limit = 50;
    struct stmt *st = db_stmt(db, SQL_notification_list);
    st_int(st, 1, actor->user_id);
    st_int(st, 2, before > 0 ? before : INT64_MAX);
    st_int(st, 3, unread_only);
    st_int(st, 4, limit);
    struct notification *v = arena_alloc(arena, (size_t)limit * sizeof(*v));
    size_t n = 0;
    int rc;
    while ((rc = st_step(st)) == 1) {
        struct notification *x = &v[n++];
        x->id = col_int(st, 0);
        x->user_id = actor->user_id;
        x->kind = arena_strdup(arena, col_text(st, 1));
        x->ticket_id = col_int(st, 2);
        x->payload = arena_strdup(arena, col_text(st, 3));
        x->created_at = col_int(st, 4);
        x->read_at = col_int(st, 5);
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    st = db_stmt(db, SQL_notification_unread);
    st_int(st, 1, actor->user_id);
    if ((rc = st_one_int(st, ret_unread)) < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

int notification_read(struct db *db, const struct actor *actor, int64_t id, struct kf_error *e)
{
    struct stmt *st = db_stmt(db, SQL_notification_owner);
    st_int(st, 1, id);
    int64_t owner = 0;
    int rc = st_one_int(st, &owner);
    if (rc < 0)
        return rc;
    if (!rc || owner != actor->user_id)
        return kf_fail(e, KF_ENOTFOUND, NULL, "no such notification");
    st = db_stmt(db, SQL_notification_read);
    st_int(st, 1, id);
    st_int(st, 2, actor->user_id);
    st_int(st, 3, ktime_now());
    return st_exec(st);
}
