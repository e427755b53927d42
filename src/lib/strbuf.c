/* strbuf.c: growable strings with a maximum size. */
#include "lib/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/banned.h"
#include "lib/err.h"
#include "lib/xalloc.h"

char strbuf_empty[1];

void strbuf_init(struct strbuf *sb, size_t max)
{
    sb->alloc = sb->len = 0;
    sb->max = max;
    sb->overflow = 0;
    sb->buf = strbuf_empty;
}

static int grow(struct strbuf *sb, size_t extra)
{
    if (sb->overflow)
        return KF_ETOOBIG;
    if (extra > sb->max || sb->len > sb->max - extra) {
        sb->overflow = 1;
        return KF_ETOOBIG;
    }
    size_t need = sb->len + extra + 1;
    if (need <= sb->alloc)
        return 0;
    size_t alloc = sb->alloc ? sb->alloc : 64;
    while (alloc < need)
        alloc = alloc / 2 * 3 + 16;
    if (alloc > sb->max + 1)
        alloc = sb->max + 1;
    if (sb->alloc == 0) {
        sb->buf = xmalloc(alloc);
        sb->buf[0] = '\0';
    } else {
        sb->buf = xrealloc(sb->buf, alloc);
    }
    sb->alloc = alloc;
    return 0;
}

int strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
    if ((sb->overflow || sb->len + len >= sb->alloc) && grow(sb, len))
        return KF_ETOOBIG;
    if (len == 0)
        return 0;
    memcpy(sb->buf + sb->len, data, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
    return 0;
}

int strbuf_addstr(struct strbuf *sb, const char *s)
{
    return strbuf_add(sb, s, strlen(s));
}

int strbuf_addch(struct strbuf *sb, int c)
{
    if ((sb->overflow || sb->len + 1 >= sb->alloc) && grow(sb, 1))
        return KF_ETOOBIG;
    sb->buf[sb->len++] = (char)c;
    sb->buf[sb->len] = '\0';
    return 0;
}

int strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return KF_EINVAL;
    if (grow(sb, (size_t)n))
        return KF_ETOOBIG;
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
    return 0;
}

int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = strbuf_vaddf(sb, fmt, ap);
    va_end(ap);
    return rc;
}

void strbuf_reset(struct strbuf *sb)
{
    strbuf_setlen(sb, 0);
    sb->overflow = 0;
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
    if (len > sb->len)
        return;
    sb->len = len;
    if (sb->alloc)
        sb->buf[len] = '\0';
}

void strbuf_release(struct strbuf *sb)
{
    if (sb->alloc)
        free(sb->buf);
    strbuf_init(sb, sb->max);
}

char *strbuf_detach(struct strbuf *sb, size_t *ret_len)
{
    char *s;
    if (ret_len)
        *ret_len = sb->len;
    if (sb->alloc) {
        s = sb->buf;
    } else {
        s = xstrdup("");
    }
    strbuf_init(sb, sb->max);
    return s;
}
