package alert_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/alert"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
)

var sys = tenant.System()

// env is the alerter on a real database with the real helpdesk: client A
// (French) and client B (English), a server of each, and a clock the test
// moves. probe plays the engine: it runs results through the check state
// engine, saves them and hands the notices to the alerter.
type env struct {
	db      *store.DB
	tickets *ticket.Service
	alerter *alert.Alerter
	notify  *recorder
	now     time.Time
	A, B    client.Client
	srvA    asset.Asset // critical, of A
	srvB    asset.Asset // normal, of B
	status  map[int64]check.Status
}

// recorder is a Notifier keeping what it is given.
type recorder struct {
	mu      sync.Mutex
	notices []supervision.Notice
	tickets []map[int64]int64
}

func (r *recorder) Enqueue(_ context.Context, ns []supervision.Notice, ids map[int64]int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notices = append(r.notices, ns...)
	r.tickets = append(r.tickets, ids)
	return nil
}

func forEachDB(t *testing.T, test func(t *testing.T, e *env)) {
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) { test(t, newEnv(t, d)) })
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newEnv(t testing.TB, dialect string) *env {
	t.Helper()
	ctx := t.Context()
	db, err := store.Open(ctx, testdb.URL(t, dialect), nil)
	must(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.Migrate(ctx)
	must(t, err)
	e := &env{db: db, now: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), status: map[int64]check.Status{}, notify: &recorder{}}
	clock := func() time.Time { return e.now }
	e.tickets = ticket.NewService(db, db, db, audit.NewJournal(db, clock), clock, nil)
	e.alerter, err = alert.New(db.Supervision(), e.tickets, db, alert.Options{BaseURL: "https://vigie.example/", Notifier: e.notify})
	must(t, err)
	e.A = client.Client{Code: "ALPHA", Name: "Alpha", TimeZone: "Europe/Paris", Language: "fr"}
	e.B = client.Client{Code: "BRAVO", Name: "Bravo", TimeZone: "Europe/London", Language: "en"}
	must(t, db.CreateClient(ctx, sys, &e.A))
	must(t, db.CreateClient(ctx, sys, &e.B))
	e.srvA = asset.Asset{ClientID: e.A.ID, Kind: asset.KindServer, Name: "srv-db-01", Criticality: asset.CriticalityCritical, Fields: map[string]string{}}
	e.srvB = asset.Asset{ClientID: e.B.ID, Kind: asset.KindServer, Name: "web-b", Criticality: asset.CriticalityNormal, Fields: map[string]string{}}
	must(t, db.CreateAsset(ctx, sys, &e.srvA))
	must(t, db.CreateAsset(ctx, sys, &e.srvB))
	return e
}

func (e *env) mkCheck(t testing.TB, a asset.Asset, name string, sev supervision.Severity, mode supervision.TicketMode) supervision.Check {
	t.Helper()
	c := supervision.Check{AssetID: a.ID, Name: name, Enabled: true, Rules: supervision.Rules{
		Kind: supervision.KindFilesystem, Interval: 60, RetryInterval: 30, MaxAttempts: 2, RecoverAfter: 1,
		Severity: sev, Ticket: mode,
	}}
	must(t, e.db.CreateCheck(t.Context(), sys, &c))
	return c
}

// probe applies one result a minute after the last, as the engine would,
// and returns the notices it handed to the alerter.
func (e *env) probe(t testing.TB, c supervision.Check, state check.State, output string, conds check.Conditions) []supervision.Notice {
	t.Helper()
	ns := e.apply(t, c, state, output, conds)
	must(t, e.alerter.Alert(t.Context(), ns))
	return ns
}

