/* test_survey.c: the survey scales (core/survey.c): what a customer's bare reply means on each
 * scale, in Chinese words, value names and digits, and the score of every rating. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/survey.h"

/* The value the text means on scale s, or NULL. */
static const char *parsed(enum survey_scale s, const char *text)
{
    const struct survey_choice *c = survey_rating_parse(s, text);
    return c ? c->value : NULL;
}

static void scales_by_name(void **state)
{
    (void)state;
    assert_int_equal(survey_scale_of("four_level"), SURVEY_FOUR_LEVEL);
    assert_int_equal(survey_scale_of("five_point"), SURVEY_FIVE_POINT);
    assert_int_equal(survey_scale_of("three_level"), SURVEY_THREE_LEVEL);
    assert_int_equal(survey_scale_of("ten_point"), -1);
    assert_int_equal(survey_scale_of(""), -1);
    assert_int_equal(survey_scale_of(NULL), -1);
    assert_string_equal(survey_scale_name(SURVEY_THREE_LEVEL), "three_level");
}

static void scores(void **state)
{
    (void)state;
    /* four levels 5/4/3/1 (seed 002) */
    assert_int_equal(survey_score(SURVEY_FOUR_LEVEL, "very_satisfied"), 5);
    assert_int_equal(survey_score(SURVEY_FOUR_LEVEL, "satisfied"), 4);
    assert_int_equal(survey_score(SURVEY_FOUR_LEVEL, "average"), 3);
    assert_int_equal(survey_score(SURVEY_FOUR_LEVEL, "unsatisfied"), 1);
    assert_int_equal(survey_score(SURVEY_FOUR_LEVEL, "basically_satisfied"), 0);
    assert_int_equal(survey_score(SURVEY_FOUR_LEVEL, "5"), 0);
    /* three levels 5/3/1 (seed 004) */
    assert_int_equal(survey_score(SURVEY_THREE_LEVEL, "satisfied"), 5);
    assert_int_equal(survey_score(SURVEY_THREE_LEVEL, "basically_satisfied"), 3);
    assert_int_equal(survey_score(SURVEY_THREE_LEVEL, "unsatisfied"), 1);
    assert_int_equal(survey_score(SURVEY_THREE_LEVEL, "average"), 0);
    /* five points as given (seed 000) */
    for (int i = 1; i <= 5; i++) {
        char v[2] = {(char)('0' + i), 0};
        assert_int_equal(survey_score(SURVEY_FIVE_POINT, v), i);
    }
    assert_int_equal(survey_score(SURVEY_FIVE_POINT, "0"), 0);
    assert_int_equal(survey_score(SURVEY_FIVE_POINT, "6"), 0);
    assert_int_equal(survey_score(SURVEY_FIVE_POINT, "satisfied"), 0);
    assert_int_equal(survey_score(SURVEY_FIVE_POINT, NULL), 0);
    /* every scale lists its choices best first, scores within 1-5 */
    for (int s = 0; s < SURVEY__SCALES; s++) {
        const struct survey_choice *c;
        size_t n = survey_choices(s, &c);
        assert_true(n >= 3);
        assert_int_equal(c[0].score, 5);
        assert_int_equal(c[n - 1].score, 1);
        for (size_t i = 1; i < n; i++)
            assert_true(c[i].score < c[i - 1].score);
    }
}

static void unsatisfied_is_one_or_two(void **state)
{
    (void)state;
    /* what starts second handling: scores 1 and 2 only */
    assert_true(survey_score(SURVEY_FIVE_POINT, "2") <= SURVEY_UNSATISFIED_SCORE_MAX);
    assert_true(survey_score(SURVEY_FIVE_POINT, "3") > SURVEY_UNSATISFIED_SCORE_MAX);
    assert_true(survey_score(SURVEY_FOUR_LEVEL, "average") > SURVEY_UNSATISFIED_SCORE_MAX);
    assert_true(survey_score(SURVEY_THREE_LEVEL, "basically_satisfied") >
                SURVEY_UNSATISFIED_SCORE_MAX);
    assert_true(survey_score(SURVEY_FOUR_LEVEL, "unsatisfied") <= SURVEY_UNSATISFIED_SCORE_MAX);
}

