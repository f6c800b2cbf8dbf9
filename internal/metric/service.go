package metric

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/metric/chunk"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Options tune a Service; zero fields take their defaults.
type Options struct {
	Retention Retention
	// FoldAfter is how long Append's rows wait before Compact folds them into chunks (default
	// 10 minutes): folding every report of an asset at once rewrites each open chunk once for
	// several samples.
	FoldAfter time.Duration
	// RollupLag is how long after an hour ends its rollups are stored (default 15 minutes);
	// until then queries compute them from the raw samples.
	RollupLag time.Duration
}

// A chunk is full, and never rewritten again but for late samples, when its data reaches
// fullBytes or it holds maxCount samples or buckets. fullBytes makes four full chunks and
// their row overhead fill a 4 KiB SQLite page: rows of any size would leave on average half
// a row of each page empty (measured: 17 % of the table). The counts bound what a chunk
// spans (retention deletes whole chunks): 2 days of raw samples at 60 s, a week of 5-minute
// buckets, 3 months of hourly ones.
const (
	fullBytes    = 970
	minFullBytes = 920
)

func maxCount(r Resolution) int {
	switch r {
	case FiveMinutes:
		return 7 * 288
	case Hourly:
		return 90 * 24
	}
	return 2 * 1440
}

// part is a run of samples or buckets cut by cut, with its encoding.
type part[T any] struct {
	items []T
	data  []byte
	full  bool
}

// cut splits items into full chunks of fullBytes at most (and at least minFullBytes, but
// for maxCount) and a last, open one.
func cut[T any](items []T, limit int, encode func([]T) ([]byte, error)) ([]part[T], error) {
	var out []part[T]
	for len(items) > 0 {
		n := min(len(items), limit)
		data, err := encode(items[:n])
		if err != nil {
			return nil, err
		}
		if len(data) <= fullBytes {
			out = append(out, part[T]{items: items[:n], data: data, full: n == limit})
			items = items[n:]
			continue
		}
		// Too big: search the longest prefix within fullBytes, starting from the proportion.
		lo, hi := 0, n // encode(items[:lo]) fits (or lo = 0), encode(items[:hi]) does not
		var best []byte
		g := max(1, min(n-1, n*(fullBytes+minFullBytes)/2/len(data)))
		for range 12 {
			d, err := encode(items[:g])
			if err != nil {
				return nil, err
			}
			if len(d) > fullBytes {
				hi = g
			} else {
				lo, best = g, d
				if len(d) >= minFullBytes {
					break
				}
			}
			if hi-lo <= 1 {
				break
			}
			g = (lo + hi) / 2
		}
		if lo == 0 { // a single item over fullBytes: a chunk of its own
			lo, best = 1, nil
			if best, err = encode(items[:1]); err != nil {
				return nil, err
			}
		}
		out = append(out, part[T]{items: items[:lo], data: best, full: true})
		items = items[lo:]
	}
	return out, nil
}

// Service stores and queries metric samples.
type Service struct {
	store Store
	now   func() time.Time
	log   *slog.Logger
	opts  Options

	// ids caches series ids by asset then key. It is filled only from committed rows, so a
	// series created in a transaction that rolls back never enters it.
	mu  sync.RWMutex
	ids map[int64]map[string]int64
	// retainedAt is when Compact last applied the retention.
	retainedAt time.Time
}

// NewService returns a Service with the default options.
func NewService(store Store, now func() time.Time, log *slog.Logger) *Service {
	return NewServiceOptions(store, now, log, Options{})
}

// NewServiceOptions returns a Service with options.
func NewServiceOptions(store Store, now func() time.Time, log *slog.Logger, opts Options) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	def := DefaultRetention()
	if opts.Retention.Raw <= 0 {
		opts.Retention.Raw = def.Raw
	}
	if opts.Retention.FiveMinutes <= 0 {
		opts.Retention.FiveMinutes = def.FiveMinutes
	}
	if opts.Retention.Hourly <= 0 {
		opts.Retention.Hourly = def.Hourly
	}
	if opts.FoldAfter <= 0 {
		opts.FoldAfter = 10 * time.Minute
	}
	if opts.RollupLag <= 0 {
		opts.RollupLag = 15 * time.Minute
	}
	return &Service{store: store, now: now, log: log, opts: opts, ids: map[int64]map[string]int64{}}
}

