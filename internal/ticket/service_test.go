package ticket_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

var paris = mustLoad("Europe/Paris")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// march returns a Paris wall-clock time in March 2026 (UTC+1); 2 March is a Monday.
func march(day, hour, min int) time.Time {
	return time.Date(2026, 3, day, hour, min, 0, 0, paris)
}

// env is a helpdesk on a real database: client A with a contract in force
// since 1 January 2026 (default calendar; P1 30 min / 4 h, P3 4 h / 24 h)
// and a service level, client B with neither,
// staff, the client users of A and B, and a clock the test moves.
type env struct {
	db    *store.DB
	svc   *ticket.Service
	now   time.Time
	A, B  client.Client
	siteA client.Site
	siteB client.Site
	// annie is the contact of A's client admin, carl and dave those of two
	// client users of A, bob the contact of B's client admin.
	annie, carl, dave, bob client.Contact
	manager                user.User // every client
	techA, techB           user.User // limited to A, to B
	adminA, adminB         user.User // client admins
	carlU, doraU           user.User // client users of A
	contractA              contract.Contract
}

// forEachDB runs a test on a fresh helpdesk on every database.
func forEachDB(t *testing.T, test func(t *testing.T, e *env)) {
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) {
			test(t, newEnv(t, d))
		})
	}
}

func newEnv(t *testing.T, dialect string) *env {
	t.Helper()
	ctx := t.Context()
	db, err := store.Open(ctx, testdb.URL(t, dialect), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, now: march(2, 9, 0)}
	clock := func() time.Time { return e.now }
	e.svc = ticket.NewService(db, db, db, audit.NewJournal(db, clock), clock, nil)

	sys := tenant.System()
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	mkClient := func(code string) client.Client {
		c := client.Client{Code: code, Name: code, TimeZone: "Europe/Paris", Language: "fr"}
		check(db.CreateClient(ctx, sys, &c))
		return c
	}
	mkSite := func(c client.Client) client.Site {
		s := client.Site{ClientID: c.ID, Name: c.Code + " HQ"}
		check(db.CreateSite(ctx, sys, &s))
		return s
	}
	mkContact := func(c client.Client, name string) client.Contact {
		ct := client.Contact{ClientID: c.ID, LastName: name}
		check(db.CreateContact(ctx, sys, &ct))
		return ct
	}
	mkUser := func(u user.User) user.User {
		u.Language = "fr"
		check(db.CreateUser(ctx, &u, "$argon2id$fake"))
		return u
	}
	e.A, e.B = mkClient("ALPHA"), mkClient("BRAVO")
	e.siteA, e.siteB = mkSite(e.A), mkSite(e.B)
	e.annie, e.carl, e.dave, e.bob = mkContact(e.A, "Annie"), mkContact(e.A, "Carl"), mkContact(e.A, "Dave"), mkContact(e.B, "Bob")
	e.manager = mkUser(user.User{Email: "manager@msp.example", Name: "Marc Manager", Role: tenant.RoleManager})
	e.techA = mkUser(user.User{Email: "tina@msp.example", Name: "Tina Tech", Role: tenant.RoleTechnician, Level: user.LevelN1, Clients: []int64{e.A.ID}})
	e.techB = mkUser(user.User{Email: "theo@msp.example", Name: "Théo Tech", Role: tenant.RoleTechnician, Level: user.LevelN1, Clients: []int64{e.B.ID}})
	e.adminA = mkUser(user.User{Email: "annie@alpha.example", Name: "Annie", Role: tenant.RoleClientAdmin, ClientID: &e.A.ID, ContactID: &e.annie.ID})
	e.adminB = mkUser(user.User{Email: "bob@bravo.example", Name: "Bob", Role: tenant.RoleClientAdmin, ClientID: &e.B.ID, ContactID: &e.bob.ID})
	e.carlU = mkUser(user.User{Email: "carl@alpha.example", Name: "Carl", Role: tenant.RoleClientUser, ClientID: &e.A.ID, ContactID: &e.carl.ID})
	e.doraU = mkUser(user.User{Email: "dora@alpha.example", Name: "Dora", Role: tenant.RoleClientUser, ClientID: &e.A.ID, ContactID: &e.dave.ID})

	// A's contract carries the business hours and targets; its service
	// level only how the helpdesk works (defaults here).
	e.contractA = e.mkContract(t, e.A.ID, "A-2026", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nil, ticket.DefaultCalendar, map[sla.Priority]sla.Target{
		"P1": {TTO: 30 * time.Minute, TTR: 4 * time.Hour},
		"P3": {TTO: 4 * time.Hour, TTR: 24 * time.Hour},
	})
	mctx, ms := e.as(t, e.manager)
	check(e.svc.SaveServiceLevel(mctx, ms, ticket.ServiceLevel{ClientID: e.A.ID}))
	return e
}

