package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/helpdeskmail"
)

// The helpdesk's e-mail: IMAP mailboxes (administrators), domain rules
// (helpdesk administrators) and the quarantine (staff who work on tickets).
// A mailbox's password is write-only: no response carries it.

// helpdeskMailEndpoints are the routes of the helpdesk's e-mail, served when
// the API has the service.
func (a *API) helpdeskMailEndpoints() []endpoint {
	quarantineErr := []int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict}
	return []endpoint{
		{method: "GET", path: "/helpdesk/mailboxes", op: "listMailboxes", tag: "helpdesk",
			summary: "The IMAP mailboxes the helpdesk reads (administrators; one page). Passwords are never returned.",
			result:  helpdeskmail.Mailbox{}, page: true, status: 200, errors: []int{http.StatusForbidden}, handle: a.listMailboxes},
		{method: "POST", path: "/helpdesk/mailboxes", op: "createMailbox", tag: "helpdesk", summary: "Add a mailbox to read (administrators).",
			body: mailboxInput{}, result: helpdeskmail.Mailbox{}, status: 201, noLocation: true, errors: append([]int{http.StatusForbidden}, bodyErr...), handle: a.createMailbox},
		{method: "PATCH", path: "/helpdesk/mailboxes/{id}", op: "updateMailbox", tag: "helpdesk",
			summary: "Change a mailbox (administrators; JSON merge patch). Running readers pick the change up within a minute.",
			body:    mailboxPatch{}, result: helpdeskmail.Mailbox{}, status: 200, errors: append([]int{http.StatusForbidden, http.StatusNotFound}, bodyErr...), handle: a.updateMailbox},
		{method: "GET", path: "/helpdesk/domain-rules", op: "listDomainRules", tag: "helpdesk",
			summary: "The domain rules of the clients the caller sees (staff; one page, by domain).",
			result:  helpdeskmail.DomainRule{}, page: true, status: 200, errors: []int{http.StatusForbidden}, handle: a.listDomainRules},
		{method: "POST", path: "/helpdesk/domain-rules", op: "createDomainRule", tag: "helpdesk",
			summary: "Map an e-mail domain to a client (helpdesk administrators): its unknown senders wait in the quarantine under that client.",
			body:    domainRuleInput{}, result: helpdeskmail.DomainRule{}, status: 201, noLocation: true, errors: append([]int{http.StatusForbidden, http.StatusConflict}, bodyErr...), handle: a.createDomainRule},
		{method: "DELETE", path: "/helpdesk/domain-rules/{id}", op: "deleteDomainRule", tag: "helpdesk", summary: "Delete a domain rule (helpdesk administrators).",
			status: 204, errors: []int{http.StatusForbidden, http.StatusNotFound}, handle: a.deleteDomainRule},
		{method: "GET", path: "/helpdesk/quarantine", op: "listQuarantine", tag: "helpdesk",
			summary: "Quarantined e-mails, newest first (staff who work on tickets; one limited to some clients sees those a domain rule gave to them).",
			query: append([]param{
				{name: "status", typ: "string", enum: quarantineStatusNames(), desc: "Messages of this status; pending by default."},
			}, paging...),
			result: helpdeskmail.Quarantined{}, page: true, status: 200, errors: append([]int{http.StatusForbidden}, listErr...), handle: a.listQuarantine},
		{method: "GET", path: "/helpdesk/quarantine/{id}", op: "getQuarantined", tag: "helpdesk",
			summary: "One quarantined e-mail with its text (HTML converted to text) and the list of its attachments.",
			result:  quarantinedMessage{}, status: 200, errors: []int{http.StatusForbidden, http.StatusNotFound}, handle: a.getQuarantined},
		{method: "POST", path: "/helpdesk/quarantine/{id}/release", op: "releaseQuarantined", tag: "helpdesk",
			summary: "Turn a pending or ignored e-mail into a new ticket of a client, or a public followup of one of its tickets. No contact is created.",
			body:    releaseInput{}, result: releaseResult{}, status: 200, errors: append(quarantineErr, bodyErr...), handle: a.releaseQuarantined},
		{method: "POST", path: "/helpdesk/quarantine/{id}/discard", op: "discardQuarantined", tag: "helpdesk",
			summary: "Discard a pending or ignored e-mail; it stays listed under discarded. Takes no body.",
			result:  helpdeskmail.Quarantined{}, status: 200, errors: quarantineErr, handle: a.discardQuarantined},
	}
}

