package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/fault"
)

var _ auth.Store = (*DB)(nil)

// loginFailureRetention is how long failed sign-ins are kept: far longer than
// any throttling window, short enough not to keep a trail of addresses.
const loginFailureRetention = 24 * time.Hour

// Credentials returns a user's password hash and second factor.
func (db *DB) Credentials(ctx context.Context, userID int64) (auth.Credentials, error) {
	var c auth.Credentials
	err := db.queryRow(ctx, `SELECT password_hash, totp_secret, totp_enabled FROM users WHERE id = ?`, userID).
		Scan(&c.PasswordHash, &c.TOTPSecret, &c.TOTPEnabled)
	return c, translate(err)
}

// SetPassword replaces a user's password hash.
func (db *DB) SetPassword(ctx context.Context, userID int64, hash string) error {
	return affected(db.exec(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, now(), userID))
}

// SetTOTP sets a user's second factor and replaces its recovery codes.
func (db *DB) SetTOTP(ctx context.Context, userID int64, secret string, enabled bool, recoveryHashes []string) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		err := affected(db.exec(ctx, `UPDATE users SET totp_secret = ?, totp_enabled = ?, updated_at = ? WHERE id = ?`, secret, enabled, now(), userID))
		if err != nil {
			return err
		}
		if _, err := db.exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("delete recovery codes: %w", err)
		}
		for _, h := range recoveryHashes {
			if _, err := db.exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)`, userID, h); err != nil {
				return fmt.Errorf("insert recovery code: %w", err)
			}
		}
		return nil
	})
}

// UseRecoveryCode deletes a matching code. The DELETE itself decides, so two
// concurrent uses of one code cannot both succeed.
func (db *DB) UseRecoveryCode(ctx context.Context, userID int64, hash string) (bool, error) {
	err := affected(db.exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ? AND code_hash = ?`, userID, hash))
	if errors.Is(err, fault.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// SetLastLogin records a successful sign-in.
func (db *DB) SetLastLogin(ctx context.Context, userID int64, at time.Time) error {
	return affected(db.exec(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, utc(at), userID))
}

const sessionCols = `id, user_id, created_at, last_seen_at, expires_at, ip, user_agent, mfa_pending`

func scanSession(row interface{ Scan(...any) error }) (auth.Session, error) {
	var s auth.Session
	err := row.Scan(&s.ID, &s.UserID, &s.Created, &s.LastSeen, &s.Expires, &s.IP, &s.UserAgent, &s.MFAPending)
	s.Created, s.LastSeen, s.Expires = s.Created.UTC(), s.LastSeen.UTC(), s.Expires.UTC()
	return s, translate(err)
}

// CreateSession stores a session; its ID is the hash of the cookie.
func (db *DB) CreateSession(ctx context.Context, s *auth.Session) error {
	s.Created, s.LastSeen, s.Expires = utc(s.Created), utc(s.LastSeen), utc(s.Expires)
	_, err := db.exec(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.UserID, s.Created, s.LastSeen, s.Expires, s.IP, s.UserAgent, s.MFAPending)
	return err
}

// Session returns a session by ID, expired or not: the caller decides.
func (db *DB) Session(ctx context.Context, id string) (auth.Session, error) {
	return scanSession(db.queryRow(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id = ?`, id))
}

// UpdateSession writes a session's activity, expiry and second-factor state.
func (db *DB) UpdateSession(ctx context.Context, s *auth.Session) error {
	s.LastSeen, s.Expires = utc(s.LastSeen), utc(s.Expires)
	return affected(db.exec(ctx, `UPDATE sessions SET last_seen_at = ?, expires_at = ?, ip = ?, user_agent = ?, mfa_pending = ? WHERE id = ?`,
		s.LastSeen, s.Expires, s.IP, s.UserAgent, s.MFAPending, s.ID))
}

// DeleteSession ends a session. Ending one that is already gone is not an
// error: signing out twice must not fail.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	_, err := db.exec(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	return err
}

// DeleteUserSessions ends every session of a user except keep ("" keeps none).
func (db *DB) DeleteUserSessions(ctx context.Context, userID int64, keep string) error {
	_, err := db.exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, keep)
	return err
}

// DeleteExpiredSessions removes expired sessions (a session is still valid
// at its expiry instant, as in auth.Service.Authenticate) and reset tokens
// (no longer valid at theirs), and failed sign-ins older than a day.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	now = utc(now)
	return db.InTx(ctx, func(ctx context.Context) error {
		if _, err := db.exec(ctx, `DELETE FROM sessions WHERE expires_at < ?`, now); err != nil {
			return fmt.Errorf("delete expired sessions: %w", err)
		}
		if _, err := db.exec(ctx, `DELETE FROM reset_tokens WHERE expires_at <= ?`, now); err != nil {
			return fmt.Errorf("delete expired reset tokens: %w", err)
		}
		if _, err := db.exec(ctx, `DELETE FROM login_failures WHERE at < ?`, now.Add(-loginFailureRetention)); err != nil {
			return fmt.Errorf("delete old login failures: %w", err)
		}
		return nil
	})
}

const tokenCols = `id, user_id, name, prefix, hash, can_write, created_at, last_used_at, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (auth.Token, error) {
	var (
		t             auth.Token
		used, revoked sql.NullTime
	)
	err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.Hash, &t.Write, &t.Created, &used, &revoked)
	t.Created = t.Created.UTC()
	t.LastUsed, t.Revoked = nullTime(used), nullTime(revoked)
	return t, translate(err)
}

// CreateToken stores an API token (its hash, never its secret).
func (db *DB) CreateToken(ctx context.Context, t *auth.Token) error {
	if t.Created.IsZero() {
		t.Created = now()
	}
	t.Created = utc(t.Created)
	id, err := db.insert(ctx, `INSERT INTO api_tokens (user_id, name, prefix, hash, can_write, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		t.UserID, t.Name, t.Prefix, t.Hash, t.Write, t.Created)
	if err != nil {
		return err
	}
	t.ID = id
	return nil
}

// TokenByHash returns a token by the hash of its secret, revoked or not.
func (db *DB) TokenByHash(ctx context.Context, hash string) (auth.Token, error) {
	return scanToken(db.queryRow(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE hash = ?`, hash))
}

// Tokens lists a user's tokens by id, revoked ones included.
func (db *DB) Tokens(ctx context.Context, userID int64) ([]auth.Token, error) {
	rows, err := db.query(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return collect(rows, scanToken)
}

// RevokeToken revokes one of the user's tokens; another user's is
// ErrNotFound. Revoking twice keeps the first date.
func (db *DB) RevokeToken(ctx context.Context, userID, id int64, at time.Time) error {
	return affected(db.exec(ctx, `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND user_id = ?`, utc(at), id, userID))
}

// TouchToken records a use of a token.
func (db *DB) TouchToken(ctx context.Context, id int64, at time.Time) error {
	return affected(db.exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, utc(at), id))
}

// CreateResetToken stores a password-reset token (its hash).
func (db *DB) CreateResetToken(ctx context.Context, userID int64, hash string, expires time.Time) error {
	_, err := db.exec(ctx, `INSERT INTO reset_tokens (hash, user_id, expires_at) VALUES (?, ?, ?)`, hash, userID, utc(expires))
	return err
}

// ConsumeResetToken deletes a reset token and, when it was still valid,
// every other reset token of its user, and returns the user. A missing or
// expired token is ErrNotFound. The DELETE … RETURNING decides, so a token
// can be consumed only once even by concurrent requests.
func (db *DB) ConsumeResetToken(ctx context.Context, hash string, now time.Time) (int64, error) {
	var (
		userID int64
		valid  bool
	)
	err := db.InTx(ctx, func(ctx context.Context) error {
		var live int
		err := db.q(ctx).QueryRowContext(ctx, db.rebind(`DELETE FROM reset_tokens WHERE hash = ? RETURNING user_id, CASE WHEN expires_at > ? THEN 1 ELSE 0 END`), hash, utc(now)).
			Scan(&userID, &live)
		if err != nil {
			return translate(err)
		}
		if valid = live == 1; !valid {
			return nil // the expired token goes; nothing else changes
		}
		_, err = db.exec(ctx, `DELETE FROM reset_tokens WHERE user_id = ?`, userID)
		return err
	})
	if err != nil {
		return 0, err
	}
	if !valid {
		return 0, fault.ErrNotFound
	}
	return userID, nil
}

// RecordLoginFailure notes a failed attempt under a key (account, address…).
func (db *DB) RecordLoginFailure(ctx context.Context, key string, at time.Time) error {
	_, err := db.exec(ctx, `INSERT INTO login_failures (key, at) VALUES (?, ?)`, key, utc(at))
	return err
}

// CountLoginFailures counts the failures of a key since a moment.
func (db *DB) CountLoginFailures(ctx context.Context, key string, since time.Time) (int, error) {
	var n int
	err := db.queryRow(ctx, `SELECT COUNT(*) FROM login_failures WHERE key = ? AND at >= ?`, key, utc(since)).Scan(&n)
	return n, translate(err)
}

// ClearLoginFailures forgets the failures of a key.
func (db *DB) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := db.exec(ctx, `DELETE FROM login_failures WHERE key = ?`, key)
	return err
}
