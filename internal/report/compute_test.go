package report

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/ticket"
)

var (
	from  = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	until = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
)

// at is a day and hour of October 2026 (day 0 is 30 September, day 32 is 1 November).
func at(day, hour int) time.Time { return time.Date(2026, 10, day, hour, 0, 0, 0, time.UTC) }

func ptr(t time.Time) *time.Time { return &t }

func f64(v float64) *float64 { return &v }

func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s =\n%s\nwant\n%s", what, g, w)
	}
}

func TestTicketFigures(t *testing.T) {
	inc, req, chg := ticket.TypeIncident, ticket.TypeRequest, ticket.TypeChange
	tests := []struct {
		name  string
		rows  []TicketRow
		check func(t *testing.T, f Tickets)
	}{
		{"opened and closed split by type, priority and category", []TicketRow{
			{ID: 1, Type: inc, Priority: 1, CategoryID: 7, Category: "Réseau", Created: at(2, 9), Resolved: ptr(at(3, 9))},
			{ID: 2, Type: req, Priority: 3, Created: at(5, 9)},
			{ID: 3, Type: chg, Priority: 4, CategoryID: 8, Category: "Messagerie", Created: at(-2, 9), Resolved: ptr(at(4, 9))},
			{ID: 4, Type: inc, Priority: 2, CategoryID: 7, Category: "Réseau", Created: at(-5, 9)}, // backlog only
		}, func(t *testing.T, f Tickets) {
			if f.Opened != 2 || f.Closed != 2 {
				t.Errorf("opened %d closed %d, want 2 and 2", f.Opened, f.Closed)
			}
			sameJSON(t, "by type", f.ByType, []Count{{Key: "incident", Opened: 1, Closed: 1}, {Key: "request", Opened: 1}, {Key: "change", Closed: 1}})
			sameJSON(t, "by priority", f.ByPriority, []Count{{Key: "P1", Opened: 1, Closed: 1}, {Key: "P2"}, {Key: "P3", Opened: 1}, {Key: "P4", Closed: 1}})
			sameJSON(t, "by category", f.ByCategory, []Count{{Key: "8", Label: "Messagerie", Closed: 1}, {Key: "7", Label: "Réseau", Opened: 1, Closed: 1}, {Key: "0", Opened: 1}})
			if f.Backlog != 2 {
				t.Errorf("backlog %d, want 2 (tickets 2 and 4)", f.Backlog)
			}
		}},
		{"mean times are wall clock, over the clocks stopped in the period", []TicketRow{
			{ID: 1, Type: inc, Priority: 1, Created: at(2, 9), Owned: ptr(at(2, 10)), Resolved: ptr(at(2, 13))},
			{ID: 2, Type: inc, Priority: 1, Created: at(0, 22), Owned: ptr(at(1, 1)), Resolved: ptr(at(3, 22))},
			{ID: 3, Type: inc, Priority: 1, Created: at(-3, 9), Owned: ptr(at(-3, 10))}, // owned before: not counted
		}, func(t *testing.T, f Tickets) {
			sameJSON(t, "mean to own", f.MeanToOwnMinutes, f64(120))          // (60 + 180) / 2
			sameJSON(t, "mean to resolve", f.MeanToResolveMinutes, f64(2280)) // (240 + 4320) / 2
			if f.Owned != 2 {
				t.Errorf("owned %d, want 2", f.Owned)
			}
		}},
		{"compliance counts covered clocks stopped in the period", []TicketRow{
			{ID: 1, Type: inc, Priority: 1, Created: at(2, 9), Owned: ptr(at(2, 10)), Resolved: ptr(at(2, 13)), Covered: true},
			{ID: 2, Type: inc, Priority: 1, Created: at(2, 9), Owned: ptr(at(2, 12)), TTOBreach: ptr(at(2, 11)), Resolved: ptr(at(4, 9)), TTRBreach: ptr(at(3, 9)), Covered: true},
			{ID: 3, Type: inc, Priority: 1, Created: at(2, 9), Owned: ptr(at(2, 10)), Resolved: ptr(at(9, 9)), Covered: false},
			{ID: 4, Type: inc, Priority: 1, Created: at(2, 9), TTOBreach: ptr(at(2, 11)), Covered: true}, // clock still running
		}, func(t *testing.T, f Tickets) {
			sameJSON(t, "TTO", f.TTO, Compliance{Met: 1, Total: 2, Percent: f64(50)})
			sameJSON(t, "TTR", f.TTR, Compliance{Met: 1, Total: 2, Percent: f64(50)})
		}},
		{"no clock: no percent", []TicketRow{{ID: 1, Type: inc, Priority: 1, Created: at(2, 9)}}, func(t *testing.T, f Tickets) {
			if f.TTO.Percent != nil || f.TTR.Percent != nil || f.MeanToOwnMinutes != nil || f.MeanToResolveMinutes != nil {
				t.Errorf("figures of nothing: %+v", f)
			}
		}},
		{"backlog reads the status at the end of the period", []TicketRow{
			{ID: 1, Type: inc, Priority: 1, Created: at(2, 9), Resolved: ptr(at(40, 9)), StatusAtEnd: ticket.StatusInProgress}, // resolved after
			{ID: 2, Type: inc, Priority: 1, Created: at(2, 9), StatusAtEnd: ticket.StatusResolved},                             // reopened after the end
			{ID: 3, Type: inc, Priority: 1, Created: at(2, 9), Resolved: ptr(at(20, 9)), StatusAtEnd: ticket.StatusResolved},   // resolved in it
			{ID: 4, Type: inc, Priority: 1, Created: at(2, 9), StatusAtEnd: ticket.StatusWaitingClient},                        // waiting: open
			{ID: 5, Type: inc, Priority: 1, Created: at(40, 9)},                                                                // created after
			{ID: 6, Type: inc, Priority: 1, Created: at(-40, 9), Resolved: ptr(at(35, 9)), StatusAtEnd: ticket.StatusClosed},   // closed before the end
		}, func(t *testing.T, f Tickets) {
			if f.Backlog != 2 {
				t.Errorf("backlog %d, want 2 (tickets 1 and 4)", f.Backlog)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, TicketFigures(tt.rows, nil, from, until)) })
	}
}

