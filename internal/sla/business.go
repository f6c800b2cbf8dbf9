package sla

import (
	"math"
	"time"
)

const (
	daySec = 86400
	// forever stands for "no bound" in second and day arithmetic; it is far
	// beyond year 9999 yet leaves room to add a day or a zone offset.
	forever = 1 << 62
	// minUnix and maxUnix bound the instants handled: 0001-01-01T00:00:00Z
	// and 9999-12-31T23:59:59Z.
	minUnix = -62135596800
	maxUnix = 253402300799
)

// Never returns the instant Add gives when the business time asked for never
// elapses: the calendar has no business time (the zero Calendar) or the result
// would fall after year 9999. It is 9999-12-31T23:59:59Z, later than anything
// Vigie stores, so a deadline of Never is never at risk nor breached; test for
// it with t.Equal(sla.Never()).
func Never() time.Time {
	return time.Unix(maxUnix, 0).UTC()
}

// empty reports whether the calendar has no business time at all.
func (c *Calendar) empty() bool {
	return c == nil || c.weekSec == 0 || c.loc == nil
}

// Add returns the earliest instant at which d of business time has elapsed
// since start; the result is in the calendar's location.
//
//   - Add(start, 0) is start itself, even outside business hours (use Next
//     for the next business instant). A negative d counts as 0.
//   - For d > 0 the result is the end of business time, not the start of the
//     next stretch: 1h added at Friday 17:00 on an office calendar is Friday
//     18:00, not Monday 08:30.
//   - Between(start, Add(start, d)) == d, and Add is strictly increasing in d.
//
// It returns Never when the calendar has no business time or the result
// would fall after year 9999. Ordinary weeks are skipped whole, so the cost
// grows with the number of closed dates and offset changes crossed, not with d.
func (c *Calendar) Add(start time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return start.In(c.Location())
	}
	if c.empty() || start.Unix() > maxUnix {
		return Never()
	}
	a, frac := start.Unix(), int64(start.Nanosecond())
	if a < minUnix {
		a, frac = minUnix, 0
	}
	// Every boundary of business time falls on a whole second, so a second is
	// wholly business time or not at all. Count the business part of start's
	// own second, then whole business seconds, then a remainder that lies
	// inside the last business second reached.
	if frac > 0 && !c.openSec(a) {
		frac = 0
	}
	q := int64(d / time.Second)
	r := int64(d%time.Second) + frac
	if r >= int64(time.Second) {
		q++
		r -= int64(time.Second)
	}
	if r == 0 {
		t, ok := c.addSec(a, q)
		if !ok {
			return Never()
		}
		return time.Unix(t, 0).In(c.loc)
	}
	// The result is r into the (q+1)-th business second, which ends at
	// addSec(a, q+1).
	t, ok := c.addSec(a, q+1)
	if !ok {
		return Never()
	}
	return time.Unix(t-1, r).In(c.loc)
}

// Between returns the business time from a to b; it is negative when b is
// before a, so Between(a, b) + Between(b, c) == Between(a, c) for any
// instants. Instants are taken within years 0001–9999, and the result
// saturates at the largest Duration (about 292 years).
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if b.Before(a) {
		return -c.Between(b, a)
	}
	if c.empty() {
		return 0
	}
	as, af := clampInstant(a)
	bs, bf := clampInstant(b)
	secs := c.betweenSec(as, bs)
	if secs > int64(math.MaxInt64/time.Second)-1 {
		return math.MaxInt64
	}
	ns := secs * int64(time.Second)
	if bf > 0 && c.openSec(bs) {
		ns += bf
	}
	if af > 0 && c.openSec(as) {
		ns -= af
	}
	return time.Duration(ns)
}

func clampInstant(t time.Time) (sec, nsec int64) {
	sec, nsec = t.Unix(), int64(t.Nanosecond())
	switch {
	case sec < minUnix:
		return minUnix, 0
	case sec > maxUnix:
		return maxUnix + 1, 0
	}
	return sec, nsec
}

// Open reports whether t is business time: the wall clock in the calendar's
// zone shows a time inside one of the ranges of its weekday, on a date that
// is not closed.
func (c *Calendar) Open(t time.Time) bool {
	if c.empty() || t.Unix() < minUnix || t.Unix() > maxUnix {
		return false
	}
	return c.openSec(t.Unix())
}

// Next returns t if it is business time, else the next instant that is
// (Never if none), in the calendar's location.
func (c *Calendar) Next(t time.Time) time.Time {
	if c.Open(t) {
		return t.In(c.loc)
	}
	if c.empty() || t.Unix() > maxUnix {
		return Never()
	}
	s := max(t.Unix(), minUnix)
	// The end of the first business second at or after s, minus that second.
	end, ok := c.addSec(s, 1)
	if !ok {
		return Never()
	}
	return time.Unix(end-1, 0).In(c.loc)
}

// openSec reports whether the second starting at unix time t is business time.
func (c *Calendar) openSec(t int64) bool {
	off, _ := c.zoneAt(t)
	w := t + off
	day := floorDiv(w, daySec)
	if c.closed(day) {
		return false
	}
	s := w - day*daySec
	for _, r := range c.week[weekdayOf(day)] {
		if r.from <= s && s < r.to {
			return true
		}
	}
	return false
}

