/* clocks.c: the SLA clocks at scale: one scheduler pass with nothing due, a burst of due
 * deadlines, and ticket creation with priority rules, on a database of many tickets.
 * Usage: clocks [TICKETS [OPEN [DUE [RULES]]]] (defaults 1000000 100000 10000 100). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/actor.h"
#include "core/sla.h"
#include "core/ticket.h"
#include "core/triage.h"
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
        fprintf(stderr, "clocks: %s failed (%d): %s\n", what, rc, db_errmsg(db));
        exit(1);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Registers n tickets through ticket_create, in transactions of 500, each for a new customer
 * (phones from first_phone on), and returns the ms each took. */
static double create_tickets(struct db *db, int n, const char *tag, int first_phone)
{
    struct actor system = {.name = "bench", .role = ROLE_ADMIN};
    double t0 = now_ms();
    must(db_begin(db), "begin", db);
    for (int i = 0; i < n; i++) {
        struct arena a = ARENA_INIT;
        char subject[64], phone[16];
        snprintf(subject, sizeof(subject), "%s 家电未按时送货 %d", tag, i);
        snprintf(phone, sizeof(phone), "139%08d", first_phone + i);
        struct ticket_input in = {.channel = "TEL",
                                  .type = "complaint",
                                  .category = "logistics-delay",
                                  .subject = subject,
                                  .description = "承诺10月1日送达,至今未收到",
                                  .urgency = "high",
                                  .has_customer = 1};
        in.customer.name = "客户";
        in.customer.phone = phone;
        struct ticket t;
        must(ticket_create(db, &system, &in, &a, &t, NULL), "ticket_create", db);
        arena_release(&a);
        if (i % 500 == 499) {
            must(db_commit(db), "commit", db);
            must(db_begin(db), "begin", db);
        }
    }
    must(db_commit(db), "commit", db);
    return (now_ms() - t0) / n;
}

