/* test_portal.c: the portal's sign-in codes and sessions (core/portal.c) against a real SQLite
 * database: hashed, single use, ten minutes, five tries. */
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
#include "core/portal.h"
#include "lib/arena.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "store/db.h"

static const char EMAIL[] = "chen@example.com";

struct fixture {
    char path[64];
    struct db *db;
    struct arena arena;
    int64_t customer_id;
    int64_t now;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->path, sizeof(f->path), "/tmp/kefu-unit-portal-%d.db", (int)getpid());
    unlink(f->path);
    assert_int_equal(db_open(f->path, 0, &f->db, NULL), 0);
    assert_int_equal(db_migrate(f->db, NULL, NULL), 0);
    struct actor kefu = {.name = "kefu", .role = ROLE_ADMIN};
    struct customer_input in = {.name = "陈女士", .email = EMAIL};
    struct customer c;
    assert_int_equal(db_begin(f->db), 0);
    assert_int_equal(customer_create(f->db, &kefu, &in, &f->arena, &c, NULL), 0);
    assert_int_equal(db_commit(f->db), 0);
    f->customer_id = c.id;
    f->now = INT64_C(1700000000000);
    ktime_set_now(f->now);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    db_close(f->db);
    arena_release(&f->arena);
    unlink(f->path);
    free(f);
    return 0;
}

static void issue(struct fixture *f, char code[PORTAL_CODE_DIGITS + 1])
{
    int64_t who = 0;
    assert_int_equal(db_begin(f->db), 0);
    assert_int_equal(portal_code_issue(f->db, EMAIL, code, &who), 0);
    assert_int_equal(db_commit(f->db), 0);
    assert_int_equal(who, f->customer_id);
    assert_int_equal(strlen(code), PORTAL_CODE_DIGITS);
}

static enum portal_outcome verify(struct fixture *f, const char *code,
                                  char token[PORTAL_TOKEN_TEXT])
{
    enum portal_outcome out = 0;
    int64_t who = 0;
    assert_int_equal(db_begin(f->db), 0);
    assert_int_equal(portal_code_verify(f->db, EMAIL, code, "127.0.0.1", &out, &who, token), 0);
    assert_int_equal(db_commit(f->db), 0);
    if (out == PORTAL_SIGNED_IN)
        assert_int_equal(who, f->customer_id);
    return out;
}

/* A code that is not `code`: its last digit changed. */
static void other_code(const char *code, char out[PORTAL_CODE_DIGITS + 1])
{
    memcpy(out, code, PORTAL_CODE_DIGITS + 1);
    out[PORTAL_CODE_DIGITS - 1] =
        out[PORTAL_CODE_DIGITS - 1] == '9' ? '0' : (char)(out[PORTAL_CODE_DIGITS - 1] + 1);
}

/* Whether the n bytes at p hold the text s anywhere. */
static int holds(const unsigned char *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(p + i, s, k))
            return 1;
    return 0;
}

static void an_unknown_address_gets_no_code(void **state)
{
    struct fixture *f = *state;
    char code[PORTAL_CODE_DIGITS + 1] = "";
    int64_t who = 42;
    assert_int_equal(db_begin(f->db), 0);
    assert_int_equal(portal_code_issue(f->db, "nobody@example.com", code, &who), 0);
    assert_int_equal(db_commit(f->db), 0);
    assert_int_equal(who, 0);
    struct stmt *st = db_stmt_sql(f->db, "SELECT count(*) FROM portal_codes");
    assert_int_equal(st_step(st), 1);
    assert_int_equal(col_int(st, 0), 0);
    st_exec(st);
}

