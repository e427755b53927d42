-- 001_init: accounts, customers, tickets, conversation, history, audit and the outbox.
-- Times are UTC milliseconds since the epoch.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE departments (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    supervisor_id INTEGER REFERENCES users(id),
    assignment    TEXT NOT NULL DEFAULT 'manual',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('agent', 'specialist', 'supervisor', 'admin')),
    department_id INTEGER REFERENCES departments(id),
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE department_members (
    department_id INTEGER NOT NULL REFERENCES departments(id),
    user_id       INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (department_id, user_id)
);

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    token_hash  BLOB NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    csrf_token  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    ip          TEXT
);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    name        TEXT NOT NULL,
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE channels (
    code     TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    name_en  TEXT NOT NULL,
    enabled  INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE categories (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    type          TEXT NOT NULL,
    parent_id     INTEGER REFERENCES categories(id),
    department_id INTEGER REFERENCES departments(id)
);

CREATE TABLE customers (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    phone      TEXT,
    email      TEXT,
    member_id  TEXT,
    tier       TEXT NOT NULL DEFAULT 'normal' CHECK (tier IN ('vip', 'normal', 'new')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX customers_phone ON customers(phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX customers_email ON customers(email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX customers_member ON customers(member_id) WHERE member_id IS NOT NULL;
CREATE INDEX customers_name ON customers(name);

CREATE TABLE ticket_counters (
    scope TEXT PRIMARY KEY,
    last  INTEGER NOT NULL
);

CREATE TABLE tickets (
    id                    INTEGER PRIMARY KEY,
    number                TEXT NOT NULL UNIQUE,
    version               INTEGER NOT NULL DEFAULT 1,
    channel               TEXT NOT NULL REFERENCES channels(code),
    type                  TEXT NOT NULL,
    category_id           INTEGER REFERENCES categories(id),
    subject               TEXT NOT NULL,
    description           TEXT NOT NULL DEFAULT '',
    urgency               TEXT NOT NULL,
    priority              TEXT NOT NULL,
    prio_rank             INTEGER NOT NULL,
    status                TEXT NOT NULL,
    customer_id           INTEGER NOT NULL REFERENCES customers(id),
    contact_name          TEXT,
    mood                  TEXT,
    mood_note             TEXT,
    assignee_id           INTEGER REFERENCES users(id),
    department_id         INTEGER REFERENCES departments(id),
    raised_at             INTEGER NOT NULL,
    taken_over_at         INTEGER,
    first_response_at     INTEGER,
    processing_started_at INTEGER,
    resolved_at           INTEGER,
    closed_at             INTEGER,
    accept_by             INTEGER,
    first_response_by     INTEGER,
    resolve_by            INTEGER,
    expected_at           INTEGER, -- 预计完成时间: promised to the customer by the owner
    result                TEXT,
    measures              TEXT,
    satisfaction          TEXT,
    remarks               TEXT,
    reviewer_id           INTEGER REFERENCES users(id),
    reviewed_at           INTEGER,
    created_by            INTEGER REFERENCES users(id),
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
-- the pending pool's order: priority, nearest deadline, age
CREATE INDEX tickets_queue ON tickets(prio_rank DESC, coalesce(resolve_by, 9223372036854775807),
                                      raised_at, id);
CREATE INDEX tickets_customer ON tickets(customer_id, raised_at);
CREATE INDEX tickets_assignee ON tickets(assignee_id, status);
CREATE INDEX tickets_department ON tickets(department_id, status);
CREATE INDEX tickets_created ON tickets(created_at);

CREATE VIRTUAL TABLE tickets_fts USING fts5(number, subject, description, content='tickets',
                                            content_rowid='id', tokenize='kefu');
CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO tickets_fts(rowid, number, subject, description)
    VALUES (new.id, new.number, new.subject, new.description);
END;
CREATE TRIGGER tickets_fts_update AFTER UPDATE OF number, subject, description ON tickets BEGIN
    INSERT INTO tickets_fts(tickets_fts, rowid, number, subject, description)
    VALUES ('delete', old.id, old.number, old.subject, old.description);
    INSERT INTO tickets_fts(rowid, number, subject, description)
    VALUES (new.id, new.number, new.subject, new.description);
END;
CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN
    INSERT INTO tickets_fts(tickets_fts, rowid, number, subject, description)
    VALUES ('delete', old.id, old.number, old.subject, old.description);
END;

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    ticket_id    INTEGER REFERENCES tickets(id),
    message_id   INTEGER REFERENCES messages(id),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    data         BLOB NOT NULL,
    uploaded_by  INTEGER REFERENCES users(id),
    created_at   INTEGER NOT NULL
);
CREATE INDEX attachments_ticket ON attachments(ticket_id);
CREATE INDEX attachments_message ON attachments(message_id);

CREATE TABLE messages (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    kind       TEXT NOT NULL CHECK (kind IN ('reply', 'note', 'customer')),
    body       TEXT NOT NULL,
    author_id  INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX messages_ticket ON messages(ticket_id, id);

CREATE TABLE history (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    at        INTEGER NOT NULL,
    actor_id  INTEGER REFERENCES users(id),
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX history_ticket ON history(ticket_id, id);

-- append-only: every operation, who, what, before and after
CREATE TABLE audit (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor_id  INTEGER,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id INTEGER,
    before    TEXT,
    after     TEXT
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN
    SELECT RAISE(ABORT, 'audit is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN
    SELECT RAISE(ABORT, 'audit is append-only');
END;

-- the outbox: what happened, for live screens, notifications and deliveries
CREATE TABLE events (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    payload   TEXT NOT NULL DEFAULT '{}'
);

INSERT INTO settings(key, value) VALUES ('ticket_number_format', '{channel}-{YYYYMMDD}-{serial}');

INSERT INTO channels(code, name, name_en) VALUES
    ('TEL', '电话', 'Phone'),
    ('WEB', '网页表单', 'Web form'),
    ('MAIL', '邮件', 'E-mail'),
    ('CHAT', '在线客服', 'Live chat'),
    ('WX', '微信公众号', 'WeChat'),
    ('APP', 'APP消息', 'In-app'),
    ('SOC', '社交媒体', 'Social media'),
    ('STORE', '门店反馈', 'Store feedback');

-- the type tree of the seeds; an admin may change it
INSERT INTO categories(code, name, type) VALUES
    ('product-usage', '产品功能使用', 'inquiry'),
    ('order-logistics', '订单物流查询', 'inquiry'),
    ('warranty-policy', '保修与服务政策', 'inquiry'),
    ('app-login', 'APP无法登录', 'problem'),
    ('item-mismatch', '商品与描述不符', 'problem'),
    ('payment', '支付异常', 'problem'),
    ('device-fault', '设备故障', 'fault'),
    ('system-fault', '系统故障', 'fault'),
    ('logistics-delay', '物流延迟', 'complaint'),
    ('service-attitude', '服务态度', 'complaint'),
    ('product-quality', '产品质量', 'complaint'),
    ('slow-response', '响应速度慢', 'complaint'),
    ('feature-request', '功能改进', 'suggestion'),
    ('ui-improvement', '界面优化', 'suggestion'),
    ('address-change', '订单地址修改', 'special'),
    ('customization', '定制化功能申请', 'special');

-- a ticket with the names it refers to; column order is mirrored by enum ticket_col in
-- src/core/ticket.c
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
       t.prio_rank, t.category_id, t.expected_at
FROM tickets t
JOIN customers cu ON cu.id = t.customer_id
LEFT JOIN categories c ON c.id = t.category_id
LEFT JOIN users a ON a.id = t.assignee_id
LEFT JOIN departments d ON d.id = t.department_id
LEFT JOIN users r ON r.id = t.reviewer_id
LEFT JOIN users cb ON cb.id = t.created_by;
