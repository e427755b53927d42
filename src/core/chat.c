/* chat.c: live chat sessions on tickets of channel CHAT. */
#define _POSIX_C_SOURCE 200809L
#include "core/chat.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/actor.h"
#include "core/attachment.h"
#include "core/audit.h"
#include "core/customer.h"
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

enum { HASH_BYTES = 32, SUBJECT_CHARS = 30 };

/* The chat registers its ticket as the system, on the visitor's behalf. */
static const struct actor chat_actor = {.name = "chat", .role = ROLE_ADMIN};

static void token_hash(const char *token, unsigned char out[HASH_BYTES])
{
    crypto_generichash(out, HASH_BYTES, (const unsigned char *)token, strlen(token), NULL, 0);
}

/* The subject of a chat's ticket: 在线咨询 and the start of the first message. */
static const char *chat_subject(const char *body, struct arena *arena)
{
    size_t n = 0, chars = 0;
    while (body[n] && chars < SUBJECT_CHARS) {
        n++;
        while ((body[n] & 0xC0) == 0x80)
            n++;
        chars++;
    }
    char *s = arena_printf(arena, "在线咨询:%.*s", (int)n, body);
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    return s;
}

static int on_shift(struct db *db, int64_t department_id, int64_t now)
{
    struct stmt *st = db_stmt(db, department_id ? SQL_chat_on_shift_dept : SQL_chat_on_shift_any);
    if (department_id) {
        st_int(st, 1, department_id);
        st_int(st, 2, now);
    } else {
        st_int(st, 1, now);
    }
    int64_t one;
    return st_one_int(st, &one);
}

/* The payload of a chat event: {"chat_id", "ticket_id", "number", "state", "agent"?,
 * "message"?}. */
static int event_payload(struct db *db, struct strbuf *sb, const struct chat *c, int64_t message_id,
                         const char *kind, const char *body, const char *author, int64_t at)
{
    int rc = 0;
    struct jw w;
    jw_init(&w, sb);
    jw_obj_begin(&w);
    jw_kint(&w, "chat_id", c->id);
    jw_kint(&w, "ticket_id", c->ticket_id);
    jw_kstr(&w, "number", c->number);
    jw_kstr(&w, "state", c->state);
    jw_kstr(&w, "visitor", c->visitor);
    jw_key(&w, "agent");
    if (c->agent_id) {
        jw_obj_begin(&w);
        jw_kstr(&w, "name", c->agent_name);
        jw_obj_end(&w);
    } else {
        jw_null(&w);
    }
    if (message_id) {
        char t[KTIME_RFC3339_LEN];
        ktime_format(at, t);
        jw_key(&w, "message");
        jw_obj_begin(&w);
        jw_kint(&w, "id", message_id);
        jw_kstr(&w, "kind", kind);
        jw_kstr(&w, "body", body);
        jw_kstr(&w, "author", author);
        jw_kstr(&w, "created_at", t);
        /* the images on it, which the visitor fetches with the chat's token */
        jw_key(&w, "attachments");
        jw_arr_begin(&w);
        struct stmt *st = db_stmt(db, SQL_chat_message_attachments);
        st_int(st, 1, message_id);
        while ((rc = st_step(st)) == 1) {
            jw_obj_begin(&w);
            jw_kint(&w, "id", col_int(st, 0));
            jw_kstr(&w, "filename", col_text(st, 1));
            jw_kstr(&w, "content_type", col_text(st, 2));
            jw_kint(&w, "size", col_int(st, 3));
            jw_obj_end(&w);
        }
        st_reset(st);
        jw_arr_end(&w);
        jw_obj_end(&w);
    }
    jw_obj_end(&w);
    return rc < 0 ? rc : 0;
}

static int chat_event(struct db *db, const char *kind, const struct chat *c, int64_t message_id,
                      const char *mkind, const char *body, const char *author, int64_t at)
{
    struct strbuf sb = STRBUF_INIT(64 * 1024);
    int rc = event_payload(db, &sb, c, message_id, mkind, body, author, at);
    if (!rc)
        rc = sb.len ? event_write(db, kind, "ticket", c->ticket_id, sb.buf) : KF_EIO;
    strbuf_release(&sb);
    return rc;
}

