/* admin.c: handlers of users, departments, channels, categories and settings. */
#include <string.h>

#include "core/dept.h"
#include "core/refdata.h"
#include "core/survey.h"
#include "core/user.h"
#include "http/handlers.h"
#include "http/json.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/config.h"
#include "lib/jw.h"
#include "lib/ktime.h"
#include "store/db.h"
#include "store/writer.h"

/* ---- users ---- */

static int read_user_input(struct request *req, json_t *o, struct user_input *in,
                           struct kf_error *e)
{
    int rc, r;
    if ((rc = jstr(req, o, "username", &in->username, e)) < 0 ||
        (rc = jstr(req, o, "name", &in->name, e)) < 0 ||
        (rc = jstr(req, o, "role", &in->role, e)) < 0 ||
        (rc = jstr(req, o, "password", &in->password, e)) < 0)
        return rc;
    if ((r = jint(o, "department_id", &in->department_id, e)) < 0)
        return r;
    in->has_department = r > 0;
    if ((r = jbool(o, "active", &in->active, e)) < 0)
        return r;
    in->has_active = r > 0;
    return 0;
}

struct user_write {
    struct request *req;
    int64_t id; /* 0: a new account */
    struct user_input *in;
    struct user user;
    struct user_revoked revoked; /* what a change ended */
    struct kf_error *e;
};

static int user_write_run(struct db *db, void *arg)
{
    struct user_write *uw = arg;
    struct request *req = uw->req;
    return uw->id ? user_update(db, &req->actor, uw->id, uw->in, req->arena, &uw->user,
                                &uw->revoked, uw->e)
                  : user_create(db, &req->actor, uw->in, req->arena, &uw->user, uw->e);
}

/* The user, and for a change (revoked not NULL) what it ended, so that an admin who resets a
 * password sees that the account's sessions and API tokens stopped working. */
static void render_user_change(struct jw *w, const struct user *u,
                               const struct user_revoked *revoked)
{
    jw_obj_begin(w);
    render_user_fields(w, u);
    if (revoked) {
        jw_key(w, "revoked");
        jw_obj_begin(w);
        jw_kint(w, "sessions", revoked->sessions);
        jw_kint(w, "tokens", revoked->tokens);
        jw_obj_end(w);
    }
    jw_obj_end(w);
}

/* Runs on a password thread: hashes there, then has the writer write. */
static int user_write(struct request *req, struct response *resp, int64_t id)
{
    json_t *o;
    struct user_input in = {0};
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    rc = read_user_input(req, o, &in, &e);
    json_decref(o);
    if (!rc)
        rc = user_hash_password(&in, &e);
    if (rc)
        return reply_error(resp, rc, &e);
    struct user_write uw = {.req = req, .id = id, .in = &in, .e = &e};
    if ((rc = writer_run(req->writer, user_write_run, &uw)))
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    render_user_change(&w, &uw.user, id ? &uw.revoked : NULL);
    return id ? 200 : 201;
}

int h_users_create(struct request *req, struct response *resp)
{
    return user_write(req, resp, 0);
}

int h_user_patch(struct request *req, struct response *resp)
{
    int64_t id = param_id(req, 0);
    if (!id)
        return reply_error(resp, KF_ENOTFOUND, NULL);
    return user_write(req, resp, id);
}

int h_user_get(struct request *req, struct response *resp)
{
    struct user u;
    int64_t id = param_id(req, 0);
    int rc = id ? user_get(req->db, id, req->arena, &u) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    render_user(&w, &u);
    return 200;
}

int h_users_list(struct request *req, struct response *resp)
{
    const char *role = req_query(req, "role"), *dept = req_query(req, "department_id"),
               *active = req_query(req, "active");
    if (role && role_parse(role) == ROLE_NONE)
        return reply_errorf(resp, 422, "validation_failed", "role", "unknown role");
    int64_t dept_id = parse_id(dept);
    if (dept && !dept_id)
        return reply_errorf(resp, 422, "validation_failed", "department_id", "must be an id");
    int act = active ? query_flag(req, "active") : -1;
    struct user *v;
    size_t n;
    int rc = user_list(req->db, role, dept_id, act, req->arena, &v, &n);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_user(&w, &v[i]);
    list_end(&w, NULL);
    return 200;
}

