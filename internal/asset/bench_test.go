package asset_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/asset"
)

// BenchmarkReport measures the ingestion of one agent's minute (30 series,
// one sample each) through Service.Report on SQLite: claim, append, vitals,
// in one transaction.
func BenchmarkReport(b *testing.B) {
	e := newBenchEnv(b)
	ctx := context.Background()
	const agents = 100
	ags := make([]asset.Agent, agents)
	for i := range ags {
		ags[i], _ = e.enroll(b, e.A.ID, "bench-"+strconv.Itoa(i), "m-"+strconv.Itoa(i))
	}
	seq := make([]uint64, agents)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		k := i % agents
		seq[k]++
		ms := e.clock.Now().UnixMilli() + int64(i)
		series := make([]agentproto.Series, 0, 30)
		for j := range 30 {
			series = append(series, agentproto.Series{Name: agentproto.MetricFSUsed, Labels: map[string]string{"mount": "/m" + strconv.Itoa(j)}, T: []int64{ms}, V: []float64{float64(j)}})
		}
		if _, err := e.svc.Report(ctx, ags[k], &agentproto.Report{Seq: seq[k], SettingsVersion: 1, Series: series}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*30)/b.Elapsed().Seconds(), "samples/s")
}
