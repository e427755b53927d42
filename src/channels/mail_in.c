/* mail_in.c: a parsed mail becomes a ticket, or a message on the ticket it answers. */
#define _POSIX_C_SOURCE 200809L
#include "channels/mail_in.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "channels/mail_parse.h"
#include "core/actor.h"
#include "core/attachment.h"
#include "core/channel.h"
#include "core/customer.h"
#include "core/mail_out.h"
#include "core/message.h"
#include "core/ticket.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/text.h"
#include "store/db.h"

enum { RAISED_AT_MAX_AGE = 7 * 24 * 3600 * 1000 }; /* a Date older than this is not believed */

/* The ticket the mail answers: one whose Message-ID it names, else the [#NUMBER] of its
 * subject. 0 when none. */
static int find_thread(struct db *db, const struct mail_in *m, struct arena *a, int64_t *ret)
{
    *ret = 0;
    const char **lists[2] = {m->in_reply_to, m->references};
    size_t counts[2] = {m->n_in_reply_to, m->n_references};
    for (int l = 0; l < 2; l++)
        for (size_t i = counts[l]; i-- > 0;) { /* the newest reference is written last */
            struct stmt *st = db_stmt(db, SQL_mail_id_ticket);
            st_text(st, 1, lists[l][i]);
            int rc = st_one_int(st, ret);
            if (rc)
                return rc < 0 ? rc : 0;
            *ret = 0;
        }
    char ref[96];
    if (!mail_ticket_ref(m->subject, ref, sizeof(ref)))
        return 0;
    struct ticket t;
    int rc = ticket_get(db, NULL, ref, a, &t);
    if (rc == 0)
        *ret = t.id;
    return rc == KF_ENOTFOUND ? 0 : rc;
}

static int remember_id(struct db *db, const char *mail_id, int64_t ticket_id, int64_t message_id)
{
    struct stmt *st = db_stmt(db, SQL_mail_id_insert);
    st_text(st, 1, mail_id);
    st_int(st, 2, ticket_id);
    st_int(st, 3, message_id);
    st_text(st, 4, "in");
    st_int(st, 5, ktime_now());
    return st_exec(st);
}

static int ignore(struct db *db, const char *channel, const struct mail_in *m,
                  struct mail_result *ret)
{
    ret->outcome = MAIL_IGNORED;
    ret->why = m->bounce ? "bounce" : m->auto_reply ? "auto-reply" : "list mail";
    if (m->bounce && m->bounced_message_id) { /* for the delivery status of what Kefu sent */
        struct stmt *st = db_stmt(db, SQL_mail_bounce_insert);
        st_text(st, 1, channel);
        st_text(st, 2, m->bounced_message_id);
        st_int(st, 3, ktime_now());
        int rc = st_exec(st);
        if (!rc)
            rc = mail_out_bounced(db, m->bounced_message_id,
                                  *m->subject ? m->subject : "the mail bounced", NULL);
        if (rc)
            return rc;
    }
    return channel_record(db, channel, NULL);
}

int mail_in_store(struct db *db, const char *channel, const struct mail_in *m, struct arena *a,
                  struct mail_result *ret, struct kf_error *e)
{
    memset(ret, 0, sizeof(*ret));
    struct channel_config ch;
    int rc = channel_get(db, channel, a, &ch);
    if (rc == KF_ENOTFOUND || (!rc && strcmp(ch.kind, "mail")))
        return kf_fail(e, KF_EINVAL, "channel", "no mail channel has this code");
    if (rc)
        return rc;
    if (m->auto_reply || m->bounce || m->list)
        return ignore(db, channel, m, ret);
    int64_t known;
    struct stmt *st = db_stmt(db, SQL_mail_id_ticket);
    st_text(st, 1, m->message_id);
    if ((rc = st_one_int(st, &known)) == 1) {
        ret->outcome = MAIL_DUPLICATE;
        ret->ticket_id = known;
        return channel_record(db, channel, NULL);
    }
    if (rc < 0)
        return rc;
    if (!*m->from.addr)
        return kf_fail(e, KF_EINVAL, "from", "the mail names no sender address");

