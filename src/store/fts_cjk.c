/* fts_cjk.c: an FTS5 tokenizer for mixed Chinese and English text.
 *
 * ASCII letters and digits form words (lower-cased); a run of CJK characters is indexed as
 * overlapping bigrams (the approach of Lucene's CJK analyzer), so that two-character words
 * such as 家电 and 退款 are found, which FTS5's trigram tokenizer cannot do. Documents also
 * get the last character of each run alone, so that a one-character prefix query finds any
 * character. Everything else separates tokens. */
#include "store/fts_cjk.h"

#include <sqlite3.h>
#include <string.h>

#include "lib/banned.h"
#include "lib/strbuf.h"

/* Decodes one UTF-8 character at s (n bytes left); returns its length (1 for a bad byte,
 * with *cp = 0xFFFD). */
static int decode(const unsigned char *s, int n, unsigned *cp)
{
    unsigned c = s[0];
    int len;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, c &= 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, c &= 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, c &= 0x07;
    else
        goto bad;
    if (len > n)
        goto bad;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            goto bad;
        c = (c << 6) | (s[i] & 0x3F);
    }
    *cp = c;
    return len;
bad:
    *cp = 0xFFFD;
    return 1;
}

static int is_cjk(unsigned c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) ||   /* unified ideographs */
           (c >= 0x3400 && c <= 0x4DBF) ||   /* extension A */
           (c >= 0x20000 && c <= 0x2FA1F) || /* extensions B-F, compatibility supplement */
           (c >= 0xF900 && c <= 0xFAFF) ||   /* compatibility ideographs */
           (c >= 0x3040 && c <= 0x30FF) ||   /* hiragana, katakana */
           (c >= 0xAC00 && c <= 0xD7AF);     /* hangul syllables */
}

/* Letters of other scripts (é, ß, Cyrillic ...) belong to words; punctuation does not. */
static int is_word(unsigned c)
{
    if (c < 0x80)
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (c == 0xFFFD || is_cjk(c))
        return 0;
    if ((c >= 0x2000 && c <= 0x2BFF) || (c >= 0x3000 && c <= 0x303F) ||
        (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF65) || (c >= 0x80 && c <= 0xBF) ||
        c == 0xD7 || c == 0xF7)
        return 0;
    return 1;
}

struct tokenizer {
    int unused;
};

static int tok_create(void *ctx, const char **argv, int argc, Fts5Tokenizer **ret)
{
    (void)ctx, (void)argv, (void)argc;
    struct tokenizer *t = sqlite3_malloc(sizeof(*t));
    if (!t)
        return SQLITE_NOMEM;
    *ret = (Fts5Tokenizer *)t;
    return SQLITE_OK;
}

static void tok_delete(Fts5Tokenizer *t)
{
    sqlite3_free(t);
}

typedef int token_cb(void *ctx, int flags, const char *token, int ntoken, int start, int end);

