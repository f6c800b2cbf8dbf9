package sla

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Limits that keep a calendar cheap to walk; a real contract is far below them.
const (
	maxRangesPerDay = 48
	maxDates        = 1000 // extra plus worked dates
)

// Range is a span of business hours within a day: from Start (inclusive) to
// End (exclusive), both wall-clock offsets from midnight in whole minutes, with
// 0 ≤ Start < End ≤ 24h. A range never crosses midnight: a night shift is two
// ranges, 22:00–24:00 on one day and 00:00–06:00 on the next.
type Range struct {
	Start, End time.Duration
}

// String returns the range as "HH:MM-HH:MM", the form used in a calendar's text.
func (r Range) String() string {
	return clockString(r.Start) + "-" + clockString(r.End)
}

func clockString(d time.Duration) string {
	m := int64(d / time.Minute)
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// Config is the editable description of a calendar. New validates it and
// returns the Calendar; Calendar.Config gives it back in canonical form.
type Config struct {
	// Zone is the IANA name of the time zone in which the ranges and dates are
	// read, e.g. "Europe/Paris".
	Zone string
	// Week holds the business ranges of each weekday, indexed by time.Weekday.
	Week [7][]Range
	// Holidays is the set of public holidays observed.
	Holidays HolidaySet
	// Extra are further closed dates, e.g. a bridge day or 24 December. A
	// closed date is closed all day.
	Extra []Date
	// Worked are public holidays of the set that are worked nonetheless, e.g.
	// Whit Monday as the "journée de solidarité".
	Worked []Date
}

// Calendar tells which instants are business time for one client's contract,
// and counts business time between instants. A Calendar is immutable and safe
// for concurrent use. The zero Calendar (and a nil *Calendar) has no business
// time at all: Add returns Never and Between returns 0.
type Calendar struct {
	cfg     Config // canonical: ranges sorted, dates sorted and distinct
	loc     *time.Location
	week    [7][]span // ranges in seconds of the day
	weekSec int64     // business seconds in a week without closed days
	extra   []int64   // day numbers, sorted
	worked  []int64   // day numbers, sorted
}

// span is a half-open interval [from, to) of seconds.
type span struct{ from, to int64 }

// FieldError is one problem with one field of a calendar, a policy or an
// event list.
type FieldError struct {
	// Field names the field as in the calendar's text form ("tz",
	// "week.mon[1]", "extra[0]") or, for Evaluate, "policy.targets[P1].ttr",
	// "events[3]".
	Field string
	// Reason says what is wrong, in English.
	Reason string
}

// ValidationError lists every problem found in a calendar, a policy or an
// event list; nothing is built from input that has one.
type ValidationError struct {
	Fields []FieldError
}

// Error joins the problems as "field: reason; field: reason".
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Reason
	}
	return "invalid: " + strings.Join(parts, "; ")
}

func (e *ValidationError) add(field, format string, args ...any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// err returns the problems as an error, or nil; it allocates only when
// there is a problem, as Evaluate validates on every call.
func (e *ValidationError) err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	out := *e
	return &out
}

// dayKey returns the name of a weekday in the text form.
func dayKey(wd time.Weekday) string {
	return [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}[wd]
}

// New validates cfg and returns its calendar. Every problem is reported in a
// *ValidationError naming the field. Ranges of a day may be given in any order;
// they must not overlap (touching is fine). A week with no business hours is
// refused: a contract without service hours has no SLA, so it has no policy.
func New(cfg Config) (*Calendar, error) {
	var v ValidationError
	c := &Calendar{}

	switch cfg.Zone {
	case "":
		v.add("tz", "required (an IANA zone such as Europe/Paris)")
	case "Local":
		v.add("tz", `"Local" depends on the server; name the zone, e.g. Europe/Paris`)
	default:
		loc, err := time.LoadLocation(cfg.Zone)
		if err != nil {
			v.add("tz", "unknown time zone %q", cfg.Zone)
		}
		c.loc = loc
	}
	c.cfg.Zone = cfg.Zone

	for wd := range cfg.Week {
		ranges := cfg.Week[wd]
		if len(ranges) > maxRangesPerDay {
			v.add("week."+dayKey(time.Weekday(wd)), "more than %d ranges", maxRangesPerDay)
			continue
		}
		ok := true
		for i, r := range ranges {
			field := fmt.Sprintf("week.%s[%d]", dayKey(time.Weekday(wd)), i)
			switch {
			case r.Start < 0 || r.Start >= 24*time.Hour:
				v.add(field, "start %v is not a time of day between 00:00 and 23:59", r.Start)
				ok = false
			case r.End <= 0 || r.End > 24*time.Hour:
				v.add(field, "end %v is not a time of day between 00:01 and 24:00", r.End)
				ok = false
			case r.Start%time.Minute != 0 || r.End%time.Minute != 0:
				v.add(field, "%v-%v: times must be whole minutes", r.Start, r.End)
				ok = false
			case r.End == r.Start:
				v.add(field, "%s: empty range (end equals start)", r)
				ok = false
			case r.End < r.Start:
				v.add(field, "%s: end before start (a range cannot cross midnight; split it in two days)", r)
				ok = false
			}
		}
		if !ok {
			continue
		}
		// Sort a copy by start, remembering the caller's indexes for errors.
		idx := make([]int, len(ranges))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(ranges[a].Start, ranges[b].Start) })
		sorted := make([]Range, 0, len(ranges))
		for k, i := range idx {
			if k > 0 && ranges[i].Start < ranges[idx[k-1]].End {
				v.add(fmt.Sprintf("week.%s[%d]", dayKey(time.Weekday(wd)), i), "%s overlaps %s", ranges[i], ranges[idx[k-1]])
				ok = false
			}
			sorted = append(sorted, ranges[i])
		}
		if !ok {
			continue
		}
		if len(sorted) > 0 {
			c.cfg.Week[wd] = sorted
			c.week[wd] = make([]span, len(sorted))
			for i, r := range sorted {
				c.week[wd][i] = span{int64(r.Start / time.Second), int64(r.End / time.Second)}
				c.weekSec += int64((r.End - r.Start) / time.Second)
			}
		}
	}
	if c.weekSec == 0 && len(v.Fields) == 0 {
		v.add("week", "no business hours (use the 24×7 calendar for round-the-clock service)")
	}

	if !cfg.Holidays.valid() {
		v.add("holidays", "unknown holiday set %q (want %q, %q or none)", cfg.Holidays, FrenchHolidays, AlsaceMoselleHolidays)
	}
	c.cfg.Holidays = cfg.Holidays

	if len(cfg.Extra)+len(cfg.Worked) > maxDates {
		v.add("extra", "more than %d extra and worked dates", maxDates)
		return nil, v.err()
	}
	c.extra, c.cfg.Extra = canonicalDates(&v, "extra", cfg.Extra)
	c.worked, c.cfg.Worked = canonicalDates(&v, "worked", cfg.Worked)
	for i, d := range cfg.Worked {
		if !d.valid() || !cfg.Holidays.valid() {
			continue
		}
		n := d.dayNumber()
		if _, found := slices.BinarySearch(c.extra, n); found {
			v.add(fmt.Sprintf("worked[%d]", i), "%s is also an extra closed date", d)
			continue
		}
		var buf [13]int64
		if !slices.Contains(cfg.Holidays.appendDays(buf[:0], int64(d.Year)), n) {
			v.add(fmt.Sprintf("worked[%d]", i), "%s is not a public holiday of the set %q", d, cfg.Holidays)
		}
	}

	if err := v.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// canonicalDates validates dates and returns them sorted and distinct, as day
