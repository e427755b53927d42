/* chat.c: live chat: the visitor's side (a session opened without an account, then its token,
 * see authenticate_visitor in server.c) and the agents' (the waiting and active chats, accepting
 * and closing). The visitor's stream is h_chat_stream in stream.c. */
#define _POSIX_C_SOURCE 200809L
#include "core/chat.h"

#include <string.h>

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
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    rc = jstr(req, o, "body", &body, &e);
    json_decref(o);
    int64_t id;
    if (rc < 0 || (rc = chat_visitor_write(req->db, req->chat_id, body, req->arena, &id, &e)))
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_kint(&w, "id", id);
    jw_kstr(&w, "kind", "customer");
    jw_kstr(&w, "body", body);
    jw_obj_end(&w);
    return 201;
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
    if (strcmp(state, "waiting") && strcmp(state, "active"))
        return reply_errorf(resp, 422, "validation_failed", "state",
                            "state must be waiting or active");
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
