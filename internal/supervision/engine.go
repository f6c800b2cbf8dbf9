package supervision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/probe"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Result is one run of a check, by the server, an agent or a push.
type Result struct {
	CheckID int64
	check.Result
	Perf map[string]float64
}

// Notice is a state change that someone may need to hear about: every event
// the engine persists is passed on, with what alerting needs to act on it.
// Event.Notify says whether it should notify (see package check).
type Notice struct {
	Event  Event
	Check  Check
	Asset  AssetRef
	Status Status
	// Owed is set when a problem that began muted is notified now that
	// nothing mutes it (Event is then its problem event, repeated).
	Owed bool
}

// Alerter acts on notices once they are committed (tickets, notifications).
type Alerter interface {
	Alert(ctx context.Context, notices []Notice) error
}

// PerfSink stores the metrics of check results (response times…) so that
// the check page can draw them.
type PerfSink interface {
	AppendCheckPerf(ctx context.Context, assetID, checkID int64, at time.Time, perf map[string]float64) error
}

// Change is a status update pushed to live boards.
type Change struct {
	ClientID int64
	Status   Status
}

// EngineOptions configure the engine; zero values take defaults.
type EngineOptions struct {
	Now     func() time.Time
	Log     *slog.Logger
	Workers int // concurrent server probes (default 256)
	Alerter Alerter
	Perf    PerfSink
	// FlushEvery is the period of the batched writes of statuses and events
	// (default 1 s).
	FlushEvery time.Duration
	// NewProbe builds the probe of a network check (default NewProbe);
	// tests use it to give probes a private CA.
	NewProbe func(kind Kind, p Params) (probe.Probe, error)
}

// EngineStats are the scheduler's counters since start.
type EngineStats struct {
	Checks    int
	Runs      int64
	Missed    int64
	DriftP50  time.Duration
	DriftP99  time.Duration
	DriftMax  time.Duration
	Running   int
	Queued    int
	LastWrite time.Duration
	// Scheduled counts the checks the server runs (probes, heartbeats,
	// backup pushes); Results counts every result applied (runs, agents,
	// pushes); Batches, WriteTotal and WriteMax describe the batched writes.
	Scheduled  int
	Results    int64
	Batches    int64
	WriteTotal time.Duration
	WriteMax   time.Duration
	// WriteErrors counts failed batches (their content is retried);
	// AlertErrors failed calls of the alerter (retried with the next batch).
	WriteErrors int64
	AlertErrors int64
	// DroppedChanges counts live updates a slow subscriber did not take;
	// DroppedPerf, metrics not kept while the perf sink lagged.
	DroppedChanges int64
	DroppedPerf    int64
}

// Engine owns the live state of every check: it schedules the server's
// probes in memory, applies every result (server, agent, push) through the
// check engine, persists statuses and events in batches, and hands notices
// to the alerter and changes to live boards.
//
// One mutex guards the state; probes run outside it on a bounded pool of
// workers, and the store and the alerter are called outside it too.
type Engine struct {
	store Store
	opts  EngineOptions
	log   *slog.Logger
	now   func() time.Time

	ready     chan struct{} // closed once Run has loaded everything
	readyOnce sync.Once
	wake      chan struct{} // pokes the scheduler (new due run, clock moved)
	urgent    chan struct{} // asks for a batch now (an event that notifies)
	flushing  sync.Mutex    // one write of statuses at a time (batches, acknowledgements)
	alerting  sync.Mutex    // notices handed over in the order of their batches
	// alertRetry holds the notices the alerter failed on (under alerting).
	alertRetry []Notice
	alertTries int

	mu      sync.Mutex
	entries map[int64]*entry
	sched   runHeap
	assets  map[int64]*AssetRef
	hosts   map[int64][]*entry // asset → its host checks (ping, heartbeat)
	beats   map[int64][]*entry // asset → its heartbeat checks
	parents check.Parents
	windows windowIndex
	locs    map[string]*time.Location
	dirty   map[int64]*entry
	pending []pendingEvent
	owed    []Notice
	perf    []perfSample
	subs    map[*subscriber]struct{}
	running int
	drift   histogram
	stats   EngineStats
}

