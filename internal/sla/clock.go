package sla

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Priority is a ticket priority as the helpdesk names it ("P1", "critical"…);
// a Policy maps each to its targets.
type Priority string

// Status is a ticket status as the helpdesk names it; a Policy says which
// statuses pause the resolution clock.
type Status string

// The statuses that pause the resolution clock when a Policy names none.
const (
	StatusWaitingForClient     Status = "waiting-for-client"
	StatusWaitingForThirdParty Status = "waiting-for-third-party"
)

// DefaultAtRiskShare is the share of a target after which a clock is at risk
// when a Policy does not set one.
const DefaultAtRiskShare = 0.75

// Target is what a contract promises for one priority, in business time. A
// zero duration means no promise for that clock: it is measured but never at
// risk nor breached.
type Target struct {
	TTO time.Duration // time to own: creation until a technician takes the ticket
	TTR time.Duration // time to resolve: creation until resolution, pauses excluded
}

// Policy is the SLA of one contract. A ticket outside the contract's
// perimeter has no policy: the caller does not evaluate it at all.
type Policy struct {
	// Calendar is the contract's business time.
	Calendar *Calendar
	// Targets holds the promise of each priority.
	Targets map[Priority]Target
	// AtRiskShare is the share of a target (0 < share ≤ 1) after which a
	// running clock is at risk; 0 means DefaultAtRiskShare.
	AtRiskShare float64
	// PauseStatuses are the statuses during which the resolution clock is
	// paused. nil means the waiting-for-client and waiting-for-third-party
	// statuses; an empty, non-nil map means that nothing pauses.
	PauseStatuses map[Status]bool
}

// EventKind says what happened to a ticket.
type EventKind int

// The events that move SLA clocks.
const (
	// EventCreated opens the ticket with its Priority and initial Status. It
	// is the first event, and the only one of its kind.
	EventCreated EventKind = iota + 1
	// EventStatus changes the status to Status.
	EventStatus
	// EventPriority changes the priority to Priority.
	EventPriority
	// EventOwned is the staff take-over that stops the time to own. The
	// helpdesk decides what counts (assignment to oneself, the first public
	// reply…) and sends only that; later ones are ignored.
	EventOwned
	// EventResolved stops the time to resolve (and the time to own, if the
	// ticket was never owned).
	EventResolved
	// EventReopened resumes the time to resolve of a resolved ticket; Status,
	// if set, is its status from then on.
	EventReopened
)

