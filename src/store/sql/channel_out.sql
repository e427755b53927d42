-- channel_out.sql: the queue of what goes out on channels other than mail.

-- name: channel_out_channel
SELECT kind FROM channels WHERE code = $1;

-- name: channel_out_insert
INSERT INTO channel_out(channel, ticket_id, message_id, payload, status, attempts, next_at,
                        created_at)
VALUES ($1, $2, $3, $4, 'queued', 0, $5, $5);

-- name: channel_out_of_message
SELECT status, attempts, last_error, sent_at FROM channel_out
WHERE message_id = $1 ORDER BY id DESC LIMIT 1;

-- name: channel_out_count
SELECT COUNT(*) FROM channel_out WHERE channel = $1 AND status = $2;

-- name: channel_out_due
SELECT o.id, o.channel, o.payload, o.attempts
FROM channel_out o JOIN channels c ON c.code = o.channel
WHERE o.status = 'queued' AND o.next_at <= $1 AND c.enabled = 1 AND o.channel = $3
ORDER BY o.next_at, o.id LIMIT $2;

-- name: channel_out_due_channels
SELECT DISTINCT o.channel FROM channel_out o JOIN channels c ON c.code = o.channel
WHERE o.status = 'queued' AND o.next_at <= $1 AND c.enabled = 1
ORDER BY o.channel LIMIT $2;

-- name: channel_out_tried
UPDATE channel_out SET status = $2, attempts = attempts + 1, next_at = $3, last_error = $4,
                       sent_at = $5
WHERE id = $1 AND status = 'queued' AND attempts = $6;

-- name: channel_out_about
SELECT ticket_id, message_id, status FROM channel_out WHERE id = $1;
