/* html_clean.c: a small HTML tokenizer with two readers: the allow-list sanitizer and the
 * text rendering of HTML-only mail. Neither trusts the markup to be well formed. */
#include "channels/html_clean.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/strbuf.h"
#include "lib/text.h"

enum { TAG_NAME_MAX = 16, ATTRS_MAX = 16, OPEN_MAX = 64 };

enum tok_kind { TOK_TEXT, TOK_START, TOK_END, TOK_SKIP };

struct attr {
    const char *name, *value;
    size_t name_len, value_len;
};

struct tok {
    enum tok_kind kind;
    const char *text; /* TOK_TEXT: raw text, entities not decoded */
    size_t text_len;
    char name[TAG_NAME_MAX + 1]; /* lower-case; "" when too long (never allowed) */
    int self_closing;
    struct attr attrs[ATTRS_MAX];
    size_t n_attrs;
};

/* Elements whose content is never shown, dropped up to their end tag. */
static const char *const raw_elements[] = {
    "script", "style",    "iframe", "object",  "embed",    "svg",  "math",   "template", "noscript",
    "title",  "textarea", "xmp",    "noembed", "noframes", "head", "select", "frameset", NULL};

static int in_list(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(name, *list) == 0)
            return 1;
    return 0;
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Reads one token at *pp (< end) and moves *pp past it. */
static void next_token(const char **pp, const char *end, struct tok *t)
{
    const char *p = *pp;
    memset(t, 0, sizeof *t);
    if (*p != '<' || p + 1 >= end ||
        !(isalpha((unsigned char)p[1]) || p[1] == '/' || p[1] == '!' || p[1] == '?')) {
        /* text up to the next '<' that may start markup */
        const char *q = p + 1;
        while (q < end && *q != '<')
            q++;
        t->kind = TOK_TEXT, t->text = p, t->text_len = (size_t)(q - p);
        *pp = q;
        return;
    }
    if (p[1] == '!' || p[1] == '?') {
        t->kind = TOK_SKIP;
        if (p + 3 < end && p[2] == '-' && p[3] == '-') { /* comment: up to --> or the end */
            const char *q = p + 4;
            while (q + 2 < end && !(q[0] == '-' && q[1] == '-' && q[2] == '>'))
                q++;
            *pp = q + 2 < end ? q + 3 : end;
            return;
        }
        const char *q = memchr(p, '>', (size_t)(end - p));
        *pp = q ? q + 1 : end;
        return;
    }
    const char *q = p + 1;
    t->kind = TOK_START;
    if (*q == '/') {
        t->kind = TOK_END;
        q++;
    }
    size_t nl = 0;
    int too_long = 0;
    while (q < end && !is_space(*q) && *q != '/' && *q != '>') {
        if (nl < TAG_NAME_MAX)
            t->name[nl++] = (char)tolower((unsigned char)*q);
        else
            too_long = 1;
        q++;
    }
    t->name[too_long ? 0 : nl] = '\0';
    if (t->kind == TOK_END && nl == 0) { /* "</>" or "</ x>": nothing */
        t->kind = TOK_SKIP;
    }
    /* attributes, up to the '>' outside quotes */
    for (;;) {
        while (q < end && (is_space(*q) || *q == '/')) {
            if (*q == '/' && q + 1 < end && q[1] == '>')
                t->self_closing = 1;
            q++;
        }
        if (q >= end) { /* an unclosed tag is no tag */
            t->kind = TOK_SKIP;
            *pp = end;
            return;
        }
        if (*q == '>') {
            *pp = q + 1;
            return;
        }
        struct attr at = {q, NULL, 0, 0};
        while (q < end && !is_space(*q) && *q != '/' && *q != '>' && *q != '=')
            q++;
        if (q == at.name) /* a lone '=' */
            q++;
        at.name_len = (size_t)(q - at.name);
        while (q < end && is_space(*q))
            q++;
        if (q < end && *q == '=') {
            q++;
            while (q < end && is_space(*q))
                q++;
            if (q < end && (*q == '"' || *q == '\'')) {
                char quote = *q++;
                at.value = q;
                while (q < end && *q != quote)
                    q++;
                at.value_len = (size_t)(q - at.value);
                if (q < end)
                    q++;
            } else {
                at.value = q;
                while (q < end && !is_space(*q) && *q != '>')
                    q++;
                at.value_len = (size_t)(q - at.value);
            }
        }
        if (t->n_attrs < ATTRS_MAX)
            t->attrs[t->n_attrs++] = at;
    }
}

