package web_test

import (
	"fmt"
	"github.com/vigie-hq/vigie/internal/asset"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

// scopeOf is the scope of a fixture user, for calling services as them.
func scopeOf(t *testing.T, srv *apptest.Server, email string) tenant.Scope {
	t.Helper()
	u, err := srv.App.DB.UserByEmail(srv.Ctx(), email)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u.Scope()
}

// openTicket opens a ticket through the service as the given user.
func openTicket(t *testing.T, srv *apptest.Server, email string, tk ticket.Ticket) ticket.Ticket {
	t.Helper()
	if tk.Type == "" {
		tk.Type = ticket.TypeIncident
	}
	if err := srv.App.Tickets.Create(srv.Ctx(), scopeOf(t, srv, email), &tk); err != nil {
		t.Fatalf("open ticket %q as %s: %v", tk.Title, email, err)
	}
	return tk
}

// linkedClientUser creates a client user of the fixture's client A linked
// to its contact: the requester of tickets about that contact.
func linkedClientUser(t *testing.T, srv *apptest.Server, f fixture) string {
	t.Helper()
	email := "linked@alpha.example"
	u := user.User{Email: email, Name: "Linked", Role: tenant.RoleClientUser, ClientID: &f.a.ID, ContactID: &f.contactA.ID}
	if err := srv.App.Users.Create(srv.Ctx(), tenant.System(), &u, apptest.Password); err != nil {
		t.Fatal(err)
	}
	return email
}

// escalationText is the escalation instructions of the fixtures' service level.
const escalationText = "Call the duty manager on 01 02 03 04 05"

// roundTheClock gives a client a 24×7 contract in force since 2020 with the
// targets, and a service level with escalation instructions.
func roundTheClock(t *testing.T, srv *apptest.Server, clientID int64, targets map[ticket.Priority]sla.Target) {
	t.Helper()
	ctx, sys := srv.Ctx(), tenant.System()
	c := contract.Contract{ClientID: clientID, Reference: "SLA-24x7", Title: "24×7", Start: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		State: contract.StateActive, Calendar: sla.AlwaysOpen().String(), Targets: map[sla.Priority]sla.Target{}, Availability: 99.5}
	for p, tg := range targets {
		c.Targets[sla.Priority(p.String())] = tg
	}
	if err := srv.App.Contracts.Create(ctx, sys, &c); err != nil {
		t.Fatal(err)
	}
	if err := srv.App.Tickets.SaveServiceLevel(ctx, sys, ticket.ServiceLevel{ClientID: clientID, Escalation: escalationText}); err != nil {
		t.Fatal(err)
	}
}

// helpdeskFixture gives client A of the fixture a service level (no
// contract: the pages test gives A one of its own, and its ticket shows
// "no contract in force"), a category and a ticket opened by its client
// user, with a public reply, a private note and time spent; it returns the
// ticket's id.
func helpdeskFixture(t *testing.T, srv *apptest.Server, f fixture) int64 {
	t.Helper()
	if err := srv.App.Tickets.SaveServiceLevel(srv.Ctx(), tenant.System(), ticket.ServiceLevel{ClientID: f.a.ID, Escalation: escalationText}); err != nil {
		t.Fatal(err)
	}
	cat := ticket.Category{Name: "Network"}
	if err := srv.App.Tickets.SaveCategory(srv.Ctx(), tenant.System(), &cat); err != nil {
		t.Fatal(err)
	}
	tk := openTicket(t, srv, "cuser@alpha.example", ticket.Ticket{Title: "VPN down", Description: "Since **this morning**."})
	tech := scopeOf(t, srv, "tech@example.com")
	if _, err := srv.App.Tickets.Reply(srv.Ctx(), tech, tk.ID, "Looking into it.", true); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.App.Tickets.Reply(srv.Ctx(), tech, tk.ID, "Firewall licence?", false); err != nil {
		t.Fatal(err)
	}
	if err := srv.App.Tickets.LogTime(srv.Ctx(), tech, tk.ID, &ticket.TimeEntry{Duration: 20 * time.Minute, OnSite: true, Travel: 15 * time.Minute, Note: "Checked the box"}); err != nil {
		t.Fatal(err)
	}
	in := ticket.StatusInProgress
	cid := &cat.ID
	if _, err := srv.App.Tickets.Update(srv.Ctx(), tech, tk.ID, ticket.Change{Status: &in, CategoryID: &cid}); err != nil {
		t.Fatal(err)
	}
	return tk.ID
}

var ticketLocRe = regexp.MustCompile(`^/tickets/(\d+)$`)

// createdTicket reads the id of a ticket from the redirect after creation.
func createdTicket(t *testing.T, r response) int64 {
	t.Helper()
	m := ticketLocRe.FindStringSubmatch(r.loc)
	if r.status != http.StatusSeeOther || m == nil {
		t.Fatalf("create ticket: status %d, Location %q\n%s", r.status, r.loc, excerpt(r.body))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

func TestStaffOpensTicketForClient(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		linked := linkedClientUser(t, srv, f)
		tech := signedIn(t, srv, "tech@example.com")
		tech.lang = "en"

		// Staff who see several clients choose one first; its contacts and sites are offered next.
		picker := tech.get("/tickets/new")
		wantStatus(t, "new ticket", picker, http.StatusOK)
		wantBody(t, "client picker", picker, `name="client_id"`, f.a.Name, f.b.Name)
		wantNotBody(t, "client picker", picker, `name="title"`)
		form := tech.get(fmt.Sprintf("/tickets/new?client_id=%d", f.a.ID))
		wantBody(t, "form for ALPHA", form, "Contact ALPHA", "Site of ALPHA", `name="impact"`, `name="assignee_id"`)
		wantNotBody(t, "form for ALPHA", form, "Contact BRAVO", "Site of BRAVO")

		r := tech.post("/tickets/new", url.Values{
			"client_id": {itoa(f.a.ID)}, "type": {"incident"}, "title": {"Printer on fire"},
			"description": {"The *second floor* printer."}, "requester_id": {itoa(f.contactA.ID)},
			"site_id": {itoa(f.siteA.ID)}, "impact": {"1"}, "urgency": {"1"}, "level": {"N2"},
		})
		id := createdTicket(t, r)
		page := tech.get(r.loc)
		wantStatus(t, "ticket page", page, http.StatusOK)
		wantBody(t, "ticket page", page, msg("en", "flash.ticket_created", itoa(id)), "Printer on fire", "<em>second floor</em>",
			"Contact ALPHA", "Site of ALPHA", `badge-P1`, `action="/tickets/`+itoa(id)+`/update"`)

		// The requester's user and the client administrator see it; another
		// user of the same client does not, and its id answers 404.
		for _, email := range []string{linked, "cadmin@alpha.example"} {
			b := signedIn(t, srv, email)
			wantBody(t, email+" list", b.get("/tickets"), "Printer on fire")
			wantStatus(t, email+" page", b.get(r.loc), http.StatusOK)
		}
		other := signedIn(t, srv, "cuser@alpha.example")
		wantNotBody(t, "other user's list", other.get("/tickets?state=all"), "Printer on fire")
		wantStatus(t, "other user's page", other.get(r.loc), http.StatusNotFound)

		// A client's portal has no staff-only column nor side panel.
		portal := signedIn(t, srv, linked).get(r.loc)
		wantNotBody(t, "client's ticket page", portal, `/update"`, `/time"`, `name="visibility"`, "Call the duty manager")
	})
}

func TestClientUserOpensRequest(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		b := signedIn(t, srv, "cuser@alpha.example")
		b.lang = "en"
		list := b.get("/tickets")
		wantStatus(t, "portal", list, http.StatusOK)
		wantBody(t, "empty portal", list, msg("en", "requests.mine"), msg("en", "requests.empty.open"), `href="/tickets/new"`)
		home := b.get("/")
		wantBody(t, "client nav", home, `href="/tickets">`+msg("en", "nav.requests")+`<`)

		form := b.get("/tickets/new")
		wantStatus(t, "request form", form, http.StatusOK)
		wantBody(t, "request form", form, `name="title"`, `name="description"`, `value="incident"`, `value="request"`, "Site of ALPHA")
		wantNotBody(t, "request form", form, `name="impact"`, `name="assignee_id"`, `name="level"`, `value="change"`, "Contact ALPHA")

		// What a client cannot set is ignored; a change is not theirs to ask.
		r := b.post("/tickets/new", url.Values{"type": {"request"}, "title": {"New laptop for Léa"}, "description": {"Needed on Monday."},
			"site_id": {itoa(f.siteA.ID)}, "impact": {"1"}, "urgency": {"1"}, "level": {"N3"}})
		id := createdTicket(t, r)
		tk, err := srv.App.Tickets.Get(ctx(), tenant.System(), id)
		if err != nil {
			t.Fatal(err)
		}
		if tk.ClientID != f.a.ID || tk.Priority != ticket.P3 || tk.Level != "N1" || tk.Type != ticket.TypeRequest || tk.SiteID == nil || *tk.SiteID != f.siteA.ID {
			t.Errorf("request stored as %+v", tk)
		}
		wantBody(t, "request page", b.get(r.loc), "New laptop for Léa", "Needed on Monday.")
		wantBody(t, "my requests", b.get("/tickets"), "New laptop for Léa")
		// Staff see it in their queue, with its client.
		queue := signedIn(t, srv, "tech@example.com").get("/tickets?queue=unassigned")
		wantBody(t, "staff queue", queue, "New laptop for Léa", f.a.Name)

		bad := b.post("/tickets/new", url.Values{"type": {"change"}, "title": {"Move the servers"}})
		wantStatus(t, "client asks for a change", bad, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(bad.body, "type"); got != fieldErr("en", "invalid_choice", "") {
			t.Errorf("type error = %q", got)
		}
		foreign := b.post("/tickets/new", url.Values{"client_id": {itoa(f.b.ID)}, "type": {"incident"}, "title": {"For BRAVO"}})
		wantStatus(t, "client names another client", foreign, http.StatusUnprocessableEntity)
		wantNotBody(t, "refused foreign client", foreign, f.b.Name)
	})
}