// mkContract stores an active contract of a client (without the journal).
func (e *env) mkContract(t *testing.T, clientID int64, ref string, start time.Time, end *time.Time, cal string, targets map[sla.Priority]sla.Target) contract.Contract {
	t.Helper()
	c := contract.Contract{ClientID: clientID, Reference: ref, Title: "Contrat " + ref, Start: start, End: end, State: contract.StateActive,
		Calendar: cal, Targets: targets, Availability: 99.5}
	if err := c.Normalize(); err != nil {
		t.Fatal(err)
	}
	if err := e.db.CreateContract(t.Context(), tenant.System(), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// as returns the context (with the actor, for the timeline and journal) and
// the scope of a user.
func (e *env) as(t *testing.T, u user.User) (context.Context, tenant.Scope) {
	return audit.WithActor(t.Context(), audit.Actor{UserID: u.ID, Name: u.Name}), u.Scope()
}

// create opens a ticket as u, failing the test on error.
func (e *env) create(t *testing.T, u user.User, tk ticket.Ticket) ticket.Ticket {
	t.Helper()
	ctx, s := e.as(t, u)
	if tk.Type == "" {
		tk.Type = ticket.TypeIncident
	}
	if tk.Title == "" {
		tk.Title = "Serveur de fichiers inaccessible"
	}
	if err := e.svc.Create(ctx, s, &tk); err != nil {
		t.Fatalf("create as %s: %v", u.Name, err)
	}
	return tk
}

// get reads a ticket back with the system scope.
func (e *env) get(t *testing.T, id int64) ticket.Ticket {
	t.Helper()
	tk, err := e.svc.Get(t.Context(), tenant.System(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func (e *env) update(t *testing.T, u user.User, id int64, c ticket.Change) ticket.Ticket {
	t.Helper()
	ctx, s := e.as(t, u)
	tk, err := e.svc.Update(ctx, s, id, c)
	if err != nil {
		t.Fatalf("update as %s: %v", u.Name, err)
	}
	if got := e.get(t, id); got.Status != tk.Status || !same(got.SLA.TTRDue, tk.SLA.TTRDue) {
		t.Fatalf("Update returned %+v but stored %+v", tk, got)
	}
	return tk
}

func (e *env) reply(t *testing.T, u user.User, id int64, body string, public bool) {
	t.Helper()
	ctx, s := e.as(t, u)
	if _, err := e.svc.Reply(ctx, s, id, body, public); err != nil {
		t.Fatalf("reply as %s: %v", u.Name, err)
	}
}

// count returns the rows of a table.
func (e *env) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := e.db.SQL().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func same(a, b *time.Time) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && a.Equal(*b))
}

func ptr[T any](v T) *T { return &v }

// wantTime fails unless got is set and is the instant want.
func wantTime(t *testing.T, what string, got *time.Time, want time.Time) {
	t.Helper()
	if got == nil || !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, show(got), want.In(paris))
	}
}

func show(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.In(paris).String()
}

func wantInvalid(t *testing.T, what string, err error, field string) {
	t.Helper()
	v, ok := fault.AsInvalid(err)
	if !ok || !v.Has(field) {
		t.Errorf("%s: err = %v, want invalid %s", what, err, field)
	}
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("%s: err = %v, want ErrNotFound", what, err)
	}
}

func TestCreateByStaff(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		tk := e.create(t, e.manager, ticket.Ticket{ClientID: e.A.ID, Impact: 1, Urgency: 1, RequesterID: &e.annie.ID, SiteID: &e.siteA.ID, Description: "Plus rien ne marche."})
		got := e.get(t, tk.ID)
		if got.Priority != ticket.P1 || got.Status != ticket.StatusNew || got.Level != "N1" || got.CreatedBy == nil || *got.CreatedBy != e.manager.ID ||
			got.RequesterID == nil || *got.RequesterID != e.annie.ID || got.SiteID == nil || *got.SiteID != e.siteA.ID || got.OwnedAt != nil || !got.Created.Equal(march(2, 9, 0)) {
			t.Fatalf("created ticket = %+v", got)
		}
		// P1: own within 30 business minutes, resolve within 4 business
		// hours: 09:00–12:00 then 13:30–14:30.
		if !got.SLA.Covered || got.SLA.Paused || got.SLA.AtRisk {
			t.Errorf("SLA = %+v, want covered and running", got.SLA)
		}
		wantTime(t, "TTO due", got.SLA.TTODue, march(2, 9, 30))
		wantTime(t, "TTR due", got.SLA.TTRDue, march(2, 14, 30))
		wantTime(t, "next check (TTO at risk)", got.SLA.NextCheck, march(2, 9, 22).Add(30*time.Second))

		// Matrix: impact 3 × urgency 1 is P3 by the ITIL matrix.
		p3 := e.create(t, e.techA, ticket.Ticket{ClientID: e.A.ID, Impact: 3, Urgency: 1})
		if p3.Priority != ticket.P3 {
			t.Errorf("impact 3 × urgency 1 = %v, want P3", p3.Priority)
		}
		// A client without a contract: no clock.
		b := e.create(t, e.techB, ticket.Ticket{ClientID: e.B.ID})
		if got := e.get(t, b.ID); got.SLA != (ticket.SLA{}) {
			t.Errorf("SLA of a client without contract = %+v", got.SLA)
		}
		_, events, err := e.svc.Timeline(t.Context(), tenant.System(), tk.ID)
		if err != nil || len(events) != 1 || events[0].Kind != "created" || events[0].Actor != "Marc Manager" || events[0].ActorID == nil || *events[0].ActorID != e.manager.ID {
			t.Errorf("timeline after create = %+v, %v", events, err)
		}
		if n := e.count(t, "audit_log"); n != 4 { // service level + 3 tickets
			t.Errorf("journal has %d entries, want 4", n)
		}
	})
}

