package reportrun_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// BenchmarkSchedule is one scheduler pass over 500 clients with a contract
// asking for every report, once their runs exist (the pass of every minute
// but the first of a period).
func BenchmarkSchedule(b *testing.B) {
	for _, dialect := range testdb.Dialects {
		b.Run(dialect, func(b *testing.B) {
			e := newEnv(b, dialect, envOptions{noStart: true})
			for i := range 499 {
				c := e.mkClient(b, fmt.Sprintf("C%03d", i), fmt.Sprintf("Client %d", i))
				e.mkContract(b, c.ID, "K", date(2025, 1, 1), nil, contract.Reporting{Daily: true, Monthly: true, Quarterly: true, Annual: true})
			}
			if n, err := e.svc.Schedule(b.Context()); err != nil || n != 4*499+2 {
				b.Fatalf("first pass queued %d (%v)", n, err)
			}
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				if n, err := e.svc.Schedule(b.Context()); err != nil || n != 0 {
					b.Fatalf("pass queued %d (%v)", n, err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/pass")
		})
	}
}
