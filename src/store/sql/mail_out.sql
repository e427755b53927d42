-- mail_out.sql: the queue of outgoing mail, its tries, and the delivery status it gives.

-- name: mail_out_sender
SELECT c.code FROM channels c
JOIN channel_settings u ON u.channel = c.code AND u.key = 'smtp_url'
JOIN channel_settings f ON f.channel = c.code AND f.key = 'from'
WHERE c.kind = 'mail' AND c.enabled = 1 AND ($1 IS NULL OR c.code = $1)
ORDER BY c.code LIMIT 1;

-- name: mail_out_from
SELECT value FROM channel_settings WHERE channel = $1 AND key = 'from';

-- name: mail_out_thread
SELECT mail_id, direction FROM mail_ids WHERE ticket_id = $1 ORDER BY id;

-- name: mail_out_insert
INSERT INTO mail_out(channel, ticket_id, message_id, kind, to_addr, subject, body, mail_id,
                     in_reply_to, refs, status, attempts, next_at, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'queued', 0, $11, $11);

-- name: mail_out_attach
INSERT INTO mail_out_attachments(mail_out_id, attachment_id)
SELECT $1, id FROM attachments WHERE message_id = $2 ORDER BY id;

-- name: mail_out_due
SELECT o.id, o.channel, o.kind, o.to_addr, o.subject, o.body, o.mail_id, o.in_reply_to,
       o.refs, o.attempts, o.created_at
FROM mail_out o JOIN channels c ON c.code = o.channel
WHERE o.status = 'queued' AND o.next_at <= $1 AND c.enabled = 1 AND ($3 IS NULL OR o.channel = $3)
ORDER BY o.next_at, o.id LIMIT $2;

-- name: mail_out_due_channels
SELECT DISTINCT o.channel FROM mail_out o JOIN channels c ON c.code = o.channel
WHERE o.status = 'queued' AND o.next_at <= $1 AND c.enabled = 1
ORDER BY o.channel LIMIT $2;

-- name: mail_out_files
SELECT a.filename, a.content_type, a.data, 0 AS src, a.id AS n FROM mail_out_attachments m
JOIN attachments a ON a.id = m.attachment_id WHERE m.mail_out_id = $1
UNION ALL
SELECT d.filename, d.content_type, d.data, 1 AS src, d.id AS n FROM report_mails r
JOIN report_deliveries d ON d.id = r.delivery_id
WHERE r.mail_out_id = $1 AND d.data IS NOT NULL
ORDER BY src, n;

-- name: mail_out_tried
UPDATE mail_out SET status = $2, attempts = attempts + 1, next_at = $3, last_error = $4,
                    sent_at = $5
WHERE id = $1 AND status = 'queued' AND attempts = $6;

-- name: mail_out_by_mail_id
SELECT id FROM mail_out WHERE mail_id = $1;

-- name: mail_out_bounce
UPDATE mail_out SET status = 'failed', next_at = NULL, last_error = $2
WHERE id = $1 AND status <> 'failed';

-- name: mail_out_count
SELECT COUNT(*) FROM mail_out WHERE channel = $1 AND status = $2;

-- name: mail_out_of_message
SELECT status, attempts, last_error, sent_at FROM mail_out
WHERE message_id = $1 ORDER BY id DESC LIMIT 1;

-- name: mail_out_get
SELECT id, channel, ticket_id, message_id, kind, to_addr, subject, status, attempts,
       last_error, sent_at, mail_id, in_reply_to, refs
FROM mail_out WHERE id = $1;

-- name: mail_out_postpone
UPDATE mail_out SET next_at = $2 WHERE channel = $1 AND status = 'queued' AND next_at < $2;

-- name: mail_out_about
SELECT ticket_id, message_id, status, attempts FROM mail_out WHERE id = $1;
