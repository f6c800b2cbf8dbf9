package report

import (
	"math"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/ticket"
)

// line is a filesystem at used% = start + perDay·days, a point every 6 hours
// over days days up to the end of October.
func line(asset, mount string, start, perDay float64, days int) FSSeries {
	s := FSSeries{AssetID: int64(len(asset)), Asset: asset, Mount: mount}
	end := at(31, 0)
	for h := days * 24; h >= 0; h -= 6 {
		t := end.Add(-time.Duration(h) * time.Hour)
		s.Points = append(s.Points, FSPoint{T: t, UsedPercent: start + perDay*float64(days*24-h)/24})
	}
	return s
}

func TestSlope(t *testing.T) {
	for _, tc := range []struct {
		name string
		pts  []FSPoint
		want float64
	}{
		{"empty", nil, 0},
		{"one point", []FSPoint{{at(1, 0), 50}}, 0},
		{"same instant", []FSPoint{{at(1, 0), 50}, {at(1, 0), 60}}, 0},
		{"two points a day apart", []FSPoint{{at(1, 0), 50}, {at(2, 0), 52}}, 2},
		{"noisy rise", []FSPoint{{at(1, 0), 50}, {at(2, 0), 51.5}, {at(3, 0), 52}, {at(4, 0), 53.5}}, 1.1},
		{"falling", line("a", "/", 80, -0.5, 10).Points, -0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Slope(tc.pts); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("Slope = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCapacityOf(t *testing.T) {
	from, until := at(1, 0), at(31, 0)
	series := []FSSeries{
		line("srv-b", "/data", 60, 0.8, 30), // 84 % now, 20 days left: listed
		line("srv-a", "/var", 50, 2, 20),    // 90 % now, 5 days left: listed first
		line("srv-c", "C:", 95, 0, 30),      // 95 %, steady: listed (full), no days left
		line("srv-d", "/", 40, 0.5, 30),     // 55 %, 90 days left: not listed
		line("srv-e", "/", 80, -1, 30),      // shrinking: not listed
		line("srv-f", "/", 70, 5, 0),        // one point: skipped
		{Asset: "srv-g", Mount: "/", Points: []FSPoint{{at(30, 12), 50}, {at(30, 18), 99}}}, // less than a day: skipped
		{Asset: "srv-h", Mount: "/", Points: []FSPoint{{at(1, 0), math.NaN()}, {at(5, 0), 99}, {at(10, 0), 99.5}}},
	}
	got := CapacityOf(series, from, until)
	want := []struct {
		asset string
		used  float64
		days  *float64
	}{
		{"srv-h", 99.5, fptr(5)}, {"srv-a", 90, fptr(5)}, {"srv-b", 84, fptr(20)}, {"srv-c", 95, nil},
	}
	if len(got) != len(want) {
		t.Fatalf("CapacityOf = %+v, want %d warnings", got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Asset != w.asset || g.UsedPercent != w.used || (g.DaysLeft == nil) != (w.days == nil) || (g.DaysLeft != nil && *g.DaysLeft != *w.days) {
			t.Errorf("warning %d = %s %v %v, want %s %v %v", i, g.Asset, g.UsedPercent, deref(g.DaysLeft), w.asset, w.used, deref(w.days))
		}
	}
	// Points outside the window do not count.
	if out := CapacityOf([]FSSeries{line("x", "/", 60, 3, 30)}, at(31, 0).Add(time.Hour), at(31, 0).Add(48*time.Hour)); len(out) != 0 {
		t.Errorf("a window without points: %+v", out)
	}
}

func fptr(v float64) *float64 { return &v }

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

func TestOutOfPerimeterOf(t *testing.T) {
	from, until := at(1, 0), at(31, 0)
	resolved := at(5, 0)
	rows := []TicketRow{
		{ID: 1, Title: "in perimeter", Created: at(2, 0)},
		{ID: 3, Title: "outside, opened", Created: at(3, 0), OutOfPerimeter: true, PerimeterReason: "excluded"},
		{ID: 2, Title: "outside, old, worked on", Created: at(1, 0).AddDate(0, -2, 0), OutOfPerimeter: true, PerimeterReason: "kind_not_included"},
		{ID: 4, Title: "outside, old, untouched", Created: at(1, 0).AddDate(0, -2, 0), OutOfPerimeter: true},
		{ID: 5, Title: "outside, resolved", Created: at(1, 0).AddDate(0, -1, 0), Resolved: &resolved, OutOfPerimeter: true},
	}
	entries := []TimeRow{
		{TicketID: 1, Start: at(2, 1), Duration: time.Hour, Billable: true},
		{TicketID: 2, Start: at(4, 1), Duration: 30 * time.Minute, Billable: true},
		{TicketID: 2, Start: at(4, 3), Duration: 15 * time.Minute},
		{TicketID: 3, Start: at(3, 2), Duration: 20 * time.Minute, Billable: true},
		{TicketID: 4, Start: at(1, 0).AddDate(0, -1, 0), Duration: time.Hour}, // before the period
	}
	o := OutOfPerimeterOf(rows, entries, from, until)
	if len(o.Tickets) != 3 || o.Tickets[0].ID != 2 || o.Tickets[1].ID != 3 || o.Tickets[2].ID != 5 {
		t.Fatalf("tickets %+v, want 2, 3, 5", o.Tickets)
	}
	if o.Tickets[0].Minutes != 45 || o.Tickets[0].BillableMinutes != 30 || o.Tickets[0].Reason != "kind_not_included" || o.TotalMinutes != 65 || o.BillableMinutes != 50 {
		t.Errorf("time %+v", o)
	}
	// Left out of the compliance: a covered, breached ticket out of the
	// perimeter changes no TTR figure.
	breach := at(2, 0)
	row := TicketRow{ID: 9, Created: at(1, 12), Owned: &breach, Resolved: &resolved, Covered: true, TTOBreach: &breach, TTRBreach: &breach, OutOfPerimeter: true}
	f := TicketFigures([]TicketRow{row}, nil, from, until)
	if f.TTO.Total != 0 || f.TTR.Total != 0 || f.Closed != 1 {
		t.Errorf("out-of-perimeter ticket in the compliance: %+v", f)
	}
	row.OutOfPerimeter = false
	if f := TicketFigures([]TicketRow{row}, nil, from, until); f.TTR.Total != 1 || f.TTR.Met != 0 {
		t.Errorf("the same ticket in the perimeter: %+v", f.TTR)
	}
}

func TestIsEvolution(t *testing.T) {
	for _, tc := range []struct {
		typ      ticket.Type
		category string
		want     bool
	}{
		{ticket.TypeRequest, "Évolution", true},
		{ticket.TypeRequest, "évolutions", true},
		{ticket.TypeRequest, " EVOLUTION ", true},
		{ticket.TypeRequest, "Evolutions", true},
		{ticket.TypeIncident, "Évolution", false},
		{ticket.TypeRequest, "Évolution du parc", false},
		{ticket.TypeRequest, "", false},
	} {
		if got := IsEvolution(TicketRow{Type: tc.typ, Category: tc.category}); got != tc.want {
			t.Errorf("IsEvolution(%s, %q) = %v, want %v", tc.typ, tc.category, got, tc.want)
		}
	}
}

func TestAvailabilityTotal(t *testing.T) {
	if got := AvailabilityTotal(nil); got != nil {
		t.Errorf("nothing measured: %v", *got)
	}
	got := AvailabilityTotal([]Availability{{UpMinutes: 990, DownMinutes: 10, NoDataMinutes: 500}, {UpMinutes: 1000, MaintenanceMinutes: 60}})
	if got == nil || *got != 99.5 {
		t.Errorf("AvailabilityTotal = %v, want 99.5", deref(got))
	}
}

func TestDailyOf(t *testing.T) {
	from, until := at(13, 0), at(14, 0)
	later := at(15, 0)
	d := DailyOf([]TicketRow{
		{ID: 2, Title: "b", Created: at(13, 9), Resolved: &later, StatusAtEnd: ticket.StatusInProgress},
		{ID: 1, Title: "a", Created: at(12, 9)},
	}, []TimeRow{{TicketID: 2, Start: at(13, 10), Duration: 30 * time.Minute, OnSite: true, Technician: "Tina"}, {TicketID: 1, Start: at(12, 10), Duration: time.Hour}},
		[]CheckRow{{ID: 7, Name: "ping", AssetName: "srv"}},
		[]Problem{{CheckID: 7, At: at(13, 3)}, {CheckID: 7, At: at(13, 1), Maintenance: true}, {CheckID: 7, At: at(14, 1)}},
		nil, from, until)
	if len(d.Opened) != 1 || d.Opened[0].Resolved != nil || d.Opened[0].Status != ticket.StatusInProgress || len(d.Closed) != 0 {
		t.Errorf("tickets %+v / %+v: the later resolution is not the day's", d.Opened, d.Closed)
	}
	if d.AlertCount != 1 || d.InMaintenance != 1 || len(d.Alerts) != 2 || !d.Alerts[0].Maintenance || d.Alerts[1].Asset != "srv" {
		t.Errorf("alerts %+v", d.Alerts)
	}
	if len(d.Interventions) != 1 || d.Interventions[0].Ticket != "b" || d.Time.OnSiteMinutes != 30 || d.BackupSuccess.Percent != nil {
		t.Errorf("interventions %+v, time %+v, backups %+v", d.Interventions, d.Time, d.BackupSuccess)
	}
}
