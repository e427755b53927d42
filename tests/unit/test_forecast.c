/* test_forecast.c: the volume forecast on hand-computed series (constant, a weekly pattern, a
 * trend, too little history, none), its intervals, and Erlang C against textbook values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/forecast.h"

enum { DAYS = 14 };

static double hist[FORECAST_HISTORY_MAX * 2 * 24];
static double expected[DAYS * 24];
static int low[DAYS * 24], high[DAYS * 24];

static void near(double actual, double want)
{
    if (actual < want - 1e-9 || actual > want + 1e-9)
        fail_msg("%.12f is not %.12f", actual, want);
}

static void erlang_c_known_values(void **state)
{
    (void)state;
    near(erlang_c(3, 2), 4.0 / 9); /* A = 2 Erlang, N = 3: P(wait) = 0.444... */
    near(erlang_c(1, 0.5), 0.5);   /* one agent: P(wait) is the utilisation */
    assert_true(erlang_c(11, 10) > 0.68211 && erlang_c(11, 10) < 0.68212);
    near(erlang_c(2, 2), 1); /* as many agents as Erlangs: everyone waits */
    near(erlang_c(3, 0), 0);
    /* 100 calls in 30 minutes of 180 s each (10 Erlang), 20 s target: 13 agents answer 79.6 %,
     * 14 agents 88.8 % */
    double sl13 = erlang_service_level(13, 10, 180, 20),
           sl14 = erlang_service_level(14, 10, 180, 20);
    assert_true(sl13 > 0.7955 && sl13 < 0.7957);
    assert_true(sl14 > 0.8883 && sl14 < 0.8884);
}

static void erlang_agents_for_a_target(void **state)
{
    (void)state;
    assert_int_equal(erlang_agents(200, 3, 20.0 / 60, 0.8), 14); /* the textbook case per hour */
    assert_int_equal(erlang_agents(10, 6, 1, 0.8), 3);
    assert_int_equal(erlang_agents(60, 10, 30, 0.8), 11);
    assert_int_equal(erlang_agents(0, 10, 30, 0.8), 0);
    assert_int_equal(erlang_agents(5, 0, 30, 0.8), 0);
    /* always more agents than Erlangs, however lax the target */
    assert_int_equal(erlang_agents(12, 15, 100000, 0.8), 4);
}

static void poisson_and_overdispersed_intervals(void **state)
{
    (void)state;
    int lo, hi;
    forecast_interval(4, 1, 0.05, 0.95, &lo, &hi); /* P(X<=0)=.018, P(X<=1)=.092, P(X<=7)=.949 */
    assert_int_equal(lo, 1);
    assert_int_equal(hi, 8);
    forecast_interval(3, 0.5, 0.05, 0.95, &lo, &hi); /* under 1: Poisson all the same */
    assert_int_equal(lo, 1);
    assert_int_equal(hi, 6);
    /* negative binomial r = 4, p = 1/2: P(0) = .0625, P(X<=8) = .927, P(X<=9) = .954 */
    forecast_interval(4, 2, 0.05, 0.95, &lo, &hi);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 9);
    forecast_interval(400, 1, 0.05, 0.95, &lo, &hi); /* normal: 400 -+ 1.645 * 20 */
    assert_int_equal(lo, 367);
    assert_int_equal(hi, 433);
    forecast_interval(0, 1, 0.05, 0.95, &lo, &hi);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 0);
}

static void no_history_forecasts_nothing(void **state)
{
    (void)state;
    struct forecast_fit fit;
    memset(expected, 0xff, sizeof(expected));
    forecast_hours(hist, 0, 7, expected, low, high, &fit);
    assert_string_equal(fit.method, "none");
    for (int i = 0; i < 7 * 24; i++) {
        near(expected[i], 0);
        assert_int_equal(low[i], 0);
        assert_int_equal(high[i], 0);
    }
}

static void a_constant_series_stays_constant(void **state)
{
    (void)state;
    struct forecast_fit fit;
    for (int i = 0; i < 14 * 24; i++)
        hist[i] = 3;
    forecast_hours(hist, 14, DAYS, expected, low, high, &fit);
    assert_string_equal(fit.method, "weekday_hour"); /* two weeks: no trend yet */
    assert_int_equal(fit.weeks, 2);
    near(fit.dispersion, 1);
    for (int i = 0; i < DAYS * 24; i++) {
        near(expected[i], 3);
        assert_int_equal(low[i], 1); /* Poisson(3): P(X<=0) = .0498, P(X<=6) = .966 */
        assert_int_equal(high[i], 6);
    }
}

