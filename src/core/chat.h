/* chat.h: live chat: a visitor's session on a ticket of channel CHAT (the chat is the ticket's
 * conversation), reached by a random visitor token stored hashed; waiting until one agent
 * accepts it, offline when nobody was on shift (the message is a ticket all the same), closed at
 * the end. Each line of the conversation that the visitor may see is an event chat.message on
 * the ticket (never a note), with chat.waiting, chat.accepted and chat.closed. */
#ifndef KEFU_CHAT_H
#define KEFU_CHAT_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct attachment;
struct arena;
struct actor;
struct kf_error;
struct message;

enum {
    CHAT_TOKEN_TEXT = 65,
    CHAT_BODY_MAX = 5000,
    CHAT_IMAGE_MAX = 5 * 1024 * 1024, /* bytes of one image a visitor sends */
    CHAT_MAX_ATTACHMENTS = 5,         /* images on one visitor message */
};

/* The body of a visitor's message that is only images. */
#define CHAT_IMAGE_BODY "[图片]"

struct chat {
    int64_t id, ticket_id, department_id, agent_id;
    const char *number, *state, *visitor, *agent_name, *subject;
    int64_t created_at, accepted_at, closed_at;
};

struct chat_start {
    const char *channel, *name, *email, *phone, *body, *ip;
};

/* Opens a chat: a ticket for the visitor (the customer found by e-mail or phone, or a new one)
 * with body as its first message; waiting when someone of the ticket's department (any, when it
 * has none) is on shift, else offline. ret_token is the visitor's token, shown once. In the
 * caller's transaction. */
int chat_open(struct db *db, const struct chat_start *in, struct arena *arena, struct chat *ret,
              char ret_token[CHAT_TOKEN_TEXT], struct kf_error *e);
/* 0 when token is chat id's, else KF_ENOTFOUND. */
int chat_check_token(struct db *db, int64_t id, const char *token);
int chat_get(struct db *db, int64_t id, struct arena *arena, struct chat *ret);
/* The chats in state (waiting or active), oldest first. */
int chat_list(struct db *db, const char *state, struct arena *arena, struct chat **ret, int *ret_n);
/* 1 when url is a chat's upload path, /api/v1/chat/sessions/{id}/attachments. */
int chat_upload_path(const char *url);
/* 1 when data (size bytes) is an image of a type the chat takes, content_type (PNG, JPEG, GIF,
 * WebP; never SVG) and its first bytes agree; 0 otherwise. */
int chat_image_ok(const char *content_type, const void *data, size_t size);
/* Stores an image the visitor of chat id sends (check it with chat_image_ok first), claimed by
 * that chat's next message (chat_visitor_write) by its id. KF_ECONFLICT once the chat is
 * closed. In the caller's transaction. */
int chat_upload(struct db *db, int64_t id, const char *filename, const char *content_type,
                const void *data, size_t size, struct arena *arena, struct attachment *ret,
                struct kf_error *e);
/* The visitor's message on chat id, with the uploads of that chat (ids, n of them, each not in
 * use) on it; body may be empty when there are uploads (it is CHAT_IMAGE_BODY then).
 * KF_ECONFLICT once it is closed; KF_EINVAL naming "attachments" for an upload that is not the
 * chat's. In the caller's transaction. */
int chat_visitor_write(struct db *db, int64_t id, const char *body, const int64_t *attachments,
                       int n, struct arena *arena, int64_t *ret_message_id, struct kf_error *e);
/* An attachment (with its data) on chat id's ticket that its visitor may see: on a message of
 * the conversation, never a note. KF_ENOTFOUND otherwise. */
int chat_attachment_get(struct db *db, int64_t id, int64_t attachment_id, struct arena *arena,
                        struct attachment *ret);
/* The agent takes a waiting chat (and its ticket): KF_ECONFLICT when another was first or it is
 * not waiting. In the caller's transaction. */
int chat_accept(struct db *db, const struct actor *actor, int64_t id, struct arena *arena,
                struct chat *ret, struct kf_error *e);
/* Ends a chat. KF_ECONFLICT when it is closed already. In the caller's transaction. */
int chat_close(struct db *db, const struct actor *actor, int64_t id, struct arena *arena,
               struct chat *ret, struct kf_error *e);
/* Tells the ticket's open chat (if any) about a message the visitor may see (a reply or the
 * customer's): event chat.message. In the caller's transaction. */
int chat_message_event(struct db *db, int64_t ticket_id, int64_t message_id, const char *kind,
                       const char *body, const char *author, int64_t at);

#endif
