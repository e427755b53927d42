/* mail_in.h: one parsed mail taken into the ticket system, exactly as every mail is, whether an
 * MTA pipes it in (kefu mail-ingest) or a mailbox is polled. */
#ifndef KEFU_MAIL_IN_H
#define KEFU_MAIL_IN_H

#include <stdint.h>

struct db;
struct arena;
struct kf_error;
struct mail_in;

enum mail_outcome {
    MAIL_NEW_TICKET = 1, /* it made a ticket */
    MAIL_JOINED,         /* it joined a ticket as the customer's message */
    MAIL_DUPLICATE,      /* its Message-ID was taken in before */
    MAIL_IGNORED,        /* an auto-reply, bounce or list mail: no ticket */
};

struct mail_result {
    enum mail_outcome outcome;
    const char *why;    /* MAIL_IGNORED: "auto-reply", "bounce" or "list mail" */
    int64_t ticket_id;  /* 0 when ignored */
    const char *number; /* the ticket's number, or NULL */
    int reopened;       /* the customer's answer moved the ticket back to in_progress */
    int nattachments;
};

/* Takes mail m in on channel `channel` (a channel of kind mail) as one write: the ticket or
 * the customer's message, its attachments, the Message-ID, and the channel's success; a bounce
 * is recorded by the Message-ID it names. Runs inside the writer (one job per mail). 0, or
 * KF_EINVAL with e naming "channel" when it is not a mail channel, or the store's error. */
int mail_in_store(struct db *db, const char *channel, const struct mail_in *m, struct arena *a,
                  struct mail_result *ret, struct kf_error *e);

/* Records on the channel that a mail could not be taken in (it was unreadable): why. */
int mail_in_failed(struct db *db, const char *channel, const char *why);

#endif
