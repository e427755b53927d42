/* static.h: the files of the built web app (web/dist), kept in memory. */
#ifndef KEFU_STATIC_H
#define KEFU_STATIC_H

#include <stddef.h>

struct static_file {
    char *path; /* "/assets/x.js" */
    char *data;
    size_t len;
    const char *type;
    int immutable; /* under /assets/: named by content, cached for good */
};

/* Reads every file under root (a missing root: none). Call once, before serving. */
void static_load(const char *root);
/* Frees what static_load read. */
void static_free(void);
/* The file at path, else index.html (the app routes everything else itself), NULL when the app
 * is not built. */
const struct static_file *static_find(const char *path);

#endif
