package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/tenant"
)

var (
	_ contract.UsageStore   = (*DB)(nil)
	_ contract.WarningStore = (*DB)(nil)
)

// scanFunc adapts a function to the Scan of a row, to read extra columns
// after those of scanContract.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// ContractsAround returns the active contracts of the clients the scope
// sees whose dates contain a day within one day of day (every time zone's
// date at an instant of that UTC day), with their client's time zone, by
// client then start. Lists (recipients, perimeter) are not loaded.
func (db *DB) ContractsAround(ctx context.Context, s tenant.Scope, day time.Time) ([]contract.ZonedContract, error) {
	cond, args := scopeSQL(s, "c.client_id")
	after, before := dateText(day.AddDate(0, 0, 1)), dateText(day.AddDate(0, 0, -1))
	rows, err := db.query(ctx, `SELECT `+contractCols+`, cl.time_zone FROM contracts c JOIN clients cl ON cl.id = c.client_id
		WHERE c.state = ? AND c.start_date <= ? AND (c.end_date IS NULL OR c.end_date >= ? OR c.renewal = ?) AND `+cond+`
		ORDER BY c.client_id, c.start_date, c.id`,
		append([]any{string(contract.StateActive), after, before, string(contract.RenewalTacit)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("list contracts around %s: %w", dateText(day), err)
	}
	zones := map[string]*time.Location{}
	return collect(rows, func(row interface{ Scan(...any) error }) (contract.ZonedContract, error) {
		var tz string
		c, err := scanContract(scanFunc(func(dest ...any) error { return row.Scan(append(dest, &tz)...) }))
		if err != nil {
			return contract.ZonedContract{}, err
		}
		loc, ok := zones[tz]
		if !ok {
			loc = contract.Location(client.Client{TimeZone: tz})
			zones[tz] = loc
		}
		return contract.ZonedContract{Contract: c, Location: loc}, nil
	})
}

// shortWindow is the longest period read from the time entries' start
// index rather than from the client's tickets.
const shortWindow = 32 * 24 * time.Hour

// UsageSums sums, for each window, the billable time entries of the
// window's client started in its support period and the billable on-site
// ones started in its month, tickets out of the perimeter excluded, in one
// statement whatever the number of windows:
//
//   - windows of a month at most (monthly support, the on-site month) read
//     the billable entries started in their common span through index
//     time_entries_start, and are summed here: the cost follows the
//     month's entries, not the clients' whole history;
//   - longer ones (a pack since its start) are a VALUES list joined to each
//     client's tickets and their entries (index time_entries_ticket) and
//     summed by the database.
func (db *DB) UsageSums(ctx context.Context, ws []contract.UsageWindow) ([]contract.UsageSum, error) {
	out := make([]contract.UsageSum, len(ws))
	if len(ws) == 0 {
		return out, nil
	}
	var (
		shortOf          = map[int64][]int{} // client → indexes of its short windows
		shortLo, shortHi time.Time
		values           []string
		longArgs         []any
	)
	// PostgreSQL types the VALUES list from the casts; SQLite compares
	// the timestamps as the text the driver writes them in, so no cast.
	row := "(?, ?, ?, ?, ?, ?, ?, ?)"
	if db.dialect == Postgres {
		row = "(CAST(? AS INTEGER), CAST(? AS BIGINT), CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ))"
	}
	for i, w := range ws {
		lo, hi := w.SupportFrom, w.SupportTo
		if w.MonthFrom.Before(lo) {
			lo = w.MonthFrom
		}
		if w.MonthTo.After(hi) {
			hi = w.MonthTo
		}
		if !hi.After(lo) {
			continue // nothing to count
		}
		if hi.Sub(lo) <= shortWindow {
			shortOf[w.ClientID] = append(shortOf[w.ClientID], i)
			if shortLo.IsZero() || lo.Before(shortLo) {
				shortLo = lo
			}
			if hi.After(shortHi) {
				shortHi = hi
			}
			continue
		}
		values = append(values, row)
		longArgs = append(longArgs, i, w.ClientID, utc(lo), utc(hi), utc(w.SupportFrom), utc(w.SupportTo), utc(w.MonthFrom), utc(w.MonthTo))
	}
	var (
		with, selects []string
		args          []any
	)
	if len(shortOf) > 0 {
		ids := make([]any, 0, len(shortOf))
		for id := range shortOf {
			ids = append(ids, id)
		}
		// First: SQLite types the union's columns from its first select.
		// CROSS JOIN keeps SQLite's order (the span's entries, then their
		// ticket); PostgreSQL plans it as the inner join it is.
		selects = append(selects, `SELECT -1, t.client_id, e.start_at, e.duration_seconds, CASE WHEN e.on_site THEN 1 ELSE 0 END
		FROM time_entries e CROSS JOIN tickets t
		WHERE e.start_at >= ? AND e.start_at < ? AND t.id = e.ticket_id AND e.billable AND t.out_of_perimeter = ?
			AND t.client_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+`)`)
		args = append(append(args, utc(shortLo), utc(shortHi), false), ids...)
	}
	if len(values) > 0 {
		with = append(with, `WITH l (i, client_id, lo, hi, sf, st, mf, mt) AS (VALUES `+strings.Join(values, ", ")+`)`)
		selects = append(selects, `SELECT l.i, l.client_id, NULL,
			COALESCE(SUM(CASE WHEN e.start_at >= l.sf AND e.start_at < l.st THEN e.duration_seconds ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN e.on_site AND e.start_at >= l.mf AND e.start_at < l.mt THEN 1 ELSE 0 END), 0)
		FROM l JOIN tickets t ON t.client_id = l.client_id
		JOIN time_entries e ON e.ticket_id = t.id AND e.start_at >= l.lo AND e.start_at < l.hi
		WHERE e.billable AND t.out_of_perimeter = ?
		GROUP BY l.i, l.client_id`)
		args = append(longArgs, append(args, false)...)
	}
	if len(selects) == 0 {
		return out, nil
	}
	rows, err := db.query(ctx, strings.Join(with, "")+"\n"+strings.Join(selects, "\nUNION ALL\n"), args...)
	if err != nil {
		return nil, fmt.Errorf("sum contract usage: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			i               int
			clientID        int64
			start           sql.NullTime
			seconds, onSite int64
		)
		if err := rows.Scan(&i, &clientID, &start, &seconds, &onSite); err != nil {
			return nil, fmt.Errorf("sum contract usage: %w", translate(err))
		}
		if i >= 0 {
			if i < len(out) {
				out[i] = contract.UsageSum{Support: time.Duration(seconds) * time.Second, OnSite: int(onSite)}
			}
			continue
		}
		// An entry of the short span: add it to its client's windows.
		for _, wi := range shortOf[clientID] {
			w := ws[wi]
			at := start.Time
			if !at.Before(w.SupportFrom) && at.Before(w.SupportTo) {
				out[wi].Support += time.Duration(seconds) * time.Second
			}
			if onSite == 1 && !at.Before(w.MonthFrom) && at.Before(w.MonthTo) {
				out[wi].OnSite++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sum contract usage: %w", translate(err))
	}
	return out, nil
}

// RecordWarning writes a usage warning unless the same contract, kind,
// period and level already has one; recorded says whether it was written.
func (db *DB) RecordWarning(ctx context.Context, w *contract.Warning) (recorded bool, err error) {
	if w.Created.IsZero() {
		w.Created = now()
	}
	w.Created = utc(w.Created)
	var id int64
	err = db.q(ctx).QueryRowContext(ctx, db.rebind(`INSERT INTO contract_usage_warnings
		(contract_id, kind, period_start, level, consumed, included, recipients, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (contract_id, kind, period_start, level) DO NOTHING RETURNING id`),
		w.ContractID, string(w.Kind), dateText(w.PeriodStart), string(w.Level), w.Consumed, w.Included, w.Recipients, w.Created).Scan(&id)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record warning of contract %d: %w", w.ContractID, translate(err))
	}
	w.ID = id
	return true, nil
}

// SetWarningRecipients records how many e-mails a warning sent.
func (db *DB) SetWarningRecipients(ctx context.Context, id int64, n int) error {
	return affected(db.exec(ctx, `UPDATE contract_usage_warnings SET recipients = ? WHERE id = ?`, n, id))
}

// Warnings lists a contract's usage warnings, newest first (at most 100).
func (db *DB) Warnings(ctx context.Context, s tenant.Scope, contractID int64) ([]contract.Warning, error) {
	cond, args := scopeSQL(s, "c.client_id")
	rows, err := db.query(ctx, `SELECT w.id, w.contract_id, w.kind, w.period_start, w.level, w.consumed, w.included, w.recipients, w.created_at
		FROM contract_usage_warnings w JOIN contracts c ON c.id = w.contract_id
		WHERE w.contract_id = ? AND `+cond+` ORDER BY w.created_at DESC, w.id DESC LIMIT 100`, append([]any{contractID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("list warnings of contract %d: %w", contractID, err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (contract.Warning, error) {
		var (
			w           contract.Warning
			kind, level string
			period      string
		)
		if err := row.Scan(&w.ID, &w.ContractID, &kind, &period, &level, &w.Consumed, &w.Included, &w.Recipients, &w.Created); err != nil {
			return contract.Warning{}, translate(err)
		}
		w.Kind, w.Level, w.Created = contract.Quota(kind), contract.Level(level), w.Created.UTC()
		p, err := parseDateText(period)
		if err != nil {
			return contract.Warning{}, err
		}
		w.PeriodStart = p
		return w, nil
	})
}

// WarningRecipients returns who is warned about a contract's usage: the
// enabled staff users with an address who may change the client's
// contracts (admins, and managers not limited to other clients), and the
// contacts with an address who receive the contract's reports.
func (db *DB) WarningRecipients(ctx context.Context, clientID, contractID int64) (staff, contacts []contract.Recipient, err error) {
	rows, err := db.query(ctx, `SELECT u.name, u.email, u.language FROM users u
		WHERE u.client_id IS NULL AND u.disabled = ? AND u.email <> '' AND (u.role = ? OR (u.role = ? AND
			(NOT EXISTS (SELECT 1 FROM user_clients uc WHERE uc.user_id = u.id)
			 OR EXISTS (SELECT 1 FROM user_clients uc WHERE uc.user_id = u.id AND uc.client_id = ?))))
		ORDER BY u.id`, false, string(tenant.RoleAdmin), string(tenant.RoleManager), clientID)
	if err != nil {
		return nil, nil, fmt.Errorf("list staff warned for client %d: %w", clientID, err)
	}
	scan := func(row interface{ Scan(...any) error }) (contract.Recipient, error) {
		var r contract.Recipient
		return r, translate(row.Scan(&r.Name, &r.Email, &r.Language))
	}
	if staff, err = collect(rows, scan); err != nil {
		return nil, nil, fmt.Errorf("list staff warned for client %d: %w", clientID, err)
	}
	rows, err = db.query(ctx, `SELECT TRIM(ct.first_name || ' ' || ct.last_name), ct.email, cl.language
		FROM contract_recipients r JOIN contacts ct ON ct.id = r.contact_id JOIN clients cl ON cl.id = ct.client_id
		WHERE r.contract_id = ? AND ct.client_id = ? AND ct.email <> '' ORDER BY ct.id`, contractID, clientID)
	if err != nil {
		return nil, nil, fmt.Errorf("list contacts warned for contract %d: %w", contractID, err)
	}
	if contacts, err = collect(rows, scan); err != nil {
		return nil, nil, fmt.Errorf("list contacts warned for contract %d: %w", contractID, err)
	}
	return staff, contacts, nil
}
