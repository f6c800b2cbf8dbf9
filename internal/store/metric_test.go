package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/metric"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// clock is a settable time source for the metric service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type metricEnv struct {
	db    *store.DB
	svc   *metric.Service
	clock *clock
	w     world
}

// day0 is midnight UTC of the tests' first day.
var day0 = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

func newMetricEnv(t *testing.T, d store.Dialect, opts metric.Options) metricEnv {
	t.Helper()
	db := newTestDB(t, d)
	c := &clock{t: day0}
	return metricEnv{db: db, svc: metric.NewServiceOptions(db, c.Now, nil, opts), clock: c, w: newWorld(t, db)}
}

// appendTx appends in a transaction, as the agent API does.
func (e metricEnv) appendTx(t *testing.T, clientID, assetID int64, series []agentproto.Series, opts metric.AppendOptions) (metric.AppendResult, error) {
	t.Helper()
	var res metric.AppendResult
	err := e.db.InTx(t.Context(), func(ctx context.Context) error {
		var err error
		res, err = e.svc.Append(ctx, clientID, assetID, series, opts)
		return err
	})
	return res, err
}

func (e metricEnv) query(t *testing.T, s tenant.Scope, q metric.Query) []metric.Result {
	t.Helper()
	rs, err := e.svc.Query(t.Context(), s, q)
	if err != nil {
		t.Fatalf("Query(%+v): %v", q, err)
	}
	return rs
}

func (e metricEnv) compact(t *testing.T) metric.CompactStats {
	t.Helper()
	st, err := e.svc.Compact(t.Context())
	if err != nil {
		t.Fatalf("Compact: %v", err)
	}
	return st
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func res(r metric.Resolution) *metric.Resolution { return &r }

// values returns the Avg of points.
func values(ps []metric.Point) []float64 {
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i] = p.Avg
	}
	return out
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// minuteSeries returns n samples of name every minute from start, value f(i).
func minuteSeries(name string, labels map[string]string, start time.Time, n int, f func(i int) float64) agentproto.Series {
	s := agentproto.Series{Name: name, Labels: labels}
	for i := range n {
		s.T = append(s.T, ms(start.Add(time.Duration(i)*time.Minute)))
		s.V = append(s.V, f(i))
	}
	return s
}

func TestMetricStore(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, d store.Dialect)
	}{
		{"round trip and visibility", testMetricRoundTrip},
		{"rollups", testMetricRollups},
		{"resolution choice", testMetricResolution},
		{"retention", testMetricRetention},
		{"tenancy", testMetricTenancy},
		{"invalid input", testMetricInvalid},
		{"duplicates and late samples", testMetricDuplicates},
		{"rolled back series", testMetricRollback},
		{"concurrent append and compact", testMetricConcurrent},
		{"delete asset", testMetricDeleteAsset},
		{"usage", testMetricUsage},
		{"corrupt chunk", testMetricCorrupt},
	}
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			requireDialect(t, d)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) { tc.run(t, d) })
			}
		})
	}
}