    struct actor kefu = {.name = "kefu", .role = ROLE_ADMIN};
    const char *name = *m->from.name ? utf8_prefix(a, m->from.name, 100) : NULL;
    struct customer_input ci = {0};
    ci.email = m->from.addr;
    ci.name = name ? name : arena_strndup(a, m->from.addr, strcspn(m->from.addr, "@"));
    struct customer cust;
    if ((rc = customer_normalize(&ci, "from.", a, e)) ||
        (rc = customer_find_or_create(db, &kefu, &ci, a, &cust, e)))
        return rc;
    const char *body = utf8_prefix(a, m->text, DESCRIPTION_MAX);

    int64_t ticket_id;
    if ((rc = find_thread(db, m, a, &ticket_id)))
        return rc;
    struct ticket t;
    if (!ticket_id) {
        struct ticket_input in = {0};
        in.channel = channel;
        in.type = "inquiry";
        const char *subject = mail_subject_strip(a, m->subject);
        in.subject = text_blank(subject) ? "(无主题)" : utf8_prefix(a, subject, SUBJECT_MAX);
        in.description = body;
        in.contact_name = name;
        int64_t now = ktime_now();
        in.raised_at =
            m->date && m->date <= now && now - m->date < RAISED_AT_MAX_AGE ? m->date : now;
        in.customer_id = cust.id;
        if ((rc = ticket_create(db, &kefu, &in, a, &t, e)))
            return rc;
        ret->outcome = MAIL_NEW_TICKET;
    } else {
        if ((rc = ticket_get_id(db, NULL, ticket_id, a, &t)))
            return rc;
        ret->outcome = MAIL_JOINED;
        ret->reopened = !strcmp(t.status, "waiting_customer") || !strcmp(t.status, "resolved");
    }
    int64_t message_id;
    if ((rc = message_add_customer(db, t.id, cust.id, body, a, &message_id, e)))
        return rc;
    if (m->html && *m->html && (rc = message_html_set(db, message_id, m->html)))
        return rc;
    for (size_t i = 0; i < m->n_attachments; i++) {
        const struct mail_attachment *at = &m->attachments[i];
        if (!at->size)
            continue;
        struct attachment stored;
        const char *fname = *at->filename    ? at->filename
                            : at->content_id ? at->content_id
                                             : "attachment";
        if ((rc = attachment_store(db, &kefu, t.id, message_id, fname, at->content_type, at->data,
                                   at->size, a, &stored, e)))
            return rc;
        ret->nattachments++;
    }
    if ((rc = remember_id(db, m->message_id, t.id, message_id)))
        return rc;
    const char *ack = channel_setting(&ch, "acknowledge");
    if (ret->outcome == MAIL_NEW_TICKET && ack && !strcmp(ack, "true") &&
        (rc = mail_out_ack(db, &t, channel, cust.email, e)))
        return rc;
    ret->ticket_id = t.id;
    ret->number = t.number;
    return channel_record(db, channel, NULL);
}

int mail_in_failed(struct db *db, const char *channel, const char *why)
{
    return channel_record(db, channel, why);
}

int mail_take_run(struct db *db, void *take)
{
    struct mail_take *t = take;
    if (t->failure)
        return mail_in_failed(db, t->channel, t->failure);
    return mail_in_store(db, t->channel, t->mail, t->arena, &t->result, &t->e);
}

int mail_take_unusable(int rc, const struct kf_error *e)
{
    return rc == KF_EINVAL && e->field && strcmp(e->field, "channel");
}

int mail_keep_rejected(const char *data_dir, const char *raw, size_t len, char *path, size_t n)
{
    char stamp[32];
    snprintf(path, n, "%s/mail-rejected", data_dir);
    if (mkdir(path, 0700) && errno != EEXIST)
        return KF_EIO;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    snprintf(path, n, "%s/mail-rejected/%s-%ld-%08x.eml", data_dir, stamp, (long)getpid(),
             (unsigned)randombytes_random());
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    size_t off = 0;
    while (fd >= 0 && off < len) {
        ssize_t w = write(fd, raw + off, len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    int rc = fd < 0 || off < len || fsync(fd) ? KF_EIO : 0;
    if (fd >= 0) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return rc;
}
