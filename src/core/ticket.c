/* ticket.c: tickets: registration, the record, status moves and the pending pool. */
#define _POSIX_C_SOURCE 200809L
#include "core/ticket.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/actor.h"
#include "core/audit.h"
#include "core/enums.h"
#include "core/user.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/text.h"
#include "store/db.h"
#include "store/fts_cjk.h"

/* the columns of ticket_view, in order (src/store/migrations/001_init.sql) */
enum ticket_col {
    TC_ID,
    TC_NUMBER,
    TC_VERSION,
    TC_CHANNEL,
    TC_TYPE,
    TC_CATEGORY,
    TC_SUBJECT,
    TC_DESCRIPTION,
    TC_URGENCY,
    TC_PRIORITY,
    TC_STATUS,
    TC_CUSTOMER_ID,
    TC_CUSTOMER_NAME,
    TC_PHONE,
    TC_EMAIL,
    TC_MEMBER_ID,
    TC_TIER,
    TC_CONTACT_NAME,
    TC_MOOD,
    TC_MOOD_NOTE,
    TC_ASSIGNEE_ID,
    TC_ASSIGNEE_NAME,
    TC_DEPARTMENT_ID,
    TC_DEPARTMENT_CODE,
    TC_DEPARTMENT_NAME,
    TC_RAISED_AT,
    TC_TAKEN_OVER_AT,
    TC_FIRST_RESPONSE_AT,
    TC_PROCESSING_STARTED_AT,
    TC_RESOLVED_AT,
    TC_CLOSED_AT,
    TC_ACCEPT_BY,
    TC_FIRST_RESPONSE_BY,
    TC_RESOLVE_BY,
    TC_RESULT,
    TC_MEASURES,
    TC_SATISFACTION,
    TC_REMARKS,
    TC_REVIEWER_ID,
    TC_REVIEWER_NAME,
    TC_REVIEWED_AT,
    TC_CREATED_BY,
    TC_CREATED_BY_NAME,
    TC_CREATED_AT,
    TC_UPDATED_AT,
    TC_PRIO_RANK,
    TC_CATEGORY_ID,
    TC_EXPECTED_AT,
};

enum {
    SUBJECT_MAX = 200,       /* characters */
    DESCRIPTION_MAX = 20000, /* characters */
    SHORT_TEXT_MAX = 2000,   /* measures, remarks, mood notes */
    BODY_MAX = 50000,        /* a message */
    NUMBER_RETRIES = 5,      /* a changed format may meet an old number */
    FTS_FEW_MATCHES = 1000,  /* up to this many, search results are fetched by id */
};

static const char *dup(struct arena *a, struct stmt *st, int c)
{
    return arena_strdup(a, col_text(st, c));
}

static void read_ticket(struct stmt *st, struct arena *a, struct ticket *t)
{
    t->id = col_int(st, TC_ID);
    t->number = dup(a, st, TC_NUMBER);
    t->version = col_int(st, TC_VERSION);
    t->channel = dup(a, st, TC_CHANNEL);
    t->type = dup(a, st, TC_TYPE);
    t->category = dup(a, st, TC_CATEGORY);
    t->subject = dup(a, st, TC_SUBJECT);
    t->description = dup(a, st, TC_DESCRIPTION);
    t->urgency = dup(a, st, TC_URGENCY);
    t->priority = dup(a, st, TC_PRIORITY);
    t->status = dup(a, st, TC_STATUS);
    t->customer.id = col_int(st, TC_CUSTOMER_ID);
    t->customer.name = dup(a, st, TC_CUSTOMER_NAME);
    t->customer.phone = dup(a, st, TC_PHONE);
    t->customer.email = dup(a, st, TC_EMAIL);
    t->customer.member_id = dup(a, st, TC_MEMBER_ID);
    t->customer.tier = dup(a, st, TC_TIER);
    t->customer.created_at = 0;
    t->contact_name = dup(a, st, TC_CONTACT_NAME);
    t->mood = dup(a, st, TC_MOOD);
    t->mood_note = dup(a, st, TC_MOOD_NOTE);
    t->assignee_id = col_int(st, TC_ASSIGNEE_ID);
    t->assignee_name = dup(a, st, TC_ASSIGNEE_NAME);
    t->department_id = col_int(st, TC_DEPARTMENT_ID);
    t->department_code = dup(a, st, TC_DEPARTMENT_CODE);
    t->department_name = dup(a, st, TC_DEPARTMENT_NAME);
    t->raised_at = col_int(st, TC_RAISED_AT);
    t->taken_over_at = col_int(st, TC_TAKEN_OVER_AT);
    t->first_response_at = col_int(st, TC_FIRST_RESPONSE_AT);
    t->processing_started_at = col_int(st, TC_PROCESSING_STARTED_AT);
    t->resolved_at = col_int(st, TC_RESOLVED_AT);
    t->closed_at = col_int(st, TC_CLOSED_AT);
    t->accept_by = col_int(st, TC_ACCEPT_BY);
    t->first_response_by = col_int(st, TC_FIRST_RESPONSE_BY);
    t->resolve_by = col_int(st, TC_RESOLVE_BY);
    t->expected_at = col_int(st, TC_EXPECTED_AT);
    t->result = dup(a, st, TC_RESULT);
    t->measures = dup(a, st, TC_MEASURES);
    t->satisfaction = dup(a, st, TC_SATISFACTION);
    t->remarks = dup(a, st, TC_REMARKS);
    t->reviewer_id = col_int(st, TC_REVIEWER_ID);
    t->reviewer_name = dup(a, st, TC_REVIEWER_NAME);
    t->reviewed_at = col_int(st, TC_REVIEWED_AT);
    t->created_by = col_int(st, TC_CREATED_BY);
    t->created_by_name = dup(a, st, TC_CREATED_BY_NAME);
    t->created_at = col_int(st, TC_CREATED_AT);
    t->updated_at = col_int(st, TC_UPDATED_AT);
}

