package ticket_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

func TestTimeReport(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		a1 := e.create(t, e.carlU, ticket.Ticket{Title: "A1"})
		a2 := e.create(t, e.carlU, ticket.Ticket{Title: "A2"})
		b1 := e.create(t, e.adminB, ticket.Ticket{Title: "B1"})
		at := func(month time.Month, day, hour, min int) time.Time {
			return time.Date(2026, month, day, hour, min, 0, 0, paris)
		}
		for _, te := range []ticket.TimeEntry{
			// 00:30 on 1 November in Paris is still 31 October in UTC.
			{TicketID: a1.ID, TechnicianID: e.techA.ID, Start: at(11, 1, 0, 30), Duration: time.Hour, OnSite: true, Travel: 20 * time.Minute, Billable: true},
			// 23:30 on 30 November in Paris: November, whatever UTC says.
			{TicketID: a1.ID, TechnicianID: e.techA.ID, Start: at(11, 30, 23, 30), Duration: 30 * time.Minute},
			{TicketID: a2.ID, TechnicianID: e.techA.ID, Start: at(11, 15, 10, 0), Duration: 45 * time.Minute, Billable: true},
			// Outside November in Paris, though 1 December 00:15 is 30 November in UTC.
			{TicketID: a1.ID, TechnicianID: e.techA.ID, Start: at(10, 31, 23, 30), Duration: 10 * time.Minute, Billable: true},
			{TicketID: a1.ID, TechnicianID: e.techA.ID, Start: at(12, 1, 0, 15), Duration: 20 * time.Minute, Billable: true},
			{TicketID: b1.ID, TechnicianID: e.techB.ID, Start: at(11, 10, 9, 0), Duration: 2 * time.Hour, Billable: true},
		} {
			if err := e.db.AddTimeEntry(t.Context(), &te); err != nil {
				t.Fatal(err)
			}
		}
		alpha := ticket.TimeTotal{ClientID: e.A.ID, ClientName: e.A.Name, Duration: 135 * time.Minute, Billable: 105 * time.Minute, OnSite: 1, Travel: 20 * time.Minute, Tickets: 2}
		bravo := ticket.TimeTotal{ClientID: e.B.ID, ClientName: e.B.Name, Duration: 2 * time.Hour, Billable: 2 * time.Hour, Tickets: 1}
		december := ticket.TimeTotal{ClientID: e.A.ID, ClientName: e.A.Name, Duration: 20 * time.Minute, Billable: 20 * time.Minute, Tickets: 1}
		november := at(11, 1, 0, 0)

		for _, tc := range []struct {
			name     string
			month    time.Time
			clientID int64
			user     user.User
			want     []ticket.TimeTotal
			err      error
		}{
			{name: "manager, every client", user: e.manager, month: november, want: []ticket.TimeTotal{alpha, bravo}},
			{name: "manager, one client", user: e.manager, month: november, clientID: e.B.ID, want: []ticket.TimeTotal{bravo}},
			{name: "manager, December", user: e.manager, month: at(12, 1, 0, 0), want: []ticket.TimeTotal{december}},
			{name: "manager, a month without time", user: e.manager, month: at(9, 1, 0, 0), want: []ticket.TimeTotal{}},
			{name: "technician limited to A", user: e.techA, month: november, want: []ticket.TimeTotal{alpha}},
			{name: "technician limited to A asks for B", user: e.techA, month: november, clientID: e.B.ID, err: fault.ErrNotFound},
			{name: "client admin", user: e.adminA, month: november, err: fault.ErrForbidden},
			{name: "client user", user: e.carlU, month: november, clientID: e.A.ID, err: fault.ErrForbidden},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctx, s := e.as(t, tc.user)
				got, err := e.svc.TimeReport(ctx, s, tc.month, tc.clientID)
				if tc.err != nil {
					if !errors.Is(err, tc.err) {
						t.Fatalf("err = %v, want %v", err, tc.err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("TimeReport = %+v, want %+v", got, tc.want)
				}
			})
		}
	})
}

func TestParseMonth(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     time.Time
		bad      bool
	}{
		{name: "empty", in: ""},
		{name: "month", in: "2026-11", want: time.Date(2026, 11, 1, 0, 0, 0, 0, paris)},
		{name: "spaces", in: " 2026-01 ", want: time.Date(2026, 1, 1, 0, 0, 0, 0, paris)},
		{name: "month 13", in: "2026-13", bad: true},
		{name: "a day", in: "2026-11-01", bad: true},
		{name: "words", in: "novembre", bad: true},
		{name: "too old", in: "1999-12", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ticket.ParseMonth("month", tc.in, paris)
			if tc.bad {
				wantInvalid(t, tc.in, err, "month")
				return
			}
			if err != nil || !got.Equal(tc.want) {
				t.Errorf("ParseMonth(%q) = %v, %v, want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func FuzzParseMonth(f *testing.F) {
	for _, s := range []string{"2026-11", "", "2026-13", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ticket.ParseMonth("month", s, paris)
		if err != nil {
			if _, ok := fault.AsInvalid(err); !ok {
				t.Fatalf("ParseMonth(%q) = %v, want a validation error", s, err)
			}
			return
		}
		if !m.IsZero() && (m.Day() != 1 || m.Hour() != 0 || m.Location() != paris) {
			t.Fatalf("ParseMonth(%q) = %v, not the first instant of a month", s, m)
		}
	})
}
