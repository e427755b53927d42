/* err.c: error helpers. */
#include "lib/err.h"

#include <stddef.h>

#include "lib/banned.h"

int kf_fail(struct kf_error *e, int rc, const char *field, const char *message)
{
    if (e) {
        e->field = field;
        e->message = message;
        e->code = NULL;
    }
    return rc;
}

const char *kf_strerror(int rc)
{
    switch (rc) {
    case KF_OK:
        return "ok";
    case KF_EINVAL:
        return "invalid value";
    case KF_ENOTFOUND:
        return "not found";
    case KF_ECONFLICT:
        return "conflict";
    case KF_EFORBIDDEN:
        return "forbidden";
    case KF_EAUTH:
        return "unauthorized";
    case KF_ETOOBIG:
        return "too large";
    case KF_EBADREQ:
        return "bad request";
    case KF_ELIMIT:
        return "too many requests";
    case KF_EDB:
        return "database error";
    case KF_EIO:
        return "i/o error";
    case KF_EBUSY:
        return "database busy";
    case KF_ESHUTDOWN:
        return "shutting down";
    }
    return "unknown error";
}
