package supervision_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// noticeLog is an Alerter keeping what it is told.
type noticeLog struct {
	mu sync.Mutex
	n  []supervision.Notice
}

func (l *noticeLog) Alert(ctx context.Context, ns []supervision.Notice) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n = append(l.n, ns...)
	return nil
}

func (l *noticeLog) find(checkID int64, kind check.EventKind) (supervision.Notice, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range l.n {
		if n.Check.ID == checkID && n.Event.Kind == kind {
			return n, true
		}
	}
	return supervision.Notice{}, false
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestEngineRealStore runs the engine on the real store of each dialect:
// load, a server probe, agent results through a hard problem, the batched
// write with event ids, the alert after commit, an acknowledgement written at
// once, a restart that resumes from the stored statuses, and a deletion.
func TestEngineRealStore(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, testdb.URL(t, d), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			sys := tenant.System()
			sup := db.Supervision()
			c := client.Client{Code: "ACME", Name: "Acme", TimeZone: "Europe/Paris", Language: "fr"}
			if err := db.CreateClient(ctx, sys, &c); err != nil {
				t.Fatal(err)
			}
			a := asset.Asset{ClientID: c.ID, Kind: asset.KindServer, Name: "srv-1", Criticality: asset.CriticalityHigh}
			if err := db.CreateAsset(ctx, sys, &a); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
			defer srv.Close()
			web := supervision.Check{AssetID: a.ID, Name: "web", Enabled: true, Rules: supervision.Rules{
				Kind: supervision.KindHTTP, Params: supervision.Params{URL: srv.URL, Timeout: 2}, Interval: 60, RetryInterval: 30, MaxAttempts: 3, RecoverAfter: 1,
				Severity: supervision.SeverityMajor, Ticket: supervision.TicketOpen}}
			disk := supervision.Check{AssetID: a.ID, Name: "disk", Enabled: true, Rules: supervision.Rules{
				Kind: supervision.KindFilesystem, Params: supervision.Params{Mount: "/", Warning: 80, Critical: 90}, Interval: 60, RetryInterval: 30, MaxAttempts: 2, RecoverAfter: 1,
				Severity: supervision.SeverityCritical, Ticket: supervision.TicketAutoResolve}}
			for _, ck := range []*supervision.Check{&web, &disk} {
				if err := sup.CreateCheck(ctx, sys, ck); err != nil {
					t.Fatal(err)
				}
			}

			start := func() (*supervision.Engine, *noticeLog, func()) {
				log := &noticeLog{}
				e := supervision.NewEngine(sup, supervision.EngineOptions{Alerter: log, FlushEvery: 20 * time.Millisecond})
				rctx, cancel := context.WithCancel(ctx)
				done := make(chan error, 1)
				go func() { done <- e.Run(rctx) }()
				eventually(t, "the engine to load", func() bool { return e.Stats().Checks == 2 })
				return e, log, func() {
					cancel()
					if err := <-done; err != nil {
						t.Errorf("Run: %v", err)
					}
				}
			}
			e, log, stop := start()

			if err := e.RunNow(web.ID); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the web check's status written", func() bool {
				st, err := sup.Status(ctx, sys, web.ID)
				return err == nil && !st.LastCheck.IsZero() && st.State == check.OK && strings.HasPrefix(st.Output, "HTTP 200")
			})

			now := time.Now()
			for i, out := range []string{"/ 95% used", "/ 96% used"} {
				r := supervision.Result{CheckID: disk.ID, Result: check.Result{At: now.Add(time.Duration(i-2) * time.Second), State: check.Critical, Output: out}}
				if err := e.Submit(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			var problem supervision.Notice
			eventually(t, "the problem notice", func() bool {
				var ok bool
				problem, ok = log.find(disk.ID, check.Problem)
				return ok
			})
			if !problem.Event.Notify || problem.Event.ID == 0 || problem.Asset.Name != "srv-1" || problem.Check.Severity != supervision.SeverityCritical {
				t.Fatalf("problem notice: %+v", problem)
			}
			// The notice comes after the commit: the status and the events are there.
			st, err := sup.Status(ctx, sys, disk.ID)
			if err != nil || st.HardState != check.Critical || st.Output != "/ 96% used" || !st.Notified {
				t.Fatalf("stored status: %+v, %v", st, err)
			}
			evs, err := sup.Events(ctx, sys, supervision.EventFilter{CheckID: disk.ID, Limit: 10})
			if err != nil || len(evs) != 2 || evs[0].Kind != check.Problem || evs[0].ID != problem.Event.ID {
				t.Fatalf("stored events: %+v, %v", evs, err)
			}

			if err := e.Acknowledge(ctx, disk.ID, "alice", "cleaning /var/log"); err != nil {
				t.Fatal(err)
			}
			if st, err := sup.Status(ctx, sys, disk.ID); err != nil || st.Ack == nil || st.Ack.Comment != "cleaning /var/log" {
				t.Fatalf("acknowledgement stored: %+v, %v", st, err)
			}
			stop()

			// A restart resumes from the stored statuses.
			e, log, stop = start()
			defer stop()
			if st, ok := e.Status(disk.ID); !ok || st.HardState != check.Critical || st.Ack == nil || !st.Notified {
				t.Fatalf("status after restart: %+v", st)
			}
			if err := e.Submit(ctx, supervision.Result{CheckID: disk.ID, Result: check.Result{At: time.Now(), State: check.OK, Output: "/ 40% used"}}); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the recovery notice", func() bool {
				n, ok := log.find(disk.ID, check.Recovery)
				return ok && n.Event.Notify
			})

			if err := sup.DeleteCheck(ctx, sys, disk.ID); err != nil {
				t.Fatal(err)
			}
			if err := e.Reload(ctx, disk.ID); err != nil {
				t.Fatal(err)
			}
			if _, ok := e.Status(disk.ID); ok || e.Stats().Checks != 1 {
				t.Fatalf("deleted check still in the engine: %+v", e.Stats())
			}
			err = e.Submit(ctx, supervision.Result{CheckID: disk.ID, Result: check.Result{At: time.Now(), State: check.OK}})
			if err == nil || !errors.Is(err, fault.ErrNotFound) {
				t.Fatalf("result for a deleted check: %v", err)
			}
		})
	}
}
