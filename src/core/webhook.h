/* webhook.h: the notification webhook: an admin's subscriptions to outbox events, and the
 * deliveries queued for them, each with its tries.
 *
 * The outbox dispatcher (jobs/outbox.c) reads events after its cursor, queues one delivery per
 * subscribed webhook and moves the cursor in one transaction (webhook_fan_out), so an event is
 * queued exactly once; it then sends what is due and records each try (webhook_tried). */
#ifndef KEFU_WEBHOOK_H
#define KEFU_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct actor;
struct kf_error;

enum {
    WEBHOOK_URL_MAX = 2048,
    WEBHOOK_SECRET_MIN = 16,
    WEBHOOK_SECRET_MAX = 512,
    WEBHOOK_EVENTS_MAX = 32,
    WEBHOOK_DELIVERIES_MAX = 100, /* a page of deliveries */
};

/* The kinds of event a webhook may take, NULL-terminated ("*" takes them all). */
extern const char *const webhook_event_kinds[];

struct webhook {
    int64_t id;
    const char *url;
    const char *events; /* comma-separated kinds, or "*" */
    int enabled;
    int64_t created_at, updated_at;
    const char *secret; /* for the sender only: never shown */
};

/* What an admin sets; NULL or has_* == 0 leaves a field as it is on update. */
struct webhook_input {
    const char *url, *secret;
    const char **events;
    size_t nevents;
    int has_events;
    int enabled, has_enabled;
};

/* Create and update check the input (url http(s) with a host, secret of WEBHOOK_SECRET_MIN
 * characters or more, events known and not empty) and return 0 with *ret, or KF_EINVAL with e
 * naming the field; update KF_ENOTFOUND for an unknown id. Each writes an audit row (without
 * the secret). */
int webhook_create(struct db *db, const struct actor *actor, const struct webhook_input *in,
                   struct arena *arena, struct webhook *ret, struct kf_error *e);
int webhook_update(struct db *db, const struct actor *actor, int64_t id,
                   const struct webhook_input *in, struct arena *arena, struct webhook *ret,
                   struct kf_error *e);
/* Removes the webhook with its deliveries. 0 or KF_ENOTFOUND. */
int webhook_delete(struct db *db, const struct actor *actor, int64_t id);
int webhook_get(struct db *db, int64_t id, struct arena *arena, struct webhook *ret);
int webhook_list(struct db *db, struct arena *arena, struct webhook **ret, size_t *ret_n);

struct webhook_try {
    int64_t id, at;
    int http_status; /* 0: no answer (see error) */
    const char *error;
    int64_t duration_ms;
};

struct webhook_delivery {
    int64_t id, event_id;
    const char *event, *status; /* pending, delivered, failed */
    int attempts;               /* tries since it was last queued */
    int64_t next_at;            /* 0 unless pending */
    int last_status;
    const char *last_error;
    int64_t created_at, delivered_at;
    const char *body;
    struct webhook_try *tries;
    size_t ntries;
};

/* The webhook's deliveries with id below `before` (0: from the newest), newest first, each
 * with its tries. KF_ENOTFOUND for an unknown webhook. */
int webhook_deliveries(struct db *db, int64_t webhook_id, int64_t before, int limit,
                       struct arena *arena, struct webhook_delivery **ret, size_t *ret_n);
/* Makes a failed delivery pending again, its attempts counted afresh, or a pending one due
 * now: either is tried at once. KF_ENOTFOUND for an unknown one, KF_ECONFLICT (e says why) for
 * one delivered. */
int webhook_retry(struct db *db, int64_t webhook_id, int64_t delivery_id, struct kf_error *e);

/* ---- the dispatcher's side ---- */

struct outbox_event; /* core/outbox.h: outbox_read() reads them */

/* Where the dispatcher is: the last event fanned out. */
int webhook_cursor(struct db *db, int64_t *ret);
/* Whether an enabled webhook takes events of this kind. */
int webhook_wanted(struct db *db, const char *kind, int *ret);

/* In one transaction: queues a delivery of each of the n events to every enabled webhook that
 * takes its kind and was made before it, with the body built from members[i] (a JSON object
 * text of what the event says besides "event", "at" and "delivery"; NULL: not queued), and
 * moves the cursor from `from` to the last event. KF_ECONFLICT when the cursor is no longer at
 * `from`; a delivery already queued is left as it is. *ret_queued counts the new ones. */
int webhook_fan_out(struct db *db, int64_t from, const struct outbox_event *ev,
                    const char *const *members, size_t n, int *ret_queued);

struct webhook_due {
    int64_t id, webhook_id;
    const char *event, *body, *url, *secret;
    int attempts;
};

/* Up to max pending deliveries of enabled webhooks due at `now`, the most overdue first. */
int webhook_due(struct db *db, int64_t now, int max, struct arena *arena, struct webhook_due **ret,
                size_t *ret_n);
/* Records a try of delivery id made at `at`: http_status 2xx delivers it; anything else
 * (error says what, for no answer) counts an attempt and sets the next by back-off, or marks
 * it failed once the back-off is spent. A delivery no longer pending is left alone. */
int webhook_tried(struct db *db, int64_t id, int attempts, int64_t at, int http_status,
                  const char *error, int64_t duration_ms);
/* Milliseconds to wait after the n-th failed try (1-based), or -1: give up. */
int64_t webhook_backoff(int n);

#endif
