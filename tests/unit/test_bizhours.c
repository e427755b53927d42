/* test_bizhours.c: business-time arithmetic: spans, holidays, 调休 workdays, DST days. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/bizhours.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/tz.h"

enum { MIN_MS = 60000, HOUR_MS = 3600000, DAY_MS = 86400000 };

/* An instant written in RFC 3339, in ms. */
static int64_t at(const char *rfc3339)
{
    int64_t ms = 0;
    if (ktime_parse(rfc3339, &ms) != 0)
        fail_msg("bad time %s", rfc3339);
    return ms;
}

static const struct tz *zone(const char *name)
{
    const struct tz *z = tz_get(name);
    if (!z)
        fail_msg("zone %s is not available", name);
    return z;
}

static void add_span(struct biz_calendar *c, int day, int start, int end)
{
    int n = c->nspans[day]++;
    c->spans[day][n].start = start;
    c->spans[day][n].end = end;
}

/* Monday to Friday (or every day), start..end minutes. */
static struct biz_calendar calendar(const char *name, int days, int start, int end)
{
    struct biz_calendar c;
    memset(&c, 0, sizeof(c));
    c.zone = zone(name);
    for (int d = 0; d < days; d++)
        add_span(&c, d, start, end);
    assert_int_equal(biz_calendar_check(&c, NULL), 0);
    return c;
}

static int hm(int h, int m)
{
    return h * 60 + m;
}

#define assert_at(got, want) assert_time_equal((got), (want), __FILE__, __LINE__)

static void assert_time_equal(int64_t got, const char *want, const char *file, int line)
{
    int64_t w = at(want);
    if (got != w)
        fail_msg("%s:%d: got %lld, want %s (%lld; %+lld ms)", file, line, (long long)got, want,
                 (long long)w, (long long)(got - w));
}

static void hhmm_parses(void **state)
{
    (void)state;
    int m = -7;
    assert_int_equal(biz_parse_hhmm("09:00", &m), 0);
    assert_int_equal(m, 540);
    assert_int_equal(biz_parse_hhmm("00:00", &m), 0);
    assert_int_equal(m, 0);
    assert_int_equal(biz_parse_hhmm("23:59", &m), 0);
    assert_int_equal(m, 1439);
    assert_int_equal(biz_parse_hhmm("24:00", &m), 0);
    assert_int_equal(m, 1440);
    assert_int_equal(biz_parse_hhmm("13:30", &m), 0);
    assert_int_equal(m, 810);
    const char *bad[] = {"24:01",  "25:00", "9:00",     "09:60", "0900", "09:00 ",
                         " 09:00", "",      "09",       "09:",   "09:0", "-1:00",
                         "ab:cd",  "09.00", "09:00:00", "１2:00"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        m = -7;
        if (biz_parse_hhmm(bad[i], &m) != KF_EINVAL)
            fail_msg("\"%s\" was accepted", bad[i]);
        assert_int_equal(m, -7); /* untouched */
    }
    assert_int_equal(biz_parse_hhmm(NULL, &m), KF_EINVAL);
}

