-- Contracts: what the provider owes each client over a period, with its perimeter
-- (the assets it covers) and the contacts that receive its reports.
--
-- Dates (start_date, end_date, pack_start) are calendar dates kept as 'YYYY-MM-DD'
-- text in both dialects: they are read in the client's time zone, never instants,
-- and text compares in date order. state is draft, active or cancelled ("ended" is
-- computed from end_date). targets: JSON {"P1": {"tto": seconds, "ttr": seconds}, …},
-- the form of service_levels.targets. perimeter_kinds: JSON array of asset kinds
-- (empty: every kind). The client's service_levels stay where they are: a later
-- migration moves them onto contracts.
CREATE TABLE contracts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    reference TEXT NOT NULL,
    title TEXT NOT NULL,
    start_date TEXT NOT NULL CHECK (length(start_date) = 10),
    end_date TEXT CHECK (end_date IS NULL OR length(end_date) = 10),
    renewal TEXT NOT NULL,
    notice_months INTEGER NOT NULL DEFAULT 0,
    term_months INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    calendar TEXT NOT NULL,
    targets TEXT NOT NULL,
    availability REAL NOT NULL,
    support_mode TEXT NOT NULL,
    support_minutes INTEGER NOT NULL DEFAULT 0,
    pack_start TEXT,
    onsite_per_month INTEGER NOT NULL DEFAULT 0,
    report_daily INTEGER NOT NULL DEFAULT 0,
    report_monthly INTEGER NOT NULL DEFAULT 0,
    report_quarterly INTEGER NOT NULL DEFAULT 0,
    report_annual INTEGER NOT NULL DEFAULT 0,
    reversibility TEXT NOT NULL DEFAULT '',
    data_protection TEXT NOT NULL DEFAULT '',
    retention_years INTEGER NOT NULL DEFAULT 5,
    perimeter_kinds TEXT NOT NULL DEFAULT '[]',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (client_id, reference)
);
CREATE INDEX contracts_in_force ON contracts (client_id, state, start_date);

-- Contacts who receive the contract's reports; a deleted contact stops receiving them.
CREATE TABLE contract_recipients (
    contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    PRIMARY KEY (contract_id, contact_id)
);

-- Sites of the perimeter (none: every site). A site named by a contract cannot be
-- deleted (no cascade): dropping the last one would silently widen the perimeter to
-- every site.
CREATE TABLE contract_sites (
    contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    site_id INTEGER NOT NULL REFERENCES sites (id),
    PRIMARY KEY (contract_id, site_id)
);
CREATE INDEX contract_sites_site ON contract_sites (site_id);

-- Assets explicitly in (included = 1) or out (0) of the perimeter, whatever their
-- kind and site; a deleted asset leaves the list.
CREATE TABLE contract_assets (
    contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    asset_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    included INTEGER NOT NULL,
    PRIMARY KEY (contract_id, asset_id)
);
CREATE INDEX contract_assets_asset ON contract_assets (asset_id);
