-- 023: the forecast counts tickets by when they were raised, per quarter hour, over the last
-- weeks: an index on raised_at that also holds the forecast's filters answers it from the index
-- alone, reading only the weeks asked for. The handling time is measured over the tickets
-- resolved last, found by when they were resolved with the same filters through the reports'
-- tickets_report_resolved (021).
CREATE INDEX tickets_raised ON tickets(raised_at, channel, type, department_id);
