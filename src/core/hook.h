/* hook.h: a webhook channel's messages (apps, mini-programs, Weibo, store systems): each one
 * taken once (by its message_id), the customer known by the platform's user id, a thread kept
 * in one ticket; and the replies queued back to the platform (channel_out). */
#ifndef KEFU_HOOK_H
#define KEFU_HOOK_H

#include <stddef.h>
#include <stdint.h>

#include "core/customer.h"

struct db;
struct arena;
struct kf_error;
struct ticket;

enum { HOOK_ID_MAX = 200, HOOK_ATTACHMENTS_MAX = 10 };

struct hook_file {
    const char *filename, *content_type;
    const void *data;
    size_t size;
};

struct hook_message {
    const char *message_id;  /* required */
    const char *thread_id;   /* NULL: a ticket of its own */
    const char *external_id; /* the platform's user id, required */
    const char *type, *subject, *body;
    struct customer_input customer; /* name, phone, e-mail, member id: normalized */
    struct hook_file files[HOOK_ATTACHMENTS_MAX];
    size_t nfiles;
};

struct hook_result {
    int64_t ticket_id, message_id;
    const char *number;
    int duplicate; /* the message was taken before: nothing stored now */
};

/* Takes message m on webhook channel `channel`: the same message_id again answers what it made
 * the first time; a thread_id whose ticket is not closed joins it; else a new ticket. In the
 * writer's transaction. KF_EINVAL naming the field for bad input. */
int hook_in_store(struct db *db, const char *channel, const struct hook_message *m,
                  struct arena *arena, struct hook_result *ret, struct kf_error *e);

/* What a public reply (message message_id, text body, written at `at`) on ticket t queues on
 * t's channel when it is a webhook channel with a reply_url: the callback payload; nothing
 * otherwise. In the writer's transaction that writes the reply. */
int hook_out_reply(struct db *db, const struct ticket *t, int64_t message_id, const char *body,
                   int64_t at, struct kf_error *e);

#endif
