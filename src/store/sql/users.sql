-- users.sql: accounts, departments, sessions and API tokens.

-- name: user_insert
INSERT INTO users(username, name, role, department_id, password_hash, active, created_at,
                  updated_at)
VALUES ($1, $2, $3, $4, $5, 1, $6, $6);

-- name: user_update
UPDATE users SET name = $2, role = $3, department_id = $4, active = $5,
                 password_hash = coalesce($6, password_hash), updated_at = $7
WHERE id = $1;

-- name: user_by_id
SELECT u.id, u.username, u.name, u.role, u.department_id, d.code, d.name, u.active, u.created_at
FROM users u LEFT JOIN departments d ON d.id = u.department_id WHERE u.id = $1;

-- name: user_by_username
SELECT u.id, u.username, u.name, u.role, u.department_id, d.code, d.name, u.active, u.created_at,
       u.password_hash
FROM users u LEFT JOIN departments d ON d.id = u.department_id WHERE u.username = $1;

-- name: user_list
SELECT u.id, u.username, u.name, u.role, u.department_id, d.code, d.name, u.active, u.created_at
FROM users u LEFT JOIN departments d ON d.id = u.department_id
WHERE ($1 IS NULL OR u.role = $1)
  AND ($2 IS NULL OR u.department_id = $2
       OR u.id IN (SELECT user_id FROM department_members WHERE department_id = $2))
  AND ($3 IS NULL OR u.active = $3)
ORDER BY u.id LIMIT 1000;

-- name: user_count
SELECT count(*) FROM users;

-- name: session_insert
INSERT INTO sessions(token_hash, user_id, csrf_token, created_at, expires_at, ip)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: session_resolve
SELECT s.id, s.csrf_token, u.id, u.name, u.role, u.department_id
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1;

-- name: session_delete
DELETE FROM sessions WHERE id = $1;

-- name: session_delete_user
DELETE FROM sessions WHERE user_id = $1;

-- name: session_purge
DELETE FROM sessions WHERE expires_at <= $1;

-- name: token_insert
INSERT INTO api_tokens(user_id, name, token_hash, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5);

-- name: token_resolve
SELECT t.id, u.id, u.name, u.role, u.department_id, t.expires_at
FROM api_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active = 1
  AND (t.expires_at IS NULL OR t.expires_at > $2);

-- name: token_list
SELECT id, user_id, name, created_at, expires_at FROM api_tokens
WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id;

-- name: token_owner
SELECT user_id FROM api_tokens WHERE id = $1 AND revoked_at IS NULL;

-- name: token_revoke
UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL;

-- name: token_revoke_user
UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL;

-- name: dept_insert
INSERT INTO departments(code, name, supervisor_id, assignment, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $5);

-- name: dept_update
UPDATE departments SET name = $2, supervisor_id = $3, assignment = $4, updated_at = $5
WHERE id = $1;

-- name: dept_by_id
SELECT id, code, name, supervisor_id, assignment FROM departments WHERE id = $1;

-- name: dept_by_code
SELECT id, code, name, supervisor_id, assignment FROM departments WHERE code = $1;

-- name: dept_list
SELECT id, code, name, supervisor_id, assignment FROM departments ORDER BY id;

-- name: dept_members
SELECT u.id, u.name, u.role FROM department_members m JOIN users u ON u.id = m.user_id
WHERE m.department_id = $1 ORDER BY u.id;

-- name: dept_member_add
INSERT INTO department_members(department_id, user_id) VALUES ($1, $2)
ON CONFLICT DO NOTHING;

-- name: dept_member_remove
DELETE FROM department_members WHERE department_id = $1 AND user_id = $2;
