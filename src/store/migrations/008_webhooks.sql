-- 008: the notification webhook: outgoing deliveries of outbox events to a gateway (SMS,
-- enterprise IM), each try recorded, and the dispatcher's place in the outbox.
CREATE TABLE webhooks (
    id             INTEGER PRIMARY KEY,
    url            TEXT NOT NULL,
    secret         TEXT NOT NULL,
    events         TEXT NOT NULL, -- the kinds it takes, comma-separated; '*' for all
    enabled        INTEGER NOT NULL DEFAULT 1,
    -- the newest event when it was made: it is sent only what happens after
    since_event_id INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id           INTEGER PRIMARY KEY,
    webhook_id   INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_id     INTEGER NOT NULL,
    event        TEXT NOT NULL,
    body         TEXT NOT NULL, -- frozen when queued: every try sends the same bytes
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      INTEGER,
    last_status  INTEGER,
    last_error   TEXT,
    created_at   INTEGER NOT NULL,
    delivered_at INTEGER,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_at);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, id);

CREATE TABLE webhook_tries (
    id          INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    http_status INTEGER, -- NULL when no answer came
    error       TEXT,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX webhook_tries_delivery ON webhook_tries(delivery_id, id);

-- how far each reader of the outbox has got; the events before it have been handed on
CREATE TABLE outbox_cursors (
    name          TEXT PRIMARY KEY,
    last_event_id INTEGER NOT NULL
);
INSERT INTO outbox_cursors(name, last_event_id)
SELECT 'webhooks', COALESCE(MAX(id), 0) FROM events;
