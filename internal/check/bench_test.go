package check

import (
	"testing"
	"time"
)

// BenchmarkApply applies a realistic result stream (mostly OK, a problem
// confirmed and recovered now and then, a flapping stretch) one result per
// iteration; results/s is the throughput of one core. The issue targets
// 50,000 checks at 60 s, about 833 results/s.
func BenchmarkApply(b *testing.B) {
	pattern := make([]State, 0, 200)
	for i := range 200 {
		switch {
		case i >= 50 && i < 56:
			pattern = append(pattern, Critical)
		case i >= 100 && i < 130:
			pattern = append(pattern, State(i%2)*Warning)
		default:
			pattern = append(pattern, OK)
		}
	}
	p := Policy{}
	var st Status
	at := t0
	n := 0
	events := 0
	for b.Loop() {
		var evs []Event
		st, evs = p.ApplyIn(st, Result{At: at, State: pattern[n%len(pattern)], Output: "OK - 12 ms"}, Conditions{})
		events += len(evs)
		at = at.Add(time.Minute)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "results/s")
	if n > len(pattern) && events == 0 {
		b.Fatal("no events")
	}
}
