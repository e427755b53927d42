/* imap.c: one IMAP session: libcurl's connection and login, then Kefu's own commands on it. */
#define _GNU_SOURCE /* strcasestr */
#include "channels/imap.h"

#include <curl/curl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "lib/xalloc.h"

enum {
    RBUF_SIZE = 256 * 1024,      /* what is read from the server at once; also the longest line */
    TEXT_MAX = 16 * 1024 * 1024, /* one answer without its literals (a SEARCH of many UIDs) */
    SMALL_LITERAL = 4096,        /* literals besides the mail are read and dropped */
    SLICE_MS = 250,              /* how often a wait looks at stop() */
    SEARCH_MAX = 1000000,        /* UIDs taken from one SEARCH */
};

struct imap {
    const struct imap_config *cfg;
    CURL *curl;
    curl_socket_t sock;
    char *rbuf;
    size_t roff, rlen;
    unsigned tag;
    int timeout_ms;
    int can_idle, can_move, can_uidplus, keywords;
    uint32_t uidvalidity;
    int exists;         /* an EXISTS (new mail) arrived since it was last cleared */
    int broken;         /* a read or write failed or was cut short: the session is out of step */
    struct strbuf text; /* the answer being read, its literals left out */
    char err[IMAP_ERROR_MAX];
};

/* What a command collects from its untagged answers. */
struct collect {
    uint32_t *uids; /* SEARCH */
    size_t n, cap;
    imap_mail_fn *fn; /* FETCH */
    void *arg;
    size_t max_bytes;
    int fn_rc;
};

