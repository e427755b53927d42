/* survey.c: satisfaction surveys, their answers, and second handling. */
#define _POSIX_C_SOURCE 200809L
#include "core/survey.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/actor.h"
#include "core/audit.h"
#include "core/message.h"
#include "core/notify.h"
#include "core/sla.h"
#include "core/ticket.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "lib/text.h"
#include "store/db.h"

static const int64_t MINUTE = 60000, HOUR = 3600000;
enum { HASH_BYTES = 32 };

/* The system acts on the customer's answer and on the clocks. */
static const struct actor survey_actor = {.name = "kefu", .role = ROLE_ADMIN};

/* ---- scales (pure) ---- */

static const char *const scale_names[SURVEY__SCALES] = {"four_level", "five_point", "three_level"};

static const struct survey_choice four_level[] = {
    {"very_satisfied", "非常满意", "Very satisfied", 5},
    {"satisfied", "满意", "Satisfied", 4},
    {"average", "一般", "Average", 3},
    {"unsatisfied", "不满意", "Unsatisfied", 1},
};
static const struct survey_choice five_point[] = {
    {"5", "5 分", "5", 5}, {"4", "4 分", "4", 4}, {"3", "3 分", "3", 3},
    {"2", "2 分", "2", 2}, {"1", "1 分", "1", 1},
};
static const struct survey_choice three_level[] = {
    {"satisfied", "满意", "Satisfied", 5},
    {"basically_satisfied", "基本满意", "Basically satisfied", 3},
    {"unsatisfied", "不满意", "Unsatisfied", 1},
};

int survey_scale_of(const char *name)
{
    for (int s = 0; name && s < SURVEY__SCALES; s++)
        if (!strcmp(scale_names[s], name))
            return s;
    return -1;
}

const char *survey_scale_name(enum survey_scale s)
{
    return scale_names[s];
}

size_t survey_choices(enum survey_scale s, const struct survey_choice **ret)
{
    switch (s) {
    case SURVEY_FIVE_POINT:
        *ret = five_point;
        return sizeof(five_point) / sizeof(five_point[0]);
    case SURVEY_THREE_LEVEL:
        *ret = three_level;
        return sizeof(three_level) / sizeof(three_level[0]);
    default:
        *ret = four_level;
        return sizeof(four_level) / sizeof(four_level[0]);
    }
}

static const struct survey_choice *choice_of(enum survey_scale s, const char *value)
{
    const struct survey_choice *c;
    size_t n = survey_choices(s, &c);
    for (size_t i = 0; value && i < n; i++)
        if (!strcmp(c[i].value, value))
            return &c[i];
    return NULL;
}

int survey_score(enum survey_scale s, const char *value)
{
    const struct survey_choice *c = choice_of(s, value);
    return c ? c->score : 0;
}

/* Whether the bytes at p begin with one of the marks that may stand around a rating; its
 * length, or 0. */
static size_t mark_len(const char *p)
{
    static const char *const marks[] = {" ",
                                        "\t",
                                        "\r",
                                        "\n",
                                        ".",
                                        "!",
                                        "\xe3\x80\x82" /* 。 */,
                                        "\xef\xbc\x81" /* ！ */,
                                        "\xe3\x80\x80" /* ideographic space */,
                                        "~"};
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
        if (!strncmp(p, marks[i], strlen(marks[i])))
            return strlen(marks[i]);
    return 0;
}

/* Whether the line [p, end) begins what a mail reply quotes: "> ...", "On ... wrote:",
 * "在 ... 写道：", an "Original Message" or 原始邮件 separator, a From:/发件人: header, or the
 * signature delimiter "-- ". */
static int quote_line(const char *p, const char *end)
{
    size_t n = (size_t)(end - p);
    char line[512];
    if (n >= sizeof(line))
        n = sizeof(line) - 1;
    memcpy(line, p, n);
    line[n] = '\0';
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
        line[--n] = '\0';
    return line[0] == '>' || !strncmp(line, "On ", 3) || strstr(line, "wrote:") ||
           strstr(line, "\xe5\x86\x99\xe9\x81\x93") /* 写道 */ ||
           strstr(line, "Original Message") ||
           strstr(line, "\xe5\x8e\x9f\xe5\xa7\x8b\xe9\x82\xae\xe4\xbb\xb6") /* 原始邮件 */ ||
           !strncmp(line, "From:", 5) ||
           !strncmp(line, "\xe5\x8f\x91\xe4\xbb\xb6\xe4\xba\xba", 9) /* 发件人 */ ||
           !strcmp(line, "--");
}