/* Specialists see the tickets of their departments and their own; everyone else sees all. */
static int may_see(struct db *db, const struct actor *actor, const struct ticket *t)
{
    if (!actor || actor->role != ROLE_SPECIALIST)
        return 1;
    if (t->assignee_id == actor->user_id || t->created_by == actor->user_id ||
        (t->department_id && t->department_id == actor->department_id))
        return 1;
    if (!t->department_id)
        return 0;
    struct stmt *st = db_stmt(db, SQL_dept_member_check);
    st_int(st, 1, actor->user_id);
    st_int(st, 2, t->department_id);
    int rc = st_step(st);
    st_reset(st);
    return rc == 1;
}

/* Supervisors and admins change any ticket; others the ones that are theirs or nobody's. */
static int may_change(const struct actor *actor, const struct ticket *t)
{
    return role_is_lead(actor->role) || t->assignee_id == 0 || t->assignee_id == actor->user_id;
}

int ticket_get_id(struct db *db, const struct actor *actor, int64_t id, struct arena *arena,
                  struct ticket *ret)
{
    struct stmt *st = db_stmt(db, SQL_ticket_by_id);
    st_int(st, 1, id);
    int rc = st_step(st);
    if (rc == 1)
        read_ticket(st, arena, ret);
    st_reset(st);
    if (rc < 0)
        return rc;
    if (rc == 0 || !may_see(db, actor, ret))
        return KF_ENOTFOUND;
    return 0;
}

int ticket_get(struct db *db, const struct actor *actor, const char *ref, struct arena *arena,
               struct ticket *ret)
{
    char *end;
    long long id = strtoll(ref, &end, 10);
    if (*ref && !*end && id > 0)
        return ticket_get_id(db, actor, id, arena, ret);
    struct stmt *st = db_stmt(db, SQL_ticket_by_number);
    st_text(st, 1, ref);
    int rc = st_step(st);
    if (rc == 1)
        read_ticket(st, arena, ret);
    st_reset(st);
    if (rc < 0)
        return rc;
    if (rc == 0 || !may_see(db, actor, ret))
        return KF_ENOTFOUND;
    return 0;
}

/* ---- numbers ---- */

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

