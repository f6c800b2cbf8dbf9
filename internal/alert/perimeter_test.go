package alert_test

import (
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/supervision"
)

// TestIncidentOutOfPerimeter: an incident about a server that its client's
// contract does not cover (workstations only), or of a client without a
// contract, says so first, in the client's language, and the ticket is
// flagged with the reason and runs no clock; a covered server's incident
// says nothing of it and runs the contract's clock.
func TestIncidentOutOfPerimeter(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		mk := func(clientID int64, ref string, kinds []asset.Kind) {
			c := contract.Contract{ClientID: clientID, Reference: ref, Title: "Infogérance", Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
				State: contract.StateActive, Calendar: sla.AlwaysOpen().String(), Availability: 99.5,
				Targets:   map[sla.Priority]sla.Target{"P1": {TTO: 15 * time.Minute, TTR: 4 * time.Hour}, "P2": {TTO: 30 * time.Minute, TTR: 8 * time.Hour}},
				Perimeter: contract.Perimeter{Kinds: kinds}}
			must(t, c.Normalize())
			must(t, e.db.CreateContract(ctx, sys, &c))
		}
		mk(e.A.ID, "A-POSTES", []asset.Kind{asset.KindWorkstation})

		for _, c := range []struct {
			name   string
			srv    asset.Asset
			reason contract.ReasonCode
			text   string
		}{
			{"workstations-only contract", e.srvA, contract.ReasonKindNotIncluded, "Hors périmètre du contrat (type d’équipement non couvert par le contrat)"},
			{"no contract", e.srvB, contract.ReasonNoContract, "Out of the contract's perimeter (no contract in force)"},
		} {
			t.Run(c.name, func(t *testing.T) {
				chk := e.mkCheck(t, c.srv, "Disk / "+c.name, supervision.SeverityCritical, supervision.TicketOpen)
				e.down(t, chk, "DISK CRITICAL - / 97% used")
				id := e.linked(t, chk)
				if id == nil {
					t.Fatal("no incident opened")
				}
				tk := e.get(t, *id)
				if !strings.HasPrefix(tk.Description, c.text) {
					t.Errorf("description does not open with %q:\n%s", c.text, tk.Description)
				}
				if !tk.OutOfPerimeter || tk.PerimeterReason != string(c.reason) || tk.SLA.Covered {
					t.Errorf("incident: out %v (%q), SLA %+v", tk.OutOfPerimeter, tk.PerimeterReason, tk.SLA)
				}
			})
		}

		// B gets a contract covering every kind: its next incident is covered.
		mk(e.B.ID, "B-ALL", nil)
		chk := e.mkCheck(t, e.srvB, "Memory", supervision.SeverityCritical, supervision.TicketOpen)
		e.down(t, chk, "MEM CRITICAL")
		id := e.linked(t, chk)
		if id == nil {
			t.Fatal("no incident opened")
		}
		tk := e.get(t, *id)
		if strings.Contains(tk.Description, "perimeter") || tk.OutOfPerimeter || !tk.SLA.Covered || tk.ContractID == nil {
			t.Errorf("covered incident: out %v, SLA %+v, contract %v:\n%s", tk.OutOfPerimeter, tk.SLA, tk.ContractID, tk.Description)
		}
	})
}
