-- 016: one customer across channels: a customer merged into another stays as a tombstone naming
-- the customer that took over its tickets, identities, calls and portal sign-ins; the rows a
-- merge moves are found by index.
ALTER TABLE customers ADD COLUMN merged_into INTEGER REFERENCES customers(id);
CREATE INDEX customers_merged_into ON customers(merged_into);
CREATE INDEX calls_customer ON calls(customer_id);
CREATE INDEX portal_codes_customer ON portal_codes(customer_id);
CREATE INDEX portal_sessions_customer ON portal_sessions(customer_id);
