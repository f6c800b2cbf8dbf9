package alert_test

import (
	"fmt"
	"testing"

	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// BenchmarkAlertProblem measures the alerter's share of the fault-to-ticket
// latency: one hard problem notice → the incident opened and linked, in one
// transaction (the engine's batching and the retries come on top).
//
//	go test -run '^$' -bench BenchmarkAlertProblem -benchtime 100x ./internal/alert
func BenchmarkAlertProblem(b *testing.B) {
	for _, d := range testdb.Dialects {
		b.Run(d, func(b *testing.B) {
			e := newEnv(b, d)
			checks := make([]supervision.Check, b.N)
			notices := make([][]supervision.Notice, b.N)
			for i := range b.N {
				checks[i] = e.mkCheck(b, e.srvA, fmt.Sprintf("Disk %d", i), supervision.SeverityCritical, supervision.TicketOpen)
				e.apply(b, checks[i], check.Critical, "DISK CRITICAL", check.Conditions{})
				notices[i] = e.apply(b, checks[i], check.Critical, "DISK CRITICAL", check.Conditions{})
			}
			b.ResetTimer()
			for i := range b.N {
				if err := e.alerter.Alert(b.Context(), notices[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if ts := e.allTickets(b); len(ts) < min(b.N, 200) {
				b.Fatalf("%d tickets for %d problems", len(ts), b.N)
			}
		})
	}
}
