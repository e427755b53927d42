/* portal.h: the customer portal: sign-in by a one-time code mailed to the customer, portal
 * sessions, and what a signed-in customer may read and do on their own tickets. */
#ifndef KEFU_PORTAL_H
#define KEFU_PORTAL_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct kf_error;
struct ticket;
struct ticket_input;
struct message;
struct attachment;

enum {
    PORTAL_CODE_DIGITS = 6,
    PORTAL_CODE_TTL_MS = 10 * 60 * 1000,
    PORTAL_CODE_TRIES = 5,  /* wrong codes that end a code */
    PORTAL_TOKEN_TEXT = 65, /* a session or upload token: 64 hex digits and NUL */
    PORTAL_MAX_UPLOADS = 20,
};
#define PORTAL_SESSION_TTL_MS (INT64_C(7) * 24 * 3600 * 1000)

/* Makes a code for the customer whose e-mail is email (normalized), ending the codes sent
 * before: ret_code is its text, *ret_customer_id the customer. *ret_customer_id is 0 and
 * nothing is stored when no customer has that address. In the caller's transaction. */
int portal_code_issue(struct db *db, const char *email, char ret_code[PORTAL_CODE_DIGITS + 1],
                      int64_t *ret_customer_id);

enum portal_outcome {
    PORTAL_SIGNED_IN = 1, /* the code was right: a session was made */
    PORTAL_WRONG_CODE,    /* counted; the fifth wrong one ends the code */
    PORTAL_NO_CODE,       /* no live code for the address (none sent, used, expired or ended) */
};

/* Checks code against the newest live code of email. Right: the code is used up and a session
 * for its customer is made (ret_token its cookie value, *ret_customer_id). Wrong: the try is
 * counted. Either is written (0 returned) and *ret_outcome says which; a negative code only when
 * the store fails. In the caller's transaction. */
int portal_code_verify(struct db *db, const char *email, const char *code, const char *ip,
                       enum portal_outcome *ret_outcome, int64_t *ret_customer_id,
                       char ret_token[PORTAL_TOKEN_TEXT]);

/* The live session of token: 0 with its id and customer, KF_EAUTH when there is none. */
int portal_session_resolve(struct db *db, const char *token, int64_t *ret_session_id,
                           int64_t *ret_customer_id);
int portal_session_end(struct db *db, int64_t session_id);

/* Stores a file sent from the portal, claimed later by ret_token (portal_ticket_create,
 * portal_reply) instead of by a user. In the caller's transaction. */
int portal_upload(struct db *db, const char *filename, const char *content_type, const void *data,
                  size_t size, struct arena *arena, struct attachment *ret,
                  char ret_token[PORTAL_TOKEN_TEXT], struct kf_error *e);

/* Registers what a customer sent with the portal form as any ticket is registered
 * (ticket_create: the customer found or created, triage, SLA, assignment), with the description
 * as the customer's first message and the uploads of tokens (n of them) on it. in names the
 * customer (in->customer), not a customer id. In the caller's transaction. */
int portal_ticket_create(struct db *db, struct ticket_input *in, const char *const *tokens, int n,
                         struct arena *arena, struct ticket *ret, struct kf_error *e);

/* Ticket `number` (a number only, never an id) when it is customer_id's, else KF_ENOTFOUND
 * (another's ticket is not there for them). */
int portal_ticket_get(struct db *db, int64_t customer_id, const char *number, struct arena *arena,
                      struct ticket *ret);
/* The public conversation of ticket_id: what the customer and the staff's replies said, never
 * notes. */
int portal_messages(struct db *db, const struct ticket *t, struct arena *arena,
                    struct message **ret, size_t *ret_n);
/* The customer's message on their ticket, with the uploads of tokens: a waiting_customer or
 * resolved ticket goes back to in_progress (message_add_customer). KF_ECONFLICT on a closed
 * ticket. In the caller's transaction. */
int portal_reply(struct db *db, int64_t customer_id, const char *number, const char *body,
                 const char *const *tokens, int n, struct arena *arena, int64_t *ret_message_id,
                 struct kf_error *e);
/* The customer's answer to the result of a waiting_customer or resolved ticket: accepted, it is
 * resolved (history "confirmed"); disputed, it goes back to in_progress (history "disputed",
 * the comment as the customer's message). KF_ECONFLICT in other states. In the caller's
 * transaction. */
int portal_confirm(struct db *db, int64_t customer_id, const char *number, int accepted,
                   const char *comment, struct arena *arena, struct ticket *ret,
                   struct kf_error *e);
/* Attachment id with its data when it is on a public message (or the ticket itself) of one of
 * customer_id's tickets, else KF_ENOTFOUND. */
int portal_attachment_get(struct db *db, int64_t customer_id, int64_t id, struct arena *arena,
                          struct attachment *ret);

/* Removes expired codes and sessions. In the caller's transaction. */
int portal_purge(struct db *db, int64_t now);

#endif
