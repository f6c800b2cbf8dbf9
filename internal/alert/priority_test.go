package alert

import (
	"testing"

	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/ticket"
)

func TestPriority(t *testing.T) {
	tests := []struct {
		name string
		sev  supervision.Severity
		crit string
		st   check.State
		want ticket.Priority
	}{
		{"critical on a critical asset", supervision.SeverityCritical, "critical", check.Critical, ticket.P1},
		{"critical on a high asset", supervision.SeverityCritical, "high", check.Critical, ticket.P1},
		{"critical on a normal asset", supervision.SeverityCritical, "normal", check.Critical, ticket.P2},
		{"critical on a low asset", supervision.SeverityCritical, "low", check.Critical, ticket.P3},
		{"major on a critical asset", supervision.SeverityMajor, "critical", check.Critical, ticket.P2},
		{"major on a normal asset", supervision.SeverityMajor, "normal", check.Critical, ticket.P3},
		{"major on a low asset", supervision.SeverityMajor, "low", check.Critical, ticket.P4},
		{"minor on a critical asset", supervision.SeverityMinor, "critical", check.Critical, ticket.P3},
		{"minor on a high asset", supervision.SeverityMinor, "high", check.Critical, ticket.P4},
		{"minor on a low asset", supervision.SeverityMinor, "low", check.Critical, ticket.P4},
		{"unknown counts as critical", supervision.SeverityCritical, "critical", check.Unknown, ticket.P1},
		{"warning is one step lower", supervision.SeverityCritical, "critical", check.Warning, ticket.P2},
		{"warning one step lower from P3", supervision.SeverityMinor, "critical", check.Warning, ticket.P4},
		{"warning never below P4", supervision.SeverityMinor, "low", check.Warning, ticket.P4},
		{"unset severity counts as major", "", "critical", check.Critical, ticket.P2},
		{"unset criticality counts as normal", supervision.SeverityCritical, "", check.Critical, ticket.P2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Priority(tt.sev, tt.crit, tt.st); got != tt.want {
				t.Errorf("Priority(%s, %s, %s) = %s, want %s", tt.sev, tt.crit, tt.st, got, tt.want)
			}
		})
	}
}

// TestPriorityMonotonic: a worse severity, a more critical asset or a worse
// state never gives a less urgent priority.
func TestPriorityMonotonic(t *testing.T) {
	states := []check.State{check.Warning, check.Critical}
	for si, sev := range supervision.Severities {
		for ci, crit := range criticalities {
			for ti, st := range states {
				p := Priority(sev, crit, st)
				if si > 0 && Priority(supervision.Severities[si-1], crit, st) < p {
					t.Errorf("%s×%s×%s: less severe gives more urgent", sev, crit, st)
				}
				if ci > 0 && Priority(sev, criticalities[ci-1], st) < p {
					t.Errorf("%s×%s×%s: less critical gives more urgent", sev, crit, st)
				}
				if ti > 0 && Priority(sev, crit, states[ti-1]) < p {
					t.Errorf("%s×%s×%s: warning more urgent than critical", sev, crit, st)
				}
			}
		}
	}
}

func TestImpactUrgency(t *testing.T) {
	def := ticket.DefaultSettings()
	flat := ticket.Settings{Matrix: [3][3]ticket.Priority{{ticket.P2, ticket.P2, ticket.P3}, {ticket.P2, ticket.P3, ticket.P3}, {ticket.P3, ticket.P3, ticket.P3}}}
	tests := []struct {
		name            string
		st              ticket.Settings
		p               ticket.Priority
		crit            string
		impact, urgency int
		wantPriority    ticket.Priority
	}{
		{"P1 on a critical asset", def, ticket.P1, "critical", 1, 1, ticket.P1},
		{"P2 on a normal asset", def, ticket.P2, "normal", 2, 1, ticket.P2},
		{"P3 on a high asset", def, ticket.P3, "high", 1, 3, ticket.P3},
		{"P4 on a low asset", def, ticket.P4, "low", 3, 2, ticket.P4},
		{"P4 on a critical asset moves to the nearest row with P4", def, ticket.P4, "critical", 2, 3, ticket.P4},
		{"a matrix without P1 gives its most urgent", flat, ticket.P1, "critical", 1, 1, ticket.P2},
		{"a matrix without P4 gives P3", flat, ticket.P4, "low", 3, 1, ticket.P3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, u := impactUrgency(tt.st, tt.p, tt.crit)
			if i != tt.impact || u != tt.urgency {
				t.Errorf("impactUrgency(%s, %s) = %d, %d, want %d, %d", tt.p, tt.crit, i, u, tt.impact, tt.urgency)
			}
			if got := tt.st.PriorityOf(i, u); got != tt.wantPriority {
				t.Errorf("priority of %d×%d = %s, want %s", i, u, got, tt.wantPriority)
			}
		})
	}
	// With the default matrix every cell of the alert matrix is reached exactly.
	for _, sev := range supervision.Severities {
		for _, crit := range criticalities {
			for _, st := range []check.State{check.Warning, check.Critical} {
				p := Priority(sev, crit, st)
				if got := def.PriorityOf(impactUrgency(def, p, crit)); got != p {
					t.Errorf("%s×%s×%s: helpdesk priority %s, want %s", sev, crit, st, got, p)
				}
			}
		}
	}
}
