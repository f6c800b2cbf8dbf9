package mail_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/config"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/job"
	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/user"
)

// ---- the outbox on a real database and queue ----

// fastRetry retries after 50 ms instead of River's attempt⁴ seconds.
type fastRetry struct{}

func (fastRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(50 * time.Millisecond) }

type fixture struct {
	db     *store.DB
	queue  *job.Queue
	outbox *mail.Outbox
}

const baseURL = "https://vigie.msp.example:8443"

// newFixture opens a migrated database at url, the queue with a mail worker
// on sender and an outbox; start starts the workers.
func newFixture(t *testing.T, url string, sender mail.Sender, maxAttempts int, start bool) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	worker := mail.NewWorker(db, sender, nil)
	q, err := job.New(ctx, db, nil, func(w *river.Workers) { river.AddWorker(w, worker) }, job.Options{
		FetchPollInterval: 50 * time.Millisecond,
		FetchCooldown:     10 * time.Millisecond,
		RetryPolicy:       fastRetry{},
	})
	if err != nil {
		t.Fatal(err)
	}
	ob, err := mail.NewOutbox(db, q, provider.NewService(db, nil), mail.Options{BaseURL: baseURL, MaxAttempts: maxAttempts})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, queue: q, outbox: ob}
	t.Cleanup(f.close)
	if start {
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *fixture) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = f.queue.Stop(ctx)
	_ = f.queue.Close()
	_ = f.db.Close()
}

