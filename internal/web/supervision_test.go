package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/app"
	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/metric"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// boardFixture adds supervised assets to newFixture's clients: a web
// server of ALPHA with an HTTP check and a ping, a server of BRAVO
// with a TCP check.
type boardFixture struct {
	fixture
	assetA, assetB     asset.Asset
	webA, diskA, portB supervision.Check
}

func newBoardFixture(t *testing.T, srv *apptest.Server) boardFixture {
	t.Helper()
	f := boardFixture{fixture: newFixture(t, srv)}
	f.assetA = asset.Asset{ClientID: f.a.ID, Kind: asset.KindServer, Name: "web-alpha-01"}
	f.assetB = asset.Asset{ClientID: f.b.ID, Kind: asset.KindServer, Name: "db-bravo-01"}
	for _, a := range []*asset.Asset{&f.assetA, &f.assetB} {
		if err := srv.App.Assets.Create(srv.Ctx(), tenant.System(), a); err != nil {
			t.Fatal(err)
		}
	}
	// One attempt makes a problem hard at once. The server runs each new
	// probe once at once (against closed loopback ports: refused at once),
	// then not before a day: the test's results come from Submit.
	rules := func(k supervision.Kind, p supervision.Params) supervision.Rules {
		return supervision.Rules{Kind: k, Params: p, Interval: 86400, RetryInterval: 3600, MaxAttempts: 1, RecoverAfter: 1,
			Severity: supervision.SeverityMajor, Ticket: supervision.TicketNone}
	}
	f.webA = supervision.Check{AssetID: f.assetA.ID, Name: "Site web ALPHA", Enabled: true,
		Rules: rules(supervision.KindHTTP, supervision.Params{URL: "http://127.0.0.1:9/health", Timeout: 2, Headers: map[string]string{"Authorization": "Bearer s3cret-header"}})}
	f.diskA = supervision.Check{AssetID: f.assetA.ID, Name: "Ping ALPHA", Enabled: true,
		Rules: rules(supervision.KindPing, supervision.Params{Host: "127.0.0.1", Count: 1, Timeout: 2, LossWarning: 20, LossCritical: 60})}
	f.portB = supervision.Check{AssetID: f.assetB.ID, Name: "Port SQL BRAVO", Enabled: true,
		Rules: rules(supervision.KindTCP, supervision.Params{Host: "127.0.0.1", Port: 9, Timeout: 2})}
	for _, c := range []*supervision.Check{&f.webA, &f.diskA, &f.portB} {
		if err := srv.App.Supervision.CreateCheck(srv.Ctx(), tenant.System(), c); err != nil {
			t.Fatalf("create check %s: %v", c.Name, err)
		}
	}
	for _, c := range []supervision.Check{f.webA, f.diskA, f.portB} {
		ran(t, srv, c)
	}
	return f
}

// ran waits until the first run of a new check is saved.
func ran(t *testing.T, srv *apptest.Server, c supervision.Check) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, err := srv.App.Supervision.Status(srv.Ctx(), tenant.System(), c.ID)
		if err == nil && !st.LastCheck.IsZero() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: first run not saved within 15 s (%v)", c.Name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// submit applies a result to a check through the engine, as an agent or a
