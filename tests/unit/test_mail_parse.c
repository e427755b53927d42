/* test_mail_parse.c: mails from real clients read as their senders wrote them; auto-replies,
 * bounces and lists are told apart; limits refuse; customer HTML is made harmless. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <dirent.h>

#include "channels/html_clean.h"
#include "channels/mail_parse.h"
#include "lib/arena.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "lib/text.h"

#define FIXTURES "tests/fixtures/mail/"

static char *slurp(const char *name, size_t *ret_n)
{
    FILE *f = fopen(name, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *ret_n = (size_t)n;
    return buf;
}

static void assert_utf8(const char *s)
{
    if (s)
        assert_true(utf8_valid(s, strlen(s)));
}

/* Parses a fixture and checks that everything it gives is UTF-8. */
static void parse_fixture(struct arena *a, const char *name, struct mail_in *m)
{
    char path[256];
    snprintf(path, sizeof path, FIXTURES "%s", name);
    size_t n;
    char *raw = slurp(path, &n);
    struct kf_error e = {0};
    assert_int_equal(mail_parse(raw, n, 0, a, m, &e), 0);
    free(raw);
    assert_utf8(m->subject), assert_utf8(m->text), assert_utf8(m->html);
    assert_utf8(m->from.name), assert_utf8(m->from.addr), assert_utf8(m->message_id);
    for (size_t i = 0; i < m->n_attachments; i++)
        assert_utf8(m->attachments[i].filename);
}

static void outlook_gbk_labelled_gb2312_reads_right(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct mail_in m;
    parse_fixture(&a, "outlook-gbk.eml", &m);
    /* 喆 and 堃 are not in GB2312: the label is wrong, the mail is GBK; the subject's two
     * encoded words split a character between them */
    assert_string_equal(m.subject, "空调漏水报修（陶喆）");
    assert_string_equal(m.from.name, "王堃");
    assert_string_equal(m.from.addr, "wang.kun@example.com");
    assert_int_equal(m.n_to, 1);
    assert_string_equal(m.to[0].name, "售后服务");
    assert_int_equal(m.n_cc, 2);
    assert_string_equal(m.cc[0].addr, "li.ming@example.com");
    assert_string_equal(m.cc[1].name, "Zhao, Lei");
    assert_string_equal(m.cc[1].addr, "zhao.lei@example.com");
    assert_string_equal(m.message_id, "000001d9f4c3$0a1b2c30$1e518490$@Example.COM");
    assert_int_equal(m.date, 1696208712000); /* 2023-10-02 09:05:12 +08:00 */
    assert_string_equal(m.text, "您好：\n\n我家的空调漏水了，型号KFR-35GW，去年在贵店购买。\n"
                                "联系人：陶喆，电话13812345678。\n\n王堃");
    assert_non_null(strstr(m.html, "<p class=MsoNormal>联系人：陶喆，电话13812345678。</p>"));
    assert_int_equal(m.n_attachments, 1);
    assert_string_equal(m.attachments[0].filename, "漏水照片.jpg");
    assert_string_equal(m.attachments[0].content_type, "image/jpeg");
    assert_int_equal(m.attachments[0].size, 1030);
    assert_false(m.attachments[0].is_inline);
    assert_memory_equal(m.attachments[0].data, "\xFF\xD8\xFF\xE0", 4);
    assert_false(m.auto_reply || m.bounce || m.list);
    arena_release(&a);
}

static void foxmail_gb18030_and_big5_read_right(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct mail_in m;
    parse_fixture(&a, "foxmail-gb18030.eml", &m);
    assert_string_equal(m.subject, "冰箱还没送到");
    assert_string_equal(m.from.name, "李明");
    assert_string_equal(m.text, "客服您好，\n\n订单号 20231001001 的冰箱还没有送到，麻烦帮忙查一下"
                                "物流。生僻字测试：㐀。\n\n李明");
    assert_non_null(strstr(m.html, "<div>李明</div>"));
    assert_int_equal(m.n_attachments, 0);

    parse_fixture(&a, "big5.eml", &m);
    assert_string_equal(m.subject, "冷氣漏水");
    assert_string_equal(m.from.name, "林小姐");
    assert_string_equal(m.text, "您好，我的冷氣漏水，型號KFR-35GW，請派師傅來看看。謝謝！");
    arena_release(&a);
}

