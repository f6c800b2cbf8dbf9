-- Escalation rules of a client's service level (JSON list of
-- ticket.EscalationRule): at risk / breached → notify, raise level, reassign.
ALTER TABLE service_levels ADD COLUMN escalation_rules TEXT NOT NULL DEFAULT '[]';

-- Merged duplicates: the ticket a duplicate was merged into (its followups,
-- attachments and time entries moved there).
ALTER TABLE tickets ADD COLUMN merged_into INTEGER REFERENCES tickets (id);

-- Watchers: users told of a ticket's followups and resolution besides its
-- requester.
CREATE TABLE ticket_watchers (
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (ticket_id, user_id)
);
CREATE INDEX ticket_watchers_user ON ticket_watchers (user_id);

-- A client's tickets newest first (its queue, and a search for a common
-- word within it, which stops at the first page of matches).
CREATE INDEX tickets_client_id ON tickets (client_id, id);
