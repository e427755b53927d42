/* reports.c: the reports at scale: the summary and the comparison of a month over a database
 * of many tickets (core/report.c and its SQL, no HTTP).
 * Usage: reports [TICKETS [DAYS [RUNS]]] (defaults 1000000 365 200): TICKETS spread evenly
 * over the last DAYS days, a third of them with an answered survey, one in twenty overdue.
 * With REPORTS_DB=path the database is kept there (and reused when it exists). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/actor.h"
#include "core/report.h"
#include "lib/arena.h"
#include "lib/err.h"
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
        fprintf(stderr, "reports: %s failed (%d): %s\n", what, rc, db_errmsg(db));
        exit(1);
    }
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

enum { DEPTS = 6, AGENTS = 60, CATEGORIES = 30 };
static const char *const channels[] = {"TEL", "WEB", "MAIL", "CHAT"};
static const char *const types[] = {"inquiry", "problem", "fault", "complaint", "suggestion"};
static const char *const breaches[] = {"first_response", "resolve", "accept\nresolve"};

static void exec(struct db *db, const char *sql)
{
    must(st_exec(db_stmt_sql(db, sql)), sql, db);
}

static void fill(struct db *db, long tickets, int days, int64_t now)
{
    double t0 = now_ms();
    must(db_begin(db), "begin", db);
    exec(db, "INSERT INTO customers(id, name, created_at, updated_at) VALUES (1, 'bulk', 0, 0)");
    exec(db, "INSERT INTO sla_policies(id, name, priority, first_response_minutes,"
             " resolve_minutes, created_at, updated_at) VALUES (99, 'bulk', 'bulk', 30, 1440,"
             " 0, 0)");
    char sql[256];
    for (int d = 1; d <= DEPTS; d++) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO departments(id, code, name, created_at, updated_at)"
                 " VALUES (%d, 'BD%d', '部门%d', 0, 0)",
                 d + 200, d, d);
        exec(db, sql);
    }
    for (int u = 1; u <= AGENTS; u++) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO users(id, username, name, role, department_id, password_hash,"
                 " created_at, updated_at) VALUES (%d, 'a%d', '坐席%d', 'agent', %d, 'x', 0, 0)",
                 u + 100, u, u, u % DEPTS + 201);
        exec(db, sql);
    }
    for (int c = 1; c <= CATEGORIES; c++) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO categories(id, code, name, type) VALUES (%d, 'bc%d', '问题%d',"
                 " 'inquiry')",
                 c + 1000, c, c);
        exec(db, sql);
    }
    struct stmt *ins = db_stmt_sql(
        db, "INSERT INTO tickets(id, number, channel, type, category_id, subject, urgency,"
            " priority, prio_rank, status, customer_id, assignee_id, department_id,"
            " sla_policy_id, raised_at, first_response_at, resolved_at, sla_breached,"
            " created_at, updated_at)"
            " VALUES ($1, 'B-' || $1, $2, $3, $4, 'bulk', 'medium', 'medium', 2, $5, 1, $6,"
            " $7, 99, $8, $9, $10, $11, $8, $8)");
    struct stmt *sv = db_stmt_sql(
        db, "INSERT INTO surveys(ticket_id, round, channel, scale, state, created_at, send_at,"
            " score, answered_at) VALUES ($1, 1, 'WEB', 'five_point', 'answered', $2, $2, $3,"
            " $2)");
    int64_t span = (int64_t)days * 86400000, start = now - span;
    for (long i = 1; i <= tickets; i++) {
        int64_t created = start + span * (i - 1) / tickets;
        int user = (int)(next() % AGENTS);
        int64_t fr = created + (int64_t)(next() % 240 + 1) * 60000; /* 1-240 minutes */
        int resolved = next() % 10 < 8;
        int64_t res = fr + (int64_t)(next() % 2880) * 60000;
        st_int(ins, 1, i);
        st_text(ins, 2, channels[next() % 4]);
        st_text(ins, 3, types[next() % 5]);
        /* categories as issues are: a few very common, a long tail */
        st_int(ins, 4,
               1001 + (int64_t)((next() % CATEGORIES) * (next() % CATEGORIES) / CATEGORIES));
        st_text(ins, 5, resolved ? "closed" : "in_progress");
        st_int(ins, 6, user + 101);
        st_int(ins, 7, user % DEPTS + 201);
        st_int(ins, 8, created);
        st_int(ins, 9, fr);
        if (resolved)
            st_int(ins, 10, res);
        else
            st_null(ins, 10);
        st_text(ins, 11, next() % 20 ? "" : breaches[next() % 3]);
        must(st_exec(ins), "ticket", db);
        if (resolved && next() % 10 < 4) {
            st_int(sv, 1, i);
            st_int(sv, 2, res + 3600000);
            st_int(sv, 3, (int64_t)(next() % 5 + 1));
            must(st_exec(sv), "survey", db);
        }
        if (i % 50000 == 0) {
            must(db_commit(db), "commit", db);
            must(db_begin(db), "begin", db);
        }
    }
    exec(db, "DELETE FROM search_pending");
    must(db_commit(db), "commit", db);
    exec(db, "ANALYZE");
    printf("setup: %ld tickets over %d days in %.1f s\n", tickets, days, (now_ms() - t0) / 1e3);
}

