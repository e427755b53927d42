/* main.c: the kefu command: subcommand dispatch. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "channels/mail_in.h"
#include "channels/mail_parse.h"
#include "core/dept.h"
#include "core/enums.h"
#include "core/export.h"
#include "core/user.h"
#include "http/server.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/config.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "store/db.h"
#include "store/writer.h"

static const char usage[] =
    "usage: kefu <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve [--listen HOST:PORT] [--data-dir DIR] [--config FILE] [--web-dir DIR]\n"
    "                      migrate the database and serve the web app and the API\n"
    "  migrate [--data-dir DIR]\n"
    "                      create or upgrade the database\n"
    "  user add --username NAME --role ROLE [--name NAME] [--department CODE] --password-stdin\n"
    "                      create an account (roles: agent, specialist, supervisor, admin)\n"
    "  backup FILE [--data-dir DIR]\n"
    "                      copy the database, consistently, while it is in use\n"
    "  mail-ingest --channel CODE [--data-dir DIR]\n"
    "                      take one mail (RFC 5322) from standard input into mail channel CODE;\n"
    "                      exit 0 taken or ignored, 65 unreadable, 75 try again later\n"
    "  export (--date DAY | --from DAY --to DAY) --out FILE [--format csv|xlsx] [--lang zh-CN|en]\n"
    "         [--channel CODE] [--data-dir DIR]\n"
    "                      write the records of those days (YYYY-MM-DD, local) as CSV or xlsx\n";

struct opts {
    const char *positional[4];
    int npositional;
    const char *username, *role, *name, *department, *channel;
    const char *date, *from, *to, *format, *out, *lang, *type;
    int password_stdin;
};

static int fail(const char *msg, const char *detail)
{
    if (detail)
        fprintf(stderr, "kefu: %s: %s\n", msg, detail);
    else
        fprintf(stderr, "kefu: %s\n", msg);
    return 1;
}

/* Reads options shared by every command into cfg and o. Returns 0 or prints and returns 2. */
static int parse_args(int argc, char **argv, struct config *cfg, struct opts *o)
{
    static const struct {
        const char *flag, *key;
    } cfgflags[] = {{"--listen", "listen"}, {"--data-dir", "data_dir"}, {"--web-dir", "web_dir"}};
    struct kf_error e = {0};
    const char *config_path = NULL;
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config_path = argv[i + 1];
    if (config_load(cfg, config_path, &e)) {
        fprintf(stderr, "kefu: configuration: %s: %s\n", e.field ? e.field : "?", e.message);
        return 2;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int known = 0;
        for (size_t k = 0; k < sizeof(cfgflags) / sizeof(cfgflags[0]); k++) {
            if (strcmp(a, cfgflags[k].flag))
                continue;
            known = 1;
            if (i + 1 >= argc || config_set(cfg, cfgflags[k].key, argv[++i], &e)) {
                fprintf(stderr, "kefu: %s: %s\n", a, i + 1 >= argc ? "needs a value" : e.message);
                return 2;
            }
        }
        if (known)
            continue;
        const char **target = !strcmp(a, "--username")     ? &o->username
                              : !strcmp(a, "--role")       ? &o->role
                              : !strcmp(a, "--name")       ? &o->name
                              : !strcmp(a, "--department") ? &o->department
                              : !strcmp(a, "--channel")    ? &o->channel
                              : !strcmp(a, "--date")       ? &o->date
                              : !strcmp(a, "--from")       ? &o->from
                              : !strcmp(a, "--to")         ? &o->to
                              : !strcmp(a, "--format")     ? &o->format
                              : !strcmp(a, "--out")        ? &o->out
                              : !strcmp(a, "--lang")       ? &o->lang
                              : !strcmp(a, "--type")       ? &o->type
                              : !strcmp(a, "--config")     ? &config_path
                                                           : NULL;
        if (target) {
            if (i + 1 >= argc) {
                fprintf(stderr, "kefu: %s needs a value\n", a);
                return 2;
            }
            *target = argv[++i];
        } else if (!strcmp(a, "--password-stdin")) {
            o->password_stdin = 1;
        } else if (a[0] == '-') {
            fprintf(stderr, "kefu: unknown option %s\n%s", a, usage);
            return 2;
        } else if (o->npositional < 4) {
            o->positional[o->npositional++] = a;
        }
    }
    if (ktime_set_zone(cfg->time_zone)) {
        fprintf(stderr, "kefu: unknown time zone \"%s\"\n", cfg->time_zone);
        return 2;
    }
    return 0;
}

