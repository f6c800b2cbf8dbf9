package report

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// Tickets are the helpdesk figures of a period.
type Tickets struct {
	Opened int `json:"opened"` // created in the period
	Closed int `json:"closed"` // resolved in the period (and not reopened since)
	// ByType, ByPriority and ByCategory split Opened and Closed. Every type
	// and priority is listed; categories only when they have a ticket.
	ByType     []Count `json:"by_type"`
	ByPriority []Count `json:"by_priority"`
	ByCategory []Count `json:"by_category"`
	// Mean wall-clock time from creation to ownership of the tickets owned
	// in the period, and to resolution of those resolved in it (minutes).
	Owned                int      `json:"owned"`
	MeanToOwnMinutes     *float64 `json:"mean_to_own_minutes"`
	MeanToResolveMinutes *float64 `json:"mean_to_resolve_minutes"`
	// TTO and TTR compliance among the SLA-covered tickets whose clock
	// stopped in the period (owned, resolved); tickets out of the
	// contract's perimeter are left out.
	TTO Compliance `json:"tto"`
	TTR Compliance `json:"ttr"`
	// Backlog is the tickets open at the end of the period.
	Backlog int `json:"backlog"`
	// Reopen: of the tickets resolved in the period, those reopened after
	// that resolution within the period.
	Reopen Ratio `json:"reopen"`
}

// Count is how many tickets of one kind were opened and closed.
type Count struct {
	Key    string `json:"key"`   // the type, "P1"…"P4", or the category id ("0": none)
	Label  string `json:"label"` // the category name ("" elsewhere)
	Opened int    `json:"opened"`
	Closed int    `json:"closed"`
}

// Compliance is how many clocks met their target.
type Compliance struct {
	Met     int      `json:"met"`
	Total   int      `json:"total"`
	Percent *float64 `json:"percent"` // nil without any clock
}

// Ratio is a part of a whole, in percent.
type Ratio struct {
	Part    int      `json:"part"`
	Whole   int      `json:"whole"`
	Percent *float64 `json:"percent"` // nil when Whole is 0
}

// TimeSpent sums the time entries started in the period (minutes).
type TimeSpent struct {
	Entries            int `json:"entries"`
	Tickets            int `json:"tickets"`
	TotalMinutes       int `json:"total_minutes"`
	BillableMinutes    int `json:"billable_minutes"`
	NonBillableMinutes int `json:"non_billable_minutes"`
	OnSiteMinutes      int `json:"on_site_minutes"`
	OnSiteEntries      int `json:"on_site_entries"`
	TravelMinutes      int `json:"travel_minutes"`
}

// Satisfaction is over the ratings given in the period.
type Satisfaction struct {
	Count   int      `json:"count"`
	Average *float64 `json:"average"` // 1…5, nil without ratings
	// Scores counts the ratings of each score: Scores[0] is 1 star.
	Scores [5]int `json:"scores"`
}

// Availability is a critical asset's availability over the period.
type Availability struct {
	AssetID int64  `json:"asset_id"`
	Asset   string `json:"asset"`
	// Checks is how many checks decide it: its enabled checks of severity
	// critical, or all its enabled checks when it has none.
	Checks             int      `json:"checks"`
	UpMinutes          float64  `json:"up_minutes"`
	DownMinutes        float64  `json:"down_minutes"`
	MaintenanceMinutes float64  `json:"maintenance_minutes"`
	NoDataMinutes      float64  `json:"no_data_minutes"`
	Percent            *float64 `json:"percent"` // nil when nothing was measured
}

// Alerts are the hard problems of the client's checks in the period.
type Alerts struct {
	// Count is the hard problems (OK to a problem state) outside maintenance.
	Count int `json:"count"`
	// InMaintenance is the hard problems during maintenance, left out.
	InMaintenance int `json:"in_maintenance"`
	// Recurring lists the checks with at least RecurringThreshold of them.
	Recurring []Recurring `json:"recurring"`
}

// RecurringThreshold is how many hard problems in a period make a check a
// recurring problem.
const RecurringThreshold = 3

// Recurring is a check with recurring problems.
type Recurring struct {
	CheckID  int64  `json:"check_id"`
	Check    string `json:"check"`
	AssetID  int64  `json:"asset_id"`
	Asset    string `json:"asset"`
	Problems int    `json:"problems"`
}

// Backups are the runs of the client's backup jobs in the period.
type Backups struct {
	Success Ratio       `json:"success"` // successful runs of all runs
	Jobs    []BackupJob `json:"jobs"`
}