static void calendars_are_checked(void **state)
{
    (void)state;
    struct kf_error e = {0};
    struct biz_calendar c = calendar("Asia/Shanghai", 5, hm(9, 0), hm(12, 0));
    add_span(&c, 0, hm(13, 30), hm(18, 0));
    add_span(&c, 0, hm(18, 0), hm(24, 0)); /* touching is fine */
    assert_int_equal(biz_calendar_check(&c, &e), 0);

    struct biz_calendar bad = c;
    bad.zone = NULL;
    assert_int_equal(biz_calendar_check(&bad, &e), KF_EINVAL);
    assert_string_equal(e.field, "zone");
    assert_int_equal(biz_calendar_check(NULL, &e), KF_EINVAL);

    int spans[][2] = {{hm(9, 0), hm(9, 0)},
                      {hm(10, 0), hm(9, 0)},
                      {-1, hm(9, 0)},
                      {hm(9, 0), 1441},
                      {hm(11, 0), hm(14, 0)}}; /* the last overlaps */
    for (size_t i = 0; i < sizeof(spans) / sizeof(spans[0]); i++) {
        bad = calendar("Asia/Shanghai", 0, 0, 0);
        add_span(&bad, 2, hm(8, 0), hm(12, 0));
        add_span(&bad, 2, spans[i][0], spans[i][1]);
        if (i < 4) { /* alone, too */
            struct biz_calendar one = calendar("Asia/Shanghai", 0, 0, 0);
            add_span(&one, 3, spans[i][0], spans[i][1]);
            assert_int_equal(biz_calendar_check(&one, NULL), KF_EINVAL);
        }
        e.field = NULL;
        assert_int_equal(biz_calendar_check(&bad, &e), KF_EINVAL);
        assert_string_equal(e.field, "spans");
    }
    bad = calendar("Asia/Shanghai", 0, 0, 0);
    add_span(&bad, 1, hm(13, 0), hm(14, 0));
    add_span(&bad, 1, hm(9, 0), hm(10, 0)); /* not sorted */
    assert_int_equal(biz_calendar_check(&bad, &e), KF_EINVAL);
    bad = c;
    bad.nspans[6] = BIZ_SPANS_MAX + 1;
    assert_int_equal(biz_calendar_check(&bad, &e), KF_EINVAL);
    bad.nspans[6] = -1;
    assert_int_equal(biz_calendar_check(&bad, &e), KF_EINVAL);

    static const int ok_days[] = {20231001, 20231002, 20240229};
    static const int unsorted[] = {20231002, 20231001};
    static const int twice[] = {20231001, 20231001};
    static const int invalid[][1] = {{20230229}, {20231301}, {20231000},  {20230431},
                                     {2023101},  {0},        {-20231001}, {100000101}};
    bad = c;
    bad.holidays = ok_days;
    bad.nholidays = 3;
    assert_int_equal(biz_calendar_check(&bad, &e), 0);
    bad.holidays = unsorted;
    bad.nholidays = 2;
    assert_int_equal(biz_calendar_check(&bad, &e), KF_EINVAL);
    assert_string_equal(e.field, "holidays");
    bad.holidays = twice;
    assert_int_equal(biz_calendar_check(&bad, &e), KF_EINVAL);
    bad.holidays = NULL; /* a count without a list */
    assert_int_equal(biz_calendar_check(&bad, &e), KF_EINVAL);
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        bad = c;
        bad.workdays = invalid[i];
        bad.nworkdays = 1;
        e.field = NULL;
        if (biz_calendar_check(&bad, &e) != KF_EINVAL)
            fail_msg("%d was accepted", invalid[i][0]);
        assert_string_equal(e.field, "workdays");
    }

    /* a day in both lists is the caller's error */
    static const int holidays[] = {20231001, 20231002, 20231007};
    static const int workdays[] = {20231007, 20231008};
    bad = c;
    bad.holidays = holidays;
    bad.nholidays = 3;
    bad.workdays = workdays;
    bad.nworkdays = 2;
    assert_int_equal(biz_calendar_check(&bad, &e), KF_EINVAL);
    assert_string_equal(e.field, "workdays");
    assert_non_null(e.message);
    /* the arithmetic itself lets the workday win: Monday's 7.5 hours + 18:00-24:00 */
    assert_true(biz_elapsed(&bad, at("2023-10-07T00:00:00+08:00"),
                            at("2023-10-08T00:00:00+08:00")) == 13 * HOUR_MS + 30 * MIN_MS);
    bad.nholidays = 2;
    assert_int_equal(biz_calendar_check(&bad, &e), 0);
}

