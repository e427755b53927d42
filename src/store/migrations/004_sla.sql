-- 004: service levels: calendars, SLA policies, the deadlines of each ticket, notifications.
--
-- A deadline is a row with an index on when the scheduler must next look at it (next_at):
-- "what is due now?" costs what is due, never a scan of the tickets. A clock counts working
-- time (its policy's calendar, or around the clock): budget_ms in all, used_ms before the
-- current run, which began at run_from (NULL while the clock is paused or stopped).
CREATE TABLE calendars (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    time_zone  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE calendar_hours (
    calendar_id INTEGER NOT NULL REFERENCES calendars(id),
    weekday     INTEGER NOT NULL, -- 0 Monday ... 6 Sunday
    start_min   INTEGER NOT NULL, -- minutes after local midnight
    end_min     INTEGER NOT NULL,
    PRIMARY KEY (calendar_id, weekday, start_min)
);

CREATE TABLE calendar_days (
    calendar_id INTEGER NOT NULL REFERENCES calendars(id),
    day         INTEGER NOT NULL, -- YYYYMMDD, local
    kind        TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    PRIMARY KEY (calendar_id, day)
);

CREATE TABLE sla_policies (
    id                     INTEGER PRIMARY KEY,
    name                   TEXT NOT NULL,
    priority               TEXT NOT NULL,
    type                   TEXT,
    accept_minutes         INTEGER,
    first_response_minutes INTEGER,
    resolve_minutes        INTEGER,
    calendar_id            INTEGER REFERENCES calendars(id),
    warn_percent           INTEGER NOT NULL DEFAULT 80,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);
CREATE UNIQUE INDEX sla_policies_scope ON sla_policies(priority, coalesce(type, ''));

CREATE TABLE deadlines (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    -- the policy's clocks, the feedback a transfer asks for, second handling (二次处理)
    target      TEXT NOT NULL CHECK (target IN ('accept', 'first_response', 'resolve', 'feedback',
                                                'second_handling')),
    budget_ms   INTEGER NOT NULL,
    used_ms     INTEGER NOT NULL DEFAULT 0,
    run_from    INTEGER,
    due_at      INTEGER,
    warn_at     INTEGER,
    next_at     INTEGER,
    warned_at   INTEGER,
    breached_at INTEGER,
    met_at      INTEGER,
    UNIQUE (ticket_id, target)
);
-- (a transfer's feedback deadline replaces the ticket's previous one: one row per target)
CREATE INDEX deadlines_next ON deadlines(next_at) WHERE next_at IS NOT NULL;

ALTER TABLE tickets ADD COLUMN sla_policy_id INTEGER REFERENCES sla_policies(id);
ALTER TABLE tickets ADD COLUMN sla_paused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN sla_breached TEXT NOT NULL DEFAULT ''; -- targets, one per line

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
       t.sla_policy_id, t.sla_paused, t.sla_breached
FROM tickets t
JOIN customers cu ON cu.id = t.customer_id
LEFT JOIN categories c ON c.id = t.category_id
LEFT JOIN users a ON a.id = t.assignee_id
LEFT JOIN departments d ON d.id = t.department_id
LEFT JOIN users r ON r.id = t.reviewer_id
LEFT JOIN users cb ON cb.id = t.created_by;

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    kind       TEXT NOT NULL,
    ticket_id  INTEGER REFERENCES tickets(id),
    payload    TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    read_at    INTEGER
);
CREATE INDEX notifications_user ON notifications(user_id, id);

-- the seeds' defaults (SPEC.md §5): accept within an hour; first response high 2 h, low 24 h;
-- resolve high 4 h, medium 24 h, low 3 days; inquiries answered within 30 minutes and fault
-- reports within 2 hours whatever their priority (an urgent one keeps its own hour)
INSERT INTO sla_policies(name, priority, type, accept_minutes, first_response_minutes,
                         resolve_minutes, warn_percent, created_at, updated_at) VALUES
    ('紧急', 'urgent', NULL, 30, 60, 240, 80, 0, 0),
    ('高优先级', 'high', NULL, 60, 120, 240, 80, 0, 0),
    ('中优先级', 'medium', NULL, 60, 480, 1440, 80, 0, 0),
    ('低优先级', 'low', NULL, 60, 1440, 4320, 80, 0, 0),
    ('紧急咨询', 'urgent', 'inquiry', 30, 30, 240, 80, 0, 0),
    ('高优先级咨询', 'high', 'inquiry', 60, 30, 240, 80, 0, 0),
    ('中优先级咨询', 'medium', 'inquiry', 60, 30, 1440, 80, 0, 0),
    ('低优先级咨询', 'low', 'inquiry', 60, 30, 4320, 80, 0, 0),
    ('高优先级故障', 'high', 'fault', 60, 120, 240, 80, 0, 0),
    ('中优先级故障', 'medium', 'fault', 60, 120, 1440, 80, 0, 0),
    ('低优先级故障', 'low', 'fault', 60, 120, 4320, 80, 0, 0);
