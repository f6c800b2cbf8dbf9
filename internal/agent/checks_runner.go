package agent

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"sync"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

// Bounds of the check runner.
const (
	// maxPendingResults bounds the results kept in memory between two
	// reports (the spool keeps them after that).
	maxPendingResults = agentproto.MaxResultsPerReport
	// checkConcurrency bounds the checks running at once: the agent stays
	// light even when many commands are due together.
	checkConcurrency = 4
	minCheckInterval = 10
	// minRetryInterval bounds how fast a problem is re-checked, in seconds.
	minRetryInterval = 5
)

// serverKinds are checks the server runs itself; the agent ignores them.
var serverKinds = map[string]bool{
	agentproto.CheckHeartbeat: true, agentproto.CheckBackupPush: true, agentproto.CheckBackupJob: true,
}

// CheckRunner runs each check of the settings at its interval, the first
// run at a random point of the first interval so that an agent's checks
// (and a fleet's) do not all run at once. A check never overlaps itself.
type CheckRunner struct {
	Checker *Checker
	Log     *slog.Logger
	// Unit is the length of a settings "second"; tests shorten it.
	Unit time.Duration
	// Rand is uniform in [0, n); rand.Int64N when nil.
	Rand func(n int64) int64

	// Changed is signalled (non-blocking) when a check's state differs
	// from its previous result's, so that the agent can report it without
	// waiting for its report interval. Nil: not signalled.
	Changed chan struct{}

	mu      sync.Mutex
	last    map[int64]int // state of each check's last result
	running map[int64]*runningCheck
	pending []agentproto.CheckResult
	lost    int
	sem     chan struct{}
	wg      sync.WaitGroup
}

type runningCheck struct {
	spec   agentproto.CheckSpec
	cancel context.CancelFunc
}

// Apply starts, restarts (when changed) and stops checks so that exactly
// specs run. Checks stop when ctx is done; Wait waits for them.
func (r *CheckRunner) Apply(ctx context.Context, specs []agentproto.CheckSpec) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running == nil {
		r.running = map[int64]*runningCheck{}
		r.sem = make(chan struct{}, checkConcurrency)
	}
	want := make(map[int64]agentproto.CheckSpec, len(specs))
	for _, s := range specs {
		if s.ID > 0 && !serverKinds[s.Kind] {
			want[s.ID] = s
		}
	}
	for id, rc := range r.running {
		if s, ok := want[id]; !ok || !reflect.DeepEqual(s, rc.spec) {
			rc.cancel()
			delete(r.running, id)
			delete(r.last, id)
		}
	}
	var keep time.Duration
	for id, s := range want {
		if s.Kind == agentproto.CheckCPU || s.Kind == agentproto.CheckMemory || s.Kind == agentproto.CheckSwap {
			keep = max(keep, time.Duration(min(max(s.Params.For, 0), MaxFor))*time.Minute)
		}
		if _, ok := r.running[id]; ok {
			continue
		}
		cctx, cancel := context.WithCancel(ctx)
		r.running[id] = &runningCheck{spec: s, cancel: cancel}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.loop(cctx, s)
		}()
	}
	if r.Checker.History != nil {
		r.Checker.History.SetKeep(keep)
	}
}

// Wait waits for every check to stop (after the context given to Apply is done).
func (r *CheckRunner) Wait() { r.wg.Wait() }

func (r *CheckRunner) loop(ctx context.Context, s agentproto.CheckSpec) {
	unit := r.Unit
	if unit == 0 {
		unit = time.Second
	}
	rnd := r.Rand
	if rnd == nil {
		rnd = rand.Int64N
	}
	every := time.Duration(max(s.Interval, minCheckInterval)) * unit
	retry := every
	if s.RetryInterval > 0 {
		retry = min(time.Duration(max(s.RetryInterval, minRetryInterval))*unit, every)
	}
	t := time.NewTimer(time.Duration(rnd(int64(every))))
	defer t.Stop()
	problems := 0 // non-OK results in a row
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		select {
		case r.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		res, ok := r.Checker.Run(ctx, s)
		<-r.sem
		if ctx.Err() != nil {
			return // stopped or replaced while running: the result is moot
		}
		next := every
		if ok {
			r.add(res)
			// A problem is retried sooner until the server can call it
			// hard (MaxAttempts in a row), then the interval resumes.
			if res.State != stateOK {
				problems++
				if problems < max(s.MaxAttempts, 1) {
					next = retry
				}
			} else {
				problems = 0
			}
		}
		t.Reset(max(next-time.Since(start), next/10))
	}
}

func (r *CheckRunner) add(res agentproto.CheckResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) >= maxPendingResults {
		// The spool cannot be written: the oldest results go first.
		r.pending = append(r.pending[:0], r.pending[1:]...)
		r.lost++
		if r.Log != nil && (r.lost == 1 || r.lost%1000 == 0) {
			r.Log.Warn("check results dropped: they could not be spooled", "dropped", r.lost)
		}
	}
	r.pending = append(r.pending, res)
	prev, seen := r.last[res.CheckID]
	if r.last == nil {
		r.last = map[int64]int{}
	}
	r.last[res.CheckID] = res.State
	// A first result that is a problem is news too: the server may hold
	// an older state from before the agent restarted.
	if (seen && prev != res.State) || (!seen && res.State != stateOK) {
		select {
		case r.Changed <- struct{}{}:
		default:
		}
	}
}

// Take removes and returns the results waiting for a report, oldest
// first, within agentproto's bounds of one report.
func (r *CheckRunner) Take() []agentproto.CheckResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, size := 0, 0
	for n < len(r.pending) && n < agentproto.MaxResultsPerReport {
		size += len(r.pending[n].Output) + 64 + 32*len(r.pending[n].Perf)
		if n > 0 && size > maxResultBytes {
			break
		}
		n++
	}
	out := append([]agentproto.CheckResult(nil), r.pending[:n]...)
	r.pending = append(r.pending[:0], r.pending[n:]...)
	return out
}

// maxResultBytes keeps the results of one report well under its size limit.
const maxResultBytes = 2 << 20

// Return puts back results that could not be spooled, before any newer.
func (r *CheckRunner) Return(rs []agentproto.CheckResult) {
	if len(rs) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	all := append(append(make([]agentproto.CheckResult, 0, len(rs)+len(r.pending)), rs...), r.pending...)
	if extra := len(all) - maxPendingResults; extra > 0 {
		all = all[extra:]
		r.lost += extra
	}
	r.pending = all
}

// Pending is the number of results waiting for a report.
func (r *CheckRunner) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}
