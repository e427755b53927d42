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

int fts_cjk_register(struct sqlite3 *db)
{
    static fts5_tokenizer tok = {tok_create, tok_delete, tok_tokenize};
    fts5_api *api = get_api(db);
    if (!api)
        return SQLITE_ERROR;
    return api->xCreateTokenizer(api, "kefu", NULL, &tok, NULL);
}

/* One term of the user's text as a quoted phrase ("" doubled), or "X"* for one CJK character. */
static int add_term(const char *t, size_t n, char *out, size_t outsz, size_t *pos)
{
    unsigned cp;
    int len = decode((const unsigned char *)t, (int)n, &cp);
    int single_cjk = (size_t)len == n && is_cjk(cp);
    /* a term with nothing to search for would make the phrase fail to parse: skip it */
    int searchable = 0;
    for (size_t i = 0; i < n;) {
        int l = decode((const unsigned char *)t + i, (int)(n - i), &cp);
        if (is_word(cp) || is_cjk(cp))
            searchable = 1;
        i += (size_t)l;
    }
    if (!searchable)
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
    if (single_cjk)
        out[(*pos)++] = '*';
    out[*pos] = '\0';
    return 0;
}

int fts_cjk_query(const char *text, char *out, size_t outsz)
{
    size_t pos = 0;
    if (!outsz)
        return -1;
    out[0] = '\0';
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
        if (p > start && add_term(start, (size_t)(p - start), out, outsz, &pos))
            return -1;
    }
    return (int)pos;
}
