package store_test

import (
	"cmp"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

// m0 is the helpdesk cases' clock: a Monday 08:00 UTC (09:00 in Paris).
var m0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time {
	v := m0.Add(d)
	return &v
}

func id64(v int64) *int64 { return &v }

// mkTicket creates a new ticket of a client with the system scope; edit may
// change it first.
func mkTicket(t testing.TB, db *store.DB, clientID int64, title string, edit func(*ticket.Ticket)) ticket.Ticket {
	t.Helper()
	tk := ticket.Ticket{ClientID: clientID, Type: ticket.TypeIncident, Title: title, Impact: 2, Urgency: 2, Priority: ticket.P3, Status: ticket.StatusNew, Level: "N1", Created: m0, Updated: m0}
	if edit != nil {
		edit(&tk)
	}
	ok(t, db.CreateTicket(t.Context(), sys, &tk))
	return tk
}

func ticketID(t ticket.Ticket) int64 { return t.ID }

// wantSameTicket fails unless got equals want field by field, times compared as instants.
func wantSameTicket(t testing.TB, what string, got, want ticket.Ticket) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %s\n want %s", what, showTicket(got), showTicket(want))
	}
}

func showTicket(t ticket.Ticket) string {
	b, _ := json.Marshal(t)
	next := "nil"
	if t.SLA.NextCheck != nil {
		next = t.SLA.NextCheck.Format(time.RFC3339Nano)
	}
	return string(b) + " next_check=" + next
}

func testTicketCRUD(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	cat := ticket.Category{Name: "Réseau"}
	ok(t, db.SaveCategory(ctx, &cat))

	bare := mkTicket(t, db, w.A.ID, "Imprimante en panne", nil)
	if bare.ID == 0 {
		t.Fatal("CreateTicket did not set the id")
	}
	wantSameTicket(t, "ticket without links nor SLA", must(db.Ticket(ctx, sys, bare.ID))(t), bare)

	paris, err := time.LoadLocation("Europe/Paris")
	ok(t, err)
	noisy := func(d time.Duration) *time.Time { v := m0.Add(d + 789*time.Nanosecond).In(paris); return &v }
	full := mkTicket(t, db, w.A.ID, "Serveur arrêté", func(tk *ticket.Ticket) {
		tk.Type, tk.CategoryID, tk.Description = ticket.TypeChange, &cat.ID, "Le **serveur** ne répond plus.\nDepuis 8 h."
		tk.RequesterID, tk.SiteID, tk.AssigneeID, tk.CreatedBy = &w.contactA.ID, &w.siteA.ID, &w.techA.ID, &w.manager.ID
		tk.Impact, tk.Urgency, tk.Priority, tk.Status, tk.Level = 1, 1, ticket.P1, ticket.StatusInProgress, "N2"
		tk.Created, tk.Updated = *noisy(0), *noisy(time.Minute)
		tk.OwnedAt, tk.ResolvedAt, tk.ClosedAt = noisy(2*time.Minute), noisy(3*time.Minute), noisy(4*time.Minute)
		tk.SLA = ticket.SLA{Covered: true, TTODue: noisy(30 * time.Minute), TTRDue: noisy(4 * time.Hour), TTOBreachAt: noisy(30 * time.Minute), TTRBreachAt: noisy(4 * time.Hour),
			AtRisk: true, Paused: true, NextCheck: noisy(3 * time.Hour)}
	})
	if !full.Created.Equal(m0) || full.Created.Location() != time.UTC || !full.SLA.TTRDue.Equal(m0.Add(4*time.Hour)) {
		t.Fatalf("CreateTicket did not normalize times to UTC microseconds: created %v, ttr due %v", full.Created, full.SLA.TTRDue)
	}
	wantSameTicket(t, "ticket with every field", must(db.Ticket(ctx, sys, full.ID))(t), full)

	// Every writable field changes, nullable ones back to nil; the client,
	// creator and creation time never change.
	upd := full
	upd.ClientID, upd.CreatedBy, upd.Created = w.B.ID, &w.techA.ID, m0.Add(time.Hour)
	upd.Type, upd.CategoryID, upd.Title, upd.Description = ticket.TypeRequest, nil, "Serveur redémarré", ""
	upd.RequesterID, upd.SiteID, upd.AssigneeID = nil, nil, &w.manager.ID
	upd.Impact, upd.Urgency, upd.Priority, upd.Status, upd.Level = 3, 2, ticket.P4, ticket.StatusWaitingClient, "N3"
	upd.Updated = m0.Add(5 * time.Hour)
	upd.OwnedAt, upd.ResolvedAt, upd.ClosedAt = nil, nil, nil
	upd.SLA = ticket.SLA{Covered: true, TTODue: at(time.Hour), NextCheck: at(45 * time.Minute)}
	ok(t, db.UpdateTicket(ctx, sys, &upd))
	want := upd
	want.ClientID, want.CreatedBy, want.Created = full.ClientID, full.CreatedBy, full.Created
	wantSameTicket(t, "after update", must(db.Ticket(ctx, sys, full.ID))(t), want)

	wantNotFound(t, "Ticket(missing)", func() error { _, err := db.Ticket(ctx, sys, 9999); return err }())
	missing := bare
	missing.ID = 9999
	wantNotFound(t, "UpdateTicket(missing)", db.UpdateTicket(ctx, sys, &missing))
	wantNotFound(t, "CreateTicket(missing client)", db.CreateTicket(ctx, sys, &ticket.Ticket{ClientID: 9999, Type: ticket.TypeIncident, Title: "x", Impact: 2, Urgency: 2, Priority: ticket.P3, Status: ticket.StatusNew, Level: "N1"}))
}

