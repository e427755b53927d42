/* jw.c: streaming JSON writer. */
#include "lib/jw.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

#include "lib/banned.h"

void jw_init(struct jw *w, struct strbuf *sb)
{
    w->sb = sb;
    w->depth = 0;
    w->first[0] = 1;
    w->after_key = 0;
}

/* Writes the comma that separates this value from the one before, if any. */
static void sep(struct jw *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (!w->first[w->depth])
        strbuf_addch(w->sb, ',');
    w->first[w->depth] = 0;
}

static void open(struct jw *w, char c)
{
    sep(w);
    strbuf_addch(w->sb, c);
    assert(w->depth + 1 < JW_MAX_DEPTH);
    w->first[++w->depth] = 1;
}

static void close_(struct jw *w, char c)
{
    assert(w->depth > 0);
    w->depth--;
    strbuf_addch(w->sb, c);
}

void jw_obj_begin(struct jw *w)
{
    open(w, '{');
}

void jw_obj_end(struct jw *w)
{
    close_(w, '}');
}

void jw_arr_begin(struct jw *w)
{
    open(w, '[');
}

void jw_arr_end(struct jw *w)
{
    close_(w, ']');
}

/* The bytes json_quote must look at: controls, '"', '\\', '<', '>', '&', and 0xE2, which starts
 * U+2028 and U+2029. Everything else is copied in runs. */
static int special(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c == 0xE2;
}

void json_quote(struct strbuf *sb, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    strbuf_addch(sb, '"');
    size_t run = 0; /* start of the pending run of bytes that need no escape */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!special(c))
            continue;
        const char *esc = NULL;
        char u[7];
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\r')
            esc = "\\r";
        else if (c == '\t')
            esc = "\\t";
        else if (c != 0xE2) {
            u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0';
            u[4] = hex[c >> 4], u[5] = hex[c & 15], u[6] = '\0';
            esc = u;
        } else if (i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
                   ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) {
            /* U+2028 and U+2029 end a line in JavaScript source */
            strbuf_add(sb, s + run, i - run);
            strbuf_addstr(sb, (unsigned char)s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
            i += 2;
            run = i + 1;
            continue;
        }
        if (esc) {
            strbuf_add(sb, s + run, i - run);
            strbuf_addstr(sb, esc);
            run = i + 1;
        }
    }
    strbuf_add(sb, s + run, n - run);
    strbuf_addch(sb, '"');
}

void jw_key(struct jw *w, const char *key)
{
    /* keys are nearly always short names that need no escape: written in one piece */
    char buf[64];
    size_t n = strlen(key), len = 0;
    int plain = n + 4 <= sizeof(buf);
    for (size_t i = 0; plain && i < n; i++)
        plain = !special((unsigned char)key[i]);
    if (!plain) {
        sep(w);
        json_quote(w->sb, key, n);
        strbuf_addch(w->sb, ':');
    } else {
        if (!w->first[w->depth])
            buf[len++] = ',';
        w->first[w->depth] = 0;
        buf[len++] = '"';
        memcpy(buf + len, key, n);
        len += n;
        buf[len++] = '"';
        buf[len++] = ':';
        strbuf_add(w->sb, buf, len);
    }
    w->after_key = 1;
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
    sep(w);
    if (!s)
        strbuf_addstr(w->sb, "null");
    else
        json_quote(w->sb, s, n);
}

void jw_str(struct jw *w, const char *s)
{
    jw_strn(w, s, s ? strlen(s) : 0);
}

void jw_int(struct jw *w, int64_t v)
{
    char buf[24], *p = buf + sizeof(buf);
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    sep(w);
    strbuf_add(w->sb, p, (size_t)(buf + sizeof(buf) - p));
}

void jw_bool(struct jw *w, int v)
{
    sep(w);
    strbuf_addstr(w->sb, v ? "true" : "false");
}

void jw_null(struct jw *w)
{
    sep(w);
    strbuf_addstr(w->sb, "null");
}

void jw_raw(struct jw *w, const char *json)
{
    sep(w);
    strbuf_addstr(w->sb, json ? json : "null");
}

void jw_kstr(struct jw *w, const char *key, const char *s)
{
    jw_key(w, key);
    jw_str(w, s);
}

void jw_kint(struct jw *w, const char *key, int64_t v)
{
    jw_key(w, key);
    jw_int(w, v);
}

void jw_kbool(struct jw *w, const char *key, int v)
{
    jw_key(w, key);
    jw_bool(w, v);
}

void jw_knull(struct jw *w, const char *key)
{
    jw_key(w, key);
    jw_null(w);
}

void jw_kraw(struct jw *w, const char *key, const char *json)
{
    jw_key(w, key);
    jw_raw(w, json);
}
