/* text.h: UTF-8 text helpers and the masks that hide contacts. */
#ifndef KEFU_TEXT_H
#define KEFU_TEXT_H

#include <stddef.h>

struct arena;
struct kf_error;
struct strbuf;

/* Counts the characters (code points) of a valid UTF-8 string. */
size_t utf8_chars(const char *s);
/* The first max characters of valid UTF-8 text s: s itself when it is no longer, else a copy in
 * a. */
const char *utf8_prefix(struct arena *a, const char *s, size_t max);
/* 1 when the n bytes at s are valid UTF-8 (no overlongs, no surrogates, no NUL). */
int utf8_valid(const char *s, size_t n);
/* Appends the n bytes at s to sb, each byte that is not part of valid UTF-8 as U+FFFD. */
void text_add_utf8(struct strbuf *sb, const char *s, size_t n);

/* 1 when s holds nothing but white space (ASCII, the ideographic space U+3000, no-break
 * spaces); NULL counts as blank. */
int text_blank(const char *s);
/* Checks a user's text for field: NULL is refused when required, a blank text too, and more
 * than max characters always. 0 or KF_EINVAL naming field. */
int text_check(const char *s, const char *field, size_t max, int required, struct kf_error *e);

/* 1 when s is a code of 1 to max ASCII letters, digits, '-' and '_' (a department's, a store's). */
int text_is_code(const char *s, size_t max);

/* 13812345678 → 138****5678: keeps the first 3 and last 4 digits of 8 or more, else the last
 * 2. NULL gives NULL. The result lives in arena. */
char *mask_phone(struct arena *a, const char *phone);
/* zhang@example.com → z***@example.com. */
char *mask_email(struct arena *a, const char *email);
/* 86 → ID-86: the member number as shown outside the service team. */
char *mask_member(struct arena *a, const char *member_id);

#endif
