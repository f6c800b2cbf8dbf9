package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

// TestTicketAPI runs the helpdesk scenarios on each database, one server per
// database.
func TestTicketAPI(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			h := newHelpdeskEnv(t, dialect)
			t.Run("create get patch", h.testTicketFlow)
			t.Run("client users", h.testTicketClientUsers)
			t.Run("read-only token", h.testTicketReadOnly)
			t.Run("foreign tickets", h.testTicketForeign)
			t.Run("bad input", h.testTicketBadInput)
			t.Run("filters and sorts", h.testTicketFilters)
			t.Run("pagination", h.testTicketPagination)
			t.Run("time entries", h.testTimeEntries)
			t.Run("settings", h.testHelpdeskSettings)
			t.Run("categories", h.testCategories)
			t.Run("service level", h.testServiceLevel)
			t.Run("merge and watchers", h.testMergeWatchers)
			t.Run("bulk", h.testBulk)
			t.Run("assets", h.testTicketAssets)
		})
	}
}

// helpdeskEnv is an env whose client user of A is linked to a contact (so
// that it sees the tickets it requests), with a second contact and a site of
// A, a contact of B and a technician limited to A.
type helpdeskEnv struct {
	*env
	contactA  client.Contact // userA's
	contactA2 client.Contact // another requester of A
	contactB  client.Contact
	siteA     client.Site
	techA     user.User // a technician limited to A
	techATok  string
}

func newHelpdeskEnv(t *testing.T, dialect string) *helpdeskEnv {
	t.Helper()
	h := &helpdeskEnv{env: newEnv(t, dialect)}
	ctx, sys := h.s.Ctx(), tenant.System()
	h.siteA = client.Site{ClientID: h.a.ID, Name: "Siège Alpha"}
	if err := h.s.App.Clients.CreateSite(ctx, sys, &h.siteA); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dst    *client.Contact
		client int64
		name   string
	}{{&h.contactA, h.a.ID, "Staff Alpha"}, {&h.contactA2, h.a.ID, "Other Alpha"}, {&h.contactB, h.b.ID, "Bravo Requester"}} {
		*c.dst = client.Contact{ClientID: c.client, LastName: c.name}
		if err := h.s.App.Clients.CreateContact(ctx, sys, c.dst); err != nil {
			t.Fatal(err)
		}
	}
	h.userA.ContactID = &h.contactA.ID
	if err := h.s.App.Users.Update(ctx, sys, &h.userA); err != nil {
		t.Fatal(err)
	}
	h.techA = h.s.User("tech-a@msp.example", tenant.RoleTechnician, h.a.ID)
	h.techATok = h.s.Token(h.techA, true)
	return h
}

// create opens a ticket through the API and returns it.
func (h *helpdeskEnv) create(t *testing.T, token string, body map[string]any) ticket.Ticket {
	t.Helper()
	var tk ticket.Ticket
	h.do(t, "POST", "/api/v1/tickets", token, body).want(t, 201).decode(t, &tk)
	return tk
}

func ticketPath(id int64, rest ...string) string {
	return fmt.Sprintf("/api/v1/tickets/%d", id) + strings.Join(rest, "")
}

// list returns the ids of one page of GET /tickets?query as token sees it.
func (h *helpdeskEnv) list(t *testing.T, token, query string) []int64 {
	t.Helper()
	var p pageOf[ticket.Ticket]
	h.do(t, "GET", "/api/v1/tickets?"+query, token, nil).want(t, 200).decode(t, &p)
	ids := make([]int64, len(p.Data))
	for i, tk := range p.Data {
		ids[i] = tk.ID
	}
	return ids
}

func (h *helpdeskEnv) testTicketFlow(t *testing.T) {
	r := h.do(t, "POST", "/api/v1/tickets", h.adminTok, map[string]any{
		"client_id": h.a.ID, "type": "incident", "title": "  Imprimante en panne ", "description": "Le **bac 2** coince.",
		"requester_id": h.contactA2.ID, "site_id": h.siteA.ID, "impact": 1, "urgency": 1,
	}).want(t, 201)
	var tk ticket.Ticket
	r.decode(t, &tk)
	if tk.ID == 0 || tk.ClientID != h.a.ID || tk.Type != ticket.TypeIncident || tk.Title != "Imprimante en panne" ||
		tk.Status != ticket.StatusNew || tk.Priority != ticket.P1 || tk.Level != "N1" || tk.AssigneeID != nil ||
		tk.RequesterID == nil || *tk.RequesterID != h.contactA2.ID || tk.SiteID == nil || *tk.SiteID != h.siteA.ID ||
		tk.CreatedBy == nil || *tk.CreatedBy != h.admin.ID || tk.SLA.Covered {
		t.Fatalf("created %+v", tk)
	}
	if loc := r.header.Get("Location"); loc != ticketPath(tk.ID) {
		t.Errorf("Location %q", loc)
	}
	var got ticket.Ticket
	h.do(t, "GET", ticketPath(tk.ID), h.techTok, nil).want(t, 200).decode(t, &got)
	if got.Title != tk.Title || got.Description != tk.Description || got.Priority != ticket.P1 {
		t.Fatalf("get %+v", got)
	}
	var raw map[string]json.RawMessage
	h.do(t, "GET", ticketPath(tk.ID), h.techTok, nil).decode(t, &raw)
	if _, ok := raw["sla"]; !ok {
		t.Fatalf("no SLA summary in %v", raw)
	}

	// Assigning takes the ticket in hand; urgency moves the priority by the matrix.
	h.do(t, "PATCH", ticketPath(tk.ID), h.techTok, map[string]any{"title": "Imprimante HS", "assignee_id": h.tech.ID, "urgency": 3}).want(t, 200).decode(t, &got)
	if got.Title != "Imprimante HS" || got.AssigneeID == nil || *got.AssigneeID != h.tech.ID || got.Status != ticket.StatusAssigned ||
		got.Urgency != 3 || got.Priority != ticket.P3 || got.OwnedAt == nil || got.SiteID == nil || got.Description != tk.Description {
		t.Fatalf("after first patch %+v", got)
	}
	// null clears the links; absent fields stay.
	h.do(t, "PATCH", ticketPath(tk.ID), h.managerTok, `{"site_id":null,"assignee_id":null,"status":"in-progress"}`,
		header("Content-Type", "application/merge-patch+json")).want(t, 200).decode(t, &got)
	if got.SiteID != nil || got.AssigneeID != nil || got.Status != ticket.StatusInProgress || got.Title != "Imprimante HS" || got.Urgency != 3 {
		t.Fatalf("after second patch %+v", got)
	}
	h.do(t, "PATCH", ticketPath(tk.ID), h.techTok, `{"status":"resolved"}`).want(t, 200).decode(t, &got)
	if got.Status != ticket.StatusResolved || got.ResolvedAt == nil {
		t.Fatalf("resolved %+v", got)
	}
	stored, err := h.s.App.Tickets.Get(h.s.Ctx(), tenant.System(), tk.ID)
	if err != nil || stored.Status != ticket.StatusResolved || stored.Title != "Imprimante HS" || stored.SiteID != nil {
		t.Fatalf("stored %+v, %v", stored, err)
	}

	var tl struct {
		Followups []ticket.Followup `json:"followups"`
		Events    []ticket.Event    `json:"events"`
	}
	h.do(t, "GET", ticketPath(tk.ID, "/timeline"), h.adminTok, nil).want(t, 200).decode(t, &tl)
	var kinds []string
	for _, ev := range tl.Events {
		if ev.TicketID != tk.ID {
			t.Fatalf("event of another ticket: %+v", ev)
		}
		kinds = append(kinds, ev.Kind)
	}
	for _, k := range []string{"created", "title", "priority", "assignee", "status"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("timeline has no %q event: %v", k, kinds)
		}
	}
	if tl.Followups == nil {
		t.Error("followups is null, want []")
	}
	if ids := h.list(t, h.techTok, fmt.Sprintf("client_id=%d", h.a.ID)); !slices.Contains(ids, tk.ID) {
		t.Errorf("listing of A %v lacks %d", ids, tk.ID)
	}
}

