-- assign.sql: shifts, automatic assignment, transfers and nudges.

-- name: shift_insert
INSERT INTO shifts(user_id, department_id, starts_at, ends_at, created_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: shift_by_id
SELECT s.id, s.user_id, u.name, s.department_id, s.starts_at, s.ends_at, s.created_by,
       s.created_at
FROM shifts s JOIN users u ON u.id = s.user_id WHERE s.id = $1;

-- name: shift_list
SELECT s.id, s.user_id, u.name, s.department_id, s.starts_at, s.ends_at, s.created_by,
       s.created_at
FROM shifts s JOIN users u ON u.id = s.user_id
WHERE s.ends_at > $1 AND s.starts_at < $2 AND ($3 = 0 OR s.department_id = $3)
  AND ($4 = 0 OR s.user_id = $4)
ORDER BY s.starts_at, s.id LIMIT 2000;

-- name: shift_overlap
SELECT id FROM shifts WHERE user_id = $1 AND starts_at < $3 AND ends_at > $2 AND id <> $4 LIMIT 1;

-- name: shift_delete
DELETE FROM shifts WHERE id = $1;

-- name: shift_candidates
SELECT DISTINCT s.user_id, u.name FROM shifts s JOIN users u ON u.id = s.user_id
WHERE s.department_id = $1 AND s.starts_at <= $2 AND s.ends_at > $2 AND u.active = 1
ORDER BY s.user_id LIMIT 200;

-- name: member_of
SELECT 1 FROM users u WHERE u.id = $1 AND u.active = 1
AND (u.department_id = $2
     OR EXISTS (SELECT 1 FROM department_members m WHERE m.user_id = $1 AND m.department_id = $2));

-- name: open_load
SELECT count(*) FROM tickets
WHERE assignee_id = $1 AND status IN ('new', 'accepted', 'in_progress', 'waiting_customer');

-- name: assign_mode
SELECT assignment, supervisor_id FROM departments WHERE id = $1;

-- name: assign_cursor_get
SELECT last_user_id FROM assign_cursor WHERE department_id = $1;

-- name: assign_cursor_set
INSERT INTO assign_cursor(department_id, last_user_id) VALUES ($1, $2)
ON CONFLICT(department_id) DO UPDATE SET last_user_id = excluded.last_user_id;

-- name: ticket_assign
UPDATE tickets SET assignee_id = $2, department_id = $3, updated_at = $4, version = version + 1
WHERE id = $1;

-- name: transfer_insert
INSERT INTO transfers(ticket_id, kind, from_user_id, from_department_id, to_user_id,
                      to_department_id, reason, due_at, actor_id, at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

-- name: transfer_list
SELECT tr.id, tr.kind, tr.from_user_id, fu.name, tr.from_department_id, fd.name, tr.to_user_id,
       tu.name, tr.to_department_id, td.name, tr.reason, tr.due_at, tr.actor_id, au.name, tr.at
FROM transfers tr
LEFT JOIN users fu ON fu.id = tr.from_user_id
LEFT JOIN departments fd ON fd.id = tr.from_department_id
LEFT JOIN users tu ON tu.id = tr.to_user_id
LEFT JOIN departments td ON td.id = tr.to_department_id
LEFT JOIN users au ON au.id = tr.actor_id
WHERE tr.ticket_id = $1 ORDER BY tr.id;

-- name: ticket_cooperating_set
UPDATE tickets SET cooperating = $2, updated_at = $3, version = version + 1 WHERE id = $1;

-- name: department_ref
SELECT id, code, name FROM departments WHERE id = $1;

-- name: user_department
SELECT coalesce(department_id, 0) FROM users WHERE id = $1;
