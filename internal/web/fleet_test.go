package web_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// fleetFixture adds assets to the clients of newFixture: a server and a
// printer of ALPHA, a server of BRAVO.
type fleetFixture struct {
	fixture
	serverA, printerA, serverB asset.Asset
}

func newFleetFixture(t *testing.T, srv *apptest.Server) fleetFixture {
	t.Helper()
	f := fleetFixture{fixture: newFixture(t, srv)}
	for _, a := range []*asset.Asset{&f.serverA, &f.printerA, &f.serverB} {
		*a = asset.Asset{ClientID: f.a.ID, Kind: asset.KindServer, Name: "srv-alpha-01", SiteID: &f.siteA.ID, Criticality: asset.CriticalityHigh,
			Fields: map[string]string{"manufacturer": "Dell", "serial": "SN-ALPHA-1"}}
		switch a {
		case &f.printerA:
			a.Kind, a.Name, a.Fields, a.Criticality = asset.KindPrinter, "printer-alpha-hall", map[string]string{"ip": "192.0.2.10"}, asset.CriticalityLow
		case &f.serverB:
			a.ClientID, a.SiteID, a.Name, a.Fields = f.b.ID, &f.siteB.ID, "srv-bravo-01", nil
		}
		if err := srv.App.Assets.Create(srv.Ctx(), tenant.System(), a); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func TestFleetPagesByRole(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFleetFixture(t, srv)
		a, b := itoa(f.a.ID), itoa(f.b.ID)
		ok, no, hidden := http.StatusOK, http.StatusForbidden, http.StatusNotFound
		pages := []string{"/fleet", "/clients/" + a + "/fleet", "/assets/" + itoa(f.serverA.ID), "/clients/" + a + "/assets/new",
			"/assets/" + itoa(f.serverA.ID) + "/edit", "/clients/" + a + "/fleet/import", "/clients/" + a + "/fleet/enroll",
			"/clients/" + a + "/fleet/settings", "/clients/" + b + "/fleet", "/assets/" + itoa(f.serverB.ID)}
		tests := []struct {
			email string
			want  []int // per page above
		}{
			{"admin@example.com", []int{ok, ok, ok, ok, ok, ok, ok, ok, ok, ok}},
			{"tech@example.com", []int{ok, ok, ok, ok, ok, ok, ok, ok, ok, ok}},
			{"limited@example.com", []int{ok, ok, ok, ok, ok, ok, ok, ok, hidden, hidden}},
			{"cadmin@alpha.example", []int{ok, ok, ok, no, no, no, no, no, hidden, hidden}},
			{"cuser@alpha.example", []int{no, no, no, no, no, no, no, no, hidden, no}},
		}
		for _, tt := range tests {
			t.Run(tt.email, func(t *testing.T) {
				br := signedIn(t, srv, tt.email)
				for i, p := range pages {
					r := br.get(p)
					if r.status != tt.want[i] {
						t.Errorf("GET %s: status %d, want %d\n%s", p, r.status, tt.want[i], excerpt(r.body))
					}
				}
				list := br.get("/fleet")
				if tt.want[0] == ok {
					wantBody(t, "fleet", list, "srv-alpha-01", "printer-alpha-hall")
				}
				if strings.HasPrefix(tt.email, "c") || strings.HasPrefix(tt.email, "limited") {
					wantNotBody(t, "fleet of a restricted caller", list, "srv-bravo-01", f.b.Name)
				}
				// The navigation offers the fleet exactly to those who may see it.
				home := br.get("/")
				if has := strings.Contains(home.body, `href="/fleet"`); has != (tt.want[0] == ok) {
					t.Errorf("navigation has the fleet link: %v", has)
				}
			})
		}
	})
}

