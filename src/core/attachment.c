/* attachment.c: uploaded files: storing them, linking them to a ticket, removing the
 * abandoned. Reading one back checks the ticket, and lives with the conversation (message.c). */
#include "core/attachment.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/audit.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/text.h"
#include "store/db.h"

enum { FILENAME_MAX_BYTES = 255 };

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

int attachments_link(struct db *db, const struct actor *actor, int64_t ticket_id,
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

/* Fills ret from the file and binds what the two insert statements share ($1-$5). */
static struct stmt *attachment_prepare(struct db *db, enum sql_id sql, const char *filename,
                                       const char *content_type, const void *data, size_t size,
                                       struct arena *arena, struct attachment *ret)
{
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
    struct stmt *st = db_stmt(db, sql);
    st_text(st, 1, ret->filename);
    st_text(st, 2, ret->content_type);
    st_int(st, 3, ret->size);
    st_text(st, 4, ret->sha256);
    st_blob(st, 5, data, size);
    return st;
}

int attachment_create(struct db *db, const struct actor *actor, const char *filename,
                      const char *content_type, const void *data, size_t size, struct arena *arena,
                      struct attachment *ret, struct kf_error *e)
{
    if (size == 0)
        return kf_fail(e, KF_EINVAL, "file", "the file is empty");
    struct stmt *st = attachment_prepare(db, SQL_attachment_insert, filename, content_type, data,
                                         size, arena, ret);
    if (actor->user_id) /* a portal upload has no user: it is claimed by its key instead */
        st_int(st, 6, actor->user_id);
    st_int(st, 7, ktime_now());
    int rc = st_exec(st);
    if (rc)
        return rc;
    ret->id = db_last_id(db);
    return audit_write(db, actor, "attachment.uploaded", "attachment", ret->id, NULL, NULL);
}

int attachment_store(struct db *db, const struct actor *actor, int64_t ticket_id,
                     int64_t message_id, const char *filename, const char *content_type,
                     const void *data, size_t size, struct arena *arena, struct attachment *ret,
                     struct kf_error *e)
{
    if (size == 0)
        return kf_fail(e, KF_EINVAL, "file", "the file is empty");
    struct stmt *st = attachment_prepare(db, SQL_attachment_insert_linked, filename, content_type,
                                         data, size, arena, ret);
    st_int(st, 6, ticket_id);
    if (message_id)
        st_int(st, 7, message_id);
    st_int(st, 8, ktime_now());
    int rc = st_exec(st);
    if (rc)
        return rc;
    ret->id = db_last_id(db);
    ret->ticket_id = ticket_id;
    ret->message_id = message_id;
    return audit_write(db, actor, "attachment.received", "attachment", ret->id, NULL, NULL);
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

int attachment_on_note(struct db *db, const struct attachment *a)
{
    if (!a->message_id)
        return 0;
    struct stmt *st = db_stmt(db, SQL_portal_message_kind);
    st_int(st, 1, a->message_id);
    int rc = st_step(st);
    int note = rc == 1 && !strcmp(col_text(st, 0), "note");
    st_reset(st);
    return rc < 0 ? rc : note;
}
