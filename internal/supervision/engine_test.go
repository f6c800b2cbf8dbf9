package supervision

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/fault"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recorder is an Alerter that keeps the notices it gets.
type recorder struct {
	mu      sync.Mutex
	notices []Notice
	acks    []check.Ack
}

// Acknowledged records acknowledgements, as the alerter notes them on incidents.
func (r *recorder) Acknowledged(ctx context.Context, checkID int64, ack check.Ack) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acks = append(r.acks, ack)
	return nil
}

func (r *recorder) Alert(ctx context.Context, n []Notice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notices = append(r.notices, n...)
	return nil
}

// take returns and forgets the notices received so far.
func (r *recorder) take() []Notice {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.notices
	r.notices = nil
	return n
}

// notifying keeps the notices that must notify.
func notifying(ns []Notice) []Notice {
	var out []Notice
	for _, n := range ns {
		if n.Event.Notify {
			out = append(out, n)
		}
	}
	return out
}

// harness runs an engine on a memory store with a fake clock.
type harness struct {
	t      *testing.T
	e      *Engine
	store  *memStore
	clock  *fakeClock
	alerts *recorder
	cancel context.CancelFunc
	done   chan error
}

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func startEngine(t *testing.T, store *memStore, clock *fakeClock) *harness {
	t.Helper()
	if clock == nil {
		clock = &fakeClock{t: t0}
	}
	h := &harness{t: t, store: store, clock: clock, alerts: &recorder{}, done: make(chan error, 1)}
	h.e = NewEngine(store, EngineOptions{Now: clock.Now, Alerter: h.alerts, Workers: 8, FlushEvery: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.e.Run(ctx) }()
	if err := h.e.waitReady(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		h.t.Error("Run did not return after its context ended")
	}
}

// advance moves the clock and waits until the engine ran n more checks.
func (h *harness) advance(d time.Duration, runs int) {
	h.t.Helper()
	before := h.e.Stats().Runs
	h.clock.add(d)
	h.e.poke()
	h.waitRuns(before + int64(runs))
}

func (h *harness) waitRuns(n int64) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.e.Stats().Runs < n {
		if time.Now().After(deadline) {
			h.t.Fatalf("runs: %d, want %d", h.e.Stats().Runs, n)
		}
		time.Sleep(time.Millisecond)
	}
	// The run's result is applied under the same lock as the count.
}

// runNow runs a check at once and waits for its result.
func (h *harness) runNow(id int64) Status {
	h.t.Helper()
	if err := h.e.RunNow(id); err != nil {
		h.t.Fatal(err)
	}
	return h.waitCheck(id)
}

// waitCheck waits until a check has a result at the clock's time.
func (h *harness) waitCheck(id int64) Status {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := h.status(id)
		if st.LastCheck.Equal(h.clock.Now()) {
			return st
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("check %d did not run at %v (last %v)", id, h.clock.Now(), st.LastCheck)
		}
		time.Sleep(time.Millisecond)
	}
}

func (h *harness) flush() {
	h.t.Helper()
	if err := h.e.flush(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) status(id int64) Status {
	h.t.Helper()
	st, ok := h.e.Status(id)
	if !ok {
		h.t.Fatalf("check %d unknown to the engine", id)
	}
	return st
}

// switchable is an HTTP target whose status code can be changed.
func switchable(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var code atomic.Int32
	code.Store(200)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(code.Load()))
		w.Write([]byte("vigie target"))
	}))
	t.Cleanup(srv.Close)
	return srv, &code
}

func httpCheck(id, asset int64, url string) Check {
	return Check{ID: id, ClientID: 1, AssetID: asset, Name: "web", Enabled: true, CreatedAt: t0.Add(-time.Hour), Rules: Rules{
		Kind: KindHTTP, Params: Params{URL: url, Timeout: 2},
		Interval: 60, RetryInterval: 10, MaxAttempts: 3, RecoverAfter: 1, Severity: SeverityMajor, Ticket: TicketOpen,
	}}
}