static int failf(struct imap *im, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int failf(struct imap *im, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(im->err, sizeof(im->err), fmt, ap);
    va_end(ap);
    return rc;
}

static int stopped(const struct imap *im)
{
    return im->cfg->stop && im->cfg->stop(im->cfg->stop_arg);
}

/* Waits up to ms for events on the socket. 1 ready; 0 the time is up or the wake descriptor
 * became readable; KF_ESHUTDOWN when stop() says so. */
static int wait_io(struct imap *im, short events, int ms)
{
    int64_t end = ktime_monotonic() + ms;
    for (;;) {
        if (stopped(im))
            return failf(im, KF_ESHUTDOWN, "stopped");
        int64_t left = end - ktime_monotonic();
        if (left <= 0)
            return 0;
        struct pollfd p[2] = {{im->sock, events, 0}, {im->cfg->wake_fd, POLLIN, 0}};
        int n = poll(p, im->cfg->wake_fd >= 0 ? 2 : 1, left < SLICE_MS ? (int)left : SLICE_MS);
        if (n > 0 && p[0].revents)
            return 1;
        if (n > 0 && p[1].revents)
            return 0;
    }
}

/* Reads what the server sent into rbuf. *ret_quiet (when not NULL) becomes 1 instead of an
 * error when nothing came within ms. */
static int fill(struct imap *im, int ms, int *ret_quiet)
{
    if (im->roff == im->rlen) {
        im->roff = im->rlen = 0;
    } else if (im->roff) {
        memmove(im->rbuf, im->rbuf + im->roff, im->rlen - im->roff);
        im->rlen -= im->roff;
        im->roff = 0;
    }
    im->broken = 1; /* until this read has worked */
    if (im->rlen >= RBUF_SIZE - 1)
        return failf(im, KF_EIO, "the server sent a line longer than %d bytes", RBUF_SIZE);
    for (;;) {
        size_t got = 0;
        CURLcode cc = curl_easy_recv(im->curl, im->rbuf + im->rlen, RBUF_SIZE - 1 - im->rlen, &got);
        if (cc == CURLE_OK) {
            if (!got)
                return failf(im, KF_EIO, "the server closed the connection");
            im->rlen += got;
            im->broken = 0;
            return 0;
        }
        if (cc != CURLE_AGAIN)
            return failf(im, KF_EIO, "reading from the server: %s", curl_easy_strerror(cc));
        int r = wait_io(im, POLLIN, ms);
        if (r < 0)
            return r;
        if (!r && ret_quiet) {
            *ret_quiet = 1;
            im->broken = 0;
            return 0;
        }
        if (!r)
            return failf(im, KF_EIO, "the server did not answer within %d s", ms / 1000);
    }
}

static int send_all(struct imap *im, const char *p, size_t len)
{
    im->broken = 1; /* until the whole command is out */
    while (len) {
        size_t sent = 0;
        CURLcode cc = curl_easy_send(im->curl, p, len, &sent);
        if (cc == CURLE_OK) {
            p += sent, len -= sent;
            continue;
        }
        if (cc != CURLE_AGAIN)
            return failf(im, KF_EIO, "writing to the server: %s", curl_easy_strerror(cc));
        int r = wait_io(im, POLLOUT, im->timeout_ms);
        if (r <= 0)
            return r < 0 ? r : failf(im, KF_EIO, "the server takes nothing more");
    }
    im->broken = 0;
    return 0;
}

/* Appends the next line, without its CRLF, to im->text; *ret_start: where it begins there. */
static int read_line(struct imap *im, size_t *ret_start)
{
    for (;;) {
        char *start = im->rbuf + im->roff;
        char *nl = memchr(start, '\n', im->rlen - im->roff);
        if (nl) {
            size_t len = (size_t)(nl - start);
            if (len && start[len - 1] == '\r')
                len--;
            *ret_start = im->text.len;
            im->roff = (size_t)(nl + 1 - im->rbuf);
            if (strbuf_add(&im->text, start, len))
                return failf(im, KF_EIO, "the server's answer is longer than %d bytes", TEXT_MAX);
            return 0;
        }
        int rc = fill(im, im->timeout_ms, NULL);
        if (rc)
            return rc;
    }
}

/* Reads the next n bytes into dst (NULL: drops them). */
static int read_bytes(struct imap *im, char *dst, size_t n)
{
    while (n) {
        size_t have = im->rlen - im->roff;
        if (!have) {
            int rc = fill(im, im->timeout_ms, NULL);
            if (rc)
                return rc;
            continue;
        }
        size_t k = have < n ? have : n;
        if (dst) {
            memcpy(dst, im->rbuf + im->roff, k);
            dst += k;
        }
        im->roff += k;
        n -= k;
    }
    return 0;
}

/* The size of the literal a line ends with ("{123}" or "{123+}"), or -1. */
static long long literal_at_end(const char *line, size_t len)
{
    if (len < 3 || line[len - 1] != '}')
        return -1;
    size_t i = len - 1;
    if (line[i - 1] == '+')
        i--;
    size_t digits_end = i;
    while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
        i--;
    if (i == 0 || line[i - 1] != '{' || i == digits_end || digits_end - i > 12)
        return -1;
    return strtoll(line + i, NULL, 10);
}

/* One answer: its text in im->text (each literal there as "{N}"), the first literal whose
 * size is at most max_lit in *ret_lit (malloc'd) or, when larger, skipped with its size in
 * *ret_lit_len. */
static int read_answer(struct imap *im, size_t max_lit, char **ret_lit, size_t *ret_lit_len,
                       int *ret_skipped)
{
    strbuf_reset(&im->text);
    *ret_lit = NULL;
    *ret_lit_len = 0;
    *ret_skipped = 0;
    int first = 1;
    for (;;) {
        size_t start;
        int rc = read_line(im, &start);
        if (rc)
            return rc;
        long long n = literal_at_end(im->text.buf + start, im->text.len - start);
        if (n < 0)
            return 0;
        size_t size = (size_t)n;
        if (first && size <= max_lit) {
            char *lit = malloc(size + 1);
            if (!lit) {
                if ((rc = read_bytes(im, NULL, size)))
                    return rc;
                return failf(im, KF_EIO, "out of memory for a mail of %zu bytes", size);
            }
            if ((rc = read_bytes(im, lit, size))) {
                free(lit);
                return rc;
            }
            lit[size] = '\0';
            *ret_lit = lit;
            *ret_lit_len = size;
        } else {
            if ((rc = read_bytes(im, NULL, size)))
                return rc;
            if (first) {
                *ret_skipped = 1;
                *ret_lit_len = size;
            }
        }
        first = 0;
    }
}

static int has_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = text; (p = strcasestr(p, word)); p += n)
        if ((p == text || p[-1] == ' ' || p[-1] == '[' || p[-1] == '(') &&
            (p[n] == ' ' || p[n] == ']' || p[n] == ')' || p[n] == '\0'))
            return 1;
    return 0;
}