/* ---- departments ---- */

static int reply_department(struct response *resp, const struct department *d, int status)
{
    struct jw w;
    jw_init(&w, &resp->body);
    render_department(&w, d);
    return status;
}

static int dept_write(struct request *req, struct response *resp, int64_t id)
{
    json_t *o;
    struct department_input in = {0};
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    int r = 0;
    if ((rc = jstr(req, o, "code", &in.code, &e)) >= 0 &&
        (rc = jstr(req, o, "name", &in.name, &e)) >= 0 &&
        (rc = jstr(req, o, "assignment", &in.assignment, &e)) >= 0 &&
        (r = jint(o, "supervisor_id", &in.supervisor_id, &e)) >= 0)
        rc = 0;
    in.has_supervisor = r > 0 || r == 2;
    json_decref(o);
    if (rc < 0 || r < 0)
        return reply_error(resp, rc < 0 ? rc : r, &e);
    if (id && in.code)
        return reply_errorf(resp, 422, "validation_failed", "code",
                            "a department's code cannot change");
    struct department d;
    rc = id ? dept_update(req->db, &req->actor, id, &in, req->arena, &d, &e)
            : dept_create(req->db, &req->actor, &in, req->arena, &d, &e);
    if (rc)
        return reply_error(resp, rc, &e);
    return reply_department(resp, &d, id ? 200 : 201);
}

int h_depts_create(struct request *req, struct response *resp)
{
    return dept_write(req, resp, 0);
}

int h_dept_patch(struct request *req, struct response *resp)
{
    int64_t id = param_id(req, 0);
    return id ? dept_write(req, resp, id) : reply_error(resp, KF_ENOTFOUND, NULL);
}

int h_dept_get(struct request *req, struct response *resp)
{
    struct department d;
    int64_t id = param_id(req, 0);
    int rc = id ? dept_get(req->db, id, req->arena, &d) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    return reply_department(resp, &d, 200);
}

int h_depts_list(struct request *req, struct response *resp)
{
    struct department *v;
    size_t n;
    int rc = dept_list(req->db, req->arena, &v, &n);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_department(&w, &v[i]);
    list_end(&w, NULL);
    return 200;
}

int h_dept_member_add(struct request *req, struct response *resp)
{
    json_t *o;
    int64_t user_id = 0, id = param_id(req, 0);
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    rc = jint(o, "user_id", &user_id, &e);
    json_decref(o);
    if (rc < 0)
        return reply_error(resp, rc, &e);
    if (rc != 1)
        return reply_errorf(resp, 422, "validation_failed", "user_id", "user_id is required");
    if (!id)
        return reply_error(resp, KF_ENOTFOUND, NULL);
    struct department d;
    if ((rc = dept_member_add(req->db, &req->actor, id, user_id, &e)) ||
        (rc = dept_get(req->db, id, req->arena, &d)))
        return reply_error(resp, rc, &e);
    return reply_department(resp, &d, 201);
}

int h_dept_member_remove(struct request *req, struct response *resp)
{
    struct kf_error e = {0};
    int64_t id = param_id(req, 0), user_id = param_id(req, 1);
    int rc =
        id && user_id ? dept_member_remove(req->db, &req->actor, id, user_id, &e) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, &e);
    return 204;
}

/* ---- reference data and settings ---- */

int h_channels_list(struct request *req, struct response *resp)
{
    struct channel *v;
    size_t n;
    int rc = channel_list(req->db, req->arena, &v, &n);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++) {
        jw_obj_begin(&w);
        jw_kstr(&w, "code", v[i].code);
        jw_kstr(&w, "name", v[i].name);
        jw_kstr(&w, "name_en", v[i].name_en);
        jw_kbool(&w, "enabled", v[i].enabled);
        jw_kstr(&w, "kind", v[i].kind);
        jw_obj_end(&w);
    }
    list_end(&w, NULL);
    return 200;
}