func (f *fixture) setProvider(t *testing.T, name, email, lang string) {
	t.Helper()
	p, err := f.db.Provider(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p.Name, p.Email, p.Language = name, email, lang
	if err := f.db.SaveProvider(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

// waitStatus waits until the logged message leaves the queued status.
func (f *fixture) waitStatus(t *testing.T, id int64, want mail.Status) mail.Entry {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		e, err := f.outbox.Get(context.Background(), tenant.System(), id)
		if err != nil {
			t.Fatal(err)
		}
		if e.Status != mail.StatusQueued || time.Now().After(deadline) {
			if e.Status != want {
				t.Fatalf("mail %d status %q (attempts %d, last error %q), want %q", id, e.Status, e.Attempts, e.LastError, want)
			}
			return e
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func receive(t *testing.T, s *smtpServer) received {
	t.Helper()
	select {
	case r := <-s.got:
		return r
	case <-time.After(15 * time.Second):
		t.Fatal("no message reached the SMTP server")
		return received{}
	}
}

// parsed is a received message, decoded.
type parsed struct {
	header    netmail.Header
	text      string
	html      string
	rawHeader string
}

func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, raw)
	}
	p := parsed{header: m.Header, rawHeader: string(raw[:bytes.Index(raw, []byte("\r\n\r\n"))])}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	readPart := func(ct, cte string, r io.Reader) {
		b := decodeBody(t, cte, r)
		switch {
		case strings.HasPrefix(ct, "text/plain"):
			p.text = b
		case strings.HasPrefix(ct, "text/html"):
			p.html = b
		}
	}
	if !strings.HasPrefix(mt, "multipart/") {
		readPart(mt, m.Header.Get("Content-Transfer-Encoding"), m.Body)
		return p
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		readPart(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part)
	}
	return p
}

func decodeBody(t *testing.T, cte string, r io.Reader) string {
	t.Helper()
	var b []byte
	var err error
	switch strings.ToLower(cte) {
	case "quoted-printable":
		b, err = io.ReadAll(quotedprintable.NewReader(r))
	case "base64":
		b, err = io.ReadAll(base64.NewDecoder(base64.StdEncoding, r))
	default:
		b, err = io.ReadAll(r)
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

func decodeHeader(t *testing.T, v string) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ---- tests ----

func TestDelivery(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			srv := newSMTPServer(t)
			sender, err := mail.NewSMTPSender(srv.config(), mail.SenderOptions{Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, testdb.URL(t, dialect), sender, 0, true)
			f.setProvider(t, "Infogérance Dupont", "support@dupont.example", "fr")
			ctx := context.Background()
			msg := mail.Message{
				To:         []string{"Élodie Martin <elodie@client.example>", "ops@client.example"},
				Subject:    "Ticket #42 : serveur arrêté",
				Text:       "Le serveur SRV-01 est arrêté.\nNous intervenons.",
				HTML:       "<p>Le serveur <b>SRV-01</b> est arrêté.</p>",
				InReplyTo:  "<orig-1@client.example>",
				References: []string{"orig-0@client.example", "<orig-1@client.example>"},
			}
			id, messageID, err := f.outbox.Send(ctx, msg)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(messageID, "@vigie.msp.example") {
				t.Errorf("Message-ID %q is not under the base URL's host", messageID)
			}
			r := receive(t, srv)
			if r.from != "support@dupont.example" {
				t.Errorf("MAIL FROM %q, want the provider's address", r.from)
			}
			if strings.Join(r.to, " ") != "elodie@client.example ops@client.example" {
				t.Errorf("RCPT TO %v", r.to)
			}
			p := parse(t, r.data)
			if got := decodeHeader(t, p.header.Get("Subject")); got != msg.Subject {
				t.Errorf("Subject %q, want %q", got, msg.Subject)
			}
			from, err := p.header.AddressList("From")
			if err != nil || len(from) != 1 || from[0].Name != "Infogérance Dupont" || from[0].Address != "support@dupont.example" {
				t.Errorf("From %v (%v)", from, err)
			}
			to, err := p.header.AddressList("To")
			if err != nil || len(to) != 2 || to[0].Name != "Élodie Martin" || to[0].Address != "elodie@client.example" {
				t.Errorf("To %v (%v)", to, err)
			}
			if got := p.header.Get("Message-Id"); got != "<"+messageID+">" {
				t.Errorf("Message-ID header %q, want <%s>", got, messageID)
			}
			if got := p.header.Get("In-Reply-To"); got != "<orig-1@client.example>" {
				t.Errorf("In-Reply-To %q", got)
			}
			if got := p.header.Get("References"); got != "<orig-0@client.example> <orig-1@client.example>" {
				t.Errorf("References %q", got)
			}
			if _, err := p.header.Date(); err != nil {
				t.Errorf("Date: %v", err)
			}
			if !strings.Contains(p.text, "Le serveur SRV-01 est arrêté.\nNous intervenons.") {
				t.Errorf("text part %q", p.text)
			}
			if !strings.Contains(p.html, "<b>SRV-01</b> est arrêté") {
				t.Errorf("html part %q", p.html)
			}

			e := f.waitStatus(t, id, mail.StatusSent)
			if e.Attempts != 1 || e.Sent == nil || e.LastError != "" || e.EMLPath != "" {
				t.Errorf("log entry after delivery: %+v", e)
			}
			if !bytes.Equal(e.Raw, r.data) {
				t.Error("the logged message differs from the one delivered")
			}
			if e.Subject != msg.Subject || strings.Join(e.To, ",") != "elodie@client.example,ops@client.example" {
				t.Errorf("log entry %+v", e)
			}
		})
	}
}

func TestTemporaryFailureIsRetried(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			srv := newSMTPServer(t)
			srv.setFailData(1)
			sender, err := mail.NewSMTPSender(srv.config(), mail.SenderOptions{Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, testdb.URL(t, dialect), sender, 0, true)
			id, _, err := f.outbox.Send(context.Background(), mail.Message{To: []string{"a@client.example"}, Subject: "Retry", Text: "body"})
			if err != nil {
				t.Fatal(err)
			}
			r := receive(t, srv)
			if p := parse(t, r.data); p.header.Get("Subject") != "Retry" {
				t.Errorf("delivered %q", p.header.Get("Subject"))
			}
			e := f.waitStatus(t, id, mail.StatusSent)
			if e.Attempts != 2 {
				t.Errorf("attempts %d, want 2 (451, then accepted)", e.Attempts)
			}
			if n := srv.dataCount(); n != 2 {
				t.Errorf("server saw %d DATA, want 2", n)
			}
		})
	}
}

