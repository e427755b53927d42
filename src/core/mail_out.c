/* mail_out.c: the queue of outgoing mail, its tries and the delivery status it gives. */
#include "core/mail_out.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/audit.h"
#include "core/channel.h"
#include "core/customer.h"
#include "core/ticket.h"
#include "core/webhook.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "lib/text.h"
#include "store/db.h"

static const char *const kinds[] = {"reply", "ack", "code", "notice", NULL};

static int kind_ok(const char *k)
{
    for (const char *const *p = kinds; k && *p; p++)
        if (!strcmp(*p, k))
            return 1;
    return 0;
}

/* No control characters (a header must not be split) and something before and after one @. */
int mail_out_address_ok(const char *s)
{
    const char *at = strchr(s, '@');
    if (!at || at == s || !at[1] || strchr(at + 1, '@'))
        return 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>' || *p == ',')
            return 0;
    return 1;
}

static int has_control(const char *s)
{
    for (const char *p = s; *p; p++)
        if (((unsigned char)*p < ' ' && *p != '\t') || *p == 0x7f)
            return 1;
    return 0;
}

/* s with each control character (a line break) as a space, in a. */
static const char *one_line(struct arena *a, const char *s)
{
    char *out = arena_strdup(a, s);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < ' ' || *p == 0x7f)
            *p = ' ';
    return out;
}

/* The domain of a From value ("客服 <a@example.com>" → example.com), in a; "kefu.invalid" when
 * it has none. */
static const char *from_domain(struct arena *a, const char *from)
{
    const char *at = from ? strrchr(from, '@') : NULL;
    if (!at)
        return "kefu.invalid";
    size_t n = strcspn(at + 1, "> \t");
    if (!n)
        return "kefu.invalid";
    return arena_strndup(a, at + 1, n);
}

/* The sending channel's code: m->channel if it can send, else the default sender. */
static int sender(struct db *db, const char *channel, struct arena *a, const char **ret,
                  struct kf_error *e)
{
    struct stmt *st = db_stmt(db, SQL_mail_out_sender);
    st_text(st, 1, channel);
    int rc = st_step(st);
    if (rc == 1)
        *ret = arena_strdup(a, col_text(st, 0));
    st_reset(st);
    if (rc < 0)
        return rc;
    if (!rc)
        return kf_fail(e, KF_ENOTFOUND, "channel",
                       channel ? "this channel cannot send mail: it needs smtp_url and from"
                               : "no mail channel can send mail");
    return 0;
}

/* In-Reply-To (the customer's last mail, else the newest) and References (the first mail and
 * the newest, oldest first) from the ticket's mails. NULL when it has none. */
static int thread_of(struct db *db, int64_t ticket_id, struct arena *a, const char **ret_irt,
                     const char **ret_refs)
{
    *ret_irt = *ret_refs = NULL;
    size_t n = 0, cap = 16;
    const char **ids = arena_alloc(a, cap * sizeof(*ids));
    const char *last_in = NULL;
    struct stmt *st = db_stmt(db, SQL_mail_out_thread);
    st_int(st, 1, ticket_id);
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            const char **w = arena_alloc(a, 2 * cap * sizeof(*w));
            memcpy(w, ids, n * sizeof(*w));
            ids = w, cap *= 2;
        }
        ids[n] = arena_strdup(a, col_text(st, 0));
        if (!strcmp(col_text(st, 1), "in"))
            last_in = ids[n];
        n++;
    }
    st_reset(st);
    if (rc < 0 || !n)
        return rc < 0 ? rc : 0;
    *ret_irt = last_in ? last_in : ids[n - 1];
    struct strbuf sb = STRBUF_INIT(64 * 1024);
    size_t from = n > MAIL_OUT_REFS_MAX ? n - (MAIL_OUT_REFS_MAX - 1) : 1;
    strbuf_addstr(&sb, ids[0]);
    for (size_t i = from; i < n; i++)
        strbuf_addf(&sb, " %s", ids[i]);
    *ret_refs = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return 0;
}

