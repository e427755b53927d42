/* test_template.c: filling standard replies (pure), and keeping, finding and suggesting them
 * against a real SQLite database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/actor.h"
#include "core/reply_template.h"
#include "core/template.h"
#include "core/ticket.h"
#include "core/user.h"
#include "lib/arena.h"
#include "lib/err.h"
#include "lib/ktime.h"
#include "store/db.h"

static const struct template_value values[] = {
    {"customer.name", "张三"},
    {"ticket.number", "TEL-20231002-001"},
    {"ticket.subject", "家电未按时送货"},
    {"agent.name", "小李"},
    {"eta", NULL},
    {"due", ""},
};
enum { NVALUES = sizeof(values) / sizeof(values[0]) };

static struct template_text fill(struct arena *a, const char *src)
{
    struct template_text t;
    assert_int_equal(template_fill(src, values, NVALUES, a, &t), 0);
    return t;
}

static void placeholders_are_filled_and_blanks_lose_their_brackets(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct template_text t =
        fill(&a, "{{customer.name}}您好,您提到的{{ticket.subject}}问题我们"
                 "[[非常理解]],已经帮您[[加急跟进]]。工单号{{ ticket.number }}。");
    assert_string_equal(t.body, "张三您好,您提到的家电未按时送货问题我们非常理解,已经帮您加急跟进。"
                                "工单号TEL-20231002-001。");
    assert_int_equal(t.nblanks, 2);
    /* 张三您好,您提到的家电未按时送货问题我们 is 20 characters (the comma is ASCII) */
    assert_int_equal(t.blanks[0].start, 20);
    assert_int_equal(t.blanks[0].end, 24);
    assert_string_equal(t.blanks[0].text, "非常理解");
    assert_int_equal(t.blanks[0].kind, TEMPLATE_BLANK_EMOTION);
    assert_int_equal(t.blanks[1].start, 29);
    assert_int_equal(t.blanks[1].end, 33);
    assert_string_equal(t.blanks[1].text, "加急跟进");
    assert_int_equal(t.chars, 54);
    arena_release(&a);
}

static void offsets_count_code_points_not_bytes(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    /* 😀 is one code point (two UTF-16 units, four bytes) */
    struct template_text t = fill(&a, "😀{{agent.name}}:[[您好]]");
    assert_string_equal(t.body, "😀小李:您好");
    assert_int_equal(t.nblanks, 1);
    assert_int_equal(t.blanks[0].start, 4);
    assert_int_equal(t.blanks[0].end, 6);
    assert_int_equal(t.chars, 6);
    arena_release(&a);
}

static void unknown_and_empty_placeholders_stay_as_written_and_are_blanks(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct template_text t = fill(&a, "预计{{eta}}前,{{due}}截止,{{order.no}}号");
    assert_string_equal(t.body, "预计{{eta}}前,{{due}}截止,{{order.no}}号");
    assert_int_equal(t.nblanks, 3);
    assert_int_equal(t.blanks[0].start, 2);
    assert_int_equal(t.blanks[0].end, 9);
    assert_string_equal(t.blanks[0].text, "{{eta}}");
    assert_int_equal(t.blanks[0].kind, TEMPLATE_BLANK_PLACEHOLDER);
    assert_string_equal(t.blanks[1].text, "{{due}}");
    assert_string_equal(t.blanks[2].text, "{{order.no}}");
    assert_int_equal(t.blanks[2].start, 21);
    arena_release(&a);
}

static void braces_that_are_no_placeholder_are_text(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct template_text t = fill(&a, "{{}} {{a b}} {{x} {single} {{{agent.name}}} {{agent.name");
    assert_string_equal(t.body, "{{}} {{a b}} {{x} {single} {小李} {{agent.name");
    assert_int_equal(t.nblanks, 0);
    arena_release(&a);
}

static void adjacent_nested_and_unterminated_brackets(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct template_text t = fill(&a, "[[抱歉]][[理解]]");
    assert_string_equal(t.body, "抱歉理解");
    assert_int_equal(t.nblanks, 2);
    assert_int_equal(t.blanks[0].start, 0);
    assert_int_equal(t.blanks[0].end, 2);
    assert_int_equal(t.blanks[1].start, 2);
    assert_int_equal(t.blanks[1].end, 4);

    /* the innermost opening wins; the outer brackets are text */
    t = fill(&a, "[[外[[内]]后]]");
    assert_string_equal(t.body, "[[外内后]]");
    assert_int_equal(t.nblanks, 1);
    assert_int_equal(t.blanks[0].start, 3);
    assert_int_equal(t.blanks[0].end, 4);
    assert_string_equal(t.blanks[0].text, "内");

    t = fill(&a, "[[[三]]]");
    assert_string_equal(t.body, "[三]");
    assert_int_equal(t.nblanks, 1);
    assert_int_equal(t.blanks[0].start, 1);

    /* never closed, empty, or across a line: text */
    t = fill(&a, "[[没有结尾 ]] 前 [[]] 和 [[跨\n行]]");
    assert_int_equal(t.nblanks, 1);
    assert_string_equal(t.blanks[0].text, "没有结尾 ");
    t = fill(&a, "[[]] [[跨\n行]] [[未完");
    assert_string_equal(t.body, "[[]] [[跨\n行]] [[未完");
    assert_int_equal(t.nblanks, 0);
    t = fill(&a, "结尾]]单独");
    assert_string_equal(t.body, "结尾]]单独");
    assert_int_equal(t.nblanks, 0);
    arena_release(&a);
}

