/* calendar.c: business calendars: storing, checking and loading them for the SLA clocks. */
#include "core/calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/actor.h"
#include "core/audit.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "lib/text.h"
#include "lib/tz.h"
#include "store/db.h"

static const char *const weekdays[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

int calendar_day_valid(int d)
{
    int y = d / 10000, m = d / 100 % 100, day = d % 100;
    if (y < 1970 || y > 2200 || m < 1 || m > 12 || day < 1)
        return 0;
    static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return day <= len[m - 1] + (m == 2 && leap);
}

/* Appends d to the growing array *v of *n ints (capacity *cap) in arena a. */
static void push_day(struct arena *a, int **v, size_t *n, size_t *cap, int d)
{
    if (*n == *cap) {
        int *w = arena_alloc(a, (*cap ? 2 * *cap : 16) * sizeof(int));
        if (*n)
            memcpy(w, *v, *n * sizeof(int));
        *v = w;
        *cap = *cap ? 2 * *cap : 16;
    }
    (*v)[(*n)++] = d;
}

static int read_days(struct db *db, struct arena *a, struct calendar *c)
{
    struct stmt *st = db_stmt(db, SQL_calendar_days_of);
    st_int(st, 1, c->id);
    int *h = NULL, *w = NULL;
    size_t nh = 0, nw = 0, caph = 0, capw = 0;
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (!strcmp(col_text(st, 1), "holiday"))
            push_day(a, &h, &nh, &caph, (int)col_int(st, 0));
        else
            push_day(a, &w, &nw, &capw, (int)col_int(st, 0));
    }
    st_reset(st);
    c->biz.holidays = h, c->biz.nholidays = nh;
    c->biz.workdays = w, c->biz.nworkdays = nw;
    return rc < 0 ? rc : 0;
}

static int read_hours(struct db *db, struct calendar *c)
{
    struct stmt *st = db_stmt(db, SQL_calendar_hours_of);
    st_int(st, 1, c->id);
    int rc;
    memset(c->biz.nspans, 0, sizeof(c->biz.nspans));
    while ((rc = st_step(st)) == 1) {
        int wd = (int)col_int(st, 0);
        if (wd < 0 || wd > 6 || c->biz.nspans[wd] >= BIZ_SPANS_MAX)
            continue;
        int i = c->biz.nspans[wd]++;
        c->biz.spans[wd][i].start = (int)col_int(st, 1);
        c->biz.spans[wd][i].end = (int)col_int(st, 2);
    }
    st_reset(st);
    return rc < 0 ? rc : 0;
}

static void read_row(struct stmt *st, struct arena *a, struct calendar *c)
{
    memset(c, 0, sizeof(*c));
    c->id = col_int(st, 0);
    c->name = arena_strdup(a, col_text(st, 1));
    c->time_zone = arena_strdup(a, col_text(st, 2));
    c->created_at = col_int(st, 3);
    c->updated_at = col_int(st, 4);
    c->biz.zone = tz_get(c->time_zone);
}

int calendar_get(struct db *db, int64_t id, struct arena *arena, struct calendar *ret)
{
    struct stmt *st = db_stmt(db, SQL_calendar_by_id);
    st_int(st, 1, id);
    int rc = st_step(st);
    if (rc == 1)
        read_row(st, arena, ret);
    st_reset(st);
    if (rc <= 0)
        return rc < 0 ? rc : KF_ENOTFOUND;
    if (!ret->biz.zone) /* the system lost the zone: count in UTC rather than not at all */
        ret->biz.zone = tz_get("UTC");
    if ((rc = read_hours(db, ret)))
        return rc;
    return read_days(db, arena, ret);
}

int calendar_list(struct db *db, struct arena *arena, struct calendar **ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_calendar_list);
    size_t n = 0, cap = 8;
    int64_t *ids = arena_alloc(arena, cap * sizeof(*ids));
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            int64_t *w = arena_alloc(arena, 2 * cap * sizeof(*w));
            memcpy(w, ids, n * sizeof(*w));
            ids = w, cap *= 2;
        }
        ids[n++] = col_int(st, 0);
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    struct calendar *v = arena_alloc(arena, (n ? n : 1) * sizeof(*v));
    for (size_t i = 0; i < n; i++)
        if ((rc = calendar_get(db, ids[i], arena, &v[i])))
            return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

static int in_list(const int *v, size_t n, int d)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == d)
            return 1;
    return 0;
}

