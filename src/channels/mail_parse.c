/* mail_parse.c: the MIME intake of the e-mail channel. GMime splits the mail into its parts
 * and undoes the transfer encodings; Kefu's own code reads the headers (RFC 2047 words,
 * RFC 2231 parameters, raw 8-bit bytes) and converts every charset itself (mail_text.c),
 * because real senders mislabel them. */
#include "channels/mail_parse.h"

#include <ctype.h>
#include <errno.h>
#include <gmime/gmime.h>
#include <iconv.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "channels/html_clean.h"
#include "channels/mail_text.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "lib/text.h"

enum { IDS_MAX = 100 }; /* ids kept of References */

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;
static GMimeParserOptions *parser_options;

static void gmime_start(void)
{
    static const char *fallback[] = {"utf-8", "gb18030", "windows-1252", NULL};
    g_mime_init();
    parser_options = g_mime_parser_options_new();
    g_mime_parser_options_set_rfc2047_compliance_mode(parser_options, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_address_compliance_mode(parser_options, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_parameter_compliance_mode(parser_options, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_allow_addresses_without_domain(parser_options, TRUE);
    g_mime_parser_options_set_fallback_charsets(parser_options, fallback);
}

void mail_gmime_init(void)
{
    pthread_once(&gmime_once, gmime_start);
}

static const char *raw_header(GMimeObject *o, const char *name)
{
    GMimeHeader *h = g_mime_header_list_get_header(g_mime_object_get_header_list(o), name);
    return h ? g_mime_header_get_raw_value(h) : NULL;
}

static char *header_text(struct arena *a, GMimeObject *o, const char *name)
{
    const char *raw = raw_header(o, name);
    return raw ? mail_decode_text(a, raw, strlen(raw)) : NULL;
}

/* ---- ids ---- */

static size_t parse_ids(struct arena *a, const char *raw, const char ***ret)
{
    size_t n = 0;
    GMimeReferences *refs = raw ? g_mime_references_parse(parser_options, raw) : NULL;
    int len = refs ? g_mime_references_length(refs) : 0;
    size_t keep = len > IDS_MAX ? IDS_MAX : (size_t)(len > 0 ? len : 0);
    const char **v = arena_alloc(a, (keep + 1) * sizeof *v);
    /* the newest ones matter for threading: keep the last IDS_MAX */
    for (int i = len - (int)keep; i < len; i++) {
        const char *id = g_mime_references_get_message_id(refs, i);
        if (id && *id)
            v[n++] = mail_decode_text(a, id, strlen(id));
    }
    if (refs)
        g_mime_references_free(refs);
    *ret = v;
    return n;
}

static const char *message_id_of(struct arena *a, GMimeObject *o)
{
    const char *raw = raw_header(o, "Message-ID");
    if (!raw)
        return NULL;
    const char **ids;
    if (parse_ids(a, raw, &ids) > 0)
        return ids[0];
    char *t = mail_decode_text(a, raw, strlen(raw)); /* an id without <> */
    size_t k = 0;
    for (char *q = t; *q; q++)
        if (!isspace((unsigned char)*q) && *q != '<' && *q != '>')
            t[k++] = *q;
    t[k] = '\0';
    return *t ? t : NULL;
}

/* ---- the parts ---- */

struct walk {
    struct arena *a;
    struct mail_in *m;
    struct strbuf text, html;
    struct mail_attachment *att;
    size_t n_att, cap_att;
    int parts, too_deep, too_many;
    int report; /* inside a multipart/report */
};

static unsigned char *part_bytes(struct arena *a, GMimeObject *o, size_t *ret_n)
{
    GMimeStream *out = g_mime_stream_mem_new();
    if (GMIME_IS_PART(o)) {
        GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(o));
        if (w)
            g_mime_data_wrapper_write_to_stream(w, out);
    } else if (GMIME_IS_MESSAGE_PART(o)) {
        GMimeMessage *msg = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
        if (msg)
            g_mime_object_write_to_stream(GMIME_OBJECT(msg), NULL, out);
    }
    GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
    unsigned char *r = arena_alloc(a, ba->len + 1);
    if (ba->len)
        memcpy(r, ba->data, ba->len);
    *ret_n = ba->len;
    g_object_unref(out);
    return r;
}

static void lower_type(char *buf, size_t n, GMimeObject *o)
{
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    const char *t = ct ? g_mime_content_type_get_media_type(ct) : NULL;
    const char *s = ct ? g_mime_content_type_get_media_subtype(ct) : NULL;
    snprintf(buf, n, "%s/%s", t ? t : "application", s ? s : "octet-stream");
    mail_lower_ascii(buf);
}

/* RFC 3676: a line ending in a space goes on in the next one. */
static void add_unflowed(struct strbuf *sb, const char *s, size_t n, int delsp)
{
    const char *p = s, *end = s + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t len = (size_t)(le - p);
        if (len && p[len - 1] == '\r')
            len--;
        if (len && p[0] == ' ') /* space-stuffed */
            p++, len--;
        int soft = len > 0 && p[len - 1] == ' ' && !(len == 3 && memcmp(p, "-- ", 3) == 0);
        strbuf_add(sb, p, soft && delsp ? len - 1 : len);
        if (!soft && nl)
            strbuf_addch(sb, '\n');
        p = nl ? nl + 1 : end;
    }
}

/* Appends a text body, lines ending in \n alone. */
static void add_body(struct strbuf *sb, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(s[i] == '\r' && i + 1 < n && s[i + 1] == '\n'))
            strbuf_addch(sb, s[i] == '\r' ? '\n' : s[i]);
}

