/* test_writer.c: the one write path: jobs, their savepoints, done() after durability, stop. */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/err.h"
#include "store/db.h"
#include "store/writer.h"

struct fixture {
    char path[64];
    struct writer *w;
    struct db *reader;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->path, sizeof(f->path), "/tmp/kefu-writer-%d.db", (int)getpid());
    unlink(f->path);
    struct db *db;
    assert_int_equal(db_open(f->path, 0, &db, NULL), 0);
    assert_int_equal(db_migrate(db, NULL, NULL), 0);
    db_close(db);
    assert_int_equal(writer_start(f->path, &f->w, NULL), 0);
    assert_int_equal(db_open(f->path, DB_READONLY, &f->reader, NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    writer_stop(f->w);
    writer_free(f->w);
    db_close(f->reader);
    char wal[80];
    snprintf(wal, sizeof(wal), "%s-wal", f->path);
    unlink(f->path);
    unlink(wal);
    free(f);
    return 0;
}

static int64_t settings_like(struct db *db, const char *prefix)
{
    struct stmt *st = db_stmt_sql(db, "SELECT count(*) FROM settings WHERE key LIKE $1 || '%'");
    st_text(st, 1, prefix);
    int64_t n = -1;
    st_one_int(st, &n);
    return n;
}

/* Inserts the setting named by arg; a name starting with "bad" writes, then fails. */
static int put_setting(struct db *db, void *arg)
{
    const char *key = arg;
    struct stmt *st = db_stmt_sql(db, "INSERT INTO settings(key, value) VALUES ($1, 'x')");
    st_text(st, 1, key);
    int rc = st_exec(st);
    if (!rc && !strncmp(key, "bad", 3))
        rc = KF_EINVAL;
    return rc;
}

static void a_job_is_visible_when_writer_run_returns(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(writer_run(f->w, put_setting, (char *)"t.one"), 0);
    assert_int_equal(settings_like(f->reader, "t.one"), 1);
}

static void a_failing_job_undoes_only_itself(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(writer_run(f->w, put_setting, (char *)"bad.one"), KF_EINVAL);
    assert_int_equal(writer_run(f->w, put_setting, (char *)"t.two"), 0);
    /* a duplicate key: the driver's own error comes back, and the first row stays */
    assert_int_equal(writer_run(f->w, put_setting, (char *)"t.two"), KF_ECONFLICT);
    assert_int_equal(settings_like(f->reader, "bad"), 0);
    assert_int_equal(settings_like(f->reader, "t.two"), 1);
}

struct many {
    struct writer *w;
    int base, failures;
};

static void *write_many(void *arg)
{
    struct many *m = arg;
    char key[32];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof(key), "%s.%d.%d", i % 10 == 9 ? "bad" : "m", m->base, i);
        int rc = writer_run(m->w, put_setting, key);
        if (rc != (i % 10 == 9 ? KF_EINVAL : 0))
            m->failures++;
    }
    return NULL;
}

static void concurrent_jobs_share_commits_and_each_keeps_its_own_result(void **state)
{
    struct fixture *f = *state;
    struct writer_stats before, after;
    writer_get_stats(f->w, &before);
    pthread_t t[8];
    struct many m[8];
    for (int i = 0; i < 8; i++) {
        m[i] = (struct many){f->w, i, 0};
        pthread_create(&t[i], NULL, write_many, &m[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(m[i].failures, 0);
    }
    writer_get_stats(f->w, &after);
    assert_int_equal(settings_like(f->reader, "m."), 8 * 180);
    assert_int_equal(settings_like(f->reader, "bad"), 0);
    assert_int_equal(after.jobs - before.jobs, 8 * 200);
    /* every commit was synced before its jobs were told */
    assert_int_equal(after.syncs - before.syncs, after.commits - before.commits);
    assert_true(after.commits - before.commits <= after.jobs - before.jobs);
}

struct counted {
    struct write_job job;
    int done, status;
};

static int counted_run(struct db *db, struct write_job *job)
{
    (void)job;
    return put_setting(db, (char *)"t.queued");
}

static void counted_done(struct write_job *job, int status)
{
    struct counted *c = (struct counted *)job;
    c->status = status;
    c->done++;
}

static void stopping_finishes_what_is_queued_and_refuses_the_rest(void **state)
{
    struct fixture *f = *state;
    struct counted c = {.job = {.run = counted_run, .done = counted_done}};
    assert_int_equal(writer_submit(f->w, &c.job), 0);
    writer_stop(f->w);
    assert_int_equal(c.done, 1);
    assert_int_equal(c.status, 0);
    assert_int_equal(settings_like(f->reader, "t.queued"), 1);
    struct counted late = {.job = {.run = counted_run, .done = counted_done}};
    assert_int_equal(writer_submit(f->w, &late.job), KF_ESHUTDOWN);
    assert_int_equal(writer_run(f->w, put_setting, (char *)"t.late"), KF_ESHUTDOWN);
    assert_int_equal(late.done, 0);
    assert_int_equal(settings_like(f->reader, "t.late"), 0);
}

struct hooked {
    struct db *db; /* the hook's own connection */
    int calls;
    int64_t seen; /* rows of h.* the hook saw at its last call */
};

static void count_hook(void *arg)
{
    struct hooked *h = arg;
    h->calls++;
    h->seen = settings_like(h->db, "h.");
    db_reset_all(h->db);
}

static void the_durable_hook_runs_after_each_sync_before_the_jobs_are_told(void **state)
{
    struct fixture *f = *state;
    struct hooked h = {0};
    assert_int_equal(db_open(f->path, DB_READONLY, &h.db, NULL), 0);
    writer_set_durable_hook(f->w, count_hook, &h);
    assert_int_equal(writer_run(f->w, put_setting, (char *)"h.one"), 0);
    /* writer_run returned after done(): the hook had run, and saw the row */
    assert_true(h.calls >= 1);
    assert_int_equal(h.seen, 1);
    assert_int_equal(writer_run(f->w, put_setting, (char *)"h.two"), 0);
    assert_int_equal(h.seen, 2);
    struct writer_stats st;
    writer_get_stats(f->w, &st);
    assert_int_equal(h.calls, st.syncs);
    writer_set_durable_hook(f->w, NULL, NULL);
    assert_int_equal(writer_run(f->w, put_setting, (char *)"h.three"), 0);
    assert_int_equal(h.seen, 2); /* removed: not called again */
    db_close(h.db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_job_is_visible_when_writer_run_returns, setup, teardown),
        cmocka_unit_test_setup_teardown(
            the_durable_hook_runs_after_each_sync_before_the_jobs_are_told, setup, teardown),
        cmocka_unit_test_setup_teardown(a_failing_job_undoes_only_itself, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_jobs_share_commits_and_each_keeps_its_own_result,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(stopping_finishes_what_is_queued_and_refuses_the_rest,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
