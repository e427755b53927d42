/* sqlite.c: the SQLite driver of db.h: WAL, FTS5 with the kefu tokenizer, cached statements. */
#define _POSIX_C_SOURCE 200809L
#define SQL_GEN_TEXT
#include "store/db.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/banned.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "lib/xalloc.h"
#include "migrations_gen.h"
#include "store/fts_cjk.h"
#include "store/walbuf.h"

struct stmt {
    sqlite3_stmt *s;
    struct db *db;
};

enum { DYN_CACHE = 32 };

struct dyn_entry {
    char *sql;
    struct stmt st;
    uint64_t used;
};

/* The driver's own statements: transaction control, and filling the search index. */
enum tx_id {
    TX_BEGIN,
    TX_COMMIT,
    TX_ROLLBACK,
    TX_SAVEPOINT,
    TX_RELEASE,
    TX_ROLLBACK_TO,
    TX_SEARCH_FLUSH,
    TX_SEARCH_DONE,
    TX_SEARCH_COUNT,
    TX__COUNT
};

static const char *const tx_sql[TX__COUNT] = {
    [TX_BEGIN] = "BEGIN IMMEDIATE",
    [TX_COMMIT] = "COMMIT",
    [TX_ROLLBACK] = "ROLLBACK",
    [TX_SAVEPOINT] = "SAVEPOINT job",
    [TX_RELEASE] = "RELEASE job",
    [TX_ROLLBACK_TO] = "ROLLBACK TO job",
    /* migration 002: the tickets waiting in search_pending enter the index all at once */
    [TX_SEARCH_FLUSH] = "INSERT INTO tickets_fts(rowid, number, subject, description) "
                        "SELECT t.id, t.number, t.subject, t.description "
                        "FROM search_pending p JOIN tickets t ON t.id = p.ticket_id",
    [TX_SEARCH_DONE] = "DELETE FROM search_pending",
    [TX_SEARCH_COUNT] = "SELECT count(*) FROM search_pending",
};

struct db {
    sqlite3 *h;
    sqlite3_stmt *tx[TX__COUNT];
    struct stmt named[SQL__COUNT];
    struct dyn_entry dyn[DYN_CACHE];
    uint64_t tick;
    int group_sync;
    int identity_changed; /* this transaction wrote a table that says who a caller is */
    int batch_search;
    int64_t search_due; /* DB_BATCH_SEARCH: when the waiting search text must be indexed */
    char *wal_path;     /* DB_GROUP_SYNC: the write-ahead log that db_sync flushes */
    int wal_fd;
    atomic_long wal_frames;
};

/* Rewrites $N parameters as SQLite's ?N, so that numbering is positional as in PostgreSQL. */
static char *to_sqlite_params(const char *sql)
{
    size_t n = strlen(sql);
    char *out = xmalloc(n + 1);
    for (size_t i = 0; i <= n; i++)
        out[i] = (sql[i] == '$' && sql[i + 1] >= '0' && sql[i + 1] <= '9') ? '?' : sql[i];
    return out;
}

static int prepare(struct db *db, const char *sql, struct stmt *st)
{
    char *text = to_sqlite_params(sql);
    int rc = sqlite3_prepare_v3(db->h, text, -1, SQLITE_PREPARE_PERSISTENT, &st->s, NULL);
    free(text);
    st->db = db;
    return rc;
}

static atomic_long identity_generation;

long db_identity_generation(void)
{
    return atomic_load(&identity_generation);
}

static void on_row_change(void *arg, int op, const char *schema, const char *table,
                          sqlite3_int64 rowid)
{
    (void)op, (void)schema, (void)rowid;
    static const char *const identity[] = {"users", "api_tokens", "sessions", "departments",
                                           "department_members"};
    struct db *db = arg;
    if (db->identity_changed || !strchr("uasd", table[0]))
        return;
    for (size_t i = 0; i < sizeof(identity) / sizeof(identity[0]); i++)
        if (!strcmp(table, identity[i]))
            db->identity_changed = 1;
}

/* After a commit (or a statement outside a transaction) that wrote those tables: cached
 * identities read before it are stale. */
static void identity_committed(struct db *db)
{
    if (db->identity_changed) {
        db->identity_changed = 0;
        atomic_fetch_add(&identity_generation, 1);
    }
}

