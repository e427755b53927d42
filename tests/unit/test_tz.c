/* test_tz.c: time zones from TZif files: offsets, wall times, footer rules, bad files. */
#define _DEFAULT_SOURCE /* tm_gmtoff, to compare with the C library */
#include "lib/tz.c"     /* the parser's static functions, for hand-made files */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "lib/ktime.h"

/* An instant written in RFC 3339, in seconds. */
static int64_t at(const char *rfc3339)
{
    int64_t ms = 0;
    assert_int_equal(ktime_parse(rfc3339, &ms), 0);
    return ms / 1000;
}

/* A wall-clock time "YYYY-MM-DDTHH:MM:SS" as seconds since 1970-01-01 00:00 on that clock. */
static int64_t wall(const char *s)
{
    char buf[40];
    snprintf(buf, sizeof(buf), "%sZ", s);
    return at(buf);
}

static const struct tz *zone(const char *name)
{
    const struct tz *z = tz_get(name);
    if (!z)
        fail_msg("zone %s is not available", name);
    return z;
}

static void utc_is_built_in(void **state)
{
    (void)state;
    const struct tz *z = zone("UTC");
    assert_ptr_equal(z, &tz_utc); /* no file read */
    int64_t ts[] = {INT64_MIN, -at("1900-01-01T00:00:00Z"), 0, at("2023-03-12T07:00:00Z"),
                    INT64_MAX};
    for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
        assert_int_equal(tz_offset(z, ts[i]), 0);
        assert_true(tz_to_utc(z, ts[i]) == ts[i]);
        assert_true(tz_next_change(z, ts[i]) == INT64_MAX);
    }
    const struct tz *etc = zone("Etc/UTC"); /* the file */
    assert_ptr_not_equal(etc, z);
    assert_int_equal(tz_offset(etc, at("2023-07-01T00:00:00Z")), 0);
    assert_true(tz_to_utc(etc, 12345) == 12345);
}

static void shanghai_now_and_in_1988(void **state)
{
    (void)state;
    const struct tz *z = zone("Asia/Shanghai");
    assert_int_equal(tz_offset(z, at("2024-06-01T00:00:00Z")), 8 * 3600);
    assert_int_equal(tz_offset(z, at("2023-01-15T12:00:00Z")), 8 * 3600);
    /* local mean time until 1901: 8:05:43 */
    assert_int_equal(tz_offset(z, at("1900-06-01T00:00:00Z")), 8 * 3600 + 5 * 60 + 43);
    /* 1988: CDT from Sun Apr 17 02:00 CST (Apr 16 18:00Z) to Sun Sep 11 02:00 CDT (17:00Z) */
    assert_int_equal(tz_offset(z, at("1988-03-01T00:00:00Z")), 8 * 3600);
    assert_int_equal(tz_offset(z, at("1988-04-16T17:59:59Z")), 8 * 3600);
    assert_int_equal(tz_offset(z, at("1988-04-16T18:00:00Z")), 9 * 3600);
    assert_int_equal(tz_offset(z, at("1988-07-01T00:00:00Z")), 9 * 3600);
    assert_int_equal(tz_offset(z, at("1988-09-10T16:59:59Z")), 9 * 3600);
    assert_int_equal(tz_offset(z, at("1988-09-10T17:00:00Z")), 8 * 3600);
    /* the gap 02:00-03:00 on Apr 17, the overlap 01:00-02:00 on Sep 11 */
    assert_true(tz_to_utc(z, wall("1988-04-17T02:30:00")) == at("1988-04-16T18:00:00Z"));
    assert_true(tz_to_utc(z, wall("1988-04-17T03:00:00")) == at("1988-04-16T18:00:00Z"));
    assert_true(tz_to_utc(z, wall("1988-09-11T01:30:00")) == at("1988-09-10T16:30:00Z"));
    assert_true(tz_to_utc(z, wall("1988-09-11T02:00:00")) == at("1988-09-10T18:00:00Z"));
    assert_true(tz_to_utc(z, wall("2023-10-02T10:00:00")) == at("2023-10-02T02:00:00Z"));
    assert_true(tz_next_change(z, at("1988-01-01T00:00:00Z")) == at("1988-04-16T18:00:00Z"));
    assert_true(tz_next_change(z, at("1988-04-16T18:00:00Z")) == at("1988-09-10T17:00:00Z"));
    assert_true(tz_next_change(z, at("1992-01-01T00:00:00Z")) == INT64_MAX); /* CST-8 since */
}