// probe would, and waits until the board's store has it.
func submit(t *testing.T, srv *apptest.Server, c supervision.Check, st check.State, output string) {
	t.Helper()
	at := time.Now()
	if err := srv.App.Engine.Submit(srv.Ctx(), supervision.Result{CheckID: c.ID, Result: check.Result{At: at, State: st, Output: output}}); err != nil {
		t.Fatalf("submit %s: %v", c.Name, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := srv.App.Supervision.Status(srv.Ctx(), tenant.System(), c.ID)
		if err == nil && got.Output == output && got.LastCheck.After(at.Add(-time.Second)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the result of %s was not saved within 10 s (status %+v, err %v)", c.Name, got, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// boardRows returns the check ids of the board's rows, in order.
func boardRows(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<tr class="sv-row[^"]*" id="check-(\d+)"`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestSupervisionBoard(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newBoardFixture(t, srv)
		submit(t, srv, f.webA, check.Critical, "HTTP 503 Service Unavailable")
		submit(t, srv, f.diskA, check.OK, "PING OK - 0 % loss, 1.2 ms")
		submit(t, srv, f.portB, check.Warning, "connect 5432: 850 ms")
		web, disk, port := itoa(f.webA.ID), itoa(f.diskA.ID), itoa(f.portB.ID)

		t.Run("staff see every client, problems first", func(t *testing.T) {
			b := signedIn(t, srv, "tech@example.com")
			b.lang = "en"
			r := b.get("/supervision")
			wantStatus(t, "board", r, http.StatusOK)
			if got, want := boardRows(r.body), []string{web, port, disk}; strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("rows %v, want critical, warning, ok: %v", got, want)
			}
			wantBody(t, "board", r, "Site web ALPHA", "Port SQL BRAVO", "HTTP 503 Service Unavailable", f.a.Name, f.b.Name,
				`href="/assets/`+itoa(f.assetA.ID)+`"`, `href="/supervision/checks/`+web+`"`, `data-stream="/supervision/stream"`,
				msg("en", "board.state.critical"), msg("en", "board.hard"), msg("en", "board.for", messages.T("en", "duration.m", 0)), `href="/supervision/templates"`)
			// The summary counts every state.
			for key, n := range map[string]string{"critical": "1", "warning": "1", "ok": "1", "unknown": "0"} {
				if !regexp.MustCompile(`data-count="` + key + `"><span class="sv-count-n">` + n + `<`).MatchString(r.body) {
					t.Errorf("count of %s is not %s", key, n)
				}
			}
			wantBody(t, "navigation", r, `href="/supervision" aria-current="page"`)
		})

		t.Run("filters", func(t *testing.T) {
			b := signedIn(t, srv, "admin@example.com")
			for _, tt := range []struct {
				query string
				want  []string
			}{
				{"state=critical", []string{web}},
				{"problems=1", []string{web, port}},
				{"kind=ping", []string{disk}},
				{"client=" + itoa(f.b.ID), []string{port}},
				{"q=" + url.QueryEscape("SQL"), []string{port}},
				{"q=web-alpha", []string{web, disk}},
				{"asset=" + itoa(f.assetA.ID), []string{web, disk}},
				{"state=bogus&kind=nope&page=x", []string{web, port, disk}},
				{"page=2", nil},
			} {
				r := b.get("/supervision?" + tt.query)
				wantStatus(t, tt.query, r, http.StatusOK)
				if got := boardRows(r.body); strings.Join(got, ",") != strings.Join(tt.want, ",") {
					t.Errorf("%s: rows %v, want %v", tt.query, got, tt.want)
				}
			}
			for _, q := range []string{"state=unknown", "page=9"} {
				r := b.get("/supervision?" + q)
				wantBody(t, q, r, msg("fr", "board.none_match"))
				wantNotBody(t, q, r, msg("fr", "board.empty_title"))
			}
		})

		t.Run("a client's users see their own checks only", func(t *testing.T) {
			for _, tt := range []struct {
				email      string
				want, not  []string
				assetLinks bool
			}{
				{"cuser@alpha.example", []string{"Site web ALPHA", "Ping ALPHA"}, []string{"Port SQL BRAVO", f.b.Name, "db-bravo-01"}, false},
				{"cadmin@alpha.example", []string{"Site web ALPHA"}, []string{"Port SQL BRAVO", "db-bravo-01"}, true},
				{"limited@example.com", []string{"Site web ALPHA"}, []string{"Port SQL BRAVO", "db-bravo-01"}, true},
				{"cuser@bravo.example", []string{"Port SQL BRAVO"}, []string{"Site web ALPHA", "web-alpha-01"}, false},
			} {
				b := signedIn(t, srv, tt.email)
				r := b.get("/supervision")
				wantStatus(t, tt.email, r, http.StatusOK)
				wantBody(t, tt.email, r, tt.want...)
				wantNotBody(t, tt.email, r, tt.not...)
				// Someone else's client in the filter shows nothing of it.
				if !strings.Contains(tt.email, "bravo") {
					wantNotBody(t, tt.email+" asking for BRAVO", b.get("/supervision?client="+itoa(f.b.ID)), "db-bravo-01", "Port SQL BRAVO")
				}
				if got := strings.Contains(r.body, `href="/assets/`); got != tt.assetLinks {
					t.Errorf("%s: links to asset pages = %v, want %v", tt.email, got, tt.assetLinks)
				}
				// Client users define no check.
				if strings.HasPrefix(tt.email, "c") {
					wantNotBody(t, tt.email, r, `href="/supervision/templates"`, `href="/supervision/maintenance"`)
				}
				if !strings.Contains(r.body, `href="/supervision"`) {
					t.Errorf("%s: no Supervision link in the navigation", tt.email)
				}
			}
			r := signedIn(t, srv, "cuser@bravo.example").get("/supervision/checks/" + web)
			wantStatus(t, "another client's check", r, http.StatusNotFound)
		})

		t.Run("check page", func(t *testing.T) {
			// Performance data as the engine's sink writes it.
			now := time.Now()
			perf := []agentproto.Series{
				{Name: app.CheckPerfMetric, Labels: map[string]string{"check": web, "perf": "response_ms"}, T: []int64{now.Add(-2 * time.Minute).UnixMilli(), now.Add(-time.Minute).UnixMilli()}, V: []float64{120, 340}},
				{Name: app.CheckPerfMetric, Labels: map[string]string{"check": web, "perf": "size"}, T: []int64{now.Add(-time.Minute).UnixMilli()}, V: []float64{5120}},
				{Name: app.CheckPerfMetric, Labels: map[string]string{"check": port, "perf": "connect_ms"}, T: []int64{now.Add(-time.Minute).UnixMilli()}, V: []float64{9}},
			}
			if _, err := srv.App.Metrics.Append(srv.Ctx(), f.a.ID, f.assetA.ID, perf[:2], metric.AppendOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := srv.App.Metrics.Append(srv.Ctx(), f.b.ID, f.assetB.ID, perf[2:], metric.AppendOptions{}); err != nil {
				t.Fatal(err)
			}
			b := signedIn(t, srv, "tech@example.com")
			b.lang = "en"
			g := b.get("/supervision/checks/" + web + "?range=1h")
			wantBody(t, "check graphs", g, `id="graph"`, "<figcaption>"+msg("en", "checkpage.graph.response")+"</figcaption>", "<figcaption>size</figcaption>", msg("en", "checkpage.perf.response_ms"))
			// BRAVO's series of another check are not drawn: two graphs only.
			if n := strings.Count(g.body, `<figure class="chart-box">`); n != 2 {
				t.Errorf("check page draws %d graphs, want 2 (response time, size)", n)
			}
			// A client user, who may not read the asset's metrics, sees the
			// check's own graphs, and nothing of another check.
			cu := signedIn(t, srv, "cuser@alpha.example").get("/supervision/checks/" + web + "?range=1h")
			if n := strings.Count(cu.body, `<figure class="chart-box">`); n != 2 {
				t.Errorf("client user's check page draws %d graphs, want 2 (response time, size)", n)
			}
			r := b.get("/supervision/checks/" + web)
			wantStatus(t, "check page", r, http.StatusOK)
			wantBody(t, "check page", r, "Site web ALPHA", "web-alpha-01", "http://127.0.0.1:9/health", "HTTP 503 Service Unavailable",
				msg("en", "checkpage.event.problem", msg("en", "board.state.critical")), msg("en", "checkpage.severity.major"),
				msg("en", "checkpage.availability"), `action="/supervision/checks/`+web+`/acknowledge"`,
				`action="/supervision/checks/`+web+`/run"`, `href="/supervision/checks/`+web+`/edit"`, "Authorization", `id="event-`)
			// A header's value may be a secret: only its name is shown.
			wantNotBody(t, "check page", r, "s3cret-header")
			// A client user reads it without the staff's actions.
			r = signedIn(t, srv, "cuser@alpha.example").get("/supervision/checks/" + web)
			wantStatus(t, "client's check page", r, http.StatusOK)
			wantBody(t, "client's check page", r, "HTTP 503 Service Unavailable")
			wantNotBody(t, "client's check page", r, "/acknowledge", "/run", "/edit", `href="/assets/`)
			// The check's own graphs, not the asset's metrics.
			wantBody(t, "client's check page", r, `id="graph"`)
			wantStatus(t, "no such check", b.get("/supervision/checks/999999"), http.StatusNotFound)
		})

		t.Run("acknowledge", func(t *testing.T) {
			path := "/supervision/checks/" + web + "/acknowledge"
			for _, email := range []string{"cuser@alpha.example", "cadmin@alpha.example"} {
				r := signedIn(t, srv, email).post(path, url.Values{"comment": {"seen"}})
				wantStatus(t, email+" acknowledges", r, http.StatusForbidden)
			}
			wantStatus(t, "limited staff on another client", signedIn(t, srv, "limited@example.com").post("/supervision/checks/"+port+"/acknowledge", url.Values{"comment": {"x"}}), http.StatusNotFound)
			b := signedIn(t, srv, "tech@example.com")
			r := b.post(path, url.Values{"comment": {strings.Repeat("x", 1001)}})
			wantStatus(t, "too long a comment", r, http.StatusUnprocessableEntity)
			if fieldErrorBlock(r.body, "comment") == "" {
				t.Errorf("no error next to the comment\n%s", excerpt(r.body))
			}
			r = b.post(path, url.Values{"comment": {"  "}})
			wantStatus(t, "no comment", r, http.StatusUnprocessableEntity)
			if got := fieldErrorBlock(r.body, "comment"); got != fieldErr("fr", "required", "") {
				t.Errorf("empty comment: error %q", got)
			}
			st, _ := srv.App.Supervision.Status(srv.Ctx(), tenant.System(), f.webA.ID)
			if st.Ack != nil {
				t.Fatal("a refused acknowledgement was recorded")
			}
			r = b.post(path, url.Values{"comment": {"Prestataire d'hébergement prévenu"}})
			wantStatus(t, "acknowledge", r, http.StatusSeeOther)
			st, _ = srv.App.Supervision.Status(srv.Ctx(), tenant.System(), f.webA.ID)
			if st.Ack == nil || st.Ack.Comment != "Prestataire d'hébergement prévenu" {
				t.Fatalf("acknowledgement not recorded: %+v", st.Ack)
			}
			page := b.get(r.loc)
			wantBody(t, "acknowledged check", page, "Prestataire d&#39;hébergement prévenu", msg("fr", "board.ack"))
			wantNotBody(t, "acknowledged check", page, `action="/supervision/checks/`+web+`/acknowledge"`)
			// A check in no problem has nothing to acknowledge.
			r = b.post("/supervision/checks/"+disk+"/acknowledge", url.Values{"comment": {"x"}})
			wantStatus(t, "acknowledge an OK check", r, http.StatusSeeOther)
			wantBody(t, "acknowledge an OK check", b.get(r.loc), msg("fr", "flash.warn.check_no_problem", "Ping ALPHA"))
		})

		t.Run("run now", func(t *testing.T) {
			wantStatus(t, "client runs", signedIn(t, srv, "cadmin@alpha.example").post("/supervision/checks/"+web+"/run", nil), http.StatusForbidden)
			b := signedIn(t, srv, "tech@example.com")
			r := b.post("/supervision/checks/"+web+"/run", nil)
			wantStatus(t, "run now", r, http.StatusSeeOther)
			wantBody(t, "run now", b.get(r.loc), msg("fr", "flash.check_run", "Site web ALPHA"))
		})

		t.Run("maintenance", func(t *testing.T) {
			now := time.Now()
			for _, w := range []supervision.Window{
				{Window: check.Window{AssetID: f.assetB.ID, From: now.Add(-time.Hour), To: now.Add(time.Hour), Comment: "Migration SQL"}},
				{Window: check.Window{ClientID: f.a.ID, From: now.Add(-time.Hour), To: now.Add(time.Hour), Comment: "Déménagement"}},
				// Over, and to come: neither counts.
				{Window: check.Window{AssetID: f.assetA.ID, From: now.Add(time.Hour), To: now.Add(2 * time.Hour)}},
			} {
				if err := srv.App.Supervision.CreateWindow(srv.Ctx(), tenant.System(), &w); err != nil {
					t.Fatal(err)
				}
			}
			count := regexp.MustCompile(`data-count="maintenance"><span class="sv-count-n">(\d+)<`)
			for _, tt := range []struct{ email, path, want string }{
				{"admin@example.com", "/supervision", "3"},
				{"admin@example.com", "/supervision?client=" + itoa(f.b.ID), "1"},
				{"admin@example.com", "/supervision?kind=ping", "1"},
				{"cuser@alpha.example", "/supervision", "2"},
				{"cuser@bravo.example", "/supervision", "1"},
			} {
				r := signedIn(t, srv, tt.email).get(tt.path)
				m := count.FindStringSubmatch(r.body)
				if m == nil || m[1] != tt.want {
					t.Errorf("%s %s: maintenance count %v, want %s", tt.email, tt.path, m, tt.want)
				}
				if !strings.Contains(r.body, `data-maintenance="1"`) {
					t.Errorf("%s %s: no row marked in maintenance", tt.email, tt.path)
				}
			}
		})

		t.Run("backup runs", func(t *testing.T) {
			bk := supervision.Check{AssetID: f.assetA.ID, Name: "Sauvegarde nocturne", Enabled: true, Rules: supervision.Rules{
				Kind: supervision.KindBackupPush, Params: supervision.Params{Schedule: "0 2 * * *", GraceMinutes: 60}, MaxAttempts: 1}}
			if err := srv.App.Supervision.CreateCheck(srv.Ctx(), tenant.System(), &bk); err != nil {
				t.Fatal(err)
			}
			if err := srv.App.Supervision.Push(srv.Ctx(), bk.PushToken, supervision.PushInput{OK: false, Seconds: 754, Bytes: 3 << 30, Message: "disque de destination plein"}); err != nil {
				t.Fatal(err)
			}
			r := signedIn(t, srv, "cuser@alpha.example").get("/supervision/checks/" + itoa(bk.ID))
			wantStatus(t, "backup check", r, http.StatusOK)
			wantBody(t, "backup check", r, msg("fr", "checkpage.runs"), msg("fr", "checkpage.run.failed"), "disque de destination plein", "<td>13 min</td><td>3 GiB</td>")
			// The push URL's secret is not on the page.
			wantNotBody(t, "backup check", r, bk.PushToken)
		})

		t.Run("asset page card", func(t *testing.T) {
			r := signedIn(t, srv, "tech@example.com").get("/assets/" + itoa(f.assetA.ID))
			wantStatus(t, "asset page", r, http.StatusOK)
			wantBody(t, "asset page", r, `id="checks"`, "Site web ALPHA", "Ping ALPHA", `href="/supervision/checks/new?asset=`+itoa(f.assetA.ID)+`"`)
			r = signedIn(t, srv, "cadmin@alpha.example").get("/assets/" + itoa(f.assetA.ID))
			wantBody(t, "client's asset page", r, "Site web ALPHA")
			wantNotBody(t, "client's asset page", r, "/supervision/checks/new")
		})

		t.Run("asset availability and backup summary", func(t *testing.T) {
			// A server whose only check has been a hard CRITICAL since its
			// first run was never up over the 30 days (a server of BRAVO: a
			// window covers the whole of ALPHA now, and maintenance time is
			// left out of availability).
			srvC := asset.Asset{ClientID: f.b.ID, Kind: asset.KindServer, Name: "down-bravo-02"}
			if err := srv.App.Assets.Create(srv.Ctx(), tenant.System(), &srvC); err != nil {
				t.Fatal(err)
			}
			down := supervision.Check{AssetID: srvC.ID, Name: "Port fermé", Enabled: true, Rules: supervision.Rules{Kind: supervision.KindTCP,
				Params: supervision.Params{Host: "127.0.0.1", Port: 9, Timeout: 2}, Interval: 86400, RetryInterval: 3600, MaxAttempts: 1}}
			if err := srv.App.Supervision.CreateCheck(srv.Ctx(), tenant.System(), &down); err != nil {
				t.Fatal(err)
			}
			ran(t, srv, down)
			r := signedIn(t, srv, "tech@example.com").get("/assets/" + itoa(srvC.ID))
			wantBody(t, "asset availability", r, msg("fr", "board.asset_uptime30"), "<strong>0,00 %</strong>")
			job := asset.Asset{ClientID: f.a.ID, Kind: asset.KindBackup, Name: "Job Veeam ALPHA"}
			if err := srv.App.Assets.Create(srv.Ctx(), tenant.System(), &job); err != nil {
				t.Fatal(err)
			}
			push := supervision.Check{AssetID: job.ID, Name: "Veeam", Enabled: true, Rules: supervision.Rules{
				Kind: supervision.KindBackupPush, Params: supervision.Params{Schedule: "0 2 * * *"}, MaxAttempts: 1}}
			if err := srv.App.Supervision.CreateCheck(srv.Ctx(), tenant.System(), &push); err != nil {
				t.Fatal(err)
			}
			if err := srv.App.Supervision.Push(srv.Ctx(), push.PushToken, supervision.PushInput{OK: true, Message: "14 points de restauration"}); err != nil {
				t.Fatal(err)
			}
			rt := supervision.RestoreTest{AssetID: job.ID, TestedAt: time.Now().Add(-48 * time.Hour), Scope: "Dossier compta", Result: supervision.RestorePartial, Minutes: 30}
			if err := srv.App.Supervision.AddRestoreTest(srv.Ctx(), tenant.System(), &rt); err != nil {
				t.Fatal(err)
			}
			r = signedIn(t, srv, "tech@example.com").get("/assets/" + itoa(job.ID))
			wantStatus(t, "backup job page", r, http.StatusOK)
			wantBody(t, "backup job page", r, msg("fr", "supform.backups.last_success"), "14 points de restauration",
				msg("fr", "supform.backups.last_restore"), msg("fr", "supform.restore.result.partial"))
			wantNotBody(t, "backup job page", r, msg("fr", "supform.backups.never_tested"))
		})
	})
}

func TestSupervisionBoardEmpty(t *testing.T) {
	srv := apptest.New(t, "sqlite")
	newFixture(t, srv)
	r := signedIn(t, srv, "tech@example.com").get("/supervision")
	wantStatus(t, "empty board", r, http.StatusOK)
	wantBody(t, "empty board", r, msg("fr", "board.empty_title"), msg("fr", "board.empty_text"), `href="/supervision/templates"`, `href="/fleet"`)
	r = signedIn(t, srv, "cuser@alpha.example").get("/supervision")
	wantBody(t, "client's empty board", r, msg("fr", "board.empty_text_client"))
	wantNotBody(t, "client's empty board", r, `href="/supervision/templates"`)
}

// stream reads a board's server-sent events.
type stream struct {
	t      *testing.T
	events chan sse
	cancel context.CancelFunc
}

type sse struct {
	name string
	data string
}

// openStream connects to the board's stream as a signed-in browser and
// waits for the server's first comment (the subscription is then live).
func openStream(t *testing.T, b *browser, query string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.srv.URL+"/supervision/stream"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The test browser's client times out after 30 s: a stream needs none.
	c := &http.Client{Jar: b.c.Jar, CheckRedirect: b.c.CheckRedirect}
	res, err := c.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &stream{t: t, events: make(chan sse, 100), cancel: cancel}
	ready := make(chan struct{})
	go func() {
		defer res.Body.Close()
		defer close(s.events)
		sc := bufio.NewScanner(res.Body)
		var ev sse
		once := false
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, ":"):
				if !once {
					once = true
					close(ready)
				}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			case line == "" && ev.name != "":
				s.events <- ev
				ev = sse{}
			}
		}
	}()
	t.Cleanup(cancel)
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream sent nothing within 10 s")
	}
	return s
}

