-- Metric store (package metric, docs/decisions/0101-metric-store.md).
--
-- A series is an asset, a metric name and labels (canonical JSON text, '' when none).
-- rolled_until: the rollups hold every bucket before this instant (Unix ms, hour-aligned);
-- last_t: a compacted raw sample's instant, kept only to know whether raw samples exist after
-- rolled_until. No index on client_id: a client's series go (ON DELETE CASCADE) when the
-- client does, which is rare enough for a scan. asset_id has no foreign key: assets are another
-- feature's table, and an asset's metrics are deleted with it by the metric service.
CREATE TABLE metric_series (
    id INTEGER PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    asset_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    labels TEXT NOT NULL,
    rolled_until INTEGER NOT NULL DEFAULT 0,
    last_t INTEGER NOT NULL DEFAULT -1,
    UNIQUE (asset_id, name, labels)
);

-- One row per Append: its samples of every series, encoded (metric/blob.go), until Compact
-- folds them into chunks. received is the server's clock at Append, Unix ms.
CREATE TABLE metric_ingest (
    id INTEGER PRIMARY KEY,
    asset_id INTEGER NOT NULL,
    client_id INTEGER NOT NULL,
    received INTEGER NOT NULL,
    samples INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX metric_ingest_asset ON metric_ingest (asset_id, id);

-- Compressed runs of one series: raw samples (resolution 0, package chunk) or rollup buckets
-- (1 = 5 minutes, 2 = hourly; min, max and sum, count columns). t_start and t_end are the
-- first and last sample or bucket start, Unix ms; n how many. metric_chunks holds the full
-- chunks, only ever appended (then deleted by retention), so that its pages stay full;
-- metric_heads the one open chunk of each series and resolution, rewritten as samples come
-- (deleted and inserted again, so that it moves to the end of the table instead of splitting
-- pages). Rowid tables keep rows of up to ~4 KB inside their page (a WITHOUT ROWID table
-- would spill a chunk over ~1 KB to an overflow page).
CREATE TABLE metric_chunks (
    id INTEGER PRIMARY KEY,
    series_id INTEGER NOT NULL REFERENCES metric_series (id) ON DELETE CASCADE,
    resolution INTEGER NOT NULL,
    t_start INTEGER NOT NULL,
    t_end INTEGER NOT NULL,
    client_id INTEGER NOT NULL,
    n INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE UNIQUE INDEX metric_chunks_series ON metric_chunks (series_id, resolution, t_start);

CREATE TABLE metric_heads (
    id INTEGER PRIMARY KEY,
    series_id INTEGER NOT NULL REFERENCES metric_series (id) ON DELETE CASCADE,
    resolution INTEGER NOT NULL,
    t_start INTEGER NOT NULL,
    t_end INTEGER NOT NULL,
    client_id INTEGER NOT NULL,
    n INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE UNIQUE INDEX metric_heads_series ON metric_heads (series_id, resolution);
