package supervision

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/vigie-hq/vigie/internal/check"
)

// serverRun reports whether the engine schedules the check itself.
func serverRun(c Check) bool {
	switch {
	case c.Kind.Network():
		return c.RunnerAssetID == nil
	case c.Kind == KindHeartbeat, c.Kind == KindBackupPush:
		return true
	}
	return false
}

// hostKind reports whether a check tells that its asset is up (dependencies).
func hostKind(k Kind) bool { return k == KindPing || k == KindHeartbeat }

// newEntryLocked builds the live state of a check.
func (e *Engine) newEntryLocked(c Check, st Status) *entry {
	st.CheckID, st.ClientID, st.AssetID = c.ID, c.ClientID, c.AssetID
	en := &entry{check: c, status: st, policy: c.Rules.Policy(), index: -1, server: serverRun(c)}
	if en.server && c.Kind.Network() {
		pr, err := e.opts.NewProbe(c.Kind, c.Params)
		if err != nil {
			en.invalid = "invalid probe: " + err.Error()
		} else {
			en.probe = pr
		}
	}
	if c.Kind == KindBackupPush {
		s, err := ParseSchedule(c.Params.Schedule)
		if err != nil {
			en.invalid = "invalid schedule: " + err.Error()
		} else {
			en.schedule = s
		}
	}
	return en
}

// addLocked registers an entry (not its schedule).
func (e *Engine) addLocked(en *entry) {
	e.entries[en.check.ID] = en
	a := en.check.AssetID
	if hostKind(en.check.Kind) {
		e.hosts[a] = append(e.hosts[a], en)
	}
	if en.check.Kind == KindHeartbeat {
		e.beats[a] = append(e.beats[a], en)
	}
}

// removeLocked forgets an entry: its schedule, pending writes and indexes.
// A run in flight finishes and is dropped.
func (e *Engine) removeLocked(en *entry) {
	e.unlinkLocked(en)
	id := en.check.ID
	delete(e.dirty, id)
	e.pending = slices.DeleteFunc(e.pending, func(p pendingEvent) bool { return p.event.CheckID == id })
	e.owed = slices.DeleteFunc(e.owed, func(n Notice) bool { return n.Check.ID == id })
}

// replaceLocked puts a new entry of the same check in the place of old (a
// changed definition): what waits to be written stays.
func (e *Engine) replaceLocked(old, en *entry) {
	e.unlinkLocked(old)
	if _, ok := e.dirty[en.check.ID]; ok {
		e.dirty[en.check.ID] = en
	}
	e.addLocked(en)
}

// unlinkLocked takes an entry out of the map, the schedule and the indexes.
func (e *Engine) unlinkLocked(en *entry) {
	id := en.check.ID
	if e.entries[id] == en {
		delete(e.entries, id)
	}
	e.sched.remove(en)
	en.removed = true
	a := en.check.AssetID
	e.hosts[a] = slices.DeleteFunc(e.hosts[a], func(x *entry) bool { return x == en })
	if len(e.hosts[a]) == 0 {
		delete(e.hosts, a)
	}
	e.beats[a] = slices.DeleteFunc(e.beats[a], func(x *entry) bool { return x == en })
	if len(e.beats[a]) == 0 {
		delete(e.beats, a)
	}
}

// setContextLocked replaces assets and windows. An agent's last report
// known in memory (Heartbeat) is kept when newer than the stored one.
func (e *Engine) setContextLocked(assets []AssetRef, windows []Window) {
	m := make(map[int64]*AssetRef, len(assets))
	parents := check.Parents{}
	for i := range assets {
		a := &assets[i]
		if old := e.assets[a.ID]; old != nil && old.LastSeen.After(a.LastSeen) {
			a.LastSeen = old.LastSeen
			a.HasAgent = a.HasAgent || old.HasAgent
		}
		m[a.ID] = a
		if a.ParentID != 0 {
			parents[a.ID] = []int64{a.ParentID}
		}
	}
	e.assets, e.parents = m, parents
	e.windows = newWindowIndex(windows)
}

// interval returns the interval the policy gives after a result in state type t.
func (en *entry) interval(t check.StateType) time.Duration {
	t0 := time.Unix(1, 0)
	return en.policy.NextRun(check.Status{LastCheck: t0, Type: t}, t0).Sub(t0)
}

