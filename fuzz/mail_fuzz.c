/* mail_fuzz.c: libFuzzer harness of the mail intake: any bytes go to mail_parse and to both
 * HTML readers; whatever comes out must be UTF-8, and the sanitizer's output must hold no
 * markup it does not allow (a second pass over it changes nothing). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/html_clean.h"
#include "channels/mail_parse.h"
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
    struct mail_in m;
    struct kf_error e = {0};
    if (mail_parse((const char *)data, size, 0, &a, &m, &e) == 0) {
        check_utf8(m.subject), check_utf8(m.text), check_utf8(m.html);
        check_utf8(m.from.name), check_utf8(m.from.addr), check_utf8(m.message_id);
        for (size_t i = 0; i < m.n_to; i++)
            check_utf8(m.to[i].name), check_utf8(m.to[i].addr);
        for (size_t i = 0; i < m.n_references; i++)
            check_utf8(m.references[i]);
        for (size_t i = 0; i < m.n_attachments; i++)
            check_utf8(m.attachments[i].filename);
        if (m.html) {
            char *clean = html_clean(&a, m.html, strlen(m.html));
            char *twice = html_clean(&a, clean, strlen(clean));
            if (strcmp(clean, twice) != 0)
                abort();
        }
        char ref[64];
        mail_ticket_ref(m.subject, ref, sizeof ref);
        mail_subject_strip(&a, m.subject);
    }
    /* the bytes as HTML too */
    char *clean = html_clean(&a, (const char *)data, size);
    check_utf8(clean);
    char *twice = html_clean(&a, clean, strlen(clean));
    if (strcmp(clean, twice) != 0)
        abort();
    check_utf8(html_to_text(&a, (const char *)data, size));
    arena_release(&a);
    return 0;
}
