/* board.c: the supervisor's board, from the open-tickets index and the clocks past their
 * warning time (migration 007): its cost grows with what is open and what is late. */
#include "core/board.h"

#include <string.h>

#include "core/actor.h"
#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "store/db.h"

const char *const board_open_statuses[BOARD_OPEN_STATUSES] = {"new", "accepted", "in_progress",
                                                              "waiting_customer"};

/* Makes room for one more element of size sz in *v (n used of *cap), copying into the arena. */
static void *grow(struct arena *a, void *v, size_t n, size_t *cap, size_t sz)
{
    if (n < *cap)
        return v;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *w = arena_alloc(a, ncap * sz);
    if (n)
        memcpy(w, v, n * sz);
    *cap = ncap;
    return w;
}

static int status_index(const char *s)
{
    for (int i = 0; i < BOARD_OPEN_STATUSES; i++)
        if (s && !strcmp(s, board_open_statuses[i]))
            return i;
    return -1;
}

static struct board_department *find_dept(struct board *b, int64_t id)
{
    for (size_t i = 0; i < b->ndepartments; i++)
        if (b->departments[i].id == id)
            return &b->departments[i];
    return NULL;
}

static struct board_agent *find_agent(struct board *b, int64_t id)
{
    /* agents are read in id order */
    size_t lo = 0, hi = b->nagents;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (b->agents[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < b->nagents && b->agents[lo].id == id ? &b->agents[lo] : NULL;
}

static int read_departments(struct db *db, struct arena *a, struct board *b)
{
    struct stmt *st = db_stmt(db, SQL_board_departments);
    size_t cap = 0;
    int rc;
    while ((rc = st_step(st)) == 1) {
        b->departments = grow(a, b->departments, b->ndepartments, &cap, sizeof(*b->departments));
        b->departments[b->ndepartments++] = (struct board_department){
            .id = col_int(st, 0),
            .code = arena_strdup(a, col_text(st, 1)),
            .name = arena_strdup(a, col_text(st, 2)),
        };
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    /* one more for the tickets of no department, kept only if it has any */
    b->departments = grow(a, b->departments, b->ndepartments, &cap, sizeof(*b->departments));
    b->departments[b->ndepartments] = (struct board_department){0};
    return 0;
}

static int read_agents(struct db *db, int64_t now, struct arena *a, struct board *b)
{
    struct stmt *st = db_stmt(db, SQL_board_staff);
    size_t cap = 0;
    int rc;
    while ((rc = st_step(st)) == 1) {
        b->agents = grow(a, b->agents, b->nagents, &cap, sizeof(*b->agents));
        b->agents[b->nagents++] = (struct board_agent){
            .id = col_int(st, 0),
            .name = arena_strdup(a, col_text(st, 1)),
            .role = arena_strdup(a, col_text(st, 2)),
        };
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    st = db_stmt(db, SQL_board_on_shift);
    st_int(st, 1, now);
    while ((rc = st_step(st)) == 1) {
        struct board_agent *ag = find_agent(b, col_int(st, 0));
        if (ag)
            ag->on_shift = 1;
    }
    st_reset(st);
    return rc < 0 ? rc : 0;
}

static int count_open(struct db *db, struct board *b)
{
    struct stmt *st = db_stmt(db, SQL_board_open_counts);
    int rc;
    while ((rc = st_step(st)) == 1) {
        int s = status_index(col_text(st, 0));
        int64_t dept = col_int(st, 1), assignee = col_int(st, 2);
        long n = (long)col_int(st, 3);
        if (s < 0)
            continue;
        b->open += n;
        b->by_status[s] += n;
        if (!assignee)
            b->unassigned += n;
        struct board_department *d = find_dept(b, dept);
        if (!d) /* no department, or one made since it was read */
            d = &b->departments[b->ndepartments];
        d->open += n;
        if (!assignee)
            d->unassigned += n;
        struct board_agent *ag = assignee ? find_agent(b, assignee) : NULL;
        if (ag)
            ag->open += n;
    }
    st_reset(st);
    return rc < 0 ? rc : 0;
}

/* The late tickets: an open-addressing map from ticket id to whether one of its clocks is
 * overdue; cap is a power of two above twice the ids put. */
struct late {
    int64_t id;
    int overdue;
};
struct late_map {
    struct late *v;
    size_t cap, n;
};

/* The slot of id (id 0 where it would go), growing the map first when put. */
static struct late *late_slot(struct late_map *m, struct arena *a, int64_t id, int put)
{
    if (put && 2 * (m->n + 1) > m->cap) {
        struct late_map t = {arena_alloc(a, (m->cap ? m->cap * 2 : 256) * sizeof(struct late)),
                             m->cap ? m->cap * 2 : 256, 0};
        memset(t.v, 0, t.cap * sizeof(struct late));
        for (size_t i = 0; i < m->cap; i++)
            if (m->v[i].id) {
                *late_slot(&t, a, m->v[i].id, 0) = m->v[i];
                t.n++;
            }
        *m = t;
    }
    if (!m->cap)
        return NULL;
    size_t i = (size_t)((uint64_t)id * 0x9E3779B97F4A7C15ull) & (m->cap - 1);
    while (m->v[i].id && m->v[i].id != id)
        i = (i + 1) & (m->cap - 1);
    return &m->v[i];
}

/* Counts the late tickets: each running clock past its warning time, in no order. A ticket is
 * overdue when any of its clocks is past due. */
static int count_late(struct db *db, int64_t now, struct arena *a, struct board *b,
                      struct late_map *m)
{
    struct stmt *st = db_stmt(db, SQL_board_late);
    st_int(st, 1, now);
    int rc;
    while ((rc = st_step(st)) == 1) {
        int64_t ticket = col_int(st, 0), due = col_int(st, 1);
        struct late *l = late_slot(m, a, ticket, 1);
        int overdue = due <= now;
        if (l->id && (l->overdue || !overdue))
            continue; /* counted, and no change */
        int64_t dept = col_int(st, 2), assignee = col_int(st, 3);
        struct board_department *d = find_dept(b, dept);
        if (!d)
            d = &b->departments[b->ndepartments];
        struct board_agent *ag = assignee ? find_agent(b, assignee) : NULL;
        if (l->id) { /* was due soon, is overdue after all */
            b->due_soon--;
            if (ag)
                ag->due_soon--;
        } else {
            l->id = ticket;
            m->n++;
        }
        l->overdue = overdue;
        if (overdue) {
            b->overdue++;
            d->overdue++;
            if (ag)
                ag->overdue++;
        } else {
            b->due_soon++;
            if (ag)
                ag->due_soon++;
        }
    }
    st_reset(st);
    return rc < 0 ? rc : 0;
}

static int read_item(struct db *db, struct arena *a, int64_t ticket, const char *target,
                     int64_t due, struct board_item *it)
{
    struct stmt *st = db_stmt(db, SQL_board_item);
    st_int(st, 1, ticket);
    int rc = st_step(st);
    if (rc == 1)
        *it = (struct board_item){
            .ticket_id = ticket,
            .target = target,
            .due_at = due,
            .number = arena_strdup(a, col_text(st, 0)),
            .subject = arena_strdup(a, col_text(st, 1)),
            .priority = arena_strdup(a, col_text(st, 2)),
            .status = arena_strdup(a, col_text(st, 3)),
            .assignee_id = col_int(st, 4),
            .assignee_name = arena_strdup(a, col_text(st, 5)),
            .department_id = col_int(st, 6),
            .department_code = arena_strdup(a, col_text(st, 7)),
            .department_name = arena_strdup(a, col_text(st, 8)),
        };
    st_reset(st);
    return rc;
}

/* One list, due first first: the first BOARD_LIST_MAX tickets of the map with overdue as
 * asked, each with the clock of it seen first (the one due first). */
static int list_late(struct db *db, int64_t now, int overdue, struct arena *a, struct late_map *m,
                     struct board_item *list, size_t *n)
{
    struct stmt *st = db_stmt(db, overdue ? SQL_board_overdue_clocks : SQL_board_due_soon_clocks);
    st_int(st, 1, now);
    if (overdue) /* a ticket has at most SLA__COUNT clocks */
        st_int(st, 2, BOARD_LIST_MAX * 5);
    int64_t *ids = arena_alloc(a, BOARD_LIST_MAX * sizeof(*ids)),
            *dues = arena_alloc(a, BOARD_LIST_MAX * sizeof(*dues));
    const char **targets = arena_alloc(a, BOARD_LIST_MAX * sizeof(*targets));
    size_t k = 0;
    int rc;
    while (k < BOARD_LIST_MAX && (rc = st_step(st)) == 1) {
        struct late *l = late_slot(m, a, col_int(st, 0), 0);
        if (!l || !l->id || l->overdue != overdue)
            continue; /* not open, the other list's, or shown already */
        l->overdue = 2;
        ids[k] = l->id;
        targets[k] = arena_strdup(a, col_text(st, 1));
        dues[k++] = col_int(st, 2);
    }
    st_reset(st);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < k; i++) {
        if ((rc = read_item(db, a, ids[i], targets[i], dues[i], &list[*n])) < 0)
            return rc;
        if (rc == 1)
            (*n)++;
    }
    return 0;
}

int board_get(struct db *db, const struct actor *actor, int64_t now, struct arena *arena,
              struct board *ret)
{
    if (!actor || !role_is_lead(actor->role))
        return KF_EFORBIDDEN;
    struct board b = {.generated_at = now};
    struct late_map late = {0};
    b.overdue_list = arena_alloc(arena, BOARD_LIST_MAX * sizeof(*b.overdue_list));
    b.due_soon_list = arena_alloc(arena, BOARD_LIST_MAX * sizeof(*b.due_soon_list));
    int rc;
    if ((rc = read_departments(db, arena, &b)) || (rc = read_agents(db, now, arena, &b)) ||
        (rc = count_open(db, &b)) || (rc = count_late(db, now, arena, &b, &late)) ||
        (rc = list_late(db, now, 1, arena, &late, b.overdue_list, &b.noverdue_list)) ||
        (rc = list_late(db, now, 0, arena, &late, b.due_soon_list, &b.ndue_soon_list)))
        return rc;
    struct board_department *none = &b.departments[b.ndepartments];
    if (none->open || none->overdue)
        b.ndepartments++;
    *ret = b;
    return 0;
}
