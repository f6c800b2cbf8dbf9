package review_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/review"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

var sys = tenant.System()

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func openDB(t testing.TB, dialect string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.URL(t, dialect), nil)
	ok(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.Migrate(ctx)
	ok(t, err)
	return db
}

// at is a moment of 2026 in UTC.
func at(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2026, month, day, hour, minute, 0, 0, time.UTC)
}

func tp(t time.Time) *time.Time { return &t }

// clock is a settable clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// fixture is the fixed data set: client Alpha's third quarter of 2026
// (Europe/Paris) under a contract with service hours Monday to Friday
// 08:00–18:00, and a client Bravo whose rows must never count.
type fixture struct {
	db           *store.DB
	svc          *review.Service
	clk          *clock
	alpha, bravo client.Client
	contact      client.Contact
	bravoContact client.Contact
	staff        user.User
	alphaUser    user.User
	t4, t5       ticket.Ticket
	q2, q3, q4   report.Period
}

const calendar = `{"tz":"Europe/Paris","week":{"mon":["08:00-18:00"],"tue":["08:00-18:00"],"wed":["08:00-18:00"],"thu":["08:00-18:00"],"fri":["08:00-18:00"]}}`

func seed(t testing.TB, dialect string) *fixture {
	t.Helper()
	ctx := t.Context()
	db := openDB(t, dialect)
	f := &fixture{db: db, clk: &clock{t: at(10, 15, 9, 0)}}
	f.alpha = client.Client{Code: "ALPHA", Name: "Alpha SARL", TimeZone: "Europe/Paris", Language: "fr"}
	f.bravo = client.Client{Code: "BRAVO", Name: "Bravo SAS", TimeZone: "Europe/Paris", Language: "fr"}
	ok(t, db.CreateClient(ctx, sys, &f.alpha))
	ok(t, db.CreateClient(ctx, sys, &f.bravo))
	f.contact = client.Contact{ClientID: f.alpha.ID, FirstName: "Élise", LastName: "Durand", Email: "elise@alpha.example"}
	f.bravoContact = client.Contact{ClientID: f.bravo.ID, FirstName: "Bruno", LastName: "Bravo", Email: "bruno@bravo.example"}
	ok(t, db.CreateContact(ctx, sys, &f.contact))
	ok(t, db.CreateContact(ctx, sys, &f.bravoContact))
	f.staff = user.User{Email: "marc@msp.example", Name: "Marc Manager", Role: tenant.RoleManager, Language: "fr"}
	ok(t, db.CreateUser(ctx, &f.staff, "$argon2id$fake"))
	f.alphaUser = user.User{Email: "user@alpha.example", Name: "Ursule", Role: tenant.RoleClientUser, ClientID: &f.alpha.ID, Language: "fr"}
	ok(t, db.CreateUser(ctx, &f.alphaUser, "$argon2id$fake"))

	contracts := contract.NewService(db, nil, f.clk.now)
	ok(t, contracts.Create(ctx, sys, &contract.Contract{ClientID: f.alpha.ID, Reference: "INF-2026", Title: "Infogérance", State: contract.StateActive,
		Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Calendar: calendar, Availability: 99.5, OnSitePerMonth: 1,
		Support: contract.Support{Mode: contract.SupportMonthly, Minutes: 600},
		Targets: map[sla.Priority]sla.Target{
			"P1": {TTO: 30 * time.Minute, TTR: 4 * time.Hour},
			"P2": {TTO: time.Hour, TTR: 8 * time.Hour},
			"P3": {TTO: 4 * time.Hour},
		}}))
	f.svc = review.NewService(db, contracts, nil, f.clk.now)

	mk := func(tk ticket.Ticket, events ...ticket.Event) ticket.Ticket {
		t.Helper()
		if tk.ClientID == 0 {
			tk.ClientID = f.alpha.ID
		}
		tk.Impact, tk.Urgency, tk.Level = 2, 2, "N1"
		if tk.Status == "" {
			tk.Status = ticket.StatusNew
		}
		tk.Updated = tk.Created
		ok(t, db.CreateTicket(ctx, sys, &tk))
		for _, e := range events {
			e.TicketID, e.Public = tk.ID, true
			ok(t, db.AddEvent(ctx, &e))
		}
		return tk
	}
	status := func(when time.Time, from, to ticket.Status) ticket.Event {
		return ticket.Event{At: when, Kind: "status", From: string(from), To: string(to)}
	}
	covered := func(tto, ttr *time.Time) ticket.SLA {
		return ticket.SLA{Covered: true, TTOBreachAt: tto, TTRBreachAt: ttr}
	}
	// 1: P1 owned at the very instant its time to own ran out: missed.
	mk(ticket.Ticket{Title: "Serveur de fichiers injoignable", Type: ticket.TypeIncident, Priority: 1, Status: ticket.StatusResolved,
		Created: at(7, 6, 8, 0), OwnedAt: tp(at(7, 6, 8, 30)), ResolvedAt: tp(at(7, 6, 10, 0)),
		SLA: covered(tp(at(7, 6, 8, 30)), tp(at(7, 6, 12, 0)))},
		status(at(7, 6, 8, 30), ticket.StatusNew, ticket.StatusInProgress), status(at(7, 6, 10, 0), ticket.StatusInProgress, ticket.StatusResolved))
	// 2: P1 owned a minute before: met.
	mk(ticket.Ticket{Title: "Messagerie en panne", Type: ticket.TypeIncident, Priority: 1, Status: ticket.StatusResolved,
		Created: at(8, 3, 9, 0), OwnedAt: tp(at(8, 3, 9, 29)), ResolvedAt: tp(at(8, 3, 12, 0)),
		SLA: covered(tp(at(8, 3, 9, 30)), tp(at(8, 3, 13, 0)))},
		status(at(8, 3, 9, 29), ticket.StatusNew, ticket.StatusInProgress), status(at(8, 3, 12, 0), ticket.StatusInProgress, ticket.StatusResolved))
	// 3: P2 in time on both clocks.
	mk(ticket.Ticket{Title: "Imprimante", Type: ticket.TypeIncident, Priority: 2, Status: ticket.StatusResolved,
		Created: at(9, 1, 8, 0), OwnedAt: tp(at(9, 1, 8, 10)), ResolvedAt: tp(at(9, 1, 9, 0)),
		SLA: covered(tp(at(9, 1, 9, 0)), tp(at(9, 1, 16, 0)))},
		status(at(9, 1, 9, 0), ticket.StatusInProgress, ticket.StatusResolved))
	// 4: P2 resolved late, after waiting on a third party and a reassignment.
	f.t4 = mk(ticket.Ticket{Title: "Lien internet coupé", Type: ticket.TypeIncident, Priority: 2, Status: ticket.StatusResolved,
		Created: at(9, 8, 7, 0), OwnedAt: tp(at(9, 8, 7, 20)), ResolvedAt: tp(at(9, 9, 12, 0)),
		SLA: covered(tp(at(9, 8, 8, 0)), tp(at(9, 8, 15, 0)))},
		ticket.Event{At: at(9, 8, 7, 20), Kind: "assignee", From: "", To: "Tina"},
		status(at(9, 8, 7, 20), ticket.StatusNew, ticket.StatusInProgress),
		ticket.Event{At: at(9, 8, 9, 0), Kind: "assignee", From: "Tina", To: "Paul"},
		status(at(9, 8, 10, 0), ticket.StatusInProgress, ticket.StatusWaitingThirdParty),
		status(at(9, 8, 13, 15), ticket.StatusWaitingThirdParty, ticket.StatusInProgress),
		status(at(9, 9, 12, 0), ticket.StatusInProgress, ticket.StatusResolved))
	// 5: P3 created on a Saturday, outside service hours, never owned by
	// the end of the quarter: a breach still running.
	f.t5 = mk(ticket.Ticket{Title: "Poste lent", Type: ticket.TypeRequest, Priority: 3,
		Created: at(9, 26, 10, 0), SLA: covered(tp(at(9, 29, 10, 0)), nil)})
	// 6: P1 breached in June, resolved in June: not in this quarter.
	mk(ticket.Ticket{Title: "Ancien incident", Type: ticket.TypeIncident, Priority: 1, Status: ticket.StatusResolved,
		Created: at(6, 10, 8, 0), OwnedAt: tp(at(6, 10, 8, 10)), ResolvedAt: tp(at(6, 10, 18, 0)), SLA: covered(nil, tp(at(6, 10, 12, 0)))},
		status(at(6, 10, 18, 0), ticket.StatusInProgress, ticket.StatusResolved))
	// Bravo's breach: never Alpha's.
	mk(ticket.Ticket{ClientID: f.bravo.ID, Title: "Bravo", Type: ticket.TypeIncident, Priority: 1,
		Created: at(7, 10, 8, 0), SLA: covered(tp(at(7, 10, 8, 30)), nil)})

	paris, err := time.LoadLocation("Europe/Paris")
	ok(t, err)
	f.q2, f.q3, f.q4 = report.Quarter(2026, 2, paris), report.Quarter(2026, 3, paris), report.Quarter(2026, 4, paris)
	return f
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		ok(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	ok(t, err)
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -run Golden -update rewrites it):\n%s", path, got)
	}
}

