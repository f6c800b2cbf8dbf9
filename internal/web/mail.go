package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	netmail "net/mail"
	"regexp"
	"strings"

	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Mailbox is the outgoing mail log the sent-mail pages read.
type Mailbox interface {
	List(ctx context.Context, s tenant.Scope, f mail.Filter) ([]mail.Entry, error)
	Get(ctx context.Context, s tenant.Scope, id int64) (mail.Entry, error)
}

var _ Mailbox = (*mail.Outbox)(nil)

// hasMail reports whether the sent-mail pages are available.
func (h *Handler) hasMail() bool { return h.d.Mail != nil }

type mailListPage struct {
	Entries  []mail.Entry
	Statuses []option
	Clients  []option
	Names    map[int64]string
	Next     string
	Filtered bool
}

// ClientName names a message's client, "—" for none.
func (d mailListPage) ClientName(id *int64) string { return auditPage{Names: d.Names}.ClientName(id) }

// StatusClass is the badge style of a delivery status.
func (v *view) MailStatusClass(s mail.Status) string {
	switch s {
	case mail.StatusSent:
		return "badge-active"
	case mail.StatusFailed:
		return "badge-danger"
	}
	return "badge-warn"
}

func (h *Handler) mailList(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, s := r.Context(), p.Scope()
	if !s.Can(tenant.MailRead) {
		h.forbidden(w, r)
		return
	}
	q := r.URL.Query()
	f := mail.Filter{Status: mail.Status(q.Get("status")), Before: cursor(r, "before"), Limit: pageSize + 1}
	if id := formID(q, "client"); id != nil {
		f.ClientID = *id
	}
	v := h.view(w, r, "mail")
	v.Form.setValues(q)
	d := mailListPage{Filtered: f.Status != "" || f.ClientID != 0 || f.Before != 0}
	d.Statuses = []option{{Value: "", Label: v.T("mail.status_any")}}
	for _, st := range []mail.Status{mail.StatusQueued, mail.StatusSent, mail.StatusFailed} {
		d.Statuses = append(d.Statuses, option{Value: string(st), Label: v.T("mail.status." + string(st))})
	}
	cs, err := h.allClients(ctx, s)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Names = make(map[int64]string, len(cs))
	d.Clients = []option{{Value: "", Label: v.T("audit.all_clients")}}
	for _, c := range cs {
		d.Names[c.ID] = c.Name
		d.Clients = append(d.Clients, option{Value: itoa(c.ID), Label: c.Name})
	}
	entries, err := h.d.Mail.List(ctx, s, f)
	if err != nil {
		h.formFailed(w, v, "mail", d, err)
		return
	}
	if len(entries) > pageSize {
		entries = entries[:pageSize]
		d.Next = nextPage(r, "before", entries[len(entries)-1].ID)
	}
	d.Entries = entries
	h.render(w, v, http.StatusOK, "mail", d)
}

type mailPage struct {
	Entry  mail.Entry
	Client string
	From   string
	Date   string
	// Text is the plain-text body, decoded; HTML bodies are never rendered.
	Text string
	Raw  string
}

func (h *Handler) mailShow(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	ctx, s := r.Context(), p.Scope()
	e, err := h.d.Mail.Get(ctx, s, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Only the headers of the source are shown, and secrets are masked in
	// the text: a reset link read here would let an admin take over the
	// account it was sent to.
	head, _, _ := strings.Cut(strings.ReplaceAll(string(e.Raw), "\r\n", "\n"), "\n\n")
	d := mailPage{Entry: e, Client: "—", Raw: strings.ToValidUTF8(head, "\uFFFD")}
	if e.ClientID != nil {
		if c, err := h.d.Clients.Get(ctx, s, *e.ClientID); err == nil {
			d.Client = c.Name
		}
	}
	if m, err := netmail.ReadMessage(bytes.NewReader(e.Raw)); err == nil {
		dec := new(mime.WordDecoder)
		if from, err := dec.DecodeHeader(m.Header.Get("From")); err == nil {
			d.From = from
		}
		d.Date = m.Header.Get("Date")
		d.Text = redactSecrets(strings.ToValidUTF8(plainText(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body, 0), "\uFFFD"))
	}
	h.render(w, h.view(w, r, "mail"), http.StatusOK, "mail_message", d)
}

// plainText returns the first text/plain part of a message body, decoded.
// Messages are our own, but the walk is bounded anyway.
func plainText(contentType, encoding string, body io.Reader, depth int) string {
	mt, params, err := mime.ParseMediaType(contentType)
	if contentType == "" {
		mt, err = "text/plain", nil
	}
	if err != nil || depth > 5 {
		return ""
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err != nil {
				return ""
			}
			if t := plainText(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part, depth+1); t != "" {
				return t
			}
		}
	}
	if mt != "text/plain" {
		return ""
	}
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body) // it skips line breaks itself
	}
	b, err := io.ReadAll(io.LimitReader(body, 1<<20))
	if err != nil {
		return ""
	}
	return string(b)
}

// secretParam matches the value of a single-use secret in a link.
var secretParam = regexp.MustCompile(`([?&](?:token|code|secret)=)[^\s&"'<>]+`)

// redactSecrets masks the secrets of links (password reset and the like).
func redactSecrets(s string) string {
	return secretParam.ReplaceAllString(s, "${1}••••••••")
}
