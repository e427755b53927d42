/* strbuf.h: growable string with a mandatory maximum size (git's invariants, curl's cap). */
#ifndef KEFU_STRBUF_H
#define KEFU_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

/* buf is never NULL and always NUL-terminated; len excludes the NUL. An append that would
 * pass max leaves the buffer as it was, sets `overflow` (sticky) and returns KF_ETOOBIG, so a
 * caller may append many pieces and check once at the end. */
struct strbuf {
    size_t alloc, len, max;
    int overflow;
    char *buf;
};

extern char strbuf_empty[];
#define STRBUF_INIT(maxbytes)                                                                      \
    {                                                                                              \
        0, 0, (maxbytes), 0, strbuf_empty                                                          \
    }

void strbuf_init(struct strbuf *sb, size_t max);
int strbuf_add(struct strbuf *sb, const void *data, size_t len);
int strbuf_addstr(struct strbuf *sb, const char *s);
int strbuf_addch(struct strbuf *sb, int c);
int strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Empties the buffer, keeping its memory. */
void strbuf_reset(struct strbuf *sb);
/* Shortens to len (len <= sb->len). */
void strbuf_setlen(struct strbuf *sb, size_t len);
/* Frees the memory; the buffer is empty and usable again. */
void strbuf_release(struct strbuf *sb);
/* Hands the string over to the caller (free() it); the buffer is empty again. */
char *strbuf_detach(struct strbuf *sb, size_t *ret_len);

#endif
