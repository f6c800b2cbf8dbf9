package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

func TestUsageWarningsStore(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			requireDialect(t, d)
			db := newTestDB(t, d)
			ctx := t.Context()
			w := newWorld(t, db)
			c := mkContract(t, db, w.A.ID, "A-1", day(2026, 1, 1), nil)
			rec := contract.Warning{ContractID: c.ID, Kind: contract.QuotaSupport, PeriodStart: day(2026, 3, 1), Level: contract.LevelWarning,
				Consumed: 8 * 3600, Included: 10 * 3600}
			for i, want := range []bool{true, false} {
				r := rec
				got, err := db.RecordWarning(ctx, &r)
				ok(t, err)
				if got != want {
					t.Fatalf("record #%d: recorded %v, want %v", i+1, got, want)
				}
			}
			// Another level, quota or period is another warning.
			for _, edit := range []func(*contract.Warning){
				func(x *contract.Warning) { x.Level = contract.LevelExhausted },
				func(x *contract.Warning) { x.Kind = contract.QuotaOnSite },
				func(x *contract.Warning) { x.PeriodStart = day(2026, 4, 1) },
			} {
				r := rec
				edit(&r)
				got, err := db.RecordWarning(ctx, &r)
				ok(t, err)
				if !got {
					t.Fatalf("%+v not recorded", r)
				}
			}
			ws, err := db.Warnings(ctx, sys, c.ID)
			ok(t, err)
			if len(ws) != 4 {
				t.Fatalf("%d warnings, want 4", len(ws))
			}
			onlyB := tenant.Scope{UserID: 1, Role: tenant.RoleTechnician, Clients: []int64{w.B.ID}}
			if ws, err := db.Warnings(ctx, onlyB, c.ID); err != nil || len(ws) != 0 {
				t.Fatalf("scope of B reads %d warnings of A (%v)", len(ws), err)
			}
		})
	}
}

// BenchmarkUsageAll measures the two queries of contract.Service.UsageAll,
// what the staff dashboard calls: 300 clients with a contract in force (a
// third on a pack started a year ago), 60,000 tickets and 180,000 time
// entries over that year; and the sums of the monthly contracts alone.
//
//	go test -run '^$' -bench UsageAll -benchtime 50x ./internal/store/
func BenchmarkUsageAll(b *testing.B) {
	for _, d := range dialects {
		b.Run(string(d), func(b *testing.B) {
			requireDialect(b, d)
			db := newTestDB(b, d)
			ctx := context.Background()
			const clients, ticketsPer, entriesPer = 300, 200, 3
			tech := user.User{Email: "bench-tech@msp.example", Name: "Tech", Role: tenant.RoleTechnician, Language: "fr"}
			ok(b, db.CreateUser(ctx, &tech, "$argon2id$fake"))
			now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
			for i := range clients {
				err := db.InTx(ctx, func(ctx context.Context) error {
					cl := client.Client{Code: fmt.Sprintf("U%04d", i), Name: fmt.Sprintf("Usage client %d", i), TimeZone: "Europe/Paris", Language: "fr"}
					if err := db.CreateClient(ctx, sys, &cl); err != nil {
						return err
					}
					start := day(2025, 7, 1)
					c := contract.Contract{ClientID: cl.ID, Reference: "U", Title: "U", Start: start, State: contract.StateActive,
						Calendar: sla.AlwaysOpen().String(), Availability: 99.5, OnSitePerMonth: 4,
						Support: contract.Support{Mode: contract.SupportMonthly, Minutes: 600}}
					if i%3 == 0 {
						c.Support = contract.Support{Mode: contract.SupportPack, Minutes: 6000, PackStart: &start}
					}
					if err := c.Normalize(); err != nil {
						return err
					}
					if err := db.CreateContract(ctx, sys, &c); err != nil {
						return err
					}
					for n := range ticketsPer {
						at := now.Add(-time.Duration(n) * 43 * time.Hour)
						tk := ticket.Ticket{ClientID: cl.ID, Type: ticket.TypeIncident, Title: "t", Impact: 2, Urgency: 2, Priority: ticket.P3,
							Status: ticket.StatusClosed, Level: "N1", Created: at, Updated: at}
						if err := db.CreateTicket(ctx, sys, &tk); err != nil {
							return err
						}
						for k := range entriesPer {
							e := ticket.TimeEntry{TicketID: tk.ID, TechnicianID: tech.ID, Start: at.Add(time.Duration(k) * time.Hour), Duration: 20 * time.Minute,
								Billable: k != 2, OnSite: k == 0 && n%5 == 0, Created: at}
							if err := db.AddTimeEntry(ctx, &e); err != nil {
								return err
							}
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			svc := contract.NewService(db, nil, func() time.Time { return now })
			us, err := svc.UsageAll(ctx, sys, now)
			ok(b, err)
			if len(us) != clients || us[0].Support == 0 {
				b.Fatalf("UsageAll: %d contracts, first %+v", len(us), us[0])
			}
			b.Run("all", func(b *testing.B) {
				for b.Loop() {
					if _, err := svc.UsageAll(ctx, sys, now); err != nil {
						b.Fatal(err)
					}
				}
			})
			// The 200 monthly contracts alone: what a month costs, without
			// the packs, which read their whole history since their start.
			zs, err := db.ContractsAround(ctx, sys, day(2026, 6, 15))
			ok(b, err)
			var monthly []contract.UsageWindow
			for _, z := range zs {
				if z.Contract.Support.Mode == contract.SupportMonthly {
					monthly = append(monthly, contract.Window(z.Contract, now, z.Location))
				}
			}
			b.Run("monthly sums", func(b *testing.B) {
				for b.Loop() {
					if _, err := db.UsageSums(ctx, monthly); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
