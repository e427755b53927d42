/* wechat_out.c: the customer-service message API, fetching media, and the access token (libcurl,
 * jansson). */
#define _POSIX_C_SOURCE 200809L
#include "channels/wechat_out.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/* What a GET of a file answered besides its bytes. */
struct answer_meta {
    char content_type[128], disposition[256];
};

static size_t header_line(char *p, size_t size, size_t n, void *arg)
{
    struct answer_meta *m = arg;
    size_t len = size * n;
    static const char ct[] = "content-type:", cd[] = "content-disposition:";
    char *out = NULL;
    size_t skip = 0, cap = 0;
    if (len > sizeof(ct) - 1 && !strncasecmp(p, ct, sizeof(ct) - 1))
        out = m->content_type, skip = sizeof(ct) - 1, cap = sizeof(m->content_type);
    else if (len > sizeof(cd) - 1 && !strncasecmp(p, cd, sizeof(cd) - 1))
        out = m->disposition, skip = sizeof(cd) - 1, cap = sizeof(m->disposition);
    if (out) {
        const char *v = p + skip, *end = p + len;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
            end--;
        snprintf(out, cap, "%.*s", (int)(end - v), v);
    }
    return len;
}

/* GET url, or POST body to it as JSON; the answer (at most answer->max bytes) in answer and,
 * when meta is not NULL, its type and disposition in *meta; else why not in err. 0 or -1. */
static int transfer(const char *url, const char *body, struct strbuf *answer,
                    struct answer_meta *meta, char *err, size_t errlen)
{
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "cannot start an HTTP client");
        return -1;
    }
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
    curl_easy_setopt(c, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    if (meta) {
        memset(meta, 0, sizeof(*meta));
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_line);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, meta);
    }
    if (body) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    }
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    int rc = -1;
    if (answer->overflow)
        snprintf(err, errlen, "the platform's answer is larger than %zu bytes", answer->max);
    else if (cc != CURLE_OK)
        snprintf(err, errlen, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
    else if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status), status != 200)
        snprintf(err, errlen, "the platform answered HTTP %ld", status);
    else
        rc = 0;
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc;
}

/* GET url, or POST body to it as JSON; the answer's JSON in *ret (the caller's to free), else
 * why not in err. 0 or -1. */
