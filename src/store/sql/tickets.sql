-- tickets.sql: tickets, their conversation and attachments, and the settings they need.

-- name: setting_get
SELECT value FROM settings WHERE key = $1;

-- name: setting_set
INSERT INTO settings(key, value) VALUES ($1, $2)
ON CONFLICT(key) DO UPDATE SET value = excluded.value;

-- name: counter_bump
UPDATE ticket_counters SET last = last + 1 WHERE scope = $1;

-- name: counter_last
SELECT last FROM ticket_counters WHERE scope = $1;

-- name: counter_start
INSERT INTO ticket_counters(scope, last) VALUES ($1, 1);

-- name: channel_enabled
SELECT enabled FROM channels WHERE code = $1;

-- name: channel_list
SELECT code, name, name_en, enabled, kind FROM channels ORDER BY rowid;

-- name: category_by_code
SELECT id, type, department_id FROM categories WHERE code = $1;

-- name: category_list
SELECT c.id, c.code, c.name, c.type, p.code, c.department_id
FROM categories c LEFT JOIN categories p ON p.id = c.parent_id ORDER BY c.type, c.id;

-- name: category_insert
INSERT INTO categories(code, name, type, parent_id, department_id) VALUES ($1, $2, $3, $4, $5);

-- name: category_update
UPDATE categories SET name = $2, department_id = $3 WHERE code = $1;

-- name: ticket_insert
INSERT INTO tickets(number, channel, type, category_id, subject, description, urgency, priority,
                    prio_rank, status, customer_id, contact_name, mood, mood_note, raised_at,
                    created_by, created_at, updated_at, expected_at, department_id, labels,
                    assignee_id, sla_policy_id, accept_by, first_response_by, resolve_by,
                    store_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'new', $10, $11, $12, $13, $14, $15, $16, $16, $17,
        $18, $19, $20, $21, $22, $23, $24, $25);

-- name: ticket_by_id
SELECT * FROM ticket_view WHERE id = $1;

-- name: ticket_by_number
SELECT * FROM ticket_view WHERE number = $1;

-- name: ticket_update
UPDATE tickets SET type = $2, category_id = $3, urgency = $4, priority = $5, prio_rank = $6,
    subject = $7, description = $8, status = $9, assignee_id = $10, department_id = $11,
    contact_name = $12, result = $13, measures = $14, remarks = $15, mood = $16,
    mood_note = $17, taken_over_at = $18, processing_started_at = $19, resolved_at = $20,
    closed_at = $21, updated_at = $22, expected_at = $24, labels = $25, store_id = $26,
    version = version + 1
WHERE id = $1 AND version = $23;

-- name: ticket_review
UPDATE tickets SET reviewer_id = $2, reviewed_at = $3, updated_at = $3, version = version + 1
WHERE id = $1 AND version = $4;

-- name: ticket_first_response
UPDATE tickets SET first_response_at = $2, updated_at = $2, version = version + 1
WHERE id = $1 AND first_response_at IS NULL;

-- name: ticket_touch
UPDATE tickets SET updated_at = $2 WHERE id = $1;

-- name: dept_member_check
SELECT 1 FROM department_members WHERE user_id = $1 AND department_id = $2;

-- name: user_active
SELECT name FROM users WHERE id = $1 AND active = 1;

-- name: message_insert
INSERT INTO messages(ticket_id, kind, body, author_id, created_at) VALUES ($1, $2, $3, $4, $5);

-- name: message_list
SELECT m.id, m.ticket_id, m.kind, m.body, m.author_id, u.name, m.created_at, m.customer_id,
       cu.name, (SELECT count(*) FROM message_html h WHERE h.message_id = m.id)
FROM messages m LEFT JOIN users u ON u.id = m.author_id
LEFT JOIN customers cu ON cu.id = m.customer_id
WHERE m.ticket_id = $1 ORDER BY m.id;

-- name: message_one
SELECT m.id, m.ticket_id, m.kind, m.body, m.author_id, u.name, m.created_at, m.customer_id,
       cu.name, (SELECT count(*) FROM message_html h WHERE h.message_id = m.id)
FROM messages m LEFT JOIN users u ON u.id = m.author_id
LEFT JOIN customers cu ON cu.id = m.customer_id
WHERE m.id = $1 AND m.ticket_id = $2;

-- name: message_html_insert
INSERT INTO message_html(message_id, html) VALUES ($1, $2);

-- name: message_html_get
SELECT h.html FROM message_html h JOIN messages m ON m.id = h.message_id
WHERE h.message_id = $1 AND m.ticket_id = $2;

-- name: message_insert_customer
INSERT INTO messages(ticket_id, kind, body, customer_id, created_at)
VALUES ($1, 'customer', $2, $3, $4);

-- name: attachment_insert_linked
INSERT INTO attachments(filename, content_type, size, sha256, data, ticket_id, message_id,
                        created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: attachment_insert
INSERT INTO attachments(filename, content_type, size, sha256, data, uploaded_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: attachment_link
UPDATE attachments SET ticket_id = $2, message_id = $3
WHERE id = $1 AND uploaded_by = $4 AND ticket_id IS NULL;

-- name: attachments_purge_unlinked
DELETE FROM attachments WHERE ticket_id IS NULL AND created_at < $1;

-- name: attachment_by_id
SELECT id, filename, content_type, size, sha256, data, message_id, ticket_id, uploaded_by
FROM attachments WHERE id = $1;

-- name: attachments_of_ticket
SELECT id, filename, content_type, size, sha256, message_id, ticket_id
FROM attachments WHERE ticket_id = $1 ORDER BY id;

-- name: fts_count
SELECT count(*) FROM (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH $1 LIMIT 1001);
