-- 006: routing to people: shifts (排班), automatic assignment, transfers (转接), cooperating
-- departments.
CREATE TABLE shifts (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    department_id INTEGER NOT NULL REFERENCES departments(id),
    starts_at     INTEGER NOT NULL,
    ends_at       INTEGER NOT NULL,
    created_by    INTEGER REFERENCES users(id),
    created_at    INTEGER NOT NULL
);
CREATE INDEX shifts_department ON shifts(department_id, ends_at);
CREATE INDEX shifts_user ON shifts(user_id, ends_at);

-- whom a round-robin department gave its last ticket
CREATE TABLE assign_cursor (
    department_id INTEGER PRIMARY KEY REFERENCES departments(id),
    last_user_id  INTEGER NOT NULL
);

CREATE TABLE transfers (
    id                 INTEGER PRIMARY KEY,
    ticket_id          INTEGER NOT NULL REFERENCES tickets(id),
    kind               TEXT NOT NULL CHECK (kind IN ('transfer', 'cooperate')),
    from_user_id       INTEGER REFERENCES users(id),
    from_department_id INTEGER REFERENCES departments(id),
    to_user_id         INTEGER REFERENCES users(id),
    to_department_id   INTEGER REFERENCES departments(id),
    reason             TEXT NOT NULL,
    due_at             INTEGER,
    actor_id           INTEGER REFERENCES users(id),
    at                 INTEGER NOT NULL
);
CREATE INDEX transfers_ticket ON transfers(ticket_id, id);

-- departments that work on a ticket beside its lead department (协办), ids one per line
ALTER TABLE tickets ADD COLUMN cooperating TEXT NOT NULL DEFAULT '';

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
       t.sla_policy_id, t.sla_paused, t.sla_breached, t.cooperating
FROM tickets t
JOIN customers cu ON cu.id = t.customer_id
LEFT JOIN categories c ON c.id = t.category_id
LEFT JOIN users a ON a.id = t.assignee_id
LEFT JOIN departments d ON d.id = t.department_id
LEFT JOIN users r ON r.id = t.reviewer_id
LEFT JOIN users cb ON cb.id = t.created_by;
