/* forecast.c: the volume forecast by hour and the staffing it calls for (see forecast.h). The
 * history is read in time order from an index on raised_at (migration 023) and counted by local
 * hour, so a request reads at most FORECAST_WEEKS weeks of index entries, whatever the table holds.
 */
#include "core/forecast.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/assign.h"
#include "core/enums.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/tz.h"
#include "store/db.h"

enum { HOUR_MS = 3600000, DAY_MS = 86400000, QUARTER_MS = 900000 };

void forecast_interval(double mean, double dispersion, double p_low, double p_high, int *ret_low,
                       int *ret_high)
{
    if (!(mean > 0)) {
        *ret_low = *ret_high = 0;
        return;
    }
    double phi = dispersion > 1 ? dispersion : 1;
    if (mean >= 200) {
        double sd = sqrt(phi * mean);
        double lo = floor(mean - 1.6448536 * sd);
        *ret_low = lo > 0 ? (int)lo : 0;
        *ret_high = (int)ceil(mean + 1.6448536 * sd);
        return;
    }
    /* the probabilities term by term: Poisson p(k+1) = p(k) m / (k+1); negative binomial with
     * r = m / (phi - 1), q = 1 - 1/phi: p(k+1) = p(k) (k + r) q / (k+1) */
    int poisson = phi < 1 + 1e-9;
    double r = poisson ? 0 : mean / (phi - 1), q = poisson ? 0 : 1 - 1 / phi;
    double p = poisson ? exp(-mean) : exp(-r * log(phi)), cdf = 0;
    int low = -1, k = 0;
    for (; k < 1000000; k++) {
        cdf += p;
        if (low < 0 && cdf >= p_low - 1e-12)
            low = k;
        if (cdf >= p_high - 1e-12)
            break;
        p *= poisson ? mean / (k + 1) : (k + r) * q / (k + 1);
    }
    *ret_low = low < 0 ? k : low;
    *ret_high = k;
}

/* The interval of the forecast: 5 % .. 95 %. */
static void interval90(double mean, double phi, int *lo, int *hi)
{
    forecast_interval(mean, phi, 0.05, 0.95, lo, hi);
}

