/* mail_compose.c: an outgoing mail as MIME, written by GMime. */
#include "channels/mail_compose.h"

#include <gmime/gmime.h>
#include <sodium.h>
#include <string.h>

#include "channels/mail_parse.h"
#include "core/mail_out.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/strbuf.h"

/* The first mailbox of list text, or NULL. The caller unrefs the list. */
static InternetAddressMailbox *first_mailbox(InternetAddressList *l)
{
    if (!l || internet_address_list_length(l) < 1)
        return NULL;
    InternetAddress *ia = internet_address_list_get_address(l, 0);
    return INTERNET_ADDRESS_IS_MAILBOX(ia) ? INTERNET_ADDRESS_MAILBOX(ia) : NULL;
}

/* "<a> <b>" from space-separated ids, in a. */
static const char *bracketed(struct arena *a, const char *ids)
{
    size_t n = 0;
    for (const char *p = ids; *p; p++)
        n += *p == ' ';
    char *out = arena_alloc(a, strlen(ids) + 2 * (n + 1) + 1), *w = out;
    for (const char *p = ids; *p;) {
        size_t len = strcspn(p, " ");
        if (len) {
            if (w != out)
                *w++ = ' ';
            *w++ = '<';
            memcpy(w, p, len);
            w += len;
            *w++ = '>';
        }
        p += len;
        while (*p == ' ')
            p++;
    }
    *w = '\0';
    return out;
}

enum { WORD_BYTES = 45 }; /* 60 characters of base64: an encoded word stays under 75 */

/* The raw value of an unstructured header holding text s (a space, then s; line ends "\n"):
 * s as it is when it is ASCII; else RFC 2047 encoded words of whole UTF-8 characters, one per
 * folded line, so that none is longer than RFC 2047 allows (GMime writes one word for it all).
 * In a. */
static const char *header_words(struct arena *a, const char *s)
{
    size_t n = strlen(s);
    int ascii = 1;
    for (size_t i = 0; i < n && ascii; i++)
        ascii = (unsigned char)s[i] < 0x80;
    if (ascii)
        return arena_printf(a, " %s\n", s);
    struct strbuf sb = STRBUF_INIT(8 * 1024);
    char b64[WORD_BYTES * 2];
    for (size_t i = 0; i < n;) {
        size_t k = n - i < WORD_BYTES ? n - i : WORD_BYTES;
        while (k < n - i && k > 0 && ((unsigned char)s[i + k] & 0xC0) == 0x80)
            k--; /* never split a character */
        sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)s + i, k,
                          sodium_base64_VARIANT_ORIGINAL);
        strbuf_addf(&sb, " =?UTF-8?B?%s?=\n", b64);
        i += k;
    }
    const char *out = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return out;
}

/* text with its line ends as CRLF (the canonical form of text before it is encoded), in a. */
static const char *crlf_text(struct arena *a, const char *text)
{
    struct strbuf sb = STRBUF_INIT(64 * 1024 * 1024);
    for (const char *p = text; *p; p++) {
        if (*p == '\n' && (p == text || p[-1] != '\r'))
            strbuf_addch(&sb, '\r');
        strbuf_addch(&sb, *p);
    }
    const char *out = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return out;
}

static GMimeObject *text_part(struct arena *a, const char *text)
{
    GMimeTextPart *t = g_mime_text_part_new_with_subtype("plain");
    g_mime_text_part_set_text(t, crlf_text(a, text));
    g_mime_text_part_set_charset(t, "utf-8");
    GMimeObject *o = GMIME_OBJECT(t);
    g_mime_object_encode(o, GMIME_ENCODING_CONSTRAINT_7BIT);
    return o;
}

static GMimeObject *file_part(const struct mail_file *f)
{
    GMimeContentType *ct = g_mime_content_type_parse(NULL, f->content_type);
    const char *type = ct ? g_mime_content_type_get_media_type(ct) : NULL;
    const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : NULL;
    GMimePart *p = type && sub && strcmp(type, "multipart") && strcmp(type, "message")
                       ? g_mime_part_new_with_type(type, sub)
                       : g_mime_part_new_with_type("application", "octet-stream");
    if (ct)
        g_object_unref(ct);
    GMimeStream *s = g_mime_stream_mem_new_with_buffer(f->data, f->size);
    GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(s, GMIME_CONTENT_ENCODING_DEFAULT);
    g_object_unref(s);
    g_mime_part_set_content(p, w);
    g_object_unref(w);
    g_mime_part_set_filename(p, f->filename && *f->filename ? f->filename : "attachment");
    g_mime_part_set_content_encoding(p, GMIME_CONTENT_ENCODING_BASE64);
    return GMIME_OBJECT(p);
}

int mail_compose(const struct mail_due *d, const char *from, struct arena *a, char **ret,
                 size_t *ret_len, const char **ret_sender, struct kf_error *e)
{
    mail_gmime_init();
    InternetAddressList *from_l = internet_address_list_parse(NULL, from);
    InternetAddressMailbox *fm = first_mailbox(from_l);
    if (!fm || !strchr(internet_address_mailbox_get_addr(fm), '@')) {
        if (from_l)
            g_object_unref(from_l);
        return kf_fail(e, KF_EINVAL, "from", "the channel's from is not an address");
    }
    GMimeMessage *msg = g_mime_message_new(TRUE);
    GMimeObject *mo = GMIME_OBJECT(msg);
    internet_address_list_append(g_mime_message_get_from(msg), from_l);
    *ret_sender = arena_strdup(a, internet_address_mailbox_get_addr(fm));
    g_object_unref(from_l);
    g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, d->to);
    g_mime_message_set_subject(msg, d->subject, "utf-8");
    GMimeHeader *subject =
        g_mime_header_list_get_header(g_mime_object_get_header_list(mo), "Subject");
    if (subject)
        g_mime_header_set_raw_value(subject, header_words(a, d->subject));
    g_mime_message_set_message_id(msg, d->mail_id);
    GDateTime *date = g_date_time_new_from_unix_utc(d->created_at / 1000);
    g_mime_message_set_date(msg, date);
    g_date_time_unref(date);
    if (d->in_reply_to && *d->in_reply_to)
        g_mime_object_set_header(mo, "In-Reply-To", bracketed(a, d->in_reply_to), NULL);
    if (d->refs && *d->refs)
        g_mime_object_set_header(mo, "References", bracketed(a, d->refs), NULL);
    if (strcmp(d->kind, "reply"))
        g_mime_object_set_header(mo, "Auto-Submitted",
                                 !strcmp(d->kind, "ack") ? "auto-replied" : "auto-generated", NULL);
    GMimeObject *body = text_part(a, d->text);
    if (d->nfiles) {
        GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
        g_mime_multipart_add(mixed, body);
        g_object_unref(body);
        for (size_t i = 0; i < d->nfiles; i++) {
            GMimeObject *p = file_part(&d->files[i]);
            g_mime_multipart_add(mixed, p);
            g_object_unref(p);
        }
        body = GMIME_OBJECT(mixed);
    }
    g_mime_message_set_mime_part(msg, body);
    g_object_unref(body);

    GMimeFormatOptions *fo = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
    GMimeStream *out = g_mime_stream_mem_new();
    g_mime_object_write_to_stream(mo, fo, out);
    GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
    *ret_len = bytes->len;
    *ret = arena_alloc(a, bytes->len + 1);
    memcpy(*ret, bytes->data, bytes->len);
    (*ret)[bytes->len] = '\0';
    g_object_unref(out);
    g_mime_format_options_free(fo);
    g_object_unref(msg);
    return 0;
}
