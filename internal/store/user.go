package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

var _ user.Store = (*DB)(nil)

const userCols = `id, email, name, role, level, client_id, contact_id, language, disabled, totp_enabled, last_login_at, created_at, updated_at`

func scanUser(row interface{ Scan(...any) error }) (user.User, error) {
	var (
		u               user.User
		role            string
		client, contact sql.NullInt64
		lastLogin       sql.NullTime
	)
	err := row.Scan(&u.ID, &u.Email, &u.Name, &role, &u.Level, &client, &contact, &u.Language, &u.Disabled, &u.TOTPEnabled, &lastLogin, &u.Created, &u.Updated)
	u.Role = tenant.Role(role)
	u.ClientID, u.ContactID = nullInt(client), nullInt(contact)
	u.LastLogin = nullTime(lastLogin)
	u.Created, u.Updated = u.Created.UTC(), u.Updated.UTC()
	return u, translate(err)
}

// userScope is the condition on users visible to a scope: staff see every
// staff user and the users of the clients they see; a client user sees only
// the users of its own client.
func userScope(s tenant.Scope) (string, []any) {
	cond, args := scopeSQL(s, "users.client_id")
	if s.Staff() {
		return "(users.client_id IS NULL OR " + cond + ")", args
	}
	return cond, args
}

// CreateUser inserts a user with its password hash and its client limits.
// A taken e-mail is a conflict on "email".
func (db *DB) CreateUser(ctx context.Context, u *user.User, passwordHash string) error {
	t := now()
	return db.InTx(ctx, func(ctx context.Context) error {
		id, err := db.insert(ctx, `INSERT INTO users (email, name, role, level, client_id, contact_id, language, disabled, password_hash, created_at, updated_at, search) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			strings.ToLower(u.Email), u.Name, string(u.Role), u.Level, u.ClientID, u.ContactID, u.Language, u.Disabled, passwordHash, t, t, fold(u.Name, u.Email))
		if err != nil {
			return err
		}
		if err := db.setUserClients(ctx, id, u.Clients); err != nil {
			return err
		}
		u.ID, u.Email, u.Created, u.Updated = id, strings.ToLower(u.Email), t, t
		return nil
	})
}

// UpdateUser writes a user's profile, role, links, limits and disabled flag.
// Credentials, second factor and last sign-in belong to package auth.
func (db *DB) UpdateUser(ctx context.Context, u *user.User) error {
	t := now()
	return db.InTx(ctx, func(ctx context.Context) error {
		err := affected(db.exec(ctx, `UPDATE users SET email = ?, name = ?, role = ?, level = ?, client_id = ?, contact_id = ?, language = ?, disabled = ?, updated_at = ?, search = ? WHERE id = ?`,
			strings.ToLower(u.Email), u.Name, string(u.Role), u.Level, u.ClientID, u.ContactID, u.Language, u.Disabled, t, fold(u.Name, u.Email), u.ID))
		if err != nil {
			return err
		}
		if _, err := db.exec(ctx, `DELETE FROM user_clients WHERE user_id = ?`, u.ID); err != nil {
			return err
		}
		if err := db.setUserClients(ctx, u.ID, u.Clients); err != nil {
			return err
		}
		u.Email, u.Updated = strings.ToLower(u.Email), t
		return nil
	})
}

func (db *DB) setUserClients(ctx context.Context, userID int64, clients []int64) error {
	for _, c := range clients {
		if _, err := db.exec(ctx, `INSERT INTO user_clients (user_id, client_id) VALUES (?, ?)`, userID, c); err != nil {
			return fmt.Errorf("limit user %d to client %d: %w", userID, c, err)
		}
	}
	return nil
}

// loadUserClients fills the client limits of users in one query.
func (db *DB) loadUserClients(ctx context.Context, users []user.User) error {
	if len(users) == 0 {
		return nil
	}
	index := make(map[int64]int, len(users))
	args := make([]any, len(users))
	for i, u := range users {
		index[u.ID] = i
		args[i] = u.ID
	}
	rows, err := db.query(ctx, `SELECT user_id, client_id FROM user_clients WHERE user_id IN (`+placeholders(len(users))+`) ORDER BY user_id, client_id`, args...)
	if err != nil {
		return fmt.Errorf("load user clients: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var uid, cid int64
		if err := rows.Scan(&uid, &cid); err != nil {
			return translate(err)
		}
		i := index[uid]
		users[i].Clients = append(users[i].Clients, cid)
	}
	return translate(rows.Err())
}

// User returns a user the scope may see.
func (db *DB) User(ctx context.Context, s tenant.Scope, id int64) (user.User, error) {
	cond, args := userScope(s)
	u, err := scanUser(db.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = ? AND `+cond, append([]any{id}, args...)...))
	if err != nil {
		return user.User{}, err
	}
	us := []user.User{u}
	if err := db.loadUserClients(ctx, us); err != nil {
		return user.User{}, err
	}
	return us[0], nil
}

// Users lists visible users by id, after the cursor: staff users when
// f.Staff, else client users (of f.ClientID when set).
func (db *DB) Users(ctx context.Context, s tenant.Scope, f user.Filter) ([]user.User, error) {
	cond, args := userScope(s)
	q := `SELECT ` + userCols + ` FROM users WHERE id > ? AND ` + cond
	args = append([]any{f.After}, args...)
	switch {
	case f.Staff:
		q += ` AND client_id IS NULL`
	case f.ClientID != 0:
		q += ` AND client_id = ?`
		args = append(args, f.ClientID)
	default:
		q += ` AND client_id IS NOT NULL`
	}
	if f.Query != "" {
		p := like(f.Query)
		q += ` AND search LIKE ? ESCAPE '\'`
		args = append(args, p)
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, f.Limit)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	users, err := collect(rows, scanUser)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	if err := db.loadUserClients(ctx, users); err != nil {
		return nil, err
	}
	return users, nil
}

// UserByEmail returns the user with an e-mail address, whatever its client:
// it serves sign-in and password reset, before any scope exists.
func (db *DB) UserByEmail(ctx context.Context, email string) (user.User, error) {
	u, err := scanUser(db.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE email = ?`, strings.ToLower(strings.TrimSpace(email))))
	if err != nil {
		return user.User{}, err
	}
	us := []user.User{u}
	if err := db.loadUserClients(ctx, us); err != nil {
		return user.User{}, err
	}
	return us[0], nil
}

// CountUsers counts every user, staff and client users, disabled or not.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := db.queryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, translate(err)
}

// placeholders returns "?, ?, …" for n arguments.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