static void new_york_2023(void **state)
{
    (void)state;
    const struct tz *z = zone("America/New_York");
    /* spring forward: Sun 2023-03-12 02:00 EST = 07:00Z becomes 03:00 EDT */
    assert_int_equal(tz_offset(z, at("2023-01-15T12:00:00Z")), -5 * 3600);
    assert_int_equal(tz_offset(z, at("2023-03-12T06:59:59Z")), -5 * 3600);
    assert_int_equal(tz_offset(z, at("2023-03-12T07:00:00Z")), -4 * 3600);
    /* fall back: Sun 2023-11-05 02:00 EDT = 06:00Z becomes 01:00 EST */
    assert_int_equal(tz_offset(z, at("2023-07-01T12:00:00Z")), -4 * 3600);
    assert_int_equal(tz_offset(z, at("2023-11-05T05:59:59Z")), -4 * 3600);
    assert_int_equal(tz_offset(z, at("2023-11-05T06:00:00Z")), -5 * 3600);

    /* the gap: 02:00 <= wall < 03:00 does not exist; all of it maps to 07:00Z */
    assert_true(tz_to_utc(z, wall("2023-03-12T01:59:59")) == at("2023-03-12T06:59:59Z"));
    assert_true(tz_to_utc(z, wall("2023-03-12T02:00:00")) == at("2023-03-12T07:00:00Z"));
    assert_true(tz_to_utc(z, wall("2023-03-12T02:30:00")) == at("2023-03-12T07:00:00Z"));
    assert_true(tz_to_utc(z, wall("2023-03-12T02:59:59")) == at("2023-03-12T07:00:00Z"));
    assert_true(tz_to_utc(z, wall("2023-03-12T03:00:00")) == at("2023-03-12T07:00:00Z"));
    assert_true(tz_to_utc(z, wall("2023-03-12T03:00:01")) == at("2023-03-12T07:00:01Z"));
    /* the overlap: 01:00 <= wall < 02:00 happens twice; the first (EDT) is taken */
    assert_true(tz_to_utc(z, wall("2023-11-05T00:59:59")) == at("2023-11-05T04:59:59Z"));
    assert_true(tz_to_utc(z, wall("2023-11-05T01:00:00")) == at("2023-11-05T05:00:00Z"));
    assert_true(tz_to_utc(z, wall("2023-11-05T01:30:00")) == at("2023-11-05T05:30:00Z"));
    assert_true(tz_to_utc(z, wall("2023-11-05T01:59:59")) == at("2023-11-05T05:59:59Z"));
    assert_true(tz_to_utc(z, wall("2023-11-05T02:00:00")) == at("2023-11-05T07:00:00Z"));
    assert_true(tz_to_utc(z, wall("2023-07-04T12:00:00")) == at("2023-07-04T16:00:00Z"));

    assert_true(tz_next_change(z, at("2023-01-01T00:00:00Z")) == at("2023-03-12T07:00:00Z"));
    assert_true(tz_next_change(z, at("2023-03-12T06:59:59Z")) == at("2023-03-12T07:00:00Z"));
    assert_true(tz_next_change(z, at("2023-03-12T07:00:00Z")) == at("2023-11-05T06:00:00Z"));
}

static void new_york_2100_follows_the_footer(void **state)
{
    (void)state;
    const struct tz *z = zone("America/New_York");
    /* the file's transitions stop long before: 2100 comes from "EST5EDT,M3.2.0,M11.1.0" */
    assert_true(z->has_rule);
    assert_true(z->ntrans == 0 || z->trans[z->ntrans - 1] < at("2100-01-01T00:00:00Z"));
    /* 2100-01-01 is a Friday, so March 1 and November 1 are Mondays: the second Sunday of
     * March is the 14th, the first of November the 7th */
    assert_int_equal(tz_offset(z, at("2100-01-01T00:00:00Z")), -5 * 3600);
    assert_int_equal(tz_offset(z, at("2100-03-14T06:59:59Z")), -5 * 3600);
    assert_int_equal(tz_offset(z, at("2100-03-14T07:00:00Z")), -4 * 3600);
    assert_int_equal(tz_offset(z, at("2100-11-07T05:59:59Z")), -4 * 3600);
    assert_int_equal(tz_offset(z, at("2100-11-07T06:00:00Z")), -5 * 3600);
    assert_true(tz_to_utc(z, wall("2100-03-14T02:30:00")) == at("2100-03-14T07:00:00Z"));
    assert_true(tz_to_utc(z, wall("2100-11-07T01:30:00")) == at("2100-11-07T05:30:00Z"));
    assert_true(tz_next_change(z, at("2100-01-01T00:00:00Z")) == at("2100-03-14T07:00:00Z"));
    assert_true(tz_next_change(z, at("2100-03-14T07:00:00Z")) == at("2100-11-07T06:00:00Z"));
    assert_true(tz_next_change(z, at("2100-11-07T06:00:00Z")) == at("2101-03-13T07:00:00Z"));
}

static void berlin(void **state)
{
    (void)state;
    const struct tz *z = zone("Europe/Berlin");
    /* the last Sundays of March and October, 01:00Z both */
    assert_int_equal(tz_offset(z, at("2023-03-26T00:59:59Z")), 3600);
    assert_int_equal(tz_offset(z, at("2023-03-26T01:00:00Z")), 7200);
    assert_int_equal(tz_offset(z, at("2023-10-29T00:59:59Z")), 7200);
    assert_int_equal(tz_offset(z, at("2023-10-29T01:00:00Z")), 3600);
    assert_true(tz_to_utc(z, wall("2023-03-26T02:30:00")) == at("2023-03-26T01:00:00Z"));
    assert_true(tz_to_utc(z, wall("2023-10-29T02:30:00")) == at("2023-10-29T00:30:00Z"));
    assert_true(tz_to_utc(z, wall("2023-10-29T03:00:00")) == at("2023-10-29T02:00:00Z"));
    /* 2100: March 31 is a Wednesday, so the last Sunday is the 28th; October 31 a Sunday */
    assert_int_equal(tz_offset(z, at("2100-03-28T00:59:59Z")), 3600);
    assert_int_equal(tz_offset(z, at("2100-03-28T01:00:00Z")), 7200);
    assert_int_equal(tz_offset(z, at("2100-10-31T00:59:59Z")), 7200);
    assert_int_equal(tz_offset(z, at("2100-10-31T01:00:00Z")), 3600);
}

