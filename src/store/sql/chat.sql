-- chat.sql: live chat sessions.

-- name: chat_insert
INSERT INTO chat_sessions(ticket_id, token_hash, state, visitor, ip, created_at)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: chat_by_token
SELECT id FROM chat_sessions WHERE id = $1 AND token_hash = $2;

-- name: chat_get
SELECT c.id, c.ticket_id, t.number, c.state, c.visitor, c.agent_id, u.name, c.created_at,
       c.accepted_at, c.closed_at, t.department_id, t.subject
FROM chat_sessions c JOIN tickets t ON t.id = c.ticket_id LEFT JOIN users u ON u.id = c.agent_id
WHERE c.id = $1;

-- name: chat_by_ticket
SELECT id FROM chat_sessions WHERE ticket_id = $1 AND state <> 'closed';

-- name: chat_list
SELECT id FROM chat_sessions WHERE state = $1 ORDER BY id LIMIT 500;

-- name: chat_accept
UPDATE chat_sessions SET state = 'active', agent_id = $2, accepted_at = $3
WHERE id = $1 AND state = 'waiting';

-- name: chat_close
UPDATE chat_sessions SET state = 'closed', closed_at = $2 WHERE id = $1 AND state <> 'closed';

-- name: chat_on_shift_dept
SELECT 1 FROM shifts s JOIN users u ON u.id = s.user_id
WHERE s.department_id = $1 AND s.starts_at <= $2 AND s.ends_at > $2 AND u.active = 1 LIMIT 1;

-- name: chat_on_shift_any
SELECT 1 FROM shifts s JOIN users u ON u.id = s.user_id
WHERE s.starts_at <= $1 AND s.ends_at > $1 AND u.active = 1 LIMIT 1;

-- name: chat_upload_claim
UPDATE attachments SET chat_session_id = $2 WHERE id = $1;

-- name: chat_upload_link
UPDATE attachments SET ticket_id = $2, message_id = $3, chat_session_id = NULL
WHERE id = $1 AND chat_session_id = $4 AND ticket_id IS NULL;

-- name: chat_message_attachments
SELECT id, filename, content_type, size FROM attachments WHERE message_id = $1 ORDER BY id;
