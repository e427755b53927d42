/* chat.h: live chat: a visitor's session on a ticket of channel CHAT (the chat is the ticket's
 * conversation), reached by a random visitor token stored hashed; waiting until one agent
 * accepts it, offline when nobody was on shift (the message is a ticket all the same), closed at
 * the end. Each line of the conversation that the visitor may see is an event chat.message on
 * the ticket (never a note), with chat.waiting, chat.accepted and chat.closed. */
#ifndef KEFU_CHAT_H
#define KEFU_CHAT_H

#include <stdint.h>

struct db;
struct arena;
struct actor;
struct kf_error;
struct message;

enum { CHAT_TOKEN_TEXT = 65, CHAT_BODY_MAX = 5000 };

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
/* The visitor's message on chat id. KF_ECONFLICT once it is closed. In the caller's
 * transaction. */
int chat_visitor_write(struct db *db, int64_t id, const char *body, struct arena *arena,
                       int64_t *ret_message_id, struct kf_error *e);
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
