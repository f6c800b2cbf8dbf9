package check

import (
	"errors"
	"fmt"
	"time"
)

// State is the result of a check, in Nagios plugin order (the exit code).
type State int

// The check states; any other value is read as Unknown.
const (
	OK State = iota
	Warning
	Critical
	Unknown
)

// String returns the state name in capitals, as monitoring tools show it.
func (s State) String() string {
	switch s {
	case OK:
		return "OK"
	case Warning:
		return "WARNING"
	case Critical:
		return "CRITICAL"
	case Unknown:
		return "UNKNOWN"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Valid reports whether s is one of the four states.
func (s State) Valid() bool { return s >= OK && s <= Unknown }

// norm maps an out-of-range state (e.g. a plugin exit code 127) to Unknown.
func (s State) norm() State {
	if !s.Valid() {
		return Unknown
	}
	return s
}

// Result is one outcome of a check run.
type Result struct {
	At     time.Time
	State  State
	Output string
}

// StateType says whether a state is confirmed (hard) or still being retried (soft).
type StateType int

// The state types.
const (
	Hard StateType = iota
	Soft
)

// String returns "hard" or "soft".
func (t StateType) String() string {
	if t == Soft {
		return "soft"
	}
	return "hard"
}

// Default policy values.
const (
	DefaultMaxAttempts   = 3
	DefaultRecoverAfter  = 1
	DefaultCheckInterval = time.Minute
	DefaultRetryInterval = 30 * time.Second
	DefaultFlapHigh      = 50.0
	DefaultFlapLow       = 25.0
)

// Policy holds the rules of one check; a zero field takes its default.
type Policy struct {
	// MaxAttempts consecutive non-OK results make a problem hard (default 3).
	MaxAttempts int
	// RecoverAfter consecutive OK results make a hard problem recover (default 1).
	RecoverAfter int
	// CheckInterval separates runs in a hard or OK state (default 1 min).
	CheckInterval time.Duration
	// RetryInterval separates runs in a soft state (default 30 s).
	RetryInterval time.Duration
	// FlapHigh and FlapLow are the percent state change thresholds at which
	// flapping starts and stops (defaults 50 and 25).
	FlapHigh, FlapLow float64
	// NoFlapDetection disables flapping detection.
	NoFlapDetection bool
}

// withDefaults returns p with every zero or impossible field at its default.
func (p Policy) withDefaults() Policy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.RecoverAfter <= 0 {
		p.RecoverAfter = DefaultRecoverAfter
	}
	if p.CheckInterval <= 0 {
		p.CheckInterval = DefaultCheckInterval
	}
	if p.RetryInterval <= 0 {
		p.RetryInterval = DefaultRetryInterval
	}
	if p.FlapHigh <= 0 || p.FlapHigh > 100 {
		p.FlapHigh = DefaultFlapHigh
	}
	if p.FlapLow <= 0 || p.FlapLow > p.FlapHigh {
		p.FlapLow = min(DefaultFlapLow, p.FlapHigh)
	}
	return p
}

// Validate reports the first impossible field of p, naming it; zero fields
// are valid (they take their defaults).
func (p Policy) Validate() error {
	switch {
	case p.MaxAttempts < 0 || p.MaxAttempts > 100:
		return fmt.Errorf("max attempts must be between 1 and 100")
	case p.RecoverAfter < 0 || p.RecoverAfter > 100:
		return fmt.Errorf("recover after must be between 1 and 100")
	case p.CheckInterval < 0 || p.RetryInterval < 0:
		return fmt.Errorf("intervals must be positive")
	case p.FlapHigh < 0 || p.FlapHigh > 100 || p.FlapLow < 0 || p.FlapLow > 100:
		return fmt.Errorf("flapping thresholds must be between 0 and 100")
	case p.FlapHigh != 0 && p.FlapLow > p.FlapHigh:
		return fmt.Errorf("flapping low threshold must not exceed the high one")
	}
	return nil
}

// Status is the persisted state of one check: everything Apply needs to
// process the next result. The zero Status is a check never run.
type Status struct {
	// State is the state of the latest result (normalised to the four states).
	State State
	// Type says whether State is soft (being retried) or hard.
	Type StateType
	// Attempt counts consecutive non-OK results, capped at MaxAttempts; 0 when OK.
	Attempt int
	// OKStreak counts consecutive OK results while a hard problem recovers.
	OKStreak int
	// HardState is the last hard state; OK for a check never in hard trouble.
	HardState State
	// Since is when State began (the first result with this state).
	Since time.Time
	// LastChange is when HardState last changed.
	LastChange time.Time
	// LastCheck is the time of the latest result applied; zero before any.
	LastCheck time.Time
	// Output is the output of the latest result.
	Output string
	// Flapping is true between a flapping start and its stop.
	Flapping bool
	// FlapPercent is the weighted percent state change of the history.
	FlapPercent float64
	// History packs the states of the latest results, 2 bits each, newest in
	// the low bits; HistoryLen says how many are valid (at most 21).
	History    uint64
	HistoryLen int
	// Unreachable is true while the check is non-OK and a parent of its
	// asset is down: the problem is "unreachable", not an alert of its own.
	Unreachable bool
	// Notified is true when the current hard problem was notified, so that
	// its recovery notifies too.
	Notified bool
	// Ack is the acknowledgement of the current hard problem, nil if none.
	Ack *Ack
}

// Ack is a person's acknowledgement of a hard problem.
type Ack struct {
	By      string
	Comment string
	At      time.Time
}

// Problem reports whether the check is in a hard non-OK state.
func (st Status) Problem() bool { return st.HardState != OK }

// Label is the state shown on the board: "UNREACHABLE" for an unreachable
// problem, else the state name.
func (st Status) Label() string {
	if st.Unreachable && st.State != OK {
		return "UNREACHABLE"
	}
	return st.State.String()
}

// Silenced reports whether notifications for this check are muted right now
// by flapping, an acknowledgement or an unreachable parent (maintenance is
// the caller's to check with InMaintenance).
func (st Status) Silenced() bool {
	return st.Flapping || st.Ack != nil || st.Unreachable
}

// ErrNoProblem is returned when acknowledging a check not in a hard problem.
var ErrNoProblem = errors.New("check: no hard problem to acknowledge")

// Owed reports whether the current hard problem was never notified (it began
// in maintenance, while a parent was down or while flapping) and nothing
// mutes it any longer under conditions c: the alerting layer should notify it
// now, then record it with MarkNotified. So a disk still full when the
// maintenance ends alerts then, once.
func (st Status) Owed(c Conditions) bool {
	return st.Problem() && !st.Notified && !st.Flapping && st.Ack == nil &&
		!c.Maintenance && !(c.Unreachable && st.State != OK)
}

// MarkNotified records that the current hard problem was notified outside an
// event (see Owed), so that its recovery notifies too.
func (st Status) MarkNotified() Status {
	if st.Problem() {
		st.Notified = true
	}
	return st
}

// Acknowledge records that by has seen the current hard problem; it mutes
// notifications until the hard state changes (severity change or recovery).
func (st Status) Acknowledge(by, comment string, at time.Time) (Status, error) {
	if !st.Problem() {
		return st, ErrNoProblem
	}
	st.Ack = &Ack{By: by, Comment: comment, At: at}
	return st, nil
}

// EventKind says what an Event records.
type EventKind int

// The event kinds.
const (
	// SoftChange is a change of the soft state: a soft problem begins or
	// changes severity, a soft problem clears, a hard problem begins to
	// recover or a recovery falls back. It never notifies.
	SoftChange EventKind = iota
	// Problem is a hard change from OK to a non-OK state.
	Problem
	// Recovery is a hard change from a non-OK state to OK.
	Recovery
	// SeverityChange is a hard change between two non-OK states.
	SeverityChange
	// FlapStart and FlapStop bracket a flapping period.
	FlapStart
	FlapStop
)

// String names the kind.
func (k EventKind) String() string {
	switch k {
	case SoftChange:
		return "soft-change"
	case Problem:
		return "problem"
	case Recovery:
		return "recovery"
	case SeverityChange:
		return "severity-change"
	case FlapStart:
		return "flapping-start"
	case FlapStop:
		return "flapping-stop"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Hard reports whether the kind is a hard state change.
func (k EventKind) Hard() bool { return k == Problem || k == Recovery || k == SeverityChange }

// Mute is a reason why an event does not notify.
type Mute uint8

// The reasons, combinable.
const (
	MutedFlapping Mute = 1 << iota
	MutedMaintenance
	MutedAcknowledged
	MutedUnreachable
	// MutedUnnotified marks a recovery whose problem was never notified.
	MutedUnnotified
)

// Has reports whether m includes reason r.
func (m Mute) Has(r Mute) bool { return m&r != 0 }

// Event is a state change, kept in the check's history.
type Event struct {
	At      time.Time
	Kind    EventKind
	From    State // the state before (the hard state for hard changes)
	To      State
	Type    StateType // the type of To
	Attempt int
	Output  string
	// Notify says whether the alerting layer must notify (and open or update
	// a ticket); Muted says why not when a hard change does not notify.
	Notify      bool
	Muted       Mute
	Maintenance bool // the event happened during a maintenance window
	Unreachable bool // the event happened while a parent was down
}

// Conditions are the facts about the asset at the time of a result that the
// engine cannot know by itself.
type Conditions struct {
	// Maintenance is true when the asset is in a maintenance window (InMaintenance).
	Maintenance bool
	// Unreachable is true when a parent of the asset is down (Unreachable).
	Unreachable bool
}

// NextRun returns when the check should run next: RetryInterval after the
// last result while the state is soft (a problem being confirmed or a
// recovery being confirmed), CheckInterval otherwise. A check never run is due now.
func (p Policy) NextRun(st Status, now time.Time) time.Time {
	if st.LastCheck.IsZero() {
		return now
	}
	p = p.withDefaults()
	if st.Type == Soft {
		return st.LastCheck.Add(p.RetryInterval)
	}
	return st.LastCheck.Add(p.CheckInterval)
}

// Apply processes one result with no maintenance and all parents up; see ApplyIn.
func (p Policy) Apply(st Status, r Result) (Status, []Event) {
	return p.ApplyIn(st, r, Conditions{})
}

// ApplyIn processes one result and returns the new status and the events it
// caused (nil when nothing changed), state change first, flapping after. A
// result older than the status's last check is ignored (results may arrive
// out of order from agents; the newest wins).
func (p Policy) ApplyIn(st Status, r Result, c Conditions) (Status, []Event) {
	if !st.LastCheck.IsZero() && r.At.Before(st.LastCheck) {
		return st, nil
	}
	p = p.withDefaults()
	s := r.State.norm()
	first := st.LastCheck.IsZero()
	prev := st.State
	prevHard := st.HardState
	st.LastCheck = r.At
	st.Output = r.Output
	if s != prev || first {
		st.Since = r.At
	}

	var evs []Event
	ev := func(k EventKind, from State) {
		evs = append(evs, Event{At: r.At, Kind: k, From: from, To: s, Type: st.Type,
			Attempt: st.Attempt, Output: r.Output})
	}

	if s == OK {
		st.Attempt = 0
		switch {
		case prevHard == OK:
			st.Type, st.State, st.OKStreak = Hard, OK, 0
			if prev != OK && !first {
				ev(SoftChange, prev)
			}
		default:
			st.OKStreak++
			st.State = OK
			if st.OKStreak >= p.RecoverAfter {
				st.Type, st.HardState, st.OKStreak = Hard, OK, 0
				st.LastChange = r.At
				st.Ack = nil
				ev(Recovery, prevHard)
			} else {
				st.Type = Soft
				if prev != OK {
					ev(SoftChange, prev)
				}
			}
		}
	} else {
		st.OKStreak = 0
		if prev == OK || first {
			st.Attempt = 1
		} else {
			st.Attempt = min(st.Attempt+1, p.MaxAttempts)
		}
		st.State = s
		switch {
		case prevHard == OK:
			if st.Attempt >= p.MaxAttempts {
				st.Type, st.HardState = Hard, s
				st.LastChange = r.At
				ev(Problem, OK)
			} else {
				st.Type = Soft
				if s != prev || first {
					ev(SoftChange, prev)
				}
			}
		case s != prevHard:
			// A change of severity in a hard problem is confirmed at once, even
			// from a soft OK (a recovery that did not hold).
			st.Type, st.HardState = Hard, s
			st.Attempt = p.MaxAttempts
			st.LastChange = r.At
			st.Ack = nil
			ev(SeverityChange, prevHard)
		default:
			st.Type = Hard
			st.Attempt = p.MaxAttempts
			if prev != s {
				ev(SoftChange, prev) // a recovery that did not hold
			}
		}
	}
	st.Unreachable = c.Unreachable && s != OK

	// Flapping uses every result, before the notification decision so that
	// the change that starts flapping is already muted.
	wasFlapping := st.Flapping
	st.History = st.History<<2 | uint64(s)
	st.History &= 1<<(2*historySize) - 1
	st.HistoryLen = min(st.HistoryLen+1, historySize)
	st.FlapPercent = percentChange(st.History, st.HistoryLen)
	switch {
	case p.NoFlapDetection:
		st.Flapping = false
	case !st.Flapping && st.FlapPercent >= p.FlapHigh:
		st.Flapping = true
	case st.Flapping && st.FlapPercent < p.FlapLow:
		st.Flapping = false
	}

	for i := range evs {
		e := &evs[i]
		e.Maintenance = c.Maintenance
		e.Unreachable = st.Unreachable
		if !e.Kind.Hard() {
			continue
		}
		var m Mute
		if st.Flapping || wasFlapping {
			m |= MutedFlapping
		}
		if c.Maintenance {
			m |= MutedMaintenance
		}
		if st.Ack != nil {
			m |= MutedAcknowledged
		}
		if e.Unreachable {
			m |= MutedUnreachable
		}
		if e.Kind == Recovery && !st.Notified {
			m |= MutedUnnotified
		}
		e.Muted = m
		e.Notify = m == 0
		switch e.Kind {
		case Problem, SeverityChange:
			// A severity change of an already notified problem keeps its
			// recovery notifiable even when the change itself was muted.
			st.Notified = e.Notify || (e.Kind == SeverityChange && st.Notified)
		case Recovery:
			st.Notified = false
		}
	}
	if st.Flapping != wasFlapping {
		k := FlapStart
		if !st.Flapping {
			k = FlapStop
		}
		e := Event{At: r.At, Kind: k, From: prev, To: s, Type: st.Type, Attempt: st.Attempt,
			Output: r.Output, Maintenance: c.Maintenance, Unreachable: st.Unreachable}
		if c.Maintenance {
			e.Muted |= MutedMaintenance
		}
		if st.Ack != nil {
			e.Muted |= MutedAcknowledged
		}
		if st.Unreachable {
			e.Muted |= MutedUnreachable
		}
		e.Notify = e.Muted == 0
		evs = append(evs, e)
	}
	return st, evs
}