/* The end of what the customer wrote above the quoted survey of a mail reply. */
static const char *own_end(const char *text)
{
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        const char *end = nl ? nl : p + strlen(p);
        if (quote_line(p, end))
            return p;
        p = nl ? nl + 1 : end;
    }
    return text + strlen(text);
}

const struct survey_choice *survey_rating_parse(enum survey_scale s, const char *text)
{
    if (!text)
        return NULL;
    const char *b = text, *e = own_end(text);
    for (size_t k; b < e && (k = mark_len(b));)
        b += k;
    /* marks at the end: look back over whole marks only */
    for (int again = 1; again && e > b;) {
        again = 0;
        for (size_t k = 1; k <= 3 && e - (ptrdiff_t)k >= b; k++)
            if (mark_len(e - k) == k) {
                e -= k, again = 1;
                break;
            }
    }
    char word[64];
    size_t n = (size_t)(e - b);
    if (!n || n >= sizeof(word))
        return NULL;
    memcpy(word, b, n);
    word[n] = '\0';
    if (s == SURVEY_FIVE_POINT && n > 3 && !strcmp(word + n - 3, "\xe5\x88\x86")) /* "5分" */
        word[n -= 3] = '\0';
    int digit = -1;
    if (n == 1 && word[0] >= '0' && word[0] <= '9')
        digit = word[0] - '0';
    else if (n == 3 && !strncmp(word, "\xef\xbc", 2) && (unsigned char)word[2] >= 0x90 &&
             (unsigned char)word[2] <= 0x99) /* full-width ０-９ */
        digit = (unsigned char)word[2] - 0x90;
    const struct survey_choice *c;
    size_t nc = survey_choices(s, &c);
    if (digit >= 0) {
        if (s == SURVEY_FIVE_POINT)
            return digit >= 1 && digit <= 5 ? &c[5 - digit] : NULL;
        return digit >= 1 && (size_t)digit <= nc ? &c[digit - 1] : NULL; /* as listed */
    }
    for (size_t i = 0; i < nc; i++)
        if (!strcmp(word, c[i].value) || (s != SURVEY_FIVE_POINT && !strcmp(word, c[i].label)))
            return &c[i];
    return NULL;
}

/* ---- settings ---- */

static const char *const setting_keys[] = {"survey_delay_minutes", "survey_expire_hours",
                                           "survey_second_handling_hours", "survey_scale"};

static int setting_read(struct db *db, const char *key, struct arena *a, const char **ret)
{
    struct stmt *st = db_stmt(db, SQL_setting_get);
    st_text(st, 1, key);
    int rc = st_step(st);
    if (rc == 1)
        *ret = arena_strdup(a, col_text(st, 0));
    st_reset(st);
    return rc < 0 ? rc : 0;
}

int survey_settings_get(struct db *db, struct arena *arena, struct survey_settings *ret)
{
    *ret = (struct survey_settings){"four_level", 5, 72, 24};
    const char *v[4] = {NULL, NULL, NULL, NULL};
    for (int i = 0; i < 4; i++) {
        int rc = setting_read(db, setting_keys[i], arena, &v[i]);
        if (rc)
            return rc;
    }
    if (v[0])
        ret->delay_minutes = strtoll(v[0], NULL, 10);
    if (v[1])
        ret->expire_hours = strtoll(v[1], NULL, 10);
    if (v[2])
        ret->second_handling_hours = strtoll(v[2], NULL, 10);
    if (v[3] && survey_scale_of(v[3]) >= 0)
        ret->scale = v[3];
    return 0;
}

void survey_settings_json(struct jw *w, const struct survey_settings *s)
{
    jw_obj_begin(w);
    jw_kstr(w, "scale", s->scale);
    jw_kint(w, "delay_minutes", s->delay_minutes);
    jw_kint(w, "expire_hours", s->expire_hours);
    jw_kint(w, "second_handling_hours", s->second_handling_hours);
    jw_obj_end(w);
}

