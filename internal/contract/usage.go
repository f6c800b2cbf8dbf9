package contract

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Usage is a contract's consumption in the period containing a date.
//
// Support time is the duration of the billable time entries of the
// client's tickets, travel not counted (it is reported apart), tickets out
// of the perimeter excluded (that work is billed on top). An on-site
// intervention is a billable time entry marked on site; the quota is per
// calendar month whatever the support mode. Periods are read in the
// client's time zone and cut to the contract's dates.
type Usage struct {
	ContractID int64  `json:"contract_id"`
	ClientID   int64  `json:"client_id"`
	Reference  string `json:"reference"`
	// Mode is the contract's support mode.
	Mode SupportMode `json:"mode"`
	// From and To bound the support period, To excluded: the calendar
	// month (monthly, none), or the pack's start to the end of the date
	// (pack).
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Support is the billable time consumed, Included what the contract
	// includes in the period (0: none).
	Support      time.Duration `json:"support"`
	Included     time.Duration `json:"included"`
	SupportLevel Level         `json:"support_level"`
	// OnSite is the on-site interventions of the calendar month, against
	// OnSiteIncluded (0: no quota).
	OnSite         int   `json:"onsite"`
	OnSiteIncluded int   `json:"onsite_included"`
	OnSiteLevel    Level `json:"onsite_level"`
}

// SupportPercent is the consumed share of the included time, rounded down
// (0 without a quota); it may exceed 100.
func (u Usage) SupportPercent() int {
	if u.Included <= 0 {
		return 0
	}
	return int(int64(u.Support/time.Second) * 100 / int64(u.Included/time.Second))
}

// OnSitePercent is the consumed share of the on-site quota, rounded down.
func (u Usage) OnSitePercent() int {
	if u.OnSiteIncluded <= 0 {
		return 0
	}
	return u.OnSite * 100 / u.OnSiteIncluded
}

// Worst is the higher of the support and on-site levels.
func (u Usage) Worst() Level {
	rank := map[Level]int{LevelOK: 0, LevelWarning: 1, LevelExhausted: 2}
	if rank[u.OnSiteLevel] > rank[u.SupportLevel] {
		return u.OnSiteLevel
	}
	return u.SupportLevel
}

// OnSiteLevel returns the level of n on-site interventions against a
// monthly quota, with the thresholds of ConsumptionLevel.
func OnSiteLevel(n, quota int) Level {
	return ConsumptionLevel(time.Duration(n)*time.Second, time.Duration(quota)*time.Second)
}

// UsageWindow is what to sum for one contract: billable time entries of
// the client's tickets (in the perimeter) started in [SupportFrom,
// SupportTo), and the on-site ones started in [MonthFrom, MonthTo).
type UsageWindow struct {
	ContractID, ClientID   int64
	SupportFrom, SupportTo time.Time
	MonthFrom, MonthTo     time.Time
}

// UsageSum is what a window sums to.
type UsageSum struct {
	Support time.Duration
	OnSite  int
}

// ZonedContract is a contract with its client's time zone.
type ZonedContract struct {
	Contract Contract
	Location *time.Location
}

// Summer sums usage windows: the one query behind every consumption
// figure (contract page, dashboards, reports, service review); *store.DB
// implements it.
type Summer interface {
	// UsageSums sums each window in one query, by index in windows.
	UsageSums(ctx context.Context, windows []UsageWindow) ([]UsageSum, error)
}

// UsageStore reads what usage needs; *store.DB implements it.
type UsageStore interface {
	Summer
	// ContractsAround returns the active contracts of the clients the
	// scope sees whose dates contain a day within one day of day (the
	// caller picks the one in force in each client's zone), with their
	// client's time zone; recipients and perimeter lists are not loaded.
	ContractsAround(ctx context.Context, s tenant.Scope, day time.Time) ([]ZonedContract, error)
}

// usageStore returns the store's usage side. Store does not declare it so
// that its other implementations (test fakes) need not; the application's
// store always has it.
func (svc *Service) usageStore() (UsageStore, error) {
	us, ok := svc.store.(UsageStore)
	if !ok {
		return nil, errors.New("contract store does not read usage")
	}
	return us, nil
}

// Window returns the periods of contract c containing instant at, read in
// loc: the support period and the calendar month, both cut to the
// contract's dates (To excluded). An empty period has From == To.
func Window(c Contract, at time.Time, loc *time.Location) UsageWindow {
	if loc == nil {
		loc = time.UTC
	}
	local := at.In(loc)
	y, m, d := local.Date()
	monthFrom := time.Date(y, m, 1, 0, 0, 0, 0, loc)
	monthTo := time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
	// The contract's dates are UTC midnights standing for local dates.
	midnight := func(day time.Time) time.Time {
		yy, mm, dd := day.Date()
		return time.Date(yy, mm, dd, 0, 0, 0, 0, loc)
	}
	start := midnight(c.Start)
	end := time.Time{} // zero: open-ended
	if !c.openEnded() {
		end = midnight(c.End.AddDate(0, 0, 1))
	}
	clip := func(from, to time.Time) (time.Time, time.Time) {
		if from.Before(start) {
			from = start
		}
		if !end.IsZero() && to.After(end) {
			to = end
		}
		if !to.After(from) {
			to = from
		}
		return from, to
	}
	w := UsageWindow{ContractID: c.ID, ClientID: c.ClientID}
	w.MonthFrom, w.MonthTo = clip(monthFrom, monthTo)
	if c.Support.Mode == SupportPack {
		from := start
		if c.Support.PackStart != nil {
			from = midnight(*c.Support.PackStart)
		}
		w.SupportFrom, w.SupportTo = clip(from, time.Date(y, m, d+1, 0, 0, 0, 0, loc))
	} else {
		w.SupportFrom, w.SupportTo = w.MonthFrom, w.MonthTo
	}
	return w
}