// Retention returns the retention of each resolution.
func (svc *Service) Retention() Retention { return svc.opts.Retention }

// Append stores an agent's samples for one asset. Call it inside the caller's transaction
// (store.InTx carries it in ctx) so that the report, its sequence number and its samples
// commit together; without one it makes its own. Samples older than agentproto.MaxPast are
// dropped and counted (unless opts.AllowPast); a sample more than agentproto.MaxFuture ahead
// of now, or any other invalid input, fails the whole call with ErrInvalid and stores nothing.
func (svc *Service) Append(ctx context.Context, clientID, assetID int64, series []agentproto.Series, opts AppendOptions) (AppendResult, error) {
	if clientID <= 0 || assetID <= 0 {
		return AppendResult{}, fmt.Errorf("append samples: client %d, asset %d: %w", clientID, assetID, ErrInvalid)
	}
	now := svc.now()
	cs, dropped, err := validate(series, now, opts)
	if err != nil {
		return AppendResult{}, fmt.Errorf("append samples of asset %d: %w", assetID, err)
	}
	res := AppendResult{DroppedOld: dropped}
	if len(cs) == 0 {
		return res, nil
	}
	ids, err := svc.cachedIDs(ctx, clientID, assetID, cs)
	if err != nil {
		return AppendResult{}, err
	}
	err = svc.store.InTx(ctx, func(ctx context.Context) error {
		in := make([]ingestSeries, len(cs))
		n := 0
		for i, c := range cs {
			id := ids[i]
			if id == 0 {
				id, err = svc.store.EnsureSeries(ctx, Series{ClientID: clientID, AssetID: assetID, Name: c.name, Labels: c.labels})
				if err != nil {
					return fmt.Errorf("create series %s of asset %d: %w", c.name, assetID, err)
				}
			}
			ss := make([]chunk.Sample, len(c.samples))
			for j, s := range c.samples {
				ss[j] = chunk.Sample(s)
			}
			in[i] = ingestSeries{id: id, samples: ss}
			n += len(ss)
		}
		data, err := encodeIngest(in)
		if err != nil {
			return err
		}
		if err := svc.store.InsertIngest(ctx, clientID, assetID, now.UnixMilli(), n, data); err != nil {
			return fmt.Errorf("store samples of asset %d: %w", assetID, err)
		}
		res.Samples = n
		return nil
	})
	if err != nil {
		return AppendResult{}, err
	}
	return res, nil
}

// cachedIDs returns the ids of the series known as committed, 0 for the others.
func (svc *Service) cachedIDs(ctx context.Context, clientID, assetID int64, cs []checked) ([]int64, error) {
	ids := make([]int64, len(cs))
	missing := false
	svc.mu.RLock()
	m := svc.ids[assetID]
	for i, c := range cs {
		ids[i] = m[c.key]
		missing = missing || ids[i] == 0
	}
	svc.mu.RUnlock()
	if !missing {
		return ids, nil
	}
	committed, err := svc.store.CommittedSeries(ctx, assetID)
	if err != nil {
		return nil, fmt.Errorf("load series of asset %d: %w", assetID, err)
	}
	fresh := make(map[string]int64, len(committed))
	for _, s := range committed {
		if s.ClientID == clientID {
			fresh[seriesKey(s.Name, EncodeLabels(s.Labels))] = s.ID
		}
	}
	svc.mu.Lock()
	svc.ids[assetID] = fresh
	svc.mu.Unlock()
	for i, c := range cs {
		ids[i] = fresh[c.key]
	}
	return ids, nil
}

