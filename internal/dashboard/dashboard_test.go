package dashboard_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/dashboard"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
)

var sys = tenant.System()

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func tp(t time.Time) *time.Time { return &t }

// now is the fixed moment of the data set: 15 November 2026, 10:00 UTC.
var now = time.Date(2026, time.November, 15, 10, 0, 0, 0, time.UTC)

// fixture is two clients: Alpha with five open tickets (on time, at risk,
// breached on record, breached by a running clock past due, paused past
// due), a resolved one, a critical problem, a warning in soft state and a
// contract ending in 30 days; Bravo with one breached ticket and a
// contract ending in a year.
type fixture struct {
	db           *store.DB
	alpha, bravo client.Client
}

func seed(t *testing.T, dialect string) fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.URL(t, dialect), nil)
	ok(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.Migrate(ctx)
	ok(t, err)
	f := fixture{db: db}
	f.alpha = client.Client{Code: "ALPHA", Name: "Alpha SARL", TimeZone: "Europe/Paris", Language: "fr"}
	f.bravo = client.Client{Code: "BRAVO", Name: "Bravo SAS", TimeZone: "Europe/Paris", Language: "fr"}
	ok(t, db.CreateClient(ctx, sys, &f.alpha))
	ok(t, db.CreateClient(ctx, sys, &f.bravo))

	mk := func(cid int64, level string, p ticket.Priority, st ticket.Status, created time.Time, s ticket.SLA) {
		t.Helper()
		tk := ticket.Ticket{ClientID: cid, Type: ticket.TypeIncident, Title: "Panne", Impact: 2, Urgency: 2, Priority: p, Status: st, Level: level, Created: created, SLA: s}
		if st != ticket.StatusNew {
			tk.OwnedAt = tp(created.Add(10 * time.Minute))
		}
		if !st.Open() {
			tk.ResolvedAt = tp(created.Add(time.Hour))
		}
		ok(t, db.CreateTicket(ctx, sys, &tk))
	}
	day := now.Add(-24 * time.Hour)
	future, past := now.Add(48*time.Hour), now.Add(-time.Hour)
	mk(f.alpha.ID, "N1", ticket.P2, ticket.StatusInProgress, day, ticket.SLA{Covered: true, TTRDue: &future})
	mk(f.alpha.ID, "N2", ticket.P1, ticket.StatusAssigned, day, ticket.SLA{Covered: true, TTRDue: &future, AtRisk: true})
	mk(f.alpha.ID, "N1", ticket.P3, ticket.StatusInProgress, day, ticket.SLA{Covered: true, TTRDue: &past, TTRBreachAt: &past, AtRisk: true})
	mk(f.alpha.ID, "N3", ticket.P4, ticket.StatusNew, day, ticket.SLA{Covered: true, TTODue: &past, TTRDue: &future})
	mk(f.alpha.ID, "N2", ticket.P3, ticket.StatusWaitingClient, day, ticket.SLA{Covered: true, TTRDue: &past, Paused: true})
	mk(f.alpha.ID, "N1", ticket.P1, ticket.StatusResolved, day, ticket.SLA{Covered: true, TTRDue: &past, TTRBreachAt: &past})
	mk(f.bravo.ID, "N1", ticket.P1, ticket.StatusAssigned, day, ticket.SLA{Covered: true, TTRDue: &past})

	// Alpha: a check in a hard CRITICAL (critical severity), one in a soft
	// WARNING (hard OK: not a problem), one pending.
	srv := asset.Asset{ClientID: f.alpha.ID, Kind: asset.KindServer, Name: "srv-alpha", Criticality: asset.CriticalityCritical, Fields: map[string]string{}}
	ok(t, db.CreateAsset(ctx, sys, &srv))
	var checks []int64
	for _, sev := range []supervision.Severity{supervision.SeverityCritical, supervision.SeverityMajor, supervision.SeverityMinor} {
		c := supervision.Check{ClientID: f.alpha.ID, AssetID: srv.ID, Name: "cpu " + string(sev), Enabled: true, Rules: supervision.Rules{
			Kind: supervision.KindCPU, Interval: 60, RetryInterval: 30, MaxAttempts: 3, RecoverAfter: 1, Severity: sev, Ticket: supervision.TicketNone}}
		ok(t, db.CreateCheck(ctx, sys, &c))
		checks = append(checks, c.ID)
	}
	q := `UPDATE check_status SET state = ?, hard_state = ?, state_type = ?, last_check = ?, sort_rank = ? WHERE check_id = ?`
	if db.Dialect() == store.Postgres {
		q = `UPDATE check_status SET state = $1, hard_state = $2, state_type = $3, last_check = $4, sort_rank = $5 WHERE check_id = $6`
	}
	_, err = db.SQL().ExecContext(ctx, q, 2, 2, 0, now, 0, checks[0])
	ok(t, err)
	_, err = db.SQL().ExecContext(ctx, q, 1, 0, 1, now, 4, checks[1])
	ok(t, err)

	contractOf := func(cid int64, ref string, end time.Time) {
		c := contract.Contract{ClientID: cid, Reference: ref, Title: "Infogérance", State: contract.StateActive,
			Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), End: &end, Renewal: contract.Renewal{Kind: contract.RenewalNone},
			Calendar: "mon-fri 08:00-18:00 Europe/Paris", Targets: map[sla.Priority]sla.Target{}, Availability: 99.5,
			Support: contract.Support{Mode: contract.SupportNone}, RetentionYears: 5,
			Perimeter: contract.Perimeter{Kinds: []asset.Kind{}, Sites: []int64{}, Include: []int64{}, Exclude: []int64{}}}
		ok(t, db.CreateContract(ctx, sys, &c))
	}
	contractOf(f.alpha.ID, "INF-A", time.Date(2026, time.December, 15, 0, 0, 0, 0, time.UTC))
	contractOf(f.bravo.ID, "INF-B", time.Date(2027, time.November, 30, 0, 0, 0, 0, time.UTC))
	return f
}

