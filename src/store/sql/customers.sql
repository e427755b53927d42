-- customers.sql: the people and companies who ask.

-- name: customer_insert
INSERT INTO customers(name, phone, email, member_id, tier, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $6);

-- name: customer_update
UPDATE customers SET name = $2, phone = $3, email = $4, member_id = $5, tier = $6,
                     updated_at = $7
WHERE id = $1;

-- name: customer_by_id
SELECT id, name, phone, email, member_id, tier, created_at FROM customers WHERE id = $1;

-- name: customer_match
-- by phone, else by e-mail, else by member id: three index lookups, in that order
SELECT id, name, phone, email, member_id, tier, created_at FROM customers WHERE phone = $1
UNION ALL
SELECT id, name, phone, email, member_id, tier, created_at FROM customers WHERE email = $2
UNION ALL
SELECT id, name, phone, email, member_id, tier, created_at FROM customers WHERE member_id = $3
LIMIT 1;

-- name: customer_search
SELECT id, name, phone, email, member_id, tier, created_at FROM customers
WHERE phone = $1 OR email = lower($1) OR member_id = $1 OR name >= $1 AND name < $1 || x'f48fbfbf'
ORDER BY id DESC LIMIT $2;

-- name: customer_recent
SELECT id, name, phone, email, member_id, tier, created_at FROM customers
ORDER BY id DESC LIMIT $1;

-- name: customer_identity_find
SELECT customer_id FROM customer_identities WHERE kind = $1 AND value = $2;

-- name: customer_identity_insert
INSERT INTO customer_identities(customer_id, kind, value, created_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (kind, value) DO NOTHING;