func quarantineStatusNames() []string {
	return []string{string(helpdeskmail.QuarantinePending), string(helpdeskmail.QuarantineIgnored), string(helpdeskmail.QuarantineReleased), string(helpdeskmail.QuarantineDiscarded)}
}

// mailboxInput is the body of POST /helpdesk/mailboxes.
type mailboxInput struct {
	Name     string               `json:"name" doc:"required"`
	Address  string               `json:"address" doc:"The mailbox's own address: a message from it is a loop"`
	Host     string               `json:"host" doc:"required;The IMAP server's host name"`
	Port     int                  `json:"port" doc:"Absent or 0: 993 for tls, 143 otherwise"`
	TLS      helpdeskmail.TLSMode `json:"tls_mode" doc:"required;enum=tls|starttls|none"`
	Username string               `json:"username" doc:"required"`
	Password string               `json:"password" doc:"required;format=password;Write-only: never returned. Stored in clear in the database for now"`
	Folder   string               `json:"folder" doc:"INBOX by default"`
	MarkSeen bool                 `json:"mark_seen" doc:"Flag processed messages \\Seen on the server"`
	Enabled  *bool                `json:"enabled" doc:"true by default"`
}

// mailboxPatch is the body of PATCH /helpdesk/mailboxes/{id}.
type mailboxPatch struct {
	Name     Opt[string]               `json:"name"`
	Address  Opt[string]               `json:"address"`
	Host     Opt[string]               `json:"host"`
	Port     Opt[int]                  `json:"port"`
	TLS      Opt[helpdeskmail.TLSMode] `json:"tls_mode" doc:"enum=tls|starttls|none"`
	Username Opt[string]               `json:"username"`
	Password Opt[string]               `json:"password" doc:"format=password;Write-only. Absent, null or empty: the stored password is kept"`
	Folder   Opt[string]               `json:"folder"`
	MarkSeen Opt[bool]                 `json:"mark_seen"`
	Enabled  Opt[bool]                 `json:"enabled"`
}

// domainRuleInput is the body of POST /helpdesk/domain-rules.
type domainRuleInput struct {
	Domain   string `json:"domain" doc:"required;e.g. alpha.example"`
	ClientID int64  `json:"client_id" doc:"required"`
}

// releaseInput is the body of POST /helpdesk/quarantine/{id}/release.
type releaseInput struct {
	ClientID  int64  `json:"client_id" doc:"required"`
	ContactID *int64 `json:"contact_id" doc:"The requester, a contact of the client. Absent or null: none"`
	TicketID  *int64 `json:"ticket_id" doc:"A ticket of the client: the message becomes a public followup of it. Absent or null: a new ticket"`
}

// releaseResult is what a release made.
type releaseResult struct {
	Outcome  string `json:"outcome" doc:"enum=ticket|followup;A new ticket, or a followup of an existing one"`
	TicketID int64  `json:"ticket_id"`
}