func TestEngineSoftHardRecovery(t *testing.T) {
	srv, code := switchable(t)
	store := newMemStore()
	store.assets[10] = AssetRef{ID: 10, ClientID: 1, Name: "srv"}
	store.addCheck(httpCheck(1, 10, srv.URL))
	h := startEngine(t, store, nil)

	h.advance(60*time.Second, 1) // the first run falls within the first interval
	if st := h.status(1); st.State != check.OK || !strings.HasPrefix(st.Output, "HTTP 200") {
		t.Fatalf("first run: %v %q", st.State, st.Output)
	}

	code.Store(503)
	h.advance(60*time.Second, 1)
	st := h.status(1)
	if st.State != check.Critical || st.Type != check.Soft || st.Attempt != 1 {
		t.Fatalf("after the target went down: %v %v attempt %d", st.State, st.Type, st.Attempt)
	}
	// Soft: retried at the retry interval, not the check interval.
	h.advance(10*time.Second, 1)
	if st := h.status(1); st.Attempt != 2 || st.Type != check.Soft {
		t.Fatalf("second attempt: %+v", st.Status)
	}
	h.flush()
	if n := notifying(h.alerts.take()); len(n) != 0 {
		t.Fatalf("soft problem notified: %+v", n)
	}
	h.advance(10*time.Second, 1)
	if st := h.status(1); st.Type != check.Hard || st.HardState != check.Critical {
		t.Fatalf("third attempt: %+v", st.Status)
	}
	h.flush()
	n := notifying(h.alerts.take())
	if len(n) != 1 || n[0].Event.Kind != check.Problem || n[0].Check.ID != 1 || n[0].Asset.Name != "srv" || n[0].Event.ID == 0 {
		t.Fatalf("problem notices: %+v", n)
	}
	if saved, _ := store.status(1); saved.HardState != check.Critical || !saved.Notified {
		t.Fatalf("status written: %+v", saved.Status)
	}
	// Still down at the check interval: no second notice.
	h.advance(60*time.Second, 1)
	h.flush()
	if n := notifying(h.alerts.take()); len(n) != 0 {
		t.Fatalf("problem notified twice: %+v", n)
	}

	code.Store(200)
	h.advance(60*time.Second, 1)
	h.flush()
	n = notifying(h.alerts.take())
	if len(n) != 1 || n[0].Event.Kind != check.Recovery {
		t.Fatalf("recovery notices: %+v", n)
	}
	if s := h.e.Stats(); s.Runs != 6 || s.Missed != 0 || s.Checks != 1 || s.Batches == 0 {
		t.Fatalf("stats: %+v", s)
	}
}

func TestEngineMaintenanceMutesThenOwes(t *testing.T) {
	srv, code := switchable(t)
	code.Store(500)
	store := newMemStore()
	store.assets[10] = AssetRef{ID: 10, ClientID: 1, SiteID: 5}
	c := httpCheck(1, 10, srv.URL)
	c.MaxAttempts = 1
	store.addCheck(c)
	store.windows = []Window{{ID: 1, Window: check.Window{SiteID: 5, From: t0.Add(-time.Hour), To: t0.Add(2 * time.Minute)}}}
	h := startEngine(t, store, nil)

	h.advance(60*time.Second, 1)
	h.flush()
	ns := h.alerts.take()
	if len(ns) != 1 || ns[0].Event.Kind != check.Problem || ns[0].Event.Notify || !ns[0].Event.Muted.Has(check.MutedMaintenance) {
		t.Fatalf("problem in maintenance: %+v", ns)
	}
	// The window ends: the problem still there is owed, once.
	h.advance(90*time.Second, 1)
	h.flush()
	ns = notifying(h.alerts.take())
	if len(ns) != 1 || !ns[0].Owed || ns[0].Event.Kind != check.Problem || !ns[0].Status.Notified {
		t.Fatalf("owed notice: %+v", ns)
	}
	h.advance(60*time.Second, 1)
	h.flush()
	if ns := notifying(h.alerts.take()); len(ns) != 0 {
		t.Fatalf("owed twice: %+v", ns)
	}
}

func TestEngineParentDownMakesChildUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // refused from now on
	store := newMemStore()
	store.assets[1] = AssetRef{ID: 1, ClientID: 1, Name: "router", HasAgent: true, ReportInterval: 60, LastSeen: t0.Add(-time.Hour)}
	store.assets[2] = AssetRef{ID: 2, ClientID: 1, Name: "server", ParentID: 1}
	store.addCheck(Check{ID: 1, ClientID: 1, AssetID: 1, Enabled: true, Rules: Rules{Kind: KindHeartbeat, Interval: 60, MaxAttempts: 1}})
	store.addCheck(Check{ID: 2, ClientID: 1, AssetID: 2, Enabled: true, Rules: Rules{Kind: KindTCP, Params: Params{Host: "127.0.0.1", Port: port, Timeout: 1}, Interval: 60, MaxAttempts: 1}})
	h := startEngine(t, store, nil)

	h.runNow(1)
	if st := h.status(1); st.HardState != check.Critical || !strings.HasPrefix(st.Output, "no report for 1 h 0 min") {
		t.Fatalf("router heartbeat: %v %q", st.HardState, st.Output)
	}
	h.runNow(2)
	st := h.status(2)
	if st.HardState != check.Critical || !st.Unreachable || st.Label() != "UNREACHABLE" {
		t.Fatalf("child: %+v", st.Status)
	}
	h.flush()
	ns := notifying(h.alerts.take())
	if len(ns) != 1 || ns[0].Check.ID != 1 {
		t.Fatalf("only the parent notifies: %+v", ns)
	}
}

func TestEngineHeartbeat(t *testing.T) {
	store := newMemStore()
	store.assets[1] = AssetRef{ID: 1, ClientID: 1, HasAgent: true, ReportInterval: 60, LastSeen: t0.Add(-12 * time.Second)}
	store.assets[2] = AssetRef{ID: 2, ClientID: 1}
	store.addCheck(Check{ID: 1, ClientID: 1, AssetID: 1, Enabled: true, Rules: Rules{Kind: KindHeartbeat, Interval: 60, RetryInterval: 30, MaxAttempts: 2}})
	store.addCheck(Check{ID: 2, ClientID: 1, AssetID: 2, Enabled: true, Rules: Rules{Kind: KindHeartbeat, Interval: 60, MaxAttempts: 1}})
	h := startEngine(t, store, nil)

	h.runNow(1)
	if st := h.status(1); st.State != check.OK || st.Output != "last report 12 s ago" {
		t.Fatalf("fresh agent: %v %q", st.State, st.Output)
	}
	h.runNow(2)
	if st := h.status(2); st.State != check.Unknown || st.Output != "no agent reports for this asset" {
		t.Fatalf("no agent: %v %q", st.State, st.Output)
	}

	// 2 min 48 s since the report: under 3 × 60 s.
	h.clock.add(156 * time.Second)
	h.runNow(1)
	if st := h.status(1); st.State != check.OK {
		t.Fatalf("under the limit: %v %q", st.State, st.Output)
	}
	h.clock.add(12 * time.Second) // 3 min: missed three reports
	h.runNow(1)
	if st := h.status(1); st.State != check.Critical || st.Type != check.Soft ||
		st.Output != "no report for 3 min (expected every 60 s); last report 2026-11-29 09:59:48 UTC" {
		t.Fatalf("silent agent: %v %v %q", st.State, st.Type, st.Output)
	}
	// A report runs the check at once: it recovers without waiting.
	h.clock.add(time.Second)
	h.e.Heartbeat(1, h.clock.Now())
	h.waitCheck(1)
	if st := h.status(1); st.State != check.OK || st.Output != "last report 0 s ago" {
		t.Fatalf("after a report: %v %q", st.State, st.Output)
	}
}