static void note_capabilities(struct imap *im, const char *caps)
{
    im->can_idle = has_word(caps, "IDLE");
    im->can_move = has_word(caps, "MOVE");
    im->can_uidplus = has_word(caps, "UIDPLUS");
}

static int add_uid(struct collect *cx, unsigned long long uid)
{
    if (!uid || uid > UINT32_MAX || cx->n >= SEARCH_MAX)
        return 0;
    if (cx->n == cx->cap) {
        cx->cap = cx->cap ? cx->cap * 2 : 64;
        cx->uids = xrealloc(cx->uids, cx->cap * sizeof(*cx->uids));
    }
    cx->uids[cx->n++] = (uint32_t)uid;
    return 0;
}

/* An untagged answer (after "* "). lit is handed over. */
static int untagged(struct imap *im, const char *t, char *lit, size_t lit_len, int skipped,
                    struct collect *cx)
{
    const char *p;
    if (!strncasecmp(t, "OK [", 4) || !strncasecmp(t, "NO [", 4)) {
        if (!strncasecmp(t + 4, "UIDVALIDITY ", 12))
            im->uidvalidity = (uint32_t)strtoul(t + 16, NULL, 10);
        else if (!strncasecmp(t + 4, "PERMANENTFLAGS ", 15))
            im->keywords = strstr(t, "\\*") != NULL;
        else if (!strncasecmp(t + 4, "CAPABILITY ", 11))
            note_capabilities(im, t + 4);
    } else if (!strncasecmp(t, "CAPABILITY ", 11)) {
        note_capabilities(im, t);
    } else if (!strncasecmp(t, "SEARCH", 6) && cx) {
        for (p = t + 6; *p;) {
            char *end;
            unsigned long long uid = strtoull(p, &end, 10);
            if (end == p) {
                p++;
                continue;
            }
            add_uid(cx, uid);
            p = end;
        }
    } else if (t[0] >= '0' && t[0] <= '9') {
        const char *word = strchr(t, ' ');
        if (word && !strncasecmp(word + 1, "EXISTS", 6))
            im->exists = 1;
        if (word && !strncasecmp(word + 1, "FETCH", 5) && cx && cx->fn && (lit || skipped)) {
            const char *u = strcasestr(word, "UID ");
            unsigned long long uid = u ? strtoull(u + 4, NULL, 10) : 0;
            if (uid && uid <= UINT32_MAX && !cx->fn_rc) {
                cx->fn_rc = cx->fn(cx->arg, (uint32_t)uid, lit, lit_len);
                return 0; /* lit handed over */
            }
        }
    }
    free(lit);
    return 0;
}

/* Reads answers until the tagged one of tag. 0 for OK; KF_EINVAL for NO or BAD (its text in
 * the error); another negative code when the connection failed. */
static int finish(struct imap *im, const char *tag, struct collect *cx)
{
    size_t tl = strlen(tag);
    for (;;) {
        char *lit;
        size_t lit_len;
        int skipped;
        int rc = read_answer(im, cx && cx->fn ? cx->max_bytes : 0, &lit, &lit_len, &skipped);
        if (rc)
            return rc;
        const char *t = im->text.buf;
        if (t[0] == '*' && t[1] == ' ') {
            untagged(im, t + 2, lit, lit_len, skipped, cx);
            continue;
        }
        free(lit);
        if (strncmp(t, tag, tl) || t[tl] != ' ')
            continue; /* a continuation, or another command's */
        const char *st = t + tl + 1;
        if (!strncasecmp(st, "OK", 2))
            return 0;
        const char *why = strchr(st, ' ');
        return failf(im, KF_EINVAL, "the server answered: %s", why ? why + 1 : st);
    }
}

