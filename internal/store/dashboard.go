package store

import (
	"context"
	"fmt"
	"time"

	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/dashboard"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

var _ dashboard.Store = (*DB)(nil)

// openTicketCond is the condition of an open ticket, written exactly as the
// predicate of the partial index tickets_open_dashboard (migration 0018) so
// that both databases may answer the dashboard from that index alone. Merged
// duplicates are closed when merged, so the status decides.
const openTicketCond = `t.status NOT IN ('resolved', 'closed')`

// DashboardClients returns the clients the scope sees (one when clientID is
// not 0), archived ones left out, by name.
func (db *DB) DashboardClients(ctx context.Context, s tenant.Scope, clientID int64) ([]dashboard.ClientRef, error) {
	cond, args := scopeSQL(s, "id")
	q := `SELECT id, code, name, time_zone FROM clients WHERE archived = ? AND ` + cond
	args = append([]any{false}, args...)
	if clientID != 0 {
		q += ` AND id = ?`
		args = append(args, clientID)
	}
	rows, err := db.query(ctx, q+` ORDER BY name, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list dashboard clients: %w", err)
	}
	return collect(rows, func(row scanner) (dashboard.ClientRef, error) {
		var c dashboard.ClientRef
		err := row.Scan(&c.ID, &c.Code, &c.Name, &c.TimeZone)
		return c, translate(err)
	})
}

// DashboardTickets counts the open tickets of the clients the scope sees
// (one when clientID is not 0) by client, level and priority, with how many
// of them are breached and at risk at now, in one aggregate over the partial
// index of open tickets. Breached is what the queues call breached: a
// recorded breach, or a running clock past its due time (the time to own
// while not owned, the time to resolve while not paused). At risk is the
// stored flag of the others.
func (db *DB) DashboardTickets(ctx context.Context, s tenant.Scope, clientID int64, now time.Time) ([]dashboard.TicketCount, error) {
	now = utc(now)
	cond, scopeArgs := scopeSQL(s, "t.client_id")
	breached := `(t.tto_breached_at IS NOT NULL OR t.ttr_breached_at IS NOT NULL
		OR (t.owned_at IS NULL AND t.tto_due <= ?) OR (NOT t.sla_paused AND t.ttr_due <= ?))`
	q := `SELECT t.client_id, t.level, t.priority, COUNT(*),
	SUM(CASE WHEN ` + breached + ` THEN 1 ELSE 0 END),
	SUM(CASE WHEN t.sla_at_risk AND NOT ` + breached + ` THEN 1 ELSE 0 END)
FROM tickets t WHERE ` + openTicketCond + ` AND ` + cond
	args := append([]any{now, now, now, now}, scopeArgs...)
	if clientID != 0 {
		q += ` AND t.client_id = ?`
		args = append(args, clientID)
	}
	rows, err := db.query(ctx, q+` GROUP BY t.client_id, t.level, t.priority`, args...)
	if err != nil {
		return nil, fmt.Errorf("count open tickets: %w", err)
	}
	return collect(rows, func(row scanner) (dashboard.TicketCount, error) {
		var c dashboard.TicketCount
		var p int
		err := row.Scan(&c.ClientID, &c.Level, &p, &c.Open, &c.Breached, &c.AtRisk)
		c.Priority = ticket.Priority(p)
		return c, translate(err)
	})
}

// DashboardProblems counts the enabled checks of the clients the scope sees
// (one when clientID is not 0) whose hard state is a problem (not OK), by
// client and severity, with how many are acknowledged.
func (db *DB) DashboardProblems(ctx context.Context, s tenant.Scope, clientID int64) ([]dashboard.ProblemCount, error) {
	cond, args := scopeSQL(s, "cs.client_id")
	q := `SELECT cs.client_id, c.severity, COUNT(*), SUM(CASE WHEN cs.acknowledged THEN 1 ELSE 0 END)
FROM check_status cs JOIN checks c ON c.id = cs.check_id
WHERE cs.hard_state <> 0 AND cs.last_check IS NOT NULL AND c.enabled AND ` + cond
	if clientID != 0 {
		q += ` AND cs.client_id = ?`
		args = append(args, clientID)
	}
	rows, err := db.query(ctx, q+` GROUP BY cs.client_id, c.severity`, args...)
	if err != nil {
		return nil, fmt.Errorf("count active problems: %w", err)
	}
	return collect(rows, func(row scanner) (dashboard.ProblemCount, error) {
		var p dashboard.ProblemCount
		var sev string
		err := row.Scan(&p.ClientID, &sev, &p.Count, &p.Acknowledged)
		p.Severity = supervision.Severity(sev)
		return p, translate(err)
	})
}

// DashboardContracts returns the active contracts (state active, whatever
// their dates) of the clients the scope sees (one when clientID is not 0),
// without their perimeter lists and recipients, which the dashboard does
// not show.
func (db *DB) DashboardContracts(ctx context.Context, s tenant.Scope, clientID int64) ([]contract.Contract, error) {
	cond, args := scopeSQL(s, "c.client_id")
	q := `SELECT ` + contractCols + ` FROM contracts c WHERE c.state = ? AND ` + cond
	args = append([]any{string(contract.StateActive)}, args...)
	if clientID != 0 {
		q += ` AND c.client_id = ?`
		args = append(args, clientID)
	}
	rows, err := db.query(ctx, q+` ORDER BY c.client_id, c.start_date, c.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list active contracts: %w", err)
	}
	cs, err := collect(rows, scanContract)
	if err != nil {
		return nil, fmt.Errorf("list active contracts: %w", err)
	}
	return cs, nil
}
