package helpdeskmail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// Delivery is one message read from a mailbox.
type Delivery struct {
	MailboxID   int64
	UIDValidity uint32
	UID         uint32
	// Raw is the whole message, or only its header when TooLarge is set.
	Raw []byte
	// TooLarge is the size the server announced for a message larger than
	// MaxMessageSize, which was not fetched whole (0 otherwise).
	TooLarge int64
}

// Result says what became of an inbound message.
type Result struct {
	Outcome      Outcome
	TicketID     int64
	QuarantineID int64
	Reason       string
}

// rejection is a message the helpdesk does not take as it is: it goes to
// the quarantine with its reason.
type rejection struct {
	reason   string
	clientID *int64
	field    string // the field of a release that is wrong
}

func (r *rejection) Error() string { return r.reason }

func reject(field, format string, args ...any) *rejection {
	return &rejection{reason: fmt.Sprintf(format, args...), field: field}
}

// errProcessed means another process recorded the same message first.
var errProcessed = errors.New("message already processed")

// Deliver processes one message read from a mailbox exactly once: the
// ticket, followup or quarantine entry it produces and the record that the
// mailbox UID was processed are written in one transaction, so a crash
// before the commit processes it again and one after does not. Errors
// returned are those of the database; the message should be delivered again
// later.
func (svc *Service) Deliver(ctx context.Context, d Delivery) (Result, error) {
	done, err := svc.store.Processed(ctx, d.MailboxID, d.UIDValidity, d.UID)
	if err != nil {
		return Result{}, err
	}
	if done {
		return Result{Outcome: OutcomeAlready}, nil
	}
	own, err := svc.ownAddresses(ctx)
	if err != nil {
		return Result{}, err
	}
	in, perr := Parse(d.Raw)
	q := Quarantined{MailboxID: &d.MailboxID, MessageID: in.MessageID, From: in.From, Subject: in.Subject, Raw: d.Raw}
	switch {
	case d.TooLarge > 0:
		q.Reason = fmt.Sprintf("message too large: %d bytes, at most %d (only its header is kept)", d.TooLarge, MaxMessageSize)
		return svc.quarantine(ctx, d, q, QuarantinePending)
	case perr != nil:
		q.Reason = perr.Error()
		return svc.quarantine(ctx, d, q, QuarantinePending)
	}
	if class, why := Classify(in, own, svc.host); class != ClassMessage {
		q.Reason = why
		return svc.quarantine(ctx, d, q, QuarantineIgnored)
	}
	if in.MessageID != "" {
		seen, err := svc.store.MessageSeen(ctx, in.MessageID)
		if err != nil {
			return Result{}, err
		}
		if seen {
			err := svc.store.AddProcessed(ctx, svc.processed(d, in.MessageID, Result{Outcome: OutcomeDuplicate}))
			if errors.Is(err, fault.ErrConflict) {
				return Result{Outcome: OutcomeAlready}, nil
			}
			return Result{Outcome: OutcomeDuplicate}, err
		}
	}
	var res Result
	err = svc.store.InTx(ctx, func(ctx context.Context) error {
		var err error
		res, err = svc.route(ctx, in)
		if err != nil {
			return err
		}
		return svc.markProcessed(ctx, d, in.MessageID, res)
	})
	var rej *rejection
	switch {
	case errors.Is(err, errProcessed):
		return Result{Outcome: OutcomeAlready}, nil
	case errors.As(err, &rej):
		q.Reason, q.ClientID = rej.reason, rej.clientID
		return svc.quarantine(ctx, d, q, QuarantinePending)
	case err != nil:
		return Result{}, err
	}
	svc.log.Info("inbound mail", "mailbox", d.MailboxID, "uid", d.UID, "outcome", res.Outcome, "ticket", res.TicketID)
	return res, nil
}

func (svc *Service) processed(d Delivery, messageID string, res Result) Processed {
	p := Processed{MailboxID: d.MailboxID, UIDValidity: d.UIDValidity, UID: d.UID, MessageID: messageID, Outcome: res.Outcome, At: svc.clock()}
	if res.TicketID != 0 {
		id := res.TicketID
		p.TicketID = &id
	}
	if res.QuarantineID != 0 {
		id := res.QuarantineID
		p.QuarantineID = &id
	}
	return p
}

