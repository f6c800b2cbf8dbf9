package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/helpdeskmail"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// deliver hands a message to the helpdesk's e-mail as the IMAP reader
// would, from the mailbox mb, and returns what became of it.
func deliver(t *testing.T, srv *apptest.Server, mb int64, uid uint32, raw string) helpdeskmail.Result {
	t.Helper()
	res, err := srv.App.HelpdeskMail.Deliver(srv.Ctx(), helpdeskmail.Delivery{MailboxID: mb, UIDValidity: 1, UID: uid, Raw: []byte(raw)})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// testMailbox adds a disabled mailbox (nothing polls it) and returns its id.
func testMailbox(t *testing.T, srv *apptest.Server) int64 {
	t.Helper()
	mb := helpdeskmail.Mailbox{Name: "Support", Address: "support@msp.example", Host: "127.0.0.1", Port: 1, TLS: helpdeskmail.TLSNone,
		Username: "support", Password: "fixture-imap-secret"}
	if err := srv.App.HelpdeskMail.AddMailbox(srv.Ctx(), tenant.System(), &mb); err != nil {
		t.Fatal(err)
	}
	return mb.ID
}

// htmlMail is an HTML-only message from an unknown sender, with a script.
func htmlMail(from, subject, id string) string {
	return "From: Stranger <" + from + ">\r\nTo: support@msp.example\r\nSubject: " + subject + "\r\nMessage-ID: <" + id + ">\r\n" +
		"Date: Mon, 2 Mar 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		"<p>The printer is <b>down</b> again.</p><script>alert('pwned')</script>\r\n"
}

// quarantineFixture maps alpha.example to ALPHA and quarantines a message
// from an unknown sender there; it returns the message's id.
func quarantineFixture(t *testing.T, srv *apptest.Server, f fixture) int64 {
	t.Helper()
	rule := helpdeskmail.DomainRule{Domain: "alpha.example", ClientID: f.a.ID}
	if err := srv.App.HelpdeskMail.AddDomainRule(srv.Ctx(), tenant.System(), &rule); err != nil {
		t.Fatal(err)
	}
	res := deliver(t, srv, testMailbox(t, srv), 1, htmlMail("stranger@alpha.example", "Printer down", "q1@alpha.example"))
	if res.Outcome != helpdeskmail.OutcomeQuarantined {
		t.Fatalf("fixture message: %+v", res)
	}
	return res.QuarantineID
}

func TestMailboxPages(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		newFixture(t, srv)
		const secret = "imap-Pa55-do-not-show"
		admin := signedIn(t, srv, "admin@example.com")
		admin.lang = "en"
		r := admin.get("/helpdesk/mailboxes")
		wantStatus(t, "mailboxes", r, http.StatusOK)
		wantBody(t, "no mailbox yet", r, msg("en", "mailbox.none"))
		wantBody(t, "settings tabs", admin.get("/helpdesk/settings"), `href="/helpdesk/mailboxes"`, `href="/helpdesk/domain-rules"`, `href="/helpdesk/quarantine"`)

		// A technician may neither see nor add mailboxes.
		tech := signedIn(t, srv, "tech@example.com")
		form := url.Values{"name": {"Support"}, "address": {"support@msp.example"}, "host": {"127.0.0.1"}, "port": {"1"}, "tls_mode": {"none"},
			"username": {"support"}, "password": {secret}, "folder": {"INBOX"}}
		wantStatus(t, "technician's mailboxes", tech.get("/helpdesk/mailboxes"), http.StatusForbidden)
		wantStatus(t, "technician adds a mailbox", tech.post("/helpdesk/mailboxes", form), http.StatusForbidden)
		if mbs, _ := srv.App.HelpdeskMail.Mailboxes(ctx(), tenant.System()); len(mbs) != 0 {
			t.Fatalf("a refused request added %d mailboxes", len(mbs))
		}

		// A refused form is shown again without the password typed.
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("host", "imap.example:993")
		r = admin.post("/helpdesk/mailboxes", bad)
		wantStatus(t, "bad host", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "host"); got != fieldErr("en", "invalid_host", "") {
			t.Errorf("host error = %q", got)
		}
		wantNotBody(t, "refused form", r, secret)

		r = admin.post("/helpdesk/mailboxes", form)
		wantStatus(t, "add mailbox", r, http.StatusSeeOther)
		mbs, err := srv.App.HelpdeskMail.Mailboxes(ctx(), tenant.System())
		if err != nil || len(mbs) != 1 {
			t.Fatalf("mailboxes %v, %v", mbs, err)
		}
		mb := mbs[0]
		if mb.Enabled || mb.Password != secret || mb.TLS != helpdeskmail.TLSNone {
			t.Errorf("stored mailbox %+v", mb)
		}
		list := admin.get("/helpdesk/mailboxes")
		wantBody(t, "list", list, "support@127.0.0.1:1/INBOX", msg("en", "flash.mailbox_created", "Support"))
		edit := admin.get(fmt.Sprintf("/helpdesk/mailboxes?edit=%d", mb.ID))
		wantStatus(t, "edit form", edit, http.StatusOK)
		if inputValue(edit.body, "username") != "support" {
			t.Error("the edit form does not show the mailbox")
		}
		for what, page := range map[string]response{"list": list, "edit form": edit} {
			wantNotBody(t, what, page, secret)
		}
		wantStatus(t, "edit a missing mailbox", admin.get("/helpdesk/mailboxes?edit=999999"), http.StatusNotFound)

		// An empty password keeps the stored one.
		upd := url.Values{}
		for k, v := range form {
			upd[k] = v
		}
		upd.Set("password", "")
		upd.Set("folder", "Support/Inbound")
		wantStatus(t, "update", admin.post(fmt.Sprintf("/helpdesk/mailboxes/%d", mb.ID), upd), http.StatusSeeOther)
		got, err := srv.App.DB.Mailbox(ctx(), mb.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Folder != "Support/Inbound" || got.Password != secret {
			t.Errorf("after update: folder %q, password kept %v", got.Folder, got.Password == secret)
		}
		// The list's buttons switch it on and off, nothing else.
		for _, toggle := range []string{"on", "off"} {
			wantStatus(t, "toggle "+toggle, admin.post(fmt.Sprintf("/helpdesk/mailboxes/%d", mb.ID), url.Values{"toggle": {toggle}}), http.StatusSeeOther)
			got, err := srv.App.DB.Mailbox(ctx(), mb.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Enabled != (toggle == "on") || got.Folder != "Support/Inbound" || got.Password != secret {
				t.Errorf("after toggle %s: %+v", toggle, got)
			}
		}
		wantStatus(t, "technician toggles", tech.post(fmt.Sprintf("/helpdesk/mailboxes/%d", mb.ID), url.Values{"toggle": {"on"}}), http.StatusForbidden)
	})
}

func TestDomainRulePages(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		m := signedIn(t, srv, "manager@example.com")
		m.lang = "en"
		wantBody(t, "no rule yet", m.get("/helpdesk/domain-rules"), msg("en", "domain_rule.none"))
		wantStatus(t, "technician's rules", signedIn(t, srv, "tech@example.com").get("/helpdesk/domain-rules"), http.StatusForbidden)
		wantStatus(t, "technician adds a rule", signedIn(t, srv, "tech@example.com").post("/helpdesk/domain-rules",
			url.Values{"domain": {"bravo.example"}, "client_id": {itoa(f.b.ID)}}), http.StatusForbidden)

		r := m.post("/helpdesk/domain-rules", url.Values{"domain": {"not a domain"}, "client_id": {itoa(f.b.ID)}})
		wantStatus(t, "bad domain", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "domain"); got != fieldErr("en", "invalid_domain", "") {
			t.Errorf("domain error = %q", got)
		}
		r = m.post("/helpdesk/domain-rules", url.Values{"domain": {"@Bravo.Example"}, "client_id": {itoa(f.b.ID)}})
		wantStatus(t, "add rule", r, http.StatusSeeOther)
		list := m.get("/helpdesk/domain-rules")
		wantBody(t, "rules", list, "<code>bravo.example</code>", f.b.Name)
		id := regexp.MustCompile(`action="/helpdesk/domain-rules/(\d+)/delete"`).FindStringSubmatch(list.body)
		if id == nil {
			t.Fatal("no delete button")
		}
		wantStatus(t, "delete rule", m.post("/helpdesk/domain-rules/"+id[1]+"/delete", nil), http.StatusSeeOther)
		wantBody(t, "rules after delete", m.get("/helpdesk/domain-rules"), msg("en", "domain_rule.none"))
	})
}

