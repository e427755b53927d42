/* template.h: the text of a standard reply (标准话术): placeholders filled, emotion blanks found.
 * Pure: no database, no clock, no zone; the caller gives the values.
 *
 * Syntax, read once from left to right (a value put in is never read again, so a customer's
 * name holding "[[" or "{{" stays text):
 * - {{name}} (spaces inside the braces allowed; name of ASCII letters, digits, '.', '_', up
 *   to 64) is replaced by its value. A name without a value (unknown, or NULL or "") is left
 *   as written and reported as a blank of kind TEMPLATE_BLANK_PLACEHOLDER, so that the agent
 *   fills it in; braces that do not form a placeholder are plain text.
 * - [[text]] is an emotion blank (情感空位): the brackets go, the text stays and is reported as
 *   a blank of kind TEMPLATE_BLANK_EMOTION. The text runs to the first "]]", holds no newline
 *   and is not empty. Where "[[" opens again before that "]]", the innermost one is the blank
 *   and the outer brackets are text ("[[a[[b]]" is "[[a" and the blank "b"); "[[" never
 *   closed is text. Placeholders inside a blank are filled (and not reported on their own).
 * Offsets are in characters (Unicode code points) of the filled body, end exclusive. */
#ifndef KEFU_TEMPLATE_H
#define KEFU_TEMPLATE_H

#include <stddef.h>

struct arena;

enum {
    TEMPLATE_NAME_MAX = 64,         /* bytes of a placeholder's name */
    TEMPLATE_OUT_MAX = 1024 * 1024, /* bytes of a filled body */
};

struct template_value {
    const char *name;  /* "customer.name" */
    const char *value; /* NULL or "": no value */
};

enum template_blank_kind {
    TEMPLATE_BLANK_EMOTION,     /* [[...]] */
    TEMPLATE_BLANK_PLACEHOLDER, /* {{...}} left as written */
};

struct template_blank {
    size_t start, end; /* code points of body */
    const char *text;  /* body's text between them */
    enum template_blank_kind kind;
};

struct template_text {
    const char *body;
    size_t chars; /* code points of body */
    struct template_blank *blanks;
    size_t nblanks;
};

/* Fills src (valid UTF-8) with the n values (the first of a name wins) into *ret, all in arena.
 * 0, or KF_ETOOBIG when the body would pass TEMPLATE_OUT_MAX bytes (*ret untouched). */
int template_fill(const char *src, const struct template_value *values, size_t n,
                  struct arena *arena, struct template_text *ret);

/* The API's name of a blank kind: "emotion" or "placeholder". */
const char *template_blank_kind_name(enum template_blank_kind k);

#endif
