package dashboard

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// fakeUsage answers UsageAll with one contract of client 1 whose consumed
// support grows by an hour at each call, and tells each call on calls.
type fakeUsage struct {
	mu    sync.Mutex
	n     int
	fail  bool
	calls chan tenant.Scope
}

func (f *fakeUsage) UsageAll(_ context.Context, s tenant.Scope, at time.Time) ([]contract.Usage, error) {
	f.mu.Lock()
	f.n++
	n, fail := f.n, f.fail
	f.mu.Unlock()
	defer func() { f.calls <- s }()
	if fail {
		return nil, errors.New("database down")
	}
	return []contract.Usage{{ContractID: 1, ClientID: 1, Reference: "C", Support: time.Duration(7+n) * time.Hour, Included: 10 * time.Hour,
		SupportLevel: contract.ConsumptionLevel(time.Duration(7+n)*time.Hour, 10*time.Hour)}}, nil
}

func TestQuotaCache(t *testing.T) {
	f := &fakeUsage{calls: make(chan tenant.Scope, 10)}
	svc := &Service{usage: f, quotas: &quotaCache{}}
	ctx := context.Background()
	t0 := time.Date(2026, 11, 15, 10, 0, 0, 0, time.UTC)
	limited := tenant.Scope{UserID: 2, Role: tenant.RoleTechnician, Clients: []int64{2}}
	all := tenant.Scope{UserID: 1, Role: tenant.RoleManager}
	support := func(s tenant.Scope, at time.Time) time.Duration {
		t.Helper()
		qs, err := svc.nearQuota(ctx, s, 0, at)
		if err != nil {
			t.Fatal(err)
		}
		if len(qs) == 0 {
			return 0
		}
		return qs[0].Support
	}

	// First: computed at once for every client (system scope), filtered
	// by the caller's.
	if got := support(all, t0); got != 8*time.Hour {
		t.Fatalf("first call: %v, want 8h", got)
	}
	if s := <-f.calls; !s.IsSystem() {
		t.Errorf("UsageAll called with %+v, want the system scope", s)
	}
	if got := support(limited, t0); got != 0 {
		t.Errorf("staff limited to client 2 see client 1's quota (%v)", got)
	}
	// Within QuotaMaxAge: the same figures, no new computation.
	if got := support(all, t0.Add(QuotaMaxAge-time.Second)); got != 8*time.Hour {
		t.Errorf("within max age: %v, want 8h", got)
	}
	select {
	case <-f.calls:
		t.Fatal("recomputed within QuotaMaxAge")
	default:
	}
	// Past it: the old figures at once, a refresh in the background, the
	// new figures next.
	later := t0.Add(QuotaMaxAge)
	if got := support(all, later); got != 8*time.Hour {
		t.Errorf("stale call: %v, want the previous 8h", got)
	}
	<-f.calls
	deadline := time.Now().Add(5 * time.Second)
	for support(all, later) != 9*time.Hour {
		if time.Now().After(deadline) {
			t.Fatal("the background refresh never landed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// A failed refresh keeps the figures and is tried again.
	f.mu.Lock()
	f.fail = true
	f.mu.Unlock()
	again := later.Add(QuotaMaxAge)
	if got := support(all, again); got != 9*time.Hour {
		t.Errorf("during a failing refresh: %v, want 9h kept", got)
	}
	<-f.calls
	deadline = time.Now().Add(5 * time.Second)
	for {
		svc.quotas.mu.Lock()
		done := !svc.quotas.refreshing
		svc.quotas.mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the failed refresh never ended")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := support(all, again); got != 9*time.Hour {
		t.Errorf("after a failed refresh: %v, want 9h kept", got)
	}
	<-f.calls // tried again
}