static void qq_mail_inline_image_is_kept_by_its_cid(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct mail_in m;
    parse_fixture(&a, "qqmail-inline.eml", &m);
    assert_string_equal(m.from.name, "小周");
    assert_string_equal(m.from.addr, "123456789@qq.com");
    assert_string_equal(m.subject, "发票抬头错了");
    assert_string_equal(m.text, "发票抬头写错了，正确的见下图：\n谢谢！");
    assert_int_equal(m.n_attachments, 1);
    const struct mail_attachment *at = &m.attachments[0];
    assert_string_equal(at->filename, "截图.png");
    assert_string_equal(at->content_type, "image/png");
    assert_string_equal(at->content_id, "part1.4F2C8A@qq.com");
    assert_true(at->is_inline);
    assert_int_equal(at->size, 73);
    assert_memory_equal(at->data, "\x89PNG", 4);
    /* shown safely: the image by cid stays, its handler and the tracker script go */
    assert_string_equal(html_clean(&a, m.html, strlen(m.html)),
                        "<div>发票抬头写错了，正确的见下图：</div><div><img "
                        "src=\"cid:part1.4F2C8A@qq.com\"></div><div>谢谢！</div>");
    arena_release(&a);
}

static void iphone_flowed_text_and_rfc2231_filename(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct mail_in m;
    parse_fixture(&a, "iphone-flowed.eml", &m);
    assert_string_equal(m.from.name, "陈静");
    assert_string_equal(m.subject, "吸尘器开不了机");
    assert_string_equal(m.message_id, "8B5C4F1E-2D3A-4B6C-9E8F-1A2B3C4D5E6F@icloud.com");
    /* the soft line break of format=flowed; delsp=yes joins the two lines */
    assert_string_equal(m.text, "你好，我昨天收到的吸尘器开不了机，充电一晚上也没有反应。麻烦看一下"
                                "怎么处理，发票在附件里。\n\n发自我的iPhone");
    assert_null(m.html);
    assert_int_equal(m.n_attachments, 1);
    assert_string_equal(m.attachments[0].filename, "发票 2023.pdf");
    assert_string_equal(m.attachments[0].content_type, "application/pdf");
    assert_int_equal(m.attachments[0].size, 1095);
    assert_memory_equal(m.attachments[0].data, "%PDF-1.4", 8);
    arena_release(&a);
}

static void html_only_newsletter_is_a_list_and_reads_as_text(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct mail_in m;
    parse_fixture(&a, "newsletter-html.eml", &m);
    assert_true(m.list);
    assert_true(m.auto_reply); /* Precedence: bulk */
    assert_false(m.bounce);
    assert_string_equal(m.text, "十月会员周报\n\n亲爱的会员：\n\n本周家电 满1000减100… <限时> & "
                                "包邮！\n\n- 空调清洗 ¥99\n- 冰箱除味 ¥49\n\n退订 领券");
    char *clean = html_clean(&a, m.html, strlen(m.html));
    assert_null(strstr(clean, "script"));
    assert_null(strstr(clean, "javascript"));
    assert_null(strstr(clean, "onclick"));
    assert_null(strstr(clean, "open.gif")); /* the tracking pixel is no cid: image */
    assert_null(strstr(clean, "hidden"));
    assert_non_null(strstr(clean, "<a href=\"https://shop.example.com/unsub?u=42\" "
                                  "rel=\"nofollow noopener noreferrer\">退订</a>"));
    assert_non_null(strstr(clean, "&lt;限时&gt; &amp; 包邮！"));
    arena_release(&a);
}

