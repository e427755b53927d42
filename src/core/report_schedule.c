/* report_schedule.c: scheduled reports: the schedules, their periods' deliveries, and the
 * weekly summary they mail. */
#define _POSIX_C_SOURCE 200809L
#include "core/report_schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/actor.h"
#include "core/audit.h"
#include "core/export.h"
#include "core/mail_out.h"
#include "core/survey.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "store/db.h"
#include "store/writer.h"

static const int64_t DAY_MS = 86400000;

/* ---- times (pure but for the zone) ---- */

static int parse_at(const char *at, int *ret_h, int *ret_m)
{
    if (!at || strlen(at) != 5 || at[2] != ':')
        return KF_EINVAL;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (at[i] < '0' || at[i] > '9'))
            return KF_EINVAL;
    int h = (at[0] - '0') * 10 + at[1] - '0', m = (at[3] - '0') * 10 + at[4] - '0';
    if (h > 23 || m > 59)
        return KF_EINVAL;
    *ret_h = h, *ret_m = m;
    return 0;
}

static int is_weekly(const char *kind)
{
    return kind && !strcmp(kind, "weekly_summary");
}

static int kind_ok(const char *kind)
{
    return kind && (is_weekly(kind) || !strcmp(kind, "daily_export"));
}

/* The instant at which the local wall clock shows h:m, `days` days after the local day of
 * `from` (counted on the calendar, so that a day of 23 or 25 hours is one day); its weekday in
 * *ret_wday (0 Sunday). */
static int64_t at_on_day(int64_t from, int days, int h, int m, int *ret_wday)
{
    time_t secs = (time_t)(from / 1000);
    struct tm tm;
    localtime_r(&secs, &tm);
    tm.tm_mday += days;
    tm.tm_hour = h, tm.tm_min = m, tm.tm_sec = 0, tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    *ret_wday = tm.tm_wday;
    return (int64_t)t * 1000;
}

int64_t report_next_at(const char *kind, const char *at, int64_t after)
{
    int h, m;
    if (!kind_ok(kind) || parse_at(at, &h, &m))
        return 0;
    for (int i = 0; i <= 8; i++) {
        int wday;
        int64_t t = at_on_day(after, i, h, m, &wday);
        if (t > after && (!is_weekly(kind) || wday == 1))
            return t;
    }
    return 0;
}

static const char *day_text(struct arena *a, int64_t ms)
{
    int d = ktime_day(ms);
    return arena_printf(a, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
}

/* ---- schedules ---- */

static const char **split_lines(struct arena *a, const char *s, size_t *ret_n)
{
    size_t n = 0, cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == '\n';
    const char **v = arena_alloc(a, cap * sizeof(*v));
    for (const char *p = s; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len)
            v[n++] = arena_strndup(a, p, len);
        p += len + (end ? 1 : 0);
    }
    *ret_n = n;
    return v;
}

static void read_schedule(struct stmt *st, struct arena *a, struct report_schedule *r)
{
    memset(r, 0, sizeof(*r));
    r->id = col_int(st, 0);
    r->kind = arena_strdup(a, col_text(st, 1));
    r->to = split_lines(a, col_text(st, 2) ? col_text(st, 2) : "", &r->nto);
    r->at = arena_strdup(a, col_text(st, 3));
    r->format = arena_strdup(a, col_text(st, 4));
    r->channel = col_text(st, 5) ? arena_strdup(a, col_text(st, 5)) : NULL;
    r->next_at = col_int(st, 6);
    r->created_at = col_int(st, 7);
    r->updated_at = col_int(st, 8);
}

int report_schedule_get(struct db *db, int64_t id, struct arena *arena, struct report_schedule *ret)
{
    struct stmt *st = db_stmt(db, SQL_report_schedule_get);
    st_int(st, 1, id);
    int rc = st_step(st);
    if (rc == 1)
        read_schedule(st, arena, ret);
    st_reset(st);
    return rc < 0 ? rc : rc == 1 ? 0 : KF_ENOTFOUND;
}

