// Package metric keeps the time series that agents send: a series is an asset, a metric name
// and labels. Append stores a report's samples at once (one ingest row per call); Compact,
// in the background, folds them into compressed per-series chunks (package chunk), builds
// the 5-minute and hourly rollups (min, avg, max, count) and applies each resolution's
// retention. Query merges what is compacted with what is not yet, so a sample is visible as
// soon as Append's transaction commits. See docs/decisions/0101-metric-store.md.
package metric

import (
	"context"
	"errors"
	"time"

	"github.com/vigie-hq/vigie/internal/tenant"
)

// Resolution of stored points.
type Resolution int

// Resolutions, finest first.
const (
	Raw Resolution = iota
	FiveMinutes
	Hourly
)

// String names the resolution as the API and the UI show it.
func (r Resolution) String() string {
	switch r {
	case Raw:
		return "raw"
	case FiveMinutes:
		return "5m"
	case Hourly:
		return "1h"
	}
	return "unknown"
}

// Step is the width of a rollup bucket (0 for Raw).
func (r Resolution) Step() time.Duration {
	switch r {
	case FiveMinutes:
		return 5 * time.Minute
	case Hourly:
		return time.Hour
	}
	return 0
}

// Series is one metric of one asset with its labels.
type Series struct {
	ID       int64             `json:"id"`
	ClientID int64             `json:"client_id"`
	AssetID  int64             `json:"asset_id"`
	Name     string            `json:"name"`
	Labels   map[string]string `json:"labels,omitempty"`
}

// Point is one value of a series at a resolution: at Raw, Min = Avg = Max; for a rollup, T is
// the start of its bucket (UTC, aligned on 5 minutes or the hour).
type Point struct {
	T             time.Time
	Min, Avg, Max float64
}

// Query selects the points of an asset's series over a time range.
type Query struct {
	AssetID int64
	Name    string            // metric name, e.g. agentproto.MetricCPU
	Labels  map[string]string // nil or empty: every series of that name on the asset; else the series having these labels
	// From and To bound the points, both included.
	From, To time.Time
	// Resolution nil picks one from the range: raw up to 2 days, 5-minute up to 60 days, else
	// hourly, and a coarser one where the finer is past its retention.
	Resolution *Resolution
}

// Result is the points of one series.
type Result struct {
	Series     Series
	Resolution Resolution
	Points     []Point
}

// AppendOptions adjust Append.
type AppendOptions struct {
	// AllowPast accepts samples older than agentproto.MaxPast (demo history, benchmarks).
	AllowPast bool
}

// AppendResult counts what Append stored and dropped.
type AppendResult struct {
	Samples    int // stored
	DroppedOld int // older than agentproto.MaxPast, not stored
}

// ErrInvalid is wrapped by every Append and Query error about its input.
var ErrInvalid = errors.New("invalid samples")

// Retention is how long each resolution is kept.
type Retention struct {
	Raw, FiveMinutes, Hourly time.Duration
}

// DefaultRetention keeps raw samples 8 days, 5-minute rollups 90 days and hourly ones 5 years.
func DefaultRetention() Retention {
	return Retention{Raw: 8 * 24 * time.Hour, FiveMinutes: 90 * 24 * time.Hour, Hourly: 5 * 365 * 24 * time.Hour}
}

func (r Retention) of(res Resolution) time.Duration {
	switch res {
	case FiveMinutes:
		return r.FiveMinutes
	case Hourly:
		return r.Hourly
	}
	return r.Raw
}

// CompactStats says what one Compact did.
type CompactStats struct {
	Assets        int // assets whose ingest rows were folded
	IngestRows    int // ingest rows folded and deleted
	Samples       int // samples folded into raw chunks
	Duplicates    int // samples dropped because their series already had a value at that instant
	RolledSeries  int // series whose rollups were extended
	DeletedChunks int // chunks past their retention
}

// TableUsage is the size of one table, its indexes included.
type TableUsage struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
}

// Usage is what the metric store holds and takes on disk.
type Usage struct {
	Series     int64        `json:"series"`
	Samples    int64        `json:"samples"`     // raw samples, in chunks and not yet compacted
	Compacted  int64        `json:"compacted"`   // raw samples in chunks
	Buckets    int64        `json:"buckets"`     // rollup points, both resolutions
	Bytes      int64        `json:"bytes"`       // every metric table and index
	Tables     []TableUsage `json:"tables"`      // per table
	PerSample  float64      `json:"per_sample"`  // Bytes / Samples
	Dialect    string       `json:"dialect"`     // sqlite or postgres
	SizeMethod string       `json:"size_method"` // how bytes were counted
}

