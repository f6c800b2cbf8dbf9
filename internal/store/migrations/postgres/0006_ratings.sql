-- Satisfaction ratings of resolved tickets: one per ticket, a later rating
-- replacing the earlier. helpdesk_secrets holds the key that signs the
-- one-click rating links of the resolution e-mail, random per installation
-- (pgcrypto is not assumed: two md5 of random() and the clock give 32 bytes).
CREATE TABLE helpdesk_secrets (
    name TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
INSERT INTO helpdesk_secrets (name, value) VALUES ('rating',
    decode(md5(random()::text || clock_timestamp()::text) || md5(random()::text || clock_timestamp()::text), 'hex'));

CREATE TABLE ticket_ratings (
    ticket_id BIGINT PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    rated_at TIMESTAMPTZ NOT NULL,
    by_contact_id BIGINT REFERENCES contacts (id) ON DELETE SET NULL
);
