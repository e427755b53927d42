/* test_export.c: the record export's CSV cells (quoting, the formula guard), one ticket's row
 * in seed 004's columns, the headers' languages, days, and when scheduled reports fire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db_fixture.h"

#include "core/export.h"
#include "core/report_schedule.h"
#include "lib/arena.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "store/db.h"

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
    /* late on the eve of the change: the next day still has its report (24 h later is 00:30
     * of the day after, already past it) */
    int64_t eve = at("2023-03-11T23:30:00-05:00");
    assert_true(report_next_at("daily_export", "18:00", eve) == at("2023-03-12T18:00:00-04:00"));
    assert_true(report_next_at("daily_export", "23:45", eve) == at("2023-03-11T23:45:00-05:00"));
    assert_int_equal(ktime_set_zone("Asia/Shanghai"), 0);
}

/* ---- against a real database: a hand-computed week ---- */

static int setup(void **state)
{
    assert_int_equal(ktime_set_zone("Asia/Shanghai"), 0);
    return fixture_setup(state, "export");
}

/* Inserts a ticket raised at `raised` (RFC 3339) with the minutes to first response and to
 * resolution (-1: not yet), registered when raised. */
static void ticket(struct db *db, int id, const char *channel, const char *type,
                   const char *category, const char *raised, int frt, int res,
                   const char *satisfaction, const char *breached)
{
    int64_t r = at(raised);
    struct strbuf sb = STRBUF_INIT(1 << 16);
    strbuf_addf(&sb,
                "INSERT INTO tickets(id, number, channel, type, category_id, subject, urgency, "
                "priority, prio_rank, status, customer_id, raised_at, first_response_at, "
                "resolved_at, satisfaction, sla_breached, created_at, updated_at) VALUES (%d, "
                "'N%d', '%s', '%s', (SELECT id FROM categories WHERE code = '%s'), '主题%d', "
                "'medium', 'medium', 2, 'resolved', 1, %lld, ",
                id, id, channel, type, category, id, (long long)r);
    if (frt < 0)
        strbuf_addstr(&sb, "NULL, ");
    else
        strbuf_addf(&sb, "%lld, ", (long long)(r + frt * 60000LL));
    if (res < 0)
        strbuf_addstr(&sb, "NULL, ");
    else
        strbuf_addf(&sb, "%lld, ", (long long)(r + res * 60000LL));
    if (satisfaction)
        strbuf_addf(&sb, "'%s', ", satisfaction);
    else
        strbuf_addstr(&sb, "NULL, ");
    strbuf_addf(&sb, "'%s', %lld, %lld)", breached, (long long)r, (long long)r);
    exec(db, sb.buf);
    strbuf_release(&sb);
}

static void week(struct db *db)
{
    exec(db, "INSERT INTO customers(id, name, phone, created_at, updated_at) "
             "VALUES (1, 'A公司', '13856781234', 0, 0)");
    ticket(db, 1, "TEL", "inquiry", "product-usage", "2023-09-25T09:00:00+08:00", 10, 40,
           "satisfied", "");
    ticket(db, 2, "TEL", "fault", "device-fault", "2023-09-27T10:00:00+08:00", 30, 120,
           "very_satisfied", "resolve");
    ticket(db, 3, "WEB", "inquiry", "product-usage", "2023-10-01T23:59:00+08:00", -1, -1, NULL,
           "first_response\nresolve");
    /* the Sunday before and the Monday after: not last week's */
    ticket(db, 4, "MAIL", "inquiry", "product-usage", "2023-09-24T23:59:00+08:00", 1, 1,
           "unsatisfied", "resolve");
    ticket(db, 5, "MAIL", "inquiry", "product-usage", "2023-10-02T00:00:00+08:00", 1, 1,
           "unsatisfied", "resolve");
}

static void the_weekly_summary_adds_up_the_week(void **state)
{
    struct fixture *f = *state;
    week(f->db);
    const char *text = NULL;
    assert_int_equal(report_summary_text(f->db, at("2023-09-25T00:00:00+08:00"),
                                         at("2023-10-02T00:00:00+08:00"), &f->arena, &text),
                     0);
    assert_string_equal(text, "服务周报 2023-09-25 至 2023-10-01\n\n"
                              "工单总量:3\n"
                              "各渠道工单量:\n"
                              "  TEL:2(66.7%)\n"
                              "  WEB:1(33.3%)\n"
                              "平均首次响应时长:20.0 分钟\n"
                              "平均解决时长:80.0 分钟\n"
                              "超时工单数:2\n"
                              "客户满意度平均分:4.50 / 5(2 条评价)\n"
                              "问题分类前五:\n"
                              "  1. 产品功能使用:2\n"
                              "  2. 设备故障:1\n");
    /* an empty week */
    assert_int_equal(report_summary_text(f->db, at("2023-01-02T00:00:00+08:00"),
                                         at("2023-01-09T00:00:00+08:00"), &f->arena, &text),
                     0);
    assert_non_null(strstr(text, "工单总量:0\n各渠道工单量:\n  无\n平均首次响应时长:无\n"));
    assert_non_null(strstr(text, "客户满意度平均分:无评价\n问题分类前五:\n  无\n"));
}

static void the_days_csv_holds_its_tickets_and_their_transfers(void **state)
{
    struct fixture *f = *state;
    week(f->db);
    exec(f->db, "INSERT INTO users(id, username, name, role, password_hash, created_at, "
                "updated_at) VALUES (7, 'li', '客服小李', 'agent', 'x', 0, 0)");
    exec(f->db, "INSERT INTO departments(id, code, name, created_at, updated_at) "
                "VALUES (3, 'tech', '技术部', 0, 0)");
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO transfers(ticket_id, kind, from_user_id, to_department_id, reason, at) "
             "VALUES (1, 'transfer', 7, 3, '需要技术支持', %lld)",
             (long long)at("2023-09-25T09:10:00+08:00"));
    exec(f->db, sql);
    struct export_query q = {0};
    export_days(&q, 20230925, 20230925);
    char path[80];
    snprintf(path, sizeof(path), "%s.csv", f->path);
    int64_t rows = 0;
    assert_int_equal(export_write(f->db, &q, EXPORT_CSV, EXPORT_ZH, path, &rows, NULL), 0);
    assert_int_equal(rows, 1);
    FILE *in = fopen(path, "rb");
    char buf[4096] = {0};
    size_t n = fread(buf, 1, sizeof(buf) - 1, in);
    fclose(in);
    unlink(path);
    assert_true(n > 3 && !memcmp(buf, "\xEF\xBB\xBF记录编号,日期,", 3 + 19));
    assert_non_null(strstr(buf, "\r\nN1,2023-09-25,A公司,,138****1234,咨询类,主题1,,2023-09-25 "
                                "09:00,,2023-09-25 09:10,,2023-09-25 09:40,40,,满意,,"
                                "2023-09-25 09:10 客服小李 → 技术部:需要技术支持,\r\n"));
    assert_null(strstr(buf, "13856781234"));
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
        cmocka_unit_test_setup_teardown(the_weekly_summary_adds_up_the_week, setup, teardown),
        cmocka_unit_test_setup_teardown(the_days_csv_holds_its_tickets_and_their_transfers, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
