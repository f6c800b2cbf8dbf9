package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// supEnv is the API env with assets for supervision and callers limited to B.
type supEnv struct {
	*env
	srvA, srvB int64 // linux servers with an agent
	jobA       int64 // backup job of A, entered by hand
	techBTok   string
	userBTok   string
}

func newSupEnv(t *testing.T, dialect string) *supEnv {
	t.Helper()
	e := &supEnv{env: newEnv(t, dialect)}
	e.srvA = e.enroll(t, e.a.ID, "srv-a")
	e.srvB = e.enroll(t, e.b.ID, "srv-b")
	job := asset.Asset{ClientID: e.a.ID, Kind: asset.KindBackup, Name: "Veeam nightly"}
	if err := e.s.App.Assets.Create(e.s.Ctx(), tenant.System(), &job); err != nil {
		t.Fatal(err)
	}
	e.jobA = job.ID
	e.techBTok = e.s.Token(e.s.User("tech-b@msp.example", tenant.RoleTechnician, e.b.ID), true)
	e.userBTok = e.s.Token(e.s.User("staff@bravo.example", tenant.RoleClientUser, e.b.ID), true)
	return e
}

func (e *supEnv) enroll(t *testing.T, clientID int64, host string) int64 {
	t.Helper()
	ctx := e.s.Ctx()
	tok := asset.EnrollToken{ClientID: clientID, Name: host}
	secret, err := e.s.App.Assets.CreateEnrollToken(ctx, tenant.System(), &tok)
	if err != nil {
		t.Fatal(err)
	}
	er, err := e.s.App.Assets.Enroll(ctx, agentproto.EnrollRequest{Token: secret, Hostname: host, OS: "linux", Arch: "amd64", MachineID: "m-" + host})
	if err != nil {
		t.Fatal(err)
	}
	return er.AssetID
}

// apiCheck is a check as the API returns it.
type apiCheck struct {
	ID            int64              `json:"id"`
	ClientID      int64              `json:"client_id"`
	AssetID       int64              `json:"asset_id"`
	Name          string             `json:"name"`
	Kind          string             `json:"kind"`
	Params        supervision.Params `json:"params"`
	Interval      int                `json:"interval"`
	RetryInterval int                `json:"retry_interval"`
	Severity      string             `json:"severity"`
	TemplateID    *int64             `json:"template_id"`
	Enabled       bool               `json:"enabled"`
	PushPath      *string            `json:"push_path"`
	Status        *struct {
		State string `json:"state"`
		Label string `json:"label"`
	} `json:"status"`
}

func forSupDialects(t *testing.T, fn func(t *testing.T, e *supEnv)) {
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) { fn(t, newSupEnv(t, d)) })
	}
}

func (e *supEnv) createCheck(t *testing.T, body any) apiCheck {
	t.Helper()
	var c apiCheck
	r := e.do(t, "POST", "/api/v1/checks", e.managerTok, body).want(t, 201)
	r.decode(t, &c)
	if loc := r.header.Get("Location"); loc != fmt.Sprintf("/api/v1/checks/%d", c.ID) {
		t.Errorf("Location %q", loc)
	}
	return c
}

