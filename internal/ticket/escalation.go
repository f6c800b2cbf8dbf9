package ticket

import (
	"context"
	"fmt"
	"slices"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/sla"
)

// Trigger is the SLA condition that sets off an escalation rule.
type Trigger string

// Triggers.
const (
	TriggerAtRisk   Trigger = "at-risk"  // a clock passed the at-risk share of its target
	TriggerBreached Trigger = "breached" // a clock passed its target
)

// Clocks an escalation rule may watch ("" watches both).
const (
	ClockTTO = "tto"
	ClockTTR = "ttr"
)

// MaxEscalationRules bounds the rules of one service level.
const MaxEscalationRules = 10

// EscalationRule says what happens to a client's ticket when one of its SLA
// clocks becomes at risk or breached. Each trigger of each clock escalates a
// ticket once: the timeline records it and a later check does not repeat it.
type EscalationRule struct {
	Trigger Trigger `json:"trigger"`
	// Clock is "tto", "ttr" or "" for either.
	Clock string `json:"clock"`
	// Notify e-mails the assignee and the managers who look after the client.
	Notify bool `json:"notify"`
	// RaiseLevel raises the support level to at least N2 or N3 ("" leaves it).
	RaiseLevel string `json:"raise_level"`
	// ReassignTo gives the ticket to this staff user (nil leaves it).
	ReassignTo *int64 `json:"reassign_to"`
}

// Escalation is what an escalation notifier is told: the trigger, the clock
// and the staff users to warn.
type Escalation struct {
	Trigger    Trigger
	Clock      string
	Recipients []int64
}

// Escalator warns staff about an escalated ticket (package helpdeskmail). It
// runs inside the change's transaction.
type Escalator interface {
	Escalated(ctx context.Context, t Ticket, e Escalation) error
}

// SetEscalator makes escalation rules that notify send their messages.
func (svc *Service) SetEscalator(e Escalator) { svc.escalator = e }

// validateRules checks the escalation rules of a service level.
func validateRules(rules []EscalationRule, v *fault.Invalid) {
	if len(rules) > MaxEscalationRules {
		v.Add("rules", "too_many", MaxEscalationRules)
		return
	}
	for i, r := range rules {
		field := fmt.Sprintf("rules.%d", i)
		if r.Trigger != TriggerAtRisk && r.Trigger != TriggerBreached {
			v.Add(field+".trigger", "invalid_choice")
		}
		if r.Clock != "" && r.Clock != ClockTTO && r.Clock != ClockTTR {
			v.Add(field+".clock", "invalid_choice")
		}
		if r.RaiseLevel != "" && r.RaiseLevel != "N2" && r.RaiseLevel != "N3" {
			v.Add(field+".raise_level", "invalid_choice")
		}
		if !r.Notify && r.RaiseLevel == "" && r.ReassignTo == nil {
			v.Add(field, "rule_does_nothing")
		}
	}
}

// levelRank orders support levels; an unknown level ranks lowest.
func levelRank(l string) int { return slices.Index([]string{"N1", "N2", "N3"}, l) }

// escalate applies the client's escalation rules to the SLA state of t,
// once per trigger and clock, recording each in the timeline. It reports
// whether it changed the ticket's assignee or level.
func (svc *Service) escalate(ctx context.Context, t *Ticket, sl ServiceLevel, state sla.State, events []Event) (bool, error) {
	if len(sl.Rules) == 0 {
		return false, nil
	}
	done := map[string]bool{}
	for _, e := range events {
		if e.Kind == "escalated" {
			done[e.To] = true
		}
	}
	changed := false
	for _, c := range []struct {
		name  string
		clock sla.Measure
	}{{ClockTTO, state.TTO}, {ClockTTR, state.TTR}} {
		if c.clock.Stopped {
			continue
		}
		for _, trig := range []Trigger{TriggerAtRisk, TriggerBreached} {
			on := c.clock.AtRisk && !c.clock.Breached
			if trig == TriggerBreached {
				on = c.clock.Breached
			}
			key := string(trig) + ":" + c.name
			if !on || done[key] {
				continue
			}
			var rules []EscalationRule
			for _, r := range sl.Rules {
				if r.Trigger == trig && (r.Clock == "" || r.Clock == c.name) {
					rules = append(rules, r)
				}
			}
			if len(rules) == 0 {
				continue
			}
			ch, err := svc.applyRules(ctx, t, trig, c.name, rules)
			if err != nil {
				return false, err
			}
			changed = changed || ch
			if err := svc.event(ctx, t, "escalated", "", key, false); err != nil {
				return false, err
			}
		}
	}
	return changed, nil
}

// applyRules carries out the rules of one trigger: reassignment and level
// first, so that the notification goes to the new assignee.
func (svc *Service) applyRules(ctx context.Context, t *Ticket, trig Trigger, clock string, rules []EscalationRule) (bool, error) {
	changed, notify := false, false
	for _, r := range rules {
		notify = notify || r.Notify
		if r.RaiseLevel != "" && levelRank(r.RaiseLevel) > levelRank(t.Level) {
			if err := svc.event(ctx, t, "level", t.Level, r.RaiseLevel, false); err != nil {
				return false, err
			}
			t.Level, changed = r.RaiseLevel, true
		}
		if r.ReassignTo != nil && !sameID(t.AssigneeID, r.ReassignTo) {
			name, err := svc.staff.StaffMember(ctx, *r.ReassignTo, t.ClientID)
			if err != nil {
				// The user left or lost the client since the rule was
				// written: the other actions still apply.
				svc.log.Warn("escalation: cannot reassign", "ticket", t.ID, "user", *r.ReassignTo, "err", err)
				continue
			}
			to := *r.ReassignTo
			if err := svc.event(ctx, t, "assignee", idText(t.AssigneeID), name, true); err != nil {
				return false, err
			}
			t.AssigneeID, changed = &to, true
			if t.Status == StatusNew {
				if err := svc.setStatus(ctx, t, StatusAssigned, svc.clock()); err != nil {
					return false, err
				}
			}
		}
	}
	if !notify || svc.escalator == nil {
		return changed, nil
	}
	managers, err := svc.staff.Managers(ctx, t.ClientID)
	if err != nil {
		return false, fmt.Errorf("managers of client %d: %w", t.ClientID, err)
	}
	var to []int64
	if t.AssigneeID != nil {
		to = append(to, *t.AssigneeID)
	}
	for _, m := range managers {
		if !slices.Contains(to, m) {
			to = append(to, m)
		}
	}
	if len(to) == 0 {
		return changed, nil
	}
	return changed, svc.escalator.Escalated(ctx, *t, Escalation{Trigger: trig, Clock: clock, Recipients: to})
}
