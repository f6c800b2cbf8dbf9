package asset_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/fault"
)

// checkSource is the supervision service as the fleet sees it: the checks
// of each asset with a version, and what reports brought, kept in memory.
type checkSource struct {
	mu      sync.Mutex
	specs   map[int64][]agentproto.CheckSpec
	version int64
	fail    error
	calls   int
	results []agentproto.CheckResult
	jobs    []agentproto.JobRun
}

var _ asset.CheckSource = (*checkSource)(nil)

func (c *checkSource) AgentChecks(_ context.Context, assetID int64) ([]agentproto.CheckSpec, int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.specs[assetID], c.version, nil
}

func (c *checkSource) IngestAgent(_ context.Context, assetID int64, results []agentproto.CheckResult, jobs []agentproto.JobRun) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.fail != nil {
		return c.fail
	}
	for _, r := range results {
		owned := false
		for _, s := range c.specs[assetID] {
			owned = owned || s.ID == r.CheckID
		}
		if !owned {
			return errors.New("result of another asset's check")
		}
	}
	c.results = append(c.results, results...)
	c.jobs = append(c.jobs, jobs...)
	return nil
}

func TestReportCheckResults(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		ag, _ := e.enroll(t, e.A.ID, "srv-01", "m-1")
		other, _ := e.enroll(t, e.A.ID, "srv-02", "m-2")
		src := &checkSource{version: 3, specs: map[int64][]agentproto.CheckSpec{
			ag.AssetID:    {{ID: 5, Kind: agentproto.CheckCPU, Interval: 60}, {ID: 6, Kind: agentproto.CheckCommand, Interval: 300}},
			other.AssetID: {{ID: 7, Kind: agentproto.CheckCPU, Interval: 60}},
		}}
		e.svc.SetCheckSource(src)

		st, err := e.svc.AgentSettings(ctx, ag)
		must(t, err)
		if st.Version != 1+3 || len(st.Checks) != 2 || st.Checks[0].ID != 5 {
			t.Fatalf("settings = v%d %+v, want v4 with checks 5 and 6", st.Version, st.Checks)
		}

		now := e.clock.Now()
		ms := now.UnixMilli()
		rep := func(seq uint64) *agentproto.Report {
			return &agentproto.Report{Seq: seq, SettingsVersion: 4, Series: []agentproto.Series{{Name: agentproto.MetricCPU, T: []int64{ms + int64(seq)}, V: []float64{50}}},
				Results: []agentproto.CheckResult{
					{CheckID: 5, At: now, State: 2, Output: "CPU 97.3 % for 5 min (critical ≥ 95 %)", Perf: map[string]float64{"cpu_percent": 97.3}},
					{CheckID: 7, At: now, State: 0, Output: "not this agent's"},
				},
				Jobs: []agentproto.JobRun{{Name: "nightly", Start: now.Add(-time.Hour), End: now, ExitCode: 1, Output: "failed"}}}
		}
		ack, err := e.svc.Report(ctx, ag, rep(1))
		must(t, err)
		if ack.SettingsVersion != 4 || ack.Duplicate {
			t.Fatalf("ack = %+v", ack)
		}
		if len(src.results) != 1 || src.results[0].CheckID != 5 || len(src.jobs) != 1 || src.jobs[0].Name != "nightly" {
			t.Fatalf("ingested %+v %+v: want check 5 alone (7 is another asset's) and the job", src.results, src.jobs)
		}
		// The same batch again is a duplicate: nothing is ingested twice.
		ack, err = e.svc.Report(ctx, ag, rep(1))
		must(t, err)
		if !ack.Duplicate || src.calls != 1 {
			t.Fatalf("replay: ack %+v, %d ingest calls", ack, src.calls)
		}

		// Ingestion fails: the whole report fails, not as the agent's fault,
		// and its Seq is not used up — the agent's retry is stored once.
		src.fail = fault.ErrConflict
		_, err = e.svc.Report(ctx, ag, rep(2))
		if err == nil || errors.Is(err, asset.ErrReportInvalid) || errors.Is(err, fault.ErrConflict) {
			t.Fatalf("failed ingestion: err = %v, want a server error", err)
		}
		if _, ok := fault.AsInvalid(err); ok {
			t.Fatalf("failed ingestion looks like the agent's fault: %v", err)
		}
		src.fail = nil
		ack, err = e.svc.Report(ctx, ag, rep(2))
		must(t, err)
		if ack.Duplicate || ack.Samples != 1 || len(src.results) != 2 {
			t.Fatalf("retry: ack %+v, %d results", ack, len(src.results))
		}
		if n := samples(t, e, ag.AssetID, agentproto.MetricCPU); n != 2 {
			t.Fatalf("%d CPU samples, want 2", n)
		}

		// The asset's check set changes: the version the agent sees changes.
		src.version = 4
		ack, err = e.svc.Report(ctx, ag, &agentproto.Report{Seq: 3, SettingsVersion: 4})
		must(t, err)
		if ack.SettingsVersion != 5 {
			t.Fatalf("ack after a check change = %+v, want version 5", ack)
		}
		// So does a change of the fleet settings.
		fs, err := e.svc.Settings(ctx, sys, e.A.ID)
		must(t, err)
		fs.MetricInterval = 30
		must(t, e.svc.UpdateSettings(ctx, sys, e.A.ID, fs))
		st, err = e.svc.AgentSettings(ctx, ag)
		must(t, err)
		if st.Version != 2+4 || st.MetricInterval != 30 || len(st.Checks) != 2 {
			t.Fatalf("settings after a fleet change = %+v", st)
		}
		// A report without results still reaches the source: it is the
		// asset's heartbeat.
		calls := src.calls
		_, err = e.svc.Report(ctx, ag, &agentproto.Report{Seq: 4, SettingsVersion: 6})
		must(t, err)
		if src.calls != calls+1 {
			t.Fatal("a report without results did not reach the check source")
		}
	})
}