/* Mon-Fri 09:00-18:00 in Shanghai; 2023-09-15 is a Friday. */
static void shanghai_office_hours(void **state)
{
    (void)state;
    struct biz_calendar c = calendar("Asia/Shanghai", 5, hm(9, 0), hm(18, 0));
    int64_t fri17 = at("2023-09-15T17:00:00+08:00");
    assert_at(biz_add(&c, fri17, 2 * HOUR_MS), "2023-09-18T10:00:00+08:00");
    /* a deadline on a closing time stays there */
    assert_at(biz_add(&c, fri17, 60 * MIN_MS), "2023-09-15T18:00:00+08:00");
    assert_at(biz_add(&c, fri17, 60 * MIN_MS + 1), "2023-09-18T09:00:00.001+08:00");
    assert_at(biz_add(&c, at("2023-09-15T18:00:00+08:00"), 1), "2023-09-18T09:00:00.001+08:00");
    /* from the weekend: Monday 09:00 plus the duration */
    assert_at(biz_add(&c, at("2023-09-16T11:00:00+08:00"), 3 * HOUR_MS),
              "2023-09-18T12:00:00+08:00");
    assert_at(biz_add(&c, at("2023-09-17T23:59:00+08:00"), HOUR_MS), "2023-09-18T10:00:00+08:00");
    /* before opening, and from the opening instant */
    assert_at(biz_add(&c, at("2023-09-18T07:30:00+08:00"), HOUR_MS), "2023-09-18T10:00:00+08:00");
    assert_at(biz_add(&c, at("2023-09-18T09:00:00+08:00"), HOUR_MS), "2023-09-18T10:00:00+08:00");
    assert_at(biz_add(&c, at("2023-09-18T09:00:00+08:00"), 9 * HOUR_MS),
              "2023-09-18T18:00:00+08:00");
    assert_at(biz_add(&c, at("2023-09-18T09:00:00+08:00"), 9 * HOUR_MS + MIN_MS),
              "2023-09-19T09:01:00+08:00");
    /* across midnight, and a whole week: 45 hours end on Friday's closing */
    assert_at(biz_add(&c, at("2023-09-14T17:30:00+08:00"), HOUR_MS), "2023-09-15T09:30:00+08:00");
    assert_at(biz_add(&c, at("2023-09-18T09:00:00+08:00"), 45 * HOUR_MS),
              "2023-09-22T18:00:00+08:00");
    assert_at(biz_add(&c, at("2023-09-18T09:00:00+08:00"), 46 * HOUR_MS),
              "2023-09-25T10:00:00+08:00");
    /* exactly two working weeks, counted from the weekend: Friday's closing, not Monday */
    assert_at(biz_add(&c, at("2023-09-16T12:00:00+08:00"), 90 * HOUR_MS),
              "2023-09-29T18:00:00+08:00");
    assert_at(biz_add(&c, at("2023-09-18T00:00:00+08:00"), 45 * HOUR_MS),
              "2023-09-22T18:00:00+08:00");
    assert_true(biz_elapsed(&c, at("2023-09-16T12:00:00+08:00"), at("2023-09-29T18:00:00+08:00")) ==
                90 * HOUR_MS);
    /* ten weeks */
    assert_at(biz_add(&c, at("2023-09-18T12:00:00+08:00"), 450 * HOUR_MS),
              "2023-11-27T12:00:00+08:00");
    /* milliseconds count */
    assert_at(biz_add(&c, at("2023-09-18T17:59:59.999+08:00"), 2), "2023-09-19T09:00:00.001+08:00");
    /* duration 0: unchanged, even outside work; negative: refused */
    int64_t sat = at("2023-09-16T11:00:00+08:00");
    assert_true(biz_add(&c, sat, 0) == sat);
    assert_true(biz_add(&c, sat, -1) == -1);

    assert_true(biz_elapsed(&c, fri17, at("2023-09-18T10:00:00+08:00")) == 2 * HOUR_MS);
    assert_true(biz_elapsed(&c, sat, at("2023-09-17T20:00:00+08:00")) == 0);
    assert_true(biz_elapsed(&c, at("2023-09-18T10:00:00+08:00"), fri17) == 0); /* backwards */
    assert_true(biz_elapsed(&c, fri17, fri17) == 0);
    assert_true(biz_elapsed(&c, at("2023-09-18T08:00:00+08:00"), at("2023-09-18T20:00:00+08:00")) ==
                9 * HOUR_MS);
    assert_true(biz_elapsed(&c, at("2023-09-18T00:00:00+08:00"), at("2023-09-25T00:00:00+08:00")) ==
                45 * HOUR_MS);
    assert_true(biz_elapsed(&c, at("2023-09-18T10:15:00+08:00"),
                            at("2023-09-18T10:15:00.250+08:00")) == 250);
}

static void a_lunch_break_does_not_count(void **state)
{
    (void)state;
    struct biz_calendar c = calendar("Asia/Shanghai", 5, hm(9, 0), hm(12, 0));
    for (int d = 0; d < 5; d++)
        add_span(&c, d, hm(13, 30), hm(18, 0));
    assert_int_equal(biz_calendar_check(&c, NULL), 0);
    int64_t mon11 = at("2023-09-18T11:00:00+08:00");
    assert_at(biz_add(&c, mon11, 2 * HOUR_MS), "2023-09-18T14:30:00+08:00");
    assert_at(biz_add(&c, mon11, HOUR_MS), "2023-09-18T12:00:00+08:00"); /* lunch waits */
    assert_at(biz_add(&c, mon11, HOUR_MS + 1), "2023-09-18T13:30:00.001+08:00");
    assert_at(biz_add(&c, at("2023-09-18T12:30:00+08:00"), 30 * MIN_MS),
              "2023-09-18T14:00:00+08:00");
    assert_at(biz_add(&c, at("2023-09-15T17:00:00+08:00"), 2 * HOUR_MS),
              "2023-09-18T10:00:00+08:00");
    /* 7.5 hours a day: 3 days and 1.5 hours from Monday 09:00 is Thursday 10:30 */
    assert_at(biz_add(&c, at("2023-09-18T09:00:00+08:00"), 24 * HOUR_MS),
              "2023-09-21T10:30:00+08:00");
    assert_true(biz_elapsed(&c, mon11, at("2023-09-18T14:00:00+08:00")) == 90 * MIN_MS);
    assert_true(biz_elapsed(&c, at("2023-09-18T12:00:00+08:00"), at("2023-09-18T13:30:00+08:00")) ==
                0);
    assert_true(biz_elapsed(&c, at("2023-09-18T00:00:00+08:00"), at("2023-09-19T00:00:00+08:00")) ==
                7 * HOUR_MS + 30 * MIN_MS);
}