func TestClientsNeverSeePrivateNotes(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		newFixture(t, srv)
		tk := openTicket(t, srv, "cuser@alpha.example", ticket.Ticket{Title: "VPN down"})
		path := "/tickets/" + itoa(tk.ID)
		tech := signedIn(t, srv, "tech@example.com")
		tech.lang = "en"
		wantStatus(t, "private note", tech.post(path+"/reply", url.Values{"body": {"SECRET-NOTE: the firewall licence expired"}, "visibility": {"private"}}), http.StatusSeeOther)
		wantStatus(t, "public reply", tech.post(path+"/reply", url.Values{"body": {"We are on it."}, "visibility": {"public"}}), http.StatusSeeOther)
		wantStatus(t, "time entry", tech.post(path+"/time", url.Values{"duration": {"1:30"}, "billable": {"1"}, "note": {"SECRET-TIME-NOTE"}}), http.StatusSeeOther)
		staffPage := tech.get(path)
		wantBody(t, "staff page", staffPage, "SECRET-NOTE", "We are on it.", `badge-private`, "SECRET-TIME-NOTE", "1h 30m")

		for _, email := range []string{"cuser@alpha.example", "cadmin@alpha.example"} {
			b := signedIn(t, srv, email)
			for _, lang := range []string{"fr", "en"} {
				b.lang = lang
				page := b.get(path)
				wantStatus(t, email, page, http.StatusOK)
				wantBody(t, email, page, "We are on it.")
				wantNotBody(t, email, page, "SECRET", "firewall", msg(lang, "ticket.private"), msg(lang, "ticket.reply_private"))
			}
		}
		// A client user's own reply is public whatever it asks for.
		cu := signedIn(t, srv, "cuser@alpha.example")
		wantStatus(t, "client reply", cu.post(path+"/reply", url.Values{"body": {"Thanks!"}, "visibility": {"private"}}), http.StatusSeeOther)
		fs, _, err := srv.App.Tickets.Timeline(ctx(), tenant.System(), tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if last := fs[len(fs)-1]; last.Body != "Thanks!" || !last.Public {
			t.Errorf("client reply stored as %+v", last)
		}
	})
}

