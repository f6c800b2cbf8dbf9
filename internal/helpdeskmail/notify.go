package helpdeskmail

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	htmltemplate "html/template"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	texttemplate "text/template"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

// Sender queues an outgoing message (mail.Outbox), in the context's transaction.
type Sender interface {
	Send(ctx context.Context, m mail.Message) (int64, string, error)
}

var _ Sender = (*mail.Outbox)(nil)

// Directory is what notifications need of the clients: the client's
// language and the requester's address.
type Directory interface {
	Client(ctx context.Context, s tenant.Scope, id int64) (client.Client, error)
	Contact(ctx context.Context, s tenant.Scope, id int64) (client.Contact, error)
}

// Providers returns the provider's settings (its name signs the messages).
type Providers interface {
	Get(ctx context.Context) (provider.Provider, error)
}

// HelpdeskSettings returns the helpdesk settings (the reopen delay).
type HelpdeskSettings interface {
	Settings(ctx context.Context) (ticket.Settings, error)
}

// Rater signs the one-click rating links of the resolution message
// (ticket.Service).
type Rater interface {
	RatingToken(ctx context.Context, ticketID int64) (string, error)
}

var _ Rater = (*ticket.Service)(nil)

//go:embed templates
var templateFS embed.FS

var languages = []string{"fr", "en"}

var kinds = []string{"ticket_created", "public_reply", "resolved", "status_changed", "escalated", "watch_followup", "watch_resolved"}

type kindTemplates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// Notifier e-mails the requester of a ticket about it, in the client's
// language, threaded under the ticket: every message has a Message-ID
// "ticket-123-random@host" and refers to the ticket's root "ticket-123@host",
// so that a reply comes back to the ticket even without "[#123]" in its subject.
type Notifier struct {
	out       Sender
	dir       Directory
	providers Providers
	settings  HelpdeskSettings
	host      string
	base      string         // the base URL, without a trailing slash
	rater     Rater          // nil: no rating links
	staff     StaffDirectory // nil: escalations reach nobody
	tpl       map[string]map[string]kindTemplates
}

// SetRater makes the resolution message carry the one-click rating links.
func (n *Notifier) SetRater(r Rater) { n.rater = r }

// NewNotifier returns a Notifier; it fails when baseURL has no host or a
// template is missing or does not parse.
func NewNotifier(out Sender, dir Directory, providers Providers, settings HelpdeskSettings, baseURL string) (*Notifier, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("notifier: base URL %q has no host", baseURL)
	}
	n := &Notifier{out: out, dir: dir, providers: providers, settings: settings, host: u.Hostname(), base: strings.TrimRight(baseURL, "/"), tpl: map[string]map[string]kindTemplates{}}
	for _, lang := range languages {
		n.tpl[lang] = map[string]kindTemplates{}
		for _, kind := range kinds {
			base := "templates/" + lang + "/" + kind
			text, err := texttemplate.New(kind+".txt").Funcs(texttemplate.FuncMap{"add1": add1}).ParseFS(templateFS, base+".txt")
			if err != nil {
				return nil, fmt.Errorf("helpdesk mail template %s.txt: %w", base, err)
			}
			html, err := htmltemplate.New(kind+".html").Funcs(htmltemplate.FuncMap{"add1": add1}).ParseFS(templateFS, base+".html")
			if err != nil {
				return nil, fmt.Errorf("helpdesk mail template %s.html: %w", base, err)
			}
			if text.Lookup("subject") == nil || text.Lookup("text") == nil || html.Lookup("html") == nil {
				return nil, fmt.Errorf("helpdesk mail template %s: subject, text or html missing", base)
			}
			n.tpl[lang][kind] = kindTemplates{text, html}
		}
	}
	return n, nil
}

// add1 numbers the rating links from 1.
func add1(i int) int { return i + 1 }

// RootMessageID is the Message-ID every message about a ticket refers to.
func (n *Notifier) RootMessageID(ticketID int64) string {
	return "ticket-" + strconv.FormatInt(ticketID, 10) + "@" + n.host
}

func (n *Notifier) messageID(ticketID int64) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "ticket-" + strconv.FormatInt(ticketID, 10) + "-" + hex.EncodeToString(b) + "@" + n.host
}

// data is what the templates see.
type data struct {
	ID         int64
	Title      string
	Name       string // the requester's
	Body       string // the followup's
	ReopenDays int
	Provider   string
	// RateLinks are the rating links of scores 1 to 5 (resolution only).
	RateLinks []string
	// Messages to staff and watchers: what happened, the client, the
	// ticket's priority, level and address, the followup's author.
	Escalation, Client, Priority, Level, Link, Author string
	Private                                           bool // the followup is an internal note
	// Status changes only: the new status, as the client reads it, and
	// whether the provider waits for the client.
	Status  string
	Waiting bool
}