static int check_days(const int *v, size_t n, const char *field, struct kf_error *e)
{
    if (n > CALENDAR_DAYS_MAX)
        return kf_fail(e, KF_EINVAL, field, "too many days");
    for (size_t i = 0; i < n; i++)
        if (!calendar_day_valid(v[i]))
            return kf_fail(e, KF_EINVAL, field, "not a date of the form YYYY-MM-DD");
    return 0;
}

static int check_input(const struct calendar_input *in, int creating, struct arena *a,
                       struct kf_error *e)
{
    int rc;
    if ((creating || in->name) && (rc = text_check(in->name, "name", CALENDAR_NAME_MAX, 1, e)))
        return rc;
    if ((creating || in->time_zone) && (!in->time_zone || !tz_get(in->time_zone)))
        return kf_fail(e, KF_EINVAL, "time_zone", "not a time zone this system knows");
    if (in->has_hours) {
        int any = 0;
        for (int d = 0; d < 7; d++) {
            const char *problem = biz_day_problem(&in->hours, d);
            if (problem)
                return kf_fail(e, KF_EINVAL, arena_printf(a, "hours.%s", weekdays[d]), problem);
            any |= in->hours.nspans[d] > 0;
        }
        if (!any)
            return kf_fail(e, KF_EINVAL, "hours", "a calendar needs working hours on some day");
    } else if (creating) {
        return kf_fail(e, KF_EINVAL, "hours", "hours are required");
    }
    if ((in->has_holidays && (rc = check_days(in->holidays, in->nholidays, "holidays", e))) ||
        (in->has_workdays && (rc = check_days(in->workdays, in->nworkdays, "extra_workdays", e))))
        return rc;
    return 0;
}

static int write_hours(struct db *db, int64_t id, const struct biz_calendar *h)
{
    struct stmt *st = db_stmt(db, SQL_calendar_hours_delete);
    st_int(st, 1, id);
    int rc = st_exec(st);
    for (int d = 0; !rc && d < 7; d++)
        for (int i = 0; !rc && i < h->nspans[d]; i++) {
            st = db_stmt(db, SQL_calendar_hour_insert);
            st_int(st, 1, id);
            st_int(st, 2, d);
            st_int(st, 3, h->spans[d][i].start);
            st_int(st, 4, h->spans[d][i].end);
            rc = st_exec(st);
        }
    return rc;
}

static int write_days(struct db *db, int64_t id, const int *h, size_t nh, const int *w, size_t nw)
{
    struct stmt *st = db_stmt(db, SQL_calendar_days_delete);
    st_int(st, 1, id);
    int rc = st_exec(st);
    for (size_t i = 0; !rc && i < nh + nw; i++) {
        st = db_stmt(db, SQL_calendar_day_insert);
        st_int(st, 1, id);
        st_int(st, 2, i < nh ? h[i] : w[i - nh]);
        st_text(st, 3, i < nh ? "holiday" : "workday");
        rc = st_exec(st);
    }
    return rc == KF_ECONFLICT ? KF_EINVAL : rc; /* a day twice in one list */
}

