package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/metric"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

var sys = tenant.System()

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func openDB(t testing.TB, dialect string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.URL(t, dialect), nil)
	ok(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.Migrate(ctx)
	ok(t, err)
	return db
}

// utc is a moment of autumn 2026 in UTC.
func utc(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2026, month, day, hour, minute, 0, 0, time.UTC)
}

func tp(t time.Time) *time.Time { return &t }

// fixture is the fixed data set of the golden files: client Alpha's October
// 2026 (Europe/Paris), with rows just outside the period and a client Bravo
// whose rows must never count.
type fixture struct {
	alpha, bravo client.Client
}

func seed(t *testing.T, db *store.DB) fixture {
	t.Helper()
	ctx := t.Context()
	var f fixture
	f.alpha = client.Client{Code: "ALPHA", Name: "Alpha SARL", TimeZone: "Europe/Paris", Language: "fr"}
	f.bravo = client.Client{Code: "BRAVO", Name: "Bravo SAS", TimeZone: "Europe/Paris", Language: "fr"}
	ok(t, db.CreateClient(ctx, sys, &f.alpha))
	ok(t, db.CreateClient(ctx, sys, &f.bravo))
	site := client.Site{ClientID: f.alpha.ID, Name: "Siège"}
	ok(t, db.CreateSite(ctx, sys, &site))
	tech := user.User{Email: "tina@msp.example", Name: "Tina Tech", Role: tenant.RoleTechnician, Level: user.LevelN2, Language: "fr"}
	ok(t, db.CreateUser(ctx, &tech, "$argon2id$fake"))
	network, mail := ticket.Category{Name: "Réseau"}, ticket.Category{Name: "Messagerie"}
	ok(t, db.SaveCategory(ctx, &network))
	ok(t, db.SaveCategory(ctx, &mail))

	// ---- helpdesk ----
	type change struct {
		at       time.Time
		from, to ticket.Status
	}
	mk := func(tk ticket.Ticket, changes ...change) ticket.Ticket {
		t.Helper()
		if tk.ClientID == 0 {
			tk.ClientID = f.alpha.ID
		}
		if tk.Title == "" {
			tk.Title = "Ticket"
		}
		tk.Impact, tk.Urgency, tk.Level = 2, 2, "N1"
		if tk.Status == "" {
			tk.Status = ticket.StatusNew
		}
		tk.Updated = tk.Created
		ok(t, db.CreateTicket(ctx, sys, &tk))
		for _, c := range changes {
			ok(t, db.AddEvent(ctx, &ticket.Event{TicketID: tk.ID, At: c.at, Kind: "status", From: string(c.from), To: string(c.to), Public: true}))
		}
		return tk
	}
	entry := func(id int64, start time.Time, d, travel time.Duration, billable, onSite bool) {
		t.Helper()
		ok(t, db.AddTimeEntry(ctx, &ticket.TimeEntry{TicketID: id, TechnicianID: tech.ID, Start: start, Duration: d, Travel: travel, Billable: billable, OnSite: onSite}))
	}
	rate := func(id int64, score int, at time.Time) {
		t.Helper()
		ok(t, db.SaveRating(ctx, &ticket.Rating{TicketID: id, Score: score, RatedAt: at}))
	}
	// 1: a P1 network incident owned in 20 min and resolved in 3 h, in time.
	t1 := mk(ticket.Ticket{Type: ticket.TypeIncident, Priority: 1, CategoryID: &network.ID, Status: ticket.StatusResolved,
		Created: utc(10, 2, 8, 0), OwnedAt: tp(utc(10, 2, 8, 20)), ResolvedAt: tp(utc(10, 2, 11, 0)), SLA: ticket.SLA{Covered: true}},
		change{utc(10, 2, 8, 20), ticket.StatusNew, ticket.StatusAssigned}, change{utc(10, 2, 11, 0), ticket.StatusAssigned, ticket.StatusResolved})
	entry(t1.ID, utc(10, 2, 9, 0), 45*time.Minute, 30*time.Minute, true, true)
	rate(t1.ID, 5, utc(10, 3, 9, 0))
	// 2: a mail request owned late (TTO breached), resolved in time, closed.
	t2 := mk(ticket.Ticket{Type: ticket.TypeRequest, Priority: 3, CategoryID: &mail.ID, Status: ticket.StatusClosed,
		Created: utc(10, 5, 9, 0), OwnedAt: tp(utc(10, 5, 13, 0)), ResolvedAt: tp(utc(10, 9, 9, 0)), ClosedAt: tp(utc(10, 12, 9, 0)),
		SLA: ticket.SLA{Covered: true, TTOBreachAt: tp(utc(10, 5, 11, 0))}},
		change{utc(10, 5, 13, 0), ticket.StatusNew, ticket.StatusInProgress}, change{utc(10, 9, 9, 0), ticket.StatusInProgress, ticket.StatusResolved},
		change{utc(10, 12, 9, 0), ticket.StatusResolved, ticket.StatusClosed})
	entry(t2.ID, utc(10, 9, 8, 0), 20*time.Minute, 0, true, false)
	rate(t2.ID, 4, utc(10, 10, 9, 0))
	// 3: an incident from September, resolved, reopened, resolved again late.
	t3 := mk(ticket.Ticket{Type: ticket.TypeIncident, Priority: 2, Status: ticket.StatusResolved,
		Created: utc(9, 28, 14, 0), OwnedAt: tp(utc(9, 28, 14, 30)), ResolvedAt: tp(utc(10, 7, 16, 0)),
		SLA: ticket.SLA{Covered: true, TTRBreachAt: tp(utc(10, 2, 14, 0))}},
		change{utc(9, 28, 14, 30), ticket.StatusNew, ticket.StatusInProgress}, change{utc(10, 6, 10, 0), ticket.StatusInProgress, ticket.StatusResolved},
		change{utc(10, 6, 15, 0), ticket.StatusResolved, ticket.StatusInProgress}, change{utc(10, 7, 16, 0), ticket.StatusInProgress, ticket.StatusResolved})
	rate(t3.ID, 2, utc(10, 8, 9, 0))
	// 4: a change without SLA, still in progress: backlog.
	t4 := mk(ticket.Ticket{Type: ticket.TypeChange, Priority: 4, CategoryID: &network.ID, Status: ticket.StatusInProgress,
		Created: utc(10, 20, 9, 0), OwnedAt: tp(utc(10, 21, 9, 0))},
		change{utc(10, 21, 9, 0), ticket.StatusNew, ticket.StatusInProgress})
	entry(t4.ID, utc(10, 21, 10, 0), 2*time.Hour, 0, false, false)
	entry(t4.ID, utc(11, 2, 10, 0), time.Hour, 0, true, false) // November: not counted
	// 5: a new P1 whose TTO is already breached: backlog, no stopped clock.
	mk(ticket.Ticket{Type: ticket.TypeIncident, Priority: 1, Created: utc(10, 30, 17, 0), SLA: ticket.SLA{Covered: true, TTOBreachAt: tp(utc(10, 30, 17, 30))}})
	// 6: opened in October, resolved in November: backlog at the end of October.
	mk(ticket.Ticket{Type: ticket.TypeIncident, Priority: 2, CategoryID: &mail.ID, Status: ticket.StatusResolved,
		Created: utc(10, 25, 9, 0), OwnedAt: tp(utc(10, 26, 9, 0)), ResolvedAt: tp(utc(11, 3, 9, 0)), SLA: ticket.SLA{Covered: true}},
		change{utc(10, 26, 9, 0), ticket.StatusNew, ticket.StatusInProgress}, change{utc(11, 3, 9, 0), ticket.StatusInProgress, ticket.StatusResolved})
	// 7: resolved in October, reopened in November (open now): not backlog.
	mk(ticket.Ticket{Type: ticket.TypeRequest, Priority: 3, Status: ticket.StatusInProgress,
		Created: utc(10, 14, 9, 0), OwnedAt: tp(utc(10, 14, 9, 5))},
		change{utc(10, 14, 9, 5), ticket.StatusNew, ticket.StatusInProgress}, change{utc(10, 15, 9, 0), ticket.StatusInProgress, ticket.StatusResolved},
		change{utc(11, 4, 9, 0), ticket.StatusResolved, ticket.StatusInProgress})
	// 8: all in September: nothing.
	mk(ticket.Ticket{Type: ticket.TypeRequest, Priority: 3, Status: ticket.StatusClosed,
		Created: utc(9, 1, 9, 0), OwnedAt: tp(utc(9, 1, 9, 5)), ResolvedAt: tp(utc(9, 2, 9, 0)), ClosedAt: tp(utc(9, 3, 9, 0))},
		change{utc(9, 2, 9, 0), ticket.StatusNew, ticket.StatusResolved})
	// 9: a duplicate of ticket 1, merged into it: never counted.
	dup := mk(ticket.Ticket{Type: ticket.TypeIncident, Priority: 1, Created: utc(10, 2, 8, 5)})
	ok(t, db.MergeTicket(ctx, dup.ID, t1.ID))
	// 10: out of the perimeter (a workstation under a servers-only
	// contract): listed apart with its time, its late resolution left out of
	// the TTR compliance.
	evolution := ticket.Category{Name: "Évolutions"}
	ok(t, db.SaveCategory(ctx, &evolution))
	t10 := mk(ticket.Ticket{Type: ticket.TypeIncident, Priority: 2, Title: "Poste de l'accueil en panne", Status: ticket.StatusResolved,
		Created: utc(10, 13, 8, 30), OwnedAt: tp(utc(10, 13, 8, 40)), ResolvedAt: tp(utc(10, 14, 16, 0)),
		SLA: ticket.SLA{Covered: true, TTRBreachAt: tp(utc(10, 13, 16, 30))}},
		change{utc(10, 13, 8, 40), ticket.StatusNew, ticket.StatusInProgress}, change{utc(10, 14, 16, 0), ticket.StatusInProgress, ticket.StatusResolved})
	_, err := db.SQL().ExecContext(ctx, fmt.Sprintf(`UPDATE tickets SET out_of_perimeter = (1 = 1), perimeter_reason = 'kind_not_included' WHERE id = %d`, t10.ID))
	ok(t, err)
	entry(t10.ID, utc(10, 13, 9, 0), 90*time.Minute, 20*time.Minute, true, true)
	// 11, 12: evolution requests — one asked in October, still new; one
	// from September, done in October. 13: a request in another category.
	mk(ticket.Ticket{Type: ticket.TypeRequest, Priority: 4, Title: "Accès VPN pour les commerciaux", CategoryID: &evolution.ID, Created: utc(10, 13, 14, 0)})
	mk(ticket.Ticket{Type: ticket.TypeRequest, Priority: 3, Title: "Wi-Fi invités", CategoryID: &evolution.ID, Status: ticket.StatusResolved,
		Created: utc(9, 10, 9, 0), OwnedAt: tp(utc(9, 10, 10, 0)), ResolvedAt: tp(utc(10, 13, 17, 0))},
		change{utc(9, 10, 10, 0), ticket.StatusNew, ticket.StatusInProgress}, change{utc(10, 13, 17, 0), ticket.StatusInProgress, ticket.StatusResolved})
	// 14: last year's ticket, for the annual comparison.
	mk(ticket.Ticket{Type: ticket.TypeIncident, Priority: 3, Title: "Imprimante", Status: ticket.StatusResolved,
		Created: time.Date(2025, 11, 5, 9, 0, 0, 0, time.UTC), OwnedAt: tp(time.Date(2025, 11, 5, 9, 30, 0, 0, time.UTC)),
		ResolvedAt: tp(time.Date(2025, 11, 6, 9, 0, 0, 0, time.UTC))},
		change{time.Date(2025, 11, 6, 9, 0, 0, 0, time.UTC), ticket.StatusNew, ticket.StatusResolved})

	// Bravo's ticket and time.
	b1 := mk(ticket.Ticket{ClientID: f.bravo.ID, Type: ticket.TypeIncident, Priority: 1, Created: utc(10, 3, 9, 0), OwnedAt: tp(utc(10, 3, 9, 1)), SLA: ticket.SLA{Covered: true}},
		change{utc(10, 3, 9, 1), ticket.StatusNew, ticket.StatusInProgress})
	entry(b1.ID, utc(10, 3, 10, 0), time.Hour, 0, true, true)
	rate(b1.ID, 1, utc(10, 4, 9, 0))

	// ---- contract ----
	// Alpha's contract: 1 h 20 min of support and 2 on-site interventions
	// a month. October's billable time in the perimeter is tickets 1 and
	// 2 (65 min, 81 %: the 80 % warning); ticket 10's is out of the
	// perimeter, billed on top; the travel of ticket 1 is not counted.
	contracts := contract.NewService(db, nil, func() time.Time { return utc(11, 10, 12, 0) })
	ok(t, contracts.Create(ctx, sys, &contract.Contract{ClientID: f.alpha.ID, Reference: "SRV-2026", Title: "Serveurs", State: contract.StateActive,
		Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Availability: 99.5, OnSitePerMonth: 2,
		Calendar: `{"tz":"Europe/Paris","week":{"mon":["08:00-18:00"],"tue":["08:00-18:00"],"wed":["08:00-18:00"],"thu":["08:00-18:00"],"fri":["08:00-18:00"]}}`,
		Support:  contract.Support{Mode: contract.SupportMonthly, Minutes: 80}}))

	// ---- supervision ----
	mkAsset := func(clientID int64, siteID *int64, kind asset.Kind, name string, crit asset.Criticality) asset.Asset {
		t.Helper()
		a := asset.Asset{ClientID: clientID, SiteID: siteID, Kind: kind, Name: name, Criticality: crit, Fields: map[string]string{}}
		ok(t, db.CreateAsset(ctx, sys, &a))
		return a
	}
	mkCheck := func(a asset.Asset, name string, kind supervision.Kind, sev supervision.Severity) supervision.Check {
		t.Helper()
		c := supervision.Check{AssetID: a.ID, Name: name, Enabled: true, Rules: supervision.Rules{Kind: kind, Interval: 60, RetryInterval: 30,
			MaxAttempts: 3, RecoverAfter: 1, Severity: sev, Ticket: supervision.TicketOpen}}
		if kind == supervision.KindBackupPush {
			c.PushToken = "push-" + name
		}
		ok(t, db.CreateCheck(ctx, sys, &c))
		return c
	}
	files := mkAsset(f.alpha.ID, &site.ID, asset.KindServer, "srv-files", asset.CriticalityCritical)
	fw := mkAsset(f.alpha.ID, nil, asset.KindNetwork, "fw-01", asset.CriticalityCritical)
	mkAsset(f.alpha.ID, nil, asset.KindServer, "srv-new", asset.CriticalityCritical) // no check: no data
	pc := mkAsset(f.alpha.ID, nil, asset.KindWorkstation, "pc-accueil", asset.CriticalityNormal)
	nas := mkAsset(f.alpha.ID, nil, asset.KindBackup, "Sauvegarde NAS", asset.CriticalityHigh)
	bsrv := mkAsset(f.bravo.ID, nil, asset.KindServer, "bravo-srv", asset.CriticalityCritical)
	ping := mkCheck(files, "ping", supervision.KindPing, supervision.SeverityCritical)
	disk := mkCheck(files, "disque D:", supervision.KindFilesystem, supervision.SeverityMinor)
	https := mkCheck(fw, "https", supervision.KindHTTP, supervision.SeverityMajor)
	pcPing := mkCheck(pc, "ping", supervision.KindPing, supervision.SeverityCritical)
	veeam := mkCheck(nas, "veeam", supervision.KindBackupPush, supervision.SeverityMajor)
	bPing := mkCheck(bsrv, "ping", supervision.KindPing, supervision.SeverityCritical)

	ev := func(c supervision.Check, at time.Time, kind check.EventKind, to check.State, maintenance bool) supervision.Event {
		typ := check.Hard
		if kind == check.SoftChange {
			typ = check.Soft
		}
		return supervision.Event{CheckID: c.ID, Event: check.Event{At: at, Kind: kind, To: to, Type: typ, Maintenance: maintenance}}
	}
	events := []supervision.Event{
		ev(ping, utc(9, 20, 0, 0), check.Recovery, check.OK, false), // known at the start
		ev(ping, utc(10, 8, 10, 0), check.Problem, check.Critical, false),
		ev(ping, utc(10, 8, 12, 0), check.Recovery, check.OK, false),
		ev(ping, utc(10, 15, 21, 30), check.Problem, check.Critical, true), // during the site's maintenance
		ev(ping, utc(10, 16, 0, 30), check.Recovery, check.OK, true),
		ev(ping, utc(10, 22, 3, 0), check.Problem, check.Critical, false),
		ev(ping, utc(10, 22, 3, 30), check.Recovery, check.OK, false),
		ev(ping, utc(10, 23, 3, 0), check.SoftChange, check.Critical, false), // soft: still up
		ev(ping, utc(10, 24, 3, 0), check.Problem, check.Unknown, false),
		ev(ping, utc(10, 24, 4, 0), check.Recovery, check.OK, false),
		ev(disk, utc(10, 10, 0, 0), check.Problem, check.Warning, false), // minor check: alert, not availability
		ev(disk, utc(10, 12, 0, 0), check.Recovery, check.OK, false),
		ev(disk, utc(10, 13, 10, 0), check.Problem, check.Critical, false),
		ev(https, utc(10, 4, 12, 0), check.Recovery, check.OK, false), // first known state
		ev(https, utc(10, 12, 9, 0), check.Problem, check.Critical, false),
		ev(https, utc(10, 12, 9, 45), check.Recovery, check.OK, false),
		ev(https, utc(10, 18, 1, 0), check.Problem, check.Critical, true), // Sunday 03:00 Paris: recurring maintenance
		ev(https, utc(10, 18, 1, 30), check.Recovery, check.OK, true),
		ev(pcPing, utc(10, 19, 8, 0), check.Problem, check.Critical, false),
		ev(ping, utc(11, 2, 8, 0), check.Problem, check.Critical, false),  // November
		ev(bPing, utc(10, 5, 8, 0), check.Problem, check.Critical, false), // Bravo
		ev(bPing, utc(10, 6, 8, 0), check.Problem, check.Critical, false),
		ev(bPing, utc(10, 7, 8, 0), check.Problem, check.Critical, false),
	}
	ok(t, db.SaveResults(ctx, nil, events))
	paris, err := time.LoadLocation("Europe/Paris")
	ok(t, err)
	windows := []supervision.Window{
		{Window: check.Window{ClientID: f.alpha.ID, SiteID: site.ID, From: utc(10, 15, 21, 0), To: utc(10, 16, 1, 0), Comment: "Baie"}},
		{Window: check.Window{ClientID: f.alpha.ID, AssetID: fw.ID, Weekdays: []time.Weekday{time.Sunday}, Start: 2 * time.Hour, Duration: 2 * time.Hour, Location: paris, Comment: "Mises à jour"}},
		{Window: check.Window{ClientID: f.bravo.ID, From: utc(10, 1, 0, 0), To: utc(10, 31, 0, 0)}},
	}
	for i := range windows {
		ok(t, db.CreateWindow(ctx, sys, &windows[i]))
	}
	for day := 1; day <= 10; day++ {
		ok(t, db.AddBackupRun(ctx, &supervision.BackupRun{CheckID: veeam.ID, At: utc(10, day, 1, 0), OK: day != 4 && day != 9, Source: "push"}))
	}
	ok(t, db.AddBackupRun(ctx, &supervision.BackupRun{CheckID: veeam.ID, At: utc(9, 30, 1, 0), OK: false, Source: "push"}))
	ok(t, db.AddBackupRun(ctx, &supervision.BackupRun{CheckID: veeam.ID, At: utc(10, 13, 1, 0), OK: true, Source: "push"}))
	for _, rt := range []supervision.RestoreTest{
		{AssetID: nas.ID, TestedAt: utc(9, 15, 14, 0), Scope: "un fichier", Result: supervision.RestoreOK, Minutes: 5},
		{AssetID: nas.ID, TestedAt: utc(10, 20, 14, 0), Scope: "=VM complète", Result: supervision.RestorePartial, Minutes: 95},
		{AssetID: nas.ID, TestedAt: utc(11, 5, 14, 0), Scope: "après", Result: supervision.RestoreOK, Minutes: 10},
	} {
		ok(t, db.AddRestoreTest(ctx, sys, &rt))
	}

	// ---- filesystems (agent metrics), a sample every 6 hours in October ----
	metrics := metric.NewService(db, func() time.Time { return utc(11, 10, 12, 0) }, nil)
	fsSeries := func(a asset.Asset, mount string, at func(day float64) float64) {
		t.Helper()
		s := agentproto.Series{Name: agentproto.MetricFSUsed, Labels: map[string]string{"mount": mount}}
		for h := 0; h < 31*24; h += 6 {
			when := utc(10, 1, 0, 0).Add(time.Duration(h) * time.Hour)
			s.T, s.V = append(s.T, when.UnixMilli()), append(s.V, at(float64(h)/24))
		}
		_, err := metrics.Append(ctx, a.ClientID, a.ID, []agentproto.Series{s}, metric.AppendOptions{AllowPast: true})
		ok(t, err)
	}
	fsSeries(files, "/data", func(d float64) float64 { return 60 + 0.8*d }) // full in about 20 days
	fsSeries(files, "/boot", func(d float64) float64 { return 40 })         // steady: not listed
	fsSeries(files, "C:", func(d float64) float64 { return 92 })            // 92 % used, steady: listed
	fsSeries(pc, "/", func(d float64) float64 { return 80 - 0.2*d })        // shrinking
	fsSeries(bsrv, "/", func(d float64) float64 { return 50 + 2*d })        // Bravo's: never listed
	return f
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		ok(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	ok(t, err)
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the computed figures (go test -run Golden -update rewrites it):\n%s", path, got)
	}
}

