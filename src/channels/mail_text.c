/* mail_text.c: the text of mail headers: charsets (a "gb2312" mail is read as GBK, a header
 * without any charset is tried as UTF-8, then GB18030, then Windows-1252, and a byte that fits
 * nothing becomes U+FFFD), RFC 2047 words, addresses and RFC 2231 parameters. */
#include "channels/mail_text.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "channels/mail_parse.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/strbuf.h"
#include "lib/text.h"

/* ---- charsets ---- */

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* The iconv name Kefu reads a declared charset with; "" for UTF-8, NULL for "unknown: guess"
 * (no charset, us-ascii, which 8-bit senders put on anything). */
static const char *iconv_name(const char *cs, char *buf, size_t n)
{
    static const struct {
        const char *alias, *name;
    } map[] = {
        {"gb2312", "GBK"},
        {"gbk", "GBK"},
        {"x-gbk", "GBK"},
        {"cp936", "GBK"},
        {"ms936", "GBK"},
        {"windows-936", "GBK"},
        {"euc-cn", "GBK"},
        {"x-euc-cn", "GBK"},
        {"csgb2312", "GBK"},
        {"gb_2312-80", "GBK"},
        {"chinese", "GBK"},
        {"gb18030", "GB18030"},
        {"big5", "BIG5-HKSCS"},
        {"x-big5", "BIG5-HKSCS"},
        {"cn-big5", "BIG5-HKSCS"},
        {"csbig5", "BIG5-HKSCS"},
        {"big5-hkscs", "BIG5-HKSCS"},
        {"cp950", "BIG5-HKSCS"},
        {"iso-8859-1", "WINDOWS-1252"},
        {"iso8859-1", "WINDOWS-1252"},
        {"latin1", "WINDOWS-1252"},
        {"l1", "WINDOWS-1252"},
        {"windows-1252", "WINDOWS-1252"},
        {"cp1252", "WINDOWS-1252"},
        {"utf-8", ""},
        {"utf8", ""},
        {"us-ascii", NULL},
        {"ascii", NULL},
        {"ansi_x3.4-1968", NULL},
        {"unknown-8bit", NULL},
        {"x-unknown", NULL},
        {"default", NULL},
    };
    if (!cs)
        return NULL;
    size_t k = 0;
    for (; cs[k] && cs[k] != '*' && k + 1 < n; k++) /* "utf-8*zh" carries a language */
        buf[k] = (char)tolower((unsigned char)cs[k]);
    buf[k] = '\0';
    while (k > 0 && buf[k - 1] == ' ')
        buf[--k] = '\0';
    if (k == 0)
        return NULL;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(buf, map[i].alias) == 0)
            return map[i].name;
    for (size_t i = 0; buf[i]; i++) /* iconv wants no odd characters in a name */
        if (!isalnum((unsigned char)buf[i]) && !strchr("-_.:", buf[i]))
            return NULL;
    return buf;
}

/* Converts with iconv, a bad byte as U+FFFD; returns how many there were, or -1 when iconv
 * does not know cs. Strict: the first bad byte stops it, leaving sb as it was. */
static long add_iconv(struct strbuf *sb, const char *cs, const char *s, size_t n, int strict)
{
    iconv_t cd = iconv_open("UTF-8", cs);
    if (cd == (iconv_t)-1)
        return -1;
    size_t start = sb->len;
    char *in = (char *)s; /* iconv's prototype; it does not write the input */
    size_t inleft = n;
    char buf[4096];
    long bad = 0;
    while (inleft > 0) {
        char *o = buf;
        size_t ol = sizeof buf;
        size_t r = iconv(cd, &in, &inleft, &o, &ol);
        int err = errno;
        strbuf_add(sb, buf, (size_t)(o - buf));
        if (r != (size_t)-1 || err == E2BIG)
            continue;
        bad++;
        if (strict)
            break;
        strbuf_addstr(sb, replacement);
        if (err != EILSEQ) /* EINVAL: cut short at the end */
            break;
        in++, inleft--;
        iconv(cd, NULL, NULL, NULL, NULL);
    }
    iconv_close(cd);
    if (strict && bad)
        strbuf_setlen(sb, start);
    return bad;
}