static void auto_replies_bounces_and_plain_mail_are_told_apart(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct mail_in m;
    parse_fixture(&a, "auto-reply-oof.eml", &m);
    assert_true(m.auto_reply);
    assert_false(m.bounce);
    assert_string_equal(m.subject, "Automatic reply: Re: [#MAIL-20231002-001] 空调漏水报修");

    parse_fixture(&a, "auto-reply-zh.eml", &m); /* only its subject says so */
    assert_true(m.auto_reply);
    assert_string_equal(m.subject, "自动回复：您的邮件已收到");
    assert_string_equal(m.from.name, "刘经理");

    parse_fixture(&a, "dsn-bounce.eml", &m);
    assert_true(m.bounce);
    assert_string_equal(m.from.addr, "mailer-daemon@mx.kefu.example.com");
    assert_string_equal(m.from.name, "Mail Delivery System");
    assert_string_equal(m.bounced_message_id, "reply-42@kefu.example.com");
    assert_non_null(strstr(m.text, "Recipient address rejected: User unknown"));
    assert_int_equal(m.n_attachments, 2);
    assert_string_equal(m.attachments[0].content_type, "message/delivery-status");
    assert_string_equal(m.attachments[1].content_type, "message/rfc822");
    assert_string_equal(m.attachments[1].filename, "Re: 空调漏水 [#MAIL-20231002-001].eml");

    static const char *const plain[] = {"outlook-gbk.eml", "foxmail-gb18030.eml",
                                        "reply-thread.eml", "iphone-flowed.eml", NULL};
    for (const char *const *f = plain; *f; f++) {
        parse_fixture(&a, *f, &m);
        assert_false(m.auto_reply || m.bounce || m.list);
    }

    static const char postmaster[] = "From: Postmaster <POSTMASTER@example.net>\r\n"
                                     "Subject: Delivery failure\r\n\r\nsorry\r\n";
    struct kf_error e = {0};
    assert_int_equal(mail_parse(postmaster, sizeof postmaster - 1, 0, &a, &m, &e), 0);
    assert_true(m.bounce);
    static const char not_auto[] = "From: a@example.com\r\nAuto-Submitted: no\r\n"
                                   "Subject: hi\r\n\r\nx\r\n";
    assert_int_equal(mail_parse(not_auto, sizeof not_auto - 1, 0, &a, &m, &e), 0);
    assert_false(m.auto_reply);
    static const char empty_return[] = "Return-Path: <>\r\nFrom: x@example.com\r\n\r\nx\r\n";
    assert_int_equal(mail_parse(empty_return, sizeof empty_return - 1, 0, &a, &m, &e), 0);
    assert_true(m.bounce);
    arena_release(&a);
}

static void replies_carry_their_thread_and_ticket_number(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct mail_in m;
    parse_fixture(&a, "reply-thread.eml", &m);
    assert_string_equal(m.subject, "回复: 答复: 空调漏水报修 [#MAIL-20231002-001]");
    assert_string_equal(mail_subject_strip(&a, m.subject), "空调漏水报修 [#MAIL-20231002-001]");
    char ref[32];
    assert_true(mail_ticket_ref(m.subject, ref, sizeof ref));
    assert_string_equal(ref, "MAIL-20231002-001");
    assert_int_equal(m.n_in_reply_to, 1);
    assert_string_equal(m.in_reply_to[0], "reply-1@kefu.example.com");
    assert_int_equal(m.n_references, 2);
    assert_string_equal(m.references[0], "000001d9f4c3$0a1b2c30$1e518490$@Example.COM");
    assert_string_equal(m.references[1], "reply-1@kefu.example.com");
    assert_string_equal(m.text, "师傅明天下午两点可以上门吗？\n\n> 您好，我们已安排师傅上门。");

    assert_true(mail_ticket_ref("Re: 退款 [#TEL-20231002-001] 加急", ref, sizeof ref));
    assert_string_equal(ref, "TEL-20231002-001");
    assert_true(mail_ticket_ref("[#] [#abc] [#20231001001]", ref, sizeof ref));
    assert_string_equal(ref, "20231001001");
    assert_false(mail_ticket_ref("订单 #20231001001", ref, sizeof ref));
    assert_false(mail_ticket_ref("[#MAIL-20231002-001", ref, sizeof ref));
    assert_false(mail_ticket_ref("[#MAIL-20231002-001]", ref, 8)); /* does not fit */
    assert_string_equal(ref, "");
    assert_false(mail_ticket_ref(NULL, ref, sizeof ref));

    assert_string_equal(mail_subject_strip(&a, "RE[2]: Fwd: 转发： 回复：答复:发票"), "发票");
    assert_string_equal(mail_subject_strip(&a, "Fw:  Re : 空调"), "空调");
    assert_string_equal(mail_subject_strip(&a, "Reply needed"), "Reply needed");
    assert_string_equal(mail_subject_strip(&a, "Re:"), "");
    arena_release(&a);
}

