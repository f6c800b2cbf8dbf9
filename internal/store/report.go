package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

var _ report.Store = (*DB)(nil)

// ReportClient returns a client's name and time zone.
func (db *DB) ReportClient(ctx context.Context, clientID int64) (string, string, error) {
	var name, zone string
	err := db.queryRow(ctx, `SELECT name, time_zone FROM clients WHERE id = ?`, clientID).Scan(&name, &zone)
	return name, zone, translate(err)
}

// ReportTickets returns the rows of the client's tickets that a report of
// [from, to) needs: created before to and created, owned or resolved in the
// period, or not resolved before to (the backlog's candidates). StatusAtEnd
// is the status set by the last status change before to.
func (db *DB) ReportTickets(ctx context.Context, clientID int64, from, to time.Time) ([]report.TicketRow, error) {
	from, to = utc(from), utc(to)
	rows, err := db.query(ctx, `SELECT t.id, t.title, t.type, t.priority, COALESCE(t.category_id, 0), COALESCE(c.name, ''), t.created_at, t.owned_at, t.resolved_at,
	t.sla_covered, t.tto_breached_at, t.ttr_breached_at, t.out_of_perimeter, t.perimeter_reason,
	COALESCE((SELECT e.to_value FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'status' AND e.at < ? ORDER BY e.at DESC, e.id DESC LIMIT 1), '')
FROM tickets t LEFT JOIN categories c ON c.id = t.category_id
WHERE t.client_id = ? AND t.merged_into IS NULL AND t.created_at < ?
	AND (t.created_at >= ? OR t.owned_at >= ? OR t.resolved_at IS NULL OR t.resolved_at >= ?)
ORDER BY t.id`, to, clientID, to, from, from, from)
	if err != nil {
		return nil, fmt.Errorf("read tickets: %w", err)
	}
	return collect(rows, func(row scanner) (report.TicketRow, error) {
		var (
			r                                  report.TicketRow
			typ, status                        string
			owned, resolved, ttoBreach, ttrBrc sql.NullTime
		)
		err := row.Scan(&r.ID, &r.Title, &typ, &r.Priority, &r.CategoryID, &r.Category, &r.Created, &owned, &resolved,
			&r.Covered, &ttoBreach, &ttrBrc, &r.OutOfPerimeter, &r.PerimeterReason, &status)
		r.Type, r.StatusAtEnd, r.Created = ticket.Type(typ), ticket.Status(status), r.Created.UTC()
		r.Owned, r.Resolved, r.TTOBreach, r.TTRBreach = nullTime(owned), nullTime(resolved), nullTime(ttoBreach), nullTime(ttrBrc)
		return r, translate(err)
	})
}

// ReportStatusChanges returns the status changes of the client's tickets
// (merged duplicates left out) in [from, to), oldest first.
func (db *DB) ReportStatusChanges(ctx context.Context, clientID int64, from, to time.Time) ([]report.StatusChange, error) {
	rows, err := db.query(ctx, `SELECT e.ticket_id, e.at, e.from_value, e.to_value
FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
WHERE t.client_id = ? AND t.merged_into IS NULL AND e.kind = 'status' AND e.at >= ? AND e.at < ?
ORDER BY e.at, e.id`, clientID, utc(from), utc(to))
	if err != nil {
		return nil, fmt.Errorf("read status changes: %w", err)
	}
	return collect(rows, func(row scanner) (report.StatusChange, error) {
		var c report.StatusChange
		var f, t string
		err := row.Scan(&c.TicketID, &c.At, &f, &t)
		c.At, c.From, c.To = c.At.UTC(), ticket.Status(f), ticket.Status(t)
		return c, translate(err)
	})
}

