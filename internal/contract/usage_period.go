package contract

import (
	"context"
	"time"
)

// PeriodUsage is a contract's consumption over a reporting period made of
// calendar months (a month, a quarter, a year), by the rule of Usage.
//
// Monthly support (and none) adds up the months of the period the
// contract covers, each against the minutes included that month; a pack
// is its consumption from its start to the end of the period against the
// pack (its balance then). On-site interventions add up the covered months
// against the monthly quota times their number.
type PeriodUsage struct {
	ContractID int64       `json:"contract_id"`
	Reference  string      `json:"reference"`
	Mode       SupportMode `json:"mode"`
	// Months is how many months of the period the contract covers (a
	// part of a month counts as a month).
	Months int `json:"months"`
	// Months' usage, oldest first (for a pack, each is the pack's
	// consumption at the end of that month).
	ByMonth        []Usage       `json:"by_month"`
	Support        time.Duration `json:"support"`
	Included       time.Duration `json:"included"`
	SupportLevel   Level         `json:"support_level"`
	OnSite         int           `json:"onsite"`
	OnSiteIncluded int           `json:"onsite_included"`
	OnSiteLevel    Level         `json:"onsite_level"`
}

// SupportPercent is the consumed share of the included time, rounded down
// (0 without hours included); it may exceed 100.
func (p PeriodUsage) SupportPercent() int {
	return Usage{Support: p.Support, Included: p.Included}.SupportPercent()
}

// OnSitePercent is the consumed share of the on-site quota, rounded down.
func (p PeriodUsage) OnSitePercent() int {
	return Usage{OnSite: p.OnSite, OnSiteIncluded: p.OnSiteIncluded}.OnSitePercent()
}

// ConsumptionOver computes contract c's consumption over [from, until),
// read in loc, with the windows and the single query of Consumption: the
// calendar months meeting the period, each read at its last instant in the
// period (so a pack's consumption runs to the end of the period).
func ConsumptionOver(ctx context.Context, st Summer, c Contract, loc *time.Location, from, until time.Time) (PeriodUsage, error) {
	if loc == nil {
		loc = time.UTC
	}
	var ats []time.Time
	for m := monthStart(from, loc); m.Before(until); m = m.AddDate(0, 1, 0) {
		end := m.AddDate(0, 1, 0)
		if end.After(until) {
			end = until
		}
		ats = append(ats, end.Add(-time.Nanosecond))
	}
	p := PeriodUsage{ContractID: c.ID, Reference: c.Reference, Mode: c.Support.Mode, ByMonth: []Usage{}}
	us, err := Consumption(ctx, st, c, loc, ats)
	if err != nil {
		return PeriodUsage{}, err
	}
	for i, u := range us {
		if w := Window(c, ats[i], loc); !w.MonthTo.After(w.MonthFrom) {
			continue // the contract does not cover this month
		}
		p.Months++
		p.ByMonth = append(p.ByMonth, u)
		p.OnSite += u.OnSite
		p.OnSiteIncluded += u.OnSiteIncluded
		if c.Support.Mode == SupportPack {
			p.Support, p.Included = u.Support, u.Included
		} else {
			p.Support += u.Support
			p.Included += u.Included
		}
	}
	p.SupportLevel = ConsumptionLevel(p.Support, p.Included)
	p.OnSiteLevel = OnSiteLevel(p.OnSite, p.OnSiteIncluded)
	return p, nil
}

// monthStart is the first instant of the calendar month of t in loc.
func monthStart(t time.Time, loc *time.Location) time.Time {
	y, m, _ := t.In(loc).Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, loc)
}
