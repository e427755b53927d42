-- kb.sql: the knowledge base: articles, their versions and tags, search and suggestions.

-- name: kb_insert
INSERT INTO kb_articles(title, body, need_type, category_id, tags, state, version,
                        effective_from, source_ticket, created_by, created_at, updated_by,
                        updated_at)
VALUES ($1, $2, $3, $4, $5, 'draft', 1, $6, $7, $8, $9, $8, $9);

-- name: kb_get
SELECT a.id, a.title, a.body, a.need_type, c.code, a.tags, a.state, a.version,
       a.effective_from, a.replaced_by, a.source_ticket, a.updated_at, a.updated_by, u.name,
       a.category_id, t.number, r.title
FROM kb_articles a LEFT JOIN categories c ON c.id = a.category_id
LEFT JOIN users u ON u.id = a.updated_by
LEFT JOIN tickets t ON t.id = a.source_ticket
LEFT JOIN kb_articles r ON r.id = a.replaced_by
WHERE a.id = $1;

-- name: kb_update
UPDATE kb_articles SET title = $2, body = $3, need_type = $4, category_id = $5, tags = $6,
    effective_from = $7, version = $8, updated_by = $9, updated_at = $10
WHERE id = $1;

-- name: kb_set_state
UPDATE kb_articles SET state = $2, replaced_by = $3, updated_by = $4, updated_at = $5
WHERE id = $1;

-- name: kb_version_insert
INSERT INTO kb_versions(article_id, version, title, body, need_type, category_id, tags,
                        effective_from, created_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

-- name: kb_version_update
UPDATE kb_versions SET title = $3, body = $4, need_type = $5, category_id = $6, tags = $7,
    effective_from = $8, created_by = $9, created_at = $10
WHERE article_id = $1 AND version = $2;

-- name: kb_versions_list
SELECT v.version, v.title, v.body, v.need_type, c.code, v.tags, v.effective_from,
       v.created_at, v.created_by, u.name
FROM kb_versions v LEFT JOIN categories c ON c.id = v.category_id
LEFT JOIN users u ON u.id = v.created_by
WHERE v.article_id = $1 ORDER BY v.version DESC;

-- name: kb_version_get
SELECT v.version, v.title, v.body, v.need_type, c.code, v.tags, v.effective_from,
       v.created_at, v.created_by, u.name
FROM kb_versions v LEFT JOIN categories c ON c.id = v.category_id
LEFT JOIN users u ON u.id = v.created_by
WHERE v.article_id = $1 AND v.version = $2;

-- name: kb_tags_clear
DELETE FROM kb_tags WHERE article_id = $1;

-- name: kb_tag_insert
INSERT INTO kb_tags(tag, article_id) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- Newest first, by keyset ($6: the id the page ends before, 0 for the first page).
-- name: kb_list
SELECT a.id FROM kb_articles a
WHERE ($1 IS NULL OR a.state = $1) AND ($2 IS NULL OR a.need_type = $2)
  AND ($3 IS NULL OR a.category_id = $3)
  AND ($4 IS NULL OR EXISTS (SELECT 1 FROM kb_tags g WHERE g.tag = $4 AND g.article_id = a.id))
  AND ($6 = 0 OR a.id < $6)
ORDER BY a.id DESC LIMIT $5;

-- The published articles in force that match an FTS5 expression ($1), best first by BM25 (the
-- title weighs most, then the tags). FTS5 hands its rows over in rank order, so the join only
-- filters and the LIMIT ends the walk; the snippets are made for the page alone
-- (fts_cjk_snippet).
-- name: kb_search
SELECT f.rowid FROM kb_fts f JOIN kb_articles a ON a.id = f.rowid
WHERE f.kb_fts MATCH $1 AND f.rank MATCH 'bm25(5.0, 1.0, 3.0)'
  AND ($2 IS NULL OR a.need_type = $2) AND ($3 IS NULL OR a.category_id = $3)
  AND (a.effective_from IS NULL OR a.effective_from <= $4)
ORDER BY f.rank LIMIT $5;

-- Suggestions: the best matches of $1 by BM25 among the first 50, moved up for the ticket's
-- need type ($2) and category ($3).
-- name: kb_suggest
SELECT id FROM (
    SELECT a.id, a.need_type, a.category_id, f.rank AS score
    FROM kb_fts f JOIN kb_articles a ON a.id = f.rowid
    WHERE f.kb_fts MATCH $1 AND f.rank MATCH 'bm25(5.0, 1.0, 3.0)'
      AND (a.effective_from IS NULL OR a.effective_from <= $4)
    ORDER BY f.rank LIMIT 50) s
ORDER BY s.score * (1.0 + CASE WHEN s.need_type = $2 THEN 0.5 ELSE 0 END
                        + CASE WHEN s.category_id = $3 THEN 1.0 ELSE 0 END), s.id DESC
LIMIT $5;

-- How many published articles match the FTS5 expression $1, counted up to $2 (counting stops
-- there: a common word costs no more to count than a rare one).
-- name: kb_match_count
SELECT count(*) FROM (SELECT rowid FROM kb_fts WHERE kb_fts MATCH $1 LIMIT $2) m;

-- The newest published articles in force matching $1 (for a word too common to rank by).
-- name: kb_search_newest
SELECT f.rowid FROM kb_fts f JOIN kb_articles a ON a.id = f.rowid
WHERE f.kb_fts MATCH $1
  AND ($2 IS NULL OR a.need_type = $2) AND ($3 IS NULL OR a.category_id = $3)
  AND (a.effective_from IS NULL OR a.effective_from <= $4)
ORDER BY f.rowid DESC LIMIT $5;

-- name: kb_docs
SELECT count(*) FROM kb_articles WHERE state = 'published';

-- When the ticket's words find nothing: the newest published articles of its category or type.
-- name: kb_suggest_recent
SELECT a.id FROM kb_articles a
WHERE a.state = 'published' AND (a.category_id = $2 OR a.need_type = $1)
  AND (a.effective_from IS NULL OR a.effective_from <= $3)
ORDER BY CASE WHEN a.category_id = $2 THEN 0 ELSE 1 END, a.id DESC LIMIT $4;

-- name: kb_ticket_replies
SELECT kind, body FROM messages WHERE ticket_id = $1 AND kind = 'reply'
ORDER BY id;

-- name: kb_staff
SELECT id FROM users WHERE active = 1 ORDER BY id;

-- name: kb_exists
SELECT state FROM kb_articles WHERE id = $1;
