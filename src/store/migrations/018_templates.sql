-- 018: standard replies (标准话术): a supervisor's reply templates, for a ticket type and
-- category or for any, with placeholders and emotion blanks in the body (core/template.h) and
-- an optional shortcut the agent types after "/" in the reply box.
CREATE TABLE reply_templates (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    type        TEXT,
    category_id INTEGER REFERENCES categories(id),
    shortcut    TEXT UNIQUE,
    body        TEXT NOT NULL,
    created_by  INTEGER REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    updated_by  INTEGER REFERENCES users(id),
    updated_at  INTEGER NOT NULL
);
CREATE INDEX reply_templates_type ON reply_templates(type, category_id);
