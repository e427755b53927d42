/* bizhours.c: working time between instants, and deadlines after a working duration. */
#include "core/bizhours.h"

#include <assert.h>
#include <stdbool.h>

#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/tz.h"

#include "lib/banned.h"

enum {
    DAY_S = 86400,
    WEEK_S = 7 * DAY_S,
    GIVE_UP_DAYS = 5 * 365 + 2, /* five years, leap days included */
};

static int64_t floordiv(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && ((a < 0) != (b < 0)));
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int64_t clamp_ms(int64_t ms)
{
    return ms < BIZ_MIN_MS ? BIZ_MIN_MS : ms > BIZ_MAX_MS ? BIZ_MAX_MS : ms;
}

/* YYYYMMDD of a day counted from 1970-01-01 (H. Hinnant's civil_from_days). */
static int ymd_of_day(int64_t days)
{
    int64_t z = days + 719468;
    int64_t era = floordiv(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    return (int)(y * 10000 + m * 100 + d);
}

static int64_t day_of_ymd(int ymd)
{
    return days_from_civil(ymd / 10000, (unsigned)(ymd / 100 % 100), (unsigned)(ymd % 100));
}

static bool ymd_valid(int ymd)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    return m != 2 || d < 29 || (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The index of the first entry >= ymd in an ascending list (n when none). */
static size_t lower_bound(const int *list, size_t n, int ymd)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (list[mid] < ymd)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool listed(const int *list, size_t n, int ymd)
{
    size_t i = lower_bound(list, n, ymd);
    return i < n && list[i] == ymd;
}

/* The weekday whose spans day `days` has (0 = Monday), or -1 when it has none. */
static int day_kind(const struct biz_calendar *c, int64_t days)
{
    int ymd = ymd_of_day(days);
    if (listed(c->workdays, c->nworkdays, ymd))
        return 0;
    if (listed(c->holidays, c->nholidays, ymd))
        return -1;
    return (int)(days - floordiv(days + 3, 7) * 7 + 3); /* 1970-01-01 was a Thursday */
}

/* The days to the first list entry on or after `days`; INT64_MAX when none. */
static int64_t days_to_entry(const struct biz_calendar *c, int64_t days)
{
    int ymd = ymd_of_day(days);
    int64_t best = INT64_MAX;
    size_t i = lower_bound(c->holidays, c->nholidays, ymd);
    if (i < c->nholidays)
        best = day_of_ymd(c->holidays[i]) - days;
    i = lower_bound(c->workdays, c->nworkdays, ymd);
    if (i < c->nworkdays)
        best = min64(best, day_of_ymd(c->workdays[i]) - days);
    return best;
}

/* The zone's offset over a stretch of instants, so that whole days and weeks whose wall clock
 * runs evenly need no tz_to_utc(). */
struct steady {
    const struct tz *zone;
    int64_t lo, change; /* the offset is `off` on [lo, change) */
    int32_t off;
    bool known;
};

/* Whether every wall time in [l0, l1] (local seconds) is l - off for one offset: then no
 * instant within TZ_OFFSET_LIMIT of them has another offset, so tz_to_utc() has one answer.
 * Asks the zone again only when the stretch known does not start early enough or has ended:
 * days are asked about in order, and one change makes several days in a row unsteady. */
static bool steady_over(struct steady *s, int64_t l0, int64_t l1)
{
    int64_t lo = l0 - TZ_OFFSET_LIMIT, hi = l1 + TZ_OFFSET_LIMIT;
    if (!s->known || lo < s->lo || lo >= s->change) {
        s->lo = lo;
        s->off = tz_offset(s->zone, lo);
        s->change = tz_next_change(s->zone, lo);
        s->known = true;
    }
    return hi < s->change;
}

/* The instant (ms) of wall time l (local seconds) on a day that is steady, or any day. */
static int64_t instant(const struct steady *s, bool steady, int64_t l)
{
    return (steady ? l - s->off : tz_to_utc(s->zone, l)) * 1000;
}

/* The working ms of a week without list entries and without offset changes. */
static int64_t week_ms(const struct biz_calendar *c)
{
    int64_t w = 0;
    for (int d = 0; d < 7; d++)
        for (int i = 0; i < c->nspans[d]; i++)
            w += (int64_t)(c->spans[d][i].end - c->spans[d][i].start) * 60000;
    return w;
}

/* Counts working time on [from, to) until `budget` ms are counted: returns the instant they
 * are, or -1 when `to` comes first (or, with give_up, when 5 years pass without work), with
 * the working time counted in *worked. Days go one at a time where the wall clock jumps or a
 * list names one; between, whole weeks at once. */
static int64_t count(const struct biz_calendar *c, int64_t from, int64_t to, int64_t budget,
                     bool give_up, int64_t *worked)
{
    struct steady s = {.zone = c->zone};
    int64_t week = week_ms(c), left = budget;
    int64_t sec = floordiv(from, 1000);
    int64_t day = floordiv(sec + tz_offset(c->zone, sec), DAY_S);
    int64_t last_work = day--; /* a span of the day before cannot reach past from: start there */
    *worked = 0;
    for (;;) {
        if (give_up && day - last_work > GIVE_UP_DAYS)
            return -1;
        int64_t l0 = day * DAY_S;
        /* whole weeks at once: with weekly work, while the offset holds (each week then has
         * `week` ms); without, whatever the offset, up to `to` or a little past it */
        bool even = week == 0 || steady_over(&s, l0, l0 + WEEK_S);
        int64_t start = !even ? 0 : week > 0 ? instant(&s, true, l0) : instant(&s, false, l0);
        if (even && start >= from) {
            int64_t k = INT64_MAX;
            if (week > 0 && s.change != INT64_MAX)
                k = (s.change - TZ_OFFSET_LIMIT - l0 - 1) / WEEK_S;
            k = min64(k, floordiv(to - start, WEEK_S * INT64_C(1000)) + (week == 0));
            int64_t gap = days_to_entry(c, day);
            if (gap != INT64_MAX)
                k = min64(k, gap / 7);
            if (week > 0)
                k = min64(k, (left - 1) / week);
            else if (give_up)
                k = min64(k, (last_work + GIVE_UP_DAYS - day) / 7 + 1);
            if (k > 0) {
                day += 7 * k;
                *worked += k * week;
                left -= k * week;
                if (week > 0)
                    last_work = day - 1;
                continue;
            }
        }
        bool steady = steady_over(&s, l0, l0 + DAY_S);
        if (instant(&s, steady, l0) >= to)
            return -1;
        int wd = day_kind(c, day);
        for (int i = 0; wd >= 0 && i < c->nspans[wd]; i++) {
            int64_t a = max64(from, instant(&s, steady, l0 + c->spans[wd][i].start * 60));
            int64_t b = min64(to, instant(&s, steady, l0 + c->spans[wd][i].end * 60));
            if (b <= a)
                continue;
            last_work = day;
            if (b - a >= left) {
                *worked += left;
                return a + left;
            }
            *worked += b - a;
            left -= b - a;
        }
        day++;
    }
}

int64_t biz_add(const struct biz_calendar *c, int64_t from_ms, int64_t duration_ms)
{
    assert(c && c->zone);
    if (duration_ms == 0)
        return from_ms;
    if (duration_ms < 0)
        return -1;
    int64_t worked;
    return count(c, clamp_ms(from_ms), BIZ_MAX_MS, duration_ms, true, &worked);
}

int64_t biz_elapsed(const struct biz_calendar *c, int64_t from_ms, int64_t to_ms)
{
    assert(c && c->zone);
    from_ms = clamp_ms(from_ms);
    to_ms = clamp_ms(to_ms);
    if (to_ms <= from_ms)
        return 0;
    int64_t worked;
    count(c, from_ms, to_ms, INT64_MAX, false, &worked);
    return worked;
}

static int check_list(const int *list, size_t n, const char *field, struct kf_error *e)
{
    if (n > 0 && !list)
        return kf_fail(e, KF_EINVAL, field, "the list is missing");
    for (size_t i = 0; i < n; i++) {
        if (!ymd_valid(list[i]))
            return kf_fail(e, KF_EINVAL, field, "a day is not a valid YYYYMMDD date");
        if (i > 0 && list[i] <= list[i - 1])
            return kf_fail(e, KF_EINVAL, field, "the days are not in ascending order");
    }
    return 0;
}

const char *biz_day_problem(const struct biz_calendar *c, int d)
{
    if (c->nspans[d] < 0 || c->nspans[d] > BIZ_SPANS_MAX)
        return "at most 4 working spans a day";
    for (int i = 0; i < c->nspans[d]; i++) {
        int start = c->spans[d][i].start, end = c->spans[d][i].end;
        if (start < 0 || start >= end || end > 1440)
            return "a span ends after it starts, within the day";
        if (i > 0 && start < c->spans[d][i - 1].end)
            return "spans must be in order and not overlap";
    }
    return NULL;
}

int biz_calendar_check(const struct biz_calendar *c, struct kf_error *e)
{
    if (!c || !c->zone)
        return kf_fail(e, KF_EINVAL, "zone", "the calendar has no time zone");
    for (int d = 0; d < 7; d++) {
        const char *problem = biz_day_problem(c, d);
        if (problem)
            return kf_fail(e, KF_EINVAL, "spans", problem);
    }
    int rc = check_list(c->holidays, c->nholidays, "holidays", e);
    if (rc == 0)
        rc = check_list(c->workdays, c->nworkdays, "workdays", e);
    if (rc)
        return rc;
    for (size_t i = 0, j = 0; i < c->nholidays && j < c->nworkdays;) {
        if (c->holidays[i] == c->workdays[j])
            return kf_fail(e, KF_EINVAL, "workdays", "a day is both a holiday and a workday");
        if (c->holidays[i] < c->workdays[j])
            i++;
        else
            j++;
    }
    return 0;
}

int biz_parse_hhmm(const char *s, int *ret)
{
    if (!s)
        return KF_EINVAL;
    for (int i = 0; i < 5; i++)
        if (i == 2 ? s[i] != ':' : (s[i] < '0' || s[i] > '9'))
            return KF_EINVAL;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (s[5] != '\0' || m > 59 || h > 24 || (h == 24 && m != 0))
        return KF_EINVAL;
    *ret = h * 60 + m;
    return 0;
}