static void sydney_is_in_the_southern_hemisphere(void **state)
{
    (void)state;
    const struct tz *z = zone("Australia/Sydney");
    assert_int_equal(tz_offset(z, at("2023-01-15T00:00:00Z")), 11 * 3600);
    assert_int_equal(tz_offset(z, at("2023-07-15T00:00:00Z")), 10 * 3600);
    /* AEDT ends Sun 2023-04-02 03:00 (Apr 1 16:00Z), starts Sun 2023-10-01 02:00 (Sep 30 16:00Z) */
    assert_int_equal(tz_offset(z, at("2023-04-01T15:59:59Z")), 11 * 3600);
    assert_int_equal(tz_offset(z, at("2023-04-01T16:00:00Z")), 10 * 3600);
    assert_int_equal(tz_offset(z, at("2023-09-30T15:59:59Z")), 10 * 3600);
    assert_int_equal(tz_offset(z, at("2023-09-30T16:00:00Z")), 11 * 3600);
    assert_true(tz_to_utc(z, wall("2023-10-01T02:30:00")) == at("2023-09-30T16:00:00Z"));
    assert_true(tz_to_utc(z, wall("2023-04-02T02:30:00")) == at("2023-04-01T15:30:00Z"));
    assert_true(tz_next_change(z, at("2023-01-01T00:00:00Z")) == at("2023-04-01T16:00:00Z"));
    /* 2100, from "AEST-10AEDT,M10.1.0,M4.1.0/3": the first Sundays are April 4 and October 3 */
    assert_int_equal(tz_offset(z, at("2100-01-15T00:00:00Z")), 11 * 3600);
    assert_int_equal(tz_offset(z, at("2100-04-03T15:59:59Z")), 11 * 3600);
    assert_int_equal(tz_offset(z, at("2100-04-03T16:00:00Z")), 10 * 3600);
    assert_int_equal(tz_offset(z, at("2100-10-02T15:59:59Z")), 10 * 3600);
    assert_int_equal(tz_offset(z, at("2100-10-02T16:00:00Z")), 11 * 3600);
    assert_int_equal(tz_offset(z, at("2100-12-31T13:00:00Z")), 11 * 3600);
}

static void bad_names_are_refused(void **state)
{
    (void)state;
    char longname[400];
    memset(longname, 'A', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    const char *bad[] = {
        "",
        "Mars/Olympus_Mons",
        "../etc/passwd",
        "/etc/passwd",
        "Asia/../../etc/passwd",
        "Asia/..",
        "..",
        "./UTC",
        "Asia//Shanghai",
        "Asia/Shanghai/",
        "Asia/Shang hai",
        "Asia/Shanghai\n",
        "Asia",          /* a directory */
        "zone.tab",      /* not a TZif file */
        "right/UTC",     /* leap seconds */
        "asia/shanghai", /* names are case-sensitive on this system */
        longname,
    };
    assert_null(tz_get(NULL));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (tz_get(bad[i]))
            fail_msg("\"%s\" was accepted", bad[i]);
    }
    /* the longest accepted name is TZ_NAME_MAX characters */
    longname[TZ_NAME_MAX] = '\0';
    assert_true(name_ok(longname));
    longname[TZ_NAME_MAX] = 'A';
    longname[TZ_NAME_MAX + 1] = '\0';
    assert_false(name_ok(longname));
    assert_true(name_ok("Etc/GMT+5"));
    assert_true(name_ok("America/Port-au-Prince"));
    assert_true(name_ok("posix/Asia/Shanghai"));
}

static void a_zone_is_read_once(void **state)
{
    (void)state;
    const struct tz *a = zone("Europe/Berlin");
    assert_ptr_equal(tz_get("Europe/Berlin"), a);
    assert_ptr_not_equal(zone("Asia/Shanghai"), a);
    assert_int_equal(tz_offset(zone("Etc/GMT+5"), 0), -5 * 3600); /* POSIX's sign, inverted */
}

static const char *const thread_zones[] = {
    "America/New_York", "Asia/Shanghai", "Europe/Berlin", "Australia/Sydney",
    "Asia/Tokyo",       "Europe/London", "Asia/Kolkata",  "America/Chicago",
};

static void *use_zones(void *arg)
{
    const struct tz **seen = arg;
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < 8; i++) {
            const struct tz *z = tz_get(thread_zones[(i + round) % 8]);
            if (!z)
                return (void *)1;
            seen[(i + round) % 8] = z;
            int64_t t = at("2023-03-12T07:00:00Z") + round * 3600;
            if (tz_to_utc(z, t + tz_offset(z, t)) > t)
                return (void *)1;
        }
    }
    return NULL;
}

static void zones_are_shared_by_threads(void **state)
{
    (void)state;
    enum { N = 8 };
    pthread_t th[N];
    const struct tz *seen[N][8];
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&th[i], NULL, use_zones, seen[i]), 0);
    for (int i = 0; i < N; i++) {
        void *rc;
        assert_int_equal(pthread_join(th[i], &rc), 0);
        assert_null(rc);
    }
    for (int i = 1; i < N; i++)
        for (int k = 0; k < 8; k++)
            assert_ptr_equal(seen[i][k], seen[0][k]); /* one zone each, whoever came first */
}

/* ---- footer rules ---- */

