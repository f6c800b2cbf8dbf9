// Package helpdeskmail is the helpdesk's e-mail: inbound messages read from
// IMAP mailboxes become tickets or followups (or wait in a quarantine), and
// the requester of a ticket is notified by e-mail of its creation, of the
// staff's public replies and of its resolution.
package helpdeskmail

import (
	"context"
	"time"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// TLSMode is how the connection to an IMAP server is secured.
type TLSMode string

// TLS modes.
const (
	TLSImplicit TLSMode = "tls"      // IMAPS, usually port 993
	TLSStart    TLSMode = "starttls" // STARTTLS, usually port 143
	TLSNone     TLSMode = "none"     // clear text: tests and local relays only
)

// Mailbox is an IMAP folder Vigie reads requests from.
type Mailbox struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Address is the mailbox's own e-mail address: a message from it is a loop.
	Address  string  `json:"address"`
	Host     string  `json:"host"`
	Port     int     `json:"port"`
	TLS      TLSMode `json:"tls_mode"`
	Username string  `json:"username"`
	// Password is stored in clear in the database for now.
	Password string `json:"-"`
	Folder   string `json:"folder"`
	// MarkSeen flags processed messages \Seen on the server (they are never
	// moved nor deleted).
	MarkSeen   bool       `json:"mark_seen"`
	Enabled    bool       `json:"enabled"`
	LastPolled *time.Time `json:"last_polled_at"`
	LastError  string     `json:"last_error"`
	Created    time.Time  `json:"created_at"`
	Updated    time.Time  `json:"updated_at"`
}

// DomainRule sends a sender at Domain who is no contact to the quarantine
// with ClientID named, for triage.
type DomainRule struct {
	ID         int64     `json:"id"`
	Domain     string    `json:"domain"`
	ClientID   int64     `json:"client_id"`
	ClientName string    `json:"client_name"`
	Created    time.Time `json:"created_at"`
}

// QuarantineStatus is where a quarantined message is in its triage.
type QuarantineStatus string

// Quarantine statuses.
const (
	QuarantinePending   QuarantineStatus = "pending"   // waits for staff
	QuarantineIgnored   QuarantineStatus = "ignored"   // auto-reply, bounce or loop: kept, not shown by default
	QuarantineReleased  QuarantineStatus = "released"  // turned into a ticket or followup by staff
	QuarantineDiscarded QuarantineStatus = "discarded" // thrown away by staff
)

// Quarantined is an inbound message that became no ticket nor followup.
type Quarantined struct {
	ID         int64            `json:"id"`
	MailboxID  *int64           `json:"mailbox_id"`
	MessageID  string           `json:"message_id"`
	From       string           `json:"from"`
	Subject    string           `json:"subject"`
	Reason     string           `json:"reason"`
	Status     QuarantineStatus `json:"status"`
	ClientID   *int64           `json:"client_id"` // the client of a domain rule, if any
	Received   time.Time        `json:"received_at"`
	TicketID   *int64           `json:"ticket_id"` // set on release
	ResolvedBy *int64           `json:"resolved_by"`
	Resolved   *time.Time       `json:"resolved_at"`
	// Raw is the message as received (only its header when it was too
	// large); loaded by QuarantinedMessage only.
	Raw []byte `json:"-"`
}

// QuarantineFilter selects quarantined messages, newest first.
type QuarantineFilter struct {
	Status QuarantineStatus // "" for pending
	Before int64            // cursor: only smaller ids (0 for the newest)
	Limit  int
}

// Outcome is what became of an inbound message.
type Outcome string

// Outcomes.
const (
	OutcomeTicket      Outcome = "ticket"      // a new ticket
	OutcomeFollowup    Outcome = "followup"    // a public followup on a ticket
	OutcomeQuarantined Outcome = "quarantined" // pending triage
	OutcomeIgnored     Outcome = "ignored"     // auto-reply, bounce or loop, kept in the quarantine
	OutcomeDuplicate   Outcome = "duplicate"   // its Message-ID was already processed (another mailbox, new UIDVALIDITY)
	OutcomeAlready     Outcome = "already"     // this mailbox UID was already processed
)

// Processed records one message read from a mailbox.
type Processed struct {
	MailboxID    int64
	UIDValidity  uint32
	UID          uint32
	MessageID    string
	Outcome      Outcome
	TicketID     *int64
	QuarantineID *int64
	At           time.Time
}

// Store keeps mailboxes, domain rules, processed messages and the quarantine.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error

	Mailboxes(ctx context.Context) ([]Mailbox, error)
	Mailbox(ctx context.Context, id int64) (Mailbox, error)
	CreateMailbox(ctx context.Context, m *Mailbox) error
	UpdateMailbox(ctx context.Context, m *Mailbox) error
	// MailboxPolled records the end of a poll, with its error ("" if none).
	MailboxPolled(ctx context.Context, id int64, at time.Time, lastError string) error

	// LastUID returns the highest UID processed for the mailbox at this
	// UIDVALIDITY, 0 when none.
	LastUID(ctx context.Context, mailboxID int64, uidValidity uint32) (uint32, error)
	// Processed reports whether a mailbox UID was already processed.
	Processed(ctx context.Context, mailboxID int64, uidValidity, uid uint32) (bool, error)
	// MessageSeen reports whether a Message-ID was already processed from any mailbox.
	MessageSeen(ctx context.Context, messageID string) (bool, error)
	// AddProcessed records a processed message; ErrConflict when it already was.
	AddProcessed(ctx context.Context, p Processed) error

	// ContactsByEmail returns the contacts with this (lowercase) address, of any client.
	ContactsByEmail(ctx context.Context, email string) ([]client.Contact, error)
	// ClientInfo returns the name and language of a client (unscoped).
	ClientInfo(ctx context.Context, id int64) (name, language string, err error)
	// Contact returns a contact of a client the scope sees.
	Contact(ctx context.Context, s tenant.Scope, id int64) (client.Contact, error)
	// DomainRule returns the rule of a domain, ErrNotFound when none.
	DomainRule(ctx context.Context, domain string) (DomainRule, error)
	DomainRules(ctx context.Context, s tenant.Scope) ([]DomainRule, error)
	CreateDomainRule(ctx context.Context, r *DomainRule) error
	DeleteDomainRule(ctx context.Context, s tenant.Scope, id int64) error

	AddQuarantined(ctx context.Context, q *Quarantined) error
	// QuarantinedMessages lists without Raw; a scope limited to some
	// clients sees only the messages of a domain rule of those clients.
	QuarantinedMessages(ctx context.Context, s tenant.Scope, f QuarantineFilter) ([]Quarantined, error)
	// QuarantinedMessage returns a message with its Raw content.
	QuarantinedMessage(ctx context.Context, s tenant.Scope, id int64) (Quarantined, error)
	// ResolveQuarantined sets the final status of a pending or ignored
	// message; ErrNotFound when it is neither.
	ResolveQuarantined(ctx context.Context, id int64, status QuarantineStatus, by int64, ticketID *int64, at time.Time) error
}

// Journal appends to the audit journal.
type Journal interface {
	Record(ctx context.Context, e audit.Entry) error
}