/* Allocates the next number for channel on the day of `now`, in the caller's transaction. */
static int next_number(struct db *db, const char *channel, int64_t now, struct arena *arena,
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

/* ---- checks shared by creation and change ---- */

static int check_text(const char *s, const char *field, size_t max, int required,
                      struct kf_error *e)
{
    if (!s) {
        if (required)
            return kf_fail(e, KF_EINVAL, field, "this field is required");
        return 0;
    }
    if (required && !*s)
        return kf_fail(e, KF_EINVAL, field, "this field may not be empty");
    if (utf8_chars(s) > max)
        return kf_fail(e, KF_EINVAL, field, "the text is too long");
    return 0;
}

static int lookup_category(struct db *db, const char *code, const char *type, int64_t *ret_id,
                           struct kf_error *e)
{
    struct stmt *st = db_stmt(db, SQL_category_by_code);
    st_text(st, 1, code);
    int rc = st_step(st);
    int ok = rc == 1 && strcmp(col_text(st, 1), type) == 0;
    int64_t id = rc == 1 ? col_int(st, 0) : 0;
    st_reset(st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return kf_fail(e, KF_EINVAL, "category", "no such category");
    if (!ok)
        return kf_fail(e, KF_EINVAL, "category", "the category belongs to another type");
    *ret_id = id;
    return 0;
}

static int check_channel(struct db *db, const char *code, struct kf_error *e)
{
    struct stmt *st = db_stmt(db, SQL_channel_enabled);
    st_text(st, 1, code);
    int rc = st_step(st);
    int enabled = rc == 1 && col_int(st, 0);
    st_reset(st);
    if (rc < 0)
        return rc;
    if (!enabled)
        return kf_fail(e, KF_EINVAL, "channel", "no such channel, or it is disabled");
    return 0;
}

static int link_attachments(struct db *db, const struct actor *actor, int64_t ticket_id,
                            int64_t message_id, const int64_t *ids, int n, struct kf_error *e)
{
    for (int i = 0; i < n; i++) {
        struct stmt *st = db_stmt(db, SQL_attachment_link);
        st_int(st, 1, ids[i]);
        st_int(st, 2, ticket_id);
        if (message_id)
            st_int(st, 3, message_id);
        st_int(st, 4, actor->user_id);
        int rc = st_exec(st);
        if (rc)
            return rc;
        if (db_changes(db) != 1)
            return kf_fail(e, KF_EINVAL, "attachments",
                           "an attachment is unknown, not yours, or in use already");
    }
    return 0;
}

int ticket_create(struct db *db, const struct actor *actor, struct ticket_input *in,
                  struct arena *arena, struct ticket *ret, struct kf_error *e)
{
    int rc;
    int64_t now = ktime_now(), category_id = 0;
    if (!in->channel)
        return kf_fail(e, KF_EINVAL, "channel", "channel is required");
    if (!in->type || !enum_has(ticket_types, in->type))
        return kf_fail(e, KF_EINVAL, "type",
                       "type must be inquiry, problem, fault, complaint, suggestion or special");
    if (!in->urgency)
        in->urgency = "medium";
    if (!enum_has(urgencies, in->urgency))
        return kf_fail(e, KF_EINVAL, "urgency", "urgency must be high, medium or low");
    if ((rc = check_text(in->subject, "subject", SUBJECT_MAX, 1, e)) ||
        (rc = check_text(in->description, "description", DESCRIPTION_MAX, 0, e)) ||
        (rc = check_text(in->contact_name, "contact_name", 100, 0, e)) ||
        (rc = check_text(in->mood_note, "mood_note", SHORT_TEXT_MAX, 0, e)))
        return rc;
    if (in->mood && !enum_has(moods, in->mood))
        return kf_fail(e, KF_EINVAL, "mood",
                       "mood must be calm, anxious, angry, confused or grateful");
    if (!in->raised_at)
        in->raised_at = now;
    if (in->raised_at > now + 60 * 1000)
        return kf_fail(e, KF_EINVAL, "raised_at", "raised_at may not lie in the future");
    if (!in->customer_id && !in->has_customer)
        return kf_fail(e, KF_EINVAL, "customer", "customer or customer_id is required");
    if ((rc = check_channel(db, in->channel, e)))
        return rc;
    if (in->category && (rc = lookup_category(db, in->category, in->type, &category_id, e)))
        return rc;
    struct customer cust;
    if (in->customer_id) {
        rc = customer_get(db, in->customer_id, arena, &cust);
        if (rc == KF_ENOTFOUND)
            return kf_fail(e, KF_EINVAL, "customer_id", "no such customer");
    } else {
        if (!(rc = customer_normalize(&in->customer, "customer.", arena, e)))
            rc = customer_find_or_create(db, actor, &in->customer, arena, &cust, e);
    }
    if (rc)
        return rc;

    /* without a priority rule, priority is the urgency */
    const char *priority = in->urgency;
    char number[96];
    int64_t id = 0;
    for (int attempt = 0; attempt < NUMBER_RETRIES; attempt++) {
        if ((rc = next_number(db, in->channel, now, arena, number, sizeof(number))))
            return rc;
        struct stmt *st = db_stmt(db, SQL_ticket_insert);
        st_text(st, 1, number);
        st_text(st, 2, in->channel);
        st_text(st, 3, in->type);
        if (category_id)
            st_int(st, 4, category_id);
        st_text(st, 5, in->subject);
        st_text(st, 6, in->description ? in->description : "");
        st_text(st, 7, in->urgency);
        st_text(st, 8, priority);
        st_int(st, 9, priority_rank(priority));
        st_int(st, 10, cust.id);
        st_text(st, 11, in->contact_name);
        st_text(st, 12, in->mood);
        st_text(st, 13, in->mood_note);
        st_int(st, 14, in->raised_at);
        if (actor->user_id)
            st_int(st, 15, actor->user_id);
        st_int(st, 16, now);
        if (in->expected_at)
            st_int(st, 17, in->expected_at);
        rc = st_exec(st);
        if (rc != KF_ECONFLICT)
            break;
    }
    if (rc)
        return rc;
    id = db_last_id(db);
    if ((rc = link_attachments(db, actor, id, 0, in->attachments, in->nattachments, e)))
        return rc;

    struct strbuf sb = STRBUF_INIT(256 * 1024);
    struct jw w;
    jw_init(&w, &sb);
    jw_obj_begin(&w);
    jw_kstr(&w, "number", number);
    jw_kstr(&w, "channel", in->channel);
    jw_kstr(&w, "type", in->type);
    jw_kstr(&w, "category", in->category);
    jw_kstr(&w, "urgency", in->urgency);
    jw_kstr(&w, "priority", priority);
    jw_kstr(&w, "subject", in->subject);
    jw_kint(&w, "customer_id", cust.id);
    jw_obj_end(&w);
    if (!(rc = history_write(db, id, actor, "created", sb.buf)) &&
        !(rc = audit_write(db, actor, "ticket.created", "ticket", id, NULL, sb.buf)))
        rc = event_write(db, "ticket.created", "ticket", id, sb.buf);
    strbuf_release(&sb);
    if (rc)
        return rc;
    return ticket_get_id(db, NULL, id, arena, ret);
}

/* ---- status moves ---- */

struct move {
    const char *from, *to;
    int lead_only;
};

static const struct move moves[] = {
    {"new", "accepted", 0},
    {"new", "in_progress", 0},
    {"accepted", "in_progress", 0},
    {"accepted", "waiting_customer", 0},
    {"accepted", "resolved", 0},
    {"in_progress", "waiting_customer", 0},
    {"in_progress", "resolved", 0},
    {"waiting_customer", "in_progress", 0},
    {"waiting_customer", "resolved", 0},
    {"resolved", "closed", 0},
    {"resolved", "in_progress", 0},
    {"closed", "in_progress", 1},
};

/* 0 when the move is allowed for actor, else KF_EINVAL or KF_EFORBIDDEN with a message. */
static int check_move(const struct actor *actor, const char *from, const char *to,
                      struct kf_error *e)
{
    for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++) {
        if (strcmp(moves[i].from, from) || strcmp(moves[i].to, to))
            continue;
        if (moves[i].lead_only && !role_is_lead(actor->role))
            return kf_fail(e, KF_EFORBIDDEN, "status",
                           "only a supervisor or an admin may reopen a closed ticket");
        return 0;
    }
    return kf_fail(e, KF_EINVAL, "status", "this status change is not allowed");
}

size_t ticket_next_statuses(const struct ticket *t, const struct actor *actor, const char *out[8])
{
    size_t n = 0;
    if (actor && may_change(actor, t))
        for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]) && n < 7; i++)
            if (!strcmp(moves[i].from, t->status) &&
                (!moves[i].lead_only || role_is_lead(actor->role)))
                out[n++] = moves[i].to;
    out[n] = NULL;
    return n;
}