static void footer_strings_parse(void **state)
{
    (void)state;
    struct tz_rule r;
    assert_int_equal(parse_rule("EST5EDT,M3.2.0,M11.1.0", &r), 0);
    assert_int_equal(r.std_off, -5 * 3600);
    assert_int_equal(r.dst_off, -4 * 3600);
    assert_true(r.has_dst);
    assert_int_equal(r.start.kind, 'M');
    assert_int_equal(r.start.month, 3);
    assert_int_equal(r.start.week, 2);
    assert_int_equal(r.start.wday, 0);
    assert_int_equal(r.start.time, 7200);
    assert_int_equal(r.end.month, 11);

    assert_int_equal(parse_rule("<+08>-8", &r), 0);
    assert_int_equal(r.std_off, 8 * 3600);
    assert_false(r.has_dst);

    assert_int_equal(parse_rule("CET-1CEST,M3.5.0,M10.5.0/3", &r), 0);
    assert_int_equal(r.std_off, 3600);
    assert_int_equal(r.dst_off, 7200);
    assert_int_equal(r.end.time, 3 * 3600);

    assert_int_equal(parse_rule("AEST-10AEDT,M10.1.0,M4.1.0/3", &r), 0);
    assert_int_equal(r.std_off, 10 * 3600);
    assert_int_equal(r.start.month, 10);

    assert_int_equal(parse_rule("<+0545>-5:45", &r), 0);
    assert_int_equal(r.std_off, 5 * 3600 + 45 * 60);
    assert_int_equal(parse_rule("<-0330>3:30<-0230>,M3.2.0,M11.1.0", &r), 0);
    assert_int_equal(r.std_off, -(3 * 3600 + 30 * 60));
    assert_int_equal(r.dst_off, -(2 * 3600 + 30 * 60));
    assert_int_equal(parse_rule("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", &r), 0); /* Lord Howe */
    assert_int_equal(r.dst_off, 11 * 3600);
    assert_int_equal(parse_rule("IST-2IDT,M3.4.4/26,M10.5.0", &r), 0); /* v3: past 24 h */
    assert_int_equal(r.start.time, 26 * 3600);
    assert_int_equal(parse_rule("<-02>2<-01>,M3.5.0/-1,M10.5.0/0", &r), 0); /* v3: negative */
    assert_int_equal(r.start.time, -3600);
    assert_int_equal(r.end.time, 0);
    assert_int_equal(parse_rule("AAA-1BBB,J60/1:30:15,J305", &r), 0);
    assert_int_equal(r.start.kind, 'J');
    assert_int_equal(r.start.day, 60);
    assert_int_equal(r.start.time, 3600 + 30 * 60 + 15);
    assert_int_equal(parse_rule("AAA-1BBB,59,304/+3", &r), 0);
    assert_int_equal(r.start.kind, 'n');
    assert_int_equal(r.end.day, 304);
    assert_int_equal(r.end.time, 3 * 3600);
    assert_int_equal(parse_rule("XXX3YYY2,M3.2.0/167,M11.1.0/-167", &r), 0);
    assert_int_equal(r.dst_off, -2 * 3600);
    assert_int_equal(r.start.time, 167 * 3600);
    assert_int_equal(r.end.time, -167 * 3600);

    const char *bad[] = {
        "",
        "E5",
        "EST",
        "EST+",
        "EST5x",
        "EST25",
        "EST5:60",
        "EST5EDT",                 /* daylight time without its dates */
        "EST5EDT,",                /* */
        "EST5EDT,M3.2.0",          /* one date */
        "EST5EDT,M3.2.0,",         /* */
        "EST5EDT,M3.2.0,M11.1.0,", /* */
        "EST5EDT,M13.2.0,M11.1.0",
        "EST5EDT,M0.2.0,M11.1.0",
        "EST5EDT,M3.6.0,M11.1.0",
        "EST5EDT,M3.0.0,M11.1.0",
        "EST5EDT,M3.2.7,M11.1.0",
        "EST5EDT,M3.2,M11.1.0",
        "EST5EDT,J0,J365",
        "EST5EDT,J366,J1",
        "EST5EDT,366,1",
        "EST5EDT,M3.2.0/168,M11.1.0",
        "EST5EDT,M3.2.0/,M11.1.0",
        "<+08-8",
        "<+8>-8",
        "<+08>",
        "<+0 8>-8",
        "EST5EDT,M3.2.0,M11.1.0 ",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse_rule(bad[i], &r) == 0)
            fail_msg("\"%s\" was accepted", bad[i]);
    }
}

/* ---- hand-made TZif files ---- */

struct spec {
    int version; /* 0, '2', '3' */
    size_t ntrans;
    int64_t trans[8];
    unsigned char idx[8];
    size_t ntypes;
    int32_t utoff[4];
    unsigned char isdst[4];
    const char *footer; /* without its newlines */
    uint32_t leapcnt;
};

static unsigned char *put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    return p + 4;
}

static unsigned char *put64(unsigned char *p, int64_t v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof(u));
    put32(p, (uint32_t)(u >> 32));
    return put32(p + 4, (uint32_t)u);
}

