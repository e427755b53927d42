/* json.h: JSON at the edge: reading request bodies (jansson) and writing Kefu's shapes. */
#ifndef KEFU_HTTP_JSON_H
#define KEFU_HTTP_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

struct jw;
struct ticket;
struct customer;
struct user;
struct department;
struct message;
struct history_entry;
struct attachment;
struct reply_template;

/* Parses the body as a JSON object. On failure it has replied (400 malformed or not an
 * object, 415 not JSON) and returns that status; on success 0 and *ret (decref it). */
int body_object_or_reply(struct request *req, struct response *resp, json_t **ret);
/* Parses a JSON body before the request is queued, so that the executor need not; what
 * body_object_or_reply would answer is kept in req->ahead. body_release_ahead frees a parse no
 * handler took. */
void body_parse_ahead(struct request *req);
void body_release_ahead(struct request *req);

/* Field readers: 0 when the key is absent, 1 when it has a value, 2 when it is null, or
 * KF_EINVAL with e naming the key when the value has the wrong type. Strings are copied into
 * the arena and must be valid UTF-8 without NUL (jansson guarantees it). */
int jstr(struct request *req, json_t *o, const char *key, const char **ret, struct kf_error *e);
int jint(json_t *o, const char *key, int64_t *ret, struct kf_error *e);
int jbool(json_t *o, const char *key, int *ret, struct kf_error *e);
int jtime(json_t *o, const char *key, int64_t *ret, struct kf_error *e);
/* 0 when o has no keys but those of the NULL-terminated allowed, else KF_EINVAL naming the
 * first other key (as field.key when field is given). */
int jonly(struct request *req, json_t *o, const char *const *allowed, const char *field,
          struct kf_error *e);
/* An array of up to max strings (each copied into the arena) into *ret, *ret_n. */
int jstrs(struct request *req, json_t *o, const char *key, size_t max, const char ***ret,
          size_t *ret_n, struct kf_error *e);
/* An array of up to max positive integers. */
int jids(json_t *o, const char *key, int64_t *ret, int max, int *ret_n, struct kf_error *e);

/* Writers of the shapes in docs/api.md. `unmask` shows full contacts. */
void jw_time(struct jw *w, const char *key, int64_t ms);
/* {"id", "name"} of a user, or null for id 0. */
void jw_ref(struct jw *w, const char *key, int64_t id, const char *name);
/* {"id", "code", "name"} of a department, or null for id 0. */
void jw_dept_ref(struct jw *w, const char *key, int64_t id, const char *code, const char *name);
void render_customer(struct jw *w, struct arena *a, const struct customer *c, int unmask);
/* The members of render_customer's object ("merged_into" only for a merged customer), for an
 * answer that adds its own. */
void render_customer_fields(struct jw *w, struct arena *a, const struct customer *c, int unmask);
/* att (may be NULL: no "attachments" key) lists the ticket's files. */
void render_ticket(struct jw *w, struct arena *a, const struct ticket *t, const struct actor *who,
                   int unmask, const struct attachment *att, size_t natt);
void render_user(struct jw *w, const struct user *u);
/* The members of render_user's object, for an answer that adds its own. */
void render_user_fields(struct jw *w, const struct user *u);
void render_department(struct jw *w, const struct department *d);
void render_attachment(struct jw *w, const struct attachment *at);
void render_message(struct jw *w, const struct message *m);
/* A message as a customer sees it: its author is a kind and a display name, never a staff id. */
void render_public_message(struct jw *w, const struct message *m);
void render_history(struct jw *w, const struct history_entry *h);
/* A standard reply (标准话术) as GET /api/v1/templates/{id} shows it. */
void render_reply_template(struct jw *w, const struct reply_template *t);

/* Starts {"items": [ and ends it with ], "next_cursor": ...}. */
void list_begin(struct jw *w, struct response *resp);
void list_end(struct jw *w, const char *next_cursor);

#endif