func TestForeignTicketIsNotFound(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		tk := openTicket(t, srv, "cuser@bravo.example", ticket.Ticket{Title: "BRAVO secret outage"})
		path := "/tickets/" + itoa(tk.ID)
		_, eventsBefore, err := srv.App.Tickets.Timeline(ctx(), tenant.System(), tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, email := range []string{"cuser@alpha.example", "cadmin@alpha.example", "limited@example.com"} {
			t.Run(email, func(t *testing.T) {
				b := signedIn(t, srv, email)
				r := b.get(path)
				wantStatus(t, "GET "+path, r, http.StatusNotFound)
				wantNotBody(t, "GET "+path, r, "BRAVO secret outage")
				for _, p := range []string{"/reply", "/update", "/time"} {
					r := b.post(path+p, url.Values{"body": {"hello"}, "status": {"closed"}, "duration": {"10"}})
					wantStatus(t, "POST "+path+p, r, http.StatusNotFound)
				}
				wantNotBody(t, "queue", b.get("/tickets?queue=all&status=new"), "BRAVO secret outage")
				if email == "limited@example.com" {
					wantStatus(t, "new ticket for BRAVO", b.get(fmt.Sprintf("/tickets/new?client_id=%d", f.b.ID)), http.StatusNotFound)
				}
			})
		}
		after, err := srv.App.Tickets.Get(ctx(), tenant.System(), tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, eventsAfter, _ := srv.App.Tickets.Timeline(ctx(), tenant.System(), tk.ID)
		if after.Status != ticket.StatusNew || len(eventsAfter) != len(eventsBefore) {
			t.Errorf("foreign callers changed the ticket: status %s, %d events (was %d)", after.Status, len(eventsAfter), len(eventsBefore))
		}
	})
}

func TestTicketBadInput(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		tk := openTicket(t, srv, "tech@example.com", ticket.Ticket{ClientID: f.a.ID, Title: "Slow network"})
		path := "/tickets/" + itoa(tk.ID)
		tech := signedIn(t, srv, "tech@example.com")
		base := url.Values{"client_id": {itoa(f.a.ID)}, "type": {"incident"}, "title": {"Disk full"}, "impact": {"2"}, "urgency": {"2"}, "level": {"N1"}}
		with := func(v url.Values, field, value string) url.Values {
			out := url.Values{}
			for k, vs := range v {
				out[k] = vs
			}
			out.Set(field, value)
			return out
		}
		tests := []struct {
			name, path  string
			form        url.Values
			field, code string
			param       string
		}{
			{"empty title", "/tickets/new", with(base, "title", " "), "title", "required", ""},
			{"over-long title", "/tickets/new", with(base, "title", strings.Repeat("t", 201)), "title", "too_long", "200"},
			{"impact out of the scale", "/tickets/new", with(base, "impact", "9"), "impact", "invalid_choice", ""},
			{"requester of another client", "/tickets/new", with(base, "requester_id", itoa(f.contB.ID)), "requester_id", "invalid_choice", ""},
			{"empty reply", path + "/reply", url.Values{"body": {"  "}}, "body", "required", ""},
			{"unknown status", path + "/update", url.Values{"status": {"lost"}}, "status", "invalid_choice", ""},
			{"junk duration", path + "/time", url.Values{"duration": {"a while"}}, "duration", "invalid_duration", ""},
			{"travel without on-site", path + "/time", url.Values{"duration": {"30"}, "travel": {"20"}}, "travel", "travel_needs_on_site", ""},
			{"bad start", path + "/time", url.Values{"duration": {"30"}, "start": {"yesterday"}}, "start", "invalid_datetime", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for _, lang := range []string{"fr", "en"} {
					tech.lang = lang
					r := tech.post(tt.path, tt.form)
					wantStatus(t, lang, r, http.StatusUnprocessableEntity)
					if got, want := fieldErrorBlock(r.body, tt.field), fieldErr(lang, tt.code, tt.param); got != want {
						t.Errorf("%s: error under %s = %q, want %q", lang, tt.field, got, want)
					}
					wantBody(t, lang, r, `<html lang="`+lang+`">`, `<a href="#f-`+tt.field+`">`+msg(lang, "field."+tt.field)+`</a>`)
				}
			})
		}
		if fieldErr("fr", "invalid_duration", "") == fieldErr("en", "invalid_duration", "") {
			t.Error("the new messages are not translated")
		}
		list, _, err := srv.App.Tickets.List(ctx(), tenant.System(), ticket.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		fs, _, _ := srv.App.Tickets.Timeline(ctx(), tenant.System(), tk.ID)
		times, _ := srv.App.Tickets.TimeEntries(ctx(), tenant.System(), tk.ID)
		if len(list) != 1 || len(fs) != 0 || len(times) != 0 {
			t.Errorf("bad input changed data: %d tickets, %d followups, %d time entries", len(list), len(fs), len(times))
		}
		// The user's input is shown back.
		r := tech.post("/tickets/new", with(with(base, "title", ""), "description", "Keep **this** text"))
		if !strings.Contains(r.body, "Keep **this** text</textarea>") {
			t.Error("the form lost the description")
		}
	})
}

func TestMarkdownIsSanitised(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		tk := openTicket(t, srv, "tech@example.com", ticket.Ticket{ClientID: f.a.ID, Title: "Markdown",
			Description: "<script>alert(1)</script>**bold**\n\n[click](javascript:alert(2)) [docs](https://example.org/doc) <img src=x onerror=alert(3)>"})
		page := signedIn(t, srv, "tech@example.com").get("/tickets/" + itoa(tk.ID))
		wantStatus(t, "page", page, http.StatusOK)
		wantBody(t, "description", page, "<strong>bold</strong>", `<a href="https://example.org/doc" rel="nofollow noopener" target="_blank">docs</a>`,
			"&lt;script&gt;alert(1)&lt;/script&gt;")
		wantNotBody(t, "description", page, "<script>alert", "javascript:", "<img")
	})
}

