/* markdown.h: an article's Markdown rendered to HTML that is safe to show in the console. */
#ifndef KEFU_MARKDOWN_H
#define KEFU_MARKDOWN_H

#include <stddef.h>

struct arena;

/* Renders the n bytes of Markdown at md (CommonMark with GitHub's tables, strike-through and
 * autolinks; raw HTML is shown as text, never interpreted) to HTML, then keeps only what the
 * allow-list of html_clean() keeps: links only to http, https and mailto, no images from
 * outside, no attributes but a link's address. In a; never NULL. */
char *markdown_html(struct arena *a, const char *md, size_t n);

#endif
