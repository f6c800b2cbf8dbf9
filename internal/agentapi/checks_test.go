package agentapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// results is a check source that keeps what the agent API hands it.
type results struct {
	mu      sync.Mutex
	assetID int64
	specs   []agentproto.CheckSpec
	down    bool
	got     []agentproto.CheckResult
	jobs    []agentproto.JobRun
}

func (r *results) setDown(down bool) {
	r.mu.Lock()
	r.down = down
	r.mu.Unlock()
}

func (r *results) ingested() ([]agentproto.CheckResult, []agentproto.JobRun) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]agentproto.CheckResult(nil), r.got...), append([]agentproto.JobRun(nil), r.jobs...)
}

func (r *results) AgentChecks(_ context.Context, assetID int64) ([]agentproto.CheckSpec, int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if assetID != r.assetID {
		return nil, 0, nil
	}
	return r.specs, 10, nil
}

func (r *results) IngestAgent(_ context.Context, assetID int64, rs []agentproto.CheckResult, jobs []agentproto.JobRun) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		return errors.New("supervision store unavailable")
	}
	if assetID != r.assetID {
		return errors.New("results of another asset")
	}
	r.got = append(r.got, rs...)
	r.jobs = append(r.jobs, jobs...)
	return nil
}

func TestAgentAPICheckResults(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) {
			s := apptest.New(t, d)
			ctx := s.Ctx()
			c := s.Client("ACME")
			tok := asset.EnrollToken{ClientID: c.ID, Name: "deploy"}
			token, err := s.App.Assets.CreateEnrollToken(ctx, tenant.System(), &tok)
			if err != nil {
				t.Fatal(err)
			}
			r := send(t, s.URL+agentproto.PathEnroll, "POST", "", mustJSON(agentproto.EnrollRequest{Token: token, Hostname: "web-01", OS: "linux", MachineID: "m1"}), false)
			var er agentproto.EnrollResponse
			if r.status != 201 || json.Unmarshal(r.body, &er) != nil {
				t.Fatalf("enroll: %d %s", r.status, r.body)
			}
			src := &results{assetID: er.AssetID, specs: []agentproto.CheckSpec{
				{ID: 41, Kind: agentproto.CheckCommand, Interval: 300, Params: agentproto.CheckParams{Name: "check_raid"}},
			}}
			s.App.Assets.SetCheckSource(src)

			r = send(t, s.URL+agentproto.PathSettings, "GET", er.Secret, nil, false)
			var st agentproto.Settings
			if r.status != 200 || json.Unmarshal(r.body, &st) != nil || st.Version != 1+10 || len(st.Checks) != 1 || st.Checks[0].Params.Name != "check_raid" {
				t.Fatalf("settings: %d %s", r.status, r.body)
			}

			now := time.Now().UTC()
			rep := agentproto.Report{Seq: 1, SettingsVersion: st.Version,
				Results: []agentproto.CheckResult{{CheckID: 41, At: now, State: 2, Output: "RAID CRITICAL - md0 degraded", Perf: map[string]float64{"disks": 1}}},
				Jobs:    []agentproto.JobRun{{Name: "nightly", Start: now.Add(-time.Hour), End: now, ExitCode: 0, Output: "ok"}}}

			// The supervision side fails: the report fails with a 5xx, so the
			// agent keeps the batch and sends it again.
			src.setDown(true)
			r = send(t, s.URL+agentproto.PathReport, "POST", er.Secret, mustJSON(rep), true)
			if r.status != 500 || r.problem(t).Code != "" {
				t.Fatalf("failing ingestion: %d %s", r.status, r.body)
			}
			src.setDown(false)
			r = send(t, s.URL+agentproto.PathReport, "POST", er.Secret, mustJSON(rep), true)
			var ack agentproto.Ack
			if r.status != 200 || json.Unmarshal(r.body, &ack) != nil || ack.Duplicate || ack.SettingsVersion != 11 {
				t.Fatalf("retried report: %d %s", r.status, r.body)
			}
			got, jobs := src.ingested()
			if len(got) != 1 || got[0].Output != "RAID CRITICAL - md0 degraded" || len(jobs) != 1 || jobs[0].Name != "nightly" {
				t.Fatalf("ingested %+v %+v", got, jobs)
			}

			// A malformed result is the agent's fault: refused as invalid.
			bad := rep
			bad.Seq = 2
			bad.Results = []agentproto.CheckResult{{CheckID: 41, At: now, State: 9, Output: "?"}}
			r = send(t, s.URL+agentproto.PathReport, "POST", er.Secret, mustJSON(bad), true)
			if r.status != 422 || r.problem(t).Code != agentproto.CodeInvalid {
				t.Fatalf("state 9: %d %s", r.status, r.body)
			}
			if got, _ := src.ingested(); len(got) != 1 {
				t.Fatalf("invalid report ingested: %+v", got)
			}
		})
	}
}
