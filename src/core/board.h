/* board.h: the supervisor's live board: the open tickets counted by status, department and
 * assignee, what is overdue and what is due soon, and each agent's load. */
#ifndef KEFU_BOARD_H
#define KEFU_BOARD_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct actor;

enum {
    BOARD_OPEN_STATUSES = 4, /* new, accepted, in_progress, waiting_customer */
    BOARD_LIST_MAX = 100,    /* tickets shown in each list; the counts count them all */
};

/* The open statuses, in lifecycle order: the order of board.by_status. */
extern const char *const board_open_statuses[BOARD_OPEN_STATUSES];

struct board_department {
    int64_t id; /* 0: tickets without a department */
    const char *code, *name;
    long open, overdue, unassigned;
};

struct board_agent {
    int64_t id;
    const char *name, *role;
    long open, overdue, due_soon;
    int on_shift;
};

/* A late ticket: its most pressing running clock (the one due first). */
struct board_item {
    int64_t ticket_id, assignee_id, department_id, due_at;
    const char *number, *subject, *priority, *status, *target;
    const char *assignee_name, *department_code, *department_name; /* NULL when none */
};

struct board {
    int64_t generated_at;
    long open, overdue, due_soon, unassigned;
    long by_status[BOARD_OPEN_STATUSES];
    struct board_department *departments; /* every department, then "none" if it has any */
    size_t ndepartments;
    struct board_agent *agents; /* active agents and specialists, and anyone with open work */
    size_t nagents;
    struct board_item *overdue_list, *due_soon_list; /* due first first, BOARD_LIST_MAX each */
    size_t noverdue_list, ndue_soon_list;
};

/* Fills ret with the board at time now (strings in arena). A ticket is overdue when one of its
 * running clocks is past its due time, and due soon when none is but one is past its warning
 * time (the policy's warn_percent of the budget) and the sweep has warned of it. Supervisors
 * and admins see every department;
 * other roles get KF_EFORBIDDEN. 0 or a negative code. */
int board_get(struct db *db, const struct actor *actor, int64_t now, struct arena *arena,
              struct board *ret);

#endif
