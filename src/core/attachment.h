/* attachment.h: uploaded files and their link to a ticket or a message. */
#ifndef KEFU_ATTACHMENT_H
#define KEFU_ATTACHMENT_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct actor;
struct kf_error;

struct attachment {
    int64_t id, size;
    const char *filename, *content_type, *sha256;
    const void *data; /* only from attachment_get */
    int64_t message_id, ticket_id;
};

/* The attachments given with the ticket itself (not with a message). */
int ticket_attachments(struct db *db, int64_t ticket_id, struct arena *arena,
                       struct attachment **ret, size_t *ret_n);

/* Stores an uploaded file, not yet linked to a ticket. */
int attachment_create(struct db *db, const struct actor *actor, const char *filename,
                      const char *content_type, const void *data, size_t size, struct arena *arena,
                      struct attachment *ret, struct kf_error *e);
/* Stores a file that arrived with a ticket or one of its messages (message_id 0: the ticket's
 * own), linked at once: mail attachments, which nobody uploaded. In the caller's transaction. */
int attachment_store(struct db *db, const struct actor *actor, int64_t ticket_id,
                     int64_t message_id, const char *filename, const char *content_type,
                     const void *data, size_t size, struct arena *arena, struct attachment *ret,
                     struct kf_error *e);
/* Removes the uploads never linked to a ticket and made before `before`, with one audit row
 * for all; *ret_n counts them. In the caller's transaction. */
int attachments_purge_unlinked(struct db *db, int64_t before, int *ret_n);

/* 1 when a is on an internal note (never shown outside the team), 0 when not, or a negative
 * code. */
int attachment_on_note(struct db *db, const struct attachment *a);

/* Links uploads (ids, n of them) to a ticket and, when message_id is not 0, to its message:
 * each must be the actor's and not in use. KF_EINVAL naming "attachments" otherwise. In the
 * caller's transaction. */
int attachments_link(struct db *db, const struct actor *actor, int64_t ticket_id,
                     int64_t message_id, const int64_t *ids, int n, struct kf_error *e);

#endif
