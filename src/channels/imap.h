/* imap.h: one session with a mailbox over IMAP: libcurl connects (imaps:// TLS, STARTTLS on
 * imap:// when offered) and logs in; Kefu speaks the rest on that connection itself (select,
 * search, fetch whole mails, mark them taken, IDLE), since libcurl has no IDLE and fetches one
 * mail per request.
 *
 * A mail is "taken" once it carries the keyword $KefuTaken (and \Seen); the mails to fetch are
 * those without it. A server that accepts no keywords (no \* in PERMANENTFLAGS) is searched for
 * UNSEEN mail and marked \Seen alone. No UID outlives a session, so a new UIDVALIDITY can make
 * Kefu neither skip nor repeat a mail. */
#ifndef KEFU_IMAP_H
#define KEFU_IMAP_H

#include <stddef.h>
#include <stdint.h>

struct imap;

enum { IMAP_ERROR_MAX = 256 };

struct imap_config {
    const char *url; /* imaps://host[:port]/MAILBOX or imap://host[:port]/MAILBOX (INBOX when
                        the path is empty); the mailbox in ASCII (modified UTF-7 as listed) */
    const char *user, *password;
    int timeout_s;          /* connecting, logging in and each answer; 0: 30 */
    const char *ca_file;    /* NULL or "": the system's CA certificates check the server's */
    int wake_fd;            /* -1, or a descriptor whose readability interrupts a wait */
    int (*stop)(void *arg); /* non-zero: give up at once (KF_ESHUTDOWN); may be NULL */
    void *stop_arg;
};

/* libcurl's global state, once per user of this module (counted): 0 or KF_EIO. */
int imap_global_init(void);
void imap_global_cleanup(void);

/* Connects, logs in and selects the mailbox of cfg->url (cfg must outlive the session).
 * Returns 0 and *ret; or KF_EAUTH (the login was refused), KF_ENOTFOUND (no such mailbox),
 * KF_EIO (connection, TLS or protocol), KF_ESHUTDOWN (stopped), with a sentence for the user in
 * err (n bytes), and *ret untouched. */
int imap_open(const struct imap_config *cfg, struct imap **ret, char *err, size_t n);
/* Logs out (briefly, best effort) and frees. Accepts NULL. */
void imap_close(struct imap *im);

/* The last error's sentence ("" when none). */
const char *imap_error(const struct imap *im);
/* The mailbox's UIDVALIDITY, and whether the server offers IDLE. */
uint32_t imap_uidvalidity(const struct imap *im);
int imap_can_idle(const struct imap *im);

/* The UIDs of the mails not yet taken, ascending, in *ret (free() it; NULL when none).
 * 0, or a negative code with imap_error set. */
int imap_search_new(struct imap *im, uint32_t **ret, size_t *ret_n);

/* Called once per mail fetched. raw (len bytes, malloc'd) is handed over: the callee frees it.
 * raw is NULL when the mail was larger than max_bytes (len is then its size, its bytes were
 * skipped). A non-zero result stops the fetch after the mails already under way and is
 * returned by imap_fetch. */
typedef int imap_mail_fn(void *arg, uint32_t uid, char *raw, size_t len);
/* Fetches the n mails whole (BODY.PEEK[]: nothing is marked by fetching) in one command and
 * hands each to fn as it arrives. A UID that no longer exists is skipped. 0, fn's result, or a
 * negative code. */
int imap_fetch(struct imap *im, const uint32_t *uids, size_t n, size_t max_bytes, imap_mail_fn *fn,
               void *arg);

/* Marks the n mails taken: flags them ($KefuTaken \Seen), or moves them to folder when it is
 * not NULL (MOVE, or COPY + \Deleted + UID EXPUNGE where there is no MOVE). 0, or a negative
 * code. */
int imap_mark(struct imap *im, const uint32_t *uids, size_t n, const char *folder);

/* Waits up to ms for the mailbox to change: IDLE where the server offers it, else NOOP after
 * the wait. 1 when new mail may be there, 0 after the time is up or on a wake, or a negative
 * code (KF_ESHUTDOWN when stopped). */
int imap_wait(struct imap *im, int ms);

#endif
