package sla

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func testPolicy(t testing.TB) Policy {
	return Policy{
		Calendar: mustParse(t, officeText),
		Targets: map[Priority]Target{
			"P1": {TTO: 30 * time.Minute, TTR: 4 * time.Hour},
			"P2": {TTO: time.Hour, TTR: 8 * time.Hour},
			"P3": {TTO: 4 * time.Hour, TTR: 16 * time.Hour},
			"P4": {TTO: 0, TTR: 40 * time.Hour},
		},
	}
}

// ev builds events tersely: ev(t, "2026-03-03 09:00", EventCreated, "P1").
// The last argument is a Priority for creations and priority changes, a
// Status otherwise.
func ev(t testing.TB, at string, kind EventKind, arg ...string) Event {
	e := Event{At: local(t, at), Kind: kind}
	if len(arg) > 0 {
		switch kind {
		case EventCreated:
			e.Priority = Priority(arg[0])
			if len(arg) > 1 {
				e.Status = Status(arg[1])
			}
		case EventPriority:
			e.Priority = Priority(arg[0])
		default:
			e.Status = Status(arg[0])
		}
	}
	return e
}

// want lists the fields of a Measure a case checks; unset pointers are not checked.
type want struct {
	elapsed, remaining *time.Duration
	due, breachedAt    string
	atRiskAt           string
	paused, atRisk     *bool
	breached, stopped  *bool
	met                *bool
}

func dur(d time.Duration) *time.Duration { return &d }
func yes() *bool                         { b := true; return &b }
func no() *bool                          { b := false; return &b }