func TestFleetFilters(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFleetFixture(t, srv)
		br := signedIn(t, srv, "admin@example.com")
		br.lang = "en"
		tests := []struct {
			query    string
			has, not []string
		}{
			{"", []string{"srv-alpha-01", "printer-alpha-hall", "srv-bravo-01"}, nil},
			{"?kind=printer", []string{"printer-alpha-hall"}, []string{"srv-alpha-01", "srv-bravo-01"}},
			{"?client=" + itoa(f.b.ID), []string{"srv-bravo-01"}, []string{"srv-alpha-01", "printer-alpha-hall"}},
			{"?q=SN-ALPHA", []string{"srv-alpha-01"}, []string{"printer-alpha-hall", "srv-bravo-01"}},
			{"?q=hall", []string{"printer-alpha-hall"}, []string{"srv-alpha-01", "srv-bravo-01"}},
			{fmt.Sprintf("?client=%d&site=%d", f.a.ID, f.siteA.ID), []string{"srv-alpha-01", "printer-alpha-hall"}, []string{"srv-bravo-01"}},
			// No asset has an agent: the agent filters leave nothing.
			{"?status=online", nil, []string{"srv-alpha-01", "printer-alpha-hall", "srv-bravo-01"}},
			{"?lowdisk=1", nil, []string{"srv-alpha-01"}},
			{"?os=windows", nil, []string{"srv-alpha-01"}},
		}
		for _, tt := range tests {
			r := br.get("/fleet" + tt.query)
			wantStatus(t, tt.query, r, http.StatusOK)
			wantBody(t, tt.query, r, tt.has...)
			wantNotBody(t, tt.query, r, tt.not...)
			if len(tt.has) == 0 {
				wantBody(t, tt.query, r, msg("en", "fleet.none_match"))
			}
		}
		// A client administrator's fleet is their company's, with its sites to filter by.
		cadmin := signedIn(t, srv, "cadmin@alpha.example")
		cadmin.lang = "en"
		r0 := cadmin.get(fmt.Sprintf("/fleet?site=%d", f.siteA.ID))
		wantBody(t, "client admin fleet", r0, msg("en", "fleet.client_title", f.a.Name), `id="f-site"`, "srv-alpha-01")
		wantNotBody(t, "client admin fleet", r0, "srv-bravo-01", `href="/clients/`+itoa(f.a.ID)+`/fleet/import"`)
		// A client's own list keeps to it whatever the query says.
		r := br.get(fmt.Sprintf("/clients/%d/fleet?client=%d", f.a.ID, f.b.ID))
		wantBody(t, "client fleet", r, "srv-alpha-01")
		wantNotBody(t, "client fleet", r, "srv-bravo-01")
		// The export follows the filters and is the import's CSV.
		exp := br.get("/fleet/export?kind=printer")
		wantStatus(t, "export", exp, http.StatusOK)
		if ct := exp.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("export Content-Type %q", ct)
		}
		wantBody(t, "export", exp, "printer-alpha-hall", "192.0.2.10")
		wantNotBody(t, "export", exp, "srv-alpha-01")
		// An empty client says what to do.
		c := srv.Client("EMPTY")
		r = br.get(fmt.Sprintf("/clients/%d/fleet", c.ID))
		wantBody(t, "empty fleet", r, msg("en", "fleet.empty_text"), fmt.Sprintf("/clients/%d/fleet/enroll", c.ID), fmt.Sprintf("/clients/%d/fleet/import", c.ID))
	})
}

// postMultipart posts a multipart form with optional file fields.
func (b *browser) postMultipart(path string, fields map[string]string, files map[string]string) response {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for k, v := range files {
		fw, err := mw.CreateFormFile(k, k+".csv")
		if err != nil {
			b.t.Fatal(err)
		}
		_, _ = fw.Write([]byte(v))
	}
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+path, &buf)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