func TestValidateCheckResults(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	ok := agentproto.CheckResult{CheckID: 1, At: now, State: 1, Output: "WARNING", Perf: map[string]float64{"x": 1}}
	job := agentproto.JobRun{Name: "nightly", Start: now.Add(-time.Minute), End: now, ExitCode: 0}
	with := func(f func(*agentproto.CheckResult)) []agentproto.CheckResult {
		r := ok
		f(&r)
		return []agentproto.CheckResult{r}
	}
	withJob := func(f func(*agentproto.JobRun)) []agentproto.JobRun {
		j := job
		f(&j)
		return []agentproto.JobRun{j}
	}
	tests := []struct {
		name    string
		results []agentproto.CheckResult
		jobs    []agentproto.JobRun
		want    error
	}{
		{"valid", []agentproto.CheckResult{ok}, []agentproto.JobRun{job}, nil},
		{"state out of range", with(func(r *agentproto.CheckResult) { r.State = 4 }), nil, asset.ErrReportInvalid},
		{"negative state", with(func(r *agentproto.CheckResult) { r.State = -1 }), nil, asset.ErrReportInvalid},
		{"no check id", with(func(r *agentproto.CheckResult) { r.CheckID = 0 }), nil, asset.ErrReportInvalid},
		{"no time", with(func(r *agentproto.CheckResult) { r.At = time.Time{} }), nil, asset.ErrReportInvalid},
		{"in the future", with(func(r *agentproto.CheckResult) { r.At = now.Add(time.Hour) }), nil, asset.ErrReportInvalid},
		{"output too long", with(func(r *agentproto.CheckResult) { r.Output = strings.Repeat("x", agentproto.MaxCheckOutput+1) }), nil, asset.ErrReportInvalid},
		{"output not UTF-8", with(func(r *agentproto.CheckResult) { r.Output = "\xff" }), nil, asset.ErrReportInvalid},
		{"perf not finite", with(func(r *agentproto.CheckResult) { r.Perf = map[string]float64{"x": math.Inf(1)} }), nil, asset.ErrReportInvalid},
		{"too many results", make([]agentproto.CheckResult, agentproto.MaxResultsPerReport+1), nil, asset.ErrReportTooLarge},
		{"too many jobs", nil, make([]agentproto.JobRun, agentproto.MaxJobsPerReport+1), asset.ErrReportTooLarge},
		{"job without name", nil, withJob(func(j *agentproto.JobRun) { j.Name = " " }), asset.ErrReportInvalid},
		{"job ends before it starts", nil, withJob(func(j *agentproto.JobRun) { j.End = j.Start.Add(-time.Second) }), asset.ErrReportInvalid},
		{"job output too long", nil, withJob(func(j *agentproto.JobRun) { j.Output = strings.Repeat("x", agentproto.MaxCheckOutput+1) }), asset.ErrReportInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := asset.ValidateReport(&agentproto.Report{Seq: 1, Results: tt.results, Jobs: tt.jobs}, now)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// FuzzValidateCheckResults: whatever an agent sends, an accepted report's
// results and job runs are within the limits the supervision side relies on.
func FuzzValidateCheckResults(f *testing.F) {
	f.Add([]byte(`{"seq":1,"results":[{"check_id":5,"at":"2026-03-02T10:00:00Z","state":2,"output":"CPU 97 %","perf":{"cpu_percent":97}}]}`))
	f.Add([]byte(`{"seq":1,"jobs":[{"name":"nightly","start":"2026-03-02T09:00:00Z","end":"2026-03-02T10:00:00Z","exit_code":3,"output":"x"}]}`))
	f.Add([]byte(`{"seq":1,"results":[{"check_id":-1,"state":7}]}`))
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		var r agentproto.Report
		if json.Unmarshal(b, &r) != nil {
			return
		}
		if asset.ValidateReport(&r, now) != nil {
			return
		}
		for _, c := range r.Results {
			if c.CheckID <= 0 || c.State < 0 || c.State > 3 || len(c.Output) > agentproto.MaxCheckOutput || c.At.After(now.Add(agentproto.MaxFuture)) {
				t.Fatalf("accepted result %+v", c)
			}
			for _, v := range c.Perf {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("accepted perf %v", c.Perf)
				}
			}
		}
		for _, j := range r.Jobs {
			if strings.TrimSpace(j.Name) == "" || j.End.Before(j.Start) || len(j.Output) > agentproto.MaxCheckOutput {
				t.Fatalf("accepted job %+v", j)
			}
		}
	})
}