// actions records the actions of the golden review: decided in the second
// quarter's review (held in July), one done in August, one dropped in
// June, two carried; and one decided in the third quarter's.
func (f *fixture) actions(t *testing.T) (done, open, progress, dropped, later review.Action) {
	t.Helper()
	ctx := t.Context()
	f.clk.t = at(7, 6, 14, 0)
	done = review.Action{Title: "Remplacer le pare-feu", OwnerContactID: &f.contact.ID, Due: at(8, 31, 0, 0)}
	open = review.Action{Title: "Documenter la procédure de sauvegarde", Owner: "Équipe système", Due: at(9, 15, 0, 0)}
	progress = review.Action{Title: "Revoir les seuils de supervision", OwnerUserID: &f.staff.ID, Due: at(12, 1, 0, 0), Status: review.StatusInProgress}
	dropped = review.Action{Title: "Changer d’opérateur", Owner: "Direction", Due: at(7, 31, 0, 0)}
	for _, a := range []*review.Action{&done, &open, &progress, &dropped} {
		ok(t, f.svc.AddAction(ctx, sys, f.alpha.ID, f.q2, a))
	}
	ok(t, f.svc.SetStatus(ctx, sys, dropped.ID, review.StatusDropped)) // closed in Q3 too (July 6)
	f.clk.t = at(8, 20, 16, 0)
	ok(t, f.svc.SetStatus(ctx, sys, done.ID, review.StatusDone))
	f.clk.t = at(10, 8, 10, 0)
	later = review.Action{Title: "Contrat de secours avec l’opérateur", Owner: "Achats", Due: at(11, 30, 0, 0)}
	ok(t, f.svc.AddAction(ctx, sys, f.alpha.ID, f.q3, &later))
	f.clk.t = at(10, 15, 9, 0)
	return
}

