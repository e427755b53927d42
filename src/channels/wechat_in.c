/* wechat_in.c: a follower's message becomes a ticket, or a message on their open ticket. */
#include "channels/wechat_in.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "channels/wechat_xml.h"
#include "core/actor.h"
#include "core/channel.h"
#include "core/customer.h"
#include "core/message.h"
#include "core/ticket.h"
#include "core/wechat_media.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/sha1.h"
#include "lib/text.h"
#include "store/db.h"

enum { SUBJECT_CHARS = 30, SIGNED_PART_MAX = 256 };

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int wechat_signature_ok(const char *token, const char *timestamp, const char *nonce,
                        const char *signature)
{
    const char *parts[3] = {token, timestamp, nonce};
    char joined[3 * SIGNED_PART_MAX + 1];
    size_t n = 0;
    if (!signature || strlen(signature) != SHA1_HEX_LEN - 1)
        return 0;
    for (int i = 0; i < 3; i++)
        if (!parts[i] || !*parts[i] || strlen(parts[i]) > SIGNED_PART_MAX)
            return 0;
    qsort(parts, 3, sizeof(parts[0]), cmp_str);
    for (int i = 0; i < 3; i++) {
        memcpy(joined + n, parts[i], strlen(parts[i]));
        n += strlen(parts[i]);
    }
    char want[SHA1_HEX_LEN];
    sha1_hex(joined, n, want);
    char got[SHA1_HEX_LEN];
    for (int i = 0; i < SHA1_HEX_LEN; i++) /* the platform writes lower case; accept either */
        got[i] =
            signature[i] >= 'A' && signature[i] <= 'F' ? (char)(signature[i] + 32) : signature[i];
    return sodium_memcmp(want, got, SHA1_HEX_LEN - 1) == 0;
}

/* What the customer's message says: the text, or a note of the media sent. */
static const char *body_of(const struct wechat_msg *m, struct arena *a)
{
    const char *media = m->media_id ? m->media_id : "";
    if (!strcmp(m->msg_type, "text"))
        return m->content && !text_blank(m->content) ? m->content : "(空消息)";
    if (!strcmp(m->msg_type, "image"))
        return arena_printf(a, "[图片] %s\n(MediaId: %s)", m->pic_url ? m->pic_url : "", media);
    if (!strcmp(m->msg_type, "voice"))
        return m->recognition && !text_blank(m->recognition)
                   ? arena_printf(a, "[语音] %s\n(MediaId: %s)", m->recognition, media)
                   : arena_printf(a, "[语音]\n(MediaId: %s)", media);
    return arena_printf(a, "[%s 消息:请在公众号后台查看]%s%s", m->msg_type,
                        *media ? "\n(MediaId: " : "", *media ? arena_printf(a, "%s)", media) : "");
}

/* The follower's customer: the one known by the openid (an identity of kind wechat_openid),
 * else a new one. */
static int follower(struct db *db, const struct actor *kefu, const char *openid, struct arena *a,
                    int64_t *ret, struct kf_error *e)
{
    size_t n = strlen(openid);
    struct customer_input ci = {0};
    ci.name = arena_printf(a, "微信用户 %s", n > 6 ? openid + n - 6 : openid);
    struct customer c;
    int rc = customer_find_or_create_by_identity(db, kefu, "wechat_openid", openid, &ci, a, &c, e);
    if (!rc)
        *ret = c.id;
    return rc;
}

static int duplicate(struct db *db, const char *channel, const char *key, struct arena *a,
                     struct wechat_result *ret)
{
    struct stmt *st = db_stmt(db, SQL_wechat_msg_get);
    st_text(st, 1, channel);
    st_text(st, 2, key);
    int rc = st_step(st);
    if (rc == 1) {
        ret->ticket_id = col_int(st, 0);
        ret->new_ticket = (int)col_int(st, 1);
    }
    st_reset(st);
    if (rc <= 0)
        return rc;
    struct ticket t;
    if ((rc = ticket_get_id(db, NULL, ret->ticket_id, a, &t)))
        return rc;
    ret->outcome = WECHAT_DUPLICATE;
    ret->number = t.number;
    return 1;
}

int wechat_in_store(struct db *db, const char *channel, const struct wechat_msg *m, struct arena *a,
                    struct wechat_result *ret, struct kf_error *e)
{
    memset(ret, 0, sizeof(*ret));
    struct channel_config ch;
    int rc = channel_get(db, channel, a, &ch);
    if (rc == KF_ENOTFOUND || (!rc && strcmp(ch.kind, "wechat")))
        return kf_fail(e, KF_EINVAL, "channel", "no WeChat channel has this code");
    if (rc)
        return rc;
    if (!strcmp(m->msg_type, "event")) { /* subscribe, unsubscribe, menus: nothing to answer */
        ret->outcome = WECHAT_IGNORED;
        return channel_record(db, channel, NULL);
    }
    /* the platform's key of a message; without a MsgId, the sender and the time (its advice) */
    const char *key =
        m->msg_id ? m->msg_id : arena_printf(a, "%s@%" PRId64, m->from_user, m->create_time);
    if ((rc = duplicate(db, channel, key, a, ret)))
        return rc < 0 ? rc : channel_record(db, channel, NULL);

    struct actor kefu = {.name = "kefu", .role = ROLE_ADMIN};
    int64_t customer_id, ticket_id = 0;
    if ((rc = follower(db, &kefu, m->from_user, a, &customer_id, e)))
        return rc;
    struct stmt *st = db_stmt(db, SQL_wechat_follower_open_ticket);
    st_text(st, 1, channel);
    st_text(st, 2, m->from_user);
    if ((rc = st_one_int(st, &ticket_id)) < 0)
        return rc;
    const char *body = utf8_prefix(a, body_of(m, a), DESCRIPTION_MAX);
    struct ticket t;
    if (!ticket_id) {
        struct ticket_input in = {0};
        in.channel = channel;
        in.type = "inquiry";
        const char *first = arena_strndup(a, body, strcspn(body, "\n"));
        in.subject = text_blank(first) ? "微信消息" : utf8_prefix(a, first, SUBJECT_CHARS);
        in.description = body;
        in.customer_id = customer_id;
        if ((rc = ticket_create(db, &kefu, &in, a, &t, e)))
            return rc;
        ret->outcome = WECHAT_NEW_TICKET;
        ret->new_ticket = 1;
    } else {
        if ((rc = ticket_get_id(db, NULL, ticket_id, a, &t)))
            return rc;
        ret->outcome = WECHAT_JOINED;
    }
    int64_t message_id;
    if ((rc = message_add_customer(db, t.id, customer_id, body, a, &message_id, e)))
        return rc;
    /* an image or a voice is fetched later by the channel's own thread, never in this answer */
    if (m->media_id && *m->media_id &&
        (!strcmp(m->msg_type, "image") || !strcmp(m->msg_type, "voice")) &&
        (rc = wechat_media_queue(db, channel, t.id, message_id, m->media_id, m->msg_type)))
        return rc;
    st = db_stmt(db, SQL_wechat_msg_insert);
    st_text(st, 1, channel);
    st_text(st, 2, key);
    st_text(st, 3, m->from_user);
    st_int(st, 4, t.id);
    st_int(st, 5, message_id);
    st_int(st, 6, ret->new_ticket);
    st_int(st, 7, ktime_now());
    if ((rc = st_exec(st)))
        return rc;
    ret->ticket_id = t.id;
    ret->number = t.number;
    return channel_record(db, channel, NULL);
}
