package reportrun_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/reportdoc"
	"github.com/vigie-hq/vigie/internal/reportrun"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// fixed is a generator whose document names the request; calls counts them.
func fixed(calls *atomic.Int32) report.Generator {
	return func(_ context.Context, rq report.Request) (report.Document, error) {
		n := calls.Add(1)
		return report.Document{
			Name: "doc-" + rq.Period.Label(),
			PDF:  fmt.Appendf(nil, "%%PDF-1.7 client %d period %s lang %s call %d", rq.ClientID, rq.Period.Label(), rq.Lang, n),
			CSV:  fmt.Appendf(nil, "period;%s\n", rq.Period.Label()),
		}, nil
	}
}

// TestScheduleOncePerPeriod: two passes queue each due report once; a client
// without a contract in force, with a contract that asks for nothing, or
// whose contract ended before the period, gets nothing.
func TestScheduleOncePerPeriod(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e := newEnv(t, dialect, envOptions{noStart: true})
			none := e.mkClient(t, "NONE", "Sans contrat")
			quiet := e.mkClient(t, "QUIET", "Sans rapport")
			e.mkContract(t, quiet.ID, "Q-1", date(2025, 1, 1), nil, contract.Reporting{})
			ended := e.mkClient(t, "ENDED", "Contrat fini")
			end := date(2026, 9, 30)
			e.mkContract(t, ended.ID, "E-1", date(2025, 1, 1), &end, contract.Reporting{Monthly: true, Daily: true})

			ctx := t.Context()
			n, err := e.svc.Schedule(ctx)
			if err != nil || n != 2 {
				t.Fatalf("first pass queued %d (%v), want 2", n, err)
			}
			n, err = e.svc.Schedule(ctx)
			if err != nil || n != 0 {
				t.Fatalf("second pass queued %d (%v), want 0", n, err)
			}
			got := e.runs(t, e.acme.ID)
			for _, key := range []string{"daily 2026-10-31", "monthly 2026-10"} {
				r, ok := got[key]
				if !ok {
					t.Fatalf("no run %s in %v", key, got)
				}
				if r.Status != reportrun.StatusQueued || !r.Send || r.ContractID == nil || *r.ContractID != e.ct.ID || r.Lang != "fr" || r.Generation != 1 {
					t.Errorf("run %s: %+v", key, r)
				}
			}
			if len(got) != 2 {
				t.Errorf("runs %v, want 2", got)
			}
			for _, c := range []int64{none.ID, quiet.ID, ended.ID} {
				if r := e.runs(t, c); len(r) != 0 {
					t.Errorf("client %d got runs %v", c, r)
				}
			}
			if n := e.count(t, `SELECT COUNT(*) FROM river_job WHERE kind = ?`, "report.run"); n != 2 {
				t.Errorf("%d jobs queued, want 2", n)
			}

			// The next morning, only the new day is due.
			e.clk.Set(time.Date(2026, 11, 2, 6, 30, 0, 0, paris(t)))
			n, err = e.svc.Schedule(ctx)
			if err != nil || n != 1 {
				t.Fatalf("next day queued %d (%v), want 1", n, err)
			}
			if _, ok := e.runs(t, e.acme.ID)["daily 2026-11-01"]; !ok {
				t.Error("the daily report of 1 November was not queued")
			}
		})
	}
}