// entry is the live state of one enabled check.
type entry struct {
	check  Check
	status Status
	policy check.Policy
	probe  probe.Probe // network probes run by the server
	// schedule (backup_push) is the cron schedule of the expected runs;
	// lastPush the last push (zero: none known, the check's creation counts).
	schedule interface{ Next(time.Time) time.Time }
	lastPush time.Time
	// invalid is the output of a check whose definition cannot run.
	invalid string

	server  bool      // scheduled by the engine
	next    time.Time // next run
	every   time.Duration
	index   int  // in the heap, -1 when not scheduled
	running bool // a worker holds it
	removed bool // deleted or disabled while running
	rerun   bool // RunNow while running
}

// pendingEvent is an event waiting for the next batch, with what its notice needs.
type pendingEvent struct {
	event  Event
	check  Check
	asset  AssetRef
	status Status
}

type perfSample struct {
	assetID, checkID int64
	at               time.Time
	perf             map[string]float64
}

// maxPendingPerf bounds the metrics waiting for the sink; beyond, the oldest
// batch is not kept (a slow sink must not exhaust memory).
const maxPendingPerf = 200_000

// NewEngine returns an engine; Run starts it.
func NewEngine(store Store, opts EngineOptions) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Workers <= 0 {
		opts.Workers = 256
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = time.Second
	}
	if opts.NewProbe == nil {
		opts.NewProbe = NewProbe
	}
	return &Engine{
		store: store, opts: opts, log: opts.Log, now: opts.Now,
		ready:   make(chan struct{}),
		wake:    make(chan struct{}, 1),
		urgent:  make(chan struct{}, 1),
		entries: map[int64]*entry{},
		assets:  map[int64]*AssetRef{},
		hosts:   map[int64][]*entry{},
		beats:   map[int64][]*entry{},
		parents: check.Parents{},
		locs:    map[string]*time.Location{},
		dirty:   map[int64]*entry{},
		subs:    map[*subscriber]struct{}{},
	}
}

// contextRefresh is how often windows and assets are re-read even when
// nobody calls ReloadContext.
const contextRefresh = 5 * time.Minute

// owedSweep is how often the problems nothing mutes any more are looked for
// between results (a backup job reports once a day).
const owedSweep = 15 * time.Second

// loadPage is the page size of the start-up load.
const loadPage = 5000

// Run loads every check and runs until ctx ends; it then waits for the
// probes in flight, writes what is pending and returns nil.
func (e *Engine) Run(ctx context.Context) error {
	if err := e.load(ctx); err != nil {
		return err
	}
	e.readyOnce.Do(func() { close(e.ready) })

	jobs := make(chan *entry)
	var wg sync.WaitGroup
	for range e.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.worker(ctx, jobs)
		}()
	}
	flushDone := make(chan struct{})
	go func() {
		defer close(flushDone)
		t := time.NewTicker(e.opts.FlushEvery)
		defer t.Stop()
		refresh := time.NewTicker(contextRefresh)
		defer refresh.Stop()
		sweep := time.NewTicker(owedSweep)
		defer sweep.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sweep.C:
				e.sweepOwed()
			case <-refresh.C:
				// Windows that ended go, assets edited without a reload come.
				if err := e.ReloadContext(ctx); err != nil && ctx.Err() == nil {
					e.log.Error("supervision: reload windows and assets", "err", err)
				}
			case <-t.C:
				if err := e.flush(ctx); err != nil && ctx.Err() == nil {
					e.log.Error("supervision: write results", "err", err)
				}
			case <-e.urgent:
				// An event that notifies: written and alerted at once.
				if err := e.flush(ctx); err != nil && ctx.Err() == nil {
					e.log.Error("supervision: write results", "err", err)
				}
			}
		}
	}()

	e.schedule(ctx, jobs)
	close(jobs)
	wg.Wait()
	<-flushDone
	// The last batch is written with a context of its own: ctx has ended.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := e.flush(fctx); err != nil {
		return fmt.Errorf("write last results: %w", err)
	}
	return nil
}