func TestFleetImportPreviewThenConfirm(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFleetFixture(t, srv)
		br := signedIn(t, srv, "tech@example.com")
		br.lang = "en"
		path := fmt.Sprintf("/clients/%d/fleet/import", f.a.ID)
		count := func() int {
			n, err := srv.App.Assets.Count(srv.Ctx(), tenant.System(), asset.Filter{ClientID: f.a.ID})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := count()

		// A file with a bad row: the preview shows that row's error, and
		// nothing is imported.
		bad := "kind,name,site,ip\nprinter,hall-2,Site of ALPHA,192.0.2.20\nspaceship,enterprise,,\nprinter,hall-3,,not-an-ip\n"
		r := br.postMultipart(path, nil, map[string]string{"csv": bad})
		wantStatus(t, "bad file", r, http.StatusUnprocessableEntity)
		wantBody(t, "bad file", r, `class="row-error"`, "enterprise", msg("en", "fleet.import.has_errors", 2, 3), fieldErr("en", "invalid_ip", ""))
		wantNotBody(t, "bad file", r, `name="confirm"`)
		if got := strings.Count(r.body, `<tr class="row-error">`); got != 2 {
			t.Errorf("%d rows in error, want 2", got)
		}
		if n := count(); n != before {
			t.Fatalf("a preview with errors imported %d assets", n-before)
		}

		// A good file: a preview with a confirmation, still nothing imported.
		good := "kind,name,site,ip\nprinter,hall-2,Site of ALPHA,192.0.2.20\nnetwork,core-switch,,192.0.2.1\n"
		r = br.postMultipart(path, nil, map[string]string{"csv": good})
		wantStatus(t, "good file", r, http.StatusOK)
		wantBody(t, "good file", r, msg("en", "fleet.import.ready", 2, 2, 0), `name="confirm"`)
		if n := count(); n != before {
			t.Fatalf("a dry run imported %d assets", n-before)
		}
		content := inputValue(r.body, "content")
		if content != good {
			t.Fatalf("the confirmation carries %q, want the file", content)
		}
		// Confirming imports the same content.
		r = br.postMultipart(path, map[string]string{"confirm": "1", "content": content}, nil)
		wantStatus(t, "confirm", r, http.StatusSeeOther)
		if n := count(); n != before+2 {
			t.Fatalf("after confirming: %d assets, want %d", n, before+2)
		}
		// A confirmation whose content was tampered with into an invalid
		// file is checked again and refused whole.
		r = br.postMultipart(path, map[string]string{"confirm": "1", "content": bad}, nil)
		wantStatus(t, "tampered", r, http.StatusUnprocessableEntity)
		if n := count(); n != before+2 {
			t.Fatalf("a tampered confirmation imported %d assets", n-before-2)
		}
		// No file at all, or not a CSV: an error on the file field.
		r = br.postMultipart(path, nil, nil)
		wantStatus(t, "no file", r, http.StatusUnprocessableEntity)
		r = br.postMultipart(path, nil, map[string]string{"csv": "this,is\nnot,it\n"})
		wantStatus(t, "unknown columns", r, http.StatusUnprocessableEntity)
		if fieldErrorBlock(r.body, "csv") == "" {
			t.Errorf("no error under the file field\n%s", excerpt(r.body))
		}
		// A file over the server's usual 2 MiB body limit (the import takes
		// up to 5 MiB) is previewed too.
		var big strings.Builder
		big.WriteString("kind,name,notes\n")
		for i := 0; big.Len() < 5<<19; i++ {
			fmt.Fprintf(&big, "licence,Licence %d,%s\n", i, strings.Repeat("n", 500))
		}
		r = br.postMultipart(path, nil, map[string]string{"csv": big.String()})
		wantStatus(t, "2.5 MiB file", r, http.StatusOK)
		wantBody(t, "2.5 MiB file", r, `name="confirm"`)
		// A client administrator may not import.
		cadmin := signedIn(t, srv, "cadmin@alpha.example")
		wantStatus(t, "client admin import", cadmin.postMultipart(path, map[string]string{"confirm": "1", "content": good}, nil), http.StatusForbidden)
		if n := count(); n != before+2 {
			t.Fatal("a refused import changed the fleet")
		}
	})
}

var enrollTokenRe = regexp.MustCompile(`vge_[A-Za-z0-9_-]{10,}`)