void forecast_hours(const double *hist, int ndays, int days, double *ret_expected, int *ret_low,
                    int *ret_high, struct forecast_fit *ret_fit)
{
    struct forecast_fit fit = {.method = "none", .dispersion = 1};
    if (ndays > FORECAST_HISTORY_MAX) {
        hist += (size_t)(ndays - FORECAST_HISTORY_MAX) * 24;
        ndays = FORECAST_HISTORY_MAX;
    }
    int weeks = ndays > 0 ? ndays / 7 : 0;
    double m[7][24] = {{0}};
    if (ndays <= 0) {
        memset(ret_expected, 0, sizeof(double) * (size_t)days * 24);
    } else if (weeks == 0) {
        /* under a week: each hour's mean over the days there are */
        fit.method = "hour";
        for (int d = 0; d < ndays; d++)
            for (int h = 0; h < 24; h++)
                m[0][h] += hist[d * 24 + h] / ndays;
        double var = 0, sum = 0;
        for (int h = 0; h < 24; h++) {
            sum += m[0][h];
            for (int d = 0; d < ndays; d++)
                var += (hist[d * 24 + h] - m[0][h]) * (hist[d * 24 + h] - m[0][h]);
        }
        if (ndays >= 2 && sum > 0 && var / (ndays - 1) > sum)
            fit.dispersion = var / (ndays - 1) / sum;
        for (int k = 0; k < days; k++)
            for (int h = 0; h < 24; h++)
                ret_expected[k * 24 + h] = m[0][h];
    } else {
        /* whole weeks back from the first forecast day, so that position p of a week is the
         * weekday of forecast days k with k % 7 == p */
        fit.method = "weekday_hour";
        fit.weeks = weeks;
        const double *w0 = hist + (size_t)(ndays - 7 * weeks) * 24;
        double total[FORECAST_WEEKS] = {0}, mean_total = 0;
        for (int j = 0; j < weeks; j++) {
            for (int i = 0; i < 7 * 24; i++)
                total[j] += w0[j * 7 * 24 + i];
            mean_total += total[j] / weeks;
        }
        for (int p = 0; p < 7; p++)
            for (int h = 0; h < 24; h++)
                for (int j = 0; j < weeks; j++)
                    m[p][h] += w0[(j * 7 + p) * 24 + h] / weeks;
        double slope = 0; /* least squares of total[j] on j */
        if (weeks >= FORECAST_TREND_WEEKS && mean_total > 0) {
            double jm = (weeks - 1) / 2.0, sxy = 0, sxx = 0;
            for (int j = 0; j < weeks; j++) {
                sxy += (j - jm) * (total[j] - mean_total);
                sxx += (j - jm) * (j - jm);
            }
            slope = sxy / sxx;
            fit.method = "weekday_hour_trend";
            fit.trend = slope / mean_total;
        }
        /* the residuals around the trend give the dispersion */
        double var = 0, sum = 0;
        for (int p = 0; p < 7; p++)
            for (int h = 0; h < 24; h++) {
                sum += m[p][h];
                for (int j = 0; j < weeks; j++) {
                    double g = 1 + fit.trend * (j - (weeks - 1) / 2.0);
                    double r = w0[(j * 7 + p) * 24 + h] - m[p][h] * g;
                    var += r * r;
                }
            }
        if (weeks >= 2 && sum > 0 && var / (weeks - 1) > sum)
            fit.dispersion = var / (weeks - 1) / sum;
        for (int k = 0; k < days; k++) {
            /* the profile stands at the middle of the weeks read; day k lies this many weeks
             * after it */
            double f = 1 + fit.trend * ((weeks + 1) / 2.0 + k / 7);
            f = f < 0.5 ? 0.5 : f > 2 ? 2 : f;
            for (int h = 0; h < 24; h++)
                ret_expected[k * 24 + h] = m[k % 7][h] * f;
        }
    }
    for (int i = 0; i < days * 24; i++)
        interval90(ret_expected[i], fit.dispersion, &ret_low[i], &ret_high[i]);
    if (ret_fit)
        *ret_fit = fit;
}

double erlang_c(int n, double a)
{
    if (!(a > 0))
        return 0;
    if (n <= a)
        return 1;
    double b = 1; /* Erlang B by its recursion, which stays within [0, 1] */
    for (int i = 1; i <= n; i++)
        b = a * b / (i + a * b);
    return n * b / (n - a * (1 - b));
}

double erlang_service_level(int n, double a, double aht, double target)
{
    if (!(a > 0))
        return 1;
    if (n <= a)
        return 0;
    return 1 - erlang_c(n, a) * exp(-(n - a) * target / aht);
}

int erlang_agents(double rate_per_hour, double aht_minutes, double target_minutes, double level)
{
    double a = rate_per_hour * aht_minutes / 60;
    if (!(a > 0) || !(aht_minutes > 0))
        return 0;
    double b = 1;
    int n = 1;
    for (; n <= ERLANG_AGENTS_MAX; n++) {
        b = a * b / (n + a * b);
        if (n <= a)
            continue;
        double c = n * b / (n - a * (1 - b));
        if (1 - c * exp(-(n - a) * target_minutes / aht_minutes) >= level)
            return n;
    }
    return ERLANG_AGENTS_MAX;
}

/* ---- reading the history ---- */

/* Days since 1970-01-01 of the local day of UTC ms t, and its local milliseconds into the day. */
static int64_t local_day(const struct tz *z, int64_t t, int64_t *ret_ms)
{
    int64_t local = t + (int64_t)tz_offset(z, t / 1000) * 1000;
    int64_t d = local >= 0 ? local / DAY_MS : -((-local + DAY_MS - 1) / DAY_MS);
    if (ret_ms)
        *ret_ms = local - d * DAY_MS;
    return d;
}