int survey_settings_update(struct db *db, const struct actor *actor, unsigned set,
                           const struct survey_settings *in, struct kf_error *e)
{
    if ((set & 1) && (in->delay_minutes < 0 || in->delay_minutes > SURVEY_DELAY_MAX))
        return kf_fail(e, KF_EINVAL, "survey.delay_minutes", "delay_minutes must be 0 to 30");
    if ((set & 2) && (in->expire_hours < 1 || in->expire_hours > SURVEY_EXPIRE_MAX))
        return kf_fail(e, KF_EINVAL, "survey.expire_hours", "expire_hours must be 1 to 720");
    if ((set & 4) &&
        (in->second_handling_hours < 1 || in->second_handling_hours > SURVEY_SECOND_HANDLING_MAX))
        return kf_fail(e, KF_EINVAL, "survey.second_handling_hours",
                       "second_handling_hours must be 1 to 168");
    if ((set & 8) && survey_scale_of(in->scale) < 0)
        return kf_fail(e, KF_EINVAL, "survey.scale",
                       "scale must be four_level, five_point or three_level");
    if (!set)
        return 0;
    struct arena a = ARENA_INIT;
    struct survey_settings cur, next;
    int rc = survey_settings_get(db, &a, &cur);
    next = cur;
    int64_t nums[3] = {in->delay_minutes, in->expire_hours, in->second_handling_hours};
    for (int i = 0; !rc && i < 4; i++) {
        if (!(set & (1u << i)))
            continue;
        char buf[24];
        snprintf(buf, sizeof(buf), "%lld", i < 3 ? (long long)nums[i] : 0LL);
        struct stmt *st = db_stmt(db, SQL_setting_set);
        st_text(st, 1, setting_keys[i]);
        st_text(st, 2, i < 3 ? buf : in->scale);
        rc = st_exec(st);
    }
    if (set & 1)
        next.delay_minutes = in->delay_minutes;
    if (set & 2)
        next.expire_hours = in->expire_hours;
    if (set & 4)
        next.second_handling_hours = in->second_handling_hours;
    if (set & 8)
        next.scale = in->scale;
    if (!rc) {
        struct strbuf b = STRBUF_INIT(1024), af = STRBUF_INIT(1024);
        struct jw w;
        jw_init(&w, &b);
        jw_obj_begin(&w);
        jw_key(&w, "survey");
        survey_settings_json(&w, &cur);
        jw_obj_end(&w);
        jw_init(&w, &af);
        jw_obj_begin(&w);
        jw_key(&w, "survey");
        survey_settings_json(&w, &next);
        jw_obj_end(&w);
        rc = audit_write(db, actor, "settings.updated", "settings", 0, b.buf, af.buf);
        strbuf_release(&b);
        strbuf_release(&af);
    }
    arena_release(&a);
    return rc;
}

/* ---- links ---- */

static char link_base[512] = "http://127.0.0.1:8080";

void survey_set_link_base(const char *base)
{
    snprintf(link_base, sizeof(link_base), "%s", base);
    size_t n = strlen(link_base);
    while (n && link_base[n - 1] == '/')
        link_base[--n] = '\0';
}

static void token_hash(const char *token, unsigned char out[HASH_BYTES])
{
    crypto_generichash(out, HASH_BYTES, (const unsigned char *)token, strlen(token), NULL, 0);
}

/* ---- reading ---- */

static void read_survey(struct stmt *st, struct arena *a, struct survey *s)
{
    memset(s, 0, sizeof(*s));
    s->id = col_int(st, 0);
    s->ticket_id = col_int(st, 1);
    s->round = (int)col_int(st, 2);
    s->channel = arena_strdup(a, col_text(st, 3));
    s->scale = arena_strdup(a, col_text(st, 4));
    s->state = arena_strdup(a, col_text(st, 5));
    s->sent_at = col_int(st, 6);
    s->expires_at = col_int(st, 7);
    s->rating = arena_strdup(a, col_text(st, 9));
    s->score = (int)col_int(st, 10);
    s->comment = arena_strdup(a, col_text(st, 11));
    s->answered_at = col_int(st, 12);
    s->number = arena_strdup(a, col_text(st, 13));
    s->subject = arena_strdup(a, col_text(st, 14));
    s->ticket_status = arena_strdup(a, col_text(st, 15));
}

static int one_survey(struct stmt *st, struct arena *a, struct survey *ret)
{
    int rc = st_step(st);
    if (rc == 1)
        read_survey(st, a, ret);
    st_reset(st);
    return rc < 0 ? rc : rc == 1 ? 0 : KF_ENOTFOUND;
}

static int survey_get(struct db *db, int64_t id, struct arena *a, struct survey *ret)
{
    struct stmt *st = db_stmt(db, SQL_survey_by_id);
    st_int(st, 1, id);
    return one_survey(st, a, ret);
}

int survey_by_token(struct db *db, const char *token, struct arena *arena, struct survey *ret)
{
    if (!token || strlen(token) != SURVEY_TOKEN_TEXT - 1)
        return KF_ENOTFOUND;
    unsigned char h[HASH_BYTES];
    token_hash(token, h);
    struct stmt *st = db_stmt(db, SQL_survey_by_token);
    st_blob(st, 1, h, sizeof(h));
    int rc = one_survey(st, arena, ret);
    if (!rc && !strcmp(ret->state, "open") && ret->expires_at && ret->expires_at <= ktime_now())
        ret->state = "expired"; /* the sweep is about to say so */
    return rc;
}

