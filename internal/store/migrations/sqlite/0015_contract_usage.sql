-- Support-hours and on-site warnings of contracts, and documents attached to contracts.
--
-- contract_usage_warnings: one row per contract, quota kind ('support' or 'onsite'),
-- period and level ('warning_80' or 'exhausted_100'), written when the consumption
-- first reaches the level: the unique key is what makes a warning sent once.
-- period_start is the first day of the period as 'YYYY-MM-DD' (the calendar month,
-- or the pack's start), read in the client's time zone. consumed and included are
-- seconds (support) or interventions (onsite); recipients is how many e-mails went out.
CREATE TABLE contract_usage_warnings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    period_start TEXT NOT NULL CHECK (length(period_start) = 10),
    level TEXT NOT NULL,
    consumed INTEGER NOT NULL,
    included INTEGER NOT NULL,
    recipients INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (contract_id, kind, period_start, level)
);

-- Time entries by start: a contract's month of consumption (contract.Service.UsageAll,
-- the staff dashboard) reads the month's entries of every client from here rather than
-- each client's whole ticket history.
CREATE INDEX time_entries_start ON time_entries (start_at);

-- Files attached to a contract (the signed contract, its annexes). The content is
-- under <data-dir>/contract-documents/<file_key>; sha256 checks it.
CREATE TABLE contract_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    declared_type TEXT NOT NULL DEFAULT '',
    sniffed_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    file_key TEXT NOT NULL UNIQUE,
    uploaded_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX contract_documents_contract ON contract_documents (contract_id, id);
