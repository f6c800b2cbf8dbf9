package dashboard

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

// Service computes the dashboards.
type Service struct {
	store   Store
	reports report.Store
	usage   Usage
}

// New returns a Service. reports feeds the client dashboard's monthly
// figures (report.Figures); usage may be nil: no contract is then shown as
// near its quota.
func New(store Store, reports report.Store, usage Usage) *Service {
	return &Service{store: store, reports: reports, usage: usage}
}

// Levels are the support levels always shown, in order; a level found on
// tickets beyond them is added after.
var Levels = []string{user.LevelN1, user.LevelN2, user.LevelN3}

// Severities are the check severities, most severe first, as the
// dashboards list them.
var Severities = []supervision.Severity{supervision.SeverityCritical, supervision.SeverityMajor, supervision.SeverityMinor}

// Open is the open tickets of a client (or of all), split.
type Open struct {
	Open, AtRisk, Breached int
	// ByLevel counts per support level (keys of Staff.Levels).
	ByLevel map[string]int
	// ByPriority counts P1…P4 at index 0…3.
	ByPriority [4]int
}

// OnTime is the open tickets neither at risk nor breached.
func (o Open) OnTime() int { return o.Open - o.AtRisk - o.Breached }

func (o *Open) add(c TicketCount) {
	o.Open += c.Open
	o.AtRisk += c.AtRisk
	o.Breached += c.Breached
	if o.ByLevel == nil {
		o.ByLevel = map[string]int{}
	}
	o.ByLevel[c.Level] += c.Open
	if c.Priority.Valid() {
		o.ByPriority[c.Priority-1] += c.Open
	}
}

// Problems is the active problems of a client (or of all) by severity.
type Problems struct {
	Total        int
	Acknowledged int
	// BySeverity counts per Severities (critical, major, minor).
	BySeverity [3]int
}

// Critical is the active problems of critical severity.
func (p Problems) Critical() int { return p.BySeverity[0] }

func (p *Problems) add(c ProblemCount) {
	p.Total += c.Count
	p.Acknowledged += c.Acknowledged
	if i := slices.Index(Severities, c.Severity); i >= 0 {
		p.BySeverity[i] += c.Count
	}
}

// Line is one client of the staff dashboard.
type Line struct {
	Client   ClientRef
	Open     Open
	Problems Problems
	// Quotas are the client's contracts consumed at 80 % or more.
	Quotas []contract.Usage
	// Renewal is set when the contract in force is near its notice date or end.
	Renewal *Renewal
}

// Attention reports whether anything of the client needs a look: a ticket
// breached or at risk, an active problem, a quota or a renewal.
func (l Line) Attention() bool {
	return l.Open.Breached > 0 || l.Open.AtRisk > 0 || l.Problems.Total > 0 || len(l.Quotas) > 0 || l.Renewal != nil
}

// exhausted reports whether one of the client's quotas is used up.
func (l Line) exhausted() bool {
	return slices.ContainsFunc(l.Quotas, func(q contract.Usage) bool { return q.Worst() == contract.LevelExhausted })
}

// urgency orders the lines, most urgent first: breached tickets, critical
// problems, an exhausted quota, tickets at risk, major problems, the
// nearest renewal, a quota at 80 %, minor problems, then the most open
// tickets and the name.
func urgency(a, b Line) int {
	renewal := func(l Line) int {
		if l.Renewal == nil {
			return 1 << 30
		}
		return l.Renewal.Days
	}
	bit := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	return cmp.Or(
		cmp.Compare(b.Open.Breached, a.Open.Breached),
		cmp.Compare(b.Problems.BySeverity[0], a.Problems.BySeverity[0]),
		cmp.Compare(bit(b.exhausted()), bit(a.exhausted())),
		cmp.Compare(b.Open.AtRisk, a.Open.AtRisk),
		cmp.Compare(b.Problems.BySeverity[1], a.Problems.BySeverity[1]),
		cmp.Compare(renewal(a), renewal(b)),
		cmp.Compare(len(b.Quotas), len(a.Quotas)),
		cmp.Compare(b.Problems.BySeverity[2], a.Problems.BySeverity[2]),
		cmp.Compare(b.Open.Open, a.Open.Open),
		cmp.Compare(a.Client.Name, b.Client.Name),
		cmp.Compare(a.Client.ID, b.Client.ID),
	)
}