int report_schedule_list(struct db *db, struct arena *arena, struct report_schedule **ret,
                         size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_report_schedule_list);
    size_t n = 0, cap = 8;
    struct report_schedule *v = arena_alloc(arena, cap * sizeof(*v));
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            struct report_schedule *w = arena_alloc(arena, 2 * cap * sizeof(*w));
            memcpy(w, v, n * sizeof(*v));
            v = w, cap *= 2;
        }
        read_schedule(st, arena, &v[n++]);
    }
    st_reset(st);
    *ret = v, *ret_n = n;
    return rc < 0 ? rc : 0;
}

/* Checks the schedule s would become; 0 or KF_EINVAL naming the field. */
static int check(struct db *db, const struct report_schedule *s, struct kf_error *e)
{
    if (!kind_ok(s->kind))
        return kf_fail(e, KF_EINVAL, "kind", "kind must be daily_export or weekly_summary");
    if (!s->nto)
        return kf_fail(e, KF_EINVAL, "to", "to must name at least one address");
    if (s->nto > REPORT_TO_MAX)
        return kf_fail(e, KF_EINVAL, "to", "at most 20 addresses");
    for (size_t i = 0; i < s->nto; i++)
        if (!s->to[i] || strlen(s->to[i]) > MAIL_OUT_TO_MAX || !mail_out_address_ok(s->to[i]))
            return kf_fail(e, KF_EINVAL, "to", "every address must be one e-mail address");
    int h, m;
    if (parse_at(s->at, &h, &m))
        return kf_fail(e, KF_EINVAL, "at", "at must be a time of day, HH:MM");
    if (!s->format || (strcmp(s->format, "csv") && strcmp(s->format, "xlsx")))
        return kf_fail(e, KF_EINVAL, "format", "format must be csv or xlsx");
    if (s->channel) {
        struct stmt *st = db_stmt(db, SQL_report_mail_channel);
        st_text(st, 1, s->channel);
        int rc = st_step(st);
        int mail = rc == 1 && col_text(st, 0) && !strcmp(col_text(st, 0), "mail");
        st_reset(st);
        if (rc < 0)
            return rc;
        if (!mail)
            return kf_fail(e, KF_EINVAL, "channel", "channel must be a mail channel's code");
    }
    return 0;
}

static const char *join_lines(struct arena *a, const char **v, size_t n)
{
    struct strbuf sb = STRBUF_INIT(64 * 1024);
    for (size_t i = 0; i < n; i++)
        strbuf_addf(&sb, "%s%s", i ? "\n" : "", v[i]);
    const char *out = arena_strdup(a, sb.buf ? sb.buf : "");
    strbuf_release(&sb);
    return out;
}

static const char *audit_json(struct arena *a, const struct report_schedule *s)
{
    struct strbuf sb = STRBUF_INIT(64 * 1024);
    struct jw j;
    jw_init(&j, &sb);
    jw_obj_begin(&j);
    jw_kstr(&j, "kind", s->kind);
    jw_key(&j, "to");
    jw_arr_begin(&j);
    for (size_t i = 0; i < s->nto; i++)
        jw_str(&j, s->to[i]);
    jw_arr_end(&j);
    jw_kstr(&j, "at", s->at);
    jw_kstr(&j, "format", s->format);
    jw_kstr(&j, "channel", s->channel);
    jw_obj_end(&j);
    const char *out = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return out;
}

static void apply(struct report_schedule *s, const struct report_schedule_input *in)
{
    if (in->has_kind)
        s->kind = in->kind;
    if (in->has_to)
        s->to = in->to, s->nto = in->nto;
    if (in->has_at)
        s->at = in->at;
    if (in->has_format)
        s->format = in->format;
    if (in->has_channel)
        s->channel = in->channel;
}