// quarantinedMessage is a quarantined e-mail with its decoded content.
type quarantinedMessage struct {
	ID         int64                         `json:"id"`
	MailboxID  *int64                        `json:"mailbox_id"`
	MessageID  string                        `json:"message_id"`
	From       string                        `json:"from"`
	Subject    string                        `json:"subject"`
	Reason     string                        `json:"reason"`
	Status     helpdeskmail.QuarantineStatus `json:"status"`
	ClientID   *int64                        `json:"client_id" doc:"The client of the sender's domain rule, if any"`
	Received   time.Time                     `json:"received_at"`
	TicketID   *int64                        `json:"ticket_id"`
	ResolvedBy *int64                        `json:"resolved_by"`
	Resolved   *time.Time                    `json:"resolved_at"`
	Text       string                        `json:"text" doc:"The body as plain text, quoted history included; HTML is converted to text"`
	// ParseError says why the message could not be read ("" when it could).
	ParseError  string                 `json:"parse_error"`
	Attachments []quarantineAttachment `json:"attachments" doc:"Listed, not kept"`
}

type quarantineAttachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

func (a *API) listMailboxes(c *call) (any, error) {
	rows, err := a.d.HelpdeskMail.Mailboxes(c.r.Context(), c.scope)
	if err != nil {
		return nil, err
	}
	if rows == nil {
		rows = []helpdeskmail.Mailbox{}
	}
	return page[helpdeskmail.Mailbox]{Data: rows}, nil
}

func (a *API) createMailbox(c *call) (any, error) {
	var in mailboxInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	m := helpdeskmail.Mailbox{Name: in.Name, Address: in.Address, Host: in.Host, Port: in.Port, TLS: in.TLS,
		Username: in.Username, Password: in.Password, Folder: in.Folder, MarkSeen: in.MarkSeen, Enabled: in.Enabled == nil || *in.Enabled}
	if err := a.d.HelpdeskMail.AddMailbox(c.r.Context(), c.scope, &m); err != nil {
		return nil, err
	}
	m.Password = ""
	return m, nil
}

// mailbox returns the mailbox of the path (administrators only).
func (a *API) mailbox(c *call) (helpdeskmail.Mailbox, error) {
	id, err := c.id("id")
	if err != nil {
		return helpdeskmail.Mailbox{}, err
	}
	rows, err := a.d.HelpdeskMail.Mailboxes(c.r.Context(), c.scope)
	if err != nil {
		return helpdeskmail.Mailbox{}, err
	}
	for _, m := range rows {
		if m.ID == id {
			return m, nil
		}
	}
	return helpdeskmail.Mailbox{}, fault.ErrNotFound
}