// load reads checks, statuses, assets and windows and schedules the server's checks.
func (e *Engine) load(ctx context.Context) error {
	statuses := map[int64]Status{}
	for after := int64(0); ; {
		page, err := e.store.Statuses(ctx, after, loadPage)
		if err != nil {
			return fmt.Errorf("load check statuses: %w", err)
		}
		for _, st := range page {
			statuses[st.CheckID] = st
			after = st.CheckID
		}
		if len(page) < loadPage {
			break
		}
	}
	assets, err := e.store.AssetRefs(ctx)
	if err != nil {
		return fmt.Errorf("load assets: %w", err)
	}
	now := e.now()
	windows, err := e.store.AllWindows(ctx, now)
	if err != nil {
		return fmt.Errorf("load maintenance windows: %w", err)
	}
	var checks []Check
	for after := int64(0); ; {
		page, err := e.store.AllChecks(ctx, after, loadPage)
		if err != nil {
			return fmt.Errorf("load checks: %w", err)
		}
		checks = append(checks, page...)
		if len(page) < loadPage {
			break
		}
		after = page[len(page)-1].ID
	}
	pushes := map[int64]time.Time{}
	for _, c := range checks {
		if c.Kind == KindBackupPush {
			if t, err := e.lastPush(ctx, c.ID); err != nil {
				return err
			} else if !t.IsZero() {
				pushes[c.ID] = t
			}
		}
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	e.setContextLocked(assets, windows)
	for _, c := range checks {
		st, ok := statuses[c.ID]
		if !ok {
			st = Status{CheckID: c.ID, ClientID: c.ClientID, AssetID: c.AssetID}
		}
		en := e.newEntryLocked(c, st)
		if t, ok := pushes[c.ID]; ok {
			en.lastPush = t
		}
		e.addLocked(en)
	}
	// Scheduled from the time the load is over: runs falling due while
	// thousands of rows were read would start late all at once.
	now = e.now()
	for _, en := range e.entries {
		if en.server {
			en.next = e.firstRunLocked(en, now)
			e.sched.push(en)
		}
	}
	return nil
}

// lastPush returns the time of the last run pushed for a backup_push check.
func (e *Engine) lastPush(ctx context.Context, checkID int64) (time.Time, error) {
	runs, err := e.store.BackupRuns(ctx, tenant.System(), checkID, 1)
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return time.Time{}, fmt.Errorf("load last backup run of check %d: %w", checkID, err)
	}
	if len(runs) == 0 {
		return time.Time{}, nil
	}
	return runs[0].At, nil
}

// waitReady waits until Run has loaded everything.
func (e *Engine) waitReady(ctx context.Context) error {
	select {
	case <-e.ready:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for the supervision engine: %w", ctx.Err())
	}
}

