/* ticket_number.c: ticket numbers: the format, and the day's counter per channel. */
#define _POSIX_C_SOURCE 200809L
#include "core/ticket_number.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "store/db.h"

/* Calls fn for each piece of fmt: literal text (kind 0) or a placeholder (kind 1, with the
 * text between the braces). Returns 0, or KF_EINVAL for an unknown placeholder. */
struct number_piece {
    int serial_width; /* > 0 for {serial} */
    int date;         /* 8: YYYYMMDD, 6: YYMMDD */
    int channel;
};

static int parse_placeholder(const char *s, size_t n, struct number_piece *p)
{
    memset(p, 0, sizeof(*p));
    if (n == 7 && memcmp(s, "channel", 7) == 0)
        p->channel = 1;
    else if (n == 8 && memcmp(s, "YYYYMMDD", 8) == 0)
        p->date = 8;
    else if (n == 6 && memcmp(s, "YYMMDD", 6) == 0)
        p->date = 6;
    else if (n == 6 && memcmp(s, "serial", 6) == 0)
        p->serial_width = 3;
    else if (n == 8 && memcmp(s, "serial:", 7) == 0 && s[7] >= '1' && s[7] <= '9')
        p->serial_width = s[7] - '0';
    else
        return KF_EINVAL;
    return 0;
}

int ticket_number_expand(const char *fmt, const char *channel, int day, int64_t serial, char *out,
                         size_t outsz)
{
    struct strbuf sb = STRBUF_INIT(outsz - 1);
    for (const char *p = fmt; *p;) {
        if (*p != '{') {
            strbuf_addch(&sb, *p++);
            continue;
        }
        const char *close = strchr(p, '}');
        struct number_piece piece;
        if (!close || parse_placeholder(p + 1, (size_t)(close - p - 1), &piece)) {
            strbuf_release(&sb);
            return KF_EINVAL;
        }
        if (piece.channel)
            strbuf_addstr(&sb, channel);
        else if (piece.date == 8)
            strbuf_addf(&sb, "%08d", day);
        else if (piece.date == 6)
            strbuf_addf(&sb, "%06d", day % 1000000);
        else if (serial >= 0)
            strbuf_addf(&sb, "%0*" PRId64, piece.serial_width, serial);
        else
            strbuf_addch(&sb, '#'); /* the counter's scope: everything but the serial */
        p = close + 1;
    }
    int rc = sb.overflow ? KF_ETOOBIG : 0;
    if (!rc)
        snprintf(out, outsz, "%s", sb.buf);
    strbuf_release(&sb);
    return rc;
}

int ticket_number_format_check(const char *fmt, struct kf_error *e)
{
    int serial = 0, date = 0;
    if (!fmt || !*fmt || strlen(fmt) > 64)
        return kf_fail(e, KF_EINVAL, "ticket_number_format",
                       "the format must have 1 to 64 characters");
    for (const char *p = fmt; *p; p++) {
        if (*p == '}')
            return kf_fail(e, KF_EINVAL, "ticket_number_format", "a '}' without its '{'");
        if (*p != '{') {
            if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e || *p == '/' || *p == '?' ||
                *p == '#' || *p == '%')
                return kf_fail(e, KF_EINVAL, "ticket_number_format",
                               "literal text may hold printable ASCII except / ? # %");
            continue;
        }
        const char *close = strchr(p, '}');
        struct number_piece piece;
        if (!close || parse_placeholder(p + 1, (size_t)(close - p - 1), &piece))
            return kf_fail(e, KF_EINVAL, "ticket_number_format",
                           "placeholders are {channel}, {YYYYMMDD}, {YYMMDD}, {serial} and "
                           "{serial:N}");
        serial += piece.serial_width > 0;
        date += piece.date > 0;
        p = close;
    }
    if (serial != 1 || date < 1)
        return kf_fail(e, KF_EINVAL, "ticket_number_format",
                       "the format needs exactly one {serial} and a date");
    return 0;
}

static int setting_get(struct db *db, const char *key, struct arena *arena, const char **ret)
{
    struct stmt *st = db_stmt(db, SQL_setting_get);
    st_text(st, 1, key);
    int rc = st_step(st);
    *ret = rc == 1 ? arena_strdup(arena, col_text(st, 0)) : NULL;
    st_reset(st);
    return rc < 0 ? rc : 0;
}

int ticket_number_next(struct db *db, const char *channel, int64_t now, struct arena *arena,
                       char *out, size_t outsz)
{
    const char *fmt;
    int rc = setting_get(db, "ticket_number_format", arena, &fmt);
    if (rc)
        return rc;
    if (!fmt || ticket_number_format_check(fmt, NULL))
        fmt = "{channel}-{YYYYMMDD}-{serial}";
    char scope[128];
    int day = ktime_day(now);
    if ((rc = ticket_number_expand(fmt, channel, day, -1, scope, sizeof(scope))))
        return rc;
    /* the day's first ticket starts the counter; the rest bump it (cheaper than an upsert
     * with RETURNING, which SQLite runs through a temporary table) */
    struct stmt *st = db_stmt(db, SQL_counter_bump);
    st_text(st, 1, scope);
    if ((rc = st_exec(st)))
        return rc;
    int64_t serial = 1;
    if (db_changes(db)) {
        st = db_stmt(db, SQL_counter_last);
        st_text(st, 1, scope);
        if ((rc = st_one_int(st, &serial)) < 0)
            return rc;
    } else {
        st = db_stmt(db, SQL_counter_start);
        st_text(st, 1, scope);
        if ((rc = st_exec(st)))
            return rc;
    }
    return ticket_number_expand(fmt, channel, day, serial, out, outsz);
}