static void placeholders_inside_a_blank_are_filled_there(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    struct template_text t = fill(&a, "[[{{customer.name}}先生您好]],[[预计{{eta}}]]");
    assert_string_equal(t.body, "张三先生您好,预计{{eta}}");
    assert_int_equal(t.nblanks, 2);
    assert_string_equal(t.blanks[0].text, "张三先生您好");
    assert_int_equal(t.blanks[0].end, 6);
    assert_string_equal(t.blanks[1].text, "预计{{eta}}");
    assert_int_equal(t.blanks[1].kind, TEMPLATE_BLANK_EMOTION);
    arena_release(&a);
}

static void values_are_never_read_as_template_text(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    const struct template_value v[] = {{"customer.name", "[[x]]{{agent.name}}"}};
    struct template_text t;
    assert_int_equal(template_fill("您好{{customer.name}}", v, 1, &a, &t), 0);
    assert_string_equal(t.body, "您好[[x]]{{agent.name}}");
    assert_int_equal(t.nblanks, 0);
    assert_int_equal(template_fill("", v, 1, &a, &t), 0);
    assert_string_equal(t.body, "");
    assert_int_equal(t.chars, 0);
    arena_release(&a);
}

/* The bytes of the code points [from, to) of s. */
static const char *cp_slice(struct arena *a, const char *s, size_t from, size_t to, size_t *ret_n)
{
    size_t i = 0, cp = 0, start = 0;
    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) == 0x80)
            continue;
        if (cp == from)
            start = i;
        if (cp == to)
            break;
        cp++;
    }
    if (cp == from)
        start = i;
    *ret_n = i - start;
    return arena_strndup(a, s + start, i - start);
}

static void any_text_gives_blanks_in_order_that_are_what_the_body_says(void **state)
{
    (void)state;
    static const char *const pieces[] = {"{",    "}",  "[",  "]",       "{{",
                                         "}}",   "[[", "]]", "中",      "😀",
                                         "a",    " ",  "\n", "{{eta}}", "{{agent.name}}",
                                         "{{x}}"};
    enum { NPIECES = sizeof(pieces) / sizeof(pieces[0]) };
    unsigned seed = 12345;
    for (int round = 0; round < 20000; round++) {
        struct arena a = ARENA_INIT;
        char src[512];
        size_t len = 0;
        int n = (int)((seed = seed * 1103515245 + 12345) >> 16) % 24;
        for (int i = 0; i < n; i++) {
            const char *p = pieces[((seed = seed * 1103515245 + 12345) >> 16) % NPIECES];
            memcpy(src + len, p, strlen(p));
            len += strlen(p);
        }
        src[len] = '\0';
        struct template_text t;
        assert_int_equal(template_fill(src, values, NVALUES, &a, &t), 0);
        size_t prev_end = 0;
        for (size_t i = 0; i < t.nblanks; i++) {
            const struct template_blank *b = &t.blanks[i];
            assert_true(b->start >= prev_end);
            assert_true(b->start <= b->end && b->end <= t.chars);
            size_t bytes;
            const char *text = cp_slice(&a, t.body, b->start, b->end, &bytes);
            assert_string_equal(text, b->text);
            if (b->kind == TEMPLATE_BLANK_EMOTION)
                assert_true(b->end > b->start);
            prev_end = b->end;
        }
        arena_release(&a);
    }
}

/* ---- against a database ---- */

struct fixture {
    char path[64];
    struct db *db;
    struct arena arena;
    struct actor admin, agent;
};

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
    snprintf(f->path, sizeof(f->path), "/tmp/kefu-unit-tpl-%d.db", (int)getpid());
    unlink(f->path);
    assert_int_equal(ktime_set_zone("Asia/Shanghai"), 0);
    assert_int_equal(db_open(f->path, 0, &f->db, NULL), 0);
    int applied = 0;
    assert_int_equal(db_migrate(f->db, &applied, NULL), 0);
    f->admin = make_user(f, "boss", "supervisor");
    f->agent = make_user(f, "xiaoli", "agent");
    *state = f;
    return 0;
}