/* ---- change ---- */

struct change_log {
    struct strbuf reclass, other, before, after;
    struct jw wr, wo, wb, wa;
    int nreclass, nother;
};

static void log_init(struct change_log *l)
{
    strbuf_init(&l->reclass, 256 * 1024);
    strbuf_init(&l->other, 256 * 1024);
    strbuf_init(&l->before, 256 * 1024);
    strbuf_init(&l->after, 256 * 1024);
    jw_init(&l->wr, &l->reclass);
    jw_init(&l->wo, &l->other);
    jw_init(&l->wb, &l->before);
    jw_init(&l->wa, &l->after);
    jw_obj_begin(&l->wr);
    jw_key(&l->wr, "changes");
    jw_obj_begin(&l->wr);
    jw_obj_begin(&l->wo);
    jw_key(&l->wo, "changes");
    jw_obj_begin(&l->wo);
    jw_obj_begin(&l->wb);
    jw_obj_begin(&l->wa);
    l->nreclass = l->nother = 0;
}

static void log_release(struct change_log *l)
{
    strbuf_release(&l->reclass);
    strbuf_release(&l->other);
    strbuf_release(&l->before);
    strbuf_release(&l->after);
}

static int same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Notes a changed text field in the history (reclassification or other) and the audit. */
static void log_text(struct change_log *l, int reclass, const char *field, const char *from,
                     const char *to)
{
    struct jw *w = reclass ? &l->wr : &l->wo;
    jw_key(w, field);
    jw_obj_begin(w);
    jw_kstr(w, "from", from);
    jw_kstr(w, "to", to);
    jw_obj_end(w);
    jw_kstr(&l->wb, field, from);
    jw_kstr(&l->wa, field, to);
    if (reclass)
        l->nreclass++;
    else
        l->nother++;
}

static void log_id(struct change_log *l, const char *field, int64_t from, int64_t to)
{
    jw_key(&l->wb, field);
    from ? jw_int(&l->wb, from) : jw_null(&l->wb);
    jw_key(&l->wa, field);
    to ? jw_int(&l->wa, to) : jw_null(&l->wa);
}

/* A time as RFC 3339 in the arena, NULL for none: how history shows changed times. */
static const char *time_text(struct arena *arena, int64_t ms)
{
    if (!ms)
        return NULL;
    char *buf = arena_alloc(arena, KTIME_RFC3339_LEN);
    ktime_format(ms, buf);
    return buf;
}

static const char *user_name(struct db *db, int64_t id, struct arena *arena)
{
    struct stmt *st = db_stmt(db, SQL_user_active);
    st_int(st, 1, id);
    int rc = st_step(st);
    const char *name = rc == 1 ? arena_strdup(arena, col_text(st, 0)) : NULL;
    st_reset(st);
    return name;
}

static int check_patch_values(const struct ticket_patch *p, struct kf_error *e)
{
    int rc;
    unsigned s = p->set;
    if ((s & TF_TYPE) && !enum_has(ticket_types, p->type))
        return kf_fail(e, KF_EINVAL, "type",
                       "type must be inquiry, problem, fault, complaint, suggestion or special");
    if ((s & TF_URGENCY) && !enum_has(urgencies, p->urgency))
        return kf_fail(e, KF_EINVAL, "urgency", "urgency must be high, medium or low");
    if ((s & TF_STATUS) && !enum_has(statuses, p->status))
        return kf_fail(e, KF_EINVAL, "status", "unknown status");
    if ((s & TF_RESULT) && p->result && !enum_has(results, p->result))
        return kf_fail(e, KF_EINVAL, "result",
                       "result must be fixed, solution_provided, withdrawn, unresolvable or "
                       "other");
    if ((s & TF_MOOD) && p->mood && !enum_has(moods, p->mood))
        return kf_fail(e, KF_EINVAL, "mood",
                       "mood must be calm, anxious, angry, confused or grateful");
    if (((s & TF_SUBJECT) && (rc = check_text(p->subject, "subject", SUBJECT_MAX, 1, e))) ||
        ((s & TF_DESCRIPTION) &&
         (rc = check_text(p->description, "description", DESCRIPTION_MAX, 0, e))) ||
        ((s & TF_CONTACT_NAME) && (rc = check_text(p->contact_name, "contact_name", 100, 0, e))) ||
        ((s & TF_MEASURES) && (rc = check_text(p->measures, "measures", SHORT_TEXT_MAX, 0, e))) ||
        ((s & TF_REMARKS) && (rc = check_text(p->remarks, "remarks", SHORT_TEXT_MAX, 0, e))) ||
        ((s & TF_MOOD_NOTE) && (rc = check_text(p->mood_note, "mood_note", SHORT_TEXT_MAX, 0, e))))
        return rc;
    return 0;
}

