/* test_export.c: the record export's CSV cells (quoting, the formula guard), one ticket's row
 * in seed 004's columns, the headers' languages, days, and when scheduled reports fire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/export.h"
#include "core/report_schedule.h"
#include "lib/arena.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"

static const char *cell(struct strbuf *sb, const char *s)
{
    strbuf_reset(sb);
    csv_cell(sb, s);
    return sb->buf ? sb->buf : "";
}

static void csv_cells_are_quoted_as_rfc_4180_wants(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT(1 << 20);
    assert_string_equal(cell(&sb, "A公司"), "A公司");
    assert_string_equal(cell(&sb, ""), "");
    assert_string_equal(cell(&sb, NULL), "");
    assert_string_equal(cell(&sb, "a,b"), "\"a,b\"");
    assert_string_equal(cell(&sb, "提示\"验证码错误\""), "\"提示\"\"验证码错误\"\"\"");
    assert_string_equal(cell(&sb, "两行\r\n文字"), "\"两行\r\n文字\"");
    assert_string_equal(cell(&sb, "line\nbreak"), "\"line\nbreak\"");
    strbuf_release(&sb);
}

static void cells_that_a_spreadsheet_would_run_are_defused(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT(1 << 20);
    assert_string_equal(cell(&sb, "=1+1"), "\"'=1+1\"");
    assert_string_equal(cell(&sb, "+86 138"), "\"'+86 138\"");
    assert_string_equal(cell(&sb, "-5"), "\"'-5\"");
    assert_string_equal(cell(&sb, "@SUM(A1)"), "\"'@SUM(A1)\"");
    assert_string_equal(cell(&sb, "\t=cmd"), "\"'\t=cmd\"");
    assert_string_equal(cell(&sb, "=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    assert_string_equal(cell(&sb, "a=b"), "a=b"); /* only at the start */
    strbuf_release(&sb);
}

static int64_t at(const char *rfc3339)
{
    int64_t v = 0;
    assert_int_equal(ktime_parse(rfc3339, &v), 0);
    return v;
}

static void one_ticket_maps_to_seed_004s_columns(void **state)
{
    (void)state;
    assert_int_equal(ktime_set_zone("Asia/Shanghai"), 0);
    struct arena a = ARENA_INIT;
    struct export_ticket t = {
        .number = "20231001001",
        .customer_name = "A公司",
        .contact_name = "刘经理",
        .phone = "13856781234",
        .type = "inquiry",
        .subject = "批量折扣",
        .description = "询问如何开通企业会员的批量折扣功能",
        .assignee = "客服小李",
        .result = "solution_provided",
        .satisfaction = "satisfied",
        .measures = "告知会员折扣规则,发送批量操作指引文档",
        .reviewer = "主管王姐",
        .created_at = at("2023-10-01T09:02:00+08:00"),
        .raised_at = at("2023-10-01T09:00:00+08:00"),
        .taken_over_at = at("2023-10-01T09:02:00+08:00"),
        .first_response_at = at("2023-10-01T09:05:00+08:00"),
        .processing_started_at = at("2023-10-01T09:05:30+08:00"),
        .resolved_at = at("2023-10-01T09:20:59+08:00"),
    };
    struct export_row r;
    export_row_of(&t, EXPORT_ZH, &a, &r);
    const char *want[EXPORT_COLUMNS] = {"20231001001",
                                        "2023-10-01",
                                        "A公司",
                                        "刘经理",
                                        "138****1234",
                                        "咨询类",
                                        "询问如何开通企业会员的批量折扣功能",
                                        "客服小李",
                                        "2023-10-01 09:00",
                                        "2023-10-01 09:02",
                                        "2023-10-01 09:05",
                                        "2023-10-01 09:05",
                                        "2023-10-01 09:20",
                                        "20",
                                        "已提供解决方案",
                                        "满意",
                                        "告知会员折扣规则,发送批量操作指引文档",
                                        "无",
                                        "主管王姐"};
    for (int c = 0; c < EXPORT_COLUMNS; c++)
        assert_string_equal(r.cell[c], want[c]);
    assert_int_equal(r.minutes, 20);
    assert_true(r.times[1] == t.created_at && r.times[12] == t.resolved_at);
    assert_true(r.times[0] == 0 && r.times[13] == 0);
    /* English labels; an open ticket; an e-mail contact, masked; no description: the subject */
    t.resolved_at = 0, t.phone = NULL, t.email = "zhang@example.com", t.description = "";
    t.satisfaction = NULL, t.result = NULL, t.transfers = "2023-10-01 09:10 客服小李 → 技术部:重置";
    export_row_of(&t, EXPORT_EN, &a, &r);
    assert_string_equal(r.cell[4], "z***@example.com");
    assert_string_equal(r.cell[5], "Inquiry");
    assert_string_equal(r.cell[6], "批量折扣");
    assert_string_equal(r.cell[12], "");
    assert_string_equal(r.cell[13], "");
    assert_int_equal(r.minutes, -1);
    assert_string_equal(r.cell[14], "");
    assert_string_equal(r.cell[17], "2023-10-01 09:10 客服小李 → 技术部:重置");
    /* the row as CSV: the minutes stay a plain number, the line ends in CRLF */
    struct strbuf sb = STRBUF_INIT(1 << 20);
    export_row_of(&(struct export_ticket){.number = "1",
                                          .created_at = 1,
                                          .raised_at = 1,
                                          .resolved_at = 60001,
                                          .measures = "-1 天"},
                  EXPORT_ZH, &a, &r);
    csv_row(&sb, &r);
    assert_string_equal(sb.buf, "1,1970-01-01,,,,,,,1970-01-01 08:00,,,,1970-01-01 08:01,1,,,\"'-1 "
                                "天\",无,\r\n");
    strbuf_release(&sb);
    arena_release(&a);
}