// BackupJob is one backup check's runs and its asset's last restore test.
type BackupJob struct {
	CheckID     int64      `json:"check_id"`
	Check       string     `json:"check"`
	AssetID     int64      `json:"asset_id"`
	Asset       string     `json:"asset"`
	Success     Ratio      `json:"success"`
	LastRun     *time.Time `json:"last_run"`
	LastRunOK   bool       `json:"last_run_ok"`
	LastRestore *Restore   `json:"last_restore"` // the last before the end of the period
}

// Restore is a restore test.
type Restore struct {
	At     time.Time `json:"at"`
	Result string    `json:"result"`
	Scope  string    `json:"scope"`
}

// within reports whether t is in [from, until).
func within(t, from, until time.Time) bool { return !t.Before(from) && t.Before(until) }

func withinPtr(t *time.Time, from, until time.Time) bool {
	return t != nil && within(*t, from, until)
}

// round rounds x to n decimals.
func round(x float64, n int) float64 {
	p := math.Pow10(n)
	return math.Round(x*p) / p
}

// percent is 100·part/whole rounded to two decimals, nil when whole is 0.
func percent(part, whole int) *float64 {
	if whole == 0 {
		return nil
	}
	v := round(100*float64(part)/float64(whole), 2)
	return &v
}

func ratio(part, whole int) Ratio {
	return Ratio{Part: part, Whole: whole, Percent: percent(part, whole)}
}

