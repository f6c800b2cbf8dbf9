package check

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestApplyTransitions(t *testing.T) {
	O, W, C, U := OK, Warning, Critical, Unknown
	tests := []struct {
		name     string
		policy   Policy
		states   []State
		want     []string
		state    State
		typ      StateType
		hard     State
		attempt  int
		okStreak int
	}{
		{name: "first OK is hard OK without event", states: []State{O}, want: []string{}, state: O, typ: Hard, hard: O},
		{name: "first problem is soft attempt 1", states: []State{C}, want: []string{"soft-change:CRITICAL"}, state: C, typ: Soft, hard: O, attempt: 1},
		{name: "soft to hard after 3", states: []State{O, C, C, C},
			want: []string{"soft-change:CRITICAL", "problem:CRITICAL"}, state: C, typ: Hard, hard: C, attempt: 3},
		{name: "two non-OK stay soft", states: []State{O, C, C}, want: []string{"soft-change:CRITICAL"}, state: C, typ: Soft, hard: O, attempt: 2},
		{name: "soft recovery before hard", states: []State{O, C, C, O},
			want: []string{"soft-change:CRITICAL", "soft-change:OK"}, state: O, typ: Hard, hard: O},
		{name: "soft severity change keeps counting", states: []State{O, W, C, W},
			want: []string{"soft-change:WARNING", "soft-change:CRITICAL", "problem:WARNING"}, state: W, typ: Hard, hard: W, attempt: 3},
		{name: "max attempts 1 is immediate", policy: Policy{MaxAttempts: 1}, states: []State{O, C},
			want: []string{"problem:CRITICAL"}, state: C, typ: Hard, hard: C, attempt: 1},
		{name: "max attempts 5", policy: Policy{MaxAttempts: 5}, states: []State{O, C, C, C, C},
			want: []string{"soft-change:CRITICAL"}, state: C, typ: Soft, hard: O, attempt: 4},
		{name: "hard stays hard without event", states: []State{O, C, C, C, C, C},
			want: []string{"soft-change:CRITICAL", "problem:CRITICAL"}, state: C, typ: Hard, hard: C, attempt: 3},
		{name: "recovery after 1 OK", states: []State{C, C, C, O},
			want: []string{"soft-change:CRITICAL", "problem:CRITICAL", "recovery:OK"}, state: O, typ: Hard, hard: O},
		{name: "recovery after M=3 OK", policy: Policy{RecoverAfter: 3}, states: []State{C, C, C, O, O},
			want: []string{"soft-change:CRITICAL", "problem:CRITICAL", "soft-change:OK"}, state: O, typ: Soft, hard: C, okStreak: 2},
		{name: "recovery after M=3 OK completes", policy: Policy{RecoverAfter: 3}, states: []State{C, C, C, O, O, O},
			want: []string{"soft-change:CRITICAL", "problem:CRITICAL", "soft-change:OK", "recovery:OK"}, state: O, typ: Hard, hard: O},
		{name: "failed recovery falls back to hard", policy: Policy{RecoverAfter: 3}, states: []State{C, C, C, O, O, C, O, O},
			want:  []string{"soft-change:CRITICAL", "problem:CRITICAL", "soft-change:OK", "soft-change:CRITICAL", "soft-change:OK"},
			state: O, typ: Soft, hard: C, okStreak: 2},
		{name: "hard severity change warning to critical", states: []State{W, W, W, C},
			want: []string{"soft-change:WARNING", "problem:WARNING", "severity-change:CRITICAL"}, state: C, typ: Hard, hard: C, attempt: 3},
		{name: "hard severity change critical to warning", states: []State{C, C, C, W},
			want: []string{"soft-change:CRITICAL", "problem:CRITICAL", "severity-change:WARNING"}, state: W, typ: Hard, hard: W, attempt: 3},
		{name: "hard severity change to unknown", states: []State{C, C, C, U},
			want: []string{"soft-change:CRITICAL", "problem:CRITICAL", "severity-change:UNKNOWN"}, state: U, typ: Hard, hard: U, attempt: 3},
		{name: "severity change during soft OK", policy: Policy{RecoverAfter: 2}, states: []State{C, C, C, O, W},
			want: []string{"soft-change:CRITICAL", "problem:CRITICAL", "soft-change:OK", "severity-change:WARNING"}, state: W, typ: Hard, hard: W, attempt: 3},
		{name: "out of range state is unknown", states: []State{O, 127, 127, 127},
			want: []string{"soft-change:UNKNOWN", "problem:UNKNOWN"}, state: U, typ: Hard, hard: U, attempt: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, evs := run(tc.policy, Status{}, tc.states...)
			if got := kinds(evs); !slices.Equal(got, tc.want) {
				t.Errorf("events = %v, want %v", got, tc.want)
			}
			if st.State != tc.state || st.Type != tc.typ || st.HardState != tc.hard || st.Attempt != tc.attempt || st.OKStreak != tc.okStreak {
				t.Errorf("status = %v %v hard %v attempt %d okstreak %d, want %v %v hard %v attempt %d okstreak %d",
					st.State, st.Type, st.HardState, st.Attempt, st.OKStreak, tc.state, tc.typ, tc.hard, tc.attempt, tc.okStreak)
			}
		})
	}
}