static int tok_tokenize(Fts5Tokenizer *unused, void *ctx, int flags, const char *text, int n,
                        token_cb *emit)
{
    (void)unused;
    const unsigned char *s = (const unsigned char *)text;
    char word[256];
    int query = (flags & FTS5_TOKENIZE_QUERY) != 0;
    int i = 0, rc = SQLITE_OK;
    while (i < n && rc == SQLITE_OK) {
        unsigned cp;
        int len = decode(s + i, n - i, &cp);
        if (is_word(cp)) {
            /* a word: copy it lower-cased (ASCII), cut at the buffer's size */
            int start = i, w = 0;
            while (i < n) {
                len = decode(s + i, n - i, &cp);
                if (!is_word(cp))
                    break;
                if (w + len <= (int)sizeof(word)) {
                    for (int k = 0; k < len; k++) {
                        char c = (char)s[i + k];
                        word[w++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
                    }
                }
                i += len;
            }
            rc = emit(ctx, 0, word, w, start, i);
        } else if (is_cjk(cp)) {
            /* a run of CJK characters: overlapping bigrams */
            int prev = i, prevlen = len, count = 1;
            i += len;
            while (i < n && rc == SQLITE_OK) {
                len = decode(s + i, n - i, &cp);
                if (!is_cjk(cp))
                    break;
                rc = emit(ctx, 0, text + prev, prevlen + len, prev, i + len);
                prev = i, prevlen = len, count++;
                i += len;
            }
            if (rc == SQLITE_OK && (count == 1 || !query))
                rc = emit(ctx, 0, text + prev, prevlen, prev, prev + prevlen);
        } else {
            i += len;
        }
    }
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static fts5_api *get_api(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(st);
    sqlite3_finalize(st);
    return api;
}

/* Whether a term of the user's text holds anything to search for: a term without one would
 * make its phrase fail to parse, and is skipped. */
static int searchable(const char *t, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned cp;
        i += (size_t)decode((const unsigned char *)t + i, (int)(n - i), &cp);
        if (is_word(cp) || is_cjk(cp))
            return 1;
    }
    return 0;
}

static int single_cjk(const char *t, size_t n)
{
    unsigned cp;
    return (size_t)decode((const unsigned char *)t, (int)n, &cp) == n && is_cjk(cp);
}

/* The next term of *p, advancing *p: a whitespace-separated word, or what lies between double
 * quotes (a phrase; an unclosed quote runs to the end). Returns 0 at the end; a term may be
 * empty (""). */
static int next_term(const char **p, const char **start, size_t *n)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    if (!*s)
        return 0;
    if (*s == '"') {
        const char *b = ++s;
        while (*s && *s != '"')
            s++;
        *start = b;
        *n = (size_t)(s - b);
        *p = *s ? s + 1 : s;
        return 1;
    }
    const char *b = s;
    while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
        s++;
    *p = s;
    *start = b;
    *n = (size_t)(s - b);
    return 1;
}

/* One term of the user's text as a quoted phrase ("" doubled), or "X"* for one CJK character. */
static int add_term(const char *t, size_t n, char *out, size_t outsz, size_t *pos)
{
    if (!searchable(t, n))
        return 0;
    size_t need = n * 2 + 6;
    if (*pos + need >= outsz)
        return -1;
    if (*pos)
        out[(*pos)++] = ' ';
    out[(*pos)++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '"')
            out[(*pos)++] = '"';
        out[(*pos)++] = t[i];
    }
    out[(*pos)++] = '"';
    if (single_cjk(t, n))
        out[(*pos)++] = '*';
    out[*pos] = '\0';
    return 0;
}

int fts_cjk_query(const char *text, char *out, size_t outsz)
{
    size_t pos = 0, n;
    if (!outsz)
        return -1;
    out[0] = '\0';
    const char *p = text, *term;
    while (next_term(&p, &term, &n))
        if (add_term(term, n, out, outsz, &pos))
            return -1;
    return (int)pos;
}

/* ---- kefu_match: the same search without the index ----
 *
 * Text that the index does not hold yet is searched by tokenizing it here with the same
 * tokenizer and applying FTS5's rules for the expression fts_cjk_query makes: every phrase
 * must occur in some column as tokens at consecutive positions; the token of a one-character
 * CJK phrase is a prefix. */

struct toklist {
    int n, cap;
    int *off, *len; /* into buf */
    char *buf;
    size_t used, size;
    int failed;
};

static int collect(void *ctx, int flags, const char *token, int ntoken, int start, int end)
{
    (void)flags, (void)start, (void)end;
    struct toklist *l = ctx;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 32;
        int *off = sqlite3_realloc64(l->off, (sqlite3_uint64)cap * sizeof(int));
        if (off)
            l->off = off;
        int *len = sqlite3_realloc64(l->len, (sqlite3_uint64)cap * sizeof(int));
        if (len)
            l->len = len;
        if (!off || !len)
            return l->failed = 1, SQLITE_NOMEM;
        l->cap = cap;
    }
    if (l->used + (size_t)ntoken > l->size) {
        size_t size = l->size ? l->size * 2 : 512;
        while (size < l->used + (size_t)ntoken)
            size *= 2;
        char *buf = sqlite3_realloc64(l->buf, size);
        if (!buf)
            return l->failed = 1, SQLITE_NOMEM;
        l->buf = buf, l->size = size;
    }
    memcpy(l->buf + l->used, token, (size_t)ntoken);
    l->off[l->n] = (int)l->used;
    l->len[l->n++] = ntoken;
    l->used += (size_t)ntoken;
    return SQLITE_OK;
}

