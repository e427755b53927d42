/* db.h: the database interface of Kefu: connections, named statements, transactions.
 *
 * sqlite.c implements it for SQLite; a PostgreSQL driver implements the same functions.
 * Statements are the named blocks of the files in src/store/sql with $1-style parameters. */
#ifndef KEFU_DB_H
#define KEFU_DB_H

#include <stddef.h>
#include <stdint.h>

#include "sql_gen.h"

struct db;
struct stmt;
struct kf_error;

enum db_flags {
    DB_READONLY = 1,      /* a reading connection: queries only */
    DB_NO_CHECKPOINT = 2, /* commits never checkpoint: db_checkpoint() is called elsewhere */
    DB_GROUP_SYNC = 4,    /* commits are written, not synced: db_sync() makes them durable */
    DB_BATCH_SEARCH = 8,  /* the search index is filled every few hundred tickets, not per commit */
};

/* Opens (creating if needed) the database file at path with the pragmas Kefu relies on
 * (WAL, foreign keys, synchronous=FULL, a busy timeout). Returns 0 and sets *ret, or
 * KF_EDB/KF_EIO with a message in e. */
int db_open(const char *path, int flags, struct db **ret, struct kf_error *e);
/* Finalizes every statement and closes. Accepts NULL. */
void db_close(struct db *db);

/* Applies the migrations not yet applied, each in its own transaction. Returns 0 or KF_EDB;
 * *ret_applied (may be NULL) counts what it applied. */
int db_migrate(struct db *db, int *ret_applied, struct kf_error *e);
/* The same, stopping after version `to` (to test an upgrade from an older schema). */
int db_migrate_to(struct db *db, int to, int *ret_applied, struct kf_error *e);
/* The newest migration applied, 0 on an empty database. */
int db_schema_version(struct db *db);

/* The prepared statement for id, reset with no parameters bound. Valid until the next
 * db_stmt() for the same id on this connection or db_close(). */
struct stmt *db_stmt(struct db *db, enum sql_id id);
/* A statement for SQL text built at run time from fixed fragments; cached by its text. */
struct stmt *db_stmt_sql(struct db *db, const char *sql);

/* Parameters are numbered from 1 as $1, $2, ... in the SQL. Text is copied. */
void st_int(struct stmt *st, int i, int64_t v);
void st_text(struct stmt *st, int i, const char *s); /* NULL binds NULL */
void st_blob(struct stmt *st, int i, const void *p, size_t n);
void st_null(struct stmt *st, int i);

/* Steps: 1 when a row is ready, 0 when done, or a negative code: KF_ECONFLICT for a
 * uniqueness violation, KF_EBUSY when locked, KF_EDB otherwise. */
int st_step(struct stmt *st);
/* Ends the statement's current run (releasing its read snapshot); bindings stay. */
void st_reset(struct stmt *st);
/* Steps to the end: 0 or a negative code as st_step. */
int st_exec(struct stmt *st);
/* Steps once and resets: 1 and *ret set from column 0 when there is a row, 0 when there is
 * none (*ret untouched), or a negative code as st_step. */
int st_one_int(struct stmt *st, int64_t *ret);
/* Fault injection, for tests: the n-th st_step() from now (counting every connection) fails
 * with KF_EDB as if the database had; 0 turns it off. */
void db_fail_step(long n);

/* Column values of the current row; text is valid until the next step or reset. */
int64_t col_int(struct stmt *st, int c);
const char *col_text(struct stmt *st, int c); /* NULL for NULL */
const void *col_blob(struct stmt *st, int c);
size_t col_bytes(struct stmt *st, int c);
int col_is_null(struct stmt *st, int c);

int64_t db_last_id(struct db *db);
int db_changes(struct db *db);
/* The driver's message for the last failure, for logs. */
const char *db_errmsg(struct db *db);

/* Resets every statement of the connection, ending the read snapshot that an unfinished
 * query holds; call it when a unit of work ends, so the next one sees fresh data. */
void db_reset_all(struct db *db);

/* Transactions. db_begin resets every statement and takes the write lock at once. Savepoints nest
 * inside one. */
int db_begin(struct db *db);
/* Whether a connection of this process other than the group-sync writer is waiting in db_begin
 * for the write lock: the writer, which may hold its transaction open for long, lets it go. */
int db_write_wanted(void);
int db_commit(struct db *db);
void db_rollback(struct db *db);
int db_savepoint(struct db *db);
int db_release(struct db *db);
void db_rollback_to(struct db *db);

/* Search text waits in search_pending until it is indexed; searches match what waits there
 * one ticket at a time, so results are the same either way. A connection without
 * DB_BATCH_SEARCH indexes at every commit. With it, a commit indexes once SEARCH_BATCH tickets
 * wait or the oldest has waited SEARCH_DELAY_MS; db_search_due() tells when that is (a
 * CLOCK_MONOTONIC time in milliseconds, 0 when nothing is known to wait) and
 * db_search_flush() indexes what waits in a transaction of its own. */
enum { SEARCH_BATCH = 256, SEARCH_DELAY_MS = 100 };
int64_t db_search_due(struct db *db);
int db_search_flush(struct db *db);

/* A number that grows after every commit in this process that wrote users, departments,
 * department members, sessions or API tokens: what was read of callers' identities before it
 * may be stale. */
long db_identity_generation(void);

/* Copies committed pages from the write-ahead log into the database file without blocking
 * readers or the writer (a passive checkpoint). Returns 0 or a negative code. */
int db_checkpoint(struct db *db);

/* On a DB_GROUP_SYNC connection: makes every transaction it has committed so far durable (one
 * fdatasync of the write-ahead log). Safe to call from another thread while the connection
 * goes on writing. Returns 0, or KF_EIO when the disk refused: what was committed since the
 * last good sync may then be lost. */
int db_sync(struct db *db);
/* Frames in the write-ahead log after this connection's last commit. */
long db_wal_frames(struct db *db);

/* Copies the whole database into a new file at path, consistently, while it is in use. */
int db_backup(struct db *db, const char *path, struct kf_error *e);

#endif
