package ticket

import (
	"context"
	"errors"
	"fmt"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// PerimeterManual is the PerimeterReason of a ticket whose flag staff set
// by hand (SetPerimeter). The helpdesk keeps it until the ticket's assets
// change, when the perimeter is computed again.
const PerimeterManual = "manual"

// perimeterText is how a perimeter state shows in the timeline: "in", or
// "out:<reason>"; a manual decision is "in:manual" or "out:manual".
func perimeterText(out bool, reason string) string {
	switch {
	case out:
		return "out:" + reason
	case reason != "":
		return "in:" + reason
	}
	return "in"
}

// perimeter sets t.ContractID to the contract in force at t's creation and,
// unless staff decided it by hand, t.OutOfPerimeter and t.PerimeterReason:
// out with "no_contract" without a contract in force, out with the reason
// of the first linked asset the contract's perimeter does not cover, in
// otherwise (a ticket about no asset is in). It returns the contract.
func (svc *Service) perimeter(ctx context.Context, t *Ticket) (contract.Contract, bool, error) {
	c, found, err := svc.store.ContractAt(ctx, t.ClientID, t.Created)
	if err != nil {
		return contract.Contract{}, false, err
	}
	t.ContractID = nil
	if found {
		id := c.ID
		t.ContractID = &id
	}
	if t.PerimeterReason == PerimeterManual {
		return c, found, nil
	}
	out, reason := false, ""
	if !found {
		out, reason = true, string(contract.ReasonNoContract)
	} else {
		assets, err := svc.store.TicketAssets(ctx, t.ID)
		if err != nil {
			return contract.Contract{}, false, err
		}
		for _, a := range assets {
			facts, err := svc.store.AssetFacts(ctx, tenant.System(), a.ID)
			if errors.Is(err, fault.ErrNotFound) {
				continue
			}
			if err != nil {
				return contract.Contract{}, false, fmt.Errorf("read asset %d for the perimeter: %w", a.ID, err)
			}
			if cov := contract.CoverageOf(c, true, facts); !cov.In {
				out, reason = true, string(cov.Reason.Code)
				break
			}
		}
	}
	t.OutOfPerimeter, t.PerimeterReason = out, reason
	return c, found, nil
}

// SetPerimeter lets staff with helpdesk admin rights decide by hand whether
// a ticket is out of its contract's perimeter (a server the contract does
// not name but the provider agreed to look after, work billed although the
// asset is covered). The decision is audited and shown in the timeline; it
// holds until the ticket's assets change. An out-of-perimeter ticket has no
// contractual clock.
func (svc *Service) SetPerimeter(ctx context.Context, s tenant.Scope, id int64, out bool) (Ticket, error) {
	var res Ticket
	err := svc.store.InTx(ctx, func(ctx context.Context) error {
		t, err := svc.store.Ticket(ctx, s, id)
		if err != nil {
			return err
		}
		if !s.Staff() || !s.CanOn(tenant.HelpdeskAdmin, t.ClientID) {
			return fault.ErrForbidden
		}
		from := perimeterText(t.OutOfPerimeter, t.PerimeterReason)
		t.OutOfPerimeter, t.PerimeterReason = out, PerimeterManual
		to := perimeterText(t.OutOfPerimeter, t.PerimeterReason)
		if from == to {
			res = t
			return nil
		}
		if err := svc.event(ctx, &t, "perimeter", from, to, false); err != nil {
			return err
		}
		t.Updated = svc.clock()
		if err := svc.refreshSLA(ctx, &t); err != nil {
			return err
		}
		if err := svc.store.UpdateTicket(ctx, s, &t); err != nil {
			return fmt.Errorf("update ticket %d: %w", id, err)
		}
		res = t
		return svc.journal.Record(ctx, audit.Entry{ClientID: &t.ClientID, Action: "ticket.perimeter", Object: audit.Object("ticket", t.ID), Summary: from + " → " + to})
	})
	return res, err
}

// ContractsChanged makes the open tickets of a client due for an SLA check
// now: a contract created, changed or deleted may change which contract is
// in force at their creation, its clock and its perimeter (contract.Hook).
func (svc *Service) ContractsChanged(ctx context.Context, clientID int64) error {
	if err := svc.store.ScheduleSLACheck(ctx, clientID, svc.clock()); err != nil {
		return fmt.Errorf("schedule sla checks of client %d: %w", clientID, err)
	}
	return nil
}
