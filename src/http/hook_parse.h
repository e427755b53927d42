/* hook_parse.h: the JSON body of an inbound hook message, read into core's shape. Apart from
 * the handler so that a fuzzer can drive it alone. */
#ifndef KEFU_HOOK_PARSE_H
#define KEFU_HOOK_PARSE_H

#include <stddef.h>

struct arena;
struct kf_error;
struct hook_message;

/* Reads body (len bytes, any content) into *m, strings and files in a. 0, or KF_EINVAL naming
 * the field ("body" for what is no JSON object, "attachments[0].base64"). */
int hook_parse(const char *body, size_t len, struct arena *a, struct hook_message *m,
               struct kf_error *e);

#endif