func TestQueueSortsByDueTime(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		roundTheClock(t, srv, f.a.ID, map[ticket.Priority]sla.Target{
			ticket.P1: {TTO: 15 * time.Minute, TTR: 4 * time.Hour},
			ticket.P2: {TTO: 30 * time.Minute, TTR: 8 * time.Hour},
			ticket.P3: {TTO: time.Hour, TTR: 24 * time.Hour},
		})
		// Opened in an order that is not the order of their deadlines.
		p3 := openTicket(t, srv, "tech@example.com", ticket.Ticket{ClientID: f.a.ID, Title: "Third-due P3", Impact: 2, Urgency: 2})
		p1 := openTicket(t, srv, "tech@example.com", ticket.Ticket{ClientID: f.a.ID, Title: "First-due P1", Impact: 1, Urgency: 1})
		none := openTicket(t, srv, "tech@example.com", ticket.Ticket{ClientID: f.b.ID, Title: "No-SLA BRAVO"})
		p2 := openTicket(t, srv, "tech@example.com", ticket.Ticket{ClientID: f.a.ID, Title: "Second-due P2", Impact: 1, Urgency: 2})
		tech := signedIn(t, srv, "tech@example.com")
		tech.lang = "en"
		order := func(body string, titles ...string) []string {
			type pos struct {
				title string
				at    int
			}
			var got []pos
			for _, ti := range titles {
				if i := strings.Index(body, ti); i >= 0 {
					got = append(got, pos{ti, i})
				}
			}
			for i := 1; i < len(got); i++ {
				for j := i; j > 0 && got[j].at < got[j-1].at; j-- {
					got[j], got[j-1] = got[j-1], got[j]
				}
			}
			out := make([]string, len(got))
			for i, p := range got {
				out[i] = p.title
			}
			return out
		}
		titles := []string{p1.Title, p2.Title, p3.Title, none.Title}
		due := tech.get("/tickets?queue=open&sort=due")
		wantStatus(t, "due queue", due, http.StatusOK)
		if got := strings.Join(order(due.body, titles...), ", "); got != "First-due P1, Second-due P2, Third-due P3, No-SLA BRAVO" {
			t.Errorf("sorted by due time: %s", got)
		}
		// A row counts down to the nearest deadline: the time to own, until the ticket is taken.
		wantBody(t, "countdowns", due, msg("en", "sla.due_in", "15m"), msg("en", "sla.due_in", "30m"), msg("en", "sla.due_in", "1h 00m"), msg("en", "sla_contract.no_contract_clock"))
		// BRAVO has no contract: its ticket is out of perimeter, which the list shows and filters.
		noContract := msg("en", "sla_contract.badge", msg("en", "sla_contract.reason.no_contract"))
		wantBody(t, "out-of-perimeter badge", due, noContract)
		outOnly := tech.get("/tickets?queue=open&out_of_perimeter=1")
		if got := strings.Join(order(outOnly.body, titles...), ", "); got != "No-SLA BRAVO" {
			t.Errorf("out-of-perimeter filter lists %s", got)
		}
		page := tech.get(fmt.Sprintf("/tickets/%d", none.ID))
		wantBody(t, "ticket without contract", page, noContract, msg("en", "sla_contract.no_contract_in_force"))
		wantNotBody(t, "ticket of a technician", page, `action="/tickets/`+itoa(none.ID)+`/perimeter"`)
		updated := tech.get("/tickets?queue=open&sort=updated")
		if got := strings.Join(order(updated.body, titles...), ", "); got != "Second-due P2, No-SLA BRAVO, First-due P1, Third-due P3" {
			t.Errorf("sorted by last update: %s", got)
		}
		// The breaching queue holds only the tickets whose clock runs.
		breaching := tech.get("/tickets?queue=breaching")
		if got := strings.Join(order(breaching.body, titles...), ", "); got != "First-due P1, Second-due P2, Third-due P3" {
			t.Errorf("breaching queue: %s", got)
		}
		// Staff see the escalation instructions of the client on its tickets.
		wantBody(t, "escalation", tech.get("/tickets/"+itoa(p1.ID)), "Call the duty manager on 01 02 03 04 05", msg("en", "ticket.escalation"))
	})
}

