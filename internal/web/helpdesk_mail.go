package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/helpdeskmail"
	"github.com/vigie-hq/vigie/internal/router"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// The helpdesk's e-mail: the IMAP mailboxes (administrators), the domain
// rules (helpdesk administrators) and the quarantine (staff who work on
// tickets). The service checks every permission again; the handlers check
// first so that a refused page is a clean 403.

// registerHelpdeskMail adds the pages of the helpdesk's e-mail.
func (h *Handler) registerHelpdeskMail(rt *router.Router) {
	rt.HandleFunc("GET /helpdesk/mailboxes", h.mailboxList)
	rt.HandleFunc("POST /helpdesk/mailboxes", h.mailboxCreate)
	rt.HandleFunc("POST /helpdesk/mailboxes/{id}", h.mailboxUpdate)
	rt.HandleFunc("GET /helpdesk/domain-rules", h.domainRuleList)
	rt.HandleFunc("POST /helpdesk/domain-rules", h.domainRuleCreate)
	rt.HandleFunc("POST /helpdesk/domain-rules/{id}/delete", h.domainRuleDelete)
	rt.HandleFunc("GET /helpdesk/quarantine", h.quarantineList)
	rt.HandleFunc("GET /helpdesk/quarantine/{id}", h.quarantineShow)
	rt.HandleFunc("POST /helpdesk/quarantine/{id}/release", h.quarantineRelease)
	rt.HandleFunc("POST /helpdesk/quarantine/{id}/discard", h.quarantineDiscard)
}

// scopeFor returns the caller's scope when its role allows action, and
// answers 403 otherwise.
func (h *Handler) scopeFor(w http.ResponseWriter, r *http.Request, action tenant.Action) (tenant.Scope, bool) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return tenant.Scope{}, false
	}
	s := p.Scope()
	if !s.Staff() || !s.Can(action) {
		h.forbidden(w, r)
		return tenant.Scope{}, false
	}
	return s, true
}

// HelpdeskMailOn reports whether the helpdesk's e-mail pages are served.
func (v *view) HelpdeskMailOn() bool { return v.h.d.Tickets != nil && v.h.d.HelpdeskMail != nil }

// Mailboxes.

type mailboxesPage struct {
	Mailboxes []helpdeskmail.Mailbox
	// Editing is the mailbox whose form is shown instead of the new one.
	Editing  *helpdeskmail.Mailbox
	TLSModes []option
}

func (h *Handler) mailboxesPage(ctx context.Context, v *view, s tenant.Scope, editID int64) (mailboxesPage, error) {
	mbs, err := h.d.HelpdeskMail.Mailboxes(ctx, s)
	if err != nil {
		return mailboxesPage{}, err
	}
	d := mailboxesPage{Mailboxes: mbs}
	for _, m := range []helpdeskmail.TLSMode{helpdeskmail.TLSImplicit, helpdeskmail.TLSStart, helpdeskmail.TLSNone} {
		d.TLSModes = append(d.TLSModes, option{Value: string(m), Label: v.T("mailbox.tls." + string(m))})
	}
	for i := range mbs {
		if mbs[i].ID == editID {
			d.Editing = &mbs[i]
		}
	}
	return d, nil
}

// mailboxValues fills the form from a mailbox; the password never goes back
// to the browser.
func mailboxValues(m helpdeskmail.Mailbox) url.Values {
	v := url.Values{"name": {m.Name}, "address": {m.Address}, "host": {m.Host}, "port": {strconv.Itoa(m.Port)},
		"tls_mode": {string(m.TLS)}, "username": {m.Username}, "folder": {m.Folder}}
	if m.MarkSeen {
		v.Set("mark_seen", "1")
	}
	if m.Enabled {
		v.Set("enabled", "1")
	}
	return v
}

