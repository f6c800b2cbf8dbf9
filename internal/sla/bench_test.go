package sla

import (
	"testing"
	"time"
)

// benchStarts are ticket creation instants spread over 2026 (including both
// DST weekends and the May holidays), at all hours, in and out of business time.
func benchStarts(tb testing.TB) []time.Time {
	var out []time.Time
	t := local(tb, "2026-01-02 07:13")
	for range 256 {
		out = append(out, t)
		t = t.Add(34*time.Hour + 17*time.Minute)
	}
	return out
}

// BenchmarkAdd computes due dates for realistic targets on the office
// calendar. The adds/s metric is due-date computations per second.
func BenchmarkAdd(b *testing.B) {
	c := mustParse(b, officeText)
	starts := benchStarts(b)
	for _, tc := range []struct {
		name string
		d    time.Duration
	}{
		{"4h", 4 * time.Hour},
		{"2days", 16 * time.Hour},
		{"40h", 40 * time.Hour},
		{"500h", 500 * time.Hour},
	} {
		b.Run(tc.name, func(b *testing.B) {
			n := 0
			var sink time.Time
			for b.Loop() {
				sink = c.Add(starts[n%len(starts)], tc.d)
				n++
			}
			_ = sink
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "adds/s")
		})
	}
}

// BenchmarkBetween measures business time over a few days.
func BenchmarkBetween(b *testing.B) {
	c := mustParse(b, officeText)
	starts := benchStarts(b)
	n := 0
	var sink time.Duration
	for b.Loop() {
		s := starts[n%len(starts)]
		sink += c.Between(s, s.Add(76*time.Hour))
		n++
	}
	_ = sink
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "betweens/s")
}

// BenchmarkEvaluate evaluates a ticket with ten events: owned, paused twice,
// a priority change, resolved, reopened and resolved again.
func BenchmarkEvaluate(b *testing.B) {
	p := testPolicy(b)
	events := []Event{
		ev(b, "2026-03-05 16:00", EventCreated, "P3"),
		ev(b, "2026-03-05 16:30", EventOwned),
		ev(b, "2026-03-05 17:00", EventStatus, "waiting-for-client"),
		ev(b, "2026-03-06 19:00", EventStatus, "in-progress"),
		ev(b, "2026-03-09 09:00", EventPriority, "P2"),
		ev(b, "2026-03-09 11:00", EventResolved),
		ev(b, "2026-03-10 10:00", EventReopened),
		ev(b, "2026-03-10 14:00", EventStatus, "waiting-for-third-party"),
		ev(b, "2026-03-11 09:00", EventStatus, "in-progress"),
		ev(b, "2026-03-11 11:00", EventStatus, "in-progress"),
	}
	now := local(b, "2026-03-12 10:00")
	n := 0
	for b.Loop() {
		if _, err := Evaluate(p, events, now); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "evals/s")
}
