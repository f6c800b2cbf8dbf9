-- Helpdesk mail: the IMAP mailboxes Vigie reads, the e-mail domains of the
-- clients, every inbound message processed (once), and the quarantine.

-- The password is stored in clear for now (see docs/helpdesk-mail.md).
CREATE TABLE mailboxes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    host TEXT NOT NULL,
    port INTEGER NOT NULL,
    tls_mode TEXT NOT NULL,
    username TEXT NOT NULL,
    password TEXT NOT NULL,
    folder TEXT NOT NULL DEFAULT 'INBOX',
    mark_seen INTEGER NOT NULL DEFAULT 0,
    enabled INTEGER NOT NULL DEFAULT 1,
    last_polled_at TIMESTAMP,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- A sender at one of these domains who is no contact is quarantined with
-- the client named, for triage.
CREATE TABLE mail_domains (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    domain TEXT NOT NULL UNIQUE,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX mail_domains_client ON mail_domains (client_id);

-- status: pending (to triage), ignored (auto-reply, bounce, loop),
-- released (turned into a ticket or followup by staff), discarded.
CREATE TABLE mail_quarantine (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mailbox_id INTEGER REFERENCES mailboxes (id),
    message_id TEXT NOT NULL DEFAULT '',
    from_addr TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    client_id INTEGER REFERENCES clients (id),
    received_at TIMESTAMP NOT NULL,
    raw BLOB NOT NULL,
    ticket_id INTEGER REFERENCES tickets (id) ON DELETE SET NULL,
    resolved_by INTEGER REFERENCES users (id),
    resolved_at TIMESTAMP
);
CREATE INDEX mail_quarantine_status ON mail_quarantine (status, id);
CREATE INDEX mail_quarantine_client ON mail_quarantine (client_id);

-- One row per message read from a mailbox, written in the transaction of
-- the ticket, followup or quarantine entry it produced: a message is
-- processed exactly once, across restarts and replicas.
CREATE TABLE mail_processed (
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes (id),
    uid_validity BIGINT NOT NULL,
    uid BIGINT NOT NULL,
    message_id TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL,
    ticket_id INTEGER,
    quarantine_id INTEGER,
    processed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (mailbox_id, uid_validity, uid)
);
CREATE INDEX mail_processed_message ON mail_processed (message_id);