// TestReviewGolden builds Alpha's review of the third quarter on each
// database and compares its JSON and CSV with the golden files.
func TestReviewGolden(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			f := seed(t, dialect)
			ctx := t.Context()
			f.actions(t)
			ok(t, f.svc.SetCause(ctx, sys, f.alpha.ID, f.q3, review.Cause{TicketID: f.t4.ID, Clock: review.ClockTTR, Text: "Panne de l’opérateur, ticket fournisseur n° 4521"}))
			held := at(10, 8, 0, 0)
			ok(t, f.svc.SaveMeeting(ctx, sys, f.alpha.ID, f.q3, &review.Meeting{HeldOn: &held, Attendees: "Élise Durand (Alpha), Marc Manager", Notes: "Revue du trimestre."}))
			rv, err := f.svc.Get(ctx, sys, f.alpha.ID, f.q3)
			ok(t, err)
			js, err := json.MarshalIndent(rv, "", "  ")
			ok(t, err)
			golden(t, "review.golden.json", append(js, '\n'))
			golden(t, "review.golden.csv", rv.CSV())
		})
	}
}

// TestReviewFigures checks the review's rows one by one (the golden file
// could be rewritten wrong; these could not).
func TestReviewFigures(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			f := seed(t, dialect)
			ctx := t.Context()
			rv, err := f.svc.Get(ctx, sys, f.alpha.ID, f.q3)
			ok(t, err)
			if rv.Contract == nil || rv.Contract.Reference != "INF-2026" {
				t.Fatalf("contract = %+v", rv.Contract)
			}
			want := map[string]review.Outcome{
				"tto P1":  review.Missed, // owned at the breach instant
				"ttr P1":  review.Met,
				"tto P2":  review.Met,
				"ttr P2":  review.Missed,
				"tto P3":  review.NotMeasured, // its only clock still runs
				"support": review.Met,         // no time spent
				"onsite":  review.Met,
			}
			got := map[string]review.Outcome{}
			for _, c := range rv.Commitments {
				got[c.Kind+" "+c.Priority+c.Asset] = c.Outcome
				if c.Kind == review.KindSupport && c.TargetMinutes != 3*600 {
					t.Errorf("support included = %d min, want 3 months × 600", c.TargetMinutes)
				}
			}
			for k, w := range want {
				key := k
				if k == "support" || k == "onsite" {
					key = k + " "
				}
				if got[key] != w {
					t.Errorf("%s = %q, want %q (all: %v)", k, got[key], w, got)
				}
			}
			if _, has := got["ttr P3"]; has {
				t.Error("P3 has no TTR target: no row expected")
			}
			type row struct {
				id    int64
				clock string
			}
			var rows []row
			for _, b := range rv.Breaches {
				rows = append(rows, row{b.TicketID, b.Clock})
			}
			if len(rows) != 3 || rows[0].clock != "tto" || rows[1] != (row{f.t4.ID, "ttr"}) || rows[2] != (row{f.t5.ID, "tto"}) {
				t.Fatalf("breaches = %+v", rows)
			}
			t4 := rv.Breaches[1]
			if t4.LateMinutes != 21*60 || t4.Stopped == nil {
				t.Errorf("t4 late %d min, stopped %v; want 21 h", t4.LateMinutes, t4.Stopped)
			}
			codes := func(fs []review.Fact) []string {
				var out []string
				for _, x := range fs {
					out = append(out, x.Code)
				}
				return out
			}
			if !slices.Equal(codes(t4.Suggested), []string{review.FactThirdParty, review.FactReassigned}) || t4.Suggested[0].Minutes != 195 {
				t.Errorf("t4 suggested %+v; want 195 min third party, reassigned", t4.Suggested)
			}
			t5 := rv.Breaches[2]
			if t5.Stopped != nil || !slices.Equal(codes(t5.Suggested), []string{review.FactOutOfHours}) {
				t.Errorf("t5 = %+v; want still running, out of hours", t5)
			}
			if rv.Breaches[0].LateMinutes != 0 || !slices.Equal(codes(rv.Breaches[0].Suggested), []string{review.FactNothing}) {
				t.Errorf("t1 = %+v; want 0 min late, nothing found", rv.Breaches[0])
			}

			// A cause entered replaces nothing but is shown; emptied, it goes.
			c := review.Cause{TicketID: f.t4.ID, Clock: review.ClockTTR, Text: "Panne opérateur"}
			ok(t, f.svc.SetCause(ctx, sys, f.alpha.ID, f.q3, c))
			rv, err = f.svc.Get(ctx, sys, f.alpha.ID, f.q3)
			ok(t, err)
			if rv.Breaches[1].Cause != "Panne opérateur" || rv.Meeting.ID == 0 {
				t.Errorf("cause = %q, meeting %d", rv.Breaches[1].Cause, rv.Meeting.ID)
			}
			c.Text = ""
			ok(t, f.svc.SetCause(ctx, sys, f.alpha.ID, f.q3, c))
			rv, err = f.svc.Get(ctx, sys, f.alpha.ID, f.q3)
			ok(t, err)
			if rv.Breaches[1].Cause != "" {
				t.Errorf("cleared cause = %q", rv.Breaches[1].Cause)
			}
			// A clock the review does not list is refused.
			err = f.svc.SetCause(ctx, sys, f.alpha.ID, f.q3, review.Cause{TicketID: f.t4.ID, Clock: review.ClockTTO, Text: "x"})
			wantInvalid(t, err, "ticket_id", review.CodeNotBreached)

			// Bravo has no contract: no commitments, its own breach only.
			rb, err := f.svc.Get(ctx, sys, f.bravo.ID, f.q3)
			ok(t, err)
			if rb.Contract != nil || len(rb.Commitments) != 0 || len(rb.Breaches) != 1 {
				t.Errorf("bravo: contract %v, %d commitments, %d breaches", rb.Contract, len(rb.Commitments), len(rb.Breaches))
			}
		})
	}
}

