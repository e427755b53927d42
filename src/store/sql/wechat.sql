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
