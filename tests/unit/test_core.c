/* test_core.c: tickets, customers and users against a real SQLite database. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/attachment.h"
#include "core/customer.h"
#include "core/dept.h"
#include "core/message.h"
#include "core/refdata.h"
#include "core/ticket.h"
#include "core/ticket_number.h"
#include "core/user.h"
#include "lib/arena.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "store/db.h"

struct fixture {
    char path[64];
    struct db *db;
    struct arena arena;
    struct actor admin, agent, agent2;
};

static int64_t count(struct db *db, const char *sql)
{
    struct stmt *st = db_stmt_sql(db, sql);
    int64_t n = st_step(st) == 1 ? col_int(st, 0) : -1;
    st_exec(st);
    return n;
}

static struct actor make_user(struct fixture *f, const char *username, const char *role)
{
    struct user_input in = {0};
    struct user u;
    in.username = username;
    in.role = role;
    in.password = "password-123";
    assert_int_equal(user_hash_password(&in, NULL), 0);
    assert_int_equal(db_begin(f->db), 0);
    assert_int_equal(user_create(f->db, NULL, &in, &f->arena, &u, NULL), 0);
    assert_int_equal(db_commit(f->db), 0);
    struct actor a = {.user_id = u.id, .name = u.name, .role = u.role};
    return a;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->path, sizeof(f->path), "/tmp/kefu-unit-%d.db", (int)getpid());
    unlink(f->path);
    assert_int_equal(ktime_set_zone("Asia/Shanghai"), 0);
    assert_int_equal(db_open(f->path, 0, &f->db, NULL), 0);
    int applied = 0;
    assert_int_equal(db_migrate(f->db, &applied, NULL), 0);
    assert_true(applied >= 1);
    f->admin = make_user(f, "boss", "admin");
    f->agent = make_user(f, "xiaoli", "agent");
    f->agent2 = make_user(f, "xiaozhang", "agent");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    db_close(f->db);
    arena_release(&f->arena);
    char wal[80];
    unlink(f->path);
    snprintf(wal, sizeof(wal), "%s-wal", f->path);
    unlink(wal);
    snprintf(wal, sizeof(wal), "%s-shm", f->path);
    unlink(wal);
    free(f);
    return 0;
}

static int create(struct fixture *f, const struct actor *who, const char *subject,
                  const char *phone, struct ticket *t, struct kf_error *e)
{
    struct ticket_input in = {0};
    in.channel = "TEL";
    in.type = "complaint";
    in.category = "logistics-delay";
    in.subject = subject;
    in.description = "承诺10月1日送达,至今未收到";
    in.urgency = "high";
    in.has_customer = 1;
    in.customer.name = "张三";
    in.customer.phone = phone;
    in.customer.tier = "vip";
    int rc = db_begin(f->db);
    if (rc)
        return rc;
    rc = ticket_create(f->db, who, &in, &f->arena, t, e);
    if (rc)
        db_rollback(f->db);
    else
        rc = db_commit(f->db);
    return rc;
}

static int update(struct fixture *f, const struct actor *who, const char *ref,
                  struct ticket_patch *p, struct ticket *t, struct kf_error *e)
{
    int rc = db_begin(f->db);
    if (rc)
        return rc;
    rc = ticket_update(f->db, who, ref, p, &f->arena, t, e);
    if (rc)
        db_rollback(f->db);
    else
        rc = db_commit(f->db);
    return rc;
}

static void numbers_follow_the_format_and_count_per_day(void **state)
{
    struct fixture *f = *state;
    struct ticket a, b;
    assert_int_equal(create(f, &f->agent, "家电未按时送货", "13812345678", &a, NULL), 0);
    assert_int_equal(create(f, &f->agent, "第二单", "13812345678", &b, NULL), 0);
    char want[64];
    snprintf(want, sizeof(want), "TEL-%08d-001", ktime_day(ktime_now()));
    assert_string_equal(a.number, want);
    snprintf(want, sizeof(want), "TEL-%08d-002", ktime_day(ktime_now()));
    assert_string_equal(b.number, want);
    /* the seed 004 format */
    struct settings s = {"{YYYYMMDD}{serial:3}"};
    assert_int_equal(db_begin(f->db), 0);
    assert_int_equal(settings_update(f->db, &f->admin, &s, NULL), 0);
    assert_int_equal(db_commit(f->db), 0);
    struct ticket c;
    assert_int_equal(create(f, &f->agent, "第三单", "13812345678", &c, NULL), 0);
    snprintf(want, sizeof(want), "%08d001", ktime_day(ktime_now()));
    assert_string_equal(c.number, want);
    char out[64];
    assert_int_equal(
        ticket_number_expand("{channel}-{YYYYMMDD}-{serial}", "WX", 20231002, 1, out, sizeof(out)),
        0);
    assert_string_equal(out, "WX-20231002-001");
    struct kf_error e = {0};
    assert_int_equal(ticket_number_format_check("{channel}-{serial}", &e), KF_EINVAL);
    assert_int_equal(ticket_number_format_check("{YYYYMMDD}{serial}{serial}", &e), KF_EINVAL);
    assert_int_equal(ticket_number_format_check("{YYYYMMDD}{bogus}", &e), KF_EINVAL);
    assert_string_equal(e.field, "ticket_number_format");
}

