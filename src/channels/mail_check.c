/* mail_check.c: logging in to a mail channel's IMAP and SMTP servers, to show that they work. */
#define _GNU_SOURCE /* strcasestr */
#include "channels/mail_check.h"

#include <curl/curl.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "channels/imap.h"
#include "core/channel.h"
#include "lib/banned.h"
#include "lib/ktime.h"

static void result(struct mail_check_result *ret, int ok, const char *error)
{
    ret->ok = ok;
    snprintf(ret->error, sizeof(ret->error), "%s", ok ? "" : error);
}

void mail_check_imap(const struct channel_config *c, int timeout_s, const char *ca_file,
                     struct mail_check_result *ret)
{
    const char *url = channel_setting(c, "imap_url");
    if (!url || !*url) {
        result(ret, 0, "no IMAP address is set (imap_url)");
        return;
    }
    struct imap_config cfg = {.url = url,
                              .user = channel_setting(c, "imap_user"),
                              .password = channel_setting(c, "imap_password"),
                              .timeout_s = timeout_s,
                              .ca_file = ca_file,
                              .wake_fd = -1};
    struct imap *im;
    char err[IMAP_ERROR_MAX];
    if (imap_open(&cfg, &im, err, sizeof(err))) {
        result(ret, 0, err);
        return;
    }
    imap_close(im);
    result(ret, 1, NULL);
}

/* ---- SMTP: libcurl connects (TLS, STARTTLS, the first EHLO); the login is Kefu's ---- */

struct smtp {
    CURL *curl;
    curl_socket_t sock;
    int timeout_ms;
    char buf[8192];
    size_t len;
};

/* Reads one whole reply (its last line has a space after the code) into s->buf; its code. */
static int smtp_reply(struct smtp *s, char *err, size_t n)
{
    s->len = 0;
    int64_t end = ktime_monotonic() + s->timeout_ms;
    for (;;) {
        s->buf[s->len] = '\0';
        /* the last line: "ddd " at a line start, ended by CRLF */
        for (char *line = s->buf; line && *line;) {
            char *eol = strstr(line, "\r\n");
            if (!eol)
                break;
            if (eol - line >= 4 && line[3] == ' ')
                return (int)strtol(line, NULL, 10);
            line = eol + 2;
        }
        if (s->len >= sizeof(s->buf) - 1) {
            snprintf(err, n, "the SMTP server's answer is too long");
            return -1;
        }
        size_t got = 0;
        CURLcode cc = curl_easy_recv(s->curl, s->buf + s->len, sizeof(s->buf) - 1 - s->len, &got);
        if (cc == CURLE_OK && got) {
            s->len += got;
            continue;
        }
        if (cc != CURLE_AGAIN) {
            snprintf(err, n, "the SMTP server closed the connection");
            return -1;
        }
        int64_t left = end - ktime_monotonic();
        struct pollfd p = {s->sock, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            snprintf(err, n, "the SMTP server did not answer within %d s", s->timeout_ms / 1000);
            return -1;
        }
    }
}

static int smtp_say(struct smtp *s, const char *line, char *err, size_t n)
{
    size_t len = strlen(line), off = 0;
    while (off < len) {
        size_t sent = 0;
        CURLcode cc = curl_easy_send(s->curl, line + off, len - off, &sent);
        if (cc == CURLE_AGAIN) {
            struct pollfd p = {s->sock, POLLOUT, 0};
            if (poll(&p, 1, s->timeout_ms) <= 0)
                break;
            continue;
        }
        if (cc != CURLE_OK)
            break;
        off += sent;
    }
    if (off < len) {
        snprintf(err, n, "cannot write to the SMTP server");
        return -1;
    }
    return smtp_reply(s, err, n);
}

/* The first line of the reply, for an error. */
static const char *first_line(struct smtp *s)
{
    s->buf[strcspn(s->buf, "\r\n")] = '\0';
    return s->buf;
}

