// Package dashboard gathers what the dashboards show: for the staff, every
// client they see at a glance (open tickets by level and priority, SLA at
// risk and breached, active supervision problems, contracts near their quota
// or their renewal), sorted by what needs attention; for a client (the
// portal), its indicators of the running month and the six before it, its
// open tickets, problems and availability.
//
// The staff dashboard is a handful of aggregate queries whatever the number
// of clients and tickets (never a query per client). A figure that also
// appears in a report comes from report.Figures, the reports' one source,
// never from a count of its own.
package dashboard

import (
	"context"
	"time"

	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// ClientRef is a client as the dashboards name it.
type ClientRef struct {
	ID       int64
	Code     string
	Name     string
	TimeZone string
}

// TicketCount is the open tickets of one client at one support level and
// priority.
type TicketCount struct {
	ClientID int64
	Level    string // N1, N2, N3
	Priority ticket.Priority
	Open     int
	// Breached: a clock breached (recorded, or running past its due time).
	Breached int
	// AtRisk: not breached, but the SLA summary says at risk.
	AtRisk int
}

// ProblemCount is the enabled checks of one client of one severity whose
// hard state is a problem (WARNING, CRITICAL or UNKNOWN).
type ProblemCount struct {
	ClientID     int64
	Severity     supervision.Severity
	Count        int
	Acknowledged int
}

// Store reads the aggregates, filtered by the scope in SQL. clientID 0 means
// every client the scope sees.
type Store interface {
	// DashboardClients returns the clients (not archived) by name.
	DashboardClients(ctx context.Context, s tenant.Scope, clientID int64) ([]ClientRef, error)
	// DashboardTickets counts open tickets by client, level and priority at now.
	DashboardTickets(ctx context.Context, s tenant.Scope, clientID int64, now time.Time) ([]TicketCount, error)
	// DashboardProblems counts active problems by client and severity.
	DashboardProblems(ctx context.Context, s tenant.Scope, clientID int64) ([]ProblemCount, error)
	// DashboardContracts returns the contracts whose state is active.
	DashboardContracts(ctx context.Context, s tenant.Scope, clientID int64) ([]contract.Contract, error)
}

// Usage reads the consumption of the contracts in force at at of the
// clients the scope sees, in a few queries (contract.Service.UsageAll).
type Usage interface {
	UsageAll(ctx context.Context, s tenant.Scope, at time.Time) ([]contract.Usage, error)
}

// Percent is the larger of a contract's support and on-site consumption,
// in percent of what is included (0 when nothing is).
func Percent(u contract.Usage) int { return max(u.SupportPercent(), u.OnSitePercent()) }

// RenewalWindow is how far ahead a contract's notice date or end makes it
// "near renewal".
const RenewalWindow = 60 * 24 * time.Hour

// Renewal is a contract in force whose notice date or end of term falls
// within RenewalWindow.
type Renewal struct {
	ContractID int64
	ClientID   int64
	Reference  string
	Kind       contract.RenewalKind
	// TermEnd is the last day of the running term (a date, UTC midnight).
	TermEnd time.Time
	// NoticeBy is the last day to give notice (tacit renewal) or to agree a
	// renewal; nil when the contract has no notice months.
	NoticeBy *time.Time
	// Days is the number of days from today to the first of NoticeBy (when
	// still ahead) and TermEnd.
	Days int
}