static void a_mail_without_id_or_date_gets_a_stable_id(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct mail_in m, again;
    parse_fixture(&a, "no-id-no-date.eml", &m);
    parse_fixture(&a, "no-id-no-date.eml", &again);
    assert_true(m.message_id_synthetic);
    assert_string_equal(m.message_id, again.message_id); /* the same mail twice is one */
    assert_non_null(strstr(m.message_id, "@kefu.invalid"));
    assert_int_equal(m.date, 0);
    assert_string_equal(m.from.addr, "someone@example.org");
    assert_string_equal(m.from.name, "");
    assert_string_equal(m.text, "Hello, where is my order 20231001001?");

    static const char other[] = "From: someone@example.org\nSubject: question about my order\n"
                                "\nAnother question\n";
    struct kf_error e = {0};
    assert_int_equal(mail_parse(other, sizeof other - 1, 0, &a, &again, &e), 0);
    assert_string_not_equal(m.message_id, again.message_id);
    arena_release(&a);
}

static void broken_mime_is_read_as_far_as_it_goes(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct mail_in m;
    parse_fixture(&a, "broken-mime.eml", &m);
    assert_int_equal(m.date, 0); /* "not a date at all" */
    assert_string_equal(m.message_id, "broken-1@example.com");
    assert_true(strncmp(m.subject, "报修abc", strlen("报修abc")) == 0);
    assert_true(strncmp(m.text, "报修：洗衣机不转。", strlen("报修：洗衣机不转。")) == 0);
    assert_int_equal(m.n_attachments, 1); /* the part that never ends is kept */
    assert_string_equal(m.attachments[0].filename, "log.txt");
    assert_true(m.attachments[0].size >= 12);
    assert_memory_equal(m.attachments[0].data, "hello world\n", 12);

    /* raw 8-bit header bytes: GBK in the subject, UTF-8 in the name, nothing labelled */
    parse_fixture(&a, "raw-8bit-header.eml", &m);
    assert_string_equal(m.subject, "退货申请");
    assert_string_equal(m.from.name, "张三");
    assert_string_equal(m.text, "我要退货，订单号20231001001。 \xEF\xBF\xBD"); /* a stray byte */
    arena_release(&a);
}

static void charsets_and_encodings_of_headers_and_bodies(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct mail_in m;
    struct kf_error e = {0};
    static const char latin[] = "From: =?iso-8859-1?Q?Andr=E9_M=FCller?= <andre@example.de>\r\n"
                                "Subject: =?windows-1252?Q?=80_caf=E9?=  =?utf-8?q?_=E2=9C=93?=\r\n"
                                "Content-Type: text/plain; charset=iso-8859-1\r\n"
                                "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                                "Caf=E9 =\r\nau lait =80\r\n";
    assert_int_equal(mail_parse(latin, sizeof latin - 1, 0, &a, &m, &e), 0);
    assert_string_equal(m.from.name, "André Müller");
    assert_string_equal(m.subject, "€ café ✓");
    assert_string_equal(m.text, "Café au lait €");

    /* a body in no charset at all, GBK bytes; an undecodable UTF-8 body */
    static const char bad[] = "From: x@example.com\r\nSubject: =?utf-8?B?5L2g\xff?=\r\n"
                              "Content-Type: text/plain; charset=utf-8\r\n\r\nok \xC3\x28 ok\r\n";
    assert_int_equal(mail_parse(bad, sizeof bad - 1, 0, &a, &m, &e), 0);
    assert_string_equal(m.subject, "你");
    assert_string_equal(m.text, "ok \xEF\xBF\xBD( ok");
    static const char unknown_cs[] = "From: x@example.com\r\n"
                                     "Content-Type: text/plain; charset=klingon-8\r\n\r\n"
                                     "\xc4\xe3\xba\xc3\r\n";
    assert_int_equal(mail_parse(unknown_cs, sizeof unknown_cs - 1, 0, &a, &m, &e), 0);
    assert_string_equal(m.text, "你好"); /* an unknown label: read as if none was given */
    arena_release(&a);
}