static int on_wal_commit(void *arg, sqlite3 *h, const char *schema, int frames)
{
    (void)h, (void)schema;
    struct db *db = arg;
    atomic_store(&db->wal_frames, frames);
    return SQLITE_OK;
}

/* Opens the write-ahead log for db_sync and makes its directory entry durable, since SQLite
 * itself would do that only at its first sync. */
static int open_wal(struct db *db)
{
    db->wal_fd = open(db->wal_path, O_RDWR | O_CLOEXEC);
    if (db->wal_fd < 0)
        return KF_EIO;
    char *dir = xstrdup(db->wal_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir ? 1 : 0] = '\0'; /* "/x.db" keeps its "/" */
    int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    int rc = dfd >= 0 && fsync(dfd) == 0 ? 0 : KF_EIO;
    if (dfd >= 0)
        close(dfd);
    return rc;
}

/* Kefu reads no SQLite memory statistics: without them an allocation takes no global lock. */
static void configure_sqlite(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (walbuf_register() != SQLITE_OK)
        fprintf(stderr, "kefu: cannot register the %s VFS\n", WALBUF_VFS);
}

int db_open(const char *path, int flags, struct db **ret, struct kf_error *e)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_sqlite);
    struct db *db = xcalloc(1, sizeof(*db));
    db->wal_fd = -1;
    int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    db->group_sync = (flags & DB_GROUP_SYNC) != 0;
    db->batch_search = (flags & DB_BATCH_SEARCH) != 0;
    if (sqlite3_open_v2(path, &db->h, oflags, db->group_sync ? WALBUF_VFS : NULL) != SQLITE_OK) {
        kf_fail(e, KF_EIO, NULL, "cannot open the database file");
        db_close(db);
        return KF_EIO;
    }
    static const char pragmas[] = "PRAGMA journal_mode=WAL;"
                                  "PRAGMA synchronous=FULL;"
                                  "PRAGMA foreign_keys=ON;"
                                  "PRAGMA temp_store=MEMORY;"
                                  "PRAGMA cache_size=-8000;";
    sqlite3_busy_timeout(db->h, 10000);
    if (sqlite3_exec(db->h, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
        fts_cjk_register(db->h) != SQLITE_OK) {
        kf_fail(e, KF_EDB, NULL, "cannot set up the database connection");
        db_close(db);
        return KF_EDB;
    }
    if (flags & DB_READONLY)
        sqlite3_exec(db->h, "PRAGMA query_only=ON;", NULL, NULL, NULL);
    sqlite3_update_hook(db->h, on_row_change, db);
    if (flags & DB_NO_CHECKPOINT)
        sqlite3_wal_autocheckpoint(db->h, 0);
    if (flags & DB_GROUP_SYNC) {
        /* FULL, so that each commit ends with a sync of the log, which walbuf turns into one
         * write of the commit's frames (and no sync) while db_commit runs it */
        size_t n = strlen(path);
        db->wal_path = xmalloc(n + 5);
        memcpy(db->wal_path, path, n);
        memcpy(db->wal_path + n, "-wal", 5);
        sqlite3_wal_hook(db->h, on_wal_commit, db);
        /* the writer reads index pages all over the file: its cache is larger (32 MiB) */
        if (sqlite3_exec(db->h, "PRAGMA synchronous=FULL; PRAGMA cache_size=-32000;", NULL, NULL,
                         NULL) != SQLITE_OK ||
            open_wal(db)) {
            kf_fail(e, KF_EIO, NULL, "cannot open the write-ahead log");
            db_close(db);
            return KF_EIO;
        }
    }
    *ret = db;
    return 0;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    for (int i = 0; i < TX__COUNT; i++)
        sqlite3_finalize(db->tx[i]);
    for (int i = 0; i < SQL__COUNT; i++)
        sqlite3_finalize(db->named[i].s);
    for (int i = 0; i < DYN_CACHE; i++) {
        sqlite3_finalize(db->dyn[i].st.s);
        free(db->dyn[i].sql);
    }
    sqlite3_close(db->h);
    if (db->wal_fd >= 0)
        close(db->wal_fd);
    free(db->wal_path);
    free(db);
}

