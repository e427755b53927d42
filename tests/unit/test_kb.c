/* test_kb.c: the knowledge base's pure pieces: snippets escape everything but their marks,
 * Markdown becomes HTML with nothing active left in it, and archived text names no customer. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/actor.h"
#include "core/kb.h"
#include "core/ticket.h"
#include "http/markdown.h"
#include "lib/arena.h"
#include "store/db.h"

static void snippets_escape_all_but_the_marks(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    assert_string_equal(
        kb_snippet_html(&a, "<b>" KB_MARK_OPEN "保修" KB_MARK_CLOSE "</b> & 'x' \""),
        "&lt;b&gt;<mark>保修</mark>&lt;/b&gt; &amp; &#39;x&#39; &quot;");
    /* a mark the text itself held cannot leave an element open or close one never opened */
    assert_string_equal(kb_snippet_html(&a, KB_MARK_CLOSE "a" KB_MARK_OPEN "b" KB_MARK_OPEN "c"),
                        "a<mark>bc</mark>");
    /* <mark> written in the text is text */
    assert_string_equal(kb_snippet_html(&a, "<mark>x</mark>"), "&lt;mark&gt;x&lt;/mark&gt;");
    assert_string_equal(kb_snippet_html(&a, NULL), "");
    assert_string_equal(kb_snippet_html(&a, "<img src=x onerror=alert(1)>"),
                        "&lt;img src=x onerror=alert(1)&gt;");
    arena_release(&a);
}

/* Whether a tag of html is one that runs or loads something, or has an event handler, a
 * javascript: or data: address. Text between tags may say anything: it is escaped. */
static int active(const char *html)
{
    static const char *const tags[] = {"<script", "<img", "<iframe", "<svg", "<style", "<object"};
    for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
        if (strstr(html, tags[i]))
            return 1;
    for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
        const char *end = strchr(p, '>');
        if (!end)
            return 1;
        char tag[512];
        snprintf(tag, sizeof(tag), "%.*s", (int)(end - p), p);
        for (char *c = tag; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        if (strstr(tag, "javascript:") || strstr(tag, "data:") || strstr(tag, " on") ||
            strstr(tag, "style="))
            return 1;
    }
    return 0;
}

static void markdown_renders_and_keeps_nothing_active(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    const char *md = "# 保修政策\n\n整机保修 **3 年**,*压缩机* 5 年。\n\n"
                     "- 一\n- 二\n\n| 项目 | 年限 |\n|---|---|\n| 整机 | 3 |\n\n"
                     "[官网](https://example.com/w) `code`\n";
    char *html = markdown_html(&a, md, strlen(md));
    assert_non_null(strstr(html, "<h1>保修政策</h1>"));
    assert_non_null(strstr(html, "<strong>3 年</strong>"));
    assert_non_null(strstr(html, "<em>压缩机</em>"));
    assert_non_null(strstr(html, "<li>一</li>"));
    assert_non_null(strstr(html, "<td>整机</td>"));
    assert_non_null(strstr(html, "href=\"https://example.com/w\""));
    assert_non_null(strstr(html, "<code>code</code>"));

    static const char *const evil[] = {
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "![x](javascript:alert(1))",
        "![x](https://tracker.example.com/p.gif)",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<iframe src=\"https://e.com\"></iframe>",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "<div onclick=\"alert(1)\">x</div>",
        "<style>body{display:none}</style>",
        "<svg onload=alert(1)>",
        "[x](https://e.com \"t\" onmouseover=alert(1))",
    };
    for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
        html = markdown_html(&a, evil[i], strlen(evil[i]));
        if (active(html))
            fail_msg("%s gave %s", evil[i], html);
        assert_null(strstr(html, "href=\"javascript"));
        assert_null(strstr(html, "<script"));
        assert_null(strstr(html, "<img"));
    }
    /* raw HTML is shown as text */
    html = markdown_html(&a, "<b>x</b>", 8);
    assert_non_null(strstr(html, "&lt;b&gt;x&lt;/b&gt;"));
    assert_string_equal(markdown_html(&a, "", 0), "");
    arena_release(&a);
}

