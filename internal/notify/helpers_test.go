package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/config"
	"github.com/vigie-hq/vigie/internal/job"
	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/notify"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

var (
	sys     = tenant.System()
	manager = tenant.Scope{UserID: 1, Role: tenant.RoleManager}
)

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

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newDB(t *testing.T, dialect string) *store.DB { return newDBB(t, dialect) }

func newDBB(t testing.TB, dialect string) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), testdb.URL(t, dialect), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db
}

// mkClientB makes a client for benchmarks and returns its id.
func mkClientB(t testing.TB, db *store.DB) int64 {
	t.Helper()
	c := client.Client{Code: "BENCH", Name: "Bench", TimeZone: "Europe/Paris", Language: "en"}
	if err := db.CreateClient(t.Context(), sys, &c); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func mkClient(t *testing.T, db *store.DB, code, name, lang string) client.Client {
	t.Helper()
	c := client.Client{Code: code, Name: name, TimeZone: "Europe/Paris", Language: lang}
	if err := db.CreateClient(t.Context(), sys, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// recordingQueue keeps the jobs Enqueue inserts (routing tests need no worker).
type recordingQueue struct {
	mu   sync.Mutex
	jobs []recorded
}

type recorded struct {
	args notify.FlushArgs
	opts river.InsertOpts
}

func (q *recordingQueue) Insert(_ context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.jobs = append(q.jobs, recorded{args: args.(notify.FlushArgs), opts: *opts})
	return &rivertype.JobInsertResult{Job: &rivertype.JobRow{}}, nil
}

// env is a database, the notification service and, when started, the job
// queue working its flush jobs and the mail outbox's jobs.
type env struct {
	db    *store.DB
	svc   *notify.Service
	clk   *clock
	queue *job.Queue
	smtp  *smtpServer
}

// fastRetry retries failed jobs 50 ms later instead of River's seconds.
type fastRetry struct{}

func (fastRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(50 * time.Millisecond) }

// newEnv builds the service on a fresh database with the job queue running.
// The clock starts an hour behind real time unless deps.Now is set, so that
// flush jobs are due at once.
func newEnv(t *testing.T, dialect string, deps notify.Deps) *env {
	t.Helper()
	e := &env{db: newDB(t, dialect), clk: &clock{t: time.Now().Add(-time.Hour).UTC()}}
	deps.Store = e.db
	deps.Journal = audit.NewJournal(e.db, nil)
	if deps.BaseURL == "" {
		deps.BaseURL = "https://vigie.example"
	}
	if deps.Now == nil {
		deps.Now = e.clk.Now
	}
	svc, err := notify.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	e.smtp = newSMTPServer(t)
	sender, err := mail.NewSMTPSender(config.SMTP{Host: "127.0.0.1", Port: e.smtp.port, TLS: "none"}, mail.SenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	q, err := job.New(t.Context(), e.db, nil, func(w *river.Workers) {
		river.AddWorker(w, svc.Worker())
		river.AddWorker(w, mail.NewWorker(e.db, sender, nil))
	}, job.Options{FetchPollInterval: 50 * time.Millisecond, FetchCooldown: 10 * time.Millisecond, RetryPolicy: fastRetry{}})
	if err != nil {
		t.Fatal(err)
	}
	e.queue = q
	svc.SetQueue(q)
	outbox, err := mail.NewOutbox(e.db, q, provider.NewService(e.db, deps.Journal), mail.Options{BaseURL: "https://vigie.example", From: "vigie@msp.example"})
	if err != nil {
		t.Fatal(err)
	}
	svc.SetMailer(outbox)
	if err := q.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
		_ = q.Close()
	})
	return e
}

// channel creates a channel with the manager's scope.
func (e *env) channel(t *testing.T, c notify.Channel) notify.Channel {
	t.Helper()
	if c.Name == "" {
		c.Name = string(c.Kind)
	}
	if !c.OnProblems && !c.OnRecoveries {
		c.OnProblems, c.OnRecoveries = true, true
	}
	c.Enabled = true
	if err := e.svc.Create(t.Context(), manager, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) pending(t *testing.T, channelID int64) int {
	t.Helper()
	_, n, err := e.db.PendingNotifyItems(t.Context(), channelID, 0)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	q := query
	if e.db.Dialect() == store.Postgres {
		q = ""
		i := 0
		for _, r := range query {
			if r == '?' {
				i++
				q += "$" + strconv.Itoa(i)
				continue
			}
			q += string(r)
		}
	}
	if err := e.db.SQL().QueryRowContext(t.Context(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// notice is a hard state change of check id on srv-01 of a client.
func notice(clientID, checkID int64, kind check.EventKind, from, to check.State, at time.Time) supervision.Notice {
	return supervision.Notice{
		Event: supervision.Event{ID: 1000 + checkID, CheckID: checkID, ClientID: clientID, AssetID: 7, Event: check.Event{
			At: at, Kind: kind, From: from, To: to, Type: check.Hard, Output: "DISK " + to.String() + " - free space: / 3 GB (3%)", Notify: true}},
		Check: supervision.Check{ID: checkID, ClientID: clientID, AssetID: 7, Name: "Disk /", Rules: supervision.Rules{Severity: supervision.SeverityMajor}},
		Asset: supervision.AssetRef{ID: 7, ClientID: clientID, Name: "srv-01"},
	}
}

// receiver is an HTTP endpoint on loopback that records what it gets and
// answers the statuses of its script (then 200).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	script []int
	hits   int
	got    chan request
}

type request struct {
	header http.Header
	body   []byte
	status int
}

func newReceiver(t *testing.T, script ...int) *receiver {
	t.Helper()
	r := &receiver{script: script, got: make(chan request, 256)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := http.StatusOK
		if r.hits < len(r.script) {
			status = r.script[r.hits]
		}
		r.hits++
		r.mu.Unlock()
		r.got <- request{header: req.Header.Clone(), body: body, status: status}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(http.StatusText(status)))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits
}

// next waits for the next request.
func (r *receiver) next(t *testing.T) request {
	t.Helper()
	select {
	case req := <-r.got:
		return req
	case <-time.After(30 * time.Second):
		t.Fatal("no request reached the receiver in time")
	}
	return request{}
}

// none checks that nothing more arrives for a while.
func (r *receiver) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case req := <-r.got:
		t.Fatalf("unexpected request: %s", req.body)
	case <-time.After(d):
	}
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, b)
	}
	return m
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ---- a real SMTP server on loopback (emersion/go-smtp) ----

type smtpServer struct {
	port int
	got  chan received
}

type received struct {
	from string
	to   []string
	data []byte
}

func newSMTPServer(t *testing.T) *smtpServer {
	t.Helper()
	s := &smtpServer{got: make(chan received, 32)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: s}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l) //nolint:errcheck // ends with Close
	t.Cleanup(func() { srv.Close() })
	s.port = l.Addr().(*net.TCPAddr).Port
	return s
}

type smtpSession struct {
	srv  *smtpServer
	from string
	to   []string
}

func (ss *smtpSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *smtpSession) Logout() error { return nil }
func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}
func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}
func (ss *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.srv.got <- received{from: ss.from, to: ss.to, data: b}
	return nil
}

// mailSubject decodes the Subject of a raw message.
func mailSubject(t *testing.T, raw []byte) string {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mailPart returns the decoded body part of a raw message of the media type
// (text/plain, text/html), searching nested multiparts.
func mailPart(t *testing.T, raw []byte, want string) string {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var find func(ct string, header func(string) string, body io.Reader) string
	find = func(ct string, header func(string) string, body io.Reader) string {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			return ""
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err != nil {
					return ""
				}
				if s := find(p.Header.Get("Content-Type"), p.Header.Get, p); s != "" {
					return s
				}
			}
		}
		if mt != want {
			return ""
		}
		var r io.Reader = body
		if strings.EqualFold(header("Content-Transfer-Encoding"), "quoted-printable") {
			r = quotedprintable.NewReader(body)
		}
		b, _ := io.ReadAll(r)
		return string(b)
	}
	return find(m.Header.Get("Content-Type"), m.Header.Get, m.Body)
}
