-- 021: reports. The summary and the comparison read the tickets created in a period and the
-- tickets resolved in it from two covering indexes, so a month costs the month's tickets (an
-- index range read in creation order, no table rows), never a scan of every ticket; the
-- answered surveys of those tickets come from a third, by ticket. Being indexes, they hold the
-- tickets already stored as soon as this migration has run, and every later change keeps them
-- true in the transaction that makes it (bench/README.md, "Reports", has the measurements).
CREATE INDEX tickets_report ON tickets(created_at, channel, type, department_id, assignee_id,
                                       store_id, category_id, sla_policy_id, raised_at,
                                       first_response_at, resolved_at, sla_breached);
CREATE INDEX tickets_report_resolved ON tickets(resolved_at, channel, type, department_id,
                                                assignee_id, store_id)
    WHERE resolved_at IS NOT NULL;
CREATE INDEX surveys_scored ON surveys(ticket_id, id, score) WHERE score IS NOT NULL;
