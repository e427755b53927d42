-- 010: outgoing mail: every mail Kefu sends (a reply, an acknowledgement, a sign-in code, a
-- notice) waits here until the channel's SMTP server takes it, with its tries, the Message-ID
-- it carries and its threading frozen when it was queued.
CREATE TABLE mail_out (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL REFERENCES channels(code),
    ticket_id   INTEGER REFERENCES tickets(id),  -- NULL: not about a ticket
    message_id  INTEGER REFERENCES messages(id), -- the message it carries, NULL: none
    kind        TEXT NOT NULL CHECK (kind IN ('reply', 'ack', 'code', 'notice')),
    to_addr     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    mail_id     TEXT NOT NULL UNIQUE, -- its Message-ID, without <>
    in_reply_to TEXT,                 -- without <>, NULL: none
    refs        TEXT,                 -- References: ids without <>, space-separated
    status      TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER,              -- when it is tried next, while queued
    last_error  TEXT,
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER
);
CREATE INDEX mail_out_due ON mail_out(status, next_at);
CREATE INDEX mail_out_channel ON mail_out(channel, status);
CREATE INDEX mail_out_message ON mail_out(message_id);

-- the files a mail carries, as they were when it was queued
CREATE TABLE mail_out_attachments (
    mail_out_id   INTEGER NOT NULL REFERENCES mail_out(id) ON DELETE CASCADE,
    attachment_id INTEGER NOT NULL REFERENCES attachments(id),
    PRIMARY KEY (mail_out_id, attachment_id)
);
