package api_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/testdb"
)

func TestFleetAPI(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e := newEnv(t, dialect)

			// Create, with validation problems naming the fields.
			p := e.do(t, "POST", "/api/v1/assets", e.techTok, map[string]any{"client_id": e.a.ID, "kind": "licence", "name": "Office",
				"fields": map[string]string{"seats": "lots", "expires": "2027-02-30"}, "warranty_end": "soon"}).problem(t, 422)
			if code, _ := p.field(t, "warranty_end"); code != "invalid_date" {
				t.Errorf("warranty_end: %s", code)
			}
			p = e.do(t, "POST", "/api/v1/assets", e.techTok, map[string]any{"client_id": e.a.ID, "kind": "licence", "name": "Office",
				"fields": map[string]string{"seats": "lots", "expires": "2027-02-30"}}).problem(t, 422)
			if code, msg := p.field(t, "fields.seats"); code != "invalid_number" || msg == "" {
				t.Errorf("fields.seats: %s %q", code, msg)
			}
			p.field(t, "fields.expires")
			var lic asset.Asset
			r := e.do(t, "POST", "/api/v1/assets", e.techTok, map[string]any{"client_id": e.a.ID, "kind": "licence", "name": "Office",
				"fields": map[string]string{"seats": "25", "expires": "2027-01-31"}, "warranty_end": "2027-06-30", "criticality": "high"}).want(t, 201)
			r.decode(t, &lic)
			if lic.ID == 0 || r.header.Get("Location") != "/api/v1/assets/"+itoa(lic.ID) || lic.WarrantyEnd.Format(time.DateOnly) != "2027-06-30" {
				t.Fatalf("created %+v, Location %q", lic, r.header.Get("Location"))
			}
			e.do(t, "POST", "/api/v1/assets", e.clientTok, map[string]any{"client_id": e.a.ID, "kind": "printer", "name": "P"}).problem(t, 403)
			e.do(t, "POST", "/api/v1/assets", e.techTok, map[string]any{"client_id": e.a.ID, "kind": "printer", "name": "P", "rogue": 1}).problem(t, 400)

			// Patch: null clears, absent keeps.
			var got asset.Asset
			e.do(t, "PATCH", "/api/v1/assets/"+itoa(lic.ID), e.techTok, map[string]any{"warranty_end": nil, "notes": "renewed"}).want(t, 200).decode(t, &got)
			if got.WarrantyEnd != nil || got.Notes != "renewed" || got.Fields["seats"] != "25" || got.Criticality != asset.CriticalityHigh {
				t.Errorf("patched %+v", got)
			}
			// Reads: the client admin sees its fleet, the client user does not.
			e.do(t, "GET", "/api/v1/assets/"+itoa(lic.ID), e.clientTok, nil).want(t, 200)
			e.do(t, "GET", "/api/v1/assets/"+itoa(lic.ID), e.userTok, nil).problem(t, 403)

			// Enrollment token over the API, then an agent reports.
			var tok struct {
				asset.EnrollToken
				Secret string `json:"secret"`
			}
			e.do(t, "POST", "/api/v1/clients/"+itoa(e.a.ID)+"/enroll-tokens", e.techTok, map[string]any{"name": "deploy", "max_uses": 5}).want(t, 201).decode(t, &tok)
			if !strings.HasPrefix(tok.Secret, tok.Prefix) || tok.MaxUses != 5 {
				t.Fatalf("token %+v", tok)
			}
			var toks pageOf[asset.EnrollToken]
			e.do(t, "GET", "/api/v1/clients/"+itoa(e.a.ID)+"/enroll-tokens", e.techTok, nil).want(t, 200).decode(t, &toks)
			if len(toks.Data) != 1 || strings.Contains(string(e.do(t, "GET", "/api/v1/clients/"+itoa(e.a.ID)+"/enroll-tokens", e.techTok, nil).body), tok.Secret) {
				t.Errorf("token list %+v shows the secret or misses the token", toks)
			}
			e.do(t, "GET", "/api/v1/clients/"+itoa(e.a.ID)+"/enroll-tokens", e.clientTok, nil).problem(t, 403)
			ctx := e.s.Ctx()
			er, err := e.s.App.Assets.Enroll(ctx, agentproto.EnrollRequest{Token: tok.Secret, Hostname: "srv-01", OS: "linux", Arch: "amd64", MachineID: "m"})
			if err != nil {
				t.Fatal(err)
			}
			ag, err := e.s.App.Assets.AuthenticateAgent(ctx, er.Secret)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			inv := &agentproto.Inventory{Hostname: "srv-01", OS: "linux", Platform: "debian", OSVersion: "12", MemoryBytes: 8 << 30}
			if _, err := e.s.App.Assets.Report(ctx, ag, &agentproto.Report{Seq: 1, SettingsVersion: 1, Inventory: inv,
				Series: []agentproto.Series{{Name: agentproto.MetricCPU, T: []int64{now.Add(-time.Minute).UnixMilli(), now.UnixMilli()}, V: []float64{10, 30}}}}); err != nil {
				t.Fatal(err)
			}
			inv2 := *inv
			inv2.MemoryBytes = 16 << 30
			if _, err := e.s.App.Assets.Report(ctx, ag, &agentproto.Report{Seq: 2, SettingsVersion: 1, Inventory: &inv2}); err != nil {
				t.Fatal(err)
			}
			var invRes struct {
				AssetID   int64                 `json:"asset_id"`
				Inventory *agentproto.Inventory `json:"inventory"`
			}
			e.do(t, "GET", "/api/v1/assets/"+itoa(er.AssetID)+"/inventory", e.clientTok, nil).want(t, 200).decode(t, &invRes)
			if invRes.Inventory == nil || invRes.Inventory.MemoryBytes != 16<<30 {
				t.Errorf("inventory %+v", invRes)
			}
			var changes pageOf[asset.Change]
			e.do(t, "GET", "/api/v1/assets/"+itoa(er.AssetID)+"/changes", e.clientTok, nil).want(t, 200).decode(t, &changes)
			if len(changes.Data) != 1 || changes.Data[0].Old != "8 GiB" || changes.Data[0].New != "16 GiB" {
				t.Errorf("changes %+v", changes)
			}
			var metrics struct {
				Series []struct {
					Name       string `json:"name"`
					Resolution string `json:"resolution"`
					Points     []struct {
						Avg float64 `json:"avg"`
					} `json:"points"`
				} `json:"series"`
			}
			e.do(t, "GET", "/api/v1/assets/"+itoa(er.AssetID)+"/metrics?name=cpu.percent&resolution=raw&from="+now.Add(-time.Hour).UTC().Format(time.RFC3339), e.clientTok, nil).want(t, 200).decode(t, &metrics)
			if len(metrics.Series) != 1 || len(metrics.Series[0].Points) != 2 || metrics.Series[0].Points[1].Avg != 30 || metrics.Series[0].Resolution != "raw" {
				t.Errorf("metrics %+v", metrics)
			}
			e.do(t, "GET", "/api/v1/assets/"+itoa(er.AssetID)+"/metrics", e.clientTok, nil).problem(t, 422).field(t, "name")
			e.do(t, "GET", "/api/v1/assets/"+itoa(er.AssetID)+"/metrics?name=cpu.percent", e.userTok, nil).problem(t, 403)

			// Filters.
			var list pageOf[asset.Asset]
			e.do(t, "GET", "/api/v1/assets?client_id="+itoa(e.a.ID)+"&status=online", e.clientTok, nil).want(t, 200).decode(t, &list)
			if len(list.Data) != 1 || list.Data[0].ID != er.AssetID || list.Data[0].Agent == nil || list.Data[0].Agent.Status != asset.StatusOnline {
				t.Errorf("online assets %+v", list.Data)
			}
			e.do(t, "GET", "/api/v1/assets?kind=licence&q=offi", e.techTok, nil).want(t, 200).decode(t, &list)
			if len(list.Data) != 1 || list.Data[0].ID != lic.ID {
				t.Errorf("licences %+v", list.Data)
			}
			e.do(t, "GET", "/api/v1/assets?status=asleep", e.techTok, nil).problem(t, 422).field(t, "status")
			e.do(t, "GET", "/api/v1/assets?client_id="+itoa(e.b.ID), e.clientTok, nil).problem(t, 404)

			// Settings.
			var st agentproto.Settings
			e.do(t, "PUT", "/api/v1/clients/"+itoa(e.a.ID)+"/fleet-settings", e.techTok, map[string]any{"metric_interval": 30, "report_interval": 60}).want(t, 200).decode(t, &st)
			if st.Version != 2 || st.MetricInterval != 30 || st.InventoryInterval != agentproto.DefaultSettings().InventoryInterval {
				t.Errorf("settings %+v", st)
			}
			e.do(t, "PUT", "/api/v1/clients/"+itoa(e.a.ID)+"/fleet-settings", e.techTok, map[string]any{"metric_interval": 1}).problem(t, 422).field(t, "metric_interval")
			e.do(t, "PUT", "/api/v1/clients/"+itoa(e.a.ID)+"/fleet-settings", e.clientTok, map[string]any{"metric_interval": 30}).problem(t, 403)

			// CSV: dry run, import, export round trip.
			csv := "\xef\xbb\xbfkind;name;ip;notes\r\nprinter;Imprimante accueil;10.0.0.20;\r\nprinter;Bad;10.0.0.999;\r\n"
			var ir asset.ImportResult
			e.do(t, "POST", "/api/v1/clients/"+itoa(e.a.ID)+"/assets/import?dry_run=true", e.techTok, csv, header("Content-Type", "text/csv")).want(t, 200).decode(t, &ir)
			if ir.OK || len(ir.Rows) != 2 || len(ir.Rows[1].Errors) != 1 || ir.Rows[1].Errors[0].Column != "ip" || ir.Rows[1].Line != 3 {
				t.Errorf("dry run %+v", ir)
			}
			e.do(t, "POST", "/api/v1/clients/"+itoa(e.a.ID)+"/assets/import", e.techTok, csv, header("Content-Type", "application/json")).problem(t, 415)
			e.do(t, "POST", "/api/v1/clients/"+itoa(e.a.ID)+"/assets/import", e.techTok, "kind,name,colour\n", header("Content-Type", "text/csv")).problem(t, 422).field(t, "file")
			good := strings.Replace(csv, "10.0.0.999", "10.0.0.21", 1)
			e.do(t, "POST", "/api/v1/clients/"+itoa(e.a.ID)+"/assets/import", e.techTok, good, header("Content-Type", "text/csv")).want(t, 200).decode(t, &ir)
			if !ir.OK || ir.Created != 2 {
				t.Errorf("import %+v", ir)
			}
			big := "kind,name\n" + strings.Repeat("printer,"+strings.Repeat("x", 100)+"\n", 60000)
			e.do(t, "POST", "/api/v1/clients/"+itoa(e.a.ID)+"/assets/import", e.techTok, big, header("Content-Type", "text/csv")).problem(t, 413)
			ex := e.do(t, "GET", "/api/v1/clients/"+itoa(e.a.ID)+"/assets/export?kind=printer", e.clientTok, nil).want(t, 200)
			if !strings.HasPrefix(ex.header.Get("Content-Type"), "text/csv") || !strings.Contains(ex.header.Get("Content-Disposition"), "attachment") ||
				!bytes.Contains(ex.body, []byte("Imprimante accueil")) || bytes.Contains(ex.body, []byte("Office")) {
				t.Errorf("export %v %s", ex.header, ex.body)
			}
			e.do(t, "GET", "/api/v1/clients/"+itoa(e.b.ID)+"/assets/export", e.clientTok, nil).problem(t, 404)
			e.do(t, "POST", "/api/v1/clients/"+itoa(e.a.ID)+"/assets/import", e.techTok, string(ex.body), header("Content-Type", "text/csv; charset=utf-8")).want(t, 200).decode(t, &ir)
			if !ir.OK || ir.Updated != 2 || ir.Created != 0 {
				t.Errorf("re-import of the export %+v", ir)
			}

			// Revoke the agent and the token; delete an asset.
			e.do(t, "POST", "/api/v1/agents/"+itoa(ag.ID)+"/revoke", e.clientTok, nil).problem(t, 403)
			e.do(t, "POST", "/api/v1/agents/"+itoa(ag.ID)+"/revoke", e.techTok, nil).want(t, 204)
			e.do(t, "GET", "/api/v1/assets/"+itoa(er.AssetID), e.techTok, nil).want(t, 200).decode(t, &got)
			if got.Agent == nil || got.Agent.Status != asset.StatusRevoked {
				t.Errorf("after revoke %+v", got.Agent)
			}
			e.do(t, "POST", "/api/v1/enroll-tokens/"+itoa(tok.ID)+"/revoke", e.techTok, nil).want(t, 204)
			if _, err := e.s.App.Assets.Enroll(ctx, agentproto.EnrollRequest{Token: tok.Secret, Hostname: "x", OS: "linux"}); err == nil {
				t.Error("a revoked token enrolls")
			}
			e.do(t, "DELETE", "/api/v1/assets/"+itoa(er.AssetID), e.clientTok, nil).problem(t, 403)
			e.do(t, "DELETE", "/api/v1/assets/"+itoa(er.AssetID), e.techTok, nil).want(t, 204)
			e.do(t, "GET", "/api/v1/assets/"+itoa(er.AssetID), e.techTok, nil).problem(t, 404)
			e.do(t, "GET", "/api/v1/assets/"+itoa(er.AssetID)+"/changes", e.techTok, nil).problem(t, 404)
		})
	}
}