// TestMonthlyGolden computes October 2026 for Alpha on each database and
// compares its JSON and CSV with the golden files.
func TestMonthlyGolden(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			db := openDB(t, dialect)
			f := seed(t, db)
			paris, err := time.LoadLocation(f.alpha.TimeZone)
			ok(t, err)
			now := utc(11, 10, 12, 0)
			m, err := report.Figures(t.Context(), db, f.alpha.ID, report.Month(2026, 10, paris), now)
			ok(t, err)
			js, err := json.MarshalIndent(m, "", "  ")
			ok(t, err)
			golden(t, "monthly.golden.json", append(js, '\n'))
			golden(t, "monthly.golden.csv", m.CSV())

			// One source: each asset's availability is the one the
			// supervision service shows on the asset page.
			svc := supervision.NewService(db.Supervision(), nil, func() time.Time { return now }, nil)
			for _, a := range m.Availability {
				u, err := svc.AssetAvailability(t.Context(), sys, a.AssetID, m.Period.From, m.Period.Until)
				ok(t, err)
				if a.UpMinutes != u.Up.Minutes() || a.DownMinutes != u.Down.Minutes() || a.MaintenanceMinutes != u.Maintenance.Minutes() || a.NoDataMinutes != u.NoData.Minutes() {
					t.Errorf("availability of %s: report %+v, supervision %+v", a.Asset, a, u)
				}
			}

			// The month so far: figures stop at now.
			now = utc(10, 8, 11, 0)
			m, err = report.Figures(t.Context(), db, f.alpha.ID, report.Month(2026, 10, paris), now)
			ok(t, err)
			if !m.Period.SoFar || !m.Period.Until.Equal(now) || m.Tickets.Opened != 2 || m.Tickets.Closed != 2 || m.Alerts.Count != 1 {
				t.Errorf("October so far on the 8th: %+v %+v, want 2 opened, 2 closed, 1 alert up to now", m.Period, m.Tickets)
			}
			_, err = report.Figures(t.Context(), db, f.alpha.ID, report.Month(2026, 11, paris), now)
			if v, isInvalid := fault.AsInvalid(err); !isInvalid || !v.Has("from") {
				t.Errorf("a future month: %v, want a fault.Invalid on from", err)
			}
			_, err = report.Figures(t.Context(), db, f.alpha.ID, report.Month(2026, 10, time.UTC), now)
			if v, isInvalid := fault.AsInvalid(err); !isInvalid || !v.Has("time_zone") {
				t.Errorf("a month in UTC for a client in Paris: %v, want a fault.Invalid on time_zone", err)
			}
			_, err = report.Figures(t.Context(), db, f.bravo.ID+100, report.Month(2026, 10, paris), now)
			if !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("an unknown client: %v, want fault.ErrNotFound", err)
			}
		})
	}
}