func (w want) check(t *testing.T, name string, m Measure) {
	t.Helper()
	if w.elapsed != nil && m.Elapsed != *w.elapsed {
		t.Errorf("%s.Elapsed = %v, want %v", name, m.Elapsed, *w.elapsed)
	}
	if w.remaining != nil && m.Remaining != *w.remaining {
		t.Errorf("%s.Remaining = %v, want %v", name, m.Remaining, *w.remaining)
	}
	for _, c := range []struct {
		field string
		got   time.Time
		want  string
	}{{"Due", m.Due, w.due}, {"BreachedAt", m.BreachedAt, w.breachedAt}, {"AtRiskAt", m.AtRiskAt, w.atRiskAt}} {
		switch {
		case c.want == "":
		case c.want == "zero":
			if !c.got.IsZero() {
				t.Errorf("%s.%s = %v, want zero", name, c.field, c.got)
			}
		case !c.got.Equal(local(t, c.want)):
			t.Errorf("%s.%s = %v, want %s", name, c.field, c.got, c.want)
		}
	}
	for _, c := range []struct {
		field string
		got   bool
		want  *bool
	}{{"Paused", m.Paused, w.paused}, {"AtRisk", m.AtRisk, w.atRisk}, {"Breached", m.Breached, w.breached}, {"Stopped", m.Stopped, w.stopped}, {"Met", m.Met, w.met}} {
		if c.want != nil && c.got != *c.want {
			t.Errorf("%s.%s = %v, want %v", name, c.field, c.got, *c.want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name     string
		policy   func(*Policy)
		events   []Event
		now      string
		tto, ttr want
	}{
		{
			name:   "fresh ticket",
			events: []Event{ev(t, "2026-03-03 10:00", EventCreated, "P1")},
			now:    "2026-03-03 10:10",
			tto:    want{elapsed: dur(10 * time.Minute), remaining: dur(20 * time.Minute), due: "2026-03-03 10:30", atRiskAt: "2026-03-03 10:22:30", atRisk: no(), breached: no(), stopped: no()},
			ttr:    want{elapsed: dur(10 * time.Minute), due: "2026-03-03 15:30", atRiskAt: "2026-03-03 14:30", paused: no(), breached: no()},
		},
		{
			name:   "time to own at risk",
			events: []Event{ev(t, "2026-03-03 10:00", EventCreated, "P1")},
			now:    "2026-03-03 10:23",
			tto:    want{atRisk: yes(), breached: no()},
			ttr:    want{atRisk: no()},
		},
		{
			name:   "owned in time",
			events: []Event{ev(t, "2026-03-03 10:00", EventCreated, "P1"), ev(t, "2026-03-03 10:20", EventOwned)},
			now:    "2026-03-03 16:00",
			tto:    want{elapsed: dur(20 * time.Minute), stopped: yes(), met: yes(), breached: no(), atRisk: no()},
		},
		{
			name:   "owned exactly at the deadline",
			events: []Event{ev(t, "2026-03-03 10:00", EventCreated, "P1"), ev(t, "2026-03-03 10:30", EventOwned)},
			now:    "2026-03-03 16:00",
			tto:    want{elapsed: dur(30 * time.Minute), remaining: dur(0), met: yes(), breached: no()},
		},
		{
			name:   "not owned at the deadline",
			events: []Event{ev(t, "2026-03-03 10:00", EventCreated, "P1")},
			now:    "2026-03-03 10:30",
			tto:    want{breached: yes(), breachedAt: "2026-03-03 10:30", atRisk: no()},
		},
		{
			name:   "owned late",
			events: []Event{ev(t, "2026-03-03 10:00", EventCreated, "P1"), ev(t, "2026-03-03 10:45", EventOwned)},
			now:    "2026-03-03 11:00",
			tto:    want{elapsed: dur(45 * time.Minute), remaining: dur(-15 * time.Minute), breached: yes(), breachedAt: "2026-03-03 10:30", stopped: yes(), met: no()},
		},
		{
			name:   "created after hours, owned before opening",
			events: []Event{ev(t, "2026-03-06 20:00", EventCreated, "P1"), ev(t, "2026-03-09 08:00", EventOwned)},
			now:    "2026-03-09 12:00",
			tto:    want{elapsed: dur(0), met: yes()},
			ttr:    want{elapsed: dur(3*time.Hour + 30*time.Minute), due: "2026-03-09 14:00"},
		},
		{
			name: "pause from Friday 19:00 to Monday 10:00 counts nothing on Monday morning",
			events: []Event{
				ev(t, "2026-03-06 16:00", EventCreated, "P2"),
				ev(t, "2026-03-06 19:00", EventStatus, "waiting-for-client"),
				ev(t, "2026-03-09 10:00", EventStatus, "in-progress"),
			},
			now: "2026-03-09 11:00",
			ttr: want{elapsed: dur(3 * time.Hour), remaining: dur(5 * time.Hour), due: "2026-03-09 17:30", paused: no()},
		},
		{
			name: "pause within business hours, resumed in the evening",
			events: []Event{
				ev(t, "2026-03-03 09:00", EventCreated, "P2"),
				ev(t, "2026-03-03 11:00", EventStatus, "waiting-for-third-party"),
				ev(t, "2026-03-03 20:00", EventStatus, "in-progress"),
			},
			now: "2026-03-04 09:30",
			// 2h on Tuesday; 6h left from Wednesday 08:30: 3h30 + 2h30 after lunch.
			ttr: want{elapsed: dur(3 * time.Hour), due: "2026-03-04 16:00"},
		},
		{
			name: "paused now: the deadline is projected from now",
			events: []Event{
				ev(t, "2026-03-03 09:00", EventCreated, "P2"),
				ev(t, "2026-03-03 11:00", EventStatus, "waiting-for-client"),
			},
			now: "2026-03-03 15:00",
			ttr: want{elapsed: dur(2 * time.Hour), paused: yes(), due: "2026-03-04 11:30", atRisk: no(), breached: no()},
		},
		{
			name:   "waiting statuses do not pause the time to own",
			events: []Event{ev(t, "2026-03-03 09:00", EventCreated, "P1", "waiting-for-client")},
			now:    "2026-03-03 09:40",
			tto:    want{elapsed: dur(40 * time.Minute), breached: yes(), paused: no()},
			ttr:    want{elapsed: dur(0), paused: yes(), due: "2026-03-03 15:10"},
		},
		{
			name:   "the time to own is breached at its deadline while the ticket waits",
			events: []Event{ev(t, "2026-03-03 09:00", EventCreated, "P1", "waiting-for-client")},
			now:    "2026-03-03 09:30",
			tto:    want{elapsed: dur(30 * time.Minute), breached: yes(), breachedAt: "2026-03-03 09:30"},
			ttr:    want{paused: yes(), breached: no()},
		},
		{
			name: "status changes that are not pauses keep the clock running",
			events: []Event{
				ev(t, "2026-03-03 09:00", EventCreated, "P2", "new"),
				ev(t, "2026-03-03 09:30", EventStatus, "assigned"),
				ev(t, "2026-03-03 10:00", EventStatus, "in-progress"),
			},
			now: "2026-03-03 11:00",
			ttr: want{elapsed: dur(2 * time.Hour), paused: no()},
		},
		{
			name: "resolved in time",
			events: []Event{
				ev(t, "2026-03-03 09:00", EventCreated, "P1"),
				ev(t, "2026-03-03 09:10", EventOwned),
				ev(t, "2026-03-03 12:00", EventResolved),
			},
			now: "2026-03-05 12:00",
			tto: want{met: yes()},
			ttr: want{elapsed: dur(3 * time.Hour), remaining: dur(time.Hour), stopped: yes(), met: yes(), breached: no(), atRisk: no(), due: "2026-03-03 14:30"},
		},
		{
			name: "resolved after closing, past the deadline",
			events: []Event{
				ev(t, "2026-03-03 14:00", EventCreated, "P1"),
				ev(t, "2026-03-03 14:05", EventOwned),
				ev(t, "2026-03-03 19:00", EventResolved),
			},
			now: "2026-03-04 09:00",
			ttr: want{elapsed: dur(4 * time.Hour), remaining: dur(0), breached: yes(), breachedAt: "2026-03-03 18:00", met: no()},
		},
		{
			name:   "still open one second before the deadline",
			events: []Event{ev(t, "2026-03-03 14:00", EventCreated, "P1"), ev(t, "2026-03-03 14:05", EventOwned)},
			now:    "2026-03-03 17:59:59",
			ttr:    want{breached: no(), atRisk: yes(), remaining: dur(time.Second)},
		},
		{
			name:   "still open at the deadline",
			events: []Event{ev(t, "2026-03-03 14:00", EventCreated, "P1"), ev(t, "2026-03-03 14:05", EventOwned)},
			now:    "2026-03-03 18:00",
			ttr:    want{breached: yes(), atRisk: no(), breachedAt: "2026-03-03 18:00"},
		},
		{
			name:   "still open after closing: breached though no business time elapses",
			events: []Event{ev(t, "2026-03-03 14:00", EventCreated, "P1"), ev(t, "2026-03-03 14:05", EventOwned)},
			now:    "2026-03-03 21:00",
			ttr:    want{elapsed: dur(4 * time.Hour), remaining: dur(0), breached: yes()},
		},
		{
			name: "paused exactly at the deadline is not a breach",
			events: []Event{
				ev(t, "2026-03-03 14:00", EventCreated, "P1"),
				ev(t, "2026-03-03 18:00", EventStatus, "waiting-for-client"),
			},
			now: "2026-03-05 10:00",
			ttr: want{elapsed: dur(4 * time.Hour), breached: no(), paused: yes(), atRisk: yes(), due: "2026-03-03 18:00"},
		},
		{
			name: "resolved while paused is met",
			events: []Event{
				ev(t, "2026-03-03 09:00", EventCreated, "P1"),
				ev(t, "2026-03-03 10:00", EventStatus, "waiting-for-client"),
				ev(t, "2026-03-04 16:00", EventResolved),
			},
			now: "2026-03-05 10:00",
			ttr: want{elapsed: dur(time.Hour), met: yes(), paused: no(), stopped: yes()},
		},
		{
			name: "reopened: the clock resumes with its elapsed time",
			events: []Event{
				ev(t, "2026-03-03 09:00", EventCreated, "P2"),
				ev(t, "2026-03-03 09:05", EventOwned),
				ev(t, "2026-03-03 11:00", EventResolved),
				ev(t, "2026-03-04 09:00", EventReopened, "in-progress"),
			},
			now: "2026-03-04 10:00",
			ttr: want{elapsed: dur(3 * time.Hour), due: "2026-03-04 16:30", stopped: no(), met: no(), paused: no()},
		},
		{
			name: "reopened into a waiting status stays paused",
			events: []Event{
				ev(t, "2026-03-03 09:00", EventCreated, "P2"),
				ev(t, "2026-03-03 11:00", EventResolved),
				ev(t, "2026-03-04 09:00", EventReopened, "waiting-for-client"),
			},
			now: "2026-03-04 10:00",
			ttr: want{elapsed: dur(2 * time.Hour), paused: yes(), stopped: no()},
		},
		{
			name: "a breach survives resolution and reopening",
			events: []Event{
				ev(t, "2026-03-03 09:00", EventCreated, "P1"),
				ev(t, "2026-03-03 15:00", EventResolved),
				ev(t, "2026-03-04 09:00", EventReopened),
			},
			now: "2026-03-04 09:30",
			ttr: want{elapsed: dur(5 * time.Hour), breached: yes(), breachedAt: "2026-03-03 14:30"},
		},
		{
			name: "status changes while resolved do not run the clock",
			events: []Event{
				ev(t, "2026-03-03 09:00", EventCreated, "P2"),
				ev(t, "2026-03-03 10:00", EventResolved),
				ev(t, "2026-03-03 10:30", EventStatus, "closed"),
			},
			now: "2026-03-04 10:00",
			ttr: want{elapsed: dur(time.Hour), stopped: yes()},
		},
		{
			name: "priority raised: deadlines from creation with the new targets",
			events: []Event{
				ev(t, "2026-03-03 09:00", EventCreated, "P3"),
				ev(t, "2026-03-03 09:20", EventOwned),
				ev(t, "2026-03-03 10:00", EventPriority, "P1"),
			},
			now: "2026-03-03 11:00",
			tto: want{met: yes(), elapsed: dur(20 * time.Minute)}, // stopped under P3 (4h), keeps it
			ttr: want{elapsed: dur(2 * time.Hour), remaining: dur(2 * time.Hour), due: "2026-03-03 14:30", breached: no()},
		},
		{
			name: "priority raised past its deadline is breached at once",
			events: []Event{
				ev(t, "2026-03-03 09:00", EventCreated, "P3"),
				ev(t, "2026-03-03 15:00", EventPriority, "P1"),
			},
			now: "2026-03-03 15:01",
			tto: want{breached: yes(), breachedAt: "2026-03-03 09:30"},
			ttr: want{breached: yes(), breachedAt: "2026-03-03 14:30"},
		},
		{
			name: "priority lowered moves the deadline away",
			events: []Event{
				ev(t, "2026-03-03 09:00", EventCreated, "P1"),
				ev(t, "2026-03-03 09:10", EventOwned),
				ev(t, "2026-03-03 10:00", EventPriority, "P2"),
			},
			now: "2026-03-03 12:00",
			// 8h from Tuesday 09:00: 3h + 4h30 on Tuesday, 30m on Wednesday.
			ttr: want{elapsed: dur(3 * time.Hour), due: "2026-03-04 09:00", atRisk: no()},
		},
		{
			name: "priority changed after resolution does not touch the stopped clock",
			events: []Event{
				ev(t, "2026-03-03 09:00", EventCreated, "P3"),
				ev(t, "2026-03-03 15:00", EventResolved),
				ev(t, "2026-03-03 16:00", EventPriority, "P1"),
			},
			now: "2026-03-03 17:00",
			ttr: want{met: yes(), breached: no()},
		},
		{
			name:   "no promise for a clock",
			events: []Event{ev(t, "2026-03-03 09:00", EventCreated, "P4")},
			now:    "2026-03-20 09:00",
			tto:    want{due: "zero", breached: no(), atRisk: no(), elapsed: dur(13 * 8 * time.Hour)},
		},
		{
			name: "events after now are ignored",
			events: []Event{
				ev(t, "2026-03-03 09:00", EventCreated, "P1"),
				ev(t, "2026-03-03 10:00", EventOwned),
				ev(t, "2026-03-03 12:00", EventResolved),
			},
			now: "2026-03-03 09:15",
			tto: want{stopped: no(), elapsed: dur(15 * time.Minute)},
			ttr: want{stopped: no(), elapsed: dur(15 * time.Minute)},
		},
		{
			name: "resolved without being owned stops both clocks",
			events: []Event{
				ev(t, "2026-03-03 09:00", EventCreated, "P1"),
				ev(t, "2026-03-03 09:20", EventResolved),
			},
			now: "2026-03-03 12:00",
			tto: want{stopped: yes(), met: yes(), elapsed: dur(20 * time.Minute)},
			ttr: want{stopped: yes(), met: yes()},
		},
		{
			name:   "custom pause statuses",
			policy: func(p *Policy) { p.PauseStatuses = map[Status]bool{"on-hold": true} },
			events: []Event{
				ev(t, "2026-03-03 09:00", EventCreated, "P2"),
				ev(t, "2026-03-03 10:00", EventStatus, "waiting-for-client"),
				ev(t, "2026-03-03 11:00", EventStatus, "on-hold"),
			},
			now: "2026-03-03 15:00",
			ttr: want{elapsed: dur(2 * time.Hour), paused: yes()},
		},
		{
			name:   "nothing pauses",
			policy: func(p *Policy) { p.PauseStatuses = map[Status]bool{} },
			events: []Event{ev(t, "2026-03-03 09:00", EventCreated, "P2"), ev(t, "2026-03-03 10:00", EventStatus, "waiting-for-client")},
			now:    "2026-03-03 11:00",
			ttr:    want{elapsed: dur(2 * time.Hour), paused: no()},
		},
		{
			name:   "custom at-risk share",
			policy: func(p *Policy) { p.AtRiskShare = 0.5 },
			events: []Event{ev(t, "2026-03-03 09:00", EventCreated, "P2"), ev(t, "2026-03-03 09:01", EventOwned)},
			now:    "2026-03-03 14:30",
			ttr:    want{atRiskAt: "2026-03-03 14:30", atRisk: yes()}, // 4h of 8h: 3h + 1h after lunch
		},
		{
			name: "across the spring DST weekend",
			events: []Event{
				ev(t, "2026-03-27 16:00", EventCreated, "P2"),
				ev(t, "2026-03-27 16:10", EventOwned),
			},
			now: "2026-03-30 10:00",
			// 2h on Friday, 1h30 on Monday; 6h left from Monday 08:30 (CEST now).
			ttr: want{elapsed: dur(3*time.Hour + 30*time.Minute), due: "2026-03-30 16:00"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPolicy(t)
			if tt.policy != nil {
				tt.policy(&p)
			}
			st, err := Evaluate(p, tt.events, local(t, tt.now))
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			tt.tto.check(t, "TTO", st.TTO)
			tt.ttr.check(t, "TTR", st.TTR)
			for name, m := range map[string]Measure{"TTO": st.TTO, "TTR": st.TTR} {
				if m.AtRisk && m.Breached {
					t.Errorf("%s is both at risk and breached", name)
				}
				if m.Met != (m.Stopped && !m.Breached && m.Target > 0) {
					t.Errorf("%s.Met = %v with Stopped %v, Breached %v", name, m.Met, m.Stopped, m.Breached)
				}
				if m.Remaining != m.Target-m.Elapsed {
					t.Errorf("%s.Remaining = %v, want Target-Elapsed = %v", name, m.Remaining, m.Target-m.Elapsed)
				}
			}
		})
	}
}

func TestEvaluatePriority(t *testing.T) {
	p := testPolicy(t)
	st, err := Evaluate(p, []Event{ev(t, "2026-03-03 09:00", EventCreated, "P3"), ev(t, "2026-03-03 10:00", EventPriority, "P2")}, local(t, "2026-03-03 11:00"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Priority != "P2" || st.TTR.Target != 8*time.Hour || st.TTO.Target != time.Hour {
		t.Errorf("state = %+v, want priority P2 with its targets", st)
	}
}

func TestEvaluateErrors(t *testing.T) {
	created := ev(t, "2026-03-03 09:00", EventCreated, "P1")
	tests := []struct {
		name   string
		policy func(*Policy)
		events []Event
		now    string
		field  string
	}{
		{"no events", nil, nil, "2026-03-03 10:00", "events"},
		{"no creation first", nil, []Event{ev(t, "2026-03-03 09:00", EventOwned), created}, "2026-03-03 10:00", "events[0]"},
		{"two creations", nil, []Event{created, created}, "2026-03-03 10:00", "events[1]"},
		{"out of order", nil, []Event{created, ev(t, "2026-03-03 09:30", EventOwned), ev(t, "2026-03-03 09:10", EventStatus, "x")}, "2026-03-03 10:00", "events[2]"},
		{"no time", nil, []Event{created, {Kind: EventOwned}}, "2026-03-03 10:00", "events[1]"},
		{"unknown kind", nil, []Event{created, {At: created.At, Kind: 42}}, "2026-03-03 10:00", "events[1]"},
		{"priority change without priority", nil, []Event{created, {At: created.At, Kind: EventPriority}}, "2026-03-03 10:00", "events[1]"},
		{"status change without status", nil, []Event{created, {At: created.At, Kind: EventStatus}}, "2026-03-03 10:00", "events[1]"},
		{"unknown priority", nil, []Event{ev(t, "2026-03-03 09:00", EventCreated, "P9")}, "2026-03-03 10:00", "policy.targets[P9]"},
		{"unknown priority later", nil, []Event{created, ev(t, "2026-03-03 09:10", EventPriority, "urgent")}, "2026-03-03 10:00", "policy.targets[urgent]"},
		{"now before creation", nil, []Event{created}, "2026-03-03 08:00", "now"},
		{"no calendar", func(p *Policy) { p.Calendar = nil }, []Event{created}, "2026-03-03 10:00", "policy.calendar"},
		{"empty calendar", func(p *Policy) { p.Calendar = &Calendar{} }, []Event{created}, "2026-03-03 10:00", "policy.calendar"},
		{"share above 1", func(p *Policy) { p.AtRiskShare = 1.5 }, []Event{created}, "2026-03-03 10:00", "policy.at_risk_share"},
		{"negative target", func(p *Policy) { p.Targets["P1"] = Target{TTR: -time.Hour} }, []Event{created}, "2026-03-03 10:00", "policy.targets[P1].ttr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPolicy(t)
			if tt.policy != nil {
				tt.policy(&p)
			}
			_, err := Evaluate(p, tt.events, local(t, tt.now))
			var v *ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("Evaluate: err = %v, want a *ValidationError", err)
			}
			if v.Fields[0].Field != tt.field {
				t.Errorf("first problem %q, want one with %s (%v)", v.Fields[0].Field, tt.field, err)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("message %q does not name %s", err, tt.field)
			}
		})
	}
}

func TestNextCheck(t *testing.T) {
	p := testPolicy(t)
	created := ev(t, "2026-03-03 10:00", EventCreated, "P1")
	tests := []struct {
		name   string
		events []Event
		now    string
		want   string // "" for none
	}{
		{"running: the time to own becomes at risk first", []Event{created}, "2026-03-03 10:05", "2026-03-03 10:22:30"},
		{"at risk: its deadline", []Event{created}, "2026-03-03 10:25", "2026-03-03 10:30"},
		{"owned: the resolution's at-risk instant", []Event{created, ev(t, "2026-03-03 10:10", EventOwned)}, "2026-03-03 10:15", "2026-03-03 14:30"},
		{"breached time to own, running resolution", []Event{created}, "2026-03-03 11:00", "2026-03-03 14:30"},
		{"owned and paused: nothing to schedule", []Event{created, ev(t, "2026-03-03 10:10", EventOwned), ev(t, "2026-03-03 10:20", EventStatus, "waiting-for-client")}, "2026-03-03 11:00", ""},
		{"resolved: nothing to schedule", []Event{created, ev(t, "2026-03-03 10:10", EventResolved)}, "2026-03-03 11:00", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Evaluate(p, tt.events, local(t, tt.now))
			if err != nil {
				t.Fatal(err)
			}
			got := st.NextCheck()
			if tt.want == "" {
				if !got.IsZero() {
					t.Errorf("NextCheck() = %v, want none", got)
				}
				return
			}
			if !got.Equal(local(t, tt.want)) {
				t.Errorf("NextCheck() = %v, want %s", got, tt.want)
			}
		})
	}
}

// Evaluating a history at increasing instants never un-breaches a clock, and
// elapsed time never decreases.
func TestEvaluateReplayMonotone(t *testing.T) {
	p := testPolicy(t)
	events := []Event{
		ev(t, "2026-03-05 16:00", EventCreated, "P3"),
		ev(t, "2026-03-05 16:30", EventOwned),
		ev(t, "2026-03-05 17:00", EventStatus, "waiting-for-client"),
		ev(t, "2026-03-06 19:00", EventStatus, "in-progress"),
		ev(t, "2026-03-09 09:00", EventPriority, "P2"),
		ev(t, "2026-03-09 11:00", EventResolved),
		ev(t, "2026-03-10 10:00", EventReopened),
		ev(t, "2026-03-10 14:00", EventStatus, "waiting-for-third-party"),
		ev(t, "2026-03-11 09:00", EventStatus, "in-progress"),
		ev(t, "2026-03-12 17:00", EventResolved),
	}
	var prev State
	for now := events[0].At; now.Before(local(t, "2026-03-14 00:00")); now = now.Add(7 * time.Minute) {
		st, err := Evaluate(p, events, now)
		if err != nil {
			t.Fatal(err)
		}
		if st.TTR.Elapsed < prev.TTR.Elapsed || st.TTO.Elapsed < prev.TTO.Elapsed {
			t.Fatalf("%v: elapsed went back: %v after %v", now, st.TTR.Elapsed, prev.TTR.Elapsed)
		}
		if prev.TTR.Breached && !st.TTR.Breached {
			t.Fatalf("%v: breach undone", now)
		}
		prev = st
	}
	// 16:00-17:00 Thursday; the Friday-evening resumption counts nothing
	// until Monday, 08:30-11:00; reopened Tuesday 10:00-14:00 less lunch,
	// 2h30; Wednesday from 09:00, 7h30; Thursday until 17:00, 7h.
	if want := time.Hour + 150*time.Minute + 150*time.Minute + 450*time.Minute + 7*time.Hour; prev.TTR.Elapsed != want {
		t.Errorf("final TTR elapsed %v, want %v", prev.TTR.Elapsed, want)
	}
	if !prev.TTR.Breached || !prev.TTR.Stopped {
		t.Errorf("final TTR %+v, want breached and stopped", prev.TTR)
	}
}

// TestDocExample is the worked example of docs/sla.md: keep the two in step.
func TestDocExample(t *testing.T) {
	p := testPolicy(t)
	events := []Event{
		ev(t, "2026-05-13 16:00", EventCreated, "P2"),
		ev(t, "2026-05-13 16:40", EventOwned),
		ev(t, "2026-05-13 17:30", EventStatus, "waiting-for-client"),
		ev(t, "2026-05-14 10:00", EventStatus, "in-progress"), // Ascension Day
		ev(t, "2026-05-15 15:10", EventResolved),
	}
	tests := []struct {
		now string
		ttr want
	}{
		{"2026-05-13 17:00", want{elapsed: dur(time.Hour), due: "2026-05-15 16:00", atRiskAt: "2026-05-15 14:00", paused: no()}},
		{"2026-05-13 19:00", want{elapsed: dur(90 * time.Minute), due: "2026-05-15 16:30", paused: yes()}},
		{"2026-05-14 12:00", want{elapsed: dur(90 * time.Minute), due: "2026-05-15 16:30", atRiskAt: "2026-05-15 14:30", paused: no()}},
		{"2026-05-15 14:45", want{elapsed: dur(6*time.Hour + 15*time.Minute), atRisk: yes(), breached: no()}},
		{"2026-05-15 18:00", want{elapsed: dur(6*time.Hour + 40*time.Minute), remaining: dur(80 * time.Minute), met: yes(), atRisk: no()}},
	}
	for _, tt := range tests {
		t.Run(tt.now, func(t *testing.T) {
			st, err := Evaluate(p, events, local(t, tt.now))
			if err != nil {
				t.Fatal(err)
			}
			want{elapsed: dur(40 * time.Minute), met: yes()}.check(t, "TTO", st.TTO)
			tt.ttr.check(t, "TTR", st.TTR)
		})
	}
}
