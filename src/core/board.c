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

/* A set of ticket ids, open addressing; cap is a power of two above twice the ids put. */
struct idset {
    int64_t *v;
    size_t cap, n;
};

/* Puts id in the set: 1 when it was new, 0 when it was there. */
static int idset_put(struct idset *s, struct arena *a, int64_t id)
{
    if (2 * (s->n + 1) > s->cap) {
        struct idset t = {arena_alloc(a, (s->cap ? s->cap * 2 : 64) * sizeof(int64_t)),
                          s->cap ? s->cap * 2 : 64, 0};
        memset(t.v, 0, t.cap * sizeof(int64_t));
        for (size_t i = 0; i < s->cap; i++)
            if (s->v[i])
                idset_put(&t, a, s->v[i]);
        *s = t;
    }
    size_t i = (size_t)((uint64_t)id * 0x9E3779B97F4A7C15ull) & (s->cap - 1);
    while (s->v[i]) {
        if (s->v[i] == id)
            return 0;
        i = (i + 1) & (s->cap - 1);
    }
    s->v[i] = id;
    s->n++;
    return 1;
}

static void read_item(struct stmt *st, struct arena *a, struct board_item *it)
{
    *it = (struct board_item){
        .ticket_id = col_int(st, 0),
        .target = arena_strdup(a, col_text(st, 1)),
        .due_at = col_int(st, 2),
        .number = arena_strdup(a, col_text(st, 3)),
        .subject = arena_strdup(a, col_text(st, 4)),
        .priority = arena_strdup(a, col_text(st, 5)),
        .status = arena_strdup(a, col_text(st, 6)),
        .assignee_id = col_int(st, 7),
        .assignee_name = arena_strdup(a, col_text(st, 8)),
        .department_id = col_int(st, 9),
        .department_code = arena_strdup(a, col_text(st, 10)),
        .department_name = arena_strdup(a, col_text(st, 11)),
    };
}

/* The running clocks past their warning time, due first first: the first clock seen of a
 * ticket is its most pressing one, and decides whether the ticket is overdue or due soon. */
static int count_late(struct db *db, int64_t now, struct arena *a, struct board *b)
{
    struct idset seen = {0};
    b->overdue_list = arena_alloc(a, BOARD_LIST_MAX * sizeof(*b->overdue_list));
    b->due_soon_list = arena_alloc(a, BOARD_LIST_MAX * sizeof(*b->due_soon_list));
    struct stmt *st = db_stmt(db, SQL_board_late);
    st_int(st, 1, now);
    int rc;
    while ((rc = st_step(st)) == 1) {
        int64_t ticket = col_int(st, 0), due = col_int(st, 2);
        if (!idset_put(&seen, a, ticket))
            continue;
        int overdue = due <= now;
        int64_t dept = col_int(st, 9), assignee = col_int(st, 7);
        struct board_department *d = find_dept(b, dept);
        if (!d)
            d = &b->departments[b->ndepartments];
        struct board_agent *ag = assignee ? find_agent(b, assignee) : NULL;
        struct board_item *list = overdue ? b->overdue_list : b->due_soon_list;
        size_t *n = overdue ? &b->noverdue_list : &b->ndue_soon_list;
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
        if (*n < BOARD_LIST_MAX)
            read_item(st, a, &list[(*n)++]);
    }
    st_reset(st);
    return rc < 0 ? rc : 0;
}

int board_get(struct db *db, const struct actor *actor, int64_t now, struct arena *arena,
              struct board *ret)
{
    if (!actor || !role_is_lead(actor->role))
        return KF_EFORBIDDEN;
    struct board b = {.generated_at = now};
    int rc;
    if ((rc = read_departments(db, arena, &b)) || (rc = read_agents(db, now, arena, &b)) ||
        (rc = count_open(db, &b)) || (rc = count_late(db, now, arena, &b)))
        return rc;
    struct board_department *none = &b.departments[b.ndepartments];
    if (none->open || none->overdue)
        b.ndepartments++;
    *ret = b;
    return 0;
}
