-- channels.sql: channels, their settings and health, and what mail intake remembers.

-- name: channel_get
SELECT code, name, name_en, enabled, kind, last_success_at, last_error, last_error_at
FROM channels WHERE code = $1;

-- name: channel_insert
INSERT INTO channels(code, name, name_en, kind) VALUES ($1, $2, $3, $4);

-- name: channel_update
UPDATE channels SET name = $2, kind = $3 WHERE code = $1;

-- name: channel_settings_of
SELECT key, value FROM channel_settings WHERE channel = $1 ORDER BY key;

-- name: channel_settings_clear
DELETE FROM channel_settings WHERE channel = $1;

-- name: channel_setting_put
INSERT INTO channel_settings(channel, key, value) VALUES ($1, $2, $3);

-- name: channel_succeeded
UPDATE channels SET last_success_at = $2 WHERE code = $1;

-- name: channel_failed
UPDATE channels SET last_error = $2, last_error_at = $3 WHERE code = $1;

-- name: mail_id_ticket
SELECT ticket_id FROM mail_ids WHERE mail_id = $1;

-- name: mail_id_insert
INSERT INTO mail_ids(mail_id, ticket_id, message_id, direction, created_at)
VALUES ($1, $2, $3, $4, $5);

-- name: mail_bounce_insert
INSERT INTO mail_bounces(channel, bounced_mail_id, received_at) VALUES ($1, $2, $3);

-- name: channel_polled
SELECT c.code FROM channels c
JOIN channel_settings s ON s.channel = c.code AND s.key = 'imap_url'
WHERE c.kind = 'mail' AND c.enabled = 1 ORDER BY c.code;