int ticket_update(struct db *db, const struct actor *actor, const char *ref,
                  const struct ticket_patch *p, struct arena *arena, struct ticket *ret,
                  struct kf_error *e)
{
    struct ticket cur;
    int rc = ticket_get(db, actor, ref, arena, &cur);
    if (rc)
        return rc;
    if (p->if_version && p->if_version != cur.version)
        return kf_fail(e, KF_ECONFLICT, NULL,
                       "someone else changed this ticket; reload it and try again");
    if (!may_change(actor, &cur))
        return kf_fail(e, KF_EFORBIDDEN, NULL,
                       "this ticket belongs to someone else; ask a supervisor to re-assign it");
    if ((rc = check_patch_values(p, e)))
        return rc;

    struct ticket t = cur;
    int64_t now = ktime_now(), category_id = 0;
    unsigned s = p->set;
    if (s & TF_TYPE)
        t.type = p->type;
    if (s & TF_URGENCY)
        t.urgency = p->urgency;
    if (s & TF_SUBJECT)
        t.subject = p->subject;
    if (s & TF_DESCRIPTION)
        t.description = p->description ? p->description : "";
    if (s & TF_CONTACT_NAME)
        t.contact_name = p->contact_name;
    if (s & TF_RESULT)
        t.result = p->result;
    if (s & TF_MEASURES)
        t.measures = p->measures;
    if (s & TF_REMARKS)
        t.remarks = p->remarks;
    if (s & TF_MOOD)
        t.mood = p->mood;
    if (s & TF_MOOD_NOTE)
        t.mood_note = p->mood_note;
    if (s & TF_EXPECTED)
        t.expected_at = p->expected_at;

    /* the category follows the type: a category of another type is dropped */
    if (s & TF_CATEGORY)
        t.category = p->category;
    if (t.category) {
        rc = lookup_category(db, t.category, t.type, &category_id, e);
        if (rc == KF_EINVAL && !(s & TF_CATEGORY))
            t.category = NULL, category_id = 0, rc = 0;
        if (rc)
            return rc;
    }
    t.priority = t.urgency; /* without a priority rule, priority is the urgency */

    if (s & TF_ASSIGNEE) {
        if (p->assignee_id && p->assignee_id != actor->user_id && !role_is_lead(actor->role))
            return kf_fail(e, KF_EFORBIDDEN, "assignee_id",
                           "only a supervisor or an admin may assign a ticket to someone else");
        if (p->assignee_id && !(t.assignee_name = user_name(db, p->assignee_id, arena)))
            return kf_fail(e, KF_EINVAL, "assignee_id", "no such active user");
        t.assignee_id = p->assignee_id;
        if (!t.assignee_id)
            t.assignee_name = NULL;
    }
    if (s & TF_DEPARTMENT) {
        if (p->department_id) {
            struct department d;
            rc = dept_get(db, p->department_id, arena, &d);
            if (rc == KF_ENOTFOUND)
                return kf_fail(e, KF_EINVAL, "department_id", "no such department");
            if (rc)
                return rc;
        }
        t.department_id = p->department_id;
    }
    if ((s & TF_STATUS) && strcmp(p->status, cur.status) != 0) {
        if ((rc = check_move(actor, cur.status, p->status, e)))
            return rc;
        t.status = p->status;
        if (!strcmp(cur.status, "new")) {
            t.taken_over_at = now;
            if (!t.assignee_id) /* taking a ticket over makes it yours */
                t.assignee_id = actor->user_id, t.assignee_name = actor->name;
        }
        if (!strcmp(t.status, "in_progress") && !t.processing_started_at)
            t.processing_started_at = now;
        if (!strcmp(t.status, "resolved")) {
            if (!t.result)
                return kf_fail(e, KF_EINVAL, "result", "say how the ticket was resolved");
            t.resolved_at = now;
        }
        if (!strcmp(t.status, "closed"))
            t.closed_at = now;
        if (!strcmp(t.status, "in_progress") &&
            (!strcmp(cur.status, "resolved") || !strcmp(cur.status, "closed")))
            t.resolved_at = t.closed_at = 0; /* reopened */
    }

