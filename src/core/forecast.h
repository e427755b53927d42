/* forecast.h: the next days' ticket volume by hour, learned from past weeks, and the agents each
 * planned shift needs to answer within the first-response target (Erlang C).
 *
 * The model (forecast_hours): the mean of the same weekday and hour over the last whole weeks
 * of history (at most FORECAST_WEEKS), scaled by the least-squares trend of the weekly totals
 * when there are three weeks or more (the scale capped at x0.5..x2 so that one unusual week
 * cannot run away with it). With less than a week, the mean of each hour over the days there
 * are; without history, nothing. The interval is the 5 %..95 % quantiles of a Poisson count of
 * that mean, or of a negative binomial when the weeks vary more than a Poisson count would
 * (their dispersion, variance over mean, measured from the residuals). */
#ifndef KEFU_FORECAST_H
#define KEFU_FORECAST_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct actor;
struct kf_error;

enum {
    FORECAST_DAYS_MAX = 28, /* days ahead one request may ask for */
    FORECAST_WEEKS = 8,     /* whole weeks of history the model reads at most */
    FORECAST_HISTORY_MAX = 7 * FORECAST_WEEKS,
    FORECAST_TREND_WEEKS = 3, /* fewest whole weeks that give a trend */
    ERLANG_AGENTS_MAX = 100000,
};

/* How forecast_hours fitted the history. */
struct forecast_fit {
    const char *method; /* static: "weekday_hour_trend", "weekday_hour", "hour", "none" */
    int weeks;          /* whole weeks used (0 for "hour" and "none") */
    double trend;       /* weekly totals' slope over their mean (0 without a trend) */
    double dispersion;  /* variance over mean of the residuals, at least 1 */
};

/* Forecasts `days` days of 24 hours from `ndays` days of history (hist[d * 24 + h]: tickets
 * raised in hour h of day d, day ndays - 1 being the day before the first forecast day). Only
 * the last FORECAST_HISTORY_MAX days are read. Writes days * 24 expected values to ret_expected
 * and the interval bounds to ret_low and ret_high, and how it fitted to ret_fit (may be NULL).
 * Pure: no I/O, no allocation. */
void forecast_hours(const double *hist, int ndays, int days, double *ret_expected, int *ret_low,
                    int *ret_high, struct forecast_fit *ret_fit);

/* The counts between the p_low and p_high quantiles (e.g. 0.05, 0.95) of a count with this mean
 * and dispersion (variance over mean; 1 or less: Poisson, else negative binomial; a normal
 * approximation for means of 200 and more). A mean of 0 or less gives 0..0. */
void forecast_interval(double mean, double dispersion, double p_low, double p_high, int *ret_low,
                       int *ret_high);

/* Erlang C: the probability that a contact waits, with offered load a (Erlang: arrivals per
 * unit of time times the mean handling time) and n agents. 1 when n <= a (the queue grows
 * without bound); 0 when a <= 0. */
double erlang_c(int n, double a);
/* The share answered within target (same unit as aht) with n agents: 1 - C(n, a) e^-(n-a)t/aht. */
double erlang_service_level(int n, double a, double aht, double target);
/* The fewest agents that answer `level` (0..1) of contacts within target_minutes, with
 * rate_per_hour arrivals and a mean handling time of aht_minutes. 0 without load; at most
 * ERLANG_AGENTS_MAX. */
int erlang_agents(double rate_per_hour, double aht_minutes, double target_minutes, double level);

/* What GET /reports/forecast asks for; 0 / NULL members take their defaults. */
struct forecast_query {
    int days; /* 1..FORECAST_DAYS_MAX, default 7 */
    const char *channel, *type;
    int64_t department_id;
    double handling_minutes; /* default: the mean over the last 2,000 tickets resolved in the
                              * 8 weeks before today, taking over to resolution (spans over 8 h
                              * left out), else FORECAST_HANDLING_DEFAULT */
    double target_minutes;   /* default: the medium-priority policy's first response */
    double service_level;    /* default 0.8 */
};

#define FORECAST_HANDLING_DEFAULT 15.0 /* minutes, without enough resolved tickets */
#define FORECAST_TARGET_DEFAULT 30.0   /* minutes, without a medium-priority response clock */
#define FORECAST_LEVEL_DEFAULT 0.8
enum { FORECAST_HANDLING_MIN_N = 5 }; /* resolved tickets needed to trust the measured time */

struct forecast_hour {
    double expected;
    int low, high;
};

struct forecast_day {
    int date;        /* YYYYMMDD, configured zone */
    int64_t start;   /* UTC ms of its 00:00 */
    double expected; /* the sum of its hours */
    struct forecast_hour hours[24];
};

/* One planned shift (the shifts of one day with the same start and end, one per person), or a
 * part of a day (00-08, 08-16, 16-24) that no shift covers and that expects tickets. */
struct forecast_staffing {
    int date;
    char shift[24]; /* "09:00-18:00" */
    int64_t starts_at, ends_at;
    double expected;   /* tickets expected while it lasts (within the forecast) */
    int agents_needed; /* at its busiest hour */
    int planned;       /* people on it (0 for an uncovered part of a day) */
};

struct forecast {
    struct forecast_fit fit;
    int history_days;
    int ndays;
    struct forecast_day *days;
    struct forecast_staffing *staffing;
    size_t nstaffing;
    double handling_minutes, target_minutes, service_level;
    const char *handling_source; /* "history", "query" or "default" */
    long handling_n;             /* resolved tickets measured */
    const char *target_source;   /* "sla_policy", "query" or "default" */
};

/* The forecast from the start of today (configured zone) at `now`, over tickets matching the
 * query's filters, with the staffing of the shifts planned in it (of department_id when it is
 * not 0). Supervisors and admins; KF_EFORBIDDEN for others; KF_EINVAL naming the field of a
 * value out of range. Memory from arena. 0 or a negative code. */
int forecast_get(struct db *db, const struct actor *actor, const struct forecast_query *q,
                 int64_t now, struct arena *arena, struct forecast *ret, struct kf_error *e);

#endif
