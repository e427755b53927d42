-- webhooks.sql: the notification webhook: subscriptions, deliveries, tries, the outbox cursor.

-- name: webhook_insert
INSERT INTO webhooks(url, secret, events, enabled, since_event_id, created_at, updated_at)
SELECT $1, $2, $3, $4, COALESCE(MAX(id), 0), $5, $5 FROM events;

-- name: webhook_get
SELECT id, url, events, enabled, created_at, updated_at, secret FROM webhooks WHERE id = $1;

-- name: webhook_list
SELECT id, url, events, enabled, created_at, updated_at, secret FROM webhooks ORDER BY id;

-- name: webhook_update
UPDATE webhooks SET url = $2, secret = $3, events = $4, enabled = $5, updated_at = $6
WHERE id = $1;

-- name: webhook_delete
DELETE FROM webhooks WHERE id = $1;

-- name: webhook_subscribers
SELECT id, events, since_event_id FROM webhooks WHERE enabled = 1 ORDER BY id;

-- name: outbox_cursor_get
SELECT last_event_id FROM outbox_cursors WHERE name = $1;

-- name: outbox_cursor_move
UPDATE outbox_cursors SET last_event_id = $3 WHERE name = $1 AND last_event_id = $2;

-- name: delivery_insert
INSERT INTO webhook_deliveries(webhook_id, event_id, event, body, status, attempts, next_at,
                               created_at)
VALUES ($1, $2, $3, '', 'pending', 0, $4, $4)
ON CONFLICT DO NOTHING;

-- name: delivery_set_body
UPDATE webhook_deliveries SET body = $2 WHERE id = $1;

-- name: deliveries_due
SELECT d.id, d.webhook_id, d.event, d.body, d.attempts, w.url, w.secret
FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
WHERE d.status = 'pending' AND d.next_at <= $1 AND w.enabled = 1
ORDER BY d.next_at, d.id LIMIT $2;

-- name: delivery_tried
UPDATE webhook_deliveries
SET status = $2, attempts = attempts + 1, next_at = $3, last_status = $4, last_error = $5,
    delivered_at = $6
WHERE id = $1 AND status = 'pending';

-- name: try_insert
INSERT INTO webhook_tries(delivery_id, at, http_status, error, duration_ms)
VALUES ($1, $2, $3, $4, $5);

-- name: deliveries_list
SELECT id, event_id, event, status, attempts, next_at, last_status, last_error, created_at,
       delivered_at, body
FROM webhook_deliveries WHERE webhook_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3;

-- name: delivery_tries
SELECT id, at, http_status, error, duration_ms FROM webhook_tries
WHERE delivery_id = $1 ORDER BY id;

-- name: delivery_requeue
UPDATE webhook_deliveries
SET attempts = CASE WHEN status = 'failed' THEN 0 ELSE attempts END, status = 'pending',
    next_at = $3
WHERE id = $1 AND webhook_id = $2 AND status IN ('pending', 'failed');

-- name: delivery_status
SELECT status FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2;