/* Opens (creating the data directory) and migrates the database. */
static int open_db(const struct config *cfg, struct db **ret, int *ret_applied)
{
    char path[600];
    struct kf_error e = {0};
    if (mkdir(cfg->data_dir, 0700) && errno != EEXIST)
        return fail("cannot create the data directory", cfg->data_dir);
    config_db_path(cfg, path, sizeof(path));
    if (db_open(path, 0, ret, &e))
        return fail(e.message, path);
    if (db_migrate(*ret, ret_applied, &e)) {
        db_close(*ret);
        return fail(e.message, path);
    }
    return 0;
}

struct new_user {
    struct user_input *in;
    struct arena *arena;
    struct user *user;
    struct kf_error *e;
};

static int new_user_run(struct db *db, void *arg)
{
    struct new_user *nu = arg;
    struct actor system = {0};
    return user_create(db, &system, nu->in, nu->arena, nu->user, nu->e);
}

/* Creates an account through a writer of its own (the server, if it runs, is another process:
 * SQLite's lock keeps the two apart). */
static int create_user(struct db *db, const struct config *cfg, struct user_input *in,
                       const char *dept_code)
{
    char path[600];
    config_db_path(cfg, path, sizeof(path));
    struct arena a = ARENA_INIT;
    struct kf_error e = {0};
    struct user u;
    int rc = 0;
    if (dept_code) {
        struct department d;
        rc = dept_by_code(db, dept_code, &a, &d);
        if (rc == KF_ENOTFOUND)
            e = (struct kf_error){NULL, "department", "no department has this code"};
        in->department_id = d.id;
        in->has_department = 1;
    }
    if (!rc && !(rc = user_hash_password(in, &e))) {
        struct new_user nu = {in, &a, &u, &e};
        struct writer *w = NULL;
        if (!(rc = writer_start(path, &w, &e)))
            rc = writer_run(w, new_user_run, &nu);
        writer_stop(w);
        writer_free(w);
    }
    arena_release(&a);
    if (rc) {
        fprintf(stderr, "kefu: cannot create the user: %s%s%s\n", e.field ? e.field : "",
                e.field ? ": " : "", e.message ? e.message : kf_strerror(rc));
        return 1;
    }
    return 0;
}

static int cmd_user(int argc, char **argv)
{
    struct config cfg;
    struct opts o = {0};
    if (argc < 1 || strcmp(argv[0], "add"))
        return fail("usage: kefu user add --username NAME --role ROLE --password-stdin", NULL);
    if (parse_args(argc - 1, argv + 1, &cfg, &o))
        return 2;
    if (!o.username || !o.role || !o.password_stdin)
        return fail("user add needs --username, --role and --password-stdin", NULL);
    char pw[1024];
    if (!fgets(pw, sizeof(pw), stdin))
        return fail("no password on standard input", NULL);
    pw[strcspn(pw, "\r\n")] = '\0';
    struct db *db;
    if (open_db(&cfg, &db, NULL))
        return 1;
    struct user_input in = {0};
    in.username = o.username;
    in.name = o.name ? o.name : o.username;
    in.role = o.role;
    in.password = pw;
    int rc = create_user(db, &cfg, &in, o.department);
    sodium_memzero(pw, sizeof(pw));
    db_close(db);
    if (!rc)
        fprintf(stderr, "kefu: user \"%s\" created\n", o.username);
    return rc;
}

/* The exit statuses of sysexits.h that an MTA understands. */
enum { EX_USAGE_ = 64, EX_DATAERR_ = 65, EX_TEMPFAIL_ = 75, EX_CONFIG_ = 78 };

