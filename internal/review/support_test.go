package review_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/review"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

// TestOneSupportFigure checks that the support time against the contract
// is one figure: the contract page's (contract.Service.Usage), the monthly
// report's (report.Figures → Support) and the service review's support
// commitment agree, on each database, for a client whose months start
// the day before in UTC (Pacific/Auckland, UTC+13 in October), with time
// in and out of the perimeter, billable or not, travel and on-site visits,
// under a monthly contract and under a pack.
func TestOneSupportFigure(t *testing.T) {
	akl, err := time.LoadLocation("Pacific/Auckland")
	ok(t, err)
	lt := func(month time.Month, day, hour, minute int) time.Time {
		return time.Date(2026, month, day, hour, minute, 0, 0, akl)
	}
	now := time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)
	clk := func() time.Time { return now }
	const cal = `{"tz":"Pacific/Auckland","week":{"mon":["08:00-18:00"],"tue":["08:00-18:00"],"wed":["08:00-18:00"],"thu":["08:00-18:00"],"fri":["08:00-18:00"]}}`
	packStart := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := t.Context()
			db := openDB(t, dialect)
			tech := user.User{Email: "tina@msp.example", Name: "Tina", Role: tenant.RoleTechnician, Level: user.LevelN2, Language: "en"}
			ok(t, db.CreateUser(ctx, &tech, "$argon2id$fake"))
			contracts := contract.NewService(db, nil, clk)
			svc := review.NewService(db, contracts, nil, clk)
			for _, tc := range []struct {
				code    string
				support contract.Support
				// October's figure and the fourth quarter's.
				october, quarter, included, quarterIncluded int
				level                                       contract.Level
			}{
				// Monthly: October is 60 + 45 + 15 min (the 20 min of
				// 30 September and the 30 min of 1 November, local
				// time, are their months'; the non-billable visit, the
				// travel and the out-of-perimeter 90 min never count).
				{"MONTHLY", contract.Support{Mode: contract.SupportMonthly, Minutes: 120}, 120, 150, 120, 360, contract.LevelExhausted},
				// Pack since 1 September: its consumption at the end of
				// October, then of December.
				{"PACK", contract.Support{Mode: contract.SupportPack, Minutes: 600, PackStart: &packStart}, 140, 170, 600, 600, contract.LevelOK},
			} {
				t.Run(tc.code, func(t *testing.T) {
					cl := client.Client{Code: tc.code, Name: tc.code, TimeZone: "Pacific/Auckland", Language: "en"}
					ok(t, db.CreateClient(ctx, sys, &cl))
					ok(t, contracts.Create(ctx, sys, &contract.Contract{ClientID: cl.ID, Reference: tc.code + "-1", Title: "Support", State: contract.StateActive,
						Start: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), Calendar: cal, Availability: 99, OnSitePerMonth: 1, Support: tc.support}))
					mk := func(title string) int64 {
						tk := ticket.Ticket{ClientID: cl.ID, Title: title, Type: ticket.TypeIncident, Priority: 3, Impact: 2, Urgency: 2, Level: "N1",
							Status: ticket.StatusInProgress, Created: lt(9, 1, 9, 0)}
						tk.Updated = tk.Created
						ok(t, db.CreateTicket(ctx, sys, &tk))
						return tk.ID
					}
					in, out := mk("in"), mk("out")
					_, err := db.SQL().ExecContext(ctx, fmt.Sprintf(`UPDATE tickets SET out_of_perimeter = (1 = 1), perimeter_reason = 'kind_not_included' WHERE id = %d`, out))
					ok(t, err)
					for _, e := range []struct {
						id               int64
						start            time.Time
						d, travel        time.Duration
						billable, onSite bool
					}{
						{in, lt(9, 30, 23, 50), 20 * time.Minute, 0, true, false},
						{in, lt(10, 1, 0, 30), time.Hour, 0, true, false},
						{in, lt(10, 15, 9, 0), 45 * time.Minute, 30 * time.Minute, true, true},
						{in, lt(10, 20, 9, 0), 2 * time.Hour, 0, false, true},
						{out, lt(10, 10, 9, 0), 90 * time.Minute, 0, true, true},
						{in, lt(10, 31, 23, 0), 15 * time.Minute, 0, true, true},
						{in, lt(11, 1, 0, 10), 30 * time.Minute, 0, true, false},
					} {
						ok(t, db.AddTimeEntry(ctx, &ticket.TimeEntry{TicketID: e.id, TechnicianID: tech.ID, Start: e.start, Duration: e.d,
							Travel: e.travel, Billable: e.billable, OnSite: e.onSite}))
					}

					// The contract page, at the end of October.
					u, found, err := contracts.Usage(ctx, sys, cl.ID, lt(10, 31, 23, 59))
					ok(t, err)
					if !found || u.Support != time.Duration(tc.october)*time.Minute || u.OnSite != 2 {
						t.Fatalf("contract usage: found %v, %v, %d on site; want %d min, 2", found, u.Support, u.OnSite, tc.october)
					}
					// The monthly report.
					m, err := report.Figures(ctx, db, cl.ID, report.Month(2026, 10, akl), now)
					ok(t, err)
					s := m.Support
					if !s.Measured() || s.ConsumedMinutes != tc.october || time.Duration(s.IncludedMinutes)*time.Minute != u.Included ||
						s.Level != u.SupportLevel || s.Level != tc.level || s.OnSite != u.OnSite || s.OnSiteIncluded != 1 ||
						s.OnSiteLevel != u.OnSiteLevel || s.OutOfPerimeterBillableMinutes != 90 {
						t.Errorf("report support = %+v, contract usage %+v", s, u)
					}
					// The month's billable time, a different figure: it counts
					// the out-of-perimeter 90 min, billed on top.
					if m.Time.BillableMinutes != 120+90 {
						t.Errorf("billable time = %d, want October's 120 min in the perimeter plus 90 out of it", m.Time.BillableMinutes)
					}
					// The service review, of October and of the quarter.
					for _, p := range []struct {
						period        report.Period
						minutes, inc  int
						onSite, quota int
					}{
						{report.Month(2026, 10, akl), tc.october, tc.included, 2, 1},
						{report.Quarter(2026, 4, akl), tc.quarter, tc.quarterIncluded, 2, 3},
					} {
						rv, err := svc.Get(ctx, sys, cl.ID, p.period)
						ok(t, err)
						got := map[string]review.Commitment{}
						for _, c := range rv.Commitments {
							got[c.Kind] = c
						}
						sup, site := got[review.KindSupport], got[review.KindOnSite]
						if sup.Minutes != p.minutes || sup.TargetMinutes != p.inc || site.Count != p.onSite || site.TargetCount != p.quota {
							t.Errorf("%s: review support %d of %d, on site %d of %d; want %d of %d, %d of %d", p.period.Label(),
								sup.Minutes, sup.TargetMinutes, site.Count, site.TargetCount, p.minutes, p.inc, p.onSite, p.quota)
						}
						if rq, err := report.Figures(ctx, db, cl.ID, p.period, now); err != nil || rq.Support.ConsumedMinutes != sup.Minutes {
							t.Errorf("%s: report %d min, review %d (%v)", p.period.Label(), rq.Support.ConsumedMinutes, sup.Minutes, err)
						}
					}
				})
			}
		})
	}
}
