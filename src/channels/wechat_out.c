/* wechat_out.c: the customer-service message API and its access token (libcurl, jansson). */
#include "channels/wechat_out.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "channels/senders.h"
#include "core/channel.h"
#include "lib/banned.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"

enum { ANSWER_MAX = 64 * 1024, TOKEN_MAX = 512, CACHED_MAX = 32, FIELD_MAX = 1024 };

/* ---- the token cache: per channel, and only while its app_id, secret and base are those ---- */

struct cached {
    char channel[32], app_id[FIELD_MAX / 4], secret[FIELD_MAX / 4], base[FIELD_MAX];
    char token[TOKEN_MAX];
    int64_t until; /* monotonic ms; 0: an empty slot */
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cached cache[CACHED_MAX];

static int same(const struct cached *c, const char *channel, const char *app_id, const char *secret,
                const char *base)
{
    return c->until && !strcmp(c->channel, channel) && !strcmp(c->app_id, app_id) &&
           !strcmp(c->secret, secret) && !strcmp(c->base, base);
}

static int cache_get(const char *channel, const char *app_id, const char *secret, const char *base,
                     char token[TOKEN_MAX])
{
    int found = 0;
    pthread_mutex_lock(&cache_mu);
    for (int i = 0; i < CACHED_MAX && !found; i++)
        if (same(&cache[i], channel, app_id, secret, base) && cache[i].until > ktime_monotonic()) {
            memcpy(token, cache[i].token, TOKEN_MAX);
            found = 1;
        }
    pthread_mutex_unlock(&cache_mu);
    return found;
}

static void cache_put(const char *channel, const char *app_id, const char *secret, const char *base,
                      const char *token, int64_t until)
{
    pthread_mutex_lock(&cache_mu);
    int slot = 0;
    for (int i = 0; i < CACHED_MAX; i++) {
        if (!strcmp(cache[i].channel, channel) || !cache[i].until) {
            slot = i;
            break;
        }
        if (cache[i].until < cache[slot].until)
            slot = i; /* else the one that expires first */
    }
    struct cached *c = &cache[slot];
    snprintf(c->channel, sizeof(c->channel), "%s", channel);
    snprintf(c->app_id, sizeof(c->app_id), "%s", app_id);
    snprintf(c->secret, sizeof(c->secret), "%s", secret);
    snprintf(c->base, sizeof(c->base), "%s", base);
    snprintf(c->token, sizeof(c->token), "%s", token);
    c->until = until;
    pthread_mutex_unlock(&cache_mu);
}

void wechat_token_forget(const char *channel)
{
    pthread_mutex_lock(&cache_mu);
    for (int i = 0; i < CACHED_MAX; i++)
        if (!channel || !strcmp(cache[i].channel, channel))
            memset(&cache[i], 0, sizeof(cache[i]));
    pthread_mutex_unlock(&cache_mu);
}

/* ---- HTTP ---- */

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
    struct strbuf *sb = arg;
    return strbuf_add(sb, p, size * n) ? 0 : size * n; /* over the limit: the transfer ends */
}

/* GET url, or POST body to it as JSON; the answer's JSON in *ret (the caller's to free), else
 * why not in err. 0 or -1. */
static int call(const char *url, const char *body, json_t **ret, char *err, size_t errlen)
{
    *ret = NULL;
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "cannot start an HTTP client");
        return -1;
    }
    struct strbuf answer = STRBUF_INIT(ANSWER_MAX);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)WECHAT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)WECHAT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "kefu-wechat/1");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    }
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    int rc = -1;
    if (cc != CURLE_OK) {
        snprintf(err, errlen, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
    } else if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status), status != 200) {
        snprintf(err, errlen, "the platform answered HTTP %ld", status);
    } else if (!(*ret = json_loadb(answer.buf, answer.len, 0, NULL)) || !json_is_object(*ret)) {
        json_decref(*ret);
        *ret = NULL;
        snprintf(err, errlen, "the platform's answer is no JSON object");
    } else {
        rc = 0;
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    strbuf_release(&answer);
    return rc;
}

static long errcode_of(json_t *o)
{
    json_t *v = json_object_get(o, "errcode");
    return json_is_integer(v) ? (long)json_integer_value(v) : 0;
}

static const char *errmsg_of(json_t *o)
{
    const char *s = json_string_value(json_object_get(o, "errmsg"));
    return s ? s : "";
}