// The model. An instant is business time when the wall clock it shows in the
// calendar's zone falls in a business range of its date. Within a stretch of
// constant UTC offset, wall time is unix time plus the offset, so business
// time can be counted on the "wall timeline" (seconds of local date and time,
// counted as if in UTC), where every day has 86400 seconds and a week without
// closed dates always holds weekSec business seconds. addSec and betweenSec cut
// the real timeline at each change of offset, count each stretch on the wall
// timeline, and add up. Nothing is assumed about the changes (one hour, half
// an hour, a skipped day), so DST is exact by construction.

// zoneAt returns the UTC offset in force at unix time t and a unix time end
// > t such that the offset is the same over [t, end) (forever if it never
// changes). end is usually the next change of offset, but may come earlier.
func (c *Calendar) zoneAt(t int64) (offset, end int64) {
	tt := time.Unix(t, 0).In(c.loc)
	_, off := tt.Zone()
	_, e := tt.ZoneBounds()
	end = forever
	if !e.IsZero() {
		end = e.Unix()
	}
	// ZoneBounds is only a hint: for years served by a zone's POSIX rule it
	// has returned an end before t on the last day of leap years
	// (golang/go#81583), which would stall the walk. Check it with Zone,
	// on which every conversion of the time package relies.
	if end <= t || (end < forever && c.offsetAt(end-1) != off) {
		end = c.scanOffsetEnd(t, off)
	}
	return int64(off), end
}

func (c *Calendar) offsetAt(t int64) int {
	_, off := time.Unix(t, 0).In(c.loc).Zone()
	return off
}

// scanOffsetEnd finds where the offset off in force at t ends, by steps of a
// day and a bisection in the day it changes, looking at most a year ahead
// (offsets change at most a few times a year, never twice in a day).
func (c *Calendar) scanOffsetEnd(t int64, off int) int64 {
	lo := t
	for range 366 {
		hi := lo + daySec
		if c.offsetAt(hi) == off {
			lo = hi
			continue
		}
		for hi-lo > 1 { // offsetAt(lo) == off, offsetAt(hi) != off
			mid := lo + (hi-lo)/2
			if c.offsetAt(mid) == off {
				lo = mid
			} else {
				hi = mid
			}
		}
		return hi
	}
	return lo
}

// addSec returns the earliest unix time u ≥ t such that [t, u) holds q
// business seconds; ok is false when that is after year 9999.
func (c *Calendar) addSec(t, q int64) (u int64, ok bool) {
	if q <= 0 {
		return t, true
	}
	if c.empty() {
		return 0, false
	}
	for t <= maxUnix {
		off, end := c.zoneAt(t)
		wEnd := int64(forever)
		if end < forever {
			wEnd = end + off
		}
		// Walking on past year 9999 is pointless; stop a day after it.
		wEnd = min(wEnd, maxUnix+2*daySec)
		pos, used := c.advance(t+off, wEnd, q)
		if used == q {
			u = pos - off
			return u, u <= maxUnix
		}
		q -= used
		if end >= forever {
			return 0, false
		}
		t = end
	}
	return 0, false
}

// betweenSec returns the business seconds in [a, b) of unix time, a ≤ b.
func (c *Calendar) betweenSec(a, b int64) int64 {
	var sum int64
	for t := a; t < b; {
		off, end := c.zoneAt(t)
		e := min(b, end)
		_, used := c.advance(t+off, e+off, forever)
		sum += used
		t = e
	}
	return sum
}

// advance walks the wall timeline from w towards wEnd, consuming at most q
// business seconds. It returns the business seconds used and where it stopped:
// the earliest position at which q seconds were used, or wEnd if fewer were
// available. It skips whole weeks free of closed dates in one step.
func (c *Calendar) advance(w, wEnd, q int64) (pos, used int64) {
	if q <= 0 || w >= wEnd {
		return w, 0
	}
	day := floorDiv(w, daySec)
	nextClosed := c.nextClosed(day)
	for w < wEnd {
		base := day * daySec
		if w == base && nextClosed-day >= 7 {
			// Seven consecutive open days hold weekSec seconds whatever the
			// weekday they start on. Stop one second short of q so that the
			// earliest position is found inside the last week, not after it.
			weeks := min(nextClosed-day, (wEnd-w)/daySec) / 7
			weeks = min(weeks, (q-used-1)/c.weekSec)
			if weeks > 0 {
				day += 7 * weeks
				w = day * daySec
				used += weeks * c.weekSec
				continue
			}
		}
		if day == nextClosed {
			nextClosed = c.nextClosed(day + 1)
		} else {
			for _, r := range c.week[weekdayOf(day)] {
				from, to := max(base+r.from, w), min(base+r.to, wEnd)
				if from >= to {
					continue
				}
				if to-from >= q-used {
					return from + (q - used), q
				}
				used += to - from
			}
		}
		day++
		w = day * daySec
	}
	return wEnd, used
}