/* Night shifts: 22:00-24:00 and 00:00-06:00 every day. */
static void a_shift_across_midnight(void **state)
{
    (void)state;
    struct biz_calendar c = calendar("Asia/Shanghai", 7, hm(0, 0), hm(6, 0));
    for (int d = 0; d < 7; d++)
        add_span(&c, d, hm(22, 0), hm(24, 0));
    assert_int_equal(biz_calendar_check(&c, NULL), 0);
    assert_at(biz_add(&c, at("2023-09-18T23:00:00+08:00"), 2 * HOUR_MS),
              "2023-09-19T01:00:00+08:00");
    assert_at(biz_add(&c, at("2023-09-18T23:00:00+08:00"), HOUR_MS), "2023-09-19T00:00:00+08:00");
    assert_at(biz_add(&c, at("2023-09-18T05:00:00+08:00"), 2 * HOUR_MS),
              "2023-09-18T23:00:00+08:00");
    assert_at(biz_add(&c, at("2023-09-18T12:00:00+08:00"), 8 * HOUR_MS),
              "2023-09-19T06:00:00+08:00");
    assert_true(biz_elapsed(&c, at("2023-09-18T21:00:00+08:00"), at("2023-09-19T07:00:00+08:00")) ==
                8 * HOUR_MS);
}

/* 2023 National Day, as the State Council set it: 9月29日至10月6日放假, with Saturday 10-07
 * and Sunday 10-08 worked (Monday's hours). 2023-09-28 is a Thursday. */
static const int national_day[] = {20230929, 20230930, 20231001, 20231002,
                                   20231003, 20231004, 20231005, 20231006};
static const int tiaoxiu[] = {20231007, 20231008};

static void national_day_and_tiaoxiu(void **state)
{
    (void)state;
    struct biz_calendar c = calendar("Asia/Shanghai", 5, hm(9, 0), hm(18, 0));
    c.holidays = national_day;
    c.nholidays = 8;
    c.workdays = tiaoxiu;
    c.nworkdays = 2;
    assert_int_equal(biz_calendar_check(&c, NULL), 0);
    /* 2 h on Thursday, nothing from Friday 09-29 to Friday 10-06, then Saturday 10-07 */
    assert_at(biz_add(&c, at("2023-09-28T16:00:00+08:00"), 4 * HOUR_MS),
              "2023-10-07T11:00:00+08:00");
    assert_at(biz_add(&c, at("2023-09-28T09:00:00+08:00"), 20 * HOUR_MS),
              "2023-10-08T11:00:00+08:00");
    assert_at(biz_add(&c, at("2023-09-28T09:00:00+08:00"), 27 * HOUR_MS),
              "2023-10-08T18:00:00+08:00");
    assert_at(biz_add(&c, at("2023-09-28T09:00:00+08:00"), 28 * HOUR_MS),
              "2023-10-09T10:00:00+08:00");
    assert_at(biz_add(&c, at("2023-10-02T10:00:00+08:00"), HOUR_MS), "2023-10-07T10:00:00+08:00");
    /* Thursday, Saturday and Sunday: 27 hours in eleven days */
    assert_true(biz_elapsed(&c, at("2023-09-28T00:00:00+08:00"), at("2023-10-09T00:00:00+08:00")) ==
                27 * HOUR_MS);
    /* a holiday beats its weekday: Monday 10-02 */
    assert_true(biz_elapsed(&c, at("2023-10-02T00:00:00+08:00"), at("2023-10-03T00:00:00+08:00")) ==
                0);

    /* the brief's shorter list, 10-01..10-06: Friday 09-29 is then worked */
    static const int short_list[] = {20231001, 20231002, 20231003, 20231004, 20231005, 20231006};
    c.holidays = short_list;
    c.nholidays = 6;
    assert_at(biz_add(&c, at("2023-09-28T16:00:00+08:00"), 4 * HOUR_MS),
              "2023-09-29T11:00:00+08:00");
    assert_at(biz_add(&c, at("2023-09-29T16:00:00+08:00"), 4 * HOUR_MS),
              "2023-10-07T11:00:00+08:00");

    /* a workday has Monday's spans, whatever its weekday: here Monday is 08:00-12:00 */
    struct biz_calendar m = calendar("Asia/Shanghai", 5, hm(9, 0), hm(18, 0));
    m.spans[0][0].start = hm(8, 0);
    m.spans[0][0].end = hm(12, 0);
    static const int extra[] = {20231007, 20231010}; /* a Saturday and a Tuesday */
    m.workdays = extra;
    m.nworkdays = 2;
    assert_int_equal(biz_calendar_check(&m, NULL), 0);
    assert_true(biz_elapsed(&m, at("2023-10-07T00:00:00+08:00"), at("2023-10-08T00:00:00+08:00")) ==
                4 * HOUR_MS);
    assert_true(biz_elapsed(&m, at("2023-10-10T00:00:00+08:00"), at("2023-10-11T00:00:00+08:00")) ==
                4 * HOUR_MS);
    assert_true(biz_elapsed(&m, at("2023-10-11T00:00:00+08:00"), at("2023-10-12T00:00:00+08:00")) ==
                9 * HOUR_MS);
    assert_at(biz_add(&m, at("2023-10-07T00:00:00+08:00"), HOUR_MS), "2023-10-07T09:00:00+08:00");
}