func TestCreateByClientUser(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		// A client user cannot qualify its ticket, pick another requester,
		// another client, an assignee or a level.
		tk := e.create(t, e.carlU, ticket.Ticket{ClientID: e.B.ID, Impact: 1, Urgency: 1, RequesterID: &e.annie.ID, AssigneeID: &e.techA.ID, Level: "N3"})
		got := e.get(t, tk.ID)
		if got.ClientID != e.A.ID || got.RequesterID == nil || *got.RequesterID != e.carl.ID || got.Impact != 2 || got.Urgency != 2 ||
			got.Priority != ticket.P3 || got.AssigneeID != nil || got.Level != "N1" || got.Status != ticket.StatusNew || got.CreatedBy == nil || *got.CreatedBy != e.carlU.ID {
			t.Fatalf("ticket of a client user = %+v", got)
		}
		// P3: own within 4 business hours (14:30), resolve within 24:
		// Monday 7.5 h, Tuesday and Wednesday 8 h each, Thursday 08:30–09:00.
		wantTime(t, "TTO due", got.SLA.TTODue, march(2, 14, 30))
		wantTime(t, "TTR due", got.SLA.TTRDue, march(5, 9, 0))
		// The client admin may name another requester of its client.
		adm := e.create(t, e.adminA, ticket.Ticket{RequesterID: &e.dave.ID})
		if got := e.get(t, adm.ID); got.RequesterID == nil || *got.RequesterID != e.dave.ID {
			t.Errorf("requester chosen by the client admin = %v", got.RequesterID)
		}
	})
}

func TestAssignmentStopsTTO(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		tk := e.create(t, e.manager, ticket.Ticket{ClientID: e.A.ID, Impact: 1, Urgency: 1})
		e.now = march(2, 9, 10)
		got := e.update(t, e.manager, tk.ID, ticket.Change{AssigneeID: ptr(&e.techA.ID)})
		if got.Status != ticket.StatusAssigned || got.AssigneeID == nil || *got.AssigneeID != e.techA.ID {
			t.Fatalf("after assignment: status %s, assignee %v", got.Status, got.AssigneeID)
		}
		wantTime(t, "owned at", got.OwnedAt, march(2, 9, 10))
		if got.SLA.TTODue != nil || got.SLA.TTOBreachAt != nil || got.SLA.TTRDue == nil {
			t.Errorf("SLA after assignment = %+v, want TTO stopped and TTR running", got.SLA)
		}
		// Past the TTO deadline nothing breaches: it stopped in time.
		e.now = march(2, 10, 0)
		if _, err := e.svc.CheckDue(t.Context(), 10); err != nil {
			t.Fatal(err)
		}
		if got := e.get(t, tk.ID); got.SLA.TTOBreachAt != nil {
			t.Errorf("TTO breached at %v after an assignment in time", show(got.SLA.TTOBreachAt))
		}
		// Assigning at creation owns at once.
		direct := e.create(t, e.manager, ticket.Ticket{ClientID: e.A.ID, AssigneeID: &e.techA.ID})
		if got := e.get(t, direct.ID); got.Status != ticket.StatusAssigned || got.OwnedAt == nil || got.SLA.TTODue != nil {
			t.Errorf("ticket assigned at creation = %+v", got)
		}
	})
}

func TestPublicReplyStopsTTO(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		tk := e.create(t, e.carlU, ticket.Ticket{})
		e.now = march(2, 9, 20)
		e.reply(t, e.techA, tk.ID, "Note : voir avec le prestataire.", false)
		if got := e.get(t, tk.ID); got.OwnedAt != nil || got.SLA.TTODue == nil {
			t.Fatalf("a private note took the ticket in hand: %+v", got)
		}
		e.reply(t, e.carlU, tk.ID, "Des nouvelles ?", true)
		if got := e.get(t, tk.ID); got.OwnedAt != nil {
			t.Fatalf("the client's own reply took the ticket in hand")
		}
		e.now = march(2, 9, 30)
		e.reply(t, e.techA, tk.ID, "Je regarde.", true)
		got := e.get(t, tk.ID)
		wantTime(t, "owned at", got.OwnedAt, march(2, 9, 30))
		if got.Status != ticket.StatusNew || got.SLA.TTODue != nil {
			t.Errorf("after a public staff reply: status %s, TTO due %v; want new and stopped", got.Status, show(got.SLA.TTODue))
		}
	})
}