// apply runs a result through the check state engine and saves it, as the
// engine would, and returns the notices for the alerter.
func (e *env) apply(t testing.TB, c supervision.Check, state check.State, output string, conds check.Conditions) []supervision.Notice {
	t.Helper()
	ctx := t.Context()
	e.now = e.now.Add(time.Minute)
	st, evs := c.Policy().ApplyIn(e.status[c.ID], check.Result{At: e.now, State: state, Output: output}, conds)
	owed := st.Owed(conds)
	if owed {
		st = st.MarkNotified()
	}
	e.status[c.ID] = st
	stored, err := e.db.Status(ctx, sys, c.ID)
	must(t, err)
	stored.Status = st
	events := make([]supervision.Event, len(evs))
	for i, ev := range evs {
		events[i] = supervision.Event{CheckID: c.ID, ClientID: c.ClientID, AssetID: c.AssetID, Event: ev}
	}
	must(t, e.db.SaveResults(ctx, []supervision.Status{stored}, events))
	ref, err := e.db.AssetRef(ctx, sys, c.AssetID)
	must(t, err)
	var ns []supervision.Notice
	for _, ev := range events {
		ns = append(ns, supervision.Notice{Event: ev, Check: c, Asset: ref, Status: stored})
	}
	if owed {
		ns = append(ns, supervision.Notice{Check: c, Asset: ref, Status: stored, Owed: true, Event: supervision.Event{
			CheckID: c.ID, ClientID: c.ClientID, AssetID: c.AssetID,
			Event: check.Event{At: e.now, Kind: check.Problem, From: check.OK, To: st.HardState, Type: check.Hard, Attempt: st.Attempt, Output: st.Output, Notify: true},
		}})
	}
	return ns
}

// down makes a check hard CRITICAL (MaxAttempts 2).
func (e *env) down(t *testing.T, c supervision.Check, output string) []supervision.Notice {
	t.Helper()
	e.probe(t, c, check.Critical, output, check.Conditions{})
	return e.probe(t, c, check.Critical, output, check.Conditions{})
}

func (e *env) linked(t *testing.T, c supervision.Check) *int64 {
	t.Helper()
	st, err := e.db.Status(t.Context(), sys, c.ID)
	must(t, err)
	return st.TicketID
}

func (e *env) allTickets(t testing.TB) []ticket.Ticket {
	t.Helper()
	ts, _, err := e.tickets.List(t.Context(), sys, ticket.Filter{Limit: 200})
	must(t, err)
	return ts
}

func (e *env) get(t *testing.T, id int64) ticket.Ticket {
	t.Helper()
	tk, err := e.tickets.Get(t.Context(), sys, id)
	must(t, err)
	return tk
}

// notes returns the private followups of a ticket, oldest first.
func (e *env) notes(t *testing.T, id int64) []string {
	t.Helper()
	fs, _, err := e.tickets.Timeline(t.Context(), sys, id)
	must(t, err)
	var out []string
	for _, f := range fs {
		if f.Public {
			t.Errorf("ticket %d: public followup %q", id, f.Body)
		}
		out = append(out, f.Body)
	}
	return out
}

func TestProblemOpensOneIncident(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		c := e.mkCheck(t, e.srvA, "Disk /", supervision.SeverityCritical, supervision.TicketOpen)
		if ns := e.probe(t, c, check.Critical, "DISK CRITICAL - / 97% used", check.Conditions{}); len(e.allTickets(t)) != 0 || len(ns) != 1 {
			t.Fatalf("a soft problem opened a ticket (notices %d)", len(ns))
		}
		e.down(t, c, "DISK CRITICAL - / 97% used")
		ts := e.allTickets(t)
		if len(ts) != 1 {
			t.Fatalf("%d tickets, want 1", len(ts))
		}
		tk := e.get(t, ts[0].ID)
		if tk.ClientID != e.A.ID || tk.Type != ticket.TypeIncident || tk.Priority != ticket.P1 || tk.Status != ticket.StatusNew {
			t.Errorf("ticket: client %d type %s priority %s status %s, want client %d incident P1 new", tk.ClientID, tk.Type, tk.Priority, tk.Status, e.A.ID)
		}
		if tk.Title != "CRITIQUE — Disk / sur srv-db-01" {
			t.Errorf("title %q", tk.Title)
		}
		if tk.RequesterID != nil || tk.CreatedBy != nil {
			t.Errorf("requester %v, created by %v: a monitoring ticket has neither", tk.RequesterID, tk.CreatedBy)
		}
		if len(tk.AssetIDs) != 1 || tk.AssetIDs[0] != e.srvA.ID {
			t.Errorf("assets %v, want [%d]", tk.AssetIDs, e.srvA.ID)
		}
		for _, w := range []string{
			fmt.Sprintf("(https://vigie.example/supervision/checks/%d)", c.ID),
			fmt.Sprintf("(https://vigie.example/assets/%d)", e.srvA.ID),
			"DISK CRITICAL - / 97% used", "système de fichiers", "Depuis : 30/11/2026 10:01:00 CET",
		} {
			if !strings.Contains(tk.Description, w) {
				t.Errorf("description lacks %q:\n%s", w, tk.Description)
			}
		}
		if id := e.linked(t, c); id == nil || *id != tk.ID {
			t.Errorf("status links ticket %v, want %d", id, tk.ID)
		}
		// The notifier got the problem with its ticket.
		last := e.notify.tickets[len(e.notify.tickets)-1]
		if last[c.ID] != tk.ID {
			t.Errorf("notifier's tickets %v, want check %d → %d", last, c.ID, tk.ID)
		}
	})
}

