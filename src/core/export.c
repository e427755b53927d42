/* export.c: the record export of seed 004's template, as CSV or an .xlsx workbook. */
#define _POSIX_C_SOURCE 200809L
#include "core/export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xlsxwriter.h>

#include "core/enums.h"
#include "core/survey.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "lib/text.h"
#include "store/db.h"

static const char *const headers_zh[EXPORT_COLUMNS] = {
    "记录编号",      "日期",
    "客户名称/编号", "联系人",
    "联系方式",      "需求类型",
    "问题描述",      "受理人",
    "客户提出时间",  "受理人接手时间",
    "首次响应时间",  "问题处理开始时间",
    "问题解决时间",  "总响应时长(分钟)",
    "解决结果",      "客户满意度",
    "处理措施简述",  "转接记录",
    "审核人",
};
static const char *const headers_en[EXPORT_COLUMNS] = {
    "Record number",
    "Date",
    "Customer",
    "Contact person",
    "Contact",
    "Request type",
    "Description",
    "Handled by",
    "Raised at",
    "Taken over at",
    "First response at",
    "Processing started at",
    "Resolved at",
    "Total response time (minutes)",
    "Result",
    "Satisfaction",
    "Measures taken",
    "Transfers",
    "Reviewer",
};
/* the columns that hold an instant; 日期 (1) is shown as a date, the others as date and time */
enum { COL_DATE = 1, COL_FIRST_TIME = 8, COL_LAST_TIME = 12 };
/* column widths in the workbook, in characters */
static const double widths[EXPORT_COLUMNS] = {14, 11, 16, 10, 14, 10, 40, 10, 17, 17,
                                              17, 17, 17, 10, 16, 10, 30, 30, 10};

static const char *const type_zh[] = {"咨询类", "问题反馈", "故障报修",
                                      "投诉类", "建议类",   "特殊需求"};
static const char *const type_en[] = {"Inquiry",   "Problem",    "Fault repair",
                                      "Complaint", "Suggestion", "Special request"};
static const char *const result_zh[] = {"已修复", "已提供解决方案", "客户撤回需求", "无法解决",
                                        "其他"};
static const char *const result_en[] = {"Fixed", "Solution provided", "Withdrawn by the customer",
                                        "Cannot be resolved", "Other"};

const char *export_header(enum export_lang lang, int c)
{
    return c < 0 || c >= EXPORT_COLUMNS ? "" : lang == EXPORT_EN ? headers_en[c] : headers_zh[c];
}

enum export_lang export_lang_of(const char *al)
{
    if (!al)
        return EXPORT_ZH;
    while (*al == ' ')
        al++;
    return (al[0] == 'e' || al[0] == 'E') && (al[1] == 'n' || al[1] == 'N') &&
                   (al[2] == '\0' || al[2] == '-' || al[2] == ',' || al[2] == ';' || al[2] == '_')
               ? EXPORT_EN
               : EXPORT_ZH;
}

int export_format_of(const char *s, enum export_format *ret)
{
    if (s && !strcmp(s, "csv"))
        *ret = EXPORT_CSV;
    else if (s && !strcmp(s, "xlsx"))
        *ret = EXPORT_XLSX;
    else
        return KF_EINVAL;
    return 0;
}

/* The label of value in list (NULL-ended) from labels, or value itself. */
static const char *label_of(const char *const *list, const char *const *labels, const char *v)
{
    for (int i = 0; v && list[i]; i++)
        if (!strcmp(list[i], v))
            return labels[i];
    return v;
}