static void a_known_customer_is_found_not_duplicated(void **state)
{
    struct fixture *f = *state;
    struct ticket a, b;
    assert_int_equal(create(f, &f->agent, "一", "138-1234-5678", &a, NULL), 0);
    assert_int_equal(create(f, &f->agent, "二", "13812345678", &b, NULL), 0);
    assert_true(a.customer.id == b.customer.id);
    assert_string_equal(a.customer.phone, "13812345678");
    assert_int_equal(count(f->db, "SELECT count(*) FROM customers"), 1);
}

static void the_lifecycle_fills_the_time_nodes(void **state)
{
    struct fixture *f = *state;
    struct ticket t;
    struct kf_error e = {0};
    assert_int_equal(create(f, &f->agent, "APP无法登录", "13900000001", &t, NULL), 0);
    assert_string_equal(t.status, "new");
    assert_true(t.raised_at > 0 && t.taken_over_at == 0);

    struct ticket_patch p = {0};
    p.set = TF_STATUS;
    p.status = "resolved";
    assert_int_equal(update(f, &f->agent, t.number, &p, &t, &e), KF_EINVAL);
    assert_string_equal(e.field, "status");

    p.status = "accepted";
    assert_int_equal(update(f, &f->agent, t.number, &p, &t, &e), 0);
    assert_true(t.taken_over_at > 0);
    assert_true(t.assignee_id == f->agent.user_id); /* taking it over makes it yours */

    /* someone else's ticket now */
    p.status = "in_progress";
    assert_int_equal(update(f, &f->agent2, t.number, &p, &t, &e), KF_EFORBIDDEN);
    assert_int_equal(update(f, &f->agent, t.number, &p, &t, &e), 0);
    assert_true(t.processing_started_at > 0);

    p.status = "resolved";
    assert_int_equal(update(f, &f->agent, t.number, &p, &t, &e), KF_EINVAL);
    assert_string_equal(e.field, "result");
    p.set = TF_STATUS | TF_RESULT | TF_MEASURES;
    p.result = "fixed";
    p.measures = "远程指导客户清除缓存后登录正常";
    assert_int_equal(update(f, &f->agent, t.number, &p, &t, &e), 0);
    assert_true(t.resolved_at > 0);

    memset(&p, 0, sizeof(p));
    p.set = TF_STATUS;
    p.status = "closed";
    assert_int_equal(update(f, &f->agent, t.number, &p, &t, &e), 0);
    assert_true(t.closed_at > 0);
    p.status = "in_progress";
    assert_int_equal(update(f, &f->agent, t.number, &p, &t, &e), KF_EFORBIDDEN);
    assert_int_equal(update(f, &f->admin, t.number, &p, &t, &e), 0);
    assert_true(t.resolved_at == 0 && t.closed_at == 0); /* reopened */

    struct history_entry *h;
    size_t n;
    assert_int_equal(history_list(f->db, &f->admin, t.number, &f->arena, &h, &n), 0);
    assert_true(n >= 6);
    assert_string_equal(h[0].action, "created");
    assert_string_equal(h[1].action, "status_changed");
    assert_non_null(strstr(h[1].detail, "\"to\":\"accepted\""));
}

