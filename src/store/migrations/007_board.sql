-- 007: the supervisor's board and the live stream. The open tickets and the running clocks the
-- scheduler has warned of (or marked breached, which warns too) each have an index of their
-- own, so that the board costs what is open and what is late, never a scan of every ticket. A
-- new ticket's clocks are not warned yet: they enter the late index only when the sweep warns,
-- and creation pays nothing for it. Shifts are found by their end.
CREATE INDEX tickets_open ON tickets(status, department_id, assignee_id)
    WHERE status IN ('new', 'accepted', 'in_progress', 'waiting_customer');
CREATE INDEX deadlines_late ON deadlines(due_at) WHERE run_from IS NOT NULL AND warned_at IS NOT NULL;
CREATE INDEX shifts_ends ON shifts(ends_at);
