package reportdoc_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/i18n"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/reportdoc"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
)

type clients struct{ db *store.DB }

func (c clients) Get(ctx context.Context, s tenant.Scope, id int64) (client.Client, error) {
	return c.db.Client(ctx, s, id)
}

type prov struct{}

func (prov) Get(context.Context) (provider.Provider, error) {
	return provider.Provider{Name: "Infogérance Émeraude", Language: "fr"}, nil
}

type contracts struct{ availability float64 }

func (c contracts) InForce(context.Context, tenant.Scope, int64, time.Time) (contract.Contract, bool, error) {
	return contract.Contract{Reference: "C-1", Availability: c.availability}, c.availability > 0, nil
}

func TestGenerators(t *testing.T) {
	texts, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := t.Context()
			db, err := store.Open(ctx, testdb.URL(t, dialect), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			c := client.Client{Code: "ALPHA", Name: "Alpha SARL", TimeZone: "Europe/Paris", Language: "en"}
			if err := db.CreateClient(ctx, tenant.System(), &c); err != nil {
				t.Fatal(err)
			}
			tk := ticket.Ticket{ClientID: c.ID, Type: ticket.TypeIncident, Priority: 2, Title: "Serveur lent", Impact: 2, Urgency: 2, Level: "N1",
				Status: ticket.StatusNew, Created: time.Date(2026, 10, 13, 8, 0, 0, 0, time.UTC)}
			tk.Updated = tk.Created
			if err := db.CreateTicket(ctx, tenant.System(), &tk); err != nil {
				t.Fatal(err)
			}
			paris, _ := time.LoadLocation("Europe/Paris")
			now := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
			b := reportdoc.Builder{Store: db, Clients: clients{db}, Provider: prov{}, Contracts: contracts{99.5}, Texts: texts}
			for _, tc := range []struct {
				kind   string
				period report.Period
				name   string
				csv    func() []byte
			}{
				{report.DocDaily, report.Day(2026, 10, 13, paris), "daily-summary-ALPHA-2026-10-13", func() []byte {
					d, err := report.DailyFigures(ctx, db, c.ID, report.Day(2026, 10, 13, paris), now)
					if err != nil {
						t.Fatal(err)
					}
					return d.CSV()
				}},
				{report.DocMonthly, report.Month(2026, 10, paris), "report-ALPHA-2026-10", func() []byte {
					m, err := report.Figures(ctx, db, c.ID, report.Month(2026, 10, paris), now)
					if err != nil {
						t.Fatal(err)
					}
					return m.CSV()
				}},
				{report.DocAnnual, report.Year(2026, paris), "annual-report-ALPHA-2026", func() []byte {
					a, err := report.AnnualFigures(ctx, db, c.ID, report.Year(2026, paris), now)
					if err != nil {
						t.Fatal(err)
					}
					return a.CSV()
				}},
			} {
				t.Run(tc.kind, func(t *testing.T) {
					gen := b.Generators()[tc.kind]
					rq := report.Request{ClientID: c.ID, Period: tc.period, Now: now}
					doc, err := gen(ctx, rq)
					if err != nil {
						t.Fatal(err)
					}
					if doc.Name != tc.name || !bytes.HasPrefix(doc.PDF, []byte("%PDF-")) || !bytes.Equal(doc.CSV, tc.csv()) {
						t.Errorf("document %q, PDF %.8q, CSV matches the figures' %v", doc.Name, doc.PDF, bytes.Equal(doc.CSV, tc.csv()))
					}
					again, err := gen(ctx, rq)
					if err != nil || !bytes.Equal(again.PDF, doc.PDF) {
						t.Errorf("a second generation at the same instant differs (%v)", err)
					}
					rq.Lang = "fr"
					if fr, err := gen(ctx, rq); err != nil || fr.Name == doc.Name {
						t.Errorf("in French: %q, %v; want a French name", fr.Name, err)
					}
					// A period of another shape, an unknown client.
					bad := rq
					bad.Period = report.Range(time.Date(2026, 10, 1, 0, 0, 0, 0, paris), time.Date(2026, 10, 2, 0, 0, 0, 0, paris), paris)
					if _, err := gen(ctx, bad); !isInvalid(err, "period") {
						t.Errorf("a range: %v, want invalid period", err)
					}
					bad = rq
					bad.ClientID = c.ID + 99
					if _, err := gen(ctx, bad); !errors.Is(err, fault.ErrNotFound) {
						t.Errorf("unknown client: %v, want not found", err)
					}
				})
			}
		})
	}
}

func isInvalid(err error, field string) bool {
	v, ok := fault.AsInvalid(err)
	return ok && v.Has(field)
}