func TestApplyTimesAndEvents(t *testing.T) {
	st, evs := run(Policy{}, Status{}, OK, OK, Critical, Critical, Critical)
	if !st.Since.Equal(t0.Add(2*time.Minute)) || !st.LastChange.Equal(t0.Add(4*time.Minute)) || !st.LastCheck.Equal(t0.Add(4*time.Minute)) {
		t.Errorf("since %v last change %v last check %v", st.Since, st.LastChange, st.LastCheck)
	}
	p := evs[len(evs)-1]
	if p.Kind != Problem || p.From != OK || p.To != Critical || p.Type != Hard || p.Attempt != 3 || !p.Notify || p.Muted != 0 || p.Output != "CRITICAL" {
		t.Errorf("problem event = %+v", p)
	}
	if evs[0].Notify {
		t.Errorf("soft change notifies: %+v", evs[0])
	}
	// A late result is ignored.
	st2, evs2 := Policy{}.Apply(st, Result{At: t0, State: OK})
	if evs2 != nil || st2 != st {
		t.Errorf("late result changed the status: %v %+v", evs2, st2)
	}
	// Recovery notifies because the problem did, and clears Notified.
	st, evs = Policy{}.Apply(st, Result{At: st.LastCheck.Add(time.Minute), State: OK})
	if len(evs) != 1 || evs[0].Kind != Recovery || !evs[0].Notify || evs[0].From != Critical || st.Notified {
		t.Errorf("recovery = %+v, notified %v", evs, st.Notified)
	}
}

func TestNextRun(t *testing.T) {
	p := Policy{CheckInterval: 5 * time.Minute, RetryInterval: time.Minute}
	now := t0.Add(time.Hour)
	tests := []struct {
		name   string
		states []State
		want   time.Duration // after the last check
	}{
		{"OK uses check interval", []State{OK}, 5 * time.Minute},
		{"soft problem retries", []State{OK, Critical}, time.Minute},
		{"second soft attempt retries", []State{OK, Critical, Critical}, time.Minute},
		{"hard problem uses check interval", []State{Critical, Critical, Critical}, 5 * time.Minute},
		{"soft recovery retries", []State{Critical, Critical, Critical, OK}, time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pol := p
			if tc.name == "soft recovery retries" {
				pol.RecoverAfter = 2
			}
			st, _ := run(pol, Status{}, tc.states...)
			if got := pol.NextRun(st, now); !got.Equal(st.LastCheck.Add(tc.want)) {
				t.Errorf("NextRun = %v, want %v", got, st.LastCheck.Add(tc.want))
			}
		})
	}
	if got := p.NextRun(Status{}, now); !got.Equal(now) {
		t.Errorf("never run: NextRun = %v, want now", got)
	}
	if got := (Policy{}).NextRun(Status{LastCheck: t0}, now); !got.Equal(t0.Add(DefaultCheckInterval)) {
		t.Errorf("default interval: %v", got)
	}
}

func TestAcknowledge(t *testing.T) {
	if _, err := (Status{}).Acknowledge("alice", "x", t0); !errors.Is(err, ErrNoProblem) {
		t.Fatalf("ack without problem: %v", err)
	}
	st, _ := run(Policy{}, Status{}, Warning, Warning, Warning)
	st, err := st.Acknowledge("alice", "disk ordered", t0.Add(time.Hour))
	if err != nil || st.Ack == nil || st.Ack.By != "alice" || st.Ack.Comment != "disk ordered" {
		t.Fatalf("ack = %+v, %v", st.Ack, err)
	}
	if !st.Silenced() {
		t.Error("acknowledged check not silenced")
	}
	// The same state keeps the acknowledgement.
	st, evs := run(Policy{}, st, Warning, Warning)
	if st.Ack == nil || len(evs) != 0 {
		t.Fatalf("ack lost without change: %+v %v", st.Ack, kinds(evs))
	}
	tests := []struct {
		name  string
		state State
		kind  EventKind
	}{
		{"severity change clears", Critical, SeverityChange},
		{"recovery clears", OK, Recovery},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, evs := run(Policy{}, st, tc.state)
			if got.Ack != nil {
				t.Errorf("ack kept after %v", tc.kind)
			}
			if len(evs) != 1 || evs[0].Kind != tc.kind || !evs[0].Notify || evs[0].Muted.Has(MutedAcknowledged) {
				t.Errorf("events = %+v", evs)
			}
		})
	}
	// A soft OK during a slow recovery does not clear it.
	slow := Policy{RecoverAfter: 2}
	got, _ := run(slow, st, OK)
	if got.Ack == nil {
		t.Error("ack cleared by a soft OK")
	}
}

