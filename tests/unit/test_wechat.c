/* test_wechat.c: SHA-1 against the FIPS 180 examples, and the WeChat message XML: what is read,
 * what is refused, and the passive reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "channels/wechat_in.h"
#include "channels/wechat_xml.h"
#include "lib/arena.h"
#include "lib/err.h"
#include "lib/sha1.h"
#include "lib/strbuf.h"

static void sha1_matches_the_fips_examples(void **state)
{
    (void)state;
    char hex[SHA1_HEX_LEN];
    sha1_hex("abc", 3, hex);
    assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    sha1_hex("", 0, hex);
    assert_string_equal(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha1_hex(two, strlen(two), hex);
    assert_string_equal(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    /* a million 'a', given in uneven pieces so that blocks are filled across calls */
    struct sha1 s;
    unsigned char d[SHA1_LEN];
    char chunk[997];
    memset(chunk, 'a', sizeof(chunk));
    sha1_init(&s);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof(chunk) ? left : sizeof(chunk);
        sha1_update(&s, chunk, n);
        left -= n;
    }
    sha1_final(&s, d);
    static const unsigned char want[SHA1_LEN] = {0x34, 0xaa, 0x97, 0x3c, 0xd4, 0xc4, 0xda,
                                                 0xa4, 0xf6, 0x1e, 0xeb, 0x2b, 0xdb, 0xad,
                                                 0x27, 0x31, 0x65, 0x34, 0x01, 0x6f};
    assert_memory_equal(d, want, SHA1_LEN);
    /* 55, 56 and 64 bytes: the padding's edge cases, checked against sha1sum */
    char buf[64];
    memset(buf, 'x', sizeof(buf));
    sha1_hex(buf, 55, hex);
    assert_string_equal(hex, "cef734ba81a024479e09eb5a75b6ddae62e6abf1");
    sha1_hex(buf, 56, hex);
    assert_string_equal(hex, "901305367c259952f4e7af8323f480d59f81335b");
    sha1_hex(buf, 64, hex);
    assert_string_equal(hex, "bb2fa3ee7afb9f54c6dfb5d021f14b1ffe40c163");
}

static const char text_msg[] = "<xml><ToUserName><![CDATA[gh_123]]></ToUserName>\n"
                               "<FromUserName><![CDATA[oUser_1]]></FromUserName>\n"
                               "<CreateTime>1764700000</CreateTime>\n"
                               "<MsgType><![CDATA[text]]></MsgType>\n"
                               "<Content><![CDATA[洗衣机 <漏水> & 不转]]></Content>\n"
                               "<MsgId>23456789012345678</MsgId></xml>";

static void a_text_message_is_read(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct wechat_msg m;
    struct kf_error e = {0};
    assert_int_equal(wechat_xml_parse(text_msg, strlen(text_msg), &a, &m, &e), 0);
    assert_string_equal(m.to_user, "gh_123");
    assert_string_equal(m.from_user, "oUser_1");
    assert_string_equal(m.msg_type, "text");
    assert_int_equal(m.create_time, 1764700000);
    assert_string_equal(m.content, "洗衣机 <漏水> & 不转");
    assert_string_equal(m.msg_id, "23456789012345678");
    assert_null(m.media_id);
    assert_null(m.event);
    arena_release(&a);
}

static void entities_declarations_and_nesting(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct wechat_msg m;
    struct kf_error e = {0};
    const char *ok = "<?xml version=\"1.0\"?><!-- c --><xml><ToUserName>gh</ToUserName>"
                     "<FromUserName>o1</FromUserName><CreateTime> 5 </CreateTime>"
                     "<MsgType>event</MsgType><Event>subscribe</Event>"
                     "<Content>a&lt;b&gt;&amp;&quot;&apos;&#20320;&#x597D;</Content>"
                     "<ScanCodeInfo><ScanType>qrcode</ScanType><Empty/></ScanCodeInfo>"
                     "</xml>\n";
    assert_int_equal(wechat_xml_parse(ok, strlen(ok), &a, &m, &e), 0);
    assert_string_equal(m.content, "a<b>&\"'你好");
    assert_string_equal(m.event, "subscribe");
    assert_int_equal(m.create_time, 5);
    assert_null(m.msg_id);

    static const char *const bad[] = {
        "<!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml>&x;</xml>",
        "<xml><Content>&x;</Content></xml>",
        "<xml><Content a=\"1\">x</Content></xml>",
        "<xml><Content>x</Contents></xml>",
        "<xml><Content><![CDATA[x</Content></xml>",
        "<xml><Content>&#0;</Content></xml>",
        "<xml><Content>&#xD800;</Content></xml>",
        "<xml><Content>x</Content>",
        "<xml></xml><xml></xml>",
        "<notxml></notxml>",
        "plain text",
        "",
        "<xml><a><b><c><d><e><f><g><h><i>x</i></h></g></f></e></d></c></b></a></xml>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        e = (struct kf_error){0};
        assert_int_equal(wechat_xml_parse(bad[i], strlen(bad[i]), &a, &m, &e), KF_EINVAL);
        assert_string_equal(e.field, "xml");
        assert_non_null(e.message);
    }
    arena_release(&a);
}

