/* triage.c: handlers of priority rules and their dry run. */
#include <string.h>

#include "core/customer.h"
#include "core/refdata.h"
#include "core/ticket.h"
#include "core/triage.h"
#include "http/handlers.h"
#include "http/json.h"
#include "lib/banned.h"
#include "lib/jw.h"

/* Reads the array of strings at o[key] into rv; field names it in errors. 0 when absent. */
static int read_values(struct request *req, json_t *o, const char *key, const char *field,
                       struct rule_values *rv, struct kf_error *e)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_array(v))
        return kf_fail(e, KF_EINVAL, field, "must be an array of strings");
    size_t n = json_array_size(v);
    if (n > RULE_VALUES_MAX)
        return kf_fail(e, KF_EINVAL, field, "too many values");
    rv->v = arena_alloc(req->arena, (n ? n : 1) * sizeof(*rv->v));
    rv->n = 0;
    rv->given = 1;
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        if (!json_is_string(x))
            return kf_fail(e, KF_EINVAL, field, "must be an array of strings");
        rv->v[rv->n++] = arena_strndup(req->arena, json_string_value(x), json_string_length(x));
    }
    return 0;
}

static int read_rule(struct request *req, json_t *o, struct priority_rule *r, unsigned *set,
                     struct kf_error *e)
{
    static const char *const top[] = {"name",       "position", "enabled", "stop",
                                      "conditions", "actions",  NULL};
    static const char *const acts[] = {"priority", "department_id", "labels", NULL};
    int rc, got;
    if ((rc = jonly(req, o, top, NULL, e)))
        return rc;
    if ((got = jstr(req, o, "name", &r->name, e)) < 0)
        return got;
    *set |= got ? RS_NAME : 0;
    json_t *pos = json_object_get(o, "position");
    if (pos) {
        if (!json_is_integer(pos) || json_integer_value(pos) < 1)
            return kf_fail(e, KF_EINVAL, "position", "position must be an integer of 1 or more");
        r->position = json_integer_value(pos);
        *set |= RS_POSITION;
    }
    if ((got = jbool(o, "enabled", &r->enabled, e)) < 0)
        return got;
    *set |= got ? RS_ENABLED : 0;
    if ((got = jbool(o, "stop", &r->stop, e)) < 0)
        return got;
    *set |= got ? RS_STOP : 0;
    json_t *c = json_object_get(o, "conditions");
    if (c) {
        if (!json_is_object(c))
            return kf_fail(e, KF_EINVAL, "conditions", "must be an object");
        const struct {
            const char *key;
            struct rule_values *out;
        } lists[] = {
            {"keywords", &r->terms[RT_KEYWORD]},  {"type", &r->terms[RT_TYPE]},
            {"category", &r->terms[RT_CATEGORY]}, {"urgency", &r->terms[RT_URGENCY]},
            {"tier", &r->terms[RT_TIER]},         {"channel", &r->terms[RT_CHANNEL]},
        };
        static const char *const conds[] = {"keywords", "type",    "category", "urgency",
                                            "tier",     "channel", NULL};
        if ((rc = jonly(req, c, conds, "conditions", e)))
            return rc;
        for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
            if ((rc = read_values(req, c, lists[i].key,
                                  arena_printf(req->arena, "conditions.%s", lists[i].key),
                                  lists[i].out, e)))
                return rc;
        *set |= RS_CONDITIONS;
    }
    json_t *a = json_object_get(o, "actions");
    if (a) {
        if (!json_is_object(a))
            return kf_fail(e, KF_EINVAL, "actions", "must be an object");
        if ((rc = jonly(req, a, acts, "actions", e)))
            return rc;
        if (jstr(req, a, "priority", &r->set_priority, e) < 0 ||
            jint(a, "department_id", &r->set_department_id, e) < 0) {
            e->field = arena_printf(req->arena, "actions.%s", e->field);
            return KF_EINVAL;
        }
        const struct {
            const char *key;
            struct rule_values *out;
        } labels = {"labels", &r->terms[RT_LABEL]};
        if ((rc = read_values(req, a, labels.key, "actions.labels", labels.out, e)))
            return rc;
        *set |= RS_ACTIONS;
    }
    return 0;
}

static void render_values(struct jw *w, const struct rule_values *rv)
{
    jw_arr_begin(w);
    for (size_t i = 0; i < rv->n; i++)
        jw_str(w, rv->v[i]);
    jw_arr_end(w);
}

