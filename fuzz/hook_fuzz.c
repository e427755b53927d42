/* hook_fuzz.c: libFuzzer harness of the inbound hook intake: any bytes go to hook_parse (the
 * body of POST /hooks/{code} once its signature holds); what it reads must be UTF-8 without
 * NUL, and within its bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/hook.h"
#include "http/hook_parse.h"
#include "lib/arena.h"
#include "lib/err.h"
#include "lib/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_utf8(const char *s)
{
    if (s && !utf8_valid(s, strlen(s)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a = ARENA_INIT;
    struct hook_message m;
    struct kf_error e = {0};
    int rc = hook_parse((const char *)data, size, &a, &m, &e);
    if (rc == 0) {
        if (!m.message_id || !m.external_id || !m.body)
            abort();
        check_utf8(m.message_id), check_utf8(m.thread_id), check_utf8(m.external_id);
        check_utf8(m.type), check_utf8(m.subject), check_utf8(m.body);
        check_utf8(m.customer.name), check_utf8(m.customer.phone);
        check_utf8(m.customer.email), check_utf8(m.customer.member_id);
        if (m.nfiles > HOOK_ATTACHMENTS_MAX)
            abort();
        for (size_t i = 0; i < m.nfiles; i++) {
            check_utf8(m.files[i].filename);
            if (!m.files[i].size || m.files[i].size > size)
                abort();
        }
    } else if (rc != KF_EINVAL || !e.field) {
        abort(); /* bad input is named, never anything else */
    }
    arena_release(&a);
    return 0;
}