func TestFailures(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			srv := newSMTPServer(t)
			srv.reject["nobody@client.example"] = true
			srv.setFailData(1000)
			sender, err := mail.NewSMTPSender(srv.config(), mail.SenderOptions{Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, testdb.URL(t, dialect), sender, 3, true)
			ctx := context.Background()

			// 550: refused for good at once, not retried.
			rejected, _, err := f.outbox.Send(ctx, mail.Message{To: []string{"nobody@client.example"}, Subject: "Rejected", Text: "body"})
			if err != nil {
				t.Fatal(err)
			}
			e := f.waitStatus(t, rejected, mail.StatusFailed)
			if e.Attempts != 1 || !strings.Contains(e.LastError, "550") || e.Sent != nil {
				t.Errorf("rejected mail: attempts %d, last error %q, sent %v", e.Attempts, e.LastError, e.Sent)
			}

			// 451 every time: failed after MaxAttempts tries.
			deferred, _, err := f.outbox.Send(ctx, mail.Message{To: []string{"a@client.example"}, Subject: "Deferred", Text: "body"})
			if err != nil {
				t.Fatal(err)
			}
			e = f.waitStatus(t, deferred, mail.StatusFailed)
			if e.Attempts != 3 || !strings.Contains(e.LastError, "451") {
				t.Errorf("deferred mail: attempts %d, last error %q", e.Attempts, e.LastError)
			}
			// River finalises a job just after its worker returns.
			deadline := time.Now().Add(10 * time.Second)
			for {
				counts, err := f.queue.Counts(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if counts[string(rivertype.JobStateCancelled)] == 1 && counts[string(rivertype.JobStateDiscarded)] == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("job states %v, want one cancelled (550) and one discarded (out of attempts)", counts)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

func TestEMLFallback(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			dataDir := t.TempDir()
			sender, err := mail.NewSender(config.SMTP{}, dataDir, mail.SenderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, testdb.URL(t, dialect), sender, 0, true)
			f.setProvider(t, "MSP", "", "en")
			id, messageID, err := f.outbox.Send(context.Background(), mail.Message{To: []string{"a@client.example"}, Subject: "Stored", Text: "kept on disk", HTML: "<p>kept on disk</p>"})
			if err != nil {
				t.Fatal(err)
			}
			e := f.waitStatus(t, id, mail.StatusSent)
			if filepath.Dir(e.EMLPath) != filepath.Join(dataDir, "mail") || !strings.HasSuffix(e.EMLPath, "-"+strconv.FormatInt(id, 10)+".eml") {
				t.Fatalf("eml path %q", e.EMLPath)
			}
			st, err := os.Stat(e.EMLPath)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("eml mode %v, want 0600", st.Mode().Perm())
			}
			raw, err := os.ReadFile(e.EMLPath)
			if err != nil {
				t.Fatal(err)
			}
			p := parse(t, raw)
			if p.header.Get("Subject") != "Stored" || p.header.Get("Message-Id") != "<"+messageID+">" {
				t.Errorf("eml headers: %s", p.rawHeader)
			}
			from, err := p.header.AddressList("From")
			if err != nil || from[0].Address != "no-reply@vigie.msp.example" || from[0].Name != "MSP" {
				t.Errorf("From %v (%v): no address configured, want no-reply at the base URL's host", from, err)
			}
			if strings.TrimSpace(p.text) != "kept on disk" || !strings.Contains(p.html, "<p>kept on disk</p>") {
				t.Errorf("eml bodies %q / %q", p.text, p.html)
			}
			entries, err := os.ReadDir(filepath.Join(dataDir, "mail"))
			if err != nil || len(entries) != 1 {
				t.Errorf("mail directory holds %d entries (%v), want the one .eml", len(entries), err)
			}
		})
	}
}

