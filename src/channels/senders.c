/* senders.c: the send function of each channel kind. */
#include "channels/senders.h"

#include <string.h>

#include "lib/banned.h"

const struct channel_sender channel_senders[] = {
    {"webhook", hook_send},
    {"wechat", wechat_send},
    {NULL, NULL},
};

channel_send_fn *channel_sender_of(const char *kind)
{
    for (const struct channel_sender *s = channel_senders; kind && s->kind; s++)
        if (!strcmp(s->kind, kind))
            return s->send;
    return NULL;
}
