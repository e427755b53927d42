-- calls.sql: phone calls as a telephony system reports them.

-- name: call_insert
INSERT INTO calls(channel, call_id, caller, agent, agent_id, customer_id, started_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (channel, call_id) DO NOTHING;

-- name: call_agent_id
SELECT id FROM users WHERE username = $1 AND active = 1;

-- name: call_customer_by_phone
SELECT id FROM customers WHERE phone = $1
UNION SELECT customer_id FROM customer_identities WHERE kind = 'phone' AND value = $1
LIMIT 1;

-- name: call_on_shift
SELECT DISTINCT s.user_id FROM shifts s JOIN users u ON u.id = s.user_id
WHERE s.starts_at <= $1 AND s.ends_at > $1 AND u.active = 1 ORDER BY s.user_id;

-- name: call_staff
SELECT id FROM users WHERE active = 1 ORDER BY id;

-- name: call_history
SELECT id, number, subject, status, created_at FROM tickets
WHERE customer_id = $1 AND created_at >= $2 ORDER BY created_at DESC LIMIT 20;

-- name: call_answered
UPDATE calls SET answered_at = $3, agent = COALESCE(agent, $4), agent_id = COALESCE(agent_id, $5)
WHERE channel = $1 AND call_id = $2 AND answered_at IS NULL AND ended_at IS NULL;

-- name: call_ended
UPDATE calls SET ended_at = $3, recording_url = COALESCE($4, recording_url)
WHERE channel = $1 AND call_id = $2 AND ended_at IS NULL;

-- name: call_get
SELECT id, caller, agent_id, customer_id, started_at, answered_at, ended_at FROM calls
WHERE channel = $1 AND call_id = $2;

-- name: call_registered_ticket
SELECT id FROM tickets WHERE customer_id = $1 AND created_by = $2 AND created_at >= $3
AND created_at <= $4 ORDER BY id DESC LIMIT 1;

-- name: call_set_ticket
UPDATE calls SET ticket_id = $2, customer_id = COALESCE(customer_id, $3) WHERE id = $1;

-- name: call_list_ticket
SELECT call_id, caller, agent, started_at, answered_at, ended_at, recording_url, ticket_id
FROM calls WHERE ticket_id = $1 ORDER BY started_at, id;

-- name: call_list_recent
SELECT call_id, caller, agent, started_at, answered_at, ended_at, recording_url, ticket_id
FROM calls ORDER BY started_at DESC, id DESC LIMIT 50;