/* What the system knows of the ticket's customer and owner, for a survey's way out. */
struct contact {
    const char *channel, *kind, *phone, *email;
    int64_t supervisor_id; /* the department's, while active */
    int64_t department_id, assignee_id;
    int chat; /* a live chat is (or was) the ticket's conversation */
};

static int contact_of(struct db *db, int64_t ticket_id, struct arena *a, struct contact *c)
{
    struct stmt *st = db_stmt(db, SQL_survey_ticket_contact);
    st_int(st, 1, ticket_id);
    int rc = st_step(st);
    if (rc == 1) {
        c->channel = arena_strdup(a, col_text(st, 0));
        c->kind = arena_strdup(a, col_text(st, 1));
        c->phone = arena_strdup(a, col_text(st, 2));
        c->email = arena_strdup(a, col_text(st, 3));
        c->supervisor_id = col_int(st, 4);
        c->department_id = col_int(st, 5);
        c->assignee_id = col_int(st, 6);
        c->chat = col_int(st, 7) > 0;
        if (!c->kind)
            c->kind = "manual";
    }
    st_reset(st);
    return rc < 0 ? rc : rc == 1 ? 0 : KF_ENOTFOUND;
}

/* Mail, webhook, WeChat and chat tickets hear from Kefu as a reply on their channel (a chat's
 * reaches the visitor's stream); the others (phone, walk-in, web, manual) through the
 * notification webhook (an SMS gateway). */
static int speaks_on_channel(const struct contact *c)
{
    return c->chat || !strcmp(c->kind, "mail") || !strcmp(c->kind, "webhook") ||
           !strcmp(c->kind, "wechat") || !strcmp(c->kind, "chat");
}

/* A reply of the system on the ticket, which its channel carries to the customer. */
static int say(struct db *db, int64_t ticket_id, const char *text, struct arena *a)
{
    struct message m;
    struct kf_error e = {0};
    const char *ref = arena_printf(a, "%lld", (long long)ticket_id);
    int rc = message_add(db, &survey_actor, ref, "reply", text, NULL, 0, a, &m, &e);
    if (rc == KF_EINVAL || rc == KF_ENOTFOUND) { /* no way to reach them: the history says */
        fprintf(stderr, "kefu: the survey's message on ticket %lld was not sent: %s\n",
                (long long)ticket_id, e.message ? e.message : kf_strerror(rc));
        return 0;
    }
    return rc;
}

/* "2023-10-01 18:00" in the configured zone. */
static const char *local_time(struct arena *a, int64_t ms)
{
    char buf[KTIME_RFC3339_LEN];
    ktime_format(ms, buf);
    return arena_printf(a, "%.10s %.5s", buf, buf + 11);
}

static const char *survey_text(struct arena *a, const struct survey *s, const char *url)
{
    enum survey_scale sc = survey_scale_of(s->scale);
    const struct survey_choice *c;
    size_t n = survey_choices(sc, &c);
    struct strbuf sb = STRBUF_INIT(4096);
    strbuf_addf(&sb, "您好，您的服务单 %s「%s」已处理完毕。请对本次服务进行评价，直接回复",
                s->number, s->subject);
    if (sc == SURVEY_FIVE_POINT)
        strbuf_addstr(&sb, " 1-5 分（5 分最满意）");
    else
        for (size_t i = 0; i < n; i++)
            strbuf_addf(&sb, "%s%zu %s", i ? "、" : "：", i + 1, c[i].label);
    strbuf_addf(&sb, "，或打开链接评价并留言：%s", url);
    const char *out = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return out;
}

/* An event for the notification webhook with what a gateway needs to reach the customer. */
static int gateway_event(struct db *db, const char *kind, int64_t ticket_id,
                         const struct contact *c, const struct survey *s, const char *url,
                         const char *text)
{
    struct strbuf sb = STRBUF_INIT(16 * 1024);
    struct jw w;
    jw_init(&w, &sb);
    jw_obj_begin(&w);
    jw_kint(&w, "survey_id", s->id);
    jw_kint(&w, "round", s->round);
    jw_kstr(&w, "number", s->number);
    jw_kstr(&w, "channel", c->channel);
    jw_kstr(&w, "scale", s->scale);
    if (url)
        jw_kstr(&w, "url", url);
    jw_kstr(&w, "phone", c->phone);
    jw_kstr(&w, "email", c->email);
    jw_kstr(&w, "text", text);
    jw_obj_end(&w);
    int rc = event_write(db, kind, "ticket", ticket_id, sb.buf);
    strbuf_release(&sb);
    return rc;
}

/* ---- sending and expiry ---- */