/* A fresh token for the channel, cached. 0, or -1 with why in res. */
static int fetch_token(const struct channel_config *ch, const char *app_id, const char *secret,
                       const char *base, char token[TOKEN_MAX], struct wechat_send_result *res)
{
    CURL *esc = curl_easy_init();
    char *id = esc ? curl_easy_escape(esc, app_id, 0) : NULL;
    char *sec = esc ? curl_easy_escape(esc, secret, 0) : NULL;
    struct strbuf url = STRBUF_INIT(4 * FIELD_MAX);
    if (id && sec)
        strbuf_addf(&url, "%s/cgi-bin/token?grant_type=client_credential&appid=%s&secret=%s", base,
                    id, sec);
    curl_free(id);
    curl_free(sec);
    curl_easy_cleanup(esc);
    json_t *o = NULL;
    char err[WECHAT_ERROR_LEN - 16];
    int rc = -1;
    if (!url.len || url.overflow)
        snprintf(res->error, sizeof(res->error), "token: the address cannot be made");
    else if (call(url.buf, NULL, &o, err, sizeof(err)))
        snprintf(res->error, sizeof(res->error), "token: %s", err);
    else if (errcode_of(o))
        snprintf(res->error, sizeof(res->error), "token: errcode %ld %s", errcode_of(o),
                 errmsg_of(o));
    else {
        const char *t = json_string_value(json_object_get(o, "access_token"));
        json_t *exp = json_object_get(o, "expires_in");
        int64_t secs = json_is_integer(exp) ? (int64_t)json_integer_value(exp) : 0;
        if (!t || !*t || strlen(t) >= TOKEN_MAX || strcspn(t, "&#?/ \r\n") != strlen(t))
            snprintf(res->error, sizeof(res->error), "token: the answer holds no access_token");
        else {
            snprintf(token, TOKEN_MAX, "%s", t);
            int64_t keep = secs > WECHAT_TOKEN_MARGIN_S ? secs - WECHAT_TOKEN_MARGIN_S : 0;
            if (keep)
                cache_put(ch->code, app_id, secret, base, token, ktime_monotonic() + keep * 1000);
            rc = 0;
        }
    }
    json_decref(o);
    strbuf_release(&url);
    return rc;
}

/* errcodes of a send that say the message itself is refused: trying again changes nothing */
static int refused_for_good(long code)
{
    static const long codes[] = {
        40003, /* invalid openid */
        40008, /* invalid message type */
        43004, /* the follower has unfollowed */
        43019, /* the follower is on the blacklist */
        44002, /* empty post data */
        45002, /* the content is too long */
        45015, /* reply time limit exceeded: 48 hours after the follower's last message */
        45047, /* out of the customer-service message limit for this follower */
        47001, /* data format error */
        48001, /* the account may not use this API */
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (codes[i] == code)
            return 1;
    return 0;
}

static int token_stale(long code)
{
    return code == 40001 || code == 40014 || code == 42001;
}

int wechat_deliver(const struct channel_config *ch, const char *payload_json,
                   struct wechat_send_result *res)
{
    memset(res, 0, sizeof(*res));
    const char *app_id = channel_setting(ch, "app_id"), *secret = channel_setting(ch, "app_secret");
    const char *base = channel_setting(ch, "api_base");
    if (!base || !*base)
        base = WECHAT_API_BASE;
    if (!app_id || !*app_id || !secret || !*secret) {
        snprintf(res->error, sizeof(res->error),
                 "the channel has no app_id or app_secret: set them in its settings");
        return 0;
    }
    size_t blen = strlen(base);
    while (blen && base[blen - 1] == '/')
        blen--;
    char root[FIELD_MAX + 1];
    snprintf(root, sizeof(root), "%.*s", (int)blen, base);
    char token[TOKEN_MAX];
    int fresh = 0;
    if (!cache_get(ch->code, app_id, secret, root, token)) {
        if (fetch_token(ch, app_id, secret, root, token, res))
            return 0;
        fresh = 1;
    }
    for (int round = 0; round < 2; round++) {
        char url[FIELD_MAX + TOKEN_MAX + 64], err[WECHAT_ERROR_LEN - 16];
        snprintf(url, sizeof(url), "%s/cgi-bin/message/custom/send?access_token=%s", root, token);
        json_t *o = NULL;
        if (call(url, payload_json, &o, err, sizeof(err))) {
            snprintf(res->error, sizeof(res->error), "send: %s", err);
            return 0;
        }
        long code = errcode_of(o);
        if (!code) {
            json_decref(o);
            res->ok = 1;
            return 0;
        }
        snprintf(res->error, sizeof(res->error), "send: errcode %ld %s", code, errmsg_of(o));
        json_decref(o);
        if (!token_stale(code)) {
            res->permanent = refused_for_good(code);
            return 0;
        }
        wechat_token_forget(ch->code);
        if (fresh || round) /* a token fetched just now is refused: try again later */
            return 0;
        if (fetch_token(ch, app_id, secret, root, token, res))
            return 0;
        fresh = 1;
    }
    return 0;
}

int wechat_send(const struct channel_config *ch, const char *payload_json,
                struct channel_send_result *res)
{
    struct wechat_send_result r;
    wechat_deliver(ch, payload_json, &r);
    memset(res, 0, sizeof(*res));
    res->ok = r.ok;
    res->permanent = r.permanent;
    snprintf(res->error, sizeof(res->error), "%s", r.error);
    return 0;
}
