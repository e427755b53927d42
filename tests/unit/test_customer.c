/* test_customer.c: customers' identities and merging two customers into one, against a real
 * SQLite database. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/actor.h"
#include "core/customer.h"
#include "core/ticket.h"
#include "lib/arena.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "store/db.h"

struct fixture {
    char path[64];
    struct db *db;
    struct arena arena;
    struct actor agent;
};

static int64_t count(struct db *db, const char *sql)
{
    struct stmt *st = db_stmt_sql(db, sql);
    int64_t n = st_step(st) == 1 ? col_int(st, 0) : -1;
    st_exec(st);
    return n;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->path, sizeof(f->path), "/tmp/kefu-unit-customer-%d.db", (int)getpid());
    unlink(f->path);
    assert_int_equal(ktime_set_zone("Asia/Shanghai"), 0);
    assert_int_equal(db_open(f->path, 0, &f->db, NULL), 0);
    int applied = 0;
    assert_int_equal(db_migrate(f->db, &applied, NULL), 0);
    f->agent = (struct actor){.name = "xiaoli", .role = ROLE_AGENT};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    db_close(f->db);
    arena_release(&f->arena);
    char p[96];
    unlink(f->path);
    snprintf(p, sizeof(p), "%s-wal", f->path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", f->path);
    unlink(p);
    free(f);
    return 0;
}

static int64_t new_customer(struct fixture *f, const char *name, const char *phone,
                            const char *email, const char *tier)
{
    struct customer_input in = {.name = name, .phone = phone, .email = email, .tier = tier};
    struct customer c;
    assert_int_equal(db_begin(f->db), 0);
    assert_int_equal(customer_create(f->db, &f->agent, &in, &f->arena, &c, NULL), 0);
    assert_int_equal(db_commit(f->db), 0);
    return c.id;
}

static int64_t new_ticket(struct fixture *f, int64_t customer_id)
{
    struct ticket_input in = {0};
    in.channel = "TEL";
    in.type = "inquiry";
    in.subject = "咨询";
    in.urgency = "medium";
    in.customer_id = customer_id;
    struct ticket t;
    assert_int_equal(db_begin(f->db), 0);
    assert_int_equal(ticket_create(f->db, &f->agent, &in, &f->arena, &t, NULL), 0);
    assert_int_equal(db_commit(f->db), 0);
    return t.id;
}

static void link_identity(struct fixture *f, int64_t id, const char *kind, const char *value)
{
    struct customer_identity ident;
    assert_int_equal(db_begin(f->db), 0);
    assert_int_equal(
        customer_identity_link(f->db, &f->agent, id, kind, NULL, value, &f->arena, &ident, NULL),
        0);
    assert_int_equal(db_commit(f->db), 0);
}

static int merge(struct fixture *f, int64_t into, int64_t from, struct customer *c, int64_t *moved,
                 struct kf_error *e)
{
    int rc = db_begin(f->db);
    if (rc)
        return rc;
    if (!(rc = db_savepoint(f->db)))
        rc = customer_merge(f->db, &f->agent, into, from, &f->arena, c, moved, e);
    if (rc) {
        db_rollback_to(f->db);
        db_rollback(f->db);
        return rc;
    }
    return db_commit(f->db);
}

/* count() of a statement with $1 = id. */
static int64_t count_of(struct db *db, const char *sql, int64_t id)
{
    struct stmt *st = db_stmt_sql(db, sql);
    st_int(st, 1, id);
    int64_t n = st_step(st) == 1 ? col_int(st, 0) : -1;
    st_exec(st);
    return n;
}

static int64_t owner_of(struct fixture *f, const char *kind, const char *value)
{
    struct stmt *st = db_stmt_sql(
        f->db, "SELECT customer_id FROM customer_identities WHERE kind = $1 AND value = $2");
    st_text(st, 1, kind);
    st_text(st, 2, value);
    int64_t id = 0;
    assert_true(st_one_int(st, &id) >= 0);
    return id;
}

