-- 003: triage: priority rules, and the labels they put on tickets.
--
-- A rule's conditions and the labels it adds are rows of priority_rule_terms: kind is one of
-- keyword, type, category, urgency, tier, channel (conditions: every kind given must hold, a
-- kind holds when any of its values matches) or label (an action). The setting
-- priority_rules_version changes with every change of the rules, so that a process can keep
-- them in memory and know when to read them again.
CREATE TABLE priority_rules (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL,
    position          INTEGER NOT NULL,
    enabled           INTEGER NOT NULL DEFAULT 1,
    stop              INTEGER NOT NULL DEFAULT 0,
    set_priority      TEXT,
    set_department_id INTEGER REFERENCES departments(id),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX priority_rules_order ON priority_rules(position, id);

CREATE TABLE priority_rule_terms (
    rule_id INTEGER NOT NULL REFERENCES priority_rules(id),
    kind    TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (rule_id, kind, value)
);

-- the ticket's labels, one per line, in the order they were given
ALTER TABLE tickets ADD COLUMN labels TEXT NOT NULL DEFAULT '';

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
       t.prio_rank, t.category_id, t.expected_at, t.labels
FROM tickets t
JOIN customers cu ON cu.id = t.customer_id
LEFT JOIN categories c ON c.id = t.category_id
LEFT JOIN users a ON a.id = t.assignee_id
LEFT JOIN departments d ON d.id = t.department_id
LEFT JOIN users r ON r.id = t.reviewer_id
LEFT JOIN users cb ON cb.id = t.created_by;