func TestStaffDashboard(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			f := seed(t, dialect)
			svc := dashboard.New(f.db, f.db, nil)
			ctx := context.Background()

			d, err := svc.Staff(ctx, tenant.Scope{UserID: 1, Role: tenant.RoleManager}, now)
			ok(t, err)
			if len(d.Lines) != 2 || d.Lines[0].Client.ID != f.alpha.ID || d.Lines[1].Client.ID != f.bravo.ID {
				t.Fatalf("lines = %+v, want Alpha (2 breached) then Bravo (1)", d.Lines)
			}
			a, b := d.Lines[0], d.Lines[1]
			want := dashboard.Open{Open: 5, AtRisk: 1, Breached: 2, ByLevel: map[string]int{"N1": 2, "N2": 2, "N3": 1}, ByPriority: [4]int{1, 1, 2, 1}}
			if !reflect.DeepEqual(a.Open, want) {
				t.Errorf("Alpha open = %+v, want %+v", a.Open, want)
			}
			if b.Open.Open != 1 || b.Open.Breached != 1 || b.Open.AtRisk != 0 {
				t.Errorf("Bravo open = %+v, want 1 open, 1 breached", b.Open)
			}
			if d.Open.Open != 6 || d.Open.Breached != 3 || d.Open.AtRisk != 1 {
				t.Errorf("totals = %+v, want 6 open, 3 breached, 1 at risk", d.Open)
			}
			if a.Problems.Total != 1 || a.Problems.Critical() != 1 || b.Problems.Total != 0 {
				t.Errorf("problems: Alpha %+v, Bravo %+v; want one critical for Alpha", a.Problems, b.Problems)
			}
			if len(d.Renewals) != 1 || d.Renewals[0].ClientID != f.alpha.ID || d.Renewals[0].Days != 30 || a.Renewal == nil || b.Renewal != nil {
				t.Errorf("renewals = %+v, want Alpha's contract in 30 days only", d.Renewals)
			}
			if !reflect.DeepEqual(d.Levels, []string{"N1", "N2", "N3"}) {
				t.Errorf("levels = %v", d.Levels)
			}

			// A technician limited to Bravo sees Bravo only.
			d, err = svc.Staff(ctx, tenant.Scope{UserID: 2, Role: tenant.RoleTechnician, Clients: []int64{f.bravo.ID}}, now)
			ok(t, err)
			if len(d.Lines) != 1 || d.Lines[0].Client.ID != f.bravo.ID || d.Open.Open != 1 || d.Problems.Total != 0 || len(d.Renewals) != 0 {
				t.Errorf("limited technician sees %+v", d)
			}

			// A client's user has no staff dashboard.
			_, err = svc.Staff(ctx, tenant.Scope{UserID: 3, Role: tenant.RoleClientAdmin, ClientID: f.alpha.ID}, now)
			if !errors.Is(err, fault.ErrForbidden) {
				t.Errorf("client admin: err = %v, want forbidden", err)
			}
		})
	}
}

