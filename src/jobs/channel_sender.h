/* channel_sender.h: the threads that send what channel_out queued (webhook callbacks, WeChat
 * messages) through each channel kind's send function (channels/senders.h): one thread per
 * channel with something due, so that a receiver that hangs or refuses holds up its own
 * channel only. */
#ifndef KEFU_JOBS_CHANNEL_SENDER_H
#define KEFU_JOBS_CHANNEL_SENDER_H

struct writer;
struct channel_sender_job;

/* Starts the sender with its own reading connection to the database at path (each channel's
 * thread opens one more); its writes go to w. NULL (and why on stderr) when it cannot start. */
struct channel_sender_job *channel_sender_start(const char *path, struct writer *w);
/* Makes it look at once for what is due. Accepts NULL. */
void channel_sender_wake(struct channel_sender_job *s);
/* Waits for the sends under way (a payload whose try was not recorded is sent again after a
 * restart), stops the threads and frees. Call before the writer stops. Accepts NULL. */
void channel_sender_stop(struct channel_sender_job *s);

#endif