static void measure(struct db *db, const char *what, const struct report_query *q, int by, int runs,
                    const struct actor *lead)
{
    double *lat = malloc((size_t)runs * sizeof(*lat)), *cpu = malloc((size_t)runs * sizeof(*cpu)),
           first = 0;
    long seen = 0;
    /* the first run reads the period's pages from the operating system's cache into
     * SQLite's: shown apart, as a server's reading connections stay warm */
    for (int i = -1; i < runs; i++) {
        struct arena a = ARENA_INIT;
        double s = now_ms(), c = cpu_ms();
        if (by < 0) {
            struct report_summary sum;
            must(report_summary_get(db, lead, q, &a, &sum, NULL), "summary", db);
            seen = sum.total;
        } else {
            struct report_row *v;
            size_t n;
            must(report_compare(db, lead, q, (enum report_by)by, &a, &v, &n, NULL), "compare", db);
            seen = (long)n;
        }
        if (i < 0) {
            first = now_ms() - s;
        } else {
            lat[i] = now_ms() - s;
            cpu[i] = cpu_ms() - c;
        }
        arena_release(&a);
    }
    qsort(lat, (size_t)runs, sizeof(*lat), cmp_double);
    qsort(cpu, (size_t)runs, sizeof(*cpu), cmp_double);
    printf("%-32s first %6.1f  p50 %6.1f  p99 %6.1f  max %6.1f ms; CPU p50 %6.1f  p99 %6.1f ms"
           " (%ld %s, %d runs)\n",
           what, first, lat[runs / 2], lat[runs * 99 / 100], lat[runs - 1], cpu[runs / 2],
           cpu[runs * 99 / 100], seen, by < 0 ? "tickets" : "rows", runs);
    free(lat);
    free(cpu);
}

int main(int argc, char **argv)
{
    long tickets = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    int days = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 365;
    int runs = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 200;
    if (tickets < 1 || days < 31 || runs < 1) {
        fprintf(stderr, "usage: reports [TICKETS [DAYS >= 31 [RUNS]]]\n");
        return 2;
    }
    const char *keep = getenv("REPORTS_DB");
    char path[256];
    snprintf(path, sizeof(path), "/tmp/kefu-reports-%d.db", (int)getpid());
    if (keep)
        snprintf(path, sizeof(path), "%s", keep);
    int reuse = keep && access(path, F_OK) == 0;
    if (!reuse)
        unlink(path);
    ktime_set_zone("Asia/Shanghai");
    /* a fixed "now" so that a kept database answers the same month again */
    int64_t now = ktime_day_start(20261201);
    struct db *db;
    if (db_open(path, 0, &db, NULL) || db_migrate(db, NULL, NULL)) {
        fprintf(stderr, "reports: cannot open %s\n", path);
        return 1;
    }
    must(st_exec(db_stmt_sql(db, "PRAGMA synchronous=OFF")), "pragma", db);
    if (!reuse)
        fill(db, tickets, days, now);
    struct actor lead = {.name = "bench", .role = ROLE_SUPERVISOR, .user_id = 1};
    struct report_query month = {.from = ktime_day_start(20261101), .to = now};
    measure(db, "summary, a month by day", &month, -1, runs, &lead);
    struct report_query week = month;
    week.granularity = REPORT_WEEK;
    measure(db, "summary, a month by week", &week, -1, runs, &lead);
    struct report_query tel = month;
    tel.channel = "TEL";
    measure(db, "summary, a month, one channel", &tel, -1, runs, &lead);
    struct report_query agent = month;
    agent.assignee_id = 117;
    measure(db, "summary, a month, one agent", &agent, -1, runs, &lead);
    struct report_query quarter = {
        .from = ktime_day_start(20260901), .to = now, .granularity = REPORT_MONTH};
    measure(db, "summary, three months by month", &quarter, -1, runs / 4 + 1, &lead);
    measure(db, "compare by assignee, a month", &month, REPORT_BY_ASSIGNEE, runs, &lead);
    measure(db, "compare by type, a month", &month, REPORT_BY_TYPE, runs, &lead);
    db_close(db);
    if (!keep)
        unlink(path);
    return 0;
}