// firstRunLocked returns the first run of a check after a start: when its
// status says, if still ahead; else somewhere in its interval, spread by id.
func (e *Engine) firstRunLocked(en *entry, now time.Time) time.Time {
	if en.check.Kind == KindBackupPush {
		return e.backupNextLocked(en, now)
	}
	return e.nextAfterLocked(en, now)
}

// nextAfterLocked returns the next run from the status, or a spread time
// within the interval when that run is already past.
func (e *Engine) nextAfterLocked(en *entry, now time.Time) time.Time {
	iv := en.interval(en.status.Type)
	if !en.status.LastCheck.IsZero() {
		if n := en.policy.NextRun(en.status.Status, now); n.After(now) {
			en.every = iv
			return n
		}
	}
	en.every = iv
	return now.Add(spread(en.check.ID, iv))
}

// backupNextLocked returns when a backup_push check must next be looked at:
// the deadline of the run its schedule expects, or, once overdue, at the
// pace of its policy.
func (e *Engine) backupNextLocked(en *entry, now time.Time) time.Time {
	iv := en.interval(en.status.Type)
	en.every = iv
	if en.schedule == nil {
		return now.Add(iv)
	}
	_, deadline, ok := backupDeadline(en.schedule, e.locLocked(en), en.pushRef(), en.grace())
	switch {
	case !ok:
		return now.Add(24 * time.Hour)
	case deadline.After(now):
		en.every = deadline.Sub(now)
		return deadline
	case en.status.LastCheck.Before(deadline):
		return now
	}
	if n := en.policy.NextRun(en.status.Status, now); n.After(now) {
		return n
	}
	return now
}

func (en *entry) grace() time.Duration {
	return time.Duration(max(en.check.Params.GraceMinutes, 0)) * time.Minute
}

// pushRef is the time after which a backup_push check expects its next run.
func (en *entry) pushRef() time.Time {
	if !en.lastPush.IsZero() {
		return en.lastPush
	}
	return en.check.CreatedAt
}

// locLocked returns the time zone of the check's client.
func (e *Engine) locLocked(en *entry) *time.Location {
	a := e.assets[en.check.AssetID]
	if a == nil || a.TimeZone == "" {
		return time.UTC
	}
	if l, ok := e.locs[a.TimeZone]; ok {
		return l
	}
	l, err := time.LoadLocation(a.TimeZone)
	if err != nil {
		l = time.UTC
	}
	e.locs[a.TimeZone] = l
	return l
}

