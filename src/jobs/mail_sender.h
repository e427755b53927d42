/* mail_sender.h: the thread that sends queued mail (core/mail_out.h) through each channel's
 * SMTP server, apart from the webhook dispatcher, so that a dead SMTP server holds up nothing
 * else; a channel whose server does not answer waits out its back-off without stalling the
 * other channels. */
#ifndef KEFU_JOBS_MAIL_SENDER_H
#define KEFU_JOBS_MAIL_SENDER_H

struct writer;
struct mail_sender;

/* Starts the sender with its own reading connection to the database at path; its writes go to
 * w. Returns NULL (and says why on stderr) when it cannot start. */
struct mail_sender *mail_sender_start(const char *path, struct writer *w);
/* Makes it look at once for what is due (the test clock moved, a mail was queued). Accepts
 * NULL. */
void mail_sender_wake(struct mail_sender *s);
/* Ends a send under way (the mail is sent again after a restart, with the same Message-ID),
 * stops the thread and frees. Call before the writer stops. Accepts NULL. */
void mail_sender_stop(struct mail_sender *s);

#endif
