package web

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/ticket"
)

func TestParseMinutes(t *testing.T) {
	tests := []struct {
		name, in string
		want     time.Duration
		ok       bool
	}{
		{"empty", "  ", 0, true},
		{"minutes", "90", 90 * time.Minute, true},
		{"hours and minutes", "1:30", 90 * time.Minute, true},
		{"padded minutes only", "0:05", 5 * time.Minute, true},
		{"units", "1h30", 90 * time.Minute, true},
		{"units with m", "1h 30m", 90 * time.Minute, true},
		{"min", "45 min", 45 * time.Minute, true},
		{"hours", "2h", 2 * time.Hour, true},
		{"decimal hours", "1.5h", 90 * time.Minute, true},
		{"minutes over 59", "1:75", 0, false},
		{"one-digit minutes", "1:5", 0, false},
		{"negative", "-10", 0, false},
		{"negative units", "-1h", 0, false},
		{"seconds", "90s", 0, false},
		{"fraction of a minute", "1.5m", 0, false},
		{"words", "a while", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseMinutes(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseMinutes(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// FuzzParseMinutes: whatever is typed in the duration field, the parser
// neither panics nor accepts a negative or sub-minute duration.
func FuzzParseMinutes(f *testing.F) {
	for _, s := range []string{"90", "1:30", "1h30", "45min", "2h", "", "-1", "1e9h", "9999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseMinutes(s)
		if !ok && d != 0 {
			t.Errorf("refused %q but returned %v", s, d)
		}
		if ok && (d < 0 || d%time.Minute != 0) {
			t.Errorf("accepted %q as %v", s, d)
		}
	})
}

func TestCategoryTree(t *testing.T) {
	id := func(n int64) *int64 { return &n }
	cats := []ticket.Category{
		{ID: 1, Name: "Network"},
		{ID: 2, Name: "wi-fi", ParentID: id(1)},
		{ID: 3, Name: "Cabling", ParentID: id(1)},
		{ID: 4, Name: "Accounts"},
		{ID: 5, Name: "Orphan", ParentID: id(99)},
		// A cycle in stored data must not hang the page.
		{ID: 6, Name: "Loop A", ParentID: id(7)},
		{ID: 7, Name: "Loop B", ParentID: id(6)},
	}
	var got []string
	for _, n := range categoryTree(cats) {
		got = append(got, strings.Repeat("-", n.Depth)+n.Name)
	}
	want := "Accounts Network -Cabling -wi-fi Orphan Loop A -Loop B"
	if strings.Join(got, " ") != want {
		t.Errorf("tree = %q, want %q", strings.Join(got, " "), want)
	}
}

// FuzzCalendarFromForm: whatever the service-level form sends, the calendar
// is either built (and then has business hours) or refused with field
// errors, never a panic.
func FuzzCalendarFromForm(f *testing.F) {
	f.Add("Europe/Paris", "FR", "08:30", "12:00", "13:30", "18:00", "2026-12-24", false)
	f.Add("Europe/Paris", "", "18:00", "08:00", "", "", "24/12/2026", false)
	f.Add("Mars/Olympus", "XX", "25:00", "00:00", "x", "y", "", true)
	f.Fuzz(func(t *testing.T, tz, holidays, s1, e1, s2, e2, extra string, always bool) {
		vals := url.Values{"time_zone": {tz}, "holidays": {holidays}, "mon.1.start": {s1}, "mon.1.end": {e1}, "mon.2.start": {s2}, "mon.2.end": {e2}, "extra": {extra}}
		if always {
			vals.Set("always_open", "1")
		}
		var inv fault.Invalid
		cal, _ := calendarFromForm(vals, &inv)
		switch {
		case cal == nil && inv.Err() == nil:
			t.Error("no calendar and no error")
		case cal != nil && inv.Err() != nil:
			t.Errorf("a calendar despite %v", inv.Err())
		case cal != nil && cal.WeeklyHours() <= 0:
			t.Error("a calendar without business hours")
		}
	})
}