static void limits_are_refused_with_a_reason(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct mail_in m;
    memset(&m, 0, sizeof m);
    struct kf_error e = {0};
    static const char small[] = "From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n";
    assert_int_equal(mail_parse(small, sizeof small - 1, 20, &a, &m, &e), KF_EINVAL);
    assert_string_equal(e.field, "mail");
    assert_string_equal(e.message, "the mail is larger than 20 bytes");
    assert_null(m.subject); /* untouched */

    assert_int_equal(mail_parse("", 0, 0, &a, &m, &e), KF_EINVAL);
    assert_string_equal(e.message, "the mail has no header");

    struct strbuf sb = STRBUF_INIT(1 << 24);
    /* 25 multiparts inside each other */
    strbuf_addstr(&sb, "From: a@example.com\r\n");
    for (int i = 0; i < 25; i++)
        strbuf_addf(&sb, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i);
    strbuf_addstr(&sb, "Content-Type: text/plain\r\n\r\ndeep\r\n");
    assert_int_equal(mail_parse(sb.buf, sb.len, 0, &a, &m, &e), KF_EINVAL);
    assert_string_equal(e.message, "the mail nests its parts more than 20 deep");

    /* 150 parts side by side */
    strbuf_reset(&sb);
    strbuf_addstr(&sb, "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n");
    for (int i = 0; i < 150; i++)
        strbuf_addf(&sb, "--B\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i);
    strbuf_addstr(&sb, "--B--\r\n");
    assert_int_equal(mail_parse(sb.buf, sb.len, 0, &a, &m, &e), KF_EINVAL);
    assert_string_equal(e.message, "the mail has more than 100 parts");

    /* a hundred thousand nested multiparts are refused before anything reads them */
    strbuf_reset(&sb);
    strbuf_addstr(&sb, "From: a@example.com\r\n");
    for (int i = 0; i < 100000; i++)
        strbuf_addstr(&sb, "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n");
    assert_int_equal(mail_parse(sb.buf, sb.len, 0, &a, &m, &e), KF_EINVAL);
    assert_string_equal(e.message, "the mail has more than 100 parts");

    /* within the limits, the same shapes parse */
    strbuf_reset(&sb);
    strbuf_addstr(&sb, "From: a@example.com\r\n");
    for (int i = 0; i < 10; i++)
        strbuf_addf(&sb, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i);
    strbuf_addstr(&sb, "Content-Type: text/plain\r\n\r\ndeep\r\n");
    assert_int_equal(mail_parse(sb.buf, sb.len, 0, &a, &m, &e), 0);
    assert_string_equal(m.text, "deep");
    strbuf_release(&sb);
    arena_release(&a);
}

static void a_15_mb_attachment_arrives_whole(void **state)
{
    (void)state;
    enum { SIZE = 15 * 1024 * 1024 };
    unsigned char *data = malloc(SIZE);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < SIZE; i++) { /* xorshift: incompressible, reproducible */
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        data[i] = (unsigned char)x;
    }
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    struct strbuf sb = STRBUF_INIT(MAIL_MAX_BYTES);
    strbuf_addstr(&sb, "From: =?utf-8?B?5byg5LiJ?= <zhangsan@example.cn>\r\n"
                       "Subject: =?utf-8?B?6KeG6aKR6K+B5o2u?=\r\nMIME-Version: 1.0\r\n"
                       "Content-Type: multipart/mixed; boundary=\"big\"\r\n\r\n--big\r\n"
                       "Content-Type: text/plain; charset=utf-8\r\n\r\nvideo attached\r\n"
                       "--big\r\nContent-Type: video/mp4\r\nContent-Transfer-Encoding: base64\r\n"
                       "Content-Disposition: attachment; filename=\"=?utf-8?B?"
                       "6KeG6aKRLm1wNA==?=\"\r\n\r\n");
    char line[80];
    size_t col = 0;
    for (size_t i = 0; i < SIZE; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (i + 1 < SIZE ? data[i + 1] : 0) << 8 |
                     (i + 2 < SIZE ? data[i + 2] : 0);
        line[col++] = b64[v >> 18 & 63], line[col++] = b64[v >> 12 & 63];
        line[col++] = i + 1 < SIZE ? b64[v >> 6 & 63] : '=';
        line[col++] = i + 2 < SIZE ? b64[v & 63] : '=';
        if (col == 76 || i + 3 >= SIZE) {
            line[col++] = '\r', line[col++] = '\n';
            strbuf_add(&sb, line, col);
            col = 0;
        }
    }
    strbuf_addstr(&sb, "--big--\r\n");
    assert_false(sb.overflow);
    struct arena a = ARENA_INIT;
    struct mail_in m;
    struct kf_error e = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(mail_parse(sb.buf, sb.len, 0, &a, &m, &e), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_message("15 MB attachment (%zu bytes of mail) parsed in %.0f ms\n", sb.len,
                  (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    assert_string_equal(m.subject, "视频证据");
    assert_string_equal(m.text, "video attached");
    assert_int_equal(m.n_attachments, 1);
    assert_string_equal(m.attachments[0].filename, "视频.mp4");
    assert_string_equal(m.attachments[0].content_type, "video/mp4");
    assert_int_equal(m.attachments[0].size, SIZE);
    assert_memory_equal(m.attachments[0].data, data, SIZE);

    /* the same mail over a 10 MB limit is refused */
    assert_int_equal(mail_parse(sb.buf, sb.len, 10 * 1024 * 1024, &a, &m, &e), KF_EINVAL);
    assert_string_equal(e.message, "the mail is larger than 10485760 bytes");
    arena_release(&a);
    strbuf_release(&sb);
    free(data);
}

static void hostile_html_is_made_harmless(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"<p>hi<script>alert(1)</script></p>", "<p>hi</p>"},
        {"<img src=x onerror=alert(1)>", ""},
        {"<img src=\"cid:a@b\" onerror=\"alert(1)\" alt='图'>", "<img src=\"cid:a@b\" alt=\"图\">"},
        {"<a href=\"javascript:alert(1)\">x</a>", "<a rel=\"nofollow noopener noreferrer\">x</a>"},
        {"<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
         "<a rel=\"nofollow noopener noreferrer\">x</a>"},
        {"<a href=\" JaVaScRiPt:alert(1)\">x</a>", "<a rel=\"nofollow noopener noreferrer\">x</a>"},
        {"<a href='mailto:a@example.com' target=_blank>m</a>",
         "<a href=\"mailto:a@example.com\" rel=\"nofollow noopener noreferrer\">m</a>"},
        {"<a href=\"https://x.example/?a=1&amp;b=\">\">y</a>",
         "<a href=\"https://x.example/?a=1&amp;b=\" rel=\"nofollow noopener noreferrer\">&quot;&gt;"
         "y</a>"},
        {"<scr<script>ipt>alert(1)</script>", "ipt&gt;alert(1)"}, /* harmless text */
        {"<<script>script>alert(1)<</script>/script>", "&lt;/script&gt;"},
        {"<div style=\"background:url(javascript:x)\" class=a onclick=x>t</div>", "<div>t</div>"},
        {"<b>unclosed <i>tags", "<b>unclosed <i>tags</i></b>"},
        {"</p></div>text</b>", "text"},
        {"<iframe src=//evil></iframe><object data=x></object><svg onload=x><g/></svg>ok", "ok"},
        {"<form action=x><input name=p value=secret>send</form>", "send"},
        {"<!-- <script>x</script> -->after", "after"},
        {"<style>body{}</style><p>1 < 2 & \"3\"</p>", "<p>1 &lt; 2 &amp; &quot;3&quot;</p>"},
        {"<p title=\"x\" onmouseover=\"y\">&lt;script&gt;</p>", "<p>&lt;script&gt;</p>"},
        {"<img src=\"cid:x\"", ""},
        {"<table><tr><td colspan=2 width=9>c</td></tr></table>",
         "<table><tr><td colspan=\"2\">c</td></tr></table>"},
        {"<SCRIPT SRC=//x></SCRIPT><ScRiPt>y</sCrIpT>z", "z"},
        {"<math><mi xlink:href=javascript:x>m</mi></math><br/>", "<br>"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = html_clean(&a, cases[i].in, strlen(cases[i].in));
        if (strcmp(out, cases[i].out) != 0)
            print_message("case %zu: %s\n", i, out);
        assert_string_equal(out, cases[i].out);
    }
    /* a thousand nested divs: closed again, never more than the stack */
    struct strbuf sb = STRBUF_INIT(1 << 20);
    for (int i = 0; i < 1000; i++)
        strbuf_addstr(&sb, "<div>");
    char *out = html_clean(&a, sb.buf, sb.len);
    size_t opens = 0, closes = 0;
    for (char *p = out; (p = strstr(p, "<div>")); p++)
        opens++;
    for (char *p = out; (p = strstr(p, "</div>")); p++)
        closes++;
    assert_true(opens > 0 && opens == closes);
    strbuf_release(&sb);

    assert_string_equal(html_to_text(&a, "<p>a&nbsp;b</p><p>c<br>d</p><script>x</script>", 46),
                        "a b\n\nc\nd");
    arena_release(&a);
}

/* Every mail of the corpus, and every input the fuzzer ever crashed on, parses or is refused
 * with a reason, and gives UTF-8. */
static void every_committed_mail_parses(void **state)
{
    (void)state;
    static const char *const dirs[] = {FIXTURES, FIXTURES "crashes/", NULL};
    size_t parsed = 0;
    for (const char *const *d = dirs; *d; d++) {
        DIR *dir = opendir(*d);
        if (!dir) {
            assert_true(d != dirs); /* the corpus itself must be there */
            continue;
        }
        struct dirent *de;
        while ((de = readdir(dir))) {
            if (de->d_name[0] == '.' || strcmp(de->d_name, "crashes") == 0)
                continue;
            char path[512];
            snprintf(path, sizeof path, "%s%s", *d, de->d_name);
            size_t n;
            char *raw = slurp(path, &n);
            struct arena a = ARENA_INIT;
            struct mail_in m;
            struct kf_error e = {0};
            int rc = mail_parse(raw, n, 0, &a, &m, &e);
            if (rc == 0) {
                assert_utf8(m.subject), assert_utf8(m.text), assert_utf8(m.html);
                if (m.html)
                    assert_utf8(html_clean(&a, m.html, strlen(m.html)));
            } else {
                assert_int_equal(rc, KF_EINVAL);
                assert_non_null(e.message);
            }
            assert_utf8(html_clean(&a, raw, n));
            free(raw);
            arena_release(&a);
            parsed++;
        }
        closedir(dir);
    }
    assert_true(parsed >= 13);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(outlook_gbk_labelled_gb2312_reads_right),
        cmocka_unit_test(foxmail_gb18030_and_big5_read_right),
        cmocka_unit_test(qq_mail_inline_image_is_kept_by_its_cid),
        cmocka_unit_test(iphone_flowed_text_and_rfc2231_filename),
        cmocka_unit_test(html_only_newsletter_is_a_list_and_reads_as_text),
        cmocka_unit_test(auto_replies_bounces_and_plain_mail_are_told_apart),
        cmocka_unit_test(replies_carry_their_thread_and_ticket_number),
        cmocka_unit_test(a_mail_without_id_or_date_gets_a_stable_id),
        cmocka_unit_test(broken_mime_is_read_as_far_as_it_goes),
        cmocka_unit_test(charsets_and_encodings_of_headers_and_bodies),
        cmocka_unit_test(limits_are_refused_with_a_reason),
        cmocka_unit_test(a_15_mb_attachment_arrives_whole),
        cmocka_unit_test(hostile_html_is_made_harmless),
        cmocka_unit_test(every_committed_mail_parses),
    };
    return cmocka_run_group_tests_name("mail_parse", tests, NULL, NULL);
}
