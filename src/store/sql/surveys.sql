-- surveys.sql: satisfaction surveys and second handling.

-- name: survey_insert
INSERT INTO surveys(ticket_id, round, channel, scale, state, created_at, send_at, next_at)
VALUES ($1, $2, $3, $4, 'pending', $5, $6, $6);

-- name: survey_cancel_pending
UPDATE surveys SET state = 'cancelled', next_at = NULL
WHERE ticket_id = $1 AND state = 'pending';

-- name: survey_rounds
SELECT coalesce(max(round), 0) FROM surveys WHERE ticket_id = $1;

-- name: survey_due
SELECT id FROM surveys WHERE next_at IS NOT NULL AND next_at <= $1 ORDER BY next_at, id
LIMIT $2;

-- name: survey_by_id
SELECT s.id, s.ticket_id, s.round, s.channel, s.scale, s.state, s.sent_at, s.expires_at,
       s.next_at, s.rating, s.score, s.comment, s.answered_at, t.number, t.subject, t.status
FROM surveys s JOIN tickets t ON t.id = s.ticket_id WHERE s.id = $1;

-- name: survey_by_token
SELECT s.id, s.ticket_id, s.round, s.channel, s.scale, s.state, s.sent_at, s.expires_at,
       s.next_at, s.rating, s.score, s.comment, s.answered_at, t.number, t.subject, t.status
FROM surveys s JOIN tickets t ON t.id = s.ticket_id WHERE s.token_hash = $1;

-- name: survey_open_of
SELECT s.id, s.ticket_id, s.round, s.channel, s.scale, s.state, s.sent_at, s.expires_at,
       s.next_at, s.rating, s.score, s.comment, s.answered_at, t.number, t.subject, t.status
FROM surveys s JOIN tickets t ON t.id = s.ticket_id
WHERE s.ticket_id = $1 AND s.state = 'open' ORDER BY s.id DESC LIMIT 1;

-- name: survey_sent
UPDATE surveys SET state = 'open', token_hash = $2, sent_at = $3, sent_via = $4,
    expires_at = $5, next_at = $5
WHERE id = $1 AND state = 'pending';

-- name: survey_expire
UPDATE surveys SET state = 'expired', next_at = NULL WHERE id = $1 AND state = 'open';

-- name: survey_answer
UPDATE surveys SET state = 'answered', rating = $2, score = $3, comment = $4, answered_at = $5,
    answered_via = $6, next_at = NULL
WHERE id = $1 AND state = 'open';

-- name: survey_ticket_rating
UPDATE tickets SET satisfaction = $2 WHERE id = $1;

-- name: survey_answered_of
SELECT rating, score, comment, answered_at FROM surveys
WHERE ticket_id = $1 AND state = 'answered' ORDER BY id DESC LIMIT 1;

-- name: survey_ticket_contact
SELECT t.channel, c.kind, cu.phone, cu.email, su.id, t.department_id, t.assignee_id,
       (SELECT count(*) FROM chat_sessions cs WHERE cs.ticket_id = t.id)
FROM tickets t
JOIN customers cu ON cu.id = t.customer_id
LEFT JOIN channels c ON c.code = t.channel
LEFT JOIN departments d ON d.id = t.department_id
LEFT JOIN users su ON su.id = d.supervisor_id AND su.active = 1
WHERE t.id = $1;

-- name: second_handling_insert
INSERT INTO second_handlings(ticket_id, round, survey_id, started_at, due_at)
VALUES ($1, $2, $3, $4, $5);

-- name: second_handling_end
UPDATE second_handlings SET ended_at = $2 WHERE ticket_id = $1 AND ended_at IS NULL;

-- name: second_handling_of
SELECT round, started_at, due_at, ended_at FROM second_handlings WHERE ticket_id = $1
ORDER BY round DESC LIMIT 1;

-- name: second_handling_open
SELECT h.ticket_id, h.round, h.started_at, h.due_at, t.number, t.subject, t.status,
       t.assignee_id, u.name, dl.warned_at, dl.breached_at
FROM second_handlings h
JOIN tickets t ON t.id = h.ticket_id
LEFT JOIN users u ON u.id = t.assignee_id
LEFT JOIN deadlines dl ON dl.ticket_id = h.ticket_id AND dl.target = 'second_handling'
WHERE h.ended_at IS NULL
ORDER BY h.due_at, h.ticket_id
LIMIT $1;