func (svc *Service) forget(assetID int64) {
	svc.mu.Lock()
	delete(svc.ids, assetID)
	svc.mu.Unlock()
}

// SeriesOf returns the series of an asset, by name then labels; none when the scope cannot
// see the asset's client.
func (svc *Service) SeriesOf(ctx context.Context, s tenant.Scope, assetID int64) ([]Series, error) {
	if !s.Can(tenant.AssetRead) {
		return nil, fault.ErrForbidden
	}
	out, err := svc.store.SeriesOfAsset(ctx, s, assetID, "")
	if err != nil {
		return nil, fmt.Errorf("list series of asset %d: %w", assetID, err)
	}
	return out, nil
}

// DeleteAsset deletes every series and sample of an asset, inside the caller's transaction.
func (svc *Service) DeleteAsset(ctx context.Context, assetID int64) error {
	svc.forget(assetID)
	if err := svc.store.DeleteMetricsOfAsset(ctx, assetID); err != nil {
		return fmt.Errorf("delete metrics of asset %d: %w", assetID, err)
	}
	svc.forget(assetID)
	return nil
}

// Usage measures what the metric store holds and takes on disk.
func (svc *Service) Usage(ctx context.Context) (Usage, error) {
	u, err := svc.store.MetricUsage(ctx)
	if err != nil {
		return Usage{}, fmt.Errorf("measure metric store: %w", err)
	}
	if u.Samples > 0 {
		u.PerSample = float64(u.Bytes) / float64(u.Samples)
	}
	return u, nil
}

// Choose returns the resolution a query over [from, to] gets: raw up to 2 days, 5-minute up
// to 60 days, else hourly; and a coarser one when from is past the finer one's retention.
func (svc *Service) Choose(from, to time.Time) Resolution {
	span := to.Sub(from)
	now := svc.now()
	ret := svc.opts.Retention
	switch {
	case span <= 2*24*time.Hour && !from.Before(now.Add(-ret.Raw)):
		return Raw
	case span <= 60*24*time.Hour && !from.Before(now.Add(-ret.FiveMinutes)):
		return FiveMinutes
	}
	return Hourly
}