func TestEngineBackupPushAcrossDST(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatalf("no time zone data: %v", err)
	}
	store := newMemStore()
	store.assets[7] = AssetRef{ID: 7, ClientID: 1, Kind: "backup_job", TimeZone: "Europe/Paris"}
	store.addCheck(Check{ID: 1, ClientID: 1, AssetID: 7, Enabled: true, CreatedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		Rules: Rules{Kind: KindBackupPush, Params: Params{Schedule: "0 4 * * *", GraceMinutes: 30}, Interval: 60, RetryInterval: 60, MaxAttempts: 1}})
	// Saturday 28 March 2026, 04:05 CET; clocks go forward that night.
	store.runs[1] = []BackupRun{{CheckID: 1, At: time.Date(2026, 3, 28, 4, 5, 0, 0, paris), OK: true}}
	clock := &fakeClock{t: time.Date(2026, 3, 29, 2, 20, 0, 0, time.UTC)} // 04:20 CEST
	h := startEngine(t, store, clock)

	// Sunday's 04:00 is 02:00 UTC (CEST): overdue at 02:30 UTC, not at 03:30 as a fixed +01:00 would say.
	clock.set(time.Date(2026, 3, 29, 2, 29, 59, 0, time.UTC))
	h.e.poke()
	time.Sleep(50 * time.Millisecond)
	if r := h.e.Stats().Runs; r != 0 {
		t.Fatalf("looked at before the deadline: %d runs", r)
	}
	h.advance(time.Second, 1)
	st := h.status(1)
	want := "no run since 2026-03-28 04:05 CET (expected at 2026-03-29 04:00 CEST, grace 30 min)"
	if st.HardState != check.Critical || st.Output != want {
		t.Fatalf("missed run: %v %q, want %q", st.HardState, st.Output, want)
	}
	h.flush()
	if ns := notifying(h.alerts.take()); len(ns) != 1 || ns[0].Event.Kind != check.Problem {
		t.Fatalf("missed run notices: %+v", ns)
	}

	// The run pushes late: OK, and the next deadline is Monday 04:30 CEST.
	clock.set(time.Date(2026, 3, 29, 2, 40, 0, 0, time.UTC))
	if err := h.e.Submit(context.Background(), Result{CheckID: 1, Result: check.Result{State: check.OK, Output: "backup done"}}); err != nil {
		t.Fatal(err)
	}
	if st := h.status(1); st.State != check.OK || st.HardState != check.OK {
		t.Fatalf("after the push: %+v", st.Status)
	}
	h.e.mu.Lock()
	next := h.e.entries[1].next
	h.e.mu.Unlock()
	if want := time.Date(2026, 3, 30, 2, 30, 0, 0, time.UTC); !next.Equal(want) {
		t.Fatalf("next look %v, want %v", next, want)
	}
	h.flush()
	if ns := notifying(h.alerts.take()); len(ns) != 1 || ns[0].Event.Kind != check.Recovery {
		t.Fatalf("recovery notices: %+v", ns)
	}

	// Autumn: the last Sunday of October, 04:00 CET is 03:00 UTC.
	h.e.mu.Lock()
	h.e.entries[1].lastPush = time.Date(2026, 10, 24, 4, 10, 0, 0, paris)
	h.e.mu.Unlock()
	_, deadline, _ := backupDeadline(h.e.entries[1].schedule, paris, time.Date(2026, 10, 24, 4, 10, 0, 0, paris), 30*time.Minute)
	if want := time.Date(2026, 10, 25, 3, 30, 0, 0, time.UTC); !deadline.Equal(want) {
		t.Fatalf("autumn deadline %v, want %v", deadline, want)
	}
}