func wantInvalid(t *testing.T, err error, field, code string) {
	t.Helper()
	v, isInvalid := fault.AsInvalid(err)
	if !isInvalid || !slices.ContainsFunc(v.Fields, func(f fault.FieldError) bool { return f.Field == field && f.Code == code }) {
		t.Errorf("err = %v; want %s: %s", err, field, code)
	}
}

// TestActionsCarried follows actions over three reviews.
func TestActionsCarried(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			f := seed(t, dialect)
			ctx := t.Context()
			done, open, progress, dropped, later := f.actions(t)
			titles := func(p report.Period) []int64 {
				t.Helper()
				f.clk.t = at(12, 20, 9, 0)
				rv, err := f.svc.Get(ctx, sys, f.alpha.ID, p)
				ok(t, err)
				var ids []int64
				for _, a := range rv.Actions {
					ids = append(ids, a.ID)
				}
				slices.Sort(ids)
				return ids
			}
			sorted := func(ids ...int64) []int64 { slices.Sort(ids); return ids }
			for _, tc := range []struct {
				name string
				p    report.Period
				want []int64
			}{
				// Q2: every action it decided, whatever became of them since.
				{"decided", f.q2, sorted(done.ID, open.ID, progress.ID, dropped.ID)},
				// Q3: the carried ones, those closed in it, and its own.
				{"carried and closed during", f.q3, sorted(done.ID, open.ID, progress.ID, dropped.ID, later.ID)},
				// Q4: only what was still open at the end of Q3.
				{"open ones carried", f.q4, sorted(open.ID, progress.ID, later.ID)},
			} {
				t.Run(tc.name, func(t *testing.T) {
					if got := titles(tc.p); !slices.Equal(got, tc.want) {
						t.Errorf("actions = %v, want %v", got, tc.want)
					}
				})
			}
			// Closing one in Q4 keeps it in Q4's review, not in the next.
			f.clk.t = at(11, 5, 9, 0)
			ok(t, f.svc.SetStatus(ctx, sys, open.ID, review.StatusDone))
			if got := titles(f.q4); !slices.Contains(got, open.ID) {
				t.Errorf("Q4 lost the action closed during it: %v", got)
			}
			a, err := f.svc.Action(ctx, sys, open.ID)
			ok(t, err)
			if a.ClosedAt == nil || !a.ClosedAt.Equal(at(11, 5, 9, 0)) {
				t.Errorf("closed at %v", a.ClosedAt)
			}
			// Reopened: no closing time any more.
			ok(t, f.svc.SetStatus(ctx, sys, open.ID, review.StatusInProgress))
			a, err = f.svc.Action(ctx, sys, open.ID)
			ok(t, err)
			if a.ClosedAt != nil {
				t.Errorf("reopened action still closed at %v", a.ClosedAt)
			}
			if a.OwnerName != "" || a.Owner != "Équipe système" {
				t.Errorf("owner = %q / %q", a.Owner, a.OwnerName)
			}
			c, err := f.svc.Action(ctx, sys, done.ID)
			ok(t, err)
			if c.OwnerName != "Élise Durand" {
				t.Errorf("contact owner name = %q", c.OwnerName)
			}
		})
	}
}

