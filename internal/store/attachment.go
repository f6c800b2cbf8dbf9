package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/vigie-hq/vigie/internal/attachment"
	"github.com/vigie-hq/vigie/internal/tenant"
)

var _ attachment.Store = (*DB)(nil)

const attachmentCols = `a.id, a.ticket_id, a.followup_id, a.name, a.declared_type, a.sniffed_type, a.size, a.sha256, a.uploaded_by, a.created_at, a.public`

func scanAttachment(row interface{ Scan(...any) error }) (attachment.Attachment, error) {
	var (
		a                  attachment.Attachment
		followup, uploader sql.NullInt64
	)
	if err := row.Scan(&a.ID, &a.TicketID, &followup, &a.Name, &a.DeclaredType, &a.SniffedType, &a.Size, &a.SHA256, &uploader, &a.Created, &a.Public); err != nil {
		return attachment.Attachment{}, translate(err)
	}
	a.FollowupID, a.UploadedBy, a.Created = nullInt(followup), nullInt(uploader), a.Created.UTC()
	return a, nil
}

// attachmentScope is the condition on attachments (a, of tickets t) the
// scope may see: those of its visible tickets, and the private ones only
// for staff.
func attachmentScope(s tenant.Scope) (string, []any) {
	cond, args := ticketScope(s)
	if !s.Staff() {
		cond = "(" + cond + " AND a.public)"
	}
	return cond, args
}

// AddAttachment records an attachment whose content is already stored.
func (db *DB) AddAttachment(ctx context.Context, a *attachment.Attachment) error {
	if a.Created.IsZero() {
		a.Created = now()
	}
	a.Created = utc(a.Created)
	id, err := db.insert(ctx, `INSERT INTO attachments (ticket_id, followup_id, name, declared_type, sniffed_type, size, sha256, uploaded_by, created_at, public)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.TicketID, a.FollowupID, a.Name, a.DeclaredType, a.SniffedType, a.Size, a.SHA256, a.UploadedBy, a.Created, a.Public)
	if err != nil {
		return err
	}
	a.ID = id
	return nil
}

// Attachment returns an attachment the scope may see.
func (db *DB) Attachment(ctx context.Context, s tenant.Scope, id int64) (attachment.Attachment, error) {
	cond, args := attachmentScope(s)
	return scanAttachment(db.queryRow(ctx, `SELECT `+attachmentCols+` FROM attachments AS a JOIN tickets AS t ON t.id = a.ticket_id
		WHERE a.id = ? AND `+cond, append([]any{id}, args...)...))
}

// Attachments lists the attachments of a ticket the scope may see, oldest first.
func (db *DB) Attachments(ctx context.Context, s tenant.Scope, ticketID int64) ([]attachment.Attachment, error) {
	cond, args := attachmentScope(s)
	rows, err := db.query(ctx, `SELECT `+attachmentCols+` FROM attachments AS a JOIN tickets AS t ON t.id = a.ticket_id
		WHERE a.ticket_id = ? AND `+cond+` ORDER BY a.id`, append([]any{ticketID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("list attachments of ticket %d: %w", ticketID, err)
	}
	return collect(rows, scanAttachment)
}

// FollowupOf returns the visibility and author of a followup of a ticket.
func (db *DB) FollowupOf(ctx context.Context, ticketID, followupID int64) (bool, *int64, error) {
	var (
		public bool
		author sql.NullInt64
	)
	err := db.queryRow(ctx, `SELECT public, author_id FROM followups WHERE id = ? AND ticket_id = ?`, followupID, ticketID).Scan(&public, &author)
	if err != nil {
		return false, nil, translate(err)
	}
	return public, nullInt(author), nil
}