int report_schedule_create(struct db *db, const struct actor *actor,
                           const struct report_schedule_input *in, struct arena *arena,
                           struct report_schedule *ret, struct kf_error *e)
{
    struct report_schedule s = {.format = "xlsx"};
    apply(&s, in);
    if (!in->has_kind)
        return kf_fail(e, KF_EINVAL, "kind", "kind is required");
    if (!in->has_to)
        return kf_fail(e, KF_EINVAL, "to", "to is required");
    if (!in->has_at)
        return kf_fail(e, KF_EINVAL, "at", "at is required");
    int rc = check(db, &s, e);
    if (rc)
        return rc;
    int64_t now = ktime_now();
    s.next_at = report_next_at(s.kind, s.at, now);
    struct stmt *st = db_stmt(db, SQL_report_schedule_insert);
    st_text(st, 1, s.kind);
    st_text(st, 2, join_lines(arena, s.to, s.nto));
    st_text(st, 3, s.at);
    st_text(st, 4, s.format);
    st_text(st, 5, s.channel);
    st_int(st, 6, s.next_at);
    if (actor && actor->user_id)
        st_int(st, 7, actor->user_id);
    else
        st_null(st, 7);
    st_int(st, 8, now);
    if ((rc = st_exec(st)))
        return rc;
    int64_t id = db_last_id(db);
    if ((rc = report_schedule_get(db, id, arena, ret)))
        return rc;
    return audit_write(db, actor, "report_schedule.created", "report_schedule", id, NULL,
                       audit_json(arena, ret));
}

int report_schedule_update(struct db *db, const struct actor *actor, int64_t id,
                           const struct report_schedule_input *in, struct arena *arena,
                           struct report_schedule *ret, struct kf_error *e)
{
    struct report_schedule old, s;
    int rc = report_schedule_get(db, id, arena, &old);
    if (rc)
        return rc;
    s = old;
    apply(&s, in);
    if ((rc = check(db, &s, e)))
        return rc;
    int64_t now = ktime_now();
    /* a new time or kind takes effect from now; otherwise the next time stays */
    int64_t next = strcmp(s.kind, old.kind) || strcmp(s.at, old.at)
                       ? report_next_at(s.kind, s.at, now)
                       : old.next_at;
    struct stmt *st = db_stmt(db, SQL_report_schedule_update);
    st_int(st, 1, id);
    st_text(st, 2, s.kind);
    st_text(st, 3, join_lines(arena, s.to, s.nto));
    st_text(st, 4, s.at);
    st_text(st, 5, s.format);
    st_text(st, 6, s.channel);
    st_int(st, 7, next);
    st_int(st, 8, now);
    if ((rc = st_exec(st)) || (rc = report_schedule_get(db, id, arena, ret)))
        return rc;
    return audit_write(db, actor, "report_schedule.updated", "report_schedule", id,
                       audit_json(arena, &old), audit_json(arena, ret));
}

int report_schedule_delete(struct db *db, const struct actor *actor, int64_t id)
{
    struct arena a = ARENA_INIT;
    struct report_schedule old;
    int rc = report_schedule_get(db, id, &a, &old);
    if (!rc) {
        struct stmt *st = db_stmt(db, SQL_report_schedule_delete);
        st_int(st, 1, id);
        rc = st_exec(st);
    }
    if (!rc)
        rc = audit_write(db, actor, "report_schedule.deleted", "report_schedule", id,
                         audit_json(&a, &old), NULL);
    arena_release(&a);
    return rc;
}