func TestReopenRate(t *testing.T) {
	res := func(id int64, day int, from ticket.Status) StatusChange {
		return StatusChange{TicketID: id, At: at(day, 9), From: from, To: ticket.StatusResolved}
	}
	reopen := func(id int64, day int) StatusChange {
		return StatusChange{TicketID: id, At: at(day, 12), From: ticket.StatusResolved, To: ticket.StatusInProgress}
	}
	tests := []struct {
		name    string
		changes []StatusChange
		want    Ratio
	}{
		{"none", nil, Ratio{}},
		{"one of two reopened", []StatusChange{res(1, 2, ticket.StatusInProgress), res(2, 3, ticket.StatusInProgress), reopen(2, 4)}, Ratio{Part: 1, Whole: 2, Percent: f64(50)}},
		{"reopened twice counts once", []StatusChange{res(1, 2, ticket.StatusInProgress), reopen(1, 3), res(1, 4, ticket.StatusInProgress), reopen(1, 5)}, Ratio{Part: 1, Whole: 1, Percent: f64(100)}},
		{"reopen of a ticket resolved before the period is not counted", []StatusChange{reopen(1, 3)}, Ratio{}},
		{"closing a resolved ticket is no second resolution", []StatusChange{res(1, 2, ticket.StatusInProgress), {TicketID: 1, At: at(3, 9), From: ticket.StatusResolved, To: ticket.StatusClosed}}, Ratio{Whole: 1, Percent: f64(0)}},
		{"closing an open ticket resolves it", []StatusChange{{TicketID: 1, At: at(3, 9), From: ticket.StatusNew, To: ticket.StatusClosed}, {TicketID: 1, At: at(4, 9), From: ticket.StatusClosed, To: ticket.StatusInProgress}}, Ratio{Part: 1, Whole: 1, Percent: f64(100)}},
		{"out of order input", []StatusChange{reopen(1, 4), res(1, 2, ticket.StatusInProgress), res(2, 40, ticket.StatusNew)}, Ratio{Part: 1, Whole: 1, Percent: f64(100)}},
		{"a third", []StatusChange{res(1, 2, ticket.StatusNew), res(2, 2, ticket.StatusNew), res(3, 2, ticket.StatusNew), reopen(3, 2)}, Ratio{Part: 1, Whole: 3, Percent: f64(33.33)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { sameJSON(t, "reopen", ReopenRate(tt.changes, from, until), tt.want) })
	}
}

func TestSatisfactionOf(t *testing.T) {
	tests := []struct {
		name    string
		ratings []Rating
		want    Satisfaction
	}{
		{"none", nil, Satisfaction{}},
		{"average of three", []Rating{{Score: 5}, {Score: 4}, {Score: 4}}, Satisfaction{Count: 3, Average: f64(4.33), Scores: [5]int{0, 0, 0, 2, 1}}},
		{"out of range ignored", []Rating{{Score: 0}, {Score: 1}, {Score: 6}}, Satisfaction{Count: 1, Average: f64(1), Scores: [5]int{1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { sameJSON(t, "satisfaction", SatisfactionOf(tt.ratings), tt.want) })
	}
}

func TestTimeOf(t *testing.T) {
	tests := []struct {
		name    string
		entries []TimeRow
		want    TimeSpent
	}{
		{"none", nil, TimeSpent{}},
		{"billable, on site, travel", []TimeRow{
			{TicketID: 1, Duration: 90 * time.Minute, Billable: true, OnSite: true, Travel: 40 * time.Minute},
			{TicketID: 1, Duration: 20 * time.Minute},
			{TicketID: 2, Duration: 45*time.Minute + 30*time.Second, Billable: true},
		}, TimeSpent{Entries: 3, Tickets: 2, TotalMinutes: 156, BillableMinutes: 136, NonBillableMinutes: 20, OnSiteMinutes: 90, OnSiteEntries: 1, TravelMinutes: 40}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { sameJSON(t, "time", TimeOf(tt.entries), tt.want) })
	}
}

func ev(checkID int64, t time.Time, kind check.EventKind, to check.State) supervision.Event {
	typ := check.Hard
	if kind == check.SoftChange {
		typ = check.Soft
	}
	return supervision.Event{CheckID: checkID, Event: check.Event{At: t, Kind: kind, To: to, Type: typ}}
}

func TestAvailabilityOf(t *testing.T) {
	assets := []AssetRow{
		{ID: 1, Name: "srv-files", Criticality: "critical", SiteID: 5},
		{ID: 2, Name: "pc-accueil", Criticality: "normal"},
		{ID: 3, Name: "fw-01", Criticality: "critical"},
		{ID: 4, Name: "nas", Criticality: "critical"},
	}
	checks := []CheckRow{
		{ID: 10, AssetID: 1, Name: "ping", Severity: supervision.SeverityCritical, Enabled: true},
		{ID: 11, AssetID: 1, Name: "disk", Severity: supervision.SeverityMinor, Enabled: true}, // not critical: ignored for asset 1
		{ID: 20, AssetID: 2, Name: "ping", Severity: supervision.SeverityCritical, Enabled: true},
		{ID: 30, AssetID: 3, Name: "https", Severity: supervision.SeverityMajor, Enabled: true}, // no critical check: all count
		{ID: 31, AssetID: 3, Name: "old", Severity: supervision.SeverityCritical, Enabled: false},
	}
	events := []supervision.Event{
		ev(10, at(-3, 0), check.Recovery, check.OK),     // state known at from
		ev(10, at(2, 0), check.Problem, check.Critical), // down 12 h
		ev(10, at(2, 12), check.Recovery, check.OK),
		ev(10, at(5, 0), check.SoftChange, check.Critical), // soft: still up
		ev(11, at(1, 0), check.Problem, check.Critical),    // not deciding
		ev(10, at(9, 0), check.Problem, check.Critical),    // down 2 h, 1 h of it in maintenance
		ev(10, at(9, 2), check.Recovery, check.OK),
		ev(30, at(11, 0), check.Problem, check.Warning), // warning is up
		ev(31, at(1, 0), check.Problem, check.Critical), // disabled
	}
	windows := []check.Window{
		{SiteID: 5, ClientID: 9, From: at(9, 1), To: at(9, 3)},
		{AssetID: 2, From: at(1, 0), To: at(30, 0)},
	}
	got := AvailabilityOf(9, assets, checks, events, windows, from, until)
	month := 31 * 24 * 60.0
	want := []Availability{
		{AssetID: 3, Asset: "fw-01", Checks: 1, UpMinutes: month - 10*24*60, NoDataMinutes: 10 * 24 * 60, Percent: f64(100)},
		{AssetID: 4, Asset: "nas", NoDataMinutes: month},
		{AssetID: 1, Asset: "srv-files", Checks: 1, UpMinutes: month - 13*60 - 120, DownMinutes: 13 * 60, MaintenanceMinutes: 120, Percent: f64(round(100*(month-13*60-120)/(month-120), 3))},
	}
	sameJSON(t, "availability", got, want)
}

func TestAlertsOf(t *testing.T) {
	checks := []CheckRow{
		{ID: 1, AssetID: 1, Name: "ping", AssetName: "srv-files"},
		{ID: 2, AssetID: 2, Name: "disk C:", AssetName: "pc-accueil"},
		{ID: 3, AssetID: 2, Name: "cpu", AssetName: "pc-accueil"},
	}
	pb := func(checkID int64, t time.Time, maintenance bool) Problem {
		return Problem{CheckID: checkID, At: t, Maintenance: maintenance}
	}
	var problems []Problem
	for d := 1; d <= 4; d++ {
		problems = append(problems, pb(1, at(d, 9), false))
	}
	for d := 1; d <= 3; d++ {
		problems = append(problems, pb(2, at(d, 9), false))
	}
	problems = append(problems,
		pb(3, at(5, 9), false), pb(3, at(6, 9), false), pb(3, at(7, 9), true), // 2 counted: not recurring
		pb(3, at(-2, 9), false), pb(3, at(32, 9), false), // out of the period
	)
	got := AlertsOf(checks, problems, from, until)
	sameJSON(t, "alerts", got, Alerts{Count: 9, InMaintenance: 1, Recurring: []Recurring{
		{CheckID: 1, Check: "ping", AssetID: 1, Asset: "srv-files", Problems: 4},
		{CheckID: 2, Check: "disk C:", AssetID: 2, Asset: "pc-accueil", Problems: 3},
	}})
	if got := AlertsOf(nil, nil, from, until); got.Recurring == nil || got.Count != 0 {
		t.Errorf("no events: %+v, want zero alerts and an empty list", got)
	}
}

func TestBackupsOf(t *testing.T) {
	checks := []CheckRow{
		{ID: 1, AssetID: 10, Name: "veeam", AssetName: "Sauvegarde NAS", Kind: supervision.KindBackupPush},
		{ID: 2, AssetID: 11, Name: "rsync", AssetName: "backup-web", Kind: supervision.KindBackupJob},
		{ID: 3, AssetID: 12, Name: "ping", AssetName: "srv", Kind: supervision.KindPing},
	}
	run := func(checkID int64, day int, ok bool) supervision.BackupRun {
		return supervision.BackupRun{CheckID: checkID, At: at(day, 2), OK: ok}
	}
	runs := []supervision.BackupRun{run(1, 1, true), run(1, 3, false), run(1, 2, true), run(1, 4, true)}
	restores := []supervision.RestoreTest{
		{AssetID: 10, TestedAt: at(-20, 9), Result: "ok", Scope: "old"},
		{AssetID: 10, TestedAt: at(15, 9), Result: "partial", Scope: "one VM"},
		{AssetID: 12, TestedAt: at(15, 9), Result: "ok"},
	}
	got := BackupsOf(checks, runs, restores)
	sameJSON(t, "backups", got, Backups{Success: Ratio{Part: 3, Whole: 4, Percent: f64(75)}, Jobs: []BackupJob{
		{CheckID: 2, Check: "rsync", AssetID: 11, Asset: "backup-web"},
		{CheckID: 1, Check: "veeam", AssetID: 10, Asset: "Sauvegarde NAS", Success: Ratio{Part: 3, Whole: 4, Percent: f64(75)},
			LastRun: ptr(at(4, 2)), LastRunOK: true, LastRestore: &Restore{At: at(15, 9), Result: "partial", Scope: "one VM"}},
	}})
}
