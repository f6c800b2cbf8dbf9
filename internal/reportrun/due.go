package reportrun

import (
	"time"

	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/report"
)

// DefaultReadyHour is the local hour after the end of a period at which its
// report is due: late enough for the night's backups and checks to be in.
const DefaultReadyHour = 6

// Due is a report the scheduler owes a client: a kind and its period.
type Due struct {
	Kind   string
	Period report.Period
}

// periodAt returns the period of a kind that contains the local day of t.
func periodAt(kind string, t time.Time, loc *time.Location) report.Period {
	l := t.In(loc)
	switch report.PeriodKind(kind) {
	case report.KindDay:
		return report.Day(l.Year(), l.Month(), l.Day(), loc)
	case report.KindQuarter:
		return report.Quarter(l.Year(), (int(l.Month())-1)/3+1, loc)
	case report.KindYear:
		return report.Year(l.Year(), loc)
	}
	return report.Month(l.Year(), l.Month(), loc)
}

// previous returns the period of the same kind just before p.
func previous(kind string, p report.Period) report.Period {
	// The day before From is in the previous period whatever its length
	// (From is a local midnight; one hour earlier is the day before, DST or not).
	return periodAt(kind, p.From.Add(-time.Hour), p.Location)
}

// ReadyAt is when the report of period p is due: readyHour o'clock, wall
// clock in the period's zone, on the day its period ends (the day after its
// last day). On a DST day 06:00 is still 06:00 local.
func ReadyAt(p report.Period, readyHour int) time.Time {
	end := p.To.In(p.Location)
	return time.Date(end.Year(), end.Month(), end.Day(), readyHour, 0, 0, 0, p.Location)
}

// LastDue returns the latest period of a kind whose report is due at now in
// zone loc: the previous day, month, quarter or year once readyHour has
// passed on the first day after it, else the one before.
func LastDue(kind string, now time.Time, loc *time.Location, readyHour int) report.Period {
	p := previous(kind, periodAt(kind, now, loc))
	if now.Before(ReadyAt(p, readyHour)) {
		p = previous(kind, p)
	}
	return p
}

// enabled reports whether a contract's reporting cadence asks for kind.
func enabled(r contract.Reporting, kind string) bool {
	switch kind {
	case report.DocDaily:
		return r.Daily
	case report.DocMonthly:
		return r.Monthly
	case report.DocReview:
		return r.Quarterly
	case report.DocAnnual:
		return r.Annual
	}
	return false
}

// LastDay is the instant that decides which contract covers a period: the
// last second of its last day.
func LastDay(p report.Period) time.Time { return p.To.Add(-time.Second) }