struct stmt *db_stmt(struct db *db, enum sql_id id)
{
    struct stmt *st = &db->named[id];
    if (!st->s) {
        if (prepare(db, sql_text[id], st) != SQLITE_OK) {
            fprintf(stderr, "kefu: cannot prepare statement \"%s\": %s\n", sql_name[id],
                    sqlite3_errmsg(db->h));
            abort(); /* the statements are part of the program: a bad one is a bug */
        }
    } else {
        sqlite3_reset(st->s);
        sqlite3_clear_bindings(st->s);
    }
    return st;
}

struct stmt *db_stmt_sql(struct db *db, const char *sql)
{
    struct dyn_entry *slot = &db->dyn[0];
    for (int i = 0; i < DYN_CACHE; i++) {
        struct dyn_entry *d = &db->dyn[i];
        if (d->sql && strcmp(d->sql, sql) == 0) {
            d->used = ++db->tick;
            sqlite3_reset(d->st.s);
            sqlite3_clear_bindings(d->st.s);
            return &d->st;
        }
        if (d->used < slot->used)
            slot = d;
    }
    sqlite3_finalize(slot->st.s);
    free(slot->sql);
    slot->sql = NULL;
    slot->st.s = NULL;
    if (prepare(db, sql, &slot->st) != SQLITE_OK) {
        fprintf(stderr, "kefu: cannot prepare statement: %s\n%s\n", sqlite3_errmsg(db->h), sql);
        abort();
    }
    slot->sql = xstrdup(sql);
    slot->used = ++db->tick;
    return &slot->st;
}

void st_int(struct stmt *st, int i, int64_t v)
{
    sqlite3_bind_int64(st->s, i, v);
}

void st_text(struct stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st->s, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st->s, i);
}

void st_blob(struct stmt *st, int i, const void *p, size_t n)
{
    sqlite3_bind_blob64(st->s, i, p, n, SQLITE_TRANSIENT);
}

void st_null(struct stmt *st, int i)
{
    sqlite3_bind_null(st->s, i);
}

static int map_rc(struct db *db, int rc)
{
    int ext = sqlite3_extended_errcode(db->h);
    if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        return KF_ECONFLICT;
    if (ext == SQLITE_CONSTRAINT_FOREIGNKEY || ext == SQLITE_CONSTRAINT_CHECK ||
        ext == SQLITE_CONSTRAINT_NOTNULL)
        return KF_EINVAL;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return KF_EBUSY;
    return KF_EDB;
}

static _Atomic long fail_countdown;

void db_fail_step(long n)
{
    atomic_store(&fail_countdown, n);
}

int st_step(struct stmt *st)
{
    if (atomic_load_explicit(&fail_countdown, memory_order_relaxed) > 0 &&
        atomic_fetch_sub(&fail_countdown, 1) == 1) {
        sqlite3_reset(st->s);
        return KF_EDB;
    }
    int rc = sqlite3_step(st->s);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    rc = map_rc(st->db, rc);
    sqlite3_reset(st->s);
    return rc;
}

void st_reset(struct stmt *st)
{
    sqlite3_reset(st->s);
}

int st_exec(struct stmt *st)
{
    int rc;
    while ((rc = st_step(st)) == 1)
        ;
    sqlite3_reset(st->s);
    return rc;
}

int st_one_int(struct stmt *st, int64_t *ret)
{
    int rc = st_step(st);
    if (rc == 1)
        *ret = sqlite3_column_int64(st->s, 0);
    sqlite3_reset(st->s);
    return rc;
}

int64_t col_int(struct stmt *st, int c)
{
    return sqlite3_column_int64(st->s, c);
}

const char *col_text(struct stmt *st, int c)
{
    return (const char *)sqlite3_column_text(st->s, c);
}

const void *col_blob(struct stmt *st, int c)
{
    return sqlite3_column_blob(st->s, c);
}

size_t col_bytes(struct stmt *st, int c)
{
    return (size_t)sqlite3_column_bytes(st->s, c);
}

int col_is_null(struct stmt *st, int c)
{
    return sqlite3_column_type(st->s, c) == SQLITE_NULL;
}

int64_t db_last_id(struct db *db)
{
    return sqlite3_last_insert_rowid(db->h);
}

int db_changes(struct db *db)
{
    return sqlite3_changes(db->h);
}

const char *db_errmsg(struct db *db)
{
    return sqlite3_errmsg(db->h);
}

