/* message.h: the conversation on a ticket (replies, notes) and its history. */
#ifndef KEFU_MESSAGE_H
#define KEFU_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/mail_out.h"

struct db;
struct arena;
struct actor;
struct kf_error;
struct attachment;

struct message {
    int64_t id, ticket_id;
    const char *kind, *body;
    int64_t author_id; /* the user who wrote it, 0 for a customer or the system */
    const char *author_name;
    int64_t customer_id; /* the customer who wrote it (kind "customer"), or 0 */
    const char *customer_name;
    int64_t created_at;
    int has_html; /* a mail that came with an HTML body (message_html_get) */
    struct attachment *attachments;
    size_t nattachments;
    int mailed; /* a mail carries it: see delivery */
    struct mail_delivery delivery;
};

/* Adds a reply (to the customer) or an internal note; the first reply sets first_response_at. */
int message_add(struct db *db, const struct actor *actor, const char *ref, const char *kind,
                const char *body, const int64_t *attachments, int nattachments, struct arena *arena,
                struct message *ret, struct kf_error *e);
/* Adds what customer customer_id wrote (on any channel) to ticket ticket_id: a waiting_customer
 * or resolved ticket moves back to in_progress (history reopened_by_customer). *ret_id is the
 * message's id. In the caller's transaction. */
int message_add_customer(struct db *db, int64_t ticket_id, int64_t customer_id, const char *body,
                         struct arena *arena, int64_t *ret_id, struct kf_error *e);
/* Keeps the HTML body of customer message message_id as it came. In the caller's transaction. */
int message_html_set(struct db *db, int64_t message_id, const char *html);
/* The HTML body of message message_id of the ticket ref names, as it came (sanitise it before
 * showing it), if the actor may see the ticket: 0, or KF_ENOTFOUND. */
int message_html_get(struct db *db, const struct actor *actor, const char *ref, int64_t message_id,
                     struct arena *arena, const char **ret);
int message_list(struct db *db, const struct actor *actor, const char *ref, struct arena *arena,
                 struct message **ret, size_t *ret_n);
/* Message message_id of ticket ticket_id with its attachments (not its delivery), for whoever
 * may already see the ticket. KF_ENOTFOUND when the ticket has no such message. */
int message_get(struct db *db, int64_t ticket_id, int64_t message_id, struct arena *arena,
                struct message *ret);

struct history_entry {
    int64_t id, at, actor_id;
    const char *actor_name, *action, *detail; /* detail: JSON text */
};

int history_list(struct db *db, const struct actor *actor, const char *ref, struct arena *arena,
                 struct history_entry **ret, size_t *ret_n);

/* An attachment with its data, if the actor may see its ticket (or uploaded it, while it is on
 * none); KF_ENOTFOUND otherwise. */
int attachment_get(struct db *db, const struct actor *actor, int64_t id, struct arena *arena,
                   struct attachment *ret);

#endif
