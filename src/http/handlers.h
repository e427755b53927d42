/* handlers.h: the handlers named in routes.def, and what they share. */
#ifndef KEFU_HANDLERS_H
#define KEFU_HANDLERS_H

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

/* Counters for /metrics. */
void metrics_count_ticket(void);

#endif