// TestActionInput checks that bad input is refused with named fields and
// changes nothing.
func TestActionInput(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			f := seed(t, dialect)
			ctx := t.Context()
			f.clk.t = at(10, 8, 10, 0)
			for _, tc := range []struct {
				name        string
				a           review.Action
				field, code string
			}{
				{"empty title", review.Action{Title: "  ", Owner: "X", Due: at(11, 1, 0, 0)}, "title", "required"},
				{"no owner", review.Action{Title: "T", Due: at(11, 1, 0, 0)}, "owner", "required"},
				{"due before creation", review.Action{Title: "T", Owner: "X", Due: at(10, 7, 0, 0)}, "due", review.CodeBeforeCreation},
				{"no due date", review.Action{Title: "T", Owner: "X"}, "due", "required"},
				{"contact of another client", review.Action{Title: "T", OwnerContactID: &f.bravoContact.ID, Due: at(11, 1, 0, 0)}, "owner_contact_id", review.CodeNotOfClient},
				{"missing contact", review.Action{Title: "T", OwnerContactID: tp64(999999), Due: at(11, 1, 0, 0)}, "owner_contact_id", review.CodeNotOfClient},
				{"bad status", review.Action{Title: "T", Owner: "X", Due: at(11, 1, 0, 0), Status: "later"}, "status", "invalid_choice"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					a := tc.a
					wantInvalid(t, f.svc.AddAction(ctx, sys, f.alpha.ID, f.q3, &a), tc.field, tc.code)
				})
			}
			// The due date is the creation day itself: accepted (the
			// creation instant, 10:00 UTC, is 12:00 in Paris on the 8th).
			a := review.Action{Title: "Le jour même", OwnerUserID: &f.alphaUser.ID, Due: at(10, 8, 0, 0)}
			ok(t, f.svc.AddAction(ctx, sys, f.alpha.ID, f.q3, &a))
			// Editing it with a due date before its creation is refused.
			bad := a
			bad.Due = at(10, 1, 0, 0)
			wantInvalid(t, f.svc.UpdateAction(ctx, sys, &bad), "due", review.CodeBeforeCreation)
			rv, err := f.svc.Get(ctx, sys, f.alpha.ID, f.q3)
			ok(t, err)
			if len(rv.Actions) != 1 || !rv.Actions[0].Due.Equal(at(10, 8, 0, 0)) || rv.Actions[0].OwnerName != "Ursule" {
				t.Errorf("actions after refusals = %+v", rv.Actions)
			}
		})
	}
}