/* Bytes without a charset: UTF-8 when they are; else GB18030 when it reads them with at most
 * one bad byte in 16 (a stray byte in Chinese text); else Windows-1252. */
static void add_guessed(struct strbuf *sb, const char *s, size_t n)
{
    size_t i = 0, high = 0;
    while (i < n && (unsigned char)s[i] < 0x80 && s[i])
        i++;
    if (i == n || utf8_valid(s, n)) {
        strbuf_add(sb, s, n);
        return;
    }
    for (; i < n; i++)
        high += (unsigned char)s[i] >= 0x80;
    size_t start = sb->len;
    long bad = add_iconv(sb, "GB18030", s, n, 0);
    if (bad >= 0 && (size_t)bad * 16 <= high)
        return;
    strbuf_setlen(sb, start);
    add_iconv(sb, "WINDOWS-1252", s, n, 0);
}

/* Appends n bytes at s in charset cs (NULL: not said) as UTF-8. */
void mail_add_charset(struct strbuf *sb, const char *cs, const char *s, size_t n)
{
    char buf[48];
    const char *name = iconv_name(cs, buf, sizeof buf);
    if (!name)
        add_guessed(sb, s, n);
    else if (!*name)
        text_add_utf8(sb, s, n);
    else if (add_iconv(sb, name, s, n, 0) < 0)
        add_guessed(sb, s, n);
}

/* The buffer's text in a without NUL bytes (a text with NULs would end early). */
char *mail_sb_text(struct arena *a, const struct strbuf *sb)
{
    char *r = arena_alloc(a, sb->len + 1);
    size_t w = 0;
    for (size_t i = 0; i < sb->len; i++)
        if (sb->buf[i])
            r[w++] = sb->buf[i];
    r[w] = '\0';
    return r;
}

/* ---- headers ---- */

static int b64_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

static void add_b64(struct strbuf *sb, const char *s, size_t n)
{
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0)
            continue;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            strbuf_addch(sb, (int)((acc >> bits) & 0xFF));
        }
    }
}

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : -1;
}

/* Undoes RFC 2047 Q (esc '=', '_' a space) or RFC 2231 percent encoding (esc '%'). */
static void add_unescaped(struct strbuf *sb, const char *s, size_t n, char esc)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '_' && esc == '=') {
            strbuf_addch(sb, ' ');
        } else if (s[i] == esc && n - i > 2 && hexval((unsigned char)s[i + 1]) >= 0 &&
                   hexval((unsigned char)s[i + 2]) >= 0) {
            strbuf_addch(sb,
                         hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            i += 2;
        } else {
            strbuf_addch(sb, (unsigned char)s[i]);
        }
    }
}

/* Reads the encoded word "=?charset?E?text?=" at p; 1 with its parts, 0 when it is none. */
static int encoded_word(const char *p, const char *end, const char **cs, size_t *cs_len, char *enc,
                        const char **txt, size_t *txt_len, const char **after)
{
    if (end - p < 8 || p[0] != '=' || p[1] != '?')
        return 0;
    const char *q = p + 2, *c = q;
    while (q < end && *q != '?' && !isspace((unsigned char)*q) && q - c < 40)
        q++;
    if (q == c || q + 3 >= end || *q != '?' || q[2] != '?')
        return 0;
    char e = (char)toupper((unsigned char)q[1]);
    if (e != 'B' && e != 'Q')
        return 0;
    const char *t = q + 3, *x = t;
    while (x + 1 < end && !(x[0] == '?' && x[1] == '=') && !isspace((unsigned char)*x))
        x++;
    if (x + 1 >= end || x[0] != '?')
        return 0;
    *cs = c, *cs_len = (size_t)(q - c), *enc = e, *txt = t, *txt_len = (size_t)(x - t);
    *after = x + 2;
    return 1;
}

