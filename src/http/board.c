/* board.c: GET /api/v1/board, the supervisor's live board as JSON. */
#include "core/board.h"
#include "http/handlers.h"
#include "http/json.h"
#include "lib/banned.h"
#include "lib/jw.h"
#include "lib/ktime.h"

static void items(struct jw *w, const char *key, const struct board_item *v, size_t n)
{
    jw_key(w, key);
    jw_arr_begin(w);
    for (size_t i = 0; i < n; i++) {
        jw_obj_begin(w);
        jw_kint(w, "id", v[i].ticket_id);
        jw_kstr(w, "number", v[i].number);
        jw_kstr(w, "subject", v[i].subject);
        jw_kstr(w, "priority", v[i].priority);
        jw_kstr(w, "status", v[i].status);
        jw_ref(w, "assignee", v[i].assignee_id, v[i].assignee_name);
        jw_dept_ref(w, "department", v[i].department_id, v[i].department_code,
                    v[i].department_name);
        jw_kstr(w, "target", v[i].target);
        jw_time(w, "due_at", v[i].due_at);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

int h_board(struct request *req, struct response *resp)
{
    struct board b;
    int rc = board_get(req->db, &req->actor, ktime_now(), req->arena, &b);
    if (rc)
        return reply_error(resp, rc, NULL);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_time(&w, "generated_at", b.generated_at);
    jw_key(&w, "totals");
    jw_obj_begin(&w);
    jw_kint(&w, "open", b.open);
    jw_kint(&w, "overdue", b.overdue);
    jw_kint(&w, "due_soon", b.due_soon);
    jw_kint(&w, "unassigned", b.unassigned);
    jw_obj_end(&w);
    jw_key(&w, "by_status");
    jw_obj_begin(&w);
    for (int i = 0; i < BOARD_OPEN_STATUSES; i++)
        jw_kint(&w, board_open_statuses[i], b.by_status[i]);
    jw_obj_end(&w);
    jw_key(&w, "by_department");
    jw_arr_begin(&w);
    for (size_t i = 0; i < b.ndepartments; i++) {
        const struct board_department *d = &b.departments[i];
        jw_obj_begin(&w);
        jw_dept_ref(&w, "department", d->id, d->code, d->name);
        jw_kint(&w, "open", d->open);
        jw_kint(&w, "overdue", d->overdue);
        jw_kint(&w, "unassigned", d->unassigned);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_key(&w, "by_assignee");
    jw_arr_begin(&w);
    for (size_t i = 0; i < b.nagents; i++) {
        const struct board_agent *a = &b.agents[i];
        jw_obj_begin(&w);
        jw_ref(&w, "user", a->id, a->name);
        jw_kstr(&w, "role", a->role);
        jw_kint(&w, "open", a->open);
        jw_kint(&w, "overdue", a->overdue);
        jw_kint(&w, "due_soon", a->due_soon);
        jw_kbool(&w, "on_shift", a->on_shift);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    items(&w, "overdue", b.overdue_list, b.noverdue_list);
    items(&w, "due_soon", b.due_soon_list, b.ndue_soon_list);
    jw_obj_end(&w);
    return 200;
}
