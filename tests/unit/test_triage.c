/* test_triage.c: priority rules: matching, the order and stop, and the rules kept in memory. */
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
#include "core/triage.h"
#include "lib/arena.h"
#include "lib/err.h"
#include "store/db.h"

struct fixture {
    char path[64];
    struct db *db;
    struct arena arena;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->path, sizeof(f->path), "/tmp/kefu-triage-%d.db", (int)getpid());
    unlink(f->path);
    assert_int_equal(db_open(f->path, 0, &f->db, NULL), 0);
    assert_int_equal(db_migrate(f->db, NULL, NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    db_close(f->db);
    arena_release(&f->arena);
    unlink(f->path);
    free(f);
    return 0;
}

static const char *kw_funds[] = {"资金", "Refund"};
static const char *ty_complaint[] = {"complaint"};
static const char *tier_vip[] = {"vip"};
static const char *lb_funds[] = {"资金"};
static const char *lb_vip[] = {"VIP"};

static int64_t add_rule(struct fixture *f, const char *name, int stop, const char **kw, size_t nkw,
                        const char **type, size_t ntype, const char **tier, size_t ntier,
                        const char *prio, const char **labels, size_t nlabels)
{
    struct priority_rule in = {.name = name, .enabled = 1, .stop = stop, .set_priority = prio};
    in.terms[RT_KEYWORD] = (struct rule_values){kw, nkw, nkw > 0};
    in.terms[RT_TYPE] = (struct rule_values){type, ntype, ntype > 0};
    in.terms[RT_TIER] = (struct rule_values){tier, ntier, ntier > 0};
    in.terms[RT_LABEL] = (struct rule_values){labels, nlabels, nlabels > 0};
    struct priority_rule out;
    struct actor admin = {.user_id = 0, .role = ROLE_ADMIN};
    assert_int_equal(rule_create(f->db, &admin, &in, &f->arena, &out, NULL), 0);
    return out.id;
}

static struct triage_result run(struct fixture *f, const char *type, const char *tier,
                                const char *subject, const char *description)
{
    struct triage_facts facts = {type, NULL, "medium", tier, "TEL", subject, description, 7};
    struct triage_result r;
    assert_int_equal(triage_run(f->db, &facts, &f->arena, &r), 0);
    return r;
}

static void without_rules_priority_is_the_urgency_and_the_category_routes(void **state)
{
    struct fixture *f = *state;
    struct triage_result r = run(f, "inquiry", "normal", "保修", "");
    assert_string_equal(r.priority, "medium");
    assert_int_equal(r.department_id, 7);
    assert_int_equal(r.nmatched, 0);
}

static void rules_match_in_order_until_one_stops(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(db_begin(f->db), 0);
    int64_t vip =
        add_rule(f, "VIP投诉", 0, NULL, 0, ty_complaint, 1, tier_vip, 1, "high", lb_vip, 1);
    int64_t funds = add_rule(f, "资金", 1, kw_funds, 2, NULL, 0, NULL, 0, "urgent", lb_funds, 1);
    add_rule(f, "after stop", 0, NULL, 0, ty_complaint, 1, NULL, 0, "low", NULL, 0);
    assert_int_equal(db_commit(f->db), 0);

    /* both of the first two hold; the second overrides the priority, adds its label, stops */
    struct triage_result r = run(f, "complaint", "vip", "退款", "my refund is late");
    assert_int_equal(r.nmatched, 2);
    assert_int_equal(r.matched[0].id, vip);
    assert_int_equal(r.matched[1].id, funds);
    assert_string_equal(r.priority, "urgent");
    assert_int_equal(r.nlabels, 2);
    assert_string_equal(r.labels[0], "VIP");
    assert_string_equal(r.labels[1], "资金");
    assert_int_equal(r.department_id, 7); /* no rule names one: the category's */

    /* every condition must hold: not a VIP, no keyword; the third rule runs */
    r = run(f, "complaint", "normal", "态度", "");
    assert_int_equal(r.nmatched, 1);
    assert_string_equal(r.priority, "low");
    /* a keyword split across subject and description does not match */
    r = run(f, "inquiry", "normal", "资", "金");
    assert_int_equal(r.nmatched, 0);
}

static void a_rolled_back_change_of_the_rules_is_forgotten(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(db_begin(f->db), 0);
    add_rule(f, "资金", 1, kw_funds, 2, NULL, 0, NULL, 0, "urgent", NULL, 0);
    struct triage_result r = run(f, "inquiry", "normal", "资金", "");
    assert_string_equal(r.priority, "urgent"); /* seen inside its own transaction */
    db_rollback(f->db);
    r = run(f, "inquiry", "normal", "资金", "");
    assert_string_equal(r.priority, "medium");
    assert_int_equal(r.nmatched, 0);
}

static void labels_round_trip(void **state)
{
    struct fixture *f = *state;
    const char *in[] = {"资金", "VIP", "加急"};
    const char *text = labels_join(&f->arena, in, 3);
    assert_string_equal(text, "资金\nVIP\n加急");
    const char *out[4];
    assert_int_equal(labels_split(&f->arena, text, out, 4), 3);
    assert_string_equal(out[2], "加急");
    assert_int_equal(labels_split(&f->arena, "", out, 4), 0);
    assert_int_equal(labels_split(&f->arena, text, out, 2), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            without_rules_priority_is_the_urgency_and_the_category_routes, setup, teardown),
        cmocka_unit_test_setup_teardown(rules_match_in_order_until_one_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(a_rolled_back_change_of_the_rules_is_forgotten, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(labels_round_trip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
