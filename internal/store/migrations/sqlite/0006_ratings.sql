-- Satisfaction ratings of resolved tickets: one per ticket, a later rating
-- replacing the earlier. helpdesk_secrets holds the key that signs the
-- one-click rating links of the resolution e-mail, random per installation.
CREATE TABLE helpdesk_secrets (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
INSERT INTO helpdesk_secrets (name, value) VALUES ('rating', randomblob(32));

CREATE TABLE ticket_ratings (
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    rated_at TIMESTAMP NOT NULL,
    by_contact_id INTEGER REFERENCES contacts (id) ON DELETE SET NULL
);
