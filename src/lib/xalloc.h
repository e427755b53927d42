/* xalloc.h: allocation that aborts on out-of-memory, for small allocations. */
#ifndef KEFU_XALLOC_H
#define KEFU_XALLOC_H

#include <stddef.h>

/* Each returns memory or aborts the process with a message; never NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