func TestQueuesAndPagination(t *testing.T) {
	srv := apptest.New(t, "sqlite")
	f := newFixture(t, srv)
	techID := scopeOf(t, srv, "tech@example.com").UserID
	for i := range 55 {
		tk := ticket.Ticket{ClientID: f.a.ID, Title: fmt.Sprintf("Bulk ticket %02d", i)}
		if i%5 == 0 {
			tk.AssigneeID = &techID
		}
		openTicket(t, srv, "admin@example.com", tk)
	}
	tech := signedIn(t, srv, "tech@example.com")
	tech.lang = "en"
	// The technician's level queue: the 44 unassigned N1 tickets first, then the 11 assigned ones.
	seen := map[string]bool{}
	var pages []string
	next := "/tickets?queue=level"
	for next != "" && len(pages) < 5 {
		r := tech.get(next)
		wantStatus(t, next, r, http.StatusOK)
		pages = append(pages, r.body)
		for _, m := range regexp.MustCompile(`Bulk ticket \d\d`).FindAllString(r.body, -1) {
			if seen[m] {
				t.Errorf("%s shown twice", m)
			}
			seen[m] = true
		}
		next = ""
		if m := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(r.body); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if len(seen) != 55 || len(pages) != 2 {
		t.Errorf("level queue: %d tickets over %d pages, want 55 over 2", len(seen), len(pages))
	}
	// Ticket 00 is assigned, 54 is not: the unassigned come first.
	if i, j := strings.Index(pages[0], "Bulk ticket 54"), strings.Index(pages[0], "Bulk ticket 00"); i < 0 || j >= 0 && j < i {
		t.Error("the level queue does not put the unassigned tickets first")
	}
	if !strings.Contains(pages[len(pages)-1], "Bulk ticket 50") {
		t.Error("the last assigned ticket is not on the last page")
	}
	mine := tech.get("/tickets?queue=mine")
	if n := len(regexp.MustCompile(`Bulk ticket \d\d`).FindAllString(mine.body, -1)); n != 11 {
		t.Errorf("my queue shows %d tickets, want 11", n)
	}
	wantBody(t, "search", tech.get("/tickets?queue=all&q=ticket+07"), "Bulk ticket 07")
	wantNotBody(t, "search", tech.get("/tickets?queue=all&q=ticket+07"), "Bulk ticket 08")
	wantBody(t, "nothing matches", tech.get("/tickets?queue=all&q=zzz"), msg("en", "tickets.none_match"))
	wantBody(t, "empty queue", signedIn(t, srv, "manager@example.com").get("/tickets?queue=mine"), msg("fr", "tickets.empty.mine"))
	// The home page counts the open tickets.
	home := signedIn(t, srv, "admin@example.com").get("/")
	wantBody(t, "home", home, `<span class="stat-value">55</span>`)
}

func TestServiceLevelForm(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		path := fmt.Sprintf("/clients/%d/service-level", f.a.ID)
		m := signedIn(t, srv, "manager@example.com")
		m.lang = "en"
		wantBody(t, "client page", m.get(fmt.Sprintf("/clients/%d", f.a.ID)), `href="`+path+`"`)
		wantNotBody(t, "technician's client page", signedIn(t, srv, "tech@example.com").get(fmt.Sprintf("/clients/%d", f.a.ID)), path)
		wantStatus(t, "technician", signedIn(t, srv, "tech@example.com").get(path), http.StatusForbidden)
		wantStatus(t, "client admin", signedIn(t, srv, "cadmin@alpha.example").get(path), http.StatusForbidden)

		// Without a contract: no clock, and the way to the contracts.
		page := m.get(path)
		wantStatus(t, "form", page, http.StatusOK)
		wantBody(t, "default", page, msg("en", "sla_contract.service_level_none"), msg("en", "sla_contract.no_contract_in_force"),
			fmt.Sprintf(`href="/clients/%d/contracts"`, f.a.ID))
		// Hours and targets are no longer inputs here.
		for _, field := range []string{"mon.1.start", "time_zone", "P1.tto_h"} {
			if strings.Contains(page.body, `name="`+field+`"`) {
				t.Errorf("the service-level form still has an input %s", field)
			}
		}

		// With a contract in force: its hours and targets, read-only, and a link to it.
		k := contract.Contract{ClientID: f.a.ID, Reference: "INF-SL", Title: "Infogérance", Start: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
			State: contract.StateActive, Calendar: ticket.DefaultCalendar, Availability: 99.5,
			Targets: map[sla.Priority]sla.Target{"P1": {TTO: 30 * time.Minute, TTR: 4 * time.Hour}}}
		if err := srv.App.Contracts.Create(ctx(), tenant.System(), &k); err != nil {
			t.Fatal(err)
		}
		page = m.get(path)
		wantBody(t, "contract", page, fmt.Sprintf(`href="/contracts/%d"`, k.ID), "INF-SL", msg("en", "contract.weekly", "40h 00m"), "4h 00m")
		wantNotBody(t, "contract", page, msg("en", "sla_contract.no_contract_in_force"))

		// The form saves how the helpdesk works; hours sent anyway change nothing.
		form := url.Values{"at_risk_share": {"80"}, "escalation": {"Call Jo, then the CTO."}, "time_zone": {"Asia/Tokyo"}, "P1.tto_h": {"9"}}
		r := m.post(path, form)
		wantStatus(t, "save", r, http.StatusSeeOther)
		sl, found, err := srv.App.Tickets.ServiceLevel(ctx(), tenant.System(), f.a.ID)
		if err != nil || !found || sl.AtRiskShare != 0.8 || sl.Escalation != "Call Jo, then the CTO." {
			t.Fatalf("service level: %+v, found %v, %v", sl, found, err)
		}
		if got, err := srv.App.Contracts.Get(ctx(), tenant.System(), k.ID); err != nil || got.Calendar != k.Calendar || got.Targets["P1"] != k.Targets["P1"] {
			t.Errorf("the service-level form changed the contract: %+v, %v", got, err)
		}
		page = m.get(r.loc)
		wantBody(t, "saved", page, msg("en", "flash.service_level_saved", f.a.Name))
		wantNotBody(t, "saved", page, msg("en", "sla_contract.service_level_none"))
		if got := inputValue(page.body, "at_risk_share"); got != "80" {
			t.Errorf("at_risk_share shows %q", got)
		}

		// Bad input is refused field by field, in both languages, and changes nothing.
		for _, lang := range []string{"fr", "en"} {
			m.lang = lang
			r := m.post(path, url.Values{"at_risk_share": {"150"}, "escalation": {"Changed"}})
			wantStatus(t, lang, r, http.StatusUnprocessableEntity)
			if got := fieldErrorBlock(r.body, "at_risk_share"); got == "" {
				t.Errorf("%s: no error under at_risk_share", lang)
			}
		}
		if after, _, _ := srv.App.Tickets.ServiceLevel(ctx(), tenant.System(), f.a.ID); after.Escalation != "Call Jo, then the CTO." {
			t.Errorf("refused input changed the service level: %+v", after)
		}
	})
}

