package store_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// TestMigrateServiceLevelToContract fills a database at version 13 (service
// levels on clients, no SLA contract) and checks that migration 14 gives each
// client with a service level and no contract an open-ended contract with its
// calendar and targets, starting before its first ticket, and leaves the
// others alone.
func TestMigrateServiceLevelToContract(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			requireDialect(t, d)
			ctx := t.Context()
			db, err := store.Open(ctx, testdb.URL(t, string(d)), nil)
			ok(t, err)
			t.Cleanup(func() { db.Close() })
			ok(t, store.MigrateTo(ctx, db, 13))

			migrated := mkClient(t, db, "MIG", "Migrated SARL")
			withContract := mkClient(t, db, "HAS", "Has Contract SAS")
			bare := mkClient(t, db, "BARE", "Bare SA")
			// Service levels as version 13 kept them, calendar and targets included.
			cal := `{"tz":"Europe/Paris","week":{"mon":["09:00-17:00"]}}`
			for _, id := range []int64{migrated.ID, withContract.ID} {
				ok(t, store.ExecForTest(ctx, db, `INSERT INTO service_levels (client_id, calendar, targets, at_risk_share, escalation, updated_at) VALUES (?, ?, ?, 0.8, '', ?)`,
					id, cal, `{"P1":{"tto":1800,"ttr":14400},"P3":{"tto":0,"ttr":144000}}`, m0))
			}
			own := mkContract(t, db, withContract.ID, "C-1", day(2026, 1, 1), nil)
			// A ticket imported with a date before the client's creation, late
			// in the UTC day: the contract must start the day before it.
			first := time.Date(2024, 3, 10, 23, 30, 0, 0, time.UTC)
			for _, c := range []struct {
				client  int64
				at      time.Time
				covered bool
			}{{migrated.ID, first, true}, {migrated.ID, first.Add(48 * time.Hour), false}, {bare.ID, first, false}} {
				ok(t, store.ExecForTest(ctx, db, `INSERT INTO tickets (client_id, type, title, impact, urgency, priority, status, created_at, updated_at, sla_covered, sla_due_order)
					VALUES (?, 'incident', 'Imprimante', 2, 2, 3, 'new', ?, ?, ?, ?)`, c.client, c.at, c.at, c.covered, time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)))
			}

			if _, err := db.Migrate(ctx); err != nil {
				t.Fatalf("migrate from 13: %v", err)
			}
			list := must(db.Contracts(ctx, sys, migrated.ID))(t)
			if len(list) != 1 {
				t.Fatalf("contracts of the migrated client = %d, want 1", len(list))
			}
			c := list[0]
			wantTargets := map[sla.Priority]sla.Target{"P1": {TTO: 30 * time.Minute, TTR: 4 * time.Hour}, "P3": {TTR: 40 * time.Hour}}
			if c.Reference != "SLA-REPRISE" || c.State != contract.StateActive || c.End != nil || c.Renewal.Kind != contract.RenewalNone ||
				c.Calendar != cal || !reflect.DeepEqual(c.Targets, wantTargets) || c.Availability != 99.5 || c.Support.Mode != contract.SupportNone ||
				c.RetentionYears != 5 || c.Title == "" {
				t.Errorf("migrated contract = %+v", c)
			}
			if want := day(2024, 3, 9); !c.Start.Equal(want) {
				t.Errorf("migrated contract starts %s, want %s (the day before the first ticket)", c.Start.Format(time.DateOnly), want.Format(time.DateOnly))
			}
			if got, ok := contract.InForce(list, first, time.FixedZone("UTC-11", -11*3600)); !ok || got.ID != c.ID {
				t.Errorf("migrated contract not in force at the first ticket's creation west of UTC")
			}
			if got := must(db.Contracts(ctx, sys, withContract.ID))(t); len(got) != 1 || got[0].ID != own.ID {
				t.Errorf("a client with a contract got another one: %+v", got)
			}
			if got := must(db.Contracts(ctx, sys, bare.ID))(t); len(got) != 0 {
				t.Errorf("a client without a service level got a contract: %+v", got)
			}
			// Open tickets are due for a check, which computes their perimeter.
			due, err := db.DueForCheck(ctx, time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), 10)
			if err != nil || len(due) != 3 {
				t.Errorf("tickets due for a check after migration = %d, %v, want the 3 open ones", len(due), err)
			}
			// The covered ticket follows the new contract; none is out of perimeter.
			n := must(store.QueryInt64ForTest(ctx, db, `SELECT COUNT(*) FROM tickets WHERE contract_id = ?`, c.ID))(t)
			if n != 1 {
				t.Errorf("tickets following the migrated contract = %d, want 1", n)
			}
			n = must(store.QueryInt64ForTest(ctx, db, `SELECT COUNT(*) FROM tickets WHERE out_of_perimeter OR perimeter_reason <> ''`))(t)
			if n != 0 {
				t.Errorf("tickets out of perimeter after migration = %d, want 0", n)
			}
		})
	}
}

