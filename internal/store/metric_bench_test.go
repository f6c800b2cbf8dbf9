package store_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/metric"
	"github.com/vigie-hq/vigie/internal/metric/agentday"
	"github.com/vigie-hq/vigie/internal/store"
)

// agentDaySeries is one generated agent day (package agentday) as the agent sends it:
// "fs.free:/var" becomes fs.free{mount="/var"}, and so on.
func agentDaySeries(seed uint64) []agentproto.Series {
	gen := agentday.Day(seed, time.Minute)
	out := make([]agentproto.Series, len(gen))
	for i, g := range gen {
		s := agentproto.Series{Name: g.Name}
		if name, label, ok := strings.Cut(g.Name, ":"); ok {
			key := map[string]string{"fs": "mount", "disk": "device", "net": "interface"}[strings.SplitN(name, ".", 2)[0]]
			s.Name, s.Labels = name, map[string]string{key: label}
		}
		for _, x := range g.Samples {
			s.T = append(s.T, x.T)
			s.V = append(s.V, x.V)
		}
		out[i] = s
	}
	return out
}

// TestMetricDayFigures measures the metric store on a realistic day of many agents (30
// series each, one sample a minute): ingestion throughput as agent reports (one transaction
// per report, compaction every 5 minutes of data) and as replays (one Append of a whole day),
// then the exact bytes per sample on disk after compaction, everything counted. It is a
// measurement, not a check: it runs only when asked,
//
//	VIGIE_METRIC_AGENTS=200 go test -run TestMetricDayFigures -v ./internal/store/
func TestMetricDayFigures(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("VIGIE_METRIC_AGENTS"))
	if n <= 0 {
		t.Skip("set VIGIE_METRIC_AGENTS=N to measure the metric store on N agents' day")
	}
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			requireDialect(t, d)
			measureDay(t, d, n)
		})
	}
}