// statusText names a ticket status for the client, per language.
var statusText = map[string]map[ticket.Status]string{
	"fr": {ticket.StatusInProgress: "en cours de traitement", ticket.StatusWaitingClient: "en attente de votre réponse",
		ticket.StatusWaitingThirdParty: "en attente d'un tiers (fournisseur, éditeur…)", ticket.StatusClosed: "close"},
	"en": {ticket.StatusInProgress: "in progress", ticket.StatusWaitingClient: "waiting for your answer",
		ticket.StatusWaitingThirdParty: "waiting for a third party (supplier, vendor…)", ticket.StatusClosed: "closed"},
}

// StatusChanged tells the requester that staff moved their ticket to a
// status they should know of (in progress, waiting for them or a third
// party, closed without a resolution first); other moves send nothing.
func (n *Notifier) StatusChanged(ctx context.Context, t ticket.Ticket, from ticket.Status) error {
	if _, ok := statusText["en"][t.Status]; !ok || (t.Status == ticket.StatusClosed && from == ticket.StatusResolved) {
		return nil
	}
	return n.notify(ctx, "status_changed", t, data{Waiting: t.Status == ticket.StatusWaitingClient})
}

// escalationText names a trigger and clock in a language.
var escalationText = map[string]map[string]string{
	"fr": {"at-risk:tto": "délai de prise en charge bientôt dépassé", "breached:tto": "délai de prise en charge dépassé", "at-risk:ttr": "délai de résolution bientôt dépassé", "breached:ttr": "délai de résolution dépassé"},
	"en": {"at-risk:tto": "time to own at risk", "breached:tto": "time to own breached", "at-risk:ttr": "time to resolve at risk", "breached:ttr": "time to resolve breached"},
}

// StaffDirectory finds the staff users an escalation warns.
type StaffDirectory interface {
	User(ctx context.Context, s tenant.Scope, id int64) (user.User, error)
}

// SetStaff makes Escalated able to reach staff users.
func (n *Notifier) SetStaff(d StaffDirectory) { n.staff = d }

var _ ticket.Escalator = (*Notifier)(nil)

// Escalated e-mails each recipient of an escalation in their language (the
// provider's French by default). Disabled users and users without an
// address are skipped.
func (n *Notifier) Escalated(ctx context.Context, t ticket.Ticket, e ticket.Escalation) error {
	return n.toUsers(ctx, t, "escalated", e.Recipients, func(d *data, lang string) {
		d.Escalation = escalationText[lang][string(e.Trigger)+":"+e.Clock]
	})
}

var _ ticket.WatcherNotifier = (*Notifier)(nil)

// WatchedFollowup tells watchers of a new followup, with its text.
func (n *Notifier) WatchedFollowup(ctx context.Context, t ticket.Ticket, f ticket.Followup, to []ticket.Watcher) error {
	return n.toUsers(ctx, t, "watch_followup", watcherIDs(to), func(d *data, _ string) {
		d.Body, d.Author, d.Private = f.Body, f.Author, !f.Public
	})
}

// WatchedResolved tells watchers that the ticket is resolved.
func (n *Notifier) WatchedResolved(ctx context.Context, t ticket.Ticket, to []ticket.Watcher) error {
	return n.toUsers(ctx, t, "watch_resolved", watcherIDs(to), func(*data, string) {})
}

func watcherIDs(ws []ticket.Watcher) []int64 {
	ids := make([]int64, len(ws))
	for i, w := range ws {
		ids[i] = w.UserID
	}
	return ids
}

// toUsers renders a kind of message for each user (in their language) and
// queues it, threaded under the ticket. Unknown and disabled users and users
// without an address are skipped.
func (n *Notifier) toUsers(ctx context.Context, t ticket.Ticket, kind string, ids []int64, fill func(d *data, lang string)) error {
	if n.staff == nil || len(ids) == 0 {
		return nil
	}
	sys := tenant.System()
	c, err := n.dir.Client(ctx, sys, t.ClientID)
	if err != nil {
		return fmt.Errorf("load client of ticket %d: %w", t.ID, err)
	}
	p, err := n.providers.Get(ctx)
	if err != nil {
		return fmt.Errorf("load provider: %w", err)
	}
	for _, id := range ids {
		u, err := n.staff.User(ctx, sys, id)
		if errors.Is(err, fault.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("load user %d: %w", id, err)
		}
		if u.Disabled || u.Email == "" {
			continue
		}
		lang := u.Language
		if _, ok := n.tpl[lang]; !ok {
			lang = p.Language
		}
		if _, ok := n.tpl[lang]; !ok {
			lang = languages[0]
		}
		d := data{ID: t.ID, Title: t.Title, Name: u.Name, Provider: p.Name, Client: c.Name, Priority: t.Priority.String(), Level: t.Level,
			Link: n.base + "/tickets/" + strconv.FormatInt(t.ID, 10)}
		if d.Provider == "" {
			d.Provider = "Vigie"
		}
		fill(&d, lang)
		subject, text, html, err := n.render(lang, kind, d)
		if err != nil {
			return err
		}
		root := n.RootMessageID(t.ID)
		to := (&netmail.Address{Name: u.Name, Address: u.Email}).String()
		m := mail.Message{
			To: []string{to}, Subject: subject, Text: text, HTML: html,
			MessageID: n.messageID(t.ID), InReplyTo: root, References: []string{root},
			Headers: map[string]string{"X-Vigie-Ticket": strconv.FormatInt(t.ID, 10), "Auto-Submitted": "auto-generated"},
		}
		if u.ClientID != nil {
			// A client user's mail is the client's, in its mail log.
			m.ClientID = u.ClientID
		}
		if _, _, err := n.out.Send(ctx, m); err != nil {
			return fmt.Errorf("queue %s of ticket %d: %w", kind, t.ID, err)
		}
	}
	return nil
}

