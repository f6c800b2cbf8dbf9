package reportrun_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/i18n"
	"github.com/vigie-hq/vigie/internal/job"
	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/reportrun"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

var sys = tenant.System()

// clock is a settable clock shared by the service and the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// sent is a message the mail worker delivered.
type sent struct {
	to  []string
	raw []byte
}

// recordingSender is the mail worker's SMTP side: it keeps what it is given.
type recordingSender struct {
	got chan sent
}

func (s *recordingSender) Send(_ context.Context, env mail.Envelope, raw []byte) (string, error) {
	s.got <- sent{to: env.To, raw: raw}
	return "", nil
}

// env is a database with clients and contracts, the report service, the
// job queue working its jobs and the mail outbox's.
type env struct {
	db        *store.DB
	clk       *clock
	svc       *reportrun.Service
	queue     *job.Queue
	outbox    *mail.Outbox
	sender    *recordingSender
	contracts *contract.Service
	texts     *i18n.Bundle
	// acme has a contract in force with a daily and a monthly report sent
	// to one contact.
	acme    client.Client
	contact client.Contact
	ct      contract.Contract
}

// envOptions tune newEnv.
type envOptions struct {
	gens        map[string]report.Generator
	maxAttempts int
	backoff     time.Duration
	// mailer wraps the outbox the service sends through.
	mailer func(reportrun.Mailer) reportrun.Mailer
	// noStart leaves the queue's workers stopped.
	noStart bool
}

// paris is the clients' zone; the clock starts on 1 November 2026 at 07:00
// there: the daily report of 31 October and the monthly one of October are due.
func paris(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func newEnv(t testing.TB, dialect string, o envOptions) *env {
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
	texts, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, clk: &clock{t: time.Date(2026, 11, 1, 7, 0, 0, 0, paris(t))}, texts: texts}
	e.contracts = contract.NewService(db, nil, e.clk.Now)
	if o.maxAttempts == 0 {
		o.maxAttempts = 3
	}
	if o.backoff == 0 {
		o.backoff = 20 * time.Millisecond
	}
	svc, err := reportrun.New(reportrun.Deps{
		Store: db, Contracts: e.contracts, Texts: texts, Generators: o.gens, Journal: audit.NewJournal(db, e.clk.Now), BaseURL: "https://vigie.example",
		Now: e.clk.Now, MaxAttempts: o.maxAttempts, Backoff: func(int) time.Duration { return o.backoff },
	})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	e.sender = &recordingSender{got: make(chan sent, 32)}
	q, err := job.New(ctx, db, nil, func(w *river.Workers) {
		river.AddWorker(w, svc.Worker())
		river.AddWorker(w, mail.NewWorker(db, e.sender, nil))
	}, job.Options{FetchPollInterval: 50 * time.Millisecond, FetchCooldown: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.queue = q
	svc.SetQueue(q)
	e.outbox, err = mail.NewOutbox(db, q, provider.NewService(db, nil), mail.Options{BaseURL: "https://vigie.example", From: "rapports@msp.example"})
	if err != nil {
		t.Fatal(err)
	}
	var m reportrun.Mailer = e.outbox
	if o.mailer != nil {
		m = o.mailer(m)
	}
	svc.SetMailer(m)
	if !o.noStart {
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(stop)
		_ = q.Close()
	})
	e.acme = e.mkClient(t, "ACME", "Acmé Industries")
	e.contact = client.Contact{ClientID: e.acme.ID, FirstName: "Élodie", LastName: "Martin", Email: "elodie@acme.example"}
	if err := db.CreateContact(ctx, sys, &e.contact); err != nil {
		t.Fatal(err)
	}
	e.ct = e.mkContract(t, e.acme.ID, "INF-1", date(2025, 1, 1), nil, contract.Reporting{Daily: true, Monthly: true, Recipients: []int64{e.contact.ID}})
	return e
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func (e *env) mkClient(t testing.TB, code, name string) client.Client {
	t.Helper()
	c := client.Client{Code: code, Name: name, TimeZone: "Europe/Paris", Language: "fr"}
	if err := e.db.CreateClient(t.Context(), sys, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) mkContract(t testing.TB, clientID int64, ref string, start time.Time, end *time.Time, r contract.Reporting) contract.Contract {
	t.Helper()
	c := contract.Contract{ClientID: clientID, Reference: ref, Title: "Contrat " + ref, Start: start, End: end, State: contract.StateActive,
		Calendar: sla.AlwaysOpen().String(), Availability: 99.5, Reporting: r,
		Targets: map[sla.Priority]sla.Target{"P1": {TTO: 30 * time.Minute, TTR: 4 * time.Hour}}}
	if err := e.contracts.Create(t.Context(), sys, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// runs returns a client's runs by kind and period ("monthly 2026-10").
func (e *env) runs(t *testing.T, clientID int64) map[string]reportrun.Run {
	t.Helper()
	list, err := e.svc.List(t.Context(), sys, clientID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]reportrun.Run{}
	for _, r := range list {
		out[r.Kind+" "+r.Period] = r
	}
	return out
}

// wait polls a run until it is done or failed and returns it, with every
// status it was seen in.
func (e *env) wait(t *testing.T, id int64) (reportrun.Run, []string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var seen []string
	for {
		r, err := e.svc.Get(t.Context(), sys, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) == 0 || seen[len(seen)-1] != r.Shown() {
			seen = append(seen, r.Shown())
		}
		if r.Status == reportrun.StatusDone || r.Status == reportrun.StatusFailed {
			return r, seen
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d still %s after 20 s (attempts %d, error %q)", id, r.Shown(), r.Attempts, r.LastError)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// count runs a COUNT query written with ? placeholders.
func (e *env) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	query = e.db.Rebind(query)
	var n int
	if err := e.db.SQL().QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// receive returns the next message delivered.
func (e *env) receive(t *testing.T) sent {
	t.Helper()
	select {
	case m := <-e.sender.got:
		return m
	case <-time.After(20 * time.Second):
		t.Fatal("no message was delivered")
		return sent{}
	}
}

// attachments returns the attachments of a raw message by file name.
func attachments(t *testing.T, raw []byte) map[string][]byte {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	var walk func(h interface{ Get(string) string }, body io.Reader)
	walk = func(h interface{ Get(string) string }, body io.Reader) {
		mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextPart() // decodes quoted-printable; base64 below
				if errors.Is(err, io.EOF) {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p.Header, p)
			}
		}
		if d, dp, _ := mime.ParseMediaType(h.Get("Content-Disposition")); d == "attachment" {
			b, err := io.ReadAll(body)
			if err != nil {
				t.Fatal(err)
			}
			if strings.EqualFold(h.Get("Content-Transfer-Encoding"), "base64") {
				b = decode64(t, b)
			}
			out[dp["filename"]] = b
		}
	}
	walk(m.Header, m.Body)
	return out
}

func decode64(t *testing.T, b []byte) []byte {
	t.Helper()
	clean := strings.NewReplacer("\r", "", "\n", "").Replace(string(b))
	out, err := base64.StdEncoding.DecodeString(clean)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