int mail_out_queue(struct db *db, const struct mail_out *m, int64_t *ret_id, struct kf_error *e)
{
    if (!kind_ok(m->kind))
        return kf_fail(e, KF_EINVAL, "kind", "kind must be reply, ack, code or notice");
    if (!m->to || strlen(m->to) > MAIL_OUT_TO_MAX || !mail_out_address_ok(m->to))
        return kf_fail(e, KF_EINVAL, "to", "to must be one e-mail address");
    if (!m->subject || strlen(m->subject) > MAIL_OUT_SUBJECT_MAX || has_control(m->subject) ||
        !utf8_valid(m->subject, strlen(m->subject)))
        return kf_fail(e, KF_EINVAL, "subject", "the subject must be one line of UTF-8 text");
    if (!m->text || !utf8_valid(m->text, strlen(m->text)))
        return kf_fail(e, KF_EINVAL, "text", "the text must be UTF-8");
    struct arena a = ARENA_INIT;
    const char *channel = NULL, *from = NULL, *irt = NULL, *refs = NULL;
    int rc = sender(db, m->channel, &a, &channel, e);
    if (!rc) {
        struct stmt *st = db_stmt(db, SQL_mail_out_from);
        st_text(st, 1, channel);
        if ((rc = st_step(st)) == 1)
            from = arena_strdup(&a, col_text(st, 0));
        st_reset(st);
        rc = rc < 0 ? rc : 0;
    }
    if (!rc && m->ticket_id)
        rc = thread_of(db, m->ticket_id, &a, &irt, &refs);
    unsigned char rnd[12];
    char hex[sizeof(rnd) * 2 + 1];
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
    const char *mail_id = arena_printf(&a, "kefu.%s@%s", hex, from_domain(&a, from));
    int64_t now = ktime_now(), id = 0;
    if (!rc) {
        struct stmt *st = db_stmt(db, SQL_mail_out_insert);
        st_text(st, 1, channel);
        if (m->ticket_id)
            st_int(st, 2, m->ticket_id);
        else
            st_null(st, 2);
        if (m->message_id)
            st_int(st, 3, m->message_id);
        else
            st_null(st, 3);
        st_text(st, 4, m->kind);
        st_text(st, 5, m->to);
        st_text(st, 6, m->subject);
        st_text(st, 7, m->text);
        st_text(st, 8, mail_id);
        st_text(st, 9, irt);
        st_text(st, 10, refs);
        st_int(st, 11, now);
        if (!(rc = st_exec(st)))
            id = db_last_id(db);
    }
    if (!rc && m->message_id) {
        struct stmt *st = db_stmt(db, SQL_mail_out_attach);
        st_int(st, 1, id);
        st_int(st, 2, m->message_id);
        rc = st_exec(st);
    }
    if (!rc && m->ticket_id) { /* an answer to this mail joins the ticket */
        struct stmt *st = db_stmt(db, SQL_mail_id_insert);
        st_text(st, 1, mail_id);
        st_int(st, 2, m->ticket_id);
        if (m->message_id)
            st_int(st, 3, m->message_id);
        else
            st_null(st, 3);
        st_text(st, 4, "out");
        st_int(st, 5, now);
        rc = st_exec(st);
    }
    arena_release(&a);
    if (!rc && ret_id)
        *ret_id = id;
    return rc;
}

int delivery_read(struct stmt *st, struct arena *arena, struct mail_delivery *ret)
{
    int rc = st_step(st);
    if (rc == 1) {
        ret->status = arena_strdup(arena, col_text(st, 0));
        ret->attempts = (int)col_int(st, 1);
        ret->last_error = col_is_null(st, 2) ? NULL : arena_strdup(arena, col_text(st, 2));
        ret->sent_at = col_int(st, 3);
    }
    st_reset(st);
    return rc;
}

int delivery_changed(struct db *db, int64_t ticket_id, int64_t message_id, const char *status)
{
    if (!ticket_id || !message_id)
        return 0;
    char detail[128];
    snprintf(detail, sizeof(detail), "{\"message_id\":%lld,\"status\":\"%.16s\"}",
             (long long)message_id, status);
    return event_write(db, "ticket.delivery_changed", "ticket", ticket_id, detail);
}

