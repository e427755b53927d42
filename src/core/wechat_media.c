/* wechat_media.c: the queue of WeChat media to fetch, and keeping what was fetched. */
#include "core/wechat_media.h"

#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/attachment.h"
#include "core/audit.h"
#include "core/mail_out.h"
#include "core/webhook.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "store/db.h"

int wechat_media_queue(struct db *db, const char *channel, int64_t ticket_id, int64_t message_id,
                       const char *media_id, const char *kind)
{
    struct stmt *st = db_stmt(db, SQL_wechat_media_insert);
    st_text(st, 1, channel);
    st_int(st, 2, ticket_id);
    st_int(st, 3, message_id);
    st_text(st, 4, media_id);
    st_text(st, 5, kind);
    st_int(st, 6, ktime_now());
    return st_exec(st);
}

int wechat_media_due(struct db *db, const char *channel, int64_t now, int max, struct arena *arena,
                     struct wechat_media_due **ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_wechat_media_due);
    st_int(st, 1, now);
    st_int(st, 2, max);
    st_text(st, 3, channel);
    struct wechat_media_due *v = arena_alloc(arena, (size_t)(max > 0 ? max : 1) * sizeof(*v));
    size_t n = 0;
    int rc;
    while ((rc = st_step(st)) == 1 && n < (size_t)max) {
        struct wechat_media_due *d = &v[n++];
        d->id = col_int(st, 0);
        d->ticket_id = col_int(st, 1);
        d->message_id = col_int(st, 2);
        d->media_id = arena_strdup(arena, col_text(st, 3));
        d->kind = arena_strdup(arena, col_text(st, 4));
        d->attempts = (int)col_int(st, 5);
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

int wechat_media_due_channels(struct db *db, int64_t now, int max, struct arena *arena,
                              const char ***ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_wechat_media_due_channels);
    st_int(st, 1, now);
    st_int(st, 2, max);
    return delivery_codes(st, max, arena, ret, ret_n);
}

int wechat_media_tried(struct db *db, const struct wechat_media_due *d, int64_t at,
                       enum channel_try result, const char *error,
                       const struct wechat_media_got *got)
{
    static const struct actor kefu = {.name = "kefu", .role = ROLE_ADMIN};
    int64_t attachment_id = 0, pending = 0;
    struct stmt *st = db_stmt(db, SQL_wechat_media_pending);
    st_int(st, 1, d->id);
    st_int(st, 2, d->attempts);
    int rc = st_one_int(st, &pending);
    if (rc <= 0) /* tried meanwhile (another thread, before a restart): this try is not needed */
        return rc;
    if (result == CHANNEL_SENT) {
        struct arena a = ARENA_INIT;
        struct attachment att;
        struct kf_error e = {0};
        rc = attachment_store(db, &kefu, d->ticket_id, d->message_id, got->filename,
                              got->content_type, got->data, got->size, &a, &att, &e);
        if (!rc)
            attachment_id = att.id;
        arena_release(&a);
        if (rc == KF_EINVAL) /* an empty file: nothing to keep, and nothing better later */
            result = CHANNEL_REFUSED, error = "media: the platform sent an empty file";
        else if (rc)
            return rc;
    }
    int64_t wait = result == CHANNEL_TRY_AGAIN ? webhook_backoff(d->attempts + 1) : -1;
    const char *status = result == CHANNEL_SENT ? "fetched" : wait < 0 ? "failed" : "queued";
    st = db_stmt(db, SQL_wechat_media_tried);
    st_int(st, 1, d->id);
    st_text(st, 2, status);
    if (wait >= 0)
        st_int(st, 3, at + wait);
    st_text(st, 4, result == CHANNEL_SENT ? NULL : error && *error ? error : "not fetched");
    if (attachment_id)
        st_int(st, 5, attachment_id);
    st_int(st, 6, d->attempts);
    if ((rc = st_exec(st)))
        return rc;
    if (result != CHANNEL_SENT)
        return 0;
    char detail[96];
    snprintf(detail, sizeof(detail), "{\"message_id\":%lld,\"attachment_id\":%lld}",
             (long long)d->message_id, (long long)attachment_id);
    return event_write(db, "ticket.media_fetched", "ticket", d->ticket_id, detail);
}