static int exec(struct db *db, const char *sql)
{
    int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : map_rc(db, rc);
}

void db_reset_all(struct db *db)
{
    for (sqlite3_stmt *s = sqlite3_next_stmt(db->h, NULL); s; s = sqlite3_next_stmt(db->h, s))
        sqlite3_reset(s);
    if (sqlite3_get_autocommit(db->h))
        identity_committed(db);
}

/* Prepares one of the driver's statements on first use. Statements made before the schema
 * changed are prepared again by SQLite itself. */
static int tx_prepare(struct db *db, enum tx_id id)
{
    if (db->tx[id])
        return 0;
    int rc =
        sqlite3_prepare_v3(db->h, tx_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &db->tx[id], NULL);
    return rc == SQLITE_OK ? 0 : map_rc(db, rc);
}

static int tx(struct db *db, enum tx_id id)
{
    int rc = tx_prepare(db, id);
    if (rc)
        return rc;
    rc = sqlite3_step(db->tx[id]);
    sqlite3_reset(db->tx[id]);
    return rc == SQLITE_DONE ? 0 : map_rc(db, rc);
}

/* Connections waiting in db_begin, the writer's aside. */
static atomic_int write_waiters;

int db_begin(struct db *db)
{
    db_reset_all(db); /* a finished query's snapshot would make the upgrade fail at once */
    if (db->group_sync)
        return tx(db, TX_BEGIN);
    atomic_fetch_add(&write_waiters, 1);
    int rc = tx(db, TX_BEGIN);
    atomic_fetch_sub(&write_waiters, 1);
    return rc;
}

int db_write_wanted(void)
{
    return atomic_load(&write_waiters) > 0;
}

/* Whether the search text waiting now should be indexed in this transaction. */
static int search_now(struct db *db)
{
    if (!db->batch_search)
        return 1;
    sqlite3_stmt *st = tx_prepare(db, TX_SEARCH_COUNT) ? NULL : db->tx[TX_SEARCH_COUNT];
    int64_t waiting = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if (st)
        sqlite3_reset(st);
    int64_t now = ktime_monotonic();
    if (!waiting) {
        db->search_due = 0;
        return 0;
    }
    if (!db->search_due)
        db->search_due = now + SEARCH_DELAY_MS;
    return waiting >= SEARCH_BATCH || now >= db->search_due;
}

/* Indexes the text of the tickets that wait in search_pending (see migration 002). Before that
 * migration has run there is no such table, and nothing to do. */
static int search_flush(struct db *db, int force)
{
    if (tx_prepare(db, TX_SEARCH_FLUSH) || (!force && !search_now(db)))
        return 0;
    int rc = tx(db, TX_SEARCH_FLUSH);
    if (!rc)
        rc = tx(db, TX_SEARCH_DONE);
    if (!rc)
        db->search_due = 0;
    return rc;
}

static int commit(struct db *db, int force_search)
{
    int rc = search_flush(db, force_search);
    if (!rc) {
        walbuf_defer_syncs(db->group_sync); /* db_sync makes it durable */
        rc = tx(db, TX_COMMIT);
        walbuf_defer_syncs(0);
    }
    if (!rc) {
        identity_committed(db);
    } else {
        tx(db, TX_ROLLBACK);
        db->identity_changed = 0;
        if (db->batch_search) /* what this rolled back may have been indexed: try again */
            db->search_due = ktime_monotonic() + SEARCH_DELAY_MS;
    }
    return rc;
}

int db_commit(struct db *db)
{
    return commit(db, 0);
}

int64_t db_search_due(struct db *db)
{
    return db->search_due;
}

int db_search_flush(struct db *db)
{
    int rc = db_begin(db);
    return rc ? rc : commit(db, 1);
}

void db_rollback(struct db *db)
{
    if (!sqlite3_get_autocommit(db->h))
        tx(db, TX_ROLLBACK);
    db->identity_changed = 0;
}

int db_savepoint(struct db *db)
{
    return tx(db, TX_SAVEPOINT);
}

int db_release(struct db *db)
{
    return tx(db, TX_RELEASE);
}

void db_rollback_to(struct db *db)
{
    tx(db, TX_ROLLBACK_TO);
    tx(db, TX_RELEASE);
}