// Staff is the staff dashboard: every client the scope sees.
type Staff struct {
	Now time.Time
	// Levels are the support levels, in order.
	Levels   []string
	Open     Open
	Problems Problems
	// Lines has one line per client, most urgent first (see Line.Attention).
	Lines []Line
	// Quotas and Renewals are the contracts near their quota (80 % or
	// more, the most consumed first) and their renewal (the nearest first).
	Quotas   []contract.Usage
	Renewals []Renewal
}

// Staff returns the staff dashboard at now for the clients the scope sees.
// Only staff have one (fault.ErrForbidden otherwise).
func (svc *Service) Staff(ctx context.Context, s tenant.Scope, now time.Time) (Staff, error) {
	if !s.Staff() || !s.Can(tenant.ClientRead) || !s.Can(tenant.TicketRead) {
		return Staff{}, fault.ErrForbidden
	}
	d := Staff{Now: now, Levels: slices.Clone(Levels)}
	clients, err := svc.store.DashboardClients(ctx, s, 0)
	if err != nil {
		return Staff{}, fmt.Errorf("dashboard clients: %w", err)
	}
	lines := make(map[int64]*Line, len(clients))
	d.Lines = make([]Line, len(clients))
	for i, c := range clients {
		d.Lines[i] = Line{Client: c, Open: Open{ByLevel: map[string]int{}}}
		lines[c.ID] = &d.Lines[i]
	}
	d.Open.ByLevel = map[string]int{}

	// The four reads are independent: run at once on the read pool, the
	// page waits for the slowest (the open tickets' count) rather than
	// for their sum.
	var (
		tickets  []TicketCount
		problems []ProblemCount
		renewals []Renewal
		quotas   []contract.Usage
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		if tickets, err = svc.store.DashboardTickets(gctx, s, 0, now); err != nil {
			return fmt.Errorf("dashboard tickets: %w", err)
		}
		return nil
	})
	if s.Can(tenant.SupervisionRead) {
		g.Go(func() (err error) {
			if problems, err = svc.store.DashboardProblems(gctx, s, 0); err != nil {
				return fmt.Errorf("dashboard problems: %w", err)
			}
			return nil
		})
	}
	g.Go(func() (err error) {
		renewals, err = svc.renewals(gctx, s, 0, clients, now)
		return err
	})
	g.Go(func() (err error) {
		quotas, err = svc.nearQuota(gctx, s, 0, now)
		return err
	})
	if err := g.Wait(); err != nil {
		return Staff{}, err
	}

	for _, c := range tickets {
		l, ok := lines[c.ClientID]
		if !ok {
			continue // an archived client
		}
		l.Open.add(c)
		d.Open.add(c)
		if !slices.Contains(d.Levels, c.Level) {
			d.Levels = append(d.Levels, c.Level)
		}
	}
	slices.Sort(d.Levels[len(Levels):])
	for _, p := range problems {
		if l, ok := lines[p.ClientID]; ok {
			l.Problems.add(p)
			d.Problems.add(p)
		}
	}
	for i := range renewals {
		if l, ok := lines[renewals[i].ClientID]; ok {
			l.Renewal = &renewals[i]
			d.Renewals = append(d.Renewals, renewals[i])
		}
	}
	for _, q := range quotas {
		if l, ok := lines[q.ClientID]; ok {
			l.Quotas = append(l.Quotas, q)
			d.Quotas = append(d.Quotas, q)
		}
	}
	slices.SortStableFunc(d.Lines, urgency)
	return d, nil
}

