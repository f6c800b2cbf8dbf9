package check

import (
	"math/rand/v2"
	"testing"
	"time"
)

// tracker follows a result sequence from the outside and checks the
// invariants of every Apply against it.
type tracker struct {
	p            Policy // with defaults
	nonOK, okRun int    // consecutive non-OK and OK results, independently of the engine
}

func (k *tracker) step(tb testing.TB, prev Status, r Result, c Conditions, next Status, evs []Event) {
	tb.Helper()
	late := !prev.LastCheck.IsZero() && r.At.Before(prev.LastCheck)
	if late {
		if next != prev || evs != nil {
			tb.Fatalf("late result changed the status")
		}
		return
	}
	s := r.State.norm()
	if s == OK {
		k.okRun++
		k.nonOK = 0
	} else {
		k.nonOK++
		k.okRun = 0
	}
	if !next.State.Valid() || !next.HardState.Valid() || next.State != s {
		tb.Fatalf("state %v hard %v for result %v", next.State, next.HardState, r.State)
	}
	if next.Attempt < 0 || next.Attempt > k.p.MaxAttempts || (next.Attempt == 0) != (s == OK) {
		tb.Fatalf("attempt %d with state %v", next.Attempt, s)
	}
	if next.Type == Soft && (s == OK) == (next.HardState == OK) {
		tb.Fatalf("soft %v with hard state %v", s, next.HardState)
	}
	if next.Type == Hard && s != next.HardState {
		tb.Fatalf("hard type with state %v and hard state %v", s, next.HardState)
	}
	if next.HistoryLen < 1 || next.HistoryLen > historySize || next.FlapPercent < 0 || next.FlapPercent > 100 {
		tb.Fatalf("history %d, flap %v", next.HistoryLen, next.FlapPercent)
	}
	if next.Ack != nil && next.HardState == OK {
		tb.Fatalf("acknowledgement without a problem")
	}
	if next.Unreachable != (c.Unreachable && s != OK) {
		tb.Fatalf("unreachable %v", next.Unreachable)
	}
	hardChanges := 0
	for _, e := range evs {
		if !e.At.Equal(r.At) || e.To != s {
			tb.Fatalf("event %+v for result at %v state %v", e, r.At, s)
		}
		if e.Notify && (e.Muted != 0 || e.Kind == SoftChange || c.Maintenance || next.Unreachable) {
			tb.Fatalf("notifying event %+v", e)
		}
		if !e.Kind.Hard() {
			continue
		}
		hardChanges++
		if e.From != prev.HardState || e.To != next.HardState || e.From == e.To {
			tb.Fatalf("hard change %+v from hard state %v", e, prev.HardState)
		}
		if e.Notify && (next.Flapping || prev.Flapping) {
			tb.Fatalf("hard change notifies while flapping: %+v", e)
		}
		switch e.Kind {
		case Problem:
			if k.nonOK < k.p.MaxAttempts {
				tb.Fatalf("problem after %d non-OK results, max attempts %d", k.nonOK, k.p.MaxAttempts)
			}
		case Recovery:
			if k.okRun < k.p.RecoverAfter {
				tb.Fatalf("recovery after %d OK results, recover after %d", k.okRun, k.p.RecoverAfter)
			}
		case SeverityChange:
			if prev.HardState == OK || s == OK {
				tb.Fatalf("severity change %+v", e)
			}
		}
	}
	if hardChanges > 1 || (hardChanges == 0) != (prev.HardState == next.HardState) {
		tb.Fatalf("%d hard changes for hard state %v → %v", hardChanges, prev.HardState, next.HardState)
	}
}

func TestApplyProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for seq := range 500 {
		p := Policy{MaxAttempts: 1 + rng.IntN(5), RecoverAfter: 1 + rng.IntN(3)}
		k := tracker{p: p.withDefaults()}
		var st Status
		at := t0
		// Some sequences are mostly steady, some noisy.
		noise := rng.Float64()
		s := OK
		for range 300 {
			if rng.Float64() < noise {
				s = State(rng.IntN(5)) // 4 is out of range
			}
			at = at.Add(time.Duration(rng.IntN(120)-5) * time.Second) // sometimes late
			c := Conditions{Maintenance: rng.IntN(10) == 0, Unreachable: rng.IntN(10) == 0}
			r := Result{At: at, State: s}
			next, evs := p.ApplyIn(st, r, c)
			k.step(t, st, r, c, next, evs)
			if next.Problem() && rng.IntN(20) == 0 {
				var err error
				if next, err = next.Acknowledge("bob", "", at); err != nil {
					t.Fatal(err)
				}
			}
			st = next
		}
		_ = seq
	}
}

func TestAvailabilityProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		var checks [][]Event
		for range 1 + rng.IntN(3) {
			var evs []Event
			for range rng.IntN(20) {
				k := EventKind(rng.IntN(6))
				evs = append(evs, Event{At: t0.Add(time.Duration(rng.IntN(1000)-100) * time.Minute), Kind: k, To: State(rng.IntN(5))})
			}
			checks = append(checks, evs)
		}
		var maint []Interval
		for range rng.IntN(4) {
			a := t0.Add(time.Duration(rng.IntN(1200)-100) * time.Minute)
			maint = append(maint, Interval{a, a.Add(time.Duration(rng.IntN(200)) * time.Minute)})
		}
		from := t0.Add(time.Duration(rng.IntN(500)) * time.Minute)
		to := from.Add(time.Duration(rng.IntN(600)) * time.Minute)
		u := AssetAvailability(checks, from, to, maint)
		if u.Up < 0 || u.Down < 0 || u.Maintenance < 0 || u.NoData < 0 || u.Up+u.Down+u.Maintenance+u.NoData != to.Sub(from) {
			t.Fatalf("uptime %+v does not add up to %v", u, to.Sub(from))
		}
		if r, ok := u.Ratio(); ok && (r < 0 || r > 1) || !ok && u.Up+u.Down != 0 {
			t.Fatalf("ratio %v %v for %+v", r, ok, u)
		}
		// A single check's availability equals the asset's with that check alone.
		if len(checks) == 1 && Availability(checks[0], from, to, maint) != u {
			t.Fatal("Availability differs from AssetAvailability of one check")
		}
	}
}