func testTicketScoping(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	carl := mkContact(t, db, w.A.ID, nil, "Carl", "Alpha", "carl@alpha.example")
	cu := mkUser(t, db, user.User{Email: "carl@alpha.example", Name: "Carl Alpha", Role: tenant.RoleClientUser, ClientID: &w.A.ID, ContactID: &carl.ID})
	dora := mkUser(t, db, user.User{Email: "dora@alpha.example", Name: "Dora Alpha", Role: tenant.RoleClientUser, ClientID: &w.A.ID})

	requested := mkTicket(t, db, w.A.ID, "requested by Carl", func(tk *ticket.Ticket) { tk.RequesterID, tk.CreatedBy = &carl.ID, &w.techA.ID })
	opened := mkTicket(t, db, w.A.ID, "opened by Carl", func(tk *ticket.Ticket) { tk.CreatedBy = &cu.ID })
	other := mkTicket(t, db, w.A.ID, "requested by Anne", func(tk *ticket.Ticket) { tk.RequesterID, tk.CreatedBy = &w.contactA.ID, &w.userA.ID })
	foreign := mkTicket(t, db, w.B.ID, "of Bravo", func(tk *ticket.Ticket) { tk.RequesterID = &w.contactB.ID })
	all := []ticket.Ticket{requested, opened, other, foreign}

	for _, tc := range []struct {
		name  string
		scope tenant.Scope
		sees  []ticket.Ticket
	}{
		{"system", sys, all},
		{"manager", w.manager.Scope(), all},
		{"technician limited to A", w.techA.Scope(), all[:3]},
		{"client admin of A", w.userA.Scope(), all[:3]},
		{"client user of A: its requests and the tickets it opened", cu.Scope(), all[:2]},
		{"client user of A without contact", dora.Scope(), nil},
		{"client admin of B", w.userB.Scope(), all[3:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []int64
			for _, tk := range slices.Backward(tc.sees) {
				want = append(want, tk.ID)
			}
			got, next := must2(db.Tickets(ctx, tc.scope, ticket.Filter{Limit: 10}))(t)
			if g := ids(got, ticketID); !slices.Equal(g, want) || next != "" {
				t.Errorf("Tickets = %v, %q; want %v, \"\"", g, next, want)
			}
			for _, tk := range all {
				visible := slices.ContainsFunc(tc.sees, func(s ticket.Ticket) bool { return s.ID == tk.ID })
				_, err := db.Ticket(ctx, tc.scope, tk.ID)
				if visible && err != nil {
					t.Errorf("Ticket(%q) = %v, want it", tk.Title, err)
				}
				if !visible {
					wantNotFound(t, "Ticket("+tk.Title+")", err)
					changed := tk
					changed.Title = "hijacked"
					wantNotFound(t, "UpdateTicket("+tk.Title+")", db.UpdateTicket(ctx, tc.scope, &changed))
				}
			}
		})
	}
	// Nothing was overwritten through a scope that could not see the ticket.
	for _, tk := range all {
		if got := must(db.Ticket(ctx, sys, tk.ID))(t); got.Title != tk.Title {
			t.Errorf("ticket %d renamed to %q out of scope", tk.ID, got.Title)
		}
	}
	// Creating for a client out of scope is ErrNotFound, whoever asks.
	for name, s := range w.limitedToA() {
		tk := ticket.Ticket{ClientID: w.B.ID, Type: ticket.TypeIncident, Title: "x", Impact: 2, Urgency: 2, Priority: ticket.P3, Status: ticket.StatusNew, Level: "N1", Created: m0, Updated: m0}
		wantNotFound(t, "CreateTicket(B) by "+name, db.CreateTicket(ctx, s, &tk))
	}
	// A filter on a foreign client finds nothing.
	if got, _ := must2(db.Tickets(ctx, w.techA.Scope(), ticket.Filter{ClientID: w.B.ID, Limit: 10}))(t); len(got) != 0 {
		t.Errorf("technician limited to A lists %d tickets of B", len(got))
	}
}