func TestSupervisionAPIChecks(t *testing.T) {
	forSupDialects(t, func(t *testing.T, e *supEnv) {
		c := e.createCheck(t, map[string]any{"asset_id": e.srvA, "kind": "filesystem", "params": map[string]any{"warning": 80, "critical": 90, "mount": "/var"}})
		if c.ClientID != e.a.ID || c.Name != "Disk /var" || c.Interval != 60 || c.RetryInterval != 30 || !c.Enabled || c.Severity != "major" {
			t.Errorf("created %+v", c)
		}
		var got apiCheck
		e.do(t, "GET", fmt.Sprintf("/api/v1/checks/%d", c.ID), e.clientTok, nil).want(t, 200).decode(t, &got)
		if got.Status == nil || got.Status.State != "pending" || got.Status.Label != "PENDING" {
			t.Errorf("status of a new check: %+v", got.Status)
		}
		e.do(t, "PATCH", fmt.Sprintf("/api/v1/checks/%d", c.ID), e.managerTok, map[string]any{"name": "Var", "interval": 300, "severity": "critical"}).want(t, 200).decode(t, &got)
		if got.Name != "Var" || got.Interval != 300 || got.Severity != "critical" || got.Params.Mount != "/var" {
			t.Errorf("patched %+v", got)
		}

		// Bad input: each is refused with the field and a translated message.
		bad := []struct {
			name, lang, field, code, says string
			body                          map[string]any
		}{
			{"invalid cron", "en", "params.schedule", "invalid_cron", "cron",
				map[string]any{"asset_id": e.jobA, "kind": "backup_push", "params": map[string]any{"schedule": "0 2 * *"}}},
			{"invalid regexp", "fr", "params.body_regexp", "invalid_regexp", "Expression régulière invalide",
				map[string]any{"asset_id": e.jobA, "kind": "http", "params": map[string]any{"url": "https://example.com", "body_regexp": "([a-z]"}}},
			{"invalid URL", "en", "params.url", "invalid_url", "http",
				map[string]any{"asset_id": e.jobA, "kind": "http", "params": map[string]any{"url": "gopher://example.com"}}},
			{"critical below warning", "fr", "params.critical", "below_warning", "seuil critique",
				map[string]any{"asset_id": e.srvA, "kind": "cpu", "params": map[string]any{"warning": 90, "critical": 50}}},
			{"threshold over 100", "en", "params.warning", "out_of_range", "100",
				map[string]any{"asset_id": e.srvA, "kind": "memory", "params": map[string]any{"warning": 120}}},
			{"no threshold", "en", "params.warning", "threshold_required", "threshold",
				map[string]any{"asset_id": e.srvA, "kind": "swap"}},
			{"interval", "en", "interval", "too_small", "10",
				map[string]any{"asset_id": e.srvA, "kind": "cpu", "interval": 1, "params": map[string]any{"critical": 99}}},
			{"command name", "en", "params.name", "invalid_identifier", "64",
				map[string]any{"asset_id": e.srvA, "kind": "command", "params": map[string]any{"name": "rm -rf /"}}},
			{"no agent", "fr", "asset_id", "no_agent", "agent",
				map[string]any{"asset_id": e.jobA, "kind": "cpu", "params": map[string]any{"critical": 99}}},
		}
		for _, b := range bad {
			p := e.do(t, "POST", "/api/v1/checks", e.managerTok, b.body, header("Accept-Language", b.lang)).problem(t, 422)
			code, msg := p.field(t, b.field)
			if code != b.code || !strings.Contains(msg, b.says) || strings.HasPrefix(msg, "[") {
				t.Errorf("%s: %s %q, want %s saying %q", b.name, code, msg, b.code, b.says)
			}
		}
		p := e.do(t, "POST", "/api/v1/checks", e.managerTok, map[string]any{"asset_id": e.srvA, "kind": "cpu", "params": map[string]any{"critical": 99, "colour": 1}}).problem(t, 400)
		if !strings.Contains(p.Detail, "colour") {
			t.Errorf("unknown parameter: %s", p.Detail)
		}

		// Listing with a cursor.
		second := e.createCheck(t, map[string]any{"asset_id": e.srvA, "kind": "heartbeat"})
		e.createCheck(t, map[string]any{"asset_id": e.srvB, "kind": "heartbeat"})
		rows, pages := collect[apiCheck](t, e.env, fmt.Sprintf("/api/v1/checks?client_id=%d", e.a.ID), e.managerTok, 1)
		if len(rows) != 2 || pages != 2 || rows[0].ID != c.ID || rows[1].ID != second.ID {
			t.Errorf("client A's checks: %d rows in %d pages", len(rows), pages)
		}
		var hb pageOf[apiCheck]
		e.do(t, "GET", "/api/v1/checks?kind=heartbeat", e.clientTok, nil).want(t, 200).decode(t, &hb)
		if len(hb.Data) != 1 || hb.Data[0].ID != second.ID {
			t.Errorf("client admin of A lists heartbeats %+v", hb.Data)
		}
		e.do(t, "GET", "/api/v1/checks?kind=telnet", e.managerTok, nil).problem(t, 422)

		// Agent checks cannot run on demand; acknowledging needs a problem.
		e.do(t, "POST", fmt.Sprintf("/api/v1/checks/%d/run", c.ID), e.managerTok, nil).problem(t, 409)
		p = e.do(t, "POST", fmt.Sprintf("/api/v1/checks/%d/acknowledge", c.ID), e.managerTok, map[string]any{"comment": "on it"}).problem(t, 422)
		if code, _ := p.field(t, "state"); code != "no_problem" {
			t.Errorf("acknowledge an OK check: %s", code)
		}
		tcp := e.createCheck(t, map[string]any{"asset_id": e.srvA, "kind": "tcp", "params": map[string]any{"host": "127.0.0.1", "port": 1, "timeout": 1}})
		e.do(t, "POST", fmt.Sprintf("/api/v1/checks/%d/run", tcp.ID), e.managerTok, nil).want(t, 204)

		var av struct {
			UpSeconds float64  `json:"up_seconds"`
			Ratio     *float64 `json:"ratio"`
		}
		e.do(t, "GET", fmt.Sprintf("/api/v1/checks/%d/availability", c.ID), e.clientTok, nil).want(t, 200).decode(t, &av)
		if av.Ratio != nil || av.UpSeconds != 0 {
			t.Errorf("availability of a check without history: %+v", av)
		}
		e.do(t, "GET", fmt.Sprintf("/api/v1/checks/%d/availability?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", c.ID), e.clientTok, nil).problem(t, 422)
		var evs pageOf[map[string]any]
		e.do(t, "GET", fmt.Sprintf("/api/v1/checks/%d/events?hard_only=true", c.ID), e.clientTok, nil).want(t, 200).decode(t, &evs)

		e.do(t, "DELETE", fmt.Sprintf("/api/v1/checks/%d", c.ID), e.clientTok, nil).problem(t, 403)
		e.do(t, "DELETE", fmt.Sprintf("/api/v1/checks/%d", c.ID), e.managerTok, nil).want(t, 204)
		e.do(t, "GET", fmt.Sprintf("/api/v1/checks/%d", c.ID), e.managerTok, nil).problem(t, 404)
	})
}

