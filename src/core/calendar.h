/* calendar.h: business calendars (工作日历): working hours per weekday, holidays and 调休 working
 * days, in a time zone of their own. SLA policies count their clocks on one. */
#ifndef KEFU_CALENDAR_H
#define KEFU_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "core/bizhours.h"

struct db;
struct arena;
struct actor;
struct kf_error;

enum { CALENDAR_DAYS_MAX = 1000, CALENDAR_NAME_MAX = 100 };

struct calendar {
    int64_t id;
    const char *name, *time_zone;
    struct biz_calendar biz; /* zone, spans, holidays and extra workdays, ready to count */
    int64_t created_at, updated_at;
};

/* What an admin gives: on update, only what `has_*` names changes. Days are YYYYMMDD. */
struct calendar_input {
    const char *name, *time_zone;
    int has_hours;
    struct biz_calendar hours; /* spans and nspans only */
    int has_holidays, has_workdays;
    const int *holidays, *workdays;
    size_t nholidays, nworkdays;
};

/* Creates a calendar (admin). KF_EINVAL naming the field ("time_zone", "hours.mon",
 * "holidays", "extra_workdays"); KF_ECONFLICT for a name in use; KF_EFORBIDDEN. */
int calendar_create(struct db *db, const struct actor *actor, const struct calendar_input *in,
                    struct arena *arena, struct calendar *ret, struct kf_error *e);
int calendar_update(struct db *db, const struct actor *actor, int64_t id,
                    const struct calendar_input *in, struct arena *arena, struct calendar *ret,
                    struct kf_error *e);
/* Removes a calendar (admin): KF_ECONFLICT while an SLA policy counts on it (field "id"),
 * KF_ENOTFOUND, KF_EFORBIDDEN. */
int calendar_delete(struct db *db, const struct actor *actor, int64_t id, struct kf_error *e);
/* KF_ENOTFOUND when there is no such calendar. */
int calendar_get(struct db *db, int64_t id, struct arena *arena, struct calendar *ret);
int calendar_list(struct db *db, struct arena *arena, struct calendar **ret, size_t *ret_n);

/* 1 when yyyymmdd is a real date of the Gregorian calendar. */
int calendar_day_valid(int yyyymmdd);

#endif
