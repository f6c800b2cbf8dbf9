-- Metric store (package metric, docs/decisions/0101-metric-store.md).
--
-- A series is an asset, a metric name and labels (canonical JSON text, '' when none).
-- rolled_until: the rollups hold every bucket before this instant (Unix ms, hour-aligned);
-- last_t: the newest compacted raw sample. asset_id has no foreign key: assets are another
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
CREATE INDEX metric_series_client ON metric_series (client_id);

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
-- (1 = 5 minutes, 2 = hourly; min, sum, max and count columns). t_start and t_end are the
-- first and last sample or bucket start, Unix ms; n how many. A rowid table keeps chunks of
-- up to ~4 KB inside their page (a WITHOUT ROWID table would spill them to overflow pages).
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
CREATE INDEX metric_chunks_end ON metric_chunks (resolution, t_end);