func (h *helpdeskEnv) testTicketClientUsers(t *testing.T) {
	// A client user files for its own client, as requester; the fields
	// that qualify a ticket are the staff's.
	mine := h.create(t, h.userTok, map[string]any{"type": "request", "title": "Nouvel écran", "impact": 1, "urgency": 1, "assignee_id": h.tech.ID, "level": "N3"})
	if mine.ClientID != h.a.ID || mine.RequesterID == nil || *mine.RequesterID != h.contactA.ID || mine.Impact != 2 || mine.Urgency != 2 ||
		mine.Priority != ticket.P3 || mine.AssigneeID != nil || mine.Level != "N1" || mine.Status != ticket.StatusNew {
		t.Fatalf("client user's ticket %+v", mine)
	}
	own := h.create(t, h.userTok, map[string]any{"client_id": h.a.ID, "type": "incident", "title": "Pas de réseau"})
	before := h.list(t, h.adminTok, fmt.Sprintf("client_id=%d", h.b.ID))
	p := h.do(t, "POST", "/api/v1/tickets", h.userTok, map[string]any{"client_id": h.b.ID, "type": "incident", "title": "Ailleurs"}).problem(t, 422)
	if code, _ := p.field(t, "client_id"); code != "invalid_choice" {
		t.Errorf("client_id code %q", code)
	}
	if after := h.list(t, h.adminTok, fmt.Sprintf("client_id=%d", h.b.ID)); !slices.Equal(before, after) {
		t.Fatalf("a refused ticket was filed under B: %v → %v", before, after)
	}

	// Another requester's ticket of the same client: invisible to the client
	// user, visible to its client admin.
	other := h.create(t, h.adminTok, map[string]any{"client_id": h.a.ID, "type": "incident", "title": "Ticket d'un collègue", "requester_id": h.contactA2.ID})
	ids := h.list(t, h.userTok, "")
	if !slices.Contains(ids, mine.ID) || !slices.Contains(ids, own.ID) || slices.Contains(ids, other.ID) {
		t.Fatalf("client user lists %v (mine %d, own %d, other %d)", ids, mine.ID, own.ID, other.ID)
	}
	var page pageOf[ticket.Ticket]
	h.do(t, "GET", "/api/v1/tickets?limit=200", h.userTok, nil).want(t, 200).decode(t, &page)
	for _, tk := range page.Data {
		if tk.ClientID != h.a.ID || ((tk.RequesterID == nil || *tk.RequesterID != h.contactA.ID) && (tk.CreatedBy == nil || *tk.CreatedBy != h.userA.ID)) {
			t.Errorf("client user sees a ticket it did not request: %+v", tk)
		}
	}
	h.do(t, "GET", ticketPath(other.ID), h.userTok, nil).problem(t, 404)
	if ids := h.list(t, h.clientTok, "limit=200"); !slices.Contains(ids, other.ID) || !slices.Contains(ids, mine.ID) {
		t.Errorf("client admin lists %v, want every ticket of A", ids)
	}

	// A client user may not change a ticket, even its own.
	h.do(t, "PATCH", ticketPath(mine.ID), h.userTok, `{"status":"closed"}`).problem(t, 403)
	h.do(t, "PATCH", ticketPath(mine.ID), h.clientTok, `{"title":"Renamed"}`).problem(t, 403)
	if got, _ := h.s.App.Tickets.Get(h.s.Ctx(), tenant.System(), mine.ID); got.Status != ticket.StatusNew || got.Title != "Nouvel écran" {
		t.Fatalf("a refused patch changed the ticket: %+v", got)
	}

	// Private notes are the staff's.
	var note, reply, defaulted ticket.Followup
	h.do(t, "POST", ticketPath(mine.ID, "/followups"), h.techTok, `{"body":"Mot de passe admin : hunter2","public":false}`).want(t, 201).decode(t, &note)
	h.do(t, "POST", ticketPath(mine.ID, "/followups"), h.techTok, `{"body":"Nous regardons.","public":true}`).want(t, 201).decode(t, &reply)
	h.do(t, "POST", ticketPath(mine.ID, "/followups"), h.techTok, `{"body":"Sans public : une note."}`).want(t, 201).decode(t, &defaulted)
	if note.Public || !reply.Public || defaulted.Public || note.TicketID != mine.ID || note.AuthorID == nil || *note.AuthorID != h.tech.ID {
		t.Fatalf("note %+v, reply %+v, defaulted %+v", note, reply, defaulted)
	}
	var mineReply ticket.Followup
	h.do(t, "POST", ticketPath(mine.ID, "/followups"), h.userTok, `{"body":"Merci !"}`).want(t, 201).decode(t, &mineReply)
	if !mineReply.Public {
		t.Fatalf("a client user's reply is private: %+v", mineReply)
	}
	h.do(t, "POST", ticketPath(mine.ID, "/followups"), h.userTok, `{"body":"En secret","public":false}`).problem(t, 403)

	type tl struct {
		Followups []ticket.Followup `json:"followups"`
		Events    []ticket.Event    `json:"events"`
	}
	var seen tl
	r := h.do(t, "GET", ticketPath(mine.ID, "/timeline"), h.userTok, nil).want(t, 200)
	r.decode(t, &seen)
	if bytes.Contains(r.body, []byte("hunter2")) || bytes.Contains(r.body, []byte("une note")) {
		t.Fatalf("the client user's timeline shows a private note: %s", r.body)
	}
	var followups []int64
	for _, f := range seen.Followups {
		followups = append(followups, f.ID)
	}
	if !slices.Equal(followups, []int64{reply.ID, mineReply.ID}) {
		t.Errorf("client user's followups %v, want %v", followups, []int64{reply.ID, mineReply.ID})
	}
	for _, ev := range seen.Events {
		if !ev.Public {
			t.Errorf("client user sees a private event %+v", ev)
		}
	}
	var staff tl
	h.do(t, "GET", ticketPath(mine.ID, "/timeline"), h.techTok, nil).want(t, 200).decode(t, &staff)
	if len(staff.Followups) != 4 {
		t.Errorf("staff see %d followups, want 4", len(staff.Followups))
	}
	h.do(t, "GET", ticketPath(mine.ID, "/time-entries"), h.userTok, nil).problem(t, 403)
	h.do(t, "POST", ticketPath(mine.ID, "/time-entries"), h.clientTok, `{"duration_minutes":10}`).problem(t, 403)
}

func (h *helpdeskEnv) testTicketReadOnly(t *testing.T) {
	tk := h.create(t, h.adminTok, map[string]any{"client_id": h.a.ID, "type": "incident", "title": "Lecture seule"})
	before := h.list(t, h.adminTok, "limit=200")
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/v1/tickets", fmt.Sprintf(`{"client_id":%d,"type":"incident","title":"RO"}`, h.a.ID)},
		{"PATCH", ticketPath(tk.ID), `{"title":"RO"}`},
		{"POST", ticketPath(tk.ID, "/followups"), `{"body":"RO","public":true}`},
		{"POST", ticketPath(tk.ID, "/time-entries"), `{"duration_minutes":5}`},
		{"PUT", "/api/v1/helpdesk/settings", `{"matrix":[[1,1,1],[1,1,1],[1,1,1]],"reopen_days":0,"close_days":0}`},
		{"POST", "/api/v1/helpdesk/categories", `{"name":"RO"}`},
		{"DELETE", "/api/v1/helpdesk/categories/1", ""},
		{"PUT", fmt.Sprintf("/api/v1/clients/%d/service-level", h.a.ID), `{"escalation":"RO"}`},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		p := h.do(t, c.method, c.path, h.readTok, body).problem(t, 403)
		if p.Type != "urn:vigie:problem:read-only" {
			t.Errorf("%s %s: type %q", c.method, c.path, p.Type)
		}
	}
	h.do(t, "GET", ticketPath(tk.ID), h.readTok, nil).want(t, 200)
	h.do(t, "GET", ticketPath(tk.ID, "/timeline"), h.readTok, nil).want(t, 200)
	if after := h.list(t, h.adminTok, "limit=200"); !slices.Equal(before, after) {
		t.Fatalf("a read-only token created a ticket: %v → %v", before, after)
	}
	got, _ := h.s.App.Tickets.Get(h.s.Ctx(), tenant.System(), tk.ID)
	if got.Title != "Lecture seule" {
		t.Fatalf("a read-only token changed the ticket: %+v", got)
	}
	if fs, _, _ := h.s.App.Tickets.Timeline(h.s.Ctx(), tenant.System(), tk.ID); len(fs) != 0 {
		t.Fatalf("a read-only token replied: %+v", fs)
	}
	if st, _ := h.s.App.Tickets.Settings(h.s.Ctx()); st.Matrix != ticket.DefaultSettings().Matrix {
		t.Fatalf("a read-only token changed the settings: %+v", st)
	}
}

