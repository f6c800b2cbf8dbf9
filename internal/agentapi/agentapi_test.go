package agentapi_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agent"
	"github.com/vigie-hq/vigie/internal/agentapi"
	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) problem(t *testing.T) agentproto.Problem {
	t.Helper()
	var p agentproto.Problem
	if err := json.Unmarshal(r.body, &p); err != nil || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("not a problem (%d %s): %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	return p
}

func send(t *testing.T, url, method, bearer string, body []byte, gz bool) resp {
	t.Helper()
	if gz {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
		body = buf.Bytes()
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, b}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func TestAgentAPI(t *testing.T) {
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

			// Enrollment.
			r := send(t, s.URL+agentproto.PathEnroll, "POST", "", mustJSON(agentproto.EnrollRequest{Token: asset.TokenPrefix + "wrong", Hostname: "h", OS: "linux"}), false)
			if r.status != 403 || r.problem(t).Code != agentproto.CodeTokenInvalid {
				t.Fatalf("wrong token: %d %s", r.status, r.body)
			}
			r = send(t, s.URL+agentproto.PathEnroll, "POST", "", mustJSON(agentproto.EnrollRequest{Token: token, Hostname: "web-01", OS: "linux", Arch: "amd64", MachineID: "m1"}), true)
			if r.status != 201 {
				t.Fatalf("enroll: %d %s", r.status, r.body)
			}
			var er agentproto.EnrollResponse
			if err := json.Unmarshal(r.body, &er); err != nil || er.Secret == "" || er.AssetID == 0 {
				t.Fatalf("enroll response %s", r.body)
			}

			// Reports.
			now := time.Now().UnixMilli()
			rep := agentproto.Report{Seq: 1, SettingsVersion: 1, AgentVersion: "1.0", Series: []agentproto.Series{{Name: agentproto.MetricCPU, T: []int64{now}, V: []float64{5}}}}
			r = send(t, s.URL+agentproto.PathReport, "POST", er.Secret, mustJSON(rep), true)
			var ack agentproto.Ack
			if r.status != 200 || json.Unmarshal(r.body, &ack) != nil || ack.Samples != 1 || ack.Duplicate {
				t.Fatalf("report: %d %s", r.status, r.body)
			}
			r = send(t, s.URL+agentproto.PathReport, "POST", er.Secret, mustJSON(rep), false)
			if r.status != 200 || json.Unmarshal(r.body, &ack) != nil || !ack.Duplicate {
				t.Fatalf("replayed report: %d %s", r.status, r.body)
			}
			admin := s.User("admin@msp.example", tenant.RoleAdmin)
			apiToken := s.Token(admin, true)
			for _, tt := range []struct {
				name, bearer string
				body         []byte
				gz           bool
				status       int
				code         string
			}{
				{"no secret", "", mustJSON(rep), false, 401, agentproto.CodeUnauthorized},
				{"a user's API token", apiToken, mustJSON(rep), false, 401, agentproto.CodeUnauthorized},
				{"unknown field (an asset id)", er.Secret, []byte(`{"seq":5,"asset_id":1}`), false, 400, agentproto.CodeInvalid},
				{"trailing data", er.Secret, []byte(`{"seq":5} {}`), false, 400, agentproto.CodeInvalid},
				{"not gzip", er.Secret, []byte(`{"seq":5}`), false, 0, ""},
				{"future sample", er.Secret, mustJSON(agentproto.Report{Seq: 6, Series: []agentproto.Series{{Name: "cpu.percent", T: []int64{now + 3600_000}, V: []float64{1}}}}), true, 422, agentproto.CodeInvalid},
				{"zip bomb", er.Secret, append(append([]byte(`{"seq":7,"agent_version":"`), bytes.Repeat([]byte("A"), agentproto.MaxReportBytes+10)...), `"}`...), true, 413, agentproto.CodeTooLarge},
			} {
				t.Run(tt.name, func(t *testing.T) {
					if tt.name == "not gzip" {
						req, _ := http.NewRequest("POST", s.URL+agentproto.PathReport, strings.NewReader(`{"seq":5}`))
						req.Header.Set("Content-Encoding", "gzip")
						req.Header.Set("Authorization", "Bearer "+er.Secret)
						res, err := http.DefaultClient.Do(req)
						if err != nil {
							t.Fatal(err)
						}
						res.Body.Close()
						if res.StatusCode != 400 {
							t.Errorf("status %d", res.StatusCode)
						}
						return
					}
					r := send(t, s.URL+agentproto.PathReport, "POST", tt.bearer, tt.body, tt.gz)
					if r.status != tt.status || r.problem(t).Code != tt.code {
						t.Errorf("status %d, %s; want %d %s", r.status, r.body, tt.status, tt.code)
					}
				})
			}
			got, err := s.App.Assets.Get(ctx, tenant.System(), er.AssetID)
			if err != nil || got.Agent.LastSeq != 1 {
				t.Errorf("refused reports moved the sequence: %+v %v", got.Agent, err)
			}
			// Over the compressed limit before decompression.
			big := make([]byte, agentproto.MaxCompressedBytes+1)
			r = send(t, s.URL+agentproto.PathReport, "POST", er.Secret, big, false)
			if r.status != 413 || r.problem(t).Code != agentproto.CodeTooLarge {
				t.Errorf("oversized body: %d %s", r.status, r.body)
			}

			// Settings.
			r = send(t, s.URL+agentproto.PathSettings, "GET", er.Secret, nil, false)
			var st agentproto.Settings
			if r.status != 200 || json.Unmarshal(r.body, &st) != nil || st.Version != 1 {
				t.Errorf("settings: %d %s", r.status, r.body)
			}
			// Revoked: refused.
			if err := s.App.Assets.RevokeAgent(ctx, tenant.System(), got.Agent.ID); err != nil {
				t.Fatal(err)
			}
			rep.Seq = 2
			r = send(t, s.URL+agentproto.PathReport, "POST", er.Secret, mustJSON(rep), true)
			if r.status != 401 || r.problem(t).Code != agentproto.CodeUnauthorized {
				t.Errorf("revoked agent: %d %s", r.status, r.body)
			}

			// Failed enrollments from one address are throttled.
			var last resp
			for range 12 {
				last = send(t, s.URL+agentproto.PathEnroll, "POST", "", mustJSON(agentproto.EnrollRequest{Token: asset.TokenPrefix + "guess", Hostname: "h", OS: "linux"}), false)
			}
			if last.status != 429 || last.problem(t).Code != agentproto.CodeRateLimited || last.header.Get("Retry-After") == "" {
				t.Errorf("after many failures: %d %s", last.status, last.body)
			}

			// Downloads.
			dl, err := http.Get(s.URL + "/agent/download/linux/amd64")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(dl.Body)
			dl.Body.Close()
			if dl.StatusCode != 404 || !strings.Contains(string(b), "make agents") {
				t.Errorf("missing binary: %d %s", dl.StatusCode, b)
			}
			dir := filepath.Join(s.App.Config.DataDir, "agents")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, agentapi.AgentFile("windows", "amd64")), []byte("MZ binary"), 0o644); err != nil {
				t.Fatal(err)
			}
			dl, err = http.Get(s.URL + "/agent/download/windows/amd64")
			if err != nil {
				t.Fatal(err)
			}
			b, _ = io.ReadAll(dl.Body)
			dl.Body.Close()
			if dl.StatusCode != 200 || string(b) != "MZ binary" || !strings.Contains(dl.Header.Get("Content-Disposition"), "vigie-agent-windows-amd64.exe") {
				t.Errorf("download: %d %q %v", dl.StatusCode, b, dl.Header)
			}
			dl, err = http.Get(s.URL + "/agent/download/..%2f..%2fetc/passwd")
			if err == nil {
				dl.Body.Close()
				if dl.StatusCode != 404 {
					t.Errorf("path traversal: %d", dl.StatusCode)
				}
			}
		})
	}
}