func (svc *Service) markProcessed(ctx context.Context, d Delivery, messageID string, res Result) error {
	err := svc.store.AddProcessed(ctx, svc.processed(d, messageID, res))
	if errors.Is(err, fault.ErrConflict) {
		return errProcessed
	}
	return err
}

// quarantine keeps a message that became no ticket nor followup, with the
// record that it was processed.
func (svc *Service) quarantine(ctx context.Context, d Delivery, q Quarantined, status QuarantineStatus) (Result, error) {
	q.Status, q.Received = status, svc.clock()
	if q.Raw == nil {
		q.Raw = []byte{}
	}
	outcome := OutcomeQuarantined
	if status == QuarantineIgnored {
		outcome = OutcomeIgnored
	}
	var res Result
	err := svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.AddQuarantined(ctx, &q); err != nil {
			return fmt.Errorf("quarantine message: %w", err)
		}
		res = Result{Outcome: outcome, QuarantineID: q.ID, Reason: q.Reason}
		return svc.markProcessed(ctx, d, q.MessageID, res)
	})
	if errors.Is(err, errProcessed) {
		return Result{Outcome: OutcomeAlready}, nil
	}
	if err != nil {
		return Result{}, err
	}
	svc.log.Info("inbound mail", "mailbox", d.MailboxID, "uid", d.UID, "outcome", outcome, "reason", q.Reason)
	return res, nil
}

// ownAddresses are Vigie's senders and the addresses of its mailboxes.
func (svc *Service) ownAddresses(ctx context.Context) ([]string, error) {
	mbs, err := svc.store.Mailboxes(ctx)
	if err != nil {
		return nil, err
	}
	own := append([]string(nil), svc.own...)
	for _, m := range mbs {
		own = append(own, strings.ToLower(m.Address))
		if strings.Contains(m.Username, "@") {
			own = append(own, strings.ToLower(m.Username))
		}
	}
	return own, nil
}

// route finds the sender's contact and turns the message into a followup
// of the ticket it refers to, or into a new ticket.
func (svc *Service) route(ctx context.Context, in Inbound) (Result, error) {
	contacts, err := svc.store.ContactsByEmail(ctx, in.From)
	if err != nil {
		return Result{}, err
	}
	ref, hasRef := TicketRef(in, svc.host)
	if len(contacts) == 0 {
		_, domain, _ := strings.Cut(in.From, "@")
		rule, err := svc.store.DomainRule(ctx, domain)
		if errors.Is(err, fault.ErrNotFound) {
			return Result{}, reject("", "unknown sender %s", in.From)
		}
		if err != nil {
			return Result{}, err
		}
		r := reject("", "unknown contact at client %s's domain %s", rule.ClientName, domain)
		r.clientID = &rule.ClientID
		return Result{}, r
	}
	contact := contacts[0]
	if clients := distinctClients(contacts); len(clients) > 1 {
		// The same address is a contact of several clients: the ticket
		// referred to decides, else staff do.
		found := false
		if hasRef {
			for _, c := range contacts {
				if _, err := svc.tickets.Get(ctx, clientScope(c, tenant.RoleClientAdmin), ref); err == nil {
					contact, found = c, true
					break
				}
			}
		}
		if !found {
			return Result{}, reject("", "%s is a contact of %d clients", in.From, len(clients))
		}
	}
	if !hasRef {
		ref = 0
	}
	return svc.apply(ctx, &contact, contact.ClientID, in, ref)
}

func distinctClients(cs []client.Contact) map[int64]bool {
	out := map[int64]bool{}
	for _, c := range cs {
		out[c.ClientID] = true
	}
	return out
}

func clientScope(c client.Contact, role tenant.Role) tenant.Scope {
	return tenant.Scope{Role: role, ClientID: c.ClientID, ContactID: c.ID}
}

