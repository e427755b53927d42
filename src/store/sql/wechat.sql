-- wechat.sql: followers' messages taken in from WeChat official accounts.

-- name: wechat_msg_get
SELECT ticket_id, new_ticket FROM wechat_messages WHERE channel = $1 AND msg_key = $2;

-- name: wechat_msg_insert
INSERT INTO wechat_messages(channel, msg_key, openid, ticket_id, message_id, new_ticket,
                            created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: wechat_follower_open_ticket
SELECT w.ticket_id FROM wechat_messages w JOIN tickets t ON t.id = w.ticket_id
WHERE w.channel = $1 AND w.openid = $2 AND t.status <> 'closed'
ORDER BY w.id DESC LIMIT 1;

-- name: wechat_ticket_openid
SELECT openid FROM wechat_messages WHERE ticket_id = $1 ORDER BY id DESC LIMIT 1;

-- name: wechat_media_insert
INSERT INTO wechat_media(channel, ticket_id, message_id, media_id, kind, status, attempts, next_at,
                         created_at)
VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $6);

-- name: wechat_media_due
SELECT id, ticket_id, message_id, media_id, kind, attempts FROM wechat_media
WHERE status = 'queued' AND next_at <= $1 AND channel = $3 ORDER BY next_at, id LIMIT $2;

-- name: wechat_media_due_channels
SELECT DISTINCT m.channel FROM wechat_media m JOIN channels c ON c.code = m.channel
WHERE m.status = 'queued' AND m.next_at <= $1 AND c.enabled = 1 ORDER BY m.channel LIMIT $2;

-- name: wechat_media_tried
UPDATE wechat_media SET status = $2, attempts = attempts + 1, next_at = $3, last_error = $4,
                        attachment_id = $5
WHERE id = $1 AND status = 'queued' AND attempts = $6;

-- name: wechat_media_of_message
SELECT status, attempts, last_error FROM wechat_media WHERE message_id = $1 ORDER BY id;

-- name: wechat_media_pending
SELECT 1 FROM wechat_media WHERE id = $1 AND status = 'queued' AND attempts = $2;