static int send_command(struct imap *im, char *tag, size_t tagn, const char *fmt, va_list ap)
{
    snprintf(tag, tagn, "K%u", ++im->tag);
    struct strbuf line = STRBUF_INIT(64 * 1024);
    strbuf_addf(&line, "%s ", tag);
    strbuf_vaddf(&line, fmt, ap);
    strbuf_addstr(&line, "\r\n");
    int rc =
        line.overflow ? failf(im, KF_EIO, "a command too long") : send_all(im, line.buf, line.len);
    strbuf_release(&line);
    return rc;
}

static int command(struct imap *im, struct collect *cx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int command(struct imap *im, struct collect *cx, const char *fmt, ...)
{
    char tag[16];
    va_list ap;
    va_start(ap, fmt);
    int rc = send_command(im, tag, sizeof(tag), fmt, ap);
    va_end(ap);
    return rc ? rc : finish(im, tag, cx);
}

/* The mailbox named by the URL's path, as an IMAP quoted string, in buf. */
static int mailbox_of(const char *url, char *buf, size_t n)
{
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    char name[512];
    size_t len = 0;
    for (p = p ? p + 1 : ""; *p && *p != ';' && *p != '?' && len < sizeof(name) - 1; p++) {
        int c = (unsigned char)*p;
        if (c == '%' && p[1] && p[2]) {
            char hex[3] = {p[1], p[2], 0};
            c = (int)strtol(hex, NULL, 16);
            p += 2;
        }
        if (c < 0x20 || c > 0x7e)
            return -1;
        name[len++] = (char)c;
    }
    while (len && name[len - 1] == '/')
        len--;
    name[len] = '\0';
    size_t o = 0;
    buf[o++] = '"';
    for (const char *q = len ? name : "INBOX"; *q && o < n - 3; q++) {
        if (*q == '"' || *q == '\\')
            buf[o++] = '\\';
        buf[o++] = *q;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return 0;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    return stopped(arg);
}

/* The user's sentence for a failed connection or login. */
static int connect_error(struct imap *im, CURLcode cc, const char *errbuf)
{
    const struct imap_config *c = im->cfg;
    switch (cc) {
    case CURLE_LOGIN_DENIED:
        return failf(im, KF_EAUTH, "login failed: the server refused user \"%s\" or its password",
                     c->user ? c->user : "");
    case CURLE_COULDNT_CONNECT:
        return failf(im, KF_EIO, "connection refused: %s", errbuf[0] ? errbuf : "no answer");
    case CURLE_COULDNT_RESOLVE_HOST:
        return failf(im, KF_EIO, "unknown host: %s", errbuf);
    case CURLE_OPERATION_TIMEDOUT:
        return failf(im, KF_EIO, "the server did not answer within %d s", im->timeout_ms / 1000);
    case CURLE_ABORTED_BY_CALLBACK:
        return failf(im, KF_ESHUTDOWN, "stopped");
    default:
        return failf(im, KF_EIO, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
    }
}

int imap_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : KF_EIO;
}

void imap_global_cleanup(void)
{
    curl_global_cleanup();
}

static void session_free(struct imap *im)
{
    if (im->curl)
        curl_easy_cleanup(im->curl);
    strbuf_release(&im->text);
    free(im->rbuf);
    free(im);
}

int imap_open(const struct imap_config *cfg, struct imap **ret, char *err, size_t n)
{
    struct imap *im = xcalloc(1, sizeof(*im));
    im->cfg = cfg;
    im->sock = CURL_SOCKET_BAD;
    im->timeout_ms = (cfg->timeout_s > 0 ? cfg->timeout_s : 30) * 1000;
    im->rbuf = xmalloc(RBUF_SIZE);
    strbuf_init(&im->text, TEXT_MAX);
    char mailbox[600], errbuf[CURL_ERROR_SIZE] = "";
    int rc = 0;
    if (mailbox_of(cfg->url, mailbox, sizeof(mailbox)))
        rc = failf(im, KF_EINVAL,
                   "the mailbox of the IMAP address is not ASCII: write it as the "
                   "server lists it (modified UTF-7)");
    else if (!(im->curl = curl_easy_init()))
        rc = failf(im, KF_EIO, "cannot start the IMAP client");
    if (rc)
        goto out;
    CURL *c = im->curl;
    curl_easy_setopt(c, CURLOPT_URL, cfg->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
    curl_easy_setopt(c, CURLOPT_USERNAME, cfg->user ? cfg->user : "");
    curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
    curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)im->timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)im->timeout_ms);
    if (!strncmp(cfg->url, "imap://", 7)) /* STARTTLS whenever the server offers it */
        curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    if (cfg->ca_file && *cfg->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, cfg->ca_file);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, im);
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        rc = connect_error(im, cc, errbuf);
        goto out;
    }
    if (curl_easy_getinfo(c, CURLINFO_ACTIVESOCKET, &im->sock) != CURLE_OK ||
        im->sock == CURL_SOCKET_BAD) {
        rc = failf(im, KF_EIO, "the IMAP connection has no socket");
        goto out;
    }
    if ((rc = command(im, NULL, "CAPABILITY")))
        goto out;
    if ((rc = command(im, NULL, "SELECT %s", mailbox)) == KF_EINVAL)
        rc = failf(im, KF_ENOTFOUND, "no mailbox %s on the server", mailbox);