func TestWaitingForClientPausesTTR(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		tk := e.create(t, e.manager, ticket.Ticket{ClientID: e.A.ID, Impact: 1, Urgency: 1, RequesterID: &e.carl.ID})
		e.now = march(2, 10, 0)
		got := e.update(t, e.techA, tk.ID, ticket.Change{Status: ptr(ticket.StatusWaitingClient)})
		if !got.SLA.Paused {
			t.Fatalf("waiting for the client does not pause: %+v", got.SLA)
		}
		// While paused, the deadline is where it would fall if the clock ran
		// on from now: 3 business hours left from 10:00.
		wantTime(t, "TTR due while paused", got.SLA.TTRDue, march(2, 14, 30))
		// Owning never pauses: the time to own breached at 09:30.
		wantTime(t, "TTO breached at", got.SLA.TTOBreachAt, march(2, 9, 30))
		// Paused over a whole business day, the deadline moves by it: the
		// client answers Tuesday 10:00, 3 hours left → Tuesday 14:30.
		e.now = march(3, 10, 0)
		if n, err := e.svc.CheckDue(t.Context(), 10); err != nil {
			t.Fatal(err)
		} else if got := e.get(t, tk.ID); got.SLA.TTRBreachAt != nil {
			t.Fatalf("a paused clock breached (%d checked): %+v", n, got.SLA)
		}
		e.reply(t, e.carlU, tk.ID, "Voici la capture demandée.", true)
		got = e.get(t, tk.ID)
		if got.Status != ticket.StatusInProgress || got.SLA.Paused {
			t.Fatalf("after the client's reply: status %s, paused %v; want in-progress, running", got.Status, got.SLA.Paused)
		}
		wantTime(t, "TTR due after the pause", got.SLA.TTRDue, march(3, 14, 30))
		if got.SLA.TTRBreachAt != nil {
			t.Errorf("TTR breached at %v", show(got.SLA.TTRBreachAt))
		}
	})
}

func TestReopen(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		tk := e.create(t, e.carlU, ticket.Ticket{})
		e.now = march(2, 11, 0)
		got := e.update(t, e.techA, tk.ID, ticket.Change{Status: ptr(ticket.StatusResolved)})
		wantTime(t, "resolved at", got.ResolvedAt, march(2, 11, 0))
		if got.SLA.TTRDue != nil || got.SLA.NextCheck != nil {
			t.Errorf("SLA of a resolved ticket = %+v, want stopped", got.SLA)
		}
		// Within the reopen delay (7 days) the client's reply reopens.
		e.now = march(6, 17, 0)
		e.reply(t, e.carlU, tk.ID, "Le problème est revenu.", true)
		got = e.get(t, tk.ID)
		if got.Status != ticket.StatusInProgress || got.ResolvedAt != nil || got.SLA.TTRDue == nil {
			t.Fatalf("after a reply within the delay: %+v", got)
		}
		// Resolved again, then answered after the delay: refused, nothing written.
		e.now = march(9, 9, 0)
		e.update(t, e.techA, tk.ID, ticket.Change{Status: ptr(ticket.StatusResolved)})
		followups, events := e.count(t, "followups"), e.count(t, "ticket_events")
		e.now = march(16, 9, 1)
		ctx, s := e.as(t, e.carlU)
		_, err := e.svc.Reply(ctx, s, tk.ID, "Toujours là.", true)
		wantInvalid(t, "reply after the reopen delay", err, "body")
		if got := e.get(t, tk.ID); got.Status != ticket.StatusResolved || e.count(t, "followups") != followups || e.count(t, "ticket_events") != events {
			t.Errorf("a refused reply changed the ticket (%s) or its timeline", got.Status)
		}
		// Staff may still write on it.
		e.reply(t, e.techA, tk.ID, "Merci de rouvrir un ticket.", true)
	})
}

func TestPriorityChangeMovesDeadlines(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		tk := e.create(t, e.manager, ticket.Ticket{ClientID: e.A.ID})
		wantTime(t, "P3 TTR due", tk.SLA.TTRDue, march(5, 9, 0))
		e.now = march(2, 10, 0)
		got := e.update(t, e.manager, tk.ID, ticket.Change{Impact: ptr(1), Urgency: ptr(1)})
		if got.Priority != ticket.P1 {
			t.Fatalf("priority = %v, want P1", got.Priority)
		}
		// The P1 targets apply from creation.
		wantTime(t, "P1 TTO due", got.SLA.TTODue, march(2, 9, 30))
		wantTime(t, "P1 TTO breached at", got.SLA.TTOBreachAt, march(2, 9, 30))
		wantTime(t, "P1 TTR due", got.SLA.TTRDue, march(2, 14, 30))
		_, events, err := e.svc.Timeline(t.Context(), tenant.System(), tk.ID)
		if err != nil || !slices.ContainsFunc(events, func(ev ticket.Event) bool {
			return ev.Kind == "priority" && ev.From == "P3" && ev.To == "P1" && ev.Public
		}) {
			t.Errorf("no priority event P3 → P1 in %+v (%v)", events, err)
		}
	})
}

