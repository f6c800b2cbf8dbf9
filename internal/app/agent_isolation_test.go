package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// TestAgentIsolation checks the routes of agentRoutes: an agent's secret
// writes its own asset and reads its own client's settings, nothing else;
// an enrollment token enrolls into its own client; user credentials are no
// agent secret and an agent secret is no user credential.
func TestAgentIsolation(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			s := apptest.New(t, dialect)
			ctx, sys := s.Ctx(), tenant.System()
			type fleet struct {
				clientID int64
				secret   string
				agent    agentproto.EnrollResponse
			}
			call := func(method, path, bearer string, body any) (int, []byte) {
				t.Helper()
				var r io.Reader
				if body != nil {
					b, _ := json.Marshal(body)
					r = bytes.NewReader(b)
				}
				req, _ := http.NewRequest(method, s.URL+path, r)
				if body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				if bearer != "" {
					req.Header.Set("Authorization", "Bearer "+bearer)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				out, _ := io.ReadAll(res.Body)
				return res.StatusCode, out
			}
			mk := func(code string) fleet {
				c := s.Client(code)
				tok := asset.EnrollToken{ClientID: c.ID, Name: "t"}
				secret, err := s.App.Assets.CreateEnrollToken(ctx, sys, &tok)
				if err != nil {
					t.Fatal(err)
				}
				// The same machine id in both clients: still two machines.
				st, body := call("POST", agentproto.PathEnroll, "", agentproto.EnrollRequest{Token: secret, Hostname: code + "-srv", OS: "linux", MachineID: "same-machine"})
				if st != 201 {
					t.Fatalf("enroll in %s: %d %s", code, st, body)
				}
				var er agentproto.EnrollResponse
				if err := json.Unmarshal(body, &er); err != nil {
					t.Fatal(err)
				}
				a, err := s.App.Assets.Get(ctx, sys, er.AssetID)
				if err != nil || a.ClientID != c.ID {
					t.Fatalf("%s's token enrolled into client %d: %v", code, a.ClientID, err)
				}
				return fleet{clientID: c.ID, secret: secret, agent: er}
			}
			a, b := mk("ALPHA"), mk("BRAVO")
			if a.agent.AssetID == b.agent.AssetID {
				t.Fatal("two clients share an asset")
			}
			if err := s.App.Assets.UpdateSettings(ctx, sys, b.clientID, agentproto.Settings{MetricInterval: 30, ReportInterval: 30}); err != nil {
				t.Fatal(err)
			}

			// A's agent reports an inventory and samples: they land on A's asset only.
			now := time.Now().UnixMilli()
			rep := agentproto.Report{Seq: 1, SettingsVersion: 1, Inventory: &agentproto.Inventory{Hostname: "ALPHA-srv", OS: "linux", MemoryBytes: 1 << 30},
				Series: []agentproto.Series{{Name: agentproto.MetricCPU, T: []int64{now}, V: []float64{42}}}}
			if st, body := call("POST", agentproto.PathReport, a.agent.Secret, rep); st != 200 {
				t.Fatalf("A's report: %d %s", st, body)
			}
			bAsset, err := s.App.Assets.Get(ctx, sys, b.agent.AssetID)
			if err != nil {
				t.Fatal(err)
			}
			if bAsset.Vitals != nil || bAsset.Agent.LastSeq != 0 || bAsset.Agent.LastSeen != nil {
				t.Errorf("A's report touched B's asset: %+v %+v", bAsset.Vitals, bAsset.Agent)
			}
			if inv, err := s.App.Assets.Inventory(ctx, sys, b.agent.AssetID); err != nil || inv != nil {
				t.Errorf("B's asset has an inventory from A's agent: %v %v", inv, err)
			}
			aAsset, _ := s.App.Assets.Get(ctx, sys, a.agent.AssetID)
			if aAsset.Vitals == nil || aAsset.Vitals.CPUPercent != 42 || aAsset.Agent.LastSeq != 1 {
				t.Errorf("A's report did not reach A's asset: %+v", aAsset)
			}
			// Nothing in a report can name another asset or client.
			for _, body := range []string{`{"seq":2,"asset_id":` + itoa(b.agent.AssetID) + `}`, `{"seq":2,"client_id":` + itoa(b.clientID) + `}`, `{"seq":2,"agent_id":` + itoa(b.agent.AgentID) + `}`} {
				if st, _ := call("POST", agentproto.PathReport, a.agent.Secret, json.RawMessage(body)); st != 400 {
					t.Errorf("report %s: status %d, want 400", body, st)
				}
			}
			// Each agent reads its own client's settings.
			_, body := call("GET", agentproto.PathSettings, a.agent.Secret, nil)
			var st agentproto.Settings
			if json.Unmarshal(body, &st) != nil || st.Version != 1 {
				t.Errorf("A's agent reads settings %s", body)
			}
			_, body = call("GET", agentproto.PathSettings, b.agent.Secret, nil)
			if json.Unmarshal(body, &st) != nil || st.Version != 2 || st.MetricInterval != 30 {
				t.Errorf("B's agent reads settings %s", body)
			}

			// User credentials are no agent secret, and the reverse.
			admin := s.User("admin@msp.example", tenant.RoleAdmin)
			token := s.Token(admin, true)
			for _, path := range []string{agentproto.PathSettings} {
				if st, _ := call("GET", path, token, nil); st != 401 {
					t.Errorf("GET %s with a user's API token: %d, want 401", path, st)
				}
			}
			if st, _ := call("POST", agentproto.PathReport, token, rep); st != 401 {
				t.Errorf("report with a user's API token: %d, want 401", st)
			}
			if st, _ := call("GET", "/api/v1/assets/"+itoa(a.agent.AssetID), a.agent.Secret, nil); st != 401 {
				t.Errorf("the API with an agent secret: %d, want 401", st)
			}
			browser := s.Login(admin.Email)
			req, _ := http.NewRequest("GET", s.URL+agentproto.PathSettings, nil)
			res, err := browser.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 401 {
				t.Errorf("agent settings with a user's session: %d, want 401", res.StatusCode)
			}
			// An enrollment token is no agent secret.
			if st, _ := call("POST", agentproto.PathReport, a.secret, rep); st != 401 {
				t.Errorf("report with an enrollment token: %d, want 401", st)
			}
		})
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
