-- Supervision: checks on assets (own or applied by templates), their live status and
-- state changes, maintenance windows, backup runs and restore tests, and the version
-- of the check set each asset's agent runs.

-- Tags of an asset, normalised: lower case, comma separated, with a leading and a
-- trailing comma (",web,prod,"), so that tags LIKE '%,web,%' matches one tag.
ALTER TABLE assets ADD COLUMN tags TEXT NOT NULL DEFAULT '';

-- A template applies its rules to every asset it matches (kind, OS, tag; one client or,
-- with client_id NULL, every client).
CREATE TABLE check_templates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id INTEGER REFERENCES clients (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    match_kind TEXT NOT NULL DEFAULT '',
    match_os TEXT NOT NULL DEFAULT '',
    match_tag TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    check_interval INTEGER NOT NULL,
    retry_interval INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    recover_after INTEGER NOT NULL,
    severity TEXT NOT NULL,
    ticket_mode TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX check_templates_client ON check_templates (client_id, id);

-- params is the JSON of agentproto.CheckParams; search is the folded check name.
-- runner_asset_id is the asset whose agent runs a network probe or a backup job.
CREATE TABLE checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    asset_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    search TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    check_interval INTEGER NOT NULL,
    retry_interval INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    recover_after INTEGER NOT NULL,
    severity TEXT NOT NULL,
    ticket_mode TEXT NOT NULL,
    runner_asset_id INTEGER REFERENCES assets (id) ON DELETE SET NULL,
    template_id INTEGER REFERENCES check_templates (id) ON DELETE CASCADE,
    enabled INTEGER NOT NULL DEFAULT 1,
    push_token TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX checks_client ON checks (client_id, id);
CREATE INDEX checks_asset ON checks (asset_id, id);
CREATE INDEX checks_runner ON checks (runner_asset_id) WHERE runner_asset_id IS NOT NULL;
CREATE INDEX checks_template ON checks (template_id) WHERE template_id IS NOT NULL;

-- The live status of a check, created with the check (pending: last_check NULL). data
-- is the JSON of check.Status (its output lives in the output column); the other
-- columns serve the board. sort_rank orders the board: 0/1 CRITICAL, 2/3 UNKNOWN,
-- 4/5 WARNING (odd when acknowledged), 6 pending, 7 OK; then the newest since first.
CREATE TABLE check_status (
    check_id INTEGER PRIMARY KEY REFERENCES checks (id) ON DELETE CASCADE,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    asset_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    state INTEGER NOT NULL,
    state_type INTEGER NOT NULL,
    hard_state INTEGER NOT NULL,
    since TIMESTAMP,
    last_change TIMESTAMP,
    last_check TIMESTAMP,
    output TEXT NOT NULL DEFAULT '',
    flapping INTEGER NOT NULL DEFAULT 0,
    unreachable INTEGER NOT NULL DEFAULT 0,
    acknowledged INTEGER NOT NULL DEFAULT 0,
    sort_rank INTEGER NOT NULL,
    data TEXT NOT NULL,
    ticket_id INTEGER REFERENCES tickets (id) ON DELETE SET NULL
);
CREATE INDEX check_status_rank ON check_status (sort_rank, since DESC, check_id DESC);
CREATE INDEX check_status_client_rank ON check_status (client_id, sort_rank, since DESC, check_id DESC);
CREATE INDEX check_status_asset ON check_status (asset_id);
-- The board's counts read this index alone, not the rows (wide with their JSON).
CREATE INDEX check_status_counts ON check_status (sort_rank, unreachable, flapping, client_id);

-- Every state change of a check (check.Event), kept for history and availability.
CREATE TABLE check_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    check_id INTEGER NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    asset_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    at TIMESTAMP NOT NULL,
    kind INTEGER NOT NULL,
    from_state INTEGER NOT NULL,
    to_state INTEGER NOT NULL,
    state_type INTEGER NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    output TEXT NOT NULL DEFAULT '',
    notify INTEGER NOT NULL DEFAULT 0,
    muted INTEGER NOT NULL DEFAULT 0,
    maintenance INTEGER NOT NULL DEFAULT 0,
    unreachable INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX check_events_check ON check_events (check_id, id);
CREATE INDEX check_events_client ON check_events (client_id, id);
CREATE INDEX check_events_asset ON check_events (asset_id, at);

-- Maintenance windows of an asset, a site or a client. client_id is always the
-- owning client (of the asset or site too), for scoping. A one-off window has
-- starts_at/ends_at; a recurring one has weekdays (bit d for time.Weekday d), a
-- start and a duration in seconds in its time zone.
CREATE TABLE maintenance_windows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    site_id INTEGER REFERENCES sites (id) ON DELETE CASCADE,
    asset_id INTEGER REFERENCES assets (id) ON DELETE CASCADE,
    starts_at TIMESTAMP,
    ends_at TIMESTAMP,
    weekdays INTEGER NOT NULL DEFAULT 0,
    start_seconds INTEGER NOT NULL DEFAULT 0,
    duration_seconds INTEGER NOT NULL DEFAULT 0,
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    comment TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX maintenance_windows_client ON maintenance_windows (client_id, id);
CREATE INDEX maintenance_windows_asset ON maintenance_windows (asset_id) WHERE asset_id IS NOT NULL;
CREATE INDEX maintenance_windows_end ON maintenance_windows (ends_at);

-- Restore tests staff record per backup job asset.
CREATE TABLE restore_tests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    asset_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    tested_at TIMESTAMP NOT NULL,
    scope TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL,
    minutes INTEGER NOT NULL DEFAULT 0,
    evidence TEXT NOT NULL DEFAULT '',
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX restore_tests_asset ON restore_tests (asset_id, tested_at);
CREATE INDEX restore_tests_client ON restore_tests (client_id, id);

-- Runs of backup jobs reported by a push or by `vigie-agent job run`.
CREATE TABLE backup_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    check_id INTEGER NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    asset_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    at TIMESTAMP NOT NULL,
    ok INTEGER NOT NULL,
    seconds REAL NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL
);
CREATE INDEX backup_runs_check ON backup_runs (check_id, at);
CREATE INDEX backup_runs_asset ON backup_runs (asset_id, ok, at);

-- The version of the set of checks an asset's agent runs, raised by every change to it.
CREATE TABLE check_versions (
    asset_id INTEGER PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
    version INTEGER NOT NULL
);
