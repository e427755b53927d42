/* webhook_out.h: one signed POST of a delivery to a webhook's receiver (libcurl). */
#ifndef KEFU_WEBHOOK_OUT_H
#define KEFU_WEBHOOK_OUT_H

#include <stddef.h>
#include <stdint.h>

enum {
    WEBHOOK_TIMEOUT_S = 10,
    WEBHOOK_SIGNATURE_LEN = 7 + 64 + 1, /* "sha256=", the hex HMAC, NUL */
    WEBHOOK_ERROR_LEN = 256,
};

struct webhook_request {
    const char *url, *secret, *event, *body;
    int64_t delivery_id;
};

struct webhook_result {
    int http_status;               /* 0: no answer */
    char error[WEBHOOK_ERROR_LEN]; /* why, when there was no 2xx; "" otherwise */
    int64_t duration_ms;
};

/* Call once before any thread posts (curl's global set-up). 0 or KF_EIO. */
int webhook_out_init(void);
void webhook_out_cleanup(void);

/* "sha256=" and the hex HMAC-SHA256 of body with secret as the key, into out. */
void webhook_sign(const char *secret, const char *body, size_t len,
                  char out[WEBHOOK_SIGNATURE_LEN]);

/* POSTs the body as application/json with X-Kefu-Event, X-Kefu-Delivery and X-Kefu-Signature,
 * following no redirect, giving up after WEBHOOK_TIMEOUT_S. *ret says what came back. Returns 0
 * when the try is over (whatever its result), or KF_ESHUTDOWN when stop(arg) asked to end it
 * before it was (then nothing is known of it). stop may be NULL. */
int webhook_post(const struct webhook_request *rq, int (*stop)(void *arg), void *arg,
                 struct webhook_result *ret);

#endif
