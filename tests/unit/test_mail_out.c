/* test_mail_out.c: the queue of outgoing mail against a real SQLite database: who sends,
 * the threading it freezes, and what each try does to it. */
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

#include "db_fixture.h"

#include "core/mail_out.h"
#include "lib/arena.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "store/db.h"

static const char *text_of(struct db *db, const char *sql, struct arena *a)
{
    struct stmt *st = db_stmt_sql(db, sql);
    const char *s = NULL;
    if (st_step(st) == 1 && col_text(st, 0))
        s = arena_strdup(a, col_text(st, 0));
    st_reset(st);
    return s;
}

static int setup(void **state)
{
    return fixture_setup(state, "mo");
}

static void connect_mail(struct db *db, const char *code, const char *from)
{
    char sql[512];
    snprintf(sql, sizeof(sql), "UPDATE channels SET kind = 'mail' WHERE code = '%s'", code);
    exec(db, sql);
    snprintf(sql, sizeof(sql),
             "INSERT INTO channel_settings(channel, key, value) VALUES ('%s', 'smtp_url', "
             "'smtp://127.0.0.1:25'), ('%s', 'from', '%s')",
             code, code, from);
    exec(db, sql);
}

static void no_channel_that_can_send_is_not_found(void **state)
{
    struct fixture *f = *state;
    struct mail_out m = {
        .kind = "code", .to = "a@example.com", .subject = "登录验证码", .text = "123456"};
    struct kf_error e = {0};
    assert_int_equal(mail_out_queue(f->db, &m, NULL, &e), KF_ENOTFOUND);
    assert_string_equal(e.field, "channel");
    exec(f->db, "UPDATE channels SET kind = 'mail' WHERE code = 'MAIL'"); /* no smtp_url */
    m.channel = "MAIL";
    assert_int_equal(mail_out_queue(f->db, &m, NULL, &e), KF_ENOTFOUND);
}

static void the_default_sender_is_the_first_mail_channel_by_code(void **state)
{
    struct fixture *f = *state;
    connect_mail(f->db, "MAIL", "客服 <support@example.com>");
    connect_mail(f->db, "APP", "app@example.org");
    struct mail_out m = {
        .kind = "code", .to = "a@example.com", .subject = "登录验证码", .text = "123456"};
    int64_t id = 0;
    assert_int_equal(mail_out_queue(f->db, &m, &id, NULL), 0);
    assert_true(id > 0);
    assert_string_equal(text_of(f->db, "SELECT channel FROM mail_out", &f->arena), "APP");
    const char *mid = text_of(f->db, "SELECT mail_id FROM mail_out", &f->arena);
    assert_non_null(strstr(mid, "@example.org"));
    assert_null(text_of(f->db, "SELECT in_reply_to FROM mail_out", &f->arena));
    exec(f->db, "UPDATE channels SET enabled = 0 WHERE code = 'APP'");
    assert_int_equal(mail_out_queue(f->db, &m, &id, NULL), 0);
    assert_string_equal(
        text_of(f->db, "SELECT channel FROM mail_out ORDER BY id DESC LIMIT 1", &f->arena), "MAIL");
}

static void bad_addresses_and_split_subjects_are_refused(void **state)
{
    struct fixture *f = *state;
    connect_mail(f->db, "MAIL", "support@example.com");
    struct mail_out m = {
        .kind = "notice", .to = "a@example.com\r\nBcc: x@y.z", .subject = "s", .text = "t"};
    struct kf_error e = {0};
    assert_int_equal(mail_out_queue(f->db, &m, NULL, &e), KF_EINVAL);
    assert_string_equal(e.field, "to");
    m.to = "a@example.com";
    m.subject = "s\r\nBcc: x@y.z";
    assert_int_equal(mail_out_queue(f->db, &m, NULL, &e), KF_EINVAL);
    assert_string_equal(e.field, "subject");
    m.subject = "s";
    m.kind = "spam";
    assert_int_equal(mail_out_queue(f->db, &m, NULL, &e), KF_EINVAL);
    assert_string_equal(e.field, "kind");
}

