/* export.c: GET /api/v1/reports/export: the records of a period as a CSV or .xlsx download,
 * written on the request's reading connection into a temporary file and sent from it. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/enums.h"
#include "core/export.h"
#include "http/handlers.h"
#include "lib/banned.h"
#include "lib/config.h"
#include "lib/ktime.h"
#include "lib/text.h"

enum { EXPORT_DAYS_MAX = 400 };

static int id_param(const struct request *req, const char *key, int64_t *ret, struct kf_error *e)
{
    const char *v = req_query(req, key);
    if (!v)
        return 0;
    if (!(*ret = parse_id(v)))
        return kf_fail(e, KF_EINVAL, key, "must be a positive id");
    return 0;
}

static int export_query_read(const struct request *req, struct export_query *q, struct kf_error *e)
{
    const char *from = req_query(req, "from"), *to = req_query(req, "to");
    int from_day = 0, to_day = 0;
    if (!from)
        from_day = ktime_day(ktime_now()); /* today */
    else if (export_parse_day(from, &from_day))
        return kf_fail(e, KF_EINVAL, "from", "from must be a day, YYYY-MM-DD");
    if (!to)
        to_day = from_day;
    else if (export_parse_day(to, &to_day))
        return kf_fail(e, KF_EINVAL, "to", "to must be a day, YYYY-MM-DD");
    if (to_day < from_day)
        return kf_fail(e, KF_EINVAL, "to", "to must not be before from");
    export_days(q, from_day, to_day);
    if (q->to - q->from > (int64_t)EXPORT_DAYS_MAX * 86400000)
        return kf_fail(e, KF_EINVAL, "to", "a period of at most 400 days");
    q->channel = req_query(req, "channel");
    q->type = req_query(req, "type");
    if (q->channel && !text_is_code(q->channel, 64))
        return kf_fail(e, KF_EINVAL, "channel", "must be a channel's code");
    if (q->type && !enum_has(ticket_types, q->type))
        return kf_fail(e, KF_EINVAL, "type", "not a ticket type");
    int rc;
    if ((rc = id_param(req, "department_id", &q->department_id, e)) ||
        (rc = id_param(req, "assignee_id", &q->assignee_id, e)))
        return rc;
    /* agents and specialists export the tickets they handle, no one else's */
    if (!role_is_lead(req->actor.role)) {
        if (q->assignee_id && q->assignee_id != req->actor.user_id)
            return kf_fail(e, KF_EFORBIDDEN, "assignee_id",
                           "only supervisors and admins export other agents' tickets");
        q->assignee_id = req->actor.user_id;
    }
    return 0;
}

int h_report_export(struct request *req, struct response *resp)
{
    struct export_query q = {0};
    struct kf_error e = {0};
    enum export_format fmt = EXPORT_CSV;
    const char *format = req_query(req, "format");
    int rc = export_query_read(req, &q, &e);
    if (!rc && format && export_format_of(format, &fmt))
        rc = kf_fail(&e, KF_EINVAL, "format", "format must be csv or xlsx");
    if (rc)
        return reply_error(resp, rc, &e);
    char *path = arena_printf(req->arena, "%s/.export-XXXXXX", req->cfg->data_dir);
    int fd = mkstemp(path);
    if (fd < 0)
        return reply_errorf(resp, 500, "internal", NULL, "no room for the export file");
    close(fd);
    rc = export_write(req->db, &q, fmt, export_lang_of(req->accept_language), path, NULL, &e);
    fd = rc ? -1 : open(path, O_RDONLY | O_CLOEXEC);
    unlink(path); /* the open file lives on until it is sent */
    if (rc)
        return reply_error(resp, rc, &e);
    if (fd < 0)
        return reply_errorf(resp, 500, "internal", NULL, "the export file cannot be read");
    int a = ktime_day(q.from), b = ktime_day(q.to - 1);
    char name[64];
    if (a == b)
        snprintf(name, sizeof(name), "kefu-records-%04d-%02d-%02d.%s", a / 10000, a / 100 % 100,
                 a % 100, fmt == EXPORT_XLSX ? "xlsx" : "csv");
    else
        snprintf(name, sizeof(name), "kefu-records-%04d-%02d-%02d_%04d-%02d-%02d.%s", a / 10000,
                 a / 100 % 100, a % 100, b / 10000, b / 100 % 100, b % 100,
                 fmt == EXPORT_XLSX ? "xlsx" : "csv");
    resp->data_fd = fd;
    resp->content_type = fmt == EXPORT_XLSX
                             ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                             : "text/csv; charset=utf-8";
    resp_header(resp, "Content-Disposition",
                arena_printf(req->arena, "attachment; filename=\"%s\"", name));
    return 200;
}