func (h *helpdeskEnv) testTicketForeign(t *testing.T) {
	bTicket := h.create(t, h.adminTok, map[string]any{"client_id": h.b.ID, "type": "incident", "title": "Bravo secret outage", "requester_id": h.contactB.ID})
	colleague := h.create(t, h.adminTok, map[string]any{"client_id": h.a.ID, "type": "request", "title": "Colleague request", "requester_id": h.contactA2.ID})
	const missing = 987654
	cases := func(id int64) []struct{ method, path, body string } {
		return []struct{ method, path, body string }{
			{"GET", ticketPath(id), ""},
			{"PATCH", ticketPath(id), `{"title":"Pwned"}`},
			{"GET", ticketPath(id, "/timeline"), ""},
			{"POST", ticketPath(id, "/followups"), `{"body":"Pwned","public":true}`},
			{"GET", ticketPath(id, "/time-entries"), ""},
			{"POST", ticketPath(id, "/time-entries"), `{"duration_minutes":5}`},
		}
	}
	check := func(name, tok string, foreignID int64) {
		t.Helper()
		foreign, absent := cases(foreignID), cases(missing)
		for i := range foreign {
			var body any
			if foreign[i].body != "" {
				body = foreign[i].body
			}
			f := h.do(t, foreign[i].method, foreign[i].path, tok, body)
			m := h.do(t, absent[i].method, absent[i].path, tok, body)
			if f.status != 404 || !bytes.Equal(f.body, m.body) {
				t.Errorf("%s: %s %s: %d %s; missing ticket: %d %s", name, foreign[i].method, foreign[i].path, f.status, f.body, m.status, m.body)
			}
		}
	}
	for _, c := range []struct{ name, tok string }{{"client admin of A", h.clientTok}, {"client user of A", h.userTok}, {"technician limited to A", h.techATok}} {
		check(c.name, c.tok, bTicket.ID)
		r := h.do(t, "GET", "/api/v1/tickets?limit=200", c.tok, nil).want(t, 200)
		if bytes.Contains(r.body, []byte("Bravo secret")) {
			t.Errorf("%s lists B's ticket", c.name)
		}
		if ids := h.list(t, c.tok, fmt.Sprintf("client_id=%d", h.b.ID)); len(ids) != 0 {
			t.Errorf("%s lists %v for client_id=B", c.name, ids)
		}
		for _, m := range []string{"GET", "PUT"} {
			body := any(nil)
			if m == "PUT" {
				body = `{"escalation":"Intrus"}`
			}
			f := h.do(t, m, fmt.Sprintf("/api/v1/clients/%d/service-level", h.b.ID), c.tok, body)
			a := h.do(t, m, fmt.Sprintf("/api/v1/clients/%d/service-level", missing), c.tok, body)
			if f.status != 404 || !bytes.Equal(f.body, a.body) {
				t.Errorf("%s: %s B's service level: %d %s; missing client: %d %s", c.name, m, f.status, f.body, a.status, a.body)
			}
		}
	}
	// A colleague's request is as invisible to a client user as B's tickets.
	check("client user of A, a colleague's ticket", h.userTok, colleague.ID)

	got, err := h.s.App.Tickets.Get(h.s.Ctx(), tenant.System(), bTicket.ID)
	if err != nil || got.Title != "Bravo secret outage" {
		t.Fatalf("B's ticket %+v, %v", got, err)
	}
	if fs, _, _ := h.s.App.Tickets.Timeline(h.s.Ctx(), tenant.System(), bTicket.ID); len(fs) != 0 {
		t.Fatalf("someone replied to B's ticket: %+v", fs)
	}
	if sl, found, _ := h.s.App.Tickets.ServiceLevel(h.s.Ctx(), tenant.System(), h.b.ID); found {
		t.Fatalf("B got a service level: %+v", sl)
	}
}

func (h *helpdeskEnv) testTicketBadInput(t *testing.T) {
	tk := h.create(t, h.adminTok, map[string]any{"client_id": h.a.ID, "type": "incident", "title": "Bad input target"})
	tickets, patch := "/api/v1/tickets", ticketPath(tk.ID)
	entries := ticketPath(tk.ID, "/time-entries")
	create := func(extra string) string {
		return fmt.Sprintf(`{"client_id":%d,"type":"incident","title":"Bad"%s}`, h.a.ID, extra)
	}
	for _, c := range []struct {
		name, method, path, body string
		status                   int
		field                    string // the field the problem must name
	}{
		{"unknown field", "POST", tickets, create(`,"colour":"red"`), 400, "colour"},
		{"priority is derived", "PATCH", patch, `{"priority":1}`, 400, "priority"},
		{"client cannot move", "PATCH", patch, fmt.Sprintf(`{"client_id":%d}`, h.b.ID), 400, "client_id"},
		{"wrong type", "POST", tickets, create(`,"impact":"high"`), 400, "impact"},
		{"no client for staff", "POST", tickets, `{"type":"incident","title":"Bad"}`, 422, "client_id"},
		{"unknown type", "POST", tickets, fmt.Sprintf(`{"client_id":%d,"type":"bug","title":"Bad"}`, h.a.ID), 422, "type"},
		{"no title", "POST", tickets, fmt.Sprintf(`{"client_id":%d,"type":"incident","title":"  "}`, h.a.ID), 422, "title"},
		{"impact out of range", "POST", tickets, create(`,"impact":4`), 422, "impact"},
		{"requester of another client", "POST", tickets, create(fmt.Sprintf(`,"requester_id":%d`, h.contactB.ID)), 422, "requester_id"},
		{"unknown category", "POST", tickets, create(`,"category_id":987654`), 422, "category_id"},
		{"client user as assignee", "POST", tickets, create(fmt.Sprintf(`,"assignee_id":%d`, h.userA.ID)), 422, "assignee_id"},
		{"bad level", "POST", tickets, create(`,"level":"N4"`), 422, "level"},
		{"invalid status", "PATCH", patch, `{"status":"done"}`, 422, "status"},
		{"null status", "PATCH", patch, `{"status":null}`, 422, "status"},
		{"null title", "PATCH", patch, `{"title":null}`, 422, "title"},
		{"urgency out of range", "PATCH", patch, `{"urgency":0}`, 422, "urgency"},
		{"site of another client", "PATCH", patch, `{"site_id":987654}`, 422, "site_id"},
		{"status filter", "GET", tickets + "?status=open", "", 422, "status"},
		{"status in a list", "GET", tickets + "?status=new,bogus", "", 422, "status"},
		{"priority out of range", "GET", tickets + "?priority=5", "", 422, "priority"},
		{"priority P0", "GET", tickets + "?priority=P0", "", 422, "priority"},
		{"priority by name", "GET", tickets + "?priority=high", "", 422, "priority"},
		{"bad cursor", "GET", tickets + "?after=not-a-cursor", "", 422, "after"},
		{"negative assignee", "GET", tickets + "?assignee_id=-1", "", 422, "assignee_id"},
		{"unknown sort", "GET", tickets + "?sort=priority", "", 422, "sort"},
		{"unknown level", "GET", tickets + "?level=N9", "", 422, "level"},
		{"bad boolean", "GET", tickets + "?open=maybe", "", 422, "open"},
		{"limit zero", "GET", tickets + "?limit=0", "", 422, "limit"},
		{"repeated q", "GET", tickets + "?q=a&q=b", "", 400, "q"},
		{"unknown parameter", "GET", tickets + "?state=new", "", 400, "state"},
		{"duration as text", "POST", entries, `{"duration_minutes":"1h30m"}`, 400, "duration_minutes"},
		{"duration in nanoseconds", "POST", entries, `{"duration":5400000000000}`, 400, "duration"},
		{"no duration", "POST", entries, `{}`, 422, "duration_minutes"},
		{"duration over a day", "POST", entries, `{"duration_minutes":1441}`, 422, "duration_minutes"},
		{"travel off site", "POST", entries, `{"duration_minutes":30,"travel_minutes":20}`, 422, "travel_minutes"},
		{"negative travel", "POST", entries, `{"duration_minutes":30,"on_site":true,"travel_minutes":-5}`, 422, "travel_minutes"},
		{"start not a time", "POST", entries, `{"duration_minutes":30,"start":"yesterday"}`, 422, "start"},
		{"start in the future", "POST", entries, `{"duration_minutes":30,"start":"2999-01-01T09:00:00Z"}`, 422, "start"},
		{"client user as technician", "POST", entries, fmt.Sprintf(`{"duration_minutes":30,"technician_id":%d}`, h.userA.ID), 422, "technician_id"},
		{"empty followup", "POST", ticketPath(tk.ID, "/followups"), `{"body":" ","public":true}`, 422, "body"},
		{"ticket id not a number", "GET", tickets + "/abc", "", 404, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body any
			if c.body != "" {
				body = c.body
			}
			p := h.do(t, c.method, c.path, h.adminTok, body).problem(t, c.status)
			if c.field != "" {
				p.field(t, c.field)
			}
		})
	}
	got, _ := h.s.App.Tickets.Get(h.s.Ctx(), tenant.System(), tk.ID)
	if got.Title != "Bad input target" || got.Status != ticket.StatusNew || got.Urgency != 2 || got.SiteID != nil {
		t.Fatalf("bad input changed the ticket: %+v", got)
	}
	if es, _ := h.s.App.Tickets.TimeEntries(h.s.Ctx(), tenant.System(), tk.ID); len(es) != 0 {
		t.Fatalf("bad input logged time: %+v", es)
	}
	if ids := h.list(t, h.adminTok, "q=Bad&limit=200"); !slices.Equal(ids, []int64{tk.ID}) {
		t.Fatalf("bad input created tickets: %v", ids)
	}
}