static const char *satisfaction_label(const char *v, enum export_lang lang)
{
    for (int s = 0; v && s < SURVEY__SCALES; s++) {
        const struct survey_choice *c;
        size_t n = survey_choices((enum survey_scale)s, &c);
        for (size_t i = 0; i < n; i++)
            if (!strcmp(c[i].value, v))
                return lang == EXPORT_EN ? c[i].label_en : c[i].label;
    }
    return v;
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

static void local_tm(int64_t ms, struct tm *tm)
{
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    localtime_r(&secs, tm);
}

static const char *time_text(struct arena *a, int64_t ms, int date_only)
{
    if (!ms)
        return "";
    struct tm tm;
    local_tm(ms, &tm);
    if (date_only)
        return arena_printf(a, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    return arena_printf(a, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                        tm.tm_hour, tm.tm_min);
}

void export_row_of(const struct export_ticket *t, enum export_lang lang, struct arena *a,
                   struct export_row *r)
{
    memset(r, 0, sizeof(*r));
    const int en = lang == EXPORT_EN;
    r->cell[0] = nz(t->number);
    r->times[1] = t->created_at;
    /* 客户名称/编号: the name, or the member number (as shown outside the team) */
    r->cell[2] = t->customer_name && *t->customer_name ? t->customer_name
                 : t->member_id                        ? mask_member(a, t->member_id)
                                                       : "";
    r->cell[3] = nz(t->contact_name);
    r->cell[4] = t->phone && *t->phone   ? mask_phone(a, t->phone)
                 : t->email && *t->email ? mask_email(a, t->email)
                                         : "";
    r->cell[5] = nz(label_of(ticket_types, en ? type_en : type_zh, t->type));
    r->cell[6] = t->description && *t->description ? t->description : nz(t->subject);
    r->cell[7] = nz(t->assignee);
    r->times[8] = t->raised_at;
    r->times[9] = t->taken_over_at;
    r->times[10] = t->first_response_at;
    r->times[11] = t->processing_started_at;
    r->times[12] = t->resolved_at;
    for (int c = COL_DATE; c <= COL_LAST_TIME; c = c == COL_DATE ? COL_FIRST_TIME : c + 1)
        r->cell[c] = time_text(a, r->times[c], c == COL_DATE);
    /* 总响应时长: from the customer's request to its solution, in whole minutes */
    r->minutes = t->resolved_at && t->raised_at && t->resolved_at >= t->raised_at
                     ? (t->resolved_at - t->raised_at) / 60000
                     : -1;
    r->cell[EXPORT_MINUTES_COL] =
        r->minutes < 0 ? "" : arena_printf(a, "%lld", (long long)r->minutes);
    r->cell[14] = nz(label_of(results, en ? result_en : result_zh, t->result));
    r->cell[15] = nz(satisfaction_label(t->satisfaction, lang));
    r->cell[16] = nz(t->measures);
    r->cell[17] = t->transfers ? t->transfers : en ? "None" : "无";
    r->cell[18] = nz(t->reviewer);
}

void csv_cell(struct strbuf *sb, const char *s)
{
    s = nz(s);
    int guard =
        s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
    int quote = guard || strpbrk(s, ",\"\r\n") != NULL;
    if (!quote) {
        strbuf_addstr(sb, s);
        return;
    }
    strbuf_addch(sb, '"');
    if (guard)
        strbuf_addch(sb, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            strbuf_addch(sb, '"');
        strbuf_addch(sb, *p);
    }
    strbuf_addch(sb, '"');
}

void csv_row(struct strbuf *sb, const struct export_row *r)
{
    for (int c = 0; c < EXPORT_COLUMNS; c++) {
        if (c)
            strbuf_addch(sb, ',');
        if (c == EXPORT_MINUTES_COL) /* a number of our own: never guarded */
            strbuf_addstr(sb, r->cell[c]);
        else
            csv_cell(sb, r->cell[c]);
    }
    strbuf_addstr(sb, "\r\n");
}

/* ---- reading ---- */

/* The transfers of ticket id written out ("时间 从 → 到:原因", "; " between), NULL: none. */
static const char *transfers_of(struct db *db, int64_t id, enum export_lang lang, struct arena *a)
{
    struct stmt *st = db_stmt(db, SQL_export_transfers);
    st_int(st, 1, id);
    struct strbuf sb = STRBUF_INIT(64 * 1024);
    int rc, n = 0;
    while ((rc = st_step(st)) == 1) {
        const char *kind = col_text(st, 0);
        const char *from = col_text(st, 1) ? col_text(st, 1) : col_text(st, 2);
        const char *to_user = col_text(st, 3), *to_dept = col_text(st, 4);
        if (n++)
            strbuf_addstr(&sb, "; ");
        strbuf_addf(&sb, "%s ", time_text(a, col_int(st, 6), 0));
        if (kind && !strcmp(kind, "cooperate"))
            strbuf_addstr(&sb, lang == EXPORT_EN ? "cooperation " : "协办 ");
        strbuf_addf(&sb, "%s → %s%s%s", from ? from : "-", to_dept ? to_dept : "",
                    to_dept && to_user ? "/" : "", to_user ? to_user : (to_dept ? "" : "-"));
        strbuf_addf(&sb, lang == EXPORT_EN ? ": %s" : ":%s", nz(col_text(st, 5)));
    }
    st_reset(st);
    const char *out = n ? arena_strdup(a, sb.buf ? sb.buf : "") : NULL;
    strbuf_release(&sb);
    return out;
}

static const char *dup(struct arena *a, const char *s)
{
    return s ? arena_strdup(a, s) : NULL;
}

static int64_t time_col(struct stmt *st, int c)
{
    return col_is_null(st, c) ? 0 : col_int(st, c);
}

typedef int row_fn(void *arg, const struct export_row *r);

/* Calls fn for the row of every ticket of q, in the order they were created. */
static int each_row(struct db *db, const struct export_query *q, enum export_lang lang, row_fn *fn,
                    void *arg, int64_t *ret_rows)
{
    struct stmt *st = db_stmt(db, SQL_export_tickets);
    st_int(st, 1, q->from);
    st_int(st, 2, q->to);
    st_text(st, 3, q->channel);
    st_text(st, 4, q->type);
    if (q->department_id)
        st_int(st, 5, q->department_id);
    else
        st_null(st, 5);
    if (q->assignee_id)
        st_int(st, 6, q->assignee_id);
    else
        st_null(st, 6);
    int rc;
    int64_t rows = 0;
    struct arena a = ARENA_INIT;
    while ((rc = st_step(st)) == 1) {
        struct export_ticket t = {
            .number = dup(&a, col_text(st, 1)),
            .created_at = col_int(st, 2),
            .customer_name = dup(&a, col_text(st, 3)),
            .member_id = dup(&a, col_text(st, 4)),
            .contact_name = dup(&a, col_text(st, 5)),
            .phone = dup(&a, col_text(st, 6)),
            .email = dup(&a, col_text(st, 7)),
            .type = dup(&a, col_text(st, 8)),
            .subject = dup(&a, col_text(st, 9)),
            .description = dup(&a, col_text(st, 10)),
            .assignee = dup(&a, col_text(st, 11)),
            .raised_at = time_col(st, 12),
            .taken_over_at = time_col(st, 13),
            .first_response_at = time_col(st, 14),
            .processing_started_at = time_col(st, 15),
            .resolved_at = time_col(st, 16),
            .result = dup(&a, col_text(st, 17)),
            .satisfaction = dup(&a, col_text(st, 18)),
            .measures = dup(&a, col_text(st, 19)),
            .reviewer = dup(&a, col_text(st, 20)),
        };
        t.transfers = transfers_of(db, col_int(st, 0), lang, &a);
        struct export_row r;
        export_row_of(&t, lang, &a, &r);
        rows++;
        rc = fn(arg, &r);
        arena_release(&a);
        if (rc)
            break;
    }
    st_reset(st);
    arena_release(&a);
    if (ret_rows)
        *ret_rows = rows;
    return rc < 0 ? rc : 0;
}

/* ---- CSV ---- */

struct csv_out {
    FILE *f;
    struct strbuf sb;
};

static int csv_flush(struct csv_out *o)
{
    size_t n = o->sb.len;
    int rc = n && fwrite(o->sb.buf, 1, n, o->f) != n ? KF_EIO : 0;
    strbuf_reset(&o->sb);
    return rc;
}

static int csv_put(void *arg, const struct export_row *r)
{
    struct csv_out *o = arg;
    csv_row(&o->sb, r);
    return o->sb.len >= 64 * 1024 ? csv_flush(o) : 0;
}

static int write_csv(struct db *db, const struct export_query *q, enum export_lang lang, FILE *f,
                     int64_t *ret_rows)
{
    struct csv_out o = {f, STRBUF_INIT(16 * 1024 * 1024)};
    strbuf_addstr(&o.sb, "\xEF\xBB\xBF"); /* the byte-order mark: Excel and WPS read UTF-8 */
    for (int c = 0; c < EXPORT_COLUMNS; c++) {
        if (c)
            strbuf_addch(&o.sb, ',');
        csv_cell(&o.sb, export_header(lang, c));
    }
    strbuf_addstr(&o.sb, "\r\n");
    int rc = each_row(db, q, lang, csv_put, &o, ret_rows);
    if (!rc)
        rc = csv_flush(&o);
    strbuf_release(&o.sb);
    return rc;
}

/* ---- xlsx ---- */

struct xlsx_out {
    lxw_worksheet *ws;
    lxw_format *date, *time;
    lxw_row_t row;
    int err;
};

static int xlsx_put(void *arg, const struct export_row *r)
{
    struct xlsx_out *o = arg;
    lxw_row_t row = ++o->row;
    if (row >= LXW_ROW_MAX)
        return KF_ETOOBIG;
    for (int c = 0; c < EXPORT_COLUMNS; c++) {
        lxw_error err = LXW_NO_ERROR;
        if (r->times[c]) {
            struct tm tm;
            local_tm(r->times[c], &tm);
            lxw_datetime dt = {tm.tm_year + 1900,
                               tm.tm_mon + 1,
                               tm.tm_mday,
                               c == COL_DATE ? 0 : tm.tm_hour,
                               c == COL_DATE ? 0 : tm.tm_min,
                               0};
            err = worksheet_write_datetime(o->ws, row, (lxw_col_t)c, &dt,
                                           c == COL_DATE ? o->date : o->time);
        } else if (c == EXPORT_MINUTES_COL && r->minutes >= 0) {
            err = worksheet_write_number(o->ws, row, (lxw_col_t)c, (double)r->minutes, NULL);
        } else if (r->cell[c] && *r->cell[c]) {
            err = worksheet_write_string(o->ws, row, (lxw_col_t)c, r->cell[c], NULL);
        }
        if (err != LXW_NO_ERROR) {
            o->err = (int)err;
            return KF_EIO;
        }
    }
    return 0;
}

static int write_xlsx(struct db *db, const struct export_query *q, enum export_lang lang,
                      const char *path, int64_t *ret_rows, struct kf_error *e)
{
    lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .use_zip64 = LXW_TRUE};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    if (!wb)
        return kf_fail(e, KF_EIO, NULL, "the workbook cannot be created");
    struct xlsx_out o = {0};
    o.ws = workbook_add_worksheet(wb, lang == EXPORT_EN ? "Records" : "服务响应时间记录");
    lxw_format *bold = workbook_add_format(wb);
    format_set_bold(bold);
    o.date = workbook_add_format(wb);
    format_set_num_format(o.date, "yyyy-mm-dd");
    o.time = workbook_add_format(wb);
    format_set_num_format(o.time, "yyyy-mm-dd hh:mm");
    for (int c = 0; c < EXPORT_COLUMNS; c++)
        worksheet_set_column(o.ws, (lxw_col_t)c, (lxw_col_t)c, widths[c], NULL);
    worksheet_freeze_panes(o.ws, 1, 0);
    for (int c = 0; c < EXPORT_COLUMNS; c++)
        worksheet_write_string(o.ws, 0, (lxw_col_t)c, export_header(lang, c), bold);
    int rc = each_row(db, q, lang, xlsx_put, &o, ret_rows);
    lxw_error closed = workbook_close(wb);
    if (!rc && closed != LXW_NO_ERROR)
        rc = kf_fail(e, KF_EIO, NULL, lxw_strerror(closed));
    else if (rc == KF_EIO)
        kf_fail(e, rc, NULL, lxw_strerror((lxw_error)o.err));
    else if (rc == KF_ETOOBIG)
        kf_fail(e, rc, "to", "the period holds more tickets than a worksheet takes");
    return rc;
}

int export_write(struct db *db, const struct export_query *q, enum export_format fmt,
                 enum export_lang lang, const char *path, int64_t *ret_rows, struct kf_error *e)
{
    int rc;
    if (fmt == EXPORT_XLSX) {
        rc = write_xlsx(db, q, lang, path, ret_rows, e);
    } else {
        FILE *f = fopen(path, "wb");
        if (!f)
            return kf_fail(e, KF_EIO, NULL, "the export file cannot be created");
        rc = write_csv(db, q, lang, f, ret_rows);
        if (fclose(f) && !rc)
            rc = KF_EIO;
        if (rc == KF_EIO)
            kf_fail(e, rc, NULL, "the export file cannot be written");
    }
    if (rc == KF_EDB || rc == KF_EBUSY)
        kf_fail(e, rc, NULL, "the tickets cannot be read");
    db_reset_all(db);
    return rc;
}

int export_parse_day(const char *s, int *ret)
{
    int y, m, d;
    char tail;
    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
        s[4] != '-' || s[7] != '-' || y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1)
        return KF_EINVAL;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap))
        return KF_EINVAL;
    *ret = y * 10000 + m * 100 + d;
    return 0;
}

/* The day after yyyymmdd. */
static int next_day(int day)
{
    int64_t n = days_from_civil(day / 10000, (unsigned)(day / 100 % 100), (unsigned)(day % 100));
    /* civil from days (H. Hinnant) */
    n += 1 + 719468;
    int64_t era = (n >= 0 ? n : n - 146096) / 146097;
    int64_t doe = n - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    return (int)((y + (m <= 2)) * 10000 + m * 100 + d);
}

void export_days(struct export_query *q, int from_day, int to_day)
{
    q->from = ktime_day_start(from_day);
    q->to = ktime_day_start(next_day(to_day));
}