static void a_merge_moves_everything_and_leaves_a_tombstone(void **state)
{
    struct fixture *f = *state;
    int64_t into = new_customer(f, "王五", NULL, "wang@example.com", "new");
    int64_t from = new_customer(f, "王五(微信)", "13812345678", "wang.wx@example.com", "vip");
    link_identity(f, from, "wechat_openid", "oWang");
    int64_t t1 = new_ticket(f, from), t2 = new_ticket(f, from), t0 = new_ticket(f, into);

    struct customer c;
    int64_t moved = 0;
    assert_int_equal(merge(f, into, from, &c, &moved, NULL), 0);
    assert_int_equal(moved, 2);
    assert_int_equal(c.id, into);
    assert_string_equal(c.name, "王五");
    assert_string_equal(c.phone, "13812345678"); /* it lacked one */
    assert_string_equal(c.email, "wang@example.com");
    assert_string_equal(c.tier, "vip");
    assert_int_equal(owner_of(f, "wechat_openid", "oWang"), into);
    assert_int_equal(owner_of(f, "email", "wang.wx@example.com"), into); /* kept as identity */

    assert_int_equal(count_of(f->db, "SELECT count(*) FROM tickets WHERE customer_id = $1", into),
                     3);
    const char *merged = "SELECT count(*) FROM history WHERE action = 'customer_merged' AND "
                         "ticket_id = $1";
    assert_int_equal(count_of(f->db, merged, t1), 1);
    assert_int_equal(count_of(f->db, merged, t2), 1);
    assert_int_equal(count_of(f->db, merged, t0), 0);

    struct customer tomb;
    assert_int_equal(customer_record(f->db, from, &f->arena, &tomb), 0);
    assert_int_equal(tomb.merged_into, into);
    assert_null(tomb.phone);
    assert_null(tomb.email);
    /* what intakes use follows the tombstone */
    struct customer live;
    assert_int_equal(customer_get(f->db, from, &f->arena, &live), 0);
    assert_int_equal(live.id, into);
    struct customer_input in = {.name = "别人", .email = "wang.wx@example.com"};
    assert_int_equal(db_begin(f->db), 0);
    assert_int_equal(customer_find_or_create(f->db, &f->agent, &in, &f->arena, &live, NULL), 0);
    assert_int_equal(db_commit(f->db), 0);
    assert_int_equal(live.id, into);
    assert_int_equal(count(f->db, "SELECT count(*) FROM audit WHERE action = 'customer.merged'"),
                     1);
}

static void a_bad_merge_names_the_field(void **state)
{
    struct fixture *f = *state;
    int64_t a = new_customer(f, "甲", "13800000001", NULL, NULL);
    int64_t b = new_customer(f, "乙", "13800000002", NULL, NULL);
    struct customer c;
    int64_t moved;
    struct kf_error e = {0};
    assert_int_equal(merge(f, a, a, &c, &moved, &e), KF_EINVAL);
    assert_string_equal(e.field, "from");
    assert_int_equal(merge(f, a, 9999, &c, &moved, &e), KF_ENOTFOUND);
    assert_string_equal(e.field, "from");
    assert_int_equal(merge(f, 9999, a, &c, &moved, &e), KF_ENOTFOUND);
    assert_string_equal(e.field, "id");
    assert_int_equal(merge(f, a, b, &c, &moved, &e), 0);
    assert_int_equal(merge(f, a, b, &c, &moved, &e), KF_EINVAL);
    assert_string_equal(e.field, "from");
    assert_int_equal(merge(f, b, a, &c, &moved, &e), KF_EINVAL);
    assert_string_equal(e.field, "id");
}

static void a_failure_at_any_step_of_a_merge_changes_nothing(void **state)
{
    struct fixture *f = *state;
    int64_t into = new_customer(f, "丙", NULL, "bing@example.com", NULL);
    int64_t from = new_customer(f, "丙丙", "13800000003", "bing2@example.com", NULL);
    link_identity(f, from, "wechat_openid", "oBing");
    new_ticket(f, from);
    static const char *const checks[] = {
        "SELECT count(*) FROM tickets WHERE customer_id = $1",
        "SELECT count(*) FROM customer_identities WHERE customer_id = $1",
        "SELECT count(*) FROM customers WHERE merged_into IS NULL AND id = $1",
        "SELECT count(*) FROM customers WHERE phone IS NOT NULL AND id = $1",
        "SELECT count(*) FROM history WHERE action = 'customer_merged' AND $1 > 0",
        "SELECT count(*) FROM audit WHERE action LIKE 'customer.merge%' AND $1 > 0",
    };
    enum { N = sizeof(checks) / sizeof(checks[0]) };
    int64_t before[N];
    for (int i = 0; i < N; i++)
        before[i] = count_of(f->db, checks[i], from);
    int failures = 0;
    for (long n = 1; n < 200; n++) {
        struct customer c;
        int64_t moved;
        db_fail_step(n);
        int rc = merge(f, into, from, &c, &moved, NULL);
        db_fail_step(0);
        if (!rc) {
            assert_true(failures > 10);
            assert_int_equal(moved, 1);
            return;
        }
        assert_int_equal(rc, KF_EDB);
        failures++;
        for (int i = 0; i < N; i++)
            assert_int_equal(count_of(f->db, checks[i], from), before[i]);
    }
    fail_msg("the merge never succeeded");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_merge_moves_everything_and_leaves_a_tombstone, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_bad_merge_names_the_field, setup, teardown),
        cmocka_unit_test_setup_teardown(a_failure_at_any_step_of_a_merge_changes_nothing, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("customer", tests, NULL, NULL);
}
