-- 007: the supervisor's board and the live stream. The open tickets and the clocks past their
-- warning time each have an index of their own, so that the board costs what is open and what
-- is late, never a scan of every ticket; shifts are found by their end.
CREATE INDEX tickets_open ON tickets(status, department_id, assignee_id)
    WHERE status IN ('new', 'accepted', 'in_progress', 'waiting_customer');
CREATE INDEX deadlines_warn ON deadlines(warn_at) WHERE run_from IS NOT NULL;
CREATE INDEX shifts_ends ON shifts(ends_at);