static void scrubbing_removes_names_and_contacts_where_they_occur(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    const char *const contacts[] = {"13812345678", "zhang@example.com", NULL, ""};
    assert_string_equal(
        kb_scrub(&a, "电话138-1234-5678或13812345678,邮箱 ZHANG@Example.com。", contacts, 4, "[x]"),
        "电话[x]或[x],邮箱 [x]。");
    assert_string_equal(kb_scrub(&a, "号码 1381234567 不全", contacts, 4, "[x]"),
                        "号码 1381234567 不全");
    const char *const names[] = {"张三"};
    assert_string_equal(kb_scrub(&a, "张三说张三丰", names, 1, "客户 ID-86"),
                        "客户 ID-86说客户 ID-86丰");
    assert_string_equal(kb_scrub(&a, NULL, names, 1, "x"), "");
    assert_string_equal(kb_customer_number(&a, 5, "86"), "ID-86");
    assert_string_equal(kb_customer_number(&a, 5, NULL), "C5");
    arena_release(&a);
}

/* Publishes an article in the caller's transaction; returns its id. */
static int64_t publish(struct db *db, const char *title, const char *body)
{
    struct actor lead = {.name = "王主管", .role = ROLE_SUPERVISOR};
    struct arena a = ARENA_INIT;
    struct kb_input in = {.title = title, .body = body, .need_type = "inquiry"};
    struct kb_article k;
    assert_int_equal(kb_create(db, &lead, &in, &a, &k, NULL), 0);
    assert_int_equal(kb_publish(db, &lead, k.id, 0, &a, &k, NULL), 0);
    arena_release(&a);
    return k.id;
}

/* Past 2,000 matches a search ranks the articles with the word in their title or tags, then
 * fills the page with the newest of the rest; suggestions rank by the ticket's rarest words. */
static void common_words_rank_by_title_and_rare_words_suggest(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof(path), "/tmp/kefu-unit-kb-%d.db", (int)getpid());
    unlink(path);
    struct db *db;
    assert_int_equal(db_open(path, 0, &db, NULL), 0);
    assert_int_equal(db_migrate(db, NULL, NULL), 0);
    assert_int_equal(db_begin(db), 0);
    int64_t titled = publish(db, "您好与问候", "客服问候语的用法");
    int64_t last = 0;
    for (int i = 0; i < 2100; i++) {
        char title[64];
        snprintf(title, sizeof(title), "文章 %d", i);
        last = publish(db, title, i == 7 ? "您好,冰箱压缩机保修五年" : "您好,感谢来电");
    }
    assert_int_equal(db_commit(db), 0);

    struct arena a = ARENA_INIT;
    struct kb_article *v;
    size_t n;
    assert_int_equal(kb_search(db, "您好", NULL, NULL, 3, &a, &v, &n, NULL), 0);
    assert_int_equal(n, 3);
    assert_int_equal(v[0].id, titled); /* the word in the title */
    assert_int_equal(v[1].id, last);   /* then the newest */
    assert_int_equal(v[2].id, last - 1);
    assert_non_null(strstr(v[1].snippet, "<mark>您好</mark>"));

    /* a ticket saying 您好 (in every article) and 压缩机 (in one) is suggested that one */
    struct actor agent = {.user_id = 0, .name = "李四", .role = ROLE_ADMIN};
    struct ticket_input in = {.channel = "TEL",
                              .type = "inquiry",
                              .subject = "您好,压缩机坏了",
                              .description = "您好您好",
                              .urgency = "low",
                              .has_customer = 1};
    in.customer.name = "张三";
    in.customer.phone = "13812345678";
    struct ticket t;
    assert_int_equal(db_begin(db), 0);
    assert_int_equal(ticket_create(db, &agent, &in, &a, &t, NULL), 0);
    assert_int_equal(db_commit(db), 0);
    char ref[24];
    snprintf(ref, sizeof(ref), "%lld", (long long)t.id);
    assert_int_equal(kb_suggest(db, &agent, ref, &a, &v, &n, NULL, NULL), 0);
    assert_true(n >= 1);
    assert_string_equal(v[0].title, "文章 7");
    arena_release(&a);
    db_close(db);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(snippets_escape_all_but_the_marks),
        cmocka_unit_test(markdown_renders_and_keeps_nothing_active),
        cmocka_unit_test(scrubbing_removes_names_and_contacts_where_they_occur),
        cmocka_unit_test(common_words_rank_by_title_and_rare_words_suggest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