/* New York, every day 09:00-18:00; Sunday 2023-03-12 has 23 hours, Sunday 2023-11-05 25. */
static void new_york_across_dst(void **state)
{
    (void)state;
    struct biz_calendar c = calendar("America/New_York", 7, hm(9, 0), hm(18, 0));
    /* the change at 02:00 is outside the span: still 9 working hours */
    assert_true(biz_elapsed(&c, at("2023-03-12T00:00:00-05:00"), at("2023-03-13T00:00:00-04:00")) ==
                9 * HOUR_MS);
    assert_true(biz_elapsed(&c, at("2023-11-05T00:00:00-04:00"), at("2023-11-06T00:00:00-05:00")) ==
                9 * HOUR_MS);
    assert_at(biz_add(&c, at("2023-03-11T18:00:00-05:00"), 9 * HOUR_MS),
              "2023-03-12T18:00:00-04:00");
    assert_at(biz_add(&c, at("2023-03-11T17:00:00-05:00"), 2 * HOUR_MS),
              "2023-03-12T10:00:00-04:00");
    assert_at(biz_add(&c, at("2023-03-11T18:00:00-05:00"), 10 * HOUR_MS),
              "2023-03-13T10:00:00-04:00");
    assert_at(biz_add(&c, at("2023-11-04T17:00:00-04:00"), 2 * HOUR_MS),
              "2023-11-05T10:00:00-05:00");

    /* Monday to Friday: 9 hours from Friday 17:00 EST are Monday 17:00 EDT, 71 real hours */
    struct biz_calendar w = calendar("America/New_York", 5, hm(9, 0), hm(18, 0));
    assert_at(biz_add(&w, at("2023-03-10T17:00:00-05:00"), 9 * HOUR_MS),
              "2023-03-13T17:00:00-04:00");
    assert_true(biz_elapsed(&w, at("2023-03-10T17:00:00-05:00"), at("2023-03-13T17:00:00-04:00")) ==
                9 * HOUR_MS);

    /* 00:00-24:00: the days are as long as the clock makes them */
    struct biz_calendar all = calendar("America/New_York", 7, 0, hm(24, 0));
    assert_true(biz_elapsed(&all, at("2023-03-12T00:00:00-05:00"),
                            at("2023-03-13T00:00:00-04:00")) == 23 * HOUR_MS);
    assert_true(biz_elapsed(&all, at("2023-11-05T00:00:00-04:00"),
                            at("2023-11-06T00:00:00-05:00")) == 25 * HOUR_MS);
    struct biz_calendar sun = calendar("America/New_York", 0, 0, 0);
    add_span(&sun, 6, 0, hm(24, 0));
    assert_at(biz_add(&sun, at("2023-03-12T00:00:00-05:00"), 23 * HOUR_MS),
              "2023-03-13T00:00:00-04:00");
    assert_at(biz_add(&sun, at("2023-03-12T00:00:00-05:00"), 23 * HOUR_MS + 1),
              "2023-03-19T00:00:00.001-04:00");
    assert_at(biz_add(&sun, at("2023-11-05T00:00:00-04:00"), 25 * HOUR_MS),
              "2023-11-06T00:00:00-05:00");
}