static int may_configure(const struct actor *actor, struct kf_error *e)
{
    if (actor && actor->role != ROLE_ADMIN)
        return kf_fail(e, KF_EFORBIDDEN, NULL, "only an admin changes calendars");
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Writes the days of a calendar: the lists given, or what it has; a day in both is refused. */
static int store_days(struct db *db, int64_t id, const struct calendar_input *in,
                      const struct calendar *cur, struct arena *a, struct kf_error *e)
{
    const int *hs = in->has_holidays ? in->holidays : cur ? cur->biz.holidays : NULL;
    const int *ws = in->has_workdays ? in->workdays : cur ? cur->biz.workdays : NULL;
    size_t nh = in->has_holidays ? in->nholidays : cur ? cur->biz.nholidays : 0;
    size_t nw = in->has_workdays ? in->nworkdays : cur ? cur->biz.nworkdays : 0;
    int *h = arena_alloc(a, (nh + 1) * sizeof(int)), *w = arena_alloc(a, (nw + 1) * sizeof(int));
    if (nh)
        memcpy(h, hs, nh * sizeof(int));
    if (nw)
        memcpy(w, ws, nw * sizeof(int));
    qsort(h, nh, sizeof(int), cmp_int);
    qsort(w, nw, sizeof(int), cmp_int);
    for (size_t i = 0; i < nw; i++)
        if (in_list(h, nh, w[i]))
            return kf_fail(e, KF_EINVAL, "extra_workdays",
                           arena_printf(a, "%d is a holiday and a working day at once", w[i]));
    int rc = write_days(db, id, h, nh, w, nw);
    if (rc == KF_EINVAL)
        return kf_fail(e, KF_EINVAL, "holidays", "a day is listed twice");
    return rc;
}

static int audit_calendar(struct db *db, const struct actor *actor, const char *action,
                          const struct calendar *c, int deleted)
{
    struct strbuf sb = STRBUF_INIT(4096);
    struct jw w;
    jw_init(&w, &sb);
    jw_obj_begin(&w);
    jw_kstr(&w, "name", c->name);
    jw_kstr(&w, "time_zone", c->time_zone);
    jw_kint(&w, "holidays", (int64_t)c->biz.nholidays);
    jw_kint(&w, "extra_workdays", (int64_t)c->biz.nworkdays);
    jw_obj_end(&w);
    int rc = audit_write(db, actor, action, "calendar", c->id, deleted ? sb.buf : NULL,
                         deleted ? NULL : sb.buf);
    strbuf_release(&sb);
    return rc;
}

int calendar_create(struct db *db, const struct actor *actor, const struct calendar_input *in,
                    struct arena *arena, struct calendar *ret, struct kf_error *e)
{
    int rc;
    if ((rc = may_configure(actor, e)) || (rc = check_input(in, 1, arena, e)))
        return rc;
    struct stmt *st = db_stmt(db, SQL_calendar_insert);
    st_text(st, 1, in->name);
    st_text(st, 2, in->time_zone);
    st_int(st, 3, ktime_now());
    if ((rc = st_exec(st)) == KF_ECONFLICT)
        return kf_fail(e, rc, "name", "a calendar has this name already");
    if (rc)
        return rc;
    int64_t id = db_last_id(db);
    if ((rc = write_hours(db, id, &in->hours)) || (rc = store_days(db, id, in, NULL, arena, e)) ||
        (rc = calendar_get(db, id, arena, ret)))
        return rc;
    return audit_calendar(db, actor, "calendar.created", ret, 0);
}

int calendar_update(struct db *db, const struct actor *actor, int64_t id,
                    const struct calendar_input *in, struct arena *arena, struct calendar *ret,
                    struct kf_error *e)
{
    struct calendar cur;
    int rc;
    if ((rc = may_configure(actor, e)) || (rc = calendar_get(db, id, arena, &cur)) ||
        (rc = check_input(in, 0, arena, e)))
        return rc;
    struct stmt *st = db_stmt(db, SQL_calendar_update);
    st_int(st, 1, id);
    st_text(st, 2, in->name ? in->name : cur.name);
    st_text(st, 3, in->time_zone ? in->time_zone : cur.time_zone);
    st_int(st, 4, ktime_now());
    if ((rc = st_exec(st)) == KF_ECONFLICT)
        return kf_fail(e, rc, "name", "a calendar has this name already");
    if (rc || (in->has_hours && (rc = write_hours(db, id, &in->hours))) ||
        ((in->has_holidays || in->has_workdays) && (rc = store_days(db, id, in, &cur, arena, e))) ||
        (rc = calendar_get(db, id, arena, ret)))
        return rc;
    return audit_calendar(db, actor, "calendar.updated", ret, 0);
}

int calendar_delete(struct db *db, const struct actor *actor, int64_t id, struct kf_error *e)
{
    static const enum sql_id parts[] = {SQL_calendar_hours_delete, SQL_calendar_days_delete,
                                        SQL_calendar_delete};
    struct arena a = ARENA_INIT;
    struct calendar cur;
    int64_t policies = 0;
    int rc;
    if (!(rc = may_configure(actor, e)) && !(rc = calendar_get(db, id, &a, &cur))) {
        struct stmt *st = db_stmt(db, SQL_calendar_in_use);
        st_int(st, 1, id);
        if ((rc = st_one_int(st, &policies)) > 0)
            rc = policies ? kf_fail(e, KF_ECONFLICT, "id",
                                    "SLA policies count their clocks on this calendar")
                          : 0;
        for (size_t i = 0; !rc && i < sizeof(parts) / sizeof(parts[0]); i++) {
            st = db_stmt(db, parts[i]);
            st_int(st, 1, id);
            rc = st_exec(st);
        }
        if (!rc)
            rc = audit_calendar(db, actor, "calendar.deleted", &cur, 1);
    }
    arena_release(&a);
    return rc;
}