func TestEnrollTokenShownOnceAndRevoked(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFleetFixture(t, srv)
		br := signedIn(t, srv, "tech@example.com")
		br.lang = "en"
		path := fmt.Sprintf("/clients/%d/fleet/enroll", f.a.ID)
		r := br.post(path, url.Values{"name": {"Deployment"}, "site_id": {itoa(f.siteA.ID)}, "expires_in": {"7d"}, "max_uses": {"5"}})
		wantStatus(t, "create token", r, http.StatusOK)
		secret := enrollTokenRe.FindString(r.body)
		if secret == "" {
			t.Fatalf("no token on the page\n%s", excerpt(r.body))
		}
		wantBody(t, "create token", r, "/agent/download/linux/amd64", "/agent/download/linux/arm64", "/agent/download/darwin/arm64",
			"/agent/download/windows/amd64", "sudo ./vigie-agent install --server", "--token "+secret, `.\vigie-agent.exe install`, "Invoke-WebRequest", `data-copy="cmd-linux-amd64"`)
		// Shown once: the list afterwards has only its prefix.
		list := br.get(path)
		wantStatus(t, "token list", list, http.StatusOK)
		wantNotBody(t, "token list", list, secret)
		wantBody(t, "token list", list, "Deployment", secret[:10], "0 / 5", "Site of ALPHA")

		// The token enrolls an agent; the asset page shows it with a
		// revoke button; revoking is refused to a client administrator.
		res, err := srv.App.Assets.Enroll(srv.Ctx(), agentproto.EnrollRequest{Token: secret, Hostname: "web-01", OS: "linux", Arch: "amd64", AgentVersion: "0.0.1", MachineID: "m-1"})
		if err != nil {
			t.Fatal(err)
		}
		page := br.get("/assets/" + itoa(res.AssetID))
		wantStatus(t, "asset page", page, http.StatusOK)
		wantBody(t, "asset page", page, "web-01", fmt.Sprintf(`action="/agents/%d/revoke"`, res.AgentID), "data-confirm=")
		cadmin := signedIn(t, srv, "cadmin@alpha.example")
		wantNotBody(t, "asset page as client admin", cadmin.get("/assets/"+itoa(res.AssetID)), "/revoke")
		wantStatus(t, "client admin revokes", cadmin.post(fmt.Sprintf("/agents/%d/revoke", res.AgentID), nil), http.StatusForbidden)
		wantStatus(t, "revoke agent", br.post(fmt.Sprintf("/agents/%d/revoke", res.AgentID), nil), http.StatusSeeOther)
		ag, err := srv.App.Assets.Agent(srv.Ctx(), tenant.System(), res.AgentID)
		if err != nil {
			t.Fatal(err)
		}
		if ag.Revoked == nil {
			t.Fatal("the agent is not revoked")
		}
		wantBody(t, "revoked agent", br.get("/assets/"+itoa(res.AssetID)), msg("en", "fleet.status.revoked"))

		// Revoking the token from its list.
		toks, err := srv.App.Assets.EnrollTokens(srv.Ctx(), tenant.System(), f.a.ID)
		if err != nil || len(toks) != 1 {
			t.Fatalf("tokens: %v %v", toks, err)
		}
		wantStatus(t, "revoke as limited to B?", signedIn(t, srv, "cadmin@alpha.example").post(fmt.Sprintf("/enroll-tokens/%d/revoke", toks[0].ID), nil), http.StatusForbidden)
		r = br.post(fmt.Sprintf("/enroll-tokens/%d/revoke", toks[0].ID), url.Values{"client_id": {itoa(f.a.ID)}})
		wantStatus(t, "revoke token", r, http.StatusSeeOther)
		if r.loc != path {
			t.Errorf("revoke sends to %q, want %q", r.loc, path)
		}
		wantBody(t, "revoked token", br.get(path), msg("en", "fleet.enroll.revoked"))
		if _, err := srv.App.Assets.Enroll(srv.Ctx(), agentproto.EnrollRequest{Token: secret, Hostname: "web-02", OS: "linux", Arch: "amd64", MachineID: "m-2"}); err == nil {
			t.Error("a revoked token still enrolls")
		}
		// A bad form says which field.
		r = br.post(path, url.Values{"name": {""}, "expires_in": {"forever"}, "max_uses": {"-1"}})
		wantStatus(t, "bad token form", r, http.StatusUnprocessableEntity)
		for _, field := range []string{"name", "expires_in"} {
			if fieldErrorBlock(r.body, field) == "" {
				t.Errorf("no error under %s", field)
			}
		}
		if enrollTokenRe.MatchString(r.body) {
			t.Error("a refused form shows a token")
		}
	})
}

