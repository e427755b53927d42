/* export.h: the record export of seed 004's template (服务响应时间记录表): every ticket of a
 * period, one row each, as CSV (UTF-8 with a byte-order mark) or an .xlsx workbook; the same
 * code serves the API, `kefu export` and the scheduled reports. */
#ifndef KEFU_EXPORT_H
#define KEFU_EXPORT_H

#include <stdint.h>

struct db;
struct arena;
struct strbuf;
struct kf_error;

enum export_format { EXPORT_CSV, EXPORT_XLSX };
enum export_lang { EXPORT_ZH, EXPORT_EN };

enum {
    EXPORT_COLUMNS = 19,
    EXPORT_MINUTES_COL = 13, /* 总响应时长(分钟): a number */
};

/* What is exported: tickets created in [from, to) (UTC ms), narrowed by the list filters
 * (NULL / 0: any). */
struct export_query {
    int64_t from, to;
    const char *channel, *type;
    int64_t department_id, assignee_id;
};

/* One ticket as read for the export. Times are UTC ms, 0 when not reached. */
struct export_ticket {
    const char *number, *customer_name, *member_id, *contact_name, *phone, *email, *type;
    const char *subject, *description, *assignee, *result, *satisfaction, *measures, *reviewer;
    const char *transfers; /* already written out, NULL: none */
    int64_t created_at, raised_at, taken_over_at, first_response_at, processing_started_at,
        resolved_at;
};

/* One row: the text of each cell ("" for none); times[c] is the instant of a date or time
 * column (0 for none and for the other columns); minutes is 总响应时长, -1 when unresolved. */
struct export_row {
    const char *cell[EXPORT_COLUMNS];
    int64_t times[EXPORT_COLUMNS];
    int64_t minutes;
};

/* The header of column c in lang. */
const char *export_header(enum export_lang lang, int c);
/* "en" when the first language of an Accept-Language header is English, else Chinese. */
enum export_lang export_lang_of(const char *accept_language);
/* "csv" / "xlsx" → *ret; KF_EINVAL otherwise. */
int export_format_of(const char *s, enum export_format *ret);
/* The row of ticket t: contacts masked, labels in lang, times in the configured zone. */
void export_row_of(const struct export_ticket *t, enum export_lang lang, struct arena *a,
                   struct export_row *ret);

/* Appends one CSV cell to sb as RFC 4180 wants it (quoted when it holds a comma, a quote, CR
 * or LF, quotes doubled), prefixed with ' when it starts with = + - @ (or a tab or CR), so
 * that a spreadsheet does not run it as a formula. */
void csv_cell(struct strbuf *sb, const char *s);
/* Appends row r (cells separated by commas, ended by CRLF). */
void csv_row(struct strbuf *sb, const struct export_row *r);

/* Writes the export of q as fmt with headers in lang into a new file at path (replaced if it
 * exists), reading on db (a reading connection: no write lock is taken). The xlsx workbook is
 * written in libxlsxwriter's constant-memory mode, so memory stays bounded whatever the count.
 * 0 and *ret_rows (may be NULL); KF_EIO or KF_EDB with e. */
int export_write(struct db *db, const struct export_query *q, enum export_format fmt,
                 enum export_lang lang, const char *path, int64_t *ret_rows, struct kf_error *e);

/* "2023-10-01" → 20231001; KF_EINVAL for anything else (a real calendar day). */
int export_parse_day(const char *s, int *ret_yyyymmdd);
/* The query for the local days from..to (YYYYMMDD, both included). */
void export_days(struct export_query *q, int from_day, int to_day);

#endif