int report_deliveries(struct db *db, int64_t id, struct arena *arena, struct report_delivery **ret,
                      size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_report_deliveries_list);
    st_int(st, 1, id);
    struct report_delivery *v = arena_alloc(arena, REPORT_DELIVERIES_SHOWN * sizeof(*v));
    size_t n = 0;
    int rc;
    while ((rc = st_step(st)) == 1 && n < REPORT_DELIVERIES_SHOWN) {
        struct report_delivery *d = &v[n++];
        memset(d, 0, sizeof(*d));
        d->id = col_int(st, 0);
        d->period = arena_strdup(arena, col_text(st, 1));
        d->error = col_text(st, 3) ? arena_strdup(arena, col_text(st, 3)) : NULL;
        d->filename = col_text(st, 4) ? arena_strdup(arena, col_text(st, 4)) : NULL;
        d->created_at = col_int(st, 5);
        d->mails = (int)col_int(st, 6);
        d->sent = (int)col_int(st, 7);
        d->failed = (int)col_int(st, 8);
        if (!d->error && col_text(st, 9))
            d->error = arena_strdup(arena, col_text(st, 9));
        d->sent_at = col_is_null(st, 10) ? 0 : col_int(st, 10);
        /* failed: never queued, or a mail failed; sent: every mail went out */
        const char *own = col_text(st, 2);
        d->status = own && !strcmp(own, "failed")     ? "failed"
                    : d->failed                       ? "failed"
                    : d->mails && d->sent == d->mails ? "sent"
                                                      : "queued";
        if (strcmp(d->status, "sent"))
            d->sent_at = 0;
    }
    st_reset(st);
    *ret = v, *ret_n = n;
    return rc < 0 ? rc : 0;
}

/* ---- the weekly summary ---- */

static void bind_range(struct stmt *st, int64_t from, int64_t to)
{
    st_int(st, 1, from);
    st_int(st, 2, to);
}

static int score_of(const char *v)
{
    for (int s = 0; v && s < SURVEY__SCALES; s++) {
        int n = survey_score((enum survey_scale)s, v);
        if (n)
            return n;
    }
    return 0;
}

int report_summary_text(struct db *db, int64_t from, int64_t to, struct arena *arena,
                        const char **ret)
{
    struct strbuf sb = STRBUF_INIT(256 * 1024);
    int rc;
    struct stmt *st = db_stmt(db, SQL_summary_times);
    bind_range(st, from, to);
    int64_t total = 0, overdue = 0;
    double frt = -1, res = -1;
    if ((rc = st_step(st)) == 1) {
        total = col_int(st, 0);
        frt = col_is_null(st, 1) ? -1 : (double)col_int(st, 1);
        res = col_is_null(st, 2) ? -1 : (double)col_int(st, 2);
        overdue = col_is_null(st, 3) ? 0 : col_int(st, 3);
    }
    st_reset(st);
    if (rc < 0)
        goto out;
    strbuf_addf(&sb, "服务周报 %s 至 %s\n\n", day_text(arena, from), day_text(arena, to - 1));
    strbuf_addf(&sb, "工单总量:%lld\n", (long long)total);
    st = db_stmt(db, SQL_summary_by_channel);
    bind_range(st, from, to);
    strbuf_addstr(&sb, "各渠道工单量:\n");
    int n = 0;
    while ((rc = st_step(st)) == 1) {
        int64_t c = col_int(st, 1);
        strbuf_addf(&sb, "  %s:%lld(%.1f%%)\n", col_text(st, 0), (long long)c,
                    total ? 100.0 * (double)c / (double)total : 0.0);
        n++;
    }
    st_reset(st);
    if (rc < 0)
        goto out;
    if (!n)
        strbuf_addstr(&sb, "  无\n");
    if (frt >= 0)
        strbuf_addf(&sb, "平均首次响应时长:%.1f 分钟\n", frt / 60000.0);
    else
        strbuf_addstr(&sb, "平均首次响应时长:无\n");
    if (res >= 0)
        strbuf_addf(&sb, "平均解决时长:%.1f 分钟\n", res / 60000.0);
    else
        strbuf_addstr(&sb, "平均解决时长:无\n");
    strbuf_addf(&sb, "超时工单数:%lld\n", (long long)overdue);
    st = db_stmt(db, SQL_summary_satisfaction);
    bind_range(st, from, to);
    int64_t rated = 0, points = 0;
    while ((rc = st_step(st)) == 1) {
        int s = score_of(col_text(st, 0));
        if (s)
            rated += col_int(st, 1), points += s * col_int(st, 1);
    }
    st_reset(st);
    if (rc < 0)
        goto out;
    if (rated)
        strbuf_addf(&sb, "客户满意度平均分:%.2f / 5(%lld 条评价)\n", (double)points / (double)rated,
                    (long long)rated);
    else
        strbuf_addstr(&sb, "客户满意度平均分:无评价\n");
    st = db_stmt(db, SQL_summary_top_categories);
    bind_range(st, from, to);
    strbuf_addstr(&sb, "问题分类前五:\n");
    n = 0;
    while ((rc = st_step(st)) == 1)
        strbuf_addf(&sb, "  %d. %s:%lld\n", ++n, col_text(st, 1), (long long)col_int(st, 2));
    st_reset(st);
    if (rc < 0)
        goto out;
    if (!n)
        strbuf_addstr(&sb, "  无\n");
    *ret = arena_strdup(arena, sb.buf);
    rc = 0;
out:
    strbuf_release(&sb);
    return rc;
}