/* Spans whose ends fall in the gap or the overlap follow tz_to_utc(). */
static void spans_around_the_changes(void **state)
{
    (void)state;
    struct {
        int start, end;
        const char *day0, *day1; /* the Sunday and the next day at 00:00 local */
        int64_t want;
    } cases[] = {
        /* 01:00 EST to 04:00 EDT: 06:00Z-08:00Z */
        {hm(1, 0), hm(4, 0), "2023-03-12T00:00:00-05:00", "2023-03-13T00:00:00-04:00", 2 * HOUR_MS},
        /* starts in the gap: from its end, 03:00 EDT */
        {hm(2, 30), hm(4, 0), "2023-03-12T00:00:00-05:00", "2023-03-13T00:00:00-04:00", HOUR_MS},
        /* ends in the gap: at 03:00 EDT, 2 h after 00:00 EST */
        {hm(0, 0), hm(2, 30), "2023-03-12T00:00:00-05:00", "2023-03-13T00:00:00-04:00",
         2 * HOUR_MS},
        /* inside the gap: nothing */
        {hm(2, 0), hm(3, 0), "2023-03-12T00:00:00-05:00", "2023-03-13T00:00:00-04:00", 0},
        {hm(2, 10), hm(2, 50), "2023-03-12T00:00:00-05:00", "2023-03-13T00:00:00-04:00", 0},
        /* 01:00 EDT to 03:00 EST: 05:00Z-08:00Z */
        {hm(1, 0), hm(3, 0), "2023-11-05T00:00:00-04:00", "2023-11-06T00:00:00-05:00", 3 * HOUR_MS},
        /* within the overlap: its first pass only */
        {hm(1, 0), hm(1, 30), "2023-11-05T00:00:00-04:00", "2023-11-06T00:00:00-05:00",
         30 * MIN_MS},
        /* from the first 01:30 (EDT) to 02:00 EST: 05:30Z-07:00Z */
        {hm(1, 30), hm(2, 0), "2023-11-05T00:00:00-04:00", "2023-11-06T00:00:00-05:00",
         90 * MIN_MS},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct biz_calendar c = calendar("America/New_York", 0, 0, 0);
        add_span(&c, 6, cases[i].start, cases[i].end);
        int64_t got = biz_elapsed(&c, at(cases[i].day0), at(cases[i].day1));
        if (got != cases[i].want)
            fail_msg("case %zu: %lld ms, not %lld", i, (long long)got, (long long)cases[i].want);
    }
    /* the second 01:10 (EST) is outside a 01:00-01:30 span: the next Sunday's 01:10 it is */
    struct biz_calendar c = calendar("America/New_York", 0, 0, 0);
    add_span(&c, 6, hm(1, 0), hm(1, 30));
    assert_at(biz_add(&c, at("2023-11-05T01:10:00-05:00"), 10 * MIN_MS),
              "2023-11-12T01:10:00-05:00");
    assert_at(biz_add(&c, at("2023-11-05T01:10:00-04:00"), 10 * MIN_MS),
              "2023-11-05T01:20:00-04:00");
    /* a deadline past a span that ends where one in the gap starts: 00:00-01:30 and
     * 02:00-04:00 on 2023-03-12, 90 minutes then 10 from 03:00 EDT */
    add_span(&c, 6, hm(2, 0), hm(4, 0));
    c.spans[6][0].start = 0;
    assert_at(biz_add(&c, at("2023-03-12T00:00:00-05:00"), 100 * MIN_MS),
              "2023-03-12T03:10:00-04:00");
    assert_at(biz_add(&c, at("2023-03-12T00:00:00-05:00"), 90 * MIN_MS),
              "2023-03-12T01:30:00-05:00");
}

static uint64_t rng = 0x2545f4914f6cdd1du;

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

static void round_the_clock_is_plain_addition(void **state)
{
    (void)state;
    const char *names[] = {
        "UTC",           "Asia/Shanghai",      "America/New_York", "Australia/Sydney",
        "Europe/Berlin", "Australia/Lord_Howe"};
    int64_t lo = at("2000-01-01T00:00:00Z"), hi = at("2050-01-01T00:00:00Z");
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct biz_calendar c = calendar(names[i], 7, 0, hm(24, 0));
        for (int k = 0; k < 300; k++) {
            int64_t a = random_between(lo, hi);
            int64_t d = random_between(1, 400LL * DAY_MS);
            assert_true(biz_add(&c, a, d) == a + d);
            assert_true(biz_elapsed(&c, a, a + d) == d);
        }
        /* and across the whole range, in one piece */
        int64_t a = at("0001-01-01T00:00:00Z"), b = at("9999-12-31T00:00:00Z");
        assert_true(biz_elapsed(&c, a + DAY_MS, b) == b - a - DAY_MS);
    }
}

static void no_working_time_is_minus_one(void **state)
{
    (void)state;
    struct biz_calendar none = calendar("Asia/Shanghai", 0, 0, 0);
    int64_t a = at("2023-09-18T10:00:00+08:00");
    assert_true(biz_add(&none, a, 1) == -1);
    assert_true(biz_add(&none, a, 0) == a);
    assert_true(biz_elapsed(&none, a, a + 3650LL * DAY_MS) == 0);

    /* holidays on every day of 2024-2029: six years without work is too many; 4.5 are not */
    static int every_day[6 * 366];
    size_t n = 0;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int y = 2024; y <= 2029; y++)
        for (int mo = 1; mo <= 12; mo++)
            for (int d = 1; d <= mdays[mo - 1]; d++)
                if (mo != 2 || d < 29 || y % 4 == 0)
                    every_day[n++] = y * 10000 + mo * 100 + d;
    struct biz_calendar c = calendar("Asia/Shanghai", 5, hm(9, 0), hm(18, 0));
    c.holidays = every_day;
    c.nholidays = n;
    assert_int_equal(biz_calendar_check(&c, NULL), 0);
    assert_true(biz_add(&c, at("2023-12-29T17:00:00+08:00"), 2 * HOUR_MS) == -1);
    assert_true(biz_elapsed(&c, at("2023-12-29T17:00:00+08:00"), at("2030-01-03T00:00:00+08:00")) ==
                2 * 9 * HOUR_MS + HOUR_MS);
    for (n = 0; every_day[n] < 20280701; n++)
        ;
    c.nholidays = n; /* up to 2028-06-30, a Friday: Monday 07-03 is worked */
    assert_at(biz_add(&c, at("2023-12-29T17:00:00+08:00"), 2 * HOUR_MS),
              "2028-07-03T10:00:00+08:00");

    /* past the year 9999 there is no deadline; 9999-12-31 is a Friday */
    struct biz_calendar u = calendar("UTC", 5, hm(9, 0), hm(18, 0));
    assert_at(biz_add(&u, at("9999-12-31T17:00:00Z"), HOUR_MS), "9999-12-31T18:00:00Z");
    assert_true(biz_add(&u, at("9999-12-31T17:00:00Z"), HOUR_MS + 1) == -1);
    assert_true(biz_add(&u, at("2023-09-18T10:00:00Z"), INT64_MAX) == -1);
}

