/* tz.c: TZif files (RFC 8536) and their POSIX TZ footer rules, read without the C library. */
#define _POSIX_C_SOURCE 200809L
#include "lib/tz.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/ktime.h"
#include "lib/xalloc.h"

#include "lib/banned.h"

#define TZ_DIR "/usr/share/zoneinfo"

enum {
    TZ_FILE_MAX = 1 << 16, /* bytes; the largest system file is under 4 KB */
    TZ_FOOTER_MAX = 255,   /* bytes of the footer's TZ string */
    TZ_HEADER = 44,        /* bytes of a TZif header */
    TZ_UTOFF_MIN = -89999, /* RFC 8536 3.2: offsets a reader may rely on */
    TZ_UTOFF_MAX = 93599,  /* ... so every wall time is within TZ_REACH of its instant */
    TZ_REACH = TZ_OFFSET_LIMIT,
    TZ_RULE_HOURS_MAX = 167, /* RFC 8536 3.3.1: a rule's time of day may reach 167 h */
};

/* Instants are evaluated within +-TZ_BOUND seconds; beyond, as at the bound. This keeps the
 * calendar arithmetic far from overflow. */
#define TZ_BOUND (INT64_C(1) << 40)

/* A day of the footer rule, in one of POSIX's three forms, and the wall time of the change. */
struct tz_date {
    char kind;             /* 'J': Jn, 1..365 without Feb 29; 'n': 0..365 with it; 'M': Mm.w.d */
    int day;               /* J and n */
    int month, week, wday; /* M: 1..12, 1..5 (5 = last), 0..6 (0 = Sunday) */
    int32_t time;          /* seconds after the day's midnight, -167 h .. 167 h */
};

/* The footer: a standard offset, and an optional daylight offset with its yearly dates. */
struct tz_rule {
    int32_t std_off, dst_off; /* seconds east of UTC */
    bool has_dst;
    struct tz_date start, end; /* start: local standard time; end: local daylight time */
};

struct tz {
    char name[TZ_NAME_MAX + 1];
    int32_t off0; /* before the first transition (time type 0) */
    bool has_rule;
    struct tz_rule rule; /* from the last transition on, when has_rule */
    size_t ntrans;
    const int64_t *trans;     /* strictly ascending */
    const int32_t *trans_off; /* the offset from trans[i] on */
};

static const struct tz tz_utc = {.name = "UTC"};

static pthread_mutex_t zones_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct tz *zones[TZ_ZONES_MAX];
static size_t nzones;

static int64_t floordiv(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && ((a < 0) != (b < 0)));
}

static int64_t floormod(int64_t a, int64_t b)
{
    return a - floordiv(a, b) * b;
}

