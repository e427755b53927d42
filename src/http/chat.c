/* chat.c: live chat: the visitor's side (a session opened without an account, then its token,
 * see authenticate_visitor in server.c) and the agents' (the waiting and active chats, accepting
 * and closing). The visitor's stream is h_chat_stream in stream.c. */
#define _POSIX_C_SOURCE 200809L
#include "core/chat.h"

#include <stdio.h>
#include <string.h>

#include "core/attachment.h"
#include "core/message.h"
#include "core/portal.h"
#include "core/ticket.h"
#include "http/handlers.h"
#include "http/json.h"
#include "lib/banned.h"
#include "lib/config.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/throttle.h"
#include "store/db.h"

enum { SLOTS = 1024, WINDOW_MS = 15 * 60 * 1000 };

/* chats opened per client address within the window: the portal's public limit */
static struct throttle_entry open_ip_e[SLOTS];
static struct throttle open_ip = THROTTLE_INIT(open_ip_e, WINDOW_MS);

/* what a visitor sends (messages and images) per chat and minute */
enum { CHAT_SENDS_PER_MINUTE = 30 };
static struct throttle_entry sends_e[SLOTS];
static struct throttle sends = THROTTLE_INIT(sends_e, 60 * 1000);

/* Counts one send of the request's chat; 0, or the 429 it replied with when the chat sent too
 * much within the minute. */
static int send_limited_or_reply(struct request *req, struct response *resp)
{
    char key[24];
    snprintf(key, sizeof(key), "%lld", (long long)req->chat_id);
    int64_t now = ktime_monotonic(), retry;
    if (throttle_count(&sends, key, now, &retry) >= CHAT_SENDS_PER_MINUTE)
        return reply_limited(req, resp, retry, "too many messages in this chat; wait a moment");
    throttle_fail(&sends, key, now);
    return 0;
}

static void render_agent(struct jw *w, const struct chat *c)
{
    jw_key(w, "agent"); /* a display name only */
    if (c->agent_id) {
        jw_obj_begin(w);
        jw_kstr(w, "name", c->agent_name);
        jw_obj_end(w);
    } else {
        jw_null(w);
    }
}

int h_chat_sessions_create(struct request *req, struct response *resp)
{
    int64_t now = ktime_monotonic(), retry;
    if (throttle_count(&open_ip, req->ip, now, &retry) >= req->cfg->portal_ip_limit)
        return reply_limited(req, resp, retry, "too many chats from here; wait and try again");
    json_t *o;
    struct chat_start in = {.ip = req->ip};
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    if ((rc = jstr(req, o, "channel", &in.channel, &e)) >= 0 &&
        (rc = jstr(req, o, "name", &in.name, &e)) >= 0 &&
        (rc = jstr(req, o, "email", &in.email, &e)) >= 0 &&
        (rc = jstr(req, o, "phone", &in.phone, &e)) >= 0)
        rc = jstr(req, o, "body", &in.body, &e);
    json_decref(o);
    if (rc < 0)
        return reply_error(resp, rc, &e);
    throttle_fail(&open_ip, req->ip, now);
    struct chat c;
    char token[CHAT_TOKEN_TEXT];
    if ((rc = chat_open(req->db, &in, req->arena, &c, token, &e)))
        return reply_error(resp, rc, &e);
    metrics_count_ticket();
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_kint(&w, "id", c.id);
    jw_kstr(&w, "visitor_token", token);
    jw_key(&w, "ticket");
    jw_obj_begin(&w);
    jw_kstr(&w, "number", c.number);
    jw_obj_end(&w);
    jw_kstr(&w, "state", c.state);
    jw_obj_end(&w);
    return 201;
}

int h_chat_session_get(struct request *req, struct response *resp)
{
    struct chat c;
    struct ticket t;
    struct message *msgs;
    size_t n;
    int rc = chat_get(req->db, req->chat_id, req->arena, &c);
    if (!rc)
        rc = ticket_get_id(req->db, NULL, c.ticket_id, req->arena, &t);
    if (!rc)
        rc = portal_messages(req->db, &t, req->arena, &msgs, &n); /* never notes */
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_kint(&w, "id", c.id);
    jw_kstr(&w, "state", c.state);
    jw_kstr(&w, "visitor", c.visitor);
    jw_key(&w, "ticket");
    jw_obj_begin(&w);
    jw_kstr(&w, "number", t.number);
    jw_kstr(&w, "status", t.status);
    jw_obj_end(&w);
    render_agent(&w, &c);
    jw_time(&w, "created_at", c.created_at);
    jw_key(&w, "messages");
    jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++)
        render_public_message(&w, &msgs[i]);
    jw_arr_end(&w);
    jw_obj_end(&w);
    return 200;
}