// nearQuota returns the contracts of the scope (one client when clientID is
// not 0) consumed at 80 % or more, the most consumed first.
func (svc *Service) nearQuota(ctx context.Context, s tenant.Scope, clientID int64, now time.Time) ([]contract.Usage, error) {
	if svc.usage == nil {
		return nil, nil
	}
	// The consumption is read for the caller's own scope, now: the figures
	// the contract page shows (UsageAll reads every contract in two
	// queries, ~10 ms for 300 contracts and a million tickets).
	all, err := svc.usage.UsageAll(ctx, s, now)
	if err != nil {
		return nil, fmt.Errorf("dashboard quotas: %w", err)
	}
	var out []contract.Usage
	for _, q := range all {
		if (clientID == 0 || q.ClientID == clientID) && q.Worst() != contract.LevelOK {
			out = append(out, q)
		}
	}
	slices.SortStableFunc(out, func(a, b contract.Usage) int {
		return cmp.Or(cmp.Compare(Percent(b), Percent(a)), cmp.Compare(a.ContractID, b.ContractID))
	})
	return out, nil
}

// renewals returns, for each client, the contract in force at now (in the
// client's time zone) when its notice date or its end of term falls within
// RenewalWindow, the nearest first.
func (svc *Service) renewals(ctx context.Context, s tenant.Scope, clientID int64, clients []ClientRef, now time.Time) ([]Renewal, error) {
	cs, err := svc.store.DashboardContracts(ctx, s, clientID)
	if err != nil {
		return nil, fmt.Errorf("dashboard contracts: %w", err)
	}
	byClient := map[int64][]contract.Contract{}
	for _, c := range cs {
		byClient[c.ClientID] = append(byClient[c.ClientID], c)
	}
	var out []Renewal
	// Loading a zone reads the zone database: once per zone, not per client.
	zones := map[string]*time.Location{}
	for _, cl := range clients {
		list := byClient[cl.ID]
		if len(list) == 0 {
			continue
		}
		loc, ok := zones[cl.TimeZone]
		if !ok {
			loc = location(cl.TimeZone)
			zones[cl.TimeZone] = loc
		}
		if r, ok := RenewalOf(list, now, loc); ok {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b Renewal) int {
		return cmp.Or(cmp.Compare(a.Days, b.Days), cmp.Compare(a.ContractID, b.ContractID))
	})
	return out, nil
}

// RenewalOf returns the renewal of the contract in force at now among a
// client's contracts when its notice date (still ahead) or its end of term
// is within RenewalWindow of today in loc.
func RenewalOf(contracts []contract.Contract, now time.Time, loc *time.Location) (Renewal, bool) {
	c, ok := contract.InForce(contracts, now, loc)
	if !ok {
		return Renewal{}, false
	}
	today := contract.Day(now, loc)
	end, ok := c.TermEnd(today)
	if !ok {
		return Renewal{}, false
	}
	r := Renewal{ContractID: c.ID, ClientID: c.ClientID, Reference: c.Reference, Kind: c.Renewal.Kind, TermEnd: end}
	next := end
	if c.Renewal.NoticeMonths > 0 {
		if by, ok := c.NoticeBy(today); ok {
			r.NoticeBy = &by
			if !by.Before(today) && by.Before(next) {
				next = by
			}
		}
	}
	days := int(next.Sub(today) / (24 * time.Hour))
	if days < 0 || next.Sub(today) > RenewalWindow {
		return Renewal{}, false
	}
	r.Days = days
	return r, true
}

// location loads a client's time zone, contract.DefaultZone when it is not valid.
func location(zone string) *time.Location {
	if zone != "" {
		if loc, err := time.LoadLocation(zone); err == nil {
			return loc
		}
	}
	if loc, err := time.LoadLocation(contract.DefaultZone); err == nil {
		return loc
	}
	return time.UTC
}