/* UTC ms of local midnight plus `ms` of day d (days since 1970-01-01). */
static int64_t day_utc(const struct tz *z, int64_t d, int64_t ms)
{
    return tz_to_utc(z, (d * DAY_MS + ms) / 1000) * 1000;
}

static void bind_filters(struct stmt *st, const struct forecast_query *q)
{
    st_text(st, 3, q->channel ? q->channel : "");
    st_text(st, 4, q->type ? q->type : "");
    st_int(st, 5, q->department_id);
}

/* hist[(day - first) * 24 + hour] += tickets raised in [from, to), day and hour local. The rows
 * come in time order, so the local hour is worked out once per quarter hour that has tickets
 * (every zone's offset is a whole number of quarter hours). */
static int read_history(struct db *db, const struct tz *z, const struct forecast_query *q,
                        int64_t from, int64_t to, int64_t first, int ndays, double *hist)
{
    struct stmt *st = db_stmt(db, SQL_forecast_raised);
    st_int(st, 1, from);
    st_int(st, 2, to);
    bind_filters(st, q);
    int rc;
    int64_t quarter = -1, slot = -1;
    while ((rc = st_step(st)) == 1) {
        int64_t t = col_int(st, 0);
        if (t / QUARTER_MS != quarter) {
            quarter = t / QUARTER_MS;
            int64_t ms, d = local_day(z, quarter * QUARTER_MS, &ms) - first;
            slot = d >= 0 && d < ndays ? d * 24 + ms / HOUR_MS : -1;
        }
        if (slot >= 0)
            hist[slot] += 1;
    }
    st_reset(st);
    return rc < 0 ? rc : 0;
}

static int handling_time(struct db *db, const struct forecast_query *q, int64_t from, int64_t to,
                         struct forecast *f)
{
    struct stmt *st = db_stmt(db, SQL_forecast_handling);
    st_int(st, 1, from);
    st_int(st, 2, to);
    bind_filters(st, q);
    int rc = st_step(st);
    if (rc == 1) {
        f->handling_n = (long)col_int(st, 0);
        if (f->handling_n >= FORECAST_HANDLING_MIN_N && !q->handling_minutes) {
            f->handling_minutes = (double)col_int(st, 1) / f->handling_n / 60000.0;
            f->handling_source = "history";
        }
    }
    st_reset(st);
    return rc < 0 ? rc : 0;
}

static int response_target(struct db *db, struct forecast *f)
{
    struct stmt *st = db_stmt(db, SQL_sla_policy_for);
    st_text(st, 1, "medium");
    st_text(st, 2, "");
    int rc = st_step(st);
    if (rc == 1 && !col_is_null(st, 5) && col_int(st, 5) > 0) {
        f->target_minutes = (double)col_int(st, 5);
        f->target_source = "sla_policy";
    }
    st_reset(st);
    return rc < 0 ? rc : 0;
}

/* The expected tickets of [from, to) and the agents its busiest hour needs. */
static void judge(const struct forecast *f, const struct tz *z, int64_t from, int64_t to,
                  struct forecast_staffing *s)
{
    for (int k = 0; k < f->ndays; k++) {
        const struct forecast_day *d = &f->days[k];
        int64_t dn = local_day(z, d->start, NULL);
        for (int h = 0; h < 24; h++) {
            int64_t a = day_utc(z, dn, (int64_t)h * HOUR_MS);
            int64_t b = day_utc(z, dn, (int64_t)(h + 1) * HOUR_MS);
            int64_t lo = a > from ? a : from, hi = b < to ? b : to;
            if (hi <= lo || b <= a)
                continue;
            s->expected += d->hours[h].expected * (double)(hi - lo) / (double)(b - a);
            int n = erlang_agents(d->hours[h].expected, f->handling_minutes, f->target_minutes,
                                  f->service_level);
            if (n > s->agents_needed)
                s->agents_needed = n;
        }
    }
}