/* One header and data block, with tsize-byte times; "ABC" is the one abbreviation. */
static unsigned char *put_block(unsigned char *p, const struct spec *s, int version, int tsize)
{
    memcpy(p, "TZif", 4);
    p[4] = (unsigned char)version;
    memset(p + 5, 0, 15);
    p += 20;
    p = put32(p, 0); /* isutcnt */
    p = put32(p, 0); /* isstdcnt */
    p = put32(p, s->leapcnt);
    p = put32(p, (uint32_t)s->ntrans);
    p = put32(p, (uint32_t)s->ntypes);
    p = put32(p, 4); /* charcnt */
    for (size_t i = 0; i < s->ntrans; i++)
        p = tsize == 8 ? put64(p, s->trans[i]) : put32(p, (uint32_t)s->trans[i]);
    for (size_t i = 0; i < s->ntrans; i++)
        *p++ = s->idx[i];
    for (size_t i = 0; i < s->ntypes; i++) {
        uint32_t u;
        memcpy(&u, &s->utoff[i], sizeof(u));
        p = put32(p, u);
        *p++ = s->isdst[i];
        *p++ = 0;
    }
    memcpy(p, "ABC", 4);
    p += 4;
    for (uint32_t i = 0; i < s->leapcnt; i++) {
        memset(p, 0, (size_t)tsize + 4);
        p += tsize + 4;
    }
    return p;
}

/* The file for s in buf (4096 bytes); its length. */
static size_t make_file(unsigned char *buf, const struct spec *s)
{
    unsigned char *p = put_block(buf, s, s->version, 4);
    if (s->version != 0) {
        p = put_block(p, s, s->version, 8);
        *p++ = '\n';
        size_t n = strlen(s->footer);
        memcpy(p, s->footer, n);
        p += n;
        *p++ = '\n';
    }
    return (size_t)(p - buf);
}

/* New York's 2023 as a two-transition file, with the US rule after it. */
static const struct spec ny_spec = {
    .version = '2',
    .ntrans = 2,
    .trans = {1678604400, 1699164000}, /* 2023-03-12T07:00Z, 2023-11-05T06:00Z */
    .idx = {1, 0},
    .ntypes = 2,
    .utoff = {-18000, -14400},
    .isdst = {0, 1},
    .footer = "EST5EDT,M3.2.0,M11.1.0",
};

static struct tz *parse_spec(const struct spec *s)
{
    unsigned char buf[4096];
    size_t len = make_file(buf, s);
    return tz_parse("test", buf, len);
}

static void a_hand_made_file_reads(void **state)
{
    (void)state;
    struct tz *z = parse_spec(&ny_spec);
    assert_non_null(z);
    assert_int_equal(tz_offset(z, at("2023-01-01T00:00:00Z")), -18000);
    assert_int_equal(tz_offset(z, at("2023-03-12T07:00:00Z")), -14400);
    assert_int_equal(tz_offset(z, at("2023-11-05T06:00:00Z")), -18000);
    assert_int_equal(tz_offset(z, at("2024-03-10T07:00:00Z")), -14400); /* the footer */
    assert_int_equal(tz_offset(z, at("1900-01-01T00:00:00Z")), -18000); /* type 0 */
    assert_true(tz_next_change(z, at("2023-11-05T06:00:00Z")) == at("2024-03-10T07:00:00Z"));
    free(z);

    /* version 1: 32-bit times and no footer; after the last transition its type stays */
    struct spec v1 = ny_spec;
    v1.version = 0;
    z = parse_spec(&v1);
    assert_non_null(z);
    assert_false(z->has_rule);
    assert_int_equal(tz_offset(z, at("2023-07-01T00:00:00Z")), -14400);
    assert_int_equal(tz_offset(z, at("2024-07-01T00:00:00Z")), -18000);
    assert_true(tz_next_change(z, at("2023-11-05T06:00:00Z")) == INT64_MAX);
    free(z);

    /* an empty footer: the same */
    struct spec empty = ny_spec;
    empty.footer = "";
    z = parse_spec(&empty);
    assert_non_null(z);
    assert_false(z->has_rule);
    assert_int_equal(tz_offset(z, at("2024-07-01T00:00:00Z")), -18000);
    free(z);

    /* version 3 is read like 2 */
    struct spec v3 = ny_spec;
    v3.version = '3';
    z = parse_spec(&v3);
    assert_non_null(z);
    free(z);
}

/* A "slim" file: no transitions at all, the footer says everything. */
static struct tz *slim(const char *footer)
{
    struct spec s = {.version = '2', .ntypes = 1, .utoff = {0}, .isdst = {0}, .footer = footer};
    struct tz *z = parse_spec(&s);
    assert_non_null(z);
    return z;
}

