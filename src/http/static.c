/* static.c: the built web app, read into memory once at start and served from there. */
#include "http/static.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/banned.h"
#include "lib/xalloc.h"

static struct {
    struct static_file *v;
    size_t n;
    const struct static_file *index;
} files;

static const char *mime_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".woff", "font/woff"},
        {".ttf", "font/ttf"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (!strcmp(dot, types[i].ext))
            return types[i].type;
    return "application/octet-stream";
}

static void load_dir(const char *root, const char *rel, size_t *cap)
{
    char dir[1200];
    snprintf(dir, sizeof(dir), "%s%s", root, rel);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char relpath[1200], full[2400];
        snprintf(relpath, sizeof(relpath), "%s/%s", rel, de->d_name);
        snprintf(full, sizeof(full), "%s%s", root, relpath);
        struct stat st;
        if (stat(full, &st))
            continue;
        if (S_ISDIR(st.st_mode)) {
            load_dir(root, relpath, cap);
            continue;
        }
        FILE *f = fopen(full, "rb");
        if (!f)
            continue;
        char *data = xmalloc((size_t)st.st_size + 1);
        size_t got = fread(data, 1, (size_t)st.st_size, f);
        fclose(f);
        if (files.n == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            files.v = xrealloc(files.v, *cap * sizeof(*files.v));
        }
        struct static_file *sf = &files.v[files.n++];
        sf->path = xstrdup(relpath);
        sf->data = data;
        sf->len = got;
        sf->type = mime_type(relpath);
        sf->immutable = strncmp(relpath, "/assets/", 8) == 0;
    }
    closedir(d);
}

void static_load(const char *root)
{
    size_t cap = 0;
    load_dir(root, "", &cap);
    for (size_t i = 0; i < files.n; i++)
        if (!strcmp(files.v[i].path, "/index.html"))
            files.index = &files.v[i];
}

void static_free(void)
{
    for (size_t i = 0; i < files.n; i++) {
        free(files.v[i].path);
        free(files.v[i].data);
    }
    free(files.v);
}

const struct static_file *static_find(const char *path)
{
    for (size_t i = 0; i < files.n; i++)
        if (!strcmp(files.v[i].path, path))
            return &files.v[i];
    return files.index; /* the app routes everything else itself */
}
