/* channel_out.h: the queue of what goes out on channels other than mail (a webhook channel's
 * callbacks, WeChat's customer-service messages): a payload per message, queued in the
 * transaction that writes its reason, sent by jobs/channel_sender.c through the channel kind's
 * send function, tried with back-off and shown as the message's delivery like mail. */
#ifndef KEFU_CHANNEL_OUT_H
#define KEFU_CHANNEL_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "core/mail_out.h" /* struct mail_delivery: one delivery shape for the API */

struct db;
struct arena;
struct kf_error;

enum { CHANNEL_OUT_PAYLOAD_MAX = 1024 * 1024 };

/* Queues payload_json for channel, due at once, about ticket_id and message_id (0: none). In
 * the writer's transaction. KF_ENOTFOUND (e names "channel") for an unknown channel; KF_EINVAL
 * naming "payload" for an empty or oversized one. */
int channel_out_queue(struct db *db, const char *channel, int64_t ticket_id, int64_t message_id,
                      const char *payload_json, struct kf_error *e);

/* The delivery of message message_id on its channel (its newest payload), in *ret: 1 when one
 * was queued, 0 when not, or a negative code. */
int channel_out_delivery(struct db *db, int64_t message_id, struct arena *arena,
                         struct mail_delivery *ret);
/* The payloads of channel waiting to go out and those that failed. */
int channel_out_counts(struct db *db, const char *channel, int64_t *ret_queued,
                       int64_t *ret_failed);

/* ---- the sender's side ---- */

struct channel_due {
    int64_t id;
    const char *channel, *payload;
    int attempts;
};

/* Up to max queued payloads of channel due at `now`, the most overdue first. */
int channel_out_due(struct db *db, const char *channel, int64_t now, int max, struct arena *arena,
                    struct channel_due **ret, size_t *ret_n);
/* The codes of up to max enabled channels with payloads due at `now`, in arena. */
int channel_out_due_channels(struct db *db, int64_t now, int max, struct arena *arena,
                             const char ***ret, size_t *ret_n);

enum channel_try { CHANNEL_SENT, CHANNEL_TRY_AGAIN, CHANNEL_REFUSED };

/* Records a try of payload id (with `attempts` tries before it) made at `at`, as
 * mail_out_tried does for mail: sent; refused for good (failed at once); or tried again by
 * back-off until it is spent. A row no longer queued or tried meanwhile is left alone. A status
 * change (or the first failed try) writes ticket.delivery_changed. In the writer's transaction. */
int channel_out_tried(struct db *db, int64_t id, int attempts, int64_t at, enum channel_try result,
                      const char *error);

#endif
