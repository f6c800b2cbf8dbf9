package ticket_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/ticket"
)

// escalations records what the service asks to notify.
type escalations struct {
	mu  sync.Mutex
	got []ticket.Escalation
}

func (r *escalations) Escalated(_ context.Context, _ ticket.Ticket, e ticket.Escalation) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, e)
	return nil
}

func (e *env) setRules(t *testing.T, rules []ticket.EscalationRule) {
	t.Helper()
	ctx, s := e.as(t, e.manager)
	if err := e.svc.SaveServiceLevel(ctx, s, ticket.ServiceLevel{ClientID: e.A.ID, Rules: rules}); err != nil {
		t.Fatal(err)
	}
}

func TestEscalation(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		rec := &escalations{}
		e.svc.SetEscalator(rec)
		tina := e.techA.ID
		e.setRules(t, []ticket.EscalationRule{
			{Trigger: ticket.TriggerAtRisk, Clock: ticket.ClockTTR, Notify: true},
			{Trigger: ticket.TriggerBreached, RaiseLevel: "N2", ReassignTo: &tina, Notify: true},
		})
		// P1 created 09:00, not taken: TTO at risk 09:22:30, breached 09:30;
		// TTR at risk 12:00, breached 14:30.
		tk := e.create(t, e.adminA, ticket.Ticket{ClientID: e.A.ID, Title: "Messagerie en panne"})
		e.update(t, e.manager, tk.ID, ticket.Change{Impact: ptr(1), Urgency: ptr(1)})
		if len(rec.got) != 0 {
			t.Fatalf("escalated before any clock is at risk: %+v", rec.got)
		}
		// The TTO at risk matches no rule: nothing happens.
		e.now = march(2, 9, 25)
		if _, err := e.svc.CheckDue(t.Context(), 10); err != nil {
			t.Fatal(err)
		}
		if got := e.get(t, tk.ID); len(rec.got) != 0 || got.Level != "N1" || got.AssigneeID != nil {
			t.Fatalf("after TTO at risk: %+v, %+v", rec.got, got)
		}
		// TTO breached: raised to N2, given to Tina, Tina and the manager warned.
		e.now = march(2, 9, 31)
		if _, err := e.svc.CheckDue(t.Context(), 10); err != nil {
			t.Fatal(err)
		}
		got := e.get(t, tk.ID)
		if got.Level != "N2" || got.AssigneeID == nil || *got.AssigneeID != tina || got.Status != ticket.StatusAssigned {
			t.Fatalf("after TTO breach: level %s assignee %v status %s", got.Level, got.AssigneeID, got.Status)
		}
		if got.OwnedAt != nil {
			t.Errorf("a reassignment by escalation took the ticket in hand: owned at %v", got.OwnedAt)
		}
		want := ticket.Escalation{Trigger: ticket.TriggerBreached, Clock: ticket.ClockTTO, Recipients: []int64{tina, e.manager.ID}}
		if len(rec.got) != 1 || rec.got[0].Trigger != want.Trigger || rec.got[0].Clock != want.Clock || !slices.Equal(rec.got[0].Recipients, want.Recipients) {
			t.Fatalf("escalations = %+v, want %+v", rec.got, want)
		}
		// The next checks do not repeat it; the TTR at risk (12:00) notifies once.
		for _, at := range []time.Time{march(2, 10, 0), march(2, 12, 1), march(2, 12, 30)} {
			e.now = at
			if _, err := e.svc.CheckDue(t.Context(), 10); err != nil {
				t.Fatal(err)
			}
		}
		if len(rec.got) != 2 || rec.got[1].Trigger != ticket.TriggerAtRisk || rec.got[1].Clock != ticket.ClockTTR {
			t.Fatalf("escalations = %+v, want a second one for TTR at risk", rec.got)
		}
		_, events, err := e.svc.Timeline(t.Context(), e.manager.Scope(), tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, ev := range events {
			if ev.Kind == "escalated" {
				kinds = append(kinds, ev.To)
			}
		}
		if !slices.Equal(kinds, []string{"breached:tto", "at-risk:ttr"}) {
			t.Errorf("escalated events = %v", kinds)
		}
	})
}

func TestEscalationRulesValidation(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx, s := e.as(t, e.manager)
		techB := e.techB.ID
		client := e.adminA.ID
		for _, tc := range []struct {
			name  string
			rule  ticket.EscalationRule
			field string
		}{
			{"unknown trigger", ticket.EscalationRule{Trigger: "late", Notify: true}, "rules.0.trigger"},
			{"unknown clock", ticket.EscalationRule{Trigger: ticket.TriggerAtRisk, Clock: "ttx", Notify: true}, "rules.0.clock"},
			{"unknown level", ticket.EscalationRule{Trigger: ticket.TriggerAtRisk, RaiseLevel: "N4"}, "rules.0.raise_level"},
			{"does nothing", ticket.EscalationRule{Trigger: ticket.TriggerAtRisk}, "rules.0"},
			{"technician of another client", ticket.EscalationRule{Trigger: ticket.TriggerBreached, ReassignTo: &techB}, "rules.0.reassign_to"},
			{"client user", ticket.EscalationRule{Trigger: ticket.TriggerBreached, ReassignTo: &client}, "rules.0.reassign_to"},
		} {
			err := e.svc.SaveServiceLevel(ctx, s, ticket.ServiceLevel{ClientID: e.A.ID, Rules: []ticket.EscalationRule{tc.rule}})
			wantInvalid(t, tc.name, err, tc.field)
		}
		sl, _, err := e.svc.ServiceLevel(ctx, s, e.A.ID)
		if err != nil || len(sl.Rules) != 0 {
			t.Errorf("refused rules were stored: %+v, %v", sl.Rules, err)
		}
		// Rules round-trip through the store.
		e.setRules(t, []ticket.EscalationRule{{Trigger: ticket.TriggerAtRisk, Clock: ticket.ClockTTO, Notify: true, RaiseLevel: "N3"}})
		sl, _, err = e.svc.ServiceLevel(ctx, s, e.A.ID)
		if err != nil || len(sl.Rules) != 1 || sl.Rules[0].RaiseLevel != "N3" || sl.Rules[0].Clock != "tto" || !sl.Rules[0].Notify {
			t.Errorf("stored rules = %+v, %v", sl.Rules, err)
		}
	})
}