func TestHelpdeskSettingsAndCategories(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		newFixture(t, srv)
		a := signedIn(t, srv, "admin@example.com")
		a.lang = "en"
		wantBody(t, "nav", a.get("/"), `href="/helpdesk/settings"`)
		tech := signedIn(t, srv, "tech@example.com")
		wantNotBody(t, "technician nav", tech.get("/"), `href="/helpdesk/settings"`)
		wantStatus(t, "technician", tech.get("/helpdesk/settings"), http.StatusForbidden)
		wantStatus(t, "technician", tech.post("/helpdesk/categories", url.Values{"name": {"Nope"}}), http.StatusForbidden)

		page := a.get("/helpdesk/settings")
		wantStatus(t, "settings", page, http.StatusOK)
		vals := url.Values{"reopen_days": {"3"}, "close_days": {"10"}}
		for i := 1; i <= 3; i++ {
			for u := 1; u <= 3; u++ {
				vals.Set(fmt.Sprintf("matrix.%d.%d", i, u), "P"+strconv.Itoa(max(1, i+u-2)))
			}
		}
		vals.Set("matrix.3.3", "P4")
		wantStatus(t, "save settings", a.post("/helpdesk/settings", vals), http.StatusSeeOther)
		st, err := srv.App.Tickets.Settings(ctx())
		if err != nil {
			t.Fatal(err)
		}
		if st.ReopenDays != 3 || st.CloseDays != 10 || st.Matrix[0][0] != ticket.P1 || st.Matrix[2][2] != ticket.P4 || st.Matrix[1][1] != ticket.P2 {
			t.Errorf("settings %+v", st)
		}
		vals.Set("matrix.2.3", "P9")
		vals.Set("close_days", "400")
		r := a.post("/helpdesk/settings", vals)
		wantStatus(t, "bad settings", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "matrix.2.3"); got != fieldErr("en", "invalid_choice", "") {
			t.Errorf("matrix error = %q", got)
		}
		if got := fieldErrorBlock(r.body, "close_days"); got != fieldErr("en", "out_of_range", "") {
			t.Errorf("close_days error = %q", got)
		}

		wantStatus(t, "category", a.post("/helpdesk/categories", url.Values{"name": {"Network"}}), http.StatusSeeOther)
		cats, _ := srv.App.Tickets.Categories(ctx())
		wantStatus(t, "subcategory", a.post("/helpdesk/categories", url.Values{"name": {"Wi-Fi"}, "parent_id": {itoa(cats[0].ID)}}), http.StatusSeeOther)
		list := a.get("/helpdesk/categories")
		wantBody(t, "tree", list, `class="depth-0"`, "Network", `class="depth-1"`, "Wi-Fi")
		r = a.post("/helpdesk/categories", url.Values{"name": {""}})
		wantStatus(t, "nameless", r, http.StatusUnprocessableEntity)
		wantStatus(t, "delete a parent", a.post(fmt.Sprintf("/helpdesk/categories/%d/delete", cats[0].ID), nil), http.StatusSeeOther)
		wantBody(t, "parent kept", a.get("/helpdesk/categories"), "Network", msg("en", "flash.warn.category_has_children", "Network"))
		cats, _ = srv.App.Tickets.Categories(ctx())
		for _, c := range cats {
			if c.Name == "Wi-Fi" {
				wantStatus(t, "delete a leaf", a.post(fmt.Sprintf("/helpdesk/categories/%d/delete", c.ID), nil), http.StatusSeeOther)
			}
		}
		wantNotBody(t, "leaf deleted", a.get("/helpdesk/categories"), "<span>Wi-Fi</span>")
		wantStatus(t, "unknown category", a.post("/helpdesk/categories/999999/delete", nil), http.StatusNotFound)
	})
}

func TestTicketWorkflowFromThePanel(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		tk := openTicket(t, srv, "cuser@alpha.example", ticket.Ticket{Title: "Mail bounces"})
		path := "/tickets/" + itoa(tk.ID)
		tech := signedIn(t, srv, "tech@example.com")
		tech.lang = "en"
		page := tech.get(path)
		// Assignable: staff who may see the client, not the technician limited to it? (it may) nor a disabled one.
		wantBody(t, "assignees", page, ">tech (N1)<", ">limited (N1)<")
		r := tech.post(path+"/update", url.Values{"assignee_id": {itoa(f.staffID)}, "impact": {"1"}, "urgency": {"1"}, "level": {"N2"}, "status": {"in-progress"}})
		wantStatus(t, "update", r, http.StatusSeeOther)
		got, _ := srv.App.Tickets.Get(ctx(), tenant.System(), tk.ID)
		if got.AssigneeID == nil || *got.AssigneeID != f.staffID || got.Priority != ticket.P1 || got.Level != "N2" || got.Status != ticket.StatusInProgress {
			t.Fatalf("after update: %+v", got)
		}
		page = tech.get(path)
		// Events name their actor by display name, not by sign-in address:
		// clients read the timeline too.
		actor := "tech"
		wantBody(t, "timeline", page, msg("en", "event.assigned", actor, "tech"), msg("en", "event.priority", actor, "P3", "P1"),
			msg("en", "event.status", actor, msg("en", "status.assigned"), msg("en", "status.in-progress")))
		// Only the fields sent change.
		wantStatus(t, "partial update", tech.post(path+"/update", url.Values{"status": {"waiting-for-client"}}), http.StatusSeeOther)
		got, _ = srv.App.Tickets.Get(ctx(), tenant.System(), tk.ID)
		if got.Status != ticket.StatusWaitingClient || got.Priority != ticket.P1 || got.AssigneeID == nil {
			t.Errorf("after a partial update: %+v", got)
		}
		// The client's reply resumes the work; the client sees who handles the ticket.
		cu := signedIn(t, srv, "cuser@alpha.example")
		cu.lang = "en"
		wantStatus(t, "client reply", cu.post(path+"/reply", url.Values{"body": {"Here is the log."}}), http.StatusSeeOther)
		clientPage := cu.get(path)
		wantBody(t, "client view", clientPage, "Here is the log.", msg("en", "status.in-progress"))
		wantStatus(t, "client updates", cu.post(path+"/update", url.Values{"status": {"closed"}}), http.StatusForbidden)
		wantStatus(t, "client logs time", cu.post(path+"/time", url.Values{"duration": {"10"}}), http.StatusForbidden)
		// Closing, then a client reply is refused with a message.
		wantStatus(t, "close", tech.post(path+"/update", url.Values{"status": {"closed"}}), http.StatusSeeOther)
		r = cu.post(path+"/reply", url.Values{"body": {"Still broken"}})
		wantStatus(t, "reply to a closed ticket", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "body"); got != fieldErr("en", "ticket_closed", "") {
			t.Errorf("closed ticket reply error = %q", got)
		}
		// Time entries add up.
		for _, d := range []string{"45", "1:15"} {
			wantStatus(t, "time "+d, tech.post(path+"/time", url.Values{"duration": {d}, "billable": {"1"}}), http.StatusSeeOther)
		}
		wantStatus(t, "on-site time", tech.post(path+"/time", url.Values{"duration": {"30"}, "on_site": {"1"}, "travel": {"0:40"}, "start": {"2026-03-02T09:00"}}), http.StatusSeeOther)
		page = tech.get(path)
		wantBody(t, "time totals", page, msg("en", "ticket.time_totals", "2h 30m", "2h 00m", "40m"), "2026-03-02 09:00")
	})
}

