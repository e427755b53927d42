-- 005: API tokens that expire.
--
-- A token may be given an end when it is made (POST /tokens "expires_at"); after it, the token
-- is refused like an unknown one. Tokens made before have none and work until revoked.
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER; -- UTC milliseconds; NULL: never