static void a_stale_version_is_a_conflict(void **state)
{
    struct fixture *f = *state;
    struct ticket t, t2;
    struct kf_error e = {0};
    assert_int_equal(create(f, &f->agent, "并发", "13900000002", &t, NULL), 0);
    struct ticket_patch p = {0};
    p.set = TF_URGENCY;
    p.urgency = "low";
    p.if_version = t.version;
    assert_int_equal(update(f, &f->agent, t.number, &p, &t2, &e), 0);
    assert_string_equal(t2.priority, "low");
    assert_true(t2.version == t.version + 1);
    p.urgency = "medium";
    assert_int_equal(update(f, &f->agent, t.number, &p, &t2, &e), KF_ECONFLICT);
}

static void every_change_leaves_audit_and_event_rows(void **state)
{
    struct fixture *f = *state;
    int64_t audit0 = count(f->db, "SELECT count(*) FROM audit");
    int64_t events0 = count(f->db, "SELECT count(*) FROM events");
    struct ticket t;
    assert_int_equal(create(f, &f->agent, "留痕", "13900000003", &t, NULL), 0);
    assert_true(count(f->db, "SELECT count(*) FROM audit") > audit0);
    assert_true(count(f->db, "SELECT count(*) FROM events") > events0);
    /* the audit is append-only */
    struct stmt *st = db_stmt_sql(f->db, "DELETE FROM audit");
    assert_true(st_exec(st) < 0);
}

static void a_failed_create_writes_nothing(void **state)
{
    struct fixture *f = *state;
    int64_t tickets0 = count(f->db, "SELECT count(*) FROM tickets");
    int64_t customers0 = count(f->db, "SELECT count(*) FROM customers");
    struct ticket t;
    struct kf_error e = {0};
    struct ticket_input in = {0};
    in.channel = "TEL";
    in.type = "complaint";
    in.category = "app-login"; /* a problem category: wrong for a complaint */
    in.subject = "x";
    in.has_customer = 1;
    in.customer.name = "新客户";
    in.customer.phone = "13700000000";
    assert_int_equal(db_begin(f->db), 0);
    assert_int_equal(ticket_create(f->db, &f->agent, &in, &f->arena, &t, &e), KF_EINVAL);
    db_rollback(f->db);
    assert_string_equal(e.field, "category");
    assert_int_equal(count(f->db, "SELECT count(*) FROM tickets"), tickets0);
    assert_int_equal(count(f->db, "SELECT count(*) FROM customers"), customers0);
}

static void search_finds_two_character_chinese_words(void **state)
{
    struct fixture *f = *state;
    struct ticket t;
    assert_int_equal(create(f, &f->agent, "家电未按时送货", "13900000004", &t, NULL), 0);
    assert_int_equal(create(f, &f->agent, "申请退款", "13900000005", &t, NULL), 0);
    struct ticket_query q = {0};
    struct ticket *v;
    size_t n;
    const char *next;
    q.q = "退款";
    assert_int_equal(ticket_list(f->db, &f->agent, &q, &f->arena, &v, &n, &next, NULL), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].subject, "申请退款");
    q.q = t.number;
    assert_int_equal(ticket_list(f->db, &f->agent, &q, &f->arena, &v, &n, &next, NULL), 0);
    assert_int_equal(n, 1);
    q.q = "家电";
    assert_int_equal(ticket_list(f->db, &f->agent, &q, &f->arena, &v, &n, &next, NULL), 0);
    assert_int_equal(n, 1);
}

