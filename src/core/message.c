/* message.c: the conversation on a ticket, its history, and reading an attachment. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/attachment.h"
#include "core/audit.h"
#include "core/channel_out.h"
#include "core/chat.h"
#include "core/enums.h"
#include "core/hook.h"
#include "core/mail_out.h"
#include "core/message.h"
#include "core/sla.h"
#include "core/survey.h"
#include "core/ticket.h"
#include "core/wechat_reply.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/text.h"
#include "store/db.h"

enum { BODY_MAX_CHARS = 50000 };

/* A row of message_list or message_one, without its attachments and delivery. */
static void read_message(struct stmt *st, struct arena *arena, struct message *m)
{
    m->id = col_int(st, 0);
    m->ticket_id = col_int(st, 1);
    m->kind = arena_strdup(arena, col_text(st, 2));
    m->body = arena_strdup(arena, col_text(st, 3));
    m->author_id = col_int(st, 4);
    m->author_name = arena_strdup(arena, col_text(st, 5));
    m->created_at = col_int(st, 6);
    m->customer_id = col_int(st, 7);
    m->customer_name = arena_strdup(arena, col_text(st, 8));
    m->has_html = col_int(st, 9) > 0;
    m->attachments = NULL;
    m->nattachments = 0;
    m->mailed = 0;
}

/* Hands each of the n messages of v its attachments among att (natt of them). */
static void give_attachments(struct message *v, size_t n, struct attachment *att, size_t natt,
                             struct arena *arena)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        for (size_t j = 0; j < natt; j++)
            k += att[j].message_id == v[i].id;
        if (!k)
            continue;
        v[i].attachments = arena_alloc(arena, k * sizeof(struct attachment));
        for (size_t j = 0; j < natt; j++)
            if (att[j].message_id == v[i].id)
                v[i].attachments[v[i].nattachments++] = att[j];
    }
}

int message_get(struct db *db, int64_t ticket_id, int64_t message_id, struct arena *arena,
                struct message *ret)
{
    struct stmt *st = db_stmt(db, SQL_message_one);
    st_int(st, 1, message_id);
    st_int(st, 2, ticket_id);
    int rc = st_step(st);
    if (rc == 1)
        read_message(st, arena, ret);
    st_reset(st);
    if (rc <= 0)
        return rc < 0 ? rc : KF_ENOTFOUND;
    struct attachment *att;
    size_t natt;
    if ((rc = ticket_attachments(db, ticket_id, arena, &att, &natt)))
        return rc;
    give_attachments(ret, 1, att, natt, arena);
    return 0;
}

int message_list(struct db *db, const struct actor *actor, const char *ref, struct arena *arena,
                 struct message **ret, size_t *ret_n)
{
    struct ticket t;
    int rc = ticket_get(db, actor, ref, arena, &t);
    if (rc)
        return rc;
    struct attachment *att;
    size_t natt;
    if ((rc = ticket_attachments(db, t.id, arena, &att, &natt)))
        return rc;
    struct stmt *st = db_stmt(db, SQL_message_list);
    st_int(st, 1, t.id);
    size_t n = 0, cap = 16;
    struct message *v = arena_alloc(arena, cap * sizeof(*v));
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            struct message *w = arena_alloc(arena, 2 * cap * sizeof(*w));
            memcpy(w, v, n * sizeof(*w));
            v = w, cap *= 2;
        }
        read_message(st, arena, &v[n++]);
    }
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) { /* only replies are mailed */
        if (strcmp(v[i].kind, "reply"))
            continue;
        if ((rc = mail_out_delivery(db, v[i].id, arena, &v[i].delivery)) < 0)
            return rc;
        if (!rc && (rc = channel_out_delivery(db, v[i].id, arena, &v[i].delivery)) < 0)
            return rc;
        v[i].mailed = rc;
    }
    give_attachments(v, n, att, natt, arena); /* attachments are few: each to its message */
    *ret = v;
    *ret_n = n;
    return 0;
}

