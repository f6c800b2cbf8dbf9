package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
)

// Kind is the shape of a reporting period.
type Kind string

// Period kinds.
const (
	KindDay     Kind = "day"     // 2026-10-05
	KindMonth   Kind = "month"   // 2026-10
	KindQuarter Kind = "quarter" // 2026-Q4
	KindYear    Kind = "year"    // 2026
	KindRange   Kind = "range"   // 2026-10-01..2026-10-15, both days included
)

// MaxMonths bounds the length of a period: a year and a month of slack, so
// that a rolling twelve months from the middle of a month fits.
const MaxMonths = 13

// Period is a span of whole days in the client's time zone: From is the
// first midnight, To the midnight that ends it (excluded).
type Period struct {
	Kind     Kind
	From, To time.Time
	Location *time.Location
}

// Validation codes of a period (field "period", "from" or "to").
const (
	codeInvalid     = "invalid_choice"
	codeFormat      = "invalid_format"
	codeEndBefore   = "end_before_start"
	codeFuture      = "in_future"
	codeTooLong     = "too_long" // param: MaxMonths
	codeMissingZone = "required"
)

// ParsePeriod reads a period of a kind written as in the Kind constants, in
// the time zone loc (the client's). A malformed value is a fault.Invalid
// naming "period" (or "from"/"to" for a range).
func ParsePeriod(kind Kind, value string, loc *time.Location) (Period, error) {
	if loc == nil {
		return Period{}, invalid("time_zone", codeMissingZone)
	}
	value = strings.TrimSpace(value)
	switch kind {
	case KindDay:
		d, err := time.ParseInLocation(time.DateOnly, value, loc)
		if err != nil {
			return Period{}, invalid("period", codeFormat, "YYYY-MM-DD")
		}
		return Day(d.Year(), d.Month(), d.Day(), loc), nil
	case KindMonth:
		d, err := time.ParseInLocation("2006-01", value, loc)
		if err != nil {
			return Period{}, invalid("period", codeFormat, "YYYY-MM")
		}
		return Month(d.Year(), d.Month(), loc), nil
	case KindQuarter:
		y, q, ok := strings.Cut(value, "-Q")
		year, err1 := strconv.Atoi(y)
		n, err2 := strconv.Atoi(q)
		if !ok || err1 != nil || err2 != nil || n < 1 || n > 4 || year < 1 || year > 9999 {
			return Period{}, invalid("period", codeFormat, "YYYY-Qn")
		}
		return Quarter(year, n, loc), nil
	case KindYear:
		year, err := strconv.Atoi(value)
		if err != nil || year < 1 || year > 9999 {
			return Period{}, invalid("period", codeFormat, "YYYY")
		}
		return Year(year, loc), nil
	case KindRange:
		a, b, ok := strings.Cut(value, "..")
		from, err1 := time.ParseInLocation(time.DateOnly, strings.TrimSpace(a), loc)
		to, err2 := time.ParseInLocation(time.DateOnly, strings.TrimSpace(b), loc)
		var v fault.Invalid
		if !ok || err1 != nil {
			v.Add("from", codeFormat, "YYYY-MM-DD")
		}
		if !ok || err2 != nil {
			v.Add("to", codeFormat, "YYYY-MM-DD")
		}
		if err := v.Err(); err != nil {
			return Period{}, err
		}
		return Range(from, to, loc), nil
	}
	return Period{}, invalid("kind", codeInvalid)
}

// Day is one day.
func Day(year int, month time.Month, day int, loc *time.Location) Period {
	from := time.Date(year, month, day, 0, 0, 0, 0, loc)
	return Period{Kind: KindDay, From: from, To: from.AddDate(0, 0, 1), Location: loc}
}

// Month is one calendar month.
func Month(year int, month time.Month, loc *time.Location) Period {
	from := time.Date(year, month, 1, 0, 0, 0, 0, loc)
	return Period{Kind: KindMonth, From: from, To: from.AddDate(0, 1, 0), Location: loc}
}

// Quarter is quarter q (1…4) of a year.
func Quarter(year, q int, loc *time.Location) Period {
	from := time.Date(year, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, loc)
	return Period{Kind: KindQuarter, From: from, To: from.AddDate(0, 3, 0), Location: loc}
}

// Year is one calendar year.
func Year(year int, loc *time.Location) Period {
	from := time.Date(year, time.January, 1, 0, 0, 0, 0, loc)
	return Period{Kind: KindYear, From: from, To: from.AddDate(1, 0, 0), Location: loc}
}

// Range is the days from first to last, both included (their clock time is
// ignored). An inverted range is kept as given so that Validate refuses it.
func Range(first, last time.Time, loc *time.Location) Period {
	f, l := first.In(loc), last.In(loc)
	from := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc)
	to := time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc)
	return Period{Kind: KindRange, From: from, To: to, Location: loc}
}

// Validate refuses a period that cannot be reported at now: an inverted one
// ("to": end_before_start), one that has not begun ("from": in_future), one
// longer than MaxMonths ("to": too_long). A period that has begun but not
// ended (the current month) is valid: its figures run "so far", up to now
// (see Until).
func (p Period) Validate(now time.Time) error {
	var v fault.Invalid
	switch {
	case p.Location == nil:
		v.Add("time_zone", codeMissingZone)
	case p.From.IsZero():
		v.Add("from", "required")
	case p.To.IsZero():
		v.Add("to", "required")
	case !p.To.After(p.From):
		v.Add("to", codeEndBefore)
	case !p.From.Before(now):
		v.Add("from", codeFuture)
	case p.To.After(p.From.AddDate(0, MaxMonths, 0)):
		v.Add("to", codeTooLong, MaxMonths)
	}
	return v.Err()
}

// Until is the end of the figures: To, or now while the period runs.
func (p Period) Until(now time.Time) time.Time {
	if p.To.After(now) {
		return now
	}
	return p.To
}

// SoFar reports whether the period is still running at now: its figures
// stop at now and will change.
func (p Period) SoFar(now time.Time) bool { return p.To.After(now) }

// Label is the period as ParsePeriod reads it back ("2026-10", "2026-Q4"…).
func (p Period) Label() string {
	switch p.Kind {
	case KindDay:
		return p.From.Format(time.DateOnly)
	case KindMonth:
		return p.From.Format("2006-01")
	case KindQuarter:
		return fmt.Sprintf("%d-Q%d", p.From.Year(), (int(p.From.Month())-1)/3+1)
	case KindYear:
		return strconv.Itoa(p.From.Year())
	}
	return p.From.Format(time.DateOnly) + ".." + p.To.AddDate(0, 0, -1).Format(time.DateOnly)
}

func invalid(field, code string, param ...any) error {
	v := &fault.Invalid{}
	v.Add(field, code, param...)
	return v
}