func (h *helpdeskEnv) testTicketFilters(t *testing.T) {
	c := h.s.Client("CHARLIE")
	// A 24×7 contract, so that the due order depends on the priority alone.
	h.contract(t, c.ID, "CHARLIE-1", sla.AlwaysOpen().String(), map[sla.Priority]sla.Target{
		"P1": {TTO: 30 * time.Minute, TTR: 4 * time.Hour}, "P3": {TTO: 4 * time.Hour, TTR: 24 * time.Hour}, "P4": {TTO: 8 * time.Hour, TTR: 48 * time.Hour}})
	base := map[string]any{"client_id": c.ID}
	with := func(kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	t1 := h.create(t, h.adminTok, with("type", "incident", "title", "Serveur arrêté", "impact", 1, "urgency", 1, "assignee_id", h.tech.ID, "level", "N2"))
	t2 := h.create(t, h.adminTok, with("type", "request", "title", "Serveur de fichiers lent"))
	t3 := h.create(t, h.adminTok, with("type", "change", "title", "Migration messagerie"))
	t4 := h.create(t, h.adminTok, with("type", "incident", "title", "Souris", "impact", 3, "urgency", 3))
	h.do(t, "PATCH", ticketPath(t3.ID), h.adminTok, `{"status":"resolved"}`).want(t, 200)
	h.do(t, "PATCH", ticketPath(t4.ID), h.adminTok, `{"status":"waiting-for-client"}`).want(t, 200)
	if !t1.SLA.Covered || t1.SLA.TTRDue == nil || t1.SLA.TTODue != nil {
		t.Fatalf("t1's SLA %+v: covered, owned at assignment, resolution due", t1.SLA)
	}

	sorted := func(ids []int64) []int64 { s := slices.Clone(ids); slices.Sort(s); return s }
	ids := func(ts ...ticket.Ticket) []int64 {
		out := make([]int64, len(ts))
		for i, tk := range ts {
			out[i] = tk.ID
		}
		return sorted(out)
	}
	for _, tc := range []struct {
		query string
		want  []int64
	}{
		{"", ids(t1, t2, t3, t4)},
		{"status=new", ids(t2)},
		{"status=new,resolved", ids(t2, t3)},
		{"status=new&status=resolved", ids(t2, t3)},
		{"status=assigned,%20waiting-for-client&status=new", ids(t1, t2, t4)},
		{"open=true", ids(t1, t2, t4)},
		{"open=false", ids(t3)},
		{"assignee_id=0", ids(t2, t3, t4)},
		{fmt.Sprintf("assignee_id=%d", h.tech.ID), ids(t1)},
		{"level=N2", ids(t1)},
		{"level=N1", ids(t2, t3, t4)},
		{"priority=1", ids(t1)},
		{"priority=P1", ids(t1)},
		{"priority=p4", ids(t4)},
		{"priority=P3&open=true", ids(t2)},
		{"q=FICHIERS", ids(t2)},
		{"q=serveur&status=new", ids(t2)},
	} {
		q := fmt.Sprintf("client_id=%d", c.ID)
		if tc.query != "" {
			q += "&" + tc.query
		}
		if got := sorted(h.list(t, h.adminTok, q)); !slices.Equal(got, tc.want) {
			t.Errorf("?%s: %v, want %v", tc.query, got, tc.want)
		}
	}

	// Orders: newest first by default, most recently changed first, earliest deadline first.
	list := func(q string) []ticket.Ticket {
		var p pageOf[ticket.Ticket]
		h.do(t, "GET", fmt.Sprintf("/api/v1/tickets?client_id=%d&%s", c.ID, q), h.adminTok, nil).want(t, 200).decode(t, &p)
		return p.Data
	}
	if got := list(""); len(got) != 4 || got[0].ID != t4.ID || got[3].ID != t1.ID {
		t.Errorf("default order %v", got)
	}
	upd := list("sort=updated")
	for i := 1; i < len(upd); i++ {
		a, b := upd[i-1], upd[i]
		if a.Updated.Before(b.Updated) || (a.Updated.Equal(b.Updated) && a.ID < b.ID) {
			t.Errorf("sort=updated: %d (%v) before %d (%v)", a.ID, a.Updated, b.ID, b.Updated)
		}
	}
	if upd[0].ID != t4.ID {
		t.Errorf("sort=updated starts with %d, want the last changed %d", upd[0].ID, t4.ID)
	}
	due := list("sort=due")
	far := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	key := func(tk ticket.Ticket) time.Time {
		if tk.SLA.TTRDue == nil {
			return far
		}
		return *tk.SLA.TTRDue
	}
	for i := 1; i < len(due); i++ {
		if key(due[i-1]).After(key(due[i])) {
			t.Errorf("sort=due: %d (%v) before %d (%v)", due[i-1].ID, key(due[i-1]), due[i].ID, key(due[i]))
		}
	}
	if due[0].ID != t1.ID || due[len(due)-1].ID != t3.ID {
		t.Errorf("sort=due order %d…%d, want the P1 first and the resolved one last", due[0].ID, due[len(due)-1].ID)
	}
}

func (h *helpdeskEnv) testTicketPagination(t *testing.T) {
	d := h.s.Client("DELTA")
	var want []int64
	for i := range 7 {
		tk := h.create(t, h.adminTok, map[string]any{"client_id": d.ID, "type": "request", "title": fmt.Sprintf("Page %d", i)})
		want = append(want, tk.ID)
	}
	// Same updated_at order ties are broken by id: change two in between.
	h.do(t, "PATCH", ticketPath(want[2]), h.adminTok, `{"urgency":1}`).want(t, 200)
	h.do(t, "PATCH", ticketPath(want[5]), h.adminTok, `{"urgency":3}`).want(t, 200)
	var firstCursor string
	for _, sort := range []string{"", "updated", "due"} {
		path := fmt.Sprintf("/api/v1/tickets?client_id=%d", d.ID)
		if sort != "" {
			path += "&sort=" + sort
		}
		rows, pages := collect[ticket.Ticket](t, h.env, path, h.techTok, 3)
		var got []int64
		for _, r := range rows {
			got = append(got, r.ID)
		}
		if pages != 3 {
			t.Errorf("sort=%q: %d pages, want 3", sort, pages)
		}
		s := slices.Clone(got)
		slices.Sort(s)
		if !slices.Equal(s, want) {
			t.Errorf("sort=%q: walked %v, want each of %v exactly once", sort, got, want)
		}
		var unpaged pageOf[ticket.Ticket]
		h.do(t, "GET", path+"&limit=200", h.techTok, nil).want(t, 200).decode(t, &unpaged)
		var all []int64
		for _, r := range unpaged.Data {
			all = append(all, r.ID)
		}
		if !slices.Equal(got, all) || unpaged.NextCursor != nil {
			t.Errorf("sort=%q: pages give %v, one page %v", sort, got, all)
		}
		if sort == "" {
			var p pageOf[ticket.Ticket]
			h.do(t, "GET", path+"&limit=3", h.techTok, nil).want(t, 200).decode(t, &p)
			firstCursor = *p.NextCursor
		}
	}
	// A cursor belongs to its order.
	p := h.do(t, "GET", fmt.Sprintf("/api/v1/tickets?client_id=%d&sort=due&after=%s", d.ID, firstCursor), h.techTok, nil).problem(t, 422)
	if code, _ := p.field(t, "after"); code != "invalid_cursor" {
		t.Errorf("after code %q", code)
	}
}

func (h *helpdeskEnv) testTimeEntries(t *testing.T) {
	tk := h.create(t, h.adminTok, map[string]any{"client_id": h.a.ID, "type": "incident", "title": "Disque dur"})
	path := ticketPath(tk.ID, "/time-entries")
	r := h.do(t, "POST", path, h.techTok, `{"duration_minutes":90,"on_site":true,"travel_minutes":25,"note":"Remplacement du disque","start":"2026-01-05T09:00:00+01:00"}`).want(t, 201)
	var raw map[string]any
	r.decode(t, &raw)
	for _, k := range []string{"duration", "travel"} {
		if _, ok := raw[k]; ok {
			t.Errorf("the entry exposes %q (a time.Duration): %s", k, r.body)
		}
	}
	var e1 struct {
		ID              int64     `json:"id"`
		TicketID        int64     `json:"ticket_id"`
		TechnicianID    int64     `json:"technician_id"`
		Start           time.Time `json:"start"`
		DurationMinutes int       `json:"duration_minutes"`
		OnSite          bool      `json:"on_site"`
		TravelMinutes   int       `json:"travel_minutes"`
		Billable        bool      `json:"billable"`
		Note            string    `json:"note"`
	}
	r.decode(t, &e1)
	if e1.ID == 0 || e1.TicketID != tk.ID || e1.TechnicianID != h.tech.ID || e1.DurationMinutes != 90 || !e1.OnSite || e1.TravelMinutes != 25 ||
		!e1.Billable || e1.Note != "Remplacement du disque" || !e1.Start.Equal(time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("entry %s", r.body)
	}
	e2 := e1
	h.do(t, "POST", path, h.techTok, fmt.Sprintf(`{"duration_minutes":15,"billable":false,"technician_id":%d}`, h.admin.ID)).want(t, 201).decode(t, &e2)
	if e2.Billable || e2.TechnicianID != h.admin.ID || e2.DurationMinutes != 15 || e2.TravelMinutes != 0 {
		t.Fatalf("second entry %+v", e2)
	}
	var list pageOf[map[string]any]
	h.do(t, "GET", path, h.managerTok, nil).want(t, 200).decode(t, &list)
	if len(list.Data) != 2 || list.NextCursor != nil {
		t.Fatalf("entries %+v", list)
	}
	var minutes []float64
	for _, e := range list.Data {
		minutes = append(minutes, e["duration_minutes"].(float64))
	}
	slices.Sort(minutes)
	if !slices.Equal(minutes, []float64{15, 90}) {
		t.Errorf("listed durations %v", minutes)
	}
	stored, err := h.s.App.Tickets.TimeEntries(h.s.Ctx(), tenant.System(), tk.ID)
	if err != nil || len(stored) != 2 {
		t.Fatalf("stored %+v, %v", stored, err)
	}
	for _, e := range stored {
		if e.Duration != 90*time.Minute && e.Duration != 15*time.Minute {
			t.Errorf("stored duration %v", e.Duration)
		}
	}
}

func (h *helpdeskEnv) testHelpdeskSettings(t *testing.T) {
	defaults := ticket.DefaultSettings()
	var st ticket.Settings
	h.do(t, "GET", "/api/v1/helpdesk/settings", h.userTok, nil).want(t, 200).decode(t, &st)
	if st != defaults {
		t.Fatalf("settings %+v, want the defaults", st)
	}
	t.Cleanup(func() {
		if err := h.s.App.Tickets.SaveSettings(h.s.Ctx(), tenant.System(), defaults); err != nil {
			t.Error(err)
		}
	})
	h.do(t, "PUT", "/api/v1/helpdesk/settings", h.managerTok, `{"matrix":[[1,1,2],[2,3,4],[3,4,4]],"reopen_days":3,"close_days":0}`).want(t, 200).decode(t, &st)
	want := ticket.Settings{Matrix: [3][3]ticket.Priority{{1, 1, 2}, {2, 3, 4}, {3, 4, 4}}, ReopenDays: 3, CloseDays: 0}
	if st != want {
		t.Fatalf("saved %+v, want %+v", st, want)
	}
	tk := h.create(t, h.adminTok, map[string]any{"client_id": h.a.ID, "type": "incident", "title": "Matrice", "impact": 1, "urgency": 2})
	if tk.Priority != ticket.P1 {
		t.Errorf("impact 1 urgency 2 gives %v under the new matrix, want P1", tk.Priority)
	}
	for _, c := range []struct {
		name, tok, body string
		status          int
		field           string
	}{
		{"technician", h.techTok, `{"matrix":[[1,1,1],[1,1,1],[1,1,1]],"reopen_days":0,"close_days":0}`, 403, ""},
		{"client admin", h.clientTok, `{"matrix":[[1,1,1],[1,1,1],[1,1,1]],"reopen_days":0,"close_days":0}`, 403, ""},
		{"two rows", h.adminTok, `{"matrix":[[1,1,1],[1,1,1]],"reopen_days":0,"close_days":0}`, 422, "matrix"},
		{"short row", h.adminTok, `{"matrix":[[1,1,1],[1,1],[1,1,1]],"reopen_days":0,"close_days":0}`, 422, "matrix"},
		{"priority 5", h.adminTok, `{"matrix":[[1,1,1],[1,5,1],[1,1,1]],"reopen_days":0,"close_days":0}`, 422, "matrix.2.2"},
		{"no matrix", h.adminTok, `{"reopen_days":0,"close_days":0}`, 422, "matrix"},
		{"no reopen_days", h.adminTok, `{"matrix":[[1,1,1],[1,1,1],[1,1,1]],"close_days":0}`, 422, "reopen_days"},
		{"close_days too long", h.adminTok, `{"matrix":[[1,1,1],[1,1,1],[1,1,1]],"reopen_days":0,"close_days":400}`, 422, "close_days"},
	} {
		p := h.do(t, "PUT", "/api/v1/helpdesk/settings", c.tok, c.body).problem(t, c.status)
		if c.field != "" {
			p.field(t, c.field)
		}
	}
	h.do(t, "GET", "/api/v1/helpdesk/settings", h.techTok, nil).want(t, 200).decode(t, &st)
	if st != want {
		t.Fatalf("refused changes changed the settings: %+v", st)
	}
}

func (h *helpdeskEnv) testCategories(t *testing.T) {
	var hw, printers ticket.Category
	r := h.do(t, "POST", "/api/v1/helpdesk/categories", h.adminTok, `{"name":"Matériel"}`).want(t, 201)
	r.decode(t, &hw)
	if r.header.Get("Location") != fmt.Sprintf("/api/v1/helpdesk/categories/%d", hw.ID) || hw.ParentID != nil {
		t.Fatalf("category %+v at %q", hw, r.header.Get("Location"))
	}
	h.do(t, "POST", "/api/v1/helpdesk/categories", h.managerTok, fmt.Sprintf(`{"name":"Imprimantes","parent_id":%d}`, hw.ID)).want(t, 201).decode(t, &printers)
	if printers.ParentID == nil || *printers.ParentID != hw.ID {
		t.Fatalf("child %+v", printers)
	}
	var list pageOf[ticket.Category]
	h.do(t, "GET", "/api/v1/helpdesk/categories", h.userTok, nil).want(t, 200).decode(t, &list)
	if len(list.Data) != 2 || list.Data[0].ID != printers.ID || list.Data[1].ID != hw.ID || list.NextCursor != nil {
		t.Fatalf("categories %+v", list)
	}
	h.do(t, "POST", "/api/v1/helpdesk/categories", h.techTok, `{"name":"Logiciel"}`).problem(t, 403)
	h.do(t, "POST", "/api/v1/helpdesk/categories", h.adminTok, `{"name":"Orphan","parent_id":987654}`).problem(t, 422).field(t, "parent_id")
	h.do(t, "POST", "/api/v1/helpdesk/categories", h.adminTok, `{"name":""}`).problem(t, 422).field(t, "name")

	tk := h.create(t, h.adminTok, map[string]any{"client_id": h.a.ID, "type": "incident", "title": "Bourrage", "category_id": printers.ID})
	if tk.CategoryID == nil || *tk.CategoryID != printers.ID {
		t.Fatalf("ticket category %v", tk.CategoryID)
	}
	h.do(t, "DELETE", fmt.Sprintf("/api/v1/helpdesk/categories/%d", hw.ID), h.adminTok, nil).problem(t, 409)
	h.do(t, "DELETE", fmt.Sprintf("/api/v1/helpdesk/categories/%d", printers.ID), h.techTok, nil).problem(t, 403)
	h.do(t, "DELETE", fmt.Sprintf("/api/v1/helpdesk/categories/%d", printers.ID), h.adminTok, nil).want(t, 204)
	h.do(t, "DELETE", fmt.Sprintf("/api/v1/helpdesk/categories/%d", printers.ID), h.adminTok, nil).problem(t, 404)
	h.do(t, "DELETE", "/api/v1/helpdesk/categories/abc", h.adminTok, nil).problem(t, 404)
	var got ticket.Ticket
	h.do(t, "GET", ticketPath(tk.ID), h.adminTok, nil).want(t, 200).decode(t, &got)
	if got.CategoryID != nil {
		t.Errorf("the ticket keeps the deleted category %d", *got.CategoryID)
	}
	h.do(t, "DELETE", fmt.Sprintf("/api/v1/helpdesk/categories/%d", hw.ID), h.adminTok, nil).want(t, 204)
	h.do(t, "GET", "/api/v1/helpdesk/categories", h.userTok, nil).want(t, 200).decode(t, &list)
	if len(list.Data) != 0 {
		t.Fatalf("categories left: %+v", list.Data)
	}
}

// level is a service level as the API writes it.
type level struct {
	ClientID      int64    `json:"client_id"`
	Configured    bool     `json:"configured"`
	AtRiskShare   float64  `json:"at_risk_share"`
	PauseStatuses []string `json:"pause_statuses"`
	Escalation    string   `json:"escalation"`
	Rules         []struct {
		Trigger    string `json:"trigger"`
		Clock      string `json:"clock"`
		Notify     bool   `json:"notify"`
		RaiseLevel string `json:"raise_level"`
		ReassignTo *int64 `json:"reassign_to"`
	} `json:"rules"`
	Updated  *time.Time `json:"updated_at"`
	Contract *struct {
		ID        int64           `json:"id"`
		Reference string          `json:"reference"`
		Calendar  json.RawMessage `json:"calendar"`
		Targets   map[string]struct {
			TTO int `json:"tto_minutes"`
			TTR int `json:"ttr_minutes"`
		} `json:"targets"`
	} `json:"contract"`
}

// contract gives a client an active contract from 1 January 2020 with
// these business hours and targets.
func (h *helpdeskEnv) contract(t *testing.T, clientID int64, ref, cal string, targets map[sla.Priority]sla.Target) contract.Contract {
	t.Helper()
	c := contract.Contract{ClientID: clientID, Reference: ref, Title: "Infogérance " + ref, Start: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		State: contract.StateActive, Calendar: cal, Targets: targets, Availability: 99.5}
	if err := h.s.App.Contracts.Create(h.s.Ctx(), tenant.System(), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

func (h *helpdeskEnv) testServiceLevel(t *testing.T) {
	e := h.s.Client("ECHO")
	path := fmt.Sprintf("/api/v1/clients/%d/service-level", e.ID)
	var sl level
	h.do(t, "GET", path, h.techTok, nil).want(t, 200).decode(t, &sl)
	if sl.ClientID != e.ID || sl.Configured || sl.Updated != nil || sl.Contract != nil {
		t.Fatalf("default service level of a client without contract %+v", sl)
	}
	// Business hours and targets are the contract's, shown read-only.
	calendar := `{"tz":"Europe/Paris","week":{"mon":["08:00-12:00","14:00-18:00"],"tue":["08:00-18:00"]},"holidays":"FR","extra":["2026-12-24"]}`
	k := h.contract(t, e.ID, "ECHO-1", calendar, map[sla.Priority]sla.Target{"P1": {TTO: 30 * time.Minute, TTR: 4 * time.Hour}, "P3": {TTO: 4 * time.Hour, TTR: 48 * time.Hour}})
	body := `{"at_risk_share":0.8,"pause_statuses":["waiting-for-client"],"escalation":"Appeler le 01 23 45 67 89",` +
		`"rules":[{"trigger":"breached","clock":"ttr","notify":true,"raise_level":"N2","reassign_to":null}]}`
	r := h.do(t, "PUT", path, h.managerTok, body).want(t, 200)
	if !bytes.Contains(r.body, []byte(`"calendar":{`)) {
		t.Errorf("the contract's calendar is not a JSON object: %s", r.body)
	}
	var saved level
	r.decode(t, &saved)
	if !saved.Configured || saved.Updated == nil || saved.AtRiskShare != 0.8 || !slices.Equal(saved.PauseStatuses, []string{"waiting-for-client"}) ||
		saved.Escalation != "Appeler le 01 23 45 67 89" ||
		len(saved.Rules) != 1 || saved.Rules[0].RaiseLevel != "N2" || saved.Rules[0].Clock != "ttr" || !saved.Rules[0].Notify {
		t.Fatalf("saved %+v", saved)
	}
	if c := saved.Contract; c == nil || c.ID != k.ID || c.Reference != "ECHO-1" || len(c.Targets) != 2 ||
		c.Targets["P1"].TTO != 30 || c.Targets["P1"].TTR != 240 || c.Targets["P3"].TTO != 240 || c.Targets["P3"].TTR != 2880 ||
		!sameJSON(t, c.Calendar, []byte(k.Calendar)) {
		t.Fatalf("contract shown with the service level: %+v", saved.Contract)
	}
	var again level
	h.do(t, "GET", path, h.userTok, nil).problem(t, 404) // a client user of A does not see ECHO
	h.do(t, "GET", path, h.techTok, nil).want(t, 200).decode(t, &again)
	if !reflect.DeepEqual(again, saved) {
		t.Fatalf("read back %+v, saved %+v", again, saved)
	}

	for _, c := range []struct {
		name, tok, body string
		status          int
		field, code     string
	}{
		{"calendar", h.adminTok, `{"calendar":{"tz":"UTC","week":{"mon":["08:00-12:00"]}},"escalation":"x"}`, 400, "calendar", "set_on_contract"},
		{"targets", h.adminTok, `{"targets":{"P1":{"tto_minutes":30,"ttr_minutes":240}}}`, 400, "targets", "set_on_contract"},
		{"empty targets", h.adminTok, `{"targets":{}}`, 400, "targets", "set_on_contract"},
		{"pause on new", h.adminTok, `{"pause_statuses":["new"]}`, 422, "pause_statuses", "invalid_choice"},
		{"share over one", h.adminTok, `{"at_risk_share":2}`, 422, "at_risk_share", "out_of_range"},
		{"technician", h.techTok, `{"escalation":"x"}`, 403, "", ""},
		{"rule on an unknown trigger", h.adminTok, `{"rules":[{"trigger":"late","notify":true}]}`, 422, "rules.0.trigger", "invalid_choice"},
		{"rule that does nothing", h.adminTok, `{"rules":[{"trigger":"breached"}]}`, 422, "rules.0", "rule_does_nothing"},
		{"rule reassigning to nobody", h.adminTok, `{"rules":[{"trigger":"breached","reassign_to":999999}]}`, 422, "rules.0.reassign_to", "invalid_choice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := h.do(t, "PUT", path, c.tok, c.body).problem(t, c.status)
			if c.field != "" {
				if code, _ := p.field(t, c.field); code != c.code {
					t.Errorf("code %q, want %q", code, c.code)
				}
			}
		})
	}
	h.do(t, "GET", path, h.techTok, nil).want(t, 200).decode(t, &again)
	if !reflect.DeepEqual(again, saved) {
		t.Fatalf("refused changes changed the service level: %+v", again)
	}
	// The message says where the calendar is set now.
	p := h.do(t, "PUT", path, h.adminTok, `{"calendar":{"tz":"UTC","week":{"mon":["08:00-12:00"]}}}`, header("Accept-Language", "en")).problem(t, 400)
	if _, msg := p.field(t, "calendar"); !strings.Contains(msg, "contract") {
		t.Errorf("calendar message %q", msg)
	}

	// A client admin reads its own service level but may not change it.
	pathA := fmt.Sprintf("/api/v1/clients/%d/service-level", h.a.ID)
	h.do(t, "GET", pathA, h.clientTok, nil).want(t, 200)
	h.do(t, "PUT", pathA, h.clientTok, `{"escalation":"x"}`).problem(t, 403)

	// Tickets of the client run the contract's clocks; a client without a
	// contract's are out of perimeter, which the list filters.
	tk := h.create(t, h.adminTok, map[string]any{"client_id": e.ID, "type": "incident", "title": "Panne générale", "impact": 1, "urgency": 1})
	if !tk.SLA.Covered || tk.SLA.TTODue == nil || tk.SLA.TTRDue == nil || !tk.SLA.TTODue.Before(*tk.SLA.TTRDue) || tk.ContractID == nil || *tk.ContractID != k.ID || tk.OutOfPerimeter {
		t.Fatalf("SLA of a P1 under a contract: %+v", tk)
	}
	out := h.create(t, h.adminTok, map[string]any{"client_id": h.b.ID, "type": "incident", "title": "Sans contrat"})
	if out.SLA.Covered || !out.OutOfPerimeter || out.PerimeterReason != "no_contract" || out.ContractID != nil {
		t.Fatalf("ticket of a client without contract: %+v", out)
	}
	if ids := h.list(t, h.adminTok, "out_of_perimeter=1&limit=200"); !slices.Contains(ids, out.ID) || slices.Contains(ids, tk.ID) {
		t.Errorf("out_of_perimeter=1 lists %v (in: %d, out: %d)", ids, tk.ID, out.ID)
	}
	if ids := h.list(t, h.adminTok, "out_of_perimeter=0&limit=200"); !slices.Contains(ids, out.ID) || !slices.Contains(ids, tk.ID) {
		t.Errorf("out_of_perimeter=0 lists %v", ids)
	}
	h.do(t, "GET", "/api/v1/tickets?out_of_perimeter=maybe", h.adminTok, nil).problem(t, 422)

	// Staff with helpdesk admin rights decide by hand; a technician may not.
	perim := ticketPath(tk.ID) + "/perimeter"
	h.do(t, "PUT", perim, h.techTok, `{"out_of_perimeter":true}`).problem(t, 403)
	if _, msg := h.do(t, "PUT", perim, h.adminTok, `{}`).problem(t, 422).field(t, "out_of_perimeter"); msg == "" {
		t.Error("no message for a missing out_of_perimeter")
	}
	var manual ticket.Ticket
	h.do(t, "PUT", perim, h.adminTok, `{"out_of_perimeter":true}`).want(t, 200).decode(t, &manual)
	if !manual.OutOfPerimeter || manual.PerimeterReason != ticket.PerimeterManual || manual.SLA.Covered {
		t.Fatalf("ticket put out of perimeter by hand: %+v", manual)
	}
	h.do(t, "PUT", perim, h.adminTok, `{"out_of_perimeter":false}`).want(t, 200).decode(t, &manual)
	if manual.OutOfPerimeter || !manual.SLA.Covered {
		t.Fatalf("ticket put back in the perimeter by hand: %+v", manual)
	}
}

// TestTicketOpenAPI checks that the helpdesk is documented with its own
// types: minutes rather than durations, the calendar as an object.
func TestTicketOpenAPI(t *testing.T) {
	e := newEnv(t, "sqlite")
	raw := e.do(t, "GET", "/api/v1/openapi.json", "", nil).want(t, 200).body
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties           map[string]map[string]any `json:"properties"`
				Required             []string                  `json:"required"`
				AdditionalProperties any                       `json:"additionalProperties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Ticket", "TicketPage", "TicketSLA", "TicketCreate", "TicketPatch", "Followup", "FollowupInput", "TicketEvent",
		"Timeline", "TimeEntry", "TimeEntryPage", "TimeEntryInput", "HelpdeskSettings", "HelpdeskSettingsInput", "Category", "CategoryPage",
		"CategoryInput", "ServiceLevel", "ServiceLevelContract", "ServiceLevelInput", "ServiceLevelTarget", "Calendar"} {
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("no schema %s", name)
		}
	}
	for _, name := range []string{"TimeEntry", "TimeEntryInput", "ServiceLevelTarget"} {
		for prop := range doc.Components.Schemas[name].Properties {
			if !strings.HasSuffix(prop, "_minutes") && (strings.Contains(prop, "duration") || strings.Contains(prop, "travel") || strings.HasPrefix(prop, "tt")) {
				t.Errorf("%s.%s is a duration without its unit", name, prop)
			}
		}
	}
	if s := doc.Components.Schemas["ServiceLevelInput"].Properties["calendar"]; s["$ref"] != "#/components/schemas/Calendar" {
		t.Errorf("calendar schema %v, want the Calendar object", s)
	}
	if s := doc.Components.Schemas["ServiceLevelContract"].Properties["targets"]; s["type"] != "object" || s["additionalProperties"] == nil {
		t.Errorf("targets schema %v, want an object of targets", s)
	}
	if !slices.Equal(doc.Components.Schemas["TicketCreate"].Required, []string{"type", "title"}) {
		t.Errorf("TicketCreate requires %v", doc.Components.Schemas["TicketCreate"].Required)
	}
	var list struct {
		Parameters []struct {
			Name    string         `json:"name"`
			Schema  map[string]any `json:"schema"`
			Explode bool           `json:"explode"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(doc.Paths["/tickets"]["get"], &list); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range list.Parameters {
		if p.Name == "status" {
			found = p.Schema["type"] == "array" && p.Explode
		}
	}
	if !found {
		t.Errorf("status is not documented as a repeatable parameter: %+v", list.Parameters)
	}
	var created struct {
		Responses map[string]struct {
			Headers map[string]any `json:"headers"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(doc.Paths["/tickets/{id}/followups"]["post"], &created); err != nil {
		t.Fatal(err)
	}
	if _, ok := created.Responses["201"].Headers["Location"]; ok {
		t.Error("a followup is documented with a Location it does not have")
	}
}

func (h *helpdeskEnv) testMergeWatchers(t *testing.T) {
	dup := h.create(t, h.userTok, map[string]any{"type": "incident", "title": "Doublon API", "description": "Le VPN coupe."})
	target := h.create(t, h.techTok, map[string]any{"client_id": h.a.ID, "type": "incident", "title": "VPN instable"})
	other := h.create(t, h.techTok, map[string]any{"client_id": h.b.ID, "type": "incident", "title": "Autre client"})
	// Refusals: a client user, another client's target, no target.
	h.do(t, "POST", ticketPath(dup.ID, "/merge"), h.userTok, map[string]any{"target_id": target.ID}).problem(t, 403)
	if code, _ := h.do(t, "POST", ticketPath(dup.ID, "/merge"), h.techTok, map[string]any{"target_id": other.ID}).problem(t, 422).field(t, "target_id"); code != "other_client" {
		t.Errorf("merge into another client's ticket: code %q", code)
	}
	if code, _ := h.do(t, "POST", ticketPath(dup.ID, "/merge"), h.techTok, map[string]any{}).problem(t, 422).field(t, "target_id"); code != "required" {
		t.Errorf("merge without target: code %q", code)
	}
	var got ticket.Ticket
	h.do(t, "POST", ticketPath(dup.ID, "/merge"), h.techTok, map[string]any{"target_id": target.ID}).want(t, 200).decode(t, &got)
	if got.ID != target.ID {
		t.Errorf("merge returned #%d", got.ID)
	}
	var src ticket.Ticket
	h.do(t, "GET", ticketPath(dup.ID), h.userTok, nil).want(t, 200).decode(t, &src)
	if src.MergedInto == nil || *src.MergedInto != target.ID || src.Status != ticket.StatusClosed {
		t.Errorf("duplicate after merge: %+v", src)
	}

	// Watchers: the client user watched the target when its duplicate was
	// merged (it opened it); it may stop; it cannot add staff.
	var ws pageOf[ticket.Watcher]
	h.do(t, "GET", ticketPath(target.ID, "/watchers"), h.techTok, nil).want(t, 200).decode(t, &ws)
	if len(ws.Data) != 1 || ws.Data[0].UserID != h.userA.ID {
		t.Fatalf("watchers after merge = %+v", ws.Data)
	}
	h.do(t, "PUT", ticketPath(target.ID, fmt.Sprintf("/watchers/%d", h.techA.ID)), h.userTok, nil).problem(t, 403)
	h.do(t, "DELETE", ticketPath(target.ID, fmt.Sprintf("/watchers/%d", h.userA.ID)), h.userTok, nil).want(t, 204)
	h.do(t, "DELETE", ticketPath(target.ID, fmt.Sprintf("/watchers/%d", h.userA.ID)), h.userTok, nil).problem(t, 404)
	// Staff add a technician who sees A; not one limited to another client.
	h.do(t, "PUT", ticketPath(target.ID, fmt.Sprintf("/watchers/%d", h.techA.ID)), h.managerTok, nil).want(t, 204)
	if code, _ := h.do(t, "PUT", ticketPath(other.ID, fmt.Sprintf("/watchers/%d", h.techA.ID)), h.managerTok, nil).problem(t, 422).field(t, "user_id"); code != "invalid_choice" {
		t.Errorf("watcher limited to another client: code %q", code)
	}
	h.do(t, "GET", ticketPath(target.ID, "/watchers"), h.userTok, nil).problem(t, 404) // no longer watching, not its request
	h.do(t, "GET", ticketPath(target.ID, "/watchers"), h.techTok, nil).want(t, 200).decode(t, &ws)
	if len(ws.Data) != 1 || ws.Data[0].UserID != h.techA.ID || !ws.Data[0].Staff {
		t.Errorf("watchers = %+v", ws.Data)
	}
	// Another client's user sees nothing of it.
	h.do(t, "GET", ticketPath(other.ID, "/watchers"), h.userTok, nil).problem(t, 404)
}

func (h *helpdeskEnv) testBulk(t *testing.T) {
	a1 := h.create(t, h.techTok, map[string]any{"client_id": h.a.ID, "type": "request", "title": "Bulk A1"})
	a2 := h.create(t, h.techTok, map[string]any{"client_id": h.a.ID, "type": "request", "title": "Bulk A2"})
	b1 := h.create(t, h.techTok, map[string]any{"client_id": h.b.ID, "type": "request", "title": "Bulk B1"})
	var out struct {
		Results []struct {
			ID      int64 `json:"id"`
			OK      bool  `json:"ok"`
			Problem *struct {
				Status int `json:"status"`
			} `json:"problem"`
		} `json:"results"`
		Changed int `json:"changed"`
	}
	// The technician limited to A: B's ticket is not found, A's change.
	h.do(t, "POST", "/api/v1/tickets/bulk", h.techATok, map[string]any{"ids": []int64{a1.ID, b1.ID, a2.ID}, "level": "N3", "status": "in-progress"}).want(t, 200).decode(t, &out)
	if out.Changed != 2 || len(out.Results) != 3 || !out.Results[0].OK || out.Results[1].OK || out.Results[1].Problem == nil || out.Results[1].Problem.Status != 404 || !out.Results[2].OK {
		t.Fatalf("bulk results %+v", out)
	}
	var got ticket.Ticket
	h.do(t, "GET", ticketPath(a2.ID), h.techTok, nil).want(t, 200).decode(t, &got)
	if got.Level != "N3" || got.Status != ticket.StatusInProgress {
		t.Errorf("after bulk: %+v", got)
	}
	h.do(t, "GET", ticketPath(b1.ID), h.techTok, nil).want(t, 200).decode(t, &got)
	if got.Level != "N1" {
		t.Errorf("B's ticket changed: %+v", got)
	}
	h.do(t, "POST", "/api/v1/tickets/bulk", h.clientTok, map[string]any{"ids": []int64{a1.ID}, "level": "N2"}).problem(t, 403)
	if code, _ := h.do(t, "POST", "/api/v1/tickets/bulk", h.techTok, map[string]any{"ids": []int64{}, "level": "N2"}).problem(t, 422).field(t, "ids"); code != "required" {
		t.Errorf("no ids: code %q", code)
	}
	if code, _ := h.do(t, "POST", "/api/v1/tickets/bulk", h.techTok, map[string]any{"ids": []int64{a1.ID}, "impact": 7}).problem(t, 422).field(t, "impact"); code != "invalid_choice" {
		t.Errorf("bad impact: code %q", code)
	}
}

func (h *helpdeskEnv) testTicketAssets(t *testing.T) {
	mk := func(clientID int64, name string) int64 {
		a := asset.Asset{ClientID: clientID, Kind: asset.KindWorkstation, Name: name}
		if err := h.s.App.Assets.Create(h.s.Ctx(), tenant.System(), &a); err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	pcA, pcB := mk(h.a.ID, "pc-compta"), mk(h.b.ID, "pc-bravo")
	tk := h.create(t, h.techTok, map[string]any{"client_id": h.a.ID, "type": "incident", "title": "PC lent", "asset_ids": []int64{pcA}})
	if len(tk.AssetIDs) != 1 || tk.AssetIDs[0] != pcA {
		t.Errorf("created with assets %v", tk.AssetIDs)
	}
	if code, _ := h.do(t, "PATCH", ticketPath(tk.ID), h.techTok, map[string]any{"asset_ids": []int64{pcB}}).problem(t, 422).field(t, "asset_ids"); code != "invalid_choice" {
		t.Errorf("another client's asset: code %q", code)
	}
	var got ticket.Ticket
	h.do(t, "PATCH", ticketPath(tk.ID), h.techTok, map[string]any{"asset_ids": nil}).want(t, 200).decode(t, &got)
	if len(got.AssetIDs) != 0 {
		t.Errorf("after unlinking: %v", got.AssetIDs)
	}
	h.do(t, "GET", ticketPath(tk.ID), h.techTok, nil).want(t, 200).decode(t, &got)
	if len(got.AssetIDs) != 0 {
		t.Errorf("read back: %v", got.AssetIDs)
	}
}
