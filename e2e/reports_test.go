package e2e

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/i18n"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// TestContractReportsAndDashboard walks what a delivery manager reads for a
// client under a workstations-only contract, in a real browser: the staff
// dashboard and its SVG charts, a ticket on the client's server flagged out
// of perimeter, the contract page, and each kind of report (daily, monthly,
// service review, annual, archive) with the tab bar that links them; every
// page must stay within the Content-Security-Policy (server-drawn SVG charts
// included) and the monthly PDF must download.
func TestContractReportsAndDashboard(t *testing.T) {
	msg, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	exe := chromiumPath(t)
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			srv := apptest.New(t, dialect)
			mgr := srv.User("manager@e2e.example", tenant.RoleManager)
			cl := srv.Client("E2E-RPT")
			server := asset.Asset{ClientID: cl.ID, Kind: asset.KindServer, Name: "srv-e2e-fichiers"}
			if err := srv.App.Assets.Create(srv.Ctx(), tenant.System(), &server); err != nil {
				t.Fatal(err)
			}
			c := contract.Contract{ClientID: cl.ID, Reference: "E2E-2026", Title: "Postes de travail", Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
				State: contract.StateActive, Calendar: ticket.DefaultCalendar, Availability: 99.5,
				Reporting: contract.Reporting{Monthly: true},
				Perimeter: contract.Perimeter{Kinds: []asset.Kind{asset.KindWorkstation}}}
			if err := srv.App.Contracts.Create(srv.Ctx(), tenant.System(), &c); err != nil {
				t.Fatal(err)
			}
			tk := ticket.Ticket{ClientID: cl.ID, Type: ticket.TypeIncident, Title: "Serveur de fichiers en panne", Impact: 1, Urgency: 1, AssetIDs: []int64{server.ID}}
			if err := srv.App.Tickets.Create(srv.Ctx(), tenant.System(), &tk); err != nil {
				t.Fatal(err)
			}

			b := newBrowser(t, exe)
			b.open(srv.URL + "/login")
			b.do("fill the sign-in form",
				chromedp.SendKeys(chromedp.CSS(`form[action="/login"] input[name="email"]`), mgr.Email, chromedp.NodeVisible),
				chromedp.SendKeys(chromedp.CSS(`form[action="/login"] input[name="password"]`), apptest.Password, chromedp.NodeVisible),
			)
			b.submit("sign in", `form[action="/login"] button[type="submit"]`)

			// The staff dashboard: its charts are SVG drawn by the server.
			b.open(srv.URL + "/dashboard")
			if n := run(b, "count the charts", chromedp.Evaluate[int](`document.querySelectorAll("main svg").length`)); n == 0 {
				t.Error("the staff dashboard draws no SVG chart")
			}
			if got := b.text("main"); !strings.Contains(got, cl.Name) {
				t.Errorf("the staff dashboard does not name the client with an open ticket %q", cl.Name)
			}
			b.checkClean("staff dashboard")

			// The ticket on the server is out of the workstations-only perimeter.
			b.open(fmt.Sprintf("%s/tickets/%d", srv.URL, tk.ID))
			if got := b.text("#perimeter-badge"); got == "" {
				t.Error("the ticket on a server outside the contract shows no out-of-perimeter badge")
			}
			b.checkClean("ticket out of perimeter")

			b.open(fmt.Sprintf("%s/contracts/%d", srv.URL, c.ID))
			if got := b.text("main h1"); !strings.Contains(got, "E2E-2026") {
				t.Errorf("contract page heading %q", got)
			}
			b.checkClean("contract page")

			// Every report kind, reached through the tab bar of the monthly report.
			base := fmt.Sprintf("/clients/%d", cl.ID)
			b.open(srv.URL + base + "/reports")
			b.checkClean("monthly report")
			tabs := map[string]string{
				base + "/reports/daily":   msg.T("fr", "reportweb.kind.daily"),
				base + "/reviews":         msg.T("fr", "review.title"),
				base + "/reports/annual":  msg.T("fr", "reportweb.kind.annual"),
				base + "/reports/archive": msg.T("fr", "reportarchive.link"),
			}
			for href, label := range tabs {
				b.open(srv.URL + base + "/reports")
				if got := b.text(`nav.tabs a[href="` + href + `"]`); got != label {
					t.Errorf("report tab to %s reads %q, want %q", href, got, label)
				}
				b.submit("open "+href, `nav.tabs a[href="`+href+`"]`)
				if got := b.path(); got != href {
					t.Errorf("the tab led to %s, want %s", got, href)
				}
				if got := b.text("main h1"); !strings.Contains(got, cl.Name) {
					t.Errorf("%s: heading %q does not name the client", href, got)
				}
				b.checkClean(href)
			}

			// The monthly PDF downloads as a PDF.
			period := time.Now().In(time.UTC).AddDate(0, -1, 0).Format("2006-01")
			res, err := srv.Login(mgr.Email).Get(srv.URL + base + "/reports/pdf?period=" + period)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !bytes.HasPrefix(body, []byte("%PDF-")) || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
				t.Errorf("monthly PDF: status %d, disposition %q, starts %q", res.StatusCode, res.Header.Get("Content-Disposition"), body[:min(len(body), 8)])
			}
		})
	}
}
