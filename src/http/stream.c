/* stream.c: the live stream (GET /api/v1/stream) and its hub.
 *
 * The hub is one thread with its own reading connection. The writer wakes it after every
 * durable commit (writer_set_durable_hook), saying up to which event the disk holds; it reads
 * the events rows it has not seen up to there, once,
 * formats each as an SSE message and appends it to the buffer of every stream whose caller may
 * see it (core/outbox.h), then resumes those streams. A stream's content reader hands out what
 * its buffer holds; with nothing to send it suspends its own connection and returns 0, which
 * libmicrohttpd allows only together with MHD_suspend_connection (microhttpd.h, on
 * MHD_ContentReaderCallback): an idle stream is then out of the event loop altogether, and a
 * thousand of them cost nothing until something happens. Every STREAM_HEARTBEAT_MS the hub
 * sends each stream a comment (proxies and the connection timeout see traffic; a client that
 * went away is found when the write fails) and checks that its session or token still holds.
 *
 * Locks: the hub's mutex guards the list of streams and their reference counts; a stream's
 * own mutex guards its buffer and its suspended flag. MHD_suspend_connection is called by the
 * content reader under the stream's mutex, MHD_resume_connection by the hub after releasing
 * both, for a stream whose flag it cleared: so each resume follows its suspend. A stream is
 * freed once libmicrohttpd is done with its response and the hub holds no reference. */
#define _GNU_SOURCE
#include "http/stream.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/chat.h"
#include "core/outbox.h"
#include "http/handlers.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "lib/xalloc.h"
#include "store/db.h"
#include "store/writer.h"

enum {
    BATCH = 500,                /* events read at a time */
    CATCHUP_MAX = 5000,         /* events a resuming stream may have missed and still get */
    BUF_MAX = 256 * 1024,       /* bytes waiting for a slow client before its stream is closed */
    CATCHUP_BUDGET = 64 * 1024, /* a resuming stream's backlog goes out in pieces of this size */
    BUF_KEEP = 16 * 1024,       /* a drained buffer larger than this gives its memory back */
};

struct sse {
    pthread_mutex_t mu;
    struct strbuf out; /* what is still to be sent, from off */
    size_t off;
    int suspended; /* the content reader suspended the connection; the hub resumes it */
    int closed;    /* ends the response once out is sent */
    int backlog;   /* catching up, and waiting for out to drain before the next piece */
    /* the hub's (under its mutex) */
    int refs; /* libmicrohttpd's response, and the hub while it works on the stream */
    int registered;
    int catchup;     /* resuming: the events after last_id are still to be read for it */
    int64_t last_id; /* the newest event it has been given (or need not get) */
    struct viewer viewer;
    struct MHD_Connection *conn;
    int fd; /* the connection's socket, to see whether the client left */
    struct sse *prev, *next;
};

static struct {
    int started, stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* wakes the hub */
    pthread_cond_t gone_cv; /* a stream was released */
    int wake;
    struct sse *head;
    int nstreams;
    int64_t last_id;    /* the newest event read; only the hub's thread moves it */
    int64_t durable_id; /* the newest event known to be on disk */
    long identity_gen;
    struct db *hook_db; /* the durable hook's, on the writer's sync thread */
    struct db *db;
    pthread_t thread;
} hub;

/* ---- streams ---- */

static void sse_free(struct sse *s)
{
    pthread_mutex_destroy(&s->mu);
    strbuf_release(&s->out);
    free(s);
}

/* Drops a reference; under the hub's mutex. */
static void sse_unref_locked(struct sse *s)
{
    if (--s->refs == 0)
        sse_free(s);
}

/* Appends text (n bytes) to s, or closes s when a slow client lets too much wait: it resumes
 * from its Last-Event-ID when it comes back. Returns whether s needs waking. */
static int sse_add(struct sse *s, const char *text, size_t n)
{
    pthread_mutex_lock(&s->mu);
    if (!s->closed) {
        if (s->out.len - s->off + n > BUF_MAX || strbuf_add(&s->out, text, n))
            s->closed = 1;
    }
    int wake = s->suspended;
    pthread_mutex_unlock(&s->mu);
    return wake;
}

