-- board.sql: the supervisor's board and the outbox as the live stream reads it.

-- name: board_open_counts
SELECT status, department_id, assignee_id, count(*) FROM tickets
WHERE status IN ('new', 'accepted', 'in_progress', 'waiting_customer')
GROUP BY status, department_id, assignee_id;

-- name: board_late
-- the running clocks past their warning time (those the sweep has warned of: deadlines_late),
-- with their tickets' department and assignee, in no order (CROSS JOIN keeps the clocks the
-- outer loop: SQLite, knowing no sizes, would otherwise walk every open ticket)
SELECT d.ticket_id, d.due_at, t.department_id, t.assignee_id
FROM deadlines d
CROSS JOIN tickets t ON t.id = d.ticket_id
WHERE d.run_from IS NOT NULL AND d.warned_at IS NOT NULL AND d.warn_at <= $1
  AND d.due_at IS NOT NULL
  AND t.status IN ('new', 'accepted', 'in_progress', 'waiting_customer');

-- name: board_overdue_clocks
SELECT ticket_id, target, due_at FROM deadlines
WHERE run_from IS NOT NULL AND warned_at IS NOT NULL AND warn_at <= $1 AND due_at IS NOT NULL
  AND due_at <= $1
ORDER BY due_at, id LIMIT $2;

-- name: board_due_soon_clocks
SELECT ticket_id, target, due_at FROM deadlines
WHERE run_from IS NOT NULL AND warned_at IS NOT NULL AND warn_at <= $1 AND due_at IS NOT NULL
  AND due_at > $1
ORDER BY due_at, id;

-- name: board_item
SELECT t.number, t.subject, t.priority, t.status, t.assignee_id, a.name, t.department_id,
       dp.code, dp.name
FROM tickets t
LEFT JOIN users a ON a.id = t.assignee_id
LEFT JOIN departments dp ON dp.id = t.department_id
WHERE t.id = $1;

-- name: board_departments
SELECT id, code, name FROM departments ORDER BY id;

-- name: board_staff
SELECT id, name, role FROM users
WHERE (active = 1 AND role IN ('agent', 'specialist'))
   OR id IN (SELECT assignee_id FROM tickets
             WHERE status IN ('new', 'accepted', 'in_progress', 'waiting_customer')
               AND assignee_id IS NOT NULL)
ORDER BY id;

-- name: board_on_shift
SELECT user_id FROM shifts WHERE ends_at > $1 AND starts_at <= $1;

-- name: events_after
SELECT id, at, kind, entity, entity_id, payload FROM events WHERE id > $1 AND id <= $3
ORDER BY id LIMIT $2;

-- name: events_last
SELECT coalesce(max(id), 0) FROM events;

-- name: event_ticket_audience
SELECT department_id, cooperating, assignee_id, created_by FROM tickets WHERE id = $1;

-- name: user_departments
SELECT department_id FROM users WHERE id = $1 AND department_id IS NOT NULL
UNION SELECT department_id FROM department_members WHERE user_id = $1;

-- name: session_alive
SELECT u.role, u.department_id FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.id = $1 AND s.expires_at > $2 AND u.active = 1;

-- name: token_alive
SELECT u.role, u.department_id FROM api_tokens t JOIN users u ON u.id = t.user_id
WHERE t.id = $1 AND t.revoked_at IS NULL AND u.active = 1
  AND (t.expires_at IS NULL OR t.expires_at > $2);
