/* test_fts.c: the kefu tokenizer: two-character Chinese words, English words, numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "lib/strbuf.h"
#include "store/fts_cjk.h"

static const char *const rows[][2] = {
    {"家电未按时送货", "承诺10月1日送达,至今未收到"},
    {"申请退款", "refund requested for order TEL-20231002-001"},
    {"APP无法登录", "提示“验证码错误”,已尝试重启无效"},
    {"空调不制冷", "家里的空调坏了"},
    {"Übergabe fehlgeschlagen", "café crème, x-ray 3.5mm; 日本語テキスト (Ａ４)"},
    {"会员积分没有到账", "订单号 A123-b456 已处理。REFUNDED? 没有"},
};
enum { NROWS = sizeof(rows) / sizeof(rows[0]) };

static int setup(void **state)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(fts_cjk_register(db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE VIRTUAL TABLE t USING fts5(subject, body, "
                                  "tokenize='kefu')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT INTO t(rowid, subject, body) VALUES (?1, ?2, ?3)", -1, &st,
                       NULL);
    for (int i = 0; i < NROWS; i++) {
        sqlite3_bind_int(st, 1, i + 1);
        sqlite3_bind_text(st, 2, rows[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, rows[i][1], -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    *state = db;
    return 0;
}

static int teardown(void **state)
{
    sqlite3_close(*state);
    return 0;
}

/* The rowids sql finds with ?1 bound to arg, as "1,3" ("" for none, "error" on failure). */
static const char *rowids(sqlite3 *db, const char *sql, const char *arg)
{
    static char out[64];
    out[0] = '\0';
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        size_t n = strlen(out);
        snprintf(out + n, sizeof(out) - n, "%s%d", n ? "," : "", sqlite3_column_int(st, 0));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? out : "error";
}

/* The rows the index finds for the user's text. */
static const char *search(sqlite3 *db, const char *text)
{
    char match[512];
    if (fts_cjk_query(text, match, sizeof(match)) <= 0)
        return "";
    return rowids(db, "SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY rowid", match);
}

/* The same through kefu_match, the matcher for text the index does not hold yet. */
static const char *scan(sqlite3 *db, const char *text)
{
    return rowids(db, "SELECT rowid FROM t WHERE kefu_match(?1, subject, body) ORDER BY rowid",
                  text);
}

static void two_character_chinese_words_are_found(void **state)
{
    sqlite3 *db = *state;
    assert_string_equal(search(db, "家电"), "1");
    assert_string_equal(search(db, "退款"), "2");
    assert_string_equal(search(db, "送货"), "1");
    assert_string_equal(search(db, "空调"), "4");
    assert_string_equal(search(db, "登录"), "3");
}

static void longer_words_match_as_phrases(void **state)
{
    sqlite3 *db = *state;
    assert_string_equal(search(db, "未按时"), "1");
    assert_string_equal(search(db, "验证码错误"), "3");
    assert_string_equal(search(db, "按未"), ""); /* the characters, out of order */
}

static void one_character_finds_every_use(void **state)
{
    sqlite3 *db = *state;
    assert_string_equal(search(db, "货"), "1"); /* the last character of a run */
    assert_string_equal(search(db, "家"), "1,4");
}

static void english_words_and_numbers(void **state)
{
    sqlite3 *db = *state;
    assert_string_equal(search(db, "refund"), "2");
    assert_string_equal(search(db, "REFUND"), "2");
    assert_string_equal(search(db, "TEL-20231002-001"), "2");
    assert_string_equal(search(db, "20231002"), "2");
    assert_string_equal(search(db, "app"), "3");
}

static void assert_same_rows(sqlite3 *db, const char *text);

static void quoted_phrases_keep_their_order(void **state)
{
    sqlite3 *db = *state;
    assert_string_equal(search(db, "\"refund requested\""), "2");
    assert_string_equal(search(db, "\"requested refund\""), "");
    assert_string_equal(search(db, "\"for order\" 退款"), "2");
    assert_string_equal(search(db, "\"\" requested"), "2"); /* an empty phrase is no term */
    assert_string_equal(search(db, "\"order for"), "");     /* unclosed: to the end */
    assert_same_rows(db, "\"refund requested\"");
    assert_same_rows(db, "\"requested refund\" 退款");
    assert_same_rows(db, "\"order for");
}

/* Any of the words of a text: what suggestions rank by. */
static void any_query_ors_distinct_tokens(void **state)
{
    sqlite3 *db = *state;
    char out[256];
    assert_true(fts_cjk_any_query("积分 积分 Refund!", 8, out, sizeof(out)) > 0);
    assert_string_equal(out, "\"积分\" OR \"refund\"");
    assert_int_equal(fts_cjk_any_query("。。", 8, out, sizeof(out)), 0);
    assert_int_equal(fts_cjk_any_query("会员积分没有到账", 2, out, sizeof(out)), 20);
    assert_string_equal(out, "\"会员\" OR \"员积\"");
    assert_int_equal(fts_cjk_any_query("会员积分没有到账", 8, out, 8), -1);
    assert_string_equal(
        rowids(db, "SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY rowid", "\"会员\" OR \"refund\""),
        "2,6");
}

/* The snippet as text with [ ] around the marks. */
static const char *snip(const char *text, const char *match, int window)
{
    static char out[1024];
    struct strbuf sb = STRBUF_INIT(sizeof(out));
    int rc = fts_cjk_snippet(text, match, window, "[", "]", &sb);
    snprintf(out, sizeof(out), "%d:%s", rc, sb.buf);
    strbuf_release(&sb);
    return out;
}

/* Overlapping bigrams of adjacent matches are one run, not repeated text (what FTS5's own
 * snippet() makes of them); the window is cut at characters, with … where it was cut. */
