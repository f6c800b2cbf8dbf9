package app

import (
	"context"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/metric"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// TestCheckPerf writes check results' values as the check page reads them:
// series check_perf{check, perf} of the check's asset, in time order, the
// values the store would refuse left out without losing the others.
func TestCheckPerf(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, testdb.URL(t, d), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			c := client.Client{Code: "PERF", Name: "Perf", TimeZone: "Europe/Paris", Language: "fr"}
			if err := db.CreateClient(ctx, tenant.System(), &c); err != nil {
				t.Fatal(err)
			}
			a := asset.Asset{ClientID: c.ID, Kind: asset.KindServer, Name: "srv", Criticality: asset.CriticalityNormal, Fields: map[string]string{}}
			if err := db.CreateAsset(ctx, tenant.System(), &a); err != nil {
				t.Fatal(err)
			}
			ms := metric.NewService(db, nil, nil)
			sink := newCheckPerf(ms, assetRefSystem(db.Supervision()), slog.New(slog.DiscardHandler))
			at := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
			// Out of order, a duplicate instant, and values no store keeps.
			for _, r := range []struct {
				at   time.Time
				perf map[string]float64
			}{
				{at.Add(2 * time.Second), map[string]float64{"response_ms": 30}},
				{at, map[string]float64{"response_ms": 10, "size": 1200, "bad": math.NaN(), "": 1, "tab\tname": 2}},
				{at.Add(time.Second), map[string]float64{"response_ms": 20}},
				{at.Add(time.Second), map[string]float64{"response_ms": 99}},
			} {
				if err := sink.AppendCheckPerf(ctx, a.ID, 7, r.at, r.perf); err != nil {
					t.Fatal(err)
				}
			}
			sink.flush(ctx)
			res, err := ms.Query(ctx, tenant.System(), metric.Query{AssetID: a.ID, Name: CheckPerfMetric, Labels: map[string]string{"check": "7"},
				From: at.Add(-time.Minute), To: at.Add(time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]float64{}
			for _, r := range res {
				for _, p := range r.Points {
					got[r.Series.Labels["perf"]] = append(got[r.Series.Labels["perf"]], p.Avg)
				}
			}
			if len(got) != 2 || len(got["response_ms"]) != 3 || got["response_ms"][0] != 10 || got["response_ms"][2] != 30 || len(got["size"]) != 1 {
				t.Fatalf("stored %v, want response_ms 10, 20, 30 and size 1200", got)
			}
			if sink.n != 0 || len(sink.pending) != 0 {
				t.Errorf("values still pending after a write: %d", sink.n)
			}
		})
	}
}