static void the_pool_pages_in_priority_order(void **state)
{
    struct fixture *f = *state;
    const char *urg[] = {"low", "high", "medium", "high", "low"};
    struct ticket first;
    assert_int_equal(create(f, &f->agent, "客户", "13900000006", &first, NULL), 0);
    for (int i = 0; i < 5; i++) {
        struct ticket_input in = {0};
        struct ticket t;
        in.channel = "WEB";
        in.type = "inquiry";
        in.subject = "排序";
        in.urgency = urg[i];
        in.customer_id = first.customer.id;
        assert_int_equal(db_begin(f->db), 0);
        assert_int_equal(ticket_create(f->db, &f->agent, &in, &f->arena, &t, NULL), 0);
        assert_int_equal(db_commit(f->db), 0);
    }
    struct ticket_query q = {0};
    q.channel = "WEB";
    q.limit = 2;
    const char *seen[5];
    size_t total = 0;
    do {
        struct ticket *v;
        size_t n;
        assert_int_equal(ticket_list(f->db, &f->agent, &q, &f->arena, &v, &n, &q.cursor, NULL), 0);
        for (size_t i = 0; i < n; i++)
            seen[total++] = v[i].priority;
    } while (q.cursor && total < 5);
    assert_int_equal(total, 5);
    assert_string_equal(seen[0], "high");
    assert_string_equal(seen[1], "high");
    assert_string_equal(seen[2], "medium");
    assert_string_equal(seen[3], "low");
    assert_string_equal(seen[4], "low");
}

static void passwords_are_argon2id_and_checked(void **state)
{
    struct fixture *f = *state;
    struct user u;
    assert_int_equal(user_authenticate(f->db, "xiaoli", "password-123", &f->arena, &u), 0);
    assert_int_equal(user_authenticate(f->db, "xiaoli", "wrong", &f->arena, &u), KF_EAUTH);
    assert_int_equal(user_authenticate(f->db, "nobody", "password-123", &f->arena, &u), KF_EAUTH);
    struct stmt *st = db_stmt_sql(f->db, "SELECT password_hash FROM users WHERE username='xiaoli'");
    assert_int_equal(st_step(st), 1);
    assert_memory_equal(col_text(st, 0), "$argon2id$", 10);
    st_exec(st);
}

/* A token with an expiry is refused from then on, even while the server remembers its owner,
 * and is listed until it is revoked. */