int delivery_codes(struct stmt *st, int max, struct arena *arena, const char ***ret, size_t *ret_n)
{
    const char **v = arena_alloc(arena, (size_t)(max > 0 ? max : 1) * sizeof(*v));
    size_t n = 0;
    int rc;
    while ((rc = st_step(st)) == 1 && n < (size_t)max)
        v[n++] = arena_strdup(arena, col_text(st, 0));
    st_reset(st);
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

int mail_out_delivery(struct db *db, int64_t message_id, struct arena *arena,
                      struct mail_delivery *ret)
{
    struct stmt *st = db_stmt(db, SQL_mail_out_of_message);
    st_int(st, 1, message_id);
    return delivery_read(st, arena, ret);
}

static int count(struct stmt *st, const char *channel, const char *status, int64_t *ret)
{
    st_text(st, 1, channel);
    st_text(st, 2, status);
    int rc = st_one_int(st, ret);
    return rc < 0 ? rc : 0;
}

int delivery_counts(struct stmt *st, const char *channel, int64_t *ret_queued, int64_t *ret_failed)
{
    int rc = count(st, channel, "queued", ret_queued);
    return rc ? rc : count(st, channel, "failed", ret_failed);
}

int mail_out_counts(struct db *db, const char *channel, int64_t *ret_queued, int64_t *ret_failed)
{
    return delivery_counts(db_stmt(db, SQL_mail_out_count), channel, ret_queued, ret_failed);
}

/* Writes ticket.delivery_changed for the message mail row id carries, if it carries one. */
static int delivery_event(struct db *db, int64_t id)
{
    struct stmt *st = db_stmt(db, SQL_mail_out_about);
    st_int(st, 1, id);
    int64_t ticket_id = 0, message_id = 0;
    char status[16] = "";
    int rc = st_step(st);
    if (rc == 1) {
        ticket_id = col_int(st, 0);
        message_id = col_int(st, 1);
        snprintf(status, sizeof(status), "%s", col_text(st, 2));
    }
    st_reset(st);
    return rc < 0 ? rc : delivery_changed(db, ticket_id, message_id, status);
}

int mail_out_bounced(struct db *db, const char *mail_id, const char *why, int *ret_hit)
{
    struct stmt *st = db_stmt(db, SQL_mail_out_by_mail_id);
    st_text(st, 1, mail_id);
    int64_t id = 0;
    int rc = st_one_int(st, &id);
    if (ret_hit)
        *ret_hit = 0;
    if (rc <= 0)
        return rc;
    struct arena a = ARENA_INIT;
    st = db_stmt(db, SQL_mail_out_bounce);
    st_int(st, 1, id);
    st_text(st, 2, arena_printf(&a, "the mail bounced: %.200s", why ? why : "no reason given"));
    rc = st_exec(st);
    arena_release(&a);
    if (rc || db_changes(db) != 1)
        return rc;
    if (ret_hit)
        *ret_hit = 1;
    return delivery_event(db, id);
}

int mail_out_due_channels(struct db *db, int64_t now, int max, struct arena *arena,
                          const char ***ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_mail_out_due_channels);
    st_int(st, 1, now);
    st_int(st, 2, max);
    return delivery_codes(st, max, arena, ret, ret_n);
}

int mail_out_due(struct db *db, const char *channel, int64_t now, int max, struct arena *arena,
                 struct mail_due **ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_mail_out_due);
    st_int(st, 1, now);
    st_int(st, 2, max);
    st_text(st, 3, channel);
    struct mail_due *v = arena_alloc(arena, (size_t)(max > 0 ? max : 1) * sizeof(*v));
    size_t n = 0;
    int rc;
    while ((rc = st_step(st)) == 1) {
        struct mail_due *d = &v[n++];
        *d = (struct mail_due){0};
        d->id = col_int(st, 0);
        d->channel = arena_strdup(arena, col_text(st, 1));
        d->kind = arena_strdup(arena, col_text(st, 2));
        d->to = arena_strdup(arena, col_text(st, 3));
        d->subject = arena_strdup(arena, col_text(st, 4));
        d->text = arena_strdup(arena, col_text(st, 5));
        d->mail_id = arena_strdup(arena, col_text(st, 6));
        d->in_reply_to = col_is_null(st, 7) ? NULL : arena_strdup(arena, col_text(st, 7));
        d->refs = col_is_null(st, 8) ? NULL : arena_strdup(arena, col_text(st, 8));
        d->attempts = (int)col_int(st, 9);
        d->created_at = col_int(st, 10);
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

int mail_out_files(struct db *db, struct arena *arena, struct mail_due *d)
{
    struct stmt *st = db_stmt(db, SQL_mail_out_files);
    st_int(st, 1, d->id);
    size_t cap = 4;
    d->files = arena_alloc(arena, cap * sizeof(*d->files));
    d->nfiles = 0;
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (d->nfiles == cap) {
            struct mail_file *w = arena_alloc(arena, 2 * cap * sizeof(*w));
            memcpy(w, d->files, d->nfiles * sizeof(*w));
            d->files = w, cap *= 2;
        }
        struct mail_file *f = &d->files[d->nfiles++];
        f->filename = arena_strdup(arena, col_text(st, 0));
        f->content_type = arena_strdup(arena, col_text(st, 1));
        f->size = col_bytes(st, 2);
        void *copy = arena_alloc(arena, f->size ? f->size : 1);
        if (f->size)
            memcpy(copy, col_blob(st, 2), f->size);
        f->data = copy;
    }
    st_reset(st);
    return rc < 0 ? rc : 0;
}

