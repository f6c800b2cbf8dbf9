package ticket_test

import (
	"errors"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// TestClockFollowsContract: a ticket's clock is the one of the contract in
// force at its creation, in the client's time zone, and stays so after the
// next contract starts with other hours and targets.
func TestClockFollowsContract(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		// B: a first contract until Tuesday 10 March (business hours, P1
		// 30 min / 4 h), then one open around the clock (P1 1 h / 2 h).
		end := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
		first := e.mkContract(t, e.B.ID, "B-1", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), &end, ticket.DefaultCalendar,
			map[sla.Priority]sla.Target{"P1": {TTO: 30 * time.Minute, TTR: 4 * time.Hour}})
		second := e.mkContract(t, e.B.ID, "B-2", time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC), nil, sla.AlwaysOpen().String(),
			map[sla.Priority]sla.Target{"P1": {TTO: time.Hour, TTR: 2 * time.Hour}})

		// Monday 2 March 09:00: the first contract's business hours.
		old := e.create(t, e.manager, ticket.Ticket{ClientID: e.B.ID, Impact: 1, Urgency: 1})
		if old.ContractID == nil || *old.ContractID != first.ID || old.OutOfPerimeter {
			t.Fatalf("ticket under the first contract: contract %v, out %v", old.ContractID, old.OutOfPerimeter)
		}
		wantTime(t, "TTR due under the first contract", old.SLA.TTRDue, march(2, 14, 30))

		// Wednesday 11 March 00:30 Paris is still 10 March in UTC: the
		// date is the client's, so the second contract applies, round the clock.
		e.now = march(11, 0, 30)
		night := e.create(t, e.manager, ticket.Ticket{ClientID: e.B.ID, Impact: 1, Urgency: 1})
		if night.ContractID == nil || *night.ContractID != second.ID {
			t.Fatalf("ticket of 11 March 00:30 Paris follows contract %v, want %d", night.ContractID, second.ID)
		}
		wantTime(t, "TTO due under the second contract", night.SLA.TTODue, march(11, 1, 30))
		wantTime(t, "TTR due under the second contract", night.SLA.TTRDue, march(11, 2, 30))

		// The old ticket, changed now, keeps the first contract's clock.
		got := e.update(t, e.manager, old.ID, ticket.Change{Title: ptr("Serveur de fichiers : disque HS")})
		if got.ContractID == nil || *got.ContractID != first.ID {
			t.Errorf("old ticket moved to contract %v", got.ContractID)
		}
		wantTime(t, "TTR breached at (first contract)", got.SLA.TTRBreachAt, march(2, 14, 30))
	})
}

// TestNoContractNoClock: without a contract in force a ticket has no clock
// and is out of perimeter ("no_contract"), with or without assets.
func TestNoContractNoClock(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		tk := e.create(t, e.manager, ticket.Ticket{ClientID: e.B.ID, Impact: 1, Urgency: 1})
		got := e.get(t, tk.ID)
		if got.SLA != (ticket.SLA{}) || got.ContractID != nil || !got.OutOfPerimeter || got.PerimeterReason != string(contract.ReasonNoContract) {
			t.Errorf("ticket without contract = SLA %+v, contract %v, out %v (%q)", got.SLA, got.ContractID, got.OutOfPerimeter, got.PerimeterReason)
		}
		// A's contract started on 1 January: a ticket of A from before has none.
		e.now = time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC) // 1 January 00:30 in Paris: covered
		if tk := e.create(t, e.manager, ticket.Ticket{ClientID: e.A.ID}); tk.ContractID == nil || tk.OutOfPerimeter {
			t.Errorf("ticket of 1 January 00:30 Paris: contract %v, out %v", tk.ContractID, tk.OutOfPerimeter)
		}
		e.now = time.Date(2025, 12, 31, 22, 30, 0, 0, time.UTC) // 31 December 23:30 in Paris
		if tk := e.create(t, e.manager, ticket.Ticket{ClientID: e.A.ID}); tk.ContractID != nil || !tk.OutOfPerimeter || tk.SLA.Covered {
			t.Errorf("ticket of 31 December in Paris: contract %v, out %v, SLA %+v", tk.ContractID, tk.OutOfPerimeter, tk.SLA)
		}
	})
}

