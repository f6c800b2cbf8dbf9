package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// supFixture adds to newFixture a server and a backup job of ALPHA and a
// backup job of BRAVO.
type supFixture struct {
	fixture
	serverA, backupA, backupB asset.Asset
}

func newSupFixture(t *testing.T, srv *apptest.Server) supFixture {
	t.Helper()
	f := supFixture{fixture: newFixture(t, srv)}
	for _, x := range []struct {
		a      *asset.Asset
		client int64
		kind   asset.Kind
		name   string
	}{
		{&f.serverA, f.a.ID, asset.KindServer, "srv-alpha"},
		{&f.backupA, f.a.ID, asset.KindBackup, "nightly-alpha"},
		{&f.backupB, f.b.ID, asset.KindBackup, "nightly-bravo"},
	} {
		*x.a = asset.Asset{ClientID: x.client, Kind: x.kind, Name: x.name}
		if x.kind == asset.KindServer {
			x.a.Fields = map[string]string{"ip": "192.0.2.7"}
		}
		if err := srv.App.Assets.Create(srv.Ctx(), tenant.System(), x.a); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// checksOf lists the checks of an asset.
func checksOf(t *testing.T, srv *apptest.Server, assetID int64) []supervision.Check {
	t.Helper()
	cs, err := srv.App.Supervision.Checks(srv.Ctx(), tenant.System(), supervision.CheckFilter{AssetID: assetID})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// httpCheckForm is a valid HTTP check of the form.
func httpCheckForm(assetID int64) url.Values {
	return url.Values{
		"asset": {itoa(assetID)}, "name": {"Intranet"}, "enabled": {"1"}, "kind": {"http"},
		"params.url": {"https://intranet.alpha.example/health"}, "params.method": {"GET"},
		"params.headers":       {"Accept: application/json\r\nX-Probe: vigie"},
		"params.expect_status": {"200, 204"}, "params.body_contains": {"ok"},
		"params.rtt_warning": {"500"}, "params.rtt_critical": {"1500,5"}, "params.timeout": {"10"},
		// A parameter of another kind is ignored, as the hidden inputs are.
		"params.mount": {"/var"},
		"interval":     {"120"}, "retry_interval": {"30"}, "max_attempts": {"3"}, "recover_after": {"2"},
		"severity": {"critical"}, "ticket": {"auto_resolve"},
	}
}

func with(vals url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range vals {
		out[k] = slices.Clone(v)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// codeText is the fixed part of a field error's message (before any
// parameter), as it appears in a page.
func codeText(lang, code string) string {
	s := messages.T(lang, "error."+code)
	if i := strings.Index(s, "%"); i >= 0 {
		s = s[:i]
	}
	return html.EscapeString(strings.TrimSpace(s))
}

func TestSupervisionCheckForm(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newSupFixture(t, srv)
		b := signedIn(t, srv, "tech@example.com")
		newPath := "/supervision/checks/new?asset=" + itoa(f.serverA.ID)
		for _, lang := range []string{"fr", "en"} {
			b.lang = lang
			r := b.get(newPath)
			wantStatus(t, lang+" new check form", r, http.StatusOK)
			wantBody(t, lang+" new check form", r, msg(lang, "supform.check.new"), `data-kind-fields="f-kind"`, `name="params.url"`,
				msg(lang, "supform.kind.backup_push"), msg(lang, "supform.rules.params_nojs"), msg(lang, "supform.runner.server"))
			// An asset without agent starts with a ping of its address.
			if got := inputValue(r.body, "params.host"); got != "192.0.2.7" {
				t.Errorf("new check's host = %q, want the asset's address", got)
			}
		}
		b.lang = "en"

		// Bad inputs: refused with the translated message next to the
		// field, the input kept, nothing created.
		badCases := []struct {
			name, field, code string
			vals              url.Values
		}{
			{"invalid url", "params.url", "invalid_url", with(httpCheckForm(f.serverA.ID), "params.url", "intranet alpha")},
			{"invalid regexp", "params.body_regexp", "invalid_regexp", with(httpCheckForm(f.serverA.ID), "params.body_regexp", "ok(")},
			{"critical below warning", "params.rtt_critical", "below_warning", with(httpCheckForm(f.serverA.ID), "params.rtt_critical", "100")},
			{"header line", "params.headers", "form_header_line", with(httpCheckForm(f.serverA.ID), "params.headers", "Accept application/json")},
			{"status list", "params.expect_status", "form_status_list", with(httpCheckForm(f.serverA.ID), "params.expect_status", "200, ok")},
			{"not a number", "interval", "invalid_number", with(httpCheckForm(f.serverA.ID), "interval", "often")},
			{"interval too small", "interval", "too_small", with(httpCheckForm(f.serverA.ID), "interval", "2")},
			{"percent critical below warning", "params.critical", "below_warning", url.Values{"asset": {itoa(f.serverA.ID)}, "name": {"CPU"},
				"kind": {"cpu"}, "params.warning": {"90"}, "params.critical": {"80"}}},
			{"local check without agent", "kind", "no_agent", url.Values{"asset": {itoa(f.serverA.ID)}, "name": {"Disk"},
				"kind": {"filesystem"}, "params.warning": {"80"}, "params.critical": {"90"}}},
			{"invalid cron", "params.schedule", "invalid_cron", url.Values{"asset": {itoa(f.backupA.ID)}, "name": {"Nightly"},
				"kind": {"backup_push"}, "params.schedule": {"0 25 * * *"}, "params.grace_minutes": {"60"}}},
		}
		for _, lang := range []string{"fr", "en"} {
			b.lang = lang
			for _, tc := range badCases {
				t.Run(lang+" "+tc.name, func(t *testing.T) {
					r := b.post("/supervision/checks/new", tc.vals)
					wantStatus(t, tc.name, r, http.StatusUnprocessableEntity)
					got := fieldErrorBlock(r.body, tc.field)
					if want := codeText(lang, tc.code); got == "" || !strings.Contains(got, want) {
						t.Errorf("error of %s: %q, want it to contain %q", tc.field, got, want)
					}
					if strings.Contains(got, "[error.") {
						t.Errorf("untranslated error: %q", got)
					}
					wantBody(t, tc.name, r, `value="`+html.EscapeString(tc.vals.Get("name"))+`"`)
				})
			}
		}
		if n := len(checksOf(t, srv, f.serverA.ID)) + len(checksOf(t, srv, f.backupA.ID)); n != 0 {
			t.Fatalf("refused forms created %d checks", n)
		}

		// The happy path: created with every field read from the form.
		b.lang = "en"
		r := b.post("/supervision/checks/new", httpCheckForm(f.serverA.ID))
		wantStatus(t, "create", r, http.StatusSeeOther)
		cs := checksOf(t, srv, f.serverA.ID)
		if len(cs) != 1 {
			t.Fatalf("%d checks after create, want 1", len(cs))
		}
		c := cs[0]
		if r.loc != "/supervision/checks/"+itoa(c.ID) {
			t.Errorf("create redirects to %q", r.loc)
		}
		p := c.Params
		if c.Name != "Intranet" || c.Kind != supervision.KindHTTP || !c.Enabled || c.Interval != 120 || c.RecoverAfter != 2 ||
			c.Severity != supervision.SeverityCritical || c.Ticket != supervision.TicketAutoResolve || c.RunnerAssetID != nil {
			t.Errorf("check = %+v", c)
		}
		if p.URL != "https://intranet.alpha.example/health" || p.Headers["Accept"] != "application/json" || p.Headers["X-Probe"] != "vigie" ||
			!slices.Equal(p.ExpectStatus, []int{200, 204}) || p.RTTCritical != 1500.5 || p.Mount != "" || p.BodyContains != "ok" {
			t.Errorf("params = %+v", p)
		}

		// The edit form shows the stored values; a change is saved.
		edit := "/supervision/checks/" + itoa(c.ID) + "/edit"
		r = b.get(edit)
		wantStatus(t, "edit form", r, http.StatusOK)
		if got := inputValue(r.body, "params.url"); got != p.URL {
			t.Errorf("edit form url = %q", got)
		}
		wantBody(t, "edit form", r, "Accept: application/json", "200, 204")
		r = b.post(edit, with(httpCheckForm(f.serverA.ID), "name", "Intranet health", "params.body_regexp", `"status":\s*"ok"`))
		wantStatus(t, "update", r, http.StatusSeeOther)
		if c2, _ := srv.App.Supervision.Check(srv.Ctx(), tenant.System(), c.ID); c2.Name != "Intranet health" || c2.Params.BodyRegexp != `"status":\s*"ok"` {
			t.Errorf("after update: %+v", c2)
		}
		// A bad edit changes nothing.
		r = b.post(edit, with(httpCheckForm(f.serverA.ID), "name", "Renamed", "params.url", "ftp://x"))
		wantStatus(t, "bad update", r, http.StatusUnprocessableEntity)
		if c2, _ := srv.App.Supervision.Check(srv.Ctx(), tenant.System(), c.ID); c2.Name != "Intranet health" {
			t.Errorf("a refused edit changed the check: %+v", c2)
		}

		// A backup_push check: its push URL is shown with examples.
		r = b.post("/supervision/checks/new", url.Values{"asset": {itoa(f.backupA.ID)}, "name": {"Nightly"}, "enabled": {"1"},
			"kind": {"backup_push"}, "params.schedule": {"0 2 * * *"}, "params.grace_minutes": {"90"}})
		wantStatus(t, "create push", r, http.StatusSeeOther)
		pc := checksOf(t, srv, f.backupA.ID)
		if len(pc) != 1 || pc[0].PushToken == "" || pc[0].Params.Schedule != "0 2 * * *" {
			t.Fatalf("push checks = %+v", pc)
		}
		if r.loc != "/supervision/checks/"+itoa(pc[0].ID)+"/edit" {
			t.Errorf("push check created: redirect to %q", r.loc)
		}
		r = b.get(r.loc)
		wantBody(t, "push URL", r, "/push/"+pc[0].PushToken, "Invoke-RestMethod", "0 2 * * * /usr/local/bin/backup.sh", msg("en", "flash.supform.check_created_push", "Nightly"))

		// Delete.
		r = b.post("/supervision/checks/"+itoa(c.ID)+"/delete", nil)
		wantStatus(t, "delete", r, http.StatusSeeOther)
		if len(checksOf(t, srv, f.serverA.ID)) != 0 {
			t.Error("the check is still there after delete")
		}
	})
}

func TestSupervisionFormsRefuseClients(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newSupFixture(t, srv)
		c := supervision.Check{AssetID: f.serverA.ID, Name: "Web", Rules: supervision.Rules{Kind: supervision.KindTCP,
			Params: supervision.Params{Host: "192.0.2.1", Port: 443}}, Enabled: true}
		if err := srv.App.Supervision.CreateCheck(srv.Ctx(), tenant.System(), &c); err != nil {
			t.Fatal(err)
		}
		for _, email := range []string{"cuser@alpha.example", "cadmin@alpha.example"} {
			t.Run(email, func(t *testing.T) {
				b := signedIn(t, srv, email)
				for _, p := range []string{"/supervision/checks/new?asset=" + itoa(f.serverA.ID), "/supervision/checks/" + itoa(c.ID) + "/edit",
					"/supervision/templates", "/supervision/templates/new", "/assets/" + itoa(f.serverA.ID) + "/tags"} {
					r := b.get(p)
					wantStatus(t, "GET "+p, r, http.StatusForbidden)
				}
				for _, p := range []string{"/supervision/checks/new", "/supervision/checks/" + itoa(c.ID) + "/edit", "/supervision/checks/" + itoa(c.ID) + "/delete",
					"/supervision/templates/new", "/supervision/maintenance", "/assets/" + itoa(f.backupA.ID) + "/restore-tests",
					"/assets/" + itoa(f.serverA.ID) + "/tags"} {
					vals := with(httpCheckForm(f.serverA.ID), "client", itoa(f.a.ID), "target", "client:"+itoa(f.a.ID), "mode", "once",
						"from", "2026-11-29T10:00", "to", "2026-11-29T12:00", "time_zone", "Europe/Paris", "tags", "x")
					r := b.post(p, vals)
					wantStatus(t, "POST "+p, r, http.StatusForbidden)
				}
				if got, _ := srv.App.Supervision.Check(srv.Ctx(), tenant.System(), c.ID); got.Name != "Web" {
					t.Errorf("a client changed the check: %+v", got)
				}
				// The backups page shows their client's job only.
				r := b.get("/supervision/backups")
				wantStatus(t, "backups", r, http.StatusOK)
				wantBody(t, "backups", r, "nightly-alpha")
				wantNotBody(t, "backups", r, "nightly-bravo", f.b.Name)
				r = b.get("/supervision/backups?client=" + itoa(f.b.ID))
				if r.status == http.StatusOK {
					wantNotBody(t, "backups of another client", r, "nightly-bravo")
				}
				// The maintenance page lists, without a form.
				r = b.get("/supervision/maintenance")
				wantStatus(t, "maintenance", r, http.StatusOK)
				wantNotBody(t, "maintenance", r, `action="/supervision/maintenance" class="form"`)
			})
		}
		// Staff limited to ALPHA do not reach BRAVO's job.
		lim := signedIn(t, srv, "limited@example.com")
		wantStatus(t, "limited: new check of BRAVO", lim.get("/supervision/checks/new?asset="+itoa(f.backupB.ID)), http.StatusNotFound)
		r := lim.post("/supervision/checks/new", url.Values{"asset": {itoa(f.backupB.ID)}, "name": {"x"}, "kind": {"backup_push"}, "params.schedule": {"@daily"}})
		wantStatus(t, "limited: create on BRAVO", r, http.StatusNotFound)
		wantStatus(t, "limited: restore test of BRAVO", lim.post("/assets/"+itoa(f.backupB.ID)+"/restore-tests", url.Values{"result": {"ok"}}), http.StatusNotFound)
		r = lim.post("/supervision/maintenance", url.Values{"client": {itoa(f.b.ID)}, "target": {"client:" + itoa(f.b.ID)}, "mode": {"once"},
			"from": {"2026-11-29T10:00"}, "to": {"2026-11-29T12:00"}, "time_zone": {"Europe/Paris"}})
		wantStatus(t, "limited: window of BRAVO", r, http.StatusNotFound)
		wantNotBody(t, "limited: backups", lim.get("/supervision/backups"), "nightly-bravo")
		if n := len(checksOf(t, srv, f.backupB.ID)); n != 0 {
			t.Errorf("limited staff created %d checks on BRAVO", n)
		}
		wins, err := srv.App.Supervision.Windows(srv.Ctx(), tenant.System(), supervision.WindowFilter{})
		if err != nil || len(wins) != 0 {
			t.Errorf("windows after refused posts: %v %v", wins, err)
		}
	})
}

func TestSupervisionTemplates(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newSupFixture(t, srv)
		b := signedIn(t, srv, "tech@example.com")
		for _, lang := range []string{"fr", "en"} {
			b.lang = lang
			wantBody(t, lang+" template list", b.get("/supervision/templates"), msg(lang, "supform.templates.none"))
			wantBody(t, lang+" new template", b.get("/supervision/templates/new"), msg(lang, "supform.template.match"), msg(lang, "supform.template.all_clients"))
		}
		b.lang = "en"
		form := url.Values{"name": {"SSH reachable"}, "enabled": {"1"}, "client_id": {itoa(f.a.ID)}, "match_kind": {"server"},
			"match_tag": {"Linux"}, "kind": {"tcp"}, "params.host": {"192.0.2.20"}, "params.port": {"22"}, "severity": {"minor"}, "ticket": {"none"}}
		// Bad input: refused, nothing created.
		r := b.post("/supervision/templates/new", with(form, "params.port", "99999"))
		wantStatus(t, "bad template", r, http.StatusUnprocessableEntity)
		if fieldErrorBlock(r.body, "params.port") == "" {
			t.Errorf("no error on the port\n%s", excerpt(r.body))
		}
		if ts, _ := srv.App.Supervision.Templates(srv.Ctx(), tenant.System()); len(ts) != 0 {
			t.Fatalf("a refused template was created: %+v", ts)
		}
		r = b.post("/supervision/templates/new", form)
		wantStatus(t, "create template", r, http.StatusSeeOther)
		ts, _ := srv.App.Supervision.Templates(srv.Ctx(), tenant.System())
		if len(ts) != 1 || ts[0].MatchTag != "linux" || ts[0].ClientID == nil || *ts[0].ClientID != f.a.ID || ts[0].Params.Port != 22 {
			t.Fatalf("templates = %+v", ts)
		}
		tp := ts[0]
		// No asset has the tag yet: it applies no check. Tagging the
		// server through its form makes the template apply.
		wantBody(t, "created flash", b.get(r.loc), msg("en", "flash.supform.template_created", "SSH reachable", "0"))
		tags := "/assets/" + itoa(f.serverA.ID) + "/tags"
		wantStatus(t, "tags form", b.get(tags), http.StatusOK)
		r = b.post(tags, url.Values{"tags": {"bad tag!"}})
		wantStatus(t, "bad tags", r, http.StatusUnprocessableEntity)
		if fieldErrorBlock(r.body, "tags") == "" {
			t.Errorf("no error on tags\n%s", excerpt(r.body))
		}
		r = b.post(tags, url.Values{"tags": {"linux, Web"}})
		wantStatus(t, "tags", r, http.StatusSeeOther)
		if got, _ := srv.App.Supervision.AssetTags(srv.Ctx(), tenant.System(), f.serverA.ID); !slices.Equal(got, []string{"linux", "web"}) {
			t.Errorf("tags = %v", got)
		}
		if got := inputValue(b.get(tags).body, "tags"); got != "linux, web" {
			t.Errorf("tags form shows %q", got)
		}
		cs := checksOf(t, srv, f.serverA.ID)
		if len(cs) != 1 || cs[0].TemplateID == nil || *cs[0].TemplateID != tp.ID {
			t.Fatalf("checks after tagging = %+v", cs)
		}
		// The check the template applied links to it instead of a form.
		edit := "/supervision/checks/" + itoa(cs[0].ID) + "/edit"
		r = b.get(edit)
		wantStatus(t, "managed check", r, http.StatusOK)
		wantBody(t, "managed check", r, msg("en", "supform.check.managed"), `href="/supervision/templates/`+itoa(tp.ID)+`"`)
		wantNotBody(t, "managed check", r, `name="params.host"`)
		wantStatus(t, "edit managed check", b.post(edit, httpCheckForm(f.serverA.ID)), http.StatusConflict)
		// Editing the template changes its checks and says how many it applies.
		r = b.post("/supervision/templates/"+itoa(tp.ID), with(form, "params.port", "2222"))
		wantStatus(t, "update template", r, http.StatusSeeOther)
		wantBody(t, "saved flash", b.get(r.loc), msg("en", "flash.supform.template_saved", "SSH reachable", "1"))
		if cs := checksOf(t, srv, f.serverA.ID); len(cs) != 1 || cs[0].Params.Port != 2222 {
			t.Errorf("checks after the template changed: %+v", cs)
		}
		wantBody(t, "template list", b.get("/supervision/templates"), "SSH reachable", f.a.Name)
		r = b.post("/supervision/templates/"+itoa(tp.ID)+"/delete", nil)
		wantStatus(t, "delete template", r, http.StatusSeeOther)
		if cs := checksOf(t, srv, f.serverA.ID); len(cs) != 0 {
			t.Errorf("the template's checks outlive it: %+v", cs)
		}
	})
}

