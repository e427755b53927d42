/* call.c: phone calls: ringing, answered, ended. */
#include "core/call.h"

#include <string.h>

#include "core/actor.h"
#include "core/audit.h"
#include "core/customer.h"
#include "core/ticket.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "lib/text.h"
#include "store/db.h"

static int64_t lookup(struct db *db, enum sql_id id, const char *key, int *ret_rc)
{
    int64_t v = 0;
    struct stmt *st = db_stmt(db, id);
    st_text(st, 1, key);
    int rc = st_one_int(st, &v);
    *ret_rc = rc < 0 ? rc : 0;
    return rc == 1 ? v : 0;
}

/* The call.ringing payload: the call, the caller (masked) and their recent tickets. */
static int ringing_payload(struct db *db, const struct call_event *ev, int64_t customer_id,
                           struct arena *a, struct strbuf *sb)
{
    struct jw w;
    jw_init(&w, sb);
    jw_obj_begin(&w);
    jw_kstr(&w, "call_id", ev->call_id);
    jw_kstr(&w, "caller", mask_phone(a, ev->caller));
    jw_kstr(&w, "agent", ev->agent);
    jw_key(&w, "customer");
    struct customer c;
    int rc = customer_id ? customer_get(db, customer_id, a, &c) : KF_ENOTFOUND;
    if (rc && rc != KF_ENOTFOUND)
        return rc;
    if (!rc) {
        jw_obj_begin(&w);
        jw_kint(&w, "id", c.id);
        jw_kstr(&w, "name", c.name);
        jw_kstr(&w, "phone", mask_phone(a, c.phone));
        jw_kstr(&w, "tier", c.tier);
        jw_obj_end(&w);
    } else {
        jw_null(&w);
    }
    jw_key(&w, "tickets");
    jw_arr_begin(&w);
    if (customer_id) {
        struct stmt *st = db_stmt(db, SQL_call_history);
        st_int(st, 1, customer_id);
        st_int(st, 2, ev->at - (int64_t)CALL_HISTORY_DAYS * 24 * 3600 * 1000);
        while ((rc = st_step(st)) == 1) {
            char when[KTIME_RFC3339_LEN];
            ktime_format(col_int(st, 4), when);
            jw_obj_begin(&w);
            jw_kint(&w, "id", col_int(st, 0));
            jw_kstr(&w, "number", col_text(st, 1));
            jw_kstr(&w, "subject", col_text(st, 2));
            jw_kstr(&w, "status", col_text(st, 3));
            jw_kstr(&w, "created_at", when);
            jw_obj_end(&w);
        }
        st_reset(st);
        if (rc < 0)
            return rc;
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    return 0;
}

/* call.ringing for agent_id, else for everyone on shift, else for all staff. */
static int ring(struct db *db, const struct call_event *ev, int64_t agent_id, int64_t customer_id,
                struct arena *a)
{
    struct strbuf sb = STRBUF_INIT(1024 * 1024);
    int rc = ringing_payload(db, ev, customer_id, a, &sb);
    if (!rc && agent_id)
        rc = event_write(db, "call.ringing", "user", agent_id, sb.buf);
    for (int pass = 0; !rc && !agent_id && pass < 2; pass++) {
        struct stmt *st = db_stmt(db, pass ? SQL_call_staff : SQL_call_on_shift);
        if (!pass)
            st_int(st, 1, ev->at);
        int64_t ids[256];
        size_t n = 0;
        while ((rc = st_step(st)) == 1 && n < sizeof(ids) / sizeof(ids[0]))
            ids[n++] = col_int(st, 0);
        st_reset(st);
        rc = rc < 0 ? rc : 0;
        for (size_t i = 0; !rc && i < n; i++)
            rc = event_write(db, "call.ringing", "user", ids[i], sb.buf);
        if (n)
            break;
    }
    strbuf_release(&sb);
    return rc;
}

/* The ended call's ticket: the one its agent registered for the caller while it lasted, or for
 * a call never answered a new one to call back. 0 when there is none to link. */
static int ticket_of(struct db *db, const char *channel, const struct call_event *ev,
                     int64_t agent_id, int64_t customer_id, int64_t started, int64_t answered,
                     struct arena *a, int64_t *ret, struct kf_error *e)
{
    int rc = 0;
    *ret = 0;
    if (!customer_id) /* the agent may have registered the caller meanwhile */
        customer_id = lookup(db, SQL_call_customer_by_phone, ev->caller, &rc);
    if (rc)
        return rc;
    if (answered) {
        if (!customer_id || !agent_id)
            return 0;
        struct stmt *st = db_stmt(db, SQL_call_registered_ticket);
        st_int(st, 1, customer_id);
        st_int(st, 2, agent_id);
        st_int(st, 3, started);
        st_int(st, 4, ev->at);
        rc = st_one_int(st, ret);
        return rc < 0 ? rc : 0;
    }
    struct actor kefu = {.name = "kefu", .role = ROLE_ADMIN};
    const char *masked = mask_phone(a, ev->caller);
    struct customer c;
    struct customer_input fallback = {.name = arena_printf(a, "来电 %s", masked)};
    if (customer_id)
        rc = customer_get(db, customer_id, a, &c);
    else
        rc = customer_find_or_create_by_identity(db, &kefu, "phone", ev->caller, &fallback, a, &c,
                                                 e);
    if (rc)
        return rc;
    struct ticket_input in = {0};
    in.channel = channel;
    in.type = "special";
    in.subject = arena_printf(a, "未接来电 %s", masked);
    in.description = arena_printf(a, "来电 %s 未接通,请尽快回电。", masked);
    in.raised_at = started;
    in.customer_id = c.id;
    struct ticket t;
    if ((rc = ticket_create(db, &kefu, &in, a, &t, e)))
        return rc;
    *ret = t.id;
    return 0;
}

int call_event(struct db *db, const char *channel, const struct call_event *ev, struct arena *a,
               int64_t *ret_ticket_id, struct kf_error *e)
{
    if (ret_ticket_id)
        *ret_ticket_id = 0;
    int ringing = !strcmp(ev->event, "ringing"), answered = !strcmp(ev->event, "answered"),
        ended = !strcmp(ev->event, "ended");
    if (!ringing && !answered && !ended)
        return kf_fail(e, KF_EINVAL, "event", "event must be ringing, answered or ended");
    if (!ev->call_id || !*ev->call_id || strlen(ev->call_id) > 200)
        return kf_fail(e, KF_EINVAL, "call_id", "call_id is 1 to 200 bytes");
    if (!ev->caller || !*ev->caller)
        return kf_fail(e, KF_EINVAL, "caller", "caller is the calling number");
    int rc = 0;
    int64_t agent_id = ev->agent ? lookup(db, SQL_call_agent_id, ev->agent, &rc) : 0;
    int64_t customer_id = rc ? 0 : lookup(db, SQL_call_customer_by_phone, ev->caller, &rc);
    if (rc)
        return rc;
    struct stmt *st = db_stmt(db, SQL_call_insert); /* a call first heard of later is recorded */
    st_text(st, 1, channel);
    st_text(st, 2, ev->call_id);
    st_text(st, 3, ev->caller);
    st_text(st, 4, ev->agent);
    if (agent_id)
        st_int(st, 5, agent_id);
    else
        st_null(st, 5);
    if (customer_id)
        st_int(st, 6, customer_id);
    else
        st_null(st, 6);
    st_int(st, 7, ev->at);
    if ((rc = st_exec(st)))
        return rc;
    int inserted = db_changes(db) == 1;
    if (ringing)
        return inserted ? ring(db, ev, agent_id, customer_id, a) : 0;
    st = db_stmt(db, answered ? SQL_call_answered : SQL_call_ended);
    st_text(st, 1, channel);
    st_text(st, 2, ev->call_id);
    st_int(st, 3, ev->at);
    if (answered) {
        st_text(st, 4, ev->agent);
        if (agent_id)
            st_int(st, 5, agent_id);
        else
            st_null(st, 5);
    } else {
        st_text(st, 4, ev->recording_url);
    }
    if ((rc = st_exec(st)) || db_changes(db) != 1 || answered)
        return rc;
    st = db_stmt(db, SQL_call_get);
    st_text(st, 1, channel);
    st_text(st, 2, ev->call_id);
    int64_t id = 0, call_agent = 0, call_customer = 0, started = 0, answered_at = 0;
    if ((rc = st_step(st)) == 1) {
        id = col_int(st, 0);
        call_agent = col_int(st, 2);
        call_customer = col_int(st, 3);
        started = col_int(st, 4);
        answered_at = col_int(st, 5);
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    int64_t ticket_id;
    if ((rc = ticket_of(db, channel, ev, call_agent, call_customer, started, answered_at, a,
                        &ticket_id, e)))
        return rc;
    if (!ticket_id)
        return 0;
    st = db_stmt(db, SQL_call_set_ticket);
    st_int(st, 1, id);
    st_int(st, 2, ticket_id);
    st_null(st, 3);
    if (ret_ticket_id)
        *ret_ticket_id = ticket_id;
    return st_exec(st);
}

int call_list(struct db *db, int64_t ticket_id, struct arena *a, struct call **ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, ticket_id ? SQL_call_list_ticket : SQL_call_list_recent);
    if (ticket_id)
        st_int(st, 1, ticket_id);
    size_t n = 0, cap = 8;
    struct call *v = arena_alloc(a, cap * sizeof(*v));
    int rc;
    while ((rc = st_step(st)) == 1) {
        if (n == cap) {
            struct call *w = arena_alloc(a, 2 * cap * sizeof(*w));
            memcpy(w, v, n * sizeof(*w));
            v = w, cap *= 2;
        }
        struct call *c = &v[n++];
        c->call_id = arena_strdup(a, col_text(st, 0));
        c->caller = mask_phone(a, col_text(st, 1));
        c->agent = col_is_null(st, 2) ? NULL : arena_strdup(a, col_text(st, 2));
        c->started_at = col_int(st, 3);
        c->answered_at = col_int(st, 4);
        c->ended_at = col_int(st, 5);
        c->recording_url = col_is_null(st, 6) ? NULL : arena_strdup(a, col_text(st, 6));
        c->ticket_id = col_int(st, 7);
        c->duration_seconds = c->answered_at && c->ended_at > c->answered_at
                                  ? (c->ended_at - c->answered_at) / 1000
                                  : 0;
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}
