package web_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/ticket"
)

func TestTimeReportPage(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		paris, err := time.LoadLocation("Europe/Paris")
		if err != nil {
			t.Fatal(err)
		}
		tech := scopeOf(t, srv, "tech@example.com")
		for _, c := range []struct {
			clientID int64
			entries  []ticket.TimeEntry
		}{
			{f.a.ID, []ticket.TimeEntry{
				{Start: time.Date(2026, 3, 10, 9, 0, 0, 0, paris), Duration: 90 * time.Minute, Billable: true, OnSite: true, Travel: 30 * time.Minute},
				// The last evening of March in Paris: still March.
				{Start: time.Date(2026, 3, 31, 23, 30, 0, 0, paris), Duration: 20 * time.Minute},
				{Start: time.Date(2026, 4, 1, 0, 10, 0, 0, paris), Duration: 5 * time.Minute, Billable: true},
			}},
			{f.b.ID, []ticket.TimeEntry{{Start: time.Date(2026, 3, 12, 14, 0, 0, 0, paris), Duration: 45 * time.Minute, Billable: true}}},
		} {
			tk := openTicket(t, srv, "admin@example.com", ticket.Ticket{ClientID: c.clientID, Title: "Time", Impact: 2, Urgency: 2})
			for _, e := range c.entries {
				if err := srv.App.Tickets.LogTime(srv.Ctx(), tech, tk.ID, &e); err != nil {
					t.Fatal(err)
				}
			}
		}

		admin := signedIn(t, srv, "admin@example.com")
		admin.lang = "en"
		r := admin.get("/tickets/time?month=2026-03")
		wantStatus(t, "admin report", r, http.StatusOK)
		// ALPHA: 1h50 of which 1h30 billable, one visit, 30 min travel;
		// BRAVO: 45 min; the totals row: 2h35, 2h15 billable.
		wantBody(t, "admin report", r, f.a.Name, f.b.Name, msg("en", "duration.hm", 1, 50), msg("en", "duration.hm", 1, 30),
			msg("en", "duration.m", 30), msg("en", "duration.m", 45), msg("en", "duration.hm", 2, 35), msg("en", "duration.hm", 2, 15))
		wantNotBody(t, "admin report", r, msg("en", "duration.hm", 1, 55))

		limited := signedIn(t, srv, "limited@example.com")
		limited.lang = "en"
		r = limited.get("/tickets/time?month=2026-03")
		wantStatus(t, "limited technician's report", r, http.StatusOK)
		wantBody(t, "limited technician's report", r, f.a.Name)
		wantNotBody(t, "limited technician's report", r, f.b.Name)
		wantStatus(t, "limited technician asks for another client", limited.get("/tickets/time?month=2026-03&client="+itoa(f.b.ID)), http.StatusNotFound)

		r = admin.get("/tickets/time?month=2026-13")
		wantStatus(t, "bad month", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "month"); got != fieldErr("en", "invalid_month", "") {
			t.Errorf("bad month: field error %q", got)
		}

		wantBody(t, "tickets page link", admin.get("/tickets"), `href="/tickets/time"`)
		for _, email := range []string{"cadmin@alpha.example", "cuser@alpha.example"} {
			b := signedIn(t, srv, email)
			wantStatus(t, email, b.get("/tickets/time?month=2026-03"), http.StatusForbidden)
			wantNotBody(t, email+" tickets page", b.get("/tickets"), `href="/tickets/time"`)
		}
	})
}