/* EHLO, then the login as the server's mechanisms allow. */
static void smtp_login(struct smtp *s, const char *user, const char *pass, char *err, size_t n)
{
    int code = smtp_say(s, "EHLO kefu\r\n", err, n);
    if (code < 0)
        return;
    if (code != 250) {
        snprintf(err, n, "the SMTP server refused EHLO: %.160s", first_line(s));
        return;
    }
    if (!user || !*user)
        return;
    const char *auth = strcasestr(s->buf, "AUTH");
    int plain = auth && strcasestr(auth, "PLAIN"), login = auth && strcasestr(auth, "LOGIN");
    if (!plain && !login) {
        snprintf(err, n, "the SMTP server offers no login (AUTH PLAIN or LOGIN)");
        return;
    }
    char raw[1100], b64[1600], line[1700];
    size_t ul = strlen(user), pl = pass ? strlen(pass) : 0;
    if (ul + pl + 2 > sizeof(raw)) {
        snprintf(err, n, "the SMTP user or password is too long");
        return;
    }
    raw[0] = '\0';
    memcpy(raw + 1, user, ul);
    raw[1 + ul] = '\0';
    memcpy(raw + 2 + ul, pass ? pass : "", pl);
    sodium_bin2base64(b64, sizeof(b64), (unsigned char *)raw, ul + pl + 2,
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(raw, sizeof(raw));
    if (plain) {
        snprintf(line, sizeof(line), "AUTH PLAIN %s\r\n", b64);
        code = smtp_say(s, line, err, n);
    } else {
        code = smtp_say(s, "AUTH LOGIN\r\n", err, n);
        if (code == 334) {
            sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)user, ul,
                              sodium_base64_VARIANT_ORIGINAL);
            snprintf(line, sizeof(line), "%s\r\n", b64);
            code = smtp_say(s, line, err, n);
        }
        if (code == 334) {
            sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)(pass ? pass : ""), pl,
                              sodium_base64_VARIANT_ORIGINAL);
            snprintf(line, sizeof(line), "%s\r\n", b64);
            code = smtp_say(s, line, err, n);
        }
    }
    sodium_memzero(line, sizeof(line));
    sodium_memzero(b64, sizeof(b64));
    if (code >= 0 && code != 235)
        snprintf(err, n, "login failed: the SMTP server refused user \"%.60s\": %.120s", user,
                 first_line(s));
}

void mail_check_smtp(const struct channel_config *c, int timeout_s, const char *ca_file,
                     struct mail_check_result *ret)
{
    const char *url = channel_setting(c, "smtp_url"), *tls = channel_setting(c, "smtp_tls");
    if (!url || !*url) {
        result(ret, 0, "no SMTP address is set (smtp_url)");
        return;
    }
    char full[1100], err[MAIL_CHECK_ERROR_MAX] = "", errbuf[CURL_ERROR_SIZE] = "";
    /* "tls" on an smtp:// address: TLS from the first byte, as smtps:// */
    if (tls && !strcmp(tls, "tls") && !strncmp(url, "smtp://", 7))
        snprintf(full, sizeof(full), "smtps://%s", url + 7);
    else
        snprintf(full, sizeof(full), "%s", url);
    struct smtp s = {.timeout_ms = timeout_s * 1000, .sock = CURL_SOCKET_BAD};
    if (!(s.curl = curl_easy_init())) {
        result(ret, 0, "cannot start the SMTP client");
        return;
    }
    curl_easy_setopt(s.curl, CURLOPT_URL, full);
    curl_easy_setopt(s.curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(s.curl, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(s.curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s.curl, CURLOPT_CONNECTTIMEOUT_MS, (long)s.timeout_ms);
    curl_easy_setopt(s.curl, CURLOPT_TIMEOUT_MS, (long)s.timeout_ms);
    curl_easy_setopt(s.curl, CURLOPT_ERRORBUFFER, errbuf);
    if (ca_file && *ca_file)
        curl_easy_setopt(s.curl, CURLOPT_CAINFO, ca_file);
    if (!strncmp(full, "smtp://", 7) && (!tls || !strcmp(tls, "starttls")))
        curl_easy_setopt(s.curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    CURLcode cc = curl_easy_perform(s.curl);
    if (cc == CURLE_COULDNT_CONNECT)
        snprintf(err, sizeof(err), "connection refused: %.200s", errbuf);
    else if (cc == CURLE_USE_SSL_FAILED)
        snprintf(err, sizeof(err), "the SMTP server offers no STARTTLS (smtp_tls: starttls)");
    else if (cc == CURLE_OPERATION_TIMEDOUT)
        snprintf(err, sizeof(err), "the SMTP server did not answer within %d s", timeout_s);
    else if (cc != CURLE_OK)
        snprintf(err, sizeof(err), "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
    else if (curl_easy_getinfo(s.curl, CURLINFO_ACTIVESOCKET, &s.sock) != CURLE_OK ||
             s.sock == CURL_SOCKET_BAD)
        snprintf(err, sizeof(err), "the SMTP connection has no socket");
    else
        smtp_login(&s, channel_setting(c, "smtp_user"), channel_setting(c, "smtp_password"), err,
                   sizeof(err));
    if (s.sock != CURL_SOCKET_BAD) {
        char ignored[64];
        s.timeout_ms = s.timeout_ms < 2000 ? s.timeout_ms : 2000;
        if (!err[0])
            smtp_say(&s, "QUIT\r\n", ignored, sizeof(ignored));
        shutdown(s.sock, SHUT_RDWR); /* libcurl's own QUIT then fails at once */
    }
    curl_easy_cleanup(s.curl);
    result(ret, !err[0], err);
}