out:
    if (rc) {
        snprintf(err, n, "%s", im->err);
        if (im->sock != CURL_SOCKET_BAD)
            shutdown(im->sock, SHUT_RDWR); /* no LOGOUT waited for on a broken session */
        session_free(im);
        return rc;
    }
    *ret = im;
    return 0;
}

void imap_close(struct imap *im)
{
    if (!im)
        return;
    im->timeout_ms = im->timeout_ms < 3000 ? im->timeout_ms : 3000;
    if (!im->broken && !stopped(im))
        command(im, NULL, "LOGOUT");
    shutdown(im->sock, SHUT_RDWR); /* libcurl's own LOGOUT on cleanup then fails at once */
    session_free(im);
}

const char *imap_error(const struct imap *im)
{
    return im->err;
}

uint32_t imap_uidvalidity(const struct imap *im)
{
    return im->uidvalidity;
}

int imap_can_idle(const struct imap *im)
{
    return im->can_idle;
}

static int cmp_uid(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int imap_search_new(struct imap *im, uint32_t **ret, size_t *ret_n)
{
    struct collect cx = {0};
    int rc = command(im, &cx,
                     im->keywords ? "UID SEARCH UNDELETED NOT KEYWORD $KefuTaken"
                                  : "UID SEARCH UNDELETED UNSEEN");
    if (rc) {
        free(cx.uids);
        return rc;
    }
    if (cx.n)
        qsort(cx.uids, cx.n, sizeof(*cx.uids), cmp_uid);
    *ret = cx.uids;
    *ret_n = cx.n;
    return 0;
}

/* uids as an IMAP sequence set ("3:7,9") in sb. */
static void uid_set(struct strbuf *sb, const uint32_t *uids, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && uids[j + 1] == uids[j] + 1)
            j++;
        if (sb->len)
            strbuf_addch(sb, ',');
        if (j > i)
            strbuf_addf(sb, "%u:%u", uids[i], uids[j]);
        else
            strbuf_addf(sb, "%u", uids[i]);
        i = j + 1;
    }
}