func TestOpenModeFollowsUpAndLeavesResolutionToTechnician(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		c := e.mkCheck(t, e.srvA, "Disk /", supervision.SeverityMajor, supervision.TicketOpen)
		e.down(t, c, "DISK CRITICAL")
		e.probe(t, c, check.OK, "DISK OK - 40% used", check.Conditions{})
		ts := e.allTickets(t)
		if len(ts) != 1 || !ts[0].Status.Open() {
			t.Fatalf("tickets after recovery: %+v", ts)
		}
		notes := e.notes(t, ts[0].ID)
		if len(notes) != 1 || !strings.Contains(notes[0], "Rétabli le 30/11/2026 10:03:00 CET après 2 min : **OK** – DISK OK") {
			t.Fatalf("recovery notes %q", notes)
		}
		if id := e.linked(t, c); id == nil || *id != ts[0].ID {
			t.Errorf("open mode: the ticket stays linked while open, got %v", id)
		}
		// The problem comes back while the technician still has it open:
		// a followup, not a second ticket.
		e.down(t, c, "DISK CRITICAL again")
		if ts := e.allTickets(t); len(ts) != 1 {
			t.Fatalf("%d tickets after the problem came back, want 1", len(ts))
		}
		notes = e.notes(t, ts[0].ID)
		if len(notes) != 2 || !strings.Contains(notes[1], "Nouveau problème") || !strings.Contains(notes[1], "DISK CRITICAL again") {
			t.Errorf("notes %q", notes)
		}
		// Once the technician resolved it, the next problem opens a new one.
		resolved := ticket.StatusResolved
		_, err := e.tickets.Update(t.Context(), sys, ts[0].ID, ticket.Change{Status: &resolved})
		must(t, err)
		e.probe(t, c, check.OK, "DISK OK", check.Conditions{})
		if id := e.linked(t, c); id != nil {
			t.Errorf("a resolved ticket stays linked after recovery: %d", *id)
		}
		e.down(t, c, "DISK CRITICAL third")
		if ts := e.allTickets(t); len(ts) != 2 {
			t.Errorf("%d tickets after a problem following a resolved ticket, want 2", len(ts))
		}
	})
}

func TestAutoResolve(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		c := e.mkCheck(t, e.srvB, "HTTP shop", supervision.SeverityCritical, supervision.TicketAutoResolve)
		e.down(t, c, "HTTP 503")
		for range 20 {
			e.probe(t, c, check.Critical, "HTTP 503", check.Conditions{}) // still down: nothing new
		}
		e.probe(t, c, check.OK, "HTTP 200 in 45 ms", check.Conditions{})
		ts := e.allTickets(t)
		if len(ts) != 1 {
			t.Fatalf("%d tickets, want 1", len(ts))
		}
		tk := e.get(t, ts[0].ID)
		if tk.Status != ticket.StatusResolved || tk.ResolvedAt == nil || tk.Priority != ticket.P2 || tk.Title != "CRITICAL — HTTP shop on web-b" {
			t.Errorf("ticket %+v: want resolved, P2, English title", tk)
		}
		notes := e.notes(t, tk.ID)
		if len(notes) != 1 || !strings.Contains(notes[0], "Recovered at 2026-11-30 09:23:00 GMT after 22 min: **OK** – HTTP 200 in 45 ms") ||
			!strings.Contains(notes[0], "Resolved automatically") {
			t.Errorf("notes %q", notes)
		}
		if id := e.linked(t, c); id != nil {
			t.Errorf("check still linked to %d after auto-resolution", *id)
		}
		e.down(t, c, "HTTP 502")
		if ts := e.allTickets(t); len(ts) != 2 {
			t.Errorf("%d tickets after a new problem, want 2", len(ts))
		}
	})
}

