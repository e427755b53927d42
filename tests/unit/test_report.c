/* test_report.c: the report arithmetic (core/report.c): nearest-rank percentiles, Pearson's
 * coefficient, the correlation's buckets and the periods of a range in the configured zone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/report.c" /* the selection behind the percentiles is static */
#include "lib/arena.h"
#include "lib/err.h"
#include "lib/ktime.h"

static void percentiles_by_nearest_rank(void **state)
{
    (void)state;
    const int64_t ten[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assert_int_equal(report_percentile(ten, 10, 50), 5);
    assert_int_equal(report_percentile(ten, 10, 90), 9);
    assert_int_equal(report_percentile(ten, 10, 91), 10);
    assert_int_equal(report_percentile(ten, 10, 100), 10);
    assert_int_equal(report_percentile(ten, 10, 1), 1);
    const int64_t three[] = {10, 20, 30};
    assert_int_equal(report_percentile(three, 3, 50), 20); /* rank ceil(1.5) = 2 */
    assert_int_equal(report_percentile(three, 3, 90), 30); /* rank ceil(2.7) = 3 */
    assert_int_equal(report_percentile(three, 1, 90), 10);
    assert_int_equal(report_percentile(three, 0, 50), 0);
    /* four values: the median is the second, not a mean of two */
    const int64_t four[] = {4, 8, 15, 16};
    assert_int_equal(report_percentile(four, 4, 50), 8);
    assert_int_equal(report_percentile(four, 4, 90), 16);
}

static int cmp64(const void *pa, const void *pb)
{
    int64_t x = *(const int64_t *)pa, y = *(const int64_t *)pb;
    return x < y ? -1 : x > y;
}

/* Selection gives what sorting gives, on random values with many repeats, and the summary's
 * median taken after its p90 too. */
static void selection_agrees_with_sorting(void **state)
{
    (void)state;
    uint64_t r = 12345;
    static int64_t v[2000], sorted[2000];
    for (size_t n = 1; n <= 2000; n = n * 3 + 1) {
        for (int round = 0; round < 20; round++) {
            for (size_t i = 0; i < n; i++) {
                r ^= r << 13, r ^= r >> 7, r ^= r << 17;
                v[i] = sorted[i] = (int64_t)(r % (round % 2 ? 7 : 100000));
            }
            qsort(sorted, n, sizeof(*sorted), cmp64);
            int p = 1 + (int)(r % 100);
            assert_int_equal(percentile_unsorted(v, n, p), report_percentile(sorted, n, p));
            struct report_times t = {0};
            times(v, n, &t);
            assert_float_equal(t.p90_minutes, (double)report_percentile(sorted, n, 90) / 60000.0,
                               0);
            assert_float_equal(t.p50_minutes, (double)report_percentile(sorted, n, 50) / 60000.0,
                               0);
        }
    }
}

static void pearson(void **state)
{
    (void)state;
    double r = 9;
    const double x[] = {1, 2, 3, 4}, up[] = {2, 4, 6, 8}, down[] = {8, 6, 4, 2},
                 mixed[] = {1, 3, 2, 4}, flat[] = {3, 3, 3, 3};
    assert_int_equal(report_pearson(x, up, 4, &r), 0);
    assert_float_equal(r, 1.0, 1e-12);
    assert_int_equal(report_pearson(x, down, 4, &r), 0);
    assert_float_equal(r, -1.0, 1e-12);
    /* deviations -1.5 -0.5 0.5 1.5 and -1.5 0.5 -0.5 1.5: 4 / sqrt(5 * 5) */
    assert_int_equal(report_pearson(x, mixed, 4, &r), 0);
    assert_float_equal(r, 0.8, 1e-12);
    /* slower answers, lower scores: 10, 20, 30, 40 minutes scored 5, 4, 4, 1 */
    const double mins[] = {10, 20, 30, 40}, scores[] = {5, 4, 4, 1};
    assert_int_equal(report_pearson(mins, scores, 4, &r), 0);
    /* means 25 and 3.5; sxy = -15*1.5 + -5*0.5 + 5*0.5 + 15*-2.5 = -60; sxx = 500; syy = 9 */
    assert_float_equal(r, -60.0 / 67.0820393249937, 1e-9);
    r = 9;
    assert_int_equal(report_pearson(x, flat, 4, &r), KF_EINVAL);
    assert_int_equal(report_pearson(flat, x, 4, &r), KF_EINVAL);
    assert_int_equal(report_pearson(x, up, 1, &r), KF_EINVAL);
    assert_int_equal(report_pearson(x, up, 0, &r), KF_EINVAL);
    assert_float_equal(r, 9, 0); /* untouched */
}

static void buckets(void **state)
{
    (void)state;
    assert_int_equal(report_bucket(-3), 0);
    assert_int_equal(report_bucket(0), 0);
    assert_int_equal(report_bucket(5), 0);
    assert_int_equal(report_bucket(5.01), 1);
    assert_int_equal(report_bucket(15), 1);
    assert_int_equal(report_bucket(16), 2);
    assert_int_equal(report_bucket(60), 3);
    assert_int_equal(report_bucket(1440), 7);
    assert_int_equal(report_bucket(1441), 8);
    assert_int_equal(report_bucket(1e9), REPORT_BUCKETS - 1);
    assert_int_equal(report_bucket_max[REPORT_BUCKETS - 1], 0);
}

static void periods_in_shanghai(void **state)
{
    (void)state;
    assert_int_equal(ktime_set_zone("Asia/Shanghai"), 0);
    struct arena a = ARENA_INIT;
    struct report_period *p;
    size_t n;
    int64_t from = ktime_day_start(20231001), to = ktime_day_start(20231101);
    assert_int_equal(from, 1696089600000LL); /* 2023-09-30T16:00:00Z */
    assert_int_equal(report_periods(from, to, REPORT_DAY, &a, &p, &n), 0);
    assert_int_equal(n, 31);
    assert_string_equal(p[0].label, "2023-10-01");
    assert_string_equal(p[30].label, "2023-10-31");
    assert_int_equal(p[1].start - p[0].start, 86400000);
    /* 2023-10-01 is a Sunday: its week began on Monday 25 September */
    assert_int_equal(report_periods(from, to, REPORT_WEEK, &a, &p, &n), 0);
    assert_int_equal(n, 6);
    assert_string_equal(p[0].label, "2023-09-25");
    assert_string_equal(p[1].label, "2023-10-02");
    assert_string_equal(p[5].label, "2023-10-30");
    assert_int_equal(report_periods(from, to, REPORT_MONTH, &a, &p, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(p[0].label, "2023-10");
    /* across a year's end, by month */
    assert_int_equal(report_periods(ktime_day_start(20231215), ktime_day_start(20240210),
                                    REPORT_MONTH, &a, &p, &n),
                     0);
    assert_int_equal(n, 3);
    assert_string_equal(p[0].label, "2023-12");
    assert_string_equal(p[1].label, "2024-01");
    assert_string_equal(p[2].label, "2024-02");
    assert_int_equal(p[1].start, ktime_day_start(20240101));
    /* which period an instant falls in */
    assert_int_equal(report_periods(from, to, REPORT_DAY, &a, &p, &n), 0);
    assert_int_equal(report_period_of(p, n, from), 0);
    assert_int_equal(report_period_of(p, n, from - 1), -1);
    assert_int_equal(report_period_of(p, n, from + 86400000 - 1), 0);
    assert_int_equal(report_period_of(p, n, from + 86400000), 1);
    assert_int_equal(report_period_of(p, n, to - 1), 30);
    assert_int_equal(report_periods(to, from, REPORT_DAY, &a, &p, &n), KF_EINVAL);
    arena_release(&a);
}

static void days_of_25_hours(void **state)
{
    (void)state;
    assert_int_equal(ktime_set_zone("America/New_York"), 0);
    struct arena a = ARENA_INIT;
    struct report_period *p;
    size_t n;
    /* the clocks fell back on Sunday 5 November 2023: that day lasted 25 hours */
    assert_int_equal(report_periods(ktime_day_start(20231104), ktime_day_start(20231107),
                                    REPORT_DAY, &a, &p, &n),
                     0);
    assert_int_equal(n, 3);
    assert_int_equal(p[1].start, 1699156800000LL); /* 2023-11-05T04:00:00Z */
    assert_int_equal(p[2].start - p[1].start, 25 * 3600000LL);
    assert_string_equal(p[2].label, "2023-11-06");
    /* and the week holding it began on Monday 30 October, at midnight EDT */
    assert_int_equal(report_periods(ktime_day_start(20231105), ktime_day_start(20231107),
                                    REPORT_WEEK, &a, &p, &n),
                     0);
    assert_int_equal(n, 2);
    assert_string_equal(p[0].label, "2023-10-30");
    assert_int_equal(p[0].start, 1698638400000LL); /* 2023-10-30T04:00:00Z */
    assert_string_equal(p[1].label, "2023-11-06");
    assert_int_equal(p[1].start, 1699246800000LL); /* 2023-11-06T05:00:00Z */
    arena_release(&a);
    assert_int_equal(ktime_set_zone("Asia/Shanghai"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(percentiles_by_nearest_rank),
        cmocka_unit_test(selection_agrees_with_sorting),
        cmocka_unit_test(pearson),
        cmocka_unit_test(buckets),
        cmocka_unit_test(periods_in_shanghai),
        cmocka_unit_test(days_of_25_hours),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