func TestSupervisionAPITenancy(t *testing.T) {
	forSupDialects(t, func(t *testing.T, e *supEnv) {
		c := e.createCheck(t, map[string]any{"asset_id": e.srvA, "kind": "cpu", "params": map[string]any{"critical": 95}})
		var tpl struct {
			ID int64 `json:"id"`
		}
		e.do(t, "POST", "/api/v1/check-templates", e.managerTok, map[string]any{"client_id": e.a.ID, "name": "A's heartbeats", "kind": "heartbeat"}).want(t, 201).decode(t, &tpl)
		var win struct {
			ID int64 `json:"id"`
		}
		e.do(t, "POST", "/api/v1/maintenance-windows", e.managerTok, map[string]any{"asset_id": e.srvA, "weekdays": []string{"sun"}, "start": "02:00", "duration_minutes": 120, "time_zone": "Europe/Paris"}).want(t, 201).decode(t, &win)
		var rt struct {
			ID int64 `json:"id"`
		}
		e.do(t, "POST", fmt.Sprintf("/api/v1/assets/%d/restore-tests", e.jobA), e.managerTok, map[string]any{"tested_at": "2026-01-10T10:00:00Z", "scope": "one VM", "result": "ok"}).want(t, 201).decode(t, &rt)

		reads := []string{
			fmt.Sprintf("/api/v1/checks/%d", c.ID),
			fmt.Sprintf("/api/v1/checks/%d/events", c.ID),
			fmt.Sprintf("/api/v1/checks/%d/availability", c.ID),
			fmt.Sprintf("/api/v1/checks/%d/backup-runs", c.ID),
			fmt.Sprintf("/api/v1/check-templates/%d", tpl.ID),
			fmt.Sprintf("/api/v1/maintenance-windows/%d", win.ID),
			fmt.Sprintf("/api/v1/assets/%d/restore-tests", e.jobA),
			fmt.Sprintf("/api/v1/supervision/board?client_id=%d", e.a.ID),
			fmt.Sprintf("/api/v1/backups?client_id=%d", e.a.ID),
			fmt.Sprintf("/api/v1/maintenance-windows?client_id=%d", e.a.ID),
			fmt.Sprintf("/api/v1/checks?client_id=%d", e.a.ID),
		}
		writes := []struct {
			method, path string
			body         any
		}{
			{"PATCH", fmt.Sprintf("/api/v1/checks/%d", c.ID), map[string]any{"name": "x"}},
			{"DELETE", fmt.Sprintf("/api/v1/checks/%d", c.ID), nil},
			{"POST", fmt.Sprintf("/api/v1/checks/%d/acknowledge", c.ID), map[string]any{"comment": "x"}},
			{"POST", fmt.Sprintf("/api/v1/checks/%d/run", c.ID), nil},
			{"PATCH", fmt.Sprintf("/api/v1/check-templates/%d", tpl.ID), map[string]any{"name": "x"}},
			{"DELETE", fmt.Sprintf("/api/v1/check-templates/%d", tpl.ID), nil},
			{"DELETE", fmt.Sprintf("/api/v1/maintenance-windows/%d", win.ID), nil},
			{"DELETE", fmt.Sprintf("/api/v1/restore-tests/%d", rt.ID), nil},
			{"POST", fmt.Sprintf("/api/v1/assets/%d/restore-tests", e.jobA), map[string]any{"tested_at": "2026-01-10T10:00:00Z", "scope": "x", "result": "ok"}},
			{"PUT", fmt.Sprintf("/api/v1/assets/%d/tags", e.srvA), map[string]any{"tags": []string{"x"}}},
			{"POST", "/api/v1/checks", map[string]any{"asset_id": e.srvA, "kind": "cpu", "params": map[string]any{"critical": 95}}},
			{"POST", "/api/v1/maintenance-windows", map[string]any{"asset_id": e.srvA, "weekdays": []string{"sun"}, "start": "02:00", "duration_minutes": 60, "time_zone": "UTC"}},
		}
		for _, who := range []struct{ name, tok string }{{"technician of B", e.techBTok}, {"client user of B", e.userBTok}} {
			for _, p := range reads {
				if r := e.do(t, "GET", p, who.tok, nil); r.status != 404 {
					t.Errorf("%s GET %s: %d, want 404", who.name, p, r.status)
				}
			}
			for _, w := range writes {
				r := e.do(t, w.method, w.path, who.tok, w.body)
				// A client user may change nothing (403), when it does not
				// first fail to find the object (404); a technician of B
				// finds nothing of A.
				if r.status != 404 && (who.tok != e.userBTok || r.status != 403) {
					t.Errorf("%s %s %s: %d, want 404; %s", who.name, w.method, w.path, r.status, r.body)
				}
			}
		}
		var board struct {
			Rows  []map[string]any `json:"rows"`
			Total int              `json:"total"`
		}
		e.do(t, "GET", "/api/v1/supervision/board", e.techBTok, nil).want(t, 200).decode(t, &board)
		if board.Total != 0 {
			t.Errorf("technician of B sees %d checks of A on the board", board.Total)
		}
		// Nothing changed.
		var after apiCheck
		e.do(t, "GET", fmt.Sprintf("/api/v1/checks/%d", c.ID), e.managerTok, nil).want(t, 200).decode(t, &after)
		if after.Name != c.Name {
			t.Errorf("check renamed to %q", after.Name)
		}
	})
}

