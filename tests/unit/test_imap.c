/* test_imap.c: the IMAP client's reading and writing that needs no server: literals, UID sets,
 * the mailbox of an address, capabilities, and the untagged answers it acts on
 * (channels/imap.c; the sessions themselves are tested against Dovecot in tests/api). */
#define _GNU_SOURCE /* imap.c uses strcasestr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "channels/imap.c" /* its parsers are static */

static void a_line_ending_in_a_literal_gives_its_size(void **state)
{
    (void)state;
    const char *l = "* 1 FETCH (UID 5 BODY[] {123}";
    assert_int_equal(literal_at_end(l, strlen(l)), 123);
    assert_int_equal(literal_at_end("x {12+}", 7), 12);
    assert_int_equal(literal_at_end("{0}", 3), 0);
    assert_int_equal(literal_at_end("abc}", 4), -1);
    assert_int_equal(literal_at_end("a {}", 4), -1);
    assert_int_equal(literal_at_end("a {x}", 5), -1);
    assert_int_equal(literal_at_end("* OK done", 9), -1);
    assert_int_equal(literal_at_end("{1234567890123}", 15), -1); /* too long to be believed */
}

static void uids_become_ranges(void **state)
{
    (void)state;
    const uint32_t uids[] = {1, 2, 3, 5, 7, 8, 4000000000u};
    struct strbuf sb = STRBUF_INIT(1024);
    uid_set(&sb, uids, 7);
    assert_string_equal(sb.buf, "1:3,5,7:8,4000000000");
    strbuf_reset(&sb);
    uid_set(&sb, uids + 3, 1);
    assert_string_equal(sb.buf, "5");
    strbuf_release(&sb);
}

static void the_mailbox_is_the_path_of_the_address(void **state)
{
    (void)state;
    char box[64];
    assert_int_equal(mailbox_of("imaps://imap.example.com:993/INBOX", box, sizeof(box)), 0);
    assert_string_equal(box, "\"INBOX\"");
    assert_int_equal(mailbox_of("imap://imap.example.com", box, sizeof(box)), 0);
    assert_string_equal(box, "\"INBOX\"");
    assert_int_equal(mailbox_of("imap://h/", box, sizeof(box)), 0);
    assert_string_equal(box, "\"INBOX\"");
    assert_int_equal(mailbox_of("imap://h/Support%20Mail;UIDVALIDITY=5", box, sizeof(box)), 0);
    assert_string_equal(box, "\"Support Mail\"");
    assert_int_equal(mailbox_of("imap://h/INBOX/Kefu/", box, sizeof(box)), 0);
    assert_string_equal(box, "\"INBOX/Kefu\"");
    assert_int_equal(mailbox_of("imap://h/a\"b\\c", box, sizeof(box)), 0);
    assert_string_equal(box, "\"a\\\"b\\\\c\"");
    assert_int_equal(mailbox_of("imap://h/&UXZO1mWHTvZZOQ-", box, sizeof(box)), 0);
    assert_string_equal(box, "\"&UXZO1mWHTvZZOQ-\"");
    assert_int_equal(mailbox_of("imap://h/%E4%B8%AD", box, sizeof(box)), -1); /* not ASCII */
    assert_int_equal(mailbox_of("imap://h/中", box, sizeof(box)), -1);
}

static void capabilities_are_whole_words(void **state)
{
    (void)state;
    assert_true(has_word("CAPABILITY IMAP4rev1 IDLE MOVE", "IDLE"));
    assert_true(has_word("[CAPABILITY IMAP4rev1 idle]", "IDLE"));
    assert_false(has_word("CAPABILITY IMAP4rev1 XIDLE", "IDLE"));
    assert_false(has_word("CAPABILITY IMAP4rev1 IDLEX", "IDLE"));
    assert_true(has_word("CAPABILITY MOVE", "MOVE"));
}

static uint32_t got_uid;
static size_t got_len;

static int take(void *arg, uint32_t uid, char *raw, size_t len)
{
    (void)arg;
    got_uid = uid;
    got_len = len;
    free(raw);
    return 0;
}

static void untagged_answers_are_noted(void **state)
{
    (void)state;
    struct imap im = {0};
    untagged(&im, "OK [UIDVALIDITY 1796229878] UIDs valid", NULL, 0, 0, NULL);
    assert_int_equal(im.uidvalidity, 1796229878u);
    untagged(&im, "OK [PERMANENTFLAGS (\\Answered \\Seen)] Limited", NULL, 0, 0, NULL);
    assert_false(im.keywords);
    untagged(&im, "OK [PERMANENTFLAGS (\\Seen \\*)] Flags permitted.", NULL, 0, 0, NULL);
    assert_true(im.keywords);
    untagged(&im, "CAPABILITY IMAP4rev1 IDLE UIDPLUS", NULL, 0, 0, NULL);
    assert_true(im.can_idle);
    assert_true(im.can_uidplus);
    assert_false(im.can_move);
    untagged(&im, "3 EXISTS", NULL, 0, 0, NULL);
    assert_true(im.exists);

    struct collect cx = {0};
    untagged(&im, "SEARCH 7 3 12", NULL, 0, 0, &cx);
    assert_int_equal(cx.n, 3);
    assert_int_equal(cx.uids[0], 7);
    assert_int_equal(cx.uids[2], 12);
    free(cx.uids);

    struct collect fx = {.fn = take, .max_bytes = 100};
    char *raw = malloc(6);
    memcpy(raw, "hello", 6);
    untagged(&im, "2 FETCH (UID 41 BODY[] {5})", raw, 5, 0, &fx);
    assert_int_equal(got_uid, 41);
    assert_int_equal(got_len, 5);
    /* a mail over the limit: no bytes, its size */
    untagged(&im, "3 FETCH (BODY[] {900} UID 42)", NULL, 900, 1, &fx);
    assert_int_equal(got_uid, 42);
    assert_int_equal(got_len, 900);
    /* a FETCH of flags alone (another client's change) is no mail */
    got_uid = 0;
    untagged(&im, "4 FETCH (UID 43 FLAGS (\\Seen))", NULL, 0, 0, &fx);
    assert_int_equal(got_uid, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_line_ending_in_a_literal_gives_its_size),
        cmocka_unit_test(uids_become_ranges),
        cmocka_unit_test(the_mailbox_is_the_path_of_the_address),
        cmocka_unit_test(capabilities_are_whole_words),
        cmocka_unit_test(untagged_answers_are_noted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