static int send_one(struct db *db, struct survey *s, int64_t now, struct arena *a)
{
    struct contact c = {0};
    struct survey_settings cfg;
    int rc = contact_of(db, s->ticket_id, a, &c);
    if (!rc)
        rc = survey_settings_get(db, a, &cfg);
    if (rc)
        return rc == KF_ENOTFOUND ? 0 : rc;
    unsigned char raw[32], h[HASH_BYTES];
    char token[SURVEY_TOKEN_TEXT];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(token, sizeof(token), raw, sizeof(raw));
    token_hash(token, h);
    const char *url = arena_printf(a, "%s/s/%s", link_base, token);
    int on_channel = speaks_on_channel(&c);
    struct stmt *st = db_stmt(db, SQL_survey_sent);
    st_int(st, 1, s->id);
    st_blob(st, 2, h, sizeof(h));
    st_int(st, 3, now);
    st_text(st, 4, on_channel ? "message" : "event");
    st_int(st, 5, now + cfg.expire_hours * HOUR);
    if ((rc = st_exec(st)) || db_changes(db) != 1)
        return rc;
    const char *text = survey_text(a, s, url);
    char detail[160];
    snprintf(detail, sizeof(detail), "{\"survey_id\":%lld,\"round\":%d,\"via\":\"%s\"}",
             (long long)s->id, s->round, on_channel ? "message" : "event");
    if ((rc = history_write(db, s->ticket_id, &survey_actor, "survey_sent", detail)))
        return rc;
    return on_channel ? say(db, s->ticket_id, text, a)
                      : gateway_event(db, "survey.sent", s->ticket_id, &c, s, url, text);
}

/* The system moves the ticket (by id: a number may be digits only). */
static int move(struct db *db, int64_t ticket_id, struct ticket_patch *p, struct arena *a,
                struct ticket *ret)
{
    struct kf_error e = {0};
    const char *ref = arena_printf(a, "%lld", (long long)ticket_id);
    return ticket_update(db, &survey_actor, ref, p, a, ret, &e);
}

static int close_by_survey(struct db *db, const struct survey *s, const char *why, struct arena *a)
{
    if (strcmp(s->ticket_status, "resolved"))
        return 0; /* reopened meanwhile, or closed already */
    struct ticket_patch p = {.set = TF_STATUS, .status = "closed"};
    struct ticket t;
    int rc = move(db, s->ticket_id, &p, a, &t);
    if (rc)
        return rc;
    char detail[160];
    snprintf(detail, sizeof(detail), "{\"survey_id\":%lld,\"reason\":\"%s\"}", (long long)s->id,
             why);
    return history_write(db, s->ticket_id, &survey_actor, "closed_by_survey", detail);
}

static int expire_one(struct db *db, struct survey *s, struct arena *a)
{
    struct stmt *st = db_stmt(db, SQL_survey_expire);
    st_int(st, 1, s->id);
    int rc = st_exec(st);
    if (rc || db_changes(db) != 1)
        return rc;
    char detail[96];
    snprintf(detail, sizeof(detail), "{\"survey_id\":%lld}", (long long)s->id);
    if ((rc = history_write(db, s->ticket_id, &survey_actor, "survey_expired", detail)))
        return rc;
    return close_by_survey(db, s, "expired", a);
}

int survey_sweep(struct db *db, int64_t now, int max, int *ret_n)
{
    *ret_n = 0;
    if (max <= 0)
        return 0;
    struct arena a = ARENA_INIT;
    int64_t *ids = arena_alloc(&a, (size_t)max * sizeof(*ids));
    int n = 0, rc;
    struct stmt *st = db_stmt(db, SQL_survey_due);
    st_int(st, 1, now);
    st_int(st, 2, max);
    while ((rc = st_step(st)) == 1)
        ids[n++] = col_int(st, 0);
    st_reset(st);
    for (int i = 0; rc >= 0 && i < n; i++) {
        struct survey s;
        rc = survey_get(db, ids[i], &a, &s);
        if (rc == KF_ENOTFOUND) {
            rc = 0;
            continue;
        }
        if (!rc && !strcmp(s.state, "pending"))
            rc = send_one(db, &s, now, &a);
        else if (!rc && !strcmp(s.state, "open") && s.expires_at <= now)
            rc = expire_one(db, &s, &a);
        if (rc >= 0)
            (*ret_n)++;
    }
    arena_release(&a);
    return rc < 0 ? rc : 0;
}

int survey_due(struct db *db, int64_t now)
{
    struct stmt *st = db_stmt(db, SQL_survey_due);
    st_int(st, 1, now);
    st_int(st, 2, 1);
    int rc = st_step(st);
    st_reset(st);
    return rc;
}

/* ---- the ticket's moves ---- */