static void a_tickets_mail_threads_on_the_customers_last_mail(void **state)
{
    struct fixture *f = *state;
    connect_mail(f->db, "MAIL", "support@example.com");
    exec(f->db, "PRAGMA foreign_keys = OFF"); /* the thread alone, without a whole ticket */
    exec(f->db, "INSERT INTO mail_ids(mail_id, ticket_id, direction, created_at) VALUES "
                "('first@c', 1, 'in', 1), ('kefu.x@example.com', 1, 'out', 2), "
                "('second@c', 1, 'in', 3), ('kefu.y@example.com', 1, 'out', 4)");
    struct mail_out m = {.kind = "reply",
                         .ticket_id = 1,
                         .to = "c@example.com",
                         .subject = "Re: s [#MAIL-1]",
                         .text = "好的"};
    assert_int_equal(mail_out_queue(f->db, &m, NULL, NULL), 0);
    assert_string_equal(text_of(f->db, "SELECT in_reply_to FROM mail_out", &f->arena), "second@c");
    assert_string_equal(text_of(f->db, "SELECT refs FROM mail_out", &f->arena),
                        "first@c kefu.x@example.com second@c kefu.y@example.com");
    /* its own Message-ID joins the thread, so the answer finds the ticket */
    assert_string_equal(text_of(f->db,
                                "SELECT direction FROM mail_ids m JOIN mail_out o ON "
                                "o.mail_id = m.mail_id",
                                &f->arena),
                        "out");
}

static void a_try_backs_off_and_a_refusal_fails_at_once(void **state)
{
    struct fixture *f = *state;
    connect_mail(f->db, "MAIL", "support@example.com");
    struct mail_out m = {.kind = "code", .to = "a@example.com", .subject = "s", .text = "t"};
    int64_t a, b;
    assert_int_equal(mail_out_queue(f->db, &m, &a, NULL), 0);
    assert_int_equal(mail_out_queue(f->db, &m, &b, NULL), 0);
    int64_t next = 0, now = ktime_now();
    assert_int_equal(mail_out_tried(f->db, a, 0, now, MAIL_TRY_AGAIN, "connect refused", &next), 0);
    assert_int_equal(next, now + 30000);
    /* a second record of the same try changes nothing */
    assert_int_equal(mail_out_tried(f->db, a, 0, now, MAIL_TRY_AGAIN, "x", &next), 0);
    assert_string_equal(text_of(f->db,
                                "SELECT attempts || ' ' || status || ' ' || last_error "
                                "FROM mail_out WHERE id = 1",
                                &f->arena),
                        "1 queued connect refused");
    struct mail_due *d;
    size_t n;
    assert_int_equal(mail_out_due(f->db, NULL, now + 1, 10, &f->arena, &d, &n), 0);
    assert_int_equal(n, 1); /* only b: a waits */
    assert_int_equal(d[0].id, b);
    assert_int_equal(mail_out_tried(f->db, b, 0, now, MAIL_REFUSED, "550 no such user", NULL), 0);
    int64_t queued, failed;
    assert_int_equal(mail_out_counts(f->db, "MAIL", &queued, &failed), 0);
    assert_int_equal(queued, 1);
    assert_int_equal(failed, 1);
    assert_int_equal(mail_out_tried(f->db, a, 1, now, MAIL_SENT, NULL, NULL), 0);
    assert_int_equal(mail_out_counts(f->db, "MAIL", &queued, &failed), 0);
    assert_int_equal(queued, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(no_channel_that_can_send_is_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(the_default_sender_is_the_first_mail_channel_by_code, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(bad_addresses_and_split_subjects_are_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_tickets_mail_threads_on_the_customers_last_mail, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_try_backs_off_and_a_refusal_fails_at_once, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