    struct change_log l;
    log_init(&l);
    if (!same(cur.type, t.type))
        log_text(&l, 1, "type", cur.type, t.type);
    if (!same(cur.category, t.category))
        log_text(&l, 1, "category", cur.category, t.category);
    if (!same(cur.urgency, t.urgency))
        log_text(&l, 1, "urgency", cur.urgency, t.urgency);
    if (!same(cur.priority, t.priority))
        log_text(&l, 1, "priority", cur.priority, t.priority);
    if (!same(cur.subject, t.subject))
        log_text(&l, 0, "subject", cur.subject, t.subject);
    if (!same(cur.description, t.description))
        log_text(&l, 0, "description", cur.description, t.description);
    if (!same(cur.contact_name, t.contact_name))
        log_text(&l, 0, "contact_name", cur.contact_name, t.contact_name);
    if (!same(cur.result, t.result))
        log_text(&l, 0, "result", cur.result, t.result);
    if (!same(cur.measures, t.measures))
        log_text(&l, 0, "measures", cur.measures, t.measures);
    if (!same(cur.remarks, t.remarks))
        log_text(&l, 0, "remarks", cur.remarks, t.remarks);
    if (!same(cur.mood, t.mood))
        log_text(&l, 0, "mood", cur.mood, t.mood);
    if (!same(cur.mood_note, t.mood_note))
        log_text(&l, 0, "mood_note", cur.mood_note, t.mood_note);
    if (cur.expected_at != t.expected_at)
        log_text(&l, 0, "expected_at", time_text(arena, cur.expected_at),
                 time_text(arena, t.expected_at));
    int status_changed = !same(cur.status, t.status);
    int assignee_changed = cur.assignee_id != t.assignee_id;
    int dept_changed = cur.department_id != t.department_id;
    if (status_changed)
        jw_kstr(&l.wb, "status", cur.status), jw_kstr(&l.wa, "status", t.status);
    if (assignee_changed)
        log_id(&l, "assignee_id", cur.assignee_id, t.assignee_id);
    if (dept_changed) {
        log_id(&l, "department_id", cur.department_id, t.department_id);
        struct jw *w = &l.wo;
        jw_key(w, "department_id");
        jw_obj_begin(w);
        jw_key(w, "from");
        cur.department_id ? jw_int(w, cur.department_id) : jw_null(w);
        jw_key(w, "to");
        t.department_id ? jw_int(w, t.department_id) : jw_null(w);
        jw_obj_end(w);
        l.nother++;
    }
    if (!l.nreclass && !l.nother && !status_changed && !assignee_changed) {
        log_release(&l);
        *ret = cur;
        return 0; /* nothing changes: no new version */
    }

    struct stmt *st = db_stmt(db, SQL_ticket_update);
    st_int(st, 1, t.id);
    st_text(st, 2, t.type);
    if (category_id)
        st_int(st, 3, category_id);
    st_text(st, 4, t.urgency);
    st_text(st, 5, t.priority);
    st_int(st, 6, priority_rank(t.priority));
    st_text(st, 7, t.subject);
    st_text(st, 8, t.description);
    st_text(st, 9, t.status);
    if (t.assignee_id)
        st_int(st, 10, t.assignee_id);
    if (t.department_id)
        st_int(st, 11, t.department_id);
    st_text(st, 12, t.contact_name);
    st_text(st, 13, t.result);
    st_text(st, 14, t.measures);
    st_text(st, 15, t.remarks);
    st_text(st, 16, t.mood);
    st_text(st, 17, t.mood_note);
    int64_t times[] = {t.taken_over_at, t.processing_started_at, t.resolved_at, t.closed_at};
    for (int i = 0; i < 4; i++)
        if (times[i])
            st_int(st, 18 + i, times[i]);
    st_int(st, 22, now);
    st_int(st, 23, cur.version);
    if (t.expected_at)
        st_int(st, 24, t.expected_at);
    rc = st_exec(st);
    if (!rc && db_changes(db) != 1)
        rc = kf_fail(e, KF_ECONFLICT, NULL,
                     "someone else changed this ticket; reload it and try again");

    char detail[512];
    if (!rc && status_changed) {
        snprintf(detail, sizeof(detail), "{\"from\":\"%s\",\"to\":\"%s\"}", cur.status, t.status);
        rc = history_write(db, t.id, actor, "status_changed", detail);
        if (!rc)
            rc = event_write(db, "ticket.status_changed", "ticket", t.id, detail);
    }
    if (!rc && assignee_changed) {
        struct strbuf sb = STRBUF_INIT(4096);
        struct jw w;
        jw_init(&w, &sb);
        jw_obj_begin(&w);
        jw_key(&w, "from");
        cur.assignee_id ? jw_int(&w, cur.assignee_id) : jw_null(&w);
        jw_key(&w, "to");
        t.assignee_id ? jw_int(&w, t.assignee_id) : jw_null(&w);
        jw_kstr(&w, "from_name", cur.assignee_name);
        jw_kstr(&w, "to_name", t.assignee_name);
        jw_obj_end(&w);
        rc = history_write(db, t.id, actor, "assigned", sb.buf);
        if (!rc)
            rc = event_write(db, "ticket.assigned", "ticket", t.id, sb.buf);
        strbuf_release(&sb);
    }
    jw_obj_end(&l.wr), jw_obj_end(&l.wr);
    jw_obj_end(&l.wo), jw_obj_end(&l.wo);
    jw_obj_end(&l.wb);
    jw_obj_end(&l.wa);
    if (!rc && l.nreclass)
        rc = history_write(db, t.id, actor, "reclassified", l.reclass.buf);
    if (!rc && l.nother)
        rc = history_write(db, t.id, actor, "updated", l.other.buf);
    if (!rc)
        rc = audit_write(db, actor, "ticket.updated", "ticket", t.id, l.before.buf, l.after.buf);
    if (!rc)
        rc = event_write(db, "ticket.updated", "ticket", t.id, l.after.buf);
    log_release(&l);
    if (rc)
        return rc;
    return ticket_get_id(db, NULL, t.id, arena, ret);
}

/* ---- the pending pool ---- */

/* The bound values of a query built at run time, numbered in order of appearance. */
struct binds {
    int n;
    struct {
        int is_text;
        int64_t i;
        const char *s;
    } v[96]; /* filter lists stop at 52; the rest adds at most 16 */
};

static int bind_int(struct binds *b, int64_t v)
{
    b->v[b->n].is_text = 0;
    b->v[b->n].i = v;
    return ++b->n;
}

static int bind_text(struct binds *b, const char *s)
{
    b->v[b->n].is_text = 1;
    b->v[b->n].s = s;
    return ++b->n;
}