int chat_open(struct db *db, const struct chat_start *in, struct arena *arena, struct chat *ret,
              char ret_token[CHAT_TOKEN_TEXT], struct kf_error *e)
{
    int rc;
    if ((rc = text_check(in->name, "name", 100, 0, e)) ||
        (rc = text_check(in->body, "body", CHAT_BODY_MAX, 1, e)))
        return rc;
    if (!in->channel || strcmp(in->channel, "CHAT"))
        return kf_fail(e, KF_EINVAL, "channel", "channel must be a live chat channel (CHAT)");
    const char *visitor = in->name && !text_blank(in->name) ? in->name : "访客";
    struct ticket_input ti = {
        .channel = in->channel,
        .type = "inquiry",
        .subject = chat_subject(in->body, arena),
        .description = in->body,
        .contact_name = in->name,
        .has_customer = 1,
        .customer = {.name = visitor, .email = in->email, .phone = in->phone},
    };
    if ((rc = customer_normalize(&ti.customer, NULL, arena, e)))
        return rc;
    struct ticket t;
    int64_t message_id;
    if ((rc = ticket_create(db, &chat_actor, &ti, arena, &t, e)) ||
        (rc = message_add_customer(db, t.id, t.customer.id, in->body, arena, &message_id, e)))
        return rc;
    int64_t now = ktime_now();
    int staffed = on_shift(db, t.department_id, now);
    if (staffed < 0)
        return staffed;
    unsigned char raw[32], hash[HASH_BYTES];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(ret_token, CHAT_TOKEN_TEXT, raw, sizeof(raw));
    token_hash(ret_token, hash);
    struct stmt *st = db_stmt(db, SQL_chat_insert);
    st_int(st, 1, t.id);
    st_blob(st, 2, hash, sizeof(hash));
    st_text(st, 3, staffed ? "waiting" : "offline");
    st_text(st, 4, visitor);
    st_text(st, 5, in->ip);
    st_int(st, 6, now);
    if ((rc = st_exec(st)) || (rc = chat_get(db, db_last_id(db), arena, ret)))
        return rc;
    if (staffed)
        rc = chat_event(db, "chat.waiting", ret, message_id, "customer", in->body, visitor, now);
    return rc;
}

int chat_check_token(struct db *db, int64_t id, const char *token)
{
    if (!token || strlen(token) != CHAT_TOKEN_TEXT - 1)
        return KF_ENOTFOUND;
    unsigned char hash[HASH_BYTES];
    token_hash(token, hash);
    struct stmt *st = db_stmt(db, SQL_chat_by_token);
    st_int(st, 1, id);
    st_blob(st, 2, hash, sizeof(hash));
    int64_t got;
    int rc = st_one_int(st, &got);
    return rc < 0 ? rc : rc ? 0 : KF_ENOTFOUND;
}

static const char *dup_col(struct arena *arena, struct stmt *st, int c)
{
    const char *s = col_text(st, c);
    return s ? arena_strdup(arena, s) : NULL;
}

int chat_get(struct db *db, int64_t id, struct arena *arena, struct chat *ret)
{
    struct stmt *st = db_stmt(db, SQL_chat_get);
    st_int(st, 1, id);
    int rc = st_step(st);
    if (rc == 1)
        *ret = (struct chat){
            .id = col_int(st, 0),
            .ticket_id = col_int(st, 1),
            .number = dup_col(arena, st, 2),
            .state = dup_col(arena, st, 3),
            .visitor = dup_col(arena, st, 4),
            .agent_id = col_int(st, 5),
            .agent_name = dup_col(arena, st, 6),
            .created_at = col_int(st, 7),
            .accepted_at = col_int(st, 8),
            .closed_at = col_int(st, 9),
            .department_id = col_int(st, 10),
            .subject = dup_col(arena, st, 11),
        };
    st_reset(st);
    return rc < 0 ? rc : rc ? 0 : KF_ENOTFOUND;
}