static void headers_follow_the_callers_language(void **state)
{
    (void)state;
    assert_int_equal(export_lang_of(NULL), EXPORT_ZH);
    assert_int_equal(export_lang_of("zh-CN,zh;q=0.9,en;q=0.8"), EXPORT_ZH);
    assert_int_equal(export_lang_of("en"), EXPORT_EN);
    assert_int_equal(export_lang_of("en-US,en;q=0.9"), EXPORT_EN);
    assert_int_equal(export_lang_of("eo"), EXPORT_ZH);
    assert_int_equal(export_lang_of("ens"), EXPORT_ZH);
    assert_string_equal(export_header(EXPORT_ZH, 0), "记录编号");
    assert_string_equal(export_header(EXPORT_ZH, 13), "总响应时长(分钟)");
    assert_string_equal(export_header(EXPORT_ZH, 18), "审核人");
    assert_string_equal(export_header(EXPORT_EN, 0), "Record number");
    assert_string_equal(export_header(EXPORT_EN, 19), "");
}

static void days_are_real_calendar_days_in_the_zone(void **state)
{
    (void)state;
    assert_int_equal(ktime_set_zone("Asia/Shanghai"), 0);
    int d = 0;
    assert_int_equal(export_parse_day("2023-10-01", &d), 0);
    assert_int_equal(d, 20231001);
    assert_int_equal(export_parse_day("2024-02-29", &d), 0);
    assert_int_equal(export_parse_day("2023-02-29", &d), KF_EINVAL);
    assert_int_equal(export_parse_day("2023-13-01", &d), KF_EINVAL);
    assert_int_equal(export_parse_day("2023-1-01", &d), KF_EINVAL);
    assert_int_equal(export_parse_day("2023-10-01x", &d), KF_EINVAL);
    assert_int_equal(export_parse_day(NULL, &d), KF_EINVAL);
    struct export_query q = {0};
    export_days(&q, 20231231, 20231231);
    assert_true(q.from == at("2023-12-31T00:00:00+08:00"));
    assert_true(q.to == at("2024-01-01T00:00:00+08:00"));
    export_days(&q, 20240228, 20240301);
    assert_true(q.to - q.from == 3 * 86400000LL);
}

static void schedules_fire_daily_or_on_mondays_at_local_time(void **state)
{
    (void)state;
    assert_int_equal(ktime_set_zone("Asia/Shanghai"), 0);
    /* Saturday noon: today 18:00; Monday 08:00 for the weekly one */
    int64_t sat = at("2023-09-30T12:00:00+08:00");
    assert_true(report_next_at("daily_export", "18:00", sat) == at("2023-09-30T18:00:00+08:00"));
    assert_true(report_next_at("weekly_summary", "08:00", sat) == at("2023-10-02T08:00:00+08:00"));
    /* exactly at the time: the next one */
    int64_t six = at("2023-09-30T18:00:00+08:00");
    assert_true(report_next_at("daily_export", "18:00", six) == at("2023-10-01T18:00:00+08:00"));
    int64_t mon = at("2023-10-02T08:00:00+08:00");
    assert_true(report_next_at("weekly_summary", "08:00", mon) == at("2023-10-09T08:00:00+08:00"));
    assert_true(report_next_at("weekly_summary", "23:59", mon) == at("2023-10-02T23:59:00+08:00"));
    assert_true(report_next_at("daily_export", "00:00", six) == at("2023-10-01T00:00:00+08:00"));
    assert_true(report_next_at("monthly", "08:00", sat) == 0);
    assert_true(report_next_at("daily_export", "24:00", sat) == 0);
    assert_true(report_next_at("daily_export", "8:00", sat) == 0);
    /* New York springs forward on 2023-03-12: 18:00 local is then 22:00Z, not 23:00Z */
    assert_int_equal(ktime_set_zone("America/New_York"), 0);
    int64_t before = at("2023-03-11T19:00:00-05:00");
    assert_true(report_next_at("daily_export", "18:00", before) == at("2023-03-12T22:00:00Z"));
    assert_int_equal(ktime_set_zone("Asia/Shanghai"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv_cells_are_quoted_as_rfc_4180_wants),
        cmocka_unit_test(cells_that_a_spreadsheet_would_run_are_defused),
        cmocka_unit_test(one_ticket_maps_to_seed_004s_columns),
        cmocka_unit_test(headers_follow_the_callers_language),
        cmocka_unit_test(days_are_real_calendar_days_in_the_zone),
        cmocka_unit_test(schedules_fire_daily_or_on_mondays_at_local_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