/* ---- running ---- */

int report_schedule_due(struct db *db, int64_t now)
{
    struct stmt *st = db_stmt(db, SQL_report_schedule_due);
    st_int(st, 1, now);
    int64_t id;
    int rc = st_one_int(st, &id);
    return rc < 0 ? rc : rc == 1;
}

/* One period's delivery of a schedule, built on the reading side, written in one job. */
struct delivery_job {
    struct report_schedule s;
    int64_t fired_at, next_at, now;
    const char *period, *subject, *text, *filename, *content_type, *error;
    void *data;
    size_t size;
};

static int insert_delivery(struct db *db, struct delivery_job *j, const char *status,
                           const char *error, int64_t *ret_id)
{
    struct stmt *st = db_stmt(db, SQL_report_delivery_insert);
    st_int(st, 1, j->s.id);
    st_text(st, 2, j->period);
    st_text(st, 3, status);
    st_text(st, 4, error);
    st_text(st, 5, j->filename);
    st_text(st, 6, j->content_type);
    if (j->data && !error)
        st_blob(st, 7, j->data, j->size);
    else
        st_null(st, 7);
    st_int(st, 8, j->now);
    int rc = st_exec(st);
    *ret_id = rc ? 0 : db_last_id(db);
    return rc;
}

static int queue_mails(struct db *db, struct delivery_job *j, int64_t delivery_id,
                       struct kf_error *e)
{
    for (size_t i = 0; i < j->s.nto; i++) {
        struct mail_out m = {.channel = j->s.channel,
                             .kind = "notice",
                             .to = j->s.to[i],
                             .subject = j->subject,
                             .text = j->text};
        int64_t mail_id;
        int rc = mail_out_queue(db, &m, &mail_id, e);
        if (rc)
            return rc;
        struct stmt *st = db_stmt(db, SQL_report_mail_insert);
        st_int(st, 1, delivery_id);
        st_int(st, 2, mail_id);
        if ((rc = st_exec(st)))
            return rc;
    }
    return 0;
}

static int delivery_run(struct db *db, void *arg)
{
    struct delivery_job *j = arg;
    /* the files of deliveries whose mails are all done, a day on */
    struct stmt *st = db_stmt(db, SQL_report_files_drop);
    st_int(st, 1, j->now - DAY_MS);
    int rc = st_exec(st);
    if (rc)
        return rc;
    /* moved on meanwhile (done, edited or deleted): nothing to do */
    st = db_stmt(db, SQL_report_schedule_move);
    st_int(st, 1, j->s.id);
    st_int(st, 2, j->fired_at);
    st_int(st, 3, j->next_at);
    rc = st_exec(st);
    if (rc || !db_changes(db))
        return rc;
    int64_t id = 0;
    if ((rc = db_savepoint(db)))
        return rc;
    struct kf_error e = {0};
    const char *error = j->error;
    if (!error) {
        rc = insert_delivery(db, j, "queued", NULL, &id);
        if (rc == KF_ECONFLICT) { /* this period went out before */
            db_rollback_to(db);
            return db_release(db);
        }
        if (!rc)
            rc = queue_mails(db, j, id, &e);
        if (!rc)
            return db_release(db);
        if (rc != KF_EINVAL && rc != KF_ENOTFOUND) {
            db_rollback_to(db);
            db_release(db);
            return rc;
        }
        error = e.message ? e.message : kf_strerror(rc);
        db_rollback_to(db);
    }
    /* the report could not be made or mailed: the delivery says why */
    rc = insert_delivery(db, j, "failed", error, &id);
    if (rc == KF_ECONFLICT)
        rc = 0;
    db_release(db);
    return rc;
}

