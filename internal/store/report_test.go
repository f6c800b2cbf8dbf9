package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// r0 and r1 bound the period of the report store tests.
var (
	r0 = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	r1 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
)

func TestReportStore(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) {
			requireDialect(t, store.Dialect(d))
			for _, c := range []struct {
				name string
				run  func(t *testing.T, db *store.DB)
			}{
				{"tickets", testReportTickets},
				{"ratings, time and status changes", testReportActivity},
				{"hard events", testReportHardEvents},
				{"assets, windows, backups and restores", testReportSupervision},
			} {
				t.Run(c.name, func(t *testing.T) { c.run(t, newTestDB(t, store.Dialect(d))) })
			}
		})
	}
}

func statusChange(t testing.TB, db *store.DB, id int64, at time.Time, from, to ticket.Status) {
	t.Helper()
	ok(t, db.AddEvent(t.Context(), &ticket.Event{TicketID: id, At: at, Kind: "status", From: string(from), To: string(to), Public: true}))
}

func testReportTickets(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	cat := ticket.Category{Name: "Réseau"}
	ok(t, db.SaveCategory(ctx, &cat))
	day := func(d int) time.Time { return r0.AddDate(0, 0, d) }
	in := mkTicket(t, db, w.A.ID, "opened in the period", func(tk *ticket.Ticket) {
		tk.Created, tk.CategoryID, tk.Priority, tk.Type = day(2), &cat.ID, ticket.P1, ticket.TypeRequest
		tk.OwnedAt, tk.SLA = ptrTime(day(3)), ticket.SLA{Covered: true, TTOBreachAt: ptrTime(day(2).Add(time.Hour))}
	})
	old := mkTicket(t, db, w.A.ID, "open since September", func(tk *ticket.Ticket) { tk.Created = day(-20) })
	statusChange(t, db, old.ID, day(-19), ticket.StatusNew, ticket.StatusInProgress)
	statusChange(t, db, old.ID, day(-5), ticket.StatusInProgress, ticket.StatusWaitingClient)
	statusChange(t, db, old.ID, day(40), ticket.StatusWaitingClient, ticket.StatusResolved) // after the end: not read
	mkTicket(t, db, w.A.ID, "done in September", func(tk *ticket.Ticket) {
		tk.Created, tk.Status, tk.ResolvedAt = day(-20), ticket.StatusResolved, ptrTime(day(-10))
	})
	lateFix := mkTicket(t, db, w.A.ID, "resolved in the period", func(tk *ticket.Ticket) {
		tk.Created, tk.Status, tk.ResolvedAt, tk.SLA = day(-20), ticket.StatusResolved, ptrTime(day(4)), ticket.SLA{Covered: true, TTRBreachAt: ptrTime(day(1))}
	})
	mkTicket(t, db, w.A.ID, "after the period", func(tk *ticket.Ticket) { tk.Created = day(35) })
	dup := mkTicket(t, db, w.A.ID, "duplicate", func(tk *ticket.Ticket) { tk.Created = day(2) })
	ok(t, db.MergeTicket(ctx, dup.ID, in.ID))
	mkTicket(t, db, w.B.ID, "Bravo's", func(tk *ticket.Ticket) { tk.Created = day(2) })

	// Out of the perimeter (the helpdesk sets the flag and its reason).
	_, err := db.SQL().ExecContext(ctx, fmt.Sprintf(`UPDATE tickets SET out_of_perimeter = (1 = 1), perimeter_reason = 'excluded' WHERE id = %d`, lateFix.ID))
	ok(t, err)
	got := must(db.ReportTickets(ctx, w.A.ID, r0, r1))(t)
	want := []report.TicketRow{
		{ID: in.ID, Title: "opened in the period", Type: ticket.TypeRequest, Priority: ticket.P1, CategoryID: cat.ID, Category: "Réseau", Created: day(2), Owned: ptrTime(day(3)),
			Covered: true, TTOBreach: ptrTime(day(2).Add(time.Hour))},
		{ID: old.ID, Title: "open since September", Type: ticket.TypeIncident, Priority: ticket.P3, Created: day(-20), StatusAtEnd: ticket.StatusWaitingClient},
		{ID: lateFix.ID, Title: "resolved in the period", Type: ticket.TypeIncident, Priority: ticket.P3, Created: day(-20), Resolved: ptrTime(day(4)), Covered: true,
			TTRBreach: ptrTime(day(1)), OutOfPerimeter: true, PerimeterReason: "excluded"},
	}
	sameJSON(t, "ticket rows", got, want)
	if got := must(db.ReportTickets(ctx, w.A.ID, day(-30), day(-15)))(t); len(got) != 3 {
		t.Errorf("rows of the first half of September: %d, want the 3 tickets created by then", len(got))
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

func testReportActivity(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	a := mkTicket(t, db, w.A.ID, "a", func(tk *ticket.Ticket) { tk.Created = r0.Add(-time.Hour) })
	a2 := mkTicket(t, db, w.A.ID, "a2", func(tk *ticket.Ticket) { tk.Created = r0.Add(-time.Hour) })
	b := mkTicket(t, db, w.B.ID, "b", func(tk *ticket.Ticket) { tk.Created = r0.Add(-time.Hour) })
	for _, tk := range []ticket.Ticket{a, b} {
		statusChange(t, db, tk.ID, r0.Add(-time.Minute), ticket.StatusNew, ticket.StatusInProgress)
		statusChange(t, db, tk.ID, r0.Add(time.Hour), ticket.StatusInProgress, ticket.StatusResolved)
		statusChange(t, db, tk.ID, r1, ticket.StatusResolved, ticket.StatusClosed)
		ok(t, db.AddEvent(ctx, &ticket.Event{TicketID: tk.ID, At: r0.Add(2 * time.Hour), Kind: "priority", From: "3", To: "1", Public: true}))
		for _, at := range []time.Time{r0.Add(-time.Second), r0, r1.Add(-time.Second), r1} {
			ok(t, db.AddTimeEntry(ctx, &ticket.TimeEntry{TicketID: tk.ID, TechnicianID: w.techA.ID, Start: at, Duration: 90 * time.Second, Travel: time.Minute, OnSite: true, Billable: at.Equal(r0)}))
		}
	}
	ok(t, db.SaveRating(ctx, &ticket.Rating{TicketID: a.ID, Score: 4, RatedAt: r0.Add(time.Hour)}))
	ok(t, db.SaveRating(ctx, &ticket.Rating{TicketID: a2.ID, Score: 2, RatedAt: r1}))
	ok(t, db.SaveRating(ctx, &ticket.Rating{TicketID: b.ID, Score: 1, RatedAt: r0.Add(time.Hour)}))

	sameJSON(t, "status changes", must(db.ReportStatusChanges(ctx, w.A.ID, r0, r1))(t),
		[]report.StatusChange{{TicketID: a.ID, At: r0.Add(time.Hour), From: ticket.StatusInProgress, To: ticket.StatusResolved}})
	sameJSON(t, "ratings", must(db.ReportRatings(ctx, w.A.ID, r0, r1))(t), []report.Rating{{TicketID: a.ID, Score: 4, At: r0.Add(time.Hour)}})
	sameJSON(t, "time", must(db.ReportTime(ctx, w.A.ID, r0, r1))(t), []report.TimeRow{
		{TicketID: a.ID, Technician: "Tina Tech", Start: r0, Duration: 90 * time.Second, Travel: time.Minute, OnSite: true, Billable: true},
		{TicketID: a.ID, Technician: "Tina Tech", Start: r1.Add(-time.Second), Duration: 90 * time.Second, Travel: time.Minute, OnSite: true},
	})
}

func hardEvent(c supervision.Check, at time.Time, kind check.EventKind, to check.State) supervision.Event {
	typ := check.Hard
	if kind == check.SoftChange {
		typ = check.Soft
	}
	return supervision.Event{CheckID: c.ID, Event: check.Event{At: at, Kind: kind, To: to, Type: typ}}
}

func testReportHardEvents(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	srv := mkAsset(t, db, w.A.ID, asset.KindServer, "srv")
	quiet := mkAsset(t, db, w.A.ID, asset.KindServer, "quiet")
	bsrv := mkAsset(t, db, w.B.ID, asset.KindServer, "bravo")
	ping := mkCheck(t, db, srv.ID, "ping", supervision.KindPing, nil)
	cpu := mkCheck(t, db, quiet.ID, "cpu", supervision.KindCPU, nil)
	never := mkCheck(t, db, quiet.ID, "never", supervision.KindCPU, nil)
	bping := mkCheck(t, db, bsrv.ID, "ping", supervision.KindPing, nil)
	events := []supervision.Event{
		hardEvent(ping, r0.AddDate(0, 0, -9), check.Problem, check.Critical),
		hardEvent(ping, r0.AddDate(0, 0, -8), check.Recovery, check.OK), // the last hard one before
		hardEvent(ping, r0.AddDate(0, 0, -7), check.SoftChange, check.Warning),
		hardEvent(ping, r0, check.Problem, check.Critical),
		hardEvent(ping, r0.Add(time.Minute), check.SoftChange, check.OK),
		hardEvent(ping, r0.Add(time.Hour), check.SeverityChange, check.Unknown),
		hardEvent(ping, r1, check.Recovery, check.OK), // at the end: excluded
		hardEvent(cpu, r0.AddDate(0, -2, 0), check.Problem, check.Warning),
		hardEvent(bping, r0.Add(time.Hour), check.Problem, check.Critical),
		hardEvent(bping, r0.AddDate(0, 0, -1), check.Problem, check.Critical),
	}
	ok(t, db.SaveResults(ctx, nil, events))
	got := must(db.ReportHardEvents(ctx, w.A.ID, []int64{srv.ID, quiet.ID, bsrv.ID}, r0, r1))(t)
	slices.SortFunc(got, func(a, b supervision.Event) int { return int(a.ID - b.ID) })
	ids := make([]int64, len(got))
	for i, e := range got {
		ids[i] = e.ID
	}
	want := []int64{events[1].ID, events[3].ID, events[5].ID, events[7].ID}
	if !slices.Equal(ids, want) {
		t.Errorf("hard events %v, want %v (the last before, the period's, none of Bravo, none of %d)", ids, want, never.ID)
	}
	if len(got) == 4 && (got[0].Kind != check.Recovery || !got[0].At.Equal(r0.AddDate(0, 0, -8)) || got[0].CheckID != ping.ID || got[0].AssetID != srv.ID) {
		t.Errorf("event read back: %+v", got[0])
	}
	if got := must(db.ReportHardEvents(ctx, w.A.ID, []int64{quiet.ID}, r0, r1))(t); len(got) != 1 || got[0].ID != events[7].ID {
		t.Errorf("hard events of the quiet asset: %+v, want its one event from August", got)
	}
	if got := must(db.ReportHardEvents(ctx, w.A.ID, nil, r0, r1))(t); len(got) != 0 {
		t.Errorf("hard events of no asset: %+v", got)
	}
	problems := must(db.ReportProblems(ctx, w.A.ID, r0.AddDate(0, 0, -9), r1))(t)
	sameJSON(t, "problems", problems, []report.Problem{{CheckID: ping.ID, At: r0.AddDate(0, 0, -9), State: check.Critical}, {CheckID: ping.ID, At: r0, State: check.Critical}})
}

func testReportSupervision(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	srv := mkAsset(t, db, w.A.ID, asset.KindServer, "srv")
	srv.Criticality, srv.SiteID = asset.CriticalityCritical, &w.siteA.ID
	ok(t, db.UpdateAsset(ctx, sys, &srv))
	job := mkAsset(t, db, w.A.ID, asset.KindBackup, "veeam")
	bjob := mkAsset(t, db, w.B.ID, asset.KindBackup, "bravo veeam")
	ping := mkCheck(t, db, srv.ID, "ping", supervision.KindPing, func(c *supervision.Check) { c.Severity = supervision.SeverityCritical })
	vc := mkCheck(t, db, job.ID, "job", supervision.KindBackupJob, func(c *supervision.Check) { c.Enabled = false })
	bc := mkCheck(t, db, bjob.ID, "job", supervision.KindBackupJob, nil)

	assets, checks := must2(db.ReportAssets(ctx, w.A.ID))(t)
	sameJSON(t, "assets", assets, []report.AssetRow{{ID: srv.ID, SiteID: w.siteA.ID, Name: "srv", Criticality: "critical"}, {ID: job.ID, Name: "veeam", Criticality: "normal"}})
	sameJSON(t, "checks", checks, []report.CheckRow{
		{ID: ping.ID, AssetID: srv.ID, Name: "ping", AssetName: "srv", Kind: supervision.KindPing, Severity: supervision.SeverityCritical, Enabled: true},
		{ID: vc.ID, AssetID: job.ID, Name: "job", AssetName: "veeam", Kind: supervision.KindBackupJob, Severity: supervision.SeverityMajor},
	})

	win := supervision.Window{Window: check.Window{ClientID: w.A.ID, SiteID: w.siteA.ID, From: r0, To: r0.Add(time.Hour), Comment: "baie"}}
	ok(t, db.CreateWindow(ctx, sys, &win))
	ok(t, db.CreateWindow(ctx, sys, &supervision.Window{Window: check.Window{ClientID: w.B.ID, From: r0, To: r1}}))
	ws := must(db.ReportWindows(ctx, w.A.ID))(t)
	if len(ws) != 1 || ws[0].SiteID != w.siteA.ID || !ws[0].From.Equal(r0) {
		t.Errorf("windows %+v, want Alpha's site window", ws)
	}

	for _, r := range []supervision.BackupRun{
		{CheckID: vc.ID, At: r0.Add(-time.Second), OK: true, Source: "agent"},
		{CheckID: vc.ID, At: r0, OK: false, Source: "agent"},
		{CheckID: vc.ID, At: r1, OK: true, Source: "agent"},
		{CheckID: bc.ID, At: r0.Add(time.Hour), OK: true, Source: "agent"},
	} {
		ok(t, db.AddBackupRun(ctx, &r))
	}
	runs := must(db.ReportBackupRuns(ctx, w.A.ID, r0, r1))(t)
	if len(runs) != 1 || runs[0].OK || !runs[0].At.Equal(r0) || runs[0].CheckID != vc.ID {
		t.Errorf("backup runs %+v, want the failed run at the start", runs)
	}

	for _, rt := range []supervision.RestoreTest{
		{AssetID: job.ID, TestedAt: r0.AddDate(0, 0, -30), Scope: "old", Result: supervision.RestoreOK},
		{AssetID: job.ID, TestedAt: r0.AddDate(0, 0, 10), Scope: "latest", Result: supervision.RestorePartial},
		{AssetID: job.ID, TestedAt: r1, Scope: "after", Result: supervision.RestoreOK},
		{AssetID: srv.ID, TestedAt: r0.AddDate(0, 0, 3), Scope: "srv", Result: supervision.RestoreFailed},
		{AssetID: bjob.ID, TestedAt: r0.AddDate(0, 0, 3), Scope: "bravo", Result: supervision.RestoreOK},
	} {
		ok(t, db.AddRestoreTest(ctx, sys, &rt))
	}
	restores := must(db.ReportRestoreTests(ctx, w.A.ID, r1))(t)
	var scopes []string
	for _, r := range restores {
		scopes = append(scopes, r.Scope)
	}
	if !slices.Equal(scopes, []string{"srv", "latest"}) && !slices.Equal(scopes, []string{"latest", "srv"}) {
		t.Errorf("restore tests %v, want the last of each of Alpha's assets before the end", scopes)
	}
}

// BenchmarkMonthly computes a month of figures for a client with 2,000
// tickets (with their status changes, time entries and ratings) and 500
// assets (50 critical, 3 checks each, a hard problem and recovery every
// other day over 30 days, 50 backup jobs with a run a day) on SQLite.
func BenchmarkMonthly(b *testing.B) {
	d := store.SQLite
	db := newTestDB(b, d)
	ctx := context.Background()
	w := newWorld(b, db)
	loc, err := time.LoadLocation("Europe/Paris")
	ok(b, err)
	p := report.Month(2026, 10, loc)
	start := p.From.UTC()
	err = db.InTx(ctx, func(ctx context.Context) error {
		cats := make([]int64, 8)
		for i := range cats {
			c := ticket.Category{Name: fmt.Sprintf("Catégorie %d", i)}
			if err := db.SaveCategory(ctx, &c); err != nil {
				return err
			}
			cats[i] = c.ID
		}
		for i := range 2000 {
			created := start.Add(time.Duration(i) * 20 * time.Minute).Add(-7 * 24 * time.Hour) // from late September on
			owned := created.Add(time.Duration(10+i%50) * time.Minute)
			tk := ticket.Ticket{ClientID: w.A.ID, Type: ticket.Types[i%3], Title: "Incident", Impact: 2, Urgency: 2, Priority: ticket.Priority(1 + i%4),
				Status: ticket.StatusInProgress, Level: "N1", Created: created, Updated: created, OwnedAt: &owned, CategoryID: &cats[i%len(cats)],
				SLA: ticket.SLA{Covered: true}}
			resolved := owned.Add(time.Duration(1+i%30) * time.Hour)
			if i%5 != 0 {
				tk.Status, tk.ResolvedAt = ticket.StatusResolved, &resolved
			}
			if err := db.CreateTicket(ctx, sys, &tk); err != nil {
				return err
			}
			for _, e := range []ticket.Event{
				{TicketID: tk.ID, At: owned, Kind: "status", From: "new", To: "in-progress", Public: true},
				{TicketID: tk.ID, At: resolved, Kind: "status", From: "in-progress", To: "resolved", Public: true},
			} {
				if e.To == "resolved" && tk.ResolvedAt == nil {
					continue
				}
				if err := db.AddEvent(ctx, &e); err != nil {
					return err
				}
			}
			if err := db.AddTimeEntry(ctx, &ticket.TimeEntry{TicketID: tk.ID, TechnicianID: w.techA.ID, Start: owned, Duration: 30 * time.Minute, Billable: i%2 == 0}); err != nil {
				return err
			}
			if i%4 == 0 && tk.ResolvedAt != nil {
				if err := db.SaveRating(ctx, &ticket.Rating{TicketID: tk.ID, Score: 1 + i%5, RatedAt: resolved.Add(time.Hour)}); err != nil {
					return err
				}
			}
		}
		var events []supervision.Event
		for i := range 500 {
			a := asset.Asset{ClientID: w.A.ID, Kind: asset.KindServer, Name: fmt.Sprintf("srv-%03d", i), Criticality: asset.CriticalityNormal, Fields: map[string]string{}}
			if i%10 == 0 {
				a.Criticality = asset.CriticalityCritical
			}
			if err := db.CreateAsset(ctx, sys, &a); err != nil {
				return err
			}
			for j, kind := range []supervision.Kind{supervision.KindPing, supervision.KindCPU, supervision.KindFilesystem} {
				c := supervision.Check{AssetID: a.ID, Name: string(kind), Rules: rules(kind), Enabled: true}
				if j == 0 {
					c.Severity = supervision.SeverityCritical
				}
				if err := db.CreateCheck(ctx, sys, &c); err != nil {
					return err
				}
				for day := 0; day < 30; day += 2 {
					at := start.Add(time.Duration(day)*24*time.Hour + time.Duration(i+j)*time.Minute)
					events = append(events, hardEvent(c, at, check.Problem, check.Critical), hardEvent(c, at.Add(20*time.Minute), check.Recovery, check.OK))
				}
			}
			if i%10 == 5 {
				c := supervision.Check{AssetID: a.ID, Name: "backup", Rules: rules(supervision.KindBackupJob), Enabled: true}
				if err := db.CreateCheck(ctx, sys, &c); err != nil {
					return err
				}
				for day := range 30 {
					if err := db.AddBackupRun(ctx, &supervision.BackupRun{CheckID: c.ID, At: start.Add(time.Duration(day) * 24 * time.Hour), OK: day%7 != 0, Source: "agent"}); err != nil {
						return err
					}
				}
			}
		}
		return db.SaveResults(ctx, nil, events)
	})
	ok(b, err)
	now := p.To.Add(24 * time.Hour)
	var m report.Monthly
	for b.Loop() {
		m, err = report.Figures(ctx, db, w.A.ID, p, now)
		if err != nil {
			b.Fatal(err)
		}
	}
	if m.Tickets.Opened == 0 || len(m.Availability) != 50 || m.Alerts.Count == 0 || m.Backups.Success.Whole != 50*30 {
		b.Fatalf("figures of the benchmark data: opened %d, %d availabilities, %d alerts, %d backup runs", m.Tickets.Opened, len(m.Availability), m.Alerts.Count, m.Backups.Success.Whole)
	}
}
