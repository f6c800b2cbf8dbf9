package alert_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/alert"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// stamped is a Notifier that records when each check's problem was queued.
type stamped struct {
	mu     sync.Mutex
	queued map[int64]time.Time
}

func (s *stamped) Enqueue(_ context.Context, ns []supervision.Notice, _ map[int64]int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range ns {
		if n.Event.Kind == check.Problem {
			if _, ok := s.queued[n.Check.ID]; !ok {
				s.queued[n.Check.ID] = time.Now()
			}
		}
	}
	return nil
}

func (s *stamped) at(id int64) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.queued[id]
	return t, ok
}

// TestFaultToTicket runs the real engine on the real store with the
// alerter: an HTTP check of a loopback target that goes down opens its
// incident once the problem is hard (3 attempts at a 1 s retry interval),
// with its notification queued. It logs the fault-to-ticket latency, and
// that latency minus the retries the rules ask for (the target of issue 5:
// at most 2 s).
func TestFaultToTicket(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("shop")) }))
		defer target.Close()

		c := supervision.Check{AssetID: e.srvA.ID, Name: "Shop", Enabled: true, Rules: supervision.Rules{
			Kind: supervision.KindHTTP, Params: supervision.Params{URL: target.URL, BodyContains: "shop"},
			Interval: 1, RetryInterval: 1, MaxAttempts: 3, RecoverAfter: 1,
			Severity: supervision.SeverityCritical, Ticket: supervision.TicketAutoResolve,
		}}
		must(t, e.db.CreateCheck(ctx, sys, &c))
		// The helpdesk's clock is the real one here.
		e.tickets = ticket.NewService(e.db, e.db, e.db, audit.NewJournal(e.db, nil), nil, nil)
		notify := &stamped{queued: map[int64]time.Time{}}
		al, err := alert.New(e.db.Supervision(), e.tickets, e.db, alert.Options{BaseURL: "https://vigie.example", Notifier: notify})
		must(t, err)
		engine := supervision.NewEngine(e.db.Supervision(), supervision.EngineOptions{Alerter: al, Workers: 4})
		done := make(chan error, 1)
		go func() { done <- engine.Run(ctx) }()
		defer func() {
			cancel()
			<-done
		}()

		status := func() supervision.Status {
			st, err := e.db.Status(ctx, sys, c.ID)
			must(t, err)
			return st
		}
		waitFor := func(what string, limit time.Duration, ok func() bool) time.Time {
			t.Helper()
			deadline := time.Now().Add(limit)
			for !ok() {
				if time.Now().After(deadline) {
					t.Fatalf("no %s within %s", what, limit)
				}
				time.Sleep(5 * time.Millisecond)
			}
			return time.Now()
		}
		waitFor("first OK result", 10*time.Second, func() bool { st := status(); return !st.LastCheck.IsZero() && st.State == check.OK })

		down := time.Now()
		target.Close() // connection refused from now on
		opened := waitFor("incident", 20*time.Second, func() bool { return status().TicketID != nil })
		st := status()
		queued, ok := notify.at(c.ID)
		if !ok {
			t.Fatal("the problem's notification was not queued")
		}
		tk, err := e.tickets.Get(ctx, sys, *st.TicketID)
		must(t, err)
		if tk.ClientID != e.A.ID || tk.Priority != ticket.P1 || len(tk.AssetIDs) != 1 || tk.AssetIDs[0] != e.srvA.ID {
			t.Errorf("incident %+v", tk)
		}
		evs, err := e.db.CheckEvents(ctx, sys, supervision.EventFilter{CheckID: c.ID, Limit: 10})
		must(t, err)
		var firstFail, hard time.Time
		for _, ev := range evs { // newest first
			switch {
			case ev.Kind == check.Problem:
				hard = ev.At
			case ev.Kind == check.SoftChange && ev.From == check.OK && ev.To != check.OK:
				firstFail = ev.At
			}
		}
		retries := time.Duration(c.MaxAttempts-1) * time.Duration(c.RetryInterval) * time.Second
		latency := opened.Sub(down)
		t.Logf("fault→ticket %s (poll 5 ms): minus %d retries × %ds = %s; fault→first failing run %s (check interval %ds), hard problem→ticket %s, →notification queued %s",
			latency.Round(time.Millisecond), c.MaxAttempts-1, c.RetryInterval, (latency - retries).Round(time.Millisecond),
			firstFail.Sub(down).Round(time.Millisecond), c.Interval, opened.Sub(hard).Round(time.Millisecond), queued.Sub(hard).Round(time.Millisecond))
		if firstFail.IsZero() || hard.IsZero() {
			t.Errorf("events %+v: want a soft change and a problem", evs)
		}
	})
}
