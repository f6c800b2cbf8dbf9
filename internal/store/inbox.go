package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/helpdeskmail"
	"github.com/vigie-hq/vigie/internal/tenant"
)

var _ helpdeskmail.Store = (*DB)(nil)

const mailboxCols = `id, name, address, host, port, tls_mode, username, password, folder, mark_seen, enabled, last_polled_at, last_error, created_at, updated_at`

func scanMailbox(row interface{ Scan(...any) error }) (helpdeskmail.Mailbox, error) {
	var m helpdeskmail.Mailbox
	var tls string
	var polled sql.NullTime
	err := row.Scan(&m.ID, &m.Name, &m.Address, &m.Host, &m.Port, &tls, &m.Username, &m.Password, &m.Folder, &m.MarkSeen, &m.Enabled, &polled, &m.LastError, &m.Created, &m.Updated)
	m.TLS = helpdeskmail.TLSMode(tls)
	m.LastPolled = nullTime(polled)
	m.Created, m.Updated = m.Created.UTC(), m.Updated.UTC()
	return m, translate(err)
}

// Mailboxes lists every configured mailbox by id.
func (db *DB) Mailboxes(ctx context.Context) ([]helpdeskmail.Mailbox, error) {
	rows, err := db.query(ctx, `SELECT `+mailboxCols+` FROM mailboxes ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list mailboxes: %w", err)
	}
	return collect(rows, scanMailbox)
}

// Mailbox returns a mailbox.
func (db *DB) Mailbox(ctx context.Context, id int64) (helpdeskmail.Mailbox, error) {
	return scanMailbox(db.queryRow(ctx, `SELECT `+mailboxCols+` FROM mailboxes WHERE id = ?`, id))
}

// CreateMailbox inserts a mailbox and sets its id.
func (db *DB) CreateMailbox(ctx context.Context, m *helpdeskmail.Mailbox) error {
	if m.Created.IsZero() {
		m.Created = now()
	}
	if m.Updated.IsZero() {
		m.Updated = m.Created
	}
	m.Created, m.Updated = utc(m.Created), utc(m.Updated)
	id, err := db.insert(ctx, `INSERT INTO mailboxes (name, address, host, port, tls_mode, username, password, folder, mark_seen, enabled, last_error, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)`,
		m.Name, m.Address, m.Host, m.Port, string(m.TLS), m.Username, m.Password, m.Folder, m.MarkSeen, m.Enabled, m.Created, m.Updated)
	if err != nil {
		return err
	}
	m.ID = id
	return nil
}

// UpdateMailbox writes a mailbox's settings (not its poll state).
func (db *DB) UpdateMailbox(ctx context.Context, m *helpdeskmail.Mailbox) error {
	if m.Updated.IsZero() {
		m.Updated = now()
	}
	m.Updated = utc(m.Updated)
	return affected(db.exec(ctx, `UPDATE mailboxes SET name = ?, address = ?, host = ?, port = ?, tls_mode = ?, username = ?, password = ?, folder = ?, mark_seen = ?, enabled = ?, updated_at = ? WHERE id = ?`,
		m.Name, m.Address, m.Host, m.Port, string(m.TLS), m.Username, m.Password, m.Folder, m.MarkSeen, m.Enabled, m.Updated, m.ID))
}

// MailboxPolled records the end of a poll and its error ("" if none).
func (db *DB) MailboxPolled(ctx context.Context, id int64, at time.Time, lastError string) error {
	if len(lastError) > 1000 {
		lastError = lastError[:1000]
	}
	return affected(db.exec(ctx, `UPDATE mailboxes SET last_polled_at = ?, last_error = ? WHERE id = ?`, utc(at), lastError, id))
}

// LastUID returns the highest UID processed for a mailbox at a UIDVALIDITY.
func (db *DB) LastUID(ctx context.Context, mailboxID int64, uidValidity uint32) (uint32, error) {
	var n int64
	err := db.queryRow(ctx, `SELECT COALESCE(MAX(uid), 0) FROM mail_processed WHERE mailbox_id = ? AND uid_validity = ?`, mailboxID, int64(uidValidity)).Scan(&n)
	return uint32(n), translate(err)
}

// Processed reports whether a mailbox UID was processed.
func (db *DB) Processed(ctx context.Context, mailboxID int64, uidValidity, uid uint32) (bool, error) {
	var n int
	err := db.queryRow(ctx, `SELECT COUNT(*) FROM mail_processed WHERE mailbox_id = ? AND uid_validity = ? AND uid = ?`, mailboxID, int64(uidValidity), int64(uid)).Scan(&n)
	return n > 0, translate(err)
}

// MessageSeen reports whether a Message-ID was processed from any mailbox.
func (db *DB) MessageSeen(ctx context.Context, messageID string) (bool, error) {
	if messageID == "" {
		return false, nil
	}
	var n int
	err := db.queryRow(ctx, `SELECT COUNT(*) FROM mail_processed WHERE message_id = ?`, messageID).Scan(&n)
	return n > 0, translate(err)
}

// AddProcessed records a processed message; ErrConflict when it already was.
func (db *DB) AddProcessed(ctx context.Context, p helpdeskmail.Processed) error {
	if p.At.IsZero() {
		p.At = now()
	}
	_, err := db.exec(ctx, `INSERT INTO mail_processed (mailbox_id, uid_validity, uid, message_id, outcome, ticket_id, quarantine_id, processed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		p.MailboxID, int64(p.UIDValidity), int64(p.UID), p.MessageID, string(p.Outcome), p.TicketID, p.QuarantineID, utc(p.At))
	return err
}

// ContactsByEmail returns the contacts with this address, of any client, by
// id. Contact addresses are stored lowercased.
func (db *DB) ContactsByEmail(ctx context.Context, email string) ([]client.Contact, error) {
	if email == "" {
		return []client.Contact{}, nil
	}
	rows, err := db.query(ctx, `SELECT `+contactCols+` FROM contacts WHERE email = ? ORDER BY id`, strings.ToLower(email))
	if err != nil {
		return nil, fmt.Errorf("find contacts by email: %w", err)
	}
	return collect(rows, scanContact)
}

// ClientInfo returns the name and language of a client.
func (db *DB) ClientInfo(ctx context.Context, id int64) (name, language string, err error) {
	err = translate(db.queryRow(ctx, `SELECT name, language FROM clients WHERE id = ?`, id).Scan(&name, &language))
	return name, language, err
}

const domainCols = `d.id, d.domain, d.client_id, c.name, d.created_at`

func scanDomain(row interface{ Scan(...any) error }) (helpdeskmail.DomainRule, error) {
	var r helpdeskmail.DomainRule
	err := row.Scan(&r.ID, &r.Domain, &r.ClientID, &r.ClientName, &r.Created)
	r.Created = r.Created.UTC()
	return r, translate(err)
}

// DomainRule returns the rule of a domain.
func (db *DB) DomainRule(ctx context.Context, domain string) (helpdeskmail.DomainRule, error) {
	return scanDomain(db.queryRow(ctx, `SELECT `+domainCols+` FROM mail_domains AS d JOIN clients AS c ON c.id = d.client_id WHERE d.domain = ?`, domain))
}

// DomainRules lists the rules of the clients the scope sees, by domain.
func (db *DB) DomainRules(ctx context.Context, s tenant.Scope) ([]helpdeskmail.DomainRule, error) {
	cond, args := scopeSQL(s, "d.client_id")
	rows, err := db.query(ctx, `SELECT `+domainCols+` FROM mail_domains AS d JOIN clients AS c ON c.id = d.client_id WHERE `+cond+` ORDER BY d.domain`, args...)
	if err != nil {
		return nil, fmt.Errorf("list domain rules: %w", err)
	}
	return collect(rows, scanDomain)
}

// CreateDomainRule inserts a rule; ErrConflict when the domain has one.
func (db *DB) CreateDomainRule(ctx context.Context, r *helpdeskmail.DomainRule) error {
	if r.Created.IsZero() {
		r.Created = now()
	}
	r.Created = utc(r.Created)
	id, err := db.insert(ctx, `INSERT INTO mail_domains (domain, client_id, created_at) VALUES (?, ?, ?)`, r.Domain, r.ClientID, r.Created)
	if err != nil {
		return err
	}
	r.ID = id
	return nil
}

// DeleteDomainRule removes a rule of a client the scope sees.
func (db *DB) DeleteDomainRule(ctx context.Context, s tenant.Scope, id int64) error {
	cond, args := scopeSQL(s, "client_id")
	return affected(db.exec(ctx, `DELETE FROM mail_domains WHERE id = ? AND `+cond, append([]any{id}, args...)...))
}

const quarantineCols = `id, mailbox_id, message_id, from_addr, subject, reason, status, client_id, received_at, ticket_id, resolved_by, resolved_at`

func scanQuarantined(row interface{ Scan(...any) error }, raw *[]byte) (helpdeskmail.Quarantined, error) {
	var q helpdeskmail.Quarantined
	var status string
	var mailbox, clientID, ticketID, by sql.NullInt64
	var resolved sql.NullTime
	dest := []any{&q.ID, &mailbox, &q.MessageID, &q.From, &q.Subject, &q.Reason, &status, &clientID, &q.Received, &ticketID, &by, &resolved}
	if raw != nil {
		dest = append(dest, raw)
	}
	err := row.Scan(dest...)
	q.Status = helpdeskmail.QuarantineStatus(status)
	q.MailboxID, q.ClientID, q.TicketID, q.ResolvedBy = nullInt(mailbox), nullInt(clientID), nullInt(ticketID), nullInt(by)
	q.Resolved = nullTime(resolved)
	q.Received = q.Received.UTC()
	return q, translate(err)
}

// quarantineScope: staff who see every client see every message; staff
// limited to some clients only those of a domain rule of theirs.
func quarantineScope(s tenant.Scope) (string, []any) {
	if !s.Staff() {
		return "FALSE", nil
	}
	return scopeSQL(s, "client_id")
}

// AddQuarantined inserts a quarantined message and sets its id.
func (db *DB) AddQuarantined(ctx context.Context, q *helpdeskmail.Quarantined) error {
	if q.Received.IsZero() {
		q.Received = now()
	}
	q.Received = utc(q.Received)
	if len(q.Reason) > 1000 {
		q.Reason = q.Reason[:1000]
	}
	id, err := db.insert(ctx, `INSERT INTO mail_quarantine (mailbox_id, message_id, from_addr, subject, reason, status, client_id, received_at, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		q.MailboxID, q.MessageID, q.From, q.Subject, q.Reason, string(q.Status), q.ClientID, q.Received, q.Raw)
	if err != nil {
		return err
	}
	q.ID = id
	return nil
}

// QuarantinedMessages lists quarantined messages of a status, newest first.
func (db *DB) QuarantinedMessages(ctx context.Context, s tenant.Scope, f helpdeskmail.QuarantineFilter) ([]helpdeskmail.Quarantined, error) {
	cond, args := quarantineScope(s)
	q := `SELECT ` + quarantineCols + ` FROM mail_quarantine WHERE status = ? AND ` + cond
	args = append([]any{string(f.Status)}, args...)
	if f.Before > 0 {
		q += ` AND id < ?`
		args = append(args, f.Before)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list quarantine: %w", err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (helpdeskmail.Quarantined, error) {
		return scanQuarantined(row, nil)
	})
}

// QuarantinedMessage returns a quarantined message with its raw content.
func (db *DB) QuarantinedMessage(ctx context.Context, s tenant.Scope, id int64) (helpdeskmail.Quarantined, error) {
	cond, args := quarantineScope(s)
	var raw []byte
	q, err := scanQuarantined(db.queryRow(ctx, `SELECT `+quarantineCols+`, raw FROM mail_quarantine WHERE id = ? AND `+cond, append([]any{id}, args...)...), &raw)
	q.Raw = raw
	return q, err
}

// ResolveQuarantined sets the final status of a pending or ignored message.
func (db *DB) ResolveQuarantined(ctx context.Context, id int64, status helpdeskmail.QuarantineStatus, by int64, ticketID *int64, at time.Time) error {
	var user *int64
	if by != 0 {
		user = &by
	}
	return affected(db.exec(ctx, `UPDATE mail_quarantine SET status = ?, resolved_by = ?, resolved_at = ?, ticket_id = ? WHERE id = ? AND status IN (?, ?)`,
		string(status), user, utc(at), ticketID, id, string(helpdeskmail.QuarantinePending), string(helpdeskmail.QuarantineIgnored)))
}
