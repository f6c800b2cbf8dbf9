package store

import (
	"context"
	"fmt"
	"time"

	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// TimeReport sums the time entries started in [from, to) per client of the
// ticket, within the scope; clientID 0 means every visible client. Clients
// without time in the period are left out.
func (db *DB) TimeReport(ctx context.Context, s tenant.Scope, from, to time.Time, clientID int64) ([]ticket.TimeTotal, error) {
	cond, args := scopeSQL(s, "t.client_id")
	query := `SELECT c.id, c.name, SUM(e.duration_seconds), SUM(CASE WHEN e.billable THEN e.duration_seconds ELSE 0 END),
	SUM(CASE WHEN e.on_site THEN 1 ELSE 0 END), SUM(e.travel_seconds), COUNT(DISTINCT t.id)
FROM time_entries AS e JOIN tickets AS t ON t.id = e.ticket_id JOIN clients AS c ON c.id = t.client_id
WHERE ` + cond + ` AND e.start_at >= ? AND e.start_at < ?`
	args = append(args, utc(from), utc(to))
	if clientID != 0 {
		query += ` AND t.client_id = ?`
		args = append(args, clientID)
	}
	query += ` GROUP BY c.id, c.name ORDER BY lower(c.name), c.id`
	rows, err := db.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("time report: %w", err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (ticket.TimeTotal, error) {
		var (
			tt                         ticket.TimeTotal
			duration, billable, travel int64
		)
		err := row.Scan(&tt.ClientID, &tt.ClientName, &duration, &billable, &tt.OnSite, &travel, &tt.Tickets)
		tt.Duration = time.Duration(duration) * time.Second
		tt.Billable = time.Duration(billable) * time.Second
		tt.Travel = time.Duration(travel) * time.Second
		return tt, translate(err)
	})
}