static void four_level_replies(void **state)
{
    (void)state;
    assert_string_equal(parsed(SURVEY_FOUR_LEVEL, "非常满意"), "very_satisfied");
    assert_string_equal(parsed(SURVEY_FOUR_LEVEL, "满意"), "satisfied");
    assert_string_equal(parsed(SURVEY_FOUR_LEVEL, "一般"), "average");
    assert_string_equal(parsed(SURVEY_FOUR_LEVEL, "不满意"), "unsatisfied");
    assert_string_equal(parsed(SURVEY_FOUR_LEVEL, "unsatisfied"), "unsatisfied");
    /* the numbers as the survey's message lists them: 1 非常满意 ... 4 不满意 */
    assert_string_equal(parsed(SURVEY_FOUR_LEVEL, "1"), "very_satisfied");
    assert_string_equal(parsed(SURVEY_FOUR_LEVEL, "4"), "unsatisfied");
    assert_null(parsed(SURVEY_FOUR_LEVEL, "5"));
    assert_null(parsed(SURVEY_FOUR_LEVEL, "0"));
    /* blanks and an end mark around it; full-width digits */
    assert_string_equal(parsed(SURVEY_FOUR_LEVEL, "  满意。\r\n"), "satisfied");
    assert_string_equal(parsed(SURVEY_FOUR_LEVEL, "不满意！"), "unsatisfied");
    assert_string_equal(parsed(SURVEY_FOUR_LEVEL, "\xef\xbc\x92"), "satisfied"); /* ２ */
    assert_string_equal(parsed(SURVEY_FOUR_LEVEL, "\xe3\x80\x80一般!"), "average");
    /* anything more is a message, not a rating */
    assert_null(parsed(SURVEY_FOUR_LEVEL, "不太满意"));
    assert_null(parsed(SURVEY_FOUR_LEVEL, "满意吗？还没修好"));
    assert_null(parsed(SURVEY_FOUR_LEVEL, "4 还是漏水"));
    assert_null(parsed(SURVEY_FOUR_LEVEL, "12"));
    assert_null(parsed(SURVEY_FOUR_LEVEL, "基本满意"));
    assert_null(parsed(SURVEY_FOUR_LEVEL, ""));
    assert_null(parsed(SURVEY_FOUR_LEVEL, "  。"));
    assert_null(parsed(SURVEY_FOUR_LEVEL, NULL));
}

static void mail_replies_quote_the_survey(void **state)
{
    (void)state;
    /* what a mail client writes below the answer is not part of it */
    assert_string_equal(
        parsed(SURVEY_FOUR_LEVEL, "2\r\n\r\n> 您好，您的服务单 MAIL-1 已处理完毕\r\n> 1 非常满意"),
        "satisfied");
    assert_string_equal(
        parsed(SURVEY_FOUR_LEVEL, "不满意\n\nOn Mon, 2 Oct 2023, 客服中心 wrote:\n> 您好"),
        "unsatisfied");
    assert_string_equal(
        parsed(SURVEY_THREE_LEVEL, "基本满意\n\n在 2023年10月2日 10:00，客服中心 写道：\n您好"),
        "basically_satisfied");
    assert_string_equal(
        parsed(SURVEY_FIVE_POINT,
               "5\n------------------ 原始邮件 ------------------\n发件人: 客服中心"),
        "5");
    assert_string_equal(parsed(SURVEY_FOUR_LEVEL, "满意\n-- \n王堃\n13812345678"), "satisfied");
    /* but a word more above the quote is a message */
    assert_null(parsed(SURVEY_FOUR_LEVEL, "2\n还是漏水\n> 您好"));
    assert_null(parsed(SURVEY_FOUR_LEVEL, "> 2"));
}

static void three_level_replies(void **state)
{
    (void)state;
    assert_string_equal(parsed(SURVEY_THREE_LEVEL, "满意"), "satisfied");
    assert_string_equal(parsed(SURVEY_THREE_LEVEL, "基本满意"), "basically_satisfied");
    assert_string_equal(parsed(SURVEY_THREE_LEVEL, "不满意"), "unsatisfied");
    assert_string_equal(parsed(SURVEY_THREE_LEVEL, "2"), "basically_satisfied");
    assert_string_equal(parsed(SURVEY_THREE_LEVEL, "3."), "unsatisfied");
    assert_null(parsed(SURVEY_THREE_LEVEL, "4"));
    assert_null(parsed(SURVEY_THREE_LEVEL, "非常满意"));
    assert_null(parsed(SURVEY_THREE_LEVEL, "一般"));
}

static void five_point_replies(void **state)
{
    (void)state;
    /* a digit is the score itself */
    assert_string_equal(parsed(SURVEY_FIVE_POINT, "5"), "5");
    assert_string_equal(parsed(SURVEY_FIVE_POINT, "1"), "1");
    assert_string_equal(parsed(SURVEY_FIVE_POINT, " 3 "), "3");
    assert_string_equal(parsed(SURVEY_FIVE_POINT, "\xef\xbc\x94"), "4"); /* ４ */
    assert_null(parsed(SURVEY_FIVE_POINT, "0"));
    assert_null(parsed(SURVEY_FIVE_POINT, "6"));
    assert_null(parsed(SURVEY_FIVE_POINT, "满意")); /* no words on a score */
    assert_string_equal(parsed(SURVEY_FIVE_POINT, "5分"), "5");
    assert_null(parsed(SURVEY_FIVE_POINT, "分"));
    assert_null(parsed(SURVEY_FIVE_POINT, "-1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scales_by_name),
        cmocka_unit_test(scores),
        cmocka_unit_test(unsatisfied_is_one_or_two),
        cmocka_unit_test(four_level_replies),
        cmocka_unit_test(mail_replies_quote_the_survey),
        cmocka_unit_test(three_level_replies),
        cmocka_unit_test(five_point_replies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
