-- sla.sql: calendars, SLA policies, deadlines and notifications.

-- name: calendar_insert
INSERT INTO calendars(name, time_zone, created_at, updated_at) VALUES ($1, $2, $3, $3);

-- name: calendar_update
UPDATE calendars SET name = $2, time_zone = $3, updated_at = $4 WHERE id = $1;

-- name: calendar_by_id
SELECT id, name, time_zone, created_at, updated_at FROM calendars WHERE id = $1;

-- name: calendar_list
SELECT id, name, time_zone, created_at, updated_at FROM calendars ORDER BY id;

-- name: calendar_hours_of
SELECT weekday, start_min, end_min FROM calendar_hours WHERE calendar_id = $1
ORDER BY weekday, start_min;

-- name: calendar_days_of
SELECT day, kind FROM calendar_days WHERE calendar_id = $1 ORDER BY day;

-- name: calendar_hours_delete
DELETE FROM calendar_hours WHERE calendar_id = $1;

-- name: calendar_days_delete
DELETE FROM calendar_days WHERE calendar_id = $1;

-- name: calendar_hour_insert
INSERT INTO calendar_hours(calendar_id, weekday, start_min, end_min) VALUES ($1, $2, $3, $4);

-- name: calendar_day_insert
INSERT INTO calendar_days(calendar_id, day, kind) VALUES ($1, $2, $3);

-- name: calendar_delete
DELETE FROM calendars WHERE id = $1;

-- name: calendar_in_use
SELECT count(*) FROM sla_policies WHERE calendar_id = $1;

-- name: sla_policy_insert
INSERT INTO sla_policies(name, priority, type, accept_minutes, first_response_minutes,
                         resolve_minutes, calendar_id, warn_percent, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9);

-- name: sla_policy_update
UPDATE sla_policies SET name = $2, priority = $3, type = $4, accept_minutes = $5,
    first_response_minutes = $6, resolve_minutes = $7, calendar_id = $8, warn_percent = $9,
    updated_at = $10
WHERE id = $1;

-- name: sla_policy_release
UPDATE tickets SET sla_policy_id = NULL WHERE sla_policy_id = $1;

-- name: sla_policy_delete
DELETE FROM sla_policies WHERE id = $1;

-- name: sla_policy_by_id
SELECT id, name, priority, type, accept_minutes, first_response_minutes, resolve_minutes,
       calendar_id, warn_percent, created_at, updated_at
FROM sla_policies WHERE id = $1;

-- name: sla_policy_list
SELECT id, name, priority, type, accept_minutes, first_response_minutes, resolve_minutes,
       calendar_id, warn_percent, created_at, updated_at
FROM sla_policies
ORDER BY CASE priority WHEN 'urgent' THEN 1 WHEN 'high' THEN 2 WHEN 'medium' THEN 3 ELSE 4 END,
         type IS NOT NULL, type, id;

-- name: sla_policy_for
SELECT id, name, priority, type, accept_minutes, first_response_minutes, resolve_minutes,
       calendar_id, warn_percent, created_at, updated_at
FROM sla_policies WHERE priority = $1 AND coalesce(type, '') IN ($2, '')
ORDER BY coalesce(type, '') DESC LIMIT 1; -- the type's own first, in sla_policies_scope order

-- name: sla_policy_scope_taken
SELECT id FROM sla_policies WHERE priority = $1 AND coalesce(type, '') = coalesce($2, '')
AND id <> $3;

-- name: deadlines_start
-- a new ticket's clocks, those of its policy (a budget of NULL: the policy has no such clock)
INSERT INTO deadlines(ticket_id, target, budget_ms, used_ms, run_from, due_at, warn_at, next_at)
SELECT $1, column1, column2, 0, $2, column3, column4, column5
FROM (VALUES ('accept', $3, $4, $5, $6), ('first_response', $7, $8, $9, $10),
             ('resolve', $11, $12, $13, $14)) AS clocks
WHERE column2 IS NOT NULL;

-- name: deadline_insert
INSERT INTO deadlines(ticket_id, target, budget_ms, used_ms, run_from, due_at, warn_at, next_at)
VALUES ($1, $2, $3, 0, $4, $5, $6, $7);

-- name: deadlines_of
SELECT id, ticket_id, target, budget_ms, used_ms, run_from, due_at, warn_at, next_at,
       warned_at, breached_at, met_at
FROM deadlines WHERE ticket_id = $1 ORDER BY id;

-- name: deadline_by_id
SELECT id, ticket_id, target, budget_ms, used_ms, run_from, due_at, warn_at, next_at,
       warned_at, breached_at, met_at
FROM deadlines WHERE id = $1;

-- name: deadline_save
UPDATE deadlines SET budget_ms = $2, used_ms = $3, run_from = $4, due_at = $5, warn_at = $6,
    next_at = $7, warned_at = $8, breached_at = $9, met_at = $10
WHERE id = $1;

-- name: deadlines_due
SELECT id FROM deadlines WHERE next_at <= $1 ORDER BY next_at, id LIMIT $2;

-- name: ticket_sla_facts
SELECT t.id, t.status, t.priority, t.type, t.assignee_id, t.department_id, d.supervisor_id,
       t.sla_policy_id, p.calendar_id, p.warn_percent, t.number, t.subject
FROM tickets t
LEFT JOIN departments d ON d.id = t.department_id
LEFT JOIN sla_policies p ON p.id = t.sla_policy_id
WHERE t.id = $1;

-- name: ticket_sla_set
UPDATE tickets SET sla_policy_id = $2, sla_paused = $3, sla_breached = $4,
    accept_by = (SELECT due_at FROM deadlines WHERE ticket_id = $1 AND target = 'accept'),
    first_response_by = (SELECT due_at FROM deadlines
                         WHERE ticket_id = $1 AND target = 'first_response'),
    resolve_by = (SELECT due_at FROM deadlines WHERE ticket_id = $1 AND target = 'resolve')
WHERE id = $1;

-- name: supervisors_active
SELECT id FROM users WHERE role = 'supervisor' AND active = 1 ORDER BY id;

-- name: notification_insert
INSERT INTO notifications(user_id, kind, ticket_id, payload, created_at)
VALUES ($1, $2, $3, $4, $5);

-- name: notification_list
SELECT id, kind, ticket_id, payload, created_at, read_at FROM notifications
WHERE user_id = $1 AND id < $2 AND ($3 = 0 OR read_at IS NULL)
ORDER BY id DESC LIMIT $4;

-- name: notification_unread
SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL;

-- name: notification_read
UPDATE notifications SET read_at = $3 WHERE id = $1 AND user_id = $2 AND read_at IS NULL;

-- name: notification_owner
SELECT user_id FROM notifications WHERE id = $1;
