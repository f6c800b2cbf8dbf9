package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/tenant"
)

var _ audit.Store = (*DB)(nil)

const auditCols = `id, at, actor_id, actor_name, ip, client_id, action, object, summary`

func scanAudit(row interface{ Scan(...any) error }) (audit.Entry, error) {
	var (
		e             audit.Entry
		actor, client sql.NullInt64
	)
	err := row.Scan(&e.ID, &e.At, &actor, &e.ActorName, &e.IP, &client, &e.Action, &e.Object, &e.Summary)
	e.At = e.At.UTC()
	e.ActorID, e.ClientID = nullInt(actor), nullInt(client)
	return e, translate(err)
}

// AppendAudit appends an entry to the journal, inside the caller's
// transaction when there is one. The database refuses any later change.
func (db *DB) AppendAudit(ctx context.Context, e *audit.Entry) error {
	if e.At.IsZero() {
		e.At = now()
	}
	e.At = utc(e.At)
	id, err := db.insert(ctx, `INSERT INTO audit_log (at, actor_id, actor_name, ip, client_id, action, object, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.At, e.ActorID, e.ActorName, e.IP, e.ClientID, e.Action, e.Object, e.Summary)
	if err != nil {
		return err
	}
	e.ID = id
	return nil
}

// AuditEntries lists journal entries the scope may read, newest first.
// Staff who see every client read everything, entries about no client
// included; staff limited to some clients and client users read only the
// entries of their clients.
func (db *DB) AuditEntries(ctx context.Context, s tenant.Scope, f audit.Filter) ([]audit.Entry, error) {
	cond, args := scopeSQL(s, "client_id")
	q := `SELECT ` + auditCols + ` FROM audit_log WHERE ` + cond
	if f.ClientID != nil {
		q += ` AND client_id = ?`
		args = append(args, *f.ClientID)
	}
	if f.ActorID != nil {
		q += ` AND actor_id = ?`
		args = append(args, *f.ActorID)
	}
	if f.Action != "" {
		// lower() on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
		q += ` AND lower(action) LIKE ? ESCAPE '\'`
		args = append(args, prefixPattern(strings.ToLower(f.Action)))
	}
	if !f.Since.IsZero() {
		q += ` AND at >= ?`
		args = append(args, utc(f.Since))
	}
	if !f.Until.IsZero() {
		q += ` AND at < ?`
		args = append(args, utc(f.Until))
	}
	if f.Before != 0 {
		q += ` AND id < ?`
		args = append(args, f.Before)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	return collect(rows, scanAudit)
}

// prefixPattern escapes s for a LIKE pattern matching values that start with it.
func prefixPattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}
