/* mail_parse.h: one raw RFC 5322 mail turned into what Kefu keeps of it (no network, no
 * database): ids, addresses, the decoded subject and bodies, attachments and the flags that
 * keep auto-replies, bounces and mailing lists from making tickets. */
#ifndef KEFU_MAIL_PARSE_H
#define KEFU_MAIL_PARSE_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct kf_error;

enum {
    MAIL_MAX_BYTES = 25 * 1024 * 1024, /* the default size limit of one mail */
    MAIL_MAX_DEPTH = 20,               /* multiparts and attached messages inside each other */
    MAIL_MAX_PARTS = 100,              /* MIME parts of one mail, containers included */
};

/* A mailbox: name is the decoded display name ("" when there is none), addr the address
 * with its domain and local part lower-cased ("" when the header named no address). */
struct mail_addr {
    const char *name;
    const char *addr;
};

/* An attachment or inline image, its bytes decoded from base64 or quoted-printable. */
struct mail_attachment {
    const char *filename;     /* decoded (RFC 2047 and RFC 2231); never NULL, may be "" */
    const char *content_type; /* lower-case type/subtype, e.g. "image/png" */
    const char *content_id;   /* without <>, or NULL */
    int is_inline;            /* shown inside the HTML body (cid:) rather than attached */
    const unsigned char *data;
    size_t size;
};

/* Everything lives in the arena given to mail_parse; strings are UTF-8 and NUL-terminated. */
struct mail_in {
    const char *message_id; /* without <>; "<hash>@kefu.invalid" when the mail had none */
    int message_id_synthetic;
    const char **in_reply_to; /* ids without <>, in the order written */
    size_t n_in_reply_to;
    const char **references;
    size_t n_references;
    struct mail_addr from;
    struct mail_addr *to, *cc, *reply_to;
    size_t n_to, n_cc, n_reply_to;
    const char *subject; /* decoded, prefixes (Re:, 回复:) kept; "" when absent */
    int64_t date;        /* UTC milliseconds, 0 when absent or unreadable */
    const char *text;    /* the plain-text body, or the HTML body rendered as text; "" if none */
    const char *html;    /* the HTML body as sent (converted to UTF-8), NULL when none */
    struct mail_attachment *attachments;
    size_t n_attachments;
    /* classification */
    int auto_reply; /* Auto-Submitted, X-Autoreply, Precedence, out-of-office subjects */
    int bounce;     /* a delivery-status report, or from MAILER-DAEMON / postmaster */
    int list;       /* List-Id, List-Unsubscribe, Precedence: list */
    const char *bounced_message_id; /* a bounce's original Message-ID when it carries it */
};

/* Parses the len bytes at raw (which need not be NUL-terminated) into *ret, allocating from
 * a. max_bytes is the size limit (0: MAIL_MAX_BYTES). Undecodable bytes become U+FFFD; broken
 * MIME is read as far as it goes. Returns 0; or KF_EINVAL with e set for a mail over the size
 * limit, nested deeper than MAIL_MAX_DEPTH or of more than MAIL_MAX_PARTS parts, or with no
 * header at all (ret is then untouched). Safe to call from several threads at once. */
int mail_parse(const char *raw, size_t len, size_t max_bytes, struct arena *a, struct mail_in *ret,
               struct kf_error *e);

/* Starts GMime once for the process (the parser and the composer both call it). */
void mail_gmime_init(void);

/* The subject without its reply and forward prefixes ("Re: 回复: Fwd: x" → "x"), in a. */
const char *mail_subject_strip(struct arena *a, const char *subject);

/* Copies the first ticket reference "[#NUMBER]" of subject (e.g. "[#MAIL-20231002-001]")
 * into buf (n bytes) without the brackets. Returns 1 when found, 0 when the subject has none
 * (or it does not fit; buf is then ""). */
int mail_ticket_ref(const char *subject, char *buf, size_t n);

#endif