int main(int argc, char **argv)
{
    long tickets = argc > 1 ? atol(argv[1]) : 1000000, open = argc > 2 ? atol(argv[2]) : 100000;
    long due = argc > 3 ? atol(argv[3]) : 10000, rules = argc > 4 ? atol(argv[4]) : 100;
    char path[64];
    snprintf(path, sizeof(path), "/tmp/kefu-clocks-%d.db", (int)getpid());
    unlink(path);
    ktime_set_zone("Asia/Shanghai");
    struct db *db;
    if (db_open(path, 0, &db, NULL) || db_migrate(db, NULL, NULL)) {
        fprintf(stderr, "clocks: cannot open %s\n", path);
        return 1;
    }
    must(st_exec(db_stmt_sql(db, "PRAGMA synchronous=OFF")), "pragma", db);
    int64_t now = ktime_now();

    /* the bulk: closed tickets without clocks, open ones with three clocks each, none due */
    double t0 = now_ms();
    must(db_begin(db), "begin", db);
    must(st_exec(db_stmt_sql(db, "INSERT INTO customers(id, name, created_at, updated_at) "
                                 "VALUES (1, 'bulk', 0, 0)")),
         "customer", db);
    struct stmt *ins = db_stmt_sql(
        db, "INSERT INTO tickets(id, number, channel, type, subject, urgency, priority, prio_rank,"
            " status, customer_id, raised_at, created_at, updated_at)"
            " VALUES ($1, 'B-' || $1, 'TEL', 'inquiry', 'bulk', 'medium', 'medium', 2, $2, 1,"
            " $3, $3, $3)");
    struct stmt *dl = db_stmt_sql(db, "INSERT INTO deadlines(ticket_id, target, budget_ms,"
                                      " run_from, due_at, warn_at, next_at)"
                                      " VALUES ($1, $2, 3600000, $3, $4, $4, $4)");
    static const char *const targets[] = {"accept", "first_response", "resolve"};
    for (long i = 1; i <= tickets; i++) {
        int is_open = i > tickets - open;
        st_int(ins, 1, i);
        st_text(ins, 2, is_open ? "in_progress" : "closed");
        st_int(ins, 3, now - (tickets - i) * 1000);
        must(st_exec(ins), "ticket", db);
        for (int t = 0; is_open && t < 3; t++) {
            st_int(dl, 1, i);
            st_text(dl, 2, targets[t]);
            st_int(dl, 3, now);
            st_int(dl, 4, now + 3600000 + (i % 86400) * 1000 + t); /* later today */
            must(st_exec(dl), "deadline", db);
        }
        if (i % 50000 == 0) {
            must(db_commit(db), "commit", db);
            must(db_begin(db), "begin", db);
        }
    }
    /* the bulk's text need not be searchable here */
    must(st_exec(db_stmt_sql(db, "DELETE FROM search_pending")), "search", db);
    must(db_commit(db), "commit", db);
    printf("setup: %ld tickets, %ld open with 3 clocks each, in %.1f s\n", tickets, open,
           (now_ms() - t0) / 1e3);

    /* a pass with nothing due: the question the scheduler asks every second */
    enum { PASSES = 2000 };
    static double pass[PASSES];
    for (int i = 0; i < PASSES; i++) {
        double s = now_ms();
        if (sla_due(db, ktime_now()) != 0) {
            fprintf(stderr, "clocks: something is due\n");
            return 1;
        }
        pass[i] = now_ms() - s;
    }
    qsort(pass, PASSES, sizeof(double), cmp_double);
    printf("scheduler pass, nothing due: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", pass[PASSES / 2],
           pass[PASSES * 99 / 100], pass[PASSES - 1]);

    /* a burst: `due` resolve deadlines fall due at once; swept in batches as the scheduler does */
    struct stmt *mk =
        db_stmt_sql(db, "UPDATE deadlines SET next_at = $1, due_at = $1, warned_at = $1"
                        " WHERE target = 'resolve' AND ticket_id > $2");
    st_int(mk, 1, now - 1000);
    st_int(mk, 2, tickets - due);
    must(db_begin(db), "begin", db);
    must(st_exec(mk), "due", db);
    must(db_commit(db), "commit", db);
    t0 = now_ms();
    long swept = 0;
    int n;
    do {
        must(db_begin(db), "begin", db);
        must(sla_sweep(db, ktime_now(), 500, &n), "sweep", db);
        must(db_commit(db), "commit", db);
        swept += n;
    } while (n == 500);
    printf("burst: %ld due deadlines acted on in %.0f ms\n", swept, now_ms() - t0);

    /* creation: no rules, then `rules` enabled rules that do not match, one that does */
    create_tickets(db, 2000, "warm", 0); /* caches and the day's counter */
    double plain = create_tickets(db, 4000, "plain", 10000);
    struct arena a = ARENA_INIT;
    struct actor admin = {.role = ROLE_ADMIN};
    must(db_begin(db), "begin", db);
    for (long i = 0; i < rules; i++) {
        char kw[32];
        snprintf(kw, sizeof(kw), "关键词%ld", i);
        const char *kws[] = {kw, "不会出现的词"};
        const char *types[] = {"complaint"};
        struct priority_rule r = {.name = "bench", .enabled = 1, .set_priority = "urgent"};
        r.terms[RT_KEYWORD] = (struct rule_values){kws, 2, 1};
        r.terms[RT_TYPE] = (struct rule_values){types, i % 2 ? 1 : 0, i % 2};
        struct priority_rule out;
        must(rule_create(db, &admin, &r, &a, &out, NULL), "rule", db);
    }
    must(db_commit(db), "commit", db);
    arena_release(&a);
    double ruled = create_tickets(db, 4000, "ruled", 20000);
    printf("creation in the store: %.3f ms a ticket without rules, %.3f ms with %ld rules "
           "(%+.0f %%)\n",
           plain, ruled, rules, (ruled / plain - 1) * 100);
    db_close(db);
    unlink(path);
    char wal[80];
    snprintf(wal, sizeof(wal), "%s-wal", path);
    unlink(wal);
    return 0;
}
