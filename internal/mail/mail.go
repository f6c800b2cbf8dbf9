// Package mail sends Vigie's e-mail through a durable outbox: a message is
// rendered, logged in mail_log and queued as a job in the caller's
// transaction, then a worker delivers it by SMTP (or, with no SMTP server
// configured, writes it as an .eml file) and retries it on failure.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	gomail "github.com/wneessen/go-mail"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Message is an e-mail to send.
type Message struct {
	// To are the recipients, "addr@example.com" or "Name <addr@example.com>".
	To      []string
	Subject string
	// Text is the plain-text body; HTML, if any, is its alternative.
	Text string
	HTML string
	// ClientID is the client the message concerns, if any.
	ClientID *int64
	// MessageID is generated when empty (without angle brackets).
	MessageID  string
	InReplyTo  string
	References []string
	// Headers are extra headers ("X-Vigie-Ticket"); they replace defaults
	// of the same name (Auto-Submitted).
	Headers map[string]string
	// Attachments are files sent with the message (a report's PDF); with
	// any the message is multipart/mixed, without it is unchanged.
	Attachments []Attachment
}

// Attachment is a file sent with a message.
type Attachment struct {
	// Name is the file name the recipient sees ("rapport-ACME-2026-10.pdf").
	Name string
	// ContentType is its media type; application/octet-stream when empty.
	ContentType string
	Data        []byte
}

// MaxAttachments is the largest total size of a message's attachments, in
// bytes: beyond it most mail servers refuse the message.
const MaxAttachments = 15 << 20

// Status is where a message is in its delivery.
type Status string

// Statuses of a logged message.
const (
	StatusQueued Status = "queued" // waiting for its first or next attempt
	StatusSent   Status = "sent"   // accepted by the SMTP server or written to a file
	StatusFailed Status = "failed" // refused for good or out of attempts
)

// Entry is a logged outgoing message.
type Entry struct {
	ID        int64      `json:"id"`
	Created   time.Time  `json:"created_at"`
	Sent      *time.Time `json:"sent_at"`
	ClientID  *int64     `json:"client_id"`
	To        []string   `json:"to"`
	Subject   string     `json:"subject"`
	Status    Status     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error"`
	// EMLPath is the file the message was written to, without SMTP.
	EMLPath string `json:"eml_path"`
	// Raw is the RFC 5322 message, loaded by Get only.
	Raw []byte `json:"-"`
}

// Filter selects logged messages, newest first.
type Filter struct {
	Status   Status // "" for any
	ClientID int64  // 0 for any
	// Before is the cursor: only messages with a smaller ID (0 for the newest).
	Before int64
	Limit  int
}

// Store keeps the mail log.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// CreateMail inserts e (with its Raw message) and sets its ID.
	CreateMail(ctx context.Context, e *Entry) error
	// Mail returns a message with its Raw content, if the scope sees its client.
	Mail(ctx context.Context, s tenant.Scope, id int64) (Entry, error)
	// Mails lists messages without their Raw content, by descending ID.
	Mails(ctx context.Context, s tenant.Scope, f Filter) ([]Entry, error)
	// MailSent marks a message sent after attempts tries.
	MailSent(ctx context.Context, id int64, attempts int, emlPath string, at time.Time) error
	// MailAttemptFailed records a failed try; final marks the message failed.
	MailAttemptFailed(ctx context.Context, id int64, attempts int, lastError string, final bool) error
}

// Queue enqueues jobs, in the context's transaction when there is one.
type Queue interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Providers returns the provider's settings: sender name and default language.
type Providers interface {
	Get(ctx context.Context) (provider.Provider, error)
}

