/* ktime.h: the clock, and times as UTC milliseconds shown in the configured zone. */
#ifndef KEFU_KTIME_H
#define KEFU_KTIME_H

#include <stdint.h>

enum { KTIME_RFC3339_LEN = 40 };

/* Sets the zone used to show times and to tell the day (an IANA name such as
 * "Asia/Shanghai"). Call once at start-up, before threads. Returns 0, or KF_EINVAL when the
 * zone is unknown to the system (the zone is then unchanged). */
int ktime_set_zone(const char *iana);
const char *ktime_zone(void);

/* Now, in UTC milliseconds since the epoch, as every part of Kefu sees it: the real clock
 * plus the test offset. */
int64_t ktime_now(void);
/* Makes ktime_now() answer `now` from this instant on, running at real speed (test clock). */
void ktime_set_now(int64_t now);
/* Milliseconds of CLOCK_MONOTONIC, for intervals: the test clock does not move it. */
int64_t ktime_monotonic(void);

/* Writes ms as RFC 3339 in the configured zone, e.g. 2023-10-01T09:05:00+08:00 (seconds
 * always, milliseconds when not zero). out must hold KTIME_RFC3339_LEN bytes. */
void ktime_format(int64_t ms, char *out);
/* Parses RFC 3339 with any offset (or Z); seconds and fractions optional. Returns 0 and sets
 * *ret, or KF_EINVAL leaving *ret untouched. */
int ktime_parse(const char *s, int64_t *ret);
/* The calendar day of ms in the configured zone as YYYYMMDD. */
int ktime_day(int64_t ms);
/* UTC ms of 00:00 on the day `yyyymmdd` in the configured zone. */
int64_t ktime_day_start(int yyyymmdd);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
