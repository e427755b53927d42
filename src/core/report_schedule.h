/* report_schedule.h: scheduled reports: the day's record export or last week's summary,
 * mailed at a set local time to a list of addresses through a mail channel, once per period.
 *
 * The job thread (jobs/scheduler.c) asks report_schedule_due(); report_schedule_run() then
 * builds the report on the thread's reading connection and hands one write to the writer that
 * records the period's delivery, queues its mails (core/mail_out.h, the file as a MIME part) and
 * moves the schedule to its next time: a period is mailed exactly once, across restarts too. */
#ifndef KEFU_REPORT_SCHEDULE_H
#define KEFU_REPORT_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct actor;
struct writer;
struct kf_error;

enum {
    REPORT_TO_MAX = 20, /* addresses of one schedule */
    REPORT_DELIVERIES_SHOWN = 50,
};

struct report_schedule {
    int64_t id;
    const char *kind; /* "daily_export", "weekly_summary" */
    const char **to;  /* nto addresses */
    size_t nto;
    const char *at;      /* "HH:MM", local */
    const char *format;  /* "csv", "xlsx" */
    const char *channel; /* a mail channel's code, NULL: the default sender */
    int64_t next_at, created_at, updated_at;
};

/* What a supervisor sets; on update, has_* 0 leaves a field as it is. */
struct report_schedule_input {
    const char *kind, *at, *format, *channel;
    const char **to;
    size_t nto;
    int has_kind, has_to, has_at, has_format, has_channel; /* has_channel with NULL: default */
};

struct report_delivery {
    int64_t id;
    const char *period; /* the day, or the week's Monday, YYYY-MM-DD */
    const char *status; /* "queued", "sent", "failed" */
    const char *error;  /* NULL: none */
    const char *filename;
    int64_t created_at, sent_at;
    int mails, sent, failed;
};

/* The first instant after `after` (UTC ms) at which a schedule of kind at local time at ("HH:MM")
 * fires: every day, or on Mondays for the weekly summary. 0 for a bad kind or time. */
int64_t report_next_at(const char *kind, const char *at, int64_t after);

int report_schedule_create(struct db *db, const struct actor *actor,
                           const struct report_schedule_input *in, struct arena *arena,
                           struct report_schedule *ret, struct kf_error *e);
int report_schedule_update(struct db *db, const struct actor *actor, int64_t id,
                           const struct report_schedule_input *in, struct arena *arena,
                           struct report_schedule *ret, struct kf_error *e);
int report_schedule_delete(struct db *db, const struct actor *actor, int64_t id);
int report_schedule_get(struct db *db, int64_t id, struct arena *arena,
                        struct report_schedule *ret);
int report_schedule_list(struct db *db, struct arena *arena, struct report_schedule **ret,
                         size_t *ret_n);
/* The newest deliveries of schedule id, newest first. */
int report_deliveries(struct db *db, int64_t id, struct arena *arena, struct report_delivery **ret,
                      size_t *ret_n);

/* The weekly summary of [from, to): volume per channel, average first response and resolution,
 * overdue count, satisfaction average and the top-5 categories, as the text of a mail. */
int report_summary_text(struct db *db, int64_t from, int64_t to, struct arena *arena,
                        const char **ret);

/* 1 when a schedule is due at now, 0 when none, or a negative code. */
int report_schedule_due(struct db *db, int64_t now);
/* Mails every schedule due at now (reading on db, writing through w; files go to a temporary
 * file beside tmp_prefix). 0 or a negative code. */
int report_schedule_run(struct db *db, struct writer *w, const char *tmp_prefix, int64_t now);

#endif