static const struct {
    const char *name;
    const char *utf8;
} entities[] = {
    {"amp", "&"},
    {"lt", "<"},
    {"gt", ">"},
    {"quot", "\""},
    {"apos", "'"},
    {"nbsp", "\xC2\xA0"},
    {"copy", "\xC2\xA9"},
    {"reg", "\xC2\xAE"},
    {"yen", "\xC2\xA5"},
    {"middot", "\xC2\xB7"},
    {"times", "\xC3\x97"},
    {"hellip", "\xE2\x80\xA6"},
    {"mdash", "\xE2\x80\x94"},
    {"ndash", "\xE2\x80\x93"},
    {"lsquo", "\xE2\x80\x98"},
    {"rsquo", "\xE2\x80\x99"},
    {"ldquo", "\xE2\x80\x9C"},
    {"rdquo", "\xE2\x80\x9D"},
    {"bull", "\xE2\x80\xA2"},
    {"euro", "\xE2\x82\xAC"},
    {"trade", "\xE2\x84\xA2"},
    {"emsp", "\xE2\x80\x83"},
    {"ensp", "\xE2\x80\x82"},
    {"zwj", ""},
    {"zwnj", ""},
};

static void add_utf8(struct strbuf *sb, uint32_t cp)
{
    char b[4];
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x80) {
        strbuf_addch(sb, (int)cp);
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6)), b[1] = (char)(0x80 | (cp & 0x3F));
        strbuf_add(sb, b, 2);
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12)), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        strbuf_add(sb, b, 3);
    } else {
        b[0] = (char)(0xF0 | (cp >> 18)), b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (char)(0x80 | (cp & 0x3F));
        strbuf_add(sb, b, 4);
    }
}

/* Decodes the entity at p (*p == '&') into sb; returns the bytes it took (1 for a lone '&',
 * which is kept). */
static size_t decode_entity(const char *p, const char *end, struct strbuf *sb)
{
    const char *q = p + 1;
    if (q < end && *q == '#') {
        q++;
        int hex = q < end && (*q == 'x' || *q == 'X');
        if (hex)
            q++;
        uint32_t cp = 0;
        const char *digits = q;
        while (q < end && (hex ? isxdigit((unsigned char)*q) : isdigit((unsigned char)*q)) &&
               q - digits < 8) {
            cp = cp * (hex ? 16 : 10) +
                 (uint32_t)(isdigit((unsigned char)*q) ? *q - '0' : (tolower(*q) - 'a' + 10));
            q++;
        }
        if (q == digits) {
            strbuf_addch(sb, '&');
            return 1;
        }
        add_utf8(sb, cp);
        return (size_t)(q - p) + (q < end && *q == ';');
    }
    const char *name = q;
    while (q < end && isalnum((unsigned char)*q) && q - name < 10)
        q++;
    size_t nl = (size_t)(q - name);
    for (size_t i = 0; i < sizeof entities / sizeof entities[0]; i++) {
        if (strlen(entities[i].name) == nl && memcmp(entities[i].name, name, nl) == 0) {
            strbuf_addstr(sb, entities[i].utf8);
            return nl + 1 + (q < end && *q == ';');
        }
    }
    strbuf_addch(sb, '&');
    return 1;
}

/* Decodes the entities of n bytes at s into sb. */
static void decode_text(struct strbuf *sb, const char *s, size_t n)
{
    const char *end = s + n;
    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        if (!amp) {
            strbuf_add(sb, s, (size_t)(end - s));
            return;
        }
        strbuf_add(sb, s, (size_t)(amp - s));
        s = amp + decode_entity(amp, end, sb);
    }
}

/* The text of a text token, entities decoded, in tmp. */
static void text_of(struct strbuf *tmp, const struct tok *t)
{
    strbuf_reset(tmp);
    decode_text(tmp, t->text, t->text_len);
}

