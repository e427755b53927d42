-- portal.sql: the customer portal: sign-in codes, portal sessions, files uploaded from the portal.

-- name: portal_customer_by_email
-- the customer's own e-mail, else an e-mail linked to a customer as an identity
SELECT id FROM customers WHERE email = $1
UNION ALL
SELECT customer_id FROM customer_identities WHERE kind = 'email' AND value = $1
LIMIT 1;

-- name: portal_code_retire
-- a new code ends the ones sent before it
UPDATE portal_codes SET dead = 1 WHERE email = $1 AND used_at IS NULL AND dead = 0;

-- name: portal_code_insert
INSERT INTO portal_codes(customer_id, email, code_hash, salt, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: portal_code_live
SELECT id, customer_id, code_hash, salt, tries FROM portal_codes
WHERE email = $1 AND used_at IS NULL AND dead = 0 AND expires_at > $2
ORDER BY id DESC LIMIT 1;

-- name: portal_code_wrong
UPDATE portal_codes SET tries = tries + 1, dead = CASE WHEN tries + 1 >= $2 THEN 1 ELSE 0 END
WHERE id = $1;

-- name: portal_code_used
UPDATE portal_codes SET used_at = $2 WHERE id = $1;

-- name: portal_codes_purge
DELETE FROM portal_codes WHERE expires_at < $1;

-- name: portal_session_insert
INSERT INTO portal_sessions(token_hash, customer_id, created_at, expires_at, ip)
VALUES ($1, $2, $3, $4, $5);

-- name: portal_session_resolve
SELECT id, customer_id FROM portal_sessions WHERE token_hash = $1 AND expires_at > $2;

-- name: portal_session_delete
DELETE FROM portal_sessions WHERE id = $1;

-- name: portal_sessions_purge
DELETE FROM portal_sessions WHERE expires_at < $1;

-- name: portal_upload_key
UPDATE attachments SET portal_key = $2 WHERE id = $1;

-- name: portal_upload_link
UPDATE attachments SET ticket_id = $2, message_id = $3, portal_key = NULL
WHERE portal_key = $1 AND ticket_id IS NULL;

-- name: portal_message_kind
SELECT kind FROM messages WHERE id = $1;

-- name: portal_ticket_by_number
-- by its number only (a number may be all digits: never read as an id)
SELECT id FROM tickets WHERE number = $1;