int h_categories_list(struct request *req, struct response *resp)
{
    struct category *v;
    size_t n;
    int rc = category_list(req->db, req->arena, &v, &n);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++) {
        jw_obj_begin(&w);
        jw_kstr(&w, "code", v[i].code);
        jw_kstr(&w, "name", v[i].name);
        jw_kstr(&w, "type", v[i].type);
        jw_kstr(&w, "parent_code", v[i].parent_code);
        jw_key(&w, "department_id");
        v[i].department_id ? jw_int(&w, v[i].department_id) : jw_null(&w);
        jw_obj_end(&w);
    }
    list_end(&w, NULL);
    return 200;
}

static int category_write(struct request *req, struct response *resp, const char *code)
{
    json_t *o;
    struct category_input in = {0};
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    int r = 0;
    if ((rc = jstr(req, o, "code", &in.code, &e)) >= 0 &&
        (rc = jstr(req, o, "name", &in.name, &e)) >= 0 &&
        (rc = jstr(req, o, "type", &in.type, &e)) >= 0 &&
        (rc = jstr(req, o, "parent_code", &in.parent_code, &e)) >= 0)
        r = jint(o, "department_id", &in.department_id, &e);
    in.has_department = r > 0;
    json_decref(o);
    if (rc < 0 || r < 0)
        return reply_error(resp, rc < 0 ? rc : r, &e);
    rc = code ? category_update(req->db, &req->actor, code, &in, &e)
              : category_create(req->db, &req->actor, &in, &e);
    if (rc)
        return reply_error(resp, rc, &e);
    struct category *v;
    size_t n;
    if ((rc = category_list(req->db, req->arena, &v, &n)))
        return reply_error(resp, rc, NULL);
    const char *want = code ? code : in.code;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].code, want))
            continue;
        struct jw w;
        jw_init(&w, &resp->body);
        jw_obj_begin(&w);
        jw_kstr(&w, "code", v[i].code);
        jw_kstr(&w, "name", v[i].name);
        jw_kstr(&w, "type", v[i].type);
        jw_kstr(&w, "parent_code", v[i].parent_code);
        jw_key(&w, "department_id");
        v[i].department_id ? jw_int(&w, v[i].department_id) : jw_null(&w);
        jw_obj_end(&w);
    }
    return code ? 200 : 201;
}

int h_categories_create(struct request *req, struct response *resp)
{
    return category_write(req, resp, NULL);
}

int h_category_patch(struct request *req, struct response *resp)
{
    return category_write(req, resp, req->params[0]);
}

static int reply_settings(struct request *req, struct response *resp)
{
    struct settings s;
    int rc = settings_get(req->db, req->arena, &s);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_kstr(&w, "ticket_number_format", s.ticket_number_format);
    jw_kint(&w, "max_attachment_bytes", req->cfg->max_attachment_bytes);
    jw_kstr(&w, "time_zone", ktime_zone());
    struct survey_settings sv;
    if ((rc = survey_settings_get(req->db, req->arena, &sv)))
        return reply_error(resp, rc, NULL);
    jw_key(&w, "survey");
    survey_settings_json(&w, &sv);
    jw_obj_end(&w);
    return 200;
}

/* One whole number of the "survey" object: 1 when given (*ret set), 0 when not, or KF_EINVAL. */
static int survey_number(struct request *req, json_t *v, const char *key, int64_t *ret,
                         struct kf_error *e)
{
    if (!v)
        return 0;
    if (!json_is_integer(v))
        return kf_fail(e, KF_EINVAL, arena_printf(req->arena, "survey.%s", key),
                       "must be an integer");
    *ret = json_integer_value(v);
    return 1;
}

/* Reads PATCH /settings' "survey" object into in and *ret_set (survey_settings_update's
 * bits). 0, or KF_EINVAL naming the field. */