// Query returns the points of an asset's series of one name (and labels) over a range.
// The scope must be allowed to read assets; series of clients it cannot see are left out.
func (svc *Service) Query(ctx context.Context, s tenant.Scope, q Query) ([]Result, error) {
	if !s.Can(tenant.AssetRead) {
		return nil, fault.ErrForbidden
	}
	if !ValidName(q.Name) {
		return nil, fmt.Errorf("query: metric name %.120q: %w", q.Name, ErrInvalid)
	}
	if err := checkLabels(q.Labels); err != nil {
		return nil, fmt.Errorf("query: %v: %w", err, ErrInvalid)
	}
	if q.From.IsZero() || q.To.IsZero() || q.To.Before(q.From) {
		return nil, fmt.Errorf("query: range %s – %s: %w", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339), ErrInvalid)
	}
	res := svc.Choose(q.From, q.To)
	if q.Resolution != nil {
		res = *q.Resolution
		if res < Raw || res > Hourly {
			return nil, fmt.Errorf("query: resolution %d: %w", res, ErrInvalid)
		}
	}
	all, err := svc.store.SeriesOfAsset(ctx, s, q.AssetID, q.Name)
	if err != nil {
		return nil, fmt.Errorf("query series of asset %d: %w", q.AssetID, err)
	}
	var series []Series
	for _, sr := range all {
		if hasLabels(sr.Labels, q.Labels) && s.CanOn(tenant.AssetRead, sr.ClientID) {
			series = append(series, sr)
		}
	}
	if len(series) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(series))
	for i, sr := range series {
		ids[i] = sr.ID
	}
	from, to := q.From.UnixMilli(), q.To.UnixMilli()
	out := make([]Result, len(series))
	if res == Raw {
		samples, err := svc.rawSamples(ctx, q.AssetID, ids, from, to)
		if err != nil {
			return nil, err
		}
		for i, sr := range series {
			pts := make([]Point, len(samples[sr.ID]))
			for j, x := range samples[sr.ID] {
				pts[j] = Point{T: msTime(x.T), Min: x.V, Avg: x.V, Max: x.V}
			}
			out[i] = Result{Series: sr, Resolution: Raw, Points: pts}
		}
		return out, nil
	}
	buckets, err := svc.rollupBuckets(ctx, q.AssetID, ids, res, from, to)
	if err != nil {
		return nil, err
	}
	for i, sr := range series {
		pts := make([]Point, len(buckets[sr.ID]))
		for j, b := range buckets[sr.ID] {
			pts[j] = b.point()
		}
		out[i] = Result{Series: sr, Resolution: res, Points: pts}
	}
	return out, nil
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// rawSamples returns the raw samples of series in [from, to]: their chunks merged with the
// ingest rows not compacted yet, the first value stored for an instant winning.
func (svc *Service) rawSamples(ctx context.Context, assetID int64, ids []int64, from, to int64) (map[int64][]chunk.Sample, error) {
	// The ingest rows first: a compaction committing between the two reads then makes
	// samples appear twice (merged away), never disappear.
	rows, err := svc.store.IngestRows(ctx, assetID, 0, false)
	if err != nil {
		return nil, fmt.Errorf("load recent samples of asset %d: %w", assetID, err)
	}
	chunks, err := svc.store.Chunks(ctx, ids, Raw, from, to)
	if err != nil {
		return nil, fmt.Errorf("load chunks of asset %d: %w", assetID, err)
	}
	base := make(map[int64][]chunk.Sample, len(ids))
	for _, c := range chunks {
		ss, err := decodeRaw(nil, c.Data)
		if err != nil {
			return nil, fmt.Errorf("decode chunk of series %d at %d: %w", c.SeriesID, c.Start, err)
		}
		base[c.SeriesID] = append(base[c.SeriesID], inRange(ss, from, to)...)
	}
	if len(rows) == 0 {
		return base, nil
	}
	want := make(map[int64]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	extra := map[int64][]chunk.Sample{}
	for _, r := range rows {
		err := decodeIngest(r.Data, func(id int64) bool { return want[id] }, func(id int64, ss []chunk.Sample) {
			extra[id] = append(extra[id], inRange(ss, from, to)...)
		})
		if err != nil {
			svc.log.Error("skip unreadable ingest row", "asset", assetID, "row", r.ID, "err", err)
		}
	}
	for id, ex := range extra {
		base[id], _ = mergeFirst(base[id], ex)
	}
	return base, nil
}

func inRange(ss []chunk.Sample, from, to int64) []chunk.Sample {
	i, _ := slices.BinarySearchFunc(ss, from, func(s chunk.Sample, t int64) int { return cmp.Compare(s.T, t) })
	j, found := slices.BinarySearchFunc(ss, to, func(s chunk.Sample, t int64) int { return cmp.Compare(s.T, t) })
	if found {
		j++
	}
	if i >= j {
		return nil
	}
	return ss[i:j]
}

// mergeFirst merges extra (in arrival order, any timestamps) into base (sorted, unique): for
// an instant, base wins, then the first of extra. It returns the merge and how many samples
// of extra were dropped as duplicates.
func mergeFirst(base, extra []chunk.Sample) ([]chunk.Sample, int) {
	if len(extra) == 0 {
		return base, 0
	}
	extra = slices.Clone(extra)
	slices.SortStableFunc(extra, func(a, b chunk.Sample) int { return cmp.Compare(a.T, b.T) })
	out := make([]chunk.Sample, 0, len(base)+len(extra))
	dups := 0
	i := 0
	last := int64(math.MinInt64)
	haveLast := false
	for _, e := range extra {
		for i < len(base) && base[i].T <= e.T {
			out = append(out, base[i])
			last, haveLast = base[i].T, true
			i++
		}
		if haveLast && e.T == last {
			dups++
			continue
		}
		out = append(out, e)
		last, haveLast = e.T, true
	}
	out = append(out, base[i:]...)
	return out, dups
}

// rollupBuckets returns the buckets of series at a rollup resolution over [from, to]: stored
// ones before each series' rollup mark, computed from the raw samples after it.
func (svc *Service) rollupBuckets(ctx context.Context, assetID int64, ids []int64, res Resolution, from, to int64) (map[int64][]bucket, error) {
	step := res.Step().Milliseconds()
	start := floorDiv(from, step) * step
	states, err := svc.store.SeriesStates(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load series state: %w", err)
	}
	rolled := make(map[int64]int64, len(states))
	for _, st := range states {
		rolled[st.ID] = st.RolledUntil
	}
	out := make(map[int64][]bucket, len(ids))
	chunks, err := svc.store.Chunks(ctx, ids, res, start, to)
	if err != nil {
		return nil, fmt.Errorf("load %s rollups of asset %d: %w", res, assetID, err)
	}
	for _, c := range chunks {
		bs, err := decodeRollup(c.Data)
		if err != nil {
			return nil, fmt.Errorf("decode %s rollup of series %d at %d: %w", res, c.SeriesID, c.Start, err)
		}
		for _, b := range bs {
			if b.T >= start && b.T <= to && b.T < rolled[c.SeriesID] {
				out[c.SeriesID] = append(out[c.SeriesID], b)
			}
		}
	}
	// The raw tail after the earliest mark, for the series whose mark is before to.
	var tail []int64
	rawFrom := int64(math.MaxInt64)
	for _, id := range ids {
		if r := rolled[id]; r <= to {
			tail = append(tail, id)
			rawFrom = min(rawFrom, max(start, r))
		}
	}
	if len(tail) == 0 {
		return out, nil
	}
	raw, err := svc.rawSamples(ctx, assetID, tail, rawFrom, to)
	if err != nil {
		return nil, err
	}
	for _, id := range tail {
		lo := max(start, rolled[id])
		out[id] = append(out[id], rollup(inRange(raw[id], lo, to), step)...)
	}
	return out, nil
}

// Compact folds into chunks the ingest rows of the assets that have one older than FoldAfter
// or 10,000 samples waiting, extends the rollups up to the last hour ended RollupLag ago, and
// deletes what is past its retention (once an hour), each asset or group of series in its
// own short transaction. It is idempotent and safe to run concurrently with Append and with
// itself.
func (svc *Service) Compact(ctx context.Context) (CompactStats, error) {
	var st CompactStats
	now := svc.now()
	assets, err := svc.store.IngestAssets(ctx, now.Add(-svc.opts.FoldAfter).UnixMilli(), foldSamples)
	if err != nil {
		return st, fmt.Errorf("compact: list assets: %w", err)
	}
	// One asset's failure (a corrupt chunk) must not stop the others: it is logged, the
	// others go on, and Compact returns the errors at the end.
	var errs []error
	for _, a := range assets {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		if err := svc.foldAsset(ctx, a, math.MaxInt64, &st); err != nil {
			svc.log.Error("compact metrics of an asset", "asset", a, "err", err)
			errs = append(errs, fmt.Errorf("compact asset %d: %w", a, err))
		}
	}
	target := floorDiv(now.Add(-svc.opts.RollupLag).UnixMilli(), hourMs) * hourMs
	if err := svc.rollAll(ctx, target, &st); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return st, errors.Join(errs...)
	}
	// Retention moves by whole chunks (hours at least): once an hour is enough.
	svc.mu.Lock()
	due := svc.retainedAt.IsZero() || now.Sub(svc.retainedAt) >= time.Hour || now.Before(svc.retainedAt)
	if due {
		svc.retainedAt = now
	}
	svc.mu.Unlock()
	if due {
		if err := svc.retain(ctx, now, &st); err != nil {
			return st, err
		}
	}
	return st, nil
}