static int teardown(void **state)
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

static int add(struct fixture *f, const char *name, const char *type, const char *category,
               const char *shortcut, const char *body, struct reply_template *t, struct kf_error *e)
{
    struct reply_template_input in = {
        .name = name, .type = type, .category = category, .shortcut = shortcut, .body = body};
    assert_int_equal(db_begin(f->db), 0);
    int rc = reply_template_create(f->db, &f->admin, &in, &f->arena, t, e);
    if (rc)
        db_rollback(f->db);
    else
        assert_int_equal(db_commit(f->db), 0);
    return rc;
}

static struct ticket ticket(struct fixture *f, const char *type, const char *category,
                            const char *subject, const char *description)
{
    struct ticket_input in = {0};
    struct ticket t;
    in.channel = "TEL";
    in.type = type;
    in.category = category;
    in.subject = subject;
    in.description = description;
    in.urgency = "medium";
    in.has_customer = 1;
    in.customer.name = "张三";
    in.customer.phone = "13812345678";
    in.expected_at = INT64_C(1696327200000); /* 2023-10-03T18:00:00+08:00 */
    assert_int_equal(db_begin(f->db), 0);
    assert_int_equal(ticket_create(f->db, &f->agent, &in, &f->arena, &t, NULL), 0);
    assert_int_equal(db_commit(f->db), 0);
    return t;
}

static void a_template_is_checked_and_its_shortcut_is_unique(void **state)
{
    struct fixture *f = *state;
    struct reply_template t;
    struct kf_error e = {0};
    assert_int_equal(
        add(f, "物流延迟安抚", NULL, "logistics-delay", "WL", "您好[[非常理解]]", &t, &e), 0);
    assert_string_equal(t.type, "complaint"); /* the category's */
    assert_string_equal(t.shortcut, "wl");
    assert_int_equal(add(f, "又一个", NULL, NULL, "wl", "x", &t, &e), KF_ECONFLICT);
    assert_string_equal(e.field, "shortcut");
    assert_int_equal(add(f, "x", "inquiry", "logistics-delay", NULL, "x", &t, &e), KF_EINVAL);
    assert_string_equal(e.field, "category");
    assert_int_equal(add(f, "x", "nonsense", NULL, NULL, "x", &t, &e), KF_EINVAL);
    assert_string_equal(e.field, "type");
    assert_int_equal(add(f, "x", NULL, "no-such", NULL, "x", &t, &e), KF_EINVAL);
    assert_string_equal(e.field, "category");
    assert_int_equal(add(f, "", NULL, NULL, NULL, "x", &t, &e), KF_EINVAL);
    assert_string_equal(e.field, "name");
    assert_int_equal(add(f, "x", NULL, NULL, NULL, "  ", &t, &e), KF_EINVAL);
    assert_string_equal(e.field, "body");
    assert_int_equal(add(f, "x", NULL, NULL, "w l", "x", &t, &e), KF_EINVAL);
    assert_string_equal(e.field, "shortcut");
}

static void a_search_puts_the_exact_shortcut_first(void **state)
{
    struct fixture *f = *state;
    struct reply_template t;
    assert_int_equal(add(f, "wl 物流说明", NULL, NULL, "wlx", "物流", &t, NULL), 0);
    assert_int_equal(add(f, "物流延迟安抚", "complaint", NULL, "wl", "[[非常理解]]", &t, NULL), 0);
    assert_int_equal(add(f, "保修政策", "inquiry", NULL, "bx", "三年保修,WL无关", &t, NULL), 0);
    struct reply_template_query q = {.q = " WL ", .limit = 10};
    struct reply_template *v;
    size_t n;
    int more;
    assert_int_equal(reply_template_list(f->db, &q, &f->arena, &v, &n, &more, NULL), 0);
    assert_int_equal(n, 3);
    assert_string_equal(v[0].shortcut, "wl");
    assert_string_equal(v[1].shortcut, "wlx");
    assert_string_equal(v[2].shortcut, "bx");
    q.q = "保修 三年";
    assert_int_equal(reply_template_list(f->db, &q, &f->arena, &v, &n, &more, NULL), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].name, "保修政策");
    q = (struct reply_template_query){.type = "complaint", .limit = 10};
    assert_int_equal(reply_template_list(f->db, &q, &f->arena, &v, &n, &more, NULL), 0);
    assert_int_equal(n, 1);
    q = (struct reply_template_query){.limit = 2};
    assert_int_equal(reply_template_list(f->db, &q, &f->arena, &v, &n, &more, NULL), 0);
    assert_int_equal(n, 2);
    assert_true(more);
    q.offset = 2;
    assert_int_equal(reply_template_list(f->db, &q, &f->arena, &v, &n, &more, NULL), 0);
    assert_int_equal(n, 1);
    assert_false(more);
}