func TestRolledBackTransactionSendsNothing(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			srv := newSMTPServer(t)
			sender, err := mail.NewSMTPSender(srv.config(), mail.SenderOptions{Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, testdb.URL(t, dialect), sender, 0, true)
			ctx := context.Background()
			boom := errors.New("boom")
			err = f.db.InTx(ctx, func(ctx context.Context) error {
				if _, _, err := f.outbox.Send(ctx, mail.Message{To: []string{"a@client.example"}, Subject: "Rolled back", Text: "x"}); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("InTx: %v", err)
			}
			// A committed message afterwards goes through: once it has arrived,
			// the rolled-back one would have too.
			var committed int64
			if err := f.db.InTx(ctx, func(ctx context.Context) error {
				committed, _, err = f.outbox.Send(ctx, mail.Message{To: []string{"b@client.example"}, Subject: "Committed", Text: "x"})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			r := receive(t, srv)
			if got := parse(t, r.data).header.Get("Subject"); got != "Committed" {
				t.Fatalf("delivered %q, want only the committed message", got)
			}
			f.waitStatus(t, committed, mail.StatusSent)
			select {
			case r := <-srv.got:
				t.Fatalf("a second message was delivered: %s", r.data)
			case <-time.After(300 * time.Millisecond):
			}
			list, err := f.outbox.List(ctx, tenant.System(), mail.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 || list[0].ID != committed {
				t.Errorf("mail log %+v, want only the committed message", list)
			}
			counts, err := f.queue.Counts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			for _, n := range counts {
				total += n
			}
			if total != 1 {
				t.Errorf("jobs %v, want the committed one only", counts)
			}
		})
	}
}

// TestQueuedMailSurvivesRestart: a message acknowledged while the workers
// were down (or the process crashed before sending) is sent by the next process.
func TestQueuedMailSurvivesRestart(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			srv := newSMTPServer(t)
			sender, err := mail.NewSMTPSender(srv.config(), mail.SenderOptions{Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			url := testdb.URL(t, dialect)
			first := newFixture(t, url, sender, 0, false)
			id, _, err := first.outbox.Send(context.Background(), mail.Message{To: []string{"a@client.example"}, Subject: "Survivor", Text: "x"})
			if err != nil {
				t.Fatal(err)
			}
			first.close()
			select {
			case <-srv.got:
				t.Fatal("sent without workers")
			default:
			}
			second := newFixture(t, url, sender, 0, true)
			if got := parse(t, receive(t, srv).data).header.Get("Subject"); got != "Survivor" {
				t.Fatalf("delivered %q", got)
			}
			second.waitStatus(t, id, mail.StatusSent)
		})
	}
}

func TestOnlyAdminsReadTheLog(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			f := newFixture(t, testdb.URL(t, dialect), mail.NewFileSender(t.TempDir()), 0, false)
			ctx := context.Background()
			var ids []int64
			for i := range 5 {
				id, _, err := f.outbox.Send(ctx, mail.Message{To: []string{"a@client.example"}, Subject: "n" + strconv.Itoa(i), Text: "x"})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			for _, s := range []tenant.Scope{
				{UserID: 1, Role: tenant.RoleManager},
				{UserID: 2, Role: tenant.RoleTechnician},
				{UserID: 3, Role: tenant.RoleClientAdmin, ClientID: 1},
				{UserID: 4, Role: tenant.RoleClientUser, ClientID: 1},
			} {
				if _, err := f.outbox.List(ctx, s, mail.Filter{}); !errors.Is(err, fault.ErrForbidden) {
					t.Errorf("%s listed the mail log: %v", s.Role, err)
				}
				if _, err := f.outbox.Get(ctx, s, ids[0]); !errors.Is(err, fault.ErrForbidden) {
					t.Errorf("%s read a message: %v", s.Role, err)
				}
			}
			admin := tenant.Scope{UserID: 5, Role: tenant.RoleAdmin}
			// Newest first, two at a time, with the cursor.
			var got []int64
			before := int64(0)
			for page := 0; page < 10; page++ {
				list, err := f.outbox.List(ctx, admin, mail.Filter{Before: before, Limit: 2})
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range list {
					if e.Raw != nil {
						t.Error("List loaded the raw message")
					}
					got = append(got, e.ID)
				}
				if len(list) < 2 {
					break
				}
				before = list[len(list)-1].ID
			}
			want := []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}
			if !slices.Equal(got, want) {
				t.Errorf("pages gave %v, want %v", got, want)
			}
			e, err := f.outbox.Get(ctx, admin, ids[2])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(e.Raw, []byte("Subject: n2")) {
				t.Errorf("raw message:\n%s", e.Raw)
			}
			if _, err := f.outbox.Get(ctx, admin, ids[4]+100); !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("missing message: %v, want not found", err)
			}
		})
	}
}

