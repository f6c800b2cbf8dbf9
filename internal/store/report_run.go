package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/reportrun"
	"github.com/vigie-hq/vigie/internal/tenant"
)

var _ reportrun.Store = (*DB)(nil)

// reportRunCols are the columns of a run, its files left out.
const reportRunCols = `r.id, r.client_id, r.contract_id, r.kind, r.period, r.lang, r.status, r.send, r.generation, r.attempts,
	r.max_attempts, r.last_error, r.requested_by, r.name, r.size, r.recipients, r.mail_id, r.created_at, r.started_at,
	r.finished_at, r.sent_at`

func scanReportRun(row interface{ Scan(...any) error }) (reportrun.Run, error) {
	var (
		r                         reportrun.Run
		status, recipients        string
		contractID, by, mailID    sql.NullInt64
		started, finished, sentAt sql.NullTime
	)
	err := row.Scan(&r.ID, &r.ClientID, &contractID, &r.Kind, &r.Period, &r.Lang, &status, &r.Send, &r.Generation, &r.Attempts,
		&r.MaxAttempts, &r.LastError, &by, &r.Name, &r.Size, &recipients, &mailID, &r.Created, &started, &finished, &sentAt)
	if err != nil {
		return reportrun.Run{}, translate(err)
	}
	r.Status = reportrun.Status(status)
	r.Created = r.Created.UTC()
	for _, n := range []struct {
		v   sql.NullInt64
		dst **int64
	}{{contractID, &r.ContractID}, {by, &r.RequestedBy}, {mailID, &r.MailID}} {
		if n.v.Valid {
			id := n.v.Int64
			*n.dst = &id
		}
	}
	for _, n := range []struct {
		v   sql.NullTime
		dst **time.Time
	}{{started, &r.Started}, {finished, &r.Finished}, {sentAt, &r.Sent}} {
		if n.v.Valid {
			t := n.v.Time.UTC()
			*n.dst = &t
		}
	}
	r.Recipients = []string{}
	if err := json.Unmarshal([]byte(recipients), &r.Recipients); err != nil {
		return reportrun.Run{}, fmt.Errorf("read recipients of report run %d: %w", r.ID, err)
	}
	return r, nil
}

// CreateReportRun inserts a run unless its client already has one of the
// kind and period (ON CONFLICT DO NOTHING: two schedulers racing insert one).
func (db *DB) CreateReportRun(ctx context.Context, r *reportrun.Run) (bool, error) {
	r.Generation = 1
	id, err := db.insert(ctx, `INSERT INTO report_runs (client_id, contract_id, kind, period, lang, status, send, generation,
		max_attempts, requested_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (client_id, kind, period) DO NOTHING`,
		r.ClientID, r.ContractID, r.Kind, r.Period, r.Lang, string(r.Status), r.Send, r.Generation, r.MaxAttempts, r.RequestedBy, r.Created)
	if errors.Is(err, fault.ErrNotFound) {
		return false, nil // the conflict returned no row
	}
	if err != nil {
		return false, fmt.Errorf("insert report run: %w", err)
	}
	r.ID = id
	return true, nil
}

// RequestReportRun inserts a run or starts the existing one of its client,
// kind and period over as the next generation.
func (db *DB) RequestReportRun(ctx context.Context, r *reportrun.Run) error {
	err := db.q(ctx).QueryRowContext(ctx, db.rebind(`INSERT INTO report_runs (client_id, contract_id, kind, period, lang, status, send,
		generation, max_attempts, requested_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)
		ON CONFLICT (client_id, kind, period) DO UPDATE SET contract_id = excluded.contract_id, lang = excluded.lang,
			status = excluded.status, send = excluded.send, generation = report_runs.generation + 1, attempts = 0,
			max_attempts = excluded.max_attempts, last_error = '', requested_by = excluded.requested_by, name = '',
			pdf = NULL, csv = NULL, size = 0, recipients = '[]', mail_id = NULL, created_at = excluded.created_at,
			started_at = NULL, finished_at = NULL, sent_at = NULL
		RETURNING id, generation`),
		r.ClientID, r.ContractID, r.Kind, r.Period, r.Lang, string(r.Status), r.Send, r.MaxAttempts, r.RequestedBy, r.Created).Scan(&r.ID, &r.Generation)
	if err != nil {
		return fmt.Errorf("request report run: %w", translate(err))
	}
	return nil
}

// ReportRun returns a run of a client the scope sees, without its files.
func (db *DB) ReportRun(ctx context.Context, s tenant.Scope, id int64) (reportrun.Run, error) {
	cond, args := scopeSQL(s, "r.client_id")
	return scanReportRun(db.queryRow(ctx, `SELECT `+reportRunCols+` FROM report_runs r WHERE r.id = ? AND `+cond, append([]any{id}, args...)...))
}

