package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

const enrollTokenCols = `id, client_id, site_id, name, prefix, expires_at, max_uses, uses, revoked_at, created_at, created_by`

func scanEnrollToken(row interface{ Scan(...any) error }) (asset.EnrollToken, error) {
	var t asset.EnrollToken
	var site, by sql.NullInt64
	var expires, revoked sql.NullTime
	if err := row.Scan(&t.ID, &t.ClientID, &site, &t.Name, &t.Prefix, &expires, &t.MaxUses, &t.Uses, &revoked, &t.Created, &by); err != nil {
		return asset.EnrollToken{}, translate(err)
	}
	t.SiteID = nullID(site)
	t.CreatedBy = by.Int64
	t.Created = t.Created.UTC()
	if expires.Valid {
		e := expires.Time.UTC()
		t.Expires = &e
	}
	if revoked.Valid {
		r := revoked.Time.UTC()
		t.Revoked = &r
	}
	return t, nil
}

// CreateEnrollToken inserts an enrollment token with the hash of its secret.
func (db *DB) CreateEnrollToken(ctx context.Context, t *asset.EnrollToken, hash string) error {
	var by any
	if t.CreatedBy != 0 {
		by = t.CreatedBy
	}
	id, err := db.insert(ctx, `INSERT INTO enroll_tokens (client_id, site_id, name, prefix, hash, expires_at, max_uses, uses, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
		t.ClientID, t.SiteID, t.Name, t.Prefix, hash, timeArg(t.Expires), t.MaxUses, t.Created.UTC(), by)
	if err != nil {
		return err
	}
	t.ID = id
	return nil
}

// EnrollTokens lists a client's enrollment tokens, newest first.
func (db *DB) EnrollTokens(ctx context.Context, s tenant.Scope, clientID int64) ([]asset.EnrollToken, error) {
	cond, args := scopeSQL(s, "client_id")
	rows, err := db.query(ctx, `SELECT `+enrollTokenCols+` FROM enroll_tokens WHERE client_id = ? AND `+cond+` ORDER BY id DESC`, append([]any{clientID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("list enrollment tokens: %w", err)
	}
	return collect(rows, scanEnrollToken)
}

// EnrollToken returns one enrollment token of a client the scope may see.
func (db *DB) EnrollToken(ctx context.Context, s tenant.Scope, id int64) (asset.EnrollToken, error) {
	cond, args := scopeSQL(s, "client_id")
	return scanEnrollToken(db.queryRow(ctx, `SELECT `+enrollTokenCols+` FROM enroll_tokens WHERE id = ? AND `+cond, append([]any{id}, args...)...))
}

// EnrollTokenByHash returns the enrollment token of a secret's hash.
func (db *DB) EnrollTokenByHash(ctx context.Context, hash string) (asset.EnrollToken, error) {
	return scanEnrollToken(db.queryRow(ctx, `SELECT `+enrollTokenCols+` FROM enroll_tokens WHERE hash = ?`, hash))
}

// UseEnrollToken counts one use of a token that has one left; a token used
// up meanwhile (by a concurrent enrollment) is a conflict.
func (db *DB) UseEnrollToken(ctx context.Context, id int64) error {
	err := affected(db.exec(ctx, `UPDATE enroll_tokens SET uses = uses + 1 WHERE id = ? AND revoked_at IS NULL AND (max_uses = 0 OR uses < max_uses)`, id))
	if err == fault.ErrNotFound {
		return fmt.Errorf("enrollment token %d used up: %w", id, fault.ErrConflict)
	}
	return err
}

// RevokeEnrollToken revokes an enrollment token.
func (db *DB) RevokeEnrollToken(ctx context.Context, id int64, at time.Time) error {
	return affected(db.exec(ctx, `UPDATE enroll_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, at.UTC(), id))
}
