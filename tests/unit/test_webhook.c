/* test_webhook.c: the notification webhook's rules that need no database or network: which
 * addresses are taken, the back-off schedule, and the signature (channels/webhook_out.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "channels/webhook_out.h"
#include "core/webhook.c" /* url_ok and list_has are static */

static void an_address_is_http_or_https_with_a_host(void **state)
{
    (void)state;
    assert_true(url_ok("http://10.0.0.8:8080/sms"));
    assert_true(url_ok("https://gw.example.com"));
    assert_true(url_ok("http://127.0.0.1/hook?x=1"));
    assert_true(url_ok("http://[::1]:9000/"));
    assert_true(url_ok("http://user:pw@gw.example.com/"));
    assert_false(url_ok("ftp://gw.example.com/"));
    assert_false(url_ok("http:///path"));
    assert_false(url_ok("http://:80/"));
    assert_false(url_ok("http://user@/"));
    assert_false(url_ok("http://gw example.com/"));
    assert_false(url_ok("gw.example.com"));
}

static void a_kind_is_found_in_the_list_or_under_the_star(void **state)
{
    (void)state;
    assert_true(list_has("ticket.assigned,notification.created", "notification.created"));
    assert_true(list_has("ticket.assigned", "ticket.assigned"));
    assert_false(list_has("ticket.assigned", "ticket.assign"));
    assert_false(list_has("ticket.assigned,ticket.noted", "ticket.note"));
    assert_true(list_has("*", "ticket.breached"));
}

static void the_back_off_spends_about_a_day_in_twelve_tries(void **state)
{
    (void)state;
    assert_int_equal(webhook_backoff(1), 30 * 1000);
    assert_int_equal(webhook_backoff(2), 60 * 1000);
    int64_t total = 0;
    int n = 1;
    for (; webhook_backoff(n) > 0; n++) {
        assert_true(n == 1 || webhook_backoff(n) >= webhook_backoff(n - 1));
        total += webhook_backoff(n);
    }
    assert_int_equal(n, 12); /* the twelfth failure gives up */
    assert_true(total > 23 * 3600 * 1000LL && total <= 24 * 3600 * 1000LL);
    assert_int_equal(webhook_backoff(0), -1);
}

static void the_signature_is_the_hex_hmac_sha256_of_the_body(void **state)
{
    (void)state;
    char sig[WEBHOOK_SIGNATURE_LEN];
    /* RFC 4231, test case 2 */
    const char *body = "what do ya want for nothing?";
    webhook_sign("Jefe", body, strlen(body), sig);
    assert_string_equal(sig,
                        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_address_is_http_or_https_with_a_host),
        cmocka_unit_test(a_kind_is_found_in_the_list_or_under_the_star),
        cmocka_unit_test(the_back_off_spends_about_a_day_in_twelve_tries),
        cmocka_unit_test(the_signature_is_the_hex_hmac_sha256_of_the_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