// Options configure an Outbox.
type Options struct {
	// BaseURL is Vigie's public URL; its host names the Message-IDs.
	BaseURL string
	// From is the sender address; empty uses the provider's e-mail.
	From string
	// MaxAttempts is how often a message is tried before it fails (default 12,
	// about 11 hours with River's attempt⁴-second backoff).
	MaxAttempts int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// DefaultMaxAttempts is the number of tries of a message unless configured.
const DefaultMaxAttempts = 12

// Outbox queues messages for delivery and lists those sent.
type Outbox struct {
	store     Store
	queue     Queue
	providers Providers
	opts      Options
	host      string
	templates *templates
}

// NewOutbox returns an Outbox; it fails when BaseURL has no host or an
// embedded template does not parse.
func NewOutbox(store Store, queue Queue, providers Providers, opts Options) (*Outbox, error) {
	u, err := url.Parse(opts.BaseURL)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("outbox: base URL %q has no host", opts.BaseURL)
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	tpl, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	return &Outbox{store: store, queue: queue, providers: providers, opts: opts, host: u.Hostname(), templates: tpl}, nil
}

// SendArgs is the job that delivers one logged message.
type SendArgs struct {
	MailID int64 `json:"mail_id"`
}

// Kind names the job.
func (SendArgs) Kind() string { return "mail.send" }

// Send renders m, logs it as queued and enqueues its delivery, all in the
// context's transaction when there is one (so a rolled-back change sends
// nothing). It returns the log ID and the Message-ID.
func (o *Outbox) Send(ctx context.Context, m Message) (int64, string, error) {
	to, err := recipients(m.To)
	if err != nil {
		return 0, "", err
	}
	// A line break in the subject would end the header.
	m.Subject = strings.Join(strings.Fields(m.Subject), " ")
	invalid := &fault.Invalid{}
	if m.Subject == "" {
		invalid.Add("subject", "required")
	}
	if strings.TrimSpace(m.Text) == "" {
		invalid.Add("text", "required")
	}
	checkAttachments(invalid, m.Attachments)
	if err := invalid.Err(); err != nil {
		return 0, "", err
	}
	p, err := o.providers.Get(ctx)
	if err != nil {
		return 0, "", fmt.Errorf("load provider for mail: %w", err)
	}
	m.MessageID = strings.Trim(angle(m.MessageID), "<>")
	if m.MessageID == "" {
		m.MessageID = o.newMessageID()
	}
	now := o.opts.Now().UTC().Truncate(time.Microsecond)
	raw, err := o.render(m, to, p, now)
	if err != nil {
		return 0, "", err
	}
	e := Entry{Created: now, ClientID: m.ClientID, Subject: m.Subject, Status: StatusQueued, Raw: raw}
	for _, a := range to {
		e.To = append(e.To, a.Address)
	}
	err = o.store.InTx(ctx, func(ctx context.Context) error {
		if err := o.store.CreateMail(ctx, &e); err != nil {
			return fmt.Errorf("log mail: %w", err)
		}
		_, err := o.queue.Insert(ctx, SendArgs{MailID: e.ID}, &river.InsertOpts{MaxAttempts: o.opts.MaxAttempts})
		return err
	})
	if err != nil {
		return 0, "", err
	}
	return e.ID, m.MessageID, nil
}

// recipients parses and checks the To addresses.
func recipients(list []string) ([]*mail.Address, error) {
	invalid := &fault.Invalid{}
	if len(list) == 0 {
		invalid.Add("to", "required")
		return nil, invalid
	}
	out := make([]*mail.Address, 0, len(list))
	for _, s := range list {
		a, err := mail.ParseAddress(s)
		// A comma would split the address in the log's recipient list.
		if err != nil || strings.ContainsAny(a.Address, ",\r\n") {
			invalid.Add("to", "invalid_email")
			return nil, invalid
		}
		out = append(out, a)
	}
	return out, nil
}

// checkAttachments refuses an attachment without a name, with a name that
// could break its header or name a path, or attachments too large to send.
func checkAttachments(invalid *fault.Invalid, list []Attachment) {
	total := 0
	for _, a := range list {
		total += len(a.Data)
		if strings.TrimSpace(a.Name) == "" || strings.ContainsAny(a.Name, "/\\\"\r\n") {
			invalid.Add("attachments", "invalid")
			return
		}
		if a.ContentType != "" {
			if _, _, err := mime.ParseMediaType(a.ContentType); err != nil {
				invalid.Add("attachments", "invalid")
				return
			}
		}
	}
	if total > MaxAttachments {
		invalid.Add("attachments", "too_large", MaxAttachments)
	}
}

// newMessageID returns a unique Message-ID (without angle brackets) under
// Vigie's host, so replies can be matched to what was sent.
func (o *Outbox) newMessageID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b) + "@" + o.host
}

