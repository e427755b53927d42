/* mail_parse.c: the mail intake's speed and memory: mails parsed per second over the corpus
 * (tests/fixtures/mail, each mail in turn, for a few seconds), and the peak resident memory
 * while one mail with a 15 MB attachment is parsed.
 * Usage: mail_parse [SECONDS] (default 5), from the top of the tree. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channels/mail_parse.h"
#include "lib/arena.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#define CORPUS "tests/fixtures/mail/"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* VmHWM or VmRSS of this process in KiB. */
static long status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0)
            v = strtol(line + kl + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

/* Resets VmHWM to the current RSS (Linux 4.0+), so that the peak of one step can be read. */
static void reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

struct mail {
    char *raw;
    size_t len;
};

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? strtod(argv[1], NULL) : 5;
    struct mail mails[64];
    size_t n = 0, bytes = 0;
    DIR *d = opendir(CORPUS);
    if (!d) {
        fprintf(stderr, "mail_parse: run from the top of the tree (no %s)\n", CORPUS);
        return 1;
    }
    struct dirent *de;
    while ((de = readdir(d)) && n < 64) {
        size_t l = strlen(de->d_name);
        if (l < 4 || strcmp(de->d_name + l - 4, ".eml") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, CORPUS "%s", de->d_name);
        FILE *f = fopen(path, "rb");
        struct strbuf sb = STRBUF_INIT(1 << 24);
        char buf[65536];
        size_t r;
        while (f && (r = fread(buf, 1, sizeof buf, f)) > 0)
            strbuf_add(&sb, buf, r);
        if (f)
            fclose(f);
        mails[n].raw = strbuf_detach(&sb, &mails[n].len);
        bytes += mails[n].len;
        n++;
    }
    closedir(d);

    long parsed = 0, failed = 0;
    double t0 = now_s(), t = t0;
    while (t - t0 < seconds) {
        for (size_t i = 0; i < n; i++) {
            struct arena a = ARENA_INIT;
            struct mail_in m;
            struct kf_error e = {0};
            failed += mail_parse(mails[i].raw, mails[i].len, 0, &a, &m, &e) != 0;
            arena_release(&a);
        }
        parsed += (long)n;
        t = now_s();
    }
    printf("corpus: %zu mails, %zu bytes on average\n", n, n ? bytes / n : 0);
    printf("parse rate: %.0f mails/s (%ld parsed in %.1f s, %ld refused)\n",
           (double)parsed / (t - t0), parsed, t - t0, failed);

    /* one mail carrying a 15 MB attachment, base64 in 76-column lines */
    enum { SIZE = 15 * 1024 * 1024 };
    struct strbuf sb = STRBUF_INIT(MAIL_MAX_BYTES);
    strbuf_addstr(&sb, "From: big@example.com\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
                       "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                       "Content-Type: text/plain\r\n\r\nsee attachment\r\n--b\r\n"
                       "Content-Type: application/octet-stream; name=big.bin\r\n"
                       "Content-Transfer-Encoding: base64\r\n\r\n");
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t x = 2463534242u;
    char line[80];
    for (size_t i = 0; i < SIZE; i += 57) {
        size_t col = 0;
        for (size_t k = 0; k < 57 && i + k < SIZE; k += 3) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            line[col++] = b64[x & 63], line[col++] = b64[x >> 6 & 63];
            line[col++] = b64[x >> 12 & 63], line[col++] = b64[x >> 18 & 63];
        }
        line[col++] = '\r', line[col++] = '\n';
        strbuf_add(&sb, line, col);
    }
    strbuf_addstr(&sb, "--b--\r\n");
    long before = status_kib("VmRSS:");
    reset_peak();
    struct arena a = ARENA_INIT;
    struct mail_in m;
    struct kf_error e = {0};
    double p0 = now_s();
    int rc = mail_parse(sb.buf, sb.len, 0, &a, &m, &e);
    double p1 = now_s();
    long peak = status_kib("VmHWM:");
    printf("15 MB attachment: mail of %zu bytes, rc %d, attachment %zu bytes, %.0f ms\n", sb.len,
           rc, rc == 0 && m.n_attachments ? m.attachments[0].size : 0, (p1 - p0) * 1e3);
    printf("memory: %ld KiB resident with the mail read in, peak %ld KiB while parsing "
           "(+%ld KiB, %.1f x the mail)\n",
           before, peak, peak - before, (double)(peak - before) * 1024 / (double)sb.len);
    arena_release(&a);
    strbuf_release(&sb);
    for (size_t i = 0; i < n; i++)
        free(mails[i].raw);
    return rc;
}