func testMetricRoundTrip(t *testing.T, d store.Dialect) {
	e := newMetricEnv(t, d, metric.Options{})
	e.clock.Set(day0.Add(3 * time.Hour))
	const asset = 101
	cpu := minuteSeries(agentproto.MetricCPU, nil, day0, 150, func(i int) float64 { return float64(i%97) + 0.25 })
	fs := minuteSeries(agentproto.MetricFSUsed, map[string]string{"mount": "/"}, day0, 150, func(i int) float64 { return 40 + float64(i)/100 })
	fsVar := minuteSeries(agentproto.MetricFSUsed, map[string]string{"mount": "/var"}, day0, 150, func(i int) float64 { return 70 })
	got, err := e.appendTx(t, e.w.A.ID, asset, []agentproto.Series{cpu, fs, fsVar}, metric.AppendOptions{})
	if err != nil || got.Samples != 450 || got.DroppedOld != 0 {
		t.Fatalf("Append = %+v, %v; want 450 samples", got, err)
	}
	q := metric.Query{AssetID: asset, Name: agentproto.MetricCPU, From: day0, To: day0.Add(3 * time.Hour), Resolution: res(metric.Raw)}
	check := func(stage string) {
		t.Helper()
		rs := e.query(t, sys, q)
		if len(rs) != 1 || !equalFloats(values(rs[0].Points), cpu.V) {
			t.Fatalf("%s: cpu = %d results, want the 150 samples back", stage, len(rs))
		}
		p := rs[0].Points[3]
		if !p.T.Equal(day0.Add(3*time.Minute)) || p.Min != p.Avg || p.Max != p.Avg {
			t.Errorf("%s: point 3 = %+v", stage, p)
		}
		all := e.query(t, sys, metric.Query{AssetID: asset, Name: agentproto.MetricFSUsed, From: day0, To: day0.Add(3 * time.Hour), Resolution: res(metric.Raw)})
		if len(all) != 2 || all[0].Series.Labels["mount"] != "/" || all[1].Series.Labels["mount"] != "/var" {
			t.Fatalf("%s: fs series = %+v", stage, all)
		}
		one := e.query(t, sys, metric.Query{AssetID: asset, Name: agentproto.MetricFSUsed, Labels: map[string]string{"mount": "/var"}, From: day0, To: day0.Add(3 * time.Hour), Resolution: res(metric.Raw)})
		if len(one) != 1 || !equalFloats(values(one[0].Points), fsVar.V) {
			t.Fatalf("%s: fs /var = %+v", stage, one)
		}
		// A sub-range.
		sub := e.query(t, sys, metric.Query{AssetID: asset, Name: agentproto.MetricCPU, From: day0.Add(10 * time.Minute), To: day0.Add(19 * time.Minute), Resolution: res(metric.Raw)})
		if len(sub) != 1 || !equalFloats(values(sub[0].Points), cpu.V[10:20]) {
			t.Fatalf("%s: sub-range = %v", stage, sub)
		}
	}
	check("before compaction")
	// Too recent and too few to fold: nothing moves.
	if st := e.compact(t); st.IngestRows != 0 {
		t.Fatalf("Compact folded rows younger than FoldAfter: %+v", st)
	}
	check("after an early compaction")
	e.clock.Add(11 * time.Minute)
	st := e.compact(t)
	if st.IngestRows != 1 || st.Samples != 450 {
		t.Fatalf("Compact = %+v, want 1 row and 450 samples folded", st)
	}
	check("after compaction")
	// More samples append to the open chunk; both visible before and after.
	more := minuteSeries(agentproto.MetricCPU, nil, day0.Add(150*time.Minute), 30, func(i int) float64 { return 1.5 })
	_, err = e.appendTx(t, e.w.A.ID, asset, []agentproto.Series{more}, metric.AppendOptions{})
	ok(t, err)
	cpu.T, cpu.V = append(cpu.T, more.T...), append(cpu.V, more.V...)
	check("compacted and recent")
	e.clock.Add(11 * time.Minute)
	e.compact(t)
	check("compacted twice")
	// A backfill of 10,000 samples or more folds at once.
	back := minuteSeries(agentproto.MetricMemory, nil, day0.Add(-7*24*time.Hour), 10_000, func(i int) float64 { return float64(i % 7) })
	_, err = e.appendTx(t, e.w.A.ID, asset, []agentproto.Series{back}, metric.AppendOptions{})
	ok(t, err)
	if st := e.compact(t); st.IngestRows != 1 || st.Samples != 10_000 {
		t.Fatalf("Compact after a backfill = %+v, want it folded at once", st)
	}
	series, err := e.svc.SeriesOf(t.Context(), sys, asset)
	if err != nil || len(series) != 4 || series[0].Name != agentproto.MetricCPU || series[0].ClientID != e.w.A.ID {
		t.Fatalf("SeriesOf = %+v, %v", series, err)
	}
}