static int survey_settings_read(struct request *req, json_t *o, struct survey_settings *in,
                                unsigned *ret_set, struct kf_error *e)
{
    *ret_set = 0;
    json_t *sv = json_object_get(o, "survey");
    if (!sv)
        return 0;
    if (!json_is_object(sv))
        return kf_fail(e, KF_EINVAL, "survey", "survey must be an object");
    const char *key;
    json_t *v;
    json_object_foreach(sv, key, v)
    {
        if (strcmp(key, "scale") && strcmp(key, "delay_minutes") && strcmp(key, "expire_hours") &&
            strcmp(key, "second_handling_hours"))
            return kf_fail(e, KF_EINVAL, arena_printf(req->arena, "survey.%s", key),
                           "no such setting");
    }
    int rc;
    if ((rc = survey_number(req, json_object_get(sv, "delay_minutes"), "delay_minutes",
                            &in->delay_minutes, e)) < 0)
        return rc;
    *ret_set |= rc ? 1 : 0;
    if ((rc = survey_number(req, json_object_get(sv, "expire_hours"), "expire_hours",
                            &in->expire_hours, e)) < 0)
        return rc;
    *ret_set |= rc ? 2 : 0;
    if ((rc = survey_number(req, json_object_get(sv, "second_handling_hours"),
                            "second_handling_hours", &in->second_handling_hours, e)) < 0)
        return rc;
    *ret_set |= rc ? 4 : 0;
    json_t *scale = json_object_get(sv, "scale");
    if (scale && !json_is_string(scale))
        return kf_fail(e, KF_EINVAL, "survey.scale",
                       "scale must be four_level, five_point or three_level");
    if (scale) {
        in->scale = arena_strdup(req->arena, json_string_value(scale));
        *ret_set |= 8;
    }
    return 0;
}

int h_settings_get(struct request *req, struct response *resp)
{
    return reply_settings(req, resp);
}

/* What GET /settings shows from the configuration, with the kefu.conf key that sets each:
 * read once at start, they cannot change while the server runs. */
static const struct {
    const char *key, *conf_key;
} config_settings[] = {
    {"max_attachment_bytes", "max_attachment_mb"},
    {"time_zone", "time_zone"},
};

/* Refuses every key of o that PATCH /settings cannot take: a configured one, or one no
 * setting has. 0, or KF_EINVAL with e naming the key (copied into the request's arena). A
 * key that was silently ignored would look to the caller like a change made. */
static int settings_keys_check(struct request *req, json_t *o, struct kf_error *e)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        if (!strcmp(key, "ticket_number_format") || !strcmp(key, "survey"))
            continue;
        const char *field = arena_strdup(req->arena, key);
        for (size_t i = 0; i < sizeof(config_settings) / sizeof(config_settings[0]); i++)
            if (!strcmp(key, config_settings[i].key))
                return kf_fail(e, KF_EINVAL, field,
                               arena_printf(req->arena,
                                            "%s is set in kefu.conf (%s) and cannot be "
                                            "changed here",
                                            key, config_settings[i].conf_key));
        return kf_fail(e, KF_EINVAL, field, "no such setting");
    }
    return 0;
}

int h_settings_patch(struct request *req, struct response *resp)
{
    json_t *o;
    struct settings in = {0};
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    struct survey_settings sv = {0};
    unsigned sv_set = 0;
    rc = settings_keys_check(req, o, &e);
    if (!rc)
        rc = jstr(req, o, "ticket_number_format", &in.ticket_number_format, &e);
    if (rc == 2)
        rc = kf_fail(&e, KF_EINVAL, "ticket_number_format", "may not be null");
    if (rc >= 0)
        rc = survey_settings_read(req, o, &sv, &sv_set, &e);
    json_decref(o);
    if (rc < 0 || (rc = settings_update(req->db, &req->actor, &in, &e)) ||
        (rc = survey_settings_update(req->db, &req->actor, sv_set, &sv, &e)))
        return reply_error(resp, rc, &e);
    return reply_settings(req, resp);
}
