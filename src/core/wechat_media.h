/* wechat_media.h: the images and voices WeChat followers send (a MediaId on the message): queued
 * when the message is taken in, fetched from the platform later by the channel's own thread
 * (jobs/channel_sender.c, never within the platform's 5 s), and kept as attachments of their
 * message; tried with back-off like the channel's sends. */
#ifndef KEFU_WECHAT_MEDIA_H
#define KEFU_WECHAT_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "core/channel_out.h" /* enum channel_try */

struct db;
struct arena;

/* Queues media_id (of kind "image" or "voice") of message message_id on ticket ticket_id for
 * channel, due at once. In the writer's transaction. */
int wechat_media_queue(struct db *db, const char *channel, int64_t ticket_id, int64_t message_id,
                       const char *media_id, const char *kind);

struct wechat_media_due {
    int64_t id, ticket_id, message_id;
    const char *media_id, *kind;
    int attempts;
};

/* Up to max queued media of channel due at `now`, the most overdue first. */
int wechat_media_due(struct db *db, const char *channel, int64_t now, int max, struct arena *arena,
                     struct wechat_media_due **ret, size_t *ret_n);
/* The codes of up to max enabled channels with media due at `now`, in arena. */
int wechat_media_due_channels(struct db *db, int64_t now, int max, struct arena *arena,
                              const char ***ret, size_t *ret_n);

/* The file a fetch got. */
struct wechat_media_got {
    const char *filename, *content_type;
    const void *data;
    size_t size;
};

/* Records a fetch of media d made at `at`: CHANNEL_SENT stores got as an attachment of its
 * message (event ticket.media_fetched); CHANNEL_REFUSED fails it for good; CHANNEL_TRY_AGAIN
 * waits for the back-off, failing it once that is spent. A row no longer queued or tried
 * meanwhile is left alone and nothing is stored. In the writer's transaction. */
int wechat_media_tried(struct db *db, const struct wechat_media_due *d, int64_t at,
                       enum channel_try result, const char *error,
                       const struct wechat_media_got *got);

#endif