func (h *Handler) mailboxList(w http.ResponseWriter, r *http.Request) {
	s, ok := h.scopeFor(w, r, tenant.ProviderWrite)
	if !ok {
		return
	}
	var editID int64
	if e := r.URL.Query().Get("edit"); e != "" {
		editID, _ = strconv.ParseInt(e, 10, 64)
	}
	v := h.view(w, r, "helpdesk")
	d, err := h.mailboxesPage(r.Context(), v, s, editID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if editID != 0 && d.Editing == nil {
		h.notFound(w, r)
		return
	}
	if d.Editing != nil {
		v.Form.setValues(mailboxValues(*d.Editing))
	} else {
		v.Form.setValues(url.Values{"tls_mode": {string(helpdeskmail.TLSImplicit)}, "folder": {"INBOX"}, "enabled": {"1"}})
	}
	h.render(w, v, http.StatusOK, "helpdesk_mailboxes", d)
}

// mailboxFromForm reads the mailbox form; an empty password keeps the
// stored one on an update.
func mailboxFromForm(vals url.Values, inv *fault.Invalid) helpdeskmail.Mailbox {
	m := helpdeskmail.Mailbox{
		Name: vals.Get("name"), Address: vals.Get("address"), Host: vals.Get("host"),
		TLS: helpdeskmail.TLSMode(vals.Get("tls_mode")), Username: vals.Get("username"), Password: vals.Get("password"),
		Folder: vals.Get("folder"), MarkSeen: formBool(vals, "mark_seen"), Enabled: formBool(vals, "enabled"),
	}
	m.Port = formInt(vals, "port", inv)
	return m
}

// mailboxFailed shows the form again with the errors, never with the password typed.
func (h *Handler) mailboxFailed(w http.ResponseWriter, r *http.Request, s tenant.Scope, editID int64, err error) {
	vals := url.Values{}
	for k, vs := range r.PostForm {
		if k != "password" {
			vals[k] = vs
		}
	}
	v := h.view(w, r, "helpdesk")
	v.Form.setValues(vals)
	d, derr := h.mailboxesPage(r.Context(), v, s, editID)
	if derr != nil {
		h.fail(w, r, derr)
		return
	}
	h.formFailed(w, v, "helpdesk_mailboxes", d, err)
}

func (h *Handler) mailboxCreate(w http.ResponseWriter, r *http.Request) {
	s, ok := h.scopeFor(w, r, tenant.ProviderWrite)
	if !ok || !parseForm(w, r) {
		return
	}
	var inv fault.Invalid
	m := mailboxFromForm(r.PostForm, &inv)
	err := inv.Err()
	if err == nil {
		err = h.d.HelpdeskMail.AddMailbox(r.Context(), s, &m)
	}
	if err != nil {
		h.mailboxFailed(w, r, s, 0, err)
		return
	}
	h.redirect(w, r, "/helpdesk/mailboxes", "flash.mailbox_created", m.Name)
}

// mailboxUpdate saves the edit form, or only switches the mailbox on or off
// when the form says toggle (the buttons of the list).
func (h *Handler) mailboxUpdate(w http.ResponseWriter, r *http.Request) {
	s, ok := h.scopeFor(w, r, tenant.ProviderWrite)
	if !ok || !parseForm(w, r) {
		return
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	mbs, err := h.d.HelpdeskMail.Mailboxes(r.Context(), s)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var old *helpdeskmail.Mailbox
	for i := range mbs {
		if mbs[i].ID == id {
			old = &mbs[i]
		}
	}
	if old == nil {
		h.notFound(w, r)
		return
	}
	var m helpdeskmail.Mailbox
	var inv fault.Invalid
	switch r.PostForm.Get("toggle") {
	case "on", "off":
		m = *old
		m.Password = "" // kept by the service
		m.Enabled = r.PostForm.Get("toggle") == "on"
	default:
		m = mailboxFromForm(r.PostForm, &inv)
	}
	m.ID = id
	err = inv.Err()
	if err == nil {
		err = h.d.HelpdeskMail.UpdateMailbox(r.Context(), s, &m)
	}
	if err != nil {
		h.mailboxFailed(w, r, s, id, err)
		return
	}
	h.redirect(w, r, "/helpdesk/mailboxes", "flash.mailbox_saved", m.Name)
}

// Domain rules.

type domainRulesPage struct {
	Rules   []helpdeskmail.DomainRule
	Clients []option
}

func (h *Handler) domainRulesPage(ctx context.Context, v *view, s tenant.Scope) (domainRulesPage, error) {
	rules, err := h.d.HelpdeskMail.DomainRules(ctx, s)
	if err != nil {
		return domainRulesPage{}, err
	}
	cs, err := h.allClients(ctx, s)
	if err != nil {
		return domainRulesPage{}, err
	}
	d := domainRulesPage{Rules: rules, Clients: []option{{Value: "", Label: v.T("ticket.choose_client")}}}
	for _, c := range cs {
		if !c.Archived && s.CanOn(tenant.HelpdeskAdmin, c.ID) {
			d.Clients = append(d.Clients, option{Value: itoa(c.ID), Label: c.Name + " (" + c.Code + ")"})
		}
	}
	return d, nil
}

func (h *Handler) domainRuleList(w http.ResponseWriter, r *http.Request) {
	s, ok := h.scopeFor(w, r, tenant.HelpdeskAdmin)
	if !ok {
		return
	}
	v := h.view(w, r, "helpdesk")
	d, err := h.domainRulesPage(r.Context(), v, s)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, v, http.StatusOK, "helpdesk_domain_rules", d)
}

func (h *Handler) domainRuleCreate(w http.ResponseWriter, r *http.Request) {
	s, ok := h.scopeFor(w, r, tenant.HelpdeskAdmin)
	if !ok || !parseForm(w, r) {
		return
	}
	rule := helpdeskmail.DomainRule{Domain: r.PostForm.Get("domain")}
	var inv fault.Invalid
	if id := formID(r.PostForm, "client_id"); id != nil {
		rule.ClientID = *id
	} else {
		inv.Add("client_id", "required")
	}
	err := inv.Err()
	if err == nil {
		err = h.d.HelpdeskMail.AddDomainRule(r.Context(), s, &rule)
		if errors.Is(err, fault.ErrForbidden) {
			// A client the caller may not administer is no valid choice.
			err = &fault.Invalid{Fields: []fault.FieldError{{Field: "client_id", Code: "invalid_choice"}}}
		}
	}
	if err != nil {
		v := h.view(w, r, "helpdesk")
		v.Form.setValues(r.PostForm)
		d, derr := h.domainRulesPage(r.Context(), v, s)
		if derr != nil {
			h.fail(w, r, derr)
			return
		}
		h.formFailed(w, v, "helpdesk_domain_rules", d, err)
		return
	}
	h.redirect(w, r, "/helpdesk/domain-rules", "flash.domain_rule_created", rule.Domain, rule.ClientName)
}

func (h *Handler) domainRuleDelete(w http.ResponseWriter, r *http.Request) {
	s, ok := h.scopeFor(w, r, tenant.HelpdeskAdmin)
	if !ok {
		return
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	rules, err := h.d.HelpdeskMail.DomainRules(r.Context(), s)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	domain := ""
	for _, rl := range rules {
		if rl.ID == id {
			domain = rl.Domain
		}
	}
	if domain == "" {
		h.notFound(w, r)
		return
	}
	if err := h.d.HelpdeskMail.DeleteDomainRule(r.Context(), s, id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, "/helpdesk/domain-rules", "flash.domain_rule_deleted", domain)
}

// The quarantine.

var quarantineStatuses = []helpdeskmail.QuarantineStatus{helpdeskmail.QuarantinePending, helpdeskmail.QuarantineIgnored, helpdeskmail.QuarantineReleased, helpdeskmail.QuarantineDiscarded}

// quarantinePageSize is how many messages a page of the quarantine lists.
const quarantinePageSize = 50

type quarantineListPage struct {
	Messages []helpdeskmail.Quarantined
	Statuses []option
	Status   string
	Clients  map[int64]string
	// Next is the URL of the next page, "" on the last.
	Next string
}

// ClientName is the name of the client a domain rule gave a message, "—" when none.
func (d quarantineListPage) ClientName(id *int64) string {
	if id == nil {
		return "—"
	}
	if n, ok := d.Clients[*id]; ok {
		return n
	}
	return "#" + itoa(*id)
}

// clientsByID maps the clients the caller sees to their names.
func (h *Handler) clientsByID(ctx context.Context, s tenant.Scope) (map[int64]string, []client.Client, error) {
	cs, err := h.allClients(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	names := make(map[int64]string, len(cs))
	for _, c := range cs {
		names[c.ID] = c.Name
	}
	return names, cs, nil
}

func (h *Handler) quarantineList(w http.ResponseWriter, r *http.Request) {
	s, ok := h.scopeFor(w, r, tenant.TicketWork)
	if !ok {
		return
	}
	q := r.URL.Query()
	status := q.Get("status")
	if status == "" {
		status = string(helpdeskmail.QuarantinePending)
	}
	var before int64
	if b := q.Get("before"); b != "" {
		before, _ = strconv.ParseInt(b, 10, 64)
	}
	v := h.view(w, r, "helpdesk")
	v.Form.setValues(url.Values{"status": {status}})
	d := quarantineListPage{Status: status}
	for _, st := range quarantineStatuses {
		d.Statuses = append(d.Statuses, option{Value: string(st), Label: v.T("quarantine.status." + string(st))})
	}
	ctx := r.Context()
	msgs, err := h.d.HelpdeskMail.Quarantine(ctx, s, helpdeskmail.QuarantineFilter{Status: helpdeskmail.QuarantineStatus(status), Before: before, Limit: quarantinePageSize + 1})
	if err != nil {
		if _, ok := fault.AsInvalid(err); ok {
			v.Form.setValues(url.Values{"status": {string(helpdeskmail.QuarantinePending)}})
			h.formFailed(w, v, "helpdesk_quarantine", d, err)
			return
		}
		h.fail(w, r, err)
		return
	}
	if len(msgs) > quarantinePageSize {
		msgs = msgs[:quarantinePageSize]
		d.Next = fmt.Sprintf("/helpdesk/quarantine?status=%s&before=%d", url.QueryEscape(status), msgs[len(msgs)-1].ID)
	}
	d.Messages = msgs
	if d.Clients, _, err = h.clientsByID(ctx, s); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, v, http.StatusOK, "helpdesk_quarantine", d)
}

type quarantinePage struct {
	Message helpdeskmail.Quarantined
	// Text is the decoded body as plain text (HTML converted): shown in a
	// <pre>, escaped, never rendered as HTML.
	Text        string
	ParseError  string
	Attachments []helpdeskmail.Attachment
	Raw         string
	RawCut      bool
	Client      string
	// Open is set while the message may still be released or discarded.
	Open     bool
	Clients  []option
	Contacts []option
}

// rawShown is how much of the raw message the page shows.
const rawShown = 64 << 10

func (h *Handler) quarantinePage(ctx context.Context, v *view, s tenant.Scope, q helpdeskmail.Quarantined) (quarantinePage, error) {
	d := quarantinePage{Message: q, Open: q.Status == helpdeskmail.QuarantinePending || q.Status == helpdeskmail.QuarantineIgnored, Client: "—"}
	in, err := helpdeskmail.Parse(q.Raw)
	if err != nil {
		d.ParseError = err.Error()
	} else {
		d.Text, d.Attachments = in.Full, in.Attachments
	}
	raw := q.Raw
	if len(raw) > rawShown {
		raw, d.RawCut = raw[:rawShown], true
	}
	d.Raw = strings.ToValidUTF8(string(raw), "\uFFFD")
	names, cs, err := h.clientsByID(ctx, s)
	if err != nil {
		return d, err
	}
	if q.ClientID != nil {
		if n, ok := names[*q.ClientID]; ok {
			d.Client = n
		}
	}
	if !d.Open {
		return d, nil
	}
	d.Clients = []option{{Value: "", Label: v.T("ticket.choose_client")}}
	for _, c := range cs {
		if !c.Archived && s.CanOn(tenant.TicketWork, c.ID) {
			d.Clients = append(d.Clients, option{Value: itoa(c.ID), Label: c.Name + " (" + c.Code + ")"})
		}
	}
	contacts, err := h.d.Clients.Contacts(ctx, s, client.ContactFilter{Limit: 500})
	if err != nil {
		return d, err
	}
	d.Contacts = []option{{Value: "", Label: v.T("ticket.no_requester")}}
	for _, ct := range contacts {
		label := ct.FullName()
		if ct.Email != "" {
			label += " <" + ct.Email + ">"
		}
		if n, ok := names[ct.ClientID]; ok {
			label = n + " — " + label
		}
		d.Contacts = append(d.Contacts, option{Value: itoa(ct.ID), Label: label})
	}
	return d, nil
}

// releaseDefaults proposes the client of the domain rule and the contact
// who wrote, when the sender is one.
func releaseDefaults(ctx context.Context, h *Handler, s tenant.Scope, q helpdeskmail.Quarantined) url.Values {
	vals := url.Values{}
	if q.ClientID != nil {
		vals.Set("client_id", itoa(*q.ClientID))
	}
	if q.From == "" {
		return vals
	}
	cts, err := h.d.Clients.Contacts(ctx, s, client.ContactFilter{Query: q.From, Limit: 10})
	if err != nil {
		return vals
	}
	for _, ct := range cts {
		if strings.EqualFold(ct.Email, q.From) {
			vals.Set("client_id", itoa(ct.ClientID))
			vals.Set("contact_id", itoa(ct.ID))
			break
		}
	}
	return vals
}

// loadQuarantined loads the message of the path through the scope: one the
// caller may not see is not found.
func (h *Handler) loadQuarantined(w http.ResponseWriter, r *http.Request) (helpdeskmail.Quarantined, tenant.Scope, bool) {
	s, ok := h.scopeFor(w, r, tenant.TicketWork)
	if !ok {
		return helpdeskmail.Quarantined{}, s, false
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return helpdeskmail.Quarantined{}, s, false
	}
	q, err := h.d.HelpdeskMail.QuarantinedMessage(r.Context(), s, id)
	if err != nil {
		h.fail(w, r, err)
		return q, s, false
	}
	return q, s, true
}

func (h *Handler) quarantineShow(w http.ResponseWriter, r *http.Request) {
	q, s, ok := h.loadQuarantined(w, r)
	if !ok {
		return
	}
	v := h.view(w, r, "helpdesk")
	d, err := h.quarantinePage(r.Context(), v, s, q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Form.setValues(releaseDefaults(r.Context(), h, s, q))
	h.render(w, v, http.StatusOK, "helpdesk_quarantined", d)
}

func (h *Handler) quarantineRelease(w http.ResponseWriter, r *http.Request) {
	q, s, ok := h.loadQuarantined(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	vals := r.PostForm
	var rel helpdeskmail.Release
	var inv fault.Invalid
	if id := formID(vals, "client_id"); id != nil {
		rel.ClientID = *id
	} else {
		inv.Add("client_id", "required")
	}
	if id := formID(vals, "contact_id"); id != nil {
		rel.ContactID = *id
	}
	if t := strings.TrimPrefix(strings.TrimSpace(vals.Get("ticket_id")), "#"); t != "" {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil || n <= 0 {
			inv.Add("ticket_id", "invalid_number")
		}
		rel.TicketID = n
	}
	err := inv.Err()
	var res helpdeskmail.Result
	if err == nil {
		res, err = h.d.HelpdeskMail.Release(r.Context(), s, q.ID, rel)
		if errors.Is(err, fault.ErrForbidden) && s.Can(tenant.TicketWork) {
			// The caller works on tickets but not for that client: the
			// client is no valid choice for it.
			err = &fault.Invalid{Fields: []fault.FieldError{{Field: "client_id", Code: "invalid_choice"}}}
		}
	}
	if errors.Is(err, fault.ErrConflict) {
		h.redirect(w, r, "/helpdesk/quarantine/"+itoa(q.ID), "flash.warn.quarantine_resolved")
		return
	}
	if err != nil {
		v := h.view(w, r, "helpdesk")
		v.Form.setValues(vals)
		d, derr := h.quarantinePage(r.Context(), v, s, q)
		if derr != nil {
			h.fail(w, r, derr)
			return
		}
		h.formFailed(w, v, "helpdesk_quarantined", d, err)
		return
	}
	key := "flash.quarantine_released_ticket"
	if res.Outcome == helpdeskmail.OutcomeFollowup {
		key = "flash.quarantine_released_followup"
	}
	h.redirect(w, r, ticketPath(res.TicketID), key, itoa(res.TicketID))
}

func (h *Handler) quarantineDiscard(w http.ResponseWriter, r *http.Request) {
	q, s, ok := h.loadQuarantined(w, r)
	if !ok {
		return
	}
	err := h.d.HelpdeskMail.Discard(r.Context(), s, q.ID)
	switch {
	case errors.Is(err, fault.ErrConflict):
		h.redirect(w, r, "/helpdesk/quarantine/"+itoa(q.ID), "flash.warn.quarantine_resolved")
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, "/helpdesk/quarantine", "flash.quarantine_discarded")
}

type helpdeskTab struct {
	Href, Label string
	Current     bool
}

// HelpdeskTabs are the tabs of the helpdesk pages the caller may open.
func (v *view) HelpdeskTabs() []helpdeskTab {
	s := v.Scope()
	var tabs []helpdeskTab
	add := func(href, key string) {
		tabs = append(tabs, helpdeskTab{Href: href, Label: v.T(key), Current: strings.HasPrefix(v.r.URL.Path, href)})
	}
	if s.Can(tenant.HelpdeskAdmin) {
		add("/helpdesk/settings", "helpdesk.settings")
		add("/helpdesk/categories", "helpdesk.categories")
		add("/helpdesk/templates", "helpdesk.templates")
	}
	if v.HelpdeskMailOn() {
		if s.Can(tenant.ProviderWrite) {
			add("/helpdesk/mailboxes", "helpdesk.mailboxes")
		}
		if s.Can(tenant.HelpdeskAdmin) {
			add("/helpdesk/domain-rules", "helpdesk.domain_rules")
		}
		if s.Staff() && s.Can(tenant.TicketWork) {
			add("/helpdesk/quarantine", "helpdesk.quarantine")
		}
	}
	return tabs
}
