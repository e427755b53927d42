-- 017: stores (门店) that walk-in registrations name, a reporting dimension like the channel;
-- files a chat visitor uploads, claimed by their chat session instead of by a user; and the
-- media WeChat followers send, fetched after the message is answered.
CREATE TABLE stores (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

ALTER TABLE tickets ADD COLUMN store_id INTEGER REFERENCES stores(id);
CREATE INDEX tickets_store ON tickets(store_id, created_at);

ALTER TABLE attachments ADD COLUMN chat_session_id INTEGER REFERENCES chat_sessions(id);

DROP VIEW ticket_view;
CREATE VIEW ticket_view AS
SELECT t.id, t.number, t.version, t.channel, t.type, c.code AS category, t.subject,
       t.description, t.urgency, t.priority, t.status,
       t.customer_id, cu.name AS customer_name, cu.phone, cu.email, cu.member_id, cu.tier,
       t.contact_name, t.mood, t.mood_note,
       t.assignee_id, a.name AS assignee_name,
       t.department_id, d.code AS department_code, d.name AS department_name,
       t.raised_at, t.taken_over_at, t.first_response_at, t.processing_started_at,
       t.resolved_at, t.closed_at, t.accept_by, t.first_response_by, t.resolve_by,
       t.result, t.measures, t.satisfaction, t.remarks,
       t.reviewer_id, r.name AS reviewer_name, t.reviewed_at,
       t.created_by, cb.name AS created_by_name, t.created_at, t.updated_at,
       t.prio_rank, t.category_id, t.expected_at, t.labels,
       t.sla_policy_id, t.sla_paused, t.sla_breached, t.cooperating,
       t.store_id, s.code AS store_code, s.name AS store_name
FROM tickets t
JOIN customers cu ON cu.id = t.customer_id
LEFT JOIN categories c ON c.id = t.category_id
LEFT JOIN users a ON a.id = t.assignee_id
LEFT JOIN departments d ON d.id = t.department_id
LEFT JOIN users r ON r.id = t.reviewer_id
LEFT JOIN users cb ON cb.id = t.created_by
LEFT JOIN stores s ON s.id = t.store_id;

-- the images and voices WeChat followers send, fetched from the platform by the channel's own
-- thread and kept as attachments of their message, retried with back-off
CREATE TABLE wechat_media (
    id            INTEGER PRIMARY KEY,
    channel       TEXT NOT NULL REFERENCES channels(code),
    ticket_id     INTEGER NOT NULL REFERENCES tickets(id),
    message_id    INTEGER NOT NULL REFERENCES messages(id),
    media_id      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    status        TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       INTEGER,
    last_error    TEXT,
    attachment_id INTEGER REFERENCES attachments(id),
    created_at    INTEGER NOT NULL
);
CREATE INDEX wechat_media_due ON wechat_media(status, next_at);
CREATE INDEX wechat_media_message ON wechat_media(message_id);
