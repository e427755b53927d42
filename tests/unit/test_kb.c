/* test_kb.c: the knowledge base's pure pieces: snippets escape everything but their marks,
 * Markdown becomes HTML with nothing active left in it, and archived text names no customer. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/kb.h"
#include "http/markdown.h"
#include "lib/arena.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(snippets_escape_all_but_the_marks),
        cmocka_unit_test(markdown_renders_and_keeps_nothing_active),
        cmocka_unit_test(scrubbing_removes_names_and_contacts_where_they_occur),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