// poke wakes the scheduler.
func (e *Engine) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Reload re-reads one check after it was created, changed or deleted.
func (e *Engine) Reload(ctx context.Context, checkID int64) error {
	if err := e.waitReady(ctx); err != nil {
		return err
	}
	c, err := e.store.Check(ctx, tenant.System(), checkID)
	gone := errors.Is(err, fault.ErrNotFound)
	if err != nil && !gone {
		return fmt.Errorf("reload check %d: %w", checkID, err)
	}
	if gone || !c.Enabled {
		e.mu.Lock()
		if en := e.entries[checkID]; en != nil {
			e.removeLocked(en)
		}
		e.mu.Unlock()
		return nil
	}
	e.mu.Lock()
	old := e.entries[checkID]
	_, knownAsset := e.assets[c.AssetID]
	e.mu.Unlock()
	if !knownAsset {
		a, err := e.store.AssetRef(ctx, tenant.System(), c.AssetID)
		if err != nil {
			return fmt.Errorf("reload asset %d of check %d: %w", c.AssetID, checkID, err)
		}
		e.mu.Lock()
		if _, ok := e.assets[a.ID]; !ok {
			e.assets[a.ID] = &a
			if a.ParentID != 0 {
				e.parents[a.ID] = []int64{a.ParentID}
			}
		}
		e.mu.Unlock()
	}
	var st Status
	var push time.Time
	if old == nil {
		st, err = e.store.Status(ctx, tenant.System(), checkID)
		if errors.Is(err, fault.ErrNotFound) {
			st, err = Status{CheckID: c.ID}, nil
		}
		if err != nil {
			return fmt.Errorf("reload status of check %d: %w", checkID, err)
		}
	}
	if c.Kind == KindBackupPush {
		if push, err = e.lastPush(ctx, c.ID); err != nil {
			return err
		}
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	cur := e.entries[checkID]
	if cur != nil {
		st = cur.status
		if push.IsZero() || cur.lastPush.After(push) {
			push = cur.lastPush
		}
	}
	st.CheckID, st.ClientID, st.AssetID = c.ID, c.ClientID, c.AssetID
	en := e.newEntryLocked(c, st)
	if !push.IsZero() {
		en.lastPush = push
	}
	if cur != nil {
		e.replaceLocked(cur, en)
	} else {
		e.addLocked(en)
	}
	if en.server {
		switch {
		case old == nil || old.check.Kind != c.Kind || !sameParams(old.check.Params, c.Params):
			en.next = now // a new or changed definition runs at once
			if en.check.Kind == KindBackupPush {
				en.next = e.backupNextLocked(en, now)
			}
		default:
			// Same probe (a new name, interval or policy): the next run
			// follows the last one at the new interval.
			en.next = e.nextAfterLocked(en, now)
		}
		e.sched.push(en)
		e.poke()
	}
	return nil
}

// ReloadContext re-reads maintenance windows and assets (parents, agents).
func (e *Engine) ReloadContext(ctx context.Context) error {
	if err := e.waitReady(ctx); err != nil {
		return err
	}
	assets, err := e.store.AssetRefs(ctx)
	if err != nil {
		return fmt.Errorf("reload assets: %w", err)
	}
	windows, err := e.store.AllWindows(ctx, e.now())
	if err != nil {
		return fmt.Errorf("reload maintenance windows: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.setContextLocked(assets, windows)
	return nil
}

// Heartbeat records a report of the agent of an asset; the service calls it
// on every report. A heartbeat check in trouble is run at once, so that its
// recovery does not wait for the next interval.
func (e *Engine) Heartbeat(assetID int64, at time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.assets[assetID]
	if a == nil {
		a = &AssetRef{ID: assetID}
		e.assets[assetID] = a
	}
	a.HasAgent = true
	if at.After(a.LastSeen) {
		a.LastSeen = at
	}
	woke := false
	for _, en := range e.beats[assetID] {
		if en.status.State != check.OK && !en.running && en.index >= 0 {
			en.next = e.now()
			e.sched.fix(en)
			woke = true
		}
	}
	if woke {
		e.poke()
	}
}

// Submit applies a result that did not come from the scheduler (agent, push).
func (e *Engine) Submit(ctx context.Context, r Result) error {
	if err := e.waitReady(ctx); err != nil {
		return err
	}
	e.mu.Lock()
	en := e.entries[r.CheckID]
	e.mu.Unlock()
	if en == nil {
		// A check created a moment ago whose Reload has not come yet.
		if err := e.Reload(ctx, r.CheckID); err != nil {
			return err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	en = e.entries[r.CheckID]
	if en == nil {
		return fmt.Errorf("submit result of check %d: %w", r.CheckID, fault.ErrNotFound)
	}
	now := e.now()
	if r.At.IsZero() || r.At.After(now) {
		r.At = now // an agent's clock ahead must not block the next results
	}
	if en.check.Kind == KindBackupPush {
		if r.At.After(en.lastPush) {
			en.lastPush = r.At
		}
		e.applyLocked(en, r.Result, r.Perf)
		if !en.running {
			en.next = e.backupNextLocked(en, now)
			e.sched.fix(en)
			e.poke()
		}
		return nil
	}
	e.applyLocked(en, r.Result, r.Perf)
	return nil
}

// Acknowledge mutes a check's hard problem until its state changes. The
// acknowledgement is written at once. A check without a hard problem is
// fault.ErrConflict (and check.ErrNoProblem).
func (e *Engine) Acknowledge(ctx context.Context, checkID int64, by, comment string) error {
	if err := e.waitReady(ctx); err != nil {
		return err
	}
	e.mu.Lock()
	en := e.entries[checkID]
	if en == nil {
		e.mu.Unlock()
		return fmt.Errorf("acknowledge check %d: %w", checkID, fault.ErrNotFound)
	}
	st, err := en.status.Status.Acknowledge(by, comment, e.now())
	if err != nil {
		e.mu.Unlock()
		return fmt.Errorf("acknowledge check %d: %w (%w)", checkID, fault.ErrConflict, err)
	}
	en.status.Status = st
	saved := en.status
	delete(e.dirty, checkID)
	e.mu.Unlock()

	// After a batch being written (which may hold this check's status
	// without the acknowledgement), never before it.
	e.flushing.Lock()
	err = e.store.SaveResults(ctx, []Status{saved}, nil)
	e.flushing.Unlock()
	if err != nil {
		e.mu.Lock()
		e.dirty[checkID] = en // the next batch retries
		e.mu.Unlock()
		return fmt.Errorf("save acknowledgement of check %d: %w", checkID, err)
	}
	e.publish([]Change{{ClientID: saved.ClientID, Status: saved}})
	// The incident of the problem records who took it and why.
	if al, ok := e.opts.Alerter.(AckAlerter); ok && st.Ack != nil {
		if err := al.Acknowledged(ctx, checkID, *st.Ack); err != nil {
			e.log.Warn("record acknowledgement on the incident", "check", checkID, "err", err)
		}
	}
	return nil
}

// AckAlerter is an Alerter that also records acknowledgements (on the
// incident ticket of the problem).
type AckAlerter interface {
	Acknowledged(ctx context.Context, checkID int64, ack check.Ack) error
}

// RunNow runs a server check at once (the "check now" button). A check the
// server does not run (an agent's) is fault.ErrConflict.
func (e *Engine) RunNow(checkID int64) error {
	select {
	case <-e.ready:
	default:
		return errors.New("run check now: the supervision engine is starting")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	en := e.entries[checkID]
	if en == nil {
		return fmt.Errorf("run check %d now: %w", checkID, fault.ErrNotFound)
	}
	if !en.server {
		return fmt.Errorf("run check %d now: it runs on an agent: %w", checkID, fault.ErrConflict)
	}
	if en.running {
		en.rerun = true
		return nil
	}
	en.next = e.now()
	e.sched.fix(en)
	e.poke()
	return nil
}

// Subscribe returns live status changes; call the function to stop. A
// subscriber that does not keep up loses changes rather than slowing the
// engine (Stats counts them).
func (e *Engine) Subscribe() (<-chan Change, func()) {
	s := &subscriber{ch: make(chan Change, 1024)}
	e.mu.Lock()
	e.subs[s] = struct{}{}
	e.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			e.mu.Lock()
			delete(e.subs, s)
			e.mu.Unlock()
		})
	}
}

type subscriber struct{ ch chan Change }

// publish hands changes to every subscriber without blocking.
func (e *Engine) publish(changes []Change) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for s := range e.subs {
		for _, c := range changes {
			select {
			case s.ch <- c:
			default:
				e.stats.DroppedChanges++
			}
		}
	}
}

// Stats returns the scheduler's counters.
func (e *Engine) Stats() EngineStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.stats
	s.Checks = len(e.entries)
	s.Scheduled = 0
	now := e.now()
	for _, en := range e.entries {
		if en.server {
			s.Scheduled++
		}
	}
	for _, en := range e.sched {
		if !en.next.After(now) {
			s.Queued++
		}
	}
	s.Running = e.running
	s.DriftP50 = e.drift.quantile(0.50)
	s.DriftP99 = e.drift.quantile(0.99)
	s.DriftMax = e.drift.max
	return s
}

// Status returns the live status of a check (false when the engine does
// not know it).
func (e *Engine) Status(checkID int64) (Status, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	en := e.entries[checkID]
	if en == nil {
		return Status{}, false
	}
	return en.status, true
}

// sameParams reports whether two parameter sets are equal.
func sameParams(a, b Params) bool {
	return fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b)
}
