/* markdown.c: Markdown to sanitised HTML with md4c and the mail allow-list. */
#include "http/markdown.h"

#include <md4c-html.h>
#include <string.h>

#include "channels/html_clean.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/strbuf.h"

enum { MARKDOWN_HTML_MAX = 16 * 1024 * 1024 };

static void collect(const MD_CHAR *text, MD_SIZE size, void *arg)
{
    strbuf_add(arg, text, size);
}

char *markdown_html(struct arena *a, const char *md, size_t n)
{
    struct strbuf sb = STRBUF_INIT(MARKDOWN_HTML_MAX);
    unsigned flags = MD_DIALECT_GITHUB | MD_FLAG_NOHTML;
    char *out;
    /* a body too large to render (it cannot be: bodies are capped) is shown as nothing */
    if (md_html(md, (MD_SIZE)n, collect, &sb, flags, 0) != 0 || sb.overflow)
        out = arena_strdup(a, "");
    else
        out = html_clean(a, sb.buf, sb.len);
    strbuf_release(&sb);
    return out;
}
