/* arena.h: region allocator; everything allocated from an arena is freed together. */
#ifndef KEFU_ARENA_H
#define KEFU_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_block;

struct arena {
    struct arena_block *head;
    size_t used; /* bytes handed out, for limits and metrics */
};

#define ARENA_INIT                                                                                 \
    {                                                                                              \
        NULL, 0                                                                                    \
    }

/* Returns n bytes aligned for any type, zeroed; aborts on out-of-memory. */
void *arena_alloc(struct arena *a, size_t n);
/* Copies s (NULL gives NULL) into the arena. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* printf into the arena. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees every block; the arena is empty and reusable afterwards. Accepts NULL. */
void arena_release(struct arena *a);

#endif
