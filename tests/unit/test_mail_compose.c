/* test_mail_compose.c: an outgoing mail as it goes on the wire: encoded words no longer than
 * RFC 2047 allows, threading headers, CRLF lines, attachments (channels/mail_compose.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "channels/mail_compose.c" /* header_words is static */
#include "channels/mail_text.h"
#include "lib/text.h"

static void ascii_text_stays_as_it_is(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    assert_string_equal(header_words(&a, "Re: order 42 [#MAIL-1]"), " Re: order 42 [#MAIL-1]\n");
    arena_release(&a);
}

static void long_chinese_text_becomes_short_words_of_whole_characters(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    const char *s = "Re: 空调漏水报修,师傅上门时间改到明天下午两点,请您在家等候并保持电话畅通 "
                    "[#MAIL-20231002-001]";
    const char *w = header_words(&a, s);
    size_t lines = 0;
    for (const char *p = w; *p; lines++) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        assert_true(nl - p - 1 <= 75); /* the word, after the folding space */
        p = nl + 1;
    }
    assert_true(lines > 2);
    /* the words read back as the text: no character was cut in two */
    const char *back = mail_decode_text(&a, w, strlen(w));
    assert_string_equal(back, s);
    arena_release(&a);
}

static void a_reply_is_threaded_in_crlf_lines_with_its_files(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct mail_file f = {"维修单.pdf", "application/pdf", "%PDF-1.4", 8};
    struct mail_due d = {.id = 1,
                         .channel = "MAIL",
                         .kind = "reply",
                         .to = "wang@example.com",
                         .subject = "Re: 漏水 [#MAIL-1]",
                         .text = "您好\n明天上门",
                         .mail_id = "kefu.1@kefu.example.com",
                         .in_reply_to = "b@c",
                         .refs = "a@c kefu.0@kefu.example.com b@c",
                         .created_at = 1696212000000,
                         .files = &f,
                         .nfiles = 1};
    char *raw;
    size_t len;
    const char *sender;
    assert_int_equal(
        mail_compose(&d, "客服中心 <service@kefu.example.com>", &a, &raw, &len, &sender, NULL), 0);
    assert_string_equal(sender, "service@kefu.example.com");
    assert_non_null(strstr(raw, "\r\nIn-Reply-To: <b@c>\r\n"));
    assert_non_null(strstr(raw, "\r\nReferences: <a@c> <kefu.0@kefu.example.com> <b@c>\r\n"));
    assert_non_null(strstr(raw, "\r\nMessage-Id: <kefu.1@kefu.example.com>\r\n"));
    assert_non_null(strstr(raw, "\r\nTo: wang@example.com\r\n"));
    assert_null(strstr(raw, "Auto-Submitted"));
    assert_non_null(strstr(raw, "Content-Type: multipart/mixed"));
    assert_non_null(strstr(raw, "Content-Disposition: attachment;"));
    assert_non_null(strstr(raw, "filename*=UTF-8''%E7%BB%B4%E4%BF%AE%E5%8D%95.pdf")); /* RFC 2231 */
    for (size_t i = 0; i < len; i++)
        if (raw[i] == '\n')
            assert_true(i > 0 && raw[i - 1] == '\r');
    d.kind = "ack";
    d.nfiles = 0;
    assert_int_equal(mail_compose(&d, "service@kefu.example.com", &a, &raw, &len, &sender, NULL),
                     0);
    assert_non_null(strstr(raw, "\r\nAuto-Submitted: auto-replied\r\n"));
    assert_non_null(strstr(raw, "Content-Type: text/plain; charset=utf-8"));
    struct kf_error e = {0};
    assert_int_equal(mail_compose(&d, "no address", &a, &raw, &len, &sender, &e), KF_EINVAL);
    assert_string_equal(e.field, "from");
    arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ascii_text_stays_as_it_is),
        cmocka_unit_test(long_chinese_text_becomes_short_words_of_whole_characters),
        cmocka_unit_test(a_reply_is_threaded_in_crlf_lines_with_its_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