// TestTicketContractColumns: the perimeter flag, its reason and the
// contract of a ticket round-trip, the list filters on the flag, and
// saving a service level leaves its old calendar and targets columns alone.
func TestTicketContractColumns(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			requireDialect(t, d)
			db := newTestDB(t, d)
			ctx := t.Context()
			w := newWorld(t, db)
			c := mkContract(t, db, w.A.ID, "C-1", day(2026, 1, 1), nil)
			in := ticket.Ticket{ClientID: w.A.ID, Type: ticket.TypeIncident, Title: "Dans le périmètre", Impact: 2, Urgency: 2, Priority: ticket.P3, Status: ticket.StatusNew, ContractID: &c.ID}
			out := ticket.Ticket{ClientID: w.A.ID, Type: ticket.TypeIncident, Title: "Serveur hors périmètre", Impact: 2, Urgency: 2, Priority: ticket.P3, Status: ticket.StatusNew,
				ContractID: &c.ID, OutOfPerimeter: true, PerimeterReason: string(contract.ReasonKindNotIncluded)}
			ok(t, db.CreateTicket(ctx, sys, &in))
			ok(t, db.CreateTicket(ctx, sys, &out))
			got := must(db.Ticket(ctx, sys, out.ID))(t)
			if !got.OutOfPerimeter || got.PerimeterReason != "kind_not_included" || got.ContractID == nil || *got.ContractID != c.ID {
				t.Errorf("stored ticket = out %v (%q), contract %v", got.OutOfPerimeter, got.PerimeterReason, got.ContractID)
			}
			got.OutOfPerimeter, got.PerimeterReason, got.ContractID = false, "manual", nil
			ok(t, db.UpdateTicket(ctx, sys, &got))
			if got := must(db.Ticket(ctx, sys, out.ID))(t); got.OutOfPerimeter || got.PerimeterReason != "manual" || got.ContractID != nil {
				t.Errorf("updated ticket = out %v (%q), contract %v", got.OutOfPerimeter, got.PerimeterReason, got.ContractID)
			}
			got.OutOfPerimeter = true
			ok(t, db.UpdateTicket(ctx, sys, &got))
			list, _, err := db.Tickets(ctx, sys, ticket.Filter{OutOfPerimeter: true, Limit: 10})
			if err != nil || len(list) != 1 || list[0].ID != out.ID {
				t.Errorf("filter out_of_perimeter = %+v, %v", list, err)
			}
			if at, found, err := db.ContractAt(ctx, w.A.ID, time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC)); err != nil || !found || at.ID != c.ID {
				t.Errorf("ContractAt 1 January 00:30 in Paris = %v %v %v, want the contract", at.ID, found, err)
			}
			if _, found, err := db.ContractAt(ctx, w.A.ID, time.Date(2025, 12, 31, 22, 30, 0, 0, time.UTC)); err != nil || found {
				t.Errorf("ContractAt 31 December in Paris = %v %v, want none", found, err)
			}
			// The old columns of a service level survive a save.
			ok(t, store.ExecForTest(ctx, db, `INSERT INTO service_levels (client_id, calendar, targets, escalation, updated_at) VALUES (?, 'old', '{"P1":{"tto":60,"ttr":60}}', '', ?)`, w.B.ID, m0))
			ok(t, db.SaveServiceLevel(ctx, ticket.ServiceLevel{ClientID: w.B.ID, Escalation: "Appeler Bob", Updated: m0}))
			if n := must(store.QueryInt64ForTest(ctx, db, `SELECT COUNT(*) FROM service_levels WHERE client_id = ? AND calendar = 'old' AND targets LIKE '%tto%' AND escalation = 'Appeler Bob'`, w.B.ID))(t); n != 1 {
				t.Errorf("saving a service level rewrote its old calendar and targets")
			}
		})
	}
}