// TestWorkerGeneratesStoresAndMails: the scheduled runs are generated (the
// monthly one by the real reportdoc generator), stored, and e-mailed to the
// contract's recipient with the PDF attached.
func TestWorkerGeneratesStoresAndMails(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			var daily atomic.Int32
			gens := map[string]report.Generator{report.DocDaily: fixed(&daily)}
			e := newEnv(t, dialect, envOptions{gens: gens})
			docs := reportdoc.Builder{Store: e.db, Clients: clientsOf{e}, Provider: providerOf(e), Contracts: e.contracts, Texts: e.texts}
			e.svc.SetGenerator(report.DocMonthly, docs.Monthly())
			ctx := t.Context()
			if _, err := e.svc.Schedule(ctx); err != nil {
				t.Fatal(err)
			}
			runs := e.runs(t, e.acme.ID)
			for key, r := range runs {
				done, _ := e.wait(t, r.ID)
				if done.Status != reportrun.StatusDone || done.Attempts != 1 || done.LastError != "" {
					t.Fatalf("%s: %+v", key, done)
				}
				if len(done.Recipients) != 1 || done.Recipients[0] != "elodie@acme.example" || done.MailID == nil || done.Sent == nil {
					t.Errorf("%s not sent: %+v", key, done)
				}
				_, pdf, err := e.svc.File(ctx, sys, r.ID, reportrun.FilePDF)
				if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
					t.Fatalf("%s PDF: %v %q", key, err, pdf[:min(len(pdf), 20)])
				}
				if done.Size <= int64(len(pdf)) {
					t.Errorf("%s size %d, PDF alone %d", key, done.Size, len(pdf))
				}
			}
			// The monthly CSV is the figures' CSV, byte for byte.
			monthly := runs["monthly 2026-10"]
			_, csv, err := e.svc.File(ctx, sys, monthly.ID, reportrun.FileCSV)
			if err != nil {
				t.Fatal(err)
			}
			m, err := report.Figures(ctx, e.db, e.acme.ID, report.Month(2026, 10, paris(t)), e.clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(csv, m.CSV()) {
				t.Errorf("stored CSV differs from the figures' CSV")
			}
			names := map[string]bool{}
			for range 2 {
				msg := e.receive(t)
				if strings.Join(msg.to, ",") != "elodie@acme.example" {
					t.Errorf("delivered to %v", msg.to)
				}
				files := attachments(t, msg.raw)
				for name, b := range files {
					names[name] = true
					if strings.HasSuffix(name, ".pdf") && !bytes.HasPrefix(b, []byte("%PDF-")) {
						t.Errorf("attachment %s is not a PDF", name)
					}
				}
				if !bytes.Contains(msg.raw, []byte("X-Vigie-Report:")) {
					t.Error("no X-Vigie-Report header")
				}
			}
			for _, want := range []string{"rapport-ACME-2026-10.pdf", "rapport-ACME-2026-10.csv", "doc-2026-10-31.pdf"} {
				if !names[want] {
					t.Errorf("attachment %s missing from %v", want, names)
				}
			}
		})
	}
}

// providerOf is the provider's settings service of the env's database.
func providerOf(e *env) reportdoc.ProviderReader { return providerService{e} }

// clientsOf reads the env's clients as the client service would.
type clientsOf struct{ e *env }

func (c clientsOf) Get(ctx context.Context, s tenant.Scope, id int64) (client.Client, error) {
	return c.e.db.Client(ctx, s, id)
}

type providerService struct{ e *env }

func (p providerService) Get(ctx context.Context) (provider.Provider, error) {
	return p.e.db.Provider(ctx)
}

// TestRetriedThenDone: a generator that fails twice then works: the run
// shows retrying, then done after its third attempt, sent once.
func TestRetriedThenDone(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			var calls atomic.Int32
			ok := fixed(&atomic.Int32{})
			flaky := func(ctx context.Context, rq report.Request) (report.Document, error) {
				if calls.Add(1) <= 2 {
					return report.Document{}, errors.New("figures store unreachable")
				}
				return ok(ctx, rq)
			}
			e := newEnv(t, dialect, envOptions{gens: map[string]report.Generator{report.DocMonthly: flaky}, maxAttempts: 5, backoff: 300 * time.Millisecond})
			r, err := e.svc.Generate(t.Context(), sys, e.acme.ID, report.DocMonthly, "2026-09", true)
			if err != nil {
				t.Fatal(err)
			}
			done, seen := e.wait(t, r.ID)
			if done.Status != reportrun.StatusDone || done.Attempts != 3 || done.LastError != "" {
				t.Fatalf("run %+v", done)
			}
			if !strings.Contains(strings.Join(seen, " "), reportrun.ShownRetrying) {
				t.Errorf("statuses seen %v, want retrying among them", seen)
			}
			e.receive(t)
			if n := e.count(t, `SELECT COUNT(*) FROM mail_log`); n != 1 {
				t.Errorf("%d mails logged, want 1", n)
			}
		})
	}
}

