-- Files attached to tickets and followups. The content lives on disk under
-- <data-dir>/attachments, addressed by its SHA-256; public follows the
-- followup (a private note's files are staff-only), true on the ticket itself.
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    followup_id INTEGER REFERENCES followups (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    declared_type TEXT NOT NULL DEFAULT '',
    sniffed_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    public INTEGER NOT NULL
);
CREATE INDEX attachments_ticket ON attachments (ticket_id, id);
CREATE INDEX attachments_sha256 ON attachments (sha256);