// TestDailyGolden computes Alpha's 13 October 2026 on each database: a
// ticket out of the perimeter opened, an evolution request opened and
// another resolved, a disk alert, an on-site intervention and a backup run.
func TestDailyGolden(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			db := openDB(t, dialect)
			f := seed(t, db)
			paris, err := time.LoadLocation(f.alpha.TimeZone)
			ok(t, err)
			d, err := report.DailyFigures(t.Context(), db, f.alpha.ID, report.Day(2026, 10, 13, paris), utc(11, 10, 12, 0))
			ok(t, err)
			js, err := json.MarshalIndent(d, "", "  ")
			ok(t, err)
			golden(t, "daily.golden.json", append(js, '\n'))
			golden(t, "daily.golden.csv", d.CSV())

			// One source: the day's counts are Figures' over the same day.
			m, err := report.Figures(t.Context(), db, f.alpha.ID, report.Day(2026, 10, 13, paris), utc(11, 10, 12, 0))
			ok(t, err)
			if len(d.Opened) != m.Tickets.Opened || len(d.Closed) != m.Tickets.Closed || d.AlertCount != m.Alerts.Count ||
				d.Time != m.Time || !sameJSON(t, d.BackupSuccess, m.Backups.Success) {
				t.Errorf("daily %d/%d/%d/%+v/%+v, Figures of the day %d/%d/%d/%+v/%+v", len(d.Opened), len(d.Closed), d.AlertCount, d.Time,
					d.BackupSuccess, m.Tickets.Opened, m.Tickets.Closed, m.Alerts.Count, m.Time, m.Backups.Success)
			}
			_, err = report.DailyFigures(t.Context(), db, f.alpha.ID, report.Month(2026, 10, paris), utc(11, 10, 12, 0))
			if v, isInvalid := fault.AsInvalid(err); !isInvalid || !v.Has("period") {
				t.Errorf("a month as a day: %v, want a fault.Invalid on period", err)
			}
			_, err = report.DailyFigures(t.Context(), db, f.alpha.ID, report.Day(2026, 11, 11, paris), utc(11, 10, 12, 0))
			if v, isInvalid := fault.AsInvalid(err); !isInvalid || !v.Has("from") {
				t.Errorf("tomorrow: %v, want a fault.Invalid on from", err)
			}
		})
	}
}

