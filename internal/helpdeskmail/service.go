package helpdeskmail

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/attachment"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// Tickets is what inbound mail needs of the helpdesk.
type Tickets interface {
	Create(ctx context.Context, s tenant.Scope, t *ticket.Ticket) error
	Reply(ctx context.Context, s tenant.Scope, id int64, body string, public bool) (ticket.Followup, error)
	Get(ctx context.Context, s tenant.Scope, id int64) (ticket.Ticket, error)
}

var _ Tickets = (*ticket.Service)(nil)

// Options configure a Service.
type Options struct {
	// BaseURL is Vigie's public URL; its host names Vigie's Message-IDs.
	BaseURL string
	// OwnAddresses are Vigie's sender addresses (the SMTP From, the
	// provider's e-mail): a message from one of them, or from a mailbox's
	// address, is a loop.
	OwnAddresses []string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Attachments keeps the files of inbound messages (package attachment).
type Attachments interface {
	// Check says whether a file would be refused (a program, too large).
	Check(name string, size int64, head []byte) error
	Save(ctx context.Context, s tenant.Scope, ticketID int64, followupID *int64, name, declaredType string, r io.Reader) (attachment.Attachment, error)
}

var _ Attachments = (*attachment.Service)(nil)

// SetAttachments makes the service keep the files of the messages that
// become tickets or followups (by default they are only listed in the text).
func (svc *Service) SetAttachments(a Attachments) { svc.attachments = a }

// Service routes inbound mail into the helpdesk and manages the mailboxes,
// the domain rules and the quarantine.
type Service struct {
	store   Store
	tickets Tickets
	journal Journal
	// attachments keeps the files of messages; nil only lists them in the text.
	attachments Attachments
	log         *slog.Logger
	host        string
	own         []string
	now         func() time.Time
}

// NewService returns a Service; log may be nil to discard.
func NewService(store Store, tickets Tickets, journal Journal, opts Options, log *slog.Logger) (*Service, error) {
	u, err := url.Parse(opts.BaseURL)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("helpdesk mail: base URL %q has no host", opts.BaseURL)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	own := make([]string, 0, len(opts.OwnAddresses))
	for _, a := range opts.OwnAddresses {
		if a = strings.ToLower(strings.TrimSpace(a)); a != "" {
			own = append(own, a)
		}
	}
	return &Service{store: store, tickets: tickets, journal: journal, log: log, host: u.Hostname(), own: own, now: opts.Now}, nil
}

func (svc *Service) clock() time.Time { return svc.now().UTC().Truncate(time.Microsecond) }

// normalize validates a mailbox and cleans its fields in place.
func (m *Mailbox) normalize() error {
	var v fault.Invalid
	m.Name = v.Text("name", m.Name, 100, false, false)
	m.Address = v.Email("address", m.Address, false)
	m.Host = v.Text("host", m.Host, 253, true, false)
	if strings.ContainsAny(m.Host, " /:@") {
		v.Add("host", "invalid_host")
	}
	if m.Port == 0 {
		switch m.TLS {
		case TLSImplicit:
			m.Port = 993
		default:
			m.Port = 143
		}
	}
	if m.Port < 1 || m.Port > 65535 {
		v.Add("port", "out_of_range", 65535)
	}
	v.OneOf("tls_mode", string(m.TLS), string(TLSImplicit), string(TLSStart), string(TLSNone))
	m.Username = v.Text("username", m.Username, 254, true, false)
	if m.Password == "" {
		v.Add("password", "required")
	}
	if len(m.Password) > 1000 {
		v.Add("password", "too_long", 1000)
	}
	if m.Folder == "" {
		m.Folder = "INBOX"
	}
	m.Folder = v.Text("folder", m.Folder, 200, true, false)
	return v.Err()
}

// Mailboxes lists the configured mailboxes (admins only).
func (svc *Service) Mailboxes(ctx context.Context, s tenant.Scope) ([]Mailbox, error) {
	if !s.Can(tenant.ProviderWrite) {
		return nil, fault.ErrForbidden
	}
	return svc.store.Mailboxes(ctx)
}

// AddMailbox configures a new mailbox (admins only).
func (svc *Service) AddMailbox(ctx context.Context, s tenant.Scope, m *Mailbox) error {
	if !s.Can(tenant.ProviderWrite) {
		return fault.ErrForbidden
	}
	if err := m.normalize(); err != nil {
		return err
	}
	now := svc.clock()
	m.Created, m.Updated, m.LastPolled, m.LastError = now, now, nil, ""
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.CreateMailbox(ctx, m); err != nil {
			return fmt.Errorf("create mailbox: %w", err)
		}
		return svc.journal.Record(ctx, audit.Entry{Action: "mailbox.create", Object: audit.Object("mailbox", m.ID), Summary: m.Username + "@" + m.Host + "/" + m.Folder})
	})
}