func testMetricRollups(t *testing.T, d store.Dialect) {
	e := newMetricEnv(t, d, metric.Options{})
	const asset = 7
	// 2 hours of one sample a minute: value i (0…119), so every 5-minute bucket k holds
	// 5k…5k+4 (min 5k, avg 5k+2, max 5k+4) and hour h holds 60h…60h+59.
	s := minuteSeries(agentproto.MetricMemory, nil, day0, 120, func(i int) float64 { return float64(i) / 10 })
	e.clock.Set(day0.Add(2 * time.Hour))
	_, err := e.appendTx(t, e.w.A.ID, asset, []agentproto.Series{s}, metric.AppendOptions{})
	ok(t, err)
	want5 := func(rs []metric.Result, stage string) {
		t.Helper()
		if len(rs) != 1 || len(rs[0].Points) != 24 || rs[0].Resolution != metric.FiveMinutes {
			t.Fatalf("%s: 5-minute query = %+v", stage, rs)
		}
		for k, p := range rs[0].Points {
			w := metric.Point{T: day0.Add(time.Duration(k) * 5 * time.Minute), Min: float64(5*k) / 10, Avg: float64(5*k+2) / 10, Max: float64(5*k+4) / 10}
			if !p.T.Equal(w.T) || p.Min != w.Min || math.Abs(p.Avg-w.Avg) > 1e-12 || p.Max != w.Max {
				t.Fatalf("%s: bucket %d = %+v, want %+v", stage, k, p, w)
			}
		}
	}
	wantH := func(rs []metric.Result, stage string) {
		t.Helper()
		if len(rs) != 1 || len(rs[0].Points) != 2 || rs[0].Resolution != metric.Hourly {
			t.Fatalf("%s: hourly query = %+v", stage, rs)
		}
		for h, p := range rs[0].Points {
			w := metric.Point{T: day0.Add(time.Duration(h) * time.Hour), Min: float64(60*h) / 10, Avg: (float64(60*h) + 29.5) / 10, Max: float64(60*h+59) / 10}
			if !p.T.Equal(w.T) || p.Min != w.Min || math.Abs(p.Avg-w.Avg) > 1e-12 || p.Max != w.Max {
				t.Fatalf("%s: hour %d = %+v, want %+v", stage, h, p, w)
			}
		}
	}
	q5 := metric.Query{AssetID: asset, Name: agentproto.MetricMemory, From: day0, To: day0.Add(2*time.Hour - time.Millisecond), Resolution: res(metric.FiveMinutes)}
	qh := q5
	qh.Resolution = res(metric.Hourly)
	// Computed from the ingest rows, then from chunks, then stored.
	want5(e.query(t, sys, q5), "from ingest")
	wantH(e.query(t, sys, qh), "from ingest")
	e.clock.Add(11 * time.Minute)
	e.compact(t)
	want5(e.query(t, sys, q5), "from raw chunks")
	e.clock.Add(time.Hour)
	st := e.compact(t)
	if st.RolledSeries != 1 {
		t.Fatalf("Compact rolled %d series, want 1", st.RolledSeries)
	}
	want5(e.query(t, sys, q5), "stored")
	wantH(e.query(t, sys, qh), "stored")
	// The stored rollups are what answers: rewriting the raw chunks would not change them.
	var n int
	ok(t, e.db.SQL().QueryRowContext(t.Context(), `SELECT (SELECT COUNT(*) FROM metric_chunks WHERE resolution > 0) + (SELECT COUNT(*) FROM metric_heads WHERE resolution > 0)`).Scan(&n))
	if n != 2 {
		t.Fatalf("%d rollup chunks, want one 5-minute and one hourly", n)
	}
	// A late sample in the first bucket moves the rollups back and they are rebuilt.
	late := agentproto.Series{Name: agentproto.MetricMemory, T: []int64{ms(day0.Add(30 * time.Second))}, V: []float64{100}}
	_, err = e.appendTx(t, e.w.A.ID, asset, []agentproto.Series{late}, metric.AppendOptions{})
	ok(t, err)
	e.clock.Add(11 * time.Minute)
	e.compact(t)
	rs := e.query(t, sys, q5)
	if p := rs[0].Points[0]; p.Max != 100 || p.Min != 0 || math.Abs(p.Avg-(0+0.1+0.2+0.3+0.4+100)/6) > 1e-12 {
		t.Fatalf("bucket 0 after a late sample = %+v", p)
	}
	if rs := e.query(t, sys, qh); rs[0].Points[0].Max != 100 || rs[0].Points[1].Max != 11.9 {
		t.Fatalf("hours after a late sample = %+v", rs[0].Points)
	}
}

