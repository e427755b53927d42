-- 014: WeChat official accounts: each follower's message taken in once (by MsgId) with the
-- follower's openid and its ticket, so that a follower's messages join one conversation while
-- it is not closed and agents' replies find whom to send to; channel WX is of kind wechat.
CREATE TABLE wechat_messages (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL REFERENCES channels(code),
    msg_key     TEXT NOT NULL,
    openid      TEXT NOT NULL,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    message_id  INTEGER REFERENCES messages(id),
    new_ticket  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    UNIQUE (channel, msg_key)
);
CREATE INDEX wechat_messages_openid ON wechat_messages(channel, openid);
CREATE INDEX wechat_messages_ticket ON wechat_messages(ticket_id);

UPDATE channels SET kind = 'wechat' WHERE code = 'WX' AND kind = 'manual';
