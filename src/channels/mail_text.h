/* mail_text.h: the text of mail headers, inside the mail channel: charsets read as real
 * senders mean them, RFC 2047 words, addresses, and RFC 2231 parameters. Strings are UTF-8 in
 * the caller's arena. */
#ifndef KEFU_MAIL_TEXT_H
#define KEFU_MAIL_TEXT_H

#include <stddef.h>

struct arena;
struct strbuf;
struct mail_addr;

enum {
    ADDRS_MAX = 200,        /* addresses kept of one header */
    HEADER_MAX = 64 * 1024, /* bytes of one decoded header */
};

/* Appends n bytes at s in charset cs (NULL: not said) as UTF-8. */
void mail_add_charset(struct strbuf *sb, const char *cs, const char *s, size_t n);

/* The buffer's text in a without NUL bytes (a text with NULs would end early). */
char *mail_sb_text(struct arena *a, const struct strbuf *sb);

/* The n bytes at s without leading and trailing white space, in a. */
char *mail_trimmed(struct arena *a, const char *s, size_t n);

/* The decoded text of n bytes of header at raw, trimmed, in a. */
char *mail_decode_text(struct arena *a, const char *raw, size_t n);

/* Lower-cases the ASCII letters of s in place (an address's). */
void mail_lower_ascii(char *s);

/* Every mailbox of the header value raw (groups flattened), at most ADDRS_MAX. */
size_t mail_parse_addresses(struct arena *a, const char *raw, struct mail_addr **ret);

/* The decoded value of parameter `name` of the header value raw, or NULL. */
char *mail_param_value(struct arena *a, const char *raw, const char *name);

#endif