// schedule hands due checks to the workers until ctx ends. A due check
// waits for a free worker; the wait is its drift.
func (e *Engine) schedule(ctx context.Context, jobs chan<- *entry) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var due *entry
		wait := time.Hour
		e.mu.Lock()
		if len(e.sched) > 0 {
			now := e.now()
			if top := e.sched[0]; !top.next.After(now) {
				due = e.sched.pop()
				due.running = true
			} else {
				wait = top.next.Sub(now)
			}
		}
		e.mu.Unlock()
		if due != nil {
			select {
			case jobs <- due:
				continue
			case <-ctx.Done():
				return
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-e.wake:
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// worker runs the checks the scheduler hands it.
func (e *Engine) worker(ctx context.Context, jobs <-chan *entry) {
	for en := range jobs {
		e.mu.Lock()
		e.running++
		start := e.now()
		late := start.Sub(en.next)
		e.drift.add(late)
		if en.every > 0 && late > en.every {
			e.stats.Missed += int64(late / en.every)
		}
		var (
			r     check.Result
			perf  map[string]float64
			apply = true
		)
		pr := en.probe
		switch {
		case en.invalid != "":
			r = check.Result{At: start, State: check.Unknown, Output: en.invalid}
		case en.check.Kind == KindHeartbeat:
			r = e.heartbeatLocked(en, start)
		case en.check.Kind == KindBackupPush:
			r, apply = e.backupLocked(en, start)
		}
		e.mu.Unlock()

		if pr != nil && en.invalid == "" {
			res := pr.Run(ctx)
			r = check.Result{At: start, State: check.State(res.State), Output: res.Output}
			perf = res.Perf
		}

		e.mu.Lock()
		e.running--
		en.running = false
		if ctx.Err() != nil || en.removed {
			// Shutting down (the probe was cut short) or deleted: drop the run.
			e.mu.Unlock()
			continue
		}
		e.stats.Runs++
		if apply {
			e.applyLocked(en, r, perf)
		}
		now := e.now()
		switch {
		case en.rerun:
			en.rerun = false
			en.next = now
		case en.check.Kind == KindBackupPush:
			en.next = e.backupNextLocked(en, now)
		default:
			iv := en.interval(en.status.Type)
			en.every = iv
			en.next = en.next.Add(iv)
			if !en.next.After(now) {
				// More than an interval late (counted as missed): start
				// again from this run rather than catching up.
				en.next = start.Add(iv)
				if !en.next.After(now) {
					en.next = now.Add(spread(en.check.ID, iv))
				}
			}
		}
		e.sched.push(en)
		first := en.index == 0
		e.mu.Unlock()
		if first {
			e.poke()
		}
	}
}

// heartbeatLocked grades the last report of the asset's agent.
func (e *Engine) heartbeatLocked(en *entry, now time.Time) check.Result {
	a := e.assets[en.check.AssetID]
	n := en.check.Params.Intervals
	if n <= 0 {
		n = 3
	}
	every := 60 * time.Second
	if a != nil && a.ReportInterval > 0 {
		every = time.Duration(a.ReportInterval) * time.Second
	}
	limit := time.Duration(n) * every
	switch {
	case a == nil || !a.HasAgent:
		return check.Result{At: now, State: check.Unknown, Output: "no agent reports for this asset"}
	case a.LastSeen.IsZero():
		return check.Result{At: now, State: check.Critical, Output: "no report received yet"}
	}
	age := max(now.Sub(a.LastSeen), 0)
	if age >= limit {
		return check.Result{At: now, State: check.Critical, Output: fmt.Sprintf(
			"no report for %s (expected every %s); last report %s",
			span(age), span(every), a.LastSeen.UTC().Format("2006-01-02 15:04:05 UTC"))}
	}
	return check.Result{At: now, State: check.OK, Output: "last report " + span(age) + " ago"}
}

// backupLocked looks for a backup run the schedule expected and that did
// not come; apply is false when nothing is overdue (the last push's state stands).
func (e *Engine) backupLocked(en *entry, now time.Time) (check.Result, bool) {
	loc := e.locLocked(en)
	expected, deadline, ok := backupDeadline(en.schedule, loc, en.pushRef(), en.grace())
	if !ok || now.Before(deadline) {
		return check.Result{}, false
	}
	const layout = "2006-01-02 15:04 MST"
	since := "no run since " + en.lastPush.In(loc).Format(layout)
	if en.lastPush.IsZero() {
		since = "no run since the check was created"
	}
	return check.Result{At: now, State: check.Critical, Output: fmt.Sprintf("%s (expected at %s, grace %d min)",
		since, expected.In(loc).Format(layout), int(en.grace()/time.Minute))}, true
}

// span writes a duration as people read it: "12 s", "4 min 5 s", "3 h 10 min".
func span(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 120:
		return strconv.FormatInt(s, 10) + " s"
	case s < 3600:
		if s%60 == 0 {
			return strconv.FormatInt(s/60, 10) + " min"
		}
		return strconv.FormatInt(s/60, 10) + " min " + strconv.FormatInt(s%60, 10) + " s"
	case s < 48*3600:
		return strconv.FormatInt(s/3600, 10) + " h " + strconv.FormatInt(s%3600/60, 10) + " min"
	}
	return strconv.FormatInt(s/86400, 10) + " d " + strconv.FormatInt(s%86400/3600, 10) + " h"
}

// windowIndex files maintenance windows by their target.
type windowIndex struct {
	byAsset, bySite, byClient map[int64][]check.Window
}

func newWindowIndex(ws []Window) windowIndex {
	x := windowIndex{byAsset: map[int64][]check.Window{}, bySite: map[int64][]check.Window{}, byClient: map[int64][]check.Window{}}
	for _, w := range ws {
		switch {
		case w.AssetID != 0:
			x.byAsset[w.AssetID] = append(x.byAsset[w.AssetID], w.Window)
		case w.SiteID != 0:
			x.bySite[w.SiteID] = append(x.bySite[w.SiteID], w.Window)
		default:
			x.byClient[w.ClientID] = append(x.byClient[w.ClientID], w.Window)
		}
	}
	return x
}

func (x windowIndex) active(s check.Scope, t time.Time) bool {
	return check.InMaintenance(x.byAsset[s.AssetID], s, t) ||
		(s.SiteID != 0 && check.InMaintenance(x.bySite[s.SiteID], s, t)) ||
		check.InMaintenance(x.byClient[s.ClientID], s, t)
}

// conditionsLocked returns the maintenance and dependency facts of a check at t.
func (e *Engine) conditionsLocked(en *entry, t time.Time) check.Conditions {
	s := check.Scope{ClientID: en.check.ClientID, AssetID: en.check.AssetID}
	if a := e.assets[en.check.AssetID]; a != nil {
		s.SiteID = a.SiteID
	}
	return check.Conditions{
		Maintenance: e.windows.active(s, t),
		Unreachable: e.parents.Unreachable(en.check.AssetID, e.hostDownLocked),
	}
}

// hostDownLocked reports whether an asset's host check is in a hard
// CRITICAL or UNKNOWN state.
func (e *Engine) hostDownLocked(asset int64) bool {
	for _, h := range e.hosts[asset] {
		if s := h.status.HardState; s == check.Critical || s == check.Unknown {
			return true
		}
	}
	return false
}

// sweepOwed notifies the hard problems that began muted (maintenance, a
// parent down) and that nothing mutes any more, without waiting for the
// check's next result.
func (e *Engine) sweepOwed() {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	for _, en := range e.entries {
		st := en.status.Status
		if !st.Problem() || st.Notified || st.Flapping || st.Ack != nil || en.running {
			continue
		}
		conds := e.conditionsLocked(en, now)
		if !st.Owed(conds) {
			continue
		}
		en.status.Status = st.MarkNotified()
		e.dirty[en.check.ID] = en
		e.owed = append(e.owed, e.owedNoticeLocked(en, now))
		e.hurry()
	}
}

// owedNoticeLocked is the notice of a problem notified late (see check.Status.Owed).
func (e *Engine) owedNoticeLocked(en *entry, at time.Time) Notice {
	var asset AssetRef
	if a := e.assets[en.check.AssetID]; a != nil {
		asset = *a
	}
	st := en.status.Status
	return Notice{
		Event: Event{CheckID: en.check.ID, ClientID: en.check.ClientID, AssetID: en.check.AssetID, Event: check.Event{
			At: at, Kind: check.Problem, From: check.OK, To: st.HardState, Type: check.Hard,
			Attempt: st.Attempt, Output: st.Output, Notify: true,
		}},
		Check: en.check, Asset: asset, Status: en.status, Owed: true,
	}
}

// hurry asks for the next batch now rather than at the next tick, so that an
// alert does not wait for the flush period.
func (e *Engine) hurry() {
	select {
	case e.urgent <- struct{}{}:
	default:
	}
}

// applyLocked runs a result through the state engine and queues what must
// be written and told.
func (e *Engine) applyLocked(en *entry, r check.Result, perf map[string]float64) {
	if !en.status.LastCheck.IsZero() && r.At.Before(en.status.LastCheck) {
		return // older than the last result applied
	}
	conds := e.conditionsLocked(en, r.At)
	st, evs := en.policy.ApplyIn(en.status.Status, r, conds)
	owed := st.Owed(conds)
	if owed {
		st = st.MarkNotified()
	}
	en.status.Status = st
	e.stats.Results++
	e.dirty[en.check.ID] = en
	var asset AssetRef
	if a := e.assets[en.check.AssetID]; a != nil {
		asset = *a
	}
	for _, ev := range evs {
		if ev.Notify {
			e.hurry()
		}
		e.pending = append(e.pending, pendingEvent{
			event: Event{CheckID: en.check.ID, ClientID: en.check.ClientID, AssetID: en.check.AssetID, Event: ev},
			check: en.check, asset: asset, status: en.status,
		})
	}
	if owed {
		e.hurry()
		e.owed = append(e.owed, e.owedNoticeLocked(en, r.At))
	}
	if len(perf) > 0 && e.opts.Perf != nil {
		if len(e.perf) >= maxPendingPerf {
			e.stats.DroppedPerf++
			return
		}
		e.perf = append(e.perf, perfSample{assetID: en.check.AssetID, checkID: en.check.ID, at: r.At, perf: perf})
	}
}