// apply adds the message to ticket ref (when not 0) as a public followup,
// else opens a new incident, in the name of the contact (nil: of the client
// without requester). The contact acts as a client user, who sees the
// tickets it requested; a reply to a ticket of its client requested by a
// colleague (often copied on the thread) is accepted as a client admin of
// the same client would be. A ticket of another client is never reached.
func (svc *Service) apply(ctx context.Context, c *client.Contact, clientID int64, in Inbound, ref int64) (Result, error) {
	_, lang, err := svc.store.ClientInfo(ctx, clientID)
	if err != nil {
		return Result{}, err
	}
	name := in.FromName
	if c != nil && c.FullName() != "" {
		name = c.FullName()
	}
	if name == "" {
		name = in.From
	}
	actx := audit.WithActor(ctx, audit.Actor{Name: name + " (e-mail)"})
	scope := tenant.Scope{Role: tenant.RoleClientAdmin, ClientID: clientID}
	if c != nil {
		scope = clientScope(*c, tenant.RoleClientUser)
	}
	if ref != 0 {
		if _, err := svc.tickets.Get(ctx, scope, ref); errors.Is(err, fault.ErrNotFound) && scope.Role == tenant.RoleClientUser {
			scope.Role = tenant.RoleClientAdmin
			_, err = svc.tickets.Get(ctx, scope, ref)
			if errors.Is(err, fault.ErrNotFound) {
				return Result{}, reject("ticket_id", "ticket #%d is not visible to %s", ref, in.From)
			}
			if err != nil {
				return Result{}, err
			}
		} else if errors.Is(err, fault.ErrNotFound) {
			return Result{}, reject("ticket_id", "ticket #%d is not visible to %s", ref, in.From)
		} else if err != nil {
			return Result{}, err
		}
		// A reply to a merged duplicate goes to the ticket it was merged
		// into (a ticket of the same client, maybe of another requester).
		for hops := 0; hops < maxMergeHops; hops++ {
			t, err := svc.tickets.Get(ctx, scope, ref)
			if err != nil {
				return Result{}, err
			}
			if t.MergedInto == nil {
				break
			}
			ref, scope.Role = *t.MergedInto, tenant.RoleClientAdmin
		}
		body := truncate(in.Text, 45000) + svc.attachmentNote(in.Attachments, lang)
		f, err := svc.tickets.Reply(actx, scope, ref, body, true)
		if err != nil {
			if refused(err) {
				return Result{}, reject("ticket_id", "reply to ticket #%d refused: %v", ref, err)
			}
			return Result{}, fmt.Errorf("reply to ticket %d: %w", ref, err)
		}
		if err := svc.keepAttachments(actx, ref, &f.ID, in.Attachments); err != nil {
			return Result{}, err
		}
		return Result{Outcome: OutcomeFollowup, TicketID: ref}, nil
	}
	t := ticket.Ticket{
		ClientID:    clientID,
		Type:        ticket.TypeIncident,
		Title:       title(in.Subject, lang),
		Description: truncate(in.Full, 45000) + svc.attachmentNote(in.Attachments, lang),
	}
	if err := svc.tickets.Create(actx, scope, &t); err != nil {
		if refused(err) {
			return Result{}, reject("client_id", "new ticket refused: %v", err)
		}
		return Result{}, fmt.Errorf("create ticket from mail: %w", err)
	}
	if err := svc.keepAttachments(actx, t.ID, nil, in.Attachments); err != nil {
		return Result{}, err
	}
	return Result{Outcome: OutcomeTicket, TicketID: t.ID}, nil
}

// refused reports whether the helpdesk refused a change (rather than failed).
func refused(err error) bool {
	var v *fault.Invalid
	return errors.As(err, &v) || errors.Is(err, fault.ErrForbidden) || errors.Is(err, fault.ErrNotFound) || errors.Is(err, fault.ErrConflict)
}

// title is a ticket title from a subject: one line of at most 200 characters.
func title(subject, lang string) string {
	s := clean(subject)
	if s == "" {
		if lang == "en" {
			return "(no subject)"
		}
		return "(sans objet)"
	}
	return truncate(s, 200)
}

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// keepAttachments saves the files of a message that became a ticket or a
// followup, in the delivery's transaction: a failure to store one rolls the
// delivery back, and the message is fetched again. Files the attachment
// service refuses are skipped (attachmentNote lists them in the text). The
// sender's right to the ticket was checked by Create or Reply; the files
// are saved in the system scope because an e-mail sender is no user who
// could own the followup.
func (svc *Service) keepAttachments(ctx context.Context, ticketID int64, followupID *int64, as []Attachment) error {
	if svc.attachments == nil {
		return nil
	}
	for _, a := range as {
		if svc.attachments.Check(a.Name, a.Size, a.Content) != nil {
			continue
		}
		if _, err := svc.attachments.Save(ctx, tenant.System(), ticketID, followupID, a.Name, a.ContentType, bytes.NewReader(a.Content)); err != nil {
			return fmt.Errorf("keep attachment of ticket %d: %w", ticketID, err)
		}
	}
	return nil
}

