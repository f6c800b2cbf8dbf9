package spool

import (
	"testing"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

// TestSplitReportSendsResultsOnce: a batch found too large is halved, and
// its check results and job runs must reach the server once, not twice.
func TestSplitReportSendsResultsOnce(t *testing.T) {
	series := []agentproto.Series{{Name: "a", T: []int64{1}, V: []float64{1}}, {Name: "b", T: []int64{1}, V: []float64{1}}}
	results := []agentproto.CheckResult{{CheckID: 1}, {CheckID: 2}, {CheckID: 3}}
	jobs := []agentproto.JobRun{{Name: "nightly"}}
	tests := []struct {
		name               string
		r                  agentproto.Report
		resultsA, resultsB int
	}{
		{"with series: results go with the first half", agentproto.Report{Series: series, Results: results, Jobs: jobs}, 3, 0},
		{"results alone are halved", agentproto.Report{Results: results, Jobs: jobs}, 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b, ok := splitReport(&tt.r)
			if !ok {
				t.Fatal("not split")
			}
			if len(a.Results) != tt.resultsA || len(b.Results) != tt.resultsB {
				t.Fatalf("results %d + %d, want %d + %d", len(a.Results), len(b.Results), tt.resultsA, tt.resultsB)
			}
			if len(a.Jobs) != 1 || len(b.Jobs) != 0 {
				t.Fatalf("jobs %d + %d, want 1 + 0", len(a.Jobs), len(b.Jobs))
			}
			seen := map[int64]int{}
			for _, r := range append(append([]agentproto.CheckResult(nil), a.Results...), b.Results...) {
				seen[r.CheckID]++
			}
			if len(seen) != 3 || seen[1] != 1 || seen[2] != 1 || seen[3] != 1 {
				t.Fatalf("results after split %v", seen)
			}
		})
	}
	if _, _, ok := splitReport(&agentproto.Report{Results: results[:1]}); ok {
		t.Fatal("one result split")
	}
}
