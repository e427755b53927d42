/* hooks.c: POST /hooks/{code}: what another platform posts to a webhook channel. The body's
 * size is bounded before it is read, its signature checked before it is parsed and the channel
 * rate-limited; the message is then stored in one write. Runs on the threads that may wait
 * (EXEC_NET): the write is waited for there, not on a request thread. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "channels/webhook_out.h"
#include "core/channel.h"
#include "core/customer.h"
#include "core/hook.h"
#include "http/handlers.h"
#include "http/hook_parse.h"
#include "http/http.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/config.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/throttle.h"
#include "store/db.h"
#include "store/writer.h"

enum { RATE_WINDOW_MS = 60 * 1000 };

static struct throttle_entry rate_entries[256];
static struct throttle rate = THROTTLE_INIT(rate_entries, RATE_WINDOW_MS);

/* Whether sent is "sha256=" and the hex HMAC of the body with secret, compared in constant
 * time. */
static int signature_ok(const char *secret, const char *body, size_t len, const char *sent)
{
    char want[WEBHOOK_SIGNATURE_LEN];
    webhook_sign(secret, body ? body : "", len, want);
    size_t n = strlen(want);
    return sent && strlen(sent) == n && sodium_memcmp(sent, want, n) == 0;
}

struct intake {
    const char *channel;
    const struct hook_message *m;
    struct arena *arena;
    struct hook_result res;
    struct kf_error e;
};

static int intake_run(struct db *db, void *arg)
{
    struct intake *in = arg;
    return hook_in_store(db, in->channel, in->m, in->arena, &in->res, &in->e);
}

int h_hook(struct request *req, struct response *resp)
{
    struct channel_config c;
    int rc = channel_get(req->db, req->params[0], req->arena, &c);
    db_reset_all(req->db);
    if (rc == KF_ENOTFOUND || (!rc && (!c.enabled || strcmp(c.kind, "webhook"))))
        return reply_errorf(resp, 404, "not_found", NULL, "no inbound hook has this code");
    if (rc)
        return reply_error(resp, rc, NULL);
    const char *secret = channel_setting(&c, "secret");
    if (!secret || !*secret || !signature_ok(secret, req->body, req->body_len, req->signature))
        return reply_errorf(resp, 401, "bad_signature", "X-Kefu-Signature",
                            "X-Kefu-Signature must be sha256= and the hex HMAC-SHA256 of the "
                            "body with the channel's secret");
    int64_t retry = 0;
    if (throttle_fail(&rate, c.code, ktime_monotonic()) > req->cfg->hook_rate_limit) {
        throttle_count(&rate, c.code, ktime_monotonic(), &retry);
        char secs[24];
        snprintf(secs, sizeof(secs), "%lld", (long long)(retry / 1000 + 1));
        resp_header(resp, "Retry-After", secs);
        return reply_errorf(resp, 429, "rate_limited", NULL,
                            "too many messages on this channel: try again later");
    }
    struct hook_message m;
    struct kf_error e = {0};
    if ((rc = hook_parse(req->body ? req->body : "", req->body_len, req->arena, &m, &e)) ||
        (rc = customer_normalize(&m.customer, "customer.", req->arena, &e)))
        return reply_error(resp, rc, &e);
    struct intake in = {c.code, &m, req->arena, {0}, {0}};
    if ((rc = writer_run(req->writer, intake_run, &in)))
        return reply_error(resp, rc, &in.e);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "ticket");
    jw_obj_begin(&w);
    jw_kint(&w, "id", in.res.ticket_id);
    jw_kstr(&w, "number", in.res.number);
    jw_obj_end(&w);
    jw_kint(&w, "message_id", in.res.message_id);
    jw_kbool(&w, "duplicate", in.res.duplicate);
    jw_obj_end(&w);
    return 202;
}