static int second_round(struct db *db, int64_t ticket_id, int64_t *ret_round, int64_t *ret_ended)
{
    struct stmt *st = db_stmt(db, SQL_second_handling_of);
    st_int(st, 1, ticket_id);
    int rc = st_step(st);
    *ret_round = rc == 1 ? col_int(st, 0) : 0;
    *ret_ended = rc == 1 ? col_int(st, 3) : 0;
    st_reset(st);
    return rc < 0 ? rc : 0;
}

int survey_ticket_changed(struct db *db, int64_t ticket_id, const char *from, const char *to)
{
    int64_t now = ktime_now();
    struct stmt *st;
    int rc;
    if (!strcmp(from, "resolved")) { /* a survey not sent yet has lost its reason */
        st = db_stmt(db, SQL_survey_cancel_pending);
        st_int(st, 1, ticket_id);
        if ((rc = st_exec(st)))
            return rc;
    }
    if (strcmp(to, "resolved"))
        return 0;
    int64_t round, ended;
    if ((rc = second_round(db, ticket_id, &round, &ended)))
        return rc;
    if (round && !ended) {
        st = db_stmt(db, SQL_second_handling_end);
        st_int(st, 1, ticket_id);
        st_int(st, 2, now);
        if ((rc = st_exec(st)))
            return rc;
    }
    struct arena a = ARENA_INIT;
    struct survey open;
    st = db_stmt(db, SQL_survey_open_of);
    st_int(st, 1, ticket_id);
    rc = one_survey(st, &a, &open);
    if (rc != KF_ENOTFOUND) { /* one is still open: it asks about this resolution too */
        arena_release(&a);
        return rc;
    }
    struct survey_settings cfg;
    struct contact c = {0};
    if (!(rc = survey_settings_get(db, &a, &cfg)) && !(rc = contact_of(db, ticket_id, &a, &c))) {
        st = db_stmt(db, SQL_survey_insert);
        st_int(st, 1, ticket_id);
        st_int(st, 2, round + 1);
        st_text(st, 3, c.channel);
        st_text(st, 4, cfg.scale);
        st_int(st, 5, now);
        st_int(st, 6, now + cfg.delay_minutes * MINUTE);
        rc = st_exec(st);
    }
    arena_release(&a);
    return rc;
}

/* An unsatisfied answer: the ticket goes back to work with the department's supervisor, a
 * deadline of its own, a notice, and word to the customer. */
static int second_handling_start(struct db *db, const struct survey *s, int64_t now,
                                 struct arena *a)
{
    struct contact c = {0};
    struct survey_settings cfg;
    int rc = contact_of(db, s->ticket_id, a, &c);
    if (!rc)
        rc = survey_settings_get(db, a, &cfg);
    if (rc)
        return rc;
    struct ticket t;
    struct ticket_patch p = {.set = TF_STATUS, .status = "in_progress"};
    if (c.supervisor_id) {
        p.set |= TF_ASSIGNEE;
        p.assignee_id = c.supervisor_id;
    }
    if ((rc = move(db, s->ticket_id, &p, a, &t)))
        return rc;
    int64_t round, ended, due = now + cfg.second_handling_hours * HOUR;
    if ((rc = second_round(db, s->ticket_id, &round, &ended)))
        return rc;
    struct stmt *st = db_stmt(db, SQL_second_handling_insert);
    st_int(st, 1, s->ticket_id);
    st_int(st, 2, round + 1);
    st_int(st, 3, s->id);
    st_int(st, 4, now);
    st_int(st, 5, due);
    if ((rc = st_exec(st)) || (rc = sla_second_handling_set(db, s->ticket_id, now, due)))
        return rc;
    char when[KTIME_RFC3339_LEN];
    ktime_format(due, when);
    const char *detail = arena_printf(a, "{\"round\":%lld,\"survey_id\":%lld,\"due_at\":\"%s\"}",
                                      (long long)(round + 1), (long long)s->id, when);
    if ((rc = history_write(db, s->ticket_id, &survey_actor, "second_handling", detail)))
        return rc;
    struct ticket_notice n = ticket_notice_of(&t, a, "unsatisfied", "survey");
    n.due_at = due;
    if ((rc = notify_ticket(db, c.supervisor_id ? c.supervisor_id : t.assignee_id,
                            "second_handling", &n)))
        return rc;
    const char *text = arena_printf(a,
                                    "您对服务单 %s 的评价已收到，很抱歉没有让您满意。我们已安排主管"
                                    "重新处理，将在 %s 前给您答复。",
                                    s->number, local_time(a, due));
    if (speaks_on_channel(&c))
        return say(db, s->ticket_id, text, a);
    return gateway_event(db, "ticket.second_handling", s->ticket_id, &c, s, NULL, text);
}