// ReportRatings returns the ratings of the client's tickets given in [from, to).
func (db *DB) ReportRatings(ctx context.Context, clientID int64, from, to time.Time) ([]report.Rating, error) {
	rows, err := db.query(ctx, `SELECT r.ticket_id, r.score, r.rated_at
FROM ticket_ratings r JOIN tickets t ON t.id = r.ticket_id
WHERE t.client_id = ? AND t.merged_into IS NULL AND r.rated_at >= ? AND r.rated_at < ?
ORDER BY r.rated_at, r.ticket_id`, clientID, utc(from), utc(to))
	if err != nil {
		return nil, fmt.Errorf("read ratings: %w", err)
	}
	return collect(rows, func(row scanner) (report.Rating, error) {
		var r report.Rating
		err := row.Scan(&r.TicketID, &r.Score, &r.At)
		r.At = r.At.UTC()
		return r, translate(err)
	})
}

// ReportTime returns the time entries of the client's tickets started in [from, to).
func (db *DB) ReportTime(ctx context.Context, clientID int64, from, to time.Time) ([]report.TimeRow, error) {
	rows, err := db.query(ctx, `SELECT e.ticket_id, COALESCE(u.name, ''), e.start_at, e.duration_seconds, e.travel_seconds, e.billable, e.on_site
FROM time_entries e JOIN tickets t ON t.id = e.ticket_id LEFT JOIN users u ON u.id = e.technician_id
WHERE t.client_id = ? AND e.start_at >= ? AND e.start_at < ?
ORDER BY e.start_at, e.id`, clientID, utc(from), utc(to))
	if err != nil {
		return nil, fmt.Errorf("read time entries: %w", err)
	}
	return collect(rows, func(row scanner) (report.TimeRow, error) {
		var r report.TimeRow
		var dur, travel int64
		err := row.Scan(&r.TicketID, &r.Technician, &r.Start, &dur, &travel, &r.Billable, &r.OnSite)
		r.Start, r.Duration, r.Travel = r.Start.UTC(), time.Duration(dur)*time.Second, time.Duration(travel)*time.Second
		return r, translate(err)
	})
}