// must2 is must for calls returning two values and an error.
func must2[T, U any](v T, u U, err error) func(testing.TB) (T, U) {
	return func(t testing.TB) (T, U) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v, u
	}
}

func testTicketPagination(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	// Many rows share an update time or a deadline (and a third have none,
	// sorting last together), so that the order rests on the id.
	var all []ticket.Ticket
	for i := range 14 {
		all = append(all, mkTicket(t, db, w.A.ID, codeN(i), func(tk *ticket.Ticket) {
			tk.Updated = m0.Add(time.Duration(i%3) * time.Hour)
			switch i % 4 {
			case 1, 3:
				tk.SLA = ticket.SLA{Covered: true, TTRDue: at(4 * time.Hour)}
			case 2:
				tk.SLA = ticket.SLA{Covered: true, TTRDue: at(8 * time.Hour)}
			}
		}))
	}
	due := func(tk ticket.Ticket) time.Time {
		if tk.SLA.TTRDue == nil {
			return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		return *tk.SLA.TTRDue
	}
	orders := map[string]func(a, b ticket.Ticket) int{
		"":        func(a, b ticket.Ticket) int { return cmp.Compare(b.ID, a.ID) },
		"updated": func(a, b ticket.Ticket) int { return cmp.Or(b.Updated.Compare(a.Updated), cmp.Compare(b.ID, a.ID)) },
		"due":     func(a, b ticket.Ticket) int { return cmp.Or(due(a).Compare(due(b)), cmp.Compare(a.ID, b.ID)) },
	}
	for sort, order := range orders {
		want := ids(slices.SortedFunc(slices.Values(all), order), ticketID)
		for _, limit := range []int{1, 3, 5, 7, 14, 50} {
			var got []int64
			after, pages := "", 0
			for {
				page, next := must2(db.Tickets(ctx, sys, ticket.Filter{Sort: sort, After: after, Limit: limit}))(t)
				pages++
				if len(page) > limit || pages > len(all)+1 {
					t.Fatalf("sort %q limit %d: page %d has %d rows", sort, limit, pages, len(page))
				}
				got = append(got, ids(page, ticketID)...)
				if next == "" {
					break
				}
				after = next
			}
			if !slices.Equal(got, want) {
				t.Errorf("sort %q limit %d: walked %v, want %v", sort, limit, got, want)
			}
			if wantPages := (len(all) + limit - 1) / limit; pages != wantPages {
				t.Errorf("sort %q limit %d: %d pages, want %d (no empty last page)", sort, limit, pages, wantPages)
			}
		}
	}
	// The cursor composes with filters.
	open := true
	ok(t, db.UpdateTicket(ctx, sys, func() *ticket.Ticket {
		tk := all[1]
		tk.Status = ticket.StatusResolved
		tk.SLA = ticket.SLA{Covered: true}
		return &tk
	}()))
	var got []int64
	for after := ""; ; {
		page, next := must2(db.Tickets(ctx, sys, ticket.Filter{Sort: "due", Open: &open, After: after, Limit: 2}))(t)
		got = append(got, ids(page, ticketID)...)
		if after = next; next == "" {
			break
		}
	}
	if len(got) != len(all)-1 || slices.Contains(got, all[1].ID) {
		t.Errorf("open tickets by due = %v, want all but %d", got, all[1].ID)
	}

	_, updatedCursor := must2(db.Tickets(ctx, sys, ticket.Filter{Sort: "updated", Limit: 1}))(t)
	_, idCursor := must2(db.Tickets(ctx, sys, ticket.Filter{Limit: 1}))(t)
	for name, after := range map[string]string{
		"garbage":             "not a cursor!",
		"base64 of garbage":   "bm90IGpzb24",
		"cursor of 'updated'": updatedCursor,
		"cursor of id order":  idCursor,
	} {
		_, _, err := db.Tickets(ctx, sys, ticket.Filter{Sort: "due", After: after, Limit: 5})
		if v, isInvalid := fault.AsInvalid(err); !isInvalid || !v.Has("after") {
			t.Errorf("Tickets with a bad cursor (%s) = %v, want invalid after", name, err)
		}
	}
	_, _, err := db.Tickets(ctx, sys, ticket.Filter{Sort: "priority", Limit: 5})
	if v, isInvalid := fault.AsInvalid(err); !isInvalid || !v.Has("sort") {
		t.Errorf("Tickets with an unknown sort = %v, want invalid sort", err)
	}
}

func testTicketFilters(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	printer := mkTicket(t, db, w.A.ID, "Imprimante HS", func(tk *ticket.Ticket) { tk.Description = "Bourrage papier à 100%" })
	server := mkTicket(t, db, w.A.ID, "Serveur arrêté", func(tk *ticket.Ticket) {
		tk.Status, tk.AssigneeID, tk.Level, tk.Priority = ticket.StatusInProgress, &w.techA.ID, "N2", ticket.P1
	})
	done := mkTicket(t, db, w.A.ID, "Mot de passe", func(tk *ticket.Ticket) {
		tk.Status, tk.AssigneeID, tk.ResolvedAt = ticket.StatusResolved, &w.manager.ID, at(time.Hour)
	})
	bravo := mkTicket(t, db, w.B.ID, "Serveur Bravo", func(tk *ticket.Ticket) { tk.Status = ticket.StatusClosed })
	yes, no, none := true, false, int64(0)
	for _, tc := range []struct {
		name string
		f    ticket.Filter
		want []ticket.Ticket
	}{
		{"client", ticket.Filter{ClientID: w.A.ID}, []ticket.Ticket{done, server, printer}},
		{"statuses", ticket.Filter{Statuses: []ticket.Status{ticket.StatusNew, ticket.StatusClosed}}, []ticket.Ticket{bravo, printer}},
		{"open", ticket.Filter{Open: &yes}, []ticket.Ticket{server, printer}},
		{"not open", ticket.Filter{Open: &no}, []ticket.Ticket{bravo, done}},
		{"unassigned", ticket.Filter{AssigneeID: &none}, []ticket.Ticket{bravo, printer}},
		{"assignee", ticket.Filter{AssigneeID: &w.techA.ID}, []ticket.Ticket{server}},
		{"level", ticket.Filter{Level: "N2"}, []ticket.Ticket{server}},
		{"priority", ticket.Filter{Priority: ticket.P1}, []ticket.Ticket{server}},
		{"search without accents nor case", ticket.Filter{Query: "SERVEUR ARRETE"}, []ticket.Ticket{server}},
		{"search in the description", ticket.Filter{Query: "bourrage"}, []ticket.Ticket{printer}},
		{"search for a literal wildcard", ticket.Filter{Query: "100%"}, []ticket.Ticket{printer}},
		{"search and client", ticket.Filter{Query: "serveur", ClientID: w.B.ID}, []ticket.Ticket{bravo}},
	} {
		tc.f.Limit = 10
		got, _ := must2(db.Tickets(ctx, sys, tc.f))(t)
		if g, want := ids(got, ticketID), ids(tc.want, ticketID); !slices.Equal(g, want) {
			t.Errorf("%s: Tickets = %v, want %v", tc.name, g, want)
		}
	}
}

func testDueForCheck(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	check := func(d time.Duration) func(*ticket.Ticket) {
		return func(tk *ticket.Ticket) { tk.SLA = ticket.SLA{Covered: true, NextCheck: at(d)} }
	}
	later := mkTicket(t, db, w.A.ID, "later", check(2*time.Hour))
	first := mkTicket(t, db, w.B.ID, "first, of another client", check(time.Hour))
	mkTicket(t, db, w.A.ID, "never", nil)
	mkTicket(t, db, w.A.ID, "future", check(3*time.Hour))
	for _, tc := range []struct {
		now   time.Duration
		limit int
		want  []int64
	}{
		{0, 10, nil},
		{time.Hour - time.Microsecond, 10, nil},
		{time.Hour, 10, []int64{first.ID}}, // at the instant itself
		{2 * time.Hour, 10, []int64{first.ID, later.ID}},
		{2 * time.Hour, 1, []int64{first.ID}},
	} {
		got := ids(must(db.DueForCheck(ctx, m0.Add(tc.now), tc.limit))(t), ticketID)
		if !slices.Equal(got, tc.want) {
			t.Errorf("DueForCheck(m0+%v, %d) = %v, want %v", tc.now, tc.limit, got, tc.want)
		}
	}
}

func testTicketTimeline(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	tk := mkTicket(t, db, w.A.ID, "timeline", nil)
	pub := ticket.Followup{TicketID: tk.ID, AuthorID: &w.userA.ID, Author: "Anne Alpha", Public: true, Body: "Toujours en panne.", Created: m0.Add(time.Minute)}
	note := ticket.Followup{TicketID: tk.ID, AuthorID: &w.techA.ID, Author: "Tina Tech", Body: "Client difficile", Created: m0.Add(2 * time.Minute)}
	mail := ticket.Followup{TicketID: tk.ID, Author: "anne@alpha.example", Public: true, Body: "Réponse par e-mail", Created: m0.Add(3 * time.Minute)}
	for _, f := range []*ticket.Followup{&pub, &note, &mail} {
		ok(t, db.AddFollowup(ctx, f))
	}
	if got := must(db.Followups(ctx, tk.ID, true))(t); !reflect.DeepEqual(got, []ticket.Followup{pub, note, mail}) {
		t.Errorf("Followups(with private) = %+v", got)
	}
	if got := must(db.Followups(ctx, tk.ID, false))(t); !reflect.DeepEqual(got, []ticket.Followup{pub, mail}) {
		t.Errorf("Followups(public) = %+v", got)
	}

	// Events come in chronological order, those at the same instant in the
	// order they were added.
	created := ticket.Event{TicketID: tk.ID, At: m0, Actor: "system", Kind: "created", To: "new P3", Public: true}
	owned := ticket.Event{TicketID: tk.ID, At: m0.Add(time.Hour), ActorID: &w.techA.ID, Actor: "Tina Tech", Kind: "owned"}
	assigned := ticket.Event{TicketID: tk.ID, At: m0.Add(time.Hour), ActorID: &w.techA.ID, Actor: "Tina Tech", Kind: "status", From: "new", To: "assigned", Public: true}
	early := ticket.Event{TicketID: tk.ID, At: m0.Add(time.Minute), Actor: "system", Kind: "priority", From: "P3", To: "P2", Public: true}
	for _, e := range []*ticket.Event{&created, &owned, &assigned, &early} {
		ok(t, db.AddEvent(ctx, e))
	}
	if got := must(db.Events(ctx, tk.ID, true))(t); !reflect.DeepEqual(got, []ticket.Event{created, early, owned, assigned}) {
		t.Errorf("Events(with private) = %+v", got)
	}
	if got := must(db.Events(ctx, tk.ID, false))(t); !reflect.DeepEqual(got, []ticket.Event{created, early, assigned}) {
		t.Errorf("Events(public) = %+v", got)
	}

	// Time entries by start, durations to the second.
	second := ticket.TimeEntry{TicketID: tk.ID, TechnicianID: w.techA.ID, Start: m0.Add(3 * time.Hour), Duration: 90*time.Minute + 500*time.Millisecond, OnSite: true, Travel: 25 * time.Minute, Billable: true, Note: "Sur site", Created: m0.Add(5 * time.Hour)}
	firstEntry := ticket.TimeEntry{TicketID: tk.ID, TechnicianID: w.manager.ID, Start: m0.Add(time.Hour), Duration: 15 * time.Minute, Created: m0.Add(6 * time.Hour)}
	ok(t, db.AddTimeEntry(ctx, &second))
	ok(t, db.AddTimeEntry(ctx, &firstEntry))
	if second.Duration != 90*time.Minute {
		t.Errorf("AddTimeEntry kept duration %v, want it to the second", second.Duration)
	}
	if got := must(db.TimeEntries(ctx, tk.ID))(t); !reflect.DeepEqual(got, []ticket.TimeEntry{firstEntry, second}) {
		t.Errorf("TimeEntries = %+v", got)
	}
	other := mkTicket(t, db, w.A.ID, "other", nil)
	if fs, es, ts := must(db.Followups(ctx, other.ID, true))(t), must(db.Events(ctx, other.ID, true))(t), must(db.TimeEntries(ctx, other.ID))(t); len(fs)+len(es)+len(ts) != 0 {
		t.Errorf("another ticket shows %d followups, %d events, %d time entries", len(fs), len(es), len(ts))
	}
	err := db.AddFollowup(ctx, &ticket.Followup{TicketID: 9999, Public: true, Body: "x"})
	if !errors.Is(err, fault.ErrConflict) {
		t.Errorf("AddFollowup(missing ticket) = %v, want ErrConflict", err)
	}
}

func testCategories(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	root := ticket.Category{Name: "Réseau"}
	ok(t, db.SaveCategory(ctx, &root))
	wifi := ticket.Category{Name: "wifi", ParentID: &root.ID}
	ok(t, db.SaveCategory(ctx, &wifi))
	apps := ticket.Category{Name: "Applications"}
	ok(t, db.SaveCategory(ctx, &apps))
	if got := must(db.Categories(ctx))(t); !reflect.DeepEqual(got, []ticket.Category{apps, root, wifi}) {
		t.Errorf("Categories = %+v, want by name ignoring case", got)
	}

	err := db.DeleteCategory(ctx, root.ID)
	if !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("DeleteCategory(with a child) = %v, want ErrConflict", err)
	}
	if got := must(db.Categories(ctx))(t); len(got) != 3 {
		t.Fatalf("categories after a refused delete: %+v", got)
	}

	// Moving and renaming.
	wifi.Name, wifi.ParentID = "Wi-Fi", &apps.ID
	ok(t, db.SaveCategory(ctx, &wifi))
	if got := must(db.Categories(ctx))(t); !reflect.DeepEqual(got[2], wifi) {
		t.Errorf("after move: %+v", got)
	}
	wantNotFound(t, "SaveCategory(missing)", db.SaveCategory(ctx, &ticket.Category{ID: 9999, Name: "x"}))
	if err := db.SaveCategory(ctx, &ticket.Category{Name: "orphan", ParentID: id64(9999)}); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("SaveCategory(missing parent) = %v, want ErrConflict", err)
	}

	// A deleted category leaves its tickets without one.
	tk := mkTicket(t, db, w.A.ID, "wifi lent", func(tk *ticket.Ticket) { tk.CategoryID = &wifi.ID })
	ok(t, db.DeleteCategory(ctx, wifi.ID))
	if got := must(db.Ticket(ctx, sys, tk.ID))(t); got.CategoryID != nil {
		t.Errorf("ticket keeps deleted category %d", *got.CategoryID)
	}
	ok(t, db.DeleteCategory(ctx, apps.ID))
	wantNotFound(t, "DeleteCategory(deleted)", db.DeleteCategory(ctx, apps.ID))
}