/* Records the answer to open survey s and acts on it. */
static int answer(struct db *db, struct survey *s, const struct survey_choice *choice,
                  const char *comment, const char *via, struct arena *a)
{
    int64_t now = ktime_now();
    struct stmt *st = db_stmt(db, SQL_survey_answer);
    st_int(st, 1, s->id);
    st_text(st, 2, choice->value);
    st_int(st, 3, choice->score);
    st_text(st, 4, comment && !text_blank(comment) ? comment : NULL);
    st_int(st, 5, now);
    st_text(st, 6, via);
    int rc = st_exec(st);
    if (rc)
        return rc;
    if (db_changes(db) != 1)
        return KF_ECONFLICT; /* answered a moment ago */
    st = db_stmt(db, SQL_survey_ticket_rating);
    st_int(st, 1, s->ticket_id);
    st_text(st, 2, choice->value);
    if ((rc = st_exec(st)))
        return rc;
    struct strbuf sb = STRBUF_INIT(16 * 1024);
    struct jw w;
    jw_init(&w, &sb);
    jw_obj_begin(&w);
    jw_kint(&w, "survey_id", s->id);
    jw_kint(&w, "round", s->round);
    jw_kstr(&w, "rating", choice->value);
    jw_kint(&w, "score", choice->score);
    jw_kstr(&w, "comment", comment && !text_blank(comment) ? comment : NULL);
    jw_kstr(&w, "via", via);
    jw_obj_end(&w);
    rc = history_write(db, s->ticket_id, &survey_actor, "survey_answered", sb.buf);
    if (!rc)
        rc = event_write(db, "survey.answered", "ticket", s->ticket_id, sb.buf);
    strbuf_release(&sb);
    if (rc)
        return rc;
    s->state = "answered";
    s->rating = choice->value;
    s->score = choice->score;
    s->comment = comment;
    s->answered_at = now;
    if (choice->score > SURVEY_UNSATISFIED_SCORE_MAX)
        return close_by_survey(db, s, "satisfied", a);
    if (!strcmp(s->ticket_status, "resolved") || !strcmp(s->ticket_status, "closed"))
        return second_handling_start(db, s, now, a);
    return 0; /* back at work already: the answer is kept, the ticket stays with its owner */
}

int survey_answer_token(struct db *db, const char *token, const char *rating, const char *comment,
                        struct arena *arena, struct survey *ret, struct kf_error *e)
{
    int rc = survey_by_token(db, token, arena, ret);
    if (rc)
        return rc;
    if (!strcmp(ret->state, "answered"))
        return kf_fail(e, KF_ECONFLICT, NULL, "this survey has been answered already");
    if (strcmp(ret->state, "open"))
        return kf_fail(e, SURVEY_GONE, NULL, "this survey has expired");
    if ((rc = text_check(comment, "comment", SURVEY_COMMENT_MAX, 0, e)))
        return rc;
    const struct survey_choice *c = choice_of(survey_scale_of(ret->scale), rating);
    if (!c)
        return kf_fail(e, KF_EINVAL, "rating", "rating is not on this survey's scale");
    rc = answer(db, ret, c, comment, "link", arena);
    if (rc == KF_ECONFLICT)
        return kf_fail(e, KF_ECONFLICT, NULL, "this survey has been answered already");
    return rc;
}

int survey_customer_wrote(struct db *db, int64_t ticket_id, const char *body, int *ret_answered)
{
    *ret_answered = 0;
    struct arena a = ARENA_INIT;
    struct survey s;
    struct stmt *st = db_stmt(db, SQL_survey_open_of);
    st_int(st, 1, ticket_id);
    int rc = one_survey(st, &a, &s);
    const struct survey_choice *c = NULL;
    if (!rc && (!s.expires_at || s.expires_at > ktime_now()))
        c = survey_rating_parse(survey_scale_of(s.scale), body);
    if (c) {
        rc = answer(db, &s, c, NULL, "message", &a);
        *ret_answered = !rc;
    }
    arena_release(&a);
    return rc == KF_ENOTFOUND ? 0 : rc;
}

/* ---- lists and the ticket's facts ---- */

