/* jw.h: a streaming JSON writer into a strbuf; commas and escaping are its business. */
#ifndef KEFU_JW_H
#define KEFU_JW_H

#include <stdint.h>

#include "lib/strbuf.h"

enum { JW_MAX_DEPTH = 32 };

struct jw {
    struct strbuf *sb;
    int depth;
    unsigned char first[JW_MAX_DEPTH];
    int after_key;
};

/* Starts writing at the end of sb. Nesting deeper than JW_MAX_DEPTH is a programmer error. */
void jw_init(struct jw *w, struct strbuf *sb);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
/* A string value; NULL writes null. The text must be UTF-8; <, > and & are escaped too so that
 * the output is safe inside HTML. */
void jw_str(struct jw *w, const char *s);
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_int(struct jw *w, int64_t v);
void jw_bool(struct jw *w, int v);
void jw_null(struct jw *w);
/* Already-encoded JSON text, written as it is; NULL writes null. */
void jw_raw(struct jw *w, const char *json);

/* Key and value in one call. */
void jw_kstr(struct jw *w, const char *key, const char *s);
void jw_kint(struct jw *w, const char *key, int64_t v);
void jw_kbool(struct jw *w, const char *key, int v);
void jw_knull(struct jw *w, const char *key);
void jw_kraw(struct jw *w, const char *key, const char *json);

/* Appends s to sb as a JSON string literal with quotes. */
void json_quote(struct strbuf *sb, const char *s, size_t n);

#endif
