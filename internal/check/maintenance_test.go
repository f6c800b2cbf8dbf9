package check

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestWindowCovers(t *testing.T) {
	s := Scope{ClientID: 1, SiteID: 10, AssetID: 100}
	tests := []struct {
		name string
		w    Window
		want bool
	}{
		{"asset", Window{AssetID: 100}, true},
		{"other asset", Window{AssetID: 101}, false},
		{"asset with client of window ignored", Window{ClientID: 2, AssetID: 100}, true},
		{"site", Window{SiteID: 10}, true},
		{"site of client", Window{ClientID: 1, SiteID: 10}, true},
		{"site id of another client", Window{ClientID: 2, SiteID: 10}, false},
		{"other site", Window{SiteID: 11}, false},
		{"client", Window{ClientID: 1}, true},
		{"other client", Window{ClientID: 2}, false},
		{"nothing", Window{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.w.Covers(s); got != tc.want {
				t.Errorf("Covers = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestInMaintenanceOneOff(t *testing.T) {
	w := []Window{{SiteID: 10, From: t0, To: t0.Add(2 * time.Hour)}}
	s := Scope{ClientID: 1, SiteID: 10, AssetID: 100}
	tests := []struct {
		name string
		s    Scope
		t    time.Time
		want bool
	}{
		{"before", s, t0.Add(-time.Second), false},
		{"start included", s, t0, true},
		{"inside", s, t0.Add(time.Hour), true},
		{"end excluded", s, t0.Add(2 * time.Hour), false},
		{"other site", Scope{ClientID: 1, SiteID: 11, AssetID: 100}, t0.Add(time.Hour), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := InMaintenance(w, tc.s, tc.t); got != tc.want {
				t.Errorf("InMaintenance = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestInMaintenanceRecurringDST(t *testing.T) {
	paris := mustLoc(t, "Europe/Paris")
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	s := Scope{ClientID: 1, AssetID: 7}
	// Sundays 02:00 for 2 h: both DST changes in 2026 fall on Sunday 02:00/03:00.
	sunday := []Window{{ClientID: 1, Weekdays: []time.Weekday{time.Sunday}, Start: 2 * time.Hour, Duration: 2 * time.Hour, Location: paris}}
	// Saturdays 23:00 for 4 h: across midnight and the change.
	night := []Window{{AssetID: 7, Weekdays: []time.Weekday{time.Saturday}, Start: 23 * time.Hour, Duration: 4 * time.Hour, Location: paris}}
	// Sundays 02:30 for 30 min: the start does not exist on 29 March.
	skipped := []Window{{AssetID: 7, Weekdays: []time.Weekday{time.Sunday}, Start: 2*time.Hour + 30*time.Minute, Duration: 30 * time.Minute, Location: paris}}
	tests := []struct {
		name string
		w    []Window
		t    time.Time
		want bool
	}{
		{"ordinary sunday inside", sunday, at("2026-03-22 03:59"), true},
		{"ordinary sunday end", sunday, at("2026-03-22 04:00"), false},
		{"ordinary monday", sunday, at("2026-03-23 03:00"), false},
		// 29 March: 02:00 CET does not exist; it starts at 01:00 UTC = 03:00 CEST
		// and lasts two real hours, to 05:00 CEST.
		{"spring start", sunday, at("2026-03-29 03:00"), true},
		{"spring before", sunday, at("2026-03-29 01:59"), false},
		{"spring 04:59 CEST", sunday, at("2026-03-29 04:59"), true},
		{"spring end", sunday, at("2026-03-29 05:00"), false},
		// 25 October: 02:00 occurs twice; the window starts at the first
		// (00:00 UTC) and lasts two real hours, to 02:00 UTC = 03:00 CET.
		{"autumn first 02:30", sunday, time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), true},
		{"autumn second 02:30", sunday, time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), true},
		{"autumn 02:59 CET", sunday, time.Date(2026, 10, 25, 1, 59, 0, 0, time.UTC), true},
		{"autumn end 03:00 CET", sunday, at("2026-10-25 03:00"), false},
		{"autumn before", sunday, time.Date(2026, 10, 24, 23, 59, 0, 0, time.UTC), false},
		// Saturday 23:00 CET (22:00 UTC) + 4 h = 02:00 UTC = 04:00 CEST.
		{"spring night inside", night, at("2026-03-29 03:59"), true},
		{"spring night end", night, at("2026-03-29 04:00"), false},
		// Saturday 23:00 CEST (21:00 UTC) + 4 h = 01:00 UTC = 02:00 CET (second).
		{"autumn night inside", night, time.Date(2026, 10, 25, 0, 59, 0, 0, time.UTC), true},
		{"autumn night end", night, time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC), false},
		{"autumn night start", night, at("2026-10-24 23:00"), true},
		{"autumn night before", night, at("2026-10-24 22:59"), false},
		// 02:30 on 29 March is read as 02:30 CET = 01:30 UTC = 03:30 CEST.
		{"skipped start", skipped, at("2026-03-29 03:30"), true},
		{"skipped before", skipped, at("2026-03-29 03:29"), false},
		{"skipped end", skipped, at("2026-03-29 04:00"), false},
		{"skipped next week", skipped, at("2026-04-05 02:45"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := InMaintenance(tc.w, s, tc.t); got != tc.want {
				t.Errorf("InMaintenance(%v) = %v, want %v", tc.t, got, tc.want)
			}
		})
	}
}

func TestMaintenanceIntervals(t *testing.T) {
	paris := mustLoc(t, "Europe/Paris")
	s := Scope{ClientID: 1, SiteID: 10, AssetID: 7}
	ws := []Window{
		// Every day 22:00 for 8 h.
		{ClientID: 1, Weekdays: []time.Weekday{0, 1, 2, 3, 4, 5, 6}, Start: 22 * time.Hour, Duration: 8 * time.Hour, Location: paris},
		// One-off overlapping the first night.
		{AssetID: 7, From: time.Date(2026, 3, 27, 20, 0, 0, 0, paris), To: time.Date(2026, 3, 27, 23, 0, 0, 0, paris)},
		// Not this asset.
		{AssetID: 8, From: time.Date(2026, 3, 28, 12, 0, 0, 0, paris), To: time.Date(2026, 3, 28, 13, 0, 0, 0, paris)},
	}
	from := time.Date(2026, 3, 27, 12, 0, 0, 0, paris)
	to := time.Date(2026, 3, 30, 12, 0, 0, 0, paris)
	got := MaintenanceIntervals(ws, s, from, to)
	want := []Interval{
		{time.Date(2026, 3, 27, 20, 0, 0, 0, paris), time.Date(2026, 3, 28, 6, 0, 0, 0, paris)},
		// 28 March 22:00 CET + 8 real hours = 07:00 CEST on 29 March.
		{time.Date(2026, 3, 28, 22, 0, 0, 0, paris), time.Date(2026, 3, 29, 7, 0, 0, 0, paris)},
		{time.Date(2026, 3, 29, 22, 0, 0, 0, paris), time.Date(2026, 3, 30, 6, 0, 0, 0, paris)},
	}
	if len(got) != len(want) {
		t.Fatalf("intervals = %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].From.Equal(want[i].From) || !got[i].To.Equal(want[i].To) {
			t.Errorf("interval %d = %v, want %v", i, got[i], want[i])
		}
	}
	// Clipped at the ends.
	got = MaintenanceIntervals(ws, s, time.Date(2026, 3, 28, 0, 0, 0, 0, paris), time.Date(2026, 3, 28, 1, 0, 0, 0, paris))
	if len(got) != 1 || got[0].To.Sub(got[0].From) != time.Hour {
		t.Errorf("clipped = %v", got)
	}
}

func TestWindowValidate(t *testing.T) {
	tests := []struct {
		name string
		w    Window
		ok   bool
	}{
		{"one-off", Window{AssetID: 1, From: t0, To: t0.Add(time.Hour)}, true},
		{"no target", Window{From: t0, To: t0.Add(time.Hour)}, false},
		{"end before start", Window{AssetID: 1, From: t0, To: t0}, false},
		{"recurring", Window{ClientID: 1, Weekdays: []time.Weekday{time.Monday}, Start: time.Hour, Duration: time.Hour}, true},
		{"bad weekday", Window{ClientID: 1, Weekdays: []time.Weekday{9}, Start: time.Hour, Duration: time.Hour}, false},
		{"start past midnight", Window{ClientID: 1, Weekdays: []time.Weekday{1}, Start: 24 * time.Hour, Duration: time.Hour}, false},
		{"no duration", Window{ClientID: 1, Weekdays: []time.Weekday{1}, Start: time.Hour}, false},
		{"over a week", Window{ClientID: 1, Weekdays: []time.Weekday{1}, Duration: 8 * 24 * time.Hour}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.w.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

// TestMaintenanceConsistency checks InMaintenance against
// MaintenanceIntervals for random recurring windows and instants around both
// 2026 DST changes in Paris and New York.
func TestMaintenanceConsistency(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	locs := []*time.Location{mustLoc(t, "Europe/Paris"), mustLoc(t, "America/New_York"), time.UTC}
	s := Scope{ClientID: 1, AssetID: 2}
	for range 300 {
		var ws []Window
		for range 1 + rng.IntN(3) {
			w := Window{ClientID: 1, Start: time.Duration(rng.IntN(24*60)) * time.Minute,
				Duration: time.Duration(1+rng.IntN(3*24*60)) * time.Minute, Location: locs[rng.IntN(len(locs))]}
			for d := range 7 {
				if rng.IntN(3) == 0 {
					w.Weekdays = append(w.Weekdays, time.Weekday(d))
				}
			}
			if len(w.Weekdays) == 0 {
				w.Weekdays = []time.Weekday{time.Weekday(rng.IntN(7))}
			}
			if err := w.Validate(); err != nil {
				t.Fatal(err)
			}
			ws = append(ws, w)
		}
		base := []time.Time{time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC),
			time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}[rng.IntN(4)]
		from := base.Add(-time.Duration(rng.IntN(4*24*60)) * time.Minute)
		to := from.Add(8 * 24 * time.Hour)
		ivs := MaintenanceIntervals(ws, s, from, to)
		for range 50 {
			at := from.Add(time.Duration(rng.Int64N(int64(to.Sub(from)))))
			in := false
			for _, iv := range ivs {
				if !at.Before(iv.From) && at.Before(iv.To) {
					in = true
				}
			}
			if got := InMaintenance(ws, s, at); got != in {
				t.Fatalf("InMaintenance(%v) = %v, intervals say %v (%+v)", at, got, in, ws)
			}
		}
	}
}