func FuzzDecodeReport(f *testing.F) {
	f.Add([]byte(`{"seq":1,"series":[{"name":"cpu.percent","t":[1],"v":[2]}]}`), false)
	f.Add([]byte(`{"seq":1,"inventory":{"hostname":"h","disks":[{"name":"sda","bytes":1}]}}`), false)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(`{"seq":3}`))
	_ = zw.Close()
	f.Add(buf.Bytes(), true)
	f.Fuzz(func(t *testing.T, body []byte, gz bool) {
		r, err := agentapi.DecodeReport(body, gz)
		if err != nil {
			if r != nil {
				t.Fatal("a report with an error")
			}
			return
		}
		// What decodes re-encodes and decodes to the same report.
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := agentapi.DecodeReport(b, false)
		if err != nil {
			t.Fatalf("re-encoded report refused: %v", err)
		}
		if r2.Seq != r.Seq || len(r2.Series) != len(r.Series) {
			t.Fatalf("round trip changed the report")
		}
	})
}

// TestRealAgentClient speaks to the server with vigie-agent's own client
// (gzip, its headers and error handling) and its own inventory collector.
func TestRealAgentClient(t *testing.T) {
	s := apptest.New(t, "sqlite")
	ctx := s.Ctx()
	c := s.Client("ACME")
	tok := asset.EnrollToken{ClientID: c.ID, Name: "deploy"}
	token, err := s.App.Assets.CreateEnrollToken(ctx, tenant.System(), &tok)
	if err != nil {
		t.Fatal(err)
	}
	cl := agent.NewClient(s.URL, "", "test")
	er, err := cl.Enroll(ctx, agentproto.EnrollRequest{Token: token, Hostname: "real", OS: "linux", Arch: "amd64", AgentVersion: "test", MachineID: "real-1"})
	if err != nil {
		t.Fatal(err)
	}
	cl = agent.NewClient(s.URL, er.Secret, "test")
	now := time.Now().UnixMilli()
	rep := &agentproto.Report{Seq: 1, SettingsVersion: er.Settings.Version, AgentVersion: "test",
		Inventory: &agentproto.Inventory{Hostname: "real", OS: "linux", Platform: "debian", MemoryBytes: 1 << 30},
		Series:    []agentproto.Series{{Name: agentproto.MetricMemory, T: []int64{now}, V: []float64{50}}}}
	ack, err := cl.Report(ctx, rep)
	if err != nil || ack.Samples != 1 || ack.Duplicate {
		t.Fatalf("report: %+v %v", ack, err)
	}
	if ack, err = cl.Report(ctx, rep); err != nil || !ack.Duplicate {
		t.Fatalf("replay: %+v %v", ack, err)
	}
	if st, err := cl.Settings(ctx); err != nil || st.Version != er.Settings.Version {
		t.Fatalf("settings: %+v %v", st, err)
	}
	rep.Seq = 2
	rep.Series[0].T = []int64{now + int64(time.Hour/time.Millisecond)}
	_, err = cl.Report(ctx, rep)
	var se *agent.ServerError
	if !errors.As(err, &se) || se.Code() != agentproto.CodeInvalid {
		t.Fatalf("future sample: %v", err)
	}
	// This machine's real inventory passes the server's checks.
	inv := agent.CollectInventory(ctx, er.Settings, true, "test", nil)
	if ack, err := cl.Report(ctx, &agentproto.Report{Seq: 3, SettingsVersion: er.Settings.Version, Inventory: inv}); err != nil || ack.Duplicate {
		t.Fatalf("real inventory (%d packages): %+v %v", len(inv.Software), ack, err)
	}
	got, err := s.App.Assets.Inventory(ctx, tenant.System(), er.AssetID)
	if err != nil || got == nil || got.Hostname != inv.Hostname || len(got.Software) != len(inv.Software) {
		t.Errorf("stored inventory differs: %v", err)
	}
}