func TestAssetFormAndPage(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFleetFixture(t, srv)
		br := signedIn(t, srv, "tech@example.com")
		br.lang = "fr"
		path := fmt.Sprintf("/clients/%d/assets/new", f.a.ID)
		// Another kind's field is ignored; a bad IP is refused next to its field.
		r := br.post(path, url.Values{"kind": {"printer"}, "name": {"Imprimante compta"}, "criticality": {"normal"}, "fields.ip": {"999.1.1.1"}, "fields.seats": {"12"}})
		wantStatus(t, "bad ip", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "fields.ip"); got != fieldErr("fr", "invalid_ip", "") {
			t.Errorf("error under the IP: %q", got)
		}
		r = br.post(path, url.Values{"kind": {"printer"}, "name": {"Imprimante compta"}, "criticality": {"high"}, "fields.ip": {"192.0.2.7"}, "fields.seats": {"12"},
			"site_id": {itoa(f.siteA.ID)}, "warranty_end": {"2029-06-30"}, "parent_id": {itoa(f.serverA.ID)}})
		wantStatus(t, "create", r, http.StatusSeeOther)
		page := br.get(r.loc)
		wantStatus(t, "asset page", page, http.StatusOK)
		wantBody(t, "asset page", page, "Imprimante compta", "192.0.2.7", "30/06/2029", "srv-alpha-01", "Site of ALPHA", msg("fr", "asset.criticality.high"))
		wantNotBody(t, "asset page", page, msg("fr", "asset.field.seats"))
		// Edit then delete.
		edit := strings.TrimPrefix(r.loc, "/assets/")
		r = br.post("/assets/"+edit+"/edit", url.Values{"kind": {"printer"}, "name": {"Imprimante RH"}, "criticality": {"low"}})
		wantStatus(t, "edit", r, http.StatusSeeOther)
		wantBody(t, "edited", br.get("/assets/"+edit), "Imprimante RH")
		wantStatus(t, "delete as client admin", signedIn(t, srv, "cadmin@alpha.example").post("/assets/"+edit+"/delete", nil), http.StatusForbidden)
		// Refused before the form is even checked: no form comes back.
		for _, p := range []string{path, "/assets/" + edit + "/edit"} {
			wantStatus(t, "client admin posts "+p, signedIn(t, srv, "cadmin@alpha.example").post(p, url.Values{"kind": {"printer"}, "warranty_end": {"not a date"}}), http.StatusForbidden)
		}
		r = br.post("/assets/"+edit+"/delete", nil)
		wantStatus(t, "delete", r, http.StatusSeeOther)
		wantStatus(t, "deleted", br.get("/assets/"+edit), http.StatusNotFound)

		// An agent's asset with an inventory and metrics: inventory,
		// software filter, change history and graphs for every range.
		ctx, sys := srv.Ctx(), tenant.System()
		tok := asset.EnrollToken{ClientID: f.a.ID, Name: "t"}
		secret, err := srv.App.Assets.CreateEnrollToken(ctx, sys, &tok)
		if err != nil {
			t.Fatal(err)
		}
		en, err := srv.App.Assets.Enroll(ctx, agentproto.EnrollRequest{Token: secret, Hostname: "db-01", OS: "linux", Arch: "amd64", AgentVersion: "0.0.1", MachineID: "db"})
		if err != nil {
			t.Fatal(err)
		}
		ag, err := srv.App.Assets.AuthenticateAgent(ctx, en.Secret)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		inv := &agentproto.Inventory{Collected: now, Hostname: "db-01", OS: "linux", Platform: "debian", OSVersion: "12.5", Kernel: "6.1.0", Arch: "amd64",
			CPUModel: "Xeon", CPUCores: 4, CPUThreads: 8, MemoryBytes: 8 << 30,
			Disks:       []agentproto.Disk{{Name: "sda", Model: "Samsung", Bytes: 500 << 30, SMART: "FAILED"}},
			Filesystems: []agentproto.Filesystem{{Mount: "/var", Type: "ext4", Bytes: 100 << 30, Used: 95 << 30}},
			Software:    []agentproto.Software{{Name: "postgresql-16", Version: "16.2"}, {Name: "nginx", Version: "1.22"}}}
		var series []agentproto.Series
		for _, name := range []string{agentproto.MetricCPU, agentproto.MetricMemory} {
			s := agentproto.Series{Name: name}
			for i := 10; i > 0; i-- {
				s.T = append(s.T, now.Add(-time.Duration(i)*time.Minute).UnixMilli())
				s.V = append(s.V, float64(10*i))
			}
			series = append(series, s)
		}
		series = append(series,
			agentproto.Series{Name: agentproto.MetricFSUsed, Labels: map[string]string{"mount": "/var"}, T: []int64{now.Add(-time.Minute).UnixMilli()}, V: []float64{95}},
			agentproto.Series{Name: agentproto.MetricFSFree, Labels: map[string]string{"mount": "/var"}, T: []int64{now.Add(-time.Minute).UnixMilli()}, V: []float64{5 << 30}})
		if _, err := srv.App.Assets.Report(ctx, ag, &agentproto.Report{Seq: 1, Sent: now, AgentVersion: "0.0.1", Inventory: inv, Series: series}); err != nil {
			t.Fatal(err)
		}
		inv2 := *inv
		inv2.MemoryBytes = 16 << 30
		inv2.Collected = now.Add(time.Second)
		if _, err := srv.App.Assets.Report(ctx, ag, &agentproto.Report{Seq: 2, Sent: now, AgentVersion: "0.0.1", Inventory: &inv2}); err != nil {
			t.Fatal(err)
		}
		br.lang = "en"
		for _, rg := range []string{"1h", "24h", "7d", "30d", "1y", "bogus"} {
			p := br.get(fmt.Sprintf("/assets/%d?range=%s", en.AssetID, rg))
			wantStatus(t, rg, p, http.StatusOK)
			if n := strings.Count(p.body, `<svg xmlns="http://www.w3.org/2000/svg" class="chart"`); n != 6 {
				t.Errorf("range %s: %d charts, want 6", rg, n)
			}
			wantBody(t, rg, p, `aria-label="CPU usage"`, "db-01", "postgresql-16", "nginx", msg("en", "fleet.inv.smart_failed"), "/var")
			if rg != "1y" { // hourly points: none until compaction rolls them up
				wantBody(t, rg, p, `class="chart-line`)
			}
		}
		wantBody(t, "no data", br.get(fmt.Sprintf("/assets/%d?range=1h", en.AssetID)), msg("en", "fleet.graph.empty"))
		p := br.get(fmt.Sprintf("/assets/%d?sw=nginx", en.AssetID))
		wantBody(t, "software filter", p, "nginx")
		wantNotBody(t, "software filter", p, "postgresql-16")
		wantBody(t, "changes", p, "8 GiB", "16 GiB")
		// The fleet list shows the agent's vitals: the fullest disk as a bar.
		list := br.get("/fleet?lowdisk=1")
		wantBody(t, "low disk", list, "db-01", `class="bar bar-crit"`)
		wantNotBody(t, "low disk", list, "srv-alpha-01")
		wantBody(t, "online", br.get("/fleet?status=online"), "db-01")
	})
}