/* Adds "AND column IN ($a, $b, ...)" for a comma-separated list of words from `allowed`. */
static int filter_in(struct strbuf *sql, struct binds *b, const char *column, const char *list,
                     const char *const *allowed, const char *field, struct arena *arena,
                     struct kf_error *e)
{
    if (!list)
        return 0;
    char *copy = arena_strdup(arena, list), *save = NULL;
    int n = 0;
    strbuf_addf(sql, " AND %s IN (", column);
    for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        if (allowed && !enum_has(allowed, w))
            return kf_fail(e, KF_EINVAL, field, arena_printf(arena, "unknown value \"%s\"", w));
        if (b->n > 40 || n >= 12)
            return kf_fail(e, KF_EINVAL, field, "too many values");
        strbuf_addf(sql, "%s$%d", n++ ? ", " : "", bind_text(b, w));
    }
    if (!n)
        return kf_fail(e, KF_EINVAL, field, "give at least one value");
    strbuf_addch(sql, ')');
    return 0;
}

#define DUE_EXPR "coalesce(resolve_by, 9223372036854775807)"

int ticket_list(struct db *db, const struct actor *actor, const struct ticket_query *q,
                struct arena *arena, struct ticket **ret, size_t *ret_n, const char **ret_cursor,
                struct kf_error *e)
{
    struct strbuf sql = STRBUF_INIT(16 * 1024);
    struct binds b = {0};
    int rc = 0, limit = q->limit > 0 ? q->limit : 50;
    /* the narrow rows are found and sorted first; the names are joined for one page only */
    strbuf_addstr(&sql, "SELECT id, prio_rank, " DUE_EXPR " FROM tickets WHERE 1 = 1");
    if ((rc = filter_in(&sql, &b, "status", q->status, statuses, "status", arena, e)) ||
        (rc = filter_in(&sql, &b, "type", q->type, ticket_types, "type", arena, e)) ||
        (rc = filter_in(&sql, &b, "channel", q->channel, NULL, "channel", arena, e)) ||
        (rc = filter_in(&sql, &b, "priority", q->priority, priorities, "priority", arena, e)) ||
        (rc = filter_in(&sql, &b, "urgency", q->urgency, urgencies, "urgency", arena, e)))
        goto out;
    if (q->assignee_id == -1)
        strbuf_addstr(&sql, " AND assignee_id IS NULL");
    else if (q->assignee_id)
        strbuf_addf(&sql, " AND assignee_id = $%d", bind_int(&b, q->assignee_id));
    if (q->department_id)
        strbuf_addf(&sql, " AND department_id = $%d", bind_int(&b, q->department_id));
    if (q->customer_id)
        strbuf_addf(&sql, " AND customer_id = $%d", bind_int(&b, q->customer_id));
    if (q->created_from)
        strbuf_addf(&sql, " AND created_at >= $%d", bind_int(&b, q->created_from));
    if (q->created_to)
        strbuf_addf(&sql, " AND created_at < $%d", bind_int(&b, q->created_to));
    if (q->raised_from)
        strbuf_addf(&sql, " AND raised_at >= $%d", bind_int(&b, q->raised_from));
    if (actor && actor->role == ROLE_SPECIALIST) {
        int me = bind_int(&b, actor->user_id);
        strbuf_addf(&sql,
                    " AND (assignee_id = $%d OR created_by = $%d OR department_id IN"
                    " (SELECT department_id FROM department_members WHERE user_id = $%d)",
                    me, me, me);
        if (actor->department_id)
            strbuf_addf(&sql, " OR department_id = $%d", bind_int(&b, actor->department_id));
        strbuf_addch(&sql, ')');
    }
    if (q->q && *q->q) {
        char match[1024];
        int n = fts_cjk_query(q->q, match, sizeof(match));
        if (n < 0) {
            rc = kf_fail(e, KF_EINVAL, "q", "the search text is too long");
            goto out;
        }
        if (n > 0) {
            /* few matches: fetch them by id and sort them; many: walk the queue order and
             * keep the matches ("+id" keeps SQLite from turning every match into a row
             * lookup), which stops at the end of the page */
            struct stmt *st = db_stmt(db, SQL_fts_count);
            st_text(st, 1, match);
            int64_t matches = 0;
            if ((rc = st_one_int(st, &matches)) < 0)
                goto out;
            /* the tickets written since the index was last filled are matched one by one
             * (see db_commit): at most a few hundred. CROSS JOIN keeps search_pending the
             * outer loop; otherwise SQLite, knowing no sizes, may scan every ticket */
            int m = bind_text(&b, arena_strdup(arena, match)), raw = bind_text(&b, q->q);
            strbuf_addf(&sql,
                        " AND %sid IN (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH $%d"
                        " UNION ALL SELECT sp.ticket_id FROM search_pending sp"
                        " CROSS JOIN tickets st ON st.id = sp.ticket_id"
                        " WHERE kefu_match($%d, st.number, st.subject, st.description))",
                        matches > FTS_FEW_MATCHES ? "+" : "", m, raw);
        }
    }