int mail_out_tried(struct db *db, int64_t id, int attempts, int64_t at, enum mail_try result,
                   const char *error, int64_t *ret_next_at)
{
    int64_t wait = result == MAIL_TRY_AGAIN ? webhook_backoff(attempts + 1) : -1;
    const char *status = result == MAIL_SENT ? "sent" : wait < 0 ? "failed" : "queued";
    int64_t next = !strcmp(status, "queued") ? at + wait : 0;
    struct stmt *st = db_stmt(db, SQL_mail_out_tried);
    st_int(st, 1, id);
    st_text(st, 2, status);
    if (next)
        st_int(st, 3, next);
    else
        st_null(st, 3);
    st_text(st, 4, result == MAIL_SENT ? NULL : error ? error : "the mail could not be sent");
    if (result == MAIL_SENT)
        st_int(st, 5, at);
    else
        st_null(st, 5);
    st_int(st, 6, attempts);
    int rc = st_exec(st);
    if (rc || db_changes(db) != 1)
        return rc;
    if (ret_next_at)
        *ret_next_at = next;
    if (result == MAIL_TRY_AGAIN && next && attempts > 0)
        return 0; /* one more failed try: nothing a reader would see change */
    return delivery_event(db, id);
}

int mail_out_postpone(struct db *db, const char *channel, int64_t until)
{
    struct stmt *st = db_stmt(db, SQL_mail_out_postpone);
    st_text(st, 1, channel);
    st_int(st, 2, until);
    return st_exec(st);
}

/* Queues m from m->channel, else (that channel cannot send) from the default sender; nothing
 * when no channel can send. */
static int queue_any(struct db *db, struct mail_out *m, struct kf_error *e)
{
    int rc = mail_out_queue(db, m, NULL, e);
    if (rc == KF_ENOTFOUND && m->channel) {
        m->channel = NULL;
        rc = mail_out_queue(db, m, NULL, e);
    }
    if (rc == KF_ENOTFOUND) {
        if (e)
            *e = (struct kf_error){0};
        return 0;
    }
    return rc;
}

/* Whether a customer's address can be written To: one address, as the queue takes it. */
static int mailable(const char *email)
{
    return email && *email && strlen(email) <= MAIL_OUT_TO_MAX && mail_out_address_ok(email);
}

int mail_out_reply(struct db *db, const struct ticket *t, int64_t message_id, const char *body,
                   struct kf_error *e)
{
    struct arena a = ARENA_INIT;
    struct customer c;
    struct channel_config ch;
    int rc = customer_get(db, t->customer.id, &a, &c);
    if (rc == KF_ENOTFOUND || (!rc && !mailable(c.email))) {
        arena_release(&a);
        return 0;
    }
    if (!rc)
        rc = channel_get(db, t->channel, &a, &ch);
    if (!rc) {
        struct mail_out m = {.ticket_id = t->id, .message_id = message_id, .to = c.email};
        if (!strcmp(ch.kind, "mail")) {
            m.channel = ch.code;
            m.kind = "reply";
            m.subject = arena_printf(&a, "Re: %s [#%s]", one_line(&a, t->subject), t->number);
            m.text = body;
            rc = queue_any(db, &m, e);
        } else if (strcmp(ch.kind, "webhook") && strcmp(ch.kind, "wechat") &&
                   strcmp(ch.kind, "chat")) {
            m.kind = "notice";
            m.subject =
                arena_printf(&a, "您的工单有新回复:%s [#%s]", one_line(&a, t->subject), t->number);
            m.text = arena_printf(&a,
                                  "您好,\n\n您的工单 %s(%s)有新的回复:\n\n%s\n\n"
                                  "直接回复此邮件即可继续沟通。\n",
                                  t->number, t->subject, body);
            rc = queue_any(db, &m, e);
        }
    }
    arena_release(&a);
    return rc == KF_ENOTFOUND ? 0 : rc;
}

int mail_out_ack(struct db *db, const struct ticket *t, const char *channel, const char *to,
                 struct kf_error *e)
{
    if (!mailable(to))
        return 0;
    struct arena a = ARENA_INIT;
    struct mail_out m = {.channel = channel, .ticket_id = t->id, .kind = "ack", .to = to};
    m.subject =
        arena_printf(&a, "我们已收到您的来信:%s [#%s]", one_line(&a, t->subject), t->number);
    m.text = arena_printf(&a,
                          "您好,\n\n我们已收到您的来信,工单号为 %s。客服人员会尽快处理,"
                          "处理结果将通过邮件回复您。\n\n如需补充信息,直接回复此邮件即可"
                          "(请保留标题中的工单号)。\n\n此邮件由系统自动发送。\n",
                          t->number);
    int rc = mail_out_queue(db, &m, NULL, e);
    arena_release(&a);
    if (rc == KF_ENOTFOUND) { /* the channel only takes mail in */
        if (e)
            *e = (struct kf_error){0};
        return 0;
    }
    return rc;
}