int db_checkpoint(struct db *db)
{
    int rc = sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return rc == SQLITE_OK ? 0 : map_rc(db, rc);
}

int db_sync(struct db *db)
{
    /* SQLite removes the log only when its last connection closes, and this one is open: a
     * removed log means someone else removed it, and syncing it would promise nothing */
    struct stat st;
    if (fstat(db->wal_fd, &st) || st.st_nlink == 0) {
        errno = ENOENT;
        return KF_EIO;
    }
    int rc;
    do
        rc = fdatasync(db->wal_fd);
    while (rc && errno == EINTR);
    return rc ? KF_EIO : 0;
}

long db_wal_frames(struct db *db)
{
    return atomic_load(&db->wal_frames);
}

int db_schema_version(struct db *db)
{
    sqlite3_stmt *s;
    int v = 0;
    if (sqlite3_prepare_v2(db->h, "SELECT max(version) FROM schema_migrations", -1, &s, NULL) !=
        SQLITE_OK)
        return 0;
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
}

int db_migrate(struct db *db, int *ret_applied, struct kf_error *e)
{
    return db_migrate_to(db, INT_MAX, ret_applied, e);
}

int db_migrate_to(struct db *db, int to, int *ret_applied, struct kf_error *e)
{
    int applied = 0;
    if (exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                 " name TEXT NOT NULL, applied_at INTEGER NOT NULL)"))
        return kf_fail(e, KF_EDB, NULL, "cannot create the migrations table");
    int have = db_schema_version(db);
    for (size_t i = 0; i < sizeof(migrations) / sizeof(migrations[0]); i++) {
        const struct migration *m = &migrations[i];
        if (m->version <= have)
            continue;
        if (m->version > to)
            break;
        if (db_begin(db))
            return kf_fail(e, KF_EBUSY, NULL, "the database is locked");
        sqlite3_stmt *s = NULL;
        if (sqlite3_exec(db->h, m->sql, NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db->h,
                               "INSERT INTO schema_migrations VALUES (?1, ?2,"
                               " CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))",
                               -1, &s, NULL) != SQLITE_OK) {
            fprintf(stderr, "kefu: migration %s failed: %s\n", m->name, sqlite3_errmsg(db->h));
            sqlite3_finalize(s);
            db_rollback(db);
            return kf_fail(e, KF_EDB, NULL, "a migration failed");
        }
        sqlite3_bind_int(s, 1, m->version);
        sqlite3_bind_text(s, 2, m->name, -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE || db_commit(db)) {
            db_rollback(db);
            return kf_fail(e, KF_EDB, NULL, "a migration failed");
        }
        applied++;
    }
    if (ret_applied)
        *ret_applied = applied;
    return 0;
}

int db_backup(struct db *db, const char *path, struct kf_error *e)
{
    struct strbuf tmp = STRBUF_INIT(4096);
    sqlite3 *dst = NULL;
    int rc = KF_EIO;
    if (access(path, F_OK) == 0)
        return kf_fail(e, KF_ECONFLICT, "file", "the backup file exists already");
    if (strbuf_addf(&tmp, "%s.partial", path))
        return kf_fail(e, KF_EINVAL, "file", "the path is too long");
    unlink(tmp.buf);
    if (sqlite3_open(tmp.buf, &dst) != SQLITE_OK) {
        kf_fail(e, KF_EIO, "file", "cannot create the backup file");
        goto out;
    }
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", db->h, "main");
    if (!b) {
        kf_fail(e, KF_EDB, NULL, "cannot start the backup");
        goto out;
    }
    int step;
    while ((step = sqlite3_backup_step(b, 256)) == SQLITE_OK || step == SQLITE_BUSY ||
           step == SQLITE_LOCKED)
        sqlite3_sleep(5);
    sqlite3_backup_finish(b);
    if (step != SQLITE_DONE) {
        kf_fail(e, KF_EIO, "file", "the backup did not complete");
        goto out;
    }
    sqlite3_close(dst);
    dst = NULL;
    if (rename(tmp.buf, path) != 0) {
        kf_fail(e, KF_EIO, "file", "cannot move the backup into place");
        goto out;
    }
    rc = 0;
out:
    if (dst)
        sqlite3_close(dst);
    if (rc)
        unlink(tmp.buf);
    strbuf_release(&tmp);
    return rc;
}
