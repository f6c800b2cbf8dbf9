package alert

import (
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// criticalities are the asset criticalities in the columns of matrix, least
// critical first (the values of asset.Criticality).
var criticalities = []string{"low", "normal", "high", "critical"}

// matrix is the priority of a hard CRITICAL (or UNKNOWN) problem: a row per
// check severity (minor, major, critical), a column per asset criticality
// (low, normal, high, critical). docs/supervision.md shows it.
var matrix = [3][4]ticket.Priority{
	{ticket.P4, ticket.P4, ticket.P4, ticket.P3}, // minor
	{ticket.P4, ticket.P3, ticket.P2, ticket.P2}, // major
	{ticket.P3, ticket.P2, ticket.P1, ticket.P1}, // critical
}

// severityRow is the row of a severity; an unknown one counts as major, the
// middle.
func severityRow(sev supervision.Severity) int {
	switch sev {
	case supervision.SeverityMinor:
		return 0
	case supervision.SeverityCritical:
		return 2
	}
	return 1
}

// criticalityColumn is the column of an asset criticality; an unknown or
// empty one counts as normal.
func criticalityColumn(crit string) int {
	for i, c := range criticalities {
		if c == crit {
			return i
		}
	}
	return 1
}

// Priority is the priority of the ticket a hard problem in state st opens
// for a check of severity sev on an asset of criticality crit: the matrix for
// CRITICAL and UNKNOWN (nobody can vouch for the service), one step lower
// (towards P4) for WARNING.
func Priority(sev supervision.Severity, crit string, st check.State) ticket.Priority {
	p := matrix[severityRow(sev)][criticalityColumn(crit)]
	if st == check.Warning && p < ticket.P4 {
		p++
	}
	return p
}

// naturalImpact is the ITIL impact of a problem on an asset of criticality
// crit (1 high … 3 low): what the technician sees on the ticket.
func naturalImpact(crit string) int {
	switch criticalityColumn(crit) {
	case 0:
		return 3
	case 1:
		return 2
	}
	return 1
}

// impactUrgency returns the impact and urgency that give priority p in the
// provider's matrix of st, so that the ticket's priority stays what the
// helpdesk computes from them (and a later edit of either recomputes it as
// for any ticket). The impact follows the asset's criticality when the
// provider's matrix has p on that row; otherwise the nearest row that has
// it; when no cell has p (a customised matrix without it), the cell whose
// priority is nearest, the more urgent on a tie.
func impactUrgency(st ticket.Settings, p ticket.Priority, crit string) (impact, urgency int) {
	nat := naturalImpact(crit)
	best := [3]int{1 << 30}
	for i := 1; i <= 3; i++ {
		for u := 1; u <= 3; u++ {
			got := st.PriorityOf(i, u)
			score := [3]int{abs(int(got) - int(p)), abs(i - nat), int(got)}
			if less(score, best) {
				best, impact, urgency = score, i, u
			}
		}
	}
	return impact, urgency
}

func less(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
