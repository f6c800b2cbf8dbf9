package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/metric"
	"github.com/vigie-hq/vigie/internal/tenant"
)

var _ metric.Store = (*DB)(nil)

// metricTables are the tables of the metric store, for Usage.
var metricTables = []string{"metric_series", "metric_ingest", "metric_chunks", "metric_heads"}

// CommittedSeries implements metric.Store: it reads on the read pool, never in ctx's
// transaction, so what it returns is committed.
func (db *DB) CommittedSeries(ctx context.Context, assetID int64) ([]metric.Series, error) {
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT id, client_id, asset_id, name, labels FROM metric_series WHERE asset_id = ?`), assetID)
	if err != nil {
		return nil, translate(err)
	}
	return scanSeries(rows)
}

func scanSeries(rows *sql.Rows) ([]metric.Series, error) {
	defer rows.Close()
	var out []metric.Series
	for rows.Next() {
		var s metric.Series
		var labels string
		if err := rows.Scan(&s.ID, &s.ClientID, &s.AssetID, &s.Name, &labels); err != nil {
			return nil, err
		}
		l, err := metric.DecodeLabels(labels)
		if err != nil {
			return nil, fmt.Errorf("series %d: %w", s.ID, err)
		}
		s.Labels = l
		out = append(out, s)
	}
	return out, translate(rows.Err())
}

// EnsureSeries implements metric.Store.
func (db *DB) EnsureSeries(ctx context.Context, s metric.Series) (int64, error) {
	labels := metric.EncodeLabels(s.Labels)
	var id int64
	err := db.q(ctx).QueryRowContext(ctx, db.rebind(`INSERT INTO metric_series (client_id, asset_id, name, labels) VALUES (?, ?, ?, ?)
		ON CONFLICT (asset_id, name, labels) DO NOTHING RETURNING id`), s.ClientID, s.AssetID, s.Name, labels).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, translate(err)
	}
	err = db.q(ctx).QueryRowContext(ctx, db.rebind(`SELECT id FROM metric_series WHERE asset_id = ? AND name = ? AND labels = ?`), s.AssetID, s.Name, labels).Scan(&id)
	return id, translate(err)
}

// SeriesOfAsset implements metric.Store.
func (db *DB) SeriesOfAsset(ctx context.Context, s tenant.Scope, assetID int64, name string) ([]metric.Series, error) {
	cond, args := scopeSQL(s, "client_id")
	q := `SELECT id, client_id, asset_id, name, labels FROM metric_series WHERE asset_id = ? AND ` + cond
	args = append([]any{assetID}, args...)
	if name != "" {
		q += ` AND name = ?`
		args = append(args, name)
	}
	rows, err := db.query(ctx, q+` ORDER BY name, labels`, args...)
	if err != nil {
		return nil, err
	}
	return scanSeries(rows)
}

// SeriesStates implements metric.Store.
func (db *DB) SeriesStates(ctx context.Context, ids []int64) ([]metric.SeriesState, error) {
	var out []metric.SeriesState
	for len(ids) > 0 {
		part := ids[:min(len(ids), 500)]
		ids = ids[len(part):]
		in, args := inList(part)
		rows, err := db.query(ctx, `SELECT id, client_id, rolled_until, last_t FROM metric_series WHERE id IN (`+in+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var s metric.SeriesState
			if err := rows.Scan(&s.ID, &s.ClientID, &s.RolledUntil, &s.LastT); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, translate(err)
		}
	}
	return out, nil
}

func inList(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return strings.TrimSuffix(strings.Repeat("?,", len(ids)), ","), args
}

// InsertIngest implements metric.Store.
func (db *DB) InsertIngest(ctx context.Context, clientID, assetID, received int64, samples int, data []byte) error {
	_, err := db.exec(ctx, `INSERT INTO metric_ingest (asset_id, client_id, received, samples, data) VALUES (?, ?, ?, ?, ?)`,
		assetID, clientID, received, samples, data)
	return err
}

// IngestAssets implements metric.Store.
func (db *DB) IngestAssets(ctx context.Context, receivedBefore int64, minSamples int) ([]int64, error) {
	rows, err := db.query(ctx, `SELECT asset_id FROM metric_ingest GROUP BY asset_id
		HAVING MIN(received) < ? OR SUM(samples) >= ? ORDER BY asset_id`, receivedBefore, minSamples)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, translate(rows.Err())
}

// IngestRows implements metric.Store. On PostgreSQL lock takes the rows FOR UPDATE, so a
// second compaction waits and then finds them gone; SQLite has one writer anyway.
func (db *DB) IngestRows(ctx context.Context, assetID, receivedBefore int64, lock bool) ([]metric.IngestRow, error) {
	q := `SELECT id, data FROM metric_ingest WHERE asset_id = ?`
	args := []any{assetID}
	if receivedBefore != 0 {
		q += ` AND received < ?`
		args = append(args, receivedBefore)
	}
	q += ` ORDER BY id`
	if lock && db.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metric.IngestRow
	for rows.Next() {
		var r metric.IngestRow
		if err := rows.Scan(&r.ID, &r.Data); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, translate(rows.Err())
}

// DeleteIngest implements metric.Store.
func (db *DB) DeleteIngest(ctx context.Context, ids []int64) error {
	for len(ids) > 0 {
		part := ids[:min(len(ids), 500)]
		ids = ids[len(part):]
		in, args := inList(part)
		if _, err := db.exec(ctx, `DELETE FROM metric_ingest WHERE id IN (`+in+`)`, args...); err != nil {
			return err
		}
	}
	return nil
}

// Chunks implements metric.Store.
func (db *DB) Chunks(ctx context.Context, seriesIDs []int64, res metric.Resolution, from, to int64) ([]metric.Chunk, error) {
	var out []metric.Chunk
	for len(seriesIDs) > 0 {
		part := seriesIDs[:min(len(seriesIDs), 500)]
		seriesIDs = seriesIDs[len(part):]
		in, args := inList(part)
		args = append(args, int(res), to, from)
		args = append(args, args...)
		rows, err := db.query(ctx, `SELECT series_id, t_start, t_end, n, data FROM metric_chunks
			WHERE series_id IN (`+in+`) AND resolution = ? AND t_start <= ? AND t_end >= ?
			UNION ALL SELECT series_id, t_start, t_end, n, data FROM metric_heads
			WHERE series_id IN (`+in+`) AND resolution = ? AND t_start <= ? AND t_end >= ?
			ORDER BY 1, 2`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			c := metric.Chunk{Resolution: res}
			if err := rows.Scan(&c.SeriesID, &c.Start, &c.End, &c.Count, &c.Data); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, translate(err)
		}
	}
	return out, nil
}

// LastChunk implements metric.Store: the head when there is one, else the newest full chunk.
func (db *DB) LastChunk(ctx context.Context, seriesID int64, res metric.Resolution) (metric.Chunk, error) {
	c := metric.Chunk{SeriesID: seriesID, Resolution: res}
	// Compaction reads the open chunk to rewrite it (folding new samples in,
	// or re-encoding it once an hour): on PostgreSQL the row is locked until
	// the transaction ends, so that two processes compacting at once never
	// rewrite it from the same old version (a lost update drops samples).
	q := `SELECT t_start, t_end, n, data FROM metric_heads WHERE series_id = ? AND resolution = ?`
	if db.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	err := db.queryRow(ctx, q, seriesID, int(res)).Scan(&c.Start, &c.End, &c.Count, &c.Data)
	if !errors.Is(err, sql.ErrNoRows) {
		return c, translate(err)
	}
	c.Full = true
	err = db.queryRow(ctx, `SELECT t_start, t_end, n, data FROM metric_chunks WHERE series_id = ? AND resolution = ?
		ORDER BY t_start DESC LIMIT 1`, seriesID, int(res)).Scan(&c.Start, &c.End, &c.Count, &c.Data)
	return c, translate(err)
}

// ReplaceChunks implements metric.Store. Full chunks go to metric_chunks, where they stay
// until retention: rows are only ever appended there, so its pages are filled one after
// the other. The one open chunk of a series and resolution, rewritten at every
// compaction, lives in metric_heads and is deleted and inserted again rather than updated:
// on SQLite the new row goes to the end of the table, and pages whose rows have all moved
// are freed whole instead of being split half-empty by rows growing in place.
func (db *DB) ReplaceChunks(ctx context.Context, clientID, seriesID int64, res metric.Resolution, removeStarts []int64, add []metric.Chunk) error {
	newHead := false
	for _, c := range add {
		newHead = newHead || !c.Full
	}
	for _, st := range removeStarts {
		if newHead && db.dialect == Postgres {
			// The head is overwritten below (upsert); a full chunk at st may still exist.
			if _, err := db.exec(ctx, `DELETE FROM metric_chunks WHERE series_id = ? AND resolution = ? AND t_start = ?`, seriesID, int(res), st); err != nil {
				return fmt.Errorf("delete chunk at %d: %w", st, err)
			}
			continue
		}
		r, err := db.exec(ctx, `DELETE FROM metric_heads WHERE series_id = ? AND resolution = ? AND t_start = ?`, seriesID, int(res), st)
		if err != nil {
			return fmt.Errorf("delete head at %d: %w", st, err)
		}
		if n, err := r.RowsAffected(); err == nil && n == 1 {
			continue
		}
		if _, err := db.exec(ctx, `DELETE FROM metric_chunks WHERE series_id = ? AND resolution = ? AND t_start = ?`, seriesID, int(res), st); err != nil {
			return fmt.Errorf("delete chunk at %d: %w", st, err)
		}
	}
	for _, c := range add {
		q := `INSERT INTO metric_chunks (series_id, resolution, t_start, t_end, client_id, n, data) VALUES (?, ?, ?, ?, ?, ?, ?)`
		if !c.Full {
			q = `INSERT INTO metric_heads (series_id, resolution, t_start, t_end, client_id, n, data) VALUES (?, ?, ?, ?, ?, ?, ?)`
			if db.dialect == Postgres {
				// On PostgreSQL an update of the head row, which changes no indexed column,
				// can stay in its page (a HOT update, with the table's fillfactor leaving room).
				q += ` ON CONFLICT (series_id, resolution) DO UPDATE SET t_start = EXCLUDED.t_start, t_end = EXCLUDED.t_end, n = EXCLUDED.n, data = EXCLUDED.data`
			}
		}
		if _, err := db.exec(ctx, q, seriesID, int(res), c.Start, c.End, clientID, c.Count, c.Data); err != nil {
			return fmt.Errorf("insert chunk at %d: %w", c.Start, err)
		}
	}
	return nil
}

// Folded implements metric.Store.
func (db *DB) Folded(ctx context.Context, seriesID, lastT, rewind int64) error {
	q := `UPDATE metric_series SET last_t = MAX(last_t, ?), rolled_until = MIN(rolled_until, ?) WHERE id = ?`
	if db.dialect == Postgres {
		q = `UPDATE metric_series SET last_t = GREATEST(last_t, ?), rolled_until = LEAST(rolled_until, ?) WHERE id = ?`
	}
	_, err := db.exec(ctx, q, lastT, rewind, seriesID)
	return err
}

// RollupDue implements metric.Store.
func (db *DB) RollupDue(ctx context.Context, before, afterID int64, limit int) ([]metric.SeriesState, error) {
	rows, err := db.query(ctx, `SELECT id, client_id, rolled_until, last_t FROM metric_series
		WHERE id > ? AND rolled_until < ? AND last_t >= rolled_until ORDER BY id LIMIT ?`, afterID, before, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metric.SeriesState
	for rows.Next() {
		var s metric.SeriesState
		if err := rows.Scan(&s.ID, &s.ClientID, &s.RolledUntil, &s.LastT); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, translate(rows.Err())
}

// SetRolledUntil implements metric.Store.
func (db *DB) SetRolledUntil(ctx context.Context, seriesID, old, until int64) (bool, error) {
	err := affected(db.exec(ctx, `UPDATE metric_series SET rolled_until = ? WHERE id = ? AND rolled_until = ?`, until, seriesID, old))
	if errors.Is(err, fault.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// DeleteChunksBefore implements metric.Store. It walks the series' index (series_id,
// resolution, t_start): a chunk ending before the instant also starts before it, so each
// series costs one index range, and no index on t_end is needed.
func (db *DB) DeleteChunksBefore(ctx context.Context, res metric.Resolution, before, fromSeries, toSeries int64) (int, error) {
	total := 0
	for _, table := range []string{"metric_chunks", "metric_heads"} {
		q := `DELETE FROM ` + table + ` WHERE series_id IN (SELECT id FROM metric_series WHERE id >= ? AND id < ?)
			AND resolution = ? AND t_start < ? AND t_end < ?`
		if res == metric.Raw {
			// Raw samples go only once their rollups are stored.
			q += ` AND t_end < (SELECT s.rolled_until FROM metric_series s WHERE s.id = ` + table + `.series_id)`
		}
		r, err := db.exec(ctx, q, fromSeries, toSeries, int(res), before, before)
		if err != nil {
			return total, err
		}
		n, err := r.RowsAffected()
		if err != nil {
			return total, err
		}
		total += int(n)
	}
	return total, nil
}

// MaxSeriesID implements metric.Store.
func (db *DB) MaxSeriesID(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	err := db.queryRow(ctx, `SELECT MAX(id) FROM metric_series`).Scan(&n)
	return n.Int64, translate(err)
}

// DeleteMetricsOfAsset implements metric.Store.
func (db *DB) DeleteMetricsOfAsset(ctx context.Context, assetID int64) error {
	for _, q := range []string{
		`DELETE FROM metric_chunks WHERE series_id IN (SELECT id FROM metric_series WHERE asset_id = ?)`,
		`DELETE FROM metric_heads WHERE series_id IN (SELECT id FROM metric_series WHERE asset_id = ?)`,
		`DELETE FROM metric_ingest WHERE asset_id = ?`,
		`DELETE FROM metric_series WHERE asset_id = ?`,
	} {
		if _, err := db.exec(ctx, q, assetID); err != nil {
			return err
		}
	}
	return nil
}

// MetricUsage implements metric.Store: bytes of every metric table and its indexes, from
// SQLite's dbstat (pages in use, free space within them included) or PostgreSQL's
// pg_total_relation_size.
func (db *DB) MetricUsage(ctx context.Context) (metric.Usage, error) {
	u := metric.Usage{Dialect: string(db.dialect)}
	for _, t := range metricTables {
		tu := metric.TableUsage{Table: t}
		if err := db.queryRow(ctx, `SELECT COUNT(*) FROM `+t).Scan(&tu.Rows); err != nil {
			return u, translate(err)
		}
		var err error
		tu.Bytes, u.SizeMethod, err = db.tableBytes(ctx, t)
		if err != nil {
			return u, fmt.Errorf("size of %s: %w", t, err)
		}
		u.Tables = append(u.Tables, tu)
		u.Bytes += tu.Bytes
	}
	u.Series = u.Tables[0].Rows
	var ingest, compacted, buckets sql.NullInt64
	if err := db.queryRow(ctx, `SELECT SUM(samples) FROM metric_ingest`).Scan(&ingest); err != nil {
		return u, translate(err)
	}
	if err := db.queryRow(ctx, `SELECT SUM(CASE WHEN resolution = 0 THEN n ELSE 0 END), SUM(CASE WHEN resolution = 0 THEN 0 ELSE n END) FROM (SELECT resolution, n FROM metric_chunks UNION ALL SELECT resolution, n FROM metric_heads) c`).Scan(&compacted, &buckets); err != nil {
		return u, translate(err)
	}
	u.Compacted = compacted.Int64
	u.Samples = compacted.Int64 + ingest.Int64
	u.Buckets = buckets.Int64
	return u, nil
}

func (db *DB) tableBytes(ctx context.Context, table string) (int64, string, error) {
	var n int64
	if db.dialect == Postgres {
		err := db.queryRow(ctx, `SELECT pg_total_relation_size(?::regclass)`, table).Scan(&n)
		return n, "pg_total_relation_size", translate(err)
	}
	// dbstat counts the pages of the table and of each index (name = the index's name).
	err := db.queryRow(ctx, `SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = ? OR name IN (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?)`,
		table, table).Scan(&n)
	if err == nil {
		return n, "sqlite dbstat", nil
	}
	return 0, "", translate(err)
}
