/* message.c: the conversation on a ticket, its attachments and its history. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/audit.h"
#include "core/enums.h"
#include "core/ticket.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/text.h"
#include "store/db.h"

enum { BODY_MAX_CHARS = 50000, FILENAME_MAX_BYTES = 255 };

static void read_attachment(struct stmt *st, struct arena *arena, struct attachment *a)
{
    a->id = col_int(st, 0);
    a->filename = arena_strdup(arena, col_text(st, 1));
    a->content_type = arena_strdup(arena, col_text(st, 2));
    a->size = col_int(st, 3);
    a->sha256 = arena_strdup(arena, col_text(st, 4));
    a->message_id = col_int(st, 5);
    a->ticket_id = col_int(st, 6);
    a->data = NULL;
}

int ticket_attachments(struct db *db, int64_t ticket_id, struct arena *arena,
                       struct attachment **ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_attachments_of_ticket);
    st_int(st, 1, ticket_id);
    size_t n = 0, cap = 8;
    struct attachment *v = arena_alloc(arena, cap * sizeof(*v));
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            struct attachment *w = arena_alloc(arena, 2 * cap * sizeof(*w));
            memcpy(w, v, n * sizeof(*w));
            v = w, cap *= 2;
        }
        read_attachment(st, arena, &v[n++]);
    }
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
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
        struct message *m = &v[n++];
        m->id = col_int(st, 0);
        m->ticket_id = col_int(st, 1);
        m->kind = arena_strdup(arena, col_text(st, 2));
        m->body = arena_strdup(arena, col_text(st, 3));
        m->author_id = col_int(st, 4);
        m->author_name = arena_strdup(arena, col_text(st, 5));
        m->created_at = col_int(st, 6);
        m->attachments = NULL;
        m->nattachments = 0;
    }
    if (rc < 0)
        return rc;
    /* attachments are few: hand each its message */
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
    st_int(st, 4, actor->user_id);
    st_int(st, 5, now);
    if ((rc = st_exec(st)))
        return rc;
    int64_t id = db_last_id(db);
    for (int i = 0; i < nattachments; i++) {
        st = db_stmt(db, SQL_attachment_link);
        st_int(st, 1, attachments[i]);
        st_int(st, 2, t.id);
        st_int(st, 3, id);
        st_int(st, 4, actor->user_id);
        if ((rc = st_exec(st)))
            return rc;
        if (db_changes(db) != 1)
            return kf_fail(e, KF_EINVAL, "attachments",
                           "an attachment is unknown, not yours, or in use already");
    }
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
    char detail[128];
    snprintf(detail, sizeof(detail), "{\"message_id\":%lld,\"kind\":\"%s\"}", (long long)id, kind);
    if ((rc = history_write(db, t.id, actor, reply ? "replied" : "noted", detail)) ||
        (rc = audit_write(db, actor, reply ? "ticket.replied" : "ticket.noted", "ticket", t.id,
                          NULL, detail)) ||
        (rc = event_write(db, reply ? "ticket.replied" : "ticket.noted", "ticket", t.id, detail)))
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

/* A file name as given, without directories or control characters. */
static const char *clean_filename(struct arena *arena, const char *name)
{
    const char *base = name ? name : "";
    for (const char *p = base; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    size_t n = strlen(base);
    if (n > FILENAME_MAX_BYTES)
        n = FILENAME_MAX_BYTES;
    char *out = arena_strndup(arena, base, n);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '"')
            *p = '_';
    if (!*out || !utf8_valid(out, strlen(out)))
        return "attachment";
    return out;
}

int attachment_create(struct db *db, const struct actor *actor, const char *filename,
                      const char *content_type, const void *data, size_t size, struct arena *arena,
                      struct attachment *ret, struct kf_error *e)
{
    if (size == 0)
        return kf_fail(e, KF_EINVAL, "file", "the file is empty");
    unsigned char digest[crypto_hash_sha256_BYTES];
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    crypto_hash_sha256(digest, data, size);
    sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
    const char *ct = content_type && *content_type && strlen(content_type) < 128
                         ? content_type
                         : "application/octet-stream";
    ret->filename = clean_filename(arena, filename);
    ret->content_type = arena_strdup(arena, ct);
    ret->size = (int64_t)size;
    ret->sha256 = arena_strdup(arena, hex);
    ret->data = NULL;
    ret->message_id = ret->ticket_id = 0;
    struct stmt *st = db_stmt(db, SQL_attachment_insert);
    st_text(st, 1, ret->filename);
    st_text(st, 2, ret->content_type);
    st_int(st, 3, ret->size);
    st_text(st, 4, hex);
    st_blob(st, 5, data, size);
    st_int(st, 6, actor->user_id);
    st_int(st, 7, ktime_now());
    int rc = st_exec(st);
    if (rc)
        return rc;
    ret->id = db_last_id(db);
    return audit_write(db, actor, "attachment.uploaded", "attachment", ret->id, NULL, NULL);
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

int attachments_purge_unlinked(struct db *db, int64_t before, int *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_attachments_purge_unlinked);
    st_int(st, 1, before);
    int rc = st_exec(st);
    *ret_n = rc ? 0 : db_changes(db);
    if (rc || !*ret_n)
        return rc;
    char detail[64];
    snprintf(detail, sizeof(detail), "{\"count\":%d}", *ret_n);
    struct actor kefu = {.name = "kefu", .role = ROLE_ADMIN};
    return audit_write(db, &kefu, "attachment.purged", "attachment", 0, NULL, detail);
}