func measureDay(t *testing.T, d store.Dialect, agents int) {
	ctx := context.Background()
	db := newTestDB(t, d)
	w := newWorld(t, db)
	days := make([][]agentproto.Series, agents)
	for a := range days {
		days[a] = agentDaySeries(uint64(1000 + a))
	}
	dayStart := time.UnixMilli(days[0][0].T[0]).UTC().Truncate(24 * time.Hour)
	c := &clock{t: dayStart}
	svc := metric.NewService(db, c.Now, nil)
	reporters := max(1, agents/4) // a quarter as live reports, the rest as replays
	if v, err := strconv.Atoi(os.Getenv("VIGIE_METRIC_REPORTERS")); err == nil && v > 0 && v <= agents {
		reporters = v
	}

	// Live reports: at each minute, each reporting agent sends what it sampled since its last
	// report (1 sample per series, sometimes 0 or 2 with jitter), in its own transaction.
	var lat []time.Duration
	var reportSamples int
	var compactTime time.Duration
	next := make([][]int, reporters)
	for a := range next {
		next[a] = make([]int, len(days[a]))
	}
	start := time.Now()
	for tick := dayStart.Add(time.Minute); !tick.After(dayStart.Add(24 * time.Hour)); tick = tick.Add(time.Minute) {
		c.Set(tick)
		for a := range reporters {
			batch := make([]agentproto.Series, 0, len(days[a]))
			for i, s := range days[a] {
				j := next[a][i]
				k := j
				for k < len(s.T) && s.T[k] < tick.UnixMilli() {
					k++
				}
				if k > j {
					batch = append(batch, agentproto.Series{Name: s.Name, Labels: s.Labels, T: s.T[j:k], V: s.V[j:k]})
					next[a][i] = k
				}
			}
			if len(batch) == 0 {
				continue
			}
			t0 := time.Now()
			err := db.InTx(ctx, func(ctx context.Context) error {
				r, err := svc.Append(ctx, w.A.ID, int64(a+1), batch, metric.AppendOptions{})
				reportSamples += r.Samples
				return err
			})
			lat = append(lat, time.Since(t0))
			ok(t, err)
		}
		if tick.Minute()%5 == 0 {
			t0 := time.Now()
			_, err := svc.Compact(ctx)
			ok(t, err)
			compactTime += time.Since(t0)
		}
	}
	reportWall := time.Since(start)
	slices.Sort(lat)
	appendTime := time.Duration(0)
	for _, l := range lat {
		appendTime += l
	}

	// Replays: one Append of a whole day per agent.
	c.Set(dayStart.Add(24*time.Hour + time.Minute))
	start = time.Now()
	replaySamples := 0
	for a := reporters; a < agents; a++ {
		err := db.InTx(ctx, func(ctx context.Context) error {
			r, err := svc.Append(ctx, w.A.ID, int64(a+1), days[a], metric.AppendOptions{})
			replaySamples += r.Samples
			return err
		})
		ok(t, err)
	}
	replayTime := time.Since(start)

	// Compact everything: fold, roll up the whole day.
	c.Set(dayStart.Add(26 * time.Hour))
	start = time.Now()
	st, err := svc.Compact(ctx)
	ok(t, err)
	finalCompact := time.Since(start)
	if d == store.SQLite {
		_, err = db.SQL().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
		ok(t, err)
	}
	u, err := svc.Usage(ctx)
	ok(t, err)
	var pgLive string
	if d == store.Postgres {
		// What the tables take as the compactions left them (dead rows included, which
		// autovacuum makes reusable but does not give back), then their data once rewritten.
		pgLive = fmt.Sprintf("as left by a day of compactions: %d bytes = %.3f bytes/sample; after VACUUM FULL:", u.Bytes, u.PerSample)
		_, err = db.SQL().ExecContext(ctx, `VACUUM FULL ANALYZE metric_series, metric_ingest, metric_chunks, metric_heads`)
		ok(t, err)
		u, err = svc.Usage(ctx)
		ok(t, err)
	}
	if u.Samples != int64(reportSamples+replaySamples) || u.Compacted != u.Samples {
		t.Fatalf("usage %+v: want %d samples all compacted", u, reportSamples+replaySamples)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "\n%s, %d agents × 30 series × 1 day at 60 s = %d samples (%d as reports, %d as replays)\n", d, agents, u.Samples, reportSamples, replaySamples)
	fmt.Fprintf(&b, "reports: %d transactions, %.0f samples/s in Append (%.0f reports/s), latency p50 %s p99 %s max %s; compaction every 5 min of data took %s in all; wall %s\n",
		len(lat), float64(reportSamples)/appendTime.Seconds(), float64(len(lat))/appendTime.Seconds(),
		lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond),
		compactTime.Round(time.Millisecond), reportWall.Round(time.Millisecond))
	if replaySamples > 0 {
		fmt.Fprintf(&b, "replays: %d Appends of a day, %.0f samples/s\n", agents-reporters, float64(replaySamples)/replayTime.Seconds())
	}
	fmt.Fprintf(&b, "final compaction: %s (%+v)\n", finalCompact.Round(time.Millisecond), st)
	fmt.Fprintf(&b, "on disk (%s) %s %d bytes = %.3f bytes/sample, everything counted; %d rollup buckets\n", u.SizeMethod, pgLive, u.Bytes, u.PerSample, u.Buckets)
	for _, tu := range u.Tables {
		fmt.Fprintf(&b, "  %-14s %8d rows %10d bytes  %.3f B/sample\n", tu.Table, tu.Rows, tu.Bytes, float64(tu.Bytes)/float64(u.Samples))
	}
	var raw, five, hourly, rawBytes, fiveBytes, hourlyBytes int64
	rows, err := db.SQL().QueryContext(ctx, `SELECT resolution, COUNT(*), SUM(LENGTH(data)) FROM (SELECT resolution, data FROM metric_chunks UNION ALL SELECT resolution, data FROM metric_heads) c GROUP BY resolution ORDER BY resolution`)
	ok(t, err)
	for rows.Next() {
		var r, n, by int64
		ok(t, rows.Scan(&r, &n, &by))
		switch r {
		case 0:
			raw, rawBytes = n, by
		case 1:
			five, fiveBytes = n, by
		case 2:
			hourly, hourlyBytes = n, by
		}
	}
	rows.Close()
	fmt.Fprintf(&b, "  chunk payload: raw %d chunks %.3f B/sample; 5-minute %d chunks %.3f B/sample; hourly %d chunks %.3f B/sample\n",
		raw, float64(rawBytes)/float64(u.Samples), five, float64(fiveBytes)/float64(u.Samples), hourly, float64(hourlyBytes)/float64(u.Samples))
	// Bytes of each column of the 5-minute and hourly rollups (min, sum, max, count).
	rows, err = db.SQL().QueryContext(ctx, `SELECT resolution, data FROM metric_chunks WHERE resolution > 0 UNION ALL SELECT resolution, data FROM metric_heads WHERE resolution > 0`)
	ok(t, err)
	var cols [3][4]int64
	for rows.Next() {
		var r int
		var data []byte
		ok(t, rows.Scan(&r, &data))
		layout := data[0]
		data = data[1:]
		_, k := binary.Uvarint(data) // n
		data = data[k:]
		if layout == 3 || layout == 4 { // D, then the counts before the three columns (min, max − min, sum)
			before := len(data)
			var hdr [3]uint64
			for i := range hdr {
				hdr[i], k = binary.Uvarint(data)
				data = data[k:]
			}
			for range 2 * hdr[2] {
				_, k = binary.Uvarint(data)
				data = data[k:]
			}
			cols[r][3] += int64(before - len(data))
			for _, c := range []int{0, 2, 1} {
				l, k := binary.Uvarint(data)
				cols[r][c] += int64(l) + int64(k)
				data = data[k+int(l):]
			}
			continue
		}
		for c := range 4 {
			l, k := binary.Uvarint(data)
			cols[r][c] += int64(l) + int64(k)
			data = data[k+int(l):]
		}
	}
	rows.Close()
	for r := 1; r <= 2; r++ {
		fmt.Fprintf(&b, "  %s columns B/sample: min %.3f sum %.3f max %.3f count %.3f\n", metric.Resolution(r),
			float64(cols[r][0])/float64(u.Samples), float64(cols[r][1])/float64(u.Samples), float64(cols[r][2])/float64(u.Samples), float64(cols[r][3])/float64(u.Samples))
	}
	if d == store.SQLite {
		rows, err := db.SQL().QueryContext(ctx, `SELECT name, COUNT(*), SUM(pgsize), SUM(payload), SUM(unused) FROM dbstat
			WHERE name LIKE 'metric%' GROUP BY name ORDER BY name`)
		ok(t, err)
		for rows.Next() {
			var name string
			var pages, size, payload, unused int64
			ok(t, rows.Scan(&name, &pages, &size, &payload, &unused))
			fmt.Fprintf(&b, "  dbstat %-22s %6d pages %10d bytes, payload %10d, unused %10d\n", name, pages, size, payload, unused)
		}
		rows.Close()
	}
	t.Log(b.String())
}