func TestClientDashboard(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			f := seed(t, dialect)
			svc := dashboard.New(f.db, f.db, nil)
			ctx := context.Background()
			user := tenant.Scope{UserID: 3, Role: tenant.RoleClientUser, ClientID: f.alpha.ID}

			d, err := svc.Client(ctx, user, f.alpha.ID, now)
			ok(t, err)
			if d.Client.ID != f.alpha.ID || d.Open.Open != 5 || d.Open.Breached != 2 || d.Problems.Total != 1 || d.Renewal == nil {
				t.Errorf("Alpha's dashboard = %+v", d)
			}
			if len(d.Months) != dashboard.HistoryMonths+1 {
				t.Fatalf("%d months, want %d", len(d.Months), dashboard.HistoryMonths+1)
			}
			// The months are the monthly reports' figures, from the same
			// function: equal to what report.Figures gives the report.
			paris, _ := time.LoadLocation("Europe/Paris")
			for i, m := range d.Months {
				first := time.Date(2026, time.November, 1, 0, 0, 0, 0, paris).AddDate(0, i-dashboard.HistoryMonths, 0)
				want, err := report.Figures(ctx, f.db, f.alpha.ID, report.Month(first.Year(), first.Month(), paris), now)
				ok(t, err)
				if !reflect.DeepEqual(m, want) {
					t.Errorf("month %s: dashboard %+v, report %+v", first.Format("2006-01"), m.Tickets, want.Tickets)
				}
			}
			if r := d.Running(); r.Tickets.Opened != 6 || r.Tickets.Backlog != 5 || !r.Period.SoFar {
				t.Errorf("running month: opened %d, backlog %d, so far %v; want 6, 5, true", r.Tickets.Opened, r.Tickets.Backlog, r.Period.SoFar)
			}

			// Another client's dashboard is not found for Alpha's user.
			if _, err := svc.Client(ctx, user, f.bravo.ID, now); !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("Bravo as Alpha's user: err = %v, want not found", err)
			}
			// Nor for staff limited to Alpha.
			tech := tenant.Scope{UserID: 2, Role: tenant.RoleTechnician, Clients: []int64{f.alpha.ID}}
			if _, err := svc.Client(ctx, tech, f.bravo.ID, now); !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("Bravo as Alpha's technician: err = %v, want not found", err)
			}
		})
	}
}

func TestRenewalOf(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	at := time.Date(2026, time.November, 15, 10, 0, 0, 0, time.UTC)
	base := contract.Contract{ID: 1, ClientID: 1, Reference: "C", State: contract.StateActive, Start: day(2025, 1, 1)}
	with := func(end *time.Time, r contract.Renewal, st contract.State) contract.Contract {
		c := base
		c.End, c.Renewal, c.State = end, r, st
		return c
	}
	tests := []struct {
		name     string
		c        contract.Contract
		want     bool
		wantDays int
	}{
		{"ends in 30 days", with(tp(day(2026, 12, 15)), contract.Renewal{Kind: contract.RenewalNone}, contract.StateActive), true, 30},
		{"ends in 60 days", with(tp(day(2027, 1, 14)), contract.Renewal{Kind: contract.RenewalNone}, contract.StateActive), true, 60},
		{"ends in 61 days", with(tp(day(2027, 1, 15)), contract.Renewal{Kind: contract.RenewalNone}, contract.StateActive), false, 0},
		{"no end", with(nil, contract.Renewal{Kind: contract.RenewalNone}, contract.StateActive), false, 0},
		{"tacit, notice in 15 days", with(tp(day(2027, 2, 28)), contract.Renewal{Kind: contract.RenewalTacit, NoticeMonths: 3, TermMonths: 12}, contract.StateActive), true, 15},
		{"tacit, notice passed, renewed term far", with(tp(day(2026, 11, 30)), contract.Renewal{Kind: contract.RenewalTacit, NoticeMonths: 1, TermMonths: 12}, contract.StateActive), true, 15},
		{"draft is not in force", with(tp(day(2026, 12, 1)), contract.Renewal{Kind: contract.RenewalNone}, contract.StateDraft), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := dashboard.RenewalOf([]contract.Contract{tt.c}, at, time.UTC)
			if ok != tt.want || (ok && r.Days != tt.wantDays) {
				t.Errorf("RenewalOf = %+v, %v; want %v in %d days", r, ok, tt.want, tt.wantDays)
			}
		})
	}
}
