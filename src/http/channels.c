/* channels.c: the channels API: connecting a channel (its kind and settings), its health. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/mail_check.h"
#include "core/channel.h"
#include "core/channel_out.h"
#include "core/mail_out.h"
#include "http/handlers.h"
#include "http/json.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/config.h"
#include "lib/jw.h"
#include "store/db.h"
#include "store/writer.h"

static void render_channel(struct jw *w, const struct channel_config *c)
{
    jw_obj_begin(w);
    jw_kstr(w, "code", c->code);
    jw_kstr(w, "name", c->name);
    jw_kstr(w, "name_en", c->name_en);
    jw_kstr(w, "kind", c->kind);
    jw_kbool(w, "enabled", c->enabled);
    jw_key(w, "settings");
    jw_obj_begin(w);
    for (size_t i = 0; i < c->nsettings; i++) {
        const struct channel_setting *s = &c->settings[i];
        int secret;
        enum setting_type t = channel_setting_type(c->kind, s->key, &secret);
        if (secret)
            jw_kstr(w, s->key, "set"); /* a secret is never shown again */
        else if (t == SETTING_INT)
            jw_kint(w, s->key, strtoll(s->value, NULL, 10));
        else if (t == SETTING_BOOL)
            jw_kbool(w, s->key, !strcmp(s->value, "true"));
        else
            jw_kstr(w, s->key, s->value);
    }
    jw_obj_end(w);
    jw_obj_end(w);
}

/* The request's "settings" object into in: each value as text with its JSON type. */
static int read_settings(struct request *req, json_t *o, struct channel_input *in,
                         struct kf_error *e)
{
    json_t *s = json_object_get(o, "settings");
    if (!s || json_is_null(s))
        return 0;
    if (!json_is_object(s))
        return kf_fail(e, KF_EINVAL, "settings", "settings is an object");
    in->has_settings = 1;
    const char *key;
    json_t *v;
    json_object_foreach(s, key, v)
    {
        if (in->nsettings == CHANNEL_SETTINGS_MAX)
            return kf_fail(e, KF_EINVAL, "settings", "too many settings");
        struct channel_setting *cs = &in->settings[in->nsettings++];
        cs->key = arena_strdup(req->arena, key);
        cs->value = "";
        if (json_is_string(v)) {
            cs->type = SETTING_STRING;
            cs->value = arena_strdup(req->arena, json_string_value(v));
        } else if (json_is_integer(v)) {
            cs->type = SETTING_INT;
            cs->value = arena_printf(req->arena, "%lld", (long long)json_integer_value(v));
        } else if (json_is_boolean(v)) {
            cs->type = SETTING_BOOL;
            cs->value = json_is_true(v) ? "true" : "false";
        } else if (json_is_null(v)) {
            cs->type = SETTING_REMOVE;
        } else {
            cs->type = SETTING_NONE;
        }
    }
    return 0;
}

static int channel_write(struct request *req, struct response *resp, const char *code)
{
    json_t *o;
    struct channel_input in = {0};
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    if ((rc = jstr(req, o, "code", &in.code, &e)) >= 0 &&
        (rc = jstr(req, o, "name", &in.name, &e)) >= 0 &&
        (rc = jstr(req, o, "kind", &in.kind, &e)) >= 0)
        rc = read_settings(req, o, &in, &e);
    json_decref(o);
    if (rc < 0)
        return reply_error(resp, rc, &e);
    if (code && in.code && strcmp(in.code, code))
        return reply_errorf(resp, 422, "validation_failed", "code",
                            "a channel's code cannot change");
    struct channel_config c;
    rc = code ? channel_update(req->db, &req->actor, code, &in, req->arena, &c, &e)
              : channel_create(req->db, &req->actor, &in, req->arena, &c, &e);
    if (rc)
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    render_channel(&w, &c);
    return code ? 200 : 201;
}

