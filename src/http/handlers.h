/* handlers.h: the handlers named in routes.def, and what they share. */
#ifndef KEFU_HANDLERS_H
#define KEFU_HANDLERS_H

#include "http/http.h"

#define ROUTE(method, pattern, fn, role, exec) handler_fn fn;
#include "http/routes.def"
#undef ROUTE

/* A positive integer path parameter, or 0. */
int64_t param_id(const struct request *req, int i);
/* The 1/true query flag `key`. */
int query_flag(const struct request *req, const char *key);

/* Counters for /metrics. */
void metrics_count_ticket(void);

/* Login throttling state, shared by the login handler (auth.c). */
int login_throttled(const char *username, const char *ip, int *ret_retry_after);
void login_failed(const char *username, const char *ip);
void login_succeeded(const char *username);

#endif