func TestPasswordReset(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t, testdb.URL(t, "sqlite"), mail.NewFileSender(dir), 0, false)
	ctx := context.Background()
	link := "https://vigie.msp.example:8443/reset?token=abc&x=1"
	tests := []struct {
		name, userLang, providerLang string
		subject                      string
		text                         []string
	}{
		{"user's language", "en", "fr", "Reset your Vigie password", []string{"valid for one hour", "only once"}},
		{"user's language fr", "fr", "en", "Réinitialisation de votre mot de passe Vigie", []string{"valable une heure", "une seule fois"}},
		{"provider's language", "", "en", "Reset your Vigie password", []string{"valid for one hour"}},
		{"French otherwise", "de", "de", "Réinitialisation de votre mot de passe Vigie", []string{"valable une heure"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.setProvider(t, "Dupont & Fils", "support@dupont.example", tc.providerLang)
			clientID := int64(7)
			u := user.User{Email: "jo@client.example", Name: "Jo <script>", Language: tc.userLang, ClientID: &clientID}
			if err := f.outbox.PasswordReset(ctx, u, link); err != nil {
				t.Fatal(err)
			}
			list, err := f.outbox.List(ctx, tenant.System(), mail.Filter{Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			e, err := f.outbox.Get(ctx, tenant.System(), list[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if e.ClientID == nil || *e.ClientID != 7 || e.Status != mail.StatusQueued {
				t.Errorf("log entry %+v", e)
			}
			p := parse(t, e.Raw)
			if got := decodeHeader(t, p.header.Get("Subject")); got != tc.subject {
				t.Errorf("subject %q, want %q", got, tc.subject)
			}
			from, err := p.header.AddressList("From")
			if err != nil || from[0].Name != "Dupont & Fils" || from[0].Address != "support@dupont.example" {
				t.Errorf("From %v (%v)", from, err)
			}
			to, err := p.header.AddressList("To")
			if err != nil || to[0].Address != "jo@client.example" {
				t.Errorf("To %v (%v)", to, err)
			}
			for _, want := range append(tc.text, link, "Dupont & Fils") {
				if !strings.Contains(p.text, want) {
					t.Errorf("text lacks %q:\n%s", want, p.text)
				}
			}
			if !strings.Contains(p.html, `href="https://vigie.msp.example:8443/reset?token=abc&amp;x=1"`) {
				t.Errorf("html lacks the escaped link:\n%s", p.html)
			}
			if strings.Contains(p.html, "<script>") || !strings.Contains(p.html, "Jo &lt;script&gt;") {
				t.Errorf("html does not escape the user's name:\n%s", p.html)
			}
			if !strings.Contains(p.html, "Dupont &amp; Fils") {
				t.Errorf("html lacks the provider's name:\n%s", p.html)
			}
		})
	}
}

func TestSendValidates(t *testing.T) {
	f := newFixture(t, testdb.URL(t, "sqlite"), mail.NewFileSender(t.TempDir()), 0, false)
	tests := []struct {
		name  string
		msg   mail.Message
		field string
	}{
		{"no recipient", mail.Message{Subject: "s", Text: "t"}, "to"},
		{"bad address", mail.Message{To: []string{"not an address"}, Subject: "s", Text: "t"}, "to"},
		{"no subject", mail.Message{To: []string{"a@b.example"}, Subject: " \r\n", Text: "t"}, "subject"},
		{"no text", mail.Message{To: []string{"a@b.example"}, Subject: "s"}, "text"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := f.outbox.Send(context.Background(), tc.msg)
			v, ok := fault.AsInvalid(err)
			if !ok || !v.Has(tc.field) {
				t.Fatalf("Send = %v, want invalid %s", err, tc.field)
			}
		})
	}
	list, err := f.outbox.List(context.Background(), tenant.System(), mail.Filter{})
	if err != nil || len(list) != 0 {
		t.Errorf("invalid messages were logged: %v %v", list, err)
	}
}

// TestConcurrentSends: requests enqueueing mail in their transactions while
// the workers deliver and mark mail sent, the two writers of one SQLite file
// (the store's connection and the queue's) take turns without error.
func TestConcurrentSends(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			f := newFixture(t, testdb.URL(t, dialect), mail.NewFileSender(t.TempDir()), 0, true)
			ctx := context.Background()
			const goroutines, each = 4, 10
			errs := make(chan error, goroutines*each)
			ids := make(chan int64, goroutines*each)
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						err := f.db.InTx(ctx, func(ctx context.Context) error {
							id, _, err := f.outbox.Send(ctx, mail.Message{To: []string{"a@client.example"}, Subject: fmt.Sprintf("g%d-%d", g, i), Text: "x"})
							ids <- id
							return err
						})
						if err != nil {
							errs <- err
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			close(ids)
			for err := range errs {
				t.Error(err)
			}
			for id := range ids {
				f.waitStatus(t, id, mail.StatusSent)
			}
		})
	}
}

var _ auth.Mailer = (*mail.Outbox)(nil)
