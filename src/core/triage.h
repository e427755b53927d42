/* triage.h: priority rules (优先级规则) and routing: what a ticket's priority, department and
 * labels become from its type, category, urgency, customer tier, channel and text.
 *
 * Rules run in position order on creation and on re-classification. Every condition kind a rule
 * names must hold, and a kind holds when any of its values matches (keywords: the subject or the
 * description contains it, ignoring ASCII case). A matching rule sets the priority and the
 * department (a later match overrides an earlier one) and adds its labels; `stop` ends the run.
 * Without a matching rule the priority is the urgency, and the department is the category's. */
#ifndef KEFU_TRIAGE_H
#define KEFU_TRIAGE_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct actor;
struct kf_error;

enum rule_term_kind {
    RT_KEYWORD,
    RT_TYPE,
    RT_CATEGORY,
    RT_URGENCY,
    RT_TIER,
    RT_CHANNEL,
    RT_LABEL, /* an action: the labels the rule adds */
    RT__COUNT,
};

enum {
    RULE_VALUES_MAX = 50,  /* values in one list */
    RULE_KEYWORD_MAX = 50, /* characters of a keyword */
    RULE_NAME_MAX = 100,   /* characters */
    LABEL_MAX = 32,        /* characters of a label */
    TICKET_LABELS_MAX = 20,
    RULES_MAX = 1000,
    TRIAGE_MATCHED_MAX = 64, /* rules named in one result; more still apply */
};

/* The word of a kind as the API and the database spell it ("keywords" for RT_KEYWORD in the
 * API, "keyword" in the database: see rule_kind_api). */
const char *rule_kind_name(enum rule_term_kind k);
const char *rule_kind_api(enum rule_term_kind k);

struct rule_values {
    const char **v;
    size_t n;
    int given; /* the list was named (an empty named list is refused) */
};

struct priority_rule {
    int64_t id;
    const char *name;
    int64_t position;
    int enabled, stop;
    struct rule_values terms[RT__COUNT];
    const char *set_priority;  /* NULL: leaves the priority */
    int64_t set_department_id; /* 0: leaves the department */
    int64_t created_at, updated_at;
};

enum rule_set {
    RS_NAME = 1 << 0,
    RS_POSITION = 1 << 1,
    RS_ENABLED = 1 << 2,
    RS_STOP = 1 << 3,
    RS_CONDITIONS = 1 << 4, /* terms[RT_KEYWORD..RT_CHANNEL] replace the rule's conditions */
    RS_ACTIONS = 1 << 5,    /* set_priority, set_department_id and terms[RT_LABEL] replace */
};

/* Creates a rule (admin); in->position 0 puts it last. KF_EINVAL naming the field at fault
 * ("conditions.keywords", "actions.department_id", ...); KF_EFORBIDDEN for other roles. */
int rule_create(struct db *db, const struct actor *actor, const struct priority_rule *in,
                struct arena *arena, struct priority_rule *ret, struct kf_error *e);
/* Changes the parts of rule id that `set` names. KF_ENOTFOUND, KF_EINVAL, KF_EFORBIDDEN. */
int rule_update(struct db *db, const struct actor *actor, int64_t id, unsigned set,
                const struct priority_rule *in, struct arena *arena, struct priority_rule *ret,
                struct kf_error *e);
int rule_delete(struct db *db, const struct actor *actor, int64_t id, struct kf_error *e);
int rule_get(struct db *db, int64_t id, struct arena *arena, struct priority_rule *ret);
/* Every rule, in the order they run. */
int rule_list(struct db *db, struct arena *arena, struct priority_rule **ret, size_t *ret_n);

/* What the rules look at. category_department_id is the category's own department (0: none). */
struct triage_facts {
    const char *type, *category, *urgency, *tier, *channel, *subject, *description;
    int64_t category_department_id;
};

struct triage_match {
    int64_t id;
    const char *name;
    const char *set_priority;
    int64_t set_department_id;
    const char **labels;
    size_t nlabels;
};

struct triage_result {
    const char *priority;
    int64_t department_id; /* the rules' or the category's; 0: none */
    int department_by_rule;
    const char *labels[TICKET_LABELS_MAX];
    size_t nlabels;
    struct triage_match matched[TRIAGE_MATCHED_MAX];
    size_t nmatched;
};

/* Runs the enabled rules over f. The rules are kept in memory and read again when they have
 * changed (also inside the caller's transaction). Strings of ret live in arena. 0 or a negative
 * code. */
int triage_run(struct db *db, const struct triage_facts *f, struct arena *arena,
               struct triage_result *ret);

/* Writes a "rule_applied" history entry on ticket_id for each rule r names, by the system. */
int triage_record(struct db *db, int64_t ticket_id, const struct triage_result *r);

/* Labels as stored with a ticket (one per line) and back. */
const char *labels_join(struct arena *arena, const char *const *labels, size_t n);
size_t labels_split(struct arena *arena, const char *text, const char **out, size_t max);

#endif
