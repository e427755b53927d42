/* webhook.c: notification webhooks, their deliveries and tries, and the outbox fan-out. */
#include "core/webhook.h"

#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/audit.h"
#include "core/outbox.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "lib/text.h"
#include "store/db.h"

const char *const webhook_event_kinds[] = {
    "ticket.created",
    "ticket.assigned",
    "ticket.status_changed",
    "ticket.updated",
    "ticket.reviewed",
    "ticket.sla_warning",
    "ticket.escalated",
    "ticket.breached",
    "ticket.transferred",
    "ticket.nudged",
    "ticket.replied",
    "ticket.noted",
    "ticket.customer_wrote",
    "ticket.delivery_changed",
    "notification.created",
    "chat.waiting",
    "chat.accepted",
    "chat.message",
    "chat.closed",
    "survey.sent",
    "survey.answered",
    "ticket.second_handling",
    "call.ringing",
    "ticket.media_fetched",
    NULL,
};

static const char cursor_name[] = "webhooks";

static int kind_known(const char *k)
{
    for (const char *const *p = webhook_event_kinds; *p; p++)
        if (!strcmp(*p, k))
            return 1;
    return 0;
}

/* Whether the comma-separated list `events` names kind (or is "*"). */
static int list_has(const char *events, const char *kind)
{
    if (!strcmp(events, "*"))
        return 1;
    size_t n = strlen(kind);
    for (const char *p = events; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && !memcmp(p, kind, n))
            return 1;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

/* http:// or https://, then a host (with an optional port) of printable characters. */
static int url_ok(const char *url)
{
    const char *p;
    if (!strncmp(url, "http://", 7))
        p = url + 7;
    else if (!strncmp(url, "https://", 8))
        p = url + 8;
    else
        return 0;
    for (const char *q = url; *q; q++)
        if ((unsigned char)*q <= ' ' || *q == 0x7f)
            return 0;
    size_t host = strcspn(p, "/?#");
    const char *at = memchr(p, '@', host);
    if (at) {
        host -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    const char *colon = memchr(p, ':', host);
    if (colon && p[0] != '[')
        host = (size_t)(colon - p);
    return host > 0;
}

static int check(const struct webhook_input *in, int creating, struct arena *arena,
                 const char **ret_events, struct kf_error *e)
{
    int rc;
    if (in->url || creating) {
        if ((rc = text_check(in->url, "url", WEBHOOK_URL_MAX, 1, e)))
            return rc;
        if (!url_ok(in->url))
            return kf_fail(e, KF_EINVAL, "url",
                           "url must be an http:// or https:// address with a host");
    }
    if (in->secret || creating) {
        if (!in->secret || !*in->secret)
            return kf_fail(e, KF_EINVAL, "secret", "secret is required");
        if (utf8_chars(in->secret) < WEBHOOK_SECRET_MIN)
            return kf_fail(e, KF_EINVAL, "secret", "secret must have at least 16 characters");
        if (strlen(in->secret) > WEBHOOK_SECRET_MAX)
            return kf_fail(e, KF_EINVAL, "secret", "secret is too long");
    }
    *ret_events = NULL;
    if (in->has_events || creating) {
        if (!in->has_events || !in->nevents)
            return kf_fail(e, KF_EINVAL, "events", "events must name at least one kind of event");
        if (in->nevents > WEBHOOK_EVENTS_MAX)
            return kf_fail(e, KF_EINVAL, "events", "too many events");
        struct strbuf sb = STRBUF_INIT(4096);
        for (size_t i = 0; i < in->nevents; i++) {
            const char *k = in->events[i];
            if (strcmp(k, "*") && !kind_known(k)) {
                strbuf_release(&sb);
                return kf_fail(e, KF_EINVAL, "events",
                               arena_printf(arena, "unknown kind of event \"%.60s\"", k));
            }
            if (!strcmp(k, "*") && in->nevents > 1) {
                strbuf_release(&sb);
                return kf_fail(e, KF_EINVAL, "events", "\"*\" stands alone: it takes every event");
            }
            if (!list_has(sb.buf, k))
                strbuf_addf(&sb, "%s%s", sb.len ? "," : "", k);
        }
        *ret_events = arena_strdup(arena, sb.buf);
        strbuf_release(&sb);
    }
    return 0;
}

/* Room for one more of n items of size bytes at *v (capacity *cap, in the arena): doubles it
 * when full. */
static void *room(struct arena *arena, void *v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return v;
    void *bigger = arena_alloc(arena, 2 * *cap * size);
    memcpy(bigger, v, n * size);
    *cap *= 2;
    return bigger;
}

static void read_hook(struct stmt *st, struct arena *arena, struct webhook *w)
{
    w->id = col_int(st, 0);
    w->url = arena_strdup(arena, col_text(st, 1));
    w->events = arena_strdup(arena, col_text(st, 2));
    w->enabled = (int)col_int(st, 3);
    w->created_at = col_int(st, 4);
    w->updated_at = col_int(st, 5);
    w->secret = arena_strdup(arena, col_text(st, 6));
}

int webhook_get(struct db *db, int64_t id, struct arena *arena, struct webhook *ret)
{
    struct stmt *st = db_stmt(db, SQL_webhook_get);
    st_int(st, 1, id);
    int rc = st_step(st);
    if (rc == 1)
        read_hook(st, arena, ret);
    st_reset(st);
    return rc < 0 ? rc : rc ? 0 : KF_ENOTFOUND;
}

int webhook_list(struct db *db, struct arena *arena, struct webhook **ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_webhook_list);
    size_t n = 0, cap = 16;
    struct webhook *v = arena_alloc(arena, cap * sizeof(*v));
    int rc;
    while ((rc = st_step(st)) == 1) {
        v = room(arena, v, n, &cap, sizeof(*v));
        read_hook(st, arena, &v[n++]);
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

/* The audit's picture of a webhook: everything but the secret. */
static const char *audit_json(struct arena *arena, const struct webhook *w)
{
    struct strbuf sb = STRBUF_INIT(8192);
    struct jw j;
    jw_init(&j, &sb);
    jw_obj_begin(&j);
    jw_kstr(&j, "url", w->url);
    jw_kstr(&j, "events", w->events);
    jw_kbool(&j, "enabled", w->enabled);
    jw_obj_end(&j);
    const char *out = arena_strdup(arena, sb.buf);
    strbuf_release(&sb);
    return out;
}

int webhook_create(struct db *db, const struct actor *actor, const struct webhook_input *in,
                   struct arena *arena, struct webhook *ret, struct kf_error *e)
{
    const char *events;
    int rc = check(in, 1, arena, &events, e);
    if (rc)
        return rc;
    int enabled = in->has_enabled ? in->enabled : 1;
    struct stmt *st = db_stmt(db, SQL_webhook_insert);
    st_text(st, 1, in->url);
    st_text(st, 2, in->secret);
    st_text(st, 3, events);
    st_int(st, 4, enabled);
    st_int(st, 5, ktime_now());
    if ((rc = st_exec(st)))
        return rc;
    int64_t id = db_last_id(db);
    if ((rc = webhook_get(db, id, arena, ret)))
        return rc;
    return audit_write(db, actor, "webhook.created", "webhook", id, NULL, audit_json(arena, ret));
}

int webhook_update(struct db *db, const struct actor *actor, int64_t id,
                   const struct webhook_input *in, struct arena *arena, struct webhook *ret,
                   struct kf_error *e)
{
    struct webhook old;
    int rc = webhook_get(db, id, arena, &old);
    if (rc)
        return rc;
    const char *events;
    if ((rc = check(in, 0, arena, &events, e)))
        return rc;
    struct stmt *st = db_stmt(db, SQL_webhook_update);
    st_int(st, 1, id);
    st_text(st, 2, in->url ? in->url : old.url);
    st_text(st, 3, in->secret ? in->secret : old.secret);
    st_text(st, 4, events ? events : old.events);
    st_int(st, 5, in->has_enabled ? in->enabled : old.enabled);
    st_int(st, 6, ktime_now());
    if ((rc = st_exec(st)) || (rc = webhook_get(db, id, arena, ret)))
        return rc;
    return audit_write(db, actor, "webhook.updated", "webhook", id, audit_json(arena, &old),
                       audit_json(arena, ret));
}

int webhook_delete(struct db *db, const struct actor *actor, int64_t id)
{
    struct arena a = ARENA_INIT;
    struct webhook old;
    int rc = webhook_get(db, id, &a, &old);
    if (!rc) {
        struct stmt *st = db_stmt(db, SQL_webhook_delete);
        st_int(st, 1, id);
        rc = st_exec(st);
    }
    if (!rc)
        rc = audit_write(db, actor, "webhook.deleted", "webhook", id, audit_json(&a, &old), NULL);
    arena_release(&a);
    return rc;
}

static int read_tries(struct db *db, struct arena *arena, struct webhook_delivery *d)
{
    struct stmt *st = db_stmt(db, SQL_delivery_tries);
    st_int(st, 1, d->id);
    size_t cap = (size_t)(d->attempts > 4 ? d->attempts + 4 : 8);
    d->tries = arena_alloc(arena, cap * sizeof(*d->tries));
    d->ntries = 0;
    int rc;
    while ((rc = st_step(st)) == 1) {
        d->tries = room(arena, d->tries, d->ntries, &cap, sizeof(*d->tries));
        struct webhook_try *t = &d->tries[d->ntries++];
        t->id = col_int(st, 0);
        t->at = col_int(st, 1);
        t->http_status = (int)col_int(st, 2);
        t->error = col_is_null(st, 3) ? NULL : arena_strdup(arena, col_text(st, 3));
        t->duration_ms = col_int(st, 4);
    }
    st_reset(st);
    return rc < 0 ? rc : 0;
}

int webhook_deliveries(struct db *db, int64_t webhook_id, int64_t before, int limit,
                       struct arena *arena, struct webhook_delivery **ret, size_t *ret_n)
{
    struct webhook w;
    int rc = webhook_get(db, webhook_id, arena, &w);
    if (rc)
        return rc;
    if (limit <= 0 || limit > WEBHOOK_DELIVERIES_MAX)
        limit = 50;
    struct stmt *st = db_stmt(db, SQL_deliveries_list);
    st_int(st, 1, webhook_id);
    st_int(st, 2, before > 0 ? before : INT64_MAX);
    st_int(st, 3, limit);
    struct webhook_delivery *v = arena_alloc(arena, (size_t)limit * sizeof(*v));
    size_t n = 0;
    while ((rc = st_step(st)) == 1) {
        struct webhook_delivery *d = &v[n++];
        *d = (struct webhook_delivery){0};
        d->id = col_int(st, 0);
        d->event_id = col_int(st, 1);
        d->event = arena_strdup(arena, col_text(st, 2));
        d->status = arena_strdup(arena, col_text(st, 3));
        d->attempts = (int)col_int(st, 4);
        d->next_at = !strcmp(d->status, "pending") ? col_int(st, 5) : 0;
        d->last_status = (int)col_int(st, 6);
        d->last_error = col_is_null(st, 7) ? NULL : arena_strdup(arena, col_text(st, 7));
        d->created_at = col_int(st, 8);
        d->delivered_at = col_int(st, 9);
        d->body = arena_strdup(arena, col_text(st, 10));
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        if ((rc = read_tries(db, arena, &v[i])))
            return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

int webhook_retry(struct db *db, int64_t webhook_id, int64_t delivery_id, struct kf_error *e)
{
    struct stmt *st = db_stmt(db, SQL_delivery_requeue);
    st_int(st, 1, delivery_id);
    st_int(st, 2, webhook_id);
    st_int(st, 3, ktime_now());
    int rc = st_exec(st);
    if (rc)
        return rc;
    if (db_changes(db) == 1)
        return 0;
    st = db_stmt(db, SQL_delivery_status);
    st_int(st, 1, delivery_id);
    st_int(st, 2, webhook_id);
    rc = st_step(st);
    st_reset(st);
    if (rc < 0)
        return rc;
    if (!rc)
        return kf_fail(e, KF_ENOTFOUND, NULL, "no such delivery");
    return kf_fail(e, KF_ECONFLICT, NULL, "this delivery has been delivered");
}

/* ---- the dispatcher's side ---- */

int webhook_cursor(struct db *db, int64_t *ret)
{
    struct stmt *st = db_stmt(db, SQL_outbox_cursor_get);
    st_text(st, 1, cursor_name);
    int rc = st_one_int(st, ret);
    return rc < 0 ? rc : rc ? 0 : KF_EDB;
}

struct sub {
    int64_t id, since;
    const char *events;
};

static int load_subs(struct db *db, struct arena *arena, struct sub **ret, size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_webhook_subscribers);
    size_t n = 0, cap = 16;
    struct sub *v = arena_alloc(arena, cap * sizeof(*v));
    int rc;
    while ((rc = st_step(st)) == 1) {
        v = room(arena, v, n, &cap, sizeof(*v));
        v[n].id = col_int(st, 0);
        v[n].events = arena_strdup(arena, col_text(st, 1));
        v[n].since = col_int(st, 2);
        n++;
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

int webhook_wanted(struct db *db, const char *kind, int *ret)
{
    struct arena a = ARENA_INIT;
    struct sub *s;
    size_t n;
    int rc = load_subs(db, &a, &s, &n);
    *ret = 0;
    for (size_t i = 0; !rc && i < n && !*ret; i++)
        *ret = list_has(s[i].events, kind);
    arena_release(&a);
    return rc;
}

/* The delivery's body: "event", "at" and "delivery", then the members of the event. */
static void compose(struct strbuf *sb, const struct outbox_event *ev, int64_t delivery,
                    const char *members)
{
    char at[KTIME_RFC3339_LEN];
    ktime_format(ev->at, at);
    strbuf_reset(sb);
    strbuf_addstr(sb, "{\"event\":");
    json_quote(sb, ev->kind, strlen(ev->kind));
    strbuf_addf(sb, ",\"at\":\"%s\",\"delivery\":%lld", at, (long long)delivery);
    const char *rest = members + 1; /* after the object's "{" */
    while (*rest == ' ')
        rest++;
    if (*rest != '}')
        strbuf_addch(sb, ',');
    strbuf_addstr(sb, rest);
}

int webhook_fan_out(struct db *db, int64_t from, const struct outbox_event *ev,
                    const char *const *members, size_t n, int *ret_queued)
{
    *ret_queued = 0;
    if (!n)
        return 0;
    struct arena a = ARENA_INIT;
    struct strbuf body = STRBUF_INIT(16 * 1024 * 1024);
    struct sub *subs;
    size_t nsubs;
    int64_t now = ktime_now();
    int rc = load_subs(db, &a, &subs, &nsubs);
    for (size_t i = 0; !rc && i < n; i++) {
        if (!members[i])
            continue;
        for (size_t j = 0; !rc && j < nsubs; j++) {
            if (ev[i].id <= subs[j].since || !list_has(subs[j].events, ev[i].kind))
                continue;
            struct stmt *st = db_stmt(db, SQL_delivery_insert);
            st_int(st, 1, subs[j].id);
            st_int(st, 2, ev[i].id);
            st_text(st, 3, ev[i].kind);
            st_int(st, 4, now);
            if ((rc = st_exec(st)) || db_changes(db) != 1)
                continue; /* failed, or queued before */
            int64_t id = db_last_id(db);
            compose(&body, &ev[i], id, members[i]);
            st = db_stmt(db, SQL_delivery_set_body);
            st_int(st, 1, id);
            st_text(st, 2, body.buf);
            if (!(rc = st_exec(st)))
                ++*ret_queued;
        }
    }
    if (!rc) {
        struct stmt *st = db_stmt(db, SQL_outbox_cursor_move);
        st_text(st, 1, cursor_name);
        st_int(st, 2, from);
        st_int(st, 3, ev[n - 1].id);
        if (!(rc = st_exec(st)) && db_changes(db) != 1)
            rc = KF_ECONFLICT;
    }
    strbuf_release(&body);
    arena_release(&a);
    return rc;
}

int webhook_due(struct db *db, int64_t now, int max, struct arena *arena, struct webhook_due **ret,
                size_t *ret_n)
{
    struct stmt *st = db_stmt(db, SQL_deliveries_due);
    st_int(st, 1, now);
    st_int(st, 2, max);
    struct webhook_due *v = arena_alloc(arena, (size_t)max * sizeof(*v));
    size_t n = 0;
    int rc;
    while ((rc = st_step(st)) == 1) {
        struct webhook_due *d = &v[n++];
        d->id = col_int(st, 0);
        d->webhook_id = col_int(st, 1);
        d->event = arena_strdup(arena, col_text(st, 2));
        d->body = arena_strdup(arena, col_text(st, 3));
        d->attempts = (int)col_int(st, 4);
        d->url = arena_strdup(arena, col_text(st, 5));
        d->secret = arena_strdup(arena, col_text(st, 6));
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    *ret = v;
    *ret_n = n;
    return 0;
}

/* 30 s, 1, 2, 5, 15, 30 min, 1, 2, 4, 8, 8 h: twelve tries over about 24 hours. */
static const int64_t backoff_s[] = {30, 60, 120, 300, 900, 1800, 3600, 7200, 14400, 28800, 28800};

int64_t webhook_backoff(int n)
{
    size_t count = sizeof(backoff_s) / sizeof(backoff_s[0]);
    if (n < 1 || (size_t)n > count)
        return -1;
    return backoff_s[n - 1] * 1000;
}

int webhook_tried(struct db *db, int64_t id, int attempts, int64_t at, int http_status,
                  const char *error, int64_t duration_ms)
{
    int ok = http_status >= 200 && http_status < 300;
    int64_t wait = ok ? 0 : webhook_backoff(attempts + 1);
    const char *status = ok ? "delivered" : wait < 0 ? "failed" : "pending";
    struct stmt *st = db_stmt(db, SQL_delivery_tried);
    st_int(st, 1, id);
    st_text(st, 2, status);
    if (!ok && wait >= 0)
        st_int(st, 3, at + wait);
    if (http_status)
        st_int(st, 4, http_status);
    st_text(st, 5, ok ? NULL : error ? error : "the receiver did not answer with a 2xx status");
    if (ok)
        st_int(st, 6, at);
    int rc = st_exec(st);
    if (rc || db_changes(db) != 1)
        return rc; /* no longer pending (deleted, or delivered meanwhile) */
    st = db_stmt(db, SQL_try_insert);
    st_int(st, 1, id);
    st_int(st, 2, at);
    if (http_status)
        st_int(st, 3, http_status);
    st_text(st, 4, error);
    st_int(st, 5, duration_ms);
    return st_exec(st);
}
