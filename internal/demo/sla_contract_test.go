package demo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/demo"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// TestDemoClocksAndPerimeter: the demo's tickets run the clocks of their
// client's contract (seeded before them), and the law firm's server, outside
// its workstations-only contract, gets incidents flagged out of perimeter.
func TestDemoClocksAndPerimeter(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			s := apptest.New(t, dialect)
			ctx, sys := context.Background(), tenant.System()
			if _, err := demo.Seed(ctx, s.App); err != nil {
				t.Fatal(err)
			}
			ts, _, err := s.App.Tickets.List(ctx, sys, ticket.Filter{Limit: 200})
			if err != nil || len(ts) == 0 {
				t.Fatalf("demo tickets: %d, %v", len(ts), err)
			}
			for _, tk := range ts {
				if tk.ContractID == nil || tk.OutOfPerimeter || !tk.SLA.Covered {
					t.Fatalf("demo ticket #%d: contract %v, out %v (%q), SLA %+v", tk.ID, tk.ContractID, tk.OutOfPerimeter, tk.PerimeterReason, tk.SLA)
				}
			}

			demo.Supervise(ctx, s.App, s.URL, nil)
			checks, err := s.App.Supervision.Checks(ctx, sys, supervision.CheckFilter{})
			if err != nil {
				t.Fatal(err)
			}
			// The law firm's NAS backup failed last night: an incident on an
			// asset its workstations-only contract does not cover (the same
			// rule as for srv-cabinet, whose disk the simulated agents fail).
			var backup supervision.Check
			for _, c := range checks {
				if c.Name == "Sauvegarde Veeam" {
					backup = c
				}
			}
			if backup.ID == 0 {
				t.Fatal("no backup check of the law firm")
			}
			var st supervision.Status
			for deadline := time.Now().Add(20 * time.Second); ; {
				st, err = s.App.Supervision.Status(ctx, sys, backup.ID)
				if err == nil && st.TicketID != nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the failed backup opened no incident: %+v %v", st, err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			tk, err := s.App.Tickets.Get(ctx, sys, *st.TicketID)
			if err != nil {
				t.Fatal(err)
			}
			if !tk.OutOfPerimeter || tk.PerimeterReason != string(contract.ReasonKindNotIncluded) || tk.SLA.Covered ||
				!strings.HasPrefix(tk.Description, "Hors périmètre du contrat") {
				t.Errorf("backup incident: out %v (%q), SLA %+v:\n%s", tk.OutOfPerimeter, tk.PerimeterReason, tk.SLA, tk.Description)
			}
			out, _, err := s.App.Tickets.List(ctx, sys, ticket.Filter{OutOfPerimeter: true, Limit: 200})
			if err != nil || len(out) == 0 {
				t.Errorf("the out-of-perimeter filter finds nothing in the demo: %v", err)
			}
		})
	}
}
