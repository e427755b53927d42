/* ticket_number.h: ticket numbers: the configurable format and the day's counter. */
#ifndef KEFU_TICKET_NUMBER_H
#define KEFU_TICKET_NUMBER_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct kf_error;

/* The ticket number format: {channel}, {YYYYMMDD}, {YYMMDD}, {serial} or {serial:N}, and
 * literal text. 0 when fmt is acceptable; KF_EINVAL otherwise. */
int ticket_number_format_check(const char *fmt, struct kf_error *e);
/* Expands fmt for channel, day and serial into out (outsz bytes); a negative serial writes '#'
 * in its place (the counter's scope). 0, KF_EINVAL for a bad format, KF_ETOOBIG when out is
 * too small. */
int ticket_number_expand(const char *fmt, const char *channel, int day, int64_t serial, char *out,
                         size_t outsz);
/* Allocates the next number for channel on the day of `now` (the configured format, or the
 * default when none is valid), in the caller's transaction. 0 or a negative code. */
int ticket_number_next(struct db *db, const char *channel, int64_t now, struct arena *arena,
                       char *out, size_t outsz);

#endif