func TestSupervisionMaintenanceForm(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newSupFixture(t, srv)
		b := signedIn(t, srv, "tech@example.com")
		page := "/supervision/maintenance?client=" + itoa(f.a.ID)
		for _, lang := range []string{"fr", "en"} {
			b.lang = lang
			r := b.get(page)
			wantStatus(t, lang+" maintenance", r, http.StatusOK)
			wantBody(t, lang+" maintenance", r, msg(lang, "supform.maint.new"), msg(lang, "supform.maint.none.current"),
				`value="asset:`+itoa(f.serverA.ID)+`"`, `value="site:`+itoa(f.siteA.ID)+`"`)
			wantNotBody(t, lang+" maintenance", r, `value="asset:`+itoa(f.backupB.ID)+`"`)
		}
		b.lang = "en"
		paris, _ := time.LoadLocation("Europe/Paris")
		now := time.Now().In(paris)
		once := url.Values{"client": {itoa(f.a.ID)}, "target": {"asset:" + itoa(f.serverA.ID)}, "mode": {"once"},
			"from": {now.Add(-time.Hour).Format("2006-01-02T15:04")}, "to": {now.Add(2 * time.Hour).Format("2006-01-02T15:04")},
			"time_zone": {"Europe/Paris"}, "comment": {"disk swap"}}
		bad := []struct {
			name, field, code string
			vals              url.Values
		}{
			{"end before start", "to", "end_before_start", with(once, "to", now.Add(-2*time.Hour).Format("2006-01-02T15:04"))},
			{"bad date", "from", "invalid_datetime", with(once, "from", "tomorrow")},
			{"bad zone", "time_zone", "invalid_timezone", with(once, "time_zone", "Mars/Olympus")},
			{"other client's asset", "target", "invalid_choice", with(once, "target", "asset:"+itoa(f.backupB.ID))},
			{"no weekday", "weekdays", "required", with(once, "mode", "weekly", "start", "22:00", "duration", "120")},
			{"bad start", "start", "invalid_time", with(once, "mode", "weekly", "weekdays", "1", "start", "25:00", "duration", "120")},
		}
		for _, tc := range bad {
			r := b.post("/supervision/maintenance", tc.vals)
			wantStatus(t, tc.name, r, http.StatusUnprocessableEntity)
			if got := fieldErrorBlock(r.body, tc.field); !strings.Contains(got, codeText("en", tc.code)) || got == "" {
				t.Errorf("%s: error of %s = %q, want %q", tc.name, tc.field, got, codeText("en", tc.code))
			}
		}
		if ws, _ := srv.App.Supervision.Windows(srv.Ctx(), tenant.System(), supervision.WindowFilter{}); len(ws) != 0 {
			t.Fatalf("refused windows were created: %+v", ws)
		}
		r := b.post("/supervision/maintenance", once)
		wantStatus(t, "one-off", r, http.StatusSeeOther)
		weekly := with(once, "mode", "weekly", "target", "client:"+itoa(f.a.ID), "start", "22:30", "duration", "90", "comment", "patch night")
		weekly["weekdays"] = []string{"2", "4"}
		r = b.post("/supervision/maintenance", weekly)
		wantStatus(t, "weekly", r, http.StatusSeeOther)
		ws, _ := srv.App.Supervision.Windows(srv.Ctx(), tenant.System(), supervision.WindowFilter{})
		if len(ws) != 2 {
			t.Fatalf("windows = %+v", ws)
		}
		var rec supervision.Window
		for _, w := range ws {
			if len(w.Weekdays) > 0 {
				rec = w
			} else if w.AssetID != f.serverA.ID || w.ClientID != f.a.ID || w.To.Sub(w.From) != 3*time.Hour || w.Comment != "disk swap" {
				t.Errorf("one-off window = %+v", w)
			}
		}
		if !slices.Equal(rec.Weekdays, []time.Weekday{time.Tuesday, time.Thursday}) || rec.Start != 22*time.Hour+30*time.Minute ||
			rec.Duration != 90*time.Minute || rec.Location == nil || rec.Location.String() != "Europe/Paris" {
			t.Errorf("weekly window = %+v", rec)
		}
		for _, lang := range []string{"fr", "en"} {
			b.lang = lang
			r = b.get("/supervision/maintenance")
			wantBody(t, lang+" list", r, msg(lang, "supform.maint.active_now"), "disk swap", "patch night", "srv-alpha", "22:30", "Europe/Paris")
		}
		re := regexp.MustCompile(`action="/supervision/maintenance/(\d+)/delete"`)
		m := re.FindAllStringSubmatch(r.body, -1)
		if len(m) != 2 {
			t.Fatalf("%d delete buttons", len(m))
		}
		wantStatus(t, "delete window", b.post("/supervision/maintenance/"+m[0][1]+"/delete", nil), http.StatusSeeOther)
		if ws, _ := srv.App.Supervision.Windows(srv.Ctx(), tenant.System(), supervision.WindowFilter{}); len(ws) != 1 {
			t.Errorf("%d windows after delete", len(ws))
		}
	})
}

