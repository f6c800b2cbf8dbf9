package check

import (
	"fmt"
	"slices"
	"time"
)

// Scope locates an asset: the client and site that own it and the asset itself.
type Scope struct {
	ClientID, SiteID, AssetID int64
}

// Window is a maintenance window for an asset, a site or a client: the
// narrowest non-zero target among AssetID, SiteID and ClientID decides (a
// site window covers every asset of the site). It is one-off (From, To) when
// Weekdays is empty, else recurring.
//
// A recurring window starts on each of its Weekdays at Start (a wall-clock
// time of day in Location) and lasts Duration of real time: a 2 h window from
// 02:00 on the night clocks go forward ends at 04:00 CEST, two hours later.
// A Start that does not exist that day (inside the skipped hour) begins at
// the same instant as the wall time read with the offset before the change,
// i.e. an hour later on the wall clock (Go's time.Date rule); a Start that
// occurs twice (the repeated hour in autumn) begins at the first occurrence.
type Window struct {
	ClientID, SiteID, AssetID int64
	// From and To bound a one-off window (To excluded).
	From, To time.Time
	// Weekdays, Start, Duration and Location describe a recurring window.
	Weekdays []time.Weekday
	Start    time.Duration // time of day since midnight, e.g. 22*time.Hour
	Duration time.Duration
	Location *time.Location // nil means UTC
	// Comment says why (shown on the board).
	Comment string
}

// maxRecurring bounds a recurring window's duration: a week would overlap
// the next occurrence of the same day.
const maxRecurring = 7 * 24 * time.Hour

// Validate reports the first problem of w.
func (w Window) Validate() error {
	if w.ClientID == 0 && w.SiteID == 0 && w.AssetID == 0 {
		return fmt.Errorf("maintenance window: an asset, a site or a client is required")
	}
	if len(w.Weekdays) == 0 {
		if w.From.IsZero() || w.To.IsZero() || !w.To.After(w.From) {
			return fmt.Errorf("maintenance window: the end must be after the start")
		}
		return nil
	}
	for _, d := range w.Weekdays {
		if d < time.Sunday || d > time.Saturday {
			return fmt.Errorf("maintenance window: invalid weekday %d", d)
		}
	}
	if w.Start < 0 || w.Start >= 24*time.Hour {
		return fmt.Errorf("maintenance window: the start time must be between 00:00 and 23:59")
	}
	if w.Duration <= 0 || w.Duration > maxRecurring {
		return fmt.Errorf("maintenance window: the duration must be between 1 s and 7 days")
	}
	return nil
}

// Covers reports whether the window applies to an asset in scope s.
func (w Window) Covers(s Scope) bool {
	switch {
	case w.AssetID != 0:
		return w.AssetID == s.AssetID
	case w.SiteID != 0:
		return w.SiteID == s.SiteID && (w.ClientID == 0 || w.ClientID == s.ClientID)
	case w.ClientID != 0:
		return w.ClientID == s.ClientID
	}
	return false
}

// Active reports whether t is inside the window (whatever its scope).
func (w Window) Active(t time.Time) bool {
	if len(w.Weekdays) == 0 {
		return !t.Before(w.From) && t.Before(w.To)
	}
	if w.Duration <= 0 {
		return false
	}
	found := false
	w.occurrences(t, t, func(s, e time.Time) bool {
		if !t.Before(s) && t.Before(e) {
			found = true
			return false
		}
		return true
	})
	return found
}

// occurrences calls fn with each occurrence [start, end) of a recurring
// window that may overlap [from, to], in order, until fn returns false.
func (w Window) occurrences(from, to time.Time, fn func(s, e time.Time) bool) {
	loc := w.Location
	if loc == nil {
		loc = time.UTC
	}
	// An occurrence overlapping from started at most Duration before it;
	// one more day covers the zone offset and a Start late in the day.
	first := from.Add(-w.Duration).In(loc)
	y, m, d := first.Date()
	day := time.Date(y, m, d-1, 0, 0, 0, 0, time.UTC)
	end := to.In(loc)
	ey, em, ed := end.Date()
	last := time.Date(ey, em, ed, 0, 0, 0, 0, time.UTC)
	hh, mm, ss := int(w.Start/time.Hour), int(w.Start%time.Hour/time.Minute), int(w.Start%time.Minute/time.Second)
	for ; !day.After(last); day = day.AddDate(0, 0, 1) {
		if !slices.Contains(w.Weekdays, day.Weekday()) {
			continue
		}
		s := firstAt(day, hh, mm, ss, loc)
		e := s.Add(w.Duration)
		if !e.After(from) || s.After(to) {
			continue
		}
		if !fn(s, e) {
			return
		}
	}
}

// InMaintenance reports whether an asset in scope s is in one of the windows at t.
func InMaintenance(windows []Window, s Scope, t time.Time) bool {
	for _, w := range windows {
		if w.Covers(s) && w.Active(t) {
			return true
		}
	}
	return false
}

// Interval is a span of time [From, To).
type Interval struct {
	From, To time.Time
}

// MaintenanceIntervals returns the maintenance of an asset in scope s within
// [from, to): the windows that cover it, clipped, sorted and merged.
func MaintenanceIntervals(windows []Window, s Scope, from, to time.Time) []Interval {
	var out []Interval
	add := func(a, b time.Time) {
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if a.Before(b) {
			out = append(out, Interval{a, b})
		}
	}
	for _, w := range windows {
		if !w.Covers(s) {
			continue
		}
		if len(w.Weekdays) == 0 {
			add(w.From, w.To)
			continue
		}
		if w.Duration <= 0 {
			continue
		}
		w.occurrences(from, to, func(a, b time.Time) bool { add(a, b); return true })
	}
	return mergeIntervals(out)
}

// mergeIntervals sorts and merges overlapping or touching intervals.
func mergeIntervals(in []Interval) []Interval {
	slices.SortFunc(in, func(a, b Interval) int { return a.From.Compare(b.From) })
	var out []Interval
	for _, iv := range in {
		if n := len(out); n > 0 && !iv.From.After(out[n-1].To) {
			if iv.To.After(out[n-1].To) {
				out[n-1].To = iv.To
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// firstAt returns the instant the wall clock in loc first shows hh:mm:ss on
// day. time.Date picks the second occurrence of a repeated time (autumn);
// a maintenance scheduled for 02:30 starts at the first one, as cron does.
func firstAt(day time.Time, hh, mm, ss int, loc *time.Location) time.Time {
	t := time.Date(day.Year(), day.Month(), day.Day(), hh, mm, ss, 0, loc)
	for _, d := range []time.Duration{time.Hour, 30 * time.Minute} {
		e := t.Add(-d)
		if eh, em, es := e.Clock(); eh == hh && em == mm && es == ss && e.Day() == t.Day() {
			return e
		}
	}
	return t
}