func TestMutedEventsAndOwed(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		c := e.mkCheck(t, e.srvA, "Swap", supervision.SeverityMinor, supervision.TicketOpen)
		maint := check.Conditions{Maintenance: true}
		e.probe(t, c, check.Warning, "SWAP 80%", maint)
		ns := e.probe(t, c, check.Warning, "SWAP 80%", maint)
		if len(ns) != 1 || ns[0].Event.Kind != check.Problem || ns[0].Event.Notify {
			t.Fatalf("want one muted problem, got %+v", ns)
		}
		if ts := e.allTickets(t); len(ts) != 0 || e.linked(t, c) != nil || len(e.notify.notices) != 0 {
			t.Fatalf("a muted problem: %d tickets, %d notifications", len(ts), len(e.notify.notices))
		}
		// The maintenance ends with the problem still there: owed, once.
		e.probe(t, c, check.Warning, "SWAP 81%", check.Conditions{})
		e.probe(t, c, check.Warning, "SWAP 82%", check.Conditions{})
		ts := e.allTickets(t)
		if len(ts) != 1 || ts[0].Priority != ticket.P4 {
			t.Fatalf("owed problem: tickets %+v, want one P4 (minor × critical, warning)", ts)
		}
		if tk := e.get(t, ts[0].ID); !strings.Contains(tk.Description, "suspendues") || tk.Title != "AVERTISSEMENT — Swap sur srv-db-01" {
			t.Errorf("owed ticket %q:\n%s", tk.Title, tk.Description)
		}
	})
}

func TestTicketModeNone(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		c := e.mkCheck(t, e.srvA, "CPU", supervision.SeverityCritical, supervision.TicketNone)
		e.down(t, c, "CPU 100%")
		e.probe(t, c, check.OK, "CPU 20%", check.Conditions{})
		if ts := e.allTickets(t); len(ts) != 0 {
			t.Errorf("%d tickets for a check without tickets", len(ts))
		}
		if n := len(e.notify.notices); n != 2 {
			t.Errorf("%d notices notified, want the problem and the recovery", n)
		}
	})
}

func TestSeverityChange(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		// critical severity on B's normal server: WARNING → P3, CRITICAL → P2.
		c := e.mkCheck(t, e.srvB, "Load", supervision.SeverityCritical, supervision.TicketOpen)
		e.probe(t, c, check.Warning, "LOAD 12", check.Conditions{})
		e.probe(t, c, check.Warning, "LOAD 12", check.Conditions{})
		ts := e.allTickets(t)
		if len(ts) != 1 || ts[0].Priority != ticket.P3 {
			t.Fatalf("warning problem: %+v, want one P3", ts)
		}
		id := ts[0].ID
		e.probe(t, c, check.Critical, "LOAD 40", check.Conditions{})
		if tk := e.get(t, id); tk.Priority != ticket.P2 {
			t.Errorf("worse: priority %s, want P2", tk.Priority)
		}
		e.probe(t, c, check.Warning, "LOAD 11", check.Conditions{})
		if tk := e.get(t, id); tk.Priority != ticket.P2 {
			t.Errorf("better: priority %s, want P2 kept", tk.Priority)
		}
		notes := e.notes(t, id)
		if len(notes) != 2 || !strings.Contains(notes[0], "Worse at") || !strings.Contains(notes[0], "Priority raised from P3 to P2.") ||
			!strings.Contains(notes[1], "Better at") || !strings.Contains(notes[1], "stays P2") {
			t.Errorf("notes %q", notes)
		}
		if ts := e.allTickets(t); len(ts) != 1 {
			t.Errorf("%d tickets, want 1", len(ts))
		}
	})
}