func TestSupervisionBackupsAndRestoreTests(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newSupFixture(t, srv)
		b := signedIn(t, srv, "tech@example.com")
		for _, lang := range []string{"fr", "en"} {
			b.lang = lang
			r := b.get("/supervision/backups")
			wantStatus(t, lang+" backups", r, http.StatusOK)
			wantBody(t, lang+" backups", r, "nightly-alpha", "nightly-bravo", msg(lang, "supform.backups.never_tested"))
			r = b.get("/supervision/backups?client=" + itoa(f.a.ID))
			wantBody(t, lang+" backups of ALPHA", r, "nightly-alpha")
			wantNotBody(t, lang+" backups of ALPHA", r, "nightly-bravo")
		}
		// A run reported to the push URL the check's page shows, as the
		// examples there call it, appears with its outcome and size.
		pc := supervision.Check{AssetID: f.backupA.ID, Name: "Nightly", Enabled: true,
			Rules: supervision.Rules{Kind: supervision.KindBackupPush, Params: supervision.Params{Schedule: "0 2 * * *", GraceMinutes: 60}}}
		if err := srv.App.Supervision.CreateCheck(srv.Ctx(), tenant.System(), &pc); err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`<pre class="command" id="push-url" tabindex="0"><code>https?://[^/<]+(/push/[^<]+)</code>`).FindStringSubmatch(
			b.get("/supervision/checks/" + itoa(pc.ID) + "/edit").body)
		if m == nil {
			t.Fatal("no push URL on the check's page")
		}
		for _, push := range []struct {
			path string
			vals url.Values
		}{
			{m[1], url.Values{"duration": {"1820"}, "size": {"52428800"}, "msg": {"nightly done"}}},
			{m[1] + "/fail", url.Values{"msg": {"disk full"}}},
		} {
			res, err := http.PostForm(srv.URL+push.path, push.vals)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("push %s: %d", push.path, res.StatusCode)
			}
		}
		for _, lang := range []string{"fr", "en"} {
			b.lang = lang
			wantBody(t, lang+" backups after pushes", b.get("/supervision/backups?client="+itoa(f.a.ID)),
				msg(lang, "supform.backups.failed"), "disk full")
		}
		b.lang = "fr"
		page := "/assets/" + itoa(f.backupA.ID) + "/restore-tests"
		// The asset page links to the restore tests, and for staff to the tags.
		wantBody(t, "asset page", b.get("/assets/"+itoa(f.backupA.ID)), `href="`+page+`"`, `href="/assets/`+itoa(f.backupA.ID)+`/tags"`)
		r := signedIn(t, srv, "cadmin@alpha.example").get("/assets/" + itoa(f.backupA.ID))
		wantBody(t, "client admin's asset page", r, `href="`+page+`"`)
		wantNotBody(t, "client admin's asset page", r, `/tags"`)
		wantNotBody(t, "server's asset page", b.get("/assets/"+itoa(f.serverA.ID)), "/restore-tests")
		r = b.get(page)
		wantStatus(t, "restore page", r, http.StatusOK)
		wantBody(t, "restore page", r, msg("fr", "supform.restore.none"), msg("fr", "supform.restore.new"))
		at := time.Now().Add(-24 * time.Hour).In(mustLoc(t, "Europe/Paris")).Format("2006-01-02T15:04")
		good := url.Values{"tested_at": {at}, "restore_scope": {"Dossier Compta"}, "result": {"partial"}, "minutes": {"45"}, "evidence": {"Fichiers ouverts, 2 manquants"}}
		for _, tc := range []struct {
			name, field, code string
			vals              url.Values
		}{
			{"no result", "result", "required", with(good, "result", "")},
			{"future", "tested_at", "in_future", with(good, "tested_at", time.Now().Add(72*time.Hour).Format("2006-01-02T15:04"))},
			{"bad date", "tested_at", "invalid_datetime", with(good, "tested_at", "hier")},
			{"negative minutes", "minutes", "negative", with(good, "minutes", "-5")},
		} {
			r := b.post(page, tc.vals)
			wantStatus(t, tc.name, r, http.StatusUnprocessableEntity)
			if got := fieldErrorBlock(r.body, tc.field); got == "" || !strings.Contains(got, codeText("fr", tc.code)) {
				t.Errorf("%s: error of %s = %q", tc.name, tc.field, got)
			}
		}
		if ts, _ := srv.App.Supervision.RestoreTests(srv.Ctx(), tenant.System(), f.backupA.ID); len(ts) != 0 {
			t.Fatalf("refused tests recorded: %+v", ts)
		}
		r = b.post(page, good)
		wantStatus(t, "record", r, http.StatusSeeOther)
		ts, _ := srv.App.Supervision.RestoreTests(srv.Ctx(), tenant.System(), f.backupA.ID)
		if len(ts) != 1 || ts[0].Result != supervision.RestorePartial || ts[0].Minutes != 45 || ts[0].Scope != "Dossier Compta" {
			t.Fatalf("restore tests = %+v", ts)
		}
		r = b.get(page)
		wantBody(t, "restore listed", r, "Dossier Compta", "Fichiers ouverts, 2 manquants", msg("fr", "supform.restore.result.partial"))
		wantBody(t, "backups show the test", b.get("/supervision/backups"), msg("fr", "supform.restore.result.partial"))
		// The client's user sees the last test of their job on the board of backups.
		cu := signedIn(t, srv, "cuser@alpha.example")
		wantBody(t, "client backups", cu.get("/supervision/backups"), msg("fr", "supform.restore.result.partial"))
		// Delete.
		r = b.post(fmt.Sprintf("/restore-tests/%d/delete", ts[0].ID), url.Values{"asset": {itoa(f.backupA.ID)}})
		wantStatus(t, "delete test", r, http.StatusSeeOther)
		if r.loc != page {
			t.Errorf("delete redirects to %q", r.loc)
		}
		if ts, _ := srv.App.Supervision.RestoreTests(srv.Ctx(), tenant.System(), f.backupA.ID); len(ts) != 0 {
			t.Errorf("tests after delete: %+v", ts)
		}
	})
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
