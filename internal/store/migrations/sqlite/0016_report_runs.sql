-- Report runs: each report generated for a client and a period, on schedule (the
-- contract's reporting cadence) or on demand, with its files and whom it was sent to.
--
-- kind is daily, monthly, review or annual; period is the period as report.ParsePeriod
-- reads it for that kind (2026-10-05, 2026-10, 2026-Q3, 2026). One run per client, kind
-- and period: the scheduler inserts it once (ON CONFLICT DO NOTHING), a regeneration
-- replaces its content and bumps generation, so that a job of an older generation
-- changes nothing. status is queued (waiting for its first or next attempt: attempts > 0
-- with last_error is "retrying"), running, done or failed.
--
-- The PDF and CSV are kept in the row, not as files under the data directory: they are
-- small (tens to hundreds of kB), they are written in the same transaction that marks
-- the run done and queues its e-mail (no file without its row, no row without its file
-- after a crash), every replica reads them without a shared disk, and the database
-- backup holds them. recipients: JSON array of the addresses the report was e-mailed to.
CREATE TABLE report_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    contract_id INTEGER REFERENCES contracts (id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('daily', 'monthly', 'review', 'annual')),
    period TEXT NOT NULL,
    lang TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    send INTEGER NOT NULL DEFAULT 1,
    generation INTEGER NOT NULL DEFAULT 1,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    requested_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    name TEXT NOT NULL DEFAULT '',
    pdf BLOB,
    csv BLOB,
    size INTEGER NOT NULL DEFAULT 0,
    recipients TEXT NOT NULL DEFAULT '[]',
    mail_id INTEGER,
    created_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    sent_at TIMESTAMP,
    UNIQUE (client_id, kind, period)
);
CREATE INDEX report_runs_client ON report_runs (client_id, id);
CREATE INDEX report_runs_period ON report_runs (period);