static void add_attachment(struct walk *w, GMimeObject *o, const char *type, char *filename)
{
    if (w->n_att == w->cap_att) {
        size_t cap = w->cap_att ? w->cap_att * 2 : 4;
        struct mail_attachment *v = arena_alloc(w->a, cap * sizeof *v);
        if (w->n_att)
            memcpy(v, w->att, w->n_att * sizeof *v);
        w->att = v, w->cap_att = cap;
    }
    struct mail_attachment *at = &w->att[w->n_att++];
    at->content_type = arena_strdup(w->a, type);
    const char *cid = g_mime_object_get_content_id(o);
    at->content_id = cid && *cid ? mail_decode_text(w->a, cid, strlen(cid)) : NULL;
    const char *disp = g_mime_object_get_disposition(o);
    at->is_inline =
        disp ? strcasecmp(disp, "inline") == 0 && at->content_id : at->content_id != NULL;
    at->filename = filename ? filename : "";
    at->data = part_bytes(w->a, o, &at->size);
}

/* The Message-ID of the message a delivery report returns (its headers or all of it). */
static void find_bounced_id(struct walk *w, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i + 11 < n; i++) {
        if ((i == 0 || s[i - 1] == '\n') &&
            strncasecmp((const char *)s + i, "message-id:", 11) == 0) {
            size_t j = i + 11, k = j;
            while (k < n && s[k] != '\n')
                k++;
            const char *raw = arena_strndup(w->a, (const char *)s + j, k - j);
            const char **ids;
            if (parse_ids(w->a, raw, &ids) > 0)
                w->m->bounced_message_id = ids[0];
            return;
        }
    }
}

