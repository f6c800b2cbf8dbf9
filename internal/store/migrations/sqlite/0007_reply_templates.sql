-- Canned replies of the provider's staff: a Markdown body in one language,
-- with {{requester}} and {{ticket}} replaced when a ticket page offers it.
CREATE TABLE reply_templates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    language TEXT NOT NULL CHECK (language IN ('fr', 'en')),
    body TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX reply_templates_name ON reply_templates (lower(name), language);