func testHelpdeskSettings(t *testing.T, db *store.DB) {
	ctx := t.Context()
	if got := must(db.Settings(ctx))(t); got != ticket.DefaultSettings() {
		t.Fatalf("Settings after migration = %+v, want the defaults %+v", got, ticket.DefaultSettings())
	}
	st := ticket.DefaultSettings()
	st.Matrix[0][2], st.ReopenDays, st.CloseDays = ticket.P2, 0, 30
	ok(t, db.SaveSettings(ctx, st))
	if got := must(db.Settings(ctx))(t); got != st {
		t.Fatalf("Settings = %+v, want %+v", got, st)
	}
}

func testServiceLevel(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	_, err := db.ServiceLevel(ctx, w.A.ID)
	wantNotFound(t, "ServiceLevel(none)", err)

	sl := ticket.ServiceLevel{
		ClientID:    w.A.ID,
		AtRiskShare: 0.8,
		Escalation:  "Appeler le 01 23 45 67 89, puis la direction.",
		Updated:     m0,
	}
	ok(t, db.SaveServiceLevel(ctx, sl))
	if got := must(db.ServiceLevel(ctx, w.A.ID))(t); !reflect.DeepEqual(got, sl) {
		t.Fatalf("ServiceLevel = %+v, want %+v", got, sl)
	}
	// Saving again replaces it; no pause status at all stays distinct from the default.
	for _, pause := range [][]ticket.Status{{}, {ticket.StatusWaitingThirdParty}, nil} {
		sl.PauseStatuses, sl.AtRiskShare, sl.Updated = pause, sl.AtRiskShare/2, sl.Updated.Add(time.Hour)
		ok(t, db.SaveServiceLevel(ctx, sl))
		if got := must(db.ServiceLevel(ctx, w.A.ID))(t); !reflect.DeepEqual(got, sl) {
			t.Fatalf("ServiceLevel with pause statuses %#v = %+v, want %+v", pause, got, sl)
		}
	}
	_, err = db.ServiceLevel(ctx, w.B.ID)
	wantNotFound(t, "ServiceLevel(of B)", err)
	if err := db.SaveServiceLevel(ctx, ticket.ServiceLevel{ClientID: 9999, Updated: m0}); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("SaveServiceLevel(missing client) = %v, want ErrConflict", err)
	}
}

