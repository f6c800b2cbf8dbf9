package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/i18n"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// TestBoardLiveUpdate opens the supervision board in a real browser, then
// a check turns CRITICAL on the server: the row's badge, its output and the
// critical count change in place, without a reload, within the
// Content-Security-Policy.
func TestBoardLiveUpdate(t *testing.T) {
	msg, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	exe := chromiumPath(t)
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			srv := apptest.New(t, dialect)
			tech := srv.User("tech@e2e.example", tenant.RoleTechnician)
			cl := srv.Client("E2E-SUP")
			a := asset.Asset{ClientID: cl.ID, Kind: asset.KindServer, Name: "srv-e2e-01"}
			if err := srv.App.Assets.Create(srv.Ctx(), tenant.System(), &a); err != nil {
				t.Fatal(err)
			}
			// A real target that answers: the server's first probe finds it OK.
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
			defer target.Close()
			c := supervision.Check{AssetID: a.ID, Name: "Service web e2e", Enabled: true, Rules: supervision.Rules{
				Kind: supervision.KindHTTP, Params: supervision.Params{URL: target.URL + "/health", Timeout: 2}, Interval: 86400, RetryInterval: 3600,
				MaxAttempts: 1, RecoverAfter: 1, Severity: supervision.SeverityMajor, Ticket: supervision.TicketNone}}
			if err := srv.App.Supervision.CreateCheck(srv.Ctx(), tenant.System(), &c); err != nil {
				t.Fatal(err)
			}
			row := "#check-" + strconv.FormatInt(c.ID, 10)
			b := newBrowser(t, exe)
			b.open(srv.URL + "/login")
			b.do("fill the sign-in form",
				chromedp.SendKeys(chromedp.CSS(`form[action="/login"] input[name="email"]`), tech.Email, chromedp.NodeVisible),
				chromedp.SendKeys(chromedp.CSS(`form[action="/login"] input[name="password"]`), apptest.Password, chromedp.NodeVisible),
			)
			b.submit("sign in", `form[action="/login"] button[type="submit"]`)

			// The first run is saved with the next batch: wait for the row to say OK.
			deadline := time.Now().Add(15 * time.Second)
			for {
				b.open(srv.URL + "/supervision")
				if strings.Contains(b.text(row+" .sv-state"), msg.T("fr", "board.state.ok")) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the board never showed the check OK: %q", b.text(row+" .sv-state"))
				}
				time.Sleep(200 * time.Millisecond)
			}
			b.do("wait for the live indicator", chromedp.WaitVisible(chromedp.CSS("#board-live.is-live")))
			if got := b.text("#board-live"); got != msg.T("fr", "board.live") {
				t.Errorf("live indicator says %q", got)
			}
			// A mark in the page's JavaScript world: a reload would lose it.
			run(b, "mark the page", chromedp.Evaluate[bool](`window.__sameDocument = true`))
			b.checkClean("board")

			if err := srv.App.Engine.Submit(srv.Ctx(), supervision.Result{CheckID: c.ID, Result: check.Result{At: time.Now(), State: check.Critical, Output: "HTTP 503 Service Unavailable"}}); err != nil {
				t.Fatal(err)
			}
			want := msg.T("fr", "board.state.critical")
			ctx, cancel := b.step()
			defer cancel()
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(function () {
  var b = document.querySelector("`+row+` .sv-badge");
  return b !== null && b.textContent === "`+want+`" && b.classList.contains("sv-critical");
})()`, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
				t.Fatalf("the row did not turn CRITICAL in place: %v (badge %q)", err, b.text(row+" .sv-state"))
			}
			if got := b.text(row + ` [data-field="output"]`); got != "HTTP 503 Service Unavailable" {
				t.Errorf("row output %q", got)
			}
			// The script writes durations as the server does.
			if got, want := b.text(row+` [data-field="since"]`), msg.T("fr", "board.for", msg.T("fr", "duration.m", 0)); got != want {
				t.Errorf("row duration %q, want %q", got, want)
			}
			if got, want := b.text(row+` [data-field="last"]`), msg.T("fr", "fleet.just_now"); got != want {
				t.Errorf("row last check %q, want %q", got, want)
			}
			if !run(b, "read the mark", chromedp.Evaluate[bool](`window.__sameDocument === true`)) {
				t.Fatal("the page was reloaded: the update must come without one")
			}
			// The counts follow (a "counts" event after the burst).
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('[data-count="critical"] .sv-count-n').textContent === "1"`,
				chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
				t.Errorf("the critical count did not become 1: %v", err)
			}
			b.checkClean("board after a live update")
		})
	}
}
