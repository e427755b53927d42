/* router.h: the route table (routes.def): which handler answers a method and path, for whom,
 * and how it runs. */
#ifndef KEFU_ROUTER_H
#define KEFU_ROUTER_H

#include "core/actor.h"
#include "http/http.h"

struct arena;

enum exec { EXEC_READ, EXEC_WRITE, EXEC_SLOW, EXEC_AUDITED, EXEC_STREAM, EXEC_NET, EXEC_LONG };

struct route {
    const char *method, *pattern;
    handler_fn *fn;
    enum role role;
    enum exec exec;
};

/* The route for method and path, with the path's :params in params (strings in a); NULL and
 * *ret_other set when a route matched the path with another method (405). */
const struct route *route_find(const char *method, const char *path, const char **params,
                               struct arena *a, int *ret_other);

#endif
