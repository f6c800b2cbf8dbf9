package check

import (
	"slices"
	"time"
)

// down is the availability rule: CRITICAL and UNKNOWN are down, OK and
// WARNING up.
func down(s State) bool { s = s.norm(); return s == Critical || s == Unknown }

// Uptime is the outcome of an availability computation over a period.
type Uptime struct {
	Up, Down    time.Duration // measured time in an up or down hard state
	Maintenance time.Duration // time in maintenance, left out
	NoData      time.Duration // time before the first known state, left out
}

// Ratio is the share of measured time up, in [0, 1]; ok is false when no
// time was measured (all maintenance or no data), when no ratio makes sense.
func (u Uptime) Ratio() (ratio float64, ok bool) {
	total := u.Up + u.Down
	if total <= 0 {
		return 0, false
	}
	return float64(u.Up) / float64(total), true
}

// timeline is the hard state of one check along time: state i holds from
// at[i] to at[i+1]; before at[0] the state is unknown (no data).
type timeline struct {
	at     []time.Time
	states []State
}

// hardTimeline builds a check's timeline from its events (any order, only
// hard changes used). Before the first hard change the state is unknown:
// the caller passes the latest change before the period to make it known.
func hardTimeline(events []Event) timeline {
	hard := make([]Event, 0, len(events))
	for _, e := range events {
		if e.Kind.Hard() {
			hard = append(hard, e)
		}
	}
	slices.SortStableFunc(hard, func(a, b Event) int { return a.At.Compare(b.At) })
	var tl timeline
	for _, e := range hard {
		tl.at = append(tl.at, e.At)
		tl.states = append(tl.states, e.To)
	}
	return tl
}

// stateAt returns the state at t and whether it is known; i is a cursor
// that only moves forward across calls with increasing t.
func (tl timeline) stateAt(t time.Time, i *int) (State, bool) {
	for *i < len(tl.at) && !tl.at[*i].After(t) {
		*i++
	}
	if *i == 0 {
		return 0, false
	}
	return tl.states[*i-1], true
}

// Availability computes the availability of one check over [from, to) from
// its events; see AssetAvailability.
func Availability(events []Event, from, to time.Time, maintenance []Interval) Uptime {
	return AssetAvailability([][]Event{events}, from, to, maintenance)
}

// AssetAvailability computes the availability of an asset over [from, to)
// from the events of its critical checks (one slice per check): the asset is
// down while any of them is in a hard CRITICAL or UNKNOWN state, up while
// all the checks with a known state are OK or WARNING. Time before any check
// has a known hard state is no data; maintenance intervals are left out.
//
// Only hard changes count: a soft problem that never became hard leaves the
// check up, as it never alerted. Pass events from before from as well, so
// that the state at from is known (the latest hard change before it holds).
func AssetAvailability(checks [][]Event, from, to time.Time, maintenance []Interval) Uptime {
	var u Uptime
	if !to.After(from) {
		return u
	}
	tls := make([]timeline, len(checks))
	cuts := []time.Time{from, to}
	for i, evs := range checks {
		tls[i] = hardTimeline(evs)
		for _, t := range tls[i].at {
			if t.After(from) && t.Before(to) {
				cuts = append(cuts, t)
			}
		}
	}
	maint := mergeIntervals(slices.Clone(maintenance))
	for _, m := range maint {
		for _, t := range []time.Time{m.From, m.To} {
			if t.After(from) && t.Before(to) {
				cuts = append(cuts, t)
			}
		}
	}
	slices.SortFunc(cuts, func(a, b time.Time) int { return a.Compare(b) })
	cuts = slices.CompactFunc(cuts, func(a, b time.Time) bool { return a.Equal(b) })

	cursors := make([]int, len(tls))
	mi := 0
	for k := 0; k+1 < len(cuts); k++ {
		a, b := cuts[k], cuts[k+1]
		d := b.Sub(a)
		for mi < len(maint) && !maint[mi].To.After(a) {
			mi++
		}
		if mi < len(maint) && !maint[mi].From.After(a) {
			u.Maintenance += d
			// Keep the cursors in step.
			for i := range tls {
				tls[i].stateAt(a, &cursors[i])
			}
			continue
		}
		known, isDown := false, false
		for i := range tls {
			s, ok := tls[i].stateAt(a, &cursors[i])
			if ok {
				known = true
				if down(s) {
					isDown = true
				}
			}
		}
		switch {
		case !known:
			u.NoData += d
		case isDown:
			u.Down += d
		default:
			u.Up += d
		}
	}
	return u
}
