-- Fleet: assets, their agents, enrollment tokens, inventories and change history, agent
-- settings per client, and the link between tickets and assets (for later features).
CREATE TABLE assets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    site_id INTEGER REFERENCES sites (id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    criticality TEXT NOT NULL DEFAULT 'normal',
    owner_contact_id INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    warranty_end TIMESTAMP,
    notes TEXT NOT NULL DEFAULT '',
    parent_id INTEGER REFERENCES assets (id) ON DELETE SET NULL,
    fields TEXT NOT NULL DEFAULT '{}',
    os TEXT NOT NULL DEFAULT '',
    os_name TEXT NOT NULL DEFAULT '',
    hostname TEXT NOT NULL DEFAULT '',
    search TEXT NOT NULL DEFAULT '',
    -- Vitals: the last figures an agent reported, for lists and filters.
    vitals_at TIMESTAMP,
    cpu_percent REAL NOT NULL DEFAULT 0,
    memory_percent REAL NOT NULL DEFAULT 0,
    fs_max_percent REAL NOT NULL DEFAULT 0,
    fs_max_mount TEXT NOT NULL DEFAULT '',
    fs_min_free INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX assets_client ON assets (client_id, id);
CREATE INDEX assets_client_name ON assets (client_id, name);
CREATE INDEX assets_parent ON assets (parent_id);

-- One agent per asset. offline_at is last_seen_at plus three report intervals: the
-- instant it turns offline, so that the online/offline filter is a plain comparison.
CREATE TABLE agents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    asset_id INTEGER NOT NULL UNIQUE REFERENCES assets (id) ON DELETE CASCADE,
    hostname TEXT NOT NULL DEFAULT '',
    os TEXT NOT NULL DEFAULT '',
    arch TEXT NOT NULL DEFAULT '',
    version TEXT NOT NULL DEFAULT '',
    machine_id TEXT NOT NULL DEFAULT '',
    secret_hash TEXT NOT NULL UNIQUE,
    enrolled_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP,
    offline_at TIMESTAMP,
    last_seq INTEGER NOT NULL DEFAULT 0,
    settings_version INTEGER NOT NULL DEFAULT 0,
    report_interval INTEGER NOT NULL DEFAULT 60,
    dropped INTEGER NOT NULL DEFAULT 0,
    revoked_at TIMESTAMP
);
CREATE INDEX agents_machine ON agents (client_id, machine_id);

CREATE TABLE enroll_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    site_id INTEGER REFERENCES sites (id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP,
    max_uses INTEGER NOT NULL DEFAULT 0,
    uses INTEGER NOT NULL DEFAULT 0,
    revoked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX enroll_tokens_client ON enroll_tokens (client_id, id);

-- The last inventory of each asset (JSON of agentproto.Inventory).
CREATE TABLE asset_inventories (
    asset_id INTEGER PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    collected_at TIMESTAMP NOT NULL,
    data TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE asset_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    asset_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    at TIMESTAMP NOT NULL,
    field TEXT NOT NULL,
    item TEXT NOT NULL DEFAULT '',
    old_value TEXT NOT NULL DEFAULT '',
    new_value TEXT NOT NULL DEFAULT ''
);
CREATE INDEX asset_changes_asset ON asset_changes (asset_id, id);
CREATE INDEX asset_changes_client ON asset_changes (client_id, id);

-- Agent settings of a client (JSON of agentproto.Settings); none: the defaults.
CREATE TABLE fleet_settings (
    client_id INTEGER PRIMARY KEY REFERENCES clients (id),
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Assets a ticket is about (no UI yet).
CREATE TABLE ticket_assets (
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    asset_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    PRIMARY KEY (ticket_id, asset_id)
);
CREATE INDEX ticket_assets_asset ON ticket_assets (asset_id);