static void sse_close(struct sse *s)
{
    pthread_mutex_lock(&s->mu);
    s->closed = 1;
    pthread_mutex_unlock(&s->mu);
}

/* Resumes s if its content reader suspended it. The caller holds a reference, no lock. */
static void sse_wake(struct sse *s)
{
    pthread_mutex_lock(&s->mu);
    int resume = s->suspended;
    s->suspended = 0;
    pthread_mutex_unlock(&s->mu);
    if (resume)
        MHD_resume_connection(s->conn);
}

static void hub_wake(void *arg);

/* Whether the client of a suspended stream has closed its end: libmicrohttpd does not look
 * while a connection is suspended, and a write finds it only at the second try. An event
 * stream's client sends nothing after its request, so a readable end of file means gone. */
static int sse_gone(struct sse *s)
{
    pthread_mutex_lock(&s->mu);
    char c;
    int gone = s->suspended && s->fd >= 0 && recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
    if (gone)
        s->closed = 1;
    pthread_mutex_unlock(&s->mu);
    return gone;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct sse *s = cls;
    (void)pos;
    pthread_mutex_lock(&s->mu);
    size_t left = s->out.len - s->off;
    if (left) {
        size_t n = left < max ? left : max;
        memcpy(buf, s->out.buf + s->off, n);
        s->off += n;
        int more = 0;
        if (s->off == s->out.len) {
            if (s->out.alloc > BUF_KEEP) { /* a burst is over: give back its memory */
                strbuf_release(&s->out);
                strbuf_init(&s->out, BUF_MAX + 64 * 1024);
            } else {
                strbuf_reset(&s->out);
            }
            s->off = 0;
            more = s->backlog;
            s->backlog = 0;
        }
        pthread_mutex_unlock(&s->mu);
        if (more)
            hub_wake(NULL); /* the next piece of what it missed */
        return (ssize_t)n;
    }
    if (s->closed) {
        pthread_mutex_unlock(&s->mu);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    s->suspended = 1;
    MHD_suspend_connection(s->conn);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

/* libmicrohttpd is done with the response: the connection ended. */
static void sse_done(void *cls)
{
    struct sse *s = cls;
    pthread_mutex_lock(&hub.mu);
    if (s->registered) {
        s->registered = 0;
        if (s->prev)
            s->prev->next = s->next;
        else
            hub.head = s->next;
        if (s->next)
            s->next->prev = s->prev;
        hub.nstreams--;
        pthread_cond_broadcast(&hub.gone_cv);
    }
    sse_unref_locked(s);
    pthread_mutex_unlock(&hub.mu);
}

/* ---- the hub ---- */

/* Takes a reference on every stream matching want (NULL: all) into a new array. With
 * new_last >= 0, moves hub.last_id there in the same hold of the lock: a stream opened from
 * then on starts after it, one opened before is among those taken. */
static struct sse **collect(int (*want)(const struct sse *), int64_t new_last, int *ret_n)
{
    pthread_mutex_lock(&hub.mu);
    struct sse **v = xmalloc(((size_t)hub.nstreams + 1) * sizeof(*v));
    int n = 0;
    for (struct sse *s = hub.head; s; s = s->next)
        if (!want || want(s)) {
            s->refs++;
            v[n++] = s;
        }
    if (new_last >= 0)
        hub.last_id = new_last;
    pthread_mutex_unlock(&hub.mu);
    *ret_n = n;
    return v;
}

/* Wakes what needs it and drops the references of v. */
static void release(struct sse **v, const char *wake, int n)
{
    for (int i = 0; i < n; i++)
        if (!wake || wake[i])
            sse_wake(v[i]);
    pthread_mutex_lock(&hub.mu);
    for (int i = 0; i < n; i++)
        sse_unref_locked(v[i]);
    pthread_mutex_unlock(&hub.mu);
    free(v);
}

/* An event as an SSE message: id, event and one data line of
 * {"kind", "entity", "entity_id", "at", "payload"}. */
static void format_event(struct strbuf *sb, const struct outbox_event *ev)
{
    char at[KTIME_RFC3339_LEN];
    ktime_format(ev->at, at);
    strbuf_addf(sb, "id: %lld\nevent: %s\ndata: {\"kind\":", (long long)ev->id, ev->kind);
    json_quote(sb, ev->kind, strlen(ev->kind));
    strbuf_addstr(sb, ",\"entity\":");
    json_quote(sb, ev->entity, strlen(ev->entity));
    strbuf_addf(sb, ",\"entity_id\":%lld,\"at\":\"%s\",\"payload\":", (long long)ev->entity_id, at);
    /* the payload is JSON written by Kefu; a line break in it would end the data line, and is
     * only ever whitespace between tokens there */
    for (const char *p = ev->payload; *p; p++)
        strbuf_addch(sb, *p == '\n' || *p == '\r' ? ' ' : *p);
    strbuf_addstr(sb, "}\n\n");
}

/* A chat event as its visitor gets it: the event named without "chat." (message, accepted,
 * closed) and its payload as the data. */
static void format_visitor_event(struct strbuf *sb, const struct outbox_event *ev)
{
    strbuf_addf(sb, "id: %lld\nevent: %s\ndata: ", (long long)ev->id, ev->kind + 5);
    for (const char *p = ev->payload; *p; p++)
        strbuf_addch(sb, *p == '\n' || *p == '\r' ? ' ' : *p);
    strbuf_addstr(sb, "\n\n");
}

/* One batch of events with their messages and audiences (read lazily, once each). */
struct batch {
    struct arena arena;
    struct outbox_event ev[BATCH];
    struct strbuf msg[BATCH];
    struct strbuf vmsg[BATCH]; /* a chat event as its visitor gets it; empty for the others */
    struct audience aud[BATCH];
    int has_aud[BATCH];
    int n;
};

static int batch_read(struct batch *b, int64_t after, int64_t upto)
{
    for (int i = 0; i < b->n; i++) {
        strbuf_release(&b->msg[i]);
        strbuf_release(&b->vmsg[i]);
    }
    arena_release(&b->arena);
    b->n = 0;
    int n = outbox_read(hub.db, after, upto, BATCH, &b->arena, b->ev);
    db_reset_all(hub.db);
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++) {
        strbuf_init(&b->msg[i], 1024 * 1024);
        format_event(&b->msg[i], &b->ev[i]);
        strbuf_init(&b->vmsg[i], 1024 * 1024);
        if (!strncmp(b->ev[i].kind, "chat.", 5))
            format_visitor_event(&b->vmsg[i], &b->ev[i]);
        b->has_aud[i] = 0;
    }
    b->n = n;
    return n;
}

/* Whether the event i of b is for s's viewer. */
static int batch_for(struct batch *b, int i, const struct sse *s)
{
    if (s->viewer.chat_id)
        return audience_visitor(&b->ev[i], &s->viewer);
    if (!b->has_aud[i]) {
        if (audience_load(hub.db, &b->ev[i], &b->aud[i]))
            b->aud[i] = (struct audience){.ticket = 1}; /* unreadable: leads only */
        b->has_aud[i] = 1;
    }
    return audience_includes(&b->aud[i], &s->viewer);
}

static size_t sse_pending(struct sse *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->out.len - s->off;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* Hands the events of b after s->last_id and up to upto that s may see to s; with a budget,
 * stops (*ret_full) once more than that many bytes wait. Returns whether s needs waking. Runs
 * on the hub's thread, which alone changes last_id and viewer. */
static int deliver(struct batch *b, struct sse *s, int64_t upto, size_t budget, int *ret_full)
{
    int wake = 0;
    for (int i = 0; i < b->n && b->ev[i].id <= upto; i++) {
        if (b->ev[i].id <= s->last_id)
            continue;
        if (budget && sse_pending(s) > budget) {
            *ret_full = 1;
            break;
        }
        if (batch_for(b, i, s)) {
            const struct strbuf *m = s->viewer.chat_id ? &b->vmsg[i] : &b->msg[i];
            wake |= sse_add(s, m->buf, m->len);
        }
        s->last_id = b->ev[i].id;
    }
    return wake;
}

static int wants_catchup(const struct sse *s)
{
    return s->catchup;
}

/* Streams that resumed from an older event get what they missed, up to hub.last_id. */
static void catch_up(struct batch *b)
{
    int n;
    struct sse **v = collect(wants_catchup, -1, &n);
    char *wake = xcalloc((size_t)n + 1, 1);
    for (int i = 0; i < n; i++) {
        struct sse *s = v[i];
        /* the events after hub.last_id come to every stream alike, next; a long backlog goes
         * out a piece at a time, the next when the client has taken the last */
        int full = 0;
        while (!full && s->last_id < hub.last_id && batch_read(b, s->last_id, hub.last_id) > 0) {
            int64_t last = s->last_id;
            wake[i] |= (char)deliver(b, s, hub.last_id, CATCHUP_BUDGET, &full);
            if (s->last_id == last)
                break;
        }
        if (full) {
            pthread_mutex_lock(&s->mu);
            int drained = s->out.len == s->off; /* taken already: no reader will say so */
            s->backlog = !drained;
            pthread_mutex_unlock(&s->mu);
            if (drained) {
                pthread_mutex_lock(&hub.mu);
                hub.wake = 1;
                pthread_mutex_unlock(&hub.mu);
            }
            continue;
        }
        pthread_mutex_lock(&hub.mu);
        s->catchup = 0;
        pthread_mutex_unlock(&hub.mu);
    }
    release(v, wake, n);
    free(wake);
}

static int not_catching_up(const struct sse *s)
{
    return !s->catchup;
}

/* Reads the events after hub.last_id and hands them out. */
static void pump(struct batch *b)
{
    catch_up(b);
    pthread_mutex_lock(&hub.mu);
    int64_t durable = hub.durable_id;
    pthread_mutex_unlock(&hub.mu);
    for (;;) {
        int got = batch_read(b, hub.last_id, durable);
        if (got <= 0)
            break;
        int n;
        struct sse **v = collect(not_catching_up, b->ev[got - 1].id, &n);
        char *wake = xcalloc((size_t)n + 1, 1);
        for (int i = 0; i < n; i++)
            wake[i] = (char)deliver(b, v[i], INT64_MAX, 0, NULL);
        release(v, wake, n);
        free(wake);
        if (got < BATCH)
            break;
    }
}

/* Checks every stream's session or token (a revoked or expired one closes the stream) and,
 * when heartbeat, sends each a comment. */
static void check_all(int heartbeat)
{
    int n;
    struct sse **v = collect(NULL, -1, &n);
    int64_t now = ktime_now();
    for (int i = 0; i < n; i++) {
        int rc = viewer_refresh(hub.db, &v[i]->viewer, now);
        if (rc == KF_EAUTH)
            sse_close(v[i]);
        else if (heartbeat && sse_gone(v[i]))
            continue;
        else if (heartbeat)
            sse_add(v[i], ":\n\n", 3);
    }
    db_reset_all(hub.db);
    char *wake = xcalloc((size_t)n + 1, 1);
    for (int i = 0; i < n; i++) {
        pthread_mutex_lock(&v[i]->mu);
        wake[i] = (char)(v[i]->closed || v[i]->out.len > v[i]->off);
        pthread_mutex_unlock(&v[i]->mu);
    }
    release(v, wake, n);
    free(wake);
}

static void hub_wake(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&hub.mu);
    hub.wake = 1;
    pthread_cond_signal(&hub.cv);
    pthread_mutex_unlock(&hub.mu);
}

/* The writer's durable hook: what it committed is on disk now. The newest event is read here,
 * before the writer may commit again (it waits for this sync to end), so that the hub never
 * sends an event a crash could still take back: its id would then be given to another. */
static void hub_durable(void *arg)
{
    (void)arg;
    int64_t last = 0;
    int rc = outbox_last(hub.hook_db, &last);
    db_reset_all(hub.hook_db);
    pthread_mutex_lock(&hub.mu);
    if (!rc && last > hub.durable_id)
        hub.durable_id = last;
    hub.wake = 1;
    pthread_cond_signal(&hub.cv);
    pthread_mutex_unlock(&hub.mu);
}

static void *hub_main(void *arg)
{
    (void)arg;
    struct batch *b = xcalloc(1, sizeof(*b));
    int64_t beat = ktime_monotonic() + STREAM_HEARTBEAT_MS;
    pthread_mutex_lock(&hub.mu);
    while (!hub.stop) {
        if (!hub.wake) {
            struct timespec until = {(time_t)(beat / 1000), (long)(beat % 1000) * 1000000L};
            pthread_cond_timedwait(&hub.cv, &hub.mu, &until);
        }
        if (hub.stop)
            break;
        int woke = hub.wake;
        hub.wake = 0;
        pthread_mutex_unlock(&hub.mu);
        if (woke)
            pump(b);
        int64_t now = ktime_monotonic();
        long gen = db_identity_generation();
        int heartbeat = now >= beat;
        if (heartbeat || gen != hub.identity_gen) {
            hub.identity_gen = gen;
            check_all(heartbeat);
            if (heartbeat)
                beat = now + STREAM_HEARTBEAT_MS;
        }
        pthread_mutex_lock(&hub.mu);
    }
    pthread_mutex_unlock(&hub.mu);
    for (int i = 0; i < b->n; i++) {
        strbuf_release(&b->msg[i]);
        strbuf_release(&b->vmsg[i]);
    }
    arena_release(&b->arena);
    free(b);
    return NULL;
}

int stream_hub_start(const char *path, struct writer *w)
{
    struct kf_error e = {0};
    if (db_open(path, DB_NO_CHECKPOINT, &hub.db, &e) ||
        db_open(path, DB_NO_CHECKPOINT, &hub.hook_db, &e)) {
        fprintf(stderr, "kefu: cannot open \"%s\" for the live stream: %s\n", path, e.message);
        db_close(hub.db);
        hub.db = NULL;
        return KF_EDB;
    }
    if (outbox_last(hub.db, &hub.last_id)) {
        fprintf(stderr, "kefu: cannot read the outbox: %s\n", db_errmsg(hub.db));
        db_close(hub.db);
        db_close(hub.hook_db);
        hub.db = hub.hook_db = NULL;
        return KF_EDB;
    }
    db_reset_all(hub.db);
    hub.durable_id = hub.last_id; /* what a restart finds is on disk */
    pthread_mutex_init(&hub.mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&hub.cv, &attr);
    pthread_cond_init(&hub.gone_cv, &attr);
    pthread_condattr_destroy(&attr);
    hub.identity_gen = db_identity_generation();
    hub.started = 1;
    pthread_create(&hub.thread, NULL, hub_main, NULL);
    pthread_setname_np(hub.thread, "kefu-stream");
    writer_set_durable_hook(w, hub_durable, NULL);
    return 0;
}

void stream_hub_stop(void)
{
    if (!hub.started)
        return;
    pthread_mutex_lock(&hub.mu);
    int was = hub.stop;
    hub.stop = 1;
    pthread_cond_signal(&hub.cv);
    pthread_mutex_unlock(&hub.mu);
    if (was)
        return;
    pthread_join(hub.thread, NULL);
    int n;
    struct sse **v = collect(NULL, -1, &n);
    for (int i = 0; i < n; i++)
        sse_close(v[i]);
    release(v, NULL, n);
    /* each ends its response; a client that went away is found at the write */
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += 3;
    pthread_mutex_lock(&hub.mu);
    while (hub.nstreams > 0)
        if (pthread_cond_timedwait(&hub.gone_cv, &hub.mu, &until))
            break;
    pthread_mutex_unlock(&hub.mu);
}

void stream_hub_free(void)
{
    if (!hub.started)
        return;
    db_close(hub.db);
    db_close(hub.hook_db);
    hub.db = hub.hook_db = NULL;
}

/* ---- the handler ---- */

/* Whether two viewers are one caller for the per-user cap: a user, or one chat's visitor. */
static int same_caller(const struct viewer *a, const struct viewer *b)
{
    return a->chat_id || b->chat_id ? a->chat_id == b->chat_id : a->user_id == b->user_id;
}

/* Opens a stream for v from event `resume` (-1: from now), registered with the hub, holding
 * the reference that its response will own. KF_ELIMIT over the caps, KF_ESHUTDOWN when
 * stopping. */
static int stream_open(const struct viewer *v, int64_t resume, struct sse **ret)
{
    pthread_mutex_lock(&hub.mu);
    int mine = 0;
    for (struct sse *s = hub.head; s; s = s->next)
        mine += same_caller(&s->viewer, v);
    if (mine >= STREAM_PER_USER_MAX) {
        /* a tab closed a moment ago may still be counted: those whose client left make room */
        struct sse *gone[STREAM_PER_USER_MAX * 2];
        int ngone = 0;
        for (struct sse *s = hub.head; s && ngone < STREAM_PER_USER_MAX * 2; s = s->next)
            if (same_caller(&s->viewer, v) && sse_gone(s)) {
                s->refs++;
                gone[ngone++] = s;
            }
        mine -= ngone;
        pthread_mutex_unlock(&hub.mu);
        for (int i = 0; i < ngone; i++)
            sse_wake(gone[i]); /* it ends, and libmicrohttpd lets it go */
        pthread_mutex_lock(&hub.mu);
        for (int i = 0; i < ngone; i++)
            sse_unref_locked(gone[i]);
    }
    int rc = !hub.started || hub.stop                                    ? KF_ESHUTDOWN
             : hub.nstreams >= STREAM_MAX || mine >= STREAM_PER_USER_MAX ? KF_ELIMIT
                                                                         : 0;
    if (rc) {
        pthread_mutex_unlock(&hub.mu);
        return rc;
    }
    struct sse *s = xcalloc(1, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    strbuf_init(&s->out, BUF_MAX + 64 * 1024);
    s->viewer = *v;
    s->refs = 1;
    s->registered = 1;
    int missed = 0;
    if (resume < 0 || resume >= hub.last_id) {
        s->last_id = hub.last_id;
    } else if (hub.last_id - resume > CATCHUP_MAX) {
        s->last_id = hub.last_id;
        missed = 1;
    } else {
        s->last_id = resume;
        s->catchup = 1;
        hub.wake = 1;
        pthread_cond_signal(&hub.cv);
    }
    strbuf_addf(&s->out,
                "retry: %d\n: kefu live stream\n\nid: %lld\nevent: ready\n"
                "data: {\"last_event_id\":%lld,\"missed\":%s}\n\n",
                STREAM_RETRY_MS, (long long)s->last_id, (long long)s->last_id,
                missed ? "true" : "false");
    s->next = hub.head;
    if (hub.head)
        hub.head->prev = s;
    hub.head = s;
    hub.nstreams++;
    pthread_mutex_unlock(&hub.mu);
    *ret = s;
    return 0;
}

struct MHD_Response *stream_response(struct sse *s, struct MHD_Connection *conn)
{
    s->conn = conn;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    s->fd = ci ? ci->connect_fd : -1;
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, sse_read, s, sse_done);
    if (!r) {
        sse_done(s);
        return NULL;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Accel-Buffering", "no"); /* nginx: pass each event on */
    return r;
}

/* The event a stream resumes after (Last-Event-ID or ?last_event_id=), -1 from now; 0, or the
 * status it replied with. */
static int resume_or_reply(struct request *req, struct response *resp, int64_t *ret)
{
    const char *raw = req->last_event_id ? req->last_event_id : req_query(req, "last_event_id");
    *ret = -1;
    if (raw && *raw) {
        *ret = strcmp(raw, "0") ? parse_id(raw) : 0;
        if (*ret == 0 && strcmp(raw, "0"))
            return reply_errorf(resp, 422, "validation_failed", "last_event_id",
                                "last_event_id must be the id of an event");
    }
    return 0;
}

int h_chat_stream(struct request *req, struct response *resp)
{
    int64_t resume;
    int rc = resume_or_reply(req, resp, &resume);
    if (rc)
        return rc;
    struct chat c;
    rc = chat_get(req->db, req->chat_id, req->arena, &c);
    db_reset_all(req->db);
    struct viewer v = {.role = ROLE_NONE, .chat_id = c.id, .chat_ticket_id = c.ticket_id};
    if (rc || (rc = stream_open(&v, resume, &resp->stream)))
        return reply_error(resp, rc, NULL);
    return 200;
}

int h_stream(struct request *req, struct response *resp)
{
    int64_t resume;
    int rc = resume_or_reply(req, resp, &resume);
    if (rc)
        return rc;
    struct viewer v;
    rc = viewer_load(req->db, &req->actor, &v);
    db_reset_all(req->db);
    if (rc || (rc = stream_open(&v, resume, &resp->stream)))
        return reply_error(resp, rc, NULL);
    return 200;
}