func (a *API) updateMailbox(c *call) (any, error) {
	m, err := a.mailbox(c)
	if err != nil {
		return nil, err
	}
	var in mailboxPatch
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	var v fault.Invalid
	for _, f := range []struct {
		name string
		null bool
	}{{"name", in.Name.Null}, {"host", in.Host.Null}, {"tls_mode", in.TLS.Null}, {"username", in.Username.Null}, {"mark_seen", in.MarkSeen.Null}, {"enabled", in.Enabled.Null}} {
		if f.null {
			v.Add(f.name, "required")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	in.Name.apply(&m.Name)
	in.Address.apply(&m.Address)
	in.Host.apply(&m.Host)
	in.Port.apply(&m.Port)
	in.TLS.apply(&m.TLS)
	in.Username.apply(&m.Username)
	in.Folder.apply(&m.Folder)
	in.MarkSeen.apply(&m.MarkSeen)
	in.Enabled.apply(&m.Enabled)
	m.Password = "" // the service keeps the stored one
	in.Password.apply(&m.Password)
	if err := a.d.HelpdeskMail.UpdateMailbox(c.r.Context(), c.scope, &m); err != nil {
		return nil, err
	}
	m.Password = ""
	return m, nil
}

func (a *API) listDomainRules(c *call) (any, error) {
	rows, err := a.d.HelpdeskMail.DomainRules(c.r.Context(), c.scope)
	if err != nil {
		return nil, err
	}
	if rows == nil {
		rows = []helpdeskmail.DomainRule{}
	}
	return page[helpdeskmail.DomainRule]{Data: rows}, nil
}

func (a *API) createDomainRule(c *call) (any, error) {
	var in domainRuleInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.ClientID <= 0 {
		var v fault.Invalid
		v.Add("client_id", "required")
		return nil, v.Err()
	}
	r := helpdeskmail.DomainRule{Domain: in.Domain, ClientID: in.ClientID}
	if err := a.d.HelpdeskMail.AddDomainRule(c.r.Context(), c.scope, &r); err != nil {
		return nil, err
	}
	return r, nil
}

func (a *API) deleteDomainRule(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	if err := c.noBody(); err != nil {
		return nil, err
	}
	return nil, a.d.HelpdeskMail.DeleteDomainRule(c.r.Context(), c.scope, id)
}

func (a *API) listQuarantine(c *call) (any, error) {
	q := c.query()
	status := helpdeskmail.QuarantineStatus(q.v.Get("status"))
	if status != "" {
		q.bad.OneOf("status", string(status), quarantineStatusNames()...)
	}
	limit, after := q.limit(), q.after()
	if err := q.err(); err != nil {
		return nil, err
	}
	rows, err := a.d.HelpdeskMail.Quarantine(c.r.Context(), c.scope, helpdeskmail.QuarantineFilter{Status: status, Before: after, Limit: limit + 1})
	if err != nil {
		return nil, err
	}
	return pageOf(rows, limit, func(m helpdeskmail.Quarantined) int64 { return m.ID }), nil
}

// quarantined returns the message of the path as the caller sees it.
func (a *API) quarantined(c *call) (helpdeskmail.Quarantined, error) {
	id, err := c.id("id")
	if err != nil {
		return helpdeskmail.Quarantined{}, err
	}
	return a.d.HelpdeskMail.QuarantinedMessage(c.r.Context(), c.scope, id)
}

func (a *API) getQuarantined(c *call) (any, error) {
	q, err := a.quarantined(c)
	if err != nil {
		return nil, err
	}
	out := quarantinedMessage{ID: q.ID, MailboxID: q.MailboxID, MessageID: q.MessageID, From: q.From, Subject: q.Subject,
		Reason: q.Reason, Status: q.Status, ClientID: q.ClientID, Received: q.Received, TicketID: q.TicketID,
		ResolvedBy: q.ResolvedBy, Resolved: q.Resolved, Attachments: []quarantineAttachment{}}
	in, perr := helpdeskmail.Parse(q.Raw)
	if perr != nil {
		out.ParseError = perr.Error()
		return out, nil
	}
	out.Text = strings.ToValidUTF8(in.Full, "\uFFFD")
	for _, at := range in.Attachments {
		out.Attachments = append(out.Attachments, quarantineAttachment{Name: at.Name, ContentType: at.ContentType, Size: at.Size})
	}
	return out, nil
}

func (a *API) releaseQuarantined(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	var in releaseInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	var v fault.Invalid
	if in.ClientID <= 0 {
		v.Add("client_id", "required")
	}
	rel := helpdeskmail.Release{ClientID: in.ClientID}
	if in.ContactID != nil {
		if rel.ContactID = *in.ContactID; rel.ContactID <= 0 {
			v.Add("contact_id", "invalid_choice")
		}
	}
	if in.TicketID != nil {
		if rel.TicketID = *in.TicketID; rel.TicketID <= 0 {
			v.Add("ticket_id", "invalid_choice")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	res, err := a.d.HelpdeskMail.Release(c.r.Context(), c.scope, id, rel)
	if err != nil {
		return nil, err
	}
	return releaseResult{Outcome: string(res.Outcome), TicketID: res.TicketID}, nil
}

func (a *API) discardQuarantined(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	if err := c.noBody(); err != nil {
		return nil, err
	}
	if err := a.d.HelpdeskMail.Discard(c.r.Context(), c.scope, id); err != nil {
		return nil, err
	}
	return a.d.HelpdeskMail.QuarantinedMessage(c.r.Context(), c.scope, id)
}
