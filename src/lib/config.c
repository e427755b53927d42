/* config.c: configuration from defaults, an INI file, the environment and flags. */
#define _POSIX_C_SOURCE 200809L
#include "lib/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/banned.h"
#include "lib/err.h"

static int parse_int(const char *s, long long lo, long long hi, long long *ret)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return KF_EINVAL;
    *ret = v;
    return 0;
}

static int parse_bool(const char *s, int *ret)
{
    if (!strcmp(s, "1") || !strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
        *ret = 1;
    else if (!strcmp(s, "0") || !strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
        *ret = 0;
    else
        return KF_EINVAL;
    return 0;
}

static int copy(char *dst, size_t n, const char *src)
{
    if (strlen(src) >= n)
        return KF_EINVAL;
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

int config_set(struct config *cfg, const char *key, const char *value, struct kf_error *e)
{
    long long v;
    int rc = 0;
    if (!strcmp(key, "listen")) {
        const char *colon = strrchr(value, ':');
        if (!colon || parse_int(colon + 1, 1, 65535, &v))
            return kf_fail(e, KF_EINVAL, key, "listen must be HOST:PORT, e.g. 127.0.0.1:8080");
        rc = copy(cfg->listen, sizeof(cfg->listen), value);
    } else if (!strcmp(key, "data_dir")) {
        rc = copy(cfg->data_dir, sizeof(cfg->data_dir), value);
    } else if (!strcmp(key, "web_dir")) {
        rc = copy(cfg->web_dir, sizeof(cfg->web_dir), value);
    } else if (!strcmp(key, "time_zone")) {
        rc = copy(cfg->time_zone, sizeof(cfg->time_zone), value);
    } else if (!strcmp(key, "threads")) {
        if ((rc = parse_int(value, 0, 64, &v)) == 0)
            cfg->threads = (int)v;
    } else if (!strcmp(key, "max_attachment_mb")) {
        if ((rc = parse_int(value, 1, 1024, &v)) == 0)
            cfg->max_attachment_bytes = v * 1024 * 1024;
    } else if (!strcmp(key, "session_hours")) {
        if ((rc = parse_int(value, 1, 24 * 90, &v)) == 0)
            cfg->session_hours = (int)v;
    } else if (!strcmp(key, "cookie_secure")) {
        rc = parse_bool(value, &cfg->cookie_secure);
    } else if (!strcmp(key, "portal_ip_limit")) {
        if ((rc = parse_int(value, 1, 1000000, &v)) == 0)
            cfg->portal_ip_limit = (int)v;
    } else if (!strcmp(key, "hook_rate_limit")) {
        if ((rc = parse_int(value, 1, 1000000, &v)) == 0)
            cfg->hook_rate_limit = (int)v;
    } else if (!strcmp(key, "mail_ca_file")) {
        rc = copy(cfg->mail_ca_file, sizeof(cfg->mail_ca_file), value);
    } else if (!strcmp(key, "public_url")) {
        if (*value && strncmp(value, "http://", 7) && strncmp(value, "https://", 8))
            return kf_fail(e, KF_EINVAL, key, "public_url must begin with http:// or https://");
        rc = copy(cfg->public_url, sizeof(cfg->public_url), value);
    } else if (!strcmp(key, "test_clock")) {
        rc = parse_bool(value, &cfg->test_clock);
    } else {
        return kf_fail(e, KF_EINVAL, key, "unknown setting");
    }
    return rc ? kf_fail(e, KF_EINVAL, key, "bad value") : 0;
}

struct ini_ctx {
    struct config *cfg;
    struct kf_error *e;
    int rc;
    char key[64]; /* the key at fault: inih's own buffer does not outlive the callback */
};

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
    struct ini_ctx *ctx = user;
    (void)section; /* keys are unique across sections; [server] and [mail] only group them */
    if (ctx->rc)
        return 0;
    ctx->rc = config_set(ctx->cfg, name, value, ctx->e);
    if (ctx->rc && ctx->e) {
        snprintf(ctx->key, sizeof(ctx->key), "%s", name);
        ctx->e->field = ctx->key;
    }
    return ctx->rc == 0;
}

int config_load(struct config *cfg, const char *path, struct kf_error *e)
{
    memset(cfg, 0, sizeof(*cfg));
    copy(cfg->listen, sizeof(cfg->listen), "127.0.0.1:8080");
    copy(cfg->data_dir, sizeof(cfg->data_dir), "./data");
    copy(cfg->web_dir, sizeof(cfg->web_dir), "./web/dist");
    copy(cfg->time_zone, sizeof(cfg->time_zone), "Asia/Shanghai");
    cfg->max_attachment_bytes = 10 * 1024 * 1024;
    cfg->session_hours = 12;
    cfg->portal_ip_limit = 60;
    cfg->hook_rate_limit = 1200;

    if (!path)
        path = getenv("KEFU_CONFIG");
    if (!path && access("kefu.conf", R_OK) == 0)
        path = "kefu.conf";
    if (path) {
        static struct ini_ctx ctx; /* static: e->field may point into it */
        ctx = (struct ini_ctx){cfg, e, 0, ""};
        int line = ini_parse(path, on_ini, &ctx);
        if (ctx.rc)
            return ctx.rc;
        if (line < 0)
            return kf_fail(e, KF_EINVAL, "config", "cannot read the configuration file");
        if (line > 0)
            return kf_fail(e, KF_EINVAL, "config", "the configuration file has a syntax error");
        copy(cfg->config_path, sizeof(cfg->config_path), path);
    }
    static const char *const keys[] = {"listen",          "data_dir",      "web_dir",
                                       "time_zone",       "threads",       "max_attachment_mb",
                                       "session_hours",   "cookie_secure", "test_clock",
                                       "portal_ip_limit", "mail_ca_file",  "hook_rate_limit",
                                       "public_url"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char env[64] = "KEFU_";
        size_t n = 5;
        for (const char *k = keys[i]; *k && n < sizeof(env) - 1; k++)
            env[n++] = (char)toupper((unsigned char)*k);
        env[n] = '\0';
        const char *v = getenv(env);
        int rc;
        if (v && (rc = config_set(cfg, keys[i], v, e))) {
            if (e)
                e->field = keys[i];
            return rc;
        }
    }
    return 0;
}

void config_db_path(const struct config *cfg, char *out, unsigned outsz)
{
    snprintf(out, outsz, "%s/kefu.db", cfg->data_dir);
}