    /* keyset pagination: the cursor is the sort key of the last row shown */
    if (q->cursor) {
        long long k[4];
        char kind;
        int ok = 0;
        if (q->sort == 0)
            ok = sscanf(q->cursor, "%c%lld.%lld.%lld.%lld", &kind, &k[0], &k[1], &k[2], &k[3]) ==
                     5 &&
                 kind == 'q';
        else
            ok = sscanf(q->cursor, "%c%lld.%lld", &kind, &k[0], &k[1]) == 3 && kind == 'c';
        if (!ok) {
            rc = kf_fail(e, KF_EINVAL, "cursor", "this cursor does not belong to this list");
            goto out;
        }
        if (q->sort == 0) {
            int p = bind_int(&b, k[0]), d = bind_int(&b, k[1]), r = bind_int(&b, k[2]),
                i = bind_int(&b, k[3]);
            strbuf_addf(&sql,
                        " AND (prio_rank < $%d OR (prio_rank = $%d AND (" DUE_EXPR " > $%d OR"
                        " (" DUE_EXPR " = $%d AND (raised_at > $%d OR"
                        " (raised_at = $%d AND id > $%d))))))",
                        p, p, d, d, r, r, i);
        } else {
            int c = bind_int(&b, k[0]), i = bind_int(&b, k[1]);
            const char *op = q->sort > 0 ? ">" : "<";
            strbuf_addf(&sql, " AND (created_at %s $%d OR (created_at = $%d AND id %s $%d))", op, c,
                        c, op, i);
        }
    }
    if (q->sort == 0)
        strbuf_addstr(&sql, " ORDER BY prio_rank DESC, " DUE_EXPR ", raised_at, id");
    else if (q->sort > 0)
        strbuf_addstr(&sql, " ORDER BY created_at, id");
    else
        strbuf_addstr(&sql, " ORDER BY created_at DESC, id DESC");
    strbuf_addf(&sql, " LIMIT $%d", bind_int(&b, limit + 1));
    if (sql.overflow) {
        rc = kf_fail(e, KF_EINVAL, NULL, "the query is too long");
        goto out;
    }

    struct stmt *st = db_stmt_sql(db, sql.buf);
    for (int i = 0; i < b.n; i++) {
        if (b.v[i].is_text)
            st_text(st, i + 1, b.v[i].s);
        else
            st_int(st, i + 1, b.v[i].i);
    }
    struct ticket *v = arena_alloc(arena, (size_t)(limit + 1) * sizeof(*v));
    int64_t *ids = arena_alloc(arena, (size_t)(limit + 1) * sizeof(*ids));
    size_t n = 0;
    int64_t last_rank = 0, last_due = 0;
    while ((rc = st_step(st)) == 1 && n < (size_t)limit) {
        ids[n++] = col_int(st, 0);
        last_rank = col_int(st, 1);
        last_due = col_int(st, 2);
    }
    int more = rc == 1;
    st_reset(st);
    if (rc < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        struct stmt *one = db_stmt(db, SQL_ticket_by_id);
        st_int(one, 1, ids[i]);
        rc = st_step(one);
        if (rc == 1)
            read_ticket(one, arena, &v[i]);
        st_reset(one);
        if (rc != 1) {
            rc = rc < 0 ? rc : KF_EDB;
            goto out;
        }
    }
    rc = 0;
    *ret = v;
    *ret_n = n;
    *ret_cursor = NULL;
    if (more && n) {
        const struct ticket *t = &v[n - 1];
        if (q->sort == 0)
            *ret_cursor = arena_printf(arena, "q%" PRId64 ".%" PRId64 ".%" PRId64 ".%" PRId64,
                                       last_rank, last_due, t->raised_at, t->id);
        else
            *ret_cursor = arena_printf(arena, "c%" PRId64 ".%" PRId64, t->created_at, t->id);
    }
out:
    strbuf_release(&sql);
    return rc;
}

int ticket_review(struct db *db, const struct actor *actor, const char *ref, int64_t if_version,
                  struct arena *arena, struct ticket *ret, struct kf_error *e)
{
    struct ticket t;
    int rc = ticket_get(db, actor, ref, arena, &t);
    if (rc)
        return rc;
    if (!role_is_lead(actor->role))
        return kf_fail(e, KF_EFORBIDDEN, NULL, "only a supervisor or an admin reviews records");
    if (if_version && if_version != t.version)
        return kf_fail(e, KF_ECONFLICT, NULL,
                       "someone else changed this ticket; reload it and try again");
    if (strcmp(t.status, "resolved") && strcmp(t.status, "closed"))
        return kf_fail(e, KF_EINVAL, "status", "only a resolved or closed record is reviewed");
    if (t.reviewer_id)
        return kf_fail(e, KF_ECONFLICT, NULL, "this record was reviewed already");
    int64_t now = ktime_now();
    struct stmt *st = db_stmt(db, SQL_ticket_review);
    st_int(st, 1, t.id);
    st_int(st, 2, actor->user_id);
    st_int(st, 3, now);
    st_int(st, 4, t.version);
    if ((rc = st_exec(st)))
        return rc;
    if (db_changes(db) != 1)
        return kf_fail(e, KF_ECONFLICT, NULL,
                       "someone else changed this ticket; reload it and try again");
    char detail[64];
    snprintf(detail, sizeof(detail), "{\"reviewer_id\":%lld}", (long long)actor->user_id);
    if ((rc = history_write(db, t.id, actor, "reviewed", detail)) ||
        (rc = audit_write(db, actor, "ticket.reviewed", "ticket", t.id, NULL, detail)) ||
        (rc = event_write(db, "ticket.reviewed", "ticket", t.id, detail)))
        return rc;
    return ticket_get_id(db, NULL, t.id, arena, ret);
}
