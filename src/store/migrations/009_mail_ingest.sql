-- 009: channels become connectable (a kind, settings, the health of their intake) and mail
-- becomes tickets: a customer's message names its customer, every Message-ID Kefu received
-- is kept once with its ticket (threading and de-duplication), and bounces are recorded for
-- the delivery status of what Kefu will send.
ALTER TABLE channels ADD COLUMN kind TEXT NOT NULL DEFAULT 'manual';
ALTER TABLE channels ADD COLUMN last_success_at INTEGER;
ALTER TABLE channels ADD COLUMN last_error TEXT;
ALTER TABLE channels ADD COLUMN last_error_at INTEGER;

CREATE TABLE channel_settings (
    channel TEXT NOT NULL REFERENCES channels(code),
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (channel, key)
);

ALTER TABLE messages ADD COLUMN customer_id INTEGER REFERENCES customers(id);

CREATE TABLE mail_ids (
    id         INTEGER PRIMARY KEY,
    mail_id    TEXT NOT NULL UNIQUE,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    message_id INTEGER REFERENCES messages(id),
    direction  TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX mail_ids_ticket ON mail_ids(ticket_id);

CREATE TABLE mail_bounces (
    id              INTEGER PRIMARY KEY,
    channel         TEXT NOT NULL REFERENCES channels(code),
    bounced_mail_id TEXT NOT NULL,
    received_at     INTEGER NOT NULL
);
CREATE INDEX mail_bounces_mail ON mail_bounces(bounced_mail_id);