// attachmentNote lists, in the text of a ticket or followup, the files of
// a message that are not kept: all of them without an attachment service,
// else the refused ones (programs, files too large).
// maxMergeHops bounds the chain of merged tickets a reply follows.
const maxMergeHops = 5

func (svc *Service) attachmentNote(as []Attachment, lang string) string {
	heading := map[bool]string{true: "\n\nAttachments received (not kept yet):", false: "\n\nPièces jointes reçues (pas encore conservées) :"}
	if svc.attachments != nil {
		var refusedFiles []Attachment
		for _, a := range as {
			if svc.attachments.Check(a.Name, a.Size, a.Content) != nil {
				refusedFiles = append(refusedFiles, a)
			}
		}
		as = refusedFiles
		heading = map[bool]string{true: "\n\nAttachments refused (programs and files over the size limit are not kept):", false: "\n\nPièces jointes refusées (programmes et fichiers trop volumineux ne sont pas conservés) :"}
	}
	if len(as) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(heading[lang == "en"])
	for i, a := range as {
		if i == 20 {
			fmt.Fprintf(&b, "\n- … (+%d)", len(as)-i)
			break
		}
		name := a.Name
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(&b, "\n- %s (%s, %s)", truncate(name, 200), a.ContentType, humanSize(a.Size))
	}
	return b.String()
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// Release is where staff send a quarantined message.
type Release struct {
	ClientID int64
	// ContactID is the requester, a contact of the client (0: none).
	ContactID int64
	// TicketID adds the message to this ticket of the client as a public
	// followup (0: a new ticket).
	TicketID int64
}

// Release turns a pending or ignored quarantined message into a new ticket
// or a followup of a ticket of the chosen client (staff who work on that
// client). No contact is created.
func (svc *Service) Release(ctx context.Context, s tenant.Scope, id int64, r Release) (Result, error) {
	if !s.Staff() || !s.CanOn(tenant.TicketWork, r.ClientID) {
		return Result{}, fault.ErrForbidden
	}
	var res Result
	err := svc.store.InTx(ctx, func(ctx context.Context) error {
		q, err := svc.store.QuarantinedMessage(ctx, s, id)
		if err != nil {
			return err
		}
		if q.Status != QuarantinePending && q.Status != QuarantineIgnored {
			return fault.ErrConflict
		}
		var v fault.Invalid
		var c *client.Contact
		if r.ContactID != 0 {
			ct, err := svc.store.Contact(ctx, s, r.ContactID)
			if err != nil || ct.ClientID != r.ClientID {
				v.Add("contact_id", "invalid_choice")
				return v.Err()
			}
			c = &ct
		}
		if _, _, err := svc.store.ClientInfo(ctx, r.ClientID); err != nil {
			v.Add("client_id", "invalid_choice")
			return v.Err()
		}
		in, perr := Parse(q.Raw)
		if perr != nil {
			in = Inbound{From: q.From, Subject: q.Subject}
			in.Full = "(" + perr.Error() + ")"
			in.Text = in.Full
		}
		res, err = svc.apply(ctx, c, r.ClientID, in, r.TicketID)
		var rej *rejection
		if errors.As(err, &rej) {
			field := rej.field
			if field == "" {
				field = "ticket_id"
			}
			v.Add(field, "invalid_choice")
			return v.Err()
		}
		if err != nil {
			return err
		}
		tid := res.TicketID
		if err := svc.store.ResolveQuarantined(ctx, id, QuarantineReleased, s.UserID, &tid, svc.clock()); err != nil {
			return err
		}
		res.QuarantineID = id
		return svc.journal.Record(ctx, audit.Entry{ClientID: &r.ClientID, Action: "quarantine.release", Object: audit.Object("quarantine", id), Summary: fmt.Sprintf("%s → ticket #%d", res.Outcome, tid)})
	})
	return res, err
}