/* Appends the unfolded, decoded header value raw (RFC 2047 words, raw 8-bit bytes) as UTF-8.
 * Adjacent words in one charset are joined before converting: senders split a character
 * between two words. */
static void add_header_text(struct strbuf *out, const char *raw, size_t n)
{
    struct strbuf pend = STRBUF_INIT(HEADER_MAX), run = STRBUF_INIT(HEADER_MAX);
    char pend_cs[48] = "";
    const char *p = raw, *end = raw + n;
    while (p < end) {
        const char *cs, *txt, *after;
        size_t cs_len, txt_len;
        char enc;
        if (encoded_word(p, end, &cs, &cs_len, &enc, &txt, &txt_len, &after)) {
            add_guessed(out, run.buf, run.len);
            strbuf_reset(&run);
            char csbuf[48];
            size_t k = cs_len < sizeof csbuf - 1 ? cs_len : sizeof csbuf - 1;
            memcpy(csbuf, cs, k);
            csbuf[k] = '\0';
            if (pend.len && strcasecmp(csbuf, pend_cs) != 0) {
                mail_add_charset(out, pend_cs, pend.buf, pend.len);
                strbuf_reset(&pend);
            }
            memcpy(pend_cs, csbuf, k + 1);
            if (enc == 'B')
                add_b64(&pend, txt, txt_len);
            else
                add_unescaped(&pend, txt, txt_len, '=');
            p = after;
            /* white space between two encoded words is not text */
            const char *q = p;
            while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
                q++;
            if (q > p && encoded_word(q, end, &cs, &cs_len, &enc, &txt, &txt_len, &after))
                p = q;
            continue;
        }
        if (pend.len) {
            mail_add_charset(out, pend_cs, pend.buf, pend.len);
            strbuf_reset(&pend);
        }
        if (*p == '\r' || *p == '\n') { /* unfolding */
            p++;
            continue;
        }
        strbuf_addch(&run, (unsigned char)(*p == '\t' ? ' ' : *p));
        p++;
    }
    if (pend.len)
        mail_add_charset(out, pend_cs, pend.buf, pend.len);
    add_guessed(out, run.buf, run.len);
    strbuf_release(&pend);
    strbuf_release(&run);
}

char *mail_trimmed(struct arena *a, const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)*s))
        s++, n--;
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return arena_strndup(a, s, n);
}

/* The decoded text of n bytes of header at raw, trimmed, in a. */
char *mail_decode_text(struct arena *a, const char *raw, size_t n)
{
    struct strbuf sb = STRBUF_INIT(HEADER_MAX);
    add_header_text(&sb, raw, n);
    char *t = mail_sb_text(a, &sb);
    strbuf_release(&sb);
    return mail_trimmed(a, t, strlen(t));
}

/* ---- addresses ---- */

