-- stores.sql: stores (门店) named on walk-in registrations.

-- name: store_insert
INSERT INTO stores(code, name, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $4);

-- name: store_update
UPDATE stores SET code = $2, name = $3, active = $4, updated_at = $5 WHERE id = $1;

-- name: store_get
SELECT id, code, name, active, created_at, updated_at FROM stores WHERE id = $1;

-- name: store_list
SELECT id, code, name, active, created_at, updated_at FROM stores
WHERE active = 1 OR $1 = 0 ORDER BY name, id LIMIT 2000;