// usageOf builds a contract's Usage from its window and sums.
func usageOf(c Contract, w UsageWindow, sum UsageSum) Usage {
	u := Usage{
		ContractID: c.ID, ClientID: c.ClientID, Reference: c.Reference, Mode: c.Support.Mode,
		From: w.SupportFrom, To: w.SupportTo,
		Support: sum.Support, OnSite: sum.OnSite, OnSiteIncluded: c.OnSitePerMonth,
	}
	if c.Support.Mode != SupportNone {
		u.Included = time.Duration(c.Support.Minutes) * time.Minute
	}
	u.SupportLevel = c.Support.Level(u.Support)
	u.OnSiteLevel = OnSiteLevel(u.OnSite, u.OnSiteIncluded)
	return u
}

// Usage returns the consumption of the client's contract in force at
// instant at, in the period containing it; found is false when no
// contract is in force.
func (svc *Service) Usage(ctx context.Context, s tenant.Scope, clientID int64, at time.Time) (u Usage, found bool, err error) {
	c, found, err := svc.InForce(ctx, s, clientID, at)
	if err != nil || !found {
		return Usage{}, false, err
	}
	cl, err := svc.store.Client(ctx, s, clientID)
	if err != nil {
		return Usage{}, false, err
	}
	us, err := svc.UsageOf(ctx, c, Location(cl), []time.Time{at})
	if err != nil {
		return Usage{}, false, err
	}
	return us[0], true, nil
}

// ContractUsage returns the consumption of one contract the scope may read
// in the period containing at, whether or not the contract is in force
// then (an ended contract keeps its history).
func (svc *Service) ContractUsage(ctx context.Context, s tenant.Scope, contractID int64, at time.Time) (Usage, error) {
	us, err := svc.ContractHistory(ctx, s, contractID, []time.Time{at})
	if err != nil {
		return Usage{}, err
	}
	return us[0], nil
}

// ContractHistory returns the consumption of one contract in the periods
// containing each instant of ats (in one query).
func (svc *Service) ContractHistory(ctx context.Context, s tenant.Scope, contractID int64, ats []time.Time) ([]Usage, error) {
	if !s.Can(tenant.ClientRead) {
		return nil, fault.ErrForbidden
	}
	c, err := svc.store.Contract(ctx, s, contractID)
	if err != nil {
		return nil, err
	}
	cl, err := svc.store.Client(ctx, s, c.ClientID)
	if err != nil {
		return nil, err
	}
	return svc.UsageOf(ctx, c, Location(cl), ats)
}

// UsageOf computes a contract's consumption in the periods containing
// each instant of ats, read in loc. It checks no rights: the caller has
// read the contract.
func (svc *Service) UsageOf(ctx context.Context, c Contract, loc *time.Location, ats []time.Time) ([]Usage, error) {
	st, err := svc.usageStore()
	if err != nil {
		return nil, err
	}
	return Consumption(ctx, st, c, loc, ats)
}

// Consumption computes contract c's consumption in the periods containing
// each instant of ats, read in loc, in one query: the computation the
// contract page, the dashboards, the reports and the service review share.
func Consumption(ctx context.Context, st Summer, c Contract, loc *time.Location, ats []time.Time) ([]Usage, error) {
	ws := make([]UsageWindow, len(ats))
	for i, at := range ats {
		ws[i] = Window(c, at, loc)
	}
	sums, err := st.UsageSums(ctx, ws)
	if err != nil {
		return nil, fmt.Errorf("sum usage of contract %d: %w", c.ID, err)
	}
	out := make([]Usage, len(ats))
	for i := range ats {
		out[i] = usageOf(c, ws[i], sums[i])
	}
	return out, nil
}

// UsageAll returns the consumption of every contract in force at instant
// at among the clients the scope sees, by client id: two queries whatever
// the number of clients.
func (svc *Service) UsageAll(ctx context.Context, s tenant.Scope, at time.Time) ([]Usage, error) {
	if !s.Can(tenant.ClientRead) {
		return nil, fault.ErrForbidden
	}
	st, err := svc.usageStore()
	if err != nil {
		return nil, err
	}
	around, err := st.ContractsAround(ctx, s, Day(at, time.UTC))
	if err != nil {
		return nil, fmt.Errorf("list contracts in force: %w", err)
	}
	// Group by client, keeping the order (by client id) of the store.
	var (
		order   []int64
		byCl    = map[int64][]Contract{}
		locOf   = map[int64]*time.Location{}
		inForce []ZonedContract
	)
	for _, z := range around {
		id := z.Contract.ClientID
		if _, ok := byCl[id]; !ok {
			order = append(order, id)
		}
		byCl[id] = append(byCl[id], z.Contract)
		locOf[id] = z.Location
	}
	for _, id := range order {
		if c, ok := InForce(byCl[id], at, locOf[id]); ok {
			inForce = append(inForce, ZonedContract{Contract: c, Location: locOf[id]})
		}
	}
	if len(inForce) == 0 {
		return []Usage{}, nil
	}
	ws := make([]UsageWindow, len(inForce))
	for i, z := range inForce {
		ws[i] = Window(z.Contract, at, z.Location)
	}
	sums, err := st.UsageSums(ctx, ws)
	if err != nil {
		return nil, fmt.Errorf("sum usage of contracts in force: %w", err)
	}
	out := make([]Usage, len(inForce))
	for i, z := range inForce {
		out[i] = usageOf(z.Contract, ws[i], sums[i])
	}
	return out, nil
}