func TestSupervisionAPITemplates(t *testing.T) {
	forSupDialects(t, func(t *testing.T, e *supEnv) {
		var tpl struct {
			ID int64 `json:"id"`
		}
		e.do(t, "POST", "/api/v1/check-templates", e.managerTok, map[string]any{"name": "Web memory", "match_os": "linux", "match_tag": "web",
			"kind": "memory", "params": map[string]any{"warning": 85, "critical": 95}}).want(t, 201).decode(t, &tpl)
		applied := func() []apiCheck {
			var p pageOf[apiCheck]
			e.do(t, "GET", fmt.Sprintf("/api/v1/checks?template_id=%d", tpl.ID), e.managerTok, nil).want(t, 200).decode(t, &p)
			return p.Data
		}
		if n := len(applied()); n != 0 {
			t.Fatalf("no asset is tagged web, yet %d checks", n)
		}
		var tags struct {
			Tags []string `json:"tags"`
		}
		e.do(t, "PUT", fmt.Sprintf("/api/v1/assets/%d/tags", e.srvA), e.managerTok, map[string]any{"tags": []string{"Web", "prod"}}).want(t, 200).decode(t, &tags)
		if strings.Join(tags.Tags, ",") != "prod,web" {
			t.Errorf("tags %v", tags.Tags)
		}
		cs := applied()
		if len(cs) != 1 || cs[0].AssetID != e.srvA || cs[0].TemplateID == nil || *cs[0].TemplateID != tpl.ID {
			t.Fatalf("after tagging: %+v", cs)
		}
		p := e.do(t, "PATCH", fmt.Sprintf("/api/v1/checks/%d", cs[0].ID), e.managerTok, map[string]any{"interval": 30}).problem(t, 422)
		if code, _ := p.field(t, "template_id"); code != "managed_by_template" {
			t.Errorf("edit an applied check: %s", code)
		}
		e.do(t, "PATCH", fmt.Sprintf("/api/v1/check-templates/%d", tpl.ID), e.managerTok, map[string]any{"params": map[string]any{"critical": 97}}).want(t, 200)
		if cs = applied(); len(cs) != 1 || cs[0].Params.Critical != 97 || cs[0].Params.Warning != 0 {
			t.Errorf("after the template changed: %+v", cs)
		}
		p = e.do(t, "PUT", fmt.Sprintf("/api/v1/assets/%d/tags", e.srvA), e.managerTok, map[string]any{"tags": []string{"two words"}}).problem(t, 422)
		if code, msg := p.field(t, "tags"); code != "invalid_tag" || !strings.Contains(msg, "two words") {
			t.Errorf("bad tag: %s %q", code, msg)
		}
		e.do(t, "PUT", fmt.Sprintf("/api/v1/assets/%d/tags", e.srvA), e.managerTok, map[string]any{"tags": []string{}}).want(t, 200)
		if cs = applied(); len(cs) != 0 {
			t.Errorf("untagged asset keeps %d checks", len(cs))
		}
		e.do(t, "POST", "/api/v1/check-templates", e.techBTok, map[string]any{"name": "Global", "kind": "heartbeat"}).problem(t, 403)
		e.do(t, "DELETE", fmt.Sprintf("/api/v1/check-templates/%d", tpl.ID), e.managerTok, nil).want(t, 204)
	})
}

