package report

import (
	"context"
	"fmt"
	"time"

	"github.com/vigie-hq/vigie/internal/contract"
)

// Support statuses.
const (
	SupportMeasured   = "measured"       // a contract is in force: the figures are set
	SupportNoContract = "no_contract"    // no contract in force at the end of the period
	SupportPartial    = "partial_period" // the period is not made of whole months
)

// Support is the support time consumed against the contract in force at
// the end of the period: contract.ConsumptionOver, the computation of the
// contract page and the dashboards (billable time of the client's tickets
// in the perimeter, travel not counted; a month, or a pack's balance at
// the end of the period). Out-of-perimeter billable time is billed on top
// and shown apart.
type Support struct {
	Status     string               `json:"status"`
	ContractID int64                `json:"contract_id,omitempty"`
	Reference  string               `json:"reference,omitempty"`
	Mode       contract.SupportMode `json:"mode,omitempty"`
	// Months is how many months of the period the contract covers.
	Months          int            `json:"months,omitempty"`
	ConsumedMinutes int            `json:"consumed_minutes"`
	IncludedMinutes int            `json:"included_minutes"`
	Percent         int            `json:"percent"`
	Level           contract.Level `json:"level,omitempty"`
	OnSite          int            `json:"onsite"`
	OnSiteIncluded  int            `json:"onsite_included"`
	OnSitePercent   int            `json:"onsite_percent"`
	OnSiteLevel     contract.Level `json:"onsite_level,omitempty"`
	// OutOfPerimeterBillableMinutes is the billable time on tickets out of
	// the perimeter (OutOfPerimeter.BillableMinutes), billed on top.
	OutOfPerimeterBillableMinutes int `json:"out_of_perimeter_billable_minutes"`
}

// Measured says whether the support figures are set.
func (s Support) Measured() bool { return s.Status == SupportMeasured }

// SupportOf lays out a contract's consumption over the period.
func SupportOf(u contract.PeriodUsage, out OutOfPerimeter) Support {
	return Support{Status: SupportMeasured, ContractID: u.ContractID, Reference: u.Reference, Mode: u.Mode, Months: u.Months,
		ConsumedMinutes: minutes(u.Support), IncludedMinutes: minutes(u.Included), Percent: u.SupportPercent(), Level: u.SupportLevel,
		OnSite: u.OnSite, OnSiteIncluded: u.OnSiteIncluded, OnSitePercent: u.OnSitePercent(), OnSiteLevel: u.OnSiteLevel,
		OutOfPerimeterBillableMinutes: out.BillableMinutes}
}

// wholeMonths says whether [from, to) is made of whole calendar months of
// loc (a month, a quarter, a year): included hours are per month.
func wholeMonths(from, to time.Time, loc *time.Location) bool {
	f, t := from.In(loc), to.In(loc)
	atMonthStart := func(x time.Time) bool {
		return x.Day() == 1 && x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0
	}
	return atMonthStart(f) && atMonthStart(t) && t.After(f)
}

// supportFigures reads the contract in force at the end of the period and
// its consumption over [from, until).
func supportFigures(ctx context.Context, st Store, clientID int64, p Period, from, until time.Time, out OutOfPerimeter) (Support, error) {
	none := Support{OutOfPerimeterBillableMinutes: out.BillableMinutes}
	if !wholeMonths(p.From, p.To, p.Location) {
		none.Status = SupportPartial
		return none, nil
	}
	c, found, err := st.ReportContract(ctx, clientID, contract.Day(until.Add(-time.Second), p.Location))
	if err != nil {
		return Support{}, fmt.Errorf("report contract of client %d: %w", clientID, err)
	}
	if !found {
		none.Status = SupportNoContract
		return none, nil
	}
	u, err := contract.ConsumptionOver(ctx, st, c, p.Location, from, until)
	if err != nil {
		return Support{}, fmt.Errorf("report support of client %d: %w", clientID, err)
	}
	return SupportOf(u, out), nil
}
