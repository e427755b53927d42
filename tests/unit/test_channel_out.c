/* test_channel_out.c: the queue of what goes out on channels other than mail, and customers
 * known by identities of any channel, against a real SQLite database. */
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

#include "channels/senders.h"
#include "core/actor.h"
#include "core/channel_out.h"
#include "core/customer.h"
#include "lib/arena.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "store/db.h"

static int setup(void **state)
{
    fixture_setup(state, "co");
    struct fixture *f = *state;
    exec(f->db, "INSERT INTO channels(code, name, name_en, kind) VALUES ('APP', 'APP', 'App', "
                "'webhook') ON CONFLICT (code) DO UPDATE SET kind = 'webhook'");
    return 0;
}

static void a_payload_is_queued_due_and_shown_as_the_messages_delivery(void **state)
{
    struct fixture *f = *state;
    struct kf_error e = {0};
    assert_int_equal(channel_out_queue(f->db, "NOPE", 0, 0, "{}", &e), KF_ENOTFOUND);
    assert_string_equal(e.field, "channel");
    assert_int_equal(channel_out_queue(f->db, "APP", 0, 0, "", &e), KF_EINVAL);
    assert_string_equal(e.field, "payload");
    exec(f->db, "PRAGMA foreign_keys = OFF"); /* the queue alone, without a whole ticket */
    ktime_set_now(1000000);
    assert_int_equal(channel_out_queue(f->db, "APP", 5, 7, "{\"a\":1}", NULL), 0);
    struct mail_delivery d;
    assert_int_equal(channel_out_delivery(f->db, 7, &f->arena, &d), 1);
    assert_string_equal(d.status, "queued");
    assert_int_equal(channel_out_delivery(f->db, 8, &f->arena, &d), 0);
    const char **codes;
    size_t n = 0;
    assert_int_equal(channel_out_due_channels(f->db, ktime_now(), 10, &f->arena, &codes, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(codes[0], "APP");
    struct channel_due *due;
    assert_int_equal(channel_out_due(f->db, "APP", ktime_now(), 10, &f->arena, &due, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(due[0].payload, "{\"a\":1}");
    int64_t q = 0, fl = 0;
    assert_int_equal(channel_out_counts(f->db, "APP", &q, &fl), 0);
    assert_int_equal(q, 1);
    assert_int_equal(fl, 0);
    ktime_set_now(0);
}

static void a_try_backs_off_a_refusal_fails_and_a_send_is_sent(void **state)
{
    struct fixture *f = *state;
    exec(f->db, "PRAGMA foreign_keys = OFF");
    ktime_set_now(1000000);
    assert_int_equal(channel_out_queue(f->db, "APP", 5, 7, "{}", NULL), 0);
    assert_int_equal(channel_out_queue(f->db, "APP", 5, 8, "{}", NULL), 0);
    assert_int_equal(channel_out_tried(f->db, 1, 0, 1000000, CHANNEL_TRY_AGAIN, "down"), 0);
    struct mail_delivery d;
    assert_int_equal(channel_out_delivery(f->db, 7, &f->arena, &d), 1);
    assert_string_equal(d.status, "queued");
    assert_int_equal(d.attempts, 1);
    assert_string_equal(d.last_error, "down");
    /* not due again before the back-off (30 s at least), and a stale try is left alone; the
     * clock set above keeps running, so the second one was queued a little after 1000000 */
    struct channel_due *due;
    size_t n = 0;
    assert_int_equal(channel_out_due(f->db, "APP", 1020000, 10, &f->arena, &due, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(due[0].id, 2);
    assert_true(int_of(f->db, "SELECT next_at FROM channel_out WHERE id = 1") >= 1030000);
    assert_int_equal(channel_out_tried(f->db, 1, 0, 1000000, CHANNEL_SENT, NULL), 0);
    assert_int_equal(int_of(f->db, "SELECT attempts FROM channel_out WHERE id = 1"), 1);
    assert_int_equal(channel_out_tried(f->db, 1, 1, 1040000, CHANNEL_SENT, NULL), 0);
    assert_int_equal(channel_out_delivery(f->db, 7, &f->arena, &d), 1);
    assert_string_equal(d.status, "sent");
    assert_int_equal(d.sent_at, 1040000);
    assert_int_equal(channel_out_tried(f->db, 2, 0, 1000000, CHANNEL_REFUSED, "answered 404"), 0);
    assert_int_equal(channel_out_delivery(f->db, 8, &f->arena, &d), 1);
    assert_string_equal(d.status, "failed");
    int64_t q = 0, fl = 0;
    assert_int_equal(channel_out_counts(f->db, "APP", &q, &fl), 0);
    assert_int_equal(q, 0);
    assert_int_equal(fl, 1);
    /* each status change is an event for the live console */
    assert_int_equal(int_of(f->db, "SELECT COUNT(*) FROM events WHERE kind = "
                                   "'ticket.delivery_changed'"),
                     3);
    ktime_set_now(0);
}

static void every_try_again_until_the_back_off_is_spent_then_failed(void **state)
{
    struct fixture *f = *state;
    exec(f->db, "PRAGMA foreign_keys = OFF");
    assert_int_equal(channel_out_queue(f->db, "APP", 0, 0, "{}", NULL), 0);
    int i = 0;
    for (; i < 20 && int_of(f->db, "SELECT status = 'queued' FROM channel_out"); i++)
        assert_int_equal(channel_out_tried(f->db, 1, i, 1000, CHANNEL_TRY_AGAIN, NULL), 0);
    assert_int_equal(i, 12);
    assert_int_equal(int_of(f->db, "SELECT status = 'failed' FROM channel_out"), 1);
}

static void the_senders_are_found_by_kind(void **state)
{
    (void)state;
    assert_ptr_equal(channel_sender_of("webhook"), hook_send);
    assert_null(channel_sender_of("mail"));
    assert_null(channel_sender_of(NULL));
}

static void a_customer_is_found_again_by_an_identity(void **state)
{
    struct fixture *f = *state;
    struct actor sys = {0};
    struct customer a, b, c;
    struct kf_error e = {0};
    assert_int_equal(
        customer_find_or_create_by_identity(f->db, &sys, "twitter", "x", NULL, &f->arena, &a, &e),
        KF_EINVAL);
    assert_string_equal(e.field, "kind");
    assert_int_equal(customer_find_or_create_by_identity(f->db, &sys, "external_id:APP", "", NULL,
                                                         &f->arena, &a, &e),
                     KF_EINVAL);
    assert_string_equal(e.field, "value");
    struct customer_input in = {.name = "小王", .phone = "13812345678"};
    assert_int_equal(customer_find_or_create_by_identity(f->db, &sys, "external_id:APP", "u-42",
                                                         &in, &f->arena, &a, NULL),
                     0);
    assert_string_equal(a.name, "小王");
    /* the same app user, whatever else they send */
    struct customer_input other = {.name = "别名"};
    assert_int_equal(customer_find_or_create_by_identity(f->db, &sys, "external_id:APP", "u-42",
                                                         &other, &f->arena, &b, NULL),
                     0);
    assert_int_equal(b.id, a.id);
    /* another channel's identity with the same phone links to the same customer */
    struct customer_input byphone = {.phone = "13812345678"};
    assert_int_equal(customer_find_or_create_by_identity(f->db, &sys, "wechat_openid", "o-1",
                                                         &byphone, &f->arena, &c, NULL),
                     0);
    assert_int_equal(c.id, a.id);
    assert_int_equal(int_of(f->db, "SELECT COUNT(*) FROM customer_identities"), 2);
    /* a new identity without a name is named by itself */
    assert_int_equal(customer_find_or_create_by_identity(f->db, &sys, "external_id:APP", "u-43",
                                                         NULL, &f->arena, &c, NULL),
                     0);
    assert_int_not_equal(c.id, a.id);
    assert_string_equal(c.name, "u-43");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_payload_is_queued_due_and_shown_as_the_messages_delivery,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_try_backs_off_a_refusal_fails_and_a_send_is_sent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(every_try_again_until_the_back_off_is_spent_then_failed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(the_senders_are_found_by_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(a_customer_is_found_again_by_an_identity, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