// waitStatus returns the next status event of a check with an output,
// failing after 10 s or at an event of a check in forbidden.
func (s *stream) waitStatus(checkID int64, output string, forbidden ...int64) map[string]any {
	s.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				s.t.Fatal("the stream ended")
			}
			if ev.name != "status" {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(ev.data), &m); err != nil {
				s.t.Fatalf("status event %q: %v", ev.data, err)
			}
			id, _ := m["check_id"].(float64)
			if slices.Contains(forbidden, int64(id)) {
				s.t.Fatalf("the stream carried a change of check %d it must not see: %v", int64(id), m)
			}
			if int64(id) == checkID && m["output"] == output {
				return m
			}
		case <-timeout:
			s.t.Fatalf("no status event of check %d within 10 s", checkID)
		}
	}
}

// TestBoardStream proves the stream's scoping with a real HTTP client
// reading it: a change of ALPHA reaches ALPHA's user and staff, never
// BRAVO's user, whose first event is BRAVO's own later change.
func TestBoardStream(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newBoardFixture(t, srv)
		staff := openStream(t, signedIn(t, srv, "tech@example.com"), "")
		alpha := openStream(t, signedIn(t, srv, "cuser@alpha.example"), "")
		bravo := openStream(t, signedIn(t, srv, "cuser@bravo.example"), "")
		// A staff stream filtered on BRAVO skips ALPHA too.
		filtered := openStream(t, signedIn(t, srv, "admin@example.com"), "?client="+itoa(f.b.ID))

		submit(t, srv, f.webA, check.Critical, "HTTP 500")
		for name, s := range map[string]*stream{"staff": staff, "alpha": alpha} {
			ev := s.waitStatus(f.webA.ID, "HTTP 500", f.portB.ID)
			if ev["state"] != "critical" || ev["label"] != "CRITICAL" || ev["type"] != "hard" || ev["problem"] != true || ev["since"] == nil {
				t.Errorf("%s: event %v", name, ev)
			}
		}
		submit(t, srv, f.portB, check.Unknown, "no route to host")
		// BRAVO's streams see BRAVO's change, and ALPHA's earlier one never.
		for name, s := range map[string]*stream{"bravo": bravo, "filtered": filtered} {
			if ev := s.waitStatus(f.portB.ID, "no route to host", f.webA.ID, f.diskA.ID); ev["state"] != "unknown" {
				t.Errorf("%s: event %v", name, ev)
			}
		}
		staff.waitStatus(f.portB.ID, "no route to host")
		// The counts follow a burst of changes.
		timeout := time.After(10 * time.Second)
		for done := false; !done; {
			select {
			case ev := <-staff.events:
				if ev.name == "counts" {
					var c map[string]int
					_ = json.Unmarshal([]byte(ev.data), &c)
					if c["critical"] != 1 || c["unknown"] != 1 || c["total"] != 3 {
						t.Errorf("counts %v", c)
					}
					done = true
				}
			case <-timeout:
				t.Fatal("no counts event")
			}
		}

		// Signing out ends the stream at its next check; the endpoint
		// refuses the anonymous.
		r := newBrowser(t, srv).get("/supervision/stream")
		if r.status != http.StatusSeeOther && r.status != http.StatusUnauthorized {
			t.Errorf("anonymous stream: %d", r.status)
		}
	})
}