func TestCheckDueMarksBreach(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		tk := e.create(t, e.manager, ticket.Ticket{ClientID: e.A.ID, Impact: 1, Urgency: 1, AssigneeID: &e.techA.ID})
		// TTR at risk at 75 % of 4 h (12:00), due at 14:30.
		wantTime(t, "next check", tk.SLA.NextCheck, march(2, 12, 0))
		e.now = march(2, 11, 59)
		if n, err := e.svc.CheckDue(t.Context(), 10); err != nil || n != 0 {
			t.Fatalf("CheckDue before the next check = %d, %v", n, err)
		}
		e.now = march(2, 12, 30)
		if n, err := e.svc.CheckDue(t.Context(), 10); err != nil || n != 1 {
			t.Fatalf("CheckDue at risk = %d, %v", n, err)
		}
		got := e.get(t, tk.ID)
		if !got.SLA.AtRisk || got.SLA.TTRBreachAt != nil {
			t.Fatalf("SLA after the at-risk check = %+v", got.SLA)
		}
		wantTime(t, "next check", got.SLA.NextCheck, march(2, 14, 30))
		e.now = march(2, 14, 31)
		if n, err := e.svc.CheckDue(t.Context(), 10); err != nil || n != 1 {
			t.Fatalf("CheckDue at the deadline = %d, %v", n, err)
		}
		got = e.get(t, tk.ID)
		wantTime(t, "TTR breached at", got.SLA.TTRBreachAt, march(2, 14, 30))
		if got.SLA.AtRisk || got.SLA.NextCheck != nil || got.Status != ticket.StatusAssigned || !got.Updated.Equal(tk.Updated) {
			t.Errorf("after the breach: %+v (a check is no change: updated %v, want %v)", got, got.Updated, tk.Updated)
		}
		if n, err := e.svc.CheckDue(t.Context(), 10); err != nil || n != 0 {
			t.Errorf("CheckDue after the breach = %d, %v; want nothing left", n, err)
		}
	})
}

func TestTimeEntries(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		tk := e.create(t, e.carlU, ticket.Ticket{})
		ctx, s := e.as(t, e.techA)
		for _, tc := range []struct {
			name  string
			entry ticket.TimeEntry
			field string
		}{
			{"negative duration", ticket.TimeEntry{Duration: -time.Minute}, "duration"},
			{"no duration", ticket.TimeEntry{}, "duration"},
			{"over a day", ticket.TimeEntry{Duration: 25 * time.Hour}, "duration"},
			{"travel without being on site", ticket.TimeEntry{Duration: time.Hour, Travel: 20 * time.Minute}, "travel"},
			{"negative travel", ticket.TimeEntry{Duration: time.Hour, OnSite: true, Travel: -time.Minute}, "travel"},
			{"in the future", ticket.TimeEntry{Duration: time.Hour, Start: march(4, 9, 0)}, "start"},
			{"another client's technician", ticket.TimeEntry{Duration: time.Hour, TechnicianID: e.techB.ID}, "technician_id"},
		} {
			wantInvalid(t, tc.name, e.svc.LogTime(ctx, s, tk.ID, &tc.entry), tc.field)
		}
		if n := e.count(t, "time_entries"); n != 0 {
			t.Fatalf("%d time entries written from bad input", n)
		}
		onSite := ticket.TimeEntry{Start: march(2, 14, 0), Duration: 90 * time.Minute, OnSite: true, Travel: 25 * time.Minute, Billable: true, Note: "Remplacement du disque"}
		if err := e.svc.LogTime(ctx, s, tk.ID, &onSite); err != nil {
			t.Fatal(err)
		}
		remote := ticket.TimeEntry{Start: march(2, 10, 0), Duration: 15 * time.Minute}
		if err := e.svc.LogTime(ctx, s, tk.ID, &remote); err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.TimeEntries(ctx, s, tk.ID)
		if err != nil || len(got) != 2 || got[0].ID != remote.ID || got[1].ID != onSite.ID ||
			got[1].Duration != 90*time.Minute || got[1].Travel != 25*time.Minute || !got[1].OnSite || !got[1].Billable || got[1].TechnicianID != e.techA.ID || !got[1].Start.Equal(march(2, 14, 0)) {
			t.Fatalf("TimeEntries = %+v, %v", got, err)
		}
		// Clients neither log nor read time.
		cctx, cs := e.as(t, e.carlU)
		if err := e.svc.LogTime(cctx, cs, tk.ID, &ticket.TimeEntry{Duration: time.Hour}); !errors.Is(err, fault.ErrForbidden) {
			t.Errorf("LogTime by a client user = %v, want ErrForbidden", err)
		}
		if _, err := e.svc.TimeEntries(cctx, cs, tk.ID); !errors.Is(err, fault.ErrForbidden) {
			t.Errorf("TimeEntries by a client user = %v, want ErrForbidden", err)
		}
	})
}

