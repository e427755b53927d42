/* test_lib.c: strings, JSON writing, times, masks, UTF-8 checks and the failure throttle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/arena.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "lib/text.h"
#include "lib/throttle.h"

static void strbuf_respects_its_maximum(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT(8);
    assert_int_equal(strbuf_addstr(&sb, "abcd"), 0);
    assert_int_equal(strbuf_addstr(&sb, "efghi"), KF_ETOOBIG);
    assert_string_equal(sb.buf, "abcd"); /* unchanged by the failed append */
    assert_true(sb.overflow);
    assert_int_equal(strbuf_addstr(&sb, "e"), KF_ETOOBIG); /* sticky */
    strbuf_reset(&sb);
    assert_int_equal(strbuf_addf(&sb, "%d-%s", 42, "x"), 0);
    assert_string_equal(sb.buf, "42-x");
    strbuf_release(&sb);
    assert_string_equal(sb.buf, "");
}

static void jw_escapes_what_json_and_html_need(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT(4096);
    struct jw w;
    jw_init(&w, &sb);
    jw_obj_begin(&w);
    jw_kstr(&w, "s", "a\"b\\c\n<script>&\x01");
    jw_kint(&w, "n", -5);
    jw_key(&w, "list");
    jw_arr_begin(&w);
    jw_str(&w, "家电");
    jw_null(&w);
    jw_bool(&w, 1);
    jw_arr_end(&w);
    jw_kstr(&w, "none", NULL);
    jw_key(&w, "ints");
    jw_arr_begin(&w);
    jw_int(&w, 0);
    jw_int(&w, INT64_MIN);
    jw_int(&w, INT64_MAX);
    jw_int(&w, 1696212000000);
    jw_arr_end(&w);
    jw_kint(&w, "k\"<", 1);
    jw_kint(&w, "a-key-of-more-than-sixty-four-bytes-is-written-the-slow-way-too!", 2);
    jw_obj_end(&w);
    assert_string_equal(sb.buf,
                        "{\"s\":\"a\\\"b\\\\c\\n\\u003cscript\\u003e\\u0026\\u0001\","
                        "\"n\":-5,\"list\":[\"家电\",null,true],\"none\":null,"
                        "\"ints\":[0,-9223372036854775808,9223372036854775807,1696212000000],"
                        "\"k\\\"\\u003c\":1,"
                        "\"a-key-of-more-than-sixty-four-bytes-is-written-the-slow-way-too!\":2}");
    strbuf_release(&sb);
}

static void times_are_shown_in_the_configured_zone(void **state)
{
    (void)state;
    assert_int_equal(ktime_set_zone("Asia/Shanghai"), 0);
    int64_t t;
    assert_int_equal(ktime_parse("2023-10-02T10:00:00+08:00", &t), 0);
    assert_true(t == INT64_C(1696212000000));
    char buf[KTIME_RFC3339_LEN];
    ktime_format(t, buf);
    assert_string_equal(buf, "2023-10-02T10:00:00+08:00");
    assert_int_equal(ktime_parse("2023-10-02T02:00:00Z", &t), 0);
    ktime_format(t, buf);
    assert_string_equal(buf, "2023-10-02T10:00:00+08:00");
    /* 23:30 UTC on the 1st is already the 2nd in Shanghai */
    assert_int_equal(ktime_parse("2023-10-01T23:30:00Z", &t), 0);
    assert_int_equal(ktime_day(t), 20231002);
    assert_int_equal(ktime_parse("2023-10-02T10:00:00.250-02:30", &t), 0);
    ktime_format(t, buf);
    assert_string_equal(buf, "2023-10-02T20:30:00.250+08:00");
    assert_int_equal(ktime_set_zone("Nowhere/Atlantis"), KF_EINVAL);
    assert_string_equal(ktime_zone(), "Asia/Shanghai");
}

