package notify_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/notify"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// BenchmarkEnqueueStorm routes a storm of 100 notices of one client to its
// three channels (one with business hours) and a global one: 400 outbox
// rows and 4 flush jobs in one transaction per operation.
func BenchmarkEnqueueStorm(b *testing.B) {
	for _, dialect := range testdb.Dialects {
		b.Run(dialect, func(b *testing.B) {
			db := newDBB(b, dialect)
			a := mkClientB(b, db)
			svc, err := notify.New(notify.Deps{Store: db, Queue: &recordingQueue{}, Journal: audit.NewJournal(db, nil)})
			if err != nil {
				b.Fatal(err)
			}
			for i, hours := range []notify.Hours{notify.HoursAlways, notify.HoursBusiness, notify.HoursAlways, notify.HoursAlways} {
				c := notify.Channel{ClientID: &a, Name: fmt.Sprint(i), Kind: notify.KindWebhook, Target: "https://hooks.example/x", Hours: hours, OnProblems: true, OnRecoveries: true, Enabled: true}
				if i == 3 {
					c.ClientID = nil
				}
				if err := svc.Create(b.Context(), manager, &c); err != nil {
					b.Fatal(err)
				}
			}
			at := time.Date(2026, 3, 30, 8, 0, 0, 0, time.UTC)
			b.ResetTimer()
			for i := range b.N {
				ns := make([]supervision.Notice, 100)
				for j := range ns {
					ns[j] = notice(a, int64(j+1), check.Problem, check.OK, check.Critical, at)
					ns[j].Event.ID = int64(i*100 + j + 1)
				}
				if err := svc.Enqueue(b.Context(), ns, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*100), "µs/notice")
		})
	}
}
