/* mail_out.h: the queue of outgoing mail. Whoever has something to mail (a reply, an
 * acknowledgement, a sign-in code, a notice) queues it in the transaction that writes the
 * reason for it, so no mail is lost and none goes out for what was rolled back; the sender
 * thread (jobs/mail_sender.c) sends what is due and records each try (mail_out_tried). */
#ifndef KEFU_MAIL_OUT_H
#define KEFU_MAIL_OUT_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct kf_error;

enum {
    MAIL_OUT_TO_MAX = 320,
    MAIL_OUT_SUBJECT_MAX = 998,
    MAIL_OUT_REFS_MAX = 20, /* References names the first mail and the newest ones */
};

struct mail_out {
    const char *channel; /* a mail channel's code; NULL: the default sender (the first enabled
                            mail channel, by code, with smtp_url and from) */
    int64_t ticket_id;   /* 0: not about a ticket */
    int64_t message_id;  /* the message it carries, 0: none */
    const char *kind;    /* "reply", "ack", "code", "notice" */
    const char *to;
    const char *subject;
    const char *text;
};

/* Queues mail m, due at once: a Message-ID of Kefu's own on the sender's domain; when it is
 * about a ticket, In-Reply-To (the customer's last mail) and References (the ticket's mails)
 * from the ticket's mail_ids, and its Message-ID is kept there (direction out) so that an
 * answer joins the ticket; the message's attachments go along. Inside the writer's
 * transaction. 0 and *ret_id (may be NULL); KF_ENOTFOUND (e names "channel") when no mail
 * channel can send; KF_EINVAL naming the field for a bad kind, address or subject. */
int mail_out_queue(struct db *db, const struct mail_out *m, int64_t *ret_id, struct kf_error *e);
/* 1 when s is one bare e-mail address as mail_out_queue takes it in `to`. */
int mail_out_address_ok(const char *s);

struct ticket;

/* What a public reply (message message_id, text body) on ticket t mails, if anything, in the
 * writer's transaction that writes the reply: on a mail channel, the reply itself To the
 * customer ("Re: <subject> [#NUMBER]", threaded on the ticket's mails, with the message's
 * attachments) from that channel, else from the default sender; on a web, phone or manual
 * channel, a notice through the default sender. Nothing when the customer has no e-mail or no
 * channel can send; webhook, WeChat and chat tickets are answered on their own channel. */
int mail_out_reply(struct db *db, const struct ticket *t, int64_t message_id, const char *body,
                   struct kf_error *e);
/* The acknowledgement of new mail ticket t To address `to`, carrying its number, from channel
 * (the one the mail came in on) if it can send. Nothing when it cannot. */
int mail_out_ack(struct db *db, const struct ticket *t, const char *channel, const char *to,
                 struct kf_error *e);

/* The delivery of one message, as the API shows it. */
struct mail_delivery {
    const char *status; /* "queued", "sent", "failed" */
    int attempts;
    const char *last_error; /* NULL: none */
    int64_t sent_at;        /* 0 unless sent */
};

/* The delivery of message message_id (its newest mail), in *ret: 1 when it is mailed, 0 when
 * not, or a negative code. */
int mail_out_delivery(struct db *db, int64_t message_id, struct arena *arena,
                      struct mail_delivery *ret);
/* Shared with the other channels' queue (channel_out.c): the delivery of st's current row
 * (status, attempts, last_error, sent_at) after one step of it, reset; 1, 0 or a negative code
 * as st_step. */
struct stmt;
int delivery_read(struct stmt *st, struct arena *arena, struct mail_delivery *ret);
/* The rows st_count ($1 channel, $2 status) counts as queued and as failed. */
int delivery_counts(struct stmt *st_count, const char *channel, int64_t *ret_queued,
                    int64_t *ret_failed);
/* ticket.delivery_changed for message_id of ticket_id, now status; nothing when either is 0. */
int delivery_changed(struct db *db, int64_t ticket_id, int64_t message_id, const char *status);
/* The codes (column 0) of st's rows, at most max, in arena; st reset. */
int delivery_codes(struct stmt *st, int max, struct arena *arena, const char ***ret, size_t *ret_n);

/* The mails of channel waiting to go out and those that failed. */
int mail_out_counts(struct db *db, const char *channel, int64_t *ret_queued, int64_t *ret_failed);
/* A delivery-status report names mail_id: if Kefu sent it, its delivery is failed (why says
 * why). *ret_hit (may be NULL) is 1 when it was one of Kefu's. In the caller's transaction. */
int mail_out_bounced(struct db *db, const char *mail_id, const char *why, int *ret_hit);

/* ---- the sender's side ---- */

struct mail_file {
    const char *filename, *content_type;
    const void *data;
    size_t size;
};

struct mail_due {
    int64_t id;
    const char *channel, *kind, *to, *subject, *text;
    const char *mail_id, *in_reply_to, *refs; /* ids without <>; refs space-separated */
    int attempts;
    int64_t created_at;
    struct mail_file *files; /* read by mail_out_files */
    size_t nfiles;
};

/* Up to max queued mails of channel (NULL: of every enabled channel) due at `now`, the most
 * overdue first. */
int mail_out_due(struct db *db, const char *channel, int64_t now, int max, struct arena *arena,
                 struct mail_due **ret, size_t *ret_n);
/* The codes of up to max enabled channels with mail due at `now`, in arena. */
int mail_out_due_channels(struct db *db, int64_t now, int max, struct arena *arena,
                          const char ***ret, size_t *ret_n);
/* Reads the files mail d carries into d->files. */
int mail_out_files(struct db *db, struct arena *arena, struct mail_due *d);

enum mail_try { MAIL_SENT, MAIL_TRY_AGAIN, MAIL_REFUSED };

/* Records a try of mail id (with `attempts` tries before it) made at `at`: MAIL_SENT sends it;
 * MAIL_REFUSED (the server refused it for good, a 5xx) fails it at once; MAIL_TRY_AGAIN counts
 * an attempt and sets the next by back-off, or fails it once the back-off is spent. error says
 * what went wrong (NULL when sent). A mail no longer queued, or tried meanwhile, is left alone.
 * *ret_next_at (may be NULL) is when it is tried next, 0 for never. A mail that carries a
 * message writes the event ticket.delivery_changed when its status changes or its first try
 * fails. */
int mail_out_tried(struct db *db, int64_t id, int attempts, int64_t at, enum mail_try result,
                   const char *error, int64_t *ret_next_at);

/* Postpones the channel's queued mails due before `until` to `until`: its server does not
 * answer, and they would fare the same. Their attempts are not counted. */
int mail_out_postpone(struct db *db, const char *channel, int64_t until);

#endif