/* Reads path whole into a malloc'd buffer. */
static int read_file(const char *path, void **ret, size_t *ret_n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return KF_EIO;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger)
                free(buf);
            buf = bigger, cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        return KF_EIO;
    }
    *ret = buf, *ret_n = n;
    return 0;
}

/* Builds the report of schedule s for the period that fired at j->fired_at. */
static void build(struct db *db, struct delivery_job *j, const char *tmp_prefix, struct arena *a)
{
    const struct report_schedule *s = &j->s;
    if (is_weekly(s->kind)) {
        /* last week, Monday to Sunday: the week before the Monday it fires on */
        int64_t monday = ktime_day_start(ktime_day(j->fired_at - 7 * DAY_MS));
        int64_t end = ktime_day_start(ktime_day(j->fired_at));
        j->period = day_text(a, monday);
        j->subject = arena_printf(a, "服务周报 %s 至 %s", j->period, day_text(a, end - 1));
        if (report_summary_text(db, monday, end, a, &j->text))
            j->error = "the summary could not be read";
        return;
    }
    int day = ktime_day(j->fired_at);
    j->period = day_text(a, j->fired_at);
    int xlsx = !strcmp(s->format, "xlsx");
    j->filename = arena_printf(a, "kefu-records-%s.%s", j->period, xlsx ? "xlsx" : "csv");
    j->content_type =
        xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv";
    j->subject = arena_printf(a, "服务响应时间记录 %s", j->period);
    struct export_query q = {0};
    export_days(&q, day, day);
    char *path = arena_printf(a, "%s.report-XXXXXX", tmp_prefix);
    int fd = mkstemp(path);
    if (fd < 0) {
        j->error = "no room for the report file";
        return;
    }
    close(fd);
    int64_t rows = 0;
    struct kf_error e = {0};
    int rc = export_write(db, &q, xlsx ? EXPORT_XLSX : EXPORT_CSV, EXPORT_ZH, path, &rows, &e);
    if (!rc)
        rc = read_file(path, &j->data, &j->size);
    unlink(path);
    if (rc) {
        j->error = e.message ? e.message : "the report file could not be written";
        return;
    }
    j->text = arena_printf(a,
                           "%s 的服务响应时间记录共 %lld 条,见附件 %s。\n\n"
                           "The service records of %s: %lld, attached as %s.\n",
                           j->period, (long long)rows, j->filename, j->period, (long long)rows,
                           j->filename);
}

int report_schedule_run(struct db *db, struct writer *w, const char *tmp_prefix, int64_t now)
{
    for (int guard = 0; guard < 100; guard++) {
        struct stmt *st = db_stmt(db, SQL_report_schedule_due);
        st_int(st, 1, now);
        int64_t id;
        int rc = st_one_int(st, &id);
        if (rc <= 0)
            return rc;
        struct arena a = ARENA_INIT;
        struct delivery_job j = {.now = now};
        if ((rc = report_schedule_get(db, id, &a, &j.s))) {
            arena_release(&a);
            return rc == KF_ENOTFOUND ? 0 : rc;
        }
        j.fired_at = j.s.next_at;
        /* missed times (the server was down) are made up once, for the first period missed;
         * the schedule then goes on from now */
        j.next_at = report_next_at(j.s.kind, j.s.at, now > j.fired_at ? now : j.fired_at);
        build(db, &j, tmp_prefix, &a);
        db_reset_all(db); /* no read snapshot held while the writer works */
        rc = writer_run(w, delivery_run, &j);
        free(j.data);
        arena_release(&a);
        if (rc)
            return rc;
    }
    return 0;
}