static void footer_rules_compute(void **state)
{
    (void)state;
    struct tz *z = slim("EST5EDT,M3.2.0,M11.1.0");
    assert_int_equal(tz_offset(z, at("2023-03-12T06:59:59Z")), -18000);
    assert_int_equal(tz_offset(z, at("2023-03-12T07:00:00Z")), -14400);
    assert_int_equal(tz_offset(z, at("2023-11-05T06:00:00Z")), -18000);
    assert_true(tz_to_utc(z, wall("2023-03-12T02:30:00")) == at("2023-03-12T07:00:00Z"));
    assert_true(tz_to_utc(z, wall("2023-11-05T01:30:00")) == at("2023-11-05T05:30:00Z"));
    free(z);

    z = slim("AEST-10AEDT,M10.1.0,M4.1.0/3"); /* southern: daylight time spans the new year */
    assert_int_equal(tz_offset(z, at("2023-01-01T00:00:00Z")), 11 * 3600);
    assert_int_equal(tz_offset(z, at("2023-04-01T15:59:59Z")), 11 * 3600);
    assert_int_equal(tz_offset(z, at("2023-04-01T16:00:00Z")), 10 * 3600);
    assert_int_equal(tz_offset(z, at("2023-09-30T16:00:00Z")), 11 * 3600);
    assert_int_equal(tz_offset(z, at("2023-12-31T13:30:00Z")), 11 * 3600); /* new year's eve */
    free(z);

    /* Jn never counts Feb 29: J60 is March 1 in 2024 too; n does: 59 is Feb 29 in 2024,
     * March 1 in 2023. J305 is November 1; 304 is October 31 in 2024. Changes at 02:00
     * local: 01:00Z in standard time (+1), 00:00Z in daylight time (+2). */
    z = slim("AAA-1BBB,J60,J305");
    assert_int_equal(tz_offset(z, at("2024-03-01T00:59:59Z")), 3600);
    assert_int_equal(tz_offset(z, at("2024-03-01T01:00:00Z")), 7200);
    assert_int_equal(tz_offset(z, at("2024-10-31T23:59:59Z")), 7200);
    assert_int_equal(tz_offset(z, at("2024-11-01T00:00:00Z")), 3600);
    assert_int_equal(tz_offset(z, at("2023-03-01T01:00:00Z")), 7200);
    free(z);
    z = slim("AAA-1BBB,59,304");
    assert_int_equal(tz_offset(z, at("2024-02-29T00:59:59Z")), 3600);
    assert_int_equal(tz_offset(z, at("2024-02-29T01:00:00Z")), 7200);
    assert_int_equal(tz_offset(z, at("2024-10-30T23:59:59Z")), 7200);
    assert_int_equal(tz_offset(z, at("2024-10-31T00:00:00Z")), 3600);
    assert_int_equal(tz_offset(z, at("2023-02-28T12:00:00Z")), 3600);
    assert_int_equal(tz_offset(z, at("2023-03-01T01:00:00Z")), 7200);
    free(z);

    /* negative times (Nuuk): the last Sunday of March at -1:00 local is Saturday 23:00 -02,
     * 01:00Z; the last Sunday of October at 00:00 -01, 01:00Z */
    z = slim("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
    assert_int_equal(tz_offset(z, at("2023-03-26T00:59:59Z")), -7200);
    assert_int_equal(tz_offset(z, at("2023-03-26T01:00:00Z")), -3600);
    assert_int_equal(tz_offset(z, at("2023-10-29T00:59:59Z")), -3600);
    assert_int_equal(tz_offset(z, at("2023-10-29T01:00:00Z")), -7200);
    assert_true(tz_to_utc(z, wall("2023-03-25T23:30:00")) == at("2023-03-26T01:00:00Z"));
    free(z);

    /* past 24 h (Jerusalem): the fourth Thursday of March 2100 is the 25th; 26:00 is Friday
     * 02:00 IST, 00:00Z. The last Sunday of October 2100 is the 31st, 02:00 IDT = 23:00Z. */
    z = slim("IST-2IDT,M3.4.4/26,M10.5.0");
    assert_int_equal(tz_offset(z, at("2100-03-25T23:59:59Z")), 7200);
    assert_int_equal(tz_offset(z, at("2100-03-26T00:00:00Z")), 10800);
    assert_int_equal(tz_offset(z, at("2100-10-30T22:59:59Z")), 10800);
    assert_int_equal(tz_offset(z, at("2100-10-30T23:00:00Z")), 7200);
    free(z);
    const struct tz *jerusalem = zone("Asia/Jerusalem");
    assert_int_equal(tz_offset(jerusalem, at("2100-03-25T23:59:59Z")), 7200);
    assert_int_equal(tz_offset(jerusalem, at("2100-03-26T00:00:00Z")), 10800);

    /* daylight time that goes past 24:00 (Dublin): "IST" is standard, "GMT" the winter one */
    z = slim("IST-1GMT0,M10.5.0,M3.5.0/1");
    assert_int_equal(tz_offset(z, at("2023-01-15T00:00:00Z")), 0);
    assert_int_equal(tz_offset(z, at("2023-03-26T00:59:59Z")), 0);
    assert_int_equal(tz_offset(z, at("2023-03-26T01:00:00Z")), 3600);
    assert_int_equal(tz_offset(z, at("2023-07-01T00:00:00Z")), 3600);
    assert_int_equal(tz_offset(z, at("2023-10-29T00:59:59Z")), 3600);
    assert_int_equal(tz_offset(z, at("2023-10-29T01:00:00Z")), 0);
    free(z);

    /* daylight time all year (v3): from Jan 1 00:00 standard to Dec 31 25:00 daylight, the
     * next year's start; the offset never changes */
    z = slim("EST5EDT,0/0,J365/25");
    int64_t ts[] = {at("2023-01-01T05:00:00Z"), at("2023-01-01T04:59:59Z"),
                    at("2023-07-01T00:00:00Z"), at("2023-12-31T23:59:59Z"),
                    at("2024-12-31T12:00:00Z"), at("2100-03-01T00:00:00Z")};
    for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
        assert_int_equal(tz_offset(z, ts[i]), -14400);
        assert_true(tz_next_change(z, ts[i]) == INT64_MAX);
    }
    free(z);

    z = slim("<+08>-8");
    assert_int_equal(tz_offset(z, at("2023-07-01T00:00:00Z")), 8 * 3600);
    assert_true(tz_next_change(z, 0) == INT64_MAX);
    free(z);
}