func TestPrivateNotesHiddenFromClients(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		tk := e.create(t, e.carlU, ticket.Ticket{})
		e.reply(t, e.techA, tk.ID, "Client pénible, voir historique.", false)
		e.reply(t, e.techA, tk.ID, "Nous regardons.", true)
		ctx, s := e.as(t, e.techA)
		if err := e.svc.LogTime(ctx, s, tk.ID, &ticket.TimeEntry{Duration: 10 * time.Minute}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			who     user.User
			private bool
		}{{e.techA, true}, {e.carlU, false}, {e.adminA, false}} {
			ctx, s := e.as(t, tc.who)
			fs, es, err := e.svc.Timeline(ctx, s, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			var bodies []string
			for _, f := range fs {
				bodies = append(bodies, f.Body)
			}
			hasNote := slices.Contains(bodies, "Client pénible, voir historique.")
			privateEvent := slices.ContainsFunc(es, func(ev ticket.Event) bool { return !ev.Public })
			if hasNote != tc.private || privateEvent != tc.private || !slices.Contains(bodies, "Nous regardons.") {
				t.Errorf("timeline of %s: followups %q, private events %v; want private ones %v", tc.who.Name, bodies, privateEvent, tc.private)
			}
		}
		// A client user may not write a private note.
		cctx, cs := e.as(t, e.carlU)
		if _, err := e.svc.Reply(cctx, cs, tk.ID, "secret", false); !errors.Is(err, fault.ErrForbidden) {
			t.Errorf("private note by a client user = %v, want ErrForbidden", err)
		}
	})
}

func TestClientVisibility(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		carls := e.create(t, e.carlU, ticket.Ticket{Title: "Imprimante de Carl"})
		doras := e.create(t, e.doraU, ticket.Ticket{Title: "Messagerie de Dora"})
		forDora := e.create(t, e.techA, ticket.Ticket{ClientID: e.A.ID, RequesterID: &e.dave.ID, Title: "Poste de Dora"})
		for _, tc := range []struct {
			who  user.User
			sees []int64
		}{
			{e.carlU, []int64{carls.ID}},
			{e.doraU, []int64{forDora.ID, doras.ID}},
			{e.adminA, []int64{forDora.ID, doras.ID, carls.ID}},
			{e.adminB, nil},
		} {
			ctx, s := e.as(t, tc.who)
			list, next, err := e.svc.List(ctx, s, ticket.Filter{})
			var got []int64
			for _, tk := range list {
				got = append(got, tk.ID)
			}
			if err != nil || next != "" || !slices.Equal(got, tc.sees) {
				t.Errorf("List by %s = %v, %q, %v; want %v", tc.who.Name, got, next, err, tc.sees)
			}
			for _, id := range []int64{carls.ID, doras.ID, forDora.ID} {
				_, err := e.svc.Get(ctx, s, id)
				if slices.Contains(tc.sees, id) && err != nil {
					t.Errorf("Get(%d) by %s = %v", id, tc.who.Name, err)
				}
				if !slices.Contains(tc.sees, id) {
					wantNotFound(t, "Get by "+tc.who.Name, err)
					_, err := e.svc.Reply(ctx, s, id, "hello", true)
					wantNotFound(t, "Reply by "+tc.who.Name, err)
				}
			}
		}
	})
}

func TestForeignIDs(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ofB := e.create(t, e.techB, ticket.Ticket{ClientID: e.B.ID})
		for _, u := range []user.User{e.techA, e.adminA, e.carlU} {
			ctx, s := e.as(t, u)
			for _, id := range []int64{ofB.ID, 9999} {
				_, err := e.svc.Get(ctx, s, id)
				wantNotFound(t, "Get by "+u.Name, err)
				_, err = e.svc.Update(ctx, s, id, ticket.Change{Title: ptr("pris")})
				wantNotFound(t, "Update by "+u.Name, err)
				_, err = e.svc.Reply(ctx, s, id, "hello", true)
				wantNotFound(t, "Reply by "+u.Name, err)
				_, _, err = e.svc.Timeline(ctx, s, id)
				wantNotFound(t, "Timeline by "+u.Name, err)
				wantNotFound(t, "LogTime by "+u.Name, e.svc.LogTime(ctx, s, id, &ticket.TimeEntry{Duration: time.Hour}))
			}
		}
		if got := e.get(t, ofB.ID); got.Title != ofB.Title || e.count(t, "followups") != 0 || e.count(t, "time_entries") != 0 {
			t.Errorf("a foreign ticket was changed: %+v", got)
		}
		// Creating for a foreign client is a bad client, not a leak.
		ctx, s := e.as(t, e.techA)
		tk := ticket.Ticket{ClientID: e.B.ID, Type: ticket.TypeIncident, Title: "x"}
		if err := e.svc.Create(ctx, s, &tk); !errors.Is(err, fault.ErrForbidden) {
			t.Errorf("Create for B by the technician of A = %v, want ErrForbidden", err)
		}
	})
}

