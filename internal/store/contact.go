package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

var (
	_ client.Store        = (*DB)(nil)
	_ user.ContactChecker = (*DB)(nil)
)

const contactCols = `id, client_id, site_id, first_name, last_name, email, phone, mobile, job_title, vip, created_at, updated_at`

func scanContact(row interface{ Scan(...any) error }) (client.Contact, error) {
	var c client.Contact
	var site sql.NullInt64
	err := row.Scan(&c.ID, &c.ClientID, &site, &c.FirstName, &c.LastName, &c.Email, &c.Phone, &c.Mobile, &c.JobTitle, &c.VIP, &c.Created, &c.Updated)
	c.SiteID = nullInt(site)
	c.Created, c.Updated = c.Created.UTC(), c.Updated.UTC()
	return c, translate(err)
}

// siteOfClient is the condition that a contact's site, when set, belongs to
// the contact's client (column names the client id in the enclosing query).
func siteOfClient(siteID *int64, column string) (string, []any) {
	if siteID == nil {
		return "TRUE", nil
	}
	return `EXISTS (SELECT 1 FROM sites WHERE sites.id = ? AND sites.client_id = ` + column + `)`, []any{*siteID}
}

// CreateContact adds a contact to a client the scope may see. A foreign
// client, or a site of another client, is ErrNotFound.
func (db *DB) CreateContact(ctx context.Context, s tenant.Scope, c *client.Contact) error {
	cond, args := scopeSQL(s, "clients.id")
	siteCond, siteArgs := siteOfClient(c.SiteID, "clients.id")
	t := now()
	id, err := db.insert(ctx, `INSERT INTO contacts (client_id, site_id, first_name, last_name, email, phone, mobile, job_title, vip, created_at, updated_at, search)
		SELECT clients.id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM clients WHERE clients.id = ? AND `+siteCond+` AND `+cond,
		append(append([]any{c.SiteID, c.FirstName, c.LastName, c.Email, c.Phone, c.Mobile, c.JobTitle, c.VIP, t, t, fold(c.FirstName, c.LastName, c.Email), c.ClientID}, siteArgs...), args...)...)
	if err != nil {
		return err
	}
	c.ID, c.Created, c.Updated = id, t, t
	return nil
}

// UpdateContact writes a contact's fields; its client never changes. A
// contact out of scope, or a site of another client, is ErrNotFound.
func (db *DB) UpdateContact(ctx context.Context, s tenant.Scope, c *client.Contact) error {
	cond, args := scopeSQL(s, "client_id")
	siteCond, siteArgs := siteOfClient(c.SiteID, "contacts.client_id")
	t := now()
	err := affected(db.exec(ctx, `UPDATE contacts SET site_id = ?, first_name = ?, last_name = ?, email = ?, phone = ?, mobile = ?, job_title = ?, vip = ?, updated_at = ?, search = ?
		WHERE id = ? AND `+siteCond+` AND `+cond,
		append(append([]any{c.SiteID, c.FirstName, c.LastName, c.Email, c.Phone, c.Mobile, c.JobTitle, c.VIP, t, fold(c.FirstName, c.LastName, c.Email), c.ID}, siteArgs...), args...)...))
	if err == nil {
		c.Updated = t
	}
	return err
}

// DeleteContact removes a contact; users linked to it lose the link (ON DELETE SET NULL).
func (db *DB) DeleteContact(ctx context.Context, s tenant.Scope, id int64) error {
	cond, args := scopeSQL(s, "client_id")
	return affected(db.exec(ctx, `DELETE FROM contacts WHERE id = ? AND `+cond, append([]any{id}, args...)...))
}

// Contact returns a contact of a client the scope may see.
func (db *DB) Contact(ctx context.Context, s tenant.Scope, id int64) (client.Contact, error) {
	cond, args := scopeSQL(s, "client_id")
	return scanContact(db.queryRow(ctx, `SELECT `+contactCols+` FROM contacts WHERE id = ? AND `+cond, append([]any{id}, args...)...))
}

// Contacts lists visible contacts by id, after the cursor.
func (db *DB) Contacts(ctx context.Context, s tenant.Scope, f client.ContactFilter) ([]client.Contact, error) {
	cond, args := scopeSQL(s, "client_id")
	q := `SELECT ` + contactCols + ` FROM contacts WHERE id > ? AND ` + cond
	args = append([]any{f.After}, args...)
	if f.ClientID != 0 {
		q += ` AND client_id = ?`
		args = append(args, f.ClientID)
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
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	return collect(rows, scanContact)
}

// ContactClient returns the client of a contact, unscoped: the user service
// uses it to check that a user's contact belongs to the user's client.
func (db *DB) ContactClient(ctx context.Context, contactID int64) (int64, error) {
	var id int64
	err := db.queryRow(ctx, `SELECT client_id FROM contacts WHERE id = ?`, contactID).Scan(&id)
	return id, translate(err)
}

// nullInt turns a nullable column into a pointer.
func nullInt(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

// nullTime turns a nullable timestamp into a UTC pointer.
func nullTime(n sql.NullTime) *time.Time {
	if !n.Valid {
		return nil
	}
	v := n.Time.UTC()
	return &v
}

// utc is the stored form of a time given by a caller: UTC, microseconds (the
// precision both databases keep), so that what is read back equals what was written.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
