-- 011: the customer portal: one-time sign-in codes (hashed, ten minutes, five tries), the
-- customers' portal sessions (a hashed token with an expiry), and files uploaded from the portal,
-- which no user uploaded: they are claimed by a hashed upload token instead.
CREATE TABLE portal_codes (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    email       TEXT NOT NULL,
    code_hash   BLOB NOT NULL,
    salt        BLOB NOT NULL,
    tries       INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    dead        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX portal_codes_email ON portal_codes(email, id);

CREATE TABLE portal_sessions (
    id          INTEGER PRIMARY KEY,
    token_hash  BLOB NOT NULL UNIQUE,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    ip          TEXT
);
CREATE INDEX portal_sessions_expiry ON portal_sessions(expires_at);

ALTER TABLE attachments ADD COLUMN portal_key BLOB;
CREATE UNIQUE INDEX attachments_portal_key ON attachments(portal_key);