/* Keeps a mail that could not be read under DATA/mail-rejected/, under a name of its own. */
static void keep_rejected(const struct config *cfg, const char *raw, size_t len)
{
    char path[700];
    if (mail_keep_rejected(cfg->data_dir, raw, len, path, sizeof(path)))
        fprintf(stderr, "kefu: cannot keep the mail in %s: %s\n", path, strerror(errno));
    else
        fprintf(stderr, "kefu: the mail is kept as %s\n", path);
}

static int cmd_mail_ingest(int argc, char **argv)
{
    struct config cfg;
    struct opts o = {0};
    if (parse_args(argc, argv, &cfg, &o))
        return EX_USAGE_;
    if (!o.channel) {
        fprintf(stderr, "kefu: mail-ingest needs --channel CODE\n");
        return EX_USAGE_;
    }
    /* the whole mail first: one byte over the limit is enough to refuse it */
    size_t cap = 1 << 16, len = 0;
    char *raw = malloc(cap);
    for (size_t n; raw && (n = fread(raw + len, 1, cap - len, stdin)) > 0;) {
        len += n;
        if (len == cap && cap <= MAIL_MAX_BYTES) {
            char *bigger = realloc(raw, cap * 2);
            if (!bigger)
                free(raw);
            raw = bigger, cap *= 2;
        } else if (len == cap) {
            break;
        }
    }
    if (!raw) {
        fprintf(stderr, "kefu: out of memory reading the mail\n");
        return EX_TEMPFAIL_;
    }
    struct db *db;
    if (open_db(&cfg, &db, NULL)) {
        free(raw);
        return EX_TEMPFAIL_;
    }
    db_close(db);
    char path[600];
    config_db_path(&cfg, path, sizeof(path));
    struct arena a = ARENA_INIT;
    struct kf_error e = {0};
    struct mail_in m;
    struct mail_take job = {.channel = o.channel, .mail = &m, .arena = &a};
    int parsed = mail_parse(raw, len, 0, &a, &m, &e);
    if (parsed)
        job.failure = arena_printf(&a, "a mail could not be read: %s", e.message);
    struct writer *w = NULL;
    int rc = writer_start(path, &w, &e);
    if (!rc && (rc = writer_run(w, mail_take_run, &job)))
        e = job.e;
    int unusable = mail_take_unusable(rc, &e);
    if (unusable) { /* read, but not usable (no sender address): the channel shows why */
        struct mail_take failed = job;
        failed.failure = arena_printf(&a, "a mail could not be taken in: %s", e.message);
        writer_run(w, mail_take_run, &failed);
    }
    writer_stop(w);
    writer_free(w);
    struct mail_result res = job.result;
    int status = 0;
    if (parsed || unusable) {
        fprintf(stderr, "kefu: the mail cannot be read: %s\n", e.message ? e.message : "?");
        keep_rejected(&cfg, raw, len);
        status = EX_DATAERR_;
    } else if (rc == KF_EINVAL) {
        fprintf(stderr, "kefu: %s: %s\n", o.channel, e.message);
        status = EX_CONFIG_;
    } else if (rc) {
        fprintf(stderr, "kefu: the mail cannot be stored now (%s); try again later\n",
                e.message ? e.message : kf_strerror(rc));
        status = EX_TEMPFAIL_;
    } else if (res.outcome == MAIL_NEW_TICKET) {
        fprintf(stderr, "kefu: ticket %s created (%d attachment%s)\n", res.number, res.nattachments,
                res.nattachments == 1 ? "" : "s");
    } else if (res.outcome == MAIL_JOINED) {
        fprintf(stderr, "kefu: added to ticket %s%s\n", res.number,
                res.reopened ? " (reopened)" : "");
    } else if (res.outcome == MAIL_DUPLICATE) {
        fprintf(stderr, "kefu: duplicate: this mail was taken in before\n");
    } else {
        fprintf(stderr, "kefu: ignored: %s\n", res.why);
    }
    arena_release(&a);
    free(raw);
    return status;
}

/* kefu export: the same export as GET /api/v1/reports/export, on a reading connection of its
 * own (the server may run meanwhile). */