static void a_token_is_refused_from_its_expiry(void **state)
{
    struct fixture *f = *state;
    struct api_token dated, open;
    struct actor who;
    struct kf_error e = {0};
    int64_t now = ktime_now();
    assert_int_equal(token_create(f->db, &f->agent, "bot", now - 1, &f->arena, &dated, &e),
                     KF_EINVAL);
    assert_string_equal(e.field, "expires_at");
    assert_int_equal(db_begin(f->db), 0);
    assert_int_equal(token_create(f->db, &f->agent, "bot", now + 60000, &f->arena, &dated, &e), 0);
    assert_int_equal(token_create(f->db, &f->agent, "open", 0, &f->arena, &open, &e), 0);
    assert_int_equal(db_commit(f->db), 0);
    assert_int_equal(token_resolve(f->db, dated.token, &f->arena, &who), 0); /* remembered */
    assert_int_equal(who.user_id, f->agent.user_id);
    ktime_set_now(now + 60000);
    int expired = token_resolve(f->db, dated.token, &f->arena, &who);
    int still = token_resolve(f->db, open.token, &f->arena, &who);
    ktime_set_now(ktime_now() - 60000);
    assert_int_equal(expired, KF_EAUTH);
    assert_int_equal(still, 0);
    struct api_token *v;
    size_t n;
    assert_int_equal(token_list(f->db, f->agent.user_id, &f->arena, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_true(v[0].expires_at == now + 60000 && v[1].expires_at == 0);
}

/* A new password revokes the account's tokens and ends its sessions in the transaction that
 * sets it, so a rollback keeps them. */
static void a_new_password_revokes_tokens_and_ends_sessions(void **state)
{
    struct fixture *f = *state;
    struct api_token t1, t2;
    struct actor who;
    struct kf_error e = {0};
    char session[TOKEN_TEXT_MAX], csrf[TOKEN_TEXT_MAX];
    const char *csrf_read;
    assert_int_equal(db_begin(f->db), 0);
    assert_int_equal(token_create(f->db, &f->agent, "bot", 0, &f->arena, &t1, &e), 0);
    assert_int_equal(token_create(f->db, &f->agent, "bot-2", 0, &f->arena, &t2, &e), 0);
    assert_int_equal(session_create(f->db, f->agent.user_id, "127.0.0.1", 3600000, session, csrf),
                     0);
    assert_int_equal(db_commit(f->db), 0);
    assert_int_equal(token_resolve(f->db, t1.token, &f->arena, &who), 0); /* remembered */

    struct user_input in = {.password = "new-password-1"};
    struct user u;
    struct user_revoked revoked = {-1, -1};
    assert_int_equal(user_hash_password(&in, NULL), 0);
    assert_int_equal(db_begin(f->db), 0);
    assert_int_equal(
        user_update(f->db, &f->admin, f->agent.user_id, &in, &f->arena, &u, &revoked, &e), 0);
    db_rollback(f->db);
    assert_int_equal(token_resolve(f->db, t2.token, &f->arena, &who), 0); /* read, not remembered */
    assert_int_equal(session_resolve(f->db, session, &f->arena, &who, &csrf_read), 0);

    assert_int_equal(db_begin(f->db), 0);
    assert_int_equal(
        user_update(f->db, &f->admin, f->agent.user_id, &in, &f->arena, &u, &revoked, &e), 0);
    assert_int_equal(db_commit(f->db), 0);
    assert_int_equal(revoked.sessions, 1);
    assert_int_equal(revoked.tokens, 2);
    assert_int_equal(token_resolve(f->db, t1.token, &f->arena, &who), KF_EAUTH);
    assert_int_equal(token_resolve(f->db, t2.token, &f->arena, &who), KF_EAUTH);
    assert_int_equal(session_resolve(f->db, session, &f->arena, &who, &csrf_read), KF_EAUTH);
    struct api_token *v;
    size_t n;
    assert_int_equal(token_list(f->db, f->agent.user_id, &f->arena, &v, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(count(f->db, "SELECT count(*) FROM audit WHERE action = 'user.updated' AND "
                                  "after LIKE '%\"revoked\":{\"sessions\":1,\"tokens\":2}%'"),
                     1);

    /* a change without a password ends nothing */
    struct user_input rename = {.name = "小李"};
    assert_int_equal(db_begin(f->db), 0);
    assert_int_equal(
        user_update(f->db, &f->admin, f->agent.user_id, &rename, &f->arena, &u, &revoked, &e), 0);
    assert_int_equal(db_commit(f->db), 0);
    assert_true(revoked.sessions == 0 && revoked.tokens == 0);
}

/* Fails each database step of a registration in turn: every failure leaves nothing behind, and
 * the run that does not fail leaves one whole ticket. */
static void a_failure_at_any_step_loses_nothing_and_leaves_nothing(void **state)
{
    struct fixture *f = *state;
    const char *tables[] = {"tickets", "customers", "history",
                            "audit",   "events",    "ticket_counters"};
    int64_t before[6];
    for (int i = 0; i < 6; i++) {
        char sql[64];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
        before[i] = count(f->db, sql);
    }
    int failures = 0;
    for (long n = 1; n < 200; n++) {
        struct ticket t;
        struct kf_error e = {0};
        db_fail_step(n);
        int rc = create(f, &f->agent, "故障注入", "13600009999", &t, &e);
        db_fail_step(0);
        for (int i = 0; i < 6; i++) {
            char sql[64];
            snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
            int64_t now = count(f->db, sql);
            if (rc)
                assert_true(now == before[i]); /* nothing of the failed attempt remains */
            else
                assert_true(now > before[i] || !strcmp(tables[i], "ticket_counters") ||
                            !strcmp(tables[i], "customers"));
        }
        if (!rc) {
            /* the first run that did not fail: the ticket is whole */
            struct history_entry *h;
            size_t nh;
            assert_int_equal(history_list(f->db, &f->agent, t.number, &f->arena, &h, &nh), 0);
            assert_string_equal(h[0].action, "created");
            assert_true(failures > 5);
            return;
        }
        assert_int_equal(rc, KF_EDB);
        failures++;
    }
    fail_msg("registration never succeeded");
}

/* How many tickets a text search finds. */
static size_t found(struct fixture *f, const char *text)
{
    struct ticket_query q = {0};
    struct ticket *v;
    size_t n;
    const char *next;
    q.q = text;
    assert_int_equal(ticket_list(f->db, &f->admin, &q, &f->arena, &v, &n, &next, NULL), 0);
    return n;
}

/* FTS5's own check that the index holds exactly the text of the tickets table. */
static void assert_index_matches_tickets(struct fixture *f)
{
    struct stmt *st =
        db_stmt_sql(f->db, "INSERT INTO tickets_fts(tickets_fts) VALUES ('integrity-check')");
    assert_int_equal(st_exec(st), 0);
}

static int create_in_tx(struct fixture *f, const char *subject, const char *phone, struct ticket *t)
{
    struct ticket_input in = {0};
    in.channel = "WEB";
    in.type = "fault";
    in.subject = subject;
    in.has_customer = 1;
    in.customer.name = "王五";
    in.customer.phone = phone;
    return ticket_create(f->db, &f->agent, &in, &f->arena, t, NULL);
}

/* As the server's writer does: one transaction, a savepoint per request, one rolled back. */
static void a_batch_is_indexed_at_commit_without_its_failed_requests(void **state)
{
    struct fixture *f = *state;
    static const char *const subjects[] = {"空调漏水", "申请退款", "补开发票"};
    struct ticket t;
    assert_int_equal(db_begin(f->db), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(db_savepoint(f->db), 0);
        char phone[16];
        snprintf(phone, sizeof(phone), "1390000010%d", i);
        assert_int_equal(create_in_tx(f, subjects[i], phone, &t), 0);
        if (i == 1)
            db_rollback_to(f->db);
        else
            assert_int_equal(db_release(f->db), 0);
    }
    assert_int_equal(db_commit(f->db), 0);
    assert_int_equal(found(f, "漏水"), 1);
    assert_int_equal(found(f, "退款"), 0);
    assert_int_equal(found(f, "发票"), 1);
    assert_int_equal(count(f->db, "SELECT count(*) FROM search_pending"), 0);
    assert_index_matches_tickets(f);
}

static void change_subject(struct fixture *f, const char *number, const char *subject)
{
    struct ticket_patch p = {0};
    struct ticket t;
    p.set = TF_SUBJECT;
    p.subject = subject;
    assert_int_equal(update(f, &f->agent, number, &p, &t, NULL), 0);
}

static void text_changes_reach_the_index_and_other_changes_leave_it(void **state)
{
    struct fixture *f = *state;
    struct ticket t;
    struct kf_error e = {0};
    assert_int_equal(create(f, &f->agent, "空调漏水", "13900000201", &t, NULL), 0);
    change_subject(f, t.number, "冰箱异响");
    assert_int_equal(found(f, "漏水"), 0);
    assert_int_equal(found(f, "异响"), 1);
    struct ticket_patch p = {0};
    p.set = TF_STATUS;
    p.status = "accepted";
    assert_int_equal(update(f, &f->agent, t.number, &p, &t, &e), 0);
    assert_int_equal(found(f, "异响"), 1);
    assert_index_matches_tickets(f);

    /* created and changed in one transaction: only the last text is indexed */
    assert_int_equal(db_begin(f->db), 0);
    assert_int_equal(create_in_tx(f, "洗衣机漏水", "13900000202", &t), 0);
    p.set = TF_SUBJECT;
    p.subject = "洗衣机不转";
    assert_int_equal(ticket_update(f->db, &f->agent, t.number, &p, &f->arena, &t, &e), 0);
    assert_int_equal(db_commit(f->db), 0);
    assert_int_equal(found(f, "不转"), 1);
    assert_int_equal(found(f, "漏水"), 0);
    assert_index_matches_tickets(f);
}

/* A database made by the first schema, with tickets in it, keeps them searchable. */
static void an_upgraded_database_keeps_its_tickets_searchable(void **state)
{
    struct fixture *f = *state;
    struct ticket t;
    char path[80];
    snprintf(path, sizeof(path), "%s.old", f->path);
    unlink(path);
    struct db *old;
    assert_int_equal(db_open(path, 0, &old, NULL), 0);
    assert_int_equal(db_migrate_to(old, 1, NULL, NULL), 0);
    struct db *mine = f->db;
    f->db = old;
    /* a ticket as the first schema stored it (today's statements need newer columns) */
    struct stmt *st = db_stmt_sql(old, "INSERT INTO customers(id, name, phone, created_at, "
                                       "updated_at) VALUES (1, '老客户', '13900000301', 1, 1)");
    assert_int_equal(st_exec(st), 0);
    st = db_stmt_sql(old, "INSERT INTO tickets(number, channel, type, subject, urgency, priority,"
                          " prio_rank, status, customer_id, raised_at, created_at, updated_at)"
                          " VALUES ('TEL-20231001-001', 'TEL', 'complaint', '物流延迟', 'high',"
                          " 'high', 3, 'new', 1, 1, 1, 1)");
    assert_int_equal(st_exec(st), 0);
    int applied = 0;
    assert_int_equal(db_migrate(old, &applied, NULL), 0);
    assert_true(applied >= 1);
    assert_int_equal(found(f, "物流"), 1);
    struct actor sys = {.name = "kefu", .role = ROLE_ADMIN}; /* the old file has no users */
    assert_int_equal(create(f, &sys, "发票抬头错误", "13900000302", &t, NULL), 0);
    assert_int_equal(found(f, "发票"), 1);
    assert_index_matches_tickets(f);
    f->db = mine;
    db_close(old);
    unlink(path);
}

/* Opens another connection to the fixture's database, with the flags the server's writer
 * uses, and makes it the one the helpers use; the caller puts the old one back. */
static struct db *use_connection(struct fixture *f, int flags)
{
    struct db *w;
    assert_int_equal(db_open(f->path, flags, &w, NULL), 0);
    f->db = w;
    return w;
}

/* The server's writer commits without syncing and syncs on another thread. */
static void a_group_sync_connection_commits_then_syncs(void **state)
{
    struct fixture *f = *state;
    struct db *mine = f->db, *w = use_connection(f, DB_NO_CHECKPOINT | DB_GROUP_SYNC);
    long before = db_wal_frames(w);
    struct ticket t;
    assert_int_equal(create(f, &f->agent, "门店自提", "13900000401", &t, NULL), 0);
    assert_true(db_wal_frames(w) > before);
    assert_int_equal(db_sync(w), 0);

    /* a commit of several MiB of log at once; then one from a cache small enough to spill
     * pages mid-way and read them back from the log */
    for (int round = 0; round < 2; round++) {
        if (round == 1)
            assert_int_equal(st_exec(db_stmt_sql(w, "PRAGMA cache_size=16")), 0);
        assert_int_equal(db_begin(w), 0);
        for (int i = 0; i < 600; i++) {
            char phone[32];
            snprintf(phone, sizeof(phone), "138%d000%04d", round, i);
            assert_int_equal(create_in_tx(f, "批量登记", phone, &t), 0);
        }
        assert_int_equal(count(w, "SELECT count(*) FROM tickets WHERE subject = '批量登记'"),
                         600 * (round + 1));
        assert_int_equal(db_commit(w), 0);
        assert_int_equal(db_sync(w), 0);
    }
    f->db = mine;
    db_close(w);
    assert_int_equal(found(f, "自提"), 1); /* and another connection sees it all */
    assert_int_equal(count(f->db, "SELECT count(*) FROM tickets WHERE subject = '批量登记'"), 1200);
    assert_int_equal(found(f, "批量"), 50); /* a page of them */
    assert_index_matches_tickets(f);
}

struct begin_arg {
    struct db *db;
    int rc;
};

static void *begin_and_commit(void *p)
{
    struct begin_arg *a = p;
    a->rc = db_begin(a->db);
    if (!a->rc)
        a->rc = db_commit(a->db);
    return NULL;
}

/* The writer may hold its transaction open while the disk syncs; another connection that waits
 * for the write lock (a sign-in, housekeeping) says so, and gets the lock when the writer lets
 * it go. */
static void a_connection_waiting_for_the_write_lock_is_seen(void **state)
{
    struct fixture *f = *state;
    struct db *mine = f->db, *w = use_connection(f, DB_NO_CHECKPOINT | DB_GROUP_SYNC);
    assert_false(db_write_wanted());
    assert_int_equal(db_begin(w), 0);
    assert_false(db_write_wanted()); /* the writer itself does not count */

    struct begin_arg other = {mine, -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, begin_and_commit, &other), 0);
    int seen = 0;
    for (int i = 0; i < 5000 && !(seen = db_write_wanted()); i++)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    assert_true(seen);
    assert_int_equal(db_commit(w), 0);
    pthread_join(th, NULL);
    assert_int_equal(other.rc, 0);
    assert_false(db_write_wanted());
    f->db = mine;
    db_close(w);
}

/* The server's writer indexes search text every few hundred tickets; until then a search
 * still finds it, as the index would. */
static void waiting_search_text_is_found_before_it_is_indexed(void **state)
{
    struct fixture *f = *state;
    struct db *mine = f->db, *w = use_connection(f, DB_NO_CHECKPOINT | DB_BATCH_SEARCH);
    struct ticket t, first;
    assert_int_equal(create(f, &f->agent, "空调漏水", "13900000501", &t, NULL), 0);
    assert_int_equal(db_search_flush(w), 0);
    assert_int_equal(count(w, "SELECT count(*) FROM search_pending"), 0);
    assert_int_equal(db_search_due(w), 0);

    /* one transaction of three: the first commit with text waiting leaves it waiting */
    static const char *const subjects[] = {"申请退款", "补开发票", "冰箱漏水"};
    assert_int_equal(db_begin(w), 0);
    for (int i = 0; i < 3; i++) {
        char phone[32];
        snprintf(phone, sizeof(phone), "1390000051%d", i);
        assert_int_equal(create_in_tx(f, subjects[i], phone, i ? &t : &first), 0);
    }
    assert_int_equal(db_commit(w), 0);
    assert_int_equal(count(w, "SELECT count(*) FROM search_pending"), 3);
    assert_true(db_search_due(w) > 0);
    assert_int_equal(found(f, "退款"), 1);
    assert_int_equal(found(f, "漏水"), 2); /* one indexed, one waiting */
    assert_int_equal(found(f, "漏水 冰箱"), 1);
    assert_int_equal(found(f, first.number), 1);
    assert_int_equal(found(f, "退款 发票"), 0);

    /* a waiting ticket whose text changes is found by its new text only */
    change_subject(f, first.number, "申请换货");
    assert_int_equal(found(f, "退款"), 0);
    assert_int_equal(found(f, "换货"), 1);

    assert_int_equal(db_search_flush(w), 0);
    assert_int_equal(count(w, "SELECT count(*) FROM search_pending"), 0);
    assert_int_equal(found(f, "换货"), 1);
    assert_int_equal(found(f, "漏水"), 2);
    assert_index_matches_tickets(f);

    /* SEARCH_BATCH tickets waiting are indexed by the commit that makes them so many */
    assert_int_equal(db_begin(w), 0);
    for (int i = 0; i < SEARCH_BATCH; i++) {
        char phone[32];
        snprintf(phone, sizeof(phone), "1370000%04d", i);
        assert_int_equal(create_in_tx(f, "批量登记", phone, &t), 0);
    }
    assert_int_equal(db_commit(w), 0);
    assert_int_equal(count(w, "SELECT count(*) FROM search_pending"), 0);
    assert_index_matches_tickets(f);
    f->db = mine;
    db_close(w);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(numbers_follow_the_format_and_count_per_day, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_known_customer_is_found_not_duplicated, setup, teardown),
        cmocka_unit_test_setup_teardown(the_lifecycle_fills_the_time_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(a_stale_version_is_a_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(every_change_leaves_audit_and_event_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(a_failed_create_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(search_finds_two_character_chinese_words, setup, teardown),
        cmocka_unit_test_setup_teardown(a_batch_is_indexed_at_commit_without_its_failed_requests,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(text_changes_reach_the_index_and_other_changes_leave_it,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(an_upgraded_database_keeps_its_tickets_searchable, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_group_sync_connection_commits_then_syncs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_connection_waiting_for_the_write_lock_is_seen, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(waiting_search_text_is_found_before_it_is_indexed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(the_pool_pages_in_priority_order, setup, teardown),
        cmocka_unit_test_setup_teardown(passwords_are_argon2id_and_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(a_new_password_revokes_tokens_and_ends_sessions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_token_is_refused_from_its_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(a_failure_at_any_step_loses_nothing_and_leaves_nothing,
                                        setup, teardown),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
