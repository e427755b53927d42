/* wechat_in.h: a WeChat official account's follower messages taken into the ticket system:
 * the platform's signature, and one message stored as a ticket or the customer's message on
 * the follower's open ticket. */
#ifndef KEFU_WECHAT_IN_H
#define KEFU_WECHAT_IN_H

#include <stdint.h>

struct db;
struct arena;
struct kf_error;
struct wechat_msg;

/* 1 when signature is the SHA-1 (lower-case hex) of token, timestamp and nonce sorted
 * bytewise and concatenated, as the platform signs each request; 0 otherwise (NULL or empty
 * arguments included). Compared in constant time. */
int wechat_signature_ok(const char *token, const char *timestamp, const char *nonce,
                        const char *signature);

enum wechat_outcome {
    WECHAT_NEW_TICKET = 1, /* it made a ticket */
    WECHAT_JOINED,         /* it joined the follower's ticket that is not closed */
    WECHAT_DUPLICATE,      /* its MsgId was taken in before: nothing new stored */
    WECHAT_IGNORED,        /* an event (subscribe, unsubscribe, menu clicks): no ticket */
};

struct wechat_result {
    enum wechat_outcome outcome;
    int64_t ticket_id;  /* 0 when ignored */
    const char *number; /* the ticket's number (arena), NULL when ignored */
    int new_ticket;     /* the message made the ticket (a duplicate: its first arrival did) */
};

/* Takes message m in on channel (a channel of kind wechat) as one write, in the writer's
 * transaction: text, image, voice and the other message types as the customer's message (an
 * image or voice noted with its media id, and queued to be fetched (core/wechat_media.h); a
 * voice with the platform's recognition), on the
 * follower's ticket of the channel that is not closed or on a new one; the follower is the
 * customer known by the openid (identity wechat_openid), else a new one. Events store nothing. 0,
 * or KF_EINVAL (e names "channel" when it is no wechat channel), or the store's error. */
int wechat_in_store(struct db *db, const char *channel, const struct wechat_msg *m, struct arena *a,
                    struct wechat_result *ret, struct kf_error *e);

#endif
