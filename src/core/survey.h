/* survey.h: satisfaction surveys (满意度回访) and second handling (二次处理).
 *
 * Resolving a ticket plans a survey on the team's scale; the scheduler sends it after the
 * delay through the ticket's channel (a reply on mail, webhook, WeChat and chat tickets; the
 * notification webhook's survey.sent event for the SMS gateway otherwise), carrying a link
 * /s/{token} whose token is kept only as a hash. The customer answers on that page, or by
 * replying with a bare rating. A satisfied answer, or none by the expiry, closes the resolved
 * ticket (history closed_by_survey); an unsatisfied one starts second handling: back to
 * in_progress with the department's supervisor, a deadline of its own (sla.h's
 * SLA_SECOND_HANDLING, warned and breached by the SLA sweep) and the customer told. Resolving it
 * sends the survey again, one round on. Every step is a write in the caller's transaction, so a
 * step happens exactly once, across restarts too. */
#ifndef KEFU_SURVEY_H
#define KEFU_SURVEY_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct actor;
struct kf_error;
struct ticket;

enum survey_scale { SURVEY_FOUR_LEVEL, SURVEY_FIVE_POINT, SURVEY_THREE_LEVEL, SURVEY__SCALES };

enum {
    SURVEY_DELAY_MAX = 30,            /* minutes */
    SURVEY_EXPIRE_MAX = 30 * 24,      /* hours */
    SURVEY_SECOND_HANDLING_MAX = 168, /* hours */
    SURVEY_COMMENT_MAX = 2000,        /* characters */
    SURVEY_TOKEN_TEXT = 65,           /* 64 hex digits and NUL */
    SURVEY_UNSATISFIED_SCORE_MAX = 2, /* scores 1 and 2 are unsatisfied */
    SURVEY_LIST_MAX = 500,
};

/* "four_level", "five_point", "three_level"; -1 for anything else. */
int survey_scale_of(const char *name);
const char *survey_scale_name(enum survey_scale s);

struct survey_choice {
    const char *value; /* what the API calls the rating: "very_satisfied", "5", ... */
    const char *label, *label_en;
    int score; /* 1-5 on every scale */
};

/* The scale's choices, best first, in *ret (static); their number. */
size_t survey_choices(enum survey_scale s, const struct survey_choice **ret);
/* The score (1-5) of rating value on the scale, 0 when it is not on it. */
int survey_score(enum survey_scale s, const char *value);
/* What a customer's message means on the scale when it is only a rating: a value, a level's
 * word (满意, 不满意, ...), its number in the survey's list (1-4 on four levels, 1-3 on three:
 * as the message lists them) or a score 1-5 on five points, digits half- or full-width, with
 * blanks and an end mark around it; a mail reply's quoted text below it ("> ...", "On ...
 * wrote:", 原始邮件, a signature after "-- ") is left out. The choice, or NULL when the text
 * is anything more. */
const struct survey_choice *survey_rating_parse(enum survey_scale s, const char *text);

struct survey_settings {
    const char *scale;
    int64_t delay_minutes, expire_hours, second_handling_hours;
};

/* The settings in force (defaults for those never set), strings in arena. */
int survey_settings_get(struct db *db, struct arena *arena, struct survey_settings *ret);
struct jw;
/* The settings as the API shows them: {"scale", "delay_minutes", "expire_hours",
 * "second_handling_hours"}. */
void survey_settings_json(struct jw *w, const struct survey_settings *s);
/* Checks and stores what `set` names (1 delay, 2 expiry, 4 second handling, 8 scale), with an
 * audit row. KF_EINVAL naming the field ("survey.scale", ...). */
int survey_settings_update(struct db *db, const struct actor *actor, unsigned set,
                           const struct survey_settings *in, struct kf_error *e);

/* Where the links point: the server's public address, e.g. https://kefu.example.com (no
 * slash at the end). Call once at start-up, before threads. */
void survey_set_link_base(const char *base);

/* A ticket moved from status `from` to `to` (ticket_update): resolved plans the next survey
 * (and ends the round of second handling); leaving resolved drops a survey not sent yet. */
int survey_ticket_changed(struct db *db, int64_t ticket_id, const char *from, const char *to);
/* The customer wrote body on ticket_id: when the ticket has an open survey and body is only a
 * rating on its scale, that answers it (*ret_answered 1; the caller leaves the ticket as the
 * answer leaves it). */
int survey_customer_wrote(struct db *db, int64_t ticket_id, const char *body, int *ret_answered);

/* Sends the surveys due at now and expires those past their time, up to max, oldest first, in
 * the caller's transaction; *ret_n counts them. */
int survey_sweep(struct db *db, int64_t now, int max, int *ret_n);
/* Whether anything is due at now (a cheap look, for a reading connection): 1, 0 or a code. */
int survey_due(struct db *db, int64_t now);

struct survey {
    int64_t id, ticket_id;
    int round;
    const char *channel, *scale, *state; /* pending, open, answered, expired, cancelled */
    int64_t sent_at, expires_at, answered_at;
    const char *rating, *comment; /* NULL until answered */
    int score;                    /* 0 until answered */
    const char *number, *subject, *ticket_status;
};

/* The survey a link's token opens; KF_ENOTFOUND for any other text. An open survey past its
 * expiry reads as expired. */
int survey_by_token(struct db *db, const char *token, struct arena *arena, struct survey *ret);
/* Answers the survey of token: rating a value of its scale (KF_EINVAL naming "rating"
 * otherwise), comment optional. KF_ENOTFOUND, KF_ECONFLICT when answered already, and
 * SURVEY_GONE after the expiry. */
enum { SURVEY_GONE = -100 };
int survey_answer_token(struct db *db, const char *token, const char *rating, const char *comment,
                        struct arena *arena, struct survey *ret, struct kf_error *e);

struct survey_query {
    int64_t ticket_id;     /* 0: every ticket */
    int64_t from, to;      /* sent_at in [from, to); 0: open */
    const char *rating;    /* a value, or "unsatisfied" / "satisfied" */
    int unsatisfied_first; /* else newest first */
    int limit;
};

/* The surveys sent, as the actor may see them: supervisors and admins all, others those of
 * the tickets assigned to them. */
int survey_list(struct db *db, const struct actor *actor, const struct survey_query *q,
                struct arena *arena, struct survey **ret, size_t *ret_n, struct kf_error *e);

/* Reads the newest answer and the newest round of second handling of t into t. */
int survey_ticket_facts(struct db *db, struct arena *arena, struct ticket *t);

struct second_handling {
    int64_t ticket_id;
    int round;
    int64_t started_at, due_at, warned_at, breached_at;
    const char *number, *subject, *status;
    int64_t assignee_id;
    const char *assignee_name;
};

/* The running rounds of second handling, the nearest deadline first. */
int second_handling_list(struct db *db, int max, struct arena *arena, struct second_handling **ret,
                         size_t *ret_n);

#endif
