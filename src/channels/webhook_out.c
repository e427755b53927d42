/* webhook_out.c: the notification webhook's POST, signed with HMAC-SHA256. */
#include "channels/webhook_out.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"

int webhook_out_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : KF_EIO;
}

void webhook_out_cleanup(void)
{
    curl_global_cleanup();
}

void webhook_sign(const char *secret, const char *body, size_t len, char out[WEBHOOK_SIGNATURE_LEN])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    memcpy(out, "sha256=", 7);
    sodium_bin2hex(out + 7, WEBHOOK_SIGNATURE_LEN - 7, mac, sizeof(mac));
}

/* The receiver's answer is not kept: its status says all. */
static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

struct progress {
    int (*stop)(void *arg);
    void *arg;
    int stopped;
};

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    struct progress *p = arg;
    if (p->stop && p->stop(p->arg))
        p->stopped = 1;
    return p->stopped; /* non-zero aborts the transfer */
}

int webhook_post(const struct webhook_request *rq, int (*stop)(void *arg), void *arg,
                 struct webhook_result *ret)
{
    memset(ret, 0, sizeof(*ret));
    char sig[WEBHOOK_SIGNATURE_LEN], h_sig[WEBHOOK_SIGNATURE_LEN + 32], h_event[128],
        h_delivery[64];
    size_t len = strlen(rq->body);
    webhook_sign(rq->secret, rq->body, len, sig);
    snprintf(h_sig, sizeof(h_sig), "X-Kefu-Signature: %s", sig);
    snprintf(h_event, sizeof(h_event), "X-Kefu-Event: %s", rq->event);
    snprintf(h_delivery, sizeof(h_delivery), "X-Kefu-Delivery: %lld", (long long)rq->delivery_id);

    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(ret->error, sizeof(ret->error), "cannot start an HTTP client");
        return 0;
    }
    struct curl_slist *h = NULL;
    const char *const lines[] = {"Content-Type: application/json",
                                 "User-Agent: kefu-webhook/1",
                                 "Expect:",
                                 h_event,
                                 h_delivery,
                                 h_sig};
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        struct curl_slist *more = curl_slist_append(h, lines[i]);
        if (!more) {
            curl_slist_free_all(h);
            curl_easy_cleanup(c);
            snprintf(ret->error, sizeof(ret->error), "out of memory");
            return 0;
        }
        h = more;
    }
    struct progress pr = {stop, arg, 0};
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, rq->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)WEBHOOK_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)WEBHOOK_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &pr);

    int64_t start = ktime_monotonic();
    CURLcode cc = curl_easy_perform(c);
    ret->duration_ms = ktime_monotonic() - start;
    int rc = 0;
    if (cc == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        ret->http_status = (int)status;
        if (status < 200 || status > 299)
            snprintf(ret->error, sizeof(ret->error), "the receiver answered %ld", status);
    } else if (pr.stopped) {
        rc = KF_ESHUTDOWN;
    } else {
        snprintf(ret->error, sizeof(ret->error), "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc;
}
