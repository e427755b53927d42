/* test_outbox.c: who gets which event of the live stream (core/outbox.c's audience rules). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/outbox.h"

static const struct viewer specialist = {
    .user_id = 7, .role = ROLE_SPECIALIST, .depts = {4, 9}, .ndepts = 2};
static const struct viewer agent = {.user_id = 8, .role = ROLE_AGENT};
static const struct viewer supervisor = {.user_id = 9, .role = ROLE_SUPERVISOR};

static void a_ticket_event_goes_to_whoever_may_see_the_ticket(void **state)
{
    (void)state;
    struct audience elsewhere = {.ticket = 1, .found = 1, .department_id = 5, .assignee_id = 3};
    assert_false(audience_includes(&elsewhere, &specialist));
    assert_true(audience_includes(&elsewhere, &agent)); /* agents see every ticket */
    assert_true(audience_includes(&elsewhere, &supervisor));
    struct audience home = {.ticket = 1, .found = 1, .department_id = 9};
    assert_true(audience_includes(&home, &specialist));
    struct audience cooperating = {
        .ticket = 1, .found = 1, .department_id = 5, .coop = {2, 4}, .ncoop = 2};
    assert_true(audience_includes(&cooperating, &specialist));
    struct audience theirs = {.ticket = 1, .found = 1, .department_id = 5, .assignee_id = 7};
    assert_true(audience_includes(&theirs, &specialist));
    struct audience registered = {.ticket = 1, .found = 1, .department_id = 5, .created_by = 7};
    assert_true(audience_includes(&registered, &specialist));
    struct audience gone = {.ticket = 1};
    assert_false(audience_includes(&gone, &specialist));
}

static void a_notification_goes_to_its_recipient_only(void **state)
{
    (void)state;
    struct audience note = {.user_id = 8};
    assert_true(audience_includes(&note, &agent));
    assert_false(audience_includes(&note, &specialist));
    assert_false(audience_includes(&note, &supervisor)); /* not even to a supervisor */
}

static void anything_else_goes_to_supervisors_and_admins(void **state)
{
    (void)state;
    struct audience other = {0};
    assert_false(audience_includes(&other, &agent));
    assert_false(audience_includes(&other, &specialist));
    assert_true(audience_includes(&other, &supervisor));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_ticket_event_goes_to_whoever_may_see_the_ticket),
        cmocka_unit_test(a_notification_goes_to_its_recipient_only),
        cmocka_unit_test(anything_else_goes_to_supervisors_and_admins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
