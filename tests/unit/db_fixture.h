/* db_fixture.h: a fresh, migrated SQLite database per test (cmocka setup and teardown) for the
 * unit tests of what lives in the store, and small helpers to write and read it. Include after
 * <cmocka.h>. */
#ifndef KEFU_TEST_DB_FIXTURE_H
#define KEFU_TEST_DB_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/arena.h"
#include "store/db.h"

struct fixture {
    char path[64];
    struct db *db;
    struct arena arena;
};

static inline void exec(struct db *db, const char *sql)
{
    assert_int_equal(st_exec(db_stmt_sql(db, sql)), 0);
}

/* The first column of the one row sql reads. */
static inline int64_t int_of(struct db *db, const char *sql)
{
    int64_t v = -1;
    assert_int_equal(st_one_int(db_stmt_sql(db, sql), &v), 1);
    return v;
}

/* A database at /tmp/kefu-unit-<tag>-<pid>.db, migrated, as *state. */
static inline int fixture_setup(void **state, const char *tag)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->path, sizeof(f->path), "/tmp/kefu-unit-%s-%d.db", tag, (int)getpid());
    unlink(f->path);
    assert_int_equal(db_open(f->path, 0, &f->db, NULL), 0);
    assert_int_equal(db_migrate(f->db, NULL, NULL), 0);
    *state = f;
    return 0;
}

static inline int teardown(void **state)
{
    struct fixture *f = *state;
    db_close(f->db);
    arena_release(&f->arena);
    char p[80];
    unlink(f->path);
    snprintf(p, sizeof(p), "%s-wal", f->path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", f->path);
    unlink(p);
    free(f);
    return 0;
}

#endif