static void walk(struct walk *w, GMimeObject *o, int depth, int collect)
{
    if (++w->parts > MAIL_MAX_PARTS) {
        w->too_many = 1;
        return;
    }
    if (depth > MAIL_MAX_DEPTH) {
        w->too_deep = 1;
        return;
    }
    char type[128];
    lower_type(type, sizeof type, o);
    if (GMIME_IS_MULTIPART(o)) {
        GMimeMultipart *mp = GMIME_MULTIPART(o);
        int report = strcmp(type, "multipart/report") == 0;
        if (report) {
            const char *rt = g_mime_object_get_content_type_parameter(o, "report-type");
            if (collect && rt && strcasecmp(rt, "delivery-status") == 0)
                w->m->bounce = 1;
        }
        int saved = w->report;
        w->report |= report;
        int n = g_mime_multipart_get_count(mp);
        for (int i = 0; i < n && !w->too_many && !w->too_deep; i++)
            walk(w, g_mime_multipart_get_part(mp, i), depth + 1, collect);
        w->report = saved;
        return;
    }
    if (GMIME_IS_MESSAGE_PART(o)) {
        GMimeMessage *msg = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
        GMimeObject *body = msg ? g_mime_message_get_mime_part(msg) : NULL;
        if (body) /* counted against the limits, never read as this mail's body */
            walk(w, body, depth + 1, 0);
        if (!collect || w->too_many || w->too_deep)
            return;
        char *fn = mail_param_value(w->a, raw_header(o, "Content-Disposition"), "filename");
        if (!fn)
            fn = mail_param_value(w->a, raw_header(o, "Content-Type"), "name");
        if (!fn) {
            char *subject = msg ? header_text(w->a, GMIME_OBJECT(msg), "Subject") : NULL;
            fn = arena_printf(w->a, "%s.eml", subject && *subject ? subject : "message");
        }
        add_attachment(w, o, type, fn);
        if (w->report && msg && !w->m->bounced_message_id)
            w->m->bounced_message_id = message_id_of(w->a, GMIME_OBJECT(msg));
        return;
    }
    if (!collect || !GMIME_IS_PART(o))
        return;
    char *fn = mail_param_value(w->a, raw_header(o, "Content-Disposition"), "filename");
    if (!fn)
        fn = mail_param_value(w->a, raw_header(o, "Content-Type"), "name");
    const char *disp = g_mime_object_get_disposition(o);
    int attached = disp && strcasecmp(disp, "attachment") == 0;
    int plain = strcmp(type, "text/plain") == 0, html = strcmp(type, "text/html") == 0;
    if ((plain || html) && !attached && !(fn && *fn)) {
        size_t n;
        unsigned char *bytes = part_bytes(w->a, o, &n);
        const char *cs = g_mime_object_get_content_type_parameter(o, "charset");
        struct strbuf u = STRBUF_INIT(n * 3 + 16);
        mail_add_charset(&u, cs, (const char *)bytes, n);
        struct strbuf *dst = plain ? &w->text : &w->html;
        if (dst->len && dst->buf[dst->len - 1] != '\n')
            strbuf_addch(dst, '\n');
        const char *fmt = g_mime_object_get_content_type_parameter(o, "format");
        if (plain && fmt && strcasecmp(fmt, "flowed") == 0) {
            const char *delsp = g_mime_object_get_content_type_parameter(o, "delsp");
            struct strbuf f = STRBUF_INIT(u.len + 16);
            add_unflowed(&f, u.buf, u.len, delsp && strcasecmp(delsp, "yes") == 0);
            add_body(dst, f.buf, f.len);
            strbuf_release(&f);
        } else {
            add_body(dst, u.buf, u.len);
        }
        strbuf_release(&u);
        return;
    }
    if (w->report &&
        (strcmp(type, "text/rfc822-headers") == 0 || strcmp(type, "message/rfc822-headers") == 0)) {
        size_t n;
        unsigned char *bytes = part_bytes(w->a, o, &n);
        if (!w->m->bounced_message_id)
            find_bounced_id(w, bytes, n);
    }
    add_attachment(w, o, type, fn);
}

/* ---- classification ---- */

static int header_is(GMimeObject *o, const char *name, const char *const *values)
{
    const char *v = g_mime_object_get_header(o, name);
    if (!v)
        return 0;
    while (isspace((unsigned char)*v))
        v++;
    for (; *values; values++)
        if (strncasecmp(v, *values, strlen(*values)) == 0)
            return 1;
    return 0;
}

static int has_header(GMimeObject *o, const char *name)
{
    return g_mime_object_get_header(o, name) != NULL;
}

static int contains_nocase(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (; *s; s++)
        if (strncasecmp(s, word, n) == 0)
            return 1;
    return 0;
}

static int out_of_office(const char *subject)
{
    static const char *const starts[] = {"automatic reply",
                                         "auto reply",
                                         "auto-reply",
                                         "autoreply",
                                         "auto:",
                                         "out of office",
                                         "out of the office",
                                         "ooo:",
                                         "abwesenheitsnotiz",
                                         "réponse automatique",
                                         "自动回复",
                                         "自動回覆",
                                         "自动答复",
                                         "自動回復",
                                         NULL};
    static const char *const anywhere[] = {"自动回复", "自動回覆",      "自动答复",
                                           "休假自动", "out of office", NULL};
    while (isspace((unsigned char)*subject))
        subject++;
    for (const char *const *s = starts; *s; s++)
        if (strncasecmp(subject, *s, strlen(*s)) == 0)
            return 1;
    for (const char *const *s = anywhere; *s; s++)
        if (contains_nocase(subject, *s))
            return 1;
    return 0;
}