static void snippets_mark_runs_without_repeating_text(void **state)
{
    (void)state;
    assert_string_equal(snip("电视保修政策", "\"电视\" OR \"视保\" OR \"保修\"", 40),
                        "1:[电视保修]政策");
    assert_string_equal(snip("电视保修政策", "\"保修\"", 40), "1:电视[保修]政策");
    assert_string_equal(snip("Refund within 7 days", "\"refund\" \"days\"", 40),
                        "1:[Refund] within 7 [days]");
    assert_string_equal(snip("家电与家具", "\"家\"*", 40), "1:[家电]与[家具]");
    assert_string_equal(snip("一二三四五六七八九十保修期", "{title tags} : (\"保修\")", 8),
                        "1:…九十[保修]期");
    assert_string_equal(snip("没有匹配的文字很长很长", "\"保修\"", 4), "0:没有匹配…");
    assert_string_equal(snip("", "\"保修\"", 4), "0:");
    assert_string_equal(snip("a\"b", "\"a\"\"b\"", 10), "1:[a]\"[b]"); /* "" inside a phrase */
}

static void terms_are_anded(void **state)
{
    sqlite3 *db = *state;
    assert_string_equal(search(db, "登录 验证码"), "3");
    assert_string_equal(search(db, "家电 退款"), "");
}

static void query_syntax_cannot_be_injected(void **state)
{
    sqlite3 *db = *state;
    assert_string_equal(search(db, "\"refund"), "2");
    assert_string_equal(search(db, "refund OR 家电"), ""); /* OR is a word, not an operator */
    assert_string_equal(search(db, "NEAR(家电 退款)"), "");
    assert_string_equal(search(db, "*"), "");
    char out[16];
    assert_int_equal(fts_cjk_query("   \t ", out, sizeof(out)), 0);
    assert_int_equal(fts_cjk_query("a-very-long-query-text", out, sizeof(out)), -1);
}

static void assert_same_rows(sqlite3 *db, const char *text)
{
    char indexed[64];
    snprintf(indexed, sizeof(indexed), "%s", search(db, text));
    const char *scanned = scan(db, text);
    if (strcmp(indexed, scanned))
        fail_msg("\"%s\": the index finds \"%s\", the matcher \"%s\"", text, indexed, scanned);
}

/* Every piece of 1 to 5 characters of every row, alone, in other case and after another
 * term, finds the same rows through the matcher as through the index. */
static void the_matcher_finds_what_the_index_finds(void **state)
{
    sqlite3 *db = *state;
    int checked = 0;
    for (int r = 0; r < NROWS; r++) {
        for (int c = 0; c < 2; c++) {
            const char *text = rows[r][c];
            size_t n = strlen(text);
            for (size_t i = 0; i < n; i++) {
                if ((text[i] & 0xC0) == 0x80)
                    continue; /* not the start of a character */
                size_t end = i;
                for (int len = 1; len <= 5 && end < n; len++) {
                    end++;
                    while (end < n && (text[end] & 0xC0) == 0x80)
                        end++;
                    char q[128];
                    snprintf(q, sizeof(q), "%.*s", (int)(end - i), text + i);
                    assert_same_rows(db, q);
                    for (char *p = q; *p; p++)
                        if (*p >= 'a' && *p <= 'z')
                            *p = (char)(*p - 'a' + 'A');
                    assert_same_rows(db, q);
                    char two[160];
                    snprintf(two, sizeof(two), "%s %s", rows[(r + 1) % NROWS][0], q);
                    assert_same_rows(db, two);
                    snprintf(two, sizeof(two), "空调 %s", q);
                    assert_same_rows(db, two);
                    checked += 4;
                }
            }
        }
    }
    static const char *const odd[] = {
        "",          " ",          "\"",       "\"\"",     "*",       "家 电",
        "家电 家电", "3.5mm",      "x-ray",    "X-RAY",    "crème",   "CAFÉ",
        "ａ４",      "Ａ４",       "テキ",     "語テ",     "号 A123", "b456-a123",
        "refund OR", "NEAR(家电)", "\xff\xfe", "家\xff电", "。",      "??",
    };
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
        assert_same_rows(db, odd[i]);
    assert_true(checked > 1000);
    assert_string_equal(rowids(db, "SELECT kefu_match() FROM t", NULL), "error");
    assert_string_equal(scan(db, "退款"), "2"); /* and it does find things */
    assert_string_equal(scan(db, "家"), "1,4");
}

static void offsets_allow_highlighting(void **state)
{
    sqlite3 *db = *state;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT highlight(t, 0, '[', ']') FROM t WHERE t MATCH '\"退款\"'", -1,
                       &st, NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "申请[退款]");
    sqlite3_finalize(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(two_character_chinese_words_are_found, setup, teardown),
        cmocka_unit_test_setup_teardown(the_matcher_finds_what_the_index_finds, setup, teardown),
        cmocka_unit_test_setup_teardown(longer_words_match_as_phrases, setup, teardown),
        cmocka_unit_test_setup_teardown(one_character_finds_every_use, setup, teardown),
        cmocka_unit_test_setup_teardown(english_words_and_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(quoted_phrases_keep_their_order, setup, teardown),
        cmocka_unit_test_setup_teardown(any_query_ors_distinct_tokens, setup, teardown),
        cmocka_unit_test(snippets_mark_runs_without_repeating_text),
        cmocka_unit_test_setup_teardown(terms_are_anded, setup, teardown),
        cmocka_unit_test_setup_teardown(query_syntax_cannot_be_injected, setup, teardown),
        cmocka_unit_test_setup_teardown(offsets_allow_highlighting, setup, teardown),
    };
    return cmocka_run_group_tests_name("fts", tests, NULL, NULL);
}
