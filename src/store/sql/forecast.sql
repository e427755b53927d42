-- forecast.sql: the history the volume forecast learns from (core/forecast.c). Filters: $3
-- channel, $4 type ('' for any), $5 department_id (0 for any). All read the index
-- tickets_raised (migration 023).

-- name: forecast_oldest
SELECT min(raised_at) FROM tickets
WHERE raised_at >= $1 AND raised_at < $2
  AND ($3 = '' OR channel = $3) AND ($4 = '' OR type = $4) AND ($5 = 0 OR department_id = $5);

-- name: forecast_quarters
-- tickets raised in [$1, $2) per quarter hour (every zone's offset is a whole number of
-- quarter hours, so the caller can tell each quarter's local hour)
SELECT raised_at / 900000 AS q, count(*) FROM tickets
WHERE raised_at >= $1 AND raised_at < $2
  AND ($3 = '' OR channel = $3) AND ($4 = '' OR type = $4) AND ($5 = 0 OR department_id = $5)
GROUP BY raised_at / 900000 ORDER BY q;

-- name: forecast_handling
-- the time agents spent on the tickets raised in [$1, $2) and resolved: from taking them over
-- (processing start, acceptance or first response) to resolution; spans over 8 hours waited on
-- someone rather than being worked, and are left out
SELECT count(*), coalesce(sum(d), 0) FROM (
    SELECT resolved_at - coalesce(processing_started_at, taken_over_at, first_response_at) AS d
    FROM tickets
    WHERE raised_at >= $1 AND raised_at < $2 AND resolved_at IS NOT NULL
      AND ($3 = '' OR channel = $3) AND ($4 = '' OR type = $4) AND ($5 = 0 OR department_id = $5)
) h WHERE d > 0 AND d <= 28800000;
