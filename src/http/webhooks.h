/* webhooks.h: what the notification webhook's deliveries say of an event (for jobs/outbox.c). */
#ifndef KEFU_HTTP_WEBHOOKS_H
#define KEFU_HTTP_WEBHOOKS_H

struct db;
struct arena;
struct outbox_event;

/* An outbox_render_fn: {"ticket": the ticket as GET /api/v1/tickets/{id} shows it with contacts
 * masked (null when the event is of no ticket), then "notification" {"id", "kind", "user":
 * {"id", "name"}, "notice"} for notification.created, else "detail" (the event's own
 * payload)}. 0, or a negative code when the database failed. */
int webhook_render(struct db *db, const struct outbox_event *ev, struct arena *a,
                   const char **ret_json);

#endif