static void hhmm(char *out, size_t n, int64_t ms_of_day, int next_day)
{
    snprintf(out, n, "%02d:%02d%s", (int)(ms_of_day / HOUR_MS), (int)(ms_of_day / 60000 % 60),
             next_day ? "+1" : "");
}

static int staffing(struct db *db, const struct tz *z, const struct forecast_query *q,
                    struct arena *a, struct forecast *f)
{
    int64_t from = f->days[0].start;
    int64_t to = day_utc(z, local_day(z, from, NULL) + f->ndays, 0);
    struct shift *v;
    size_t n;
    int rc = shift_list(db, from, to, q->department_id, 0, a, &v, &n);
    if (rc)
        return rc;
    /* at most one row per shift, and three parts of each day */
    f->staffing = arena_alloc(a, (n + 3 * (size_t)f->ndays + 1) * sizeof(*f->staffing));
    f->nstaffing = 0;
    int64_t first = local_day(z, from, NULL);
    for (int k = 0; k < f->ndays; k++) {
        size_t day_first = f->nstaffing;
        for (size_t i = 0; i < n; i++) {
            int64_t sms, ems;
            int64_t sd = local_day(z, v[i].starts_at, &sms), ed = local_day(z, v[i].ends_at, &ems);
            if (sd - first != k)
                continue;
            struct forecast_staffing *s = NULL;
            for (size_t j = day_first; j < f->nstaffing; j++)
                if (f->staffing[j].starts_at == v[i].starts_at &&
                    f->staffing[j].ends_at == v[i].ends_at)
                    s = &f->staffing[j];
            if (s) {
                s->planned++;
                continue;
            }
            s = &f->staffing[f->nstaffing++];
            *s = (struct forecast_staffing){.date = f->days[k].date,
                                            .starts_at = v[i].starts_at,
                                            .ends_at = v[i].ends_at,
                                            .planned = 1};
            char a1[12], b1[12];
            hhmm(a1, sizeof(a1), sms, 0);
            hhmm(b1, sizeof(b1), ems, ed > sd);
            snprintf(s->shift, sizeof(s->shift), "%s-%s", a1, b1);
            judge(f, z, s->starts_at, s->ends_at, s);
        }
        /* the parts of the day that no shift touches, when they expect tickets */
        for (int p = 0; p < 3; p++) {
            int64_t ps = day_utc(z, first + k, (int64_t)p * 8 * HOUR_MS);
            int64_t pe = day_utc(z, first + k, (int64_t)(p + 1) * 8 * HOUR_MS);
            int covered = 0;
            for (size_t i = 0; i < n && !covered; i++)
                covered = v[i].starts_at < pe && v[i].ends_at > ps;
            if (covered)
                continue;
            struct forecast_staffing s = {.date = f->days[k].date, .starts_at = ps, .ends_at = pe};
            snprintf(s.shift, sizeof(s.shift), "%02d:00-%02d:00", p * 8, (p + 1) * 8);
            judge(f, z, ps, pe, &s);
            if (s.expected > 0)
                f->staffing[f->nstaffing++] = s;
        }
        /* in order of start */
        for (size_t i = day_first + 1; i < f->nstaffing; i++)
            for (size_t j = i;
                 j > day_first && f->staffing[j - 1].starts_at > f->staffing[j].starts_at; j--) {
                struct forecast_staffing t = f->staffing[j];
                f->staffing[j] = f->staffing[j - 1];
                f->staffing[j - 1] = t;
            }
    }
    return 0;
}

