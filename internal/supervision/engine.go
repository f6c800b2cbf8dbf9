package supervision

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/vigie-hq/vigie/internal/check"
)

// CONTRACT — the bodies below are written by the engine's author this
// session; the signatures are what the service, alerting, web and API use.

var errEngineTODO = errors.New("supervision engine: not built yet")

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
}

// Engine owns the live state of every check: it schedules the server's
// probes in memory, applies every result (server, agent, push) through the
// check engine, persists statuses and events in batches, and hands notices
// to the alerter and changes to live boards.
type Engine struct {
	store Store
	opts  EngineOptions
}

// NewEngine returns an engine; Run starts it.
func NewEngine(store Store, opts EngineOptions) *Engine { return &Engine{store: store, opts: opts} }

// Run loads every check and runs until ctx ends.
func (e *Engine) Run(ctx context.Context) error { return errEngineTODO }

// Reload re-reads one check after it was created, changed or deleted.
func (e *Engine) Reload(ctx context.Context, checkID int64) error { return errEngineTODO }

// ReloadContext re-reads maintenance windows and assets (parents, agents).
func (e *Engine) ReloadContext(ctx context.Context) error { return errEngineTODO }

// Submit applies a result that did not come from the scheduler (agent, push).
func (e *Engine) Submit(ctx context.Context, r Result) error { return errEngineTODO }

// Acknowledge mutes a check's hard problem until its state changes.
func (e *Engine) Acknowledge(ctx context.Context, checkID int64, by, comment string) error {
	return errEngineTODO
}

// RunNow runs a server check at once (the "check now" button).
func (e *Engine) RunNow(checkID int64) error { return errEngineTODO }

// Subscribe returns live status changes; call the function to stop.
func (e *Engine) Subscribe() (<-chan Change, func()) { return nil, func() {} }

// Stats returns the scheduler's counters.
func (e *Engine) Stats() EngineStats { return EngineStats{} }