func TestBadInput(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx, s := e.as(t, e.manager)
		tickets, events, journal := e.count(t, "tickets"), e.count(t, "ticket_events"), e.count(t, "audit_log")
		for _, tc := range []struct {
			name  string
			tk    ticket.Ticket
			field string
		}{
			{"empty title", ticket.Ticket{Title: "  "}, "title"},
			{"invalid type", ticket.Ticket{Type: "problem"}, "type"},
			{"impact out of range", ticket.Ticket{Impact: 4}, "impact"},
			{"requester of another client", ticket.Ticket{RequesterID: &e.bob.ID}, "requester_id"},
			{"site of another client", ticket.Ticket{SiteID: &e.siteB.ID}, "site_id"},
			{"assignee limited to another client", ticket.Ticket{AssigneeID: &e.techB.ID}, "assignee_id"},
			{"client user as assignee", ticket.Ticket{AssigneeID: &e.adminA.ID}, "assignee_id"},
			{"missing category", ticket.Ticket{CategoryID: ptr(int64(9999))}, "category_id"},
			{"invalid level", ticket.Ticket{Level: "N4"}, "level"},
			{"missing client", ticket.Ticket{ClientID: 9999}, "client_id"},
		} {
			tk := tc.tk
			if tk.ClientID == 0 {
				tk.ClientID = e.A.ID
			}
			if tk.Type == "" {
				tk.Type = ticket.TypeIncident
			}
			if tk.Title == "" {
				tk.Title = "Valid title"
			}
			wantInvalid(t, tc.name, e.svc.Create(ctx, s, &tk), tc.field)
		}
		if e.count(t, "tickets") != tickets || e.count(t, "ticket_events") != events || e.count(t, "audit_log") != journal {
			t.Fatal("refused tickets left rows behind")
		}

		tk := e.create(t, e.manager, ticket.Ticket{ClientID: e.A.ID})
		events = e.count(t, "ticket_events")
		for _, tc := range []struct {
			name  string
			c     ticket.Change
			field string
		}{
			{"assignee limited to another client", ticket.Change{AssigneeID: ptr(&e.techB.ID)}, "assignee_id"},
			{"empty title", ticket.Change{Title: ptr(""), Impact: ptr(1)}, "title"},
			{"invalid status", ticket.Change{Status: ptr(ticket.Status("done"))}, "status"},
			{"site of another client", ticket.Change{SiteID: ptr(&e.siteB.ID), Urgency: ptr(1)}, "site_id"},
		} {
			_, err := e.svc.Update(ctx, s, tk.ID, tc.c)
			wantInvalid(t, tc.name, err, tc.field)
		}
		if got := e.get(t, tk.ID); got.Priority != tk.Priority || got.AssigneeID != nil || got.SiteID != nil || e.count(t, "ticket_events") != events {
			t.Errorf("refused changes were written: %+v", got)
		}
		_, err := e.svc.Reply(ctx, s, tk.ID, " \n ", true)
		wantInvalid(t, "empty reply", err, "body")
	})
}

func TestPriorityWithoutTarget(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		// A's service level promises nothing for P2: the ticket is covered
		// (its clocks are measured) but has no deadline.
		tk := e.create(t, e.manager, ticket.Ticket{ClientID: e.A.ID, Impact: 1, Urgency: 2})
		got := e.get(t, tk.ID)
		if got.Priority != ticket.P2 || !got.SLA.Covered || got.SLA.TTODue != nil || got.SLA.TTRDue != nil || got.SLA.NextCheck != nil {
			t.Fatalf("P2 ticket without a P2 target = %+v", got)
		}
		// Raised to P1, it gets the P1 deadlines.
		e.now = march(2, 9, 10)
		got = e.update(t, e.manager, tk.ID, ticket.Change{Urgency: ptr(1)})
		wantTime(t, "P1 TTR due", got.SLA.TTRDue, march(2, 14, 30))
	})
}

func TestClientUserWithoutContact(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		eve := user.User{Email: "eve@alpha.example", Name: "Eve", Role: tenant.RoleClientUser, ClientID: &e.A.ID, Language: "fr"}
		if err := e.db.CreateUser(t.Context(), &eve, "$argon2id$fake"); err != nil {
			t.Fatal(err)
		}
		tk := e.create(t, eve, ticket.Ticket{RequesterID: &e.annie.ID})
		if got := e.get(t, tk.ID); got.RequesterID != nil {
			t.Errorf("a client user without contact made contact %d the requester", *got.RequesterID)
		}
		ctx, s := e.as(t, eve)
		if _, err := e.svc.Get(ctx, s, tk.ID); err != nil {
			t.Errorf("a client user cannot read the ticket it opened: %v", err)
		}
	})
}