// sender returns the From address: configured, else the provider's, else
// no-reply at Vigie's host.
func (o *Outbox) sender(p provider.Provider) (name, addr string) {
	name = p.Name
	if name == "" {
		name = "Vigie"
	}
	addr = o.opts.From
	if addr == "" {
		addr = p.Email
	}
	if addr == "" {
		addr = "no-reply@" + o.host
	}
	return name, addr
}

// render builds the RFC 5322 message with go-mail.
func (o *Outbox) render(m Message, to []*mail.Address, p provider.Provider, now time.Time) ([]byte, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	name, addr := o.sender(p)
	if err := msg.FromFormat(name, addr); err != nil {
		return nil, fmt.Errorf("mail sender %q: %w", addr, err)
	}
	for _, a := range to {
		if err := msg.AddToFormat(a.Name, a.Address); err != nil {
			invalid := &fault.Invalid{}
			invalid.Add("to", "invalid_email")
			return nil, invalid
		}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID)
	msg.SetDateWithValue(now)
	msg.SetUserAgent("Vigie")
	if m.InReplyTo != "" {
		msg.SetGenHeaderPreformatted(gomail.HeaderInReplyTo, angle(m.InReplyTo))
	}
	if len(m.References) > 0 {
		refs := make([]string, len(m.References))
		for i, r := range m.References {
			refs[i] = angle(r)
		}
		msg.SetGenHeaderPreformatted(gomail.HeaderReferences, strings.Join(refs, " "))
	}
	// Vigie's messages are automatic: no vacation replies to them.
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	for _, k := range slices.Sorted(maps.Keys(m.Headers)) {
		msg.SetGenHeader(gomail.Header(k), m.Headers[k])
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		msg.AttachReadSeeker(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(ct)))
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("render mail: %w", err)
	}
	return buf.Bytes(), nil
}

// angle returns a message ID between angle brackets, stripped of spaces and
// line breaks so it cannot inject a header.
func angle(id string) string {
	id = strings.Map(func(r rune) rune {
		if r <= ' ' || r == '<' || r == '>' {
			return -1
		}
		return r
	}, id)
	return "<" + id + ">"
}

// List returns logged messages, newest first; only admins may read the log.
func (o *Outbox) List(ctx context.Context, s tenant.Scope, f Filter) ([]Entry, error) {
	if !s.Can(tenant.MailRead) {
		return nil, fault.ErrForbidden
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	switch f.Status {
	case "", StatusQueued, StatusSent, StatusFailed:
	default:
		invalid := &fault.Invalid{}
		invalid.Add("status", "invalid_choice")
		return nil, invalid
	}
	return o.store.Mails(ctx, s, f)
}

// Get returns a logged message with its raw RFC 5322 content.
func (o *Outbox) Get(ctx context.Context, s tenant.Scope, id int64) (Entry, error) {
	if !s.Can(tenant.MailRead) {
		return Entry{}, fault.ErrForbidden
	}
	return o.store.Mail(ctx, s, id)
}

// errNoSender is returned when a logged message has no parseable From.
var errNoSender = errors.New("message has no From address")

// envelopeFrom returns the address of the From header of raw.
func envelopeFrom(raw []byte) (string, error) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("read logged message: %w", err)
	}
	a, err := mail.ParseAddress(m.Header.Get("From"))
	if err != nil {
		return "", errNoSender
	}
	return a.Address, nil
}