// TestAnnualGolden computes Alpha's 2026 on 10 November (January to
// November so far, 2025 to compare) on each database.
func TestAnnualGolden(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			db := openDB(t, dialect)
			f := seed(t, db)
			paris, err := time.LoadLocation(f.alpha.TimeZone)
			ok(t, err)
			now := utc(11, 10, 12, 0)
			a, err := report.AnnualFigures(t.Context(), db, f.alpha.ID, report.Year(2026, paris), now)
			ok(t, err)
			js, err := json.MarshalIndent(a, "", "  ")
			ok(t, err)
			golden(t, "annual.golden.json", append(js, '\n'))
			golden(t, "annual.golden.csv", a.CSV())

			// One source: each month is Figures over it, and the months
			// add up to the year.
			opened, closed, ttoMet, ttoTotal := 0, 0, 0, 0
			for i, mt := range a.Months {
				m, err := report.Figures(t.Context(), db, f.alpha.ID, report.Month(2026, time.Month(i+1), paris), now)
				ok(t, err)
				if got := report.Trend(m); !sameJSON(t, got, mt) {
					t.Errorf("month %s: annual %+v, Figures %+v", mt.Label, mt, got)
				}
				opened, closed, ttoMet, ttoTotal = opened+mt.Opened, closed+mt.Closed, ttoMet+mt.TTO.Met, ttoTotal+mt.TTO.Total
			}
			if len(a.Months) != 11 || opened != a.Year.Opened || closed != a.Year.Closed || ttoMet != a.Year.TTO.Met || ttoTotal != a.Year.TTO.Total {
				t.Errorf("%d months adding to %d opened, %d closed, TTO %d/%d; year %+v", len(a.Months), opened, closed, ttoMet, ttoTotal, a.Year)
			}
			if a.Previous == nil || a.Previous.Opened != 1 {
				t.Errorf("previous year %+v, want 2025's one ticket", a.Previous)
			}
			_, err = report.AnnualFigures(t.Context(), db, f.alpha.ID, report.Month(2026, 10, paris), now)
			if v, isInvalid := fault.AsInvalid(err); !isInvalid || !v.Has("period") {
				t.Errorf("a month as a year: %v, want a fault.Invalid on period", err)
			}
		})
	}
}

func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	x, err := json.Marshal(a)
	ok(t, err)
	y, err := json.Marshal(b)
	ok(t, err)
	return bytes.Equal(x, y)
}