func tp64(v int64) *int64 { return &v }

// TestRights: a client's users read their review and write nothing; other
// clients' users do not see it.
func TestRights(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			f := seed(t, dialect)
			ctx := t.Context()
			f.clk.t = at(10, 8, 10, 0)
			a := review.Action{Title: "Action", Owner: "X", Due: at(11, 1, 0, 0)}
			ok(t, f.svc.AddAction(ctx, sys, f.alpha.ID, f.q3, &a))
			own := tenant.Scope{UserID: f.alphaUser.ID, Role: tenant.RoleClientUser, ClientID: f.alpha.ID}
			ownAdmin := tenant.Scope{Role: tenant.RoleClientAdmin, ClientID: f.alpha.ID}
			other := tenant.Scope{Role: tenant.RoleClientAdmin, ClientID: f.bravo.ID}
			tech := tenant.Scope{Role: tenant.RoleTechnician}
			manager := tenant.Scope{UserID: f.staff.ID, Role: tenant.RoleManager}
			for _, tc := range []struct {
				name      string
				s         tenant.Scope
				read, wrt error
			}{
				{"client user", own, nil, fault.ErrForbidden},
				{"client admin", ownAdmin, nil, fault.ErrForbidden},
				{"other client", other, fault.ErrNotFound, fault.ErrNotFound},
				{"technician", tech, nil, fault.ErrForbidden},
				{"manager", manager, nil, nil},
			} {
				t.Run(tc.name, func(t *testing.T) {
					_, err := f.svc.Get(ctx, tc.s, f.alpha.ID, f.q3)
					if !errors.Is(err, tc.read) && !(tc.read == nil && err == nil) {
						t.Errorf("read: %v, want %v", err, tc.read)
					}
					checks := map[string]error{
						"add":     f.svc.AddAction(ctx, tc.s, f.alpha.ID, f.q3, &review.Action{Title: "T", Owner: "X", Due: at(11, 1, 0, 0)}),
						"status":  f.svc.SetStatus(ctx, tc.s, a.ID, review.StatusDone),
						"update":  f.svc.UpdateAction(ctx, tc.s, &review.Action{ID: a.ID, Title: "Changé", Owner: "X", Due: at(11, 1, 0, 0)}),
						"meeting": f.svc.SaveMeeting(ctx, tc.s, f.alpha.ID, f.q3, &review.Meeting{Notes: "x"}),
						"cause":   f.svc.SetCause(ctx, tc.s, f.alpha.ID, f.q3, review.Cause{TicketID: f.t4.ID, Clock: review.ClockTTR, Text: "x"}),
					}
					for what, err := range checks {
						if tc.wrt == nil && err != nil || tc.wrt != nil && !errors.Is(err, tc.wrt) {
							t.Errorf("%s: %v, want %v", what, err, tc.wrt)
						}
					}
				})
			}
		})
	}
}