// BenchmarkMetricAppendReport is one agent report per transaction: 30 series × 1 sample.
func BenchmarkMetricAppendReport(b *testing.B) {
	benchAppend(b, 1)
}

// BenchmarkMetricAppendReport6 is one report of an agent sampling every 10 s and reporting
// every minute: 30 series × 6 samples.
func BenchmarkMetricAppendReport6(b *testing.B) {
	benchAppend(b, 6)
}

// BenchmarkMetricAppendBatch is one transaction of 30 series × 720 samples (a replay).
func BenchmarkMetricAppendBatch(b *testing.B) {
	benchAppend(b, 720)
}

func benchAppend(b *testing.B, perSeries int) {
	for _, d := range dialects {
		b.Run(string(d), func(b *testing.B) {
			requireDialect(b, d)
			ctx := context.Background()
			db := newTestDB(b, d)
			w := newWorld(b, db)
			day := agentDaySeries(7)
			dayStart := time.UnixMilli(day[0].T[0]).UTC().Truncate(24 * time.Hour)
			c := &clock{t: dayStart.Add(25 * time.Hour)}
			svc := metric.NewService(db, c.Now, nil)
			const assets = 500
			pos := make([]int, assets)
			samples := 0
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				a := i % assets
				j := pos[a]
				if j+perSeries > len(day[0].T) {
					b.StopTimer()
					// A new day for this asset: shift it by days so timestamps keep increasing.
					_, err := db.SQL().ExecContext(ctx, `DELETE FROM metric_ingest`)
					ok(b, err)
					pos = make([]int, assets)
					j = 0
					b.StartTimer()
				}
				batch := make([]agentproto.Series, len(day))
				for k, s := range day {
					batch[k] = agentproto.Series{Name: s.Name, Labels: s.Labels, T: s.T[j : j+perSeries], V: s.V[j : j+perSeries]}
				}
				pos[a] = j + perSeries
				err := db.InTx(ctx, func(ctx context.Context) error {
					r, err := svc.Append(ctx, w.A.ID, int64(a+1), batch, metric.AppendOptions{AllowPast: true})
					samples += r.Samples
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
