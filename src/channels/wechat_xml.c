/* wechat_xml.c: reading the platform's message XML (a bounded subset) and writing replies. */
#include "channels/wechat_xml.h"

#include <inttypes.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "lib/text.h"

struct cursor {
    const char *p, *end;
    const char *why; /* the first failure, static text */
    struct wechat_msg m;
    const char *create_time; /* CreateTime as written */
    struct arena *a;
};

static int fail(struct cursor *c, const char *why)
{
    if (!c->why)
        c->why = why;
    return -1;
}

static int starts(const struct cursor *c, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(c->end - c->p) >= n && !memcmp(c->p, s, n);
}

static void skip_space(struct cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
        c->p++;
}

/* Moves past the next occurrence of s; -1 when there is none. */
static int skip_past(struct cursor *c, const char *s, const char *why)
{
    size_t n = strlen(s);
    for (const char *q = c->p; (size_t)(c->end - q) >= n; q++)
        if (!memcmp(q, s, n)) {
            c->p = q + n;
            return 0;
        }
    return fail(c, why);
}

static int name_char(char ch, int first)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' ||
           (!first && ((ch >= '0' && ch <= '9') || ch == '-' || ch == '.'));
}

/* An element name at c->p: its start and length. */
static int read_name(struct cursor *c, const char **ret, size_t *ret_n)
{
    const char *s = c->p;
    while (c->p < c->end && name_char(*c->p, c->p == s) && c->p - s < 64)
        c->p++;
    if (c->p == s)
        return fail(c, "an element name is expected after <");
    *ret = s;
    *ret_n = (size_t)(c->p - s);
    return 0;
}

static void add_utf8(struct strbuf *sb, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80)
        b[0] = (char)cp, n = 1;
    else if (cp < 0x800)
        b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
        b[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    else
        b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    strbuf_add(sb, b, n);
}

