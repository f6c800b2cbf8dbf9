package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/helpdeskmail"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
)

type mailboxJSON struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Host     string `json:"host"`
	Port     int    `json:"port"`
	TLS      string `json:"tls_mode"`
	Folder   string `json:"folder"`
	Enabled  bool   `json:"enabled"`
	Username string `json:"username"`
}

type quarantinedJSON struct {
	ID       int64  `json:"id"`
	From     string `json:"from"`
	Subject  string `json:"subject"`
	Reason   string `json:"reason"`
	Status   string `json:"status"`
	ClientID *int64 `json:"client_id"`
	TicketID *int64 `json:"ticket_id"`
	Text     string `json:"text"`
}

func TestHelpdeskMailAPI(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e := newEnv(t, dialect)
			const secret = "imap-Pa55-never-echoed"
			in := map[string]any{"name": "Support", "host": "127.0.0.1", "port": 1, "tls_mode": "none", "username": "support",
				"password": secret, "enabled": false}

			// Mailboxes are the administrators'.
			e.do(t, "POST", "/api/v1/helpdesk/mailboxes", e.techTok, in).problem(t, 403)
			e.do(t, "GET", "/api/v1/helpdesk/mailboxes", e.managerTok, nil).problem(t, 403)
			r := e.do(t, "POST", "/api/v1/helpdesk/mailboxes", e.adminTok, in).want(t, 201)
			var mb mailboxJSON
			r.decode(t, &mb)
			if mb.ID == 0 || mb.Port != 1 || mb.Folder != "INBOX" || mb.Enabled {
				t.Errorf("created %+v", mb)
			}
			list := e.do(t, "GET", "/api/v1/helpdesk/mailboxes", e.adminTok, nil).want(t, 200)
			var mbs pageOf[mailboxJSON]
			list.decode(t, &mbs)
			if len(mbs.Data) != 1 || mbs.Data[0].ID != mb.ID {
				t.Errorf("list %+v", mbs)
			}
			path := fmt.Sprintf("/api/v1/helpdesk/mailboxes/%d", mb.ID)
			patched := e.do(t, "PATCH", path, e.adminTok, map[string]any{"folder": "Support/In", "password": ""}).want(t, 200)
			for what, body := range map[string][]byte{"create": r.body, "list": list.body, "patch": patched.body} {
				if strings.Contains(string(body), secret) || strings.Contains(string(body), `"password"`) {
					t.Errorf("%s response shows the password: %s", what, body)
				}
			}
			stored, err := e.s.App.DB.Mailbox(t.Context(), mb.ID)
			if err != nil || stored.Folder != "Support/In" || stored.Password != secret {
				t.Errorf("after an empty password: %+v, %v", stored, err)
			}
			e.do(t, "PATCH", path, e.adminTok, map[string]any{"password": "a-new-one"}).want(t, 200)
			if stored, _ = e.s.App.DB.Mailbox(t.Context(), mb.ID); stored.Password != "a-new-one" {
				t.Error("a new password was not stored")
			}
			p := e.do(t, "PATCH", path, e.adminTok, map[string]any{"host": "imap.example:993"}).problem(t, 422)
			if code, _ := p.field(t, "host"); code != "invalid_host" {
				t.Errorf("host code %q", code)
			}
			e.do(t, "PATCH", "/api/v1/helpdesk/mailboxes/999999", e.adminTok, map[string]any{"folder": "X"}).problem(t, 404)
			e.do(t, "PATCH", path, e.techTok, map[string]any{"folder": "X"}).problem(t, 403)

			// Domain rules: helpdesk administrators add them, staff read them.
			e.do(t, "POST", "/api/v1/helpdesk/domain-rules", e.techTok, map[string]any{"domain": "alpha.example", "client_id": e.a.ID}).problem(t, 403)
			var rule helpdeskmail.DomainRule
			e.do(t, "POST", "/api/v1/helpdesk/domain-rules", e.managerTok, map[string]any{"domain": "Alpha.Example", "client_id": e.a.ID}).want(t, 201).decode(t, &rule)
			if rule.Domain != "alpha.example" || rule.ClientName != e.a.Name {
				t.Errorf("rule %+v", rule)
			}
			p = e.do(t, "POST", "/api/v1/helpdesk/domain-rules", e.managerTok, map[string]any{"domain": "bravo", "client_id": e.b.ID}).problem(t, 422)
			if code, _ := p.field(t, "domain"); code != "invalid_domain" {
				t.Errorf("domain code %q", code)
			}
			var rules pageOf[helpdeskmail.DomainRule]
			e.do(t, "GET", "/api/v1/helpdesk/domain-rules", e.techTok, nil).want(t, 200).decode(t, &rules)
			if len(rules.Data) != 1 || rules.Data[0].ID != rule.ID {
				t.Errorf("rules %+v", rules)
			}
			e.do(t, "GET", "/api/v1/helpdesk/domain-rules", e.clientTok, nil).problem(t, 403)

			// Two quarantined messages: one of ALPHA (its domain rule), one of nobody.
			contact := client.Contact{ClientID: e.a.ID, FirstName: "Anne", LastName: "Martin", Email: "anne@alpha.example"}
			if err := e.s.App.Clients.CreateContact(e.s.Ctx(), tenant.System(), &contact); err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for i, from := range []string{"stranger@alpha.example", "someone@nowhere.example"} {
				raw := "From: " + from + "\r\nTo: support@msp.example\r\nSubject: Printer down " + itoa(int64(i)) + "\r\nMessage-ID: <api" + itoa(int64(i)) + "@x.example>\r\n" +
					"Content-Type: text/html; charset=utf-8\r\n\r\n<p>The printer is <b>down</b>.</p><script>x()</script>\r\n"
				res, err := e.s.App.HelpdeskMail.Deliver(e.s.Ctx(), helpdeskmail.Delivery{MailboxID: mb.ID, UIDValidity: 1, UID: uint32(i + 1), Raw: []byte(raw)})
				if err != nil || res.Outcome != helpdeskmail.OutcomeQuarantined {
					t.Fatalf("deliver: %+v, %v", res, err)
				}
				ids = append(ids, res.QuarantineID)
			}
			rows, pages := collect[quarantinedJSON](t, e, "/api/v1/helpdesk/quarantine", e.techTok, 1)
			if len(rows) != 2 || pages != 2 || rows[0].ID != ids[1] || rows[1].ClientID == nil || *rows[1].ClientID != e.a.ID {
				t.Errorf("quarantine rows %+v in %d pages", rows, pages)
			}
			e.do(t, "GET", "/api/v1/helpdesk/quarantine?status=lost", e.techTok, nil).problem(t, 422)
			e.do(t, "GET", "/api/v1/helpdesk/quarantine", e.clientTok, nil).problem(t, 403)
			var q quarantinedJSON
			e.do(t, "GET", fmt.Sprintf("/api/v1/helpdesk/quarantine/%d", ids[0]), e.techTok, nil).want(t, 200).decode(t, &q)
			if !strings.Contains(q.Text, "The printer is down.") || strings.ContainsAny(q.Text, "<>") || strings.Contains(q.Text, "x()") || q.From != "stranger@alpha.example" {
				t.Errorf("message %+v", q)
			}

			// Release into ALPHA with Anne as requester: a ticket of hers.
			rel := fmt.Sprintf("/api/v1/helpdesk/quarantine/%d/release", ids[0])
			p = e.do(t, "POST", rel, e.techTok, map[string]any{"client_id": e.b.ID, "contact_id": contact.ID}).problem(t, 422)
			if code, _ := p.field(t, "contact_id"); code != "invalid_choice" {
				t.Errorf("contact code %q", code)
			}
			var out struct {
				Outcome  string `json:"outcome"`
				TicketID int64  `json:"ticket_id"`
			}
			e.do(t, "POST", rel, e.techTok, map[string]any{"client_id": e.a.ID, "contact_id": contact.ID}).want(t, 200).decode(t, &out)
			if out.Outcome != "ticket" || out.TicketID == 0 {
				t.Fatalf("release %+v", out)
			}
			tk, err := e.s.App.Tickets.Get(t.Context(), tenant.System(), out.TicketID)
			if err != nil {
				t.Fatal(err)
			}
			if tk.ClientID != e.a.ID || tk.RequesterID == nil || *tk.RequesterID != contact.ID || tk.Type != ticket.TypeIncident {
				t.Errorf("ticket %+v", tk)
			}
			e.do(t, "POST", rel, e.techTok, map[string]any{"client_id": e.a.ID}).problem(t, 409)

			dis := fmt.Sprintf("/api/v1/helpdesk/quarantine/%d/discard", ids[1])
			e.do(t, "POST", dis, e.clientTok, nil).problem(t, 403)
			e.do(t, "POST", dis, e.techTok, nil).want(t, 200).decode(t, &q)
			if q.Status != "discarded" {
				t.Errorf("discarded %+v", q)
			}
			e.do(t, "POST", dis, e.techTok, nil).problem(t, 409)
			rows, _ = collect[quarantinedJSON](t, e, "/api/v1/helpdesk/quarantine?status=released", e.techTok, 10)
			if len(rows) != 1 || rows[0].TicketID == nil || *rows[0].TicketID != out.TicketID {
				t.Errorf("released %+v", rows)
			}

			e.do(t, "DELETE", fmt.Sprintf("/api/v1/helpdesk/domain-rules/%d", rule.ID), e.techTok, nil).problem(t, 403)
			e.do(t, "DELETE", fmt.Sprintf("/api/v1/helpdesk/domain-rules/%d", rule.ID), e.managerTok, nil).want(t, 204)
			e.do(t, "DELETE", fmt.Sprintf("/api/v1/helpdesk/domain-rules/%d", rule.ID), e.managerTok, nil).problem(t, 404)
		})
	}
}
