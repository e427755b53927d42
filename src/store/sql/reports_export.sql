-- reports_export.sql: the record export (seed 004's template), the scheduled reports and their
-- deliveries, and the small weekly summary they mail.

-- name: export_tickets
SELECT t.id, t.number, t.created_at, cu.name, cu.member_id, t.contact_name, cu.phone,
       cu.email, t.type, t.subject, t.description, a.name, t.raised_at, t.taken_over_at,
       t.first_response_at, t.processing_started_at, t.resolved_at, t.result,
       t.satisfaction, t.measures, r.name, t.channel
FROM tickets t
JOIN customers cu ON cu.id = t.customer_id
LEFT JOIN users a ON a.id = t.assignee_id
LEFT JOIN users r ON r.id = t.reviewer_id
WHERE t.created_at >= $1 AND t.created_at < $2
  AND ($3 IS NULL OR t.channel = $3) AND ($4 IS NULL OR t.type = $4)
  AND ($5 IS NULL OR t.department_id = $5) AND ($6 IS NULL OR t.assignee_id = $6)
ORDER BY t.created_at, t.id;

-- name: export_transfers
SELECT x.kind, fu.name, fd.name, tu.name, td.name, x.reason, x.at
FROM transfers x
LEFT JOIN users fu ON fu.id = x.from_user_id
LEFT JOIN departments fd ON fd.id = x.from_department_id
LEFT JOIN users tu ON tu.id = x.to_user_id
LEFT JOIN departments td ON td.id = x.to_department_id
WHERE x.ticket_id = $1 ORDER BY x.id;

-- name: report_mail_channel
SELECT kind FROM channels WHERE code = $1;

-- name: report_schedule_insert
INSERT INTO report_schedules(kind, to_addrs, at, format, channel, next_at, created_by,
                             created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8);

-- name: report_schedule_get
SELECT id, kind, to_addrs, at, format, channel, next_at, created_at, updated_at
FROM report_schedules WHERE id = $1;

-- name: report_schedule_list
SELECT id, kind, to_addrs, at, format, channel, next_at, created_at, updated_at
FROM report_schedules ORDER BY id;

-- name: report_schedule_update
UPDATE report_schedules SET kind = $2, to_addrs = $3, at = $4, format = $5, channel = $6,
                            next_at = $7, updated_at = $8
WHERE id = $1;

-- name: report_schedule_delete
DELETE FROM report_schedules WHERE id = $1;

-- name: report_schedule_due
SELECT id FROM report_schedules WHERE next_at <= $1 ORDER BY next_at, id LIMIT 1;

-- name: report_schedule_move
UPDATE report_schedules SET next_at = $3 WHERE id = $1 AND next_at = $2;

-- name: report_delivery_insert
INSERT INTO report_deliveries(schedule_id, period, status, error, filename, content_type, data,
                              created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: report_files_drop
UPDATE report_deliveries SET data = NULL
WHERE data IS NOT NULL AND created_at < $1
  AND NOT EXISTS (SELECT 1 FROM report_mails m JOIN mail_out o ON o.id = m.mail_out_id
                  WHERE m.delivery_id = report_deliveries.id AND o.status = 'queued');

-- name: report_mail_insert
INSERT INTO report_mails(delivery_id, mail_out_id) VALUES ($1, $2);

-- name: report_deliveries_list
SELECT d.id, d.period, d.status, d.error, d.filename, d.created_at,
       (SELECT COUNT(*) FROM report_mails m WHERE m.delivery_id = d.id),
       (SELECT COUNT(*) FROM report_mails m JOIN mail_out o ON o.id = m.mail_out_id
        WHERE m.delivery_id = d.id AND o.status = 'sent'),
       (SELECT COUNT(*) FROM report_mails m JOIN mail_out o ON o.id = m.mail_out_id
        WHERE m.delivery_id = d.id AND o.status = 'failed'),
       (SELECT MAX(o.last_error) FROM report_mails m JOIN mail_out o ON o.id = m.mail_out_id
        WHERE m.delivery_id = d.id AND o.status <> 'sent'),
       (SELECT MAX(o.sent_at) FROM report_mails m JOIN mail_out o ON o.id = m.mail_out_id
        WHERE m.delivery_id = d.id)
FROM report_deliveries d WHERE d.schedule_id = $1 ORDER BY d.id DESC LIMIT 50;

-- name: summary_by_channel
SELECT channel, COUNT(*) FROM tickets WHERE created_at >= $1 AND created_at < $2
GROUP BY channel ORDER BY COUNT(*) DESC, channel;

-- name: summary_times
SELECT COUNT(*),
       AVG(CASE WHEN first_response_at IS NOT NULL THEN first_response_at - raised_at END),
       AVG(CASE WHEN resolved_at IS NOT NULL THEN resolved_at - raised_at END),
       SUM(CASE WHEN sla_breached <> '' THEN 1 ELSE 0 END)
FROM tickets WHERE created_at >= $1 AND created_at < $2;

-- name: summary_satisfaction
SELECT satisfaction, COUNT(*) FROM tickets
WHERE created_at >= $1 AND created_at < $2 AND satisfaction IS NOT NULL
GROUP BY satisfaction ORDER BY satisfaction;

-- name: summary_top_categories
SELECT c.code, c.name, COUNT(*) FROM tickets t JOIN categories c ON c.id = t.category_id
WHERE t.created_at >= $1 AND t.created_at < $2
GROUP BY c.code, c.name ORDER BY COUNT(*) DESC, c.code LIMIT 5;