func TestMaintenanceAndUnreachableMute(t *testing.T) {
	tests := []struct {
		name   string
		cond   Conditions
		mute   Mute
		unreac bool
	}{
		{"maintenance", Conditions{Maintenance: true}, MutedMaintenance, false},
		{"unreachable", Conditions{Unreachable: true}, MutedUnreachable, true},
		{"both", Conditions{Maintenance: true, Unreachable: true}, MutedMaintenance | MutedUnreachable, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var st Status
			var evs []Event
			at := t0
			for range 3 {
				var e []Event
				st, e = Policy{}.ApplyIn(st, Result{At: at, State: Critical}, tc.cond)
				evs = append(evs, e...)
				at = at.Add(time.Minute)
			}
			p := evs[len(evs)-1]
			if p.Kind != Problem || p.Notify || p.Muted != tc.mute || p.Maintenance != tc.cond.Maintenance || p.Unreachable != tc.unreac {
				t.Fatalf("problem event = %+v", p)
			}
			if st.Unreachable != tc.unreac || (tc.unreac && st.Label() != "UNREACHABLE") {
				t.Errorf("status unreachable %v label %s", st.Unreachable, st.Label())
			}
			// Recovery out of maintenance: not notified, the problem never was.
			st, e := Policy{}.Apply(st, Result{At: at, State: OK})
			if len(e) != 1 || e[0].Kind != Recovery || e[0].Notify || !e[0].Muted.Has(MutedUnnotified) {
				t.Errorf("recovery = %+v", e)
			}
			if st.Unreachable || st.Label() != "OK" {
				t.Errorf("unreachable kept after OK")
			}
		})
	}
	// A problem notified before maintenance notifies its recovery when out of it,
	// and not during it.
	st, _ := run(Policy{}, Status{}, Critical, Critical, Critical)
	_, e := Policy{}.ApplyIn(st, Result{At: st.LastCheck.Add(time.Minute), State: OK}, Conditions{Maintenance: true})
	if e[0].Notify || e[0].Muted != MutedMaintenance {
		t.Errorf("recovery in maintenance = %+v", e[0])
	}
	_, e = Policy{}.Apply(st, Result{At: st.LastCheck.Add(time.Minute), State: OK})
	if !e[0].Notify {
		t.Errorf("recovery of a notified problem = %+v", e[0])
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name string
		p    Policy
		ok   bool
	}{
		{"zero", Policy{}, true},
		{"full", Policy{MaxAttempts: 5, RecoverAfter: 2, CheckInterval: time.Minute, RetryInterval: 10 * time.Second, FlapHigh: 40, FlapLow: 20}, true},
		{"negative attempts", Policy{MaxAttempts: -1}, false},
		{"huge recover", Policy{RecoverAfter: 1000}, false},
		{"negative interval", Policy{RetryInterval: -time.Second}, false},
		{"low above high", Policy{FlapHigh: 20, FlapLow: 30}, false},
		{"high above 100", Policy{FlapHigh: 120}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.p.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestOwed(t *testing.T) {
	maint := Conditions{Maintenance: true}
	var st Status
	at := t0
	for range 3 {
		st, _ = Policy{}.ApplyIn(st, Result{At: at, State: Critical}, maint)
		at = at.Add(time.Minute)
	}
	if st.Owed(maint) {
		t.Error("owed during maintenance")
	}
	if st.Owed(Conditions{Unreachable: true}) {
		t.Error("owed while unreachable")
	}
	if !st.Owed(Conditions{}) {
		t.Fatal("problem begun in maintenance not owed once it ends")
	}
	acked, _ := st.Acknowledge("alice", "", at)
	if acked.Owed(Conditions{}) {
		t.Error("owed while acknowledged")
	}
	st = st.MarkNotified()
	if st.Owed(Conditions{}) {
		t.Error("owed after being notified")
	}
	_, evs := Policy{}.Apply(st, Result{At: at, State: OK})
	if len(evs) != 1 || evs[0].Kind != Recovery || !evs[0].Notify {
		t.Errorf("recovery of a problem notified late = %+v", evs)
	}
	// A notified problem and a check without problem owe nothing.
	notified, _ := run(Policy{}, Status{}, Critical, Critical, Critical)
	if notified.Owed(Conditions{}) || (Status{}).Owed(Conditions{}) || (Status{}).MarkNotified().Notified {
		t.Error("owed without reason")
	}
}
