/* outbox.h: the outbox dispatcher: its own thread fans new events out to the notification
 * webhooks and sends the deliveries that are due, so that no network wait ever holds up a
 * request thread or the scheduler. */
#ifndef KEFU_JOBS_OUTBOX_H
#define KEFU_JOBS_OUTBOX_H

struct db;
struct arena;
struct writer;
struct outbox;
struct outbox_event;

/* Renders what an event says besides "event", "at" and "delivery" (the ticket as the API shows
 * it, contacts masked; the notice of a notification) as a JSON object text in arena. Reads
 * through db. 0, or a negative code (the event is then tried again later). */
typedef int outbox_render_fn(struct db *db, const struct outbox_event *ev, struct arena *arena,
                             const char **ret_json);

/* Starts the dispatcher with its own reading connection to the database at path; its writes
 * go to w. Returns NULL (and says why on stderr) when it cannot start. */
struct outbox *outbox_start(const char *path, struct writer *w, outbox_render_fn *render);
/* Makes it look at once for what is new or due (the test clock moved). Accepts NULL. */
void outbox_wake(struct outbox *o);
/* Ends a POST under way (it is sent again after a restart, with the same delivery id), stops
 * the thread and frees. Call before the writer stops. Accepts NULL. */
void outbox_stop(struct outbox *o);

#endif
