-- 020: the knowledge base (知识库): articles with their versions and review, tags, and a search
-- index of the published ones (the kefu tokenizer of migration 001: CJK bigrams, ASCII words).
CREATE TABLE kb_articles (
    id             INTEGER PRIMARY KEY,
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,           -- Markdown
    need_type      TEXT NOT NULL,           -- a ticket type (需求类型)
    category_id    INTEGER REFERENCES categories(id),
    tags           TEXT NOT NULL DEFAULT '', -- one per line
    state          TEXT NOT NULL,           -- draft, in_review, published, obsolete
    version        INTEGER NOT NULL,
    effective_from INTEGER,                 -- UTC ms; NULL: from publication
    replaced_by    INTEGER REFERENCES kb_articles(id),
    source_ticket  INTEGER REFERENCES tickets(id),
    created_by     INTEGER REFERENCES users(id),
    created_at     INTEGER NOT NULL,
    updated_by     INTEGER REFERENCES users(id),
    updated_at     INTEGER NOT NULL
);
CREATE INDEX kb_articles_state ON kb_articles(state, id);

-- every version as it was written; the article row holds the newest
CREATE TABLE kb_versions (
    article_id     INTEGER NOT NULL REFERENCES kb_articles(id),
    version        INTEGER NOT NULL,
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    need_type      TEXT NOT NULL,
    category_id    INTEGER REFERENCES categories(id),
    tags           TEXT NOT NULL DEFAULT '',
    effective_from INTEGER,
    created_by     INTEGER REFERENCES users(id),
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (article_id, version)
);

CREATE TABLE kb_tags (
    tag        TEXT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES kb_articles(id),
    PRIMARY KEY (tag, article_id)
);

-- Only published articles are in the index: a draft, an article under review and an obsolete
-- one (淘汰) are never found. Articles are written rarely, so the triggers index at once.
CREATE VIRTUAL TABLE kb_fts USING fts5(title, body, tags, content='kb_articles',
                                       content_rowid='id', tokenize='kefu');

CREATE TRIGGER kb_fts_insert AFTER INSERT ON kb_articles WHEN new.state = 'published' BEGIN
    INSERT INTO kb_fts(rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags);
END;

CREATE TRIGGER kb_fts_update AFTER UPDATE ON kb_articles
WHEN old.state = 'published' OR new.state = 'published'
BEGIN
    INSERT INTO kb_fts(kb_fts, rowid, title, body, tags)
    SELECT 'delete', old.id, old.title, old.body, old.tags WHERE old.state = 'published';
    INSERT INTO kb_fts(rowid, title, body, tags)
    SELECT new.id, new.title, new.body, new.tags WHERE new.state = 'published';
END;
