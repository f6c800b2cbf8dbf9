package ticket

import (
	"fmt"
	"time"

	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/sla"
)

// Settings are the provider's helpdesk settings.
type Settings struct {
	// Matrix gives the priority of impact i and urgency u at Matrix[i-1][u-1]
	// (1 = high, 3 = low).
	Matrix [3][3]Priority `json:"matrix"`
	// ReopenDays is how long after resolution the client may reopen (0: never).
	ReopenDays int `json:"reopen_days"`
	// CloseDays closes resolved tickets automatically after this many days (0: never).
	CloseDays int `json:"close_days"`
}

// DefaultSettings is the ITIL matrix, reopening within 7 days, closing after 14.
func DefaultSettings() Settings {
	return Settings{
		Matrix:     [3][3]Priority{{P1, P2, P3}, {P2, P3, P4}, {P3, P4, P4}},
		ReopenDays: 7,
		CloseDays:  14,
	}
}

// PriorityOf returns the priority of an impact and an urgency (1–3 each).
func (st Settings) PriorityOf(impact, urgency int) Priority {
	if impact < 1 || impact > 3 || urgency < 1 || urgency > 3 {
		return P3
	}
	return st.Matrix[impact-1][urgency-1]
}

// Validate checks the settings.
func (st Settings) Validate() error {
	var v fault.Invalid
	for i := range st.Matrix {
		for j := range st.Matrix[i] {
			if !st.Matrix[i][j].Valid() {
				v.Add(fmt.Sprintf("matrix.%d.%d", i+1, j+1), "invalid_choice")
			}
		}
	}
	if st.ReopenDays < 0 || st.ReopenDays > 365 {
		v.Add("reopen_days", "out_of_range", 365)
	}
	if st.CloseDays < 0 || st.CloseDays > 365 {
		v.Add("close_days", "out_of_range", 365)
	}
	return v.Err()
}

// ServiceLevel is how the helpdesk works for a client: when a clock is at
// risk, which statuses pause it, whom to call and how tickets escalate. What
// is owed (business hours and targets per priority) is the contract in force
// at a ticket's creation (package contract); the service_levels columns
// calendar and targets are kept in the database but no longer read.
type ServiceLevel struct {
	ClientID int64 `json:"client_id"`
	// AtRiskShare is the share of a target after which a clock is at risk (0: 75%).
	AtRiskShare float64 `json:"at_risk_share"`
	// PauseStatuses pause the time to resolve (nil: both waiting statuses).
	PauseStatuses []Status `json:"pause_statuses"`
	// Escalation is free text shown on every ticket of the client: whom to
	// call, when.
	Escalation string `json:"escalation"`
	// Rules escalate tickets whose clocks become at risk or breached.
	Rules   []EscalationRule `json:"rules"`
	Updated time.Time        `json:"updated_at"`
}

// PolicyOf returns the sla.Policy of a ticket under contract c: the
// contract's business hours and targets (a priority without one has no
// promise: sla measures a zero target but never puts it at risk nor in
// breach), with the at-risk share and pause statuses of the client's
// helpdesk service level.
func PolicyOf(c contract.Contract, sl ServiceLevel) (sla.Policy, error) {
	p, err := c.Policy()
	if err != nil {
		return sla.Policy{}, err
	}
	p.AtRiskShare = sl.AtRiskShare
	if sl.PauseStatuses != nil {
		p.PauseStatuses = map[sla.Status]bool{}
		for _, s := range sl.PauseStatuses {
			p.PauseStatuses[sla.Status(s)] = true
		}
	}
	return p, nil
}

// Validate checks a service level.
func (sl ServiceLevel) Validate() error {
	var v fault.Invalid
	if sl.AtRiskShare < 0 || sl.AtRiskShare > 1 {
		v.Add("at_risk_share", "out_of_range", 1)
	}
	for _, s := range sl.PauseStatuses {
		if s != StatusWaitingClient && s != StatusWaitingThirdParty {
			v.Add("pause_statuses", "invalid_choice")
		}
	}
	v.Text("escalation", sl.Escalation, 5000, false, true)
	validateRules(sl.Rules, &v)
	return v.Err()
}
