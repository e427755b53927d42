-- 019: satisfaction surveys (满意度回访) and second handling (二次处理).
--
-- A survey is planned when a ticket is resolved and sent by the scheduler after the delay; its
-- link's token is kept only as a hash. next_at is when the scheduler must next look at it (the
-- send, then the expiry), with an index on it as for the deadlines: a pass with nothing due costs
-- one lookup. A ticket's rounds of second handling are rows of their own; the deadline of the
-- running round is the ticket's 'second_handling' row in deadlines (migration 004).
CREATE TABLE surveys (
    id           INTEGER PRIMARY KEY,
    ticket_id    INTEGER NOT NULL REFERENCES tickets(id),
    round        INTEGER NOT NULL,
    channel      TEXT NOT NULL,
    scale        TEXT NOT NULL CHECK (scale IN ('four_level', 'five_point', 'three_level')),
    state        TEXT NOT NULL CHECK (state IN ('pending', 'open', 'answered', 'expired',
                                                'cancelled')),
    token_hash   BLOB UNIQUE,
    created_at   INTEGER NOT NULL,
    send_at      INTEGER NOT NULL,
    sent_at      INTEGER,
    sent_via     TEXT, -- 'message' (a reply on the ticket's channel) or 'event' (survey.sent)
    expires_at   INTEGER,
    next_at      INTEGER,
    rating       TEXT,
    score        INTEGER,
    comment      TEXT,
    answered_at  INTEGER,
    answered_via TEXT  -- 'link' or 'message'
);
CREATE INDEX surveys_next ON surveys(next_at) WHERE next_at IS NOT NULL;
CREATE INDEX surveys_ticket ON surveys(ticket_id, id);
CREATE INDEX surveys_sent ON surveys(sent_at);

CREATE TABLE second_handlings (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    round      INTEGER NOT NULL,
    survey_id  INTEGER REFERENCES surveys(id),
    started_at INTEGER NOT NULL,
    due_at     INTEGER NOT NULL,
    ended_at   INTEGER,
    UNIQUE (ticket_id, round)
);
CREATE INDEX second_handlings_open ON second_handlings(due_at) WHERE ended_at IS NULL;

-- the seeds' defaults: four levels (seed 002), sent 5 minutes after resolution, open 3 days,
-- a solution within 24 hours after an unsatisfied answer
INSERT INTO settings(key, value) VALUES
    ('survey_scale', 'four_level'),
    ('survey_delay_minutes', '5'),
    ('survey_expire_hours', '72'),
    ('survey_second_handling_hours', '24');
