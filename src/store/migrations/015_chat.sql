-- 015: live chat: a visitor's chat session on a ticket (the chat is the ticket's conversation),
-- reached by the visitor's hashed token; waiting until an agent accepts it, offline when nobody
-- was on shift, closed at the end.
CREATE TABLE chat_sessions (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL UNIQUE REFERENCES tickets(id),
    token_hash  BLOB NOT NULL UNIQUE,
    state       TEXT NOT NULL,
    visitor     TEXT NOT NULL,
    agent_id    INTEGER REFERENCES users(id),
    ip          TEXT,
    created_at  INTEGER NOT NULL,
    accepted_at INTEGER,
    closed_at   INTEGER
);
CREATE INDEX chat_sessions_state ON chat_sessions(state, id);
