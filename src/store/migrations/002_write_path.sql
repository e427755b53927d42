-- 002: fewer pages written for each new ticket.
--
-- The search index is filled in batches instead of once per ticket. FTS5 writes its pending
-- terms out as a new index segment at every savepoint and at the end of every statement that
-- writes it; with one savepoint per request in a write batch, each new ticket cost a segment of
-- its own and the merges that follow. Now the triggers only note which tickets need indexing,
-- and db_commit indexes the waiting ones in one statement before COMMIT (at every commit, or
-- every few hundred tickets on a DB_BATCH_SEARCH connection; searches match the waiting ones
-- one by one, see db.h).
CREATE TABLE search_pending (
    ticket_id INTEGER PRIMARY KEY -- a ticket whose text the index does not hold yet
);

DROP TRIGGER tickets_fts_insert;
DROP TRIGGER tickets_fts_update;
DROP TRIGGER tickets_fts_delete;

CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN
    INSERT OR IGNORE INTO search_pending(ticket_id) VALUES (new.id);
END;

-- the old text leaves the index at once (unless it never got there); the new one waits
CREATE TRIGGER tickets_fts_update AFTER UPDATE OF number, subject, description ON tickets
WHEN old.number IS NOT new.number OR old.subject IS NOT new.subject
     OR old.description IS NOT new.description
BEGIN
    INSERT INTO tickets_fts(tickets_fts, rowid, number, subject, description)
    SELECT 'delete', old.id, old.number, old.subject, old.description
    WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE ticket_id = old.id);
    INSERT OR IGNORE INTO search_pending(ticket_id) VALUES (new.id);
END;

CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN
    INSERT INTO tickets_fts(tickets_fts, rowid, number, subject, description)
    SELECT 'delete', old.id, old.number, old.subject, old.description
    WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE ticket_id = old.id);
    DELETE FROM search_pending WHERE ticket_id = old.id;
END;

-- A new ticket has neither owner nor department yet: out of these two indexes, it costs two page
-- writes less a commit. A lookup by owner or department (assignee_id = ?) still uses them.
DROP INDEX tickets_assignee;
DROP INDEX tickets_department;
CREATE INDEX tickets_assignee ON tickets(assignee_id, status) WHERE assignee_id IS NOT NULL;
CREATE INDEX tickets_department ON tickets(department_id, status) WHERE department_id IS NOT NULL;