int imap_fetch(struct imap *im, const uint32_t *uids, size_t n, size_t max_bytes, imap_mail_fn *fn,
               void *arg)
{
    if (!n)
        return 0;
    struct strbuf set = STRBUF_INIT(60 * 1024);
    uid_set(&set, uids, n);
    struct collect cx = {.fn = fn, .arg = arg, .max_bytes = max_bytes};
    int rc = set.overflow ? failf(im, KF_EIO, "too many mails at once")
                          : command(im, &cx, "UID FETCH %s (UID BODY.PEEK[])", set.buf);
    strbuf_release(&set);
    return rc ? rc : cx.fn_rc;
}

int imap_mark(struct imap *im, const uint32_t *uids, size_t n, const char *folder)
{
    if (!n)
        return 0;
    struct strbuf set = STRBUF_INIT(60 * 1024);
    uid_set(&set, uids, n);
    char box[600];
    int rc = 0;
    if (set.overflow) {
        rc = failf(im, KF_EIO, "too many mails at once");
    } else if (folder) { /* mailbox_of reads a URL's path: the folder as one */
        char path[600];
        snprintf(path, sizeof(path), "x:///%s", folder);
        if (mailbox_of(path, box, sizeof(box)))
            rc = failf(im, KF_EINVAL, "the folder name is not ASCII");
    }
    /* flagged first: should the move fail, the mail is still not fetched again */
    if (!rc)
        rc = command(im, NULL, "UID STORE %s +FLAGS.SILENT (%s\\Seen)", set.buf,
                     im->keywords ? "$KefuTaken " : "");
    if (!rc && folder) {
        if (im->can_move) {
            rc = command(im, NULL, "UID MOVE %s %s", set.buf, box);
        } else if (!(rc = command(im, NULL, "UID COPY %s %s", set.buf, box)) &&
                   !(rc = command(im, NULL, "UID STORE %s +FLAGS.SILENT (\\Deleted)", set.buf)) &&
                   im->can_uidplus) {
            rc = command(im, NULL, "UID EXPUNGE %s", set.buf);
        }
        if (rc == KF_EINVAL)
            rc = failf(im, KF_EINVAL, "cannot move the mail to folder %s: %s", box, im->err);
    }
    strbuf_release(&set);
    return rc;
}

int imap_wait(struct imap *im, int ms)
{
    im->exists = 0;
    if (!im->can_idle) {
        int64_t end = ktime_monotonic() + ms;
        while (ktime_monotonic() < end) {
            if (stopped(im))
                return failf(im, KF_ESHUTDOWN, "stopped");
            struct pollfd p = {im->cfg->wake_fd, POLLIN, 0};
            if (poll(&p, im->cfg->wake_fd >= 0 ? 1 : 0, SLICE_MS) > 0)
                break;
        }
        int rc = command(im, NULL, "NOOP");
        return rc ? rc : 1;
    }
    char tag[16], line[32];
    snprintf(tag, sizeof(tag), "K%u", ++im->tag);
    snprintf(line, sizeof(line), "%s IDLE\r\n", tag);
    int rc = send_all(im, line, strlen(line));
    int64_t end = ktime_monotonic() + ms;
    int idling = 0;
    while (!rc && !im->exists) {
        int64_t left = end - ktime_monotonic();
        if (left <= 0)
            break;
        if (im->roff == im->rlen) {
            int quiet = 0;
            if ((rc = fill(im, (int)left, &quiet)) || quiet)
                break;
        }
        char *lit;
        size_t lit_len;
        int skipped;
        if ((rc = read_answer(im, 0, &lit, &lit_len, &skipped)))
            break;
        free(lit);
        const char *t = im->text.buf;
        if (t[0] == '+') {
            idling = 1;
        } else if (t[0] == '*' && t[1] == ' ') {
            untagged(im, t + 2, NULL, 0, 0, NULL);
        } else if (!strncmp(t, tag, strlen(tag))) { /* refused, or ended by the server */
            return idling ? 0 : failf(im, KF_EIO, "IDLE refused: %s", t);
        }
    }
    if (rc)
        return rc;
    if ((rc = send_all(im, "DONE\r\n", 6)) || (rc = finish(im, tag, NULL)))
        return rc;
    return im->exists;
}
