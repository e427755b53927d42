/* wechat_fuzz.c: libFuzzer harness of the WeChat intake: any bytes go to wechat_xml_parse;
 * what it accepts must be UTF-8 with the required fields, and its passive reply, written from
 * those fields, must read back to the same fields. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/wechat_xml.h"
#include "lib/arena.h"
#include "lib/err.h"
#include "lib/strbuf.h"
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
    struct wechat_msg m;
    struct kf_error e = {0};
    if (wechat_xml_parse((const char *)data, size, &a, &m, &e) == 0) {
        if (!m.to_user || !m.from_user || !m.msg_type)
            abort();
        check_utf8(m.to_user), check_utf8(m.from_user), check_utf8(m.msg_type);
        check_utf8(m.content), check_utf8(m.media_id), check_utf8(m.pic_url);
        check_utf8(m.recognition), check_utf8(m.format), check_utf8(m.msg_id);
        check_utf8(m.event);
        struct strbuf sb = STRBUF_INIT(4 * WECHAT_XML_MAX);
        const char *content = m.content ? m.content : "";
        if (wechat_xml_reply_text(&sb, m.from_user, m.to_user, m.create_time, content))
            abort();
        struct wechat_msg back;
        /* a reply may pass the size limit when CDATA sections were split many times */
        if (sb.len <= WECHAT_XML_MAX) {
            int rc = wechat_xml_parse(sb.buf, sb.len, &a, &back, &e);
            /* the account's own id (now the sender) need not have the form of an openid */
            if (rc && strcmp(e.field, "FromUserName"))
                abort();
            if (!rc && (strcmp(back.to_user, m.from_user) || strcmp(back.from_user, m.to_user) ||
                        strcmp(back.content, content) || back.create_time != m.create_time))
                abort();
        }
        strbuf_release(&sb);
    } else if (!e.field || !e.message) {
        abort();
    }
    arena_release(&a);
    return 0;
}
