/* wechat.c: a WeChat official account's server address (/hooks/wechat/{code}): the platform's
 * URL verification and its followers' messages, each checked against the channel's token
 * before anything else is read. Public routes: the signature is the authentication. */
#include <string.h>

#include "channels/wechat_in.h"
#include "channels/wechat_xml.h"
#include "core/channel.h"
#include "http/handlers.h"
#include "lib/banned.h"
#include "lib/config.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "lib/throttle.h"
#include "store/db.h"

enum { ECHOSTR_MAX = 256, RATE_WINDOW_MS = 60 * 1000 };

/* signed messages per channel and minute, at most hook_rate_limit (as for the other hooks) */
static struct throttle_entry rate_entries[256];
static struct throttle rate = THROTTLE_INIT(rate_entries, RATE_WINDOW_MS);

/* The wechat channel of the path and its token, with the request's signature checked: 0, or the
 * status it replied with (404 for no such or a disabled channel, 401 for a bad signature or no
 * token). */
static int signed_or_reply(struct request *req, struct response *resp, struct channel_config *ch)
{
    int rc = channel_get(req->db, req->params[0], req->arena, ch);
    if (rc == KF_ENOTFOUND || (!rc && (!ch->enabled || strcmp(ch->kind, "wechat"))))
        return reply_errorf(resp, 404, "not_found", "code", "no WeChat channel has this code");
    if (rc)
        return reply_error(resp, rc, NULL);
    const char *token = channel_setting(ch, "token");
    if (!token || !*token)
        return reply_errorf(resp, 401, "unauthorized", "token",
                            "the channel has no token: set settings.token first");
    if (!wechat_signature_ok(token, req_query(req, "timestamp"), req_query(req, "nonce"),
                             req_query(req, "signature")))
        return reply_errorf(resp, 401, "unauthorized", "signature",
                            "signature is not the SHA-1 of the token, timestamp and nonce");
    return 0;
}

int h_wechat_verify(struct request *req, struct response *resp)
{
    struct channel_config ch;
    int rc = signed_or_reply(req, resp, &ch);
    if (rc)
        return rc;
    const char *echo = req_query(req, "echostr");
    size_t n = echo ? strlen(echo) : 0;
    if (!n || n > ECHOSTR_MAX || strcspn(echo, "<>&\"'\r\n") != n)
        return reply_errorf(resp, 422, "validation_failed", "echostr",
                            "echostr is the platform's 1 to 256 characters");
    resp->content_type = "text/plain; charset=utf-8";
    strbuf_addstr(&resp->body, echo);
    return 200;
}

int h_wechat_receive(struct request *req, struct response *resp)
{
    struct channel_config ch;
    int rc = signed_or_reply(req, resp, &ch);
    if (rc)
        return rc;
    if (throttle_fail(&rate, ch.code, ktime_monotonic()) > req->cfg->hook_rate_limit) {
        int64_t retry = 0;
        throttle_count(&rate, ch.code, ktime_monotonic(), &retry);
        return reply_limited(req, resp, retry,
                             "too many messages on this channel: try again later");
    }
    const char *enc = req_query(req, "encrypt_type");
    if (enc && strcmp(enc, "raw"))
        return reply_errorf(resp, 422, "validation_failed", "encrypt_type",
                            "only the plaintext mode (明文模式) is taken: set it on the platform");
    struct wechat_msg m;
    struct kf_error e = {0};
    if ((rc = wechat_xml_parse(req->body ? req->body : "", req->body_len, req->arena, &m, &e)))
        return reply_error(resp, rc, &e);
    const char *openid = req_query(req, "openid");
    if (openid && strcmp(openid, m.from_user))
        return reply_errorf(resp, 422, "validation_failed", "openid",
                            "openid is not the FromUserName of the message");
    struct wechat_result r;
    if ((rc = wechat_in_store(req->db, ch.code, &m, req->arena, &r, &e)))
        return reply_error(resp, rc, &e);
    if (r.outcome == WECHAT_NEW_TICKET)
        metrics_count_ticket();
    if (r.new_ticket) { /* a retry of the message that made it gets the same answer */
        resp->content_type = "application/xml; charset=utf-8";
        wechat_xml_reply_text(
            &resp->body, m.from_user, m.to_user, ktime_now() / 1000,
            arena_printf(req->arena, "您好,您的消息已收到,工单号 %s。客服会尽快在这里回复您。",
                         r.number));
        return 200;
    }
    resp->content_type = "text/plain; charset=utf-8";
    strbuf_addstr(&resp->body, "success");
    return 200;
}
