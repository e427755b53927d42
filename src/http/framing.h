/* framing.h: request framing (RFC 9112 §6.3) checked before a body is read. */
#ifndef KEFU_FRAMING_H
#define KEFU_FRAMING_H

struct MHD_Connection;
struct kf_error;

/* Whether the request's body is framed in one way only (RFC 9112 §6.3): 0, or KF_EBADREQ
 * with e saying why. After KF_EBADREQ the connection must be closed: where this body ends,
 * and so where the next request starts, is not known, and a proxy in front of us may have
 * split the bytes otherwise (request smuggling).
 *
 * libmicrohttpd 0.9.75 is too lenient here by itself: of several Content-Length headers it
 * takes the first; with Transfer-Encoding it ignores Content-Length and keeps the
 * connection open; a coding other than exactly "chunked" makes it read the body until the
 * peer closes, so the request is never answered. Without Transfer-Encoding it does refuse a
 * first Content-Length that is not a decimal number, with a 400 (HTML) of its own, before the
 * handler is called. */
int http_check_framing(struct MHD_Connection *conn, const char *version, struct kf_error *e);

#endif