static void render_rule(struct jw *w, const struct priority_rule *r)
{
    jw_obj_begin(w);
    jw_kint(w, "id", r->id);
    jw_kstr(w, "name", r->name);
    jw_kint(w, "position", r->position);
    jw_kbool(w, "enabled", r->enabled);
    jw_kbool(w, "stop", r->stop);
    jw_key(w, "conditions");
    jw_obj_begin(w);
    for (int k = 0; k < RT_LABEL; k++) {
        if (!r->terms[k].n)
            continue;
        jw_key(w, rule_kind_api((enum rule_term_kind)k));
        render_values(w, &r->terms[k]);
    }
    jw_obj_end(w);
    jw_key(w, "actions");
    jw_obj_begin(w);
    jw_kstr(w, "priority", r->set_priority);
    jw_key(w, "department_id");
    r->set_department_id ? jw_int(w, r->set_department_id) : jw_null(w);
    jw_key(w, "labels");
    render_values(w, &r->terms[RT_LABEL]);
    jw_obj_end(w);
    jw_time(w, "created_at", r->created_at);
    jw_time(w, "updated_at", r->updated_at);
    jw_obj_end(w);
}

static int rule_write(struct request *req, struct response *resp, int64_t id)
{
    json_t *o;
    struct priority_rule in = {.enabled = 1};
    struct kf_error e = {0};
    unsigned set = 0;
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    rc = read_rule(req, o, &in, &set, &e);
    json_decref(o);
    if (rc)
        return reply_error(resp, rc, &e);
    if (!id && !(set & RS_ACTIONS))
        return reply_errorf(resp, 422, "validation_failed", "actions", "actions are required");
    struct priority_rule r;
    rc = id ? rule_update(req->db, &req->actor, id, set, &in, req->arena, &r, &e)
            : rule_create(req->db, &req->actor, &in, req->arena, &r, &e);
    if (rc)
        return reply_error(resp, rc, &e);
    struct jw w;
    jw_init(&w, &resp->body);
    render_rule(&w, &r);
    return id ? 200 : 201;
}

int h_rules_create(struct request *req, struct response *resp)
{
    return rule_write(req, resp, 0);
}

int h_rule_patch(struct request *req, struct response *resp)
{
    int64_t id = param_id(req, 0);
    if (!id)
        return reply_error(resp, KF_ENOTFOUND, NULL);
    return rule_write(req, resp, id);
}

int h_rule_get(struct request *req, struct response *resp)
{
    struct priority_rule r;
    int64_t id = param_id(req, 0);
    int rc = id ? rule_get(req->db, id, req->arena, &r) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    render_rule(&w, &r);
    return 200;
}

int h_rule_delete(struct request *req, struct response *resp)
{
    struct kf_error e = {0};
    int64_t id = param_id(req, 0);
    int rc = id ? rule_delete(req->db, &req->actor, id, &e) : KF_ENOTFOUND;
    if (rc)
        return reply_error(resp, rc, &e);
    return 204;
}

int h_rules_list(struct request *req, struct response *resp)
{
    struct priority_rule *v;
    size_t n;
    int rc = rule_list(req->db, req->arena, &v, &n);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    list_begin(&w, resp);
    for (size_t i = 0; i < n; i++)
        render_rule(&w, &v[i]);
    list_end(&w, NULL);
    return 200;
}

/* What the rules would make of a ticket body, as creation would see it; nothing is stored. */
int h_rules_dry_run(struct request *req, struct response *resp)
{
    json_t *o;
    struct ticket_input in = {0};
    struct kf_error e = {0};
    int rc = body_object_or_reply(req, resp, &o);
    if (rc)
        return rc;
    rc = ticket_input_read(req, o, &in, &e);
    json_decref(o);
    if (rc)
        return reply_error(resp, rc, &e);
    struct triage_facts f = {in.type,
                             in.category,
                             in.urgency ? in.urgency : "medium",
                             in.customer.tier ? in.customer.tier : "normal",
                             in.channel,
                             in.subject,
                             in.description,
                             0};
    int64_t category_id;
    if (in.customer_id) {
        struct customer c;
        if ((rc = customer_get(req->db, in.customer_id, req->arena, &c)))
            return reply_error(resp, rc == KF_ENOTFOUND ? KF_EINVAL : rc,
                               &(struct kf_error){NULL, "customer_id", "no such customer"});
        f.tier = c.tier;
    }
    if (in.category && in.type &&
        (rc = category_resolve(req->db, in.category, in.type, &category_id,
                               &f.category_department_id, &e)))
        return reply_error(resp, rc, &e);
    struct triage_result r;
    if ((rc = triage_run(req->db, &f, req->arena, &r)))
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "matched");
    jw_arr_begin(&w);
    for (size_t i = 0; i < r.nmatched; i++) {
        jw_obj_begin(&w);
        jw_kint(&w, "id", r.matched[i].id);
        jw_kstr(&w, "name", r.matched[i].name);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_kstr(&w, "priority", r.priority);
    jw_key(&w, "department_id");
    r.department_id ? jw_int(&w, r.department_id) : jw_null(&w);
    jw_key(&w, "labels");
    jw_arr_begin(&w);
    for (size_t i = 0; i < r.nlabels; i++)
        jw_str(&w, r.labels[i]);
    jw_arr_end(&w);
    jw_obj_end(&w);
    return 200;
}
