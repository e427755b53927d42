-- reports.sql: what the reports read: the tickets of a period with their times and clocks,
-- the resolutions of a period, the scores of answered surveys, and the names shown.

-- name: report_tickets
-- the tickets created in [$1, $2) matching the filters ('' or 0: any), in creation order
SELECT id, created_at, channel, type, department_id, assignee_id, category_id, sla_policy_id,
       raised_at, first_response_at, resolved_at, sla_breached
FROM tickets
WHERE created_at >= $1 AND created_at < $2
  AND ($3 = '' OR channel = $3) AND ($4 = '' OR type = $4)
  AND ($5 = 0 OR department_id = $5) AND ($6 = 0 OR assignee_id = $6)
  AND ($7 = 0 OR store_id = $7);

-- name: report_tickets_all
-- report_tickets without filters: the supervisor's usual question, with nothing to test per row
SELECT id, created_at, channel, type, department_id, assignee_id, category_id, sla_policy_id,
       raised_at, first_response_at, resolved_at, sla_breached
FROM tickets
WHERE created_at >= $1 AND created_at < $2;

-- name: report_resolved
-- when each ticket matching the filters was resolved in [$1, $2)
SELECT resolved_at FROM tickets
WHERE resolved_at >= $1 AND resolved_at < $2
  AND ($3 = '' OR channel = $3) AND ($4 = '' OR type = $4)
  AND ($5 = 0 OR department_id = $5) AND ($6 = 0 OR assignee_id = $6)
  AND ($7 = 0 OR store_id = $7);

-- name: report_resolved_all
SELECT resolved_at FROM tickets WHERE resolved_at >= $1 AND resolved_at < $2;

-- name: report_scores
-- the scores of answered surveys of tickets $1 to $2, each ticket's rounds in order
SELECT ticket_id, score FROM surveys
WHERE ticket_id >= $1 AND ticket_id <= $2 AND score IS NOT NULL
ORDER BY ticket_id, id;

-- name: report_channels
SELECT code, name FROM channels ORDER BY code;

-- name: report_departments
SELECT id, code, name FROM departments ORDER BY id;

-- name: report_users
SELECT id, name FROM users ORDER BY id;

-- name: report_categories
SELECT id, code, name FROM categories ORDER BY id;
