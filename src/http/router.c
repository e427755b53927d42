/* router.c: the route table and matching a request's path against it. */
#include "http/router.h"

#include <string.h>

#include "http/handlers.h"
#include "lib/arena.h"
#include "lib/banned.h"

static const struct route routes[] = {
#define ROUTE(method, pattern, fn, role, exec) {method, pattern, fn, role, exec},
#include "http/routes.def"
#undef ROUTE
};

/* Matches path against pattern ("/api/v1/tickets/:id"), filling params. */
static int match(const char *pattern, const char *path, const char **params, struct arena *a)
{
    int np = 0;
    while (*pattern && *path) {
        if (*pattern == ':') {
            const char *end = strchr(path, '/');
            size_t n = end ? (size_t)(end - path) : strlen(path);
            if (n == 0 || np >= REQ_MAX_PARAMS)
                return 0;
            params[np++] = arena_strndup(a, path, n);
            path += n;
            while (*pattern && *pattern != '/')
                pattern++;
            continue;
        }
        if (*pattern++ != *path++)
            return 0;
    }
    return !*pattern && !*path;
}

const struct route *route_find(const char *method, const char *path, const char **params,
                               struct arena *a, int *ret_other)
{
    *ret_other = 0;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!match(routes[i].pattern, path, params, a))
            continue;
        if (!strcmp(routes[i].method, method))
            return &routes[i];
        *ret_other = 1;
    }
    return NULL;
}