int survey_ticket_facts(struct db *db, struct arena *arena, struct ticket *t)
{
    struct stmt *st = db_stmt(db, SQL_survey_answered_of);
    st_int(st, 1, t->id);
    int rc = st_step(st);
    t->survey.answered = rc == 1;
    if (rc == 1) {
        t->survey.rating = arena_strdup(arena, col_text(st, 0));
        t->survey.score = (int)col_int(st, 1);
        t->survey.comment = arena_strdup(arena, col_text(st, 2));
        t->survey.answered_at = col_int(st, 3);
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    st = db_stmt(db, SQL_second_handling_of);
    st_int(st, 1, t->id);
    rc = st_step(st);
    t->second_handling.round = rc == 1 ? (int)col_int(st, 0) : 0;
    t->second_handling.started_at = rc == 1 ? col_int(st, 1) : 0;
    t->second_handling.due_at = rc == 1 ? col_int(st, 2) : 0;
    t->second_handling.ended_at = rc == 1 ? col_int(st, 3) : 0;
    st_reset(st);
    return rc < 0 ? rc : 0;
}

int survey_list(struct db *db, const struct actor *actor, const struct survey_query *q,
                struct arena *arena, struct survey **ret, size_t *ret_n, struct kf_error *e)
{
    struct strbuf sql = STRBUF_INIT(4096);
    int n = 0, rc = 0, limit = q->limit > 0 && q->limit <= SURVEY_LIST_MAX ? q->limit : 100;
    int64_t ints[8];
    const char *text = NULL;
    int text_at = 0;
    strbuf_addstr(&sql, "SELECT s.id, s.ticket_id, s.round, s.channel, s.scale, s.state,"
                        " s.sent_at, s.expires_at, s.next_at, s.rating, s.score, s.comment,"
                        " s.answered_at, t.number, t.subject, t.status"
                        " FROM surveys s JOIN tickets t ON t.id = s.ticket_id"
                        " WHERE s.sent_at IS NOT NULL");
    if (q->ticket_id) {
        ints[n++] = q->ticket_id;
        strbuf_addf(&sql, " AND s.ticket_id = $%d", n);
    }
    if (q->from) {
        ints[n++] = q->from;
        strbuf_addf(&sql, " AND s.sent_at >= $%d", n);
    }
    if (q->to) {
        ints[n++] = q->to;
        strbuf_addf(&sql, " AND s.sent_at < $%d", n);
    }
    if (!role_is_lead(actor->role)) {
        ints[n++] = actor->user_id;
        strbuf_addf(&sql, " AND t.assignee_id = $%d", n);
    }
    if (q->rating) {
        int known = 0;
        for (int sc = 0; sc < SURVEY__SCALES; sc++)
            known |= survey_score(sc, q->rating) > 0;
        if (!known) {
            rc = kf_fail(e, KF_EINVAL, "rating", "no scale has this rating");
            goto out;
        }
        text = q->rating;
        text_at = n + 1;
        strbuf_addf(&sql, " AND s.rating = $%d", text_at);
    }
    if (q->unsatisfied_first)
        strbuf_addf(&sql,
                    " ORDER BY CASE WHEN s.score IS NOT NULL AND s.score <= %d THEN 0 ELSE 1 END,"
                    " s.sent_at DESC, s.id DESC",
                    SURVEY_UNSATISFIED_SCORE_MAX);
    else
        strbuf_addstr(&sql, " ORDER BY s.sent_at DESC, s.id DESC");
    strbuf_addf(&sql, " LIMIT %d", limit);
    struct stmt *st = db_stmt_sql(db, sql.buf);
    for (int i = 0; i < n; i++)
        st_int(st, i + 1, ints[i]);
    if (text)
        st_text(st, text_at, text);
    struct survey *v = arena_alloc(arena, (size_t)limit * sizeof(*v));
    size_t k = 0;
    int64_t now = ktime_now();
    while (k < (size_t)limit && (rc = st_step(st)) == 1) {
        read_survey(st, arena, &v[k]);
        if (!strcmp(v[k].state, "open") && v[k].expires_at && v[k].expires_at <= now)
            v[k].state = "expired";
        k++;
    }
    st_reset(st);
    if (rc < 0)
        goto out;
    rc = 0;
    *ret = v;
    *ret_n = k;
out:
    strbuf_release(&sql);
    return rc;
}

int second_handling_list(struct db *db, int max, struct arena *arena, struct second_handling **ret,
                         size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_second_handling_open);
    st_int(st, 1, max);
    struct second_handling *v = arena_alloc(arena, (size_t)max * sizeof(*v));
    size_t n = 0;
    int rc = 0;
    while (n < (size_t)max && (rc = st_step(st)) == 1) {
        struct second_handling *h = &v[n++];
        h->ticket_id = col_int(st, 0);
        h->round = (int)col_int(st, 1);
        h->started_at = col_int(st, 2);
        h->due_at = col_int(st, 3);
        h->number = arena_strdup(arena, col_text(st, 4));
        h->subject = arena_strdup(arena, col_text(st, 5));
        h->status = arena_strdup(arena, col_text(st, 6));
        h->assignee_id = col_int(st, 7);
        h->assignee_name = arena_strdup(arena, col_text(st, 8));
        h->warned_at = col_int(st, 9);
        h->breached_at = col_int(st, 10);
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}
