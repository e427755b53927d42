/* kb.h: the knowledge base (知识库): articles with versions, review and retirement, search,
 * suggestions for a ticket, and archiving a resolved ticket as a draft article. */
#ifndef KEFU_KB_H
#define KEFU_KB_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct actor;
struct kf_error;

enum {
    KB_TITLE_MAX = 200,   /* characters */
    KB_BODY_MAX = 100000, /* characters */
    KB_TAGS_MAX = 20,
    KB_TAG_MAX = 40, /* characters */
    KB_LIST_MAX = 100,
    KB_SEARCH_MAX = 50,
    KB_SUGGEST_MAX = 5,
    KB_QUERY_MAX = 200, /* characters of a search */
};

struct kb_article {
    int64_t id;
    const char *title, *body, *need_type, *category; /* category: a code, or NULL */
    const char *tags;                                /* one per line */
    const char *state;                               /* draft, in_review, published, obsolete */
    int64_t version, effective_from, replaced_by, source_ticket;
    const char *source_ticket_number, *replaced_by_title;
    int64_t updated_at, updated_by;
    const char *updated_by_name;
    int64_t category_id;
    const char *snippet; /* search and suggestions: HTML, matches in <mark>, all else escaped */
};

struct kb_version {
    int64_t version;
    const char *title, *body, *need_type, *category, *tags;
    int64_t effective_from, created_at, created_by;
    const char *created_by_name;
};

/* What an author writes; NULL or has_* == 0 leaves a field as it is on update. */
struct kb_input {
    const char *title, *body, *need_type;
    const char *category; /* a code; has_category with NULL clears it */
    int has_category;
    const char **tags;
    size_t ntags;
    int has_tags;
    int64_t effective_from; /* 0 with has_effective_from clears it */
    int has_effective_from;
};

/* Creates a draft at version 1 (any staff member). 0 and *ret, or KF_EINVAL naming the field
 * (title and body required, need_type a ticket type, category one of that type, tags at most
 * KB_TAGS_MAX of KB_TAG_MAX characters). Audit row in the caller's transaction. */
int kb_create(struct db *db, const struct actor *actor, const struct kb_input *in,
              struct arena *arena, struct kb_article *ret, struct kf_error *e);
/* Changes an article. A draft is changed in place by anyone; an article in review or published
 * only by a supervisor or an admin (KF_EFORBIDDEN), and a published one gets a new version,
 * the old one kept (kb_versions). An obsolete one is KF_ECONFLICT. KF_ENOTFOUND, KF_EINVAL as
 * kb_create. */
int kb_update(struct db *db, const struct actor *actor, int64_t id, const struct kb_input *in,
              struct arena *arena, struct kb_article *ret, struct kf_error *e);
int kb_get(struct db *db, int64_t id, struct arena *arena, struct kb_article *ret);

struct kb_query {
    const char *state, *need_type, *category, *tag; /* NULL: any */
    int limit;                                      /* 1..KB_LIST_MAX */
    int64_t before;                                 /* 0: from the newest */
};
/* Articles newest first. KF_EINVAL naming the filter for an unknown state, type or category. */
int kb_list(struct db *db, const struct kb_query *q, struct arena *arena, struct kb_article **ret,
            size_t *ret_n, struct kf_error *e);
/* Every version of article id, newest first; KF_ENOTFOUND for an unknown article. */
int kb_versions(struct db *db, int64_t id, struct arena *arena, struct kb_version **ret,
                size_t *ret_n);
int kb_version_get(struct db *db, int64_t id, int64_t version, struct arena *arena,
                   struct kb_version *ret);

/* The review: submit (draft → in_review, anyone), publish (draft or in_review → published,
 * supervisor or admin; with notify every active staff member gets a kb_updated notification;
 * every publication writes a kb.published event that reaches every open console), obsolete
 * (published → obsolete, supervisor or admin, replaced_by 0 or another article that is not
 * obsolete). KF_ECONFLICT (e says why) from any other state, KF_EFORBIDDEN, KF_ENOTFOUND,
 * KF_EINVAL naming replaced_by. */
int kb_submit(struct db *db, const struct actor *actor, int64_t id, struct arena *arena,
              struct kb_article *ret, struct kf_error *e);
int kb_publish(struct db *db, const struct actor *actor, int64_t id, int notify,
               struct arena *arena, struct kb_article *ret, struct kf_error *e);
int kb_obsolete(struct db *db, const struct actor *actor, int64_t id, int64_t replaced_by,
                struct arena *arena, struct kb_article *ret, struct kf_error *e);

/* Published articles in force at this time matching the user's text q (two-character Chinese
 * words, English words, "quoted phrases"; every term must occur), best first by BM25, each with
 * a snippet. need_type and category (codes, NULL: any) narrow it. A blank q finds nothing.
 * KF_EINVAL naming q (too long) or the filter. */
int kb_search(struct db *db, const char *q, const char *need_type, const char *category, int limit,
              struct arena *arena, struct kb_article **ret, size_t *ret_n, struct kf_error *e);

/* Up to KB_SUGGEST_MAX published articles for the ticket ref names (id or number, one the actor
 * may see: else KF_ENOTFOUND), ranked for its subject and description (any of their words), its
 * type and its category; when its words find nothing, the newest of its category or type.
 * *ret_ticket_id (may be NULL) is the ticket's id. */
int kb_suggest(struct db *db, const struct actor *actor, const char *ref, struct arena *arena,
               struct kb_article **ret, size_t *ret_n, int64_t *ret_ticket_id, struct kf_error *e);

/* Archives the resolved or closed ticket ref names as a draft article ("need type + solution"):
 * its type and category, its subject as title, and a body of the problem, the result, the
 * measures and the replies sent, where the customer is named by customer number only (their
 * name, contact name, phone, e-mail and member id are replaced wherever they occur).
 * KF_ENOTFOUND, KF_ECONFLICT for a ticket not yet resolved. */
int kb_archive_ticket(struct db *db, const struct actor *actor, const char *ref,
                      struct arena *arena, struct kb_article *ret, struct kf_error *e);

/* ---- pure helpers, for the tests ---- */

/* A snippet made with KB_MARK_OPEN and KB_MARK_CLOSE around matches (fts_cjk_snippet), as HTML:
 * every character escaped (&, <, >, ", '), the marks as <mark> and </mark>, always balanced. In a.
 */
#define KB_MARK_OPEN "\x01"
#define KB_MARK_CLOSE "\x02"
char *kb_snippet_html(struct arena *a, const char *raw);

/* text with every occurrence of each of the n non-empty needles (NULL ones skipped) replaced by
 * with; a phone number also when written with spaces or dashes between its digits. In a. */
char *kb_scrub(struct arena *a, const char *text, const char *const *needles, size_t n,
               const char *with);

/* The customer number that stands for a customer in what is archived: "ID-<member id>" when
 * they have one, else "C<id>". In a. */
char *kb_customer_number(struct arena *a, int64_t customer_id, const char *member_id);

#endif
