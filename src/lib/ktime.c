/* ktime.c: the clock, RFC 3339 formatting and parsing, zone-aware days. */
#define _DEFAULT_SOURCE
#include "lib/ktime.h"

#include <ctype.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/banned.h"
#include "lib/err.h"

static char zone[64] = "UTC";
static _Atomic int64_t offset_ms;

int ktime_set_zone(const char *iana)
{
    char path[256];
    if (!iana || !*iana || strlen(iana) >= sizeof(zone) || strstr(iana, ".."))
        return KF_EINVAL;
    if (strcmp(iana, "UTC") != 0) {
        snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", iana);
        FILE *f = fopen(path, "rb");
        if (!f)
            return KF_EINVAL;
        fclose(f);
    }
    snprintf(zone, sizeof(zone), "%s", iana);
    setenv("TZ", iana, 1);
    tzset();
    return 0;
}

const char *ktime_zone(void)
{
    return zone;
}

static int64_t real_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ktime_now(void)
{
    return real_now() + atomic_load(&offset_ms);
}

void ktime_set_now(int64_t now)
{
    atomic_store(&offset_ms, now - real_now());
}

int64_t ktime_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t floordiv(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && ((a < 0) != (b < 0)));
}

/* Writes v as exactly n decimal digits (the low ones) and returns the end. */
static char *put_digits(char *p, long v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + n;
}

void ktime_format(int64_t ms, char *out)
{
    time_t secs = (time_t)floordiv(ms, 1000);
    int frac = (int)(ms - (int64_t)secs * 1000);
    struct tm tm;
    localtime_r(&secs, &tm);
    long off = tm.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    /* by hand: this runs for every time in every answer, and snprintf costs ten times more */
    char *p = put_digits(out, (tm.tm_year + 1900) % 10000, 4);
    *p++ = '-';
    p = put_digits(p, tm.tm_mon + 1, 2);
    *p++ = '-';
    p = put_digits(p, tm.tm_mday, 2);
    *p++ = 'T';
    p = put_digits(p, tm.tm_hour, 2);
    *p++ = ':';
    p = put_digits(p, tm.tm_min, 2);
    *p++ = ':';
    p = put_digits(p, tm.tm_sec, 2);
    if (frac) {
        *p++ = '.';
        p = put_digits(p, frac, 3);
    }
    *p++ = sign;
    p = put_digits(p, off / 60, 2);
    *p++ = ':';
    p = put_digits(p, off % 60, 2);
    *p = '\0';
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = floordiv(y, 400);
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char **p, int n, int *ret)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *ret = v;
    return 0;
}

int ktime_parse(const char *s, int64_t *ret)
{
    int y, mo, d, h, mi, sec = 0, ms = 0, oh = 0, om = 0, sign = 1;
    const char *p = s;
    if (!s || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' '))
        return KF_EINVAL;
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
        return KF_EINVAL;
    if (*p == ':') {
        p++;
        if (digits(&p, 2, &sec))
            return KF_EINVAL;
        if (*p == '.') {
            p++;
            int n = 0;
            while (isdigit((unsigned char)*p)) {
                if (n < 3)
                    ms = ms * 10 + (*p - '0');
                n++, p++;
            }
            if (n == 0)
                return KF_EINVAL;
            for (; n < 3; n++)
                ms *= 10;
        }
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '-' ? -1 : 1;
        if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om))
            return KF_EINVAL;
    } else {
        return KF_EINVAL;
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59)
        return KF_EINVAL;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
        return KF_EINVAL;
    if (sec == 60)
        sec = 59;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t t = ((days * 24 + h) * 60 + mi) * 60 + sec;
    t -= sign * (oh * 3600 + om * 60);
    *ret = t * 1000 + ms;
    return 0;
}

int ktime_day(int64_t ms)
{
    time_t secs = (time_t)floordiv(ms, 1000);
    struct tm tm;
    localtime_r(&secs, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

int64_t ktime_day_start(int yyyymmdd)
{
    struct tm tm = {0};
    tm.tm_year = yyyymmdd / 10000 - 1900;
    tm.tm_mon = yyyymmdd / 100 % 100 - 1;
    tm.tm_mday = yyyymmdd % 100;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm) * 1000;
}