static void bad_files_are_refused(void **state)
{
    (void)state;
    unsigned char buf[4096];
    size_t len = make_file(buf, &ny_spec);
    /* every truncation */
    for (size_t n = 0; n < len; n++) {
        struct tz *z = tz_parse("t", buf, n);
        if (z)
            fail_msg("a file cut to %zu of %zu bytes was accepted", n, len);
    }
    struct tz *ok = tz_parse("t", buf, len + 0);
    assert_non_null(ok);
    free(ok);

    /* counts that do not fit in the file, in the v1 and the v2 header */
    size_t v2 = (size_t)(put_block(buf, &ny_spec, '2', 4) - buf);
    size_t fields[] = {20,      24,      28,      32,      36,      40,
                       v2 + 20, v2 + 24, v2 + 28, v2 + 32, v2 + 36, v2 + 40};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        uint32_t vals[] = {0xffffffffu, 0x80000000u, 1000, 257};
        for (size_t k = 0; k < 4; k++) {
            len = make_file(buf, &ny_spec);
            put32(buf + fields[i], vals[k]);
            assert_null(tz_parse("t", buf, len));
        }
    }

    len = make_file(buf, &ny_spec);
    buf[0] = 'X'; /* magic */
    assert_null(tz_parse("t", buf, len));

    struct spec s = ny_spec;
    s.version = '1'; /* no such version */
    len = make_file(buf, &s);
    assert_null(tz_parse("t", buf, len));

    s = ny_spec;
    s.idx[1] = 2; /* no type 2 */
    assert_null(parse_spec(&s));
    s = ny_spec;
    s.trans[1] = s.trans[0]; /* not ascending */
    assert_null(parse_spec(&s));
    s = ny_spec;
    s.trans[1] = s.trans[0] - 1;
    assert_null(parse_spec(&s));
    s = ny_spec;
    s.ntypes = 0;
    s.ntrans = 0;
    assert_null(parse_spec(&s));
    s = ny_spec;
    s.leapcnt = 1; /* leap seconds */
    assert_null(parse_spec(&s));
    s = ny_spec;
    s.utoff[1] = 93600; /* beyond RFC 8536's range */
    assert_null(parse_spec(&s));
    s = ny_spec;
    s.utoff[0] = -90000;
    assert_null(parse_spec(&s));
    s = ny_spec;
    s.utoff[0] = INT32_MIN;
    assert_null(parse_spec(&s));
    s = ny_spec;
    s.isdst[0] = 2;
    assert_null(parse_spec(&s));
    s = ny_spec;
    s.footer = "EST5EDT"; /* daylight time without dates */
    assert_null(parse_spec(&s));
    s = ny_spec;
    char longfooter[300];
    memset(longfooter, 'A', sizeof(longfooter) - 1);
    longfooter[sizeof(longfooter) - 1] = '\0';
    s.footer = longfooter;
    assert_null(parse_spec(&s));

    /* the footer's newlines, and a NUL inside it */
    len = make_file(buf, &ny_spec);
    buf[len - 1] = 'x';
    assert_null(tz_parse("t", buf, len));
    len = make_file(buf, &ny_spec);
    buf[len - 24] = ' '; /* the leading newline */
    assert_null(tz_parse("t", buf, len));
    len = make_file(buf, &ny_spec);
    buf[len - 5] = '\0';
    assert_null(tz_parse("t", buf, len));

    /* an abbreviation index past the characters */
    len = make_file(buf, &ny_spec);
    size_t types = v2 + 44 + 2 * 8 + 2;
    buf[types + 5] = 4;
    assert_null(tz_parse("t", buf, len));
    buf[types + 5] = 3; /* the NUL at the end: fine */
    ok = tz_parse("t", buf, len);
    assert_non_null(ok);
    free(ok);
}

static void extreme_instants_do_not_overflow(void **state)
{
    (void)state;
    const char *names[] = {"America/New_York", "Asia/Shanghai", "Pacific/Kiritimati", "Etc/GMT+12",
                           "Australia/Sydney"};
    int64_t ts[] = {INT64_MIN, INT64_MIN + 1, -TZ_BOUND - 1, -TZ_BOUND,
                    TZ_BOUND,  TZ_BOUND + 1,  INT64_MAX - 1, INT64_MAX};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const struct tz *z = zone(names[i]);
        for (size_t k = 0; k < sizeof(ts) / sizeof(ts[0]); k++) {
            int off = tz_offset(z, ts[k]);
            assert_true(off > -TZ_OFFSET_LIMIT && off < TZ_OFFSET_LIMIT);
            int64_t u = tz_to_utc(z, ts[k]);
            if (ts[k] == INT64_MIN)
                assert_true(u <= INT64_MIN + TZ_OFFSET_LIMIT);
            if (ts[k] == INT64_MAX)
                assert_true(u >= INT64_MAX - TZ_OFFSET_LIMIT);
            int64_t next = tz_next_change(z, ts[k]);
            assert_true(next > ts[k] || next == INT64_MAX);
        }
        assert_true(tz_next_change(z, INT64_MAX) == INT64_MAX);
    }
    /* walks near the bound always end, and still never go back */
    const struct tz *nyb = zone("America/New_York");
    for (int side = -1; side <= 1; side += 2) {
        int64_t prev = INT64_MIN;
        for (int64_t k = -400 * 24; k <= 400 * 24; k++) {
            int64_t x = tz_to_utc(nyb, side * TZ_BOUND + k * 3600);
            assert_true(x >= prev);
            prev = x;
            assert_true(tz_next_change(nyb, side * TZ_BOUND + k * 3600) >
                        side * TZ_BOUND + k * 3600);
        }
    }
    /* far out, the footer still runs: New York in the year 30000 */
    const struct tz *ny = zone("America/New_York");
    int64_t y30000 = days_from_civil(30000, 7, 1) * 86400;
    assert_int_equal(tz_offset(ny, y30000), -14400);
    assert_int_equal(tz_offset(ny, days_from_civil(30000, 1, 1) * 86400), -18000);
}