static int64_t clamp(int64_t t)
{
    return t < -TZ_BOUND ? -TZ_BOUND : t > TZ_BOUND ? TZ_BOUND : t;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The proleptic Gregorian year of a day counted from 1970-01-01 (H. Hinnant's algorithm). */
static int64_t year_of_day(int64_t days)
{
    int64_t z = days + 719468;
    int64_t era = floordiv(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    return yoe + era * 400 + (mp >= 10); /* months from March: 10 and 11 are January, February */
}

/* ---- the footer rule ---- */

/* The day (since 1970-01-01) on which date d falls in year y. */
static int64_t rule_day(const struct tz_date *d, int64_t y)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t jan1 = days_from_civil(y, 1, 1);
    if (d->kind == 'J')
        return jan1 + d->day - 1 + (is_leap(y) && d->day >= 60);
    if (d->kind == 'n')
        return jan1 + d->day;
    int64_t first = days_from_civil(y, (unsigned)d->month, 1);
    int64_t day = first + floormod(d->wday - floormod(first + 4, 7), 7) + 7 * (d->week - 1);
    int len = mdays[d->month - 1] + (d->month == 2 && is_leap(y));
    while (day >= first + len)
        day -= 7;
    return day;
}

/* The instants (UTC) at which daylight time starts and ends in year y. */
static void rule_events(const struct tz_rule *r, int64_t y, int64_t ev[2])
{
    ev[0] = rule_day(&r->start, y) * 86400 + r->start.time - r->std_off;
    ev[1] = rule_day(&r->end, y) * 86400 + r->end.time - r->dst_off;
}

/* The offset the rule gives at t: that of the latest start or end at or before t. The years
 * around t's own are enough, since a change is never more than 167 h from its day. On a tie
 * the later entry wins, so "0/0,J365/25" (daylight all year) stays in daylight time. */
static int32_t rule_offset(const struct tz_rule *r, int64_t t)
{
    if (!r->has_dst)
        return r->std_off;
    int64_t y = year_of_day(floordiv(t + r->std_off, 86400));
    int64_t best = INT64_MIN;
    int32_t off = r->std_off;
    for (int64_t k = y - 1; k <= y + 1; k++) {
        int64_t ev[2];
        rule_events(r, k, ev);
        for (int i = 0; i < 2; i++) {
            if (ev[i] <= t && ev[i] >= best) {
                best = ev[i];
                off = i == 0 ? r->dst_off : r->std_off;
            }
        }
    }
    return off;
}

/* The first instant after t at which the rule's offset differs from cur; INT64_MAX when none.
 * Rules repeat every year, so ten years without a change mean there is none (a rule whose
 * daylight time lasts all year, or whose dates only differ in leap years at most). */
static int64_t rule_next_change(const struct tz_rule *r, int64_t t, int32_t cur)
{
    if (!r->has_dst || r->std_off == r->dst_off)
        return INT64_MAX;
    int64_t y = year_of_day(floordiv(t + r->std_off, 86400));
    int64_t cand[2 * 12];
    int n = 0;
    for (int64_t k = y - 1; k <= y + 10; k++) {
        int64_t ev[2];
        rule_events(r, k, ev);
        for (int i = 0; i < 2; i++) {
            if (ev[i] <= t)
                continue;
            int j = n++;
            for (; j > 0 && cand[j - 1] > ev[i]; j--)
                cand[j] = cand[j - 1];
            cand[j] = ev[i];
        }
    }
    for (int i = 0; i < n; i++)
        if (rule_offset(r, cand[i]) != cur)
            return cand[i];
    return INT64_MAX;
}

/* Reads a decimal number of at most `width` digits; -1 when there is none. */
static int parse_num(const char **pp, int width)
{
    const char *p = *pp;
    int v = 0, n = 0;
    while (n < width && *p >= '0' && *p <= '9') {
        v = v * 10 + (*p++ - '0');
        n++;
    }
    if (n == 0)
        return -1;
    *pp = p;
    return v;
}

/* A zone abbreviation: three or more letters, or <...> of letters, digits, '+' and '-'. */
static int parse_abbr(const char **pp)
{
    const char *p = *pp;
    bool quoted = *p == '<';
    const char *q = p + quoted;
    while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') ||
           (quoted && ((*q >= '0' && *q <= '9') || *q == '+' || *q == '-')))
        q++;
    size_t n = (size_t)(q - p) - quoted;
    if ((quoted && *q++ != '>') || n < 3)
        return -1;
    *pp = q;
    return 0;
}

/* [+-]hh[:mm[:ss]] with hh <= hmax, in seconds. */
static int parse_hms(const char **pp, int hmax, int32_t *ret)
{
    const char *p = *pp;
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    int h = parse_num(&p, 3), m = 0, s = 0;
    if (h < 0 || h > hmax)
        return -1;
    if (*p == ':') {
        p++;
        if ((m = parse_num(&p, 2)) < 0 || m > 59)
            return -1;
        if (*p == ':') {
            p++;
            if ((s = parse_num(&p, 2)) < 0 || s > 59)
                return -1;
        }
    }
    *ret = sign * (h * 3600 + m * 60 + s);
    *pp = p;
    return 0;
}

/* Jn, n or Mm.w.d, then an optional /time (02:00 when absent). */
static int parse_date(const char **pp, struct tz_date *d)
{
    const char *p = *pp;
    if (*p == 'J') {
        p++;
        d->kind = 'J';
        if ((d->day = parse_num(&p, 3)) < 1 || d->day > 365)
            return -1;
    } else if (*p == 'M') {
        p++;
        d->kind = 'M';
        if ((d->month = parse_num(&p, 2)) < 1 || d->month > 12 || *p++ != '.' ||
            (d->week = parse_num(&p, 1)) < 1 || d->week > 5 || *p++ != '.' ||
            (d->wday = parse_num(&p, 1)) < 0 || d->wday > 6)
            return -1;
    } else {
        d->kind = 'n';
        if ((d->day = parse_num(&p, 3)) < 0 || d->day > 365)
            return -1;
    }
    d->time = 7200;
    if (*p == '/') {
        p++;
        if (parse_hms(&p, TZ_RULE_HOURS_MAX, &d->time))
            return -1;
    }
    *pp = p;
    return 0;
}

/* A POSIX TZ string as TZif footers write it: "std offset [dst [offset] ,start[/time],end[/time]]".
 * A daylight name without dates is refused (zic always writes them). 0 or -1. */
static int parse_rule(const char *s, struct tz_rule *r)
{
    const char *p = s;
    int32_t off;
    memset(r, 0, sizeof(*r));
    if (parse_abbr(&p) || parse_hms(&p, 24, &off))
        return -1;
    r->std_off = -off; /* POSIX counts west of Greenwich */
    if (!*p)
        return 0;
    if (parse_abbr(&p))
        return -1;
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (*p && *p != ',') {
        if (parse_hms(&p, 24, &off))
            return -1;
        r->dst_off = -off;
    }
    if (*p++ != ',' || parse_date(&p, &r->start) || *p++ != ',' || parse_date(&p, &r->end) || *p)
        return -1;
    return 0;
}

/* ---- the transitions ---- */

/* The offset at t; beyond the bound, as at the bound. */
static int32_t offset_at(const struct tz *z, int64_t t)
{
    size_t n = z->ntrans;
    t = clamp(t);
    if (z->has_rule && (n == 0 || t >= z->trans[n - 1]))
        return rule_offset(&z->rule, t);
    if (n == 0 || t < z->trans[0])
        return z->off0;
    size_t lo = 0, hi = n; /* the last transition at or before t is in [lo, hi) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return z->trans_off[lo];
}

/* The first instant after t whose offset_at() differs from cur, the offset at t; INT64_MAX
 * when none. Always after t, so walks move on. Past the bound the offset is that of the
 * bound, hence no change there. */
static int64_t next_change_at(const struct tz *z, int64_t t, int32_t cur)
{
    size_t n = z->ntrans;
    if (t >= TZ_BOUND)
        return INT64_MAX;
    t = clamp(t); /* before -TZ_BOUND the offset is that of -TZ_BOUND: the same question */
    int64_t next = INT64_MAX;
    if (n > 0 && t < z->trans[n - 1]) {
        size_t lo = 0, hi = n - 1; /* the first transition after t is in [lo, hi] */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (z->trans[mid] > t)
                hi = mid;
            else
                lo = mid + 1;
        }
        for (size_t i = lo; i < n && next == INT64_MAX; i++)
            if (offset_at(z, z->trans[i]) != cur)
                next = z->trans[i];
        t = z->trans[n - 1];
    }
    if (next == INT64_MAX && z->has_rule && t < TZ_BOUND)
        next = rule_next_change(&z->rule, t, cur);
    return next > TZ_BOUND ? INT64_MAX : next;
}

int tz_offset(const struct tz *z, int64_t utc_s)
{
    return offset_at(z, utc_s);
}

int64_t tz_next_change(const struct tz *z, int64_t utc_s)
{
    return next_change_at(z, utc_s, offset_at(z, utc_s));
}

/* Walks the offsets in force within TZ_REACH of local_s, in time order: the first period whose
 * offset puts local_s inside it holds the earliest instant; when none does, local_s is in a
 * gap, and the first change that jumps over it is the answer. */
int64_t tz_to_utc(const struct tz *z, int64_t local_s)
{
    if (local_s < -TZ_BOUND || local_s > TZ_BOUND) {
        int32_t off = offset_at(z, local_s); /* saturating: local_s may be INT64_MIN */
        if (off > 0 && local_s < INT64_MIN + off)
            return INT64_MIN;
        if (off < 0 && local_s > INT64_MAX + off)
            return INT64_MAX;
        return local_s - off;
    }
    int64_t u = local_s - TZ_REACH, hi = local_s + TZ_REACH, gap = INT64_MIN;
    int32_t off = offset_at(z, u);
    for (;;) {
        int64_t next = next_change_at(z, u, off);
        int64_t c = local_s - off;
        if (c >= u && c < next)
            return c;
        if (next > hi)
            break;
        int32_t noff = offset_at(z, next);
        if (gap == INT64_MIN && local_s >= next + off && local_s < next + noff)
            gap = next;
        u = next;
        off = noff;
    }
    /* the walk cannot miss: at u = local_s - TZ_REACH the wall clock is behind local_s, at hi it
     * is ahead, and it only moves forward or jumps */
    return gap != INT64_MIN ? gap : local_s - offset_at(z, local_s);
}

/* ---- reading files ---- */

struct tzif_header {
    int version; /* 0 for version 1, else the ASCII digit */
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    uint64_t v = (uint64_t)be32(p) << 32 | be32(p + 4);
    int64_t r;
    memcpy(&r, &v, sizeof(r)); /* two's complement, without an implementation-defined cast */
    return r;
}

static int32_t be32s(const unsigned char *p)
{
    uint32_t v = be32(p);
    int32_t r;
    memcpy(&r, &v, sizeof(r));
    return r;
}

static int read_header(const unsigned char *p, size_t len, struct tzif_header *h)
{
    if (len < TZ_HEADER || memcmp(p, "TZif", 4) != 0)
        return -1;
    h->version = p[4];
    h->isutcnt = be32(p + 20);
    h->isstdcnt = be32(p + 24);
    h->leapcnt = be32(p + 28);
    h->timecnt = be32(p + 32);
    h->typecnt = be32(p + 36);
    h->charcnt = be32(p + 40);
    return 0;
}

/* Bytes of the data block after header h, with tsize-byte times; 64 bits cannot overflow. */
static uint64_t block_size(const struct tzif_header *h, unsigned tsize)
{
    return (uint64_t)h->timecnt * (tsize + 1) + (uint64_t)h->typecnt * 6 + h->charcnt +
           (uint64_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

/* Makes a zone from the TZif image buf[0..len); NULL when it is not a valid one. The result is
 * one allocation (free() releases it). */
static struct tz *tz_parse(const char *name, const unsigned char *buf, size_t len)
{
    struct tzif_header h;
    unsigned tsize = 4;
    size_t at = 0;
    if (read_header(buf, len, &h))
        return NULL;
    if (h.version >= '2' && h.version <= '9') {
        uint64_t skip = TZ_HEADER + block_size(&h, 4);
        if (skip > len || read_header(buf + skip, len - skip, &h))
            return NULL;
        at = (size_t)skip;
        tsize = 8;
    } else if (h.version != 0) {
        return NULL;
    }
    at += TZ_HEADER;
    /* RFC 8536 3.1; leap seconds ("right/" zones) would need TAI arithmetic: refused */
    if (h.typecnt == 0 || h.typecnt > 256 || h.charcnt == 0 || h.leapcnt != 0 ||
        (h.isstdcnt != 0 && h.isstdcnt != h.typecnt) || (h.isutcnt != 0 && h.isutcnt != h.typecnt))
        return NULL;
    if (block_size(&h, tsize) > len - at)
        return NULL;
    const unsigned char *times = buf + at;
    const unsigned char *idx = times + (size_t)h.timecnt * tsize;
    const unsigned char *types = idx + h.timecnt;
    const unsigned char *end = types + (size_t)h.typecnt * 6 + h.charcnt + h.isstdcnt + h.isutcnt;

    int32_t offs[256];
    for (uint32_t i = 0; i < h.typecnt; i++) {
        const unsigned char *t = types + (size_t)i * 6;
        offs[i] = be32s(t);
        if (offs[i] < TZ_UTOFF_MIN || offs[i] > TZ_UTOFF_MAX || t[4] > 1 || t[5] >= h.charcnt)
            return NULL;
    }

    struct tz_rule rule = {0};
    bool has_rule = false;
    if (tsize == 8) {
        /* the footer: '\n', a TZ string (maybe empty), '\n' */
        size_t rest = len - (size_t)(end - buf);
        const unsigned char *nl =
            rest > 1 && end[0] == '\n' ? memchr(end + 1, '\n', rest - 1) : NULL;
        if (!nl || nl - end - 1 > TZ_FOOTER_MAX)
            return NULL;
        char s[TZ_FOOTER_MAX + 1];
        size_t n = (size_t)(nl - end - 1);
        memcpy(s, end + 1, n);
        s[n] = '\0';
        if (n > 0) {
            if (strlen(s) != n || parse_rule(s, &rule))
                return NULL;
            has_rule = true;
        }
    }

    size_t n = h.timecnt;
    struct tz *z = xmalloc(sizeof(*z) + n * (sizeof(int64_t) + sizeof(int32_t)));
    int64_t *trans = (int64_t *)(z + 1);
    int32_t *trans_off = (int32_t *)(trans + n);
    for (size_t i = 0; i < n; i++) {
        trans[i] = tsize == 8 ? be64(times + i * 8) : be32s(times + i * 4);
        if (idx[i] >= h.typecnt || (i > 0 && trans[i] <= trans[i - 1])) {
            free(z);
            return NULL;
        }
        trans_off[i] = offs[idx[i]];
    }
    snprintf(z->name, sizeof(z->name), "%s", name);
    z->off0 = offs[0];
    z->has_rule = has_rule;
    z->rule = rule;
    z->ntrans = n;
    z->trans = trans;
    z->trans_off = trans_off;
    return z;
}

/* Components of letters, digits and "_+-.", none empty or starting with '.', no "..", no
 * leading '/'. */
static bool name_ok(const char *name)
{
    size_t len = 0;
    char prev = '/';
    for (const char *p = name; *p; prev = *p++) {
        if (++len > TZ_NAME_MAX)
            return false;
        bool ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= '0' && *p <= '9') || *p == '_' || *p == '+' || *p == '-' ||
                  (*p == '.' && prev != '/' && prev != '.') || (*p == '/' && prev != '/');
        if (!ok)
            return false;
    }
    return len > 0 && prev != '/';
}

/* Reads and parses the system's file for name (already checked); NULL when it cannot. */
static struct tz *tz_load(const char *name)
{
    char path[sizeof(TZ_DIR) + TZ_NAME_MAX + 2];
    snprintf(path, sizeof(path), "%s/%s", TZ_DIR, name);
    /* O_NONBLOCK: a FIFO planted in the directory must not hang the caller */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < TZ_HEADER ||
        st.st_size > TZ_FILE_MAX) {
        close(fd);
        return NULL;
    }
    size_t len = (size_t)st.st_size, got = 0;
    unsigned char *buf = xmalloc(len);
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    struct tz *z = got == len ? tz_parse(name, buf, len) : NULL;
    free(buf);
    return z;
}

const struct tz *tz_get(const char *name)
{
    if (!name || !name_ok(name))
        return NULL;
    if (strcmp(name, "UTC") == 0)
        return &tz_utc;
    const struct tz *z = NULL;
    pthread_mutex_lock(&zones_lock);
    for (size_t i = 0; i < nzones && !z; i++)
        if (strcmp(zones[i]->name, name) == 0)
            z = zones[i];
    /* read under the lock: a zone is read once per process, and the files are small */
    if (!z && nzones < TZ_ZONES_MAX && (z = tz_load(name)) != NULL)
        zones[nzones++] = z;
    pthread_mutex_unlock(&zones_lock);
    return z;
}
