/* senders.h: how each channel kind sends what channel_out queued for it: one send function per
 * kind, registered in channel_senders (senders.c). */
#ifndef KEFU_SENDERS_H
#define KEFU_SENDERS_H

struct channel_config;

enum { CHANNEL_SEND_ERROR_LEN = 256 };

struct channel_send_result {
    int ok;                             /* 1: delivered */
    int permanent;                      /* not delivered, and another try would fare the same */
    char error[CHANNEL_SEND_ERROR_LEN]; /* why not, "" when delivered */
};

/* Sends one payload on channel ch; *res says how it went. 0 when the try is over (whatever
 * its result); a negative code when nothing is known of it (it is tried again). Runs on a
 * sender thread of ch's own and may block for as long as the channel's timeout. */
typedef int channel_send_fn(const struct channel_config *ch, const char *payload_json,
                            struct channel_send_result *res);

struct channel_sender {
    const char *kind;
    channel_send_fn *send;
};

/* The send functions, by channel kind, ended by {NULL, NULL}. */
extern const struct channel_sender channel_senders[];

/* The send function of kind, or NULL when that kind sends nothing this way. */
channel_send_fn *channel_sender_of(const char *kind);

/* The webhook channel's: POSTs the payload to its reply_url, signed with its secret. */
channel_send_fn hook_send;
/* The wechat channel's: the payload is a customer-service message (channels/wechat_out.h). */
channel_send_fn wechat_send;

#endif