static void toklist_free(struct toklist *l)
{
    sqlite3_free(l->off);
    sqlite3_free(l->len);
    sqlite3_free(l->buf);
}

int fts_cjk_any_query(const char *text, int max_terms, char *out, size_t outsz)
{
    struct toklist l = {0};
    if (!outsz)
        return -1;
    out[0] = '\0';
    tok_tokenize(NULL, &l, FTS5_TOKENIZE_QUERY, text, (int)strlen(text), collect);
    if (l.failed) {
        toklist_free(&l);
        return -1;
    }
    size_t pos = 0;
    int terms = 0, rc = 0;
    for (int i = 0; i < l.n && terms < max_terms; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = l.len[j] == l.len[i] &&
                   !memcmp(l.buf + l.off[j], l.buf + l.off[i], (size_t)l.len[i]);
        if (seen)
            continue;
        /* tokens hold no quote: words are letters and digits, the rest CJK characters */
        size_t need = (size_t)l.len[i] + 6;
        if (pos + need >= outsz) {
            rc = -1;
            break;
        }
        if (terms++)
            memcpy(out + pos, " OR ", 4), pos += 4;
        out[pos++] = '"';
        memcpy(out + pos, l.buf + l.off[i], (size_t)l.len[i]);
        pos += (size_t)l.len[i];
        out[pos++] = '"';
        out[pos] = '\0';
    }
    toklist_free(&l);
    return rc ? -1 : (int)pos;
}

/* ---- snippets ---- */

enum { SNIPPET_TEXT_MAX = 32 * 1024, SNIPPET_RUNS = 64 };

struct marker {
    struct toklist q; /* the query's tokens */
    char *prefix;     /* per query token: it is a one-character prefix */
    int s[SNIPPET_RUNS], e[SNIPPET_RUNS], n;
};

static int mark_token(void *ctx, int flags, const char *token, int ntoken, int start, int end)
{
    (void)flags;
    struct marker *m = ctx;
    int hit = 0;
    for (int i = 0; i < m->q.n && !hit; i++) {
        int ql = m->q.len[i];
        hit = (m->prefix[i] ? ntoken >= ql : ntoken == ql) &&
              !memcmp(token, m->q.buf + m->q.off[i], (size_t)ql);
    }
    if (!hit)
        return SQLITE_OK;
    if (m->n && start <= m->e[m->n - 1]) { /* overlapping or touching: one run */
        if (end > m->e[m->n - 1])
            m->e[m->n - 1] = end;
    } else if (m->n < SNIPPET_RUNS) {
        m->s[m->n] = start, m->e[m->n++] = end;
    }
    return SQLITE_OK;
}

/* The query tokens of every quoted phrase of an FTS5 expression. */
static int query_tokens(const char *match, struct marker *m)
{
    char phrase[1024];
    for (const char *p = strchr(match, '"'); p; p = strchr(p, '"')) {
        size_t n = 0;
        for (p++; *p && n + 1 < sizeof(phrase); p++) {
            if (*p == '"' && p[1] == '"')
                phrase[n++] = '"', p++;
            else if (*p == '"')
                break;
            else
                phrase[n++] = *p;
        }
        phrase[n] = '\0';
        if (!*p)
            break;
        int prefix = p[1] == '*', before = m->q.n;
        p++;
        tok_tokenize(NULL, &m->q, FTS5_TOKENIZE_QUERY, phrase, (int)n, collect);
        if (m->q.failed)
            return -1;
        char *more = sqlite3_realloc64(m->prefix, (sqlite3_uint64)m->q.n + 1);
        if (!more)
            return -1;
        m->prefix = more;
        for (int i = before; i < m->q.n; i++)
            m->prefix[i] = (char)prefix;
    }
    return 0;
}