/* Appends s escaped for HTML text and attribute values (quoted with "); NULs are dropped. */
static void add_escaped(struct strbuf *sb, const char *s, size_t n)
{
    static const char special[] = "&<>\"'";
    static const char *const escaped[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
    for (size_t i = 0; i < n; i++) {
        const char *hit = s[i] ? strchr(special, s[i]) : NULL;
        if (hit)
            strbuf_addstr(sb, escaped[hit - special]);
        else if (s[i])
            strbuf_addch(sb, s[i]);
    }
}

/* html itself, or a copy with the bytes that are not UTF-8 as U+FFFD: all that follows splits
 * text only at ASCII characters, so valid UTF-8 in is valid UTF-8 out. */
static const char *valid_input(struct strbuf *copy, const char *html, size_t *n)
{
    if (utf8_valid(html, *n))
        return html;
    text_add_utf8(copy, html, *n);
    *n = copy->len;
    return copy->buf;
}

/* Skips the content of a raw element (script, style, ...) up to its end tag. */
static const char *skip_raw(const char *p, const char *end, const char *name)
{
    size_t nl = strlen(name);
    for (; p < end; p++) {
        if (*p == '<' && p + 1 < end && p[1] == '/' && (size_t)(end - p - 2) >= nl &&
            strncasecmp(p + 2, name, nl) == 0) {
            const char *gt = memchr(p, '>', (size_t)(end - p));
            return gt ? gt + 1 : end;
        }
    }
    return end;
}

static const char *const allowed[] = {
    "p",   "br",         "div", "span", "b",     "strong", "i",     "em", "u",  "ul", "ol",
    "li",  "blockquote", "pre", "code", "table", "thead",  "tbody", "tr", "td", "th", "a",
    "img", "h1",         "h2",  "h3",   "h4",    "h5",     "h6",    "hr", NULL};

static int is_void(const char *name)
{
    return strcmp(name, "br") == 0 || strcmp(name, "img") == 0 || strcmp(name, "hr") == 0;
}

/* The attribute value decoded, with the white space and control characters a browser ignores
 * in a URL taken out, so that "java&#x09;script:" is seen for what it is. */
static char *url_of(struct strbuf *tmp, const struct attr *at)
{
    strbuf_reset(tmp);
    decode_text(tmp, at->value ? at->value : "", at->value_len);
    size_t w = 0;
    for (size_t r = 0; r < tmp->len; r++)
        if ((unsigned char)tmp->buf[r] > 0x20)
            tmp->buf[w++] = tmp->buf[r];
    strbuf_setlen(tmp, w);
    return tmp->buf;
}

static int has_scheme(const char *url, const char *const *schemes)
{
    for (; *schemes; schemes++)
        if (strncasecmp(url, *schemes, strlen(*schemes)) == 0)
            return 1;
    return 0;
}

static void add_attr(struct strbuf *out, const char *name, const char *value)
{
    strbuf_addf(out, " %s=\"", name);
    add_escaped(out, value, strlen(value));
    strbuf_addch(out, '"');
}

static int img_allowed(struct strbuf *tmp, const struct tok *t)
{
    for (size_t i = 0; i < t->n_attrs; i++)
        if (t->attrs[i].name_len == 3 && strncasecmp(t->attrs[i].name, "src", 3) == 0)
            return strncasecmp(url_of(tmp, &t->attrs[i]), "cid:", 4) == 0;
    return 0;
}

static void emit_start(struct strbuf *out, struct strbuf *tmp, const struct tok *t)
{
    static const char *const link_schemes[] = {"http://", "https://", "mailto:", NULL};
    static const char *const img_schemes[] = {"cid:", NULL};
    strbuf_addf(out, "<%s", t->name);
    for (size_t i = 0; i < t->n_attrs; i++) {
        const struct attr *at = &t->attrs[i];
        char an[16];
        if (at->name_len >= sizeof an)
            continue;
        for (size_t k = 0; k < at->name_len; k++)
            an[k] = (char)tolower((unsigned char)at->name[k]);
        an[at->name_len] = '\0';
        if (strcmp(t->name, "a") == 0 && strcmp(an, "href") == 0) {
            const char *url = url_of(tmp, at);
            if (has_scheme(url, link_schemes))
                add_attr(out, "href", url);
        } else if (strcmp(t->name, "img") == 0 && strcmp(an, "src") == 0) {
            const char *url = url_of(tmp, at);
            if (has_scheme(url, img_schemes))
                add_attr(out, "src", url);
        } else if ((strcmp(t->name, "img") == 0 && strcmp(an, "alt") == 0) ||
                   ((strcmp(t->name, "td") == 0 || strcmp(t->name, "th") == 0) &&
                    (strcmp(an, "colspan") == 0 || strcmp(an, "rowspan") == 0))) {
            strbuf_reset(tmp);
            decode_text(tmp, at->value ? at->value : "", at->value_len);
            add_attr(out, an, tmp->buf);
        }
    }
    if (strcmp(t->name, "a") == 0)
        strbuf_addstr(out, " rel=\"nofollow noopener noreferrer\"");
    strbuf_addch(out, '>');
}

char *html_clean(struct arena *a, const char *html, size_t n)
{
    struct strbuf copy = STRBUF_INIT(n * 3 + 16);
    html = valid_input(&copy, html, &n);
    struct strbuf out = STRBUF_INIT(n * 6 + 4096), tmp = STRBUF_INIT(n + 64);
    const char *p = html, *end = html + n;
    const char *open[OPEN_MAX];
    size_t depth = 0;
    struct tok t;
    while (p < end) {
        next_token(&p, end, &t);
        if (t.kind == TOK_TEXT) {
            text_of(&tmp, &t);
            add_escaped(&out, tmp.buf, tmp.len);
        } else if (t.kind == TOK_START) {
            if (in_list(t.name, raw_elements)) {
                if (!t.self_closing)
                    p = skip_raw(p, end, t.name);
                continue;
            }
            if (!t.name[0] || !in_list(t.name, allowed))
                continue;
            if (!is_void(t.name) && depth == OPEN_MAX)
                continue;
            if (strcmp(t.name, "img") == 0 && !img_allowed(&tmp, &t))
                continue;
            emit_start(&out, &tmp, &t);
            if (!is_void(t.name)) {
                for (const char *const *al = allowed; *al; al++)
                    if (strcmp(*al, t.name) == 0)
                        open[depth++] = *al;
            }
        } else if (t.kind == TOK_END) {
            size_t k = depth;
            while (k > 0 && strcmp(open[k - 1], t.name) != 0)
                k--;
            if (k == 0)
                continue; /* closes nothing open: dropped */
            while (depth >= k)
                strbuf_addf(&out, "</%s>", open[--depth]);
        }
    }
    while (depth > 0)
        strbuf_addf(&out, "</%s>", open[--depth]);
    char *r = arena_strndup(a, out.buf, out.len);
    strbuf_release(&out);
    strbuf_release(&tmp);
    strbuf_release(&copy);
    return r;
}

static const char *const block_elements[] = {
    "div",    "li",   "tr",      "table",   "ul",     "ol",         "dl",
    "dt",     "dd",   "section", "article", "header", "footer",     "address",
    "center", "form", "caption", "hr",      "pre",    "blockquote", NULL};
static const char *const paragraph_elements[] = {"p", "h1", "h2", "h3", "h4", "h5", "h6", NULL};

/* Ends the current line, or leaves a blank line when blank is set; nothing at the very
 * start of the text. */
static void newline(struct strbuf *out, int blank)
{
    while (out->len > 0 && out->buf[out->len - 1] == ' ')
        strbuf_setlen(out, out->len - 1);
    if (out->len == 0)
        return;
    if (out->buf[out->len - 1] != '\n')
        strbuf_addch(out, '\n');
    if (blank && !(out->len >= 2 && out->buf[out->len - 2] == '\n'))
        strbuf_addch(out, '\n');
}

char *html_to_text(struct arena *a, const char *html, size_t n)
{
    struct strbuf copy = STRBUF_INIT(n * 3 + 16);
    html = valid_input(&copy, html, &n);
    struct strbuf out = STRBUF_INIT(n + 4096), tmp = STRBUF_INIT(n + 64);
    const char *p = html, *end = html + n;
    int pre = 0;
    struct tok t;
    while (p < end) {
        next_token(&p, end, &t);
        if (t.kind == TOK_TEXT) {
            text_of(&tmp, &t);
            for (size_t i = 0; i < tmp.len; i++) {
                char c = tmp.buf[i];
                if (c == '\r')
                    continue;
                if (!pre && c == '\xC2' && i + 1 < tmp.len && tmp.buf[i + 1] == '\xA0') {
                    c = ' ', i++; /* a no-break space reads as a space */
                    strbuf_addch(&out, c);
                    continue;
                }
                if (!pre && is_space(c)) {
                    if (out.len > 0 && out.buf[out.len - 1] != ' ' && out.buf[out.len - 1] != '\n')
                        strbuf_addch(&out, ' ');
                } else if (c != '\0') {
                    strbuf_addch(&out, c);
                }
            }
        } else if (t.kind == TOK_START || t.kind == TOK_END) {
            if (t.kind == TOK_START && in_list(t.name, raw_elements)) {
                if (!t.self_closing)
                    p = skip_raw(p, end, t.name);
                continue;
            }
            if (strcmp(t.name, "pre") == 0)
                pre = t.kind == TOK_START;
            if (strcmp(t.name, "td") == 0 || strcmp(t.name, "th") == 0) {
                if (t.kind == TOK_END && out.len > 0 && out.buf[out.len - 1] != '\n')
                    strbuf_addch(&out, ' ');
            } else if (strcmp(t.name, "br") == 0) {
                while (out.len > 0 && out.buf[out.len - 1] == ' ')
                    strbuf_setlen(&out, out.len - 1);
                strbuf_addch(&out, '\n');
            } else if (in_list(t.name, paragraph_elements)) {
                newline(&out, 1);
            } else if (in_list(t.name, block_elements)) {
                newline(&out, 0);
                if (t.kind == TOK_START && strcmp(t.name, "li") == 0)
                    strbuf_addstr(&out, "- ");
            }
        }
    }
    /* no white space at the end of lines or of the text */
    size_t w = 0;
    for (size_t r = 0; r < out.len; r++) {
        if (out.buf[r] == '\n')
            while (w > 0 && out.buf[w - 1] == ' ')
                w--;
        out.buf[w++] = out.buf[r];
    }
    while (w > 0 && (out.buf[w - 1] == ' ' || out.buf[w - 1] == '\n'))
        w--;
    char *r = arena_strndup(a, out.buf, w);
    strbuf_release(&out);
    strbuf_release(&tmp);
    strbuf_release(&copy);
    return r;
}
