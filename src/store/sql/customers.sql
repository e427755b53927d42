-- customers.sql: the people and companies who ask.

-- name: customer_insert
INSERT INTO customers(name, phone, email, member_id, tier, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $6);

-- name: customer_update
UPDATE customers SET name = $2, phone = $3, email = $4, member_id = $5, tier = $6,
                     updated_at = $7
WHERE id = $1;

-- name: customer_by_id
-- the customer, or the one it was merged into
SELECT c.id, c.name, c.phone, c.email, c.member_id, c.tier, c.created_at, c.merged_into
FROM customers f JOIN customers c ON c.id = COALESCE(f.merged_into, f.id) WHERE f.id = $1;

-- name: customer_record
-- the customer as stored: a merged one too
SELECT id, name, phone, email, member_id, tier, created_at, merged_into FROM customers
WHERE id = $1;

-- name: customer_match
-- by phone, else by e-mail, else by member id, each as the customer's contact or as one of its
-- identities: six index lookups, in that order (a merged customer has no contacts left)
SELECT id, name, phone, email, member_id, tier, created_at, merged_into FROM customers
WHERE phone = $1
UNION ALL
SELECT c.id, c.name, c.phone, c.email, c.member_id, c.tier, c.created_at, c.merged_into
FROM customer_identities i JOIN customers c ON c.id = i.customer_id
WHERE i.kind = 'phone' AND i.value = $1
UNION ALL
SELECT id, name, phone, email, member_id, tier, created_at, merged_into FROM customers
WHERE email = $2
UNION ALL
SELECT c.id, c.name, c.phone, c.email, c.member_id, c.tier, c.created_at, c.merged_into
FROM customer_identities i JOIN customers c ON c.id = i.customer_id
WHERE i.kind = 'email' AND i.value = $2
UNION ALL
SELECT id, name, phone, email, member_id, tier, created_at, merged_into FROM customers
WHERE member_id = $3
UNION ALL
SELECT c.id, c.name, c.phone, c.email, c.member_id, c.tier, c.created_at, c.merged_into
FROM customer_identities i JOIN customers c ON c.id = i.customer_id
WHERE i.kind = 'member_id' AND i.value = $3
LIMIT 1;

-- name: customer_search
-- merged customers are left out
SELECT id, name, phone, email, member_id, tier, created_at, merged_into FROM customers
WHERE (phone = $1 OR email = lower($1) OR member_id = $1 OR name >= $1 AND name < $1 || x'f48fbfbf')
  AND merged_into IS NULL
ORDER BY id DESC LIMIT $2;

-- name: customer_recent
SELECT id, name, phone, email, member_id, tier, created_at, merged_into FROM customers
WHERE merged_into IS NULL ORDER BY id DESC LIMIT $1;

-- name: customer_identity_find
SELECT customer_id FROM customer_identities WHERE kind = $1 AND value = $2;

-- name: customer_identity_insert
INSERT INTO customer_identities(customer_id, kind, value, created_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (kind, value) DO NOTHING;

-- name: customer_identities_of
SELECT id, kind, value, created_at FROM customer_identities WHERE customer_id = $1 ORDER BY id;

-- name: customer_identity_by_id
SELECT customer_id, kind, value, created_at FROM customer_identities WHERE id = $1;

-- name: customer_identity_delete
DELETE FROM customer_identities WHERE id = $1;

-- name: customer_ticket_count
SELECT count(*) FROM tickets WHERE customer_id = $1;

-- name: customer_ticket_ids
SELECT id FROM tickets WHERE customer_id = $1 ORDER BY id;

-- name: customer_merge_messages
-- the messages the customer wrote, found through its tickets (messages are indexed by ticket)
UPDATE messages SET customer_id = $2
WHERE customer_id = $1 AND ticket_id IN (SELECT id FROM tickets WHERE customer_id = $1);

-- name: customer_merge_tickets
UPDATE tickets SET customer_id = $2, updated_at = $3 WHERE customer_id = $1;

-- name: customer_merge_identities
UPDATE customer_identities SET customer_id = $2 WHERE customer_id = $1;

-- name: customer_merge_calls
UPDATE calls SET customer_id = $2 WHERE customer_id = $1;

-- name: customer_merge_portal_codes
UPDATE portal_codes SET customer_id = $2 WHERE customer_id = $1;

-- name: customer_merge_portal_sessions
UPDATE portal_sessions SET customer_id = $2 WHERE customer_id = $1;

-- name: customer_merge_tombstones
-- customers merged into $1 before now name $2
UPDATE customers SET merged_into = $2 WHERE merged_into = $1;

-- name: customer_tombstone
-- its contacts go to the survivor (unique, so they leave this row first)
UPDATE customers SET phone = NULL, email = NULL, member_id = NULL, merged_into = $2,
                     updated_at = $3
WHERE id = $1;