func TestFleetSettingsForm(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFleetFixture(t, srv)
		br := signedIn(t, srv, "manager@example.com")
		br.lang = "en"
		path := fmt.Sprintf("/clients/%d/fleet/settings", f.a.ID)
		page := br.get(path)
		wantStatus(t, "settings", page, http.StatusOK)
		if inputValue(page.body, "metric_interval") != "60" || inputValue(page.body, "spool_mib") != "50" {
			t.Errorf("defaults not shown: metric %q spool %q", inputValue(page.body, "metric_interval"), inputValue(page.body, "spool_mib"))
		}
		r := br.post(path, url.Values{"metric_interval": {"5"}, "report_interval": {"60"}, "inventory_interval": {"14400"}, "spool_mib": {"5000"}})
		wantStatus(t, "out of range", r, http.StatusUnprocessableEntity)
		for _, field := range []string{"metric_interval", "spool_mib"} {
			if fieldErrorBlock(r.body, field) == "" {
				t.Errorf("no error under %s", field)
			}
		}
		r = br.post(path, url.Values{"metric_interval": {"30"}, "report_interval": {"120"}, "inventory_interval": {"3600"}, "spool_mib": {"20"}, "collectors": {"smart", "users", "disk_io", "net_io"}})
		wantStatus(t, "save", r, http.StatusSeeOther)
		st, err := srv.App.Assets.Settings(srv.Ctx(), tenant.System(), f.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.MetricInterval != 30 || st.ReportInterval != 120 || st.InventoryInterval != 3600 || st.SpoolBytes != 20<<20 || st.Version != 2 {
			t.Errorf("saved %+v", st)
		}
		if on, set := st.Collectors["software"]; !set || on {
			t.Errorf("software collector left on: %v", st.Collectors)
		}
		if on, set := st.Collectors["smart"]; set && !on {
			t.Errorf("smart collector turned off: %v", st.Collectors)
		}
		// A client administrator sees the fleet but not its agent settings.
		wantStatus(t, "client admin", signedIn(t, srv, "cadmin@alpha.example").post(path, url.Values{"metric_interval": {"10"}}), http.StatusForbidden)
	})
}
