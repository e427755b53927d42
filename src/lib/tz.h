/* tz.h: IANA time zones read from the system's TZif files, usable from any thread. */
#ifndef KEFU_TZ_H
#define KEFU_TZ_H

#include <stdint.h>

/* One zone: its transitions and the footer rule for the instants after them. Immutable once
 * made, so it may be shared by every thread. */
struct tz;

enum {
    TZ_OFFSET_LIMIT = 93600, /* seconds: every offset is strictly within +-26 h (RFC 8536 3.2) */
    TZ_NAME_MAX = 255,       /* longest zone name accepted */
    TZ_ZONES_MAX = 2048,     /* most zones read in one process (the system has fewer files) */
};

/* The zone `name` (an IANA name such as "Asia/Shanghai"; "UTC" always exists, built in), read
 * once from /usr/share/zoneinfo and kept for the life of the process; safe from any thread.
 * NULL when the name is NULL, empty, longer than TZ_NAME_MAX, unsafe (a "..", a component
 * empty or starting with '.', a leading '/', a character outside [A-Za-z0-9/_+-.]), unknown,
 * not a valid TZif file (RFC 8536; files with leap-second records, the "right/" zones, are
 * refused), or when TZ_ZONES_MAX zones are already loaded. Unknown names are not remembered:
 * each call looks again. */
const struct tz *tz_get(const char *name);

/* The offset from UTC, in seconds (east positive), of zone z at the instant utc_s (seconds
 * since the epoch). Instants from the file's last transition on follow its footer rule.
 * z must not be NULL. Instants beyond +-2^40 s (about 34,000 years) answer as at that bound. */
int tz_offset(const struct tz *z, int64_t utc_s);

/* The instant (UTC seconds) at which z's wall clock shows local_s (the wall-clock time written
 * as seconds since 1970-01-01 00:00 as if it were UTC).
 * - A wall time that occurs twice (the clock falls back) maps to the earlier instant.
 * - A wall time that does not exist (skipped when the clock springs forward) maps to the first
 *   instant after the gap, the transition itself: on 2023-03-12 in New York, 02:00, 02:30 and
 *   03:00 all map to 07:00Z.
 * So the mapping never decreases: local_a <= local_b gives tz_to_utc(a) <= tz_to_utc(b), and a
 * wall-clock interval that lies in a gap is empty. z must not be NULL. */
int64_t tz_to_utc(const struct tz *z, int64_t local_s);

/* The first instant after utc_s at which z's offset differs from tz_offset(z, utc_s);
 * INT64_MAX when it never changes again (nor past the bound of tz_offset()). Changes of
 * abbreviation or of the daylight flag alone are not changes. z must not be NULL. */
int64_t tz_next_change(const struct tz *z, int64_t utc_s);

#endif