func TestEngineSubmitFromAgent(t *testing.T) {
	store := newMemStore()
	store.assets[3] = AssetRef{ID: 3, ClientID: 2}
	store.addCheck(Check{ID: 5, ClientID: 2, AssetID: 3, Enabled: true, Rules: Rules{Kind: KindFilesystem, Params: Params{Mount: "/", Warning: 80, Critical: 90}, MaxAttempts: 2}})
	h := startEngine(t, store, nil)
	ctx := context.Background()

	if err := h.e.RunNow(5); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("RunNow of an agent check: %v", err)
	}
	submit := func(at time.Time, s check.State, out string) {
		t.Helper()
		if err := h.e.Submit(ctx, Result{CheckID: 5, Result: check.Result{At: at, State: s, Output: out}, Perf: map[string]float64{"used": 95}}); err != nil {
			t.Fatal(err)
		}
	}
	submit(t0.Add(-2*time.Minute), check.Critical, "/ 95% used")
	submit(t0.Add(-1*time.Minute), check.Critical, "/ 96% used")
	if st := h.status(5); st.HardState != check.Critical || st.Output != "/ 96% used" {
		t.Fatalf("after two results: %+v", st.Status)
	}
	submit(t0.Add(-90*time.Second), check.OK, "late and old") // older than the last: ignored
	if st := h.status(5); st.State != check.Critical {
		t.Fatalf("an old result was applied: %+v", st.Status)
	}
	submit(t0.Add(time.Hour), check.OK, "/ 40% used") // an agent clock ahead is brought back to now
	if st := h.status(5); st.State != check.OK || !st.LastCheck.Equal(t0) {
		t.Fatalf("future result: %+v", st.Status)
	}
	if err := h.e.Submit(ctx, Result{CheckID: 99, Result: check.Result{At: t0}}); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("unknown check: %v", err)
	}
	h.flush()
	kinds := []check.EventKind{}
	for _, n := range h.alerts.take() {
		kinds = append(kinds, n.Event.Kind)
	}
	if len(kinds) != 3 || kinds[0] != check.SoftChange || kinds[1] != check.Problem || kinds[2] != check.Recovery {
		t.Fatalf("event kinds: %v", kinds)
	}
	if got := h.e.Stats().Results; got != 3 {
		t.Fatalf("results applied: %d, want 3", got)
	}
}

func TestEngineAcknowledge(t *testing.T) {
	store := newMemStore()
	store.addCheck(Check{ID: 5, ClientID: 2, AssetID: 3, Enabled: true, Rules: Rules{Kind: KindCPU, MaxAttempts: 1}})
	h := startEngine(t, store, nil)
	ctx := context.Background()

	if err := h.e.Acknowledge(ctx, 5, "alice", "on it"); !errors.Is(err, fault.ErrConflict) || !errors.Is(err, check.ErrNoProblem) {
		t.Fatalf("acknowledge an OK check: %v", err)
	}
	if err := h.e.Acknowledge(ctx, 6, "alice", "on it"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("acknowledge an unknown check: %v", err)
	}
	ch, stop := h.e.Subscribe()
	defer stop()
	if err := h.e.Submit(ctx, Result{CheckID: 5, Result: check.Result{At: t0, State: check.Critical, Output: "CPU 100%"}}); err != nil {
		t.Fatal(err)
	}
	if err := h.e.Acknowledge(ctx, 5, "alice", "on it"); err != nil {
		t.Fatal(err)
	}
	// Written at once, without waiting for the batch.
	saved, ok := store.status(5)
	if !ok || saved.Ack == nil || saved.Ack.By != "alice" || saved.Ack.Comment != "on it" {
		t.Fatalf("acknowledgement not written: %+v", saved)
	}
	h.alerts.mu.Lock()
	acks := h.alerts.acks
	h.alerts.mu.Unlock()
	if len(acks) != 1 || acks[0].By != "alice" || acks[0].Comment != "on it" {
		t.Fatalf("the alerter was told of %+v, want alice's acknowledgement once", acks)
	}
	select {
	case c := <-ch:
		if c.ClientID != 2 || c.Status.Ack == nil {
			t.Fatalf("change: %+v", c)
		}
	case <-time.After(time.Second):
		t.Fatal("no live change for the acknowledgement")
	}
	// Muted: a severity change notifies and clears it (see package check).
	if err := h.e.Submit(ctx, Result{CheckID: 5, Result: check.Result{At: t0.Add(time.Second), State: check.Critical, Output: "still"}}); err != nil {
		t.Fatal(err)
	}
	if st := h.status(5); st.Ack == nil {
		t.Fatal("acknowledgement lost on the same problem")
	}
}