// UpdateMailbox changes a mailbox (admins only); an empty Password keeps
// the stored one. Running pollers pick the change up within a minute.
func (svc *Service) UpdateMailbox(ctx context.Context, s tenant.Scope, m *Mailbox) error {
	if !s.Can(tenant.ProviderWrite) {
		return fault.ErrForbidden
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		old, err := svc.store.Mailbox(ctx, m.ID)
		if err != nil {
			return err
		}
		if m.Password == "" {
			m.Password = old.Password
		}
		if err := m.normalize(); err != nil {
			return err
		}
		m.Created, m.Updated = old.Created, svc.clock()
		if err := svc.store.UpdateMailbox(ctx, m); err != nil {
			return fmt.Errorf("update mailbox %d: %w", m.ID, err)
		}
		return svc.journal.Record(ctx, audit.Entry{Action: "mailbox.update", Object: audit.Object("mailbox", m.ID), Summary: audit.Diff(old, *m)})
	})
}

// DomainRules lists the domain rules of the clients the scope sees (staff).
func (svc *Service) DomainRules(ctx context.Context, s tenant.Scope) ([]DomainRule, error) {
	if !s.Staff() || !s.Can(tenant.TicketWork) {
		return nil, fault.ErrForbidden
	}
	return svc.store.DomainRules(ctx, s)
}

// AddDomainRule maps an e-mail domain to a client (helpdesk admins).
func (svc *Service) AddDomainRule(ctx context.Context, s tenant.Scope, r *DomainRule) error {
	if !s.Staff() || !s.CanOn(tenant.HelpdeskAdmin, r.ClientID) {
		return fault.ErrForbidden
	}
	var v fault.Invalid
	r.Domain = strings.TrimPrefix(strings.ToLower(v.Text("domain", r.Domain, 253, true, false)), "@")
	if !v.Has("domain") && (!strings.Contains(r.Domain, ".") || strings.ContainsAny(r.Domain, " @/:")) {
		v.Add("domain", "invalid_domain")
	}
	if err := v.Err(); err != nil {
		return err
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		name, _, err := svc.store.ClientInfo(ctx, r.ClientID)
		if err != nil {
			v.Add("client_id", "invalid_choice")
			return v.Err()
		}
		r.ClientName, r.Created = name, svc.clock()
		if err := svc.store.CreateDomainRule(ctx, r); err != nil {
			return fmt.Errorf("create domain rule: %w", err)
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: &r.ClientID, Action: "maildomain.create", Object: audit.Object("maildomain", r.ID), Summary: r.Domain})
	})
}

// DeleteDomainRule removes a domain rule (helpdesk admins).
func (svc *Service) DeleteDomainRule(ctx context.Context, s tenant.Scope, id int64) error {
	if !s.Staff() || !s.Can(tenant.HelpdeskAdmin) {
		return fault.ErrForbidden
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.DeleteDomainRule(ctx, s, id); err != nil {
			return err
		}
		return svc.journal.Record(ctx, audit.Entry{Action: "maildomain.delete", Object: audit.Object("maildomain", id)})
	})
}

// Quarantine lists quarantined messages, pending ones unless the filter
// says otherwise (staff only).
func (svc *Service) Quarantine(ctx context.Context, s tenant.Scope, f QuarantineFilter) ([]Quarantined, error) {
	if !s.Staff() || !s.Can(tenant.TicketWork) {
		return nil, fault.ErrForbidden
	}
	if f.Status == "" {
		f.Status = QuarantinePending
	}
	switch f.Status {
	case QuarantinePending, QuarantineIgnored, QuarantineReleased, QuarantineDiscarded:
	default:
		v := &fault.Invalid{}
		v.Add("status", "invalid_choice")
		return nil, v
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	return svc.store.QuarantinedMessages(ctx, s, f)
}

// QuarantinedMessage returns a quarantined message with its raw content (staff only).
func (svc *Service) QuarantinedMessage(ctx context.Context, s tenant.Scope, id int64) (Quarantined, error) {
	if !s.Staff() || !s.Can(tenant.TicketWork) {
		return Quarantined{}, fault.ErrForbidden
	}
	return svc.store.QuarantinedMessage(ctx, s, id)
}

// Discard throws a pending or ignored quarantined message away (staff only).
func (svc *Service) Discard(ctx context.Context, s tenant.Scope, id int64) error {
	if !s.Staff() || !s.Can(tenant.TicketWork) {
		return fault.ErrForbidden
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		q, err := svc.store.QuarantinedMessage(ctx, s, id)
		if err != nil {
			return err
		}
		if q.Status != QuarantinePending && q.Status != QuarantineIgnored {
			return fault.ErrConflict
		}
		if err := svc.store.ResolveQuarantined(ctx, id, QuarantineDiscarded, s.UserID, nil, svc.clock()); err != nil {
			return err
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: q.ClientID, Action: "quarantine.discard", Object: audit.Object("quarantine", id), Summary: q.Reason})
	})
}
