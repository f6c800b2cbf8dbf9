-- Service reviews: per client and period, the meeting that compares the contract's
-- commitments with what was achieved (docs/service-review.md).
--
-- service_reviews is one row per client and period (period_from/period_to: the
-- period's bounds, instants in UTC; period_label as report.Period.Label reads it
-- back). It exists once staff saved something on the review: the meeting's date
-- (held_on: 'YYYY-MM-DD' text, a date in the client's time zone), attendees, notes.
CREATE TABLE service_reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    period_label TEXT NOT NULL,
    period_from TIMESTAMP NOT NULL,
    period_to TIMESTAMP NOT NULL,
    held_on TEXT CHECK (held_on IS NULL OR length(held_on) = 10),
    attendees TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (client_id, period_from, period_to)
);

-- The cause staff give for one breached clock (tto or ttr) of a ticket in a review;
-- without a row the review shows what the ticket's timeline suggests.
CREATE TABLE review_causes (
    review_id INTEGER NOT NULL REFERENCES service_reviews (id) ON DELETE CASCADE,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    clock TEXT NOT NULL CHECK (clock IN ('tto', 'ttr')),
    cause TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (review_id, ticket_id, clock)
);

-- Actions decided in a review, carried from one review to the next until closed.
-- decided_from/decided_label: the period of the review that decided it. due_on:
-- 'YYYY-MM-DD'. status: open, in_progress, done or dropped; closed_at is set when it
-- became done or dropped (NULL while open). The owner is free text, a staff user or a
-- contact of the client.
CREATE TABLE review_actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    title TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    owner_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    owner_contact_id INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    due_on TEXT NOT NULL CHECK (length(due_on) = 10),
    status TEXT NOT NULL,
    decided_from TIMESTAMP NOT NULL,
    decided_label TEXT NOT NULL,
    closed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX review_actions_client ON review_actions (client_id, decided_from);