// supervisionPageFixture adds a check in a hard problem to an asset, for
// TestEveryPageRendersForEveryRole.
func supervisionPageFixture(t *testing.T, srv *apptest.Server, assetID int64) int64 {
	t.Helper()
	c := supervision.Check{AssetID: assetID, Name: "Ping", Enabled: true,
		Rules: supervision.Rules{Kind: supervision.KindPing, Params: supervision.Params{Host: "127.0.0.1", Count: 1, Timeout: 2}, Interval: 86400, MaxAttempts: 1}}
	if err := srv.App.Supervision.CreateCheck(srv.Ctx(), tenant.System(), &c); err != nil {
		t.Fatal(err)
	}
	ran(t, srv, c)
	submit(t, srv, c, check.Critical, "100 % loss")
	return c.ID
}

// BenchmarkBoard renders the board page over HTTP, signed in, among 50,000
// checks of 200 clients (250 each, one in 20 a problem) on SQLite: the
// staff's first page, problems only, a search, and a client's own board.
// The target is 100 ms a page.
func BenchmarkBoard(b *testing.B) {
	srv := apptest.New(b, "sqlite")
	srv.User("admin@bench.example", tenant.RoleAdmin)
	db, ctx := srv.App.DB, context.Background()
	kinds := []supervision.Kind{supervision.KindHTTP, supervision.KindCPU, supervision.KindFilesystem, supervision.KindPing, supervision.KindTCP}
	var checks, clients []int64
	at := time.Now().Add(-time.Hour)
	err := db.InTx(ctx, func(ctx context.Context) error {
		for i := range 200 {
			c := client.Client{Code: fmt.Sprintf("B%04d", i), Name: fmt.Sprintf("Client %04d", i), TimeZone: "Europe/Paris", Language: "fr"}
			if err := db.CreateClient(ctx, tenant.System(), &c); err != nil {
				return err
			}
			clients = append(clients, c.ID)
			for j := range 25 {
				a := asset.Asset{ClientID: c.ID, Kind: asset.KindServer, Name: fmt.Sprintf("srv-%04d-%02d", i, j), Criticality: asset.CriticalityNormal, Fields: map[string]string{}}
				if err := db.CreateAsset(ctx, tenant.System(), &a); err != nil {
					return err
				}
				for k := range 10 {
					ch := supervision.Check{AssetID: a.ID, ClientID: c.ID, Name: fmt.Sprintf("check %d", k), Enabled: true,
						Rules: supervision.Rules{Kind: kinds[k%len(kinds)], Interval: 86400, RetryInterval: 3600, MaxAttempts: 3, RecoverAfter: 1,
							Severity: supervision.SeverityMajor, Ticket: supervision.TicketNone}}
					if err := db.CreateCheck(ctx, tenant.System(), &ch); err != nil {
						return err
					}
					checks = append(checks, ch.ID)
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < len(checks); i += 1000 {
		var sts []supervision.Status
		for j := i; j < min(i+1000, len(checks)); j++ {
			st := check.Status{State: check.OK, Since: at.Add(-time.Duration(j) * time.Second), LastCheck: at, Output: "OK - 12 ms", HistoryLen: 21}
			if j%20 == 0 {
				st.State = []check.State{check.Critical, check.Warning, check.Unknown}[(j/20)%3]
				st.HardState, st.Attempt, st.Output = st.State, 3, "CRITICAL - connection refused"
				if j%60 == 0 {
					st.Ack = &check.Ack{By: "Tina", Comment: "en cours", At: at}
				}
			}
			sts = append(sts, supervision.Status{CheckID: checks[j], Status: st})
		}
		if err := db.SaveResults(ctx, sts, nil); err != nil {
			b.Fatal(err)
		}
	}
	srv.User("client@bench.example", tenant.RoleClientUser, clients[7])
	for _, bc := range []struct {
		name, email, path string
		rows              int
		// windows puts that many clients in maintenance first (the
		// board then counts their checks).
		windows int
	}{
		{"staff first page", "admin@bench.example", "/supervision", 100, 0},
		{"staff problems", "admin@bench.example", "/supervision?problems=1", 100, 0},
		{"staff search", "admin@bench.example", "/supervision?q=srv-0150", 100, 0},
		{"client board", "client@bench.example", "/supervision", 100, 0},
		{"staff first page, 50 clients in maintenance", "admin@bench.example", "/supervision", 100, 50},
	} {
		for _, id := range clients[:bc.windows] {
			w := supervision.Window{Window: check.Window{ClientID: id, From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)}}
			if err := srv.App.Supervision.CreateWindow(srv.Ctx(), tenant.System(), &w); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(bc.name, func(b *testing.B) {
			c := srv.Login(bc.email)
			for b.Loop() {
				res, err := c.Get(srv.URL + bc.path)
				if err != nil {
					b.Fatal(err)
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d %v", bc.path, res.StatusCode, err)
				}
				if n := len(boardRows(string(body))); n != bc.rows {
					b.Fatalf("%s: %d rows, want %d", bc.path, n, bc.rows)
				}
			}
		})
	}
}

// TestBoardStreamOutlivesReadTimeout serves the app with a short read
// timeout: net/http would cancel a request whose idle connection reaches it,
// so the stream must clear it and still deliver changes after it.
func TestBoardStreamOutlivesReadTimeout(t *testing.T) {
	srv := apptest.New(t, "sqlite")
	f := newBoardFixture(t, srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.App.Handler(), ReadTimeout: 300 * time.Millisecond, ReadHeaderTimeout: 300 * time.Millisecond}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	short := *srv
	short.URL = "http://" + ln.Addr().String()
	s := openStream(t, signedIn(t, &short, "tech@example.com"), "")
	time.Sleep(time.Second)
	submit(t, srv, f.webA, check.Critical, "after the read timeout")
	s.waitStatus(f.webA.ID, "after the read timeout")
}
