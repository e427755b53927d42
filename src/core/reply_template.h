/* reply_template.h: standard replies (标准话术) kept by supervisors, filled for a ticket, found by
 * shortcut or words, and ranked for a ticket. The text itself follows core/template.h. */
#ifndef KEFU_REPLY_TEMPLATE_H
#define KEFU_REPLY_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct actor;
struct kf_error;
struct template_text;

enum {
    REPLY_TEMPLATE_NAME_MAX = 100,    /* characters */
    REPLY_TEMPLATE_BODY_MAX = 5000,   /* characters */
    REPLY_TEMPLATE_SHORTCUT_MAX = 20, /* ASCII letters, digits, '-', '_' */
    REPLY_TEMPLATE_Q_MAX = 200,       /* characters of a search */
    REPLY_TEMPLATE_SUGGEST_MAX = 5,
};

struct reply_template {
    int64_t id;
    const char *name;
    const char *type;     /* a ticket type, NULL: any */
    const char *category; /* a category code, NULL: any */
    const char *shortcut; /* lower case, NULL: none */
    const char *body;
    int64_t created_at, updated_at;
    const char *updated_by_name;
    int64_t category_id;
};

/* What a supervisor sets. On create the has_* flags are ignored (a NULL is "none"); on update
 * a field is changed when it is given: name and body when not NULL, the others when has_*. */
struct reply_template_input {
    const char *name, *body;
    const char *type, *category, *shortcut;
    int has_type, has_category, has_shortcut;
};

/* Create and update check the input and return 0 with *ret (read back, in arena), or KF_EINVAL
 * with e naming the field (name and body required, of at most REPLY_TEMPLATE_NAME_MAX and
 * REPLY_TEMPLATE_BODY_MAX characters; type a ticket type; category a known code of that type,
 * whose type the template takes when no type is given; shortcut of up to
 * REPLY_TEMPLATE_SHORTCUT_MAX ASCII letters, digits, '-' and '_', kept in lower case), or
 * KF_ECONFLICT naming "shortcut" when another template has it; update KF_ENOTFOUND for an
 * unknown id. Each writes an audit row. */
int reply_template_create(struct db *db, const struct actor *actor,
                          const struct reply_template_input *in, struct arena *arena,
                          struct reply_template *ret, struct kf_error *e);
int reply_template_update(struct db *db, const struct actor *actor, int64_t id,
                          const struct reply_template_input *in, struct arena *arena,
                          struct reply_template *ret, struct kf_error *e);
/* 0 or KF_ENOTFOUND; audited. */
int reply_template_delete(struct db *db, const struct actor *actor, int64_t id);
int reply_template_get(struct db *db, int64_t id, struct arena *arena, struct reply_template *ret);

struct reply_template_query {
    const char *type, *category; /* NULL: any */
    const char *q;               /* NULL: no search */
    int limit;                   /* 1..200 */
    int offset;
};

/* The templates of the type and category given (exactly), and, with q, only those whose name,
 * shortcut or body holds every word of q (ASCII in any case), the one whose shortcut is q
 * first, then shortcuts that start with q, then names that hold the words, then the rest; by
 * name within each. Without q by name. limit of them from offset; *ret_more says whether more
 * follow. KF_EINVAL naming "type" or "category" for an unknown one. */
int reply_template_list(struct db *db, const struct reply_template_query *q, struct arena *arena,
                        struct reply_template **ret, size_t *ret_n, int *ret_more,
                        struct kf_error *e);

/* Template id filled for ticket ticket_id as actor (the agent) would send it: customer.name,
 * ticket.number, ticket.subject, agent.name (the actor's), eta (the ticket's expected_at) and
 * due (its resolve_by), times as "2023-10-05 18:00" in the configured zone. KF_ENOTFOUND for an
 * unknown template; KF_EINVAL naming "ticket_id" for a ticket the actor cannot see. */
int reply_template_render(struct db *db, const struct actor *actor, int64_t id, int64_t ticket_id,
                          struct arena *arena, struct template_text *ret, struct kf_error *e);

/* Up to limit (at most REPLY_TEMPLATE_SUGGEST_MAX) templates for ticket ticket_id, best first:
 * those of its category, then of its type, then those for any type, each group ranked by how
 * many of the ticket's words (subject and description, with the search's two-character Chinese
 * words) its name (three times) and body hold; templates of another type or category only when
 * they share words, after the others. KF_ENOTFOUND when the actor cannot see the ticket. */
int reply_template_suggest(struct db *db, const struct actor *actor, int64_t ticket_id, int limit,
                           struct arena *arena, struct reply_template **ret, size_t *ret_n);

#endif