int message_add(struct db *db, const struct actor *actor, const char *ref, const char *kind,
                const char *body, const int64_t *attachments, int nattachments, struct arena *arena,
                struct message *ret, struct kf_error *e)
{
    if (!kind || !enum_has(message_kinds, kind))
        return kf_fail(e, KF_EINVAL, "kind", "kind must be reply or note");
    if (!body || !*body)
        return kf_fail(e, KF_EINVAL, "body", "the message is empty");
    if (utf8_chars(body) > BODY_MAX_CHARS)
        return kf_fail(e, KF_EINVAL, "body", "the message is too long");
    struct ticket t;
    int rc = ticket_get(db, actor, ref, arena, &t);
    if (rc)
        return rc;
    int reply = strcmp(kind, "reply") == 0;
    if (reply && !strcmp(t.status, "closed"))
        return kf_fail(e, KF_EINVAL, "kind", "the ticket is closed: reopen it to reply");
    int64_t now = ktime_now();
    struct stmt *st = db_stmt(db, SQL_message_insert);
    st_int(st, 1, t.id);
    st_text(st, 2, kind);
    st_text(st, 3, body);
    if (actor->user_id) /* else the system wrote it */
        st_int(st, 4, actor->user_id);
    st_int(st, 5, now);
    if ((rc = st_exec(st)))
        return rc;
    int64_t id = db_last_id(db);
    if ((rc = attachments_link(db, actor, t.id, id, attachments, nattachments, e)))
        return rc;
    if (reply && ((rc = mail_out_reply(db, &t, id, body, e)) || /* mailed, or not written at all */
                  (rc = wechat_reply_queue(db, &t, id, body, e))))
        return rc;
    if (reply && (rc = hook_out_reply(db, &t, id, body, now, e))) /* a platform's callback */
        return rc;
    if (reply && !t.first_response_at) {
        st = db_stmt(db, SQL_ticket_first_response);
        st_int(st, 1, t.id);
        st_int(st, 2, now);
    } else {
        st = db_stmt(db, SQL_ticket_touch);
        st_int(st, 1, t.id);
        st_int(st, 2, now);
    }
    if ((rc = st_exec(st)))
        return rc;
    if (reply && !t.first_response_at && (rc = sla_ticket_replied(db, t.id)))
        return rc;
    if (t.assignee_id == actor->user_id && (rc = sla_feedback_met(db, t.id)))
        return rc;
    char detail[128];
    snprintf(detail, sizeof(detail), "{\"message_id\":%lld,\"kind\":\"%s\"}", (long long)id, kind);
    if ((rc = history_write(db, t.id, actor, reply ? "replied" : "noted", detail)) ||
        (rc = audit_write(db, actor, reply ? "ticket.replied" : "ticket.noted", "ticket", t.id,
                          NULL, detail)) ||
        (rc = event_write(db, reply ? "ticket.replied" : "ticket.noted", "ticket", t.id, detail)))
        return rc;
    /* a reply on a live chat reaches the visitor's stream; a note never does */
    if (reply && (rc = chat_message_event(db, t.id, id, "reply", body, actor->name, now)))
        return rc;
    struct message *all;
    size_t n;
    if ((rc = message_list(db, NULL, t.number, arena, &all, &n)))
        return rc;
    for (size_t i = 0; i < n; i++)
        if (all[i].id == id)
            *ret = all[i];
    return 0;
}

int message_add_customer(struct db *db, int64_t ticket_id, int64_t customer_id, const char *body,
                         struct arena *arena, int64_t *ret_id, struct kf_error *e)
{
    struct ticket t;
    int rc = ticket_get_id(db, NULL, ticket_id, arena, &t);
    if (rc)
        return rc;
    int64_t now = ktime_now();
    struct stmt *st = db_stmt(db, SQL_message_insert_customer);
    st_int(st, 1, t.id);
    st_text(st, 2, body && *body ? body : "");
    st_int(st, 3, customer_id);
    st_int(st, 4, now);
    if ((rc = st_exec(st)))
        return rc;
    int64_t id = db_last_id(db);
    *ret_id = id;
    st = db_stmt(db, SQL_ticket_touch);
    st_int(st, 1, t.id);
    st_int(st, 2, now);
    if ((rc = st_exec(st)))
        return rc;
    struct actor kefu = {.name = "kefu", .role = ROLE_ADMIN};
    char detail[128];
    snprintf(detail, sizeof(detail), "{\"message_id\":%lld,\"kind\":\"customer\"}", (long long)id);
    if ((rc = history_write(db, t.id, &kefu, "customer_wrote", detail)) ||
        (rc = event_write(db, "ticket.customer_wrote", "ticket", t.id, detail)))
        return rc;
    int rated = 0; /* a bare rating answers the ticket's open survey */
    if ((rc = survey_customer_wrote(db, t.id, body, &rated)) || rated)
        return rc;
    if (strcmp(t.status, "waiting_customer") && strcmp(t.status, "resolved"))
        return 0;
    /* the customer answered: back to work, as if the system moved it */
    struct ticket_patch p = {.set = TF_STATUS, .status = "in_progress"};
    struct ticket after;
    /* by id: a number of digits only (the {YYYYMMDD}{serial} format) would be read as an id */
    const char *ref = arena_printf(arena, "%lld", (long long)t.id);
    if ((rc = ticket_update(db, &kefu, ref, &p, arena, &after, e)))
        return rc;
    snprintf(detail, sizeof(detail), "{\"message_id\":%lld,\"from\":\"%s\"}", (long long)id,
             t.status);
    return history_write(db, t.id, &kefu, "reopened_by_customer", detail);
}