// retain deletes the chunks past their resolution's retention, a range of series per
// transaction.
func (svc *Service) retain(ctx context.Context, now time.Time, st *CompactStats) error {
	const perTx = 500
	maxID, err := svc.store.MaxSeriesID(ctx)
	if err != nil {
		return fmt.Errorf("compact: apply retention: %w", err)
	}
	ret := svc.opts.Retention
	for from := int64(0); from <= maxID; from += perTx {
		err := svc.store.InTx(ctx, func(ctx context.Context) error {
			for _, r := range []Resolution{Raw, FiveMinutes, Hourly} {
				n, err := svc.store.DeleteChunksBefore(ctx, r, now.Add(-ret.of(r)).UnixMilli(), from, from+perTx)
				if err != nil {
					return fmt.Errorf("apply %s retention: %w", r, err)
				}
				st.DeletedChunks += n
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("compact: %w", err)
		}
	}
	return nil
}

const hourMs = int64(time.Hour / time.Millisecond)

// foldSamples is how many samples waiting for an asset make Compact fold them without
// waiting for FoldAfter: a backfill or a replay is worth folding at once.
const foldSamples = 10_000

// foldAsset moves an asset's ingest rows received before the instant into raw chunks.
func (svc *Service) foldAsset(ctx context.Context, assetID, before int64, st *CompactStats) error {
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		rows, err := svc.store.IngestRows(ctx, assetID, before, true)
		if err != nil || len(rows) == 0 {
			return err
		}
		news := map[int64][]chunk.Sample{}
		var order []int64
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
			err := decodeIngest(r.Data, nil, func(id int64, ss []chunk.Sample) {
				if _, ok := news[id]; !ok {
					order = append(order, id)
				}
				news[id] = append(news[id], ss...)
			})
			if err != nil {
				// An unreadable row would block compaction forever: log it and drop it.
				svc.log.Error("drop unreadable ingest row", "asset", assetID, "row", r.ID, "err", err)
			}
		}
		states, err := svc.store.SeriesStates(ctx, order)
		if err != nil {
			return err
		}
		state := make(map[int64]SeriesState, len(states))
		for _, s := range states {
			state[s.ID] = s
		}
		for _, id := range order {
			c, ok := state[id]
			if !ok {
				continue // the series was deleted with its asset
			}
			added, dups, err := svc.foldSeries(ctx, c, news[id])
			if err != nil {
				return fmt.Errorf("series %d: %w", id, err)
			}
			st.Samples += added
			st.Duplicates += dups
		}
		if err := svc.store.DeleteIngest(ctx, ids); err != nil {
			return err
		}
		st.Assets++
		st.IngestRows += len(rows)
		return nil
	})
}

