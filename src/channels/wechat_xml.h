/* wechat_xml.h: the WeChat official account platform's message XML: what a follower's message
 * says (a small, strictly bounded subset of XML, read without any XML library), and the
 * passive text reply written back. Pure: no I/O, no database. */
#ifndef KEFU_WECHAT_XML_H
#define KEFU_WECHAT_XML_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct strbuf;
struct kf_error;

enum {
    WECHAT_XML_MAX = 64 * 1024, /* bytes of a message; the platform's are a few hundred */
    WECHAT_XML_DEPTH = 8,       /* nesting of elements */
    WECHAT_OPENID_MAX = 128,
};

/* One message as the platform posts it: each field NULL when absent, else UTF-8 text (entities
 * and CDATA resolved) in the arena. create_time in seconds since the epoch. */
struct wechat_msg {
    const char *to_user, *from_user, *msg_type;
    int64_t create_time;
    const char *content, *media_id, *pic_url, *recognition, *format, *msg_id, *event;
};

/* Reads the n bytes at xml (need not be NUL-terminated): an optional <?xml ...?> declaration
 * and comments, then one <xml> element whose child elements are the fields (text, CDATA, the
 * five named entities and character references; deeper elements are skipped). A DOCTYPE, an
 * entity declaration, an attribute, an unknown entity, invalid UTF-8, more than WECHAT_XML_MAX
 * bytes or WECHAT_XML_DEPTH levels are refused. ToUserName, FromUserName (at most
 * WECHAT_OPENID_MAX printable ASCII characters), CreateTime (digits) and MsgType are required.
 * 0, or KF_EINVAL with e naming the field ("xml" for the form) and why (static text). *ret is
 * untouched on failure. */
int wechat_xml_parse(const char *xml, size_t n, struct arena *a, struct wechat_msg *ret,
                     struct kf_error *e);

/* Appends the passive text reply to `to` from `from` at create_time (seconds) saying content,
 * each string as CDATA (a "]]>" inside split across two sections). 0 or KF_ETOOBIG from sb. */
int wechat_xml_reply_text(struct strbuf *sb, const char *to, const char *from, int64_t create_time,
                          const char *content);

#endif