func testHelpdeskAdapters(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	archived := mkClient(t, db, "OLD", "Old Client")
	archived.Archived = true
	ok(t, db.UpdateClient(ctx, sys, &archived))
	tech := w.techA.Scope()
	for _, tc := range []struct {
		name  string
		err   error
		found bool
	}{
		{"ClientExists(A) by the technician of A", db.ClientExists(ctx, tech, w.A.ID), true},
		{"ClientExists(B) by the technician of A", db.ClientExists(ctx, tech, w.B.ID), false},
		{"ClientExists(archived) by the system", db.ClientExists(ctx, sys, archived.ID), true},
		{"ClientExists(missing)", db.ClientExists(ctx, sys, 9999), false},
		{"ClientExists(B) by the client admin of A", db.ClientExists(ctx, w.userA.Scope(), w.B.ID), false},
		{"ContactOf(A, contact of A)", db.ContactOf(ctx, tech, w.A.ID, w.contactA.ID), true},
		{"ContactOf(A, contact of B)", db.ContactOf(ctx, sys, w.A.ID, w.contactB.ID), false},
		{"ContactOf(B, contact of B) by the technician of A", db.ContactOf(ctx, tech, w.B.ID, w.contactB.ID), false},
		{"SiteOf(A, site of A)", db.SiteOf(ctx, w.userA.Scope(), w.A.ID, w.siteA.ID), true},
		{"SiteOf(A, site of B)", db.SiteOf(ctx, sys, w.A.ID, w.siteB.ID), false},
		{"SiteOf(B, site of B) by the client admin of A", db.SiteOf(ctx, w.userA.Scope(), w.B.ID, w.siteB.ID), false},
	} {
		if tc.found && tc.err != nil {
			t.Errorf("%s = %v, want nil", tc.name, tc.err)
		}
		if !tc.found {
			wantNotFound(t, tc.name, tc.err)
		}
	}

	disabled := mkUser(t, db, user.User{Email: "gone@msp.example", Name: "Gone", Role: tenant.RoleTechnician, Disabled: true})
	for _, tc := range []struct {
		name     string
		user     user.User
		clientID int64
		want     string
	}{
		{"unlimited manager", w.manager, w.B.ID, "Marc Manager"},
		{"technician on its client", w.techA, w.A.ID, "Tina Tech"},
		{"technician on another client", w.techA, w.B.ID, ""},
		{"disabled technician", disabled, w.A.ID, ""},
		{"client admin", w.userA, w.A.ID, ""},
		{"missing user", user.User{ID: 9999}, w.A.ID, ""},
	} {
		name, err := db.StaffMember(ctx, tc.user.ID, tc.clientID)
		if tc.want == "" {
			wantNotFound(t, "StaffMember("+tc.name+")", err)
		} else if err != nil || name != tc.want {
			t.Errorf("StaffMember(%s) = %q, %v; want %q", tc.name, name, err, tc.want)
		}
	}
}
