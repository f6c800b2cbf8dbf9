package check

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// run applies states one minute apart from t0 and returns the final status
// and every event.
func run(p Policy, st Status, states ...State) (Status, []Event) {
	var all []Event
	at := t0
	if !st.LastCheck.IsZero() {
		at = st.LastCheck.Add(time.Minute)
	}
	for _, s := range states {
		var evs []Event
		st, evs = p.Apply(st, Result{At: at, State: s, Output: s.String()})
		all = append(all, evs...)
		at = at.Add(time.Minute)
	}
	return st, all
}

// kinds lists the event kinds with their target state, e.g. "problem:CRITICAL".
func kinds(evs []Event) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, e.Kind.String()+":"+e.To.String())
	}
	return out
}

func mustLoc(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load %s: %v", name, err)
	}
	return loc
}
