/* hook.c: a webhook channel's messages in, its replies out. */
#include "core/hook.h"

#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/attachment.h"
#include "core/channel.h"
#include "core/channel_out.h"
#include "core/message.h"
#include "core/ticket.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "lib/text.h"
#include "store/db.h"

enum { SUBJECT_FROM_BODY = 40 }; /* characters of the body that name a ticket without subject */

/* The first line of s, at most max characters, in a. */
static const char *first_line(struct arena *a, const char *s, size_t max)
{
    size_t n = 0, chars = 0;
    while (s[n] && s[n] != '\n' && s[n] != '\r') {
        if (((unsigned char)s[n] & 0xc0) != 0x80 && chars++ == max)
            break;
        n++;
    }
    return arena_strndup(a, s, n);
}

static int id_ok(const char *s)
{
    return s && *s && strlen(s) <= HOOK_ID_MAX && utf8_valid(s, strlen(s));
}

static int check(const struct hook_message *m, struct kf_error *e)
{
    if (!id_ok(m->message_id))
        return kf_fail(e, KF_EINVAL, "message_id", "message_id is 1 to 200 bytes of text");
    if (m->thread_id && !id_ok(m->thread_id))
        return kf_fail(e, KF_EINVAL, "thread_id", "thread_id is 1 to 200 bytes of text");
    if (!id_ok(m->external_id))
        return kf_fail(e, KF_EINVAL, "customer.external_id",
                       "customer.external_id is 1 to 200 bytes of text");
    int rc = text_check(m->body, "body", DESCRIPTION_MAX, 1, e);
    if (!rc && m->subject)
        rc = text_check(m->subject, "subject", SUBJECT_MAX, 1, e);
    return rc;
}

int hook_in_store(struct db *db, const char *channel, const struct hook_message *m, struct arena *a,
                  struct hook_result *ret, struct kf_error *e)
{
    memset(ret, 0, sizeof(*ret));
    int rc = check(m, e);
    if (rc)
        return rc;
    struct stmt *st = db_stmt(db, SQL_hook_message_find);
    st_text(st, 1, channel);
    st_text(st, 2, m->message_id);
    if ((rc = st_step(st)) == 1) {
        ret->ticket_id = col_int(st, 0);
        ret->message_id = col_int(st, 1);
        ret->number = arena_strdup(a, col_text(st, 2));
        ret->duplicate = 1;
    }
    st_reset(st);
    if (rc)
        return rc < 0 ? rc : 0;

    struct actor kefu = {.name = "kefu", .role = ROLE_ADMIN};
    struct customer cust;
    const char *kind = arena_printf(a, "external_id:%s", channel);
    if ((rc = customer_find_or_create_by_identity(db, &kefu, kind, m->external_id, &m->customer, a,
                                                  &cust, e))) {
        if (rc == KF_EINVAL && e && e->field && !strcmp(e->field, "value"))
            e->field = "customer.external_id";
        return rc;
    }
    int64_t ticket_id = 0;
    if (m->thread_id) {
        st = db_stmt(db, SQL_hook_thread_ticket);
        st_text(st, 1, channel);
        st_text(st, 2, m->thread_id);
        if ((rc = st_one_int(st, &ticket_id)) < 0)
            return rc;
    }
    struct ticket t;
    if (!ticket_id) {
        struct ticket_input in = {0};
        in.channel = channel;
        in.type = m->type ? m->type : "inquiry";
        in.subject = m->subject ? m->subject : first_line(a, m->body, SUBJECT_FROM_BODY);
        if (text_blank(in.subject))
            in.subject = "(无主题)";
        in.description = m->body;
        in.contact_name = m->customer.name;
        in.customer_id = cust.id;
        if ((rc = ticket_create(db, &kefu, &in, a, &t, e)))
            return rc;
    } else if ((rc = ticket_get_id(db, NULL, ticket_id, a, &t))) {
        return rc;
    }
    int64_t message_id;
    if ((rc = message_add_customer(db, t.id, cust.id, m->body, a, &message_id, e)))
        return rc;
    for (size_t i = 0; i < m->nfiles; i++) {
        const struct hook_file *f = &m->files[i];
        struct attachment stored;
        if ((rc = attachment_store(db, &kefu, t.id, message_id, f->filename, f->content_type,
                                   f->data, f->size, a, &stored, e)))
            return rc;
    }
    st = db_stmt(db, SQL_hook_message_insert);
    st_text(st, 1, channel);
    st_text(st, 2, m->message_id);
    st_text(st, 3, m->thread_id);
    st_int(st, 4, t.id);
    st_int(st, 5, message_id);
    st_int(st, 6, ktime_now());
    if ((rc = st_exec(st)))
        return rc;
    ret->ticket_id = t.id;
    ret->number = t.number;
    ret->message_id = message_id;
    return channel_record(db, channel, NULL);
}

/* The text of column 0 of st's one row in a, NULL without one. */
static int text_of(struct stmt *st, struct arena *a, const char **ret)
{
    *ret = NULL;
    int rc = st_step(st);
    if (rc == 1 && col_text(st, 0))
        *ret = arena_strdup(a, col_text(st, 0));
    st_reset(st);
    return rc < 0 ? rc : 0;
}

int hook_out_reply(struct db *db, const struct ticket *t, int64_t message_id, const char *body,
                   int64_t at, struct kf_error *e)
{
    struct arena a = ARENA_INIT;
    const char *url, *thread, *external;
    struct stmt *st = db_stmt(db, SQL_hook_reply_url);
    st_text(st, 1, t->channel);
    int rc = text_of(st, &a, &url);
    if (rc || !url) {
        arena_release(&a);
        return rc;
    }
    st = db_stmt(db, SQL_hook_ticket_thread);
    st_int(st, 1, t->id);
    if (!(rc = text_of(st, &a, &thread))) {
        st = db_stmt(db, SQL_hook_customer_external_id);
        st_int(st, 1, t->customer.id);
        st_text(st, 2, arena_printf(&a, "external_id:%s", t->channel));
        rc = text_of(st, &a, &external);
    }
    if (!rc) {
        struct strbuf sb = STRBUF_INIT(CHANNEL_OUT_PAYLOAD_MAX);
        struct jw w;
        char when[KTIME_RFC3339_LEN];
        ktime_format(at, when);
        jw_init(&w, &sb);
        jw_obj_begin(&w);
        jw_kstr(&w, "event", "reply");
        jw_key(&w, "ticket");
        jw_obj_begin(&w);
        jw_kstr(&w, "number", t->number);
        jw_obj_end(&w);
        jw_kstr(&w, "thread_id", thread);
        jw_key(&w, "customer");
        jw_obj_begin(&w);
        jw_kstr(&w, "external_id", external);
        jw_obj_end(&w);
        jw_key(&w, "message");
        jw_obj_begin(&w);
        jw_kint(&w, "id", message_id);
        jw_kstr(&w, "body", body);
        jw_kstr(&w, "created_at", when);
        jw_obj_end(&w);
        jw_obj_end(&w);
        rc = channel_out_queue(db, t->channel, t->id, message_id, sb.buf, e);
        strbuf_release(&sb);
    }
    arena_release(&a);
    return rc;
}
