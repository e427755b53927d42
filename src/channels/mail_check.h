/* mail_check.h: the "test" of a mail channel: can Kefu log in to its mailbox (IMAP) and to its
 * SMTP server with the settings as stored? Network I/O: run it off the HTTP threads. */
#ifndef KEFU_MAIL_CHECK_H
#define KEFU_MAIL_CHECK_H

struct channel_config;

enum { MAIL_CHECK_ERROR_MAX = 256 };

struct mail_check_result {
    int ok;
    char error[MAIL_CHECK_ERROR_MAX]; /* "" when ok */
};

/* Connects to the IMAP server of c (imap_url), logs in and selects the mailbox, then logs out.
 * Each step waits at most timeout_s; ca_file (NULL or "": the system's) checks the server's
 * certificate, for SMTP too. The outcome in *ret (an unset imap_url is an error). */
void mail_check_imap(const struct channel_config *c, int timeout_s, const char *ca_file,
                     struct mail_check_result *ret);

/* Connects to the SMTP server of c (smtp_url; TLS as smtp_tls says: "tls" or an smtps:// URL
 * from the start, "starttls" required, "none" plain), says EHLO and, when smtp_user is set,
 * logs in (AUTH PLAIN or LOGIN), then QUIT: a login that succeeds is the proof, no mail is
 * sent. The outcome in *ret. */
void mail_check_smtp(const struct channel_config *c, int timeout_s, const char *ca_file,
                     struct mail_check_result *ret);

#endif
