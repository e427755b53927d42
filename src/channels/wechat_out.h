/* wechat_out.h: sending an agent's reply to a follower through the WeChat platform's
 * customer-service message API, and fetching the media a follower sent, with the account's
 * access token cached per channel. */
#ifndef KEFU_WECHAT_OUT_H
#define KEFU_WECHAT_OUT_H

#include <stddef.h>

struct channel_config;

enum {
    WECHAT_TIMEOUT_S = 10,
    WECHAT_ERROR_LEN = 256,
    WECHAT_TOKEN_MARGIN_S = 300,         /* a token is fetched again this long before it expires */
    WECHAT_MEDIA_MAX = 10 * 1024 * 1024, /* the platform's images are at most 10 MB */
};

#define WECHAT_API_BASE "https://api.weixin.qq.com"

struct wechat_send_result {
    int ok;                       /* 1: the platform took it (errcode 0) */
    int permanent;                /* refused for good: another try would fare the same */
    char error[WECHAT_ERROR_LEN]; /* why not, "" when sent */
};

/* POSTs payload_json to {api_base}/cgi-bin/message/custom/send with the channel's access token:
 * the cached one, else one fetched (GET {api_base}/cgi-bin/token) and cached until WECHAT_TOKEN_
 * MARGIN_S before its expires_in; on errcode 40001, 40014 or 42001 the token is fetched again
 * and the message sent once more. Transport failures, an HTTP status other than 200, the
 * platform's busy (-1) and rate limits (45009), and a token that cannot be had (bad app_id or
 * app_secret, an address not on the allow-list: fixed in the settings) are tried again; the
 * message's own refusals (45015 the 48-hour window, 43004 unfollowed, 40003 an unknown openid,
 * 45002 too long, ...) are permanent. Blocking (at most 2 * WECHAT_TIMEOUT_S per request);
 * thread-safe. Always returns 0, *res saying how it went. */
int wechat_deliver(const struct channel_config *ch, const char *payload_json,
                   struct wechat_send_result *res);

/* A media file fetched from the platform. */
struct wechat_media_file {
    char *data; /* malloc'd: the caller frees it; NULL when none */
    size_t size;
    char content_type[128], filename[128];
};

/* GETs {api_base}/cgi-bin/media/get?access_token=&media_id= with the channel's token as
 * wechat_deliver does (fetched again on 40001, 40014 or 42001): on success res->ok and the file
 * in *ret (at most WECHAT_MEDIA_MAX bytes). An unknown or expired media id (40007) is permanent;
 * anything else is tried again. Blocking; thread-safe. Always returns 0. */
int wechat_media_fetch(const struct channel_config *ch, const char *media_id,
                       struct wechat_media_file *ret, struct wechat_send_result *res);

/* Forgets the cached token of channel (NULL: of every channel). */
void wechat_token_forget(const char *channel);

#endif