static void a_template_is_filled_for_a_ticket(void **state)
{
    struct fixture *f = *state;
    struct reply_template t;
    assert_int_equal(add(f, "物流延迟安抚", NULL, "logistics-delay", "wl",
                         "{{customer.name}}您好,您提到的{{ticket.subject}}问题我们[[非常理解]],"
                         "预计{{eta}}前反馈。{{agent.name}} {{ticket.number}} {{what}}",
                         &t, NULL),
                     0);
    struct ticket tk = ticket(f, "complaint", "logistics-delay", "家电未按时送货", "至今未收到");
    struct template_text r;
    struct kf_error e = {0};
    assert_int_equal(reply_template_render(f->db, &f->agent, t.id, tk.id, &f->arena, &r, &e), 0);
    char want[256];
    snprintf(want, sizeof(want),
             "张三您好,您提到的家电未按时送货问题我们非常理解,预计2023-10-03 18:00前反馈。%s %s "
             "{{what}}",
             f->agent.name, tk.number);
    assert_string_equal(r.body, want);
    assert_int_equal(r.nblanks, 2);
    assert_int_equal(r.blanks[0].start, 20);
    assert_string_equal(r.blanks[1].text, "{{what}}");
    assert_int_equal(reply_template_render(f->db, &f->agent, t.id, 999, &f->arena, &r, &e),
                     KF_EINVAL);
    assert_string_equal(e.field, "ticket_id");
    assert_int_equal(reply_template_render(f->db, &f->agent, 999, tk.id, &f->arena, &r, &e),
                     KF_ENOTFOUND);
}

static void suggestions_rank_category_then_type_then_words(void **state)
{
    struct fixture *f = *state;
    struct reply_template t;
    assert_int_equal(add(f, "通用问候", NULL, NULL, NULL, "您好", &t, NULL), 0);
    assert_int_equal(
        add(f, "保修政策说明", "inquiry", "warranty-policy", NULL, "三年保修", &t, NULL), 0);
    assert_int_equal(
        add(f, "服务态度致歉", "complaint", "service-attitude", NULL, "抱歉", &t, NULL), 0);
    assert_int_equal(add(f, "投诉受理", "complaint", NULL, NULL, "已受理", &t, NULL), 0);
    assert_int_equal(
        add(f, "物流延迟安抚", NULL, "logistics-delay", NULL, "[[非常理解]]", &t, NULL), 0);
    assert_int_equal(add(f, "送货改期", "special", NULL, NULL, "送货时间可以改到周末", &t, NULL),
                     0);
    struct ticket tk =
        ticket(f, "complaint", "logistics-delay", "家电未按时送货", "物流一直没有更新");
    struct reply_template *v;
    size_t n;
    assert_int_equal(reply_template_suggest(f->db, &f->agent, tk.id, 5, &f->arena, &v, &n), 0);
    assert_int_equal(n, 4);
    assert_string_equal(v[0].name, "物流延迟安抚"); /* its category */
    assert_string_equal(v[1].name, "投诉受理");     /* its type */
    assert_string_equal(v[2].name, "通用问候");     /* any type */
    assert_string_equal(v[3].name, "送货改期");     /* another type, but shares 送货 */
    assert_int_equal(reply_template_suggest(f->db, &f->agent, tk.id, 2, &f->arena, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(reply_template_suggest(f->db, &f->agent, 999, 5, &f->arena, &v, &n),
                     KF_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(placeholders_are_filled_and_blanks_lose_their_brackets),
        cmocka_unit_test(offsets_count_code_points_not_bytes),
        cmocka_unit_test(unknown_and_empty_placeholders_stay_as_written_and_are_blanks),
        cmocka_unit_test(braces_that_are_no_placeholder_are_text),
        cmocka_unit_test(adjacent_nested_and_unterminated_brackets),
        cmocka_unit_test(placeholders_inside_a_blank_are_filled_there),
        cmocka_unit_test(values_are_never_read_as_template_text),
        cmocka_unit_test(any_text_gives_blanks_in_order_that_are_what_the_body_says),
        cmocka_unit_test_setup_teardown(a_template_is_checked_and_its_shortcut_is_unique, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_search_puts_the_exact_shortcut_first, setup, teardown),
        cmocka_unit_test_setup_teardown(a_template_is_filled_for_a_ticket, setup, teardown),
        cmocka_unit_test_setup_teardown(suggestions_rank_category_then_type_then_words, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
