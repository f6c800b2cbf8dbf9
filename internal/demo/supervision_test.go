package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/demo"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// TestSupervise checks the demo's supervision against the running server:
// the failed backup is a hard problem that opened an incident, the flapping
// process is flapping, the Lyon job has its restore tests, and the
// templates applied their checks.
func TestSupervise(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			s := apptest.New(t, dialect)
			ctx, sys := context.Background(), tenant.System()
			if _, err := demo.Seed(ctx, s.App); err != nil {
				t.Fatal(err)
			}
			demo.Supervise(ctx, s.App, s.URL, nil)

			// Every client has its contract in force; the law firm's covers
			// its workstations only: its server is out of the perimeter.
			assets, err := s.App.Assets.List(ctx, sys, asset.Filter{Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			for _, as := range assets {
				if as.Name != "srv-cabinet" && as.Name != "mac-associee" && as.Name != "srv-lyon-01" {
					continue
				}
				cov, err := s.App.Contracts.Coverage(ctx, sys, as.ID, time.Now())
				if err != nil || cov.ContractID == 0 {
					t.Fatalf("coverage of %s: %+v %v", as.Name, cov, err)
				}
				if want := as.Name != "srv-cabinet"; cov.In != want {
					t.Errorf("%s in the perimeter: %v (%s), want %v", as.Name, cov.In, cov.Reason, want)
				}
			}

			tps, err := s.App.Supervision.Templates(ctx, sys)
			if err != nil || len(tps) != 4 {
				t.Fatalf("templates: %d %v", len(tps), err)
			}
			checks, err := s.App.Supervision.Checks(ctx, sys, supervision.CheckFilter{})
			if err != nil {
				t.Fatal(err)
			}
			byName := map[string]supervision.Check{}
			fromTemplates := 0
			for _, c := range checks {
				byName[c.Name] = c
				if c.TemplateID != nil {
					fromTemplates++
				}
			}
			if fromTemplates < 10 {
				t.Errorf("templates applied %d checks, want one per matching server and workstation", fromTemplates)
			}
			backup, ok := byName["Sauvegarde Veeam"]
			if !ok {
				t.Fatalf("no backup check among %d checks", len(checks))
			}
			flappy := byName["Process wms-sync"]
			var st supervision.Status
			deadline := time.Now().Add(20 * time.Second)
			for {
				st, err = s.App.Supervision.Status(ctx, sys, backup.ID)
				if err == nil && st.TicketID != nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the failed backup opened no ticket: %+v %v", st, err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if st.HardState != check.Critical || st.Type != check.Hard {
				t.Errorf("failed backup: %s %s, want a hard CRITICAL", st.HardState, st.Type)
			}
			tk, err := s.App.Tickets.Get(ctx, sys, *st.TicketID)
			if err != nil || tk.Type != ticket.TypeIncident || tk.ClientID != backup.ClientID || tk.Priority != ticket.P1 {
				t.Errorf("backup incident: %+v %v", tk, err)
			}
			// Statuses are written in batches about once a second.
			for deadline := time.Now().Add(10 * time.Second); ; {
				fl, err := s.App.Supervision.Status(ctx, sys, flappy.ID)
				if err == nil && fl.Flapping {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("wms-sync is not flapping: %+v %v", fl, err)
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			sums, err := s.App.Supervision.LastBackups(ctx, sys, 0)
			if err != nil {
				t.Fatal(err)
			}
			restores := 0
			for _, b := range sums {
				if b.LastRestore != nil {
					restores++
					if b.LastRestore.Result != supervision.RestorePartial {
						t.Errorf("last restore test of %s: %s, want the partial one", b.AssetName, b.LastRestore.Result)
					}
				}
			}
			if restores != 1 {
				t.Errorf("%d backup jobs with a restore test, want 1", restores)
			}
			_, counts, _, err := s.App.Supervision.Board(ctx, sys, supervision.BoardFilter{})
			if err != nil || counts.Maintenance == 0 {
				t.Errorf("no check in maintenance on the demo board: %+v %v", counts, err)
			}
		})
	}
}
