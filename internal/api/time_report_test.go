package api_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
)

func TestTimeReportAPI(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	type total struct {
		ClientID        int64  `json:"client_id"`
		ClientName      string `json:"client_name"`
		Tickets         int    `json:"tickets"`
		DurationMinutes int    `json:"duration_minutes"`
		BillableMinutes int    `json:"billable_minutes"`
		OnSite          int    `json:"on_site"`
		TravelMinutes   int    `json:"travel_minutes"`
	}
	type report struct {
		Month   string    `json:"month"`
		From    time.Time `json:"from"`
		To      time.Time `json:"to"`
		Clients []total   `json:"clients"`
		Total   total     `json:"total"`
	}
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			h := newHelpdeskEnv(t, dialect)
			ctx, sys := h.s.Ctx(), h.admin.Scope()
			at := func(month time.Month, day, hour, min int) time.Time {
				return time.Date(2026, month, day, hour, min, 0, 0, paris)
			}
			for _, c := range []struct {
				clientID int64
				entries  []ticket.TimeEntry
			}{
				{h.a.ID, []ticket.TimeEntry{
					{Start: at(11, 2, 9, 0), Duration: time.Hour, Billable: true, OnSite: true, Travel: 40 * time.Minute},
					{Start: at(11, 30, 23, 30), Duration: 25 * time.Minute}, // 22:30 UTC: November in Paris
					{Start: at(12, 1, 0, 15), Duration: 5 * time.Minute},    // 23:15 UTC on 30 November: December in Paris
				}},
				{h.b.ID, []ticket.TimeEntry{{Start: at(11, 20, 15, 0), Duration: 30 * time.Minute, Billable: true}}},
			} {
				tk := ticket.Ticket{ClientID: c.clientID, Type: ticket.TypeIncident, Title: "Time", Impact: 2, Urgency: 2}
				if err := h.s.App.Tickets.Create(ctx, sys, &tk); err != nil {
					t.Fatal(err)
				}
				// Stored directly: LogTime refuses entries ahead of the real clock.
				for _, e := range c.entries {
					e.TicketID, e.TechnicianID = tk.ID, h.admin.ID
					if err := h.s.App.DB.AddTimeEntry(ctx, &e); err != nil {
						t.Fatal(err)
					}
				}
			}
			alpha := total{ClientID: h.a.ID, ClientName: h.a.Name, Tickets: 1, DurationMinutes: 85, BillableMinutes: 60, OnSite: 1, TravelMinutes: 40}
			bravo := total{ClientID: h.b.ID, ClientName: h.b.Name, Tickets: 1, DurationMinutes: 30, BillableMinutes: 30}

			var got report
			h.do(t, "GET", "/api/v1/time-report?month=2026-11", h.managerTok, nil).want(t, 200).decode(t, &got)
			want := report{Month: "2026-11", From: time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC),
				Clients: []total{alpha, bravo}, Total: total{Tickets: 2, DurationMinutes: 115, BillableMinutes: 90, OnSite: 1, TravelMinutes: 40}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("manager's report = %+v, want %+v", got, want)
			}

			got = report{}
			h.do(t, "GET", "/api/v1/time-report?month=2026-11&client_id="+itoa(h.b.ID), h.adminTok, nil).want(t, 200).decode(t, &got)
			if !reflect.DeepEqual(got.Clients, []total{bravo}) {
				t.Errorf("report of B = %+v", got.Clients)
			}

			// A technician limited to A sees A only, and not B even by name.
			got = report{}
			h.do(t, "GET", "/api/v1/time-report?month=2026-11", h.techATok, nil).want(t, 200).decode(t, &got)
			if !reflect.DeepEqual(got.Clients, []total{alpha}) {
				t.Errorf("limited technician's report = %+v", got.Clients)
			}
			h.do(t, "GET", "/api/v1/time-report?month=2026-11&client_id="+itoa(h.b.ID), h.techATok, nil).problem(t, 404)

			for _, bad := range []string{"2026-13", "11-2026", "x"} {
				p := h.do(t, "GET", "/api/v1/time-report?month="+bad, h.managerTok, nil).problem(t, 422)
				if code, _ := p.field(t, "month"); code != "invalid_month" {
					t.Errorf("month=%s: code %q, want invalid_month", bad, code)
				}
			}
			h.do(t, "GET", "/api/v1/time-report?month=2026-11", h.clientTok, nil).problem(t, 403)
			h.do(t, "GET", "/api/v1/time-report?month=2026-11", h.userTok, nil).problem(t, 403)
		})
	}
}