// TestThresholds checks the commitments exactly at their thresholds, on
// figures built by hand.
func TestThresholds(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	ok(t, err)
	p := report.Quarter(2026, 3, paris)
	info := report.PeriodInfo{Kind: report.KindQuarter, Label: "2026-Q3", TimeZone: "Europe/Paris", From: p.From, To: p.To, Until: p.To}
	pct := func(v float64) *float64 { return &v }
	c := &contract.Contract{Reference: "C", Calendar: calendar, Availability: 99.5, OnSitePerMonth: 2,
		Support: contract.Support{Mode: contract.SupportMonthly, Minutes: 600}}
	for _, tc := range []struct {
		name            string
		avail           *float64
		billable, sites int
		want            map[string]review.Outcome
	}{
		{"at the thresholds", pct(99.5), 1800, 6, map[string]review.Outcome{"availability": review.Met, "support": review.Met, "onsite": review.Met}},
		{"just past them", pct(99.49), 1801, 7, map[string]review.Outcome{"availability": review.Missed, "support": review.Missed, "onsite": review.Missed}},
		{"not measured", nil, 0, 0, map[string]review.Outcome{"availability": review.NotMeasured, "support": review.Met, "onsite": review.Met}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The support figures are the report's (contract.ConsumptionOver):
			// three months of 600 min and of 2 on-site interventions.
			m := report.Monthly{Period: info, Availability: []report.Availability{{Asset: "srv", Percent: tc.avail}},
				Support: report.Support{Status: report.SupportMeasured, Mode: contract.SupportMonthly, Months: 3,
					ConsumedMinutes: tc.billable, IncludedMinutes: 1800, OnSite: tc.sites, OnSiteIncluded: 6}}
			rv := review.Build(review.Input{Figures: m, Contract: c})
			got := map[string]review.Outcome{}
			for _, x := range rv.Commitments {
				got[x.Kind] = x.Outcome
			}
			for k, w := range tc.want {
				if got[k] != w {
					t.Errorf("%s = %q, want %q", k, got[k], w)
				}
			}
		})
	}
	// A range that is not made of whole months compares no monthly quota.
	r := report.Range(time.Date(2026, 7, 5, 0, 0, 0, 0, paris), time.Date(2026, 8, 4, 0, 0, 0, 0, paris), paris)
	m := report.Monthly{Period: report.PeriodInfo{Kind: report.KindRange, TimeZone: "Europe/Paris", From: r.From, To: r.To, Until: r.To},
		Support: report.Support{Status: report.SupportPartial}}
	for _, x := range review.Build(review.Input{Figures: m, Contract: c}).Commitments {
		if x.Kind == review.KindSupport || x.Kind == review.KindOnSite {
			t.Errorf("range of days compared %s", x.Kind)
		}
	}
}

// words is a Translator for the file name.
type words map[string]string

func (w words) T(lang, key string, _ ...any) string { return w[lang+" "+key] }

// TestGenerator: the scheduler's generator makes the review of the request
// at its instant, names the files in the request's language and hands the
// PDF to the renderer.
func TestGenerator(t *testing.T) {
	f := seed(t, "sqlite")
	ctx := t.Context()
	var gotLang string
	var gotBreaches int
	render := func(_ context.Context, w io.Writer, rv review.Review, lang string, generated time.Time) error {
		gotLang, gotBreaches = lang, len(rv.Breaches)
		_, err := w.Write([]byte("%PDF-fake " + generated.Format(time.RFC3339)))
		return err
	}
	gen := review.Generator(f.svc, words{"en review.file": "review", "fr review.file": "revue"}, render)
	now := at(10, 1, 6, 0)
	doc, err := gen(ctx, report.Request{ClientID: f.alpha.ID, Period: f.q3, Lang: "en", Now: now})
	ok(t, err)
	if doc.Name != "review-ALPHA-2026-Q3" || string(doc.PDF) != "%PDF-fake 2026-10-01T06:00:00Z" || gotLang != "en" || gotBreaches != 3 {
		t.Errorf("document %q, pdf %q, lang %q, %d breaches", doc.Name, doc.PDF, gotLang, gotBreaches)
	}
	rv, err := f.svc.Get(ctx, sys, f.alpha.ID, f.q3)
	ok(t, err)
	if !bytes.Equal(doc.CSV, rv.CSV()) {
		t.Error("the scheduled CSV differs from the page's")
	}
	// A period not begun at the request's instant is refused, not generated.
	_, err = gen(ctx, report.Request{ClientID: f.alpha.ID, Period: f.q4, Lang: "fr", Now: at(9, 1, 0, 0)})
	wantInvalid(t, err, "from", "in_future")
}