// TestFailedAfterLastAttempt: a generator that always fails leaves the run
// failed with its error after the last attempt, nothing sent and nothing to
// download; Retry generates it again.
func TestFailedAfterLastAttempt(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			var broken atomic.Bool
			broken.Store(true)
			ok := fixed(&atomic.Int32{})
			gen := func(ctx context.Context, rq report.Request) (report.Document, error) {
				if broken.Load() {
					return report.Document{}, errors.New("font cache corrupted")
				}
				return ok(ctx, rq)
			}
			e := newEnv(t, dialect, envOptions{gens: map[string]report.Generator{report.DocMonthly: gen}, maxAttempts: 3})
			ctx := t.Context()
			r, err := e.svc.Generate(ctx, sys, e.acme.ID, report.DocMonthly, "2026-09", true)
			if err != nil {
				t.Fatal(err)
			}
			failed, _ := e.wait(t, r.ID)
			if failed.Status != reportrun.StatusFailed || failed.Attempts != 3 || !strings.Contains(failed.LastError, "font cache corrupted") || failed.Finished == nil {
				t.Fatalf("run %+v", failed)
			}
			if failed.Shown() != "failed" {
				t.Errorf("shown %q", failed.Shown())
			}
			if _, _, err := e.svc.File(ctx, sys, r.ID, reportrun.FilePDF); !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("PDF of a failed run: %v", err)
			}
			if n := e.count(t, `SELECT COUNT(*) FROM mail_log`); n != 0 {
				t.Errorf("%d mails for a failed run", n)
			}
			// Retrying a run that is not failed is refused.
			broken.Store(false)
			again, err := e.svc.Retry(ctx, sys, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if again.Generation != 2 || again.Status != reportrun.StatusQueued {
				t.Errorf("retried run %+v", again)
			}
			done, _ := e.wait(t, r.ID)
			if done.Status != reportrun.StatusDone || done.Attempts != 1 || done.LastError != "" {
				t.Fatalf("retried run %+v", done)
			}
			if _, err := e.svc.Retry(ctx, sys, r.ID); !errors.Is(err, fault.ErrConflict) {
				t.Errorf("Retry of a done run = %v, want conflict", err)
			}
		})
	}
}

// TestNoGeneratorFailsAtOnce: a kind without a generator fails at its first
// attempt with a message saying so, rather than retrying for nothing.
func TestNoGeneratorFailsAtOnce(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e := newEnv(t, dialect, envOptions{maxAttempts: 5})
			r, err := e.svc.Generate(t.Context(), sys, e.acme.ID, report.DocReview, "2026-Q3", false)
			if err != nil {
				t.Fatal(err)
			}
			failed, _ := e.wait(t, r.ID)
			if failed.Status != reportrun.StatusFailed || failed.Attempts != 1 || !strings.Contains(failed.LastError, `no generator for "review"`) {
				t.Fatalf("run %+v", failed)
			}
		})
	}
}

// TestPanickingGeneratorFails: a generator that panics fails its attempts
// like one that returns an error, and the run ends failed, not running.
func TestPanickingGeneratorFails(t *testing.T) {
	gen := func(context.Context, report.Request) (report.Document, error) { panic("index out of range") }
	e := newEnv(t, "sqlite", envOptions{gens: map[string]report.Generator{report.DocMonthly: gen}, maxAttempts: 2})
	r, err := e.svc.Generate(t.Context(), sys, e.acme.ID, report.DocMonthly, "2026-09", false)
	if err != nil {
		t.Fatal(err)
	}
	failed, _ := e.wait(t, r.ID)
	if failed.Status != reportrun.StatusFailed || failed.Attempts != 2 || !strings.Contains(failed.LastError, "generator panicked: index out of range") {
		t.Fatalf("run %+v", failed)
	}
}

