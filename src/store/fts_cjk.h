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
 * NUL-terminated). Each whitespace-separated term becomes a quoted phrase, terms are ANDed; a
 * term that is one CJK character becomes a prefix query. Returns the length written, 0 when
 * the text has no searchable term, or -1 when out is too small. */
int fts_cjk_query(const char *text, char *out, size_t outsz);

/* Calls fn(ctx, token, ntoken) for each search term of the n bytes at text as a query would
 * see them: lower-cased ASCII words and the overlapping two-character CJK words (a lone CJK
 * character on its own). A non-zero return from fn stops and is returned; 0 otherwise. */
int fts_cjk_terms(const char *text, size_t n, int (*fn)(void *ctx, const char *token, int ntoken),
                  void *ctx);

#endif