func testMetricResolution(t *testing.T, d store.Dialect) {
	e := newMetricEnv(t, d, metric.Options{})
	now := day0.Add(100 * 24 * time.Hour)
	e.clock.Set(now)
	cases := []struct {
		from, to time.Time
		want     metric.Resolution
	}{
		{now.Add(-time.Hour), now, metric.Raw},
		{now.Add(-48 * time.Hour), now, metric.Raw},
		{now.Add(-49 * time.Hour), now, metric.FiveMinutes},
		{now.Add(-30 * 24 * time.Hour), now, metric.FiveMinutes},
		{now.Add(-61 * 24 * time.Hour), now, metric.Hourly},
		{now.Add(-365 * 24 * time.Hour), now, metric.Hourly},
		// A short range past the raw retention: 5-minute; past the 5-minute one: hourly.
		{now.Add(-10 * 24 * time.Hour), now.Add(-10*24*time.Hour + time.Hour), metric.FiveMinutes},
		{now.Add(-95 * 24 * time.Hour), now.Add(-95*24*time.Hour + time.Hour), metric.Hourly},
	}
	for _, c := range cases {
		if got := e.svc.Choose(c.from, c.to); got != c.want {
			t.Errorf("Choose(%s, %s) = %s, want %s", c.from, c.to, got, c.want)
		}
	}
	// The query says what it chose.
	s := minuteSeries(agentproto.MetricCPU, nil, now.Add(-3*24*time.Hour), 10, func(i int) float64 { return 1 })
	_, err := e.appendTx(t, e.w.A.ID, 1, []agentproto.Series{s}, metric.AppendOptions{})
	ok(t, err)
	rs := e.query(t, sys, metric.Query{AssetID: 1, Name: agentproto.MetricCPU, From: now.Add(-7 * 24 * time.Hour), To: now})
	if len(rs) != 1 || rs[0].Resolution != metric.FiveMinutes || len(rs[0].Points) != 2 {
		t.Fatalf("7-day query = %+v, want 2 five-minute points", rs)
	}
}

func testMetricRetention(t *testing.T, d store.Dialect) {
	ret := metric.Retention{Raw: 2 * 24 * time.Hour, FiveMinutes: 4 * 24 * time.Hour, Hourly: 6 * 24 * time.Hour}
	e := newMetricEnv(t, d, metric.Options{Retention: ret})
	const asset = 3
	e.clock.Set(day0.Add(24 * time.Hour))
	// Noisy values: about 14 bits a sample, so the day takes several chunks.
	rng := rand.New(rand.NewPCG(1, 2))
	s := minuteSeries(agentproto.MetricCPU, nil, day0, 24*60, func(int) float64 { return float64(rng.IntN(10000)) / 100 })
	_, err := e.appendTx(t, e.w.A.ID, asset, []agentproto.Series{s}, metric.AppendOptions{})
	ok(t, err)
	e.clock.Add(time.Hour)
	e.compact(t)
	count := func(r metric.Resolution) int {
		rs := e.query(t, sys, metric.Query{AssetID: asset, Name: agentproto.MetricCPU, From: day0, To: day0.Add(24*time.Hour - time.Millisecond), Resolution: res(r)})
		if len(rs) == 0 {
			return 0
		}
		return len(rs[0].Points)
	}
	// Retention drops whole chunks: the first one once its last sample is older than 2 days.
	var firstEnd int64
	var firstN int
	ok(t, e.db.SQL().QueryRowContext(t.Context(), `SELECT t_end, n FROM metric_chunks WHERE resolution = 0 ORDER BY t_start LIMIT 1`).Scan(&firstEnd, &firstN))
	if firstN >= 1440 {
		t.Fatalf("the day is one chunk of %d samples; the test needs several", firstN)
	}
	firstGone := time.UnixMilli(firstEnd).Add(ret.Raw)
	steps := []struct {
		at                   time.Time
		raw, five, hourlyPts int
	}{
		{day0.Add(25 * time.Hour), 1440, 288, 24},
		{firstGone.Add(-time.Minute), 1440, 288, 24},
		{firstGone.Add(time.Hour), 1440 - firstN, 288, 24},
		{day0.Add(3*24*time.Hour + 2*time.Hour), 0, 288, 24},
		{day0.Add(5*24*time.Hour + 3*time.Hour), 0, 0, 24},
		{day0.Add(7*24*time.Hour + 4*time.Hour), 0, 0, 0},
	}
	for _, st := range steps {
		e.clock.Set(st.at)
		e.compact(t)
		if r, f, h := count(metric.Raw), count(metric.FiveMinutes), count(metric.Hourly); r != st.raw || f != st.five || h != st.hourlyPts {
			t.Errorf("at %s: raw %d, 5-minute %d, hourly %d points; want %d, %d, %d", st.at, r, f, h, st.raw, st.five, st.hourlyPts)
		}
	}
}