// failAfterSend queues the e-mail, then fails as a crash between queuing it
// and marking the run done would: the transaction rolls both back.
type failAfterSend struct {
	next  reportrun.Mailer
	fails atomic.Int32
}

func (m *failAfterSend) Send(ctx context.Context, msg mail.Message) (int64, string, error) {
	id, mid, err := m.next.Send(ctx, msg)
	if err == nil && m.fails.Add(1) == 1 {
		return 0, "", errors.New("process killed")
	}
	return id, mid, err
}

// TestNothingSentTwiceNorSkipped: an attempt that dies after queuing its
// e-mail leaves no e-mail behind and the next attempt sends it; a job that
// runs again once the run is done sends nothing more.
func TestNothingSentTwiceNorSkipped(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			var calls atomic.Int32
			e := newEnv(t, dialect, envOptions{
				gens:   map[string]report.Generator{report.DocMonthly: fixed(&calls)},
				mailer: func(m reportrun.Mailer) reportrun.Mailer { return &failAfterSend{next: m} },
			})
			ctx := t.Context()
			r, err := e.svc.Generate(ctx, sys, e.acme.ID, report.DocMonthly, "2026-09", true)
			if err != nil {
				t.Fatal(err)
			}
			done, _ := e.wait(t, r.ID)
			if done.Status != reportrun.StatusDone || done.Attempts != 2 {
				t.Fatalf("run %+v", done)
			}
			msg := e.receive(t)
			if _, ok := attachments(t, msg.raw)["doc-2026-09.pdf"]; !ok {
				t.Error("no PDF attached")
			}
			// The job of the same generation runs again (River lost its
			// completion): nothing is generated or sent.
			job := &river.Job[reportrun.RunArgs]{JobRow: &rivertype.JobRow{Attempt: 1, MaxAttempts: 3}, Args: reportrun.RunArgs{RunID: r.ID, Generation: done.Generation}}
			if err := e.svc.Worker().Work(ctx, job); err != nil {
				t.Fatal(err)
			}
			select {
			case extra := <-e.sender.got:
				t.Fatalf("a second message was delivered: %s", extra.raw[:100])
			case <-time.After(300 * time.Millisecond):
			}
			if n := e.count(t, `SELECT COUNT(*) FROM mail_log`); n != 1 {
				t.Errorf("%d mails logged, want 1", n)
			}
			if got := calls.Load(); got != 2 {
				t.Errorf("generated %d times, want 2 (the failed attempt and the good one)", got)
			}
		})
	}
}