/* The byte offset `chars` characters before (back < 0) or after pos in text of n bytes. */
static int step_chars(const char *text, int n, int pos, int chars)
{
    while (chars < 0 && pos > 0) {
        pos--;
        while (pos > 0 && ((unsigned char)text[pos] & 0xC0) == 0x80)
            pos--;
        chars++;
    }
    while (chars > 0 && pos < n) {
        pos++;
        while (pos < n && ((unsigned char)text[pos] & 0xC0) == 0x80)
            pos++;
        chars--;
    }
    return pos;
}

int fts_cjk_snippet(const char *text, const char *match, int window, const char *open,
                    const char *close, struct strbuf *out)
{
    struct marker m = {0};
    int n = (int)strlen(text), rc = 0;
    if (n > SNIPPET_TEXT_MAX)
        n = step_chars(text, SNIPPET_TEXT_MAX, SNIPPET_TEXT_MAX, -1); /* a whole character */
    if (query_tokens(match, &m)) {
        rc = -1;
        goto out;
    }
    if (m.q.n)
        tok_tokenize(NULL, &m, 0, text, n, mark_token);
    int from = m.n ? step_chars(text, n, m.s[0], -(window / 4)) : 0;
    int to = step_chars(text, n, from, window);
    if (from > 0)
        strbuf_addstr(out, "…");
    int pos = from;
    for (int i = 0; i < m.n && m.s[i] < to; i++) {
        if (m.e[i] <= from)
            continue;
        int s = m.s[i] < from ? from : m.s[i], e = m.e[i] > to ? to : m.e[i];
        strbuf_add(out, text + pos, (size_t)(s - pos));
        strbuf_addstr(out, open);
        strbuf_add(out, text + s, (size_t)(e - s));
        strbuf_addstr(out, close);
        pos = e;
    }
    strbuf_add(out, text + pos, (size_t)(to - pos));
    if (to < (int)strlen(text))
        strbuf_addstr(out, "…");
    rc = m.n > 0;
out:
    toklist_free(&m.q);
    sqlite3_free(m.prefix);
    return rc;
}

/* A query: its phrases, each a range of tokens in one list. */
struct query {
    struct toklist toks;
    int nphrase;
    int *first, *count, *prefix;
    char *found;         /* per call: which phrases a column held */
    struct toklist cell; /* per call: the tokens of one column */
};

static void query_free(void *p)
{
    struct query *q = p;
    if (!q)
        return;
    toklist_free(&q->toks);
    toklist_free(&q->cell);
    sqlite3_free(q->found);
    sqlite3_free(q->first);
    sqlite3_free(q->count);
    sqlite3_free(q->prefix);
    sqlite3_free(q);
}

static struct query *query_parse(const char *text)
{
    struct query *q = sqlite3_malloc(sizeof(*q));
    if (!q)
        return NULL;
    memset(q, 0, sizeof(*q));
    const char *p = text, *term;
    size_t n, terms = 0;
    while (next_term(&p, &term, &n))
        terms++;
    q->first = sqlite3_malloc64((terms + 1) * sizeof(int));
    q->count = sqlite3_malloc64((terms + 1) * sizeof(int));
    q->prefix = sqlite3_malloc64((terms + 1) * sizeof(int));
    q->found = sqlite3_malloc64(terms + 1);
    if (!q->first || !q->count || !q->prefix || !q->found) {
        query_free(q);
        return NULL;
    }
    p = text;
    while (next_term(&p, &term, &n)) {
        if (!searchable(term, n))
            continue;
        int before = q->toks.n;
        tok_tokenize(NULL, &q->toks, FTS5_TOKENIZE_QUERY, term, (int)n, collect);
        if (q->toks.failed) {
            query_free(q);
            return NULL;
        }
        q->first[q->nphrase] = before;
        q->count[q->nphrase] = q->toks.n - before;
        q->prefix[q->nphrase++] = single_cjk(term, n);
    }
    return q;
}

