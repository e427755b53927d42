/* bizhours.h: business-time arithmetic for SLA clocks: working hours, holidays, extra workdays. */
#ifndef KEFU_BIZHOURS_H
#define KEFU_BIZHOURS_H

#include <stddef.h>
#include <stdint.h>

struct tz;
struct kf_error;

enum { BIZ_SPANS_MAX = 4 };

/* When work happens, in the calendar's own zone. A local day's working time is:
 * - for a day in `workdays` (调休, e.g. a Saturday worked in exchange for a holiday): Monday's
 *   spans, whatever its weekday;
 * - else for a day in `holidays`: none;
 * - else the spans of its weekday.
 * A day in both lists is a configuration error that biz_calendar_check() refuses; should such
 * a calendar be used anyway, the workday wins.
 * Each span [start, end) becomes the real interval [tz_to_utc(start), tz_to_utc(end)): where
 * the clock jumps inside a span, a 09:00-18:00 span lasts 8 or 10 real hours and a
 * 00:00-24:00 one 23 or 25; a span boundary in a spring-forward gap is the end of the gap
 * (02:30-04:00 in New York on 2023-03-12 is one hour, 02:10-02:50 none); a boundary in a
 * fall-back overlap is its first pass, so 01:00-01:30 on 2023-11-05 counts 30 minutes, once. */
struct biz_calendar {
    const struct tz *zone;
    /* working spans per weekday, 0 = Monday ... 6 = Sunday, minutes since local midnight,
     * 0 <= start < end <= 1440, sorted, not overlapping (one may end where the next starts) */
    struct {
        int start, end;
    } spans[7][BIZ_SPANS_MAX];
    int nspans[7];
    const int *holidays; /* YYYYMMDD local days without work, strictly ascending */
    size_t nholidays;
    const int *workdays; /* YYYYMMDD extra working days with Monday's spans, strictly ascending */
    size_t nworkdays;
};

/* Instants the arithmetic covers: 0001-01-01T00:00Z .. 9999-12-31T23:59:59.999Z. Instants
 * outside are taken as the nearest bound. */
#define BIZ_MIN_MS INT64_C(-62135596800000)
#define BIZ_MAX_MS INT64_C(253402300799999)

/* 0 when c is usable: a zone, 0..BIZ_SPANS_MAX spans a day as described above, valid dates in
 * strictly ascending lists (not NULL when their count is not 0), and no day in both lists.
 * Otherwise KF_EINVAL, with e (if not NULL) naming the field ("zone", "spans", "holidays" or
 * "workdays") and the problem. biz_add() and biz_elapsed() require a calendar that passes. */
int biz_calendar_check(const struct biz_calendar *c, struct kf_error *e);
/* What is wrong with the working spans of weekday d (0 = Monday) of c, or NULL when nothing. */
const char *biz_day_problem(const struct biz_calendar *c, int d);

/* The instant (UTC ms) at which `duration_ms` of working time counted from `from_ms` has
 * passed. Time outside working spans does not count: from outside work, counting starts at
 * the next opening. A deadline that falls exactly on a closing time stays there (it does not
 * move to the next opening). duration 0 returns from_ms unchanged. Returns -1 when
 * duration_ms is negative, when five years (1827 days) pass without any working time (from
 * from_ms, or from the last work counted), or when the deadline would lie after BIZ_MAX_MS.
 * The cost grows with the offset changes and list entries passed, not with the duration:
 * whole weeks without either are counted at once. */
int64_t biz_add(const struct biz_calendar *c, int64_t from_ms, int64_t duration_ms);

/* The working time (ms) between from_ms and to_ms (0 when to_ms <= from_ms).
 * biz_add(c, a, biz_elapsed(c, a, b)) is b when b lies in working time, that is, when the
 * millisecond before b is working time (b may be a closing time, not an opening one: from an
 * opening the sum stops at the previous closing). And biz_elapsed(c, a, biz_add(c, a, d)) is d
 * whenever biz_add() does not return -1. */
int64_t biz_elapsed(const struct biz_calendar *c, int64_t from_ms, int64_t to_ms);

/* Parses "HH:MM" (00:00..24:00, two digits each) into minutes since midnight; 0 and *ret, or
 * KF_EINVAL (-1) leaving *ret untouched. */
int biz_parse_hhmm(const char *s, int *ret);

#endif