/* An entity at c->p ('&'), decoded into sb. */
static int read_entity(struct cursor *c, struct strbuf *sb)
{
    static const struct {
        const char *name;
        char ch;
    } named[] = {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
        if (starts(c, named[i].name)) {
            strbuf_addch(sb, named[i].ch);
            c->p += strlen(named[i].name);
            return 0;
        }
    if (!starts(c, "&#"))
        return fail(c, "only &lt; &gt; &amp; &quot; &apos; and &#N; are accepted");
    c->p += 2;
    int hex = c->p < c->end && *c->p == 'x';
    c->p += hex;
    uint32_t cp = 0;
    int digits = 0;
    for (; c->p < c->end && *c->p != ';'; c->p++, digits++) {
        char ch = *c->p;
        int v = ch >= '0' && ch <= '9'          ? ch - '0'
                : hex && ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                : hex && ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                                : -1;
        if (v < 0 || digits >= 8)
            return fail(c, "a character reference is &#digits; or &#xhex;");
        cp = cp * (hex ? 16 : 10) + (uint32_t)v;
    }
    if (c->p == c->end || !digits || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return fail(c, "a character reference names no character");
    c->p++;
    add_utf8(sb, cp);
    return 0;
}

static int element(struct cursor *c, int depth, struct strbuf *text, const char **ret_name,
                   size_t *ret_name_n);

/* Stores the text of child element name of the root into its field. */
static void keep_field(struct cursor *c, const char *name, size_t n, const struct strbuf *text)
{
    static const struct {
        const char *name;
        size_t off;
    } fields[] = {
        {"ToUserName", offsetof(struct wechat_msg, to_user)},
        {"FromUserName", offsetof(struct wechat_msg, from_user)},
        {"MsgType", offsetof(struct wechat_msg, msg_type)},
        {"Content", offsetof(struct wechat_msg, content)},
        {"MediaId", offsetof(struct wechat_msg, media_id)},
        {"PicUrl", offsetof(struct wechat_msg, pic_url)},
        {"Recognition", offsetof(struct wechat_msg, recognition)},
        {"Format", offsetof(struct wechat_msg, format)},
        {"MsgId", offsetof(struct wechat_msg, msg_id)},
        {"Event", offsetof(struct wechat_msg, event)},
    };
    const char **slot = NULL;
    if (n == 10 && !memcmp(name, "CreateTime", 10))
        slot = &c->create_time;
    for (size_t i = 0; !slot && i < sizeof(fields) / sizeof(fields[0]); i++)
        if (strlen(fields[i].name) == n && !memcmp(fields[i].name, name, n))
            slot = (const char **)((char *)&c->m + fields[i].off);
    if (slot && !*slot) /* the first of a repeated field counts */
        *slot = arena_strndup(c->a, text->buf, text->len);
}

/* Content of an element up to its end tag; text goes to text (NULL: dropped). */
static int content(struct cursor *c, int depth, const char *name, size_t name_n,
                   struct strbuf *text)
{
    while (c->p < c->end) {
        if (starts(c, "<![CDATA[")) {
            c->p += 9;
            const char *s = c->p;
            if (skip_past(c, "]]>", "a CDATA section is not closed"))
                return -1;
            if (text)
                strbuf_add(text, s, (size_t)(c->p - 3 - s));
        } else if (starts(c, "<!--")) {
            if (skip_past(c, "-->", "a comment is not closed"))
                return -1;
        } else if (starts(c, "</")) {
            c->p += 2;
            const char *n;
            size_t nn;
            if (read_name(c, &n, &nn))
                return -1;
            if (nn != name_n || memcmp(n, name, nn))
                return fail(c, "an end tag does not match its element");
            skip_space(c);
            if (c->p == c->end || *c->p != '>')
                return fail(c, "an end tag is not closed");
            c->p++;
            return 0;
        } else if (starts(c, "<!") || starts(c, "<?")) {
            return fail(c, "no DOCTYPE, entity declaration or processing instruction is accepted");
        } else if (*c->p == '<') {
            struct strbuf child = STRBUF_INIT(WECHAT_XML_MAX);
            const char *cn;
            size_t cnn;
            int rc = element(c, depth + 1, depth == 1 ? &child : NULL, &cn, &cnn);
            if (!rc && depth == 1)
                keep_field(c, cn, cnn, &child);
            strbuf_release(&child);
            if (rc)
                return -1;
        } else if (*c->p == '&') {
            struct strbuf dropped = STRBUF_INIT(8);
            int rc = read_entity(c, text ? text : &dropped);
            strbuf_release(&dropped);
            if (rc)
                return -1;
        } else {
            const char *s = c->p;
            while (c->p < c->end && *c->p != '<' && *c->p != '&')
                c->p++;
            if (text)
                strbuf_add(text, s, (size_t)(c->p - s));
        }
    }
    return fail(c, "an element is not closed");
}

/* An element at c->p ('<'): its name, and its text into text (NULL: dropped). */
static int element(struct cursor *c, int depth, struct strbuf *text, const char **ret_name,
                   size_t *ret_name_n)
{
    if (depth > WECHAT_XML_DEPTH)
        return fail(c, "the elements are nested too deeply");
    c->p++;
    if (read_name(c, ret_name, ret_name_n))
        return -1;
    skip_space(c);
    if (starts(c, "/>")) {
        c->p += 2;
        return 0;
    }
    if (c->p == c->end || *c->p != '>')
        return fail(c, "attributes are not accepted");
    c->p++;
    return content(c, depth, *ret_name, *ret_name_n, text);
}

/* Whitespace, comments and (before the root only) the XML declaration. */
static int misc(struct cursor *c, int prolog)
{
    for (;;) {
        skip_space(c);
        if (prolog && starts(c, "<?xml")) {
            if (skip_past(c, "?>", "the XML declaration is not closed"))
                return -1;
            prolog = 0;
        } else if (starts(c, "<!--")) {
            if (skip_past(c, "-->", "a comment is not closed"))
                return -1;
        } else {
            return 0;
        }
    }
}

/* CreateTime: decimal seconds, spaces around them allowed. */
static int create_time_of(const char *s, int64_t *ret)
{
    int64_t v = 0;
    size_t i = 0;
    while (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')
        i++;
    size_t start = i;
    for (; s[i] >= '0' && s[i] <= '9'; i++) {
        if (i - start >= 12)
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (i == start)
        return -1;
    while (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')
        i++;
    if (s[i])
        return -1;
    *ret = v;
    return 0;
}

static int openid_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > WECHAT_OPENID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return 0;
    return 1;
}

/* A required field, present and not blank, or it has failed naming it. */
static int required(const char *v, const char *field, struct kf_error *e)
{
    return v && !text_blank(v) ? 0 : kf_fail(e, KF_EINVAL, field, "this element is required");
}

int wechat_xml_parse(const char *xml, size_t n, struct arena *a, struct wechat_msg *ret,
                     struct kf_error *e)
{
    if (n > WECHAT_XML_MAX)
        return kf_fail(e, KF_EINVAL, "xml", "the message is larger than 64 KiB");
    if (!utf8_valid(xml, n))
        return kf_fail(e, KF_EINVAL, "xml", "the message is not UTF-8 (or holds a NUL)");
    struct cursor c = {.p = xml, .end = xml + n, .a = a};
    const char *root;
    size_t root_n;
    int rc = misc(&c, 1);
    if (!rc && (c.p == c.end || *c.p != '<'))
        rc = fail(&c, "the message is no XML element");
    if (!rc)
        rc = element(&c, 1, NULL, &root, &root_n);
    if (!rc && (root_n != 3 || memcmp(root, "xml", 3)))
        rc = fail(&c, "the root element is <xml>");
    if (!rc && (rc = misc(&c, 0)) == 0 && c.p != c.end)
        rc = fail(&c, "nothing may follow the <xml> element");
    if (rc)
        return kf_fail(e, KF_EINVAL, "xml", c.why);
    struct wechat_msg *m = &c.m;
    if ((rc = required(m->to_user, "ToUserName", e)) ||
        (rc = required(m->from_user, "FromUserName", e)) ||
        (rc = required(m->msg_type, "MsgType", e)) ||
        (rc = required(c.create_time, "CreateTime", e)))
        return rc;
    if (!openid_ok(m->from_user))
        return kf_fail(e, KF_EINVAL, "FromUserName", "an openid: up to 128 printable characters");
    if (create_time_of(c.create_time, &m->create_time))
        return kf_fail(e, KF_EINVAL, "CreateTime", "seconds since 1970, in digits");
    if (m->msg_id) { /* the platform's 64-bit number, kept as text */
        size_t len = strlen(m->msg_id);
        if (!len || len > 20 || strspn(m->msg_id, "0123456789") != len)
            return kf_fail(e, KF_EINVAL, "MsgId", "a message id is 1 to 20 digits");
    }
    *ret = *m;
    return 0;
}

static void add_cdata(struct strbuf *sb, const char *s)
{
    strbuf_addstr(sb, "<![CDATA[");
    for (const char *q; (q = strstr(s, "]]>")); s = q + 2) {
        strbuf_add(sb, s, (size_t)(q + 2 - s));
        strbuf_addstr(sb, "]]><![CDATA[");
    }
    strbuf_addstr(sb, s);
    strbuf_addstr(sb, "]]>");
}

int wechat_xml_reply_text(struct strbuf *sb, const char *to, const char *from, int64_t create_time,
                          const char *content)
{
    strbuf_addstr(sb, "<xml><ToUserName>");
    add_cdata(sb, to);
    strbuf_addstr(sb, "</ToUserName><FromUserName>");
    add_cdata(sb, from);
    strbuf_addf(sb, "</FromUserName><CreateTime>%" PRId64 "</CreateTime>", create_time);
    strbuf_addstr(sb, "<MsgType><![CDATA[text]]></MsgType><Content>");
    add_cdata(sb, content);
    return strbuf_addstr(sb, "</Content></xml>");
}
