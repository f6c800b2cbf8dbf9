package ticket_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/ticket"
)

func TestBulkUpdate(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		a1 := e.create(t, e.adminA, ticket.Ticket{ClientID: e.A.ID, Title: "un"})
		a2 := e.create(t, e.adminA, ticket.Ticket{ClientID: e.A.ID, Title: "deux"})
		b1 := e.create(t, e.adminB, ticket.Ticket{ClientID: e.B.ID, Title: "trois"})
		tina := &e.techA.ID
		ctx, s := e.as(t, e.manager)
		// Tina may take A's tickets, not B's: B's is refused, the others changed.
		res, err := e.svc.BulkUpdate(ctx, s, []int64{a1.ID, a2.ID, b1.ID, a1.ID, 99999}, ticket.Change{AssigneeID: &tina, Level: ptr("N2")})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 4 {
			t.Fatalf("results %+v: want one per distinct id", res)
		}
		for i, want := range []struct {
			id  int64
			err string
		}{{a1.ID, ""}, {a2.ID, ""}, {b1.ID, "invalid"}, {99999, "notfound"}} {
			r := res[i]
			_, invalid := fault.AsInvalid(r.Err)
			switch {
			case r.ID != want.id:
				t.Errorf("result %d is #%d, want #%d", i, r.ID, want.id)
			case want.err == "" && r.Err != nil, want.err == "invalid" && !invalid, want.err == "notfound" && !errors.Is(r.Err, fault.ErrNotFound):
				t.Errorf("#%d: err %v, want %s", r.ID, r.Err, want.err)
			}
		}
		for _, id := range []int64{a1.ID, a2.ID} {
			if got := e.get(t, id); got.AssigneeID == nil || *got.AssigneeID != e.techA.ID || got.Level != "N2" || got.Status != ticket.StatusAssigned {
				t.Errorf("#%d after bulk: %+v", id, got)
			}
		}
		if got := e.get(t, b1.ID); got.AssigneeID != nil || got.Level != "N1" {
			t.Errorf("refused #%d changed: %+v", b1.ID, got)
		}
		// A technician limited to A sees B's ticket as missing.
		tctx, ts := e.as(t, e.techA)
		res, err = e.svc.BulkUpdate(tctx, ts, []int64{b1.ID}, ticket.Change{Level: ptr("N3")})
		if err != nil || len(res) != 1 || !errors.Is(res[0].Err, fault.ErrNotFound) {
			t.Errorf("limited technician on B: %+v, %v", res, err)
		}
		// Refused whole: clients, an empty change, no ids.
		cctx, cs := e.as(t, e.adminA)
		if _, err := e.svc.BulkUpdate(cctx, cs, []int64{a1.ID}, ticket.Change{Level: ptr("N3")}); !errors.Is(err, fault.ErrForbidden) {
			t.Errorf("client admin: %v", err)
		}
		_, err = e.svc.BulkUpdate(ctx, s, []int64{a1.ID}, ticket.Change{})
		wantInvalid(t, "empty change", err, "change")
		_, err = e.svc.BulkUpdate(ctx, s, nil, ticket.Change{Level: ptr("N3")})
		wantInvalid(t, "no ids", err, "ids")
	})
}

// statusNotes records the status changes the service reports.
type statusNotes struct{ got []string }

func (n *statusNotes) TicketCreated(context.Context, ticket.Ticket) error                { return nil }
func (n *statusNotes) PublicReply(context.Context, ticket.Ticket, ticket.Followup) error { return nil }
func (n *statusNotes) Resolved(context.Context, ticket.Ticket) error                     { return nil }
func (n *statusNotes) StatusChanged(_ context.Context, t ticket.Ticket, from ticket.Status) error {
	n.got = append(n.got, string(from)+">"+string(t.Status))
	return nil
}

func TestStatusChangeNotified(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := &statusNotes{}
		e.svc.SetNotifier(n)
		tk := e.create(t, e.carlU, ticket.Ticket{ClientID: e.A.ID})
		e.update(t, e.manager, tk.ID, ticket.Change{Status: ptr(ticket.StatusWaitingClient)})
		e.reply(t, e.carlU, tk.ID, "Voici la capture.", true) // the client's reply resumes it: no message about its own act
		e.update(t, e.manager, tk.ID, ticket.Change{Status: ptr(ticket.StatusResolved)})
		if want := []string{"new>waiting-for-client"}; !slices.Equal(n.got, want) {
			t.Errorf("status changes notified = %v, want %v", n.got, want)
		}
	})
}
