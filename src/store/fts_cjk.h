/* fts_cjk.h: the "kefu" FTS5 tokenizer: lower-cased ASCII words and CJK bigrams. */
#ifndef KEFU_FTS_CJK_H
#define KEFU_FTS_CJK_H

#include <stddef.h>

struct sqlite3;

/* Registers the tokenizer named "kefu" on db, and the SQL function kefu_match(text, column,
 * ...): 1 when the columns match the user's search text as an index with this tokenizer would
 * match the expression fts_cjk_query makes of it, for text the index does not hold yet.
 * Returns SQLITE_OK or an SQLite error code. */
int fts_cjk_register(struct sqlite3 *db);

/* Turns a user's search text into an FTS5 MATCH expression in out (outsz bytes, always
 * NUL-terminated). Each whitespace-separated term, or text between double quotes ("payment
 * method"), becomes a quoted phrase, terms are ANDed; a
 * term that is one CJK character becomes a prefix query. Returns the length written, 0 when
 * the text has no searchable term, or -1 when out is too small. */
int fts_cjk_query(const char *text, char *out, size_t outsz);

/* Calls fn(ctx, token, ntoken) for each search term of the n bytes at text as a query would
 * see them: lower-cased ASCII words and the overlapping two-character CJK words (a lone CJK
 * character on its own). A non-zero return from fn stops and is returned; 0 otherwise. */
int fts_cjk_terms(const char *text, size_t n, int (*fn)(void *ctx, const char *token, int ntoken),
                  void *ctx);

/* Turns any text (a ticket's subject and description) into an FTS5 expression in out that
 * matches a document holding any of its first max_terms distinct tokens ("a" OR "b" ...), for
 * ranking documents by how much of the text they share. Returns the length written, 0 when
 * the text has no token, or -1 when out is too small (or out of memory). */
int fts_cjk_any_query(const char *text, int max_terms, char *out, size_t outsz);

struct strbuf;

/* A snippet of text for the FTS5 expression match (as fts_cjk_query or fts_cjk_any_query make
 * it, a column filter before it allowed): about `window` characters around the first match,
 * "…" where it was cut, each run of matched tokens between open and close. Overlapping CJK
 * bigrams are marked as one run, which FTS5's own snippet() cannot do (it repeats text when a
 * match overlaps the one before). Only the first 32 KiB of text are searched. Appends to out;
 * returns 1 when something was marked, 0 when nothing was (out holds the text's start), or -1
 * when out of memory. */
int fts_cjk_snippet(const char *text, const char *match, int window, const char *open,
                    const char *close, struct strbuf *out);

#endif