func TestQuarantinePages(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		tech := signedIn(t, srv, "tech@example.com")
		tech.lang = "en"
		wantBody(t, "empty quarantine", tech.get("/helpdesk/quarantine"), msg("en", "quarantine.empty"))
		// A technician reaches it from the navigation (not the settings it may not open).
		home := tech.get("/")
		wantBody(t, "technician nav", home, `href="/helpdesk/quarantine"`, msg("en", "nav.quarantine"))
		wantNotBody(t, "technician nav", home, `href="/helpdesk/settings"`)

		qid := quarantineFixture(t, srv, f)
		mb := testMailbox(t, srv)
		// From a domain no rule knows: the provider's, not ALPHA's.
		other := deliver(t, srv, mb, 2, htmlMail("someone@nowhere.example", "Who reads this", "q2@nowhere.example")).QuarantineID

		list := tech.get("/helpdesk/quarantine")
		wantStatus(t, "quarantine", list, http.StatusOK)
		wantBody(t, "quarantine", list, "stranger@alpha.example", "Printer down", "someone@nowhere.example", f.a.Name)
		// A technician limited to ALPHA sees only what a rule gave ALPHA.
		limited := signedIn(t, srv, "limited@example.com")
		wantBody(t, "limited quarantine", limited.get("/helpdesk/quarantine"), "stranger@alpha.example")
		wantNotBody(t, "limited quarantine", limited.get("/helpdesk/quarantine"), "someone@nowhere.example")
		wantStatus(t, "limited: the provider's message", limited.get(fmt.Sprintf("/helpdesk/quarantine/%d", other)), http.StatusNotFound)
		wantStatus(t, "client admin", signedIn(t, srv, "cadmin@alpha.example").get("/helpdesk/quarantine"), http.StatusForbidden)

		// The message is shown as text: its HTML is neither rendered nor kept as markup.
		page := tech.get(fmt.Sprintf("/helpdesk/quarantine/%d", qid))
		wantStatus(t, "message", page, http.StatusOK)
		text := regexp.MustCompile(`(?s)<pre class="mail-text">(.*?)</pre>`).FindStringSubmatch(page.body)
		if text == nil || !strings.Contains(text[1], "The printer is down again.") || strings.Contains(text[1], "&lt;") || strings.Contains(text[1], "pwned") {
			t.Errorf("decoded text: %q", text)
		}
		wantNotBody(t, "message", page, "<script>alert", "<b>down</b>")

		// A contact of another client is refused for ALPHA.
		r := tech.post(fmt.Sprintf("/helpdesk/quarantine/%d/release", qid), url.Values{"client_id": {itoa(f.a.ID)}, "contact_id": {itoa(f.contB.ID)}})
		wantStatus(t, "contact of another client", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "contact_id"); got != fieldErr("en", "invalid_choice", "") {
			t.Errorf("contact error = %q", got)
		}
		// The release opens a ticket of ALPHA requested by the chosen contact.
		r = tech.post(fmt.Sprintf("/helpdesk/quarantine/%d/release", qid), url.Values{"client_id": {itoa(f.a.ID)}, "contact_id": {itoa(f.contactA.ID)}})
		wantStatus(t, "release", r, http.StatusSeeOther)
		m := regexp.MustCompile(`^/tickets/(\d+)$`).FindStringSubmatch(r.loc)
		if m == nil {
			t.Fatalf("release went to %q", r.loc)
		}
		var tid int64
		fmt.Sscan(m[1], &tid)
		tk, err := srv.App.Tickets.Get(ctx(), tenant.System(), tid)
		if err != nil {
			t.Fatal(err)
		}
		if tk.ClientID != f.a.ID || tk.RequesterID == nil || *tk.RequesterID != f.contactA.ID || tk.Title != "Printer down" || !strings.Contains(tk.Description, "The printer is down again.") {
			t.Errorf("released ticket %+v", tk)
		}
		wantBody(t, "ticket page", tech.get(r.loc), msg("en", "flash.quarantine_released_ticket", m[1]))
		q, err := srv.App.HelpdeskMail.QuarantinedMessage(ctx(), tenant.System(), qid)
		if err != nil || q.Status != helpdeskmail.QuarantineReleased || q.TicketID == nil || *q.TicketID != tid {
			t.Errorf("released message %+v, %v", q, err)
		}
		// Released once only.
		r = tech.post(fmt.Sprintf("/helpdesk/quarantine/%d/release", qid), url.Values{"client_id": {itoa(f.a.ID)}})
		wantStatus(t, "second release", r, http.StatusSeeOther)
		wantBody(t, "second release", tech.get(r.loc), msg("en", "flash.warn.quarantine_resolved"))

		wantStatus(t, "discard", tech.post(fmt.Sprintf("/helpdesk/quarantine/%d/discard", other), nil), http.StatusSeeOther)
		wantBody(t, "discarded list", tech.get("/helpdesk/quarantine?status=discarded"), "someone@nowhere.example")
		wantBody(t, "released list", tech.get("/helpdesk/quarantine?status=released"), "stranger@alpha.example", fmt.Sprintf(`href="/tickets/%d"`, tid))
		wantStatus(t, "unknown status", tech.get("/helpdesk/quarantine?status=lost"), http.StatusUnprocessableEntity)
	})
}
