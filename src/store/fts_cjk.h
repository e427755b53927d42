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

/* Turns any text (a ticket's subject and description) into an FTS5 expression in out that
 * matches a document holding any of its first max_terms distinct tokens ("a" OR "b" ...), for
 * ranking documents by how much of the text they share. Returns the length written, 0 when
 * the text has no token, or -1 when out is too small (or out of memory). */
int fts_cjk_any_query(const char *text, int max_terms, char *out, size_t outsz);

#endif
