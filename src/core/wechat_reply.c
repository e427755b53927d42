/* wechat_reply.c: a public reply on a WeChat ticket becomes a customer-service message. */
#include "core/wechat_reply.h"

#include <string.h>

#include "core/channel.h"
#include "core/channel_out.h"
#include "core/ticket.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/jw.h"
#include "lib/strbuf.h"
#include "store/db.h"

int wechat_reply_queue(struct db *db, const struct ticket *t, int64_t message_id, const char *body,
                       struct kf_error *e)
{
    struct arena a = ARENA_INIT;
    struct channel_config ch;
    int rc = channel_get(db, t->channel, &a, &ch);
    if (rc || strcmp(ch.kind, "wechat")) {
        arena_release(&a);
        return rc == KF_ENOTFOUND ? 0 : rc;
    }
    struct stmt *st = db_stmt(db, SQL_wechat_ticket_openid);
    st_int(st, 1, t->id);
    rc = st_step(st);
    const char *openid = rc == 1 ? arena_strdup(&a, col_text(st, 0)) : NULL;
    st_reset(st);
    if (rc == 1) {
        struct strbuf sb = STRBUF_INIT(CHANNEL_OUT_PAYLOAD_MAX);
        struct jw w;
        jw_init(&w, &sb);
        jw_obj_begin(&w);
        jw_kstr(&w, "touser", openid);
        jw_kstr(&w, "msgtype", "text");
        jw_key(&w, "text");
        jw_obj_begin(&w);
        jw_kstr(&w, "content", body);
        jw_obj_end(&w);
        jw_obj_end(&w);
        rc = sb.overflow ? kf_fail(e, KF_EINVAL, "body", "the reply is too long for WeChat")
                         : channel_out_queue(db, ch.code, t->id, message_id, sb.buf, e);
        strbuf_release(&sb);
    }
    arena_release(&a);
    return rc;
}
