-- 013: channels other than mail answer on their own way out (a queue of payloads per channel,
-- tried with back-off like mail), a customer is known by identities of any channel (an app's
-- user id, a WeChat openid, a phone number), inbound hook messages are taken once, and phone
-- calls are recorded.
CREATE TABLE channel_out (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL REFERENCES channels(code),
    ticket_id   INTEGER REFERENCES tickets(id),
    message_id  INTEGER REFERENCES messages(id),
    payload     TEXT NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER,
    last_error  TEXT,
    sent_at     INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX channel_out_due ON channel_out(status, next_at);
CREATE INDEX channel_out_message ON channel_out(message_id);

CREATE TABLE customer_identities (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (kind, value)
);
CREATE INDEX customer_identities_customer ON customer_identities(customer_id);

CREATE TABLE hook_messages (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL REFERENCES channels(code),
    external_id TEXT NOT NULL,
    thread_id   TEXT,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    message_id  INTEGER REFERENCES messages(id),
    created_at  INTEGER NOT NULL,
    UNIQUE (channel, external_id)
);
CREATE INDEX hook_messages_thread ON hook_messages(channel, thread_id);

CREATE TABLE calls (
    id               INTEGER PRIMARY KEY,
    channel          TEXT NOT NULL REFERENCES channels(code),
    call_id          TEXT NOT NULL,
    caller           TEXT NOT NULL,
    agent            TEXT,
    agent_id         INTEGER REFERENCES users(id),
    customer_id      INTEGER REFERENCES customers(id),
    started_at       INTEGER NOT NULL,
    answered_at      INTEGER,
    ended_at         INTEGER,
    recording_url    TEXT,
    ticket_id        INTEGER REFERENCES tickets(id),
    UNIQUE (channel, call_id)
);
CREATE INDEX calls_ticket ON calls(ticket_id);
