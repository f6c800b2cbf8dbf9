// Package attachment keeps the files attached to tickets and their
// followups: content-addressed on disk (SHA-256), described in the database,
// visible to whoever may see the ticket, and the followup when private.
package attachment

import (
	"context"
	"time"

	"github.com/vigie-hq/vigie/internal/tenant"
)

// Limits of an upload. MaxRequest bounds a whole upload request (several
// files and the form fields); the app raises its body limit to it on the
// upload routes only.
const (
	MaxSize    = 20 << 20
	MaxRequest = 64 << 20
	// MaxNameRunes is the longest file name kept.
	MaxNameRunes = 200
)

// Attachment describes one stored file.
type Attachment struct {
	ID         int64  `json:"id"`
	TicketID   int64  `json:"ticket_id"`
	FollowupID *int64 `json:"followup_id"` // nil: attached to the ticket itself
	Name       string `json:"name"`        // sanitised file name
	// DeclaredType is what the uploader said; SniffedType what the content looks like.
	DeclaredType string    `json:"declared_type"`
	SniffedType  string    `json:"sniffed_type"`
	Size         int64     `json:"size"`
	SHA256       string    `json:"sha256"`
	UploadedBy   *int64    `json:"uploaded_by"`
	Created      time.Time `json:"created_at"`
	// Public is the visibility of its followup: a private note's files are staff-only.
	Public bool `json:"public"`
}

// Store keeps the attachments' metadata. Reads are filtered by scope in SQL:
// the ticket must be visible, and a private attachment only to staff.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	AddAttachment(ctx context.Context, a *Attachment) error
	// Attachment returns an attachment the scope may see, else ErrNotFound.
	Attachment(ctx context.Context, s tenant.Scope, id int64) (Attachment, error)
	// Attachments lists a ticket's attachments the scope may see, oldest first.
	Attachments(ctx context.Context, s tenant.Scope, ticketID int64) ([]Attachment, error)
	// FollowupOf returns the visibility and author of a followup of a ticket, else ErrNotFound.
	FollowupOf(ctx context.Context, ticketID, followupID int64) (public bool, authorID *int64, err error)
}
