-- templates.sql: standard replies (标准话术).

-- name: template_insert
INSERT INTO reply_templates(name, type, category_id, shortcut, body, created_by, created_at,
                            updated_by, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $7);

-- name: template_get
SELECT t.id, t.name, t.type, c.code, t.shortcut, t.body, t.created_at, t.updated_at,
       t.category_id, u.name
FROM reply_templates t
LEFT JOIN categories c ON c.id = t.category_id
LEFT JOIN users u ON u.id = t.updated_by
WHERE t.id = $1;

-- name: template_list
SELECT t.id, t.name, t.type, c.code, t.shortcut, t.body, t.created_at, t.updated_at,
       t.category_id, u.name
FROM reply_templates t
LEFT JOIN categories c ON c.id = t.category_id
LEFT JOIN users u ON u.id = t.updated_by
WHERE ($1 IS NULL OR t.type = $1) AND ($2 IS NULL OR c.code = $2)
ORDER BY t.name, t.id;

-- name: template_update
UPDATE reply_templates SET name = $2, type = $3, category_id = $4, shortcut = $5, body = $6,
    updated_by = $7, updated_at = $8
WHERE id = $1;

-- name: template_delete
DELETE FROM reply_templates WHERE id = $1;
