/* smtp_out.h: one mail handed to a channel's SMTP server (libcurl). */
#ifndef KEFU_SMTP_OUT_H
#define KEFU_SMTP_OUT_H

#include <stddef.h>

enum {
    SMTP_CONNECT_TIMEOUT_S = 10,
    SMTP_TIMEOUT_S = 120, /* a large attachment to a slow server */
    SMTP_ERROR_LEN = 256,
};

struct smtp_server {
    const char *url;      /* smtp://host[:port] or smtps://host[:port] */
    const char *tls;      /* "starttls" (required), "tls" (smtps://) or "none"; NULL: starttls
                             on smtp://, TLS on smtps:// */
    const char *user;     /* NULL or "": no login */
    const char *password; /* with user */
};

enum smtp_outcome {
    SMTP_SENT,
    SMTP_TRANSIENT, /* no answer, a 4xx, a failed login or TLS: the server may take it later */
    SMTP_REFUSED,   /* a 5xx for this mail: it will never be taken */
};

struct smtp_result {
    enum smtp_outcome outcome;
    int reached; /* the server answered (it is not down, whatever it said of the mail) */
    long code;   /* the server's last reply code, 0: none */
    char error[SMTP_ERROR_LEN]; /* what went wrong, "" when sent */
};

/* A connection to one SMTP server kept between mails (libcurl's, reused while the server keeps
 * it open): for several mails of one channel in a row. */
struct smtp_conn;
struct smtp_conn *smtp_conn_new(void);
/* Closes the connection (QUIT) and frees. Accepts NULL. */
void smtp_conn_free(struct smtp_conn *c);

/* Sends the len bytes of data (a whole message, CRLF lines) from sender to rcpt through srv,
 * logging in when srv->user is set. Returns 0 when the try is over (*ret says how it went), or
 * KF_ESHUTDOWN when stop(arg) ended it first (nothing is known of it). stop may be NULL. conn
 * NULL: a connection for this mail alone; else conn's, which must have been used for the same
 * server only. Call webhook_out_init() (curl's global set-up) first. */
int smtp_send(struct smtp_conn *conn, const struct smtp_server *srv, const char *sender,
              const char *rcpt, const char *data, size_t len, int (*stop)(void *arg), void *arg,
              struct smtp_result *ret);

#endif
