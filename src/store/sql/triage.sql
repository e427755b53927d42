-- triage.sql: priority rules and their terms.

-- name: rule_list
SELECT id, name, position, enabled, stop, set_priority, set_department_id, created_at, updated_at
FROM priority_rules ORDER BY position, id;

-- name: rule_by_id
SELECT id, name, position, enabled, stop, set_priority, set_department_id, created_at, updated_at
FROM priority_rules WHERE id = $1;

-- name: rule_terms_all
SELECT rule_id, kind, value FROM priority_rule_terms ORDER BY rule_id, kind, value;

-- name: rule_terms_of
SELECT rule_id, kind, value FROM priority_rule_terms WHERE rule_id = $1 ORDER BY kind, value;

-- name: rule_insert
INSERT INTO priority_rules(name, position, enabled, stop, set_priority, set_department_id,
                           created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $7);

-- name: rule_update
UPDATE priority_rules SET name = $2, position = $3, enabled = $4, stop = $5, set_priority = $6,
    set_department_id = $7, updated_at = $8
WHERE id = $1;

-- name: rule_delete
DELETE FROM priority_rules WHERE id = $1;

-- name: rule_order_others
SELECT id, position FROM priority_rules WHERE id <> $1 ORDER BY position, id;

-- name: rule_position_set
UPDATE priority_rules SET position = $2 WHERE id = $1;

-- name: rule_last_position
SELECT coalesce(max(position), 0) FROM priority_rules;

-- name: rule_count
SELECT count(*) FROM priority_rules;

-- name: rule_term_insert
INSERT INTO priority_rule_terms(rule_id, kind, value) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING;

-- name: rule_terms_delete
DELETE FROM priority_rule_terms WHERE rule_id = $1;

-- name: department_exists
SELECT 1 FROM departments WHERE id = $1;

-- name: category_exists
SELECT 1 FROM categories WHERE code = $1;
