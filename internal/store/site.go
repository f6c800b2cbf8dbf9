package store

import (
	"context"
	"fmt"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/tenant"
)

const siteCols = `id, client_id, name, address, notes, created_at, updated_at`

func scanSite(row interface{ Scan(...any) error }) (client.Site, error) {
	var st client.Site
	err := row.Scan(&st.ID, &st.ClientID, &st.Name, &st.Address, &st.Notes, &st.Created, &st.Updated)
	st.Created, st.Updated = st.Created.UTC(), st.Updated.UTC()
	return st, translate(err)
}

// CreateSite adds a site to a client the scope may see. The insert selects
// the client row through the scope, so a foreign client is ErrNotFound.
func (db *DB) CreateSite(ctx context.Context, s tenant.Scope, st *client.Site) error {
	cond, args := scopeSQL(s, "id")
	t := now()
	id, err := db.insert(ctx, `INSERT INTO sites (client_id, name, address, notes, created_at, updated_at) SELECT id, ?, ?, ?, ?, ? FROM clients WHERE id = ? AND `+cond,
		append([]any{st.Name, st.Address, st.Notes, t, t, st.ClientID}, args...)...)
	if err != nil {
		return err
	}
	st.ID, st.Created, st.Updated = id, t, t
	return nil
}

// UpdateSite writes a site's fields; its client never changes.
func (db *DB) UpdateSite(ctx context.Context, s tenant.Scope, st *client.Site) error {
	cond, args := scopeSQL(s, "client_id")
	t := now()
	err := affected(db.exec(ctx, `UPDATE sites SET name = ?, address = ?, notes = ?, updated_at = ? WHERE id = ? AND `+cond,
		append([]any{st.Name, st.Address, st.Notes, t, st.ID}, args...)...))
	if err == nil {
		st.Updated = t
	}
	return err
}

// DeleteSite removes a site; its contacts stay, without a site (ON DELETE SET NULL).
func (db *DB) DeleteSite(ctx context.Context, s tenant.Scope, id int64) error {
	cond, args := scopeSQL(s, "client_id")
	return affected(db.exec(ctx, `DELETE FROM sites WHERE id = ? AND `+cond, append([]any{id}, args...)...))
}

// Site returns a site of a client the scope may see.
func (db *DB) Site(ctx context.Context, s tenant.Scope, id int64) (client.Site, error) {
	cond, args := scopeSQL(s, "client_id")
	return scanSite(db.queryRow(ctx, `SELECT `+siteCols+` FROM sites WHERE id = ? AND `+cond, append([]any{id}, args...)...))
}

// Sites returns a client's sites by name, ignoring case alike on both
// databases; none when the scope cannot see the client.
func (db *DB) Sites(ctx context.Context, s tenant.Scope, clientID int64) ([]client.Site, error) {
	cond, args := scopeSQL(s, "client_id")
	rows, err := db.query(ctx, `SELECT `+siteCols+` FROM sites WHERE client_id = ? AND `+cond+` ORDER BY lower(name), id`, append([]any{clientID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("list sites of client %d: %w", clientID, err)
	}
	return collect(rows, scanSite)
}