func TestServiceLevelEscalationRules(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		path := fmt.Sprintf("/clients/%d/service-level", f.a.ID)
		m := signedIn(t, srv, "manager@example.com")
		m.lang = "en"
		techID := f.staffID // tech@example.com
		page := m.get(path)
		wantBody(t, "form", page, msg("en", "service_level.rules_title"), `name="rules.2.trigger"`, `<option value="`+itoa(techID)+`"`)
		form := url.Values{
			"time_zone": {"Europe/Paris"}, "mon.1.start": {"09:00"}, "mon.1.end": {"12:00"},
			"P1.tto_h": {"1"}, "P1.ttr_h": {"4"},
			// Row 1 left empty, row 2 a rule: rows without a trigger are no rule.
			"rules.1.trigger": {"breached"}, "rules.1.clock": {"ttr"}, "rules.1.notify": {"1"}, "rules.1.raise_level": {"N3"}, "rules.1.reassign_to": {itoa(techID)},
		}
		r := m.post(path, form)
		wantStatus(t, "save", r, http.StatusSeeOther)
		sl, _, err := srv.App.Tickets.ServiceLevel(ctx(), tenant.System(), f.a.ID)
		if err != nil || len(sl.Rules) != 1 {
			t.Fatalf("rules %+v, %v", sl.Rules, err)
		}
		if r := sl.Rules[0]; r.Trigger != ticket.TriggerBreached || r.Clock != "ttr" || !r.Notify || r.RaiseLevel != "N3" || r.ReassignTo == nil || *r.ReassignTo != techID {
			t.Errorf("saved rule %+v", r)
		}
		// The form shows the saved rule in the first row.
		page = m.get(path)
		wantBody(t, "saved", page, `<option value="breached" selected>`, `<option value="N3" selected>`)
		// A rule that does nothing is refused on its own row, and nothing changes.
		form.Set("rules.3.trigger", "at-risk")
		r = m.post(path, form)
		wantStatus(t, "rule doing nothing", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "rules.3"); got != fieldErr("en", "rule_does_nothing", "") {
			t.Errorf("error on row 4 = %q", got)
		}
		if sl2, _, _ := srv.App.Tickets.ServiceLevel(ctx(), tenant.System(), f.a.ID); len(sl2.Rules) != 1 {
			t.Errorf("a refused form changed the rules: %+v", sl2.Rules)
		}
	})
}

func TestTicketMergeAndWatchers(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		dup := openTicket(t, srv, "cadmin@alpha.example", ticket.Ticket{Title: "Wi-Fi coupé", Description: "Depuis ce matin."})
		target := openTicket(t, srv, "manager@example.com", ticket.Ticket{ClientID: f.a.ID, Title: "Borne Wi-Fi HS"})
		m := signedIn(t, srv, "manager@example.com")
		m.lang = "en"
		page := m.get(fmt.Sprintf("/tickets/%d", dup.ID))
		wantBody(t, "merge form", page, msg("en", "ticket.merge_title"), `name="target_id"`, msg("en", "ticket.watchers"))
		// A client admin sees neither the merge form nor the staff list.
		c := signedIn(t, srv, "cadmin@alpha.example")
		wantNotBody(t, "client page", c.get(fmt.Sprintf("/tickets/%d", dup.ID)), `name="target_id"`, `name="user_id"`)
		wantStatus(t, "client merge", c.post(fmt.Sprintf("/tickets/%d/merge", dup.ID), url.Values{"target_id": {itoa(target.ID)}}), http.StatusForbidden)

		r := m.post(fmt.Sprintf("/tickets/%d/merge", dup.ID), url.Values{"target_id": {"abc"}})
		wantStatus(t, "bad number", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "target_id"); got != fieldErr("en", "invalid_ticket_number", "") {
			t.Errorf("error under target_id = %q", got)
		}
		r = m.post(fmt.Sprintf("/tickets/%d/merge", dup.ID), url.Values{"target_id": {"#" + itoa(target.ID)}})
		wantStatus(t, "merge", r, http.StatusSeeOther)
		if r.loc != fmt.Sprintf("/tickets/%d", target.ID) {
			t.Errorf("merge went to %q", r.loc)
		}
		page = m.get(r.loc)
		wantBody(t, "target", page, msg("en", "flash.ticket_merged", itoa(dup.ID), itoa(target.ID)), "Depuis ce matin.")
		wantBody(t, "duplicate", m.get(fmt.Sprintf("/tickets/%d", dup.ID)), msg("en", "ticket.merged_into"), fmt.Sprintf(`href="/tickets/%d"`, target.ID))

		// The client admin who opened the duplicate watches the target and
		// may stop watching; then the manager adds the technician.
		cpage := c.get(fmt.Sprintf("/tickets/%d", target.ID))
		wantStatus(t, "client sees target", cpage, http.StatusOK)
		wantBody(t, "client watching", cpage, fmt.Sprintf(`action="/tickets/%d/watchers/%s/remove"`, target.ID, itoa(scopeOf(t, srv, "cadmin@alpha.example").UserID)))
		wantStatus(t, "unwatch", c.post(fmt.Sprintf("/tickets/%d/watchers/%d/remove", target.ID, scopeOf(t, srv, "cadmin@alpha.example").UserID), nil), http.StatusSeeOther)
		wantStatus(t, "add watcher", m.post(fmt.Sprintf("/tickets/%d/watchers", target.ID), url.Values{"user_id": {itoa(f.staffID)}}), http.StatusSeeOther)
		ws, err := srv.App.Tickets.Watchers(ctx(), tenant.System(), target.ID)
		if err != nil || len(ws) != 1 || ws[0].UserID != f.staffID {
			t.Errorf("watchers = %+v, %v", ws, err)
		}
	})
}