// ReportRuns lists a client's runs, newest first.
func (db *DB) ReportRuns(ctx context.Context, s tenant.Scope, clientID int64) ([]reportrun.Run, error) {
	cond, args := scopeSQL(s, "r.client_id")
	rows, err := db.query(ctx, `SELECT `+reportRunCols+` FROM report_runs r WHERE r.client_id = ? AND `+cond+` ORDER BY r.id DESC`,
		append([]any{clientID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("list report runs of client %d: %w", clientID, err)
	}
	out, err := collect(rows, scanReportRun)
	if err != nil {
		return nil, fmt.Errorf("list report runs of client %d: %w", clientID, err)
	}
	return out, nil
}

// ReportRunFile returns the PDF or CSV of a run.
func (db *DB) ReportRunFile(ctx context.Context, s tenant.Scope, id int64, f reportrun.File) ([]byte, error) {
	col := "pdf"
	if f == reportrun.FileCSV {
		col = "csv"
	}
	cond, args := scopeSQL(s, "r.client_id")
	var b []byte
	err := db.queryRow(ctx, `SELECT r.`+col+` FROM report_runs r WHERE r.id = ? AND r.`+col+` IS NOT NULL AND `+cond,
		append([]any{id}, args...)...).Scan(&b)
	if err != nil {
		return nil, translate(err)
	}
	return b, nil
}

// ReportRunStarted marks a run of a generation running for an attempt.
func (db *DB) ReportRunStarted(ctx context.Context, id int64, generation, attempt int, at time.Time) (bool, error) {
	return changed(db.exec(ctx, `UPDATE report_runs SET status = ?, attempts = ?, started_at = ? WHERE id = ? AND generation = ?`,
		string(reportrun.StatusRunning), attempt, at, id, generation))
}

// ReportRunFailed records a failed attempt of a generation.
func (db *DB) ReportRunFailed(ctx context.Context, id int64, generation, attempt int, lastError string, final bool, at time.Time) error {
	status, finished := reportrun.StatusQueued, any(nil)
	if final {
		status, finished = reportrun.StatusFailed, at
	}
	if len(lastError) > 2000 {
		lastError = lastError[:2000]
	}
	_, err := db.exec(ctx, `UPDATE report_runs SET status = ?, attempts = ?, last_error = ?, finished_at = ? WHERE id = ? AND generation = ?`,
		string(status), attempt, lastError, finished, id, generation)
	if err != nil {
		return fmt.Errorf("record failure of report run %d: %w", id, err)
	}
	return nil
}

// ReportRunDone stores a run's document and marks it done.
func (db *DB) ReportRunDone(ctx context.Context, id int64, generation int, doc report.Document, recipients []string, mailID *int64, at time.Time) (bool, error) {
	if recipients == nil {
		recipients = []string{}
	}
	to, err := json.Marshal(recipients)
	if err != nil {
		return false, fmt.Errorf("encode recipients: %w", err)
	}
	var sentAt any
	if mailID != nil {
		sentAt = at
	}
	return changed(db.exec(ctx, `UPDATE report_runs SET status = ?, last_error = '', name = ?, pdf = ?, csv = ?, size = ?,
		recipients = ?, mail_id = ?, finished_at = ?, sent_at = ? WHERE id = ? AND generation = ?`,
		string(reportrun.StatusDone), doc.Name, doc.PDF, doc.CSV, int64(len(doc.PDF)+len(doc.CSV)), string(to), mailID, at, sentAt, id, generation))
}

// ReportRunClients returns the clients that are not archived.
func (db *DB) ReportRunClients(ctx context.Context) ([]reportrun.ClientInfo, error) {
	rows, err := db.query(ctx, `SELECT id, time_zone, language FROM clients WHERE NOT archived ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (reportrun.ClientInfo, error) {
		var c reportrun.ClientInfo
		return c, translate(row.Scan(&c.ID, &c.TimeZone, &c.Language))
	})
}

// ReportRunKeys returns the kind and period of the runs of the given
// periods, by client.
func (db *DB) ReportRunKeys(ctx context.Context, periods []string) (map[int64]map[string]bool, error) {
	out := map[int64]map[string]bool{}
	if len(periods) == 0 {
		return out, nil
	}
	args := make([]any, len(periods))
	for i, p := range periods {
		args[i] = p
	}
	rows, err := db.query(ctx, `SELECT client_id, kind, period FROM report_runs WHERE period IN (`+
		strings.TrimSuffix(strings.Repeat("?,", len(periods)), ",")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("list report runs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var kind, period string
		if err := rows.Scan(&id, &kind, &period); err != nil {
			return nil, fmt.Errorf("list report runs: %w", translate(err))
		}
		if out[id] == nil {
			out[id] = map[string]bool{}
		}
		out[id][kind+" "+period] = true
	}
	return out, translate(rows.Err())
}

// changed reports whether an UPDATE touched a row.
func changed(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n > 0, nil
}
