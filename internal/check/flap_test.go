package check

import (
	"math"
	"testing"
)

func TestPercentChange(t *testing.T) {
	pack := func(states ...State) (uint64, int) {
		var h uint64
		for _, s := range states {
			h = h<<2 | uint64(s)
		}
		return h, len(states)
	}
	alt := make([]State, historySize)
	for i := range alt {
		alt[i] = State(i%2) * Critical
	}
	tests := []struct {
		name   string
		states []State
		want   float64
	}{
		{"steady", make([]State, historySize), 0},
		{"full alternation", alt, 100},
		// Only the newest transition changed: weight 1.25 of 20.
		{"newest change", append(make([]State, historySize-1), Critical), 1.25 * 100 / 20},
		// Only the oldest transition changed: weight 0.75 of 20.
		{"oldest change", append([]State{Critical}, make([]State, historySize-1)...), 0.75 * 100 / 20},
		// A short history counts only its own transitions, at the newest weights.
		{"short history", []State{OK, Critical}, 1.25 * 100 / 20},
		{"single result", []State{Critical}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, n := pack(tc.states...)
			if got := percentChange(h, n); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("percentChange = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFlapping(t *testing.T) {
	var st Status
	var all []Event
	p := Policy{MaxAttempts: 1}
	// Alternate OK/CRITICAL: every result is a hard change with MaxAttempts 1.
	states := make([]State, 0, 40)
	for i := range 30 {
		states = append(states, State(i%2)*Critical)
	}
	st, all = run(p, st, states...)
	if !st.Flapping || st.FlapPercent < DefaultFlapHigh {
		t.Fatalf("not flapping after alternation: %v %.1f%%", st.Flapping, st.FlapPercent)
	}
	starts, notified, muted := 0, 0, 0
	for _, e := range all {
		switch {
		case e.Kind == FlapStart:
			starts++
			if !e.Notify {
				t.Errorf("flapping start does not notify: %+v", e)
			}
		case e.Kind.Hard() && e.Notify:
			notified++
		case e.Kind.Hard():
			muted++
			if !e.Muted.Has(MutedFlapping) {
				t.Errorf("hard change muted without flapping reason: %+v", e)
			}
		}
	}
	if starts != 1 || muted == 0 || notified == 0 {
		t.Errorf("flap starts %d, notified %d, muted %d", starts, notified, muted)
	}
	// The first alternations notify, until the percentage crosses 50 %.
	if !all[0].Notify {
		t.Errorf("first problem muted: %+v", all[0])
	}

	// Steady OK: the percentage falls; between the thresholds flapping holds
	// (hysteresis), it stops once below 25 %.
	sawBetween := false
	stopped := false
	for range historySize {
		var evs []Event
		st, evs = run(p, st, OK)
		if st.FlapPercent < DefaultFlapHigh && st.FlapPercent >= DefaultFlapLow {
			sawBetween = true
			if !st.Flapping {
				t.Errorf("flapping stopped at %.1f%%, above the low threshold", st.FlapPercent)
			}
		}
		for _, e := range evs {
			if e.Kind == FlapStop {
				stopped = true
				if st.FlapPercent >= DefaultFlapLow || !e.Notify {
					t.Errorf("flap stop at %.1f%%: %+v", st.FlapPercent, e)
				}
			}
		}
	}
	if !sawBetween || !stopped || st.Flapping {
		t.Errorf("between %v stopped %v flapping %v", sawBetween, stopped, st.Flapping)
	}
	// Disabled detection never flaps.
	st, _ = run(Policy{MaxAttempts: 1, NoFlapDetection: true}, Status{}, states...)
	if st.Flapping {
		t.Error("flapping with detection disabled")
	}
}
