/* mail_poll.h: the mailbox poller: every enabled mail channel that names a mailbox (imap_url)
 * is read by a thread of its own, so a dead or slow mail server holds up nothing else. */
#ifndef KEFU_JOBS_MAIL_POLL_H
#define KEFU_JOBS_MAIL_POLL_H

struct writer;
struct mail_poller;

/* Starts the poller: a thread that reads the list of mail channels from the database at path
 * every two seconds (so channels added or changed through the API are polled without a
 * restart) and keeps one thread per mailbox. What it takes in goes to w; mails that cannot be
 * read are kept under data_dir/mail-rejected/; ca_file (NULL or "": the system's CA
 * certificates) checks the servers' certificates. NULL (said on stderr) when it cannot start. */
struct mail_poller *mail_poller_start(const char *path, const char *data_dir, const char *ca_file,
                                      struct writer *w);
/* Ends every session (a mail fetched but not yet stored is fetched again after a restart),
 * waits for what was handed to the writer, stops the threads and frees. Call before the
 * writer stops. Accepts NULL. */
void mail_poller_stop(struct mail_poller *p);

#endif