int history_list(struct db *db, const struct actor *actor, const char *ref, struct arena *arena,
                 struct history_entry **ret, size_t *ret_n)
{
    struct ticket t;
    int rc = ticket_get(db, actor, ref, arena, &t);
    if (rc)
        return rc;
    struct stmt *st = db_stmt(db, SQL_history_list);
    st_int(st, 1, t.id);
    size_t n = 0, cap = 16;
    struct history_entry *v = arena_alloc(arena, cap * sizeof(*v));
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            struct history_entry *w = arena_alloc(arena, 2 * cap * sizeof(*w));
            memcpy(w, v, n * sizeof(*w));
            v = w, cap *= 2;
        }
        struct history_entry *h = &v[n++];
        h->id = col_int(st, 0);
        h->at = col_int(st, 1);
        h->actor_id = col_int(st, 2);
        h->actor_name = arena_strdup(arena, col_text(st, 3));
        h->action = arena_strdup(arena, col_text(st, 4));
        h->detail = arena_strdup(arena, col_text(st, 5));
    }
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

int attachment_get(struct db *db, const struct actor *actor, int64_t id, struct arena *arena,
                   struct attachment *ret)
{
    struct stmt *st = db_stmt(db, SQL_attachment_by_id);
    st_int(st, 1, id);
    int rc = st_step(st);
    if (rc <= 0) {
        st_reset(st);
        return rc < 0 ? rc : KF_ENOTFOUND;
    }
    ret->id = col_int(st, 0);
    ret->filename = arena_strdup(arena, col_text(st, 1));
    ret->content_type = arena_strdup(arena, col_text(st, 2));
    ret->size = col_int(st, 3);
    ret->sha256 = arena_strdup(arena, col_text(st, 4));
    size_t n = col_bytes(st, 5);
    void *copy = arena_alloc(arena, n ? n : 1);
    if (n)
        memcpy(copy, col_blob(st, 5), n);
    ret->data = copy;
    ret->message_id = col_int(st, 6);
    ret->ticket_id = col_int(st, 7);
    int64_t uploader = col_int(st, 8);
    st_reset(st);
    /* an attachment not yet on a ticket is its uploader's; one on a ticket is seen with it */
    if (!ret->ticket_id)
        return uploader == actor->user_id || actor->role == ROLE_ADMIN ? 0 : KF_ENOTFOUND;
    struct ticket t;
    struct arena tmp = ARENA_INIT;
    rc = ticket_get_id(db, actor, ret->ticket_id, &tmp, &t);
    arena_release(&tmp);
    return rc;
}

int message_html_set(struct db *db, int64_t message_id, const char *html)
{
    struct stmt *st = db_stmt(db, SQL_message_html_insert);
    st_int(st, 1, message_id);
    st_text(st, 2, html);
    return st_exec(st);
}

int message_html_get(struct db *db, const struct actor *actor, const char *ref, int64_t message_id,
                     struct arena *arena, const char **ret)
{
    struct ticket t;
    int rc = ticket_get(db, actor, ref, arena, &t);
    if (rc)
        return rc;
    struct stmt *st = db_stmt(db, SQL_message_html_get);
    st_int(st, 1, message_id);
    st_int(st, 2, t.id);
    if ((rc = st_step(st)) == 1)
        *ret = arena_strdup(arena, col_text(st, 0));
    st_reset(st);
    return rc < 0 ? rc : rc ? 0 : KF_ENOTFOUND;
}