static void classify(GMimeObject *o, struct mail_in *m)
{
    static const char *const precedence_auto[] = {"bulk", "junk", "list", "auto_reply", NULL};
    static const char *const precedence_list[] = {"list", NULL};
    static const char *const not_auto[] = {"no", NULL};
    const char *as = g_mime_object_get_header(o, "Auto-Submitted");
    if ((as && !header_is(o, "Auto-Submitted", not_auto)) || has_header(o, "X-Autoreply") ||
        has_header(o, "X-Autorespond") || has_header(o, "X-Autoresponder") ||
        header_is(o, "Precedence", precedence_auto) || out_of_office(m->subject))
        m->auto_reply = 1;
    if (has_header(o, "List-Id") || has_header(o, "List-Unsubscribe") ||
        header_is(o, "Precedence", precedence_list))
        m->list = 1;
    const char *at = strchr(m->from.addr, '@');
    size_t local = at ? (size_t)(at - m->from.addr) : strlen(m->from.addr);
    if ((local == 13 && strncmp(m->from.addr, "mailer-daemon", 13) == 0) ||
        (local == 10 && strncmp(m->from.addr, "postmaster", 10) == 0))
        m->bounce = 1;
    const char *rp = raw_header(o, "Return-Path");
    if (rp) {
        while (isspace((unsigned char)*rp))
            rp++;
        if (strncmp(rp, "<>", 2) == 0)
            m->bounce = 1;
    }
}

/* ---- the mail ---- */

/* How many containers the mail may declare: GMime reads nested parts recursively, so a mail
 * of a million nested multiparts is refused before it is read. */
static size_t containers(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i + 9 <= n; i++) {
        char c = (char)(s[i] | 0x20);
        if (c == 'm' && strncasecmp(s + i, "multipart", 9) == 0) {
            count++;
        } else if (c == 'm' && strncasecmp(s + i, "message", 7) == 0) {
            size_t j = i + 7;
            while (j < n &&
                   (s[j] == ' ' || s[j] == '\t' || s[j] == '\r' || s[j] == '\n' || s[j] == '('))
                j++;
            count += j < n && s[j] == '/';
        }
    }
    return count;
}

int mail_parse(const char *raw, size_t len, size_t max_bytes, struct arena *a, struct mail_in *ret,
               struct kf_error *e)
{
    if (!max_bytes)
        max_bytes = MAIL_MAX_BYTES;
    if (len > max_bytes)
        return kf_fail(e, KF_EINVAL, "mail",
                       arena_printf(a, "the mail is larger than %zu bytes", max_bytes));
    if (containers(raw, len) > 2 * MAIL_MAX_PARTS)
        return kf_fail(e, KF_EINVAL, "mail", "the mail has more than 100 parts");
    /* an mbox "From " line (an MTA's pipe may add one) is no header */
    if (len >= 5 && memcmp(raw, "From ", 5) == 0) {
        const char *nl = memchr(raw, '\n', len);
        size_t skip = nl ? (size_t)(nl - raw) + 1 : len;
        raw += skip, len -= skip;
    }
    mail_gmime_init();