static void the_code_is_stored_hashed_and_signs_in_once(void **state)
{
    struct fixture *f = *state;
    char code[PORTAL_CODE_DIGITS + 1], token[PORTAL_TOKEN_TEXT];
    issue(f, code);
    struct stmt *st = db_stmt_sql(f->db, "SELECT code_hash FROM portal_codes");
    assert_int_equal(st_step(st), 1);
    assert_int_equal(col_bytes(st, 0), 32);
    assert_false(holds(col_blob(st, 0), 32, code));
    st_exec(st);
    assert_int_equal(verify(f, code, token), PORTAL_SIGNED_IN);
    assert_int_equal(strlen(token), PORTAL_TOKEN_TEXT - 1);
    assert_int_equal(verify(f, code, token), PORTAL_NO_CODE);
}

static void five_wrong_tries_end_a_code_and_four_do_not(void **state)
{
    struct fixture *f = *state;
    char code[PORTAL_CODE_DIGITS + 1], wrong[PORTAL_CODE_DIGITS + 1], token[PORTAL_TOKEN_TEXT];
    issue(f, code);
    other_code(code, wrong);
    for (int i = 0; i < 4; i++)
        assert_int_equal(verify(f, wrong, token), PORTAL_WRONG_CODE);
    assert_int_equal(verify(f, code, token), PORTAL_SIGNED_IN);
    issue(f, code);
    other_code(code, wrong);
    for (int i = 0; i < 5; i++)
        assert_int_equal(verify(f, wrong, token), PORTAL_WRONG_CODE);
    assert_int_equal(verify(f, code, token), PORTAL_NO_CODE);
}

static void a_code_lasts_ten_minutes_and_a_new_one_ends_the_old(void **state)
{
    struct fixture *f = *state;
    char first[PORTAL_CODE_DIGITS + 1], second[PORTAL_CODE_DIGITS + 1], token[PORTAL_TOKEN_TEXT];
    issue(f, first);
    issue(f, second);
    if (strcmp(first, second)) /* the same six digits twice would be the live code */
        assert_int_equal(verify(f, first, token), PORTAL_WRONG_CODE);
    ktime_set_now(f->now + PORTAL_CODE_TTL_MS - 1000); /* 9:59 later: still good */
    assert_int_equal(verify(f, second, token), PORTAL_SIGNED_IN);
    issue(f, first);
    ktime_set_now(f->now + 2 * PORTAL_CODE_TTL_MS); /* 10:01 after it was sent */
    assert_int_equal(verify(f, first, token), PORTAL_NO_CODE);
}

static void a_session_lasts_a_week_until_it_is_ended(void **state)
{
    struct fixture *f = *state;
    char code[PORTAL_CODE_DIGITS + 1], token[PORTAL_TOKEN_TEXT];
    issue(f, code);
    assert_int_equal(verify(f, code, token), PORTAL_SIGNED_IN);
    int64_t session = 0, who = 0;
    assert_int_equal(portal_session_resolve(f->db, token, &session, &who), 0);
    assert_int_equal(who, f->customer_id);
    char forged[PORTAL_TOKEN_TEXT];
    memcpy(forged, token, sizeof(forged));
    forged[0] = forged[0] == 'a' ? 'b' : 'a';
    assert_int_equal(portal_session_resolve(f->db, forged, &session, &who), KF_EAUTH);
    assert_int_equal(portal_session_resolve(f->db, "short", &session, &who), KF_EAUTH);
    ktime_set_now(f->now + PORTAL_SESSION_TTL_MS + 1000);
    assert_int_equal(portal_session_resolve(f->db, token, &session, &who), KF_EAUTH);
    ktime_set_now(f->now);
    assert_int_equal(db_begin(f->db), 0);
    assert_int_equal(portal_session_end(f->db, session), 0);
    assert_int_equal(db_commit(f->db), 0);
    assert_int_equal(portal_session_resolve(f->db, token, &session, &who), KF_EAUTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(an_unknown_address_gets_no_code, setup, teardown),
        cmocka_unit_test_setup_teardown(the_code_is_stored_hashed_and_signs_in_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(five_wrong_tries_end_a_code_and_four_do_not, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_code_lasts_ten_minutes_and_a_new_one_ends_the_old, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_session_lasts_a_week_until_it_is_ended, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