int forecast_get(struct db *db, const struct actor *actor, const struct forecast_query *q,
                 int64_t now, struct arena *arena, struct forecast *ret, struct kf_error *e)
{
    if (!role_is_lead(actor->role))
        return kf_fail(e, KF_EFORBIDDEN, NULL, "only supervisors and admins see the forecast");
    int days = q->days ? q->days : 7;
    if (days < 1 || days > FORECAST_DAYS_MAX)
        return kf_fail(e, KF_EINVAL, "days", "days must be 1 to 28");
    if (q->type && !enum_has(ticket_types, q->type))
        return kf_fail(e, KF_EINVAL, "type", "not a ticket type");
    if (q->handling_minutes && !(q->handling_minutes >= 0.1 && q->handling_minutes <= 1440))
        return kf_fail(e, KF_EINVAL, "handling_minutes", "handling_minutes must be 0.1 to 1440");
    if (q->target_minutes && !(q->target_minutes >= 0.1 && q->target_minutes <= 10080))
        return kf_fail(e, KF_EINVAL, "target_minutes", "target_minutes must be 0.1 to 10080");
    if (q->service_level && !(q->service_level >= 0.5 && q->service_level <= 0.99))
        return kf_fail(e, KF_EINVAL, "service_level", "service_level must be 0.5 to 0.99");

    const struct tz *z = tz_get(ktime_zone());
    if (!z)
        z = tz_get("UTC");
    struct forecast f = {
        .handling_minutes = q->handling_minutes ? q->handling_minutes : FORECAST_HANDLING_DEFAULT,
        .handling_source = q->handling_minutes ? "query" : "default",
        .target_minutes = q->target_minutes ? q->target_minutes : FORECAST_TARGET_DEFAULT,
        .target_source = q->target_minutes ? "query" : "default",
        .service_level = q->service_level ? q->service_level : FORECAST_LEVEL_DEFAULT,
        .ndays = days,
    };
    int64_t today = local_day(z, now, NULL);
    int64_t today_start = day_utc(z, today, 0);
    int64_t back = day_utc(z, today - FORECAST_HISTORY_MAX, 0);

    /* history begins on the day of the first ticket since `back` */
    int64_t oldest = 0;
    struct stmt *st = db_stmt(db, SQL_forecast_oldest);
    st_int(st, 1, back);
    st_int(st, 2, today_start);
    bind_filters(st, q);
    int rc = st_step(st);
    if (rc == 1 && !col_is_null(st, 0))
        oldest = col_int(st, 0);
    st_reset(st);
    if (rc < 0)
        return rc;
    int64_t first = oldest ? local_day(z, oldest, NULL) : today;
    f.history_days = (int)(today - first);
    double *hist = arena_alloc(arena, sizeof(double) * ((size_t)f.history_days * 24 + 1));
    memset(hist, 0, sizeof(double) * ((size_t)f.history_days * 24 + 1));
    if (f.history_days && (rc = read_history(db, z, q, day_utc(z, first, 0), today_start, first,
                                             f.history_days, hist)))
        return rc;
    if ((rc = handling_time(db, q, back, today_start, &f)))
        return rc;
    if (!q->target_minutes && (rc = response_target(db, &f)))
        return rc;

    size_t nh = (size_t)days * 24;
    double *exp_v = arena_alloc(arena, sizeof(double) * nh);
    int *lo = arena_alloc(arena, sizeof(int) * nh), *hi = arena_alloc(arena, sizeof(int) * nh);
    forecast_hours(hist, f.history_days, days, exp_v, lo, hi, &f.fit);
    f.days = arena_alloc(arena, sizeof(*f.days) * (size_t)days);
    for (int k = 0; k < days; k++) {
        struct forecast_day *d = &f.days[k];
        d->start = day_utc(z, today + k, 0);
        d->date = ktime_day(d->start);
        d->expected = 0;
        for (int h = 0; h < 24; h++) {
            d->hours[h] = (struct forecast_hour){exp_v[k * 24 + h], lo[k * 24 + h], hi[k * 24 + h]};
            d->expected += exp_v[k * 24 + h];
        }
    }
    if ((rc = staffing(db, z, q, arena, &f)))
        return rc;
    *ret = f;
    return 0;
}
