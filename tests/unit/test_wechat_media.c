/* test_wechat_media.c: the queue of WeChat media to fetch against a real SQLite database: due
 * by channel, a fetched file kept on its message, back-off, a refusal, and a stale try. */
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

#include "core/wechat_media.h"
#include "lib/arena.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "store/db.h"

static int setup(void **state)
{
    fixture_setup(state, "wm");
    struct fixture *f = *state;
    exec(f->db, "PRAGMA foreign_keys = OFF"); /* the queue alone, without whole tickets */
    return 0;
}

static int teardown_clock(void **state)
{
    ktime_set_now(0);
    return teardown(state);
}

static void a_fetched_file_is_kept_on_its_message(void **state)
{
    struct fixture *f = *state;
    ktime_set_now(1000000);
    assert_int_equal(wechat_media_queue(f->db, "WX", 5, 7, "MEDIA-1", "image"), 0);
    assert_int_equal(wechat_media_queue(f->db, "APP", 6, 8, "MEDIA-2", "voice"), 0);
    const char **codes;
    size_t n = 0;
    assert_int_equal(wechat_media_due_channels(f->db, 1001000, 10, &f->arena, &codes, &n), 0);
    assert_int_equal(n, 2);
    struct wechat_media_due *d;
    assert_int_equal(wechat_media_due(f->db, "WX", 1001000, 10, &f->arena, &d, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(d[0].media_id, "MEDIA-1");
    assert_string_equal(d[0].kind, "image");
    assert_int_equal(d[0].message_id, 7);
    struct wechat_media_got got = {"a.jpg", "image/jpeg", "\xff\xd8\xff", 3};
    assert_int_equal(wechat_media_tried(f->db, &d[0], 1001000, CHANNEL_SENT, NULL, &got), 0);
    assert_int_equal(int_of(f->db, "SELECT count(*) FROM attachments WHERE message_id = 7 AND "
                                   "ticket_id = 5 AND filename = 'a.jpg' AND size = 3"),
                     1);
    assert_int_equal(int_of(f->db, "SELECT count(*) FROM wechat_media WHERE id = 1 AND "
                                   "status = 'fetched' AND attachment_id IS NOT NULL"),
                     1);
    assert_int_equal(
        int_of(f->db, "SELECT count(*) FROM events WHERE kind = 'ticket.media_fetched'"), 1);
    /* the same try again (another thread, a restart) stores nothing more */
    assert_int_equal(wechat_media_tried(f->db, &d[0], 1002000, CHANNEL_SENT, NULL, &got), 0);
    assert_int_equal(int_of(f->db, "SELECT count(*) FROM attachments"), 1);
    assert_int_equal(wechat_media_due(f->db, "WX", 9000000, 10, &f->arena, &d, &n), 0);
    assert_int_equal(n, 0);
}

static void a_failed_try_waits_and_a_refusal_ends_it(void **state)
{
    struct fixture *f = *state;
    ktime_set_now(1000000);
    assert_int_equal(wechat_media_queue(f->db, "WX", 5, 7, "MEDIA-1", "image"), 0);
    assert_int_equal(wechat_media_queue(f->db, "WX", 5, 9, "MEDIA-9", "image"), 0);
    struct wechat_media_due *d;
    size_t n = 0;
    assert_int_equal(wechat_media_due(f->db, "WX", 1001000, 10, &f->arena, &d, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(wechat_media_tried(f->db, &d[0], 1001000, CHANNEL_TRY_AGAIN, "down", NULL), 0);
    assert_int_equal(wechat_media_tried(f->db, &d[1], 1001000, CHANNEL_REFUSED, "40007", NULL), 0);
    assert_int_equal(int_of(f->db, "SELECT count(*) FROM attachments"), 0);
    /* not due before the back-off (30 s), due after it; the refused one never again */
    assert_int_equal(wechat_media_due(f->db, "WX", 1030000, 10, &f->arena, &d, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(wechat_media_due(f->db, "WX", 1031000, 10, &f->arena, &d, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(d[0].media_id, "MEDIA-1");
    assert_int_equal(d[0].attempts, 1);
    assert_int_equal(int_of(f->db, "SELECT count(*) FROM wechat_media WHERE status = 'failed' AND "
                                   "last_error = '40007'"),
                     1);
    /* until the back-off is spent: then it fails */
    int64_t at = 1031000;
    for (int i = 0; i < 20 && n; i++) {
        assert_int_equal(wechat_media_tried(f->db, &d[0], at, CHANNEL_TRY_AGAIN, "down", NULL), 0);
        at += 9 * 3600 * 1000;
        assert_int_equal(wechat_media_due(f->db, "WX", at, 10, &f->arena, &d, &n), 0);
    }
    assert_int_equal(n, 0);
    assert_int_equal(int_of(f->db, "SELECT count(*) FROM wechat_media WHERE status = 'failed'"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_fetched_file_is_kept_on_its_message, setup,
                                        teardown_clock),
        cmocka_unit_test_setup_teardown(a_failed_try_waits_and_a_refusal_ends_it, setup,
                                        teardown_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
