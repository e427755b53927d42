/* mail_compose.h: an outgoing mail as MIME (GMime): UTF-8 text, RFC 2047 headers, threading
 * headers and the attachments as parts. */
#ifndef KEFU_MAIL_COMPOSE_H
#define KEFU_MAIL_COMPOSE_H

#include <stddef.h>

struct arena;
struct kf_error;
struct mail_due;

/* Composes mail d from `from` (the channel's From: an address, with a display name or
 * without) as the bytes to hand to SMTP, lines ending in CRLF, into *ret (len *ret_len, in a);
 * *ret_sender is the bare address of from (for MAIL FROM). Replies carry no Auto-Submitted
 * header; acknowledgements, codes and notices do, so that no auto-responder answers them.
 * 0, or KF_EINVAL naming "from" or "to" for an address that cannot be read. */
int mail_compose(const struct mail_due *d, const char *from, struct arena *a, char **ret,
                 size_t *ret_len, const char **ret_sender, struct kf_error *e);

#endif