int h_channels_create(struct request *req, struct response *resp)
{
    return channel_write(req, resp, NULL);
}

int h_channel_patch(struct request *req, struct response *resp)
{
    return channel_write(req, resp, req->params[0]);
}

/* The channel of the path into *c and a writer on the answer; or the error answered. */
static int channel_of_path(struct request *req, struct response *resp, struct channel_config *c,
                           struct jw *w)
{
    int rc = channel_get(req->db, req->params[0], req->arena, c);
    if (rc)
        return reply_error(resp, rc, NULL);
    jw_init(w, &resp->body);
    return 0;
}

int h_channel_get(struct request *req, struct response *resp)
{
    struct channel_config c;
    struct jw w;
    int rc = channel_of_path(req, resp, &c, &w);
    if (rc)
        return rc;
    render_channel(&w, &c);
    return 200;
}

int h_channel_status(struct request *req, struct response *resp)
{
    struct channel_config c;
    struct jw w;
    int rc = channel_of_path(req, resp, &c, &w);
    if (rc)
        return rc;
    int64_t queued = 0, failed = 0;
    int64_t cqueued = 0, cfailed = 0;
    if ((rc = mail_out_counts(req->db, c.code, &queued, &failed)) ||
        (rc = channel_out_counts(req->db, c.code, &cqueued, &cfailed)))
        return reply_error(resp, rc, NULL);
    queued += cqueued;
    failed += cfailed;
    jw_obj_begin(&w);
    /* healthy unless the last thing that happened was an error */
    jw_kbool(&w, "ok", !c.last_error_at || c.last_success_at > c.last_error_at);
    jw_time(&w, "last_success_at", c.last_success_at);
    jw_kstr(&w, "last_error", c.last_error_at ? c.last_error : NULL);
    jw_time(&w, "last_error_at", c.last_error_at);
    jw_kint(&w, "queued_out", queued);
    jw_kint(&w, "failed_out", failed);
    jw_obj_end(&w);
    return 200;
}

enum { TEST_TIMEOUT_S = 10 }; /* per server: the request waits for two at most */

struct test_record {
    const char *code, *error;
};

static int test_record_run(struct db *db, void *arg)
{
    struct test_record *r = arg;
    return channel_record(db, r->code, r->error);
}

static void render_check(struct jw *w, const char *key, const struct mail_check_result *r)
{
    jw_key(w, key);
    jw_obj_begin(w);
    jw_kbool(w, "ok", r->ok);
    jw_kstr(w, "error", r->ok ? NULL : r->error);
    jw_obj_end(w);
}

/* Runs on a thread of its own (EXEC_NET): logs in to the mailbox and the SMTP server, records
 * the outcome as the channel's health and answers it. */
int h_channel_test(struct request *req, struct response *resp)
{
    struct channel_config c;
    int rc = channel_get(req->db, req->params[0], req->arena, &c);
    db_reset_all(req->db); /* no read snapshot held while the servers answer */
    if (rc)
        return reply_error(resp, rc, NULL);
    if (strcmp(c.kind, "mail"))
        return reply_errorf(resp, 422, "validation_failed", "kind",
                            "only a mail channel has servers to test");
    struct mail_check_result imap, smtp;
    mail_check_imap(&c, TEST_TIMEOUT_S, req->cfg->mail_ca_file, &imap);
    mail_check_smtp(&c, TEST_TIMEOUT_S, req->cfg->mail_ca_file, &smtp);
    struct test_record r = {c.code, NULL};
    if (!imap.ok)
        r.error = arena_printf(req->arena, "IMAP: %s", imap.error);
    else if (!smtp.ok)
        r.error = arena_printf(req->arena, "SMTP: %s", smtp.error);
    if ((rc = writer_run(req->writer, test_record_run, &r)))
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    render_check(&w, "imap", &imap);
    render_check(&w, "smtp", &smtp);
    jw_obj_end(&w);
    return 200;
}
