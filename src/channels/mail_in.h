/* mail_in.h: one parsed mail taken into the ticket system, exactly as every mail is, whether an
 * MTA pipes it in (kefu mail-ingest) or a mailbox is polled. */
#ifndef KEFU_MAIL_IN_H
#define KEFU_MAIL_IN_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

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

/* One mail taken in, as a job of the writer (writer_run(w, mail_take_run, t)): the mail
 * stored (mail_in_store), or only its failure recorded on the channel when failure is set. */
struct mail_take {
    const char *channel;
    const struct mail_in *mail;
    const char *failure;
    struct arena *arena;
    struct mail_result result;
    struct kf_error e;
};
int mail_take_run(struct db *db, void *take);
/* Whether rc and e of mail_in_store say the mail itself cannot become a ticket (it names no
 * sender address): it is then kept as rejected, not tried again. */
int mail_take_unusable(int rc, const struct kf_error *e);

/* Keeps the len bytes of a mail that could not be taken in as a file of its own under
 * data_dir/mail-rejected/ (created when missing), written and synced; its path in path (n
 * bytes). 0, or KF_EIO with errno set (path names the file or folder that failed). */
int mail_keep_rejected(const char *data_dir, const char *raw, size_t len, char *path, size_t n);

#endif