func testMetricTenancy(t *testing.T, d store.Dialect) {
	e := newMetricEnv(t, d, metric.Options{})
	e.clock.Set(day0.Add(time.Hour))
	s := minuteSeries(agentproto.MetricCPU, nil, day0, 30, func(i int) float64 { return 5 })
	_, err := e.appendTx(t, e.w.A.ID, 10, []agentproto.Series{s}, metric.AppendOptions{})
	ok(t, err)
	_, err = e.appendTx(t, e.w.B.ID, 20, []agentproto.Series{s}, metric.AppendOptions{})
	ok(t, err)
	q := func(asset int64) metric.Query {
		return metric.Query{AssetID: asset, Name: agentproto.MetricCPU, From: day0, To: day0.Add(time.Hour)}
	}
	for stage := range 2 {
		for name, sc := range e.w.limitedToA() {
			if name == "client user of A" {
				if _, err := e.svc.Query(t.Context(), sc, q(10)); !errors.Is(err, fault.ErrForbidden) {
					t.Errorf("%s: Query = %v, want ErrForbidden (no asset.read)", name, err)
				}
				continue
			}
			if rs := e.query(t, sc, q(10)); len(rs) != 1 || len(rs[0].Points) != 30 {
				t.Errorf("stage %d, %s: own asset = %+v", stage, name, rs)
			}
			if rs := e.query(t, sc, q(20)); len(rs) != 0 {
				t.Errorf("stage %d, %s: another client's asset gave %d series", stage, name, len(rs))
			}
			if ss, err := e.svc.SeriesOf(t.Context(), sc, 20); err != nil || len(ss) != 0 {
				t.Errorf("stage %d, %s: SeriesOf another client's asset = %v, %v", stage, name, ss, err)
			}
		}
		e.clock.Add(2 * time.Hour)
		e.compact(t)
	}
}

