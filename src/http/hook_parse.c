/* hook_parse.c: an inbound hook message's JSON. */
#include "http/hook_parse.h"

#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "core/hook.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"

/* A string member: 0 absent or null, 1 set, KF_EINVAL for another type or a NUL. */
static int str(json_t *o, const char *key, const char *field, struct arena *a, const char **ret,
               struct kf_error *e)
{
    json_t *v = json_object_get(o, key);
    *ret = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return kf_fail(e, KF_EINVAL, field, "must be a string");
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (memchr(s, 0, n))
        return kf_fail(e, KF_EINVAL, field, "may not contain NUL characters");
    *ret = arena_strndup(a, s, n);
    return 1;
}

static int files(json_t *arr, struct arena *a, struct hook_message *m, struct kf_error *e)
{
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return kf_fail(e, KF_EINVAL, "attachments", "must be an array");
    if (json_array_size(arr) > HOOK_ATTACHMENTS_MAX)
        return kf_fail(e, KF_EINVAL, "attachments", "at most 10 attachments");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *o = json_array_get(arr, i);
        struct hook_file *f = &m->files[m->nfiles];
        const char *b64 = NULL;
        char *fname = arena_printf(a, "attachments[%zu].filename", i);
        char *ctype = arena_printf(a, "attachments[%zu].content_type", i);
        char *data = arena_printf(a, "attachments[%zu].base64", i);
        if (!json_is_object(o))
            return kf_fail(e, KF_EINVAL, arena_printf(a, "attachments[%zu]", i),
                           "must be an object");
        int rc = str(o, "filename", fname, a, &f->filename, e);
        if (rc >= 0)
            rc = str(o, "content_type", ctype, a, &f->content_type, e);
        if (rc >= 0)
            rc = str(o, "base64", data, a, &b64, e);
        if (rc < 0)
            return rc;
        if (!f->filename || !*f->filename)
            return kf_fail(e, KF_EINVAL, fname, "an attachment needs a filename");
        if (!f->content_type || !*f->content_type)
            f->content_type = "application/octet-stream";
        size_t n = b64 ? strlen(b64) : 0, size = 0;
        unsigned char *bin = arena_alloc(a, n / 4 * 3 + 3);
        if (!n ||
            sodium_base642bin(bin, n / 4 * 3 + 3, b64, n, "\r\n", &size, NULL,
                              sodium_base64_VARIANT_ORIGINAL) ||
            !size)
            return kf_fail(e, KF_EINVAL, data, "must be the file's content in base64");
        f->data = bin;
        f->size = size;
        m->nfiles++;
    }
    return 0;
}

int hook_parse(const char *body, size_t len, struct arena *a, struct hook_message *m,
               struct kf_error *e)
{
    memset(m, 0, sizeof(*m));
    json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return kf_fail(e, KF_EINVAL, "body", "the body must be a JSON object");
    }
    json_t *c = json_object_get(o, "customer");
    int rc = 0;
    if (!c || !json_is_object(c))
        rc = kf_fail(e, KF_EINVAL, "customer", "customer must be an object with external_id");
    struct {
        json_t *in;
        const char *key, *field, **out;
    } fields[] = {
        {o, "message_id", "message_id", &m->message_id},
        {o, "thread_id", "thread_id", &m->thread_id},
        {o, "type", "type", &m->type},
        {o, "subject", "subject", &m->subject},
        {o, "body", "body", &m->body},
        {c, "external_id", "customer.external_id", &m->external_id},
        {c, "name", "customer.name", &m->customer.name},
        {c, "phone", "customer.phone", &m->customer.phone},
        {c, "email", "customer.email", &m->customer.email},
        {c, "member_id", "customer.member_id", &m->customer.member_id},
    };
    for (size_t i = 0; !rc && i < sizeof(fields) / sizeof(fields[0]); i++)
        if ((rc = str(fields[i].in, fields[i].key, fields[i].field, a, fields[i].out, e)) > 0)
            rc = 0;
    if (!rc && !m->message_id)
        rc = kf_fail(e, KF_EINVAL, "message_id", "message_id is required");
    if (!rc && !m->external_id)
        rc = kf_fail(e, KF_EINVAL, "customer.external_id", "customer.external_id is required");
    if (!rc && !m->body)
        rc = kf_fail(e, KF_EINVAL, "body", "body is required");
    if (!rc)
        rc = files(json_object_get(o, "attachments"), a, m, e);
    json_decref(o);
    return rc;
}
