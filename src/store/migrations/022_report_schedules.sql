-- 022: scheduled reports: a daily export or a weekly summary mailed at a set local time to a
-- list of addresses through a mail channel; each period's delivery once, with the file it
-- carried and the mails that took it out.
CREATE TABLE report_schedules (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('daily_export', 'weekly_summary')),
    to_addrs    TEXT NOT NULL, -- addresses, one per line
    at          TEXT NOT NULL, -- HH:MM in the configured zone
    format      TEXT NOT NULL CHECK (format IN ('csv', 'xlsx')),
    channel     TEXT REFERENCES channels(code), -- NULL: the default mail sender
    next_at     INTEGER NOT NULL,               -- when the next period is mailed
    created_by  INTEGER REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX report_schedules_due ON report_schedules(next_at);

-- one row per schedule and period: written in the transaction that queues its mails and moves
-- the schedule on, so a period is mailed once whatever restarts; the file stays while its mails
-- wait, and is dropped a day after the last went (or failed). A deleted schedule's deliveries
-- stay (schedule_id NULL) so that the mails it queued still carry their file.
CREATE TABLE report_deliveries (
    id           INTEGER PRIMARY KEY,
    schedule_id  INTEGER REFERENCES report_schedules(id) ON DELETE SET NULL,
    period       TEXT NOT NULL, -- 2023-10-01, or the week's Monday 2023-09-25
    status       TEXT NOT NULL CHECK (status IN ('queued', 'failed')), -- failed: never queued
    error        TEXT,
    filename     TEXT,
    content_type TEXT,
    data         BLOB, -- the file the mails carry, NULL for a summary and once dropped
    created_at   INTEGER NOT NULL,
    UNIQUE (schedule_id, period)
);
CREATE INDEX report_deliveries_files ON report_deliveries(created_at) WHERE data IS NOT NULL;

-- the mails of a delivery, one per address
CREATE TABLE report_mails (
    delivery_id  INTEGER NOT NULL REFERENCES report_deliveries(id) ON DELETE CASCADE,
    mail_out_id  INTEGER NOT NULL REFERENCES mail_out(id),
    PRIMARY KEY (delivery_id, mail_out_id)
);
CREATE INDEX report_mails_mail ON report_mails(mail_out_id);
