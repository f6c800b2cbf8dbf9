package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// stat is how a dashboard tile shows value with its label.
func stat(lang, key string, value int) string {
	return fmt.Sprintf(`<span class="stat-value">%d</span><span class="stat-label">%s</span>`, value, msg(lang, key))
}

func TestStaffDashboardPage(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		openTicket(t, srv, "cuser@alpha.example", ticket.Ticket{Title: "Printer jammed", Description: "Again."})
		for range 2 {
			openTicket(t, srv, "cuser@bravo.example", ticket.Ticket{Title: "Bravo trouble", Description: "B."})
		}
		for _, lang := range []string{"fr", "en"} {
			b := signedIn(t, srv, "manager@example.com")
			b.lang = lang
			r := b.get("/dashboard")
			wantStatus(t, lang+" staff dashboard", r, http.StatusOK)
			checkPage(t, lang+" staff dashboard", lang, r)
			wantBody(t, lang+" staff dashboard", r, stat(lang, "dashboard.tile.open", 3), f.a.Name, f.b.Name,
				`class="chart chart-stacked"`, msg(lang, "dashboard.chart.level"), msg(lang, "dashboard.chart.sla"),
				fmt.Sprintf(`href="/tickets?queue=open&amp;client=%d"`, f.b.ID))
			// The menu offers the dashboard first.
			nav := r.body[strings.Index(r.body, `class="main-nav"`):]
			if i, j := strings.Index(nav, `href="/dashboard"`), strings.Index(nav, `href="/"`); i < 0 || j < 0 || i > j {
				t.Errorf("%s: the dashboard is not first in the menu", lang)
			}
		}

		// Staff limited to ALPHA see ALPHA only.
		b := signedIn(t, srv, "limited@example.com")
		b.lang = "en"
		r := b.get("/dashboard")
		wantStatus(t, "limited staff", r, http.StatusOK)
		wantBody(t, "limited staff", r, stat("en", "dashboard.tile.open", 1), f.a.Name)
		wantNotBody(t, "limited staff", r, f.b.Name, "BRAVO")
		wantStatus(t, "limited staff, BRAVO's dashboard", b.get(fmt.Sprintf("/clients/%d/dashboard", f.b.ID)), http.StatusNotFound)
		// Staff open a client's dashboard as its users see it.
		r = b.get(fmt.Sprintf("/clients/%d/dashboard", f.a.ID))
		wantStatus(t, "ALPHA's dashboard", r, http.StatusOK)
		wantBody(t, "ALPHA's dashboard", r, msg("en", "dashboard.client_title", f.a.Name), stat("en", "dashboard.tile.open", 1))
	})
}

func TestStaffDashboardEmpty(t *testing.T) {
	srv := apptest.New(t, "sqlite")
	srv.User("admin@example.com", tenant.RoleAdmin)
	b := signedIn(t, srv, "admin@example.com")
	b.lang = "en"
	r := b.get("/dashboard")
	wantStatus(t, "empty dashboard", r, http.StatusOK)
	wantBody(t, "empty dashboard", r, msg("en", "dashboard.empty_title"), msg("en", "dashboard.empty_text"), `href="/clients/new"`)
}

func TestClientDashboardPage(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		openTicket(t, srv, "cuser@alpha.example", ticket.Ticket{Title: "Printer jammed", Description: "Again."})
		for range 2 {
			openTicket(t, srv, "cuser@bravo.example", ticket.Ticket{Title: "Bravo trouble", Description: "B."})
		}
		paris, err := time.LoadLocation("Europe/Paris")
		if err != nil {
			t.Fatal(err)
		}
		month := time.Now().In(paris).Format("2006-01")
		for _, email := range []string{"cuser@alpha.example", "cadmin@alpha.example"} {
			for _, lang := range []string{"fr", "en"} {
				b := signedIn(t, srv, email)
				b.lang = lang
				what := email + " " + lang
				r := b.get("/dashboard")
				wantStatus(t, what, r, http.StatusOK)
				checkPage(t, what, lang, r)
				wantBody(t, what, r, msg(lang, "dashboard.client_title", f.a.Name), stat(lang, "dashboard.tile.open", 1),
					`class="chart chart-spark"`, fmt.Sprintf(`href="/clients/%d/reports"`, f.a.ID))
				wantNotBody(t, what, r, f.b.Name, "Bravo trouble")
				// The running month's "opened" is the report's, same figure.
				rep := b.get(fmt.Sprintf("/clients/%d/reports?period=%s", f.a.ID, month))
				wantStatus(t, what+" report", rep, http.StatusOK)
				wantBody(t, what+" report", rep, openedTile(lang, 1))
				wantBody(t, what, r, openedTile(lang, 1))
				// Another client's dashboard does not exist for them.
				wantStatus(t, what+", BRAVO's dashboard", b.get(fmt.Sprintf("/clients/%d/dashboard", f.b.ID)), http.StatusNotFound)
			}
		}
	})
}
