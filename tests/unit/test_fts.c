/* test_fts.c: the kefu tokenizer: two-character Chinese words, English words, numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/fts_cjk.h"

static const char *const rows[][2] = {
    {"家电未按时送货", "承诺10月1日送达,至今未收到"},
    {"申请退款", "refund requested for order TEL-20231002-001"},
    {"APP无法登录", "提示“验证码错误”,已尝试重启无效"},
    {"空调不制冷", "家里的空调坏了"},
};

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
    for (int i = 0; i < 4; i++) {
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

/* The rowids matching the user's text, as "1,3" ("" for none, "error" for a bad query). */
static const char *search(sqlite3 *db, const char *text)
{
    static char out[64];
    char match[512];
    out[0] = '\0';
    if (fts_cjk_query(text, match, sizeof(match)) <= 0)
        return "";
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY rowid", -1, &st, NULL);
    sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        size_t n = strlen(out);
        snprintf(out + n, sizeof(out) - n, "%s%d", n ? "," : "", sqlite3_column_int(st, 0));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? out : "error";
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
        cmocka_unit_test_setup_teardown(longer_words_match_as_phrases, setup, teardown),
        cmocka_unit_test_setup_teardown(one_character_finds_every_use, setup, teardown),
        cmocka_unit_test_setup_teardown(english_words_and_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(terms_are_anded, setup, teardown),
        cmocka_unit_test_setup_teardown(query_syntax_cannot_be_injected, setup, teardown),
        cmocka_unit_test_setup_teardown(offsets_allow_highlighting, setup, teardown),
    };
    return cmocka_run_group_tests_name("fts", tests, NULL, NULL);
}