// foldSeries merges new samples (arrival order) into a series' raw chunks. Usually they
// all follow the newest chunk: when it is open (not full) they are appended to it as one
// more piece, without decoding it; every maxPieces pieces, or when it fills, the open chunk
// is encoded again as one chunk. Samples before the newest chunk's end rewrite the chunks
// from the one holding the earliest of them.
func (svc *Service) foldSeries(ctx context.Context, st SeriesState, news []chunk.Sample) (added, dups int, err error) {
	news, dups = mergeFirst(nil, news)
	if len(news) == 0 {
		return 0, dups, nil
	}
	id := st.ID
	minT, maxT := news[0].T, news[len(news)-1].T
	last, err := svc.store.LastChunk(ctx, id, Raw)
	found := err == nil
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return 0, 0, err
	}
	var starts []int64
	var add []Chunk
	late := 0 // duplicates of stored samples
	switch {
	case found && minT > last.End && !last.Full && last.Count+len(news) < maxCount(Raw) &&
		pieceCount(last.Data) < maxPieces && len(last.Data)+4*len(news) < fullBytes:
		data, err := appendPiece(last.Data, news)
		if err != nil {
			return 0, 0, err
		}
		starts = []int64{last.Start}
		add = []Chunk{{SeriesID: id, Resolution: Raw, Start: last.Start, End: maxT, Count: last.Count + len(news), Data: data}}
	case found && minT > last.End && !last.Full:
		existing, err := decodeRaw(nil, last.Data)
		if err != nil {
			return 0, 0, fmt.Errorf("decode chunk at %d: %w", last.Start, err)
		}
		starts = []int64{last.Start}
		if add, err = rawChunks(id, append(existing, news...)); err != nil {
			return 0, 0, err
		}
	case !found || minT > last.End:
		if add, err = rawChunks(id, news); err != nil {
			return 0, 0, err
		}
	default:
		loaded, err := svc.store.Chunks(ctx, []int64{id}, Raw, minT, math.MaxInt64)
		if err != nil {
			return 0, 0, err
		}
		var existing []chunk.Sample
		for _, c := range loaded {
			starts = append(starts, c.Start)
			if existing, err = decodeRaw(existing, c.Data); err != nil {
				return 0, 0, fmt.Errorf("decode chunk at %d: %w", c.Start, err)
			}
		}
		merged, d := mergeFirst(existing, news)
		dups += d
		late = d
		if d == len(news) {
			return 0, dups, nil
		}
		if add, err = rawChunks(id, merged); err != nil {
			return 0, 0, err
		}
		maxT = max(maxT, merged[len(merged)-1].T)
	}
	if err := svc.store.ReplaceChunks(ctx, st.ClientID, id, Raw, starts, add); err != nil {
		return 0, 0, err
	}
	// The series row is written only when its rollups must be extended or rebuilt: last_t
	// need only say that raw samples exist after the rollup mark.
	rewind := floorDiv(minT, hourMs) * hourMs
	if st.LastT < st.RolledUntil || rewind < st.RolledUntil || st.LastT < 0 {
		if err := svc.store.Folded(ctx, id, maxT, rewind); err != nil {
			return 0, 0, err
		}
	}
	return len(news) - late, dups, nil
}