func TestTicketBulk(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		a1 := openTicket(t, srv, "manager@example.com", ticket.Ticket{ClientID: f.a.ID, Title: "Bulk un"})
		a2 := openTicket(t, srv, "manager@example.com", ticket.Ticket{ClientID: f.a.ID, Title: "Bulk deux"})
		b1 := openTicket(t, srv, "manager@example.com", ticket.Ticket{ClientID: f.b.ID, Title: "Bulk trois"})
		m := signedIn(t, srv, "manager@example.com")
		m.lang = "en"
		page := m.get("/tickets?queue=all")
		wantBody(t, "queue", page, `action="/tickets/bulk"`, fmt.Sprintf(`name="ids" value="%d" form="bulk"`, a1.ID), `name="bulk_assignee"`)
		wantNotBody(t, "client queue", signedIn(t, srv, "cadmin@alpha.example").get("/tickets"), `action="/tickets/bulk"`)
		wantStatus(t, "client bulk", signedIn(t, srv, "cadmin@alpha.example").post("/tickets/bulk", url.Values{"ids": {itoa(a1.ID)}, "bulk_level": {"N3"}}), http.StatusForbidden)

		// The technician sees A only (limited@ is limited to A): B's ticket is refused, A's change.
		techID := f.staffID
		r := m.post("/tickets/bulk", url.Values{"ids": {itoa(a1.ID), itoa(a2.ID)}, "bulk_level": {"N2"}, "bulk_assignee": {itoa(techID)}, "back": {"/tickets?queue=all"}})
		wantStatus(t, "bulk", r, http.StatusSeeOther)
		if r.loc != "/tickets?queue=all" {
			t.Errorf("bulk returned to %q", r.loc)
		}
		wantBody(t, "flash", m.get(r.loc), msg("en", "flash.bulk_done", "2"))
		for _, id := range []int64{a1.ID, a2.ID} {
			got, err := srv.App.Tickets.Get(ctx(), tenant.System(), id)
			if err != nil || got.Level != "N2" || got.AssigneeID == nil || *got.AssigneeID != techID {
				t.Errorf("#%d after bulk: %+v, %v", id, got, err)
			}
		}
		// Nothing ticked, or no change: nothing happens, the flash says so;
		// a foreign return address is not followed.
		r = m.post("/tickets/bulk", url.Values{"ids": {itoa(b1.ID)}, "back": {"https://evil.example/"}})
		if r.loc != "/tickets" {
			t.Errorf("bulk returned to %q", r.loc)
		}
		wantBody(t, "nothing", m.get(r.loc), msg("en", "flash.bulk_nothing"))
		if got, _ := srv.App.Tickets.Get(ctx(), tenant.System(), b1.ID); got.Level != "N1" {
			t.Errorf("B's ticket changed: %+v", got)
		}
	})
}

func TestTicketAssetLinks(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		pc := asset.Asset{ClientID: f.a.ID, Kind: asset.KindWorkstation, Name: "pc-accueil"}
		if err := srv.App.Assets.Create(ctx(), tenant.System(), &pc); err != nil {
			t.Fatal(err)
		}
		other := asset.Asset{ClientID: f.b.ID, Kind: asset.KindWorkstation, Name: "pc-bravo"}
		if err := srv.App.Assets.Create(ctx(), tenant.System(), &other); err != nil {
			t.Fatal(err)
		}
		tk := openTicket(t, srv, "manager@example.com", ticket.Ticket{ClientID: f.a.ID, Title: "Écran bleu"})
		m := signedIn(t, srv, "manager@example.com")
		m.lang = "en"
		path := fmt.Sprintf("/tickets/%d", tk.ID)
		page := m.get(path)
		wantBody(t, "ticket page", page, `name="asset_ids" multiple`, fmt.Sprintf(`<option value="%d">pc-accueil</option>`, pc.ID))
		wantNotBody(t, "ticket page", page, "pc-bravo")
		r := m.post(path+"/assets", url.Values{"asset_ids": {itoa(other.ID)}})
		wantStatus(t, "another client's asset", r, http.StatusUnprocessableEntity)
		wantStatus(t, "link", m.post(path+"/assets", url.Values{"asset_ids": {itoa(pc.ID)}}), http.StatusSeeOther)
		wantBody(t, "linked", m.get(path), fmt.Sprintf(`<a href="/assets/%d">pc-accueil</a>`, pc.ID))
		wantBody(t, "asset page", m.get(fmt.Sprintf("/assets/%d", pc.ID)), msg("en", "fleet.asset_tickets"), fmt.Sprintf(`href="/tickets/%d"`, tk.ID))
		// A client admin reads the link but may not change it.
		c := signedIn(t, srv, "cadmin@alpha.example")
		cpage := c.get(path)
		wantBody(t, "client view", cpage, "pc-accueil")
		wantNotBody(t, "client view", cpage, `name="asset_ids"`)
		wantStatus(t, "client link", c.post(path+"/assets", url.Values{}), http.StatusForbidden)
	})
}

// TestTicketPerimeterOverride: a helpdesk admin puts a ticket of a client
// without contract back in the perimeter from its page (shown in the
// timeline and the badge gone); a technician may not; a bad value changes nothing.
func TestTicketPerimeterOverride(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		tk := openTicket(t, srv, "tech@example.com", ticket.Ticket{ClientID: f.b.ID, Title: "Imprimante hors contrat"})
		path := fmt.Sprintf("/tickets/%d", tk.ID)
		m := signedIn(t, srv, "manager@example.com")
		m.lang = "en"
		badge := msg("en", "sla_contract.badge", msg("en", "sla_contract.reason.no_contract"))
		page := m.get(path)
		wantBody(t, "manager's ticket page", page, badge, `action="`+path+`/perimeter"`, msg("en", "sla_contract.set_in"))

		wantStatus(t, "technician", signedIn(t, srv, "tech@example.com").post(path+"/perimeter", url.Values{"out": {"0"}}), http.StatusForbidden)
		wantStatus(t, "bad value", m.post(path+"/perimeter", url.Values{"out": {"maybe"}}), http.StatusUnprocessableEntity)
		if got, _ := srv.App.Tickets.Get(ctx(), tenant.System(), tk.ID); !got.OutOfPerimeter {
			t.Fatalf("refused overrides changed the ticket: %+v", got)
		}
		wantStatus(t, "override", m.post(path+"/perimeter", url.Values{"out": {"0"}}), http.StatusSeeOther)
		got, err := srv.App.Tickets.Get(ctx(), tenant.System(), tk.ID)
		if err != nil || got.OutOfPerimeter || got.PerimeterReason != ticket.PerimeterManual {
			t.Fatalf("after the override: %+v, %v", got, err)
		}
		page = m.get(path)
		wantNotBody(t, "after the override", page, `id="perimeter-badge"`)
		wantBody(t, "after the override", page, msg("en", "sla_contract.event", "manager", badge, msg("en", "sla_contract.in_manual")), msg("en", "sla_contract.set_out"))
	})
}