/* ---- against the C library, and the mapping's own laws ---- */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int64_t random_between(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(next_random() % (uint64_t)(hi - lo));
}

static const char *const many_zones[] = {
    "America/New_York",  "Asia/Shanghai",    "Europe/Berlin",    "Australia/Sydney",
    "Asia/Jerusalem",    "America/Nuuk",     "Europe/Dublin",    "Australia/Lord_Howe",
    "Africa/Casablanca", "Pacific/Apia",     "Asia/Tehran",      "America/Sao_Paulo",
    "Pacific/Chatham",   "Antarctica/Troll", "America/Santiago", "Asia/Kolkata",
    "Europe/London",     "America/St_Johns", "Asia/Kathmandu",   "Pacific/Kiritimati",
};

static void offsets_agree_with_the_c_library(void **state)
{
    (void)state;
    int64_t lo = at("1900-01-01T00:00:00Z"), hi = at("2200-01-01T00:00:00Z");
    for (size_t i = 0; i < sizeof(many_zones) / sizeof(many_zones[0]); i++) {
        const struct tz *z = zone(many_zones[i]);
        setenv("TZ", many_zones[i], 1);
        tzset();
        for (int k = 0; k < 3000; k++) {
            int64_t t = random_between(lo, hi);
            time_t tt = (time_t)t;
            struct tm tm;
            localtime_r(&tt, &tm);
            if (tm.tm_gmtoff != tz_offset(z, t))
                fail_msg("%s at %lld: %ld, not %d", many_zones[i], (long long)t, tm.tm_gmtoff,
                         tz_offset(z, t));
        }
    }
    unsetenv("TZ");
    tzset();
}

/* No instant before r shows wall time l: the only candidates are l - o for the offsets o in
 * force within 26 hours of r (every period here lasts longer than the step). */
static void assert_first(const struct tz *z, int64_t l, int64_t r)
{
    for (int64_t t = r - TZ_OFFSET_LIMIT; t <= r + TZ_OFFSET_LIMIT; t += 3600) {
        int64_t u = l - tz_offset(z, t);
        if (u < r && u + tz_offset(z, u) == l)
            fail_msg("wall %lld maps to %lld, but %lld shows it too", (long long)l, (long long)r,
                     (long long)u);
    }
}

static void wall_times_map_back_monotonically(void **state)
{
    (void)state;
    int64_t lo = at("1900-01-01T00:00:00Z"), hi = at("2200-01-01T00:00:00Z");
    for (size_t i = 0; i < sizeof(many_zones) / sizeof(many_zones[0]); i++) {
        const struct tz *z = zone(many_zones[i]);
        for (int k = 0; k < 300; k++) {
            /* an instant's wall time maps to the instant, or to the first one showing it */
            int64_t u = random_between(lo, hi);
            int64_t l = u + tz_offset(z, u);
            int64_t r = tz_to_utc(z, l);
            assert_true(r <= u);
            assert_true(r + tz_offset(z, r) == l);
            assert_first(z, l, r);
            /* around the next change, every wall time: it exists and maps to its first
             * instant, or it is in a gap and maps to the change; and the mapping never
             * goes back */
            int64_t c = tz_next_change(z, u);
            if (c >= hi)
                continue;
            int before = tz_offset(z, c - 1), after = tz_offset(z, c);
            int64_t prev = INT64_MIN;
            for (int64_t w = c + before - 7200; w <= c + after + 7200; w += 300) {
                int64_t x = tz_to_utc(z, w);
                assert_true(x >= prev);
                prev = x;
                if (x + tz_offset(z, x) == w) {
                    assert_first(z, w, x);
                } else {
                    assert_true(x == c); /* in the gap */
                    assert_true(after > before && w >= c + before && w < c + after);
                }
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(utc_is_built_in),
        cmocka_unit_test(shanghai_now_and_in_1988),
        cmocka_unit_test(new_york_2023),
        cmocka_unit_test(new_york_2100_follows_the_footer),
        cmocka_unit_test(berlin),
        cmocka_unit_test(sydney_is_in_the_southern_hemisphere),
        cmocka_unit_test(bad_names_are_refused),
        cmocka_unit_test(a_zone_is_read_once),
        cmocka_unit_test(zones_are_shared_by_threads),
        cmocka_unit_test(footer_strings_parse),
        cmocka_unit_test(a_hand_made_file_reads),
        cmocka_unit_test(footer_rules_compute),
        cmocka_unit_test(bad_files_are_refused),
        cmocka_unit_test(extreme_instants_do_not_overflow),
        cmocka_unit_test(offsets_agree_with_the_c_library),
        cmocka_unit_test(wall_times_map_back_monotonically),
    };
    return cmocka_run_group_tests_name("tz", tests, NULL, NULL);
}
