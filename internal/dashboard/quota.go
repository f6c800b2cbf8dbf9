package dashboard

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// QuotaMaxAge is how old the contracts' consumption shown by the dashboards
// may be. Summing the billable time of every contract in force is the
// dearest part of the staff dashboard (hundreds of milliseconds with
// hundreds of contracts) while it changes only when time is entered: it is
// computed for every client at most once per QuotaMaxAge, in the
// background once it is known, and each caller sees the contracts of its
// own scope only.
const QuotaMaxAge = time.Minute

// quotaCache holds the last consumption of every contract in force.
type quotaCache struct {
	mu         sync.Mutex
	list       []contract.Usage
	at         time.Time // when list was computed; zero: never
	refreshing bool
}

// allQuotas returns the consumption of every contract in force: computed
// now the first time, then kept for QuotaMaxAge, then refreshed in the
// background while the previous one is still served. A refresh that fails
// keeps the previous figures and is tried again by the next request.
func (svc *Service) allQuotas(ctx context.Context, now time.Time) ([]contract.Usage, error) {
	c := svc.quotas
	c.mu.Lock()
	if c.at.IsZero() {
		c.mu.Unlock()
		list, err := svc.usage.UsageAll(ctx, tenant.System(), now)
		if err != nil {
			return nil, fmt.Errorf("dashboard quotas: %w", err)
		}
		c.mu.Lock()
		if c.at.IsZero() || now.After(c.at) {
			c.list, c.at = list, now
		}
		c.mu.Unlock()
		return list, nil
	}
	list := c.list
	if now.Sub(c.at) >= QuotaMaxAge && !c.refreshing {
		c.refreshing = true
		// The refresh outlives the request that noticed the figures were
		// old, not its cancellation.
		go svc.refreshQuotas(context.WithoutCancel(ctx), now)
	}
	c.mu.Unlock()
	return list, nil
}

func (svc *Service) refreshQuotas(ctx context.Context, now time.Time) {
	list, err := svc.usage.UsageAll(ctx, tenant.System(), now)
	c := svc.quotas
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refreshing = false
	if err == nil && now.After(c.at) {
		c.list, c.at = list, now
	}
}
