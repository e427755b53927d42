-- forecast.sql: the history the volume forecast learns from (core/forecast.c). Filters: $3
-- channel, $4 type ('' for any), $5 department_id (0 for any). Indexes of migration 023.

-- name: forecast_oldest
SELECT min(raised_at) FROM tickets
WHERE raised_at >= $1 AND raised_at < $2
  AND ($3 = '' OR channel = $3) AND ($4 = '' OR type = $4) AND ($5 = 0 OR department_id = $5);

-- name: forecast_raised
-- when each ticket of [$1, $2) was raised, in index order (the caller counts them by local hour:
-- cheaper than grouping in SQL, which sorts)
SELECT raised_at FROM tickets
WHERE raised_at >= $1 AND raised_at < $2
  AND ($3 = '' OR channel = $3) AND ($4 = '' OR type = $4) AND ($5 = 0 OR department_id = $5)
ORDER BY raised_at;

-- name: forecast_handling
-- the time agents spent on the last 2,000 tickets resolved in [$1, $2): from taking them over
-- (processing start, acceptance or first response) to resolution; spans over 8 hours waited on
-- someone rather than being worked, and are left out (index tickets_report_resolved)
SELECT count(*), coalesce(sum(d), 0) FROM (
    SELECT resolved_at - coalesce(processing_started_at, taken_over_at, first_response_at) AS d
    FROM tickets
    WHERE resolved_at >= $1 AND resolved_at < $2
      AND ($3 = '' OR channel = $3) AND ($4 = '' OR type = $4) AND ($5 = 0 OR department_id = $5)
    ORDER BY resolved_at DESC LIMIT 2000
) h WHERE d > 0 AND d <= 28800000;
