/* framing.c: where a request's body ends, refused when it could end in more than one place. */
#define _GNU_SOURCE
#include "http/framing.h"

#include <microhttpd.h>
#include <string.h>
#include <strings.h>

#include "lib/banned.h"
#include "lib/err.h"

/* The headers that say where a request's body ends, as on_request's first call sees them. */
struct framing {
    int content_lengths, transfer_encodings;
    int bad_content_length;        /* a Content-Length that is not a plain decimal number */
    const char *transfer_encoding; /* the last Transfer-Encoding */
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    struct framing *f = cls;
    (void)kind;
    if (!value)
        value = "";
    if (!strcasecmp(key, "Content-Length")) {
        f->content_lengths++;
        if (!*value || value[strspn(value, "0123456789")])
            f->bad_content_length = 1;
    } else if (!strcasecmp(key, "Transfer-Encoding")) {
        f->transfer_encodings++;
        f->transfer_encoding = value;
    }
    return MHD_YES;
}

int http_check_framing(struct MHD_Connection *conn, const char *version, struct kf_error *e)
{
    struct framing f = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &f);
    /* Equal duplicates could be merged (RFC 9110 §8.6 allows it); they are refused too, as
     * no sound client sends them and then no answer depends on which copy a proxy read. */
    if (f.content_lengths > 1)
        return kf_fail(e, KF_EBADREQ, NULL, "send one Content-Length header, not several");
    if (f.content_lengths && f.transfer_encodings)
        return kf_fail(e, KF_EBADREQ, NULL,
                       "send either Content-Length or Transfer-Encoding, not both");
    if (f.bad_content_length)
        return kf_fail(e, KF_EBADREQ, NULL, "Content-Length must be a decimal number");
    if (!f.transfer_encodings)
        return 0;
    /* RFC 9112 §6.1: in HTTP/1.0 the header is no framing to trust */
    if (!strcmp(version, MHD_HTTP_VERSION_1_0))
        return kf_fail(e, KF_EBADREQ, NULL, "HTTP/1.0 has no Transfer-Encoding");
    /* chunked is the only coding we decode, and it may be applied once only */
    if (f.transfer_encodings > 1 || strcasecmp(f.transfer_encoding, "chunked"))
        return kf_fail(e, KF_EBADREQ, NULL,
                       "the only Transfer-Encoding accepted is a single \"chunked\"");
    return 0;
}
