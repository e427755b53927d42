/* smtp_out.c: SMTP submission of one mail with libcurl. */
#include "channels/smtp_out.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/banned.h"
#include "lib/err.h"

struct source {
    const char *data;
    size_t len, at;
    int (*stop)(void *arg);
    void *arg;
    int stopped;
};

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
    struct source *s = arg;
    size_t room = size * n, left = s->len - s->at;
    size_t k = left < room ? left : room;
    memcpy(buf, s->data + s->at, k);
    s->at += k;
    return k;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    struct source *s = arg;
    if (s->stop && s->stop(s->arg))
        s->stopped = 1;
    return s->stopped;
}

/* The URL curl is given: smtps:// when the channel asks for TLS from the start. */
static void target_url(const struct smtp_server *srv, char *buf, size_t n)
{
    if (srv->tls && !strcmp(srv->tls, "tls") && !strncmp(srv->url, "smtp://", 7))
        snprintf(buf, n, "smtps://%s", srv->url + 7);
    else
        snprintf(buf, n, "%s", srv->url);
}

struct smtp_conn {
    CURL *curl;
};

struct smtp_conn *smtp_conn_new(void)
{
    CURL *c = curl_easy_init();
    if (!c)
        return NULL;
    struct smtp_conn *conn = malloc(sizeof(*conn));
    if (!conn) {
        curl_easy_cleanup(c);
        return NULL;
    }
    conn->curl = c;
    return conn;
}

void smtp_conn_free(struct smtp_conn *conn)
{
    if (!conn)
        return;
    curl_easy_cleanup(conn->curl);
    free(conn);
}

int smtp_send(struct smtp_conn *conn, const struct smtp_server *srv, const char *sender,
              const char *rcpt, const char *data, size_t len, int (*stop)(void *arg), void *arg,
              struct smtp_result *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->outcome = SMTP_TRANSIENT;
    char url[1100], from[400], to[400];
    target_url(srv, url, sizeof(url));
    snprintf(from, sizeof(from), "<%s>", sender);
    snprintf(to, sizeof(to), "<%s>", rcpt);
    CURL *c = conn ? conn->curl : curl_easy_init();
    if (conn)
        curl_easy_reset(c); /* the options go, the open connection stays */
    struct curl_slist *rcpts = c ? curl_slist_append(NULL, to) : NULL;
    if (!c || !rcpts) {
        snprintf(ret->error, sizeof(ret->error), "cannot start an SMTP client");
        if (c && !conn)
            curl_easy_cleanup(c);
        return 0;
    }
    struct source src = {data, len, 0, stop, arg, 0};
    char errbuf[CURL_ERROR_SIZE] = "";
    int plain = srv->tls && !strcmp(srv->tls, "none");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_USE_SSL, plain ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
    if (srv->user && *srv->user) {
        curl_easy_setopt(c, CURLOPT_USERNAME, srv->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, srv->password ? srv->password : "");
    }
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &src);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)SMTP_CONNECT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)SMTP_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &src);

    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ret->code);
    int rc = 0;
    if (cc == CURLE_OK) {
        ret->outcome = SMTP_SENT;
        ret->reached = 1;
    } else if (src.stopped) {
        rc = KF_ESHUTDOWN;
    } else {
        const char *why = errbuf[0] ? errbuf : curl_easy_strerror(cc);
        ret->reached = ret->code > 0;
        /* a 5xx to the mail itself is final; a refused login or TLS is the channel's to fix */
        if (ret->code >= 500 && ret->code < 600 && cc != CURLE_LOGIN_DENIED &&
            cc != CURLE_USE_SSL_FAILED)
            ret->outcome = SMTP_REFUSED;
        if (ret->code)
            snprintf(ret->error, sizeof(ret->error), "%s (the server answered %ld)", why,
                     ret->code);
        else
            snprintf(ret->error, sizeof(ret->error), "%s", why);
    }
    curl_slist_free_all(rcpts);
    if (!conn)
        curl_easy_cleanup(c);
    return rc;
}
