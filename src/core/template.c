/* template.c: filling a standard reply's placeholders and finding its emotion blanks. */
#include "core/template.h"

#include <string.h>

#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/strbuf.h"

struct out {
    struct strbuf sb;
    size_t chars;
    struct template_blank *blanks;
    size_t nblanks, cap;
    struct arena *arena;
};

/* Appends n bytes of valid UTF-8, counting its code points. */
static void put(struct out *o, const char *s, size_t n)
{
    if (strbuf_add(&o->sb, s, n))
        return;
    for (size_t i = 0; i < n; i++)
        o->chars += ((unsigned char)s[i] & 0xC0) != 0x80;
}

static void blank(struct out *o, size_t start_byte, size_t start, enum template_blank_kind kind)
{
    if (o->sb.overflow)
        return;
    if (o->nblanks == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 8;
        struct template_blank *v = arena_alloc(o->arena, cap * sizeof(*v));
        if (o->nblanks)
            memcpy(v, o->blanks, o->nblanks * sizeof(*v));
        o->blanks = v;
        o->cap = cap;
    }
    struct template_blank *b = &o->blanks[o->nblanks++];
    b->start = start;
    b->end = o->chars;
    b->text = arena_strndup(o->arena, o->sb.buf + start_byte, o->sb.len - start_byte);
    b->kind = kind;
}

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_';
}

/* A placeholder at p ("{{"), ending before limit: its length in bytes and its name (at
 * *ret_name, *ret_len bytes), or 0 when the braces are text. */
static size_t placeholder(const char *p, const char *limit, const char **ret_name, size_t *ret_len)
{
    const char *q = p + 2;
    while (q < limit && *q == ' ')
        q++;
    const char *name = q;
    while (q < limit && name_char(*q))
        q++;
    size_t len = (size_t)(q - name);
    while (q < limit && *q == ' ')
        q++;
    if (!len || len > TEMPLATE_NAME_MAX || q + 2 > limit || q[0] != '}' || q[1] != '}')
        return 0;
    *ret_name = name;
    *ret_len = len;
    return (size_t)(q + 2 - p);
}

static const char *lookup(const struct template_value *v, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(v[i].name) == len && !memcmp(v[i].name, name, len))
            return v[i].value && *v[i].value ? v[i].value : NULL;
    return NULL;
}

/* The "]]" closing a blank opened by the "[[" at p, or NULL when that "[[" is text: no "]]"
 * follows, the text would be empty or hold a newline, or "[[" opens again before it. */
static const char *blank_end(const char *p)
{
    const char *close = strstr(p + 2, "]]");
    if (!close || close == p + 2)
        return NULL;
    for (const char *q = p + 1; q < close; q++)
        if (*q == '\n' || (q + 1 < close && q[0] == '[' && q[1] == '['))
            return NULL;
    return close;
}

int template_fill(const char *src, const struct template_value *values, size_t n,
                  struct arena *arena, struct template_text *ret)
{
    struct out o = {.sb = STRBUF_INIT(TEMPLATE_OUT_MAX), .arena = arena};
    const char *p = src, *end = src + strlen(src);
    const char *close = NULL; /* the "]]" of the blank we are in */
    size_t blank_byte = 0, blank_char = 0;
    while (p < end && !o.sb.overflow) {
        if (close && p == close) {
            blank(&o, blank_byte, blank_char, TEMPLATE_BLANK_EMOTION);
            close = NULL;
            p += 2;
            continue;
        }
        const char *name;
        size_t len, n_ph;
        if (p[0] == '{' && p[1] == '{' &&
            (n_ph = placeholder(p, close ? close : end, &name, &len))) {
            const char *v = lookup(values, n, name, len);
            size_t start_byte = o.sb.len, start = o.chars;
            if (v) {
                put(&o, v, strlen(v));
            } else {
                put(&o, p, n_ph);
                if (!close)
                    blank(&o, start_byte, start, TEMPLATE_BLANK_PLACEHOLDER);
            }
            p += n_ph;
            continue;
        }
        const char *c;
        if (!close && p[0] == '[' && p[1] == '[' && (c = blank_end(p))) {
            close = c;
            blank_byte = o.sb.len;
            blank_char = o.chars;
            p += 2;
            continue;
        }
        /* plain text up to the next character that may start something */
        size_t run = 1 + strcspn(p + 1, "{[]");
        if (close && p + run > close)
            run = (size_t)(close - p);
        put(&o, p, run);
        p += run;
    }
    if (o.sb.overflow) {
        strbuf_release(&o.sb);
        return KF_ETOOBIG;
    }
    ret->body = arena_strndup(arena, o.sb.buf, o.sb.len);
    ret->chars = o.chars;
    ret->blanks = o.blanks;
    ret->nblanks = o.nblanks;
    strbuf_release(&o.sb);
    return 0;
}

const char *template_blank_kind_name(enum template_blank_kind k)
{
    return k == TEMPLATE_BLANK_PLACEHOLDER ? "placeholder" : "emotion";
}
