/* hooks.c: POST /hooks/{code}: what another platform posts to a webhook channel. The body's
 * size is bounded before it is read, its signature checked before it is parsed and the channel
 * rate-limited; the message is then stored in one write. Runs on the threads that may wait
 * (EXEC_NET): the write is waited for there, not on a request thread. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "channels/webhook_out.h"
#include "core/call.h"
#include "core/channel.h"
#include "core/customer.h"
#include "core/hook.h"
#include "core/ticket.h"
#include "http/handlers.h"
#include "http/hook_parse.h"
#include "http/http.h"
#include "http/json.h"
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

struct phone_job {
    const char *channel;
    struct call_event ev;
    struct arena *arena;
    int64_t ticket_id;
    struct kf_error e;
};

static int phone_run(struct db *db, void *arg)
{
    struct phone_job *j = arg;
    return call_event(db, j->channel, &j->ev, j->arena, &j->ticket_id, &j->e);
}

/* A telephony system's event on phone channel `channel` (o is decref'd here). */
static int phone_event(struct request *req, struct response *resp, const char *channel, json_t *o)
{
    struct phone_job j = {.channel = channel, .arena = req->arena};
    struct kf_error e = {0};
    struct customer_input ci = {0};
    int rc = 0;
    if ((rc = jstr(req, o, "event", &j.ev.event, &e)) >= 0 &&
        (rc = jstr(req, o, "call_id", &j.ev.call_id, &e)) >= 0 &&
        (rc = jstr(req, o, "caller", &ci.phone, &e)) >= 0 &&
        (rc = jstr(req, o, "agent", &j.ev.agent, &e)) >= 0 &&
        (rc = jstr(req, o, "recording_url", &j.ev.recording_url, &e)) >= 0)
        rc = jtime(o, "at", &j.ev.at, &e);
    json_decref(o);
    if (rc < 0)
        return reply_error(resp, rc, &e);
    if (!j.ev.event)
        return reply_errorf(resp, 422, "validation_failed", "event",
                            "event must be ringing, answered or ended");
    if (!ci.phone || (rc = customer_normalize(&ci, NULL, req->arena, &e)) || !ci.phone)
        return reply_errorf(resp, 422, "validation_failed", "caller",
                            "caller must be the calling number");
    j.ev.caller = ci.phone;
    if (!j.ev.at)
        j.ev.at = ktime_now();
    if ((rc = writer_run(req->writer, phone_run, &j)))
        return reply_error(resp, rc, &j.e);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_kstr(&w, "call_id", j.ev.call_id);
    if (j.ticket_id)
        jw_kint(&w, "ticket_id", j.ticket_id);
    else
        jw_knull(&w, "ticket_id");
    jw_obj_end(&w);
    return 202;
}

int h_calls_list(struct request *req, struct response *resp)
{
    const char *ref = req_query(req, "ticket_id");
    struct ticket t = {0};
    int rc = ref ? ticket_get(req->db, &req->actor, ref, req->arena, &t) : 0;
    struct call *v = NULL;
    size_t n = 0;
    if (rc || (rc = call_list(req->db, t.id, req->arena, &v, &n)))
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "items");
    jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj_begin(&w);
        jw_kstr(&w, "call_id", v[i].call_id);
        jw_kstr(&w, "caller", v[i].caller);
        jw_kstr(&w, "agent", v[i].agent);
        jw_time(&w, "started_at", v[i].started_at);
        jw_time(&w, "answered_at", v[i].answered_at);
        jw_time(&w, "ended_at", v[i].ended_at);
        jw_kint(&w, "duration_seconds", v[i].duration_seconds);
        jw_kstr(&w, "recording_url", v[i].recording_url);
        if (v[i].ticket_id)
            jw_kint(&w, "ticket_id", v[i].ticket_id);
        else
            jw_knull(&w, "ticket_id");
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    return 200;
}

int h_hook(struct request *req, struct response *resp)
{
    struct channel_config c;
    int rc = channel_get(req->db, req->params[0], req->arena, &c);
    db_reset_all(req->db);
    int phone = !rc && !strcmp(c.kind, "phone");
    if (rc == KF_ENOTFOUND || (!rc && (!c.enabled || (strcmp(c.kind, "webhook") && !phone))))
        return reply_errorf(resp, 404, "not_found", NULL, "no inbound hook has this code");
    if (rc)
        return reply_error(resp, rc, NULL);
    const char *secret = channel_setting(&c, "secret");
    if (!secret || !*secret || !signature_ok(secret, req->body, req->body_len, req->signature))
        return reply_errorf(resp, 401, "unauthorized", "X-Kefu-Signature",
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
    json_t *o;
    if ((rc = body_object_or_reply(req, resp, &o))) /* only now that the signature holds */
        return rc;
    if (phone)
        return phone_event(req, resp, c.code, o);
    rc = hook_read(o, req->arena, &m, &e);
    json_decref(o);
    if (rc || (rc = customer_normalize(&m.customer, "customer.", req->arena, &e)))
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