// numbers and as dates.
func canonicalDates(v *ValidationError, field string, dates []Date) ([]int64, []Date) {
	var days []int64
	for i, d := range dates {
		if !d.valid() {
			v.add(fmt.Sprintf("%s[%d]", field, i), "%04d-%02d-%02d is not a day of the calendar (years 0001 to 9999)", d.Year, int(d.Month), d.Day)
			continue
		}
		days = append(days, d.dayNumber())
	}
	slices.Sort(days)
	days = slices.Compact(days)
	if len(days) == 0 {
		return nil, nil
	}
	out := make([]Date, len(days))
	for i, n := range days {
		out[i] = dateOf(n)
	}
	return days, out
}

// AlwaysOpen returns the 24×7 calendar: every instant is business time, so
// business time is elapsed time. Its zone is UTC, which only matters for the
// location of the instants Add returns.
func AlwaysOpen() *Calendar {
	c := &Calendar{loc: time.UTC}
	c.cfg.Zone = "UTC"
	for wd := range c.week {
		c.cfg.Week[wd] = []Range{{0, 24 * time.Hour}}
		c.week[wd] = []span{{0, 86400}}
	}
	c.weekSec = 7 * 86400
	return c
}

// Config returns a copy of the calendar's description, in canonical form
// (ranges sorted by start, dates sorted and distinct).
func (c *Calendar) Config() Config {
	if c == nil {
		return Config{}
	}
	out := Config{Zone: c.cfg.Zone, Holidays: c.cfg.Holidays}
	for wd, rs := range c.cfg.Week {
		out.Week[wd] = slices.Clone(rs)
	}
	out.Extra = slices.Clone(c.cfg.Extra)
	out.Worked = slices.Clone(c.cfg.Worked)
	return out
}

// Location returns the calendar's time zone (UTC for the zero Calendar).
func (c *Calendar) Location() *time.Location {
	if c == nil || c.loc == nil {
		return time.UTC
	}
	return c.loc
}

// WeeklyHours returns the business time of a week that has no closed day and
// no change of UTC offset.
func (c *Calendar) WeeklyHours() time.Duration {
	if c == nil {
		return 0
	}
	return time.Duration(c.weekSec) * time.Second
}

// Holidays returns the dates of year on which the calendar is closed although
// the weekday may have business hours: the holidays of its set and its extra
// dates, minus its worked dates, in order.
func (c *Calendar) Holidays(year int) []Date {
	if c == nil {
		return nil
	}
	first := daysFromCivil(int64(year), 1, 1)
	last := daysFromCivil(int64(year), 12, 31)
	var out []Date
	for day := c.nextClosed(first); day <= last; day = c.nextClosed(day + 1) {
		out = append(out, dateOf(day))
	}
	return out
}

// closed reports whether day is a closed date.
func (c *Calendar) closed(day int64) bool {
	return c.nextClosed(day) == day
}

// nextClosed returns the first closed day number at or after day, or forever.
func (c *Calendar) nextClosed(day int64) int64 {
	best := int64(forever)
	if i, _ := slices.BinarySearch(c.extra, day); i < len(c.extra) {
		best = c.extra[i]
	}
	if c.cfg.Holidays == NoHolidays {
		return best
	}
	y, _, _ := civilFromDays(day)
	// Every year has holidays; only worked dates can empty one, and there
	// are at most maxDates of them, so this loop is short.
	for ; y <= 10000; y++ {
		if daysFromCivil(y, 1, 1) >= best {
			break
		}
		var buf [13]int64
		for _, h := range c.cfg.Holidays.appendDays(buf[:0], y) {
			if h < day {
				continue
			}
			if _, worked := slices.BinarySearch(c.worked, h); worked {
				continue
			}
			return min(best, h)
		}
	}
	return best
}