// ReportAssets returns the client's assets and checks, by id.
func (db *DB) ReportAssets(ctx context.Context, clientID int64) ([]report.AssetRow, []report.CheckRow, error) {
	rows, err := db.query(ctx, `SELECT a.id, COALESCE(a.site_id, 0), a.name, a.criticality FROM assets a WHERE a.client_id = ? ORDER BY a.id`, clientID)
	if err != nil {
		return nil, nil, fmt.Errorf("read assets: %w", err)
	}
	assets, err := collect(rows, func(row scanner) (report.AssetRow, error) {
		var a report.AssetRow
		return a, translate(row.Scan(&a.ID, &a.SiteID, &a.Name, &a.Criticality))
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read assets: %w", err)
	}
	rows, err = db.query(ctx, `SELECT c.id, c.asset_id, c.name, a.name, c.kind, c.severity, c.enabled
FROM checks c JOIN assets a ON a.id = c.asset_id WHERE c.client_id = ? ORDER BY c.id`, clientID)
	if err != nil {
		return nil, nil, fmt.Errorf("read checks: %w", err)
	}
	checks, err := collect(rows, func(row scanner) (report.CheckRow, error) {
		var c report.CheckRow
		var kind, severity string
		err := row.Scan(&c.ID, &c.AssetID, &c.Name, &c.AssetName, &kind, &severity, &c.Enabled)
		c.Kind, c.Severity = supervision.Kind(kind), supervision.Severity(severity)
		return c, translate(err)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read checks: %w", err)
	}
	return assets, checks, nil
}

// ReportHardEvents returns the hard events of the checks of the client's
// assets assetIDs in [from, to) and, per check, its last hard event before
// from (the one supervision's availability reads too: the newest by id), in
// no order, without their output (the figures do not read it).
func (db *DB) ReportHardEvents(ctx context.Context, clientID int64, assetIDs []int64, from, to time.Time) ([]supervision.Event, error) {
	if len(assetIDs) == 0 {
		return nil, nil
	}
	ph, kinds := hardKinds()
	cols := strings.Replace(eventCols, "e.output", "''", 1)
	assets := strings.TrimSuffix(strings.Repeat("?,", len(assetIDs)), ",")
	// The period's events through the (asset_id, at) index.
	q := `SELECT ` + cols + ` FROM check_events e
WHERE e.asset_id IN (` + assets + `) AND e.client_id = ? AND e.kind IN (` + ph + `) AND e.at >= ? AND e.at < ?
UNION ALL
SELECT ` + cols + ` FROM check_events e WHERE e.id IN (
	SELECT (SELECT e2.id FROM check_events e2 WHERE e2.check_id = c.id AND e2.kind IN (` + ph + `) AND e2.at < ? ORDER BY e2.id DESC LIMIT 1)
	FROM checks c WHERE c.asset_id IN (` + assets + `) AND c.client_id = ?)`
	var args []any
	for _, id := range assetIDs {
		args = append(args, id)
	}
	ids := args
	args = append(append(slices.Clone(ids), clientID), kinds...)
	args = append(args, utc(from), utc(to))
	args = append(args, kinds...)
	args = append(append(append(args, utc(from)), ids...), clientID)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read hard check events: %w", err)
	}
	return collect(rows, scanEvent)
}

// ReportProblems returns the hard problems of the client's checks in [from, to).
func (db *DB) ReportProblems(ctx context.Context, clientID int64, from, to time.Time) ([]report.Problem, error) {
	rows, err := db.query(ctx, `SELECT e.check_id, e.at, e.to_state, e.maintenance FROM check_events e
WHERE e.asset_id IN (SELECT a.id FROM assets a WHERE a.client_id = ?) AND e.client_id = ? AND e.kind = ? AND e.at >= ? AND e.at < ?
ORDER BY e.at, e.id`, clientID, clientID, int(check.Problem), utc(from), utc(to))
	if err != nil {
		return nil, fmt.Errorf("read check problems: %w", err)
	}
	return collect(rows, func(row scanner) (report.Problem, error) {
		var p report.Problem
		err := row.Scan(&p.CheckID, &p.At, &p.State, &p.Maintenance)
		p.At = p.At.UTC()
		return p, translate(err)
	})
}

// ReportWindows returns the client's maintenance windows.
func (db *DB) ReportWindows(ctx context.Context, clientID int64) ([]check.Window, error) {
	ws, err := db.Windows(ctx, tenant.System(), supervision.WindowFilter{ClientID: clientID})
	if err != nil {
		return nil, err
	}
	out := make([]check.Window, len(ws))
	for i, w := range ws {
		out[i] = w.Window
	}
	return out, nil
}

// ReportBackupRuns returns the runs of the client's backup jobs in [from, to).
func (db *DB) ReportBackupRuns(ctx context.Context, clientID int64, from, to time.Time) ([]supervision.BackupRun, error) {
	rows, err := db.query(ctx, `SELECT `+backupCols+` FROM backup_runs b WHERE b.client_id = ? AND b.at >= ? AND b.at < ? ORDER BY b.at, b.id`,
		clientID, utc(from), utc(to))
	if err != nil {
		return nil, fmt.Errorf("read backup runs: %w", err)
	}
	return collect(rows, scanBackupRun)
}

// ReportRestoreTests returns, per asset of the client, its last restore test
// before before.
func (db *DB) ReportRestoreTests(ctx context.Context, clientID int64, before time.Time) ([]supervision.RestoreTest, error) {
	b := utc(before)
	rows, err := db.query(ctx, `SELECT `+restoreCols+` FROM restore_tests r WHERE r.client_id = ? AND r.tested_at < ?
	AND NOT EXISTS (SELECT 1 FROM restore_tests r2 WHERE r2.asset_id = r.asset_id AND r2.tested_at < ?
		AND (r2.tested_at > r.tested_at OR (r2.tested_at = r.tested_at AND r2.id > r.id)))
ORDER BY r.asset_id`, clientID, b, b)
	if err != nil {
		return nil, fmt.Errorf("read restore tests: %w", err)
	}
	return collect(rows, scanRestore)
}