// TestOutOfPerimeter: a contract covering workstations only: a ticket about
// a server is out of perimeter, without clock, listed by the filter; its
// assets changing moves it in or out, recorded in the timeline; helpdesk
// admins override the flag, audited, until the assets change again.
func TestOutOfPerimeter(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		sys := tenant.System()
		e.mkContract(t, e.B.ID, "B-POSTES", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nil, ticket.DefaultCalendar,
			map[sla.Priority]sla.Target{"P1": {TTO: 30 * time.Minute, TTR: 4 * time.Hour}})
		c, _, err := e.db.ContractAt(ctx, e.B.ID, e.now)
		if err != nil {
			t.Fatal(err)
		}
		c.Perimeter.Kinds = []asset.Kind{asset.KindWorkstation}
		if err := e.db.UpdateContract(ctx, sys, &c); err != nil {
			t.Fatal(err)
		}
		mk := func(kind asset.Kind, name string) asset.Asset {
			a := asset.Asset{ClientID: e.B.ID, Kind: kind, Name: name, Criticality: asset.CriticalityNormal, Fields: map[string]string{}}
			if err := e.db.CreateAsset(ctx, sys, &a); err != nil {
				t.Fatal(err)
			}
			return a
		}
		pc, srv := mk(asset.KindWorkstation, "pc-accueil"), mk(asset.KindServer, "srv-fichiers")

		out := e.create(t, e.manager, ticket.Ticket{ClientID: e.B.ID, Impact: 1, Urgency: 1, AssetIDs: []int64{pc.ID, srv.ID}})
		if got := e.get(t, out.ID); !got.OutOfPerimeter || got.PerimeterReason != string(contract.ReasonKindNotIncluded) || got.SLA.Covered ||
			got.ContractID == nil || *got.ContractID != c.ID {
			t.Fatalf("ticket about a server = out %v (%q), SLA %+v, contract %v", got.OutOfPerimeter, got.PerimeterReason, got.SLA, got.ContractID)
		}
		in := e.create(t, e.manager, ticket.Ticket{ClientID: e.B.ID, Impact: 1, Urgency: 1, AssetIDs: []int64{pc.ID}})
		none := e.create(t, e.manager, ticket.Ticket{ClientID: e.B.ID, Impact: 1, Urgency: 1})
		for _, tk := range []ticket.Ticket{in, none} {
			if got := e.get(t, tk.ID); got.OutOfPerimeter || got.PerimeterReason != "" || !got.SLA.Covered {
				t.Errorf("ticket %d (workstation or no asset) = out %v (%q), SLA %+v", tk.ID, got.OutOfPerimeter, got.PerimeterReason, got.SLA)
			}
		}
		list, _, err := e.svc.List(ctx, sys, ticket.Filter{ClientID: e.B.ID, OutOfPerimeter: true})
		if err != nil || len(list) != 1 || list[0].ID != out.ID || !list[0].OutOfPerimeter {
			t.Errorf("out-of-perimeter filter = %+v, %v", list, err)
		}

		// The server is linked to the covered ticket: out, in the timeline.
		e.now = march(2, 9, 5)
		got := e.update(t, e.manager, in.ID, ticket.Change{AssetIDs: &[]int64{pc.ID, srv.ID}})
		if !got.OutOfPerimeter || got.SLA.Covered {
			t.Errorf("after linking the server: out %v, SLA %+v", got.OutOfPerimeter, got.SLA)
		}
		wantEvent(t, e, in.ID, "in", "out:kind_not_included")

		// Override: a technician may not; a manager (helpdesk admin) may.
		tctx, ts := e.as(t, e.techB)
		if _, err := e.svc.SetPerimeter(tctx, ts, out.ID, false); !errors.Is(err, fault.ErrForbidden) {
			t.Errorf("SetPerimeter by a technician = %v, want ErrForbidden", err)
		}
		mctx, ms := e.as(t, e.manager)
		back, err := e.svc.SetPerimeter(mctx, ms, out.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if back.OutOfPerimeter || back.PerimeterReason != ticket.PerimeterManual || !back.SLA.Covered {
			t.Errorf("after the override: out %v (%q), SLA %+v", back.OutOfPerimeter, back.PerimeterReason, back.SLA)
		}
		wantEvent(t, e, out.ID, "out:kind_not_included", "in:manual")
		var n int
		if err := e.db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'ticket.perimeter'`).Scan(&n); err != nil || n != 1 {
			t.Errorf("audit entries of the override = %d, %v", n, err)
		}
		// The decision holds through checks and other changes…
		e.now = march(2, 16, 0)
		if _, err := e.svc.CheckDue(ctx, 10); err != nil {
			t.Fatal(err)
		}
		if got := e.get(t, out.ID); got.OutOfPerimeter || got.PerimeterReason != ticket.PerimeterManual {
			t.Errorf("override undone by a check: out %v (%q)", got.OutOfPerimeter, got.PerimeterReason)
		}
		// …until the assets change.
		got = e.update(t, e.manager, out.ID, ticket.Change{AssetIDs: &[]int64{srv.ID}})
		if !got.OutOfPerimeter || got.PerimeterReason != string(contract.ReasonKindNotIncluded) {
			t.Errorf("after the assets changed: out %v (%q)", got.OutOfPerimeter, got.PerimeterReason)
		}
	})
}

// wantEvent fails unless the ticket's timeline has a perimeter event from → to.
func wantEvent(t *testing.T, e *env, id int64, from, to string) {
	t.Helper()
	_, events, err := e.svc.Timeline(t.Context(), tenant.System(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if ev.Kind == "perimeter" && ev.From == from && ev.To == to {
			return
		}
	}
	t.Errorf("no perimeter event %s → %s in %+v", from, to, events)
}