/* Whether the millisecond at m is working time, straight from the definition: some span of
 * the day before, of m's day or of the day after, mapped with tz_to_utc(), holds it. */
static bool working(const struct biz_calendar *c, int64_t m)
{
    int64_t s = m / 1000 - (m % 1000 < 0);
    int64_t day = (s + tz_offset(c->zone, s)) / 86400 - ((s + tz_offset(c->zone, s)) % 86400 < 0);
    for (int64_t d = day - 1; d <= day + 1; d++) {
        int64_t yy, days = d + 719468;
        int64_t era = (days >= 0 ? days : days - 146096) / 146097;
        int64_t doe = days - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int64_t mp = (5 * doy + 2) / 153;
        int64_t dd = doy - (153 * mp + 2) / 5 + 1, mm = mp < 10 ? mp + 3 : mp - 9;
        yy = yoe + era * 400 + (mm <= 2);
        int ymd = (int)(yy * 10000 + mm * 100 + dd);
        int wd = (int)(((d + 3) % 7 + 7) % 7);
        bool listed_work = false, listed_holiday = false;
        for (size_t i = 0; i < c->nworkdays; i++)
            listed_work = listed_work || c->workdays[i] == ymd;
        for (size_t i = 0; i < c->nholidays; i++)
            listed_holiday = listed_holiday || c->holidays[i] == ymd;
        if (listed_work)
            wd = 0;
        else if (listed_holiday)
            continue;
        for (int i = 0; i < c->nspans[wd]; i++) {
            int64_t a = tz_to_utc(c->zone, d * 86400 + c->spans[wd][i].start * 60) * 1000;
            int64_t b = tz_to_utc(c->zone, d * 86400 + c->spans[wd][i].end * 60) * 1000;
            if (a <= m && m < b)
                return true;
        }
    }
    return false;
}

/* Calendars for the properties: a lunch break with National Day, New York office hours,
 * Sydney with a night shift, Berlin's 24-hour Sundays. */
static struct biz_calendar test_calendar(int which)
{
    struct biz_calendar c;
    switch (which) {
    case 0:
        c = calendar("Asia/Shanghai", 5, hm(9, 0), hm(12, 0));
        for (int d = 0; d < 5; d++)
            add_span(&c, d, hm(13, 30), hm(18, 0));
        c.holidays = national_day;
        c.nholidays = 8;
        c.workdays = tiaoxiu;
        c.nworkdays = 2;
        break;
    case 1:
        c = calendar("America/New_York", 5, hm(9, 0), hm(18, 0));
        break;
    case 2:
        c = calendar("Australia/Sydney", 7, hm(1, 0), hm(3, 30));
        add_span(&c, 2, hm(8, 0), hm(17, 0));
        break;
    default:
        c = calendar("Europe/Berlin", 0, 0, 0);
        add_span(&c, 6, 0, hm(24, 0));
        add_span(&c, 2, hm(2, 15), hm(2, 45));
        break;
    }
    assert_int_equal(biz_calendar_check(&c, NULL), 0);
    return c;
}

static void elapsed_and_add_are_inverse(void **state)
{
    (void)state;
    /* 2023-2024: both DST changes, National Day */
    int64_t lo = at("2023-01-01T00:00:00Z"), hi = at("2025-01-01T00:00:00Z");
    for (int which = 0; which < 4; which++) {
        struct biz_calendar c = test_calendar(which);
        int inside = 0;
        for (int k = 0; k < 3000; k++) {
            int64_t a = random_between(lo, hi);
            int64_t b = a + random_between(0, 40LL * DAY_MS);
            if (k % 3 == 0) /* near the changes too */
                b = a + random_between(0, 2 * DAY_MS);
            int64_t e = biz_elapsed(&c, a, b);
            assert_true(e >= 0 && e <= b - a);
            if (biz_elapsed(&c, b - 1, b) == 1) { /* b is in working time */
                inside++;
                if (biz_add(&c, a, e) != b)
                    fail_msg("calendar %d: from %lld, %lld ms: %lld, not %lld", which, (long long)a,
                             (long long)e, (long long)biz_add(&c, a, e), (long long)b);
            }
            int64_t d = random_between(1, 300LL * HOUR_MS);
            int64_t r = biz_add(&c, a, d);
            assert_true(r > a);
            assert_true(biz_elapsed(&c, a, r) == d);
            assert_true(working(&c, r - 1)); /* a deadline ends working time */
            assert_true(biz_add(&c, a, d + 1) > r);
        }
        assert_true(inside > 100);
    }
}