static void fields_are_required_and_checked(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct wechat_msg m;
    struct kf_error e = {0};
    static const struct {
        const char *xml, *field;
    } cases[] = {
        {"<xml><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>"
         "</xml>",
         "ToUserName"},
        {"<xml><ToUserName>g</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>"
         "</xml>",
         "FromUserName"},
        {"<xml><ToUserName>g</ToUserName><FromUserName>o p</FromUserName><CreateTime>1"
         "</CreateTime><MsgType>text</MsgType></xml>",
         "FromUserName"},
        {"<xml><ToUserName>g</ToUserName><FromUserName>o</FromUserName><CreateTime>soon"
         "</CreateTime><MsgType>text</MsgType></xml>",
         "CreateTime"},
        {"<xml><ToUserName>g</ToUserName><FromUserName>o</FromUserName><CreateTime>1"
         "</CreateTime></xml>",
         "MsgType"},
        {"<xml><ToUserName>g</ToUserName><FromUserName>o</FromUserName><CreateTime>1"
         "</CreateTime><MsgType>text</MsgType><MsgId>12a</MsgId></xml>",
         "MsgId"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        e = (struct kf_error){0};
        assert_int_equal(wechat_xml_parse(cases[i].xml, strlen(cases[i].xml), &a, &m, &e),
                         KF_EINVAL);
        assert_string_equal(e.field, cases[i].field);
    }
    /* invalid UTF-8 and a NUL are refused; so is anything over the limit */
    const char nul[] = "<xml>\0</xml>";
    assert_int_equal(wechat_xml_parse(nul, sizeof(nul) - 1, &a, &m, &e), KF_EINVAL);
    const char latin1[] = "<xml><Content>\xe9</Content></xml>";
    assert_int_equal(wechat_xml_parse(latin1, sizeof(latin1) - 1, &a, &m, &e), KF_EINVAL);
    size_t big = WECHAT_XML_MAX + 1;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    assert_int_equal(wechat_xml_parse(huge, big, &a, &m, &e), KF_EINVAL);
    free(huge);
    arena_release(&a);
}

static void the_passive_reply_is_read_back(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT(4096);
    assert_int_equal(wechat_xml_reply_text(&sb, "oUser_1", "gh_123", 1764700001,
                                           "工单 20261202WX0001 已受理 ]]> 谢谢"),
                     0);
    struct arena a = ARENA_INIT;
    struct wechat_msg m;
    struct kf_error e = {0};
    assert_int_equal(wechat_xml_parse(sb.buf, sb.len, &a, &m, &e), 0);
    assert_string_equal(m.to_user, "oUser_1");
    assert_string_equal(m.from_user, "gh_123");
    assert_string_equal(m.msg_type, "text");
    assert_int_equal(m.create_time, 1764700001);
    assert_string_equal(m.content, "工单 20261202WX0001 已受理 ]]> 谢谢");
    arena_release(&a);
    strbuf_release(&sb);
}

static void the_platforms_signature_is_checked(void **state)
{
    (void)state;
    /* sha1("1764700000" "384729" "kefu-token"): the three sorted, as the platform signs */
    const char *sig = "80a61e49581ae0120b48b04b7ba3e3600d456c95";
    assert_true(wechat_signature_ok("kefu-token", "1764700000", "384729", sig));
    assert_true(wechat_signature_ok("kefu-token", "1764700000", "384729",
                                    "80A61E49581AE0120B48B04B7BA3E3600D456C95"));
    assert_false(wechat_signature_ok("kefu-token", "1764700001", "384729", sig));
    assert_false(wechat_signature_ok("other-token", "1764700000", "384729", sig));
    assert_false(wechat_signature_ok("kefu-token", "1764700000", "384729", "80a61e49"));
    assert_false(wechat_signature_ok("kefu-token", NULL, "384729", sig));
    assert_false(wechat_signature_ok("kefu-token", "1764700000", "", sig));
    assert_false(wechat_signature_ok(NULL, "1764700000", "384729", sig));
    assert_false(wechat_signature_ok("kefu-token", "1764700000", "384729", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha1_matches_the_fips_examples),
        cmocka_unit_test(a_text_message_is_read),
        cmocka_unit_test(entities_declarations_and_nesting),
        cmocka_unit_test(fields_are_required_and_checked),
        cmocka_unit_test(the_passive_reply_is_read_back),
        cmocka_unit_test(the_platforms_signature_is_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
