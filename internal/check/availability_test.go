package check

import (
	"math"
	"testing"
	"time"
)

// hard builds a hard event at t0+min minutes.
func hard(minutes int, k EventKind, from, to State) Event {
	return Event{At: t0.Add(time.Duration(minutes) * time.Minute), Kind: k, From: from, To: to, Type: Hard}
}

func TestAvailability(t *testing.T) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	// Known OK from -10, CRITICAL 20–30, WARNING 50–60, UNKNOWN 80–90.
	events := []Event{
		{At: at(-10), Kind: Recovery, From: Critical, To: OK, Type: Hard},
		hard(20, Problem, OK, Critical),
		{At: at(25), Kind: SoftChange, From: Critical, To: OK, Type: Soft}, // ignored
		hard(30, Recovery, Critical, OK),
		hard(50, Problem, OK, Warning),
		hard(60, Recovery, Warning, OK),
		hard(80, Problem, OK, Unknown),
		hard(90, Recovery, Unknown, OK),
	}
	tests := []struct {
		name              string
		events            []Event
		from, to          int
		maint             []Interval
		up, down, mnt, nd time.Duration
		ratio             float64
		ok                bool
	}{
		{name: "warning up, critical and unknown down", events: events, from: 0, to: 100,
			up: 80 * time.Minute, down: 20 * time.Minute, ratio: 0.8, ok: true},
		{name: "maintenance over the outage excluded", events: events, from: 0, to: 100,
			maint: []Interval{{at(15), at(35)}},
			up:    70 * time.Minute, down: 10 * time.Minute, mnt: 20 * time.Minute, ratio: 70.0 / 80, ok: true},
		{name: "overlapping maintenance merged", events: events, from: 0, to: 100,
			maint: []Interval{{at(15), at(25)}, {at(20), at(35)}, {at(-50), at(5)}},
			up:    65 * time.Minute, down: 10 * time.Minute, mnt: 25 * time.Minute, ratio: 65.0 / 75, ok: true},
		{name: "gap before the first state is no data", events: events[1:], from: 0, to: 100,
			up: 60 * time.Minute, down: 20 * time.Minute, nd: 20 * time.Minute, ratio: 0.75, ok: true},
		{name: "period inside an outage", events: events, from: 21, to: 29,
			down: 8 * time.Minute, ratio: 0, ok: true},
		{name: "all maintenance", events: events, from: 0, to: 100, maint: []Interval{{at(0), at(100)}},
			mnt: 100 * time.Minute, ok: false},
		{name: "no events", events: nil, from: 0, to: 100, nd: 100 * time.Minute, ok: false},
		{name: "empty period", events: events, from: 10, to: 10, ok: false},
		{name: "unsorted events", events: []Event{events[4], events[0], events[3], events[1]}, from: 0, to: 100,
			up: 90 * time.Minute, down: 10 * time.Minute, ratio: 0.9, ok: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := Availability(tc.events, at(tc.from), at(tc.to), tc.maint)
			if u.Up != tc.up || u.Down != tc.down || u.Maintenance != tc.mnt || u.NoData != tc.nd {
				t.Errorf("uptime = %+v, want up %v down %v maint %v nodata %v", u, tc.up, tc.down, tc.mnt, tc.nd)
			}
			r, ok := u.Ratio()
			if ok != tc.ok || math.Abs(r-tc.ratio) > 1e-9 {
				t.Errorf("ratio = %v %v, want %v %v", r, ok, tc.ratio, tc.ok)
			}
		})
	}
}

func TestAssetAvailability(t *testing.T) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	// ping: CRITICAL 10–30; disk: CRITICAL 20–40, known only from 5;
	// service: WARNING 0–100 (up).
	ping := []Event{hard(-1, Recovery, Critical, OK), hard(10, Problem, OK, Critical), hard(30, Recovery, Critical, OK)}
	disk := []Event{hard(5, Recovery, Critical, OK), hard(20, Problem, OK, Critical), hard(40, Recovery, Critical, OK)}
	svc := []Event{hard(-5, Problem, OK, Warning)}
	u := AssetAvailability([][]Event{ping, disk, svc}, at(0), at(100), []Interval{{at(35), at(45)}})
	// Down 10–35 (25 min), maintenance 35–45, up 0–10 and 45–100 (65 min).
	if u.Down != 25*time.Minute || u.Up != 65*time.Minute || u.Maintenance != 10*time.Minute || u.NoData != 0 {
		t.Errorf("asset uptime = %+v", u)
	}
	// Without the always-known checks, the disk alone has 5 minutes of no data.
	u = AssetAvailability([][]Event{disk}, at(0), at(100), nil)
	if u.NoData != 5*time.Minute || u.Down != 20*time.Minute || u.Up != 75*time.Minute {
		t.Errorf("disk uptime = %+v", u)
	}
}