    /* the parser reads the caller's bytes in place (no copy of a 25 MB mail) */
    GByteArray *ba = g_byte_array_new_take((guint8 *)raw, len);
    GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(ba);
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, parser_options);
    int rc = 0;
    struct mail_in m;
    memset(&m, 0, sizeof m);
    struct walk w = {
        a, &m, STRBUF_INIT(max_bytes * 3 + 16), STRBUF_INIT(max_bytes * 3 + 16), NULL, 0, 0, 0, 0,
        0, 0};
    GMimeObject *mo = msg ? GMIME_OBJECT(msg) : NULL;
    if (!mo || g_mime_header_list_get_count(g_mime_object_get_header_list(mo)) == 0) {
        rc = kf_fail(e, KF_EINVAL, "mail", "the mail has no header");
        goto out;
    }
    GMimeObject *body = g_mime_message_get_mime_part(msg);
    if (body)
        walk(&w, body, 1, 1);
    if (w.too_many) {
        rc = kf_fail(e, KF_EINVAL, "mail", "the mail has more than 100 parts");
        goto out;
    }
    if (w.too_deep) {
        rc = kf_fail(e, KF_EINVAL, "mail", "the mail nests its parts more than 20 deep");
        goto out;
    }

    m.message_id = message_id_of(a, mo);
    if (!m.message_id) {
        unsigned char h[16];
        char hex[33];
        crypto_generichash(h, sizeof h, (const unsigned char *)raw, len, NULL, 0);
        sodium_bin2hex(hex, sizeof hex, h, sizeof h);
        m.message_id = arena_printf(a, "%s@kefu.invalid", hex);
        m.message_id_synthetic = 1;
    }
    m.n_in_reply_to = parse_ids(a, raw_header(mo, "In-Reply-To"), &m.in_reply_to);
    m.n_references = parse_ids(a, raw_header(mo, "References"), &m.references);
    struct mail_addr *from;
    if (mail_parse_addresses(a, raw_header(mo, "From"), &from) > 0)
        m.from = from[0];
    else
        m.from.name = "", m.from.addr = "";
    m.n_to = mail_parse_addresses(a, raw_header(mo, "To"), &m.to);
    m.n_cc = mail_parse_addresses(a, raw_header(mo, "Cc"), &m.cc);
    m.n_reply_to = mail_parse_addresses(a, raw_header(mo, "Reply-To"), &m.reply_to);
    char *subject = header_text(a, mo, "Subject");
    m.subject = subject ? subject : "";
    GDateTime *date = g_mime_message_get_date(msg);
    if (date) {
        gint64 s = g_date_time_to_unix(date);
        m.date = s > 0 && s < INT64_MAX / 1000 ? s * 1000 : 0;
    }
    if (w.html.len)
        m.html = mail_sb_text(a, &w.html);
    if (w.text.len) {
        char *t = mail_sb_text(a, &w.text);
        m.text = mail_trimmed(a, t, strlen(t));
    } else {
        m.text = m.html ? html_to_text(a, m.html, strlen(m.html)) : "";
    }
    m.attachments = w.att ? w.att : arena_alloc(a, sizeof *w.att);
    m.n_attachments = w.n_att;
    classify(mo, &m);
    *ret = m;
out:
    strbuf_release(&w.text);
    strbuf_release(&w.html);
    if (msg)
        g_object_unref(msg);
    g_object_unref(parser);
    g_object_unref(stream);
    g_byte_array_free(ba, FALSE);
    return rc;
}

const char *mail_subject_strip(struct arena *a, const char *subject)
{
    static const char *const prefixes[] = {"re",   "fwd",  "fw",   "aw",   "sv",   "回复", "答复",
                                           "转发", "回覆", "答覆", "轉寄", "轉發", "转寄", NULL};
    const char *s = subject;
    for (;;) {
        while (isspace((unsigned char)*s) || strncmp(s, "\xE3\x80\x80", 3) == 0)
            s += isspace((unsigned char)*s) ? 1 : 3;
        const char *next = NULL;
        for (const char *const *p = prefixes; *p && !next; p++) {
            size_t n = strlen(*p);
            if (strncasecmp(s, *p, n) != 0)
                continue;
            const char *q = s + n;
            if (*q == '[' || *q == '(') { /* "Re[2]:" */
                const char *c = q + 1;
                while (isdigit((unsigned char)*c))
                    c++;
                if (c > q + 1 && (*c == ']' || *c == ')'))
                    q = c + 1;
            }
            while (*q == ' ')
                q++;
            if (*q == ':')
                next = q + 1;
            else if (strncmp(q, "\xEF\xBC\x9A", 3) == 0) /* a full-width colon */
                next = q + 3;
        }
        if (!next)
            break;
        s = next;
    }
    return mail_trimmed(a, s, strlen(s));
}

int mail_ticket_ref(const char *subject, char *buf, size_t n)
{
    if (n)
        buf[0] = '\0';
    for (const char *p = subject ? strstr(subject, "[#") : NULL; p; p = strstr(p + 1, "[#")) {
        const char *q = p + 2;
        int digits = 0;
        while (isalnum((unsigned char)*q) || *q == '-' || *q == '_') {
            digits += isdigit((unsigned char)*q) != 0;
            q++;
        }
        size_t len = (size_t)(q - (p + 2));
        if (*q != ']' || !digits || len > 64)
            continue;
        if (len + 1 > n)
            return 0;
        memcpy(buf, p + 2, len);
        buf[len] = '\0';
        return 1;
    }
    return 0;
}