// push calls a push URL without credentials and returns status and body.
func (e *supEnv) push(t *testing.T, method, path, ctype, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return resp.StatusCode, string(b)
}

func TestSupervisionAPIPush(t *testing.T) {
	forSupDialects(t, func(t *testing.T, e *supEnv) {
		c := e.createCheck(t, map[string]any{"asset_id": e.jobA, "kind": "backup_push", "params": map[string]any{"schedule": "0 2 * * *", "grace_minutes": 60}})
		if c.PushPath == nil || !strings.HasPrefix(*c.PushPath, "/push/") || len(*c.PushPath) != len("/push/")+24 {
			t.Fatalf("push path %v", c.PushPath)
		}
		var seen apiCheck
		e.do(t, "GET", fmt.Sprintf("/api/v1/checks/%d", c.ID), e.clientTok, nil).want(t, 200).decode(t, &seen)
		if seen.PushPath != nil {
			t.Error("a client admin reads the push URL")
		}
		u := *c.PushPath
		cases := []struct {
			method, path, ctype, body string
			status                    int
			says                      string
		}{
			{"GET", u + "?duration=12m&size=4.2GB&msg=" + url.QueryEscape("42 VMs"), "", "", 200, "OK\n"},
			{"POST", u + "/fail", "text/plain", "disk full", 200, "OK\n"},
			{"POST", u, "application/x-www-form-urlencoded", "duration=754&size=1000", 200, "OK\n"},
			{"GET", u + "/2?msg=rsync", "", "", 200, "OK\n"},
			{"GET", u + "/0", "", "", 200, "OK\n"},
			{"GET", u + "?duration=soon", "", "", 400, "duration"},
			{"GET", u + "?size=big", "", "", 400, "size"},
			{"GET", u + "/later", "", "", 400, "status"},
			{"GET", "/push/unknown-token-000000000000", "", "", 404, "unknown push URL"},
			{"POST", "/push/unknown-token-000000000000/fail", "", "", 404, "unknown push URL"},
		}
		for _, k := range cases {
			st, body := e.push(t, k.method, k.path, k.ctype, k.body)
			if st != k.status || !strings.Contains(body, k.says) {
				t.Errorf("%s %s: %d %q, want %d %q", k.method, k.path, st, body, k.status, k.says)
			}
		}
		if st, _ := e.push(t, "HEAD", u, "", ""); st != 200 {
			t.Errorf("HEAD %s: %d", u, st)
		}
		var runs pageOf[supervision.BackupRun]
		e.do(t, "GET", fmt.Sprintf("/api/v1/checks/%d/backup-runs", c.ID), e.clientTok, nil).want(t, 200).decode(t, &runs)
		if len(runs.Data) != 5 {
			t.Fatalf("%d runs recorded, want 5 (the refused pushes record nothing)", len(runs.Data))
		}
		var ok, failed int
		var found bool
		for _, r := range runs.Data {
			if r.OK {
				ok++
			} else {
				failed++
			}
			if r.Seconds == 720 && r.Bytes == 4_200_000_000 && r.Message == "42 VMs" && r.Source == "push" {
				found = true
			}
			if !r.OK && strings.HasPrefix(r.Message, "exit code") && r.Message != "exit code 2: rsync" {
				t.Errorf("exit code run message %q", r.Message)
			}
		}
		if ok != 3 || failed != 2 || !found {
			t.Errorf("runs %+v", runs.Data)
		}
		var sums pageOf[supervision.BackupSummary]
		e.do(t, "GET", "/api/v1/backups", e.clientTok, nil).want(t, 200).decode(t, &sums)
		if len(sums.Data) != 1 || sums.Data[0].AssetID != e.jobA || sums.Data[0].LastSuccess == nil {
			t.Errorf("backups %+v", sums.Data)
		}
		// The engine applied the last push (exit code 0: OK).
		deadline := time.Now().Add(5 * time.Second)
		for {
			e.do(t, "GET", fmt.Sprintf("/api/v1/checks/%d", c.ID), e.managerTok, nil).want(t, 200).decode(t, &seen)
			if seen.Status != nil && seen.Status.State == "ok" {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("status after the pushes: %+v", seen.Status)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

func TestSupervisionAPIMaintenanceAndRestore(t *testing.T) {
	forSupDialects(t, func(t *testing.T, e *supEnv) {
		type window struct {
			ID              int64    `json:"id"`
			ClientID        int64    `json:"client_id"`
			Weekdays        []string `json:"weekdays"`
			Start           *string  `json:"start"`
			DurationMinutes int      `json:"duration_minutes"`
			TimeZone        string   `json:"time_zone"`
		}
		var w window
		e.do(t, "POST", "/api/v1/maintenance-windows", e.managerTok, map[string]any{"client_id": e.a.ID, "weekdays": []string{"sat", "sun"}, "start": "22:30",
			"duration_minutes": 240, "time_zone": "Europe/Paris", "comment": "patch night"}).want(t, 201).decode(t, &w)
		if w.ClientID != e.a.ID || strings.Join(w.Weekdays, ",") != "sun,sat" || w.Start == nil || *w.Start != "22:30" || w.DurationMinutes != 240 || w.TimeZone != "Europe/Paris" {
			t.Errorf("window %+v", w)
		}
		from := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		bad := []struct {
			body        map[string]any
			field, code string
		}{
			{map[string]any{"asset_id": e.srvA, "from": from, "to": "2020-01-01T00:00:00Z"}, "to", "end_before_start"},
			{map[string]any{"asset_id": e.srvA, "from": "yesterday", "to": from}, "from", "invalid_datetime"},
			{map[string]any{"asset_id": e.srvA, "weekdays": []string{"someday"}, "start": "02:00", "duration_minutes": 60, "time_zone": "UTC"}, "weekdays", "invalid_choice"},
			{map[string]any{"asset_id": e.srvA, "weekdays": []string{"mon"}, "start": "25:00", "duration_minutes": 60, "time_zone": "UTC"}, "start", "invalid_time"},
			{map[string]any{"asset_id": e.srvA, "weekdays": []string{"mon"}, "start": "02:00", "duration_minutes": 60}, "time_zone", "required"},
			{map[string]any{"from": from, "to": from}, "client_id", "required"},
		}
		for _, b := range bad {
			p := e.do(t, "POST", "/api/v1/maintenance-windows", e.managerTok, b.body).problem(t, 422)
			if code, _ := p.field(t, b.field); code != b.code {
				t.Errorf("%v: %s on %s, want %s", b.body, code, b.field, b.code)
			}
		}
		var ws pageOf[window]
		e.do(t, "GET", fmt.Sprintf("/api/v1/maintenance-windows?asset_id=%d", e.srvA), e.clientTok, nil).want(t, 200).decode(t, &ws)
		if len(ws.Data) != 1 || ws.Data[0].ID != w.ID {
			t.Errorf("windows covering the server %+v", ws.Data)
		}
		e.do(t, "DELETE", fmt.Sprintf("/api/v1/maintenance-windows/%d", w.ID), e.managerTok, nil).want(t, 204)

		var rt supervision.RestoreTest
		e.do(t, "POST", fmt.Sprintf("/api/v1/assets/%d/restore-tests", e.jobA), e.techTok, map[string]any{"tested_at": "2026-01-10T10:00:00Z",
			"scope": "mailbox of the CEO", "result": "partial", "minutes": 25, "evidence": "ticket 42"}).want(t, 201).decode(t, &rt)
		if rt.ClientID != e.a.ID || rt.Result != "partial" || rt.UserID != e.tech.ID {
			t.Errorf("restore test %+v", rt)
		}
		p := e.do(t, "POST", fmt.Sprintf("/api/v1/assets/%d/restore-tests", e.srvA), e.techTok, map[string]any{"tested_at": "2026-01-10T10:00:00Z", "scope": "x", "result": "ok"}).problem(t, 422)
		if code, _ := p.field(t, "asset_id"); code != "not_backup_job" {
			t.Errorf("restore test of a server: %s", code)
		}
		p = e.do(t, "POST", fmt.Sprintf("/api/v1/assets/%d/restore-tests", e.jobA), e.techTok, map[string]any{"tested_at": "2099-01-01T00:00:00Z", "scope": "x", "result": "meh"}).problem(t, 422)
		p.field(t, "tested_at")
		p.field(t, "result")
		var list pageOf[supervision.RestoreTest]
		e.do(t, "GET", fmt.Sprintf("/api/v1/assets/%d/restore-tests", e.jobA), e.clientTok, nil).want(t, 200).decode(t, &list)
		if len(list.Data) != 1 || list.Data[0].ID != rt.ID {
			t.Errorf("restore tests %+v", list.Data)
		}
		e.do(t, "DELETE", fmt.Sprintf("/api/v1/restore-tests/%d", rt.ID), e.clientTok, nil).problem(t, 403)
		e.do(t, "DELETE", fmt.Sprintf("/api/v1/restore-tests/%d", rt.ID), e.managerTok, nil).want(t, 204)
		e.do(t, "DELETE", fmt.Sprintf("/api/v1/restore-tests/%d", rt.ID), e.managerTok, nil).problem(t, 404)
	})
}

func TestSupervisionAPIBoard(t *testing.T) {
	forSupDialects(t, func(t *testing.T, e *supEnv) {
		e.createCheck(t, map[string]any{"asset_id": e.srvA, "kind": "cpu", "params": map[string]any{"critical": 95}})
		e.createCheck(t, map[string]any{"asset_id": e.srvB, "kind": "cpu", "params": map[string]any{"critical": 95}})
		var b struct {
			Rows []struct {
				Check      apiCheck `json:"check"`
				AssetName  string   `json:"asset_name"`
				ClientName string   `json:"client_name"`
			} `json:"rows"`
			Counts map[string]int `json:"counts"`
			Total  int            `json:"total"`
			Limit  int            `json:"limit"`
		}
		e.do(t, "GET", "/api/v1/supervision/board?limit=1", e.managerTok, nil).want(t, 200).decode(t, &b)
		if b.Total != 2 || len(b.Rows) != 1 || b.Limit != 1 || b.Rows[0].Check.Status == nil || b.Rows[0].AssetName == "" {
			t.Errorf("board %+v", b)
		}
		e.do(t, "GET", "/api/v1/supervision/board", e.clientTok, nil).want(t, 200).decode(t, &b)
		if b.Total != 1 || b.Rows[0].Check.ClientID != e.a.ID || b.Rows[0].ClientName != e.a.Name {
			t.Errorf("client admin of A's board %+v", b)
		}
		for _, q := range []string{"state=purple", "limit=0", "offset=-1", "problems=maybe", "colour=red"} {
			r := e.do(t, "GET", "/api/v1/supervision/board?"+q, e.managerTok, nil)
			if r.status != 422 && r.status != 400 {
				t.Errorf("board?%s: %d", q, r.status)
			}
		}
	})
}
