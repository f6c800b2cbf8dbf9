package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/tenant"
)

var _ mail.Store = (*DB)(nil)

const mailCols = `id, created_at, sent_at, client_id, recipients, subject, status, attempts, last_error, eml_path`

func scanMail(row interface{ Scan(...any) error }, raw *[]byte) (mail.Entry, error) {
	var e mail.Entry
	var to, status string
	dest := []any{&e.ID, &e.Created, &e.Sent, &e.ClientID, &to, &e.Subject, &status, &e.Attempts, &e.LastError, &e.EMLPath}
	if raw != nil {
		dest = append(dest, raw)
	}
	if err := row.Scan(dest...); err != nil {
		return e, translate(err)
	}
	e.Status = mail.Status(status)
	e.To = splitRecipients(to)
	e.Created = e.Created.UTC()
	if e.Sent != nil {
		t := e.Sent.UTC()
		e.Sent = &t
	}
	return e, nil
}

// Recipients are stored as one "a@x, b@y" text; mail.Outbox refuses
// addresses with a comma.
func splitRecipients(s string) []string {
	out := []string{}
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// CreateMail logs an outgoing message with its raw content.
func (db *DB) CreateMail(ctx context.Context, e *mail.Entry) error {
	if e.Created.IsZero() {
		e.Created = now()
	}
	if e.Status == "" {
		e.Status = mail.StatusQueued
	}
	id, err := db.insert(ctx, `INSERT INTO mail_log (created_at, sent_at, client_id, recipients, subject, status, attempts, last_error, eml_path, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Created, e.Sent, e.ClientID, strings.Join(e.To, ", "), e.Subject, string(e.Status), e.Attempts, e.LastError, e.EMLPath, e.Raw)
	if err != nil {
		return fmt.Errorf("insert mail: %w", err)
	}
	e.ID = id
	return nil
}

// Mail returns a logged message with its raw content. Messages about no
// client are visible only to scopes that see every client.
func (db *DB) Mail(ctx context.Context, s tenant.Scope, id int64) (mail.Entry, error) {
	cond, args := scopeSQL(s, "client_id")
	var raw []byte
	e, err := scanMail(db.queryRow(ctx, `SELECT `+mailCols+`, message FROM mail_log WHERE id = ? AND `+cond, append([]any{id}, args...)...), &raw)
	e.Raw = raw
	return e, err
}

// Mails lists logged messages by descending id, before the cursor.
func (db *DB) Mails(ctx context.Context, s tenant.Scope, f mail.Filter) ([]mail.Entry, error) {
	cond, args := scopeSQL(s, "client_id")
	q := `SELECT ` + mailCols + ` FROM mail_log WHERE ` + cond
	if f.Before > 0 {
		q += ` AND id < ?`
		args = append(args, f.Before)
	}
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, string(f.Status))
	}
	if f.ClientID != 0 {
		q += ` AND client_id = ?`
		args = append(args, f.ClientID)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list mail: %w", err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (mail.Entry, error) { return scanMail(row, nil) })
}

// MailSent marks a message sent.
func (db *DB) MailSent(ctx context.Context, id int64, attempts int, emlPath string, at time.Time) error {
	return affected(db.exec(ctx, `UPDATE mail_log SET status = ?, sent_at = ?, attempts = ?, eml_path = ?, last_error = '' WHERE id = ?`,
		string(mail.StatusSent), at, attempts, emlPath, id))
}

// MailAttemptFailed records a failed try; final marks the message failed.
func (db *DB) MailAttemptFailed(ctx context.Context, id int64, attempts int, lastError string, final bool) error {
	status := mail.StatusQueued
	if final {
		status = mail.StatusFailed
	}
	if len(lastError) > 2000 {
		lastError = strings.ToValidUTF8(lastError[:2000], "")
	}
	return affected(db.exec(ctx, `UPDATE mail_log SET status = ?, attempts = ?, last_error = ? WHERE id = ?`,
		string(status), attempts, lastError, id))
}
