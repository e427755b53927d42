-- audit.sql: the trail of changes.

-- name: audit_insert
INSERT INTO audit(at, actor_id, action, entity, entity_id, before, after)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: history_insert
INSERT INTO history(ticket_id, at, actor_id, action, detail) VALUES ($1, $2, $3, $4, $5);

-- name: event_insert
INSERT INTO events(at, kind, entity, entity_id, payload) VALUES ($1, $2, $3, $4, $5);

-- name: history_list
SELECT h.id, h.at, h.actor_id, u.name, h.action, h.detail
FROM history h LEFT JOIN users u ON u.id = h.actor_id
WHERE h.ticket_id = $1 ORDER BY h.id;