// TestGenerateOnDemand: periods that cannot be generated are refused with
// the field named; generating a period again replaces its run; a run not
// to be sent is archived without e-mail.
func TestGenerateOnDemand(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			var calls atomic.Int32
			e := newEnv(t, dialect, envOptions{gens: map[string]report.Generator{report.DocMonthly: fixed(&calls), report.DocDaily: fixed(&calls)}})
			ctx := t.Context()
			bad := []struct {
				name, kind, period, field, code string
			}{
				{"unknown kind", "weekly", "2026-10", "kind", "invalid_choice"},
				{"malformed month", report.DocMonthly, "2026-13", "period", "invalid_format"},
				{"day for a month", report.DocMonthly, "2026-10-05", "period", "invalid_format"},
				{"future month", report.DocMonthly, "2027-01", "from", "in_future"},
				{"running month", report.DocMonthly, "2026-11", "period", reportrun.CodeNotOver},
				{"running day", report.DocDaily, "2026-11-01", "period", reportrun.CodeNotOver},
			}
			for _, tc := range bad {
				t.Run(tc.name, func(t *testing.T) {
					_, err := e.svc.Generate(ctx, sys, e.acme.ID, tc.kind, tc.period, true)
					v, ok := fault.AsInvalid(err)
					if !ok || !v.Has(tc.field) || v.Fields[0].Code != tc.code {
						t.Fatalf("Generate = %v, want %s: %s", err, tc.field, tc.code)
					}
				})
			}
			if n := e.count(t, `SELECT COUNT(*) FROM report_runs`); n != 0 {
				t.Fatalf("refused requests left %d runs", n)
			}
			manager := tenant.Scope{UserID: 0, Role: tenant.RoleManager}
			first, err := e.svc.Generate(ctx, manager, e.acme.ID, report.DocMonthly, "2026-08", false)
			if err != nil {
				t.Fatal(err)
			}
			done, _ := e.wait(t, first.ID)
			_, pdf1, err := e.svc.File(ctx, sys, first.ID, reportrun.FilePDF)
			if err != nil {
				t.Fatal(err)
			}
			if done.MailID != nil || len(done.Recipients) != 0 || done.Sent != nil {
				t.Errorf("a run not to be sent was sent: %+v", done)
			}
			again, err := e.svc.Generate(ctx, manager, e.acme.ID, report.DocMonthly, "2026-08", false)
			if err != nil {
				t.Fatal(err)
			}
			if again.ID != first.ID || again.Generation != 2 {
				t.Fatalf("regenerated run %+v, want run %d generation 2", again, first.ID)
			}
			e.wait(t, again.ID)
			_, pdf2, err := e.svc.File(ctx, sys, first.ID, reportrun.FilePDF)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(pdf1, pdf2) {
				t.Error("regenerating kept the old PDF")
			}
			if n := len(e.runs(t, e.acme.ID)); n != 1 {
				t.Errorf("%d runs after regenerating, want 1", n)
			}
			if n := e.count(t, `SELECT COUNT(*) FROM mail_log`); n != 0 {
				t.Errorf("%d mails for runs not to be sent", n)
			}
			if n := e.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = ? AND object = ?`, "report.generate", fmt.Sprintf("report_run:%d", first.ID)); n != 2 {
				t.Errorf("%d journal entries for two generations, want 2", n)
			}
		})
	}
}

// TestRights: a client's users read their own archive and files, not
// another client's; only client.write generates or retries.
func TestRights(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e := newEnv(t, dialect, envOptions{gens: map[string]report.Generator{report.DocMonthly: fixed(&atomic.Int32{})}})
			ctx := t.Context()
			other := e.mkClient(t, "OTHER", "Autre")
			r, err := e.svc.Generate(ctx, sys, e.acme.ID, report.DocMonthly, "2026-09", false)
			if err != nil {
				t.Fatal(err)
			}
			e.wait(t, r.ID)
			own := tenant.Scope{UserID: 50, Role: tenant.RoleClientUser, ClientID: e.acme.ID}
			foreign := tenant.Scope{UserID: 51, Role: tenant.RoleClientAdmin, ClientID: other.ID}
			tech := tenant.Scope{UserID: 52, Role: tenant.RoleTechnician}
			if list, err := e.svc.List(ctx, own, e.acme.ID); err != nil || len(list) != 1 {
				t.Errorf("own user lists %v (%v)", list, err)
			}
			if _, _, err := e.svc.File(ctx, own, r.ID, reportrun.FilePDF); err != nil {
				t.Errorf("own user downloads: %v", err)
			}
			if _, err := e.svc.List(ctx, foreign, e.acme.ID); !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("foreign user lists: %v", err)
			}
			if _, _, err := e.svc.File(ctx, foreign, r.ID, reportrun.FilePDF); !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("foreign user downloads: %v", err)
			}
			for _, s := range []tenant.Scope{own, tech} {
				if _, err := e.svc.Generate(ctx, s, e.acme.ID, report.DocMonthly, "2026-08", false); !errors.Is(err, fault.ErrForbidden) {
					t.Errorf("%s generates: %v", s.Role, err)
				}
			}
			if _, err := e.svc.Generate(ctx, foreign, e.acme.ID, report.DocMonthly, "2026-08", false); !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("foreign user generates: %v", err)
			}
			if _, err := e.svc.Retry(ctx, foreign, r.ID); !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("foreign user retries: %v", err)
			}
		})
	}
}
