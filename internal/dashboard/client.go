package dashboard

import (
	"context"
	"fmt"
	"github.com/vigie-hq/vigie/internal/contract"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// HistoryMonths is how many complete months before the running one the
// client dashboard charts.
const HistoryMonths = 6

// Client is the dashboard of one client (the portal's).
type Client struct {
	Client   ClientRef
	Location *time.Location
	Now      time.Time
	// Months are the figures of the HistoryMonths complete months and then
	// the running month so far, oldest first: report.Figures of each month,
	// the very figures of the monthly reports.
	Months []report.Monthly
	// Open and Problems are the client's open tickets and active problems now.
	Open     Open
	Problems Problems
	// Quotas are the client's contracts consumed at 80 % or more.
	Quotas  []contract.Usage
	Renewal *Renewal
}

// Running is the running month's figures (so far).
func (c Client) Running() report.Monthly {
	if len(c.Months) == 0 {
		return report.Monthly{}
	}
	return c.Months[len(c.Months)-1]
}

// Client returns the dashboard of a client at now. The scope must be able
// to read the client (its staff, its own users): any other client, like an
// unknown or archived one, is fault.ErrNotFound.
func (svc *Service) Client(ctx context.Context, s tenant.Scope, clientID int64, now time.Time) (Client, error) {
	if !s.CanOn(tenant.ClientRead, clientID) {
		return Client{}, fault.ErrNotFound
	}
	refs, err := svc.store.DashboardClients(ctx, s, clientID)
	if err != nil {
		return Client{}, fmt.Errorf("dashboard of client %d: %w", clientID, err)
	}
	if len(refs) == 0 {
		return Client{}, fault.ErrNotFound
	}
	d := Client{Client: refs[0], Location: location(refs[0].TimeZone), Now: now, Open: Open{ByLevel: map[string]int{}}}

	local := now.In(d.Location)
	first := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, d.Location)
	for i := HistoryMonths; i >= 0; i-- {
		m := first.AddDate(0, -i, 0)
		p := report.Month(m.Year(), m.Month(), d.Location)
		if !p.From.Before(now) {
			continue // the running month begins this very instant: nothing yet
		}
		f, err := report.Figures(ctx, svc.reports, clientID, p, now)
		if err != nil {
			if _, bad := fault.AsInvalid(err); bad {
				// The client's zone is not a valid one: its months
				// cannot be cut; the live counts are still shown.
				break
			}
			return Client{}, fmt.Errorf("dashboard figures of client %d for %s: %w", clientID, p.Label(), err)
		}
		d.Months = append(d.Months, f)
	}

	tickets, err := svc.store.DashboardTickets(ctx, s, clientID, now)
	if err != nil {
		return Client{}, fmt.Errorf("dashboard tickets of client %d: %w", clientID, err)
	}
	for _, c := range tickets {
		d.Open.add(c)
	}
	if s.Can(tenant.SupervisionRead) {
		problems, err := svc.store.DashboardProblems(ctx, s, clientID)
		if err != nil {
			return Client{}, fmt.Errorf("dashboard problems of client %d: %w", clientID, err)
		}
		for _, p := range problems {
			d.Problems.add(p)
		}
	}
	renewals, err := svc.renewals(ctx, s, clientID, refs, now)
	if err != nil {
		return Client{}, err
	}
	if len(renewals) > 0 {
		d.Renewal = &renewals[0]
	}
	if d.Quotas, err = svc.nearQuota(ctx, s, clientID, now); err != nil {
		return Client{}, err
	}
	return d, nil
}