int h_chat_messages_create(struct request *req, struct response *resp)
{
    json_t *o;
    const char *body = NULL;
    int64_t att[CHAT_MAX_ATTACHMENTS];
    int natt = 0;
    struct kf_error e = {0};
    int rc = send_limited_or_reply(req, resp);
    if (rc || (rc = body_object_or_reply(req, resp, &o)))
        return rc;
    if ((rc = jstr(req, o, "body", &body, &e)) >= 0)
        rc = jids(o, "attachments", att, CHAT_MAX_ATTACHMENTS, &natt, &e);
    json_decref(o);
    int64_t id;
    if (rc < 0 ||
        (rc = chat_visitor_write(req->db, req->chat_id, body, att, natt, req->arena, &id, &e)))
        return reply_error(resp, rc, &e);
    struct message m;
    struct chat c; /* the answer is the message as the visitor's transcript shows it */
    if ((rc = chat_get(req->db, req->chat_id, req->arena, &c)) ||
        (rc = message_get(req->db, c.ticket_id, id, req->arena, &m)))
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    render_public_message(&w, &m);
    return 201;
}

int h_chat_uploads_create(struct request *req, struct response *resp)
{
    int rc = send_limited_or_reply(req, resp);
    if (rc)
        return rc;
    if (!chat_image_ok(req->content_type, req->body, req->body_len))
        return reply_errorf(resp, 415, "unsupported_media_type", "content_type",
                            "send an image (PNG, JPEG, GIF or WebP) with its type as Content-Type");
    struct attachment a;
    struct kf_error e = {0};
    if ((rc = chat_upload(req->db, req->chat_id, req_query(req, "filename"), req->content_type,
                          req->body, req->body_len, req->arena, &a, &e)))
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    render_attachment(&w, &a);
    return 201;
}

int h_chat_attachment_get(struct request *req, struct response *resp)
{
    struct attachment a;
    int64_t id = param_id(req, 1);
    int rc = id ? chat_attachment_get(req->db, req->chat_id, id, req->arena, &a) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    return attachment_download(req, resp, &a);
}

/* ---- the agents' side ---- */

static void render_chat(struct jw *w, const struct chat *c)
{
    jw_obj_begin(w);
    jw_kint(w, "id", c->id);
    jw_kstr(w, "state", c->state);
    jw_kstr(w, "visitor", c->visitor);
    jw_key(w, "ticket");
    jw_obj_begin(w);
    jw_kint(w, "id", c->ticket_id);
    jw_kstr(w, "number", c->number);
    jw_kstr(w, "subject", c->subject);
    jw_obj_end(w);
    render_agent(w, c);
    jw_time(w, "created_at", c->created_at);
    jw_time(w, "accepted_at", c->accepted_at);
    jw_time(w, "closed_at", c->closed_at);
    jw_obj_end(w);
}

int h_chats_list(struct request *req, struct response *resp)
{
    const char *state = req_query(req, "state");
    if (!state)
        state = "waiting";
    if (strcmp(state, "waiting") && strcmp(state, "active") && strcmp(state, "offline"))
        return reply_errorf(resp, 422, "validation_failed", "state",
                            "state must be waiting, active or offline");
    struct chat *v;
    int n;
    int rc = chat_list(req->db, state, req->arena, &v, &n);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (int i = 0; i < n; i++)
        render_chat(&w, &v[i]);
    list_end(&w, NULL);
    return 200;
}

static int chat_answer(struct response *resp, const struct chat *c)
{
    struct jw w;
    jw_init(&w, &resp->body);
    render_chat(&w, c);
    return 200;
}

int h_chat_accept(struct request *req, struct response *resp)
{
    struct chat c;
    struct kf_error e = {0};
    int64_t id = param_id(req, 0);
    int rc = id ? chat_accept(req->db, &req->actor, id, req->arena, &c, &e) : KF_ENOTFOUND;
    return rc ? reply_error(resp, rc, &e) : chat_answer(resp, &c);
}

int h_chat_close(struct request *req, struct response *resp)
{
    struct chat c;
    struct kf_error e = {0};
    int64_t id = param_id(req, 0);
    int rc = id ? chat_close(req->db, &req->actor, id, req->arena, &c, &e) : KF_ENOTFOUND;
    return rc ? reply_error(resp, rc, &e) : chat_answer(resp, &c);
}