func TestEngineSubscribe(t *testing.T) {
	store := newMemStore()
	for i := int64(1); i <= 3; i++ {
		store.addCheck(Check{ID: i, ClientID: i, AssetID: i, Enabled: true, Rules: Rules{Kind: KindCPU}})
	}
	h := startEngine(t, store, nil)
	ctx := context.Background()
	fast, stopFast := h.e.Subscribe()
	defer stopFast()
	_, stopSlow := h.e.Subscribe() // never read
	defer stopSlow()

	for round := 0; round < 400; round++ {
		for i := int64(1); i <= 3; i++ {
			at := t0.Add(time.Duration(round) * time.Second)
			if err := h.e.Submit(ctx, Result{CheckID: i, Result: check.Result{At: at, State: check.OK, Output: "ok"}}); err != nil {
				t.Fatal(err)
			}
		}
		done := make(chan struct{})
		go func() { h.flush(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("a slow subscriber stalled the engine")
		}
		for range 3 {
			select {
			case c := <-fast:
				if c.Status.ClientID != c.ClientID {
					t.Fatalf("change: %+v", c)
				}
			case <-time.After(time.Second):
				t.Fatalf("round %d: missing change", round)
			}
		}
	}
	if d := h.e.Stats().DroppedChanges; d != 1200-1024 {
		t.Fatalf("dropped changes: %d, want %d", d, 1200-1024)
	}
	stopSlow()
	stopSlow() // twice is harmless
}

func TestEngineReload(t *testing.T) {
	srv, _ := switchable(t)
	store := newMemStore()
	store.assets[10] = AssetRef{ID: 10, ClientID: 1}
	h := startEngine(t, store, nil)
	ctx := context.Background()
	if s := h.e.Stats(); s.Checks != 0 {
		t.Fatalf("checks: %d", s.Checks)
	}
	// A new check on an asset the engine did not know runs at once.
	store.assets[11] = AssetRef{ID: 11, ClientID: 1, Name: "new"}
	store.addCheck(httpCheck(1, 11, srv.URL))
	if err := h.e.Reload(ctx, 1); err != nil {
		t.Fatal(err)
	}
	h.waitRuns(1)
	if st := h.status(1); st.State != check.OK {
		t.Fatalf("new check: %+v", st.Status)
	}
	// A changed definition runs at once too, and keeps its status.
	c := httpCheck(1, 11, srv.URL+"/other")
	store.addCheck(c)
	if err := h.e.Reload(ctx, 1); err != nil {
		t.Fatal(err)
	}
	h.waitRuns(2)
	if st := h.status(1); !strings.HasPrefix(st.Output, "HTTP 200") || st.HistoryLen != 2 {
		t.Fatalf("changed check: %+v", st.Status)
	}
	// An invalid definition runs as UNKNOWN with the reason.
	c.Params.URL = "ftp://nowhere"
	store.addCheck(c)
	if err := h.e.Reload(ctx, 1); err != nil {
		t.Fatal(err)
	}
	h.waitRuns(3)
	if st := h.status(1); st.State != check.Unknown || !strings.Contains(st.Output, "url: invalid_url") {
		t.Fatalf("invalid check: %v %q", st.State, st.Output)
	}
	// Disabled, then deleted: gone from the schedule.
	c.Enabled = false
	store.addCheck(c)
	if err := h.e.Reload(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if s := h.e.Stats(); s.Checks != 0 || s.Scheduled != 0 {
		t.Fatalf("disabled check still there: %+v", s)
	}
	store.mu.Lock()
	delete(store.checks, 1)
	store.mu.Unlock()
	if err := h.e.Reload(ctx, 1); err != nil {
		t.Fatalf("reload a deleted check: %v", err)
	}
	if err := h.e.RunNow(1); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("RunNow of a deleted check: %v", err)
	}
}

func TestEngineRetriesFailedBatch(t *testing.T) {
	store := newMemStore()
	store.addCheck(Check{ID: 5, ClientID: 2, AssetID: 3, Enabled: true, Rules: Rules{Kind: KindCPU, MaxAttempts: 1}})
	h := startEngine(t, store, nil)
	ctx := context.Background()
	store.mu.Lock()
	store.fail = errors.New("disk full")
	store.mu.Unlock()
	if err := h.e.Submit(ctx, Result{CheckID: 5, Result: check.Result{At: t0, State: check.Critical, Output: "CPU 100%"}}); err != nil {
		t.Fatal(err)
	}
	if err := h.e.flush(ctx); err == nil {
		t.Fatal("a failed batch reported no error")
	}
	if n := h.alerts.take(); len(n) != 0 {
		t.Fatalf("alerted before the batch committed: %+v", n)
	}
	store.mu.Lock()
	store.fail = nil
	store.mu.Unlock()
	h.flush()
	if n := notifying(h.alerts.take()); len(n) != 1 || n[0].Event.Kind != check.Problem {
		t.Fatalf("notices after the retry: %+v", n)
	}
	if st, ok := store.status(5); !ok || st.HardState != check.Critical || len(store.events) != 1 {
		t.Fatalf("written after the retry: %+v, %d events", st, len(store.events))
	}
}

func TestEngineReloadKeepsPendingEvents(t *testing.T) {
	store := newMemStore()
	store.assets[3] = AssetRef{ID: 3, ClientID: 2}
	c := Check{ID: 5, ClientID: 2, AssetID: 3, Name: "disk", Enabled: true, Rules: Rules{Kind: KindFilesystem, MaxAttempts: 1}}
	store.addCheck(c)
	h := startEngine(t, store, nil)
	ctx := context.Background()
	if err := h.e.Submit(ctx, Result{CheckID: 5, Result: check.Result{At: t0, State: check.Critical, Output: "full"}}); err != nil {
		t.Fatal(err)
	}
	c.Name = "root disk"
	store.addCheck(c)
	if err := h.e.Reload(ctx, 5); err != nil {
		t.Fatal(err)
	}
	h.flush()
	n := notifying(h.alerts.take())
	if len(n) != 1 || n[0].Event.Kind != check.Problem {
		t.Fatalf("the problem before the reload was lost: %+v", n)
	}
	if st, ok := store.status(5); !ok || st.HardState != check.Critical {
		t.Fatalf("status before the reload not written: %+v", st)
	}
	if st := h.status(5); st.HardState != check.Critical {
		t.Fatalf("status lost by the reload: %+v", st.Status)
	}
}

func TestEngineForgetsCheckDeletedWithoutReload(t *testing.T) {
	store := newMemStore()
	for id := int64(1); id <= 2; id++ {
		store.addCheck(Check{ID: id, ClientID: 2, AssetID: 3, Enabled: true, Rules: Rules{Kind: KindCPU, MaxAttempts: 1}})
	}
	h := startEngine(t, store, nil)
	ctx := context.Background()
	store.mu.Lock()
	delete(store.checks, 1)
	store.mu.Unlock()
	for id := int64(1); id <= 2; id++ {
		if err := h.e.Submit(ctx, Result{CheckID: id, Result: check.Result{At: t0, State: check.Critical, Output: "busy"}}); err != nil {
			t.Fatal(err)
		}
	}
	// The batch fails (here or in the batch the problems hurried), the
	// deleted check is forgotten and the next batch writes the other one.
	_ = h.e.flush(ctx)
	h.flush()
	if h.e.Stats().WriteErrors == 0 {
		t.Fatal("the store took the status of a deleted check")
	}
	if st, ok := store.status(2); !ok || st.HardState != check.Critical {
		t.Fatalf("check 2 not written: %+v", st)
	}
	if _, ok := h.e.Status(1); ok {
		t.Fatal("the deleted check is still in the engine")
	}
	if n := notifying(h.alerts.take()); len(n) != 1 || n[0].Check.ID != 2 {
		t.Fatalf("notices: %+v", n)
	}
}

// flakyAlerter fails its first calls, then records.
type flakyAlerter struct {
	recorder
	fails int
	calls int
}

func (f *flakyAlerter) Alert(ctx context.Context, n []Notice) error {
	f.mu.Lock()
	f.calls++
	if f.fails > 0 {
		f.fails--
		f.mu.Unlock()
		return errors.New("ticket database unavailable")
	}
	f.mu.Unlock()
	return f.recorder.Alert(ctx, n)
}

// perfLog is a PerfSink keeping what it gets.
type perfLog struct {
	mu  sync.Mutex
	got []map[string]float64
}

func (p *perfLog) AppendCheckPerf(ctx context.Context, assetID, checkID int64, at time.Time, perf map[string]float64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, perf)
	return nil
}