int chat_list(struct db *db, const char *state, struct arena *arena, struct chat **ret, int *ret_n)
{
    int64_t ids[500];
    int n = 0, rc;
    struct stmt *st = db_stmt(db, SQL_chat_list);
    st_text(st, 1, state);
    while (n < 500 && (rc = st_step(st)) == 1)
        ids[n++] = col_int(st, 0);
    st_reset(st);
    if (rc < 0)
        return rc;
    struct chat *v = arena_alloc(arena, ((size_t)n + 1) * sizeof(*v));
    for (int i = 0; i < n; i++)
        if ((rc = chat_get(db, ids[i], arena, &v[i])))
            return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

/* The open chat id: KF_ECONFLICT once it is closed. */
static int chat_open_get(struct db *db, int64_t id, struct arena *arena, struct chat *ret,
                         struct kf_error *e)
{
    int rc = chat_get(db, id, arena, ret);
    if (!rc && !strcmp(ret->state, "closed"))
        rc = kf_fail(e, KF_ECONFLICT, "state", "this chat has ended: start a new one");
    return rc;
}

int chat_upload_path(const char *url)
{
    static const char prefix[] = "/api/v1/chat/sessions/", suffix[] = "/attachments";
    size_t n = strlen(url), p = sizeof(prefix) - 1, q = sizeof(suffix) - 1;
    return n > p + q && !strncmp(url, prefix, p) && !strcmp(url + n - q, suffix);
}

int chat_image_ok(const char *content_type, const void *data, size_t size)
{
    static const struct {
        const char *type, *magic;
        size_t at, len;
    } kinds[] = {
        {"image/png", "\x89PNG\r\n\x1a\n", 0, 8},
        {"image/jpeg", "\xff\xd8\xff", 0, 3},
        {"image/gif", "GIF8", 0, 4},
        {"image/webp", "WEBP", 8, 4}, /* RIFF, its size, WEBP */
    };
    const unsigned char *d = data;
    if (!content_type)
        return 0;
    size_t tn = strcspn(content_type, "; ");
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (tn == strlen(kinds[i].type) && !strncasecmp(content_type, kinds[i].type, tn))
            return size >= kinds[i].at + kinds[i].len &&
                   !memcmp(d + kinds[i].at, kinds[i].magic, kinds[i].len) &&
                   (kinds[i].at == 0 || !memcmp(d, "RIFF", 4));
    return 0;
}

int chat_upload(struct db *db, int64_t id, const char *filename, const char *content_type,
                const void *data, size_t size, struct arena *arena, struct attachment *ret,
                struct kf_error *e)
{
    struct chat c;
    int rc = chat_open_get(db, id, arena, &c, e);
    if (rc || (rc = attachment_create(db, &chat_actor, filename, content_type, data, size, arena,
                                      ret, e)))
        return rc;
    struct stmt *st = db_stmt(db, SQL_chat_upload_claim);
    st_int(st, 1, ret->id);
    st_int(st, 2, id);
    return st_exec(st);
}

int chat_attachment_get(struct db *db, int64_t id, int64_t attachment_id, struct arena *arena,
                        struct attachment *ret)
{
    struct chat c;
    int rc = chat_get(db, id, arena, &c);
    if (rc || (rc = attachment_get(db, &chat_actor, attachment_id, arena, ret)))
        return rc;
    if (ret->ticket_id != c.ticket_id)
        return KF_ENOTFOUND;
    rc = attachment_on_note(db, ret);
    return rc < 0 ? rc : rc ? KF_ENOTFOUND : 0;
}

int chat_visitor_write(struct db *db, int64_t id, const char *body, const int64_t *attachments,
                       int n, struct arena *arena, int64_t *ret_message_id, struct kf_error *e)
{
    if (n > 0 && text_blank(body))
        body = CHAT_IMAGE_BODY;
    int rc = text_check(body, "body", CHAT_BODY_MAX, 1, e);
    struct chat c;
    if (rc || (rc = chat_open_get(db, id, arena, &c, e)))
        return rc;
    struct ticket t;
    if ((rc = ticket_get_id(db, NULL, c.ticket_id, arena, &t)) ||
        (rc = message_add_customer(db, t.id, t.customer.id, body, arena, ret_message_id, e)))
        return rc;
    for (int i = 0; i < n; i++) {
        struct stmt *st = db_stmt(db, SQL_chat_upload_link);
        st_int(st, 1, attachments[i]);
        st_int(st, 2, t.id);
        st_int(st, 3, *ret_message_id);
        st_int(st, 4, id);
        if ((rc = st_exec(st)))
            return rc;
        if (db_changes(db) != 1)
            return kf_fail(e, KF_EINVAL, "attachments",
                           "an attachment is not this chat's upload, or is in use already");
    }
    return chat_event(db, "chat.message", &c, *ret_message_id, "customer", body, c.visitor,
                      ktime_now());
}

int chat_accept(struct db *db, const struct actor *actor, int64_t id, struct arena *arena,
                struct chat *ret, struct kf_error *e)
{
    struct chat c;
    int rc = chat_get(db, id, arena, &c);
    if (rc)
        return rc;
    int64_t now = ktime_now();
    struct stmt *st = db_stmt(db, SQL_chat_accept);
    st_int(st, 1, id);
    st_int(st, 2, actor->user_id);
    st_int(st, 3, now);
    if ((rc = st_exec(st)))
        return rc;
    if (db_changes(db) != 1)
        return kf_fail(e, KF_ECONFLICT, "state",
                       c.agent_id ? "already taken by another agent" : "this chat is not waiting");
    /* the chat's ticket goes to whoever took it, even from the one it was assigned to */
    struct actor taker = *actor;
    taker.role = ROLE_ADMIN;
    struct ticket_patch p = {.set = TF_ASSIGNEE, .assignee_id = actor->user_id};
    struct ticket t;
    const char *ref = arena_printf(arena, "%lld", (long long)c.ticket_id);
    if ((rc = ticket_update(db, &taker, ref, &p, arena, &t, e)) ||
        (rc = chat_get(db, id, arena, ret)))
        return rc;
    return chat_event(db, "chat.accepted", ret, 0, NULL, NULL, NULL, now);
}

int chat_close(struct db *db, const struct actor *actor, int64_t id, struct arena *arena,
               struct chat *ret, struct kf_error *e)
{
    int64_t now = ktime_now();
    struct stmt *st = db_stmt(db, SQL_chat_close);
    st_int(st, 1, id);
    st_int(st, 2, now);
    int rc = st_exec(st);
    if (rc)
        return rc;
    if (db_changes(db) != 1) {
        struct chat c;
        rc = chat_get(db, id, arena, &c);
        return rc ? rc : kf_fail(e, KF_ECONFLICT, "state", "this chat has ended already");
    }
    if ((rc = chat_get(db, id, arena, ret)) ||
        (rc = history_write(db, ret->ticket_id, actor, "chat_closed", NULL)))
        return rc;
    return chat_event(db, "chat.closed", ret, 0, NULL, NULL, NULL, now);
}

int chat_message_event(struct db *db, int64_t ticket_id, int64_t message_id, const char *kind,
                       const char *body, const char *author, int64_t at)
{
    struct stmt *st = db_stmt(db, SQL_chat_by_ticket);
    st_int(st, 1, ticket_id);
    int64_t id;
    int rc = st_one_int(st, &id);
    if (rc <= 0)
        return rc;
    struct arena arena = ARENA_INIT;
    struct chat c;
    if (!(rc = chat_get(db, id, &arena, &c)))
        rc = chat_event(db, "chat.message", &c, message_id, kind, body, author, at);
    arena_release(&arena);
    return rc;
}
