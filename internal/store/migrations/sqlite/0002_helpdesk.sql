-- Helpdesk: categories, tickets with their SLA summary, followups, timeline,
-- time entries, the provider's helpdesk settings and the clients' service levels.

-- A category with children cannot be deleted (the default NO ACTION refuses it).
CREATE TABLE categories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id INTEGER REFERENCES categories (id),
    name TEXT NOT NULL
);
CREATE INDEX categories_parent ON categories (parent_id);

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    type TEXT NOT NULL,
    category_id INTEGER REFERENCES categories (id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    requester_id INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    site_id INTEGER REFERENCES sites (id) ON DELETE SET NULL,
    impact INTEGER NOT NULL,
    urgency INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    status TEXT NOT NULL,
    assignee_id INTEGER REFERENCES users (id),
    level TEXT NOT NULL DEFAULT 'N1',
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    owned_at TIMESTAMP,
    resolved_at TIMESTAMP,
    closed_at TIMESTAMP,
    -- The SLA summary (ticket.SLA), recomputed by the helpdesk on every change
    -- and when sla_next_check passes, so that queues sort and filter in SQL.
    sla_covered INTEGER NOT NULL DEFAULT 0,
    tto_due TIMESTAMP,
    ttr_due TIMESTAMP,
    tto_breached_at TIMESTAMP,
    ttr_breached_at TIMESTAMP,
    sla_at_risk INTEGER NOT NULL DEFAULT 0,
    sla_paused INTEGER NOT NULL DEFAULT 0,
    sla_next_check TIMESTAMP,
    -- ttr_due, or 9999-12-31 23:59:59 UTC when there is none: the key of the
    -- "due" queue, NOT NULL so that one index serves its order and its cursor
    -- (and NULLs, which SQLite sorts first and PostgreSQL last, never decide).
    sla_due_order TIMESTAMP NOT NULL,
    -- fold(title, description), for LIKE search until full-text search comes.
    search TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tickets_client_status ON tickets (client_id, status);
CREATE INDEX tickets_assignee_status ON tickets (assignee_id, status);
CREATE INDEX tickets_due ON tickets (sla_due_order, id);
CREATE INDEX tickets_updated ON tickets (updated_at, id);
CREATE INDEX tickets_next_check ON tickets (sla_next_check) WHERE sla_next_check IS NOT NULL;
-- For a client user's own requests, and so that deleting a contact, site or
-- category does not scan every ticket to clear its link.
CREATE INDEX tickets_requester ON tickets (requester_id);
CREATE INDEX tickets_site ON tickets (site_id);
CREATE INDEX tickets_category ON tickets (category_id);

CREATE TABLE followups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    author_id INTEGER REFERENCES users (id),
    author TEXT NOT NULL DEFAULT '',
    public INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX followups_ticket ON followups (ticket_id, id);

CREATE TABLE ticket_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    at TIMESTAMP NOT NULL,
    actor_id INTEGER REFERENCES users (id),
    actor TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    from_value TEXT NOT NULL DEFAULT '',
    to_value TEXT NOT NULL DEFAULT '',
    public INTEGER NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, at, id);

-- Durations in whole seconds.
CREATE TABLE time_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    technician_id INTEGER NOT NULL REFERENCES users (id),
    start_at TIMESTAMP NOT NULL,
    duration_seconds INTEGER NOT NULL,
    on_site INTEGER NOT NULL DEFAULT 0,
    travel_seconds INTEGER NOT NULL DEFAULT 0,
    billable INTEGER NOT NULL DEFAULT 1,
    note TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX time_entries_ticket ON time_entries (ticket_id, start_at);
CREATE INDEX time_entries_technician ON time_entries (technician_id, start_at);

-- One row: the priority matrix (JSON [[P(i1,u1), P(i1,u2), …], …]) and delays.
CREATE TABLE helpdesk_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    matrix TEXT NOT NULL,
    reopen_days INTEGER NOT NULL,
    close_days INTEGER NOT NULL
);
-- ticket.DefaultSettings(): the ITIL matrix, reopening within 7 days, closing after 14.
INSERT INTO helpdesk_settings (id, matrix, reopen_days, close_days) VALUES (1, '[[1,2,3],[2,3,4],[3,4,4]]', 7, 14);

-- targets: JSON {"P1": {"tto": seconds, "ttr": seconds}, …};
-- pause_statuses: JSON array of statuses, NULL for the default (both waiting statuses).
CREATE TABLE service_levels (
    client_id INTEGER PRIMARY KEY REFERENCES clients (id),
    calendar TEXT NOT NULL,
    targets TEXT NOT NULL,
    at_risk_share REAL NOT NULL DEFAULT 0,
    pause_statuses TEXT,
    escalation TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL
);
