/* html_clean.h: customer HTML made safe to show (an allow-list), and made readable as text. */
#ifndef KEFU_HTML_CLEAN_H
#define KEFU_HTML_CLEAN_H

#include <stddef.h>

struct arena;

/* Returns the n bytes of UTF-8 HTML at html with only allowed markup left: p, br, div, span,
 * b, strong, i, em, u, ul, ol, li, blockquote, pre, code, h1-h6, table, thead, tbody, tr,
 * td, th; a with an http, https or mailto href; img with a cid: src. Every other attribute,
 * event handler, style, comment and element is dropped (script, style, iframe, object, svg,
 * and the like with their content); text is escaped; open elements are closed. In a. */
char *html_clean(struct arena *a, const char *html, size_t n);

/* Renders the n bytes of HTML at html as plain text: block elements end lines, entities are
 * decoded, white space collapsed as a browser would, scripts and styles dropped. In a. */
char *html_to_text(struct arena *a, const char *html, size_t n);

#endif
