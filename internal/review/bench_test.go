package review_test

import (
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/review"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// BenchmarkReview builds a quarter's review of a client with 2,000 tickets,
// one in ten breached with a timeline of four events, and 30 actions
// (go test -run X -bench Review -benchtime 20x ./internal/review/).
func BenchmarkReview(b *testing.B) {
	f := seed(b, "sqlite")
	ctx := b.Context()
	for i := range 2000 {
		created := at(7, 1, 8, 0).Add(time.Duration(i) * 65 * time.Minute)
		owned, resolved := created.Add(20*time.Minute), created.Add(3*time.Hour)
		tk := ticket.Ticket{ClientID: f.alpha.ID, Title: "Ticket", Type: ticket.TypeIncident, Priority: ticket.Priority(1 + i%4), Impact: 2, Urgency: 2, Level: "N1",
			Status: ticket.StatusResolved, Created: created, Updated: created, OwnedAt: &owned, ResolvedAt: &resolved, SLA: ticket.SLA{Covered: true}}
		if i%10 == 0 {
			due := created.Add(2 * time.Hour)
			tk.SLA.TTRBreachAt = &due
		}
		ok(b, f.db.CreateTicket(ctx, sys, &tk))
		if i%10 == 0 {
			for j, e := range []ticket.Event{
				{Kind: "assignee", To: "Tina"}, {Kind: "status", From: "new", To: "in-progress"},
				{Kind: "status", From: "in-progress", To: "waiting-for-third-party"}, {Kind: "status", From: "waiting-for-third-party", To: "in-progress"},
			} {
				e.TicketID, e.At, e.Public = tk.ID, created.Add(time.Duration(j+1)*20*time.Minute), true
				ok(b, f.db.AddEvent(ctx, &e))
			}
		}
	}
	f.clk.t = at(7, 2, 9, 0)
	for i := range 30 {
		ok(b, f.svc.AddAction(ctx, sys, f.alpha.ID, f.q3, &review.Action{Title: "Action", Owner: "X", Due: at(12, 1+i%28, 0, 0)}))
	}
	f.clk.t = at(10, 15, 9, 0)
	b.ResetTimer()
	for b.Loop() {
		rv, err := f.svc.Get(ctx, sys, f.alpha.ID, f.q3)
		if err != nil || len(rv.Breaches) < 200 {
			b.Fatalf("%d breaches, %v", len(rv.Breaches), err)
		}
	}
}
