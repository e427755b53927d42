-- hooks.sql: a webhook channel's messages and the threads they keep.

-- name: hook_message_find
SELECT h.ticket_id, h.message_id, t.number FROM hook_messages h
JOIN tickets t ON t.id = h.ticket_id WHERE h.channel = $1 AND h.external_id = $2;

-- name: hook_thread_ticket
SELECT h.ticket_id FROM hook_messages h JOIN tickets t ON t.id = h.ticket_id
WHERE h.channel = $1 AND h.thread_id = $2 AND t.status <> 'closed'
ORDER BY h.id DESC LIMIT 1;

-- name: hook_message_insert
INSERT INTO hook_messages(channel, external_id, thread_id, ticket_id, message_id, created_at)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: hook_ticket_thread
SELECT thread_id FROM hook_messages WHERE ticket_id = $1 AND thread_id IS NOT NULL
ORDER BY id DESC LIMIT 1;

-- name: hook_customer_external_id
SELECT value FROM customer_identities WHERE customer_id = $1 AND kind = $2;

-- name: hook_reply_url
SELECT s.value FROM channels c JOIN channel_settings s ON s.channel = c.code
WHERE c.code = $1 AND c.kind = 'webhook' AND s.key = 'reply_url';
