/* channel_out.c: the queue of what goes out on channels other than mail, its tries and the
 * delivery status it gives. */
#include "core/channel_out.h"

#include <stdio.h>
#include <string.h>

#include "core/webhook.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "store/db.h"

static void bind_id(struct stmt *st, int i, int64_t v)
{
    if (v)
        st_int(st, i, v);
    else
        st_null(st, i);
}

int channel_out_queue(struct db *db, const char *channel, int64_t ticket_id, int64_t message_id,
                      const char *payload_json, struct kf_error *e)
{
    if (!payload_json || !*payload_json || strlen(payload_json) > CHANNEL_OUT_PAYLOAD_MAX)
        return kf_fail(e, KF_EINVAL, "payload", "the payload must be 1 byte to 1 MiB");
    struct stmt *st = db_stmt(db, SQL_channel_out_channel);
    st_text(st, 1, channel);
    int rc = st_step(st);
    st_reset(st);
    if (rc < 0)
        return rc;
    if (!rc)
        return kf_fail(e, KF_ENOTFOUND, "channel", "no such channel");
    st = db_stmt(db, SQL_channel_out_insert);
    st_text(st, 1, channel);
    bind_id(st, 2, ticket_id);
    bind_id(st, 3, message_id);
    st_text(st, 4, payload_json);
    st_int(st, 5, ktime_now());
    return st_exec(st);
}

int channel_out_delivery(struct db *db, int64_t message_id, struct arena *arena,
                         struct mail_delivery *ret)
{
    struct stmt *st = db_stmt(db, SQL_channel_out_of_message);
    st_int(st, 1, message_id);
    return delivery_read(st, arena, ret);
}

int channel_out_counts(struct db *db, const char *channel, int64_t *ret_queued, int64_t *ret_failed)
{
    return delivery_counts(db_stmt(db, SQL_channel_out_count), channel, ret_queued, ret_failed);
}

int channel_out_due(struct db *db, const char *channel, int64_t now, int max, struct arena *arena,
                    struct channel_due **ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_channel_out_due);
    st_int(st, 1, now);
    st_int(st, 2, max);
    st_text(st, 3, channel);
    struct channel_due *v = arena_alloc(arena, (size_t)(max > 0 ? max : 1) * sizeof(*v));
    size_t n = 0;
    int rc;
    while ((rc = st_step(st)) == 1) {
        struct channel_due *d = &v[n++];
        d->id = col_int(st, 0);
        d->channel = arena_strdup(arena, col_text(st, 1));
        d->payload = arena_strdup(arena, col_text(st, 2));
        d->attempts = (int)col_int(st, 3);
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

int channel_out_due_channels(struct db *db, int64_t now, int max, struct arena *arena,
                             const char ***ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_channel_out_due_channels);
    st_int(st, 1, now);
    st_int(st, 2, max);
    return delivery_codes(st, max, arena, ret, ret_n);
}

/* Writes ticket.delivery_changed for the message row id carries, if it carries one. */
static int delivery_event(struct db *db, int64_t id)
{
    struct stmt *st = db_stmt(db, SQL_channel_out_about);
    st_int(st, 1, id);
    int64_t ticket_id = 0, message_id = 0;
    char status[16] = "";
    int rc = st_step(st);
    if (rc == 1) {
        ticket_id = col_int(st, 0);
        message_id = col_int(st, 1);
        snprintf(status, sizeof(status), "%s", col_text(st, 2));
    }
    st_reset(st);
    return rc < 0 ? rc : delivery_changed(db, ticket_id, message_id, status);
}

int channel_out_tried(struct db *db, int64_t id, int attempts, int64_t at, enum channel_try result,
                      const char *error)
{
    int64_t wait = result == CHANNEL_TRY_AGAIN ? webhook_backoff(attempts + 1) : -1;
    const char *status = result == CHANNEL_SENT ? "sent" : wait < 0 ? "failed" : "queued";
    int64_t next = !strcmp(status, "queued") ? at + wait : 0;
    struct stmt *st = db_stmt(db, SQL_channel_out_tried);
    st_int(st, 1, id);
    st_text(st, 2, status);
    if (next)
        st_int(st, 3, next);
    else
        st_null(st, 3);
    st_text(st, 4,
            result == CHANNEL_SENT ? NULL
            : error && *error      ? error
                                   : "it could not be sent");
    if (result == CHANNEL_SENT)
        st_int(st, 5, at);
    else
        st_null(st, 5);
    st_int(st, 6, attempts);
    int rc = st_exec(st);
    if (rc || db_changes(db) != 1)
        return rc;
    if (result == CHANNEL_TRY_AGAIN && next && attempts > 0)
        return 0; /* one more failed try: nothing a reader would see change */
    return delivery_event(db, id);
}