// maxPieces bounds the pieces of an open chunk before it is encoded again as one.
const maxPieces = 12

// rawChunks cuts sorted samples into full chunks and a last, open one.
func rawChunks(id int64, ss []chunk.Sample) ([]Chunk, error) {
	parts, err := cut(ss, maxCount(Raw), func(ss []chunk.Sample) ([]byte, error) {
		return chunk.Encode(ss, chunk.Options{Compression: chunk.CompressNone})
	})
	if err != nil {
		return nil, err
	}
	out := make([]Chunk, len(parts))
	for i, p := range parts {
		out[i] = Chunk{SeriesID: id, Resolution: Raw, Start: p.items[0].T, End: p.items[len(p.items)-1].T, Count: len(p.items), Data: p.data, Full: p.full}
	}
	return out, nil
}

// rollAll extends, in groups of series per transaction, every series' rollups up to target,
// in one pass by series id. A group that fails is retried series by series, and a series
// that fails alone is logged and left for the next compaction.
func (svc *Service) rollAll(ctx context.Context, target int64, st *CompactStats) error {
	const batch, perTx = 500, 25
	var errs []error
	after := int64(0)
	for {
		due, err := svc.store.RollupDue(ctx, target, after, batch)
		if err != nil {
			return fmt.Errorf("compact: list series to roll up: %w", err)
		}
		for i := 0; i < len(due); i += perTx {
			group := due[i:min(i+perTx, len(due))]
			err := svc.store.InTx(ctx, func(ctx context.Context) error {
				for _, s := range group {
					if err := svc.rollSeries(ctx, s, target); err != nil {
						return fmt.Errorf("roll up series %d: %w", s.ID, err)
					}
				}
				return nil
			})
			if err == nil {
				st.RolledSeries += len(group)
				continue
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			for _, s := range group {
				err := svc.store.InTx(ctx, func(ctx context.Context) error { return svc.rollSeries(ctx, s, target) })
				if err != nil {
					svc.log.Error("roll up metric series", "series", s.ID, "err", err)
					errs = append(errs, fmt.Errorf("roll up series %d: %w", s.ID, err))
					continue
				}
				st.RolledSeries++
			}
		}
		if len(due) < batch {
			return errors.Join(errs...)
		}
		after = due[len(due)-1].ID
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// rollSeries rebuilds a series' rollup buckets from its mark up to target from its raw chunks.
func (svc *Service) rollSeries(ctx context.Context, s SeriesState, target int64) error {
	// Claim the series first: a concurrent compaction that got it meanwhile wins, and the row
	// stays locked against a fold of the same series until this transaction ends.
	ok, err := svc.store.SetRolledUntil(ctx, s.ID, s.RolledUntil, target)
	if err != nil || !ok {
		return err
	}
	from := s.RolledUntil
	chunks, err := svc.store.Chunks(ctx, []int64{s.ID}, Raw, from, target-1)
	if err != nil {
		return err
	}
	var raw []chunk.Sample
	for _, c := range chunks {
		ss, err := decodeRaw(nil, c.Data)
		if err != nil {
			return fmt.Errorf("decode chunk at %d: %w", c.Start, err)
		}
		raw = append(raw, inRange(ss, from, target-1)...)
	}
	for _, r := range []Resolution{FiveMinutes, Hourly} {
		if err := svc.extendRollup(ctx, s, r, from, rollup(raw, r.Step().Milliseconds())); err != nil {
			return err
		}
	}
	// Once an hour, the open raw chunk grown by pieces is encoded again as one chunk, so
	// that what rests on disk is as small as the codec makes it.
	last, err := svc.store.LastChunk(ctx, s.ID, Raw)
	if err != nil || pieceCount(last.Data) == 1 {
		if errors.Is(err, fault.ErrNotFound) {
			err = nil
		}
		return err
	}
	ss, err := decodeRaw(nil, last.Data)
	if err != nil {
		return fmt.Errorf("decode chunk at %d: %w", last.Start, err)
	}
	add, err := rawChunks(s.ID, ss)
	if err != nil {
		return err
	}
	if err := svc.store.ReplaceChunks(ctx, s.ClientID, s.ID, Raw, []int64{last.Start}, add); err != nil {
		return err
	}
	return nil
}

// extendRollup replaces a series' buckets from the instant on with bs.
func (svc *Service) extendRollup(ctx context.Context, s SeriesState, res Resolution, from int64, bs []bucket) error {
	loaded, err := svc.store.Chunks(ctx, []int64{s.ID}, res, from, math.MaxInt64)
	if err != nil {
		return err
	}
	if len(loaded) == 0 {
		if len(bs) == 0 {
			return nil
		}
		last, err := svc.store.LastChunk(ctx, s.ID, res)
		switch {
		case err == nil && !last.Full:
			loaded = []Chunk{last}
		case err != nil && !errors.Is(err, fault.ErrNotFound):
			return err
		}
	}
	var merged []bucket
	starts := make([]int64, len(loaded))
	for i, c := range loaded {
		starts[i] = c.Start
		old, err := decodeRollup(c.Data)
		if err != nil {
			return fmt.Errorf("decode %s rollup at %d: %w", res, c.Start, err)
		}
		for _, b := range old {
			if b.T < from {
				merged = append(merged, b)
			}
		}
	}
	merged = append(merged, bs...)
	parts, err := cut(merged, maxCount(res), encodeRollup)
	if err != nil {
		return err
	}
	add := make([]Chunk, len(parts))
	for i, p := range parts {
		add[i] = Chunk{SeriesID: s.ID, Resolution: res, Start: p.items[0].T, End: p.items[len(p.items)-1].T, Count: len(p.items), Data: p.data, Full: p.full}
	}
	if len(starts) == 0 && len(add) == 0 {
		return nil
	}
	return svc.store.ReplaceChunks(ctx, s.ClientID, s.ID, res, starts, add)
}