// String returns the kind's name.
func (k EventKind) String() string {
	switch k {
	case EventCreated:
		return "created"
	case EventStatus:
		return "status"
	case EventPriority:
		return "priority"
	case EventOwned:
		return "owned"
	case EventResolved:
		return "resolved"
	case EventReopened:
		return "reopened"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one entry of a ticket's history.
type Event struct {
	At       time.Time
	Kind     EventKind
	Status   Status   // for EventCreated, EventStatus and EventReopened
	Priority Priority // for EventCreated and EventPriority
}

// Measure is the state of one SLA clock (time to own or time to resolve).
// Breached and AtRisk are exclusive; a stopped clock is neither at risk nor
// paused.
type Measure struct {
	// Target is the business time allowed, from the priority in force when
	// the clock last ran; 0 means no promise (Due, AtRiskAt stay zero).
	Target time.Duration
	// Elapsed is the business time counted so far.
	Elapsed time.Duration
	// Remaining is Target minus Elapsed; negative once overdue.
	Remaining time.Duration
	// Due is the deadline: the instant at which Elapsed reaches Target.
	// While the clock is paused, or once it is stopped before its target,
	// it is where the deadline would fall if the clock ran on from now (or
	// from its stop).
	Due time.Time
	// AtRiskAt is the instant at which Elapsed reaches the at-risk share of
	// Target, computed like Due.
	AtRiskAt time.Time
	// Paused is true while the ticket is in a pause status (time to resolve
	// only).
	Paused bool
	// AtRisk is true when the running or paused clock has passed AtRiskAt
	// but not Due.
	AtRisk bool
	// Breached is true once the clock ran on at or after Due; it stays true
	// through resolution and reopening.
	Breached bool
	// BreachedAt is the instant of the breach (Due), zero if none.
	BreachedAt time.Time
	// Stopped is true once the ticket is owned (time to own) or resolved and
	// not reopened (time to resolve).
	Stopped bool
	// StoppedAt is the instant the clock stopped, zero if it runs.
	StoppedAt time.Time
	// Met is true when the clock stopped without breaching its target.
	Met bool
}

// State is the SLA state of a ticket at one instant.
type State struct {
	Priority Priority // the priority in force
	TTO      Measure  // time to own
	TTR      Measure  // time to resolve
}

// NextCheck returns the next instant at which the state changes by itself (a
// running clock becoming at risk or breached), or the zero time if none will:
// the instant to schedule the next evaluation at. Events change the state too;
// re-evaluate on each.
func (s State) NextCheck() time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, m := range []Measure{s.TTO, s.TTR} {
		if m.Stopped || m.Paused || m.Target == 0 || m.Breached {
			continue
		}
		if !m.AtRisk {
			consider(m.AtRiskAt)
		}
		consider(m.Due)
	}
	return next
}

// Evaluate returns the SLA state at now of a ticket from its history, which
// must be in chronological order (equal instants keep their order) and start
// with its creation. Events after now are ignored, so evaluating at an earlier
// now replays the past. Errors name the bad field of the policy or the event.
//
// The rules:
//   - The time to own runs from creation to the first EventOwned (or the
//     resolution, if that comes first). Waiting statuses do not pause it: taking
//     a ticket in hand never depends on the client, and a ticket created while
//     waiting for the client must still be acknowledged.
//   - The time to resolve runs from creation to resolution, paused while the
//     status is one of the pause statuses. A pause that starts or ends outside
//     business hours counts exactly: paused Friday 19:00, resumed Monday
//     10:00, Monday 08:30–10:00 is not counted.
//   - A reopened ticket's time to resolve resumes at the reopening, with the
//     business time already elapsed; a breach stays a breach.
//   - A priority change applies the new targets from creation: elapsed time
//     is kept and the deadlines move, possibly into the past, making the clock
//     breached at once. A clock that has stopped keeps the target it stopped
//     with.
//   - A clock is breached once it runs at or past its deadline: a ticket due
//     Friday 18:00 and still open at 18:00 is breached, though no business
//     time elapses until Monday. Stopping exactly at the deadline meets it.
func Evaluate(p Policy, events []Event, now time.Time) (State, error) {
	if err := checkInput(p, events, now); err != nil {
		return State{}, err
	}
	share := p.AtRiskShare
	if share == 0 {
		share = DefaultAtRiskShare
	}
	pauses := func(s Status) bool {
		if p.PauseStatuses == nil {
			return s == StatusWaitingForClient || s == StatusWaitingForThirdParty
		}
		return p.PauseStatuses[s]
	}

	created := events[0].At
	prio, status := events[0].Priority, events[0].Status
	var (
		owned, resolved  bool
		ownedAt, resolAt time.Time
		ttoPrio, ttrPrio Priority
		buf              [8]stretch
		runs             = buf[:0] // the time to resolve's running stretches
		running          = !pauses(status)
		runFrom          = created
	)
	stop := func(at time.Time) {
		if running && at.After(runFrom) {
			runs = append(runs, stretch{runFrom, at})
		}
		running = false
	}
	for _, e := range events[1:] {
		if e.At.After(now) {
			break
		}
		switch e.Kind {
		case EventStatus:
			status = e.Status
			if resolved {
				continue
			}
			if paused := pauses(status); paused && running {
				stop(e.At)
			} else if !paused && !running {
				running, runFrom = true, e.At
			}
		case EventPriority:
			prio = e.Priority
		case EventOwned:
			if !owned {
				owned, ownedAt, ttoPrio = true, e.At, prio
			}
		case EventResolved:
			if resolved {
				continue
			}
			stop(e.At)
			resolved, resolAt, ttrPrio = true, e.At, prio
			if !owned {
				owned, ownedAt, ttoPrio = true, e.At, prio
			}
		case EventReopened:
			if !resolved {
				continue
			}
			resolved = false
			if e.Status != "" {
				status = e.Status
			}
			if !pauses(status) {
				running, runFrom = true, e.At
			}
		}
	}
	if !owned {
		ttoPrio = prio
	}
	if !resolved {
		ttrPrio = prio
	}
	if err := checkTargets(p, ttoPrio, ttrPrio); err != nil {
		return State{}, err
	}

	st := State{Priority: prio}
	cal := p.Calendar

	tto := clockRun{stopped: owned, end: now, open: !owned}
	if owned {
		tto.end = ownedAt
	}
	if tto.end.After(created) {
		var one [1]stretch
		tto.runs = append(one[:0], stretch{created, tto.end})
	}
	st.TTO = tto.measure(cal, p.Targets[ttoPrio].TTO, share)

	ttr := clockRun{runs: runs, stopped: resolved, end: now, open: running, paused: !resolved && !running}
	if running && now.After(runFrom) {
		ttr.runs = append(ttr.runs, stretch{runFrom, now})
	}
	if resolved {
		ttr.end = resolAt
	}
	st.TTR = ttr.measure(cal, p.Targets[ttrPrio].TTR, share)
	return st, nil
}

// stretch is a half-open interval [from, to) of real time.
type stretch struct{ from, to time.Time }

// clockRun is the history of one clock: the stretches during which it ran,
// and how it ends at the evaluated instant.
type clockRun struct {
	runs    []stretch
	open    bool      // still running at end (which is now)
	paused  bool      // paused at end (which is now)
	stopped bool      // stopped at end
	end     time.Time // now, or the stop instant
}

func (r clockRun) measure(cal *Calendar, target time.Duration, share float64) Measure {
	m := Measure{Target: target, Paused: r.paused, Stopped: r.stopped}
	if r.stopped {
		m.StoppedAt = r.end
	}
	riskTarget := time.Duration(float64(target)*share) / time.Second * time.Second
	var due, riskAt time.Time
	var elapsed time.Duration
	for _, s := range r.runs {
		b := cal.Between(s.from, s.to)
		if target > 0 && due.IsZero() && elapsed+b >= target {
			due = cal.Add(s.from, target-elapsed)
		}
		if target > 0 && riskAt.IsZero() && elapsed+b >= riskTarget {
			riskAt = cal.Add(s.from, riskTarget-elapsed)
		}
		elapsed += b
	}
	m.Elapsed = elapsed
	m.Remaining = target - elapsed
	if target == 0 {
		return m
	}
	// The clock has passed an instant if it ran after it, or runs at it now.
	var last time.Time
	if n := len(r.runs); n > 0 {
		last = r.runs[n-1].to
	}
	passed := func(t time.Time) bool {
		return last.After(t) || (r.open && !r.end.Before(t))
	}
	if !due.IsZero() && passed(due) {
		m.Breached, m.BreachedAt = true, due
	}
	if due.IsZero() {
		due = cal.Add(r.end, target-elapsed)
	}
	if riskAt.IsZero() {
		riskAt = cal.Add(r.end, riskTarget-elapsed)
	}
	m.Due, m.AtRiskAt = due, riskAt
	m.AtRisk = !m.Stopped && !m.Breached && passed(riskAt)
	m.Met = m.Stopped && !m.Breached
	return m
}

// checkInput validates the policy and the shape of the history.
func checkInput(p Policy, events []Event, now time.Time) error {
	var v ValidationError
	if p.Calendar == nil || p.Calendar.empty() {
		v.add("policy.calendar", "required (a calendar with business hours)")
	}
	if p.AtRiskShare < 0 || p.AtRiskShare > 1 || math.IsNaN(p.AtRiskShare) {
		v.add("policy.at_risk_share", "%v is not a share between 0 and 1", p.AtRiskShare)
	}
	for prio, t := range p.Targets {
		if t.TTO < 0 {
			v.add(fmt.Sprintf("policy.targets[%s].tto", prio), "negative")
		}
		if t.TTR < 0 {
			v.add(fmt.Sprintf("policy.targets[%s].ttr", prio), "negative")
		}
	}
	if len(events) == 0 {
		v.add("events", "empty (the creation is required)")
		return v.err()
	}
	for i, e := range events {
		field := func() string { return fmt.Sprintf("events[%d]", i) }
		switch {
		case e.At.IsZero():
			v.add(field(), "no time")
		case i == 0 && e.Kind != EventCreated:
			v.add(field(), "the first event must be the creation, not %s", e.Kind)
		case i > 0 && e.Kind == EventCreated:
			v.add(field(), "a second creation")
		case e.Kind < EventCreated || e.Kind > EventReopened:
			v.add(field(), "unknown kind %d", int(e.Kind))
		case (e.Kind == EventCreated || e.Kind == EventPriority) && e.Priority == "":
			v.add(field(), "%s without a priority", e.Kind)
		case e.Kind == EventStatus && e.Status == "":
			v.add(field(), "status change without a status")
		case i > 0 && e.At.Before(events[i-1].At):
			v.add(field(), "at %s, before the previous event", e.At.Format(time.RFC3339))
		}
	}
	if now.Before(events[0].At) {
		v.add("now", "%s is before the ticket's creation", now.Format(time.RFC3339))
	}
	return v.err()
}

// checkTargets reports a priority in force that the policy has no target for.
func checkTargets(p Policy, prios ...Priority) error {
	var v ValidationError
	for i, prio := range prios {
		if _, ok := p.Targets[prio]; !ok && !slices.Contains(prios[:i], prio) {
			v.add(fmt.Sprintf("policy.targets[%s]", prio), "no target for priority %q", prio)
		}
	}
	return v.err()
}