func testMetricInvalid(t *testing.T, d store.Dialect) {
	e := newMetricEnv(t, d, metric.Options{})
	now := day0.Add(10 * 24 * time.Hour)
	e.clock.Set(now)
	good := func() agentproto.Series {
		return agentproto.Series{Name: "cpu.percent", T: []int64{ms(now.Add(-time.Minute)), ms(now)}, V: []float64{1, 2}}
	}
	with := func(f func(*agentproto.Series)) []agentproto.Series {
		s := good()
		f(&s)
		return []agentproto.Series{s}
	}
	manyLabels := map[string]string{}
	for i := range 9 {
		manyLabels[fmt.Sprintf("l%d", i)] = "x"
	}
	cases := []struct {
		name   string
		series []agentproto.Series
	}{
		{"lengths differ", with(func(s *agentproto.Series) { s.V = s.V[:1] })},
		{"timestamps not increasing", with(func(s *agentproto.Series) { s.T[1] = s.T[0] })},
		{"too far ahead", with(func(s *agentproto.Series) { s.T[1] = ms(now.Add(6 * time.Minute)) })},
		{"NaN", with(func(s *agentproto.Series) { s.V[0] = math.NaN() })},
		{"Inf", with(func(s *agentproto.Series) { s.V[1] = math.Inf(-1) })},
		{"bad name", with(func(s *agentproto.Series) { s.Name = "CPU" })},
		{"empty name", with(func(s *agentproto.Series) { s.Name = "" })},
		{"long name", with(func(s *agentproto.Series) { s.Name = strings.Repeat("a", 101) })},
		{"bad label name", with(func(s *agentproto.Series) { s.Labels = map[string]string{"Mount": "/"} })},
		{"long label value", with(func(s *agentproto.Series) { s.Labels = map[string]string{"mount": strings.Repeat("é", 101)} })},
		{"label not UTF-8", with(func(s *agentproto.Series) { s.Labels = map[string]string{"mount": "\xff"} })},
		{"too many labels", with(func(s *agentproto.Series) { s.Labels = manyLabels })},
		{"same series twice", append(with(func(*agentproto.Series) {}), good())},
		{"a good series then a bad one", append([]agentproto.Series{good()}, with(func(s *agentproto.Series) { s.Name = "load.1"; s.V[0] = math.NaN() })...)},
		{"too many series", make([]agentproto.Series, agentproto.MaxSeriesPerReport+1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.appendTx(t, e.w.A.ID, 1, c.series, metric.AppendOptions{})
			if !errors.Is(err, metric.ErrInvalid) {
				t.Fatalf("Append = %v, want ErrInvalid", err)
			}
		})
	}
	var n int
	for _, table := range []string{"metric_series", "metric_ingest", "metric_chunks", "metric_heads"} {
		ok(t, e.db.SQL().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM `+table).Scan(&n))
		if n != 0 {
			t.Errorf("%s has %d rows after refused appends", table, n)
		}
	}
	// Too old samples are dropped and counted, unless AllowPast.
	old := agentproto.Series{Name: "cpu.percent", T: []int64{ms(now.Add(-9 * 24 * time.Hour)), ms(now)}, V: []float64{1, 2}}
	r, err := e.appendTx(t, e.w.A.ID, 1, []agentproto.Series{old}, metric.AppendOptions{})
	if err != nil || r.Samples != 1 || r.DroppedOld != 1 {
		t.Fatalf("Append with an old sample = %+v, %v; want 1 stored, 1 dropped", r, err)
	}
	old.T[1]++
	r, err = e.appendTx(t, e.w.A.ID, 1, []agentproto.Series{old}, metric.AppendOptions{AllowPast: true})
	if err != nil || r.Samples != 2 || r.DroppedOld != 0 {
		t.Fatalf("Append with AllowPast = %+v, %v; want 2 stored", r, err)
	}
	if _, err := e.svc.Query(t.Context(), sys, metric.Query{AssetID: 1, Name: "cpu.percent", From: now, To: now.Add(-time.Hour)}); !errors.Is(err, metric.ErrInvalid) {
		t.Errorf("Query with To before From = %v, want ErrInvalid", err)
	}
}

func testMetricDuplicates(t *testing.T, d store.Dialect) {
	e := newMetricEnv(t, d, metric.Options{})
	e.clock.Set(day0.Add(time.Hour))
	const asset = 5
	first := minuteSeries("processes", nil, day0, 10, func(i int) float64 { return float64(i) })
	again := minuteSeries("processes", nil, day0.Add(5*time.Minute), 10, func(i int) float64 { return 1000 + float64(i) })
	_, err := e.appendTx(t, e.w.A.ID, asset, []agentproto.Series{first}, metric.AppendOptions{})
	ok(t, err)
	_, err = e.appendTx(t, e.w.A.ID, asset, []agentproto.Series{again}, metric.AppendOptions{})
	ok(t, err)
	want := append(append([]float64{}, first.V...), again.V[5:]...)
	q := metric.Query{AssetID: asset, Name: "processes", From: day0, To: day0.Add(time.Hour), Resolution: res(metric.Raw)}
	if rs := e.query(t, sys, q); !equalFloats(values(rs[0].Points), want) {
		t.Fatalf("before compaction = %v, want %v", values(rs[0].Points), want)
	}
	e.clock.Add(11 * time.Minute)
	st := e.compact(t)
	if st.Duplicates != 5 || st.Samples != 15 {
		t.Fatalf("Compact = %+v, want 15 samples and 5 duplicates", st)
	}
	if rs := e.query(t, sys, q); !equalFloats(values(rs[0].Points), want) {
		t.Fatalf("after compaction = %v, want %v", values(rs[0].Points), want)
	}
	// Out of order across calls: an earlier stretch after a later one, then the same again.
	early := minuteSeries("processes", nil, day0.Add(-30*time.Minute), 5, func(i int) float64 { return -1 })
	_, err = e.appendTx(t, e.w.A.ID, asset, []agentproto.Series{early}, metric.AppendOptions{})
	ok(t, err)
	_, err = e.appendTx(t, e.w.A.ID, asset, []agentproto.Series{first}, metric.AppendOptions{})
	ok(t, err)
	e.clock.Add(11 * time.Minute)
	st = e.compact(t)
	if st.Samples != 5 || st.Duplicates != 10 {
		t.Fatalf("second Compact = %+v, want 5 samples and 10 duplicates", st)
	}
	q.From = day0.Add(-time.Hour)
	rs := e.query(t, sys, q)
	if w := append([]float64{-1, -1, -1, -1, -1}, want...); !equalFloats(values(rs[0].Points), w) {
		t.Fatalf("after late samples = %v, want %v", values(rs[0].Points), w)
	}
}

// testMetricRollback: a series created in a transaction that rolls back must not stay in
// the service's cache of series ids, or the next Append would point at a missing series.
func testMetricRollback(t *testing.T, d store.Dialect) {
	e := newMetricEnv(t, d, metric.Options{})
	e.clock.Set(day0.Add(time.Hour))
	s := minuteSeries("swap.percent", nil, day0, 3, func(i int) float64 { return 1 })
	boom := errors.New("boom")
	err := e.db.InTx(t.Context(), func(ctx context.Context) error {
		if _, err := e.svc.Append(ctx, e.w.A.ID, 9, []agentproto.Series{s}, metric.AppendOptions{}); err != nil {
			return err
		}
		// A second Append in the same transaction finds the series it created.
		if _, err := e.svc.Append(ctx, e.w.A.ID, 9, []agentproto.Series{minuteSeries("swap.percent", nil, day0.Add(time.Hour), 1, func(int) float64 { return 2 })}, metric.AppendOptions{}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	_, err = e.appendTx(t, e.w.A.ID, 9, []agentproto.Series{s}, metric.AppendOptions{})
	ok(t, err)
	e.clock.Add(11 * time.Minute)
	e.compact(t)
	rs := e.query(t, sys, metric.Query{AssetID: 9, Name: "swap.percent", From: day0, To: day0.Add(2 * time.Hour), Resolution: res(metric.Raw)})
	if len(rs) != 1 || len(rs[0].Points) != 3 {
		t.Fatalf("after a rolled-back first append = %+v", rs)
	}
}

func testMetricConcurrent(t *testing.T, d store.Dialect) {
	e := newMetricEnv(t, d, metric.Options{FoldAfter: time.Millisecond})
	// A clock that moves a second at every reading, so compactions fold while agents append.
	var ticks atomic.Int64
	e.svc = metric.NewServiceOptions(e.db, func() time.Time {
		return day0.Add(24*time.Hour + time.Duration(ticks.Add(1))*time.Second)
	}, nil, metric.Options{FoldAfter: time.Millisecond})
	const agents, reports = 4, 30
	var folded atomic.Int64
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, agents+2)
	for a := range agents {
		wg.Go(func() {
			for r := range reports {
				batch := []agentproto.Series{
					minuteSeries(agentproto.MetricCPU, nil, day0.Add(time.Duration(r)*time.Minute), 1, func(int) float64 { return float64(r) }),
					minuteSeries(agentproto.MetricLoad1, nil, day0.Add(time.Duration(r)*time.Minute), 1, func(int) float64 { return float64(a) }),
				}
				if _, err := e.appendTx(t, e.w.A.ID, int64(100+a), batch, metric.AppendOptions{}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range 10 {
				st, err := e.svc.Compact(ctx)
				if err != nil {
					errs <- err
					return
				}
				folded.Add(int64(st.IngestRows))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if folded.Load() == 0 {
		t.Log("no compaction folded rows while agents appended (scheduling)")
	}
	ticks.Add(3600)
	e.compact(t)
	for a := range agents {
		rs := e.query(t, sys, metric.Query{AssetID: int64(100 + a), Name: agentproto.MetricCPU, From: day0, To: day0.Add(time.Hour), Resolution: res(metric.Raw)})
		if len(rs) != 1 || len(rs[0].Points) != reports {
			t.Fatalf("agent %d: %+v", a, rs)
		}
		for r, p := range rs[0].Points {
			if p.Avg != float64(r) {
				t.Fatalf("agent %d: point %d = %v", a, r, p.Avg)
			}
		}
	}
	u, err := e.svc.Usage(ctx)
	if err != nil || u.Samples != agents*reports*2 || u.Compacted != u.Samples {
		t.Fatalf("Usage = %+v, %v; want %d samples all compacted", u, err, agents*reports*2)
	}
}

func testMetricDeleteAsset(t *testing.T, d store.Dialect) {
	e := newMetricEnv(t, d, metric.Options{})
	e.clock.Set(day0.Add(3 * time.Hour))
	s := minuteSeries(agentproto.MetricCPU, nil, day0, 60, func(i int) float64 { return 1 })
	for _, asset := range []int64{1, 2} {
		_, err := e.appendTx(t, e.w.A.ID, asset, []agentproto.Series{s}, metric.AppendOptions{})
		ok(t, err)
	}
	e.compact(t)
	_, err := e.appendTx(t, e.w.A.ID, 1, []agentproto.Series{minuteSeries(agentproto.MetricCPU, nil, day0.Add(2*time.Hour), 1, func(int) float64 { return 2 })}, metric.AppendOptions{})
	ok(t, err)
	ok(t, e.db.InTx(t.Context(), func(ctx context.Context) error { return e.svc.DeleteAsset(ctx, 1) }))
	q := metric.Query{AssetID: 1, Name: agentproto.MetricCPU, From: day0, To: day0.Add(3 * time.Hour)}
	if rs := e.query(t, sys, q); len(rs) != 0 {
		t.Fatalf("deleted asset still has %+v", rs)
	}
	q.AssetID = 2
	if rs := e.query(t, sys, q); len(rs) != 1 || len(rs[0].Points) != 60 {
		t.Fatalf("the other asset = %+v", rs)
	}
	// The asset's id may come back (a re-enrolled machine): a fresh series, not a stale id.
	_, err = e.appendTx(t, e.w.A.ID, 1, []agentproto.Series{s}, metric.AppendOptions{})
	ok(t, err)
	q.AssetID = 1
	if rs := e.query(t, sys, q); len(rs) != 1 || len(rs[0].Points) != 60 {
		t.Fatalf("re-created asset = %+v", rs)
	}
}

func testMetricUsage(t *testing.T, d store.Dialect) {
	e := newMetricEnv(t, d, metric.Options{})
	e.clock.Set(day0.Add(25 * time.Hour))
	s := minuteSeries(agentproto.MetricCPU, nil, day0, 1440, func(i int) float64 { return float64(i%50) / 4 })
	_, err := e.appendTx(t, e.w.A.ID, 1, []agentproto.Series{s}, metric.AppendOptions{})
	ok(t, err)
	e.clock.Add(time.Hour)
	e.compact(t)
	u, err := e.svc.Usage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if u.Samples != 1440 || u.Compacted != 1440 || u.Series != 1 || u.Buckets != 288+24 || u.Bytes <= 0 || len(u.Tables) != 4 {
		t.Fatalf("Usage = %+v", u)
	}
}

// testMetricCorrupt: a corrupt chunk fails its series' compaction with an error, but the
// other assets are still compacted and rolled up.
func testMetricCorrupt(t *testing.T, d store.Dialect) {
	e := newMetricEnv(t, d, metric.Options{})
	e.clock.Set(day0.Add(time.Hour))
	s := minuteSeries(agentproto.MetricCPU, nil, day0, 30, func(i int) float64 { return float64(i) })
	for _, asset := range []int64{1, 2} {
		_, err := e.appendTx(t, e.w.A.ID, asset, []agentproto.Series{s}, metric.AppendOptions{})
		ok(t, err)
	}
	e.clock.Add(11 * time.Minute)
	e.compact(t)
	q := `UPDATE metric_heads SET data = ? WHERE series_id IN (SELECT id FROM metric_series WHERE asset_id = 1)`
	if d == store.Postgres {
		q = strings.Replace(q, "?", "$1", 1)
	}
	_, err := e.db.SQL().ExecContext(t.Context(), q, []byte{0x10, 0x05, 0xff})
	ok(t, err)
	more := minuteSeries(agentproto.MetricCPU, nil, day0.Add(30*time.Minute), 10, func(i int) float64 { return 7 })
	for _, asset := range []int64{1, 2} {
		_, err := e.appendTx(t, e.w.A.ID, asset, []agentproto.Series{more}, metric.AppendOptions{})
		ok(t, err)
	}
	e.clock.Add(2 * time.Hour)
	st, err := e.svc.Compact(t.Context())
	// The new samples fold as a piece behind the corrupt head; rolling it up fails.
	if err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("Compact with a corrupt chunk = %v, want an error saying so", err)
	}
	if st.Assets != 2 || st.RolledSeries != 1 {
		t.Fatalf("Compact = %+v: want both assets folded and asset 2 rolled up anyway", st)
	}
	rs := e.query(t, sys, metric.Query{AssetID: 2, Name: agentproto.MetricCPU, From: day0, To: day0.Add(time.Hour), Resolution: res(metric.FiveMinutes)})
	if len(rs) != 1 || len(rs[0].Points) != 8 {
		t.Fatalf("asset 2 after a partly failed compaction = %+v", rs)
	}
	if _, err := e.svc.Query(t.Context(), sys, metric.Query{AssetID: 1, Name: agentproto.MetricCPU, From: day0, To: day0.Add(time.Hour), Resolution: res(metric.Raw)}); err == nil {
		t.Fatal("querying a corrupt chunk gave no error")
	}
}