void mail_lower_ascii(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* One mailbox of n bytes at s: "Name <addr>", "addr (Name)" or "addr". 0, or -1 when it
 * names nothing. */
static int parse_mailbox(struct arena *a, const char *s, size_t n, struct mail_addr *ret)
{
    struct strbuf name = STRBUF_INIT(HEADER_MAX), addr = STRBUF_INIT(HEADER_MAX),
                  comment = STRBUF_INIT(HEADER_MAX);
    int quoted = 0, angle = 0, seen_angle = 0, paren = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (quoted) {
            if (c == '\\' && i + 1 < n)
                strbuf_addch(&name, s[++i]);
            else if (c == '"')
                quoted = 0;
            else
                strbuf_addch(&name, c);
        } else if (paren) {
            if (c == '(')
                paren++;
            else if (c == ')')
                paren--;
            if (paren)
                strbuf_addch(&comment, c);
        } else if (c == '(') {
            paren = 1;
        } else if (angle) {
            if (c == '>')
                angle = 0;
            else if (c == ':') /* an obsolete route: @a,@b:user@host */
                strbuf_reset(&addr);
            else if (!isspace((unsigned char)c))
                strbuf_addch(&addr, c);
        } else if (c == '<') {
            angle = 1, seen_angle = 1;
            strbuf_reset(&addr);
        } else if (c == '"') {
            quoted = 1;
        } else if (!seen_angle) {
            strbuf_addch(&name, c);
        }
    }
    int rc = 0;
    if (!seen_angle) { /* "addr" or "addr (Name)": what was read as a name is the address */
        char *t = mail_trimmed(a, name.buf, name.len);
        strbuf_reset(&addr);
        for (char *q = t; *q; q++)
            if (!isspace((unsigned char)*q))
                strbuf_addch(&addr, *q);
        strbuf_reset(&name);
        strbuf_add(&name, comment.buf, comment.len);
        if (!strchr(addr.buf, '@') && addr.len) { /* a bare name without an address */
            strbuf_reset(&name);
            strbuf_add(&name, t, strlen(t));
            strbuf_reset(&addr);
        }
    }
    if (addr.len == 0 && name.len == 0)
        rc = -1;
    if (rc == 0) {
        char *ad = mail_decode_text(a, addr.buf, addr.len);
        mail_lower_ascii(ad);
        ret->addr = ad;
        ret->name = mail_decode_text(a, name.buf, name.len);
    }
    strbuf_release(&name);
    strbuf_release(&addr);
    strbuf_release(&comment);
    return rc;
}

/* Every mailbox of the header value raw (groups flattened), at most ADDRS_MAX. */
size_t mail_parse_addresses(struct arena *a, const char *raw, struct mail_addr **ret)
{
    size_t cap = 4, n = 0;
    struct mail_addr *v = arena_alloc(a, cap * sizeof *v);
    if (!raw) {
        *ret = v;
        return 0;
    }
    const char *p = raw, *start = raw;
    int quoted = 0, angle = 0, paren = 0;
    for (;; p++) {
        char c = *p;
        int cut = c == '\0';
        if (c == '\0') {
        } else if (quoted) {
            if (c == '\\' && p[1])
                p++;
            else if (c == '"')
                quoted = 0;
        } else if (paren) {
            paren += (c == '(') - (c == ')');
        } else if (c == '"') {
            quoted = 1;
        } else if (c == '(') {
            paren = 1;
        } else if (c == '<') {
            angle = 1;
        } else if (c == '>') {
            angle = 0;
        } else if (!angle && c == ':') { /* a group's name */
            start = p + 1;
        } else if (!angle && (c == ',' || c == ';')) {
            cut = 1;
        }
        if (cut) {
            struct mail_addr m;
            if (n < ADDRS_MAX && parse_mailbox(a, start, (size_t)(p - start), &m) == 0) {
                if (n == cap) {
                    struct mail_addr *w = arena_alloc(a, cap * 2 * sizeof *w);
                    memcpy(w, v, n * sizeof *v);
                    v = w, cap *= 2;
                }
                v[n++] = m;
            }
            start = p + 1;
            if (c == '\0')
                break;
        }
    }
    *ret = v;
    return n;
}

/* ---- parameters (RFC 2231 and the RFC 2047 words Outlook puts there) ---- */

enum { PARAM_SEGMENTS = 32 };