static int cmd_export(int argc, char **argv)
{
    struct config cfg;
    struct opts o = {0};
    if (parse_args(argc, argv, &cfg, &o))
        return 2;
    const char *from = o.date ? o.date : o.from, *to = o.date ? o.date : o.to ? o.to : from;
    int from_day, to_day;
    enum export_format fmt = EXPORT_CSV;
    if (!o.out || !from || (o.date && (o.from || o.to)))
        return fail("export needs --out FILE and --date DAY or --from DAY [--to DAY]", NULL);
    if (export_parse_day(from, &from_day) || export_parse_day(to, &to_day) || to_day < from_day)
        return fail("the days must be YYYY-MM-DD, --to not before --from", NULL);
    if (o.format && export_format_of(o.format, &fmt))
        return fail("--format must be csv or xlsx", o.format);
    if (o.type && !enum_has(ticket_types, o.type))
        return fail("--type is not a ticket type", o.type);
    char path[600];
    config_db_path(&cfg, path, sizeof(path));
    struct db *db;
    struct kf_error e = {0};
    if (db_open(path, DB_READONLY | DB_NO_CHECKPOINT, &db, &e))
        return fail(e.message ? e.message : "cannot open the database", path);
    struct export_query q = {.channel = o.channel, .type = o.type};
    export_days(&q, from_day, to_day);
    int64_t rows = 0;
    int rc = export_write(db, &q, fmt, export_lang_of(o.lang), o.out, &rows, &e);
    db_close(db);
    if (rc)
        return fail(e.message ? e.message : kf_strerror(rc), o.out);
    fprintf(stderr, "kefu: %lld record%s written to %s\n", (long long)rows, rows == 1 ? "" : "s",
            o.out);
    return 0;
}

/* A fresh install gets an admin with a random password, printed once. */
static int bootstrap_admin(struct db *db, const struct config *cfg)
{
    int64_t n;
    if (user_count(db, &n))
        return fail("cannot read the accounts", NULL);
    if (n)
        return 0;
    unsigned char raw[12];
    char pw[32];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(pw, sizeof(pw), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    struct user_input in = {0};
    in.username = "admin";
    in.name = "管理员";
    in.role = "admin";
    in.password = pw;
    if (create_user(db, cfg, &in, NULL))
        return 1;
    printf("\n  Kefu demo admin created: username admin, password %s\n"
           "  (shown only this once; change it under 用户 / Users)\n\n",
           pw);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return fail("cannot initialise libsodium", NULL);
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "user"))
        return cmd_user(argc - 2, argv + 2);
    if (!strcmp(cmd, "mail-ingest"))
        return cmd_mail_ingest(argc - 2, argv + 2);
    if (!strcmp(cmd, "export"))
        return cmd_export(argc - 2, argv + 2);
    struct config cfg;
    struct opts o = {0};
    if (strcmp(cmd, "serve") && strcmp(cmd, "migrate") && strcmp(cmd, "backup")) {
        fprintf(stderr, "kefu: unknown command \"%s\"\n%s", cmd, usage);
        return 2;
    }
    if (parse_args(argc - 2, argv + 2, &cfg, &o))
        return 2;
    struct db *db;
    int applied = 0;
    if (open_db(&cfg, &db, &applied))
        return 1;
    int rc = 0;
    if (!strcmp(cmd, "migrate")) {
        fprintf(stderr, "kefu: database at schema version %d (%d migration%s applied)\n",
                db_schema_version(db), applied, applied == 1 ? "" : "s");
    } else if (!strcmp(cmd, "backup")) {
        struct kf_error e = {0};
        if (o.npositional != 1)
            rc = fail("usage: kefu backup FILE", NULL);
        else if (db_backup(db, o.positional[0], &e))
            rc = fail(e.message, o.positional[0]);
        else
            fprintf(stderr, "kefu: backup written to \"%s\"\n", o.positional[0]);
    } else {
        rc = bootstrap_admin(db, &cfg);
        db_close(db);
        db = NULL;
        if (!rc)
            rc = server_run(&cfg);
    }
    db_close(db);
    return rc;
}
