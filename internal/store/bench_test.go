package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// BenchmarkListClients lists a page of 50 among 1,000 clients: the first
// page, a page deep in the cursor, a search, and the first page of a
// technician limited to 100 clients.
func BenchmarkListClients(b *testing.B) {
	for _, d := range dialects {
		b.Run(string(d), func(b *testing.B) {
			requireDialect(b, d)
			db := newTestDB(b, d)
			ctx := context.Background()
			var limited []int64
			err := db.InTx(ctx, func(ctx context.Context) error {
				for i := range 1000 {
					c := client.Client{Code: fmt.Sprintf("C%04d", i), Name: fmt.Sprintf("Client %04d Industries", i), TimeZone: "Europe/Paris", Language: "fr"}
					if err := db.CreateClient(ctx, tenant.System(), &c); err != nil {
						return err
					}
					if i%10 == 0 {
						limited = append(limited, c.ID)
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			tech := tenant.Scope{UserID: 1, Role: tenant.RoleTechnician, Clients: limited}
			for _, bc := range []struct {
				name string
				s    tenant.Scope
				f    client.Filter
				want int
			}{
				{"page", tenant.System(), client.Filter{Limit: 50}, 50},
				{"page after 900", tenant.System(), client.Filter{After: 900, Limit: 50}, 50},
				// "12" is in C0012, C0112…C0912 and C0120…C0129: 20 clients.
				{"search", tenant.System(), client.Filter{Query: "12", Limit: 50}, 20},
				{"scoped 100", tech, client.Filter{Limit: 50}, 50},
			} {
				b.Run(bc.name, func(b *testing.B) {
					benchList(b, db, bc.s, bc.f, bc.want)
				})
			}
		})
	}
}

func benchList(b *testing.B, db *store.DB, s tenant.Scope, f client.Filter, want int) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		l, err := db.Clients(ctx, s, f)
		if err != nil {
			b.Fatal(err)
		}
		if len(l) != want {
			b.Fatalf("got %d clients, want %d", len(l), want)
		}
	}
}