static void bad_times_are_refused(void **state)
{
    (void)state;
    int64_t t = 7;
    const char *bad[] = {"",
                         "2023-10-02",
                         "2023-13-01T00:00:00Z",
                         "2023-02-29T00:00:00Z",
                         "2023-10-02T10:00:00",
                         "2023-10-02T24:00:00Z",
                         "yesterday",
                         "2023-10-02T10:00:00+8:00"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(ktime_parse(bad[i], &t), KF_EINVAL);
    assert_true(t == 7); /* untouched on failure */
    assert_int_equal(ktime_parse("2024-02-29T00:00:00Z", &t), 0);
}

static void the_test_clock_moves_time(void **state)
{
    (void)state;
    int64_t target;
    ktime_parse("2023-10-02T12:05:00+08:00", &target);
    ktime_set_now(target);
    int64_t now = ktime_now();
    assert_true(now >= target && now < target + 5000);
    ktime_set_now(0);
}

static void contacts_are_masked(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    assert_string_equal(mask_phone(&a, "13812345678"), "138****5678");
    assert_string_equal(mask_phone(&a, "12345"), "***45");
    assert_string_equal(mask_email(&a, "zhang@example.com"), "z***@example.com");
    assert_string_equal(mask_email(&a, "张@example.com"), "张***@example.com");
    assert_string_equal(mask_member(&a, "86"), "ID-86");
    assert_null(mask_phone(&a, NULL));
    arena_release(&a);
}

static void utf8_is_checked(void **state)
{
    (void)state;
    assert_true(utf8_valid("家电 ok", strlen("家电 ok")));
    assert_false(utf8_valid("\xff", 1));
    assert_false(utf8_valid("\xc0\xaf", 2));     /* overlong */
    assert_false(utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
    assert_false(utf8_valid("a\0b", 3));
    assert_false(utf8_valid("\xe5\xae", 2)); /* cut short */
    assert_int_equal(utf8_chars("家电ab"), 4);
}

static void arena_hands_out_zeroed_memory(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    for (int i = 0; i < 1000; i++) {
        char *p = arena_alloc(&a, 100);
        for (int k = 0; k < 100; k++)
            assert_int_equal(p[k], 0);
        memset(p, 'x', 100);
    }
    char *big = arena_alloc(&a, 100000); /* larger than a block */
    assert_non_null(big);
    assert_string_equal(arena_printf(&a, "%s-%d", "TEL", 7), "TEL-7");
    arena_release(&a);
    arena_release(NULL);
}

enum { W = 15 * 60 * 1000 }; /* the window of the throttles below */

static void throttle_counts_each_key_exactly(void **state)
{
    (void)state;
    static struct throttle_entry entries[8];
    struct throttle t = THROTTLE_INIT(entries, W);
    /* these two have the same 32-bit FNV-1a hash: the table must tell them apart anyway */
    const char *a = "user449599", *b = "user612382";
    for (int i = 1; i <= 5; i++)
        assert_int_equal(throttle_fail(&t, a, 1000), i);
    assert_int_equal(throttle_fail(&t, b, 1000), 1);
    assert_int_equal(throttle_fail(&t, b, 1000), 2);
    int64_t retry = -1;
    assert_int_equal(throttle_count(&t, a, 1000, &retry), 5);
    assert_int_equal(retry, W);
    assert_int_equal(throttle_count(&t, b, 1000, NULL), 2);
    assert_int_equal(throttle_count(&t, "nobody", 1000, &retry), 0);
    assert_int_equal(retry, 0);

    throttle_reset(&t, b); /* b signed in: a's failures stay */
    assert_int_equal(throttle_count(&t, b, 1000, NULL), 0);
    assert_int_equal(throttle_count(&t, a, 1000, NULL), 5);
    assert_int_equal(throttle_fail(&t, b, 2000), 1);
    assert_int_equal(throttle_count(&t, a, 2000, NULL), 5);
}

static void throttle_forgets_after_the_window(void **state)
{
    (void)state;
    static struct throttle_entry entries[4];
    struct throttle t = THROTTLE_INIT(entries, W);
    throttle_fail(&t, "li", 0);
    throttle_fail(&t, "li", 5000);
    int64_t retry;
    assert_int_equal(throttle_count(&t, "li", W - 1, &retry), 2);
    assert_int_equal(retry, 1); /* the window opened at the first failure */
    assert_int_equal(throttle_count(&t, "li", W, NULL), 0);
    assert_int_equal(throttle_fail(&t, "li", W), 1); /* a new window */
}

static void a_full_throttle_over_counts_and_never_forgets_early(void **state)
{
    (void)state;
    static struct throttle_entry entries[4];
    struct throttle t = THROTTLE_INIT(entries, W);
    const char *held[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++)
        throttle_fail(&t, held[i], 0);
    throttle_fail(&t, "a", 0);

    /* no entry is free: the newcomers share the overflow, and nobody loses a failure */
    assert_int_equal(throttle_fail(&t, "e", 1000), 1);
    assert_int_equal(throttle_fail(&t, "f", 1000), 2);
    assert_int_equal(throttle_fail(&t, "e", 2000), 3);
    assert_true(throttle_count(&t, "e", 2000, NULL) >= 2);
    assert_true(throttle_count(&t, "f", 2000, NULL) >= 1);
    assert_int_equal(throttle_count(&t, "a", 2000, NULL), 2);
    assert_int_equal(throttle_count(&t, "b", 2000, NULL), 1);
    throttle_reset(&t, "f"); /* f's success cannot clear what e put in the overflow */
    assert_true(throttle_count(&t, "e", 2000, NULL) >= 2);

    /* a key longer than the entries hold is counted in the overflow too */
    char longkey[THROTTLE_KEY_MAX + 2];
    memset(longkey, 'x', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    assert_int_equal(throttle_fail(&t, longkey, 3000), 4);

    /* the held windows end at W; e then takes one of their entries, bringing the overflow
     * along, and the others are forgotten */
    assert_int_equal(throttle_fail(&t, "e", W), 5);
    assert_true(throttle_count(&t, "e", W, NULL) >= 3);
    assert_int_equal(throttle_count(&t, "d", W, NULL), 0);

    /* the overflow is forgotten only a whole window after its last failure */
    int64_t retry;
    assert_true(throttle_count(&t, "f", 3000 + W - 1, &retry) >= 1);
    assert_int_equal(retry, 1);
    assert_int_equal(throttle_count(&t, "f", 3000 + W, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strbuf_respects_its_maximum),
        cmocka_unit_test(jw_escapes_what_json_and_html_need),
        cmocka_unit_test(times_are_shown_in_the_configured_zone),
        cmocka_unit_test(bad_times_are_refused),
        cmocka_unit_test(the_test_clock_moves_time),
        cmocka_unit_test(contacts_are_masked),
        cmocka_unit_test(utf8_is_checked),
        cmocka_unit_test(arena_hands_out_zeroed_memory),
        cmocka_unit_test(throttle_counts_each_key_exactly),
        cmocka_unit_test(throttle_forgets_after_the_window),
        cmocka_unit_test(a_full_throttle_over_counts_and_never_forgets_early),
    };
    return cmocka_run_group_tests_name("lib", tests, NULL, NULL);
}