static int token_eq(const struct toklist *d, int i, const struct toklist *q, int j, int prefix)
{
    int dl = d->len[i], ql = q->len[j];
    if (prefix ? dl < ql : dl != ql)
        return 0;
    return memcmp(d->buf + d->off[i], q->buf + q->off[j], (size_t)ql) == 0;
}

/* Whether phrase k of q occurs in the tokens d. */
static int phrase_in(const struct query *q, int k, const struct toklist *d)
{
    int first = q->first[k], count = q->count[k];
    for (int i = 0; i + count <= d->n; i++) {
        int j = 0;
        while (j < count && token_eq(d, i + j, &q->toks, first + j, q->prefix[k] && j == count - 1))
            j++;
        if (j == count)
            return 1;
    }
    return 0;
}

/* Whether the columns argv[0..argc) hold every phrase of q; -1 when out of memory. */
static int match_columns(struct query *q, int argc, sqlite3_value **argv)
{
    if (!q->nphrase)
        return 0;
    memset(q->found, 0, (size_t)q->nphrase);
    struct toklist *d = &q->cell;
    int nfound = 0;
    for (int c = 0; c < argc && nfound < q->nphrase; c++) {
        const char *text = (const char *)sqlite3_value_text(argv[c]);
        if (!text)
            continue;
        d->n = 0, d->used = 0;
        tok_tokenize(NULL, d, 0, text, sqlite3_value_bytes(argv[c]), collect);
        if (d->failed)
            return d->failed = 0, -1;
        for (int k = 0; k < q->nphrase; k++)
            if (!q->found[k] && phrase_in(q, k, d))
                q->found[k] = 1, nfound++;
    }
    return nfound == q->nphrase;
}

/* kefu_match(text, column, ...): 1 when the user's search text matches the columns as the
 * index would match them, else 0. The parsed text is kept for the statement's next rows. */
static void match_func(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (argc < 1) {
        sqlite3_result_error(ctx, "kefu_match needs the search text", -1);
        return;
    }
    struct query *q = sqlite3_get_auxdata(ctx, 0), *parsed = NULL;
    if (!q) {
        const char *text = (const char *)sqlite3_value_text(argv[0]);
        if (!(q = parsed = query_parse(text ? text : ""))) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
    }
    int rc = match_columns(q, argc - 1, argv + 1);
    if (rc < 0)
        sqlite3_result_error_nomem(ctx);
    else
        sqlite3_result_int(ctx, rc);
    if (parsed)
        sqlite3_set_auxdata(ctx, 0, parsed, query_free); /* may free it at once */
}

int fts_cjk_register(struct sqlite3 *db)
{
    static fts5_tokenizer tok = {tok_create, tok_delete, tok_tokenize};
    fts5_api *api = get_api(db);
    if (!api)
        return SQLITE_ERROR;
    int rc = api->xCreateTokenizer(api, "kefu", NULL, &tok, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "kefu_match", -1,
                                     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                     match_func, NULL, NULL);
    return rc;
}

struct terms {
    int (*fn)(void *ctx, const char *token, int ntoken);
    void *ctx;
    int rc;
};

static int term(void *ctx, int flags, const char *token, int ntoken, int start, int end)
{
    (void)flags, (void)start, (void)end;
    struct terms *t = ctx;
    t->rc = t->fn(t->ctx, token, ntoken);
    return t->rc ? SQLITE_DONE : SQLITE_OK;
}

int fts_cjk_terms(const char *text, size_t n, int (*fn)(void *ctx, const char *token, int ntoken),
                  void *ctx)
{
    struct terms t = {fn, ctx, 0};
    tok_tokenize(NULL, &t, FTS5_TOKENIZE_QUERY, text, (int)n, term);
    return t.rc;
}