func TestEngineRetriesAlerterAndStoresPerf(t *testing.T) {
	store := newMemStore()
	store.addCheck(Check{ID: 5, ClientID: 2, AssetID: 3, Enabled: true, Rules: Rules{Kind: KindFilesystem, MaxAttempts: 1}})
	alerts := &flakyAlerter{fails: 1}
	perf := &perfLog{}
	clock := &fakeClock{t: t0}
	e := NewEngine(store, EngineOptions{Now: clock.Now, Alerter: alerts, Perf: perf, FlushEvery: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if err := e.Submit(ctx, Result{CheckID: 5, Result: check.Result{At: t0, State: check.Critical, Output: "full"}, Perf: map[string]float64{"used_percent": 97}}); err != nil {
		t.Fatal(err)
	}
	// The problem hurries a batch; whichever batch delivers first fails,
	// the next one (with nothing new to write) delivers the notice again.
	for range 3 {
		if err := e.flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	alerts.mu.Lock()
	calls := alerts.calls
	alerts.mu.Unlock()
	if n := notifying(alerts.take()); len(n) != 1 || n[0].Event.Kind != check.Problem || calls != 2 || e.Stats().AlertErrors != 1 {
		t.Fatalf("delivery: %+v (%d calls), stats %+v", n, calls, e.Stats())
	}
	perf.mu.Lock()
	defer perf.mu.Unlock()
	if len(perf.got) != 1 || perf.got[0]["used_percent"] != 97 {
		t.Fatalf("metrics: %+v", perf.got)
	}
}

func TestEngineOwedWithoutNewResult(t *testing.T) {
	store := newMemStore()
	store.assets[7] = AssetRef{ID: 7, ClientID: 2}
	store.addCheck(Check{ID: 1, ClientID: 2, AssetID: 7, Enabled: true, Rules: Rules{Kind: KindBackupJob, MaxAttempts: 1}})
	store.windows = []Window{{ID: 1, Window: check.Window{ClientID: 2, From: t0.Add(-time.Hour), To: t0.Add(10 * time.Minute)}}}
	h := startEngine(t, store, nil)
	ctx := context.Background()
	if err := h.e.Submit(ctx, Result{CheckID: 1, Result: check.Result{At: t0, State: check.Critical, Output: "backup failed"}}); err != nil {
		t.Fatal(err)
	}
	h.e.sweepOwed() // still in maintenance: nothing owed
	h.flush()
	if n := notifying(h.alerts.take()); len(n) != 0 {
		t.Fatalf("notified in maintenance: %+v", n)
	}
	// The window ends; the job reports again only tomorrow.
	h.clock.add(11 * time.Minute)
	h.e.sweepOwed()
	h.e.sweepOwed() // once
	h.flush()
	n := notifying(h.alerts.take())
	if len(n) != 1 || !n[0].Owed || n[0].Event.At != h.clock.Now() || n[0].Event.Output != "backup failed" {
		t.Fatalf("owed notices: %+v", n)
	}
	if st, _ := store.status(1); !st.Notified {
		t.Fatalf("owed problem not marked notified: %+v", st.Status)
	}
}

// TestEngineBusyWorkersDelayButNeverDrop runs two checks on one worker, one
// of them slower than the interval: the other waits (drift), runs late
// rather than never, and a wait over an interval counts as missed.
func TestEngineBusyWorkersDelayButNeverDrop(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2500 * time.Millisecond):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	fast, _ := switchable(t)
	store := newMemStore()
	store.addCheck(Check{ID: 1, ClientID: 1, AssetID: 1, Enabled: true, Rules: Rules{Kind: KindHTTP, Params: Params{URL: slow.URL, Timeout: 5}, Interval: 1}})
	store.addCheck(Check{ID: 2, ClientID: 1, AssetID: 1, Enabled: true, Rules: Rules{Kind: KindHTTP, Params: Params{URL: fast.URL, Timeout: 5}, Interval: 1}})
	e := NewEngine(store, EngineOptions{Workers: 1})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	time.Sleep(6 * time.Second)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s := e.Stats()
	st2, _ := store.status(2)
	if st2.HistoryLen < 2 {
		t.Errorf("the fast check ran %d times behind the slow one", st2.HistoryLen)
	}
	if s.DriftMax < time.Second || s.Missed == 0 {
		t.Errorf("drift max %v, missed %d: waits behind a busy worker are not counted", s.DriftMax, s.Missed)
	}
}
