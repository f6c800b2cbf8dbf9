package supervision

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// flush writes the statuses changed and the events since the last batch in
// one transaction, then publishes the changes, hands the notices to the
// alerter and the metrics to the perf sink. A failed batch is put back and
// retried with the next one.
func (e *Engine) flush(ctx context.Context) error {
	e.alerting.Lock()
	defer e.alerting.Unlock()
	e.flushing.Lock()
	written := false
	defer func() {
		if !written {
			e.flushing.Unlock()
		}
	}()

	e.mu.Lock()
	statuses := make([]Status, 0, len(e.dirty))
	for _, en := range e.dirty {
		statuses = append(statuses, en.status)
	}
	clear(e.dirty)
	pend, owed, perf := e.pending, e.owed, e.perf
	e.pending, e.owed, e.perf = nil, nil, nil
	e.mu.Unlock()
	if len(statuses) == 0 && len(pend) == 0 && len(owed) == 0 && len(perf) == 0 {
		written = true
		e.flushing.Unlock()
		e.alert(ctx, nil) // a failed delivery waiting for its retry
		return nil
	}
	slices.SortFunc(statuses, func(a, b Status) int { return cmpInt(a.CheckID, b.CheckID) })
	events := make([]Event, len(pend))
	for i, p := range pend {
		events[i] = p.event
	}

	start := time.Now()
	err := e.store.SaveResults(ctx, statuses, events)
	took := time.Since(start)
	if err != nil {
		e.pruneGone(ctx, statuses, events)
	}
	e.mu.Lock()
	if err != nil {
		e.stats.WriteErrors++
		// Put back what still exists, behind what came since.
		for _, st := range statuses {
			if en := e.entries[st.CheckID]; en != nil {
				e.dirty[st.CheckID] = en
			}
		}
		keep := func(id int64) bool { return e.entries[id] != nil }
		pend = slices.DeleteFunc(pend, func(p pendingEvent) bool { return !keep(p.event.CheckID) })
		owed = slices.DeleteFunc(owed, func(n Notice) bool { return !keep(n.Check.ID) })
		e.pending = append(pend, e.pending...)
		e.owed = append(owed, e.owed...)
		e.perf = append(perf, e.perf...)
		if len(e.perf) > maxPendingPerf {
			e.stats.DroppedPerf += int64(len(e.perf) - maxPendingPerf)
			e.perf = e.perf[len(e.perf)-maxPendingPerf:]
		}
		e.mu.Unlock()
		return fmt.Errorf("save %d statuses and %d events: %w", len(statuses), len(events), err)
	}
	e.stats.Batches++
	e.stats.LastWrite = took
	e.stats.WriteTotal += took
	e.stats.WriteMax = max(e.stats.WriteMax, took)
	e.mu.Unlock()
	written = true
	e.flushing.Unlock()

	changes := make([]Change, len(statuses))
	for i, st := range statuses {
		changes[i] = Change{ClientID: st.ClientID, Status: st}
	}
	e.publish(changes)

	notices := make([]Notice, 0, len(events)+len(owed))
	for i, p := range pend {
		notices = append(notices, Notice{Event: events[i], Check: p.check, Asset: p.asset, Status: p.status})
	}
	e.alert(ctx, append(notices, owed...))
	if e.opts.Perf != nil {
		failed := 0
		var last error
		for _, p := range perf {
			if err := e.opts.Perf.AppendCheckPerf(ctx, p.assetID, p.checkID, p.at, p.perf); err != nil {
				failed++
				last = err
			}
		}
		if failed > 0 {
			e.log.Warn("supervision: store check metrics", "failed", failed, "err", last)
		}
	}
	return nil
}

// maxAlertTries bounds the deliveries of notices the alerter failed on.
const maxAlertTries = 10

// alert hands notices to the alerter, after those of earlier batches it
// failed on (the alerter takes the same notices twice without harm). After
// maxAlertTries failures in a row, the waiting notices are given up (logged).
// Called under e.alerting.
func (e *Engine) alert(ctx context.Context, notices []Notice) {
	if e.opts.Alerter == nil {
		return
	}
	notices = append(e.alertRetry, notices...)
	e.alertRetry = nil
	if len(notices) == 0 {
		return
	}
	err := e.opts.Alerter.Alert(ctx, notices)
	if err == nil {
		e.alertTries = 0
		return
	}
	e.alertTries++
	e.mu.Lock()
	e.stats.AlertErrors++
	e.mu.Unlock()
	if e.alertTries >= maxAlertTries || ctx.Err() != nil {
		e.log.Error("supervision: alert failed, notices given up", "notices", len(notices), "tries", e.alertTries, "err", err)
		e.alertTries = 0
		return
	}
	e.log.Warn("supervision: alert failed, retried with the next batch", "notices", len(notices), "err", err)
	e.alertRetry = notices
}

// pruneGone forgets the checks of a failed batch that the store no longer
// has (deleted without a Reload), so that their rows cannot fail every
// batch after.
func (e *Engine) pruneGone(ctx context.Context, statuses []Status, events []Event) {
	ids := map[int64]bool{}
	for _, st := range statuses {
		ids[st.CheckID] = true
	}
	for _, ev := range events {
		ids[ev.CheckID] = true
	}
	for id := range ids {
		_, err := e.store.Check(ctx, tenant.System(), id)
		if !errors.Is(err, fault.ErrNotFound) {
			continue
		}
		e.mu.Lock()
		if en := e.entries[id]; en != nil {
			e.removeLocked(en)
		}
		e.mu.Unlock()
		e.log.Warn("supervision: check deleted without a reload, forgotten", "check", id)
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
