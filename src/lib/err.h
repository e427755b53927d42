/* err.h: the one result type of every fallible function, and the user-facing error detail. */
#ifndef KEFU_ERR_H
#define KEFU_ERR_H

enum kf_err {
    KF_OK = 0,
    KF_EINVAL = -1,     /* a value is wrong: 422 */
    KF_ENOTFOUND = -2,  /* no such thing: 404 */
    KF_ECONFLICT = -3,  /* changed by someone else, or a duplicate: 409 */
    KF_EFORBIDDEN = -4, /* the caller's role does not allow it: 403 */
    KF_EAUTH = -5,      /* not signed in, or bad credentials: 401 */
    KF_ETOOBIG = -6,    /* over a size limit: 413 */
    KF_EBADREQ = -7,    /* malformed request: 400 */
    KF_ELIMIT = -8,     /* too many requests: 429 */
    KF_EDB = -9,        /* the database failed: 500 */
    KF_EIO = -10,       /* a file or socket failed: 500 */
    KF_EBUSY = -11,     /* the database is locked: 503 */
    KF_ESHUTDOWN = -12, /* the server is stopping and takes no more writes: 503 */
};

/* What went wrong, for the user: a stable code word, the field and a sentence.
 * Filled by the function that detects the error; static strings or copies in the caller's
 * arena only, so an error needs no freeing. */
struct kf_error {
    const char *code;
    const char *field;
    const char *message;
};

/* Sets e (if not NULL) and returns rc, so callers can write `return kf_fail(...)`. */
int kf_fail(struct kf_error *e, int rc, const char *field, const char *message);

/* A short English name of rc, for logs. */
const char *kf_strerror(int rc);

#endif