/* The decoded value of parameter `name` of the header value raw, or NULL. */
char *mail_param_value(struct arena *a, const char *raw, const char *name)
{
    if (!raw)
        return NULL;
    size_t nl = strlen(name);
    struct strbuf seg[PARAM_SEGMENTS];
    int seg_enc[PARAM_SEGMENTS] = {0}, have_seg = 0;
    char *plain = NULL, *ext = NULL;
    for (int i = 0; i < PARAM_SEGMENTS; i++)
        strbuf_init(&seg[i], HEADER_MAX);
    const char *p = raw;
    /* past the value itself ("attachment", "image/png") */
    int quoted = 0;
    while (*p && (quoted || *p != ';')) {
        if (*p == '"')
            quoted = !quoted;
        p++;
    }
    while (*p) {
        while (*p == ';' || isspace((unsigned char)*p))
            p++;
        const char *k = p;
        while (*p && *p != '=' && *p != ';')
            p++;
        size_t kl = (size_t)(p - k);
        while (kl > 0 && isspace((unsigned char)k[kl - 1]))
            kl--;
        if (*p != '=')
            continue;
        p++;
        while (isspace((unsigned char)*p))
            p++;
        struct strbuf v = STRBUF_INIT(HEADER_MAX);
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                if (*p != '\r' && *p != '\n')
                    strbuf_addch(&v, *p);
            }
            if (*p == '"')
                p++;
            while (*p && *p != ';')
                p++;
        } else {
            while (*p && *p != ';') {
                if (*p != '\r' && *p != '\n')
                    strbuf_addch(&v, *p);
                p++;
            }
            while (v.len > 0 && isspace((unsigned char)v.buf[v.len - 1]))
                strbuf_setlen(&v, v.len - 1);
        }
        if (kl >= nl && strncasecmp(k, name, nl) == 0) {
            const char *rest = k + nl;
            size_t rl = kl - nl;
            if (rl == 0 && !plain) {
                plain = arena_strndup(a, v.buf, v.len);
            } else if (rl == 1 && rest[0] == '*' && !ext) {
                ext = arena_strndup(a, v.buf, v.len);
            } else if (rl >= 2 && rest[0] == '*' && isdigit((unsigned char)rest[1])) {
                int idx = 0;
                size_t j = 1;
                while (j < rl && isdigit((unsigned char)rest[j]) && idx < 1000)
                    idx = idx * 10 + (rest[j++] - '0');
                if (idx < PARAM_SEGMENTS) {
                    strbuf_reset(&seg[idx]);
                    strbuf_add(&seg[idx], v.buf, v.len);
                    seg_enc[idx] = j < rl && rest[j] == '*';
                    have_seg = 1;
                }
            }
        }
        strbuf_release(&v);
    }
    char *r = NULL;
    struct strbuf out = STRBUF_INIT(HEADER_MAX), bytes = STRBUF_INIT(HEADER_MAX);
    char cs[48] = "";
    if (ext || have_seg) {
        for (int i = 0; i < PARAM_SEGMENTS; i++) {
            const char *s = ext && !have_seg ? ext : seg[i].buf;
            int enc = ext && !have_seg ? 1 : seg_enc[i];
            if (i == 0 && enc) { /* charset'language'value */
                const char *q1 = strchr(s, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
                if (q2) {
                    size_t cl = (size_t)(q1 - s) < sizeof cs - 1 ? (size_t)(q1 - s) : 0;
                    memcpy(cs, s, cl);
                    cs[cl] = '\0';
                    s = q2 + 1;
                }
            }
            if (enc)
                add_unescaped(&bytes, s, strlen(s), '%');
            else
                strbuf_addstr(&bytes, s);
            if (ext && !have_seg)
                break;
        }
        if (cs[0])
            mail_add_charset(&out, cs, bytes.buf, bytes.len);
        else
            add_header_text(&out, bytes.buf, bytes.len);
        r = mail_sb_text(a, &out);
    } else if (plain) {
        r = mail_decode_text(a, plain, strlen(plain));
    }
    for (int i = 0; i < PARAM_SEGMENTS; i++)
        strbuf_release(&seg[i]);
    strbuf_release(&out);
    strbuf_release(&bytes);
    return r;
}
