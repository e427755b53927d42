/* hook_out.c: a webhook channel's replies: the payload POSTed to the channel's reply_url,
 * signed with its secret as Kefu's notification webhooks are. */
#include <stdio.h>
#include <string.h>

#include "channels/senders.h"
#include "channels/webhook_out.h"
#include "core/channel.h"
#include "lib/banned.h"

int hook_send(const struct channel_config *ch, const char *payload_json,
              struct channel_send_result *res)
{
    memset(res, 0, sizeof(*res));
    const char *url = channel_setting(ch, "reply_url");
    const char *secret = channel_setting(ch, "secret");
    if (!url || !*url || !secret || !*secret) {
        snprintf(res->error, sizeof(res->error),
                 "the channel cannot send replies: it needs reply_url and secret");
        return 0;
    }
    struct webhook_request rq = {url, secret, "reply", payload_json, 0};
    struct webhook_result wr;
    int rc = webhook_post(&rq, NULL, NULL, &wr);
    if (rc)
        return rc;
    if (wr.http_status >= 200 && wr.http_status <= 299) {
        res->ok = 1;
        return 0;
    }
    /* a 4xx other than a timeout or a throttle says the receiver will not take it */
    res->permanent = wr.http_status >= 400 && wr.http_status <= 499 && wr.http_status != 408 &&
                     wr.http_status != 429;
    snprintf(res->error, sizeof(res->error), "%s", wr.error);
    return 0;
}