/* The working minutes of [a, b) counted one by one, against biz_elapsed(). */
static void elapsed_matches_counting_minutes(void **state)
{
    (void)state;
    const char *starts[] = {"2023-03-08T00:00:00Z", "2023-10-26T00:00:00Z", "2023-09-27T00:00:00Z",
                            "2023-03-29T00:00:00Z", "2023-09-28T00:00:00Z", "2023-03-20T00:00:00Z"};
    for (int which = 0; which < 4; which++) {
        struct biz_calendar c = test_calendar(which);
        for (size_t s = 0; s < sizeof(starts) / sizeof(starts[0]); s++) {
            int64_t a = at(starts[s]);
            enum { MINUTES = 10 * 24 * 60 };
            static bool work[MINUTES];
            for (int i = 0; i < MINUTES; i++)
                work[i] = working(&c, a + (int64_t)i * MIN_MS);
            for (int k = 0; k < 40; k++) {
                int i = (int)random_between(0, MINUTES), j = (int)random_between(i, MINUTES);
                int64_t n = 0;
                for (int x = i; x < j; x++)
                    n += work[x];
                int64_t got = biz_elapsed(&c, a + (int64_t)i * MIN_MS, a + (int64_t)j * MIN_MS);
                if (got != n * MIN_MS)
                    fail_msg("calendar %d from %s: minutes %d..%d: %lld ms, not %lld", which,
                             starts[s], i, j, (long long)got, (long long)(n * MIN_MS));
            }
        }
    }
}

/* Over centuries, by whole weeks: New York's office hours are 9 h on every weekday, whatever
 * the clock does at 02:00. */
static void centuries_count_exactly(void **state)
{
    (void)state;
    struct biz_calendar c = calendar("America/New_York", 5, hm(9, 0), hm(18, 0));
    const struct tz *z = c.zone;
    int64_t spans[][2] = {{days_from_civil(1900, 1, 1), days_from_civil(2100, 1, 1)},
                          {days_from_civil(1, 1, 1), days_from_civil(9999, 12, 1)},
                          {days_from_civil(2023, 3, 8), days_from_civil(2023, 3, 15)}};
    for (size_t i = 0; i < sizeof(spans) / sizeof(spans[0]); i++) {
        int64_t d0 = spans[i][0], d1 = spans[i][1], weekdays = 0, last = 0;
        for (int64_t d = d0; d < d1; d++) {
            if (((d + 3) % 7 + 7) % 7 < 5) {
                weekdays++;
                last = d;
            }
        }
        int64_t a = tz_to_utc(z, d0 * 86400) * 1000, b = tz_to_utc(z, d1 * 86400) * 1000;
        assert_true(biz_elapsed(&c, a, b) == weekdays * 9 * HOUR_MS);
        /* the same work from a ends on the last weekday's closing */
        assert_true(biz_add(&c, a, weekdays * 9 * HOUR_MS) ==
                    tz_to_utc(z, last * 86400 + 18 * 3600) * 1000);
    }
    /* the National Day calendar over a century equals the sum of its years */
    struct biz_calendar n = test_calendar(0);
    int64_t sum = 0;
    for (int y = 1950; y < 2050; y++)
        sum += biz_elapsed(&n, days_from_civil(y, 1, 1) * DAY_MS,
                           days_from_civil(y + 1, 1, 1) * DAY_MS);
    assert_true(biz_elapsed(&n, days_from_civil(1950, 1, 1) * DAY_MS,
                            days_from_civil(2050, 1, 1) * DAY_MS) == sum);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hhmm_parses),
        cmocka_unit_test(calendars_are_checked),
        cmocka_unit_test(shanghai_office_hours),
        cmocka_unit_test(a_lunch_break_does_not_count),
        cmocka_unit_test(a_shift_across_midnight),
        cmocka_unit_test(national_day_and_tiaoxiu),
        cmocka_unit_test(new_york_across_dst),
        cmocka_unit_test(spans_around_the_changes),
        cmocka_unit_test(round_the_clock_is_plain_addition),
        cmocka_unit_test(no_working_time_is_minus_one),
        cmocka_unit_test(elapsed_and_add_are_inverse),
        cmocka_unit_test(elapsed_matches_counting_minutes),
        cmocka_unit_test(centuries_count_exactly),
    };
    return cmocka_run_group_tests_name("bizhours", tests, NULL, NULL);
}