func TestReplayedNotices(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		c := e.mkCheck(t, e.srvA, "Disk /", supervision.SeverityCritical, supervision.TicketAutoResolve)
		e.probe(t, c, check.Critical, "DISK CRITICAL", check.Conditions{})
		problem := e.probe(t, c, check.Critical, "DISK CRITICAL", check.Conditions{})
		worse := e.probe(t, c, check.Unknown, "DISK UNKNOWN", check.Conditions{})
		// The engine crashed before knowing the alerts were done: it
		// delivers them again.
		must(t, e.alerter.Alert(ctx, problem))
		must(t, e.alerter.Alert(ctx, append(problem, worse...)))
		ts := e.allTickets(t)
		if len(ts) != 1 {
			t.Fatalf("%d tickets after replays, want 1", len(ts))
		}
		if notes := e.notes(t, ts[0].ID); len(notes) != 1 || !strings.Contains(notes[0], "Changement le 30/11/2026 10:03:00 CET : CRITIQUE → **INCONNU**") {
			t.Errorf("notes after replays %q, want the severity change once", notes)
		}
		recovery := e.probe(t, c, check.OK, "DISK OK", check.Conditions{})
		must(t, e.alerter.Alert(ctx, append(append(problem, worse...), recovery...)))
		ts = e.allTickets(t)
		if len(ts) != 1 || ts[0].Status != ticket.StatusResolved {
			t.Fatalf("after replaying a whole problem: %+v, want the one ticket, resolved", ts)
		}
		if notes := e.notes(t, ts[0].ID); len(notes) != 2 {
			t.Errorf("notes %q, want the severity change and the recovery once each", notes)
		}
	})
}

func TestClientIsolation(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ca := e.mkCheck(t, e.srvA, "Disk /", supervision.SeverityCritical, supervision.TicketOpen)
		cb := e.mkCheck(t, e.srvB, "Disk /", supervision.SeverityCritical, supervision.TicketOpen)
		e.down(t, ca, "DISK CRITICAL")
		ta := e.allTickets(t)[0]
		// B's check linked (wrongly) to A's ticket: the alerter writes
		// nothing on it and opens B's own.
		must(t, e.db.SetAlertTicket(ctx, cb.ID, &ta.ID))
		e.down(t, cb, "DISK CRITICAL")
		var forB []ticket.Ticket
		for _, tk := range e.allTickets(t) {
			if tk.ClientID == e.B.ID {
				forB = append(forB, tk)
			}
		}
		if len(forB) != 1 || forB[0].ID == ta.ID {
			t.Fatalf("tickets of B: %+v", forB)
		}
		if tk := e.get(t, forB[0].ID); len(tk.AssetIDs) != 1 || tk.AssetIDs[0] != e.srvB.ID {
			t.Errorf("B's ticket assets %v", tk.AssetIDs)
		}
		if notes := e.notes(t, ta.ID); len(notes) != 0 {
			t.Errorf("A's ticket got B's followups: %q", notes)
		}
		// A notice claiming B's asset for A's check is refused.
		refB, err := e.db.AssetRef(ctx, sys, e.srvB.ID)
		must(t, err)
		forged := e.probe(t, ca, check.OK, "DISK OK", check.Conditions{})
		forged[0].Asset = refB
		forged[0].Check.ClientID = e.B.ID
		before := len(e.allTickets(t))
		must(t, e.alerter.Alert(ctx, forged))
		if after := len(e.allTickets(t)); after != before {
			t.Errorf("a forged notice changed the tickets: %d → %d", before, after)
		}
	})
}

func TestAcknowledged(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		c := e.mkCheck(t, e.srvA, "Disk /", supervision.SeverityCritical, supervision.TicketOpen)
		e.down(t, c, "DISK CRITICAL")
		id := *e.linked(t, c)
		must(t, e.alerter.Acknowledged(t.Context(), c.ID, check.Ack{By: "Tina Tech", Comment: "cleaning /var/log", At: e.now}))
		notes := e.notes(t, id)
		if len(notes) != 1 || !strings.Contains(notes[0], "Pris en compte par Tina Tech le 30/11/2026 10:02:00 CET") || !strings.Contains(notes[0], "cleaning /var/log") {
			t.Errorf("notes %q", notes)
		}
		other := e.mkCheck(t, e.srvA, "CPU", supervision.SeverityCritical, supervision.TicketOpen)
		must(t, e.alerter.Acknowledged(t.Context(), other.ID, check.Ack{By: "Tina", At: e.now}))
	})
}