static void a_weekly_pattern_repeats_on_its_weekdays(void **state)
{
    (void)state;
    struct forecast_fit fit;
    /* 23 days: the two oldest are left out, the last three whole weeks read; day d has d % 7 + 1
     * tickets at 10:00 and none otherwise, so forecast day k (day 23 + k) expects
     * (23 + k) % 7 + 1 */
    memset(hist, 0, sizeof(hist));
    for (int d = 0; d < 23; d++)
        hist[d * 24 + 10] = d % 7 + 1;
    hist[0 * 24 + 3] = 50; /* outside the whole weeks: no effect */
    forecast_hours(hist, 23, DAYS, expected, low, high, &fit);
    assert_string_equal(fit.method, "weekday_hour_trend");
    assert_int_equal(fit.weeks, 3);
    near(fit.trend, 0);
    for (int k = 0; k < DAYS; k++)
        for (int h = 0; h < 24; h++)
            near(expected[k * 24 + h], h == 10 ? (23 + k) % 7 + 1 : 0);
}

static void a_trend_is_extrapolated(void **state)
{
    (void)state;
    struct forecast_fit fit;
    /* three weeks of 10, 11 and 12 tickets an hour: the trend of the weekly totals is 1/11 of
     * their mean a week; next week expects 13 an hour, the week after 14 */
    for (int d = 0; d < 21; d++)
        for (int h = 0; h < 24; h++)
            hist[d * 24 + h] = 10 + d / 7;
    forecast_hours(hist, 21, DAYS, expected, low, high, &fit);
    assert_string_equal(fit.method, "weekday_hour_trend");
    near(fit.trend, 1.0 / 11);
    near(fit.dispersion, 1);
    for (int k = 0; k < DAYS; k++)
        near(expected[k * 24 + 5], k < 7 ? 13 : 14);
    /* 1, 2, 3 an hour would double and more: the scale stops at x2 of the mean (4) */
    for (int d = 0; d < 21; d++)
        for (int h = 0; h < 24; h++)
            hist[d * 24 + h] = 1 + d / 7;
    forecast_hours(hist, 21, DAYS, expected, low, high, &fit);
    near(expected[0], 4);
    near(expected[13 * 24], 4);
}

static void under_a_week_uses_the_hours_of_the_days_there_are(void **state)
{
    (void)state;
    struct forecast_fit fit;
    memset(hist, 0, sizeof(hist));
    hist[0 * 24 + 9] = 0; /* 0 and 8 at 09:00: mean 4, variance 32, dispersion 8 */
    hist[1 * 24 + 9] = 8;
    forecast_hours(hist, 2, 3, expected, low, high, &fit);
    assert_string_equal(fit.method, "hour");
    assert_int_equal(fit.weeks, 0);
    near(fit.dispersion, 8);
    for (int k = 0; k < 3; k++) {
        near(expected[k * 24 + 9], 4);
        near(expected[k * 24 + 10], 0);
        assert_true(high[k * 24 + 9] > 8); /* wider than Poisson(4)'s 8 */
    }
}

static void only_the_last_eight_weeks_count(void **state)
{
    (void)state;
    struct forecast_fit fit;
    for (int d = 0; d < 70; d++)
        for (int h = 0; h < 24; h++)
            hist[d * 24 + h] = d < 14 ? 100 : 2;
    forecast_hours(hist, 70, 7, expected, low, high, &fit);
    assert_int_equal(fit.weeks, FORECAST_WEEKS);
    near(expected[0], 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(erlang_c_known_values),
        cmocka_unit_test(erlang_agents_for_a_target),
        cmocka_unit_test(poisson_and_overdispersed_intervals),
        cmocka_unit_test(no_history_forecasts_nothing),
        cmocka_unit_test(a_constant_series_stays_constant),
        cmocka_unit_test(a_weekly_pattern_repeats_on_its_weekdays),
        cmocka_unit_test(a_trend_is_extrapolated),
        cmocka_unit_test(under_a_week_uses_the_hours_of_the_days_there_are),
        cmocka_unit_test(only_the_last_eight_weeks_count),
    };
    return cmocka_run_group_tests_name("forecast", tests, NULL, NULL);
}
