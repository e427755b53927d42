/* handlers.h: the handlers named in routes.def, and what they share. */
#ifndef KEFU_HANDLERS_H
#define KEFU_HANDLERS_H

#include <jansson.h>

#include "http/http.h"

#define ROUTE(method, pattern, fn, role, exec) handler_fn fn;
#include "http/routes.def"
#undef ROUTE

/* A positive decimal id, or 0 for anything else (NULL included). */
int64_t parse_id(const char *s);
/* The i-th path parameter as an id, or 0. */
int64_t param_id(const struct request *req, int i);
/* The 1/true query flag `key`. */
int query_flag(const struct request *req, const char *key);

struct ticket_input;
/* Reads a ticket as POST /api/v1/tickets takes it from o into in (strings in the request's
 * arena). 0, or KF_EINVAL with e naming the field. */
int ticket_input_read(struct request *req, json_t *o, struct ticket_input *in, struct kf_error *e);

struct attachment;
/* Answers with the file a (its data read) as a download that is never rendered in the app's
 * origin (Content-Disposition: attachment, a sandbox policy). Returns 200. */
int attachment_download(struct request *req, struct response *resp, const struct attachment *a);

/* Answers 429 too_many_requests with message and a Retry-After of the seconds until retry_ms
 * (milliseconds, from a throttle) are over, at least one. Returns 429. */
int reply_limited(struct request *req, struct response *resp, int64_t retry_ms,
                  const char *message);

/* Counters for /metrics. */
void metrics_count_ticket(void);

#endif