// racingStore changes each ticket right after DueForCheck read it, as a
// technician working at the same moment would.
type racingStore struct {
	*store.DB
	change func(ctx context.Context, t ticket.Ticket) error
}

func (r racingStore) DueForCheck(ctx context.Context, now time.Time, limit int) ([]ticket.Ticket, error) {
	ts, err := r.DB.DueForCheck(ctx, now, limit)
	for _, t := range ts {
		if err == nil {
			err = r.change(ctx, t)
		}
	}
	return ts, err
}

func TestCheckDueKeepsConcurrentChanges(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		tk := e.create(t, e.manager, ticket.Ticket{ClientID: e.A.ID, Impact: 1, Urgency: 1, AssigneeID: &e.techA.ID})
		clock := func() time.Time { return e.now }
		racing := racingStore{DB: e.db, change: func(ctx context.Context, t ticket.Ticket) error {
			t.Title, t.Status = "Renamed meanwhile", ticket.StatusInProgress
			return e.db.UpdateTicket(ctx, tenant.System(), &t)
		}}
		svc := ticket.NewService(racing, e.db, e.db, audit.NewJournal(e.db, clock), clock, nil)
		e.now = march(2, 14, 31)
		if n, err := svc.CheckDue(t.Context(), 10); err != nil || n != 1 {
			t.Fatalf("CheckDue = %d, %v", n, err)
		}
		got := e.get(t, tk.ID)
		if got.Title != "Renamed meanwhile" || got.Status != ticket.StatusInProgress {
			t.Errorf("CheckDue undid a concurrent change: title %q, status %s", got.Title, got.Status)
		}
		wantTime(t, "TTR breached at", got.SLA.TTRBreachAt, march(2, 14, 30))
	})
}

// TestContractAppliesToOpenTickets: a ticket opened while its client had no
// contract gets clocks once one covering its creation is created through the
// contracts' service, at the next check.
func TestContractAppliesToOpenTickets(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		tk := e.create(t, e.manager, ticket.Ticket{ClientID: e.B.ID, Impact: 1, Urgency: 1})
		if tk.SLA.Covered || tk.SLA.NextCheck != nil || tk.ContractID != nil {
			t.Fatalf("a ticket of a client without contract has an SLA: %+v", tk)
		}
		e.now = march(2, 10, 0)
		clock := func() time.Time { return e.now }
		contracts := contract.NewService(e.db, audit.NewJournal(e.db, clock), clock)
		contracts.SetHook(e.svc)
		ctx, s := e.as(t, e.manager)
		c := contract.Contract{ClientID: e.B.ID, Reference: "B-1", Title: "Infogérance", Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
			State: contract.StateActive, Calendar: ticket.DefaultCalendar, Availability: 99.5,
			Targets: map[sla.Priority]sla.Target{"P1": {TTO: 30 * time.Minute, TTR: 4 * time.Hour}}}
		if err := contracts.Create(ctx, s, &c); err != nil {
			t.Fatal(err)
		}
		if n, err := e.svc.CheckDue(t.Context(), 10); err != nil || n != 1 {
			t.Fatalf("CheckDue after the contract = %d, %v", n, err)
		}
		got := e.get(t, tk.ID)
		// Created at 09:00, P1: TTO due 09:30 — already breached at 10:00.
		if !got.SLA.Covered || got.ContractID == nil || *got.ContractID != c.ID || got.OutOfPerimeter {
			t.Fatalf("still uncovered: %+v", got)
		}
		wantTime(t, "TTO breached at", got.SLA.TTOBreachAt, march(2, 9, 30))
	})
}

// TestAutoClose: a resolved ticket is closed once the close delay has passed,
// not before; open tickets are left alone.
func TestAutoClose(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		done := e.create(t, e.manager, ticket.Ticket{ClientID: e.A.ID})
		open := e.create(t, e.manager, ticket.Ticket{ClientID: e.A.ID})
		ctx, s := e.as(t, e.manager)
		resolved := ticket.StatusResolved
		if _, err := e.svc.Update(ctx, s, done.ID, ticket.Change{Status: &resolved}); err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(13 * 24 * time.Hour)
		if n, err := e.svc.AutoClose(t.Context(), 10); err != nil || n != 0 {
			t.Fatalf("AutoClose before 14 days = %d, %v", n, err)
		}
		e.now = e.now.Add(2 * 24 * time.Hour)
		if n, err := e.svc.AutoClose(t.Context(), 10); err != nil || n != 1 {
			t.Fatalf("AutoClose after 14 days = %d, %v", n, err)
		}
		if got := e.get(t, done.ID); got.Status != ticket.StatusClosed || got.ClosedAt == nil {
			t.Errorf("resolved ticket after the delay: %s", got.Status)
		}
		if got := e.get(t, open.ID); got.Status != ticket.StatusNew {
			t.Errorf("open ticket touched: %s", got.Status)
		}
	})
}
