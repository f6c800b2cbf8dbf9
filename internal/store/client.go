package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

var _ client.Store = (*DB)(nil)

const clientCols = `id, code, name, legal_id, vat_id, address, time_zone, language, archived, created_at, updated_at`

func scanClient(row interface{ Scan(...any) error }) (client.Client, error) {
	var c client.Client
	err := row.Scan(&c.ID, &c.Code, &c.Name, &c.LegalID, &c.VATID, &c.Address, &c.TimeZone, &c.Language, &c.Archived, &c.Created, &c.Updated)
	return c, translate(err)
}

// CreateClient inserts a client; a taken code is a conflict on "code".
func (db *DB) CreateClient(ctx context.Context, s tenant.Scope, c *client.Client) error {
	t := now()
	id, err := db.insert(ctx, `INSERT INTO clients (code, name, legal_id, vat_id, address, time_zone, language, archived, created_at, updated_at, search) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Code, c.Name, c.LegalID, c.VATID, c.Address, c.TimeZone, c.Language, c.Archived, t, t, fold(c.Code, c.Name, c.LegalID))
	if err != nil {
		return err
	}
	c.ID, c.Created, c.Updated = id, t, t
	return nil
}

// UpdateClient writes every field of a client the scope may see.
func (db *DB) UpdateClient(ctx context.Context, s tenant.Scope, c *client.Client) error {
	cond, args := scopeSQL(s, "id")
	t := now()
	err := affected(db.exec(ctx, `UPDATE clients SET code = ?, name = ?, legal_id = ?, vat_id = ?, address = ?, time_zone = ?, language = ?, archived = ?, updated_at = ?, search = ? WHERE id = ? AND `+cond,
		append([]any{c.Code, c.Name, c.LegalID, c.VATID, c.Address, c.TimeZone, c.Language, c.Archived, t, fold(c.Code, c.Name, c.LegalID), c.ID}, args...)...))
	if err == nil {
		c.Updated = t
	}
	return err
}

// Client returns a client the scope may see.
func (db *DB) Client(ctx context.Context, s tenant.Scope, id int64) (client.Client, error) {
	cond, args := scopeSQL(s, "id")
	return scanClient(db.queryRow(ctx, `SELECT `+clientCols+` FROM clients WHERE id = ? AND `+cond, append([]any{id}, args...)...))
}

// Clients lists visible clients by id, after the cursor.
func (db *DB) Clients(ctx context.Context, s tenant.Scope, f client.Filter) ([]client.Client, error) {
	cond, args := scopeSQL(s, "id")
	q := `SELECT ` + clientCols + ` FROM clients WHERE id > ? AND ` + cond
	args = append([]any{f.After}, args...)
	if f.Query != "" {
		q += ` AND search LIKE ? ESCAPE '\'`
		args = append(args, like(f.Query))
	}
	if f.Archived != nil {
		q += ` AND archived = ?`
		args = append(args, *f.Archived)
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, f.Limit)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return collect(rows, scanClient)
}

// CountClients counts visible clients, archived or not.
func (db *DB) CountClients(ctx context.Context, s tenant.Scope, archived bool) (int, error) {
	cond, args := scopeSQL(s, "id")
	var n int
	err := db.queryRow(ctx, `SELECT COUNT(*) FROM clients WHERE archived = ? AND `+cond, append([]any{archived}, args...)...).Scan(&n)
	return n, translate(err)
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, translate(rows.Err())
}

var _ = fault.ErrNotFound
