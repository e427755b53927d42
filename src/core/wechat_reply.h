/* wechat_reply.h: an agent's public reply on a WeChat ticket queued for the follower (the
 * customer-service message that channels/wechat_out.c sends). */
#ifndef KEFU_WECHAT_REPLY_H
#define KEFU_WECHAT_REPLY_H

#include <stdint.h>

struct db;
struct ticket;
struct kf_error;

/* When ticket t is on a wechat channel and holds a follower's message, queues reply message_id
 * (body) as a text message to that follower through channel_out, in the reply's own write;
 * otherwise does nothing. 0, or channel_out_queue's or the store's error. */
int wechat_reply_queue(struct db *db, const struct ticket *t, int64_t message_id, const char *body,
                       struct kf_error *e);

#endif