// meanMinutes is the mean of durations in minutes, one decimal; nil when empty.
func meanMinutes(ds []time.Duration) *float64 {
	if len(ds) == 0 {
		return nil
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	v := round(sum.Minutes()/float64(len(ds)), 1)
	return &v
}

// minutes rounds a duration to whole minutes (half up).
func minutes(d time.Duration) int { return int((d + 30*time.Second) / time.Minute) }

// TicketFigures computes the helpdesk figures of [from, until) from the
// ticket rows (see Store.ReportTickets) and the status changes of the period.
func TicketFigures(rows []TicketRow, changes []StatusChange, from, until time.Time) Tickets {
	var f Tickets
	byType := make(map[ticket.Type]*Count, len(ticket.Types))
	for _, ty := range ticket.Types {
		f.ByType = append(f.ByType, Count{Key: string(ty)})
	}
	for i := range f.ByType {
		byType[ticket.Type(f.ByType[i].Key)] = &f.ByType[i]
	}
	for p := ticket.P1; p <= ticket.P4; p++ {
		f.ByPriority = append(f.ByPriority, Count{Key: p.String()})
	}
	byCat := map[int64]*Count{}
	f.ByCategory = []Count{}
	var toOwn, toResolve []time.Duration
	for _, t := range rows {
		opened, closed := within(t.Created, from, until), withinPtr(t.Resolved, from, until)
		if opened || closed {
			cat := byCat[t.CategoryID]
			if cat == nil {
				cat = &Count{Key: strconv.FormatInt(t.CategoryID, 10), Label: t.Category}
				byCat[t.CategoryID] = cat
			}
			counts := []*Count{cat}
			if c := byType[t.Type]; c != nil {
				counts = append(counts, c)
			}
			if t.Priority.Valid() {
				counts = append(counts, &f.ByPriority[t.Priority-1])
			}
			for _, c := range counts {
				if opened {
					c.Opened++
				}
				if closed {
					c.Closed++
				}
			}
		}
		if opened {
			f.Opened++
		}
		if closed {
			f.Closed++
			toResolve = append(toResolve, t.Resolved.Sub(t.Created))
			if t.Covered && !t.OutOfPerimeter {
				f.TTR.Total++
				if t.TTRBreach == nil || t.TTRBreach.After(*t.Resolved) {
					f.TTR.Met++
				}
			}
		}
		if withinPtr(t.Owned, from, until) {
			toOwn = append(toOwn, t.Owned.Sub(t.Created))
			if t.Covered && !t.OutOfPerimeter {
				f.TTO.Total++
				if t.TTOBreach == nil || t.TTOBreach.After(*t.Owned) {
					f.TTO.Met++
				}
			}
		}
		if openAt(t, until) {
			f.Backlog++
		}
	}
	f.Owned = len(toOwn)
	f.MeanToOwnMinutes, f.MeanToResolveMinutes = meanMinutes(toOwn), meanMinutes(toResolve)
	f.TTO.Percent, f.TTR.Percent = percent(f.TTO.Met, f.TTO.Total), percent(f.TTR.Met, f.TTR.Total)
	for _, c := range byCat {
		f.ByCategory = append(f.ByCategory, *c)
	}
	slices.SortFunc(f.ByCategory, func(a, b Count) int {
		// No category last; then by name and id.
		if (a.Key == "0") != (b.Key == "0") {
			if a.Key == "0" {
				return 1
			}
			return -1
		}
		if c := strings.Compare(strings.ToLower(a.Label), strings.ToLower(b.Label)); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	f.Reopen = ReopenRate(changes, from, until)
	return f
}

// openAt reports whether a ticket was open at the instant end: created
// before it and neither resolved before it for good nor, after its last
// status change before end, in a resolved or closed status.
func openAt(t TicketRow, end time.Time) bool {
	if !t.Created.Before(end) {
		return false
	}
	if t.Resolved != nil && t.Resolved.Before(end) {
		return false // resolved then, and not reopened since
	}
	return t.StatusAtEnd == "" || t.StatusAtEnd.Open()
}

// resolving reports whether a status change resolves a ticket (to resolved,
// or to closed from an open status).
func resolving(c StatusChange) bool {
	return c.To == ticket.StatusResolved || (c.To == ticket.StatusClosed && c.From.Open())
}

// reopening reports whether a status change reopens a ticket.
func reopening(c StatusChange) bool { return !c.From.Open() && c.To.Open() }

// ReopenRate is, of the tickets resolved in [from, until), the share
// reopened after their first resolution in it, within it.
func ReopenRate(changes []StatusChange, from, until time.Time) Ratio {
	sorted := slices.Clone(changes)
	slices.SortStableFunc(sorted, func(a, b StatusChange) int { return a.At.Compare(b.At) })
	resolved := map[int64]bool{} // ticket → reopened since its first resolution
	for _, c := range sorted {
		if !within(c.At, from, until) {
			continue
		}
		again, seen := resolved[c.TicketID]
		switch {
		case !seen && resolving(c):
			resolved[c.TicketID] = false
		case seen && !again && reopening(c):
			resolved[c.TicketID] = true
		}
	}
	n := 0
	for _, again := range resolved {
		if again {
			n++
		}
	}
	return ratio(n, len(resolved))
}

// SatisfactionOf sums ratings.
func SatisfactionOf(ratings []Rating) Satisfaction {
	var s Satisfaction
	sum := 0
	for _, r := range ratings {
		if r.Score < 1 || r.Score > 5 {
			continue
		}
		s.Count++
		s.Scores[r.Score-1]++
		sum += r.Score
	}
	if s.Count > 0 {
		v := round(float64(sum)/float64(s.Count), 2)
		s.Average = &v
	}
	return s
}

// TimeOf sums time entries; each sum is rounded to whole minutes once.
func TimeOf(entries []TimeRow) TimeSpent {
	var t TimeSpent
	var total, billable, onSite, travel time.Duration
	tickets := map[int64]bool{}
	for _, e := range entries {
		t.Entries++
		tickets[e.TicketID] = true
		total += e.Duration
		travel += e.Travel
		if e.Billable {
			billable += e.Duration
		}
		if e.OnSite {
			onSite += e.Duration
			t.OnSiteEntries++
		}
	}
	t.Tickets = len(tickets)
	t.TotalMinutes, t.BillableMinutes = minutes(total), minutes(billable)
	t.NonBillableMinutes = minutes(total - billable)
	t.OnSiteMinutes, t.TravelMinutes = minutes(onSite), minutes(travel)
	return t
}

// CriticalAsset is the asset criticality whose availability a report shows.
const CriticalAsset = "critical"

// CriticalAssets returns the ids of the assets whose availability a report shows.
func CriticalAssets(assets []AssetRow) []int64 {
	var ids []int64
	for _, a := range assets {
		if a.Criticality == CriticalAsset {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// AvailabilityChecks picks the checks that decide an asset's availability,
// by the rule supervision.Service.AssetAvailability uses too
// (supervision.AvailabilityChecks).
func AvailabilityChecks(checks []CheckRow) []CheckRow {
	return supervision.AvailabilityChecks(checks, func(c CheckRow) (bool, supervision.Severity) { return c.Enabled, c.Severity })
}

// AvailabilityOf computes the availability of each critical asset over
// [from, until) with check.AssetAvailability: hard events only, maintenance
// of the asset (its own, its site's, its client's windows) left out. events
// must hold, per check, the last hard event before from.
func AvailabilityOf(clientID int64, assets []AssetRow, checks []CheckRow, events []supervision.Event, windows []check.Window, from, until time.Time) []Availability {
	perAsset := map[int64][]CheckRow{}
	for _, c := range checks {
		perAsset[c.AssetID] = append(perAsset[c.AssetID], c)
	}
	perCheck := map[int64][]check.Event{}
	for _, e := range events {
		perCheck[e.CheckID] = append(perCheck[e.CheckID], e.Event)
	}
	out := []Availability{}
	for _, a := range assets {
		if a.Criticality != CriticalAsset {
			continue
		}
		picked := AvailabilityChecks(perAsset[a.ID])
		per := make([][]check.Event, 0, len(picked))
		for _, c := range picked {
			per = append(per, perCheck[c.ID])
		}
		maint := check.MaintenanceIntervals(windows, check.Scope{ClientID: clientID, SiteID: a.SiteID, AssetID: a.ID}, from, until)
		u := check.AssetAvailability(per, from, until, maint)
		av := Availability{
			AssetID: a.ID, Asset: a.Name, Checks: len(picked),
			UpMinutes: round(u.Up.Minutes(), 1), DownMinutes: round(u.Down.Minutes(), 1),
			MaintenanceMinutes: round(u.Maintenance.Minutes(), 1), NoDataMinutes: round(u.NoData.Minutes(), 1),
		}
		if r, ok := u.Ratio(); ok {
			v := round(100*r, 3)
			av.Percent = &v
		}
		out = append(out, av)
	}
	slices.SortFunc(out, func(a, b Availability) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Asset), strings.ToLower(b.Asset)), cmp.Compare(a.AssetID, b.AssetID))
	})
	return out
}

// AlertsOf counts the hard problems of [from, until) and finds the checks
// with recurring ones.
func AlertsOf(checks []CheckRow, problems []Problem, from, until time.Time) Alerts {
	a := Alerts{Recurring: []Recurring{}}
	per := map[int64]int{}
	for _, e := range problems {
		if !within(e.At, from, until) {
			continue
		}
		if e.Maintenance {
			a.InMaintenance++
			continue
		}
		a.Count++
		per[e.CheckID]++
	}
	for _, c := range checks {
		if n := per[c.ID]; n >= RecurringThreshold {
			a.Recurring = append(a.Recurring, Recurring{CheckID: c.ID, Check: c.Name, AssetID: c.AssetID, Asset: c.AssetName, Problems: n})
		}
	}
	slices.SortFunc(a.Recurring, func(x, y Recurring) int {
		return cmp.Or(cmp.Compare(y.Problems, x.Problems), strings.Compare(strings.ToLower(x.Asset), strings.ToLower(y.Asset)),
			strings.Compare(strings.ToLower(x.Check), strings.ToLower(y.Check)), cmp.Compare(x.CheckID, y.CheckID))
	})
	return a
}

// BackupsOf computes the success rate of the backup runs of the period, per
// backup check (every check of a backup kind, and any other check with runs)
// and overall, with each job asset's last restore test.
func BackupsOf(checks []CheckRow, runs []supervision.BackupRun, restores []supervision.RestoreTest) Backups {
	lastRestore := map[int64]supervision.RestoreTest{}
	for _, r := range restores {
		if old, ok := lastRestore[r.AssetID]; !ok || r.TestedAt.After(old.TestedAt) {
			lastRestore[r.AssetID] = r
		}
	}
	perCheck := map[int64][]supervision.BackupRun{}
	for _, r := range runs {
		perCheck[r.CheckID] = append(perCheck[r.CheckID], r)
	}
	b := Backups{Jobs: []BackupJob{}}
	total, ok := 0, 0
	for _, c := range checks {
		rs := perCheck[c.ID]
		if !c.Kind.Backup() && len(rs) == 0 {
			continue
		}
		job := BackupJob{CheckID: c.ID, Check: c.Name, AssetID: c.AssetID, Asset: c.AssetName}
		good := 0
		for _, r := range rs {
			if r.OK {
				good++
			}
			if job.LastRun == nil || r.At.After(*job.LastRun) {
				at := r.At
				job.LastRun, job.LastRunOK = &at, r.OK
			}
		}
		job.Success = ratio(good, len(rs))
		total, ok = total+len(rs), ok+good
		if rt, found := lastRestore[c.AssetID]; found {
			job.LastRestore = &Restore{At: rt.TestedAt, Result: string(rt.Result), Scope: rt.Scope}
		}
		b.Jobs = append(b.Jobs, job)
	}
	b.Success = ratio(ok, total)
	slices.SortFunc(b.Jobs, func(x, y BackupJob) int {
		return cmp.Or(strings.Compare(strings.ToLower(x.Asset), strings.ToLower(y.Asset)),
			strings.Compare(strings.ToLower(x.Check), strings.ToLower(y.Check)), cmp.Compare(x.CheckID, y.CheckID))
	})
	return b
}