// IngestRow is one Append's samples, not yet compacted.
type IngestRow struct {
	ID   int64
	Data []byte
}

// Chunk is a stored run of one series at one resolution: raw samples, or rollup buckets.
type Chunk struct {
	SeriesID   int64
	Resolution Resolution
	Start, End int64 // Unix ms of the first and last sample or bucket
	Count      int
	Data       []byte
	// Full says the chunk holds as many samples or buckets as a chunk gets: it will not be
	// rewritten (unless by late samples), so the store may place it where rows are packed.
	Full bool
}

// SeriesState is what compaction tracks of a series.
type SeriesState struct {
	ID       int64
	ClientID int64
	// RolledUntil is the instant (Unix ms, hour-aligned) before which the rollups hold every bucket.
	RolledUntil int64
	// LastT is the newest compacted raw sample's instant.
	LastT int64
}

// Store keeps series, ingest rows and chunks. Methods join the transaction carried by ctx.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error

	// CommittedSeries returns the series of an asset as committed, outside any transaction
	// carried by ctx: what it returns cannot be rolled back.
	CommittedSeries(ctx context.Context, assetID int64) ([]Series, error)
	// EnsureSeries returns the id of the series with s's asset, name and labels, creating it.
	EnsureSeries(ctx context.Context, s Series) (int64, error)
	// SeriesOfAsset returns the series of an asset the scope may see (by client), by name when
	// name is not empty.
	SeriesOfAsset(ctx context.Context, s tenant.Scope, assetID int64, name string) ([]Series, error)
	// SeriesStates returns the compaction state of series.
	SeriesStates(ctx context.Context, ids []int64) ([]SeriesState, error)

	// InsertIngest stores one Append's samples.
	InsertIngest(ctx context.Context, clientID, assetID, received int64, samples int, data []byte) error
	// IngestAssets returns the assets with an ingest row received before the instant, or
	// with at least minSamples samples in their ingest rows.
	IngestAssets(ctx context.Context, receivedBefore int64, minSamples int) ([]int64, error)
	// IngestRows returns an asset's ingest rows received before the instant (all when 0),
	// oldest first, locked against a concurrent compaction where the database can.
	IngestRows(ctx context.Context, assetID, receivedBefore int64, lock bool) ([]IngestRow, error)
	// DeleteIngest deletes ingest rows by id.
	DeleteIngest(ctx context.Context, ids []int64) error

	// Chunks returns the chunks of series at a resolution overlapping [from, to], by series then start.
	Chunks(ctx context.Context, seriesIDs []int64, res Resolution, from, to int64) ([]Chunk, error)
	// LastChunk returns the newest chunk of a series at a resolution, or ErrNotFound.
	LastChunk(ctx context.Context, seriesID int64, res Resolution) (Chunk, error)
	// ReplaceChunks deletes the chunks of a series starting at removeStarts and inserts add.
	ReplaceChunks(ctx context.Context, clientID, seriesID int64, res Resolution, removeStarts []int64, add []Chunk) error
	// Folded records the newest raw sample of a series and moves its rollup mark back to
	// rewind when rewind is earlier.
	Folded(ctx context.Context, seriesID, lastT, rewind int64) error
	// RollupDue returns, by id after afterID, up to limit series whose rollups stop before
	// the instant while they have raw samples after their mark.
	RollupDue(ctx context.Context, before, afterID int64, limit int) ([]SeriesState, error)
	// SetRolledUntil moves a series' rollup mark from old to until; false if it was not old.
	SetRolledUntil(ctx context.Context, seriesID, old, until int64) (bool, error)
	// DeleteChunksBefore deletes the chunks of a resolution ending before the instant, of the
	// series with fromSeries ≤ id < toSeries; raw chunks only once rolled up.
	DeleteChunksBefore(ctx context.Context, res Resolution, before, fromSeries, toSeries int64) (int, error)
	// MaxSeriesID returns the largest series id (0 when none).
	MaxSeriesID(ctx context.Context) (int64, error)

	// DeleteMetricsOfAsset deletes every series, chunk and ingest row of an asset.
	DeleteMetricsOfAsset(ctx context.Context, assetID int64) error
	// MetricUsage measures the metric tables.
	MetricUsage(ctx context.Context) (Usage, error)
}