static int call(const char *url, const char *body, json_t **ret, char *err, size_t errlen)
{
    *ret = NULL;
    struct strbuf answer = STRBUF_INIT(ANSWER_MAX);
    int rc = transfer(url, body, &answer, NULL, err, errlen);
    if (!rc && (!(*ret = json_loadb(answer.buf, answer.len, 0, NULL)) || !json_is_object(*ret))) {
        json_decref(*ret);
        *ret = NULL;
        snprintf(err, errlen, "the platform's answer is no JSON object");
        rc = -1;
    }
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

/* The account a call is made for: its app_id, secret, API root and current token. */
struct account {
    const struct channel_config *ch;
    const char *app_id, *secret;
    char root[FIELD_MAX + 1];
    char token[TOKEN_MAX];
    int fresh; /* the token was fetched for this call */
};

/* The channel's account with a token (the cached one, else a fresh one). 0, or -1 with why in
 * res. */
static int account_open(const struct channel_config *ch, struct account *acc,
                        struct wechat_send_result *res)
{
    memset(acc, 0, sizeof(*acc));
    acc->ch = ch;
    acc->app_id = channel_setting(ch, "app_id");
    acc->secret = channel_setting(ch, "app_secret");
    const char *base = channel_setting(ch, "api_base");
    if (!base || !*base)
        base = WECHAT_API_BASE;
    if (!acc->app_id || !*acc->app_id || !acc->secret || !*acc->secret) {
        snprintf(res->error, sizeof(res->error),
                 "the channel has no app_id or app_secret: set them in its settings");
        return -1;
    }
    size_t blen = strlen(base);
    while (blen && base[blen - 1] == '/')
        blen--;
    snprintf(acc->root, sizeof(acc->root), "%.*s", (int)blen, base);
    if (cache_get(ch->code, acc->app_id, acc->secret, acc->root, acc->token))
        return 0;
    acc->fresh = 1;
    return fetch_token(ch, acc->app_id, acc->secret, acc->root, acc->token, res);
}

/* After errcode `code` of a call: 1 when the token was stale and a fresh one is now in acc (call
 * again), 0 when not (res says why). */
static int account_retry(struct account *acc, long code, int round, struct wechat_send_result *res)
{
    if (!token_stale(code))
        return 0;
    wechat_token_forget(acc->ch->code);
    if (acc->fresh || round) /* a token fetched just now is refused: try again later */
        return 0;
    if (fetch_token(acc->ch, acc->app_id, acc->secret, acc->root, acc->token, res))
        return 0;
    acc->fresh = 1;
    return 1;
}

int wechat_deliver(const struct channel_config *ch, const char *payload_json,
                   struct wechat_send_result *res)
{
    memset(res, 0, sizeof(*res));
    struct account acc;
    if (account_open(ch, &acc, res))
        return 0;
    for (int round = 0; round < 2; round++) {
        char url[FIELD_MAX + TOKEN_MAX + 64], err[WECHAT_ERROR_LEN - 16];
        snprintf(url, sizeof(url), "%s/cgi-bin/message/custom/send?access_token=%s", acc.root,
                 acc.token);
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
        if (!token_stale(code))
            res->permanent = refused_for_good(code);
        if (!account_retry(&acc, code, round, res))
            return 0;
    }
    return 0;
}

/* The file name of a media file: the one its Content-Disposition gives, else the media id with
 * the extension of its type. */
static void media_filename(const struct answer_meta *m, const char *media_id, char *out, size_t cap)
{
    const char *f = strstr(m->disposition, "filename=");
    if (f) {
        f += 9;
        size_t n = strcspn(f, "\";");
        if (*f == '"')
            f++, n = strcspn(f, "\"");
        if (n) {
            snprintf(out, cap, "%.*s", (int)n, f);
            return;
        }
    }
    static const struct {
        const char *type, *ext;
    } exts[] = {{"image/jpeg", ".jpg"}, {"image/png", ".png"},   {"image/gif", ".gif"},
                {"audio/amr", ".amr"},  {"audio/speex", ".spx"}, {"audio/mpeg", ".mp3"}};
    const char *ext = "";
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
        if (!strncasecmp(m->content_type, exts[i].type, strlen(exts[i].type)))
            ext = exts[i].ext;
    snprintf(out, cap, "%.64s%s", media_id, ext);
}

int wechat_media_fetch(const struct channel_config *ch, const char *media_id,
                       struct wechat_media_file *ret, struct wechat_send_result *res)
{
    memset(res, 0, sizeof(*res));
    memset(ret, 0, sizeof(*ret));
    struct account acc;
    if (account_open(ch, &acc, res))
        return 0;
    CURL *esc = curl_easy_init();
    char *mid = esc ? curl_easy_escape(esc, media_id, 0) : NULL;
    curl_easy_cleanup(esc);
    if (!mid) {
        snprintf(res->error, sizeof(res->error), "media: the address cannot be made");
        return 0;
    }
    for (int round = 0; round < 2; round++) {
        char url[2 * FIELD_MAX + TOKEN_MAX + 64], err[WECHAT_ERROR_LEN - 16];
        snprintf(url, sizeof(url), "%s/cgi-bin/media/get?access_token=%s&media_id=%s", acc.root,
                 acc.token, mid);
        struct strbuf answer = STRBUF_INIT(WECHAT_MEDIA_MAX);
        struct answer_meta meta;
        if (transfer(url, NULL, &answer, &meta, err, sizeof(err))) {
            snprintf(res->error, sizeof(res->error), "media: %s", err);
            strbuf_release(&answer);
            break;
        }
        /* the platform answers an error as JSON, the file as itself */
        json_t *o = NULL;
        if (!strncasecmp(meta.content_type, "application/json", 16) ||
            !strncasecmp(meta.content_type, "text/plain", 10))
            o = json_loadb(answer.buf, answer.len, 0, NULL);
        long code = o ? errcode_of(o) : 0;
        if (!o && answer.len) {
            size_t len;
            ret->data = strbuf_detach(&answer, &len);
            ret->size = len;
            snprintf(ret->content_type, sizeof(ret->content_type), "%s",
                     *meta.content_type ? meta.content_type : "application/octet-stream");
            media_filename(&meta, media_id, ret->filename, sizeof(ret->filename));
            res->ok = 1;
            break;
        }
        strbuf_release(&answer);
        if (!o || !code) {
            snprintf(res->error, sizeof(res->error), "media: the platform's answer holds no file");
            json_decref(o);
            break;
        }
        snprintf(res->error, sizeof(res->error), "media: errcode %ld %s", code, errmsg_of(o));
        json_decref(o);
        res->permanent = code == 40007; /* an unknown or expired media id (kept 3 days) */
        if (!account_retry(&acc, code, round, res))
            break;
    }
    curl_free(mid);
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
