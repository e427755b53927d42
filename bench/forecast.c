/* forecast.c: the volume forecast over a year of history, against the store (core/forecast.c and
 * its SQL, no HTTP): TICKETS tickets raised over 365 days with a weekday and hour pattern, a
 * third resolved, and the time of forecast_get with and without filters.
 * Usage: forecast [TICKETS [RUNS]] (defaults 1000000 30). With FORECAST_DB=path the database
 * is kept there (and reused when it holds tickets) instead of being removed. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/actor.h"
#include "core/forecast.h"
#include "lib/arena.h"
#include "lib/ktime.h"
#include "store/db.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void must(int rc, const char *what, struct db *db)
{
    if (rc) {
        fprintf(stderr, "forecast: %s failed (%d): %s\n", what, rc, db_errmsg(db));
        exit(1);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(int argc, char **argv)
{
    long tickets = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    int runs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 30;
    const char *keep = getenv("FORECAST_DB");
    char path[256];
    snprintf(path, sizeof(path), "%s", keep ? keep : "");
    if (!keep) {
        snprintf(path, sizeof(path), "/tmp/kefu-forecast-%d.db", (int)getpid());
        unlink(path);
    }
    ktime_set_zone("Asia/Shanghai");
    struct db *db;
    if (db_open(path, 0, &db, NULL) || db_migrate(db, NULL, NULL)) {
        fprintf(stderr, "forecast: cannot open %s\n", path);
        return 1;
    }
    must(st_exec(db_stmt_sql(db, "PRAGMA synchronous=OFF")), "pragma", db);
    int64_t now = ktime_now(), have = 0;
    st_one_int(db_stmt_sql(db, "SELECT count(*) FROM tickets"), &have);
    if (have) { /* a kept database: its tickets were raised up to its newest */
        st_one_int(db_stmt_sql(db, "SELECT max(raised_at) FROM tickets"), &now);
        tickets = 0;
    }
    static const char *const channels[] = {"TEL", "WEB", "MAIL", "CHAT", "WX", "APP"};
    static const char *const types[] = {"inquiry", "problem", "fault", "complaint", "suggestion"};
    /* busier on weekdays and in office hours */
    static const int hour_weight[24] = {1, 1, 1,  1,  1, 2, 3, 5, 8, 10, 10, 9,
                                        7, 9, 10, 10, 9, 8, 6, 5, 4, 3,  2,  1};
    double t0 = now_ms();
    must(db_begin(db), "begin", db);
    if (!have)
        must(st_exec(db_stmt_sql(db, "INSERT INTO departments(code, name, created_at, updated_at) "
                                     "VALUES ('d1', 'D1', 0, 0), ('d2', 'D2', 0, 0)")),
             "departments", db);
    if (!have)
        must(st_exec(db_stmt_sql(db, "INSERT INTO customers(name, created_at, updated_at) "
                                     "VALUES ('c', 0, 0)")),
             "customer", db);
    const char *ins = "INSERT INTO tickets(number, channel, type, subject, urgency, priority, "
                      "prio_rank, status, customer_id, department_id, raised_at, taken_over_at, "
                      "resolved_at, created_at, updated_at) VALUES ($1, $2, $3, '', 'low', 'low', "
                      "1, $4, 1, $5, $6, $7, $8, $6, $6)";
    for (long i = 0; i < tickets; i++) {
        int64_t t;
        for (;;) { /* a raised time drawn by the weights, over the last 365 days */
            t = now - (int64_t)(next() % (365ull * 86400000ull));
            int64_t local = t + 8 * 3600000LL;
            int hour = (int)(local / 3600000 % 24), wd = (int)((local / 86400000 + 3) % 7);
            if ((int)(next() % 10) < hour_weight[hour] && (wd < 5 || next() % 3 == 0))
                break;
        }
        char number[32];
        snprintf(number, sizeof(number), "B-%ld", i);
        struct stmt *st = db_stmt_sql(db, ins);
        st_text(st, 1, number);
        st_text(st, 2, channels[next() % 6]);
        st_text(st, 3, types[next() % 5]);
        int resolved = next() % 3 == 0;
        st_text(st, 4, resolved ? "resolved" : "closed");
        if (next() % 4)
            st_int(st, 5, 1 + (int64_t)(next() % 2));
        else
            st_null(st, 5);
        st_int(st, 6, t);
        st_int(st, 7, t + 60000);
        if (resolved)
            st_int(st, 8, t + 60000 + (int64_t)(next() % 3600000));
        else
            st_null(st, 8);
        must(st_exec(st), "insert", db);
        if (i % 50000 == 49999) {
            must(db_commit(db), "commit", db);
            must(db_begin(db), "begin", db);
        }
    }
    must(db_commit(db), "commit", db);
    if (!have)
        printf("tickets: %ld over 365 days, written in %.1f s\n", tickets, (now_ms() - t0) / 1000);

    struct actor lead = {.name = "bench", .role = ROLE_SUPERVISOR};
    static const struct forecast_query queries[] = {
        {.days = 7},
        {.days = 28},
        {.days = 7, .channel = "TEL"},
        {.days = 7, .channel = "WEB", .type = "fault"},
        {.days = 7, .department_id = 2},
    };
    static const char *const names[] = {"7 days, all tickets", "28 days, all tickets",
                                        "7 days, channel=TEL", "7 days, channel=WEB&type=fault",
                                        "7 days, department_id=2"};
    double *ms = calloc((size_t)runs, sizeof(double));
    for (size_t k = 0; k < sizeof(queries) / sizeof(queries[0]); k++) {
        struct forecast f = {0};
        for (int r = 0; r < runs; r++) {
            struct arena a = ARENA_INIT;
            double s = now_ms();
            must(forecast_get(db, &lead, &queries[k], now, &a, &f, NULL), "forecast", db);
            ms[r] = now_ms() - s;
            arena_release(&a);
        }
        qsort(ms, (size_t)runs, sizeof(double), cmp_double);
        printf("%-32s p50 %6.1f ms  max %6.1f ms  (history %d days, method %s)\n", names[k],
               ms[runs / 2], ms[runs - 1], f.history_days, f.fit.method);
    }
    free(ms);
    db_close(db);
    if (!keep)
        unlink(path);
    return 0;
}