// render executes the subject, text and HTML templates of a kind.
func (n *Notifier) render(lang, kind string, d data) (subject, text, html string, err error) {
	kt := n.tpl[lang][kind]
	var b bytes.Buffer
	if err := kt.text.ExecuteTemplate(&b, "subject", d); err != nil {
		return "", "", "", fmt.Errorf("render %s subject: %w", kind, err)
	}
	subject = strings.TrimSpace(b.String())
	b.Reset()
	if err := kt.text.ExecuteTemplate(&b, "text", d); err != nil {
		return "", "", "", fmt.Errorf("render %s text: %w", kind, err)
	}
	text = b.String()
	b.Reset()
	if err := kt.html.ExecuteTemplate(&b, "html", d); err != nil {
		return "", "", "", fmt.Errorf("render %s html: %w", kind, err)
	}
	return subject, text, b.String(), nil
}

// TicketCreated acknowledges a new ticket to its requester.
func (n *Notifier) TicketCreated(ctx context.Context, t ticket.Ticket) error {
	return n.notify(ctx, "ticket_created", t, data{})
}

// PublicReply sends a public staff followup to the requester. Followups
// written by the client and private notes are not sent.
func (n *Notifier) PublicReply(ctx context.Context, t ticket.Ticket, f ticket.Followup) error {
	if !f.Public {
		return nil
	}
	return n.notify(ctx, "public_reply", t, data{Body: f.Body})
}

// Resolved tells the requester that the ticket is resolved and how long
// a reply reopens it.
func (n *Notifier) Resolved(ctx context.Context, t ticket.Ticket) error {
	st, err := n.settings.Settings(ctx)
	if err != nil {
		return fmt.Errorf("load helpdesk settings: %w", err)
	}
	d := data{ReopenDays: st.ReopenDays}
	if n.rater != nil {
		token, err := n.rater.RatingToken(ctx, t.ID)
		if err != nil {
			return fmt.Errorf("sign rating links of ticket %d: %w", t.ID, err)
		}
		for _, score := range ticket.Scores {
			d.RateLinks = append(d.RateLinks, n.base+"/rate/"+strconv.FormatInt(t.ID, 10)+"?"+url.Values{"token": {token}, "score": {strconv.Itoa(score)}}.Encode())
		}
	}
	return n.notify(ctx, "resolved", t, d)
}

// notify renders a kind of message for the requester of t and queues it;
// a ticket with no requester, or a requester without an address, gets none.
func (n *Notifier) notify(ctx context.Context, kind string, t ticket.Ticket, d data) error {
	if t.RequesterID == nil {
		return nil
	}
	sys := tenant.System()
	contact, err := n.dir.Contact(ctx, sys, *t.RequesterID)
	if errors.Is(err, fault.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load requester of ticket %d: %w", t.ID, err)
	}
	if contact.Email == "" {
		return nil
	}
	c, err := n.dir.Client(ctx, sys, t.ClientID)
	if err != nil {
		return fmt.Errorf("load client of ticket %d: %w", t.ID, err)
	}
	p, err := n.providers.Get(ctx)
	if err != nil {
		return fmt.Errorf("load provider: %w", err)
	}
	d.ID, d.Title, d.Name, d.Provider = t.ID, t.Title, contact.FullName(), p.Name
	if d.Provider == "" {
		d.Provider = "Vigie"
	}
	lang := c.Language
	if _, ok := n.tpl[lang]; !ok {
		lang = languages[0]
	}
	if kind == "status_changed" {
		d.Status = statusText[lang][t.Status]
	}
	subject, text, html, err := n.render(lang, kind, d)
	if err != nil {
		return err
	}
	root := n.RootMessageID(t.ID)
	to := (&netmail.Address{Name: contact.FullName(), Address: contact.Email}).String()
	clientID := t.ClientID
	_, _, err = n.out.Send(ctx, mail.Message{
		To: []string{to}, Subject: subject, Text: text, HTML: html, ClientID: &clientID,
		MessageID: n.messageID(t.ID), InReplyTo: root, References: []string{root},
		Headers: headers(kind, t.ID),
	})
	if err != nil {
		return fmt.Errorf("queue %s of ticket %d: %w", kind, t.ID, err)
	}
	return nil
}

// headers marks our notifications so that replies find their ticket and
// loops are caught; an acknowledgement is an automatic reply (RFC 3834).
func headers(kind string, id int64) map[string]string {
	h := map[string]string{"X-Vigie-Ticket": strconv.FormatInt(id, 10)}
	if kind == "ticket_created" {
		h["Auto-Submitted"] = "auto-replied"
	}
	return h
}
