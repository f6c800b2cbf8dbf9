package helpdeskmail_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/riverqueue/river"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/config"
	"github.com/vigie-hq/vigie/internal/helpdeskmail"
	"github.com/vigie-hq/vigie/internal/job"
	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
)

const (
	baseURL  = "https://vigie.msp.example"
	host     = "vigie.msp.example"
	imapUser = "support@msp.example"
	imapPass = "imap-secret"
)

var sys = tenant.System()

// fixture is a migrated database with the helpdesk, the outbox and the
// helpdesk mail on it, and two clients: Alpha (French) with contacts Anne
// and Bruno and the domain alpha.example, Bravo (English) with Bob.
type fixture struct {
	db       *store.DB
	tickets  *ticket.Service
	svc      *helpdeskmail.Service
	outbox   *mail.Outbox
	notifier *helpdeskmail.Notifier
	alpha    client.Client
	bravo    client.Client
	anne     client.Contact
	bruno    client.Contact
	bob      client.Contact
}

func newFixture(t *testing.T, url string) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sender, err := mail.NewSender(config.SMTP{}, t.TempDir(), mail.SenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	worker := mail.NewWorker(db, sender, nil)
	q, err := job.New(ctx, db, nil, func(w *river.Workers) { river.AddWorker(w, worker) }, job.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = q.Close()
		_ = db.Close()
	})
	journal := audit.NewJournal(db, nil)
	providers := provider.NewService(db, journal)
	p, err := db.Provider(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Name, p.Email = "Infogérance Dupont", "support@msp.example"
	if err := db.SaveProvider(ctx, p); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db}
	f.tickets = ticket.NewService(db, db, db, journal, nil, nil)
	f.svc, err = helpdeskmail.NewService(db, f.tickets, journal, helpdeskmail.Options{BaseURL: baseURL, OwnAddresses: []string{"noreply@msp.example"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.outbox, err = mail.NewOutbox(db, q, providers, mail.Options{BaseURL: baseURL})
	if err != nil {
		t.Fatal(err)
	}
	f.notifier, err = helpdeskmail.NewNotifier(f.outbox, db, providers, db, baseURL)
	if err != nil {
		t.Fatal(err)
	}
	f.notifier.SetRater(f.tickets)
	f.alpha = f.mkClient(t, "ALPHA", "Alpha SARL", "fr")
	f.bravo = f.mkClient(t, "BRAVO", "Bravo Ltd", "en")
	f.anne = f.mkContact(t, f.alpha.ID, "Anne", "Martin", "anne@alpha.example")
	f.bruno = f.mkContact(t, f.alpha.ID, "Bruno", "Petit", "bruno@alpha.example")
	f.bob = f.mkContact(t, f.bravo.ID, "Bob", "Smith", "bob@bravo.example")
	if err := f.svc.AddDomainRule(ctx, sys, &helpdeskmail.DomainRule{Domain: "alpha.example", ClientID: f.alpha.ID}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) mkClient(t *testing.T, code, name, lang string) client.Client {
	t.Helper()
	c := client.Client{Code: code, Name: name, TimeZone: "Europe/Paris", Language: lang}
	if err := f.db.CreateClient(context.Background(), sys, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) mkContact(t *testing.T, clientID int64, first, last, email string) client.Contact {
	t.Helper()
	c := client.Contact{ClientID: clientID, FirstName: first, LastName: last, Email: email}
	if err := f.db.CreateContact(context.Background(), sys, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// newTicket opens a ticket requested by a contact, as that contact.
func (f *fixture) newTicket(t *testing.T, c client.Contact, title string) ticket.Ticket {
	t.Helper()
	tk := ticket.Ticket{Type: ticket.TypeIncident, Title: title, Description: "d"}
	if err := f.tickets.Create(context.Background(), tenant.Scope{Role: tenant.RoleClientUser, ClientID: c.ClientID, ContactID: c.ID}, &tk); err != nil {
		t.Fatal(err)
	}
	return tk
}

func (f *fixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if f.db.Dialect() == store.Postgres {
		for i := 1; strings.Contains(query, "?"); i++ {
			query = strings.Replace(query, "?", "$"+strconv.Itoa(i), 1)
		}
	}
	if err := f.db.SQL().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// imapServer is an in-memory IMAP server on loopback with one user and its INBOX.
type imapServer struct {
	addr string
}

func newIMAPServer(t *testing.T) *imapServer {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(imapUser, imapPass)
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		InsecureAuth: true,
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return &imapServer{addr: ln.Addr().String()}
}

// appendMessages adds messages to the INBOX as a mail client would.
func (s *imapServer) appendMessages(t *testing.T, raws ...[]byte) {
	t.Helper()
	c, err := imapclient.DialInsecure(s.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(imapUser, imapPass).Wait(); err != nil {
		t.Fatal(err)
	}
	for _, raw := range raws {
		cmd := c.Append("INBOX", int64(len(raw)), nil)
		if _, err := cmd.Write(raw); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.Logout().Wait()
}

func (s *imapServer) mailbox(t *testing.T) helpdeskmail.Mailbox {
	h, p, err := net.SplitHostPort(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	return helpdeskmail.Mailbox{Name: "Support", Address: imapUser, Host: h, Port: port, TLS: helpdeskmail.TLSNone, Username: imapUser, Password: imapPass, Enabled: true, MarkSeen: true}
}

func eml(from, subject, extra, body string) []byte {
	h := "From: " + from + "\r\nTo: support@msp.example\r\nSubject: " + subject + "\r\nMessage-ID: <" + strconv.FormatInt(time.Now().UnixNano(), 36) + "." + strings.ReplaceAll(strings.ToLower(subject), " ", "") + "@client.example>\r\nDate: Mon, 3 Mar 2025 10:00:00 +0100\r\n"
	if extra != "" {
		h += strings.ReplaceAll(extra, "\n", "\r\n") + "\r\n"
	}
	if !strings.Contains(extra, "Content-Type") {
		h += "Content-Type: text/plain; charset=utf-8\r\n"
	}
	return []byte(h + "\r\n" + body)
}

// runPoller runs a poller of the mailbox until the returned stop is called.
func (f *fixture) runPoller(t *testing.T, id int64) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := f.svc.NewPoller(id, helpdeskmail.PollOptions{Interval: time.Hour, MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("poller stopped with %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("poller did not stop")
		}
	}
	t.Cleanup(stop)
	return stop
}

// waitFor waits until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPollerOnIMAP(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			f := newFixture(t, testdb.URL(t, dialect))
			ctx := context.Background()
			srv := newIMAPServer(t)
			mb := srv.mailbox(t)
			if err := f.svc.AddMailbox(ctx, sys, &mb); err != nil {
				t.Fatal(err)
			}
			existing := f.newTicket(t, f.anne, "Imprimante en panne")
			other := f.newTicket(t, f.bob, "VPN down")

			srv.appendMessages(t,
				eml("Anne Martin <Anne@Alpha.example>", "Serveur de fichiers lent", "", "Bonjour,\r\nle serveur est très lent depuis ce matin.\r\n"),
				eml("anne@alpha.example", fmt.Sprintf("Re: Imprimante en panne [#%d]", existing.ID), "", "Toujours en panne.\r\n\r\nOn Mon, Mar 3, 2025 at 9:00 AM Support wrote:\r\n> Avez-vous redémarré ?\r\n"),
				eml("bruno@alpha.example", fmt.Sprintf("RE: [#%d] Imprimante", existing.ID), "", "Je confirme, même chose ici."),
				eml("anne@alpha.example", "Réponse automatique : absente", "Auto-Submitted: auto-replied", "Je suis absente."),
				eml("Mail Delivery System <MAILER-DAEMON@mx.alpha.example>", "Undelivered Mail Returned to Sender", "Content-Type: multipart/report; report-type=delivery-status; boundary=b", "--b\r\nContent-Type: text/plain\r\n\r\nUser unknown\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--b--\r\n"),
				eml("zed@unknown.example", "Buy now", "", "Offer."),
				eml("anne@alpha.example", "Broken", "Content-Type: multipart/mixed", "no boundary here"),
				eml("carla@alpha.example", "Nouvelle arrivée", "", "Je suis nouvelle, mon poste ne marche pas."),
				eml("bob@bravo.example", fmt.Sprintf("Re: [#%d]", existing.ID), "", "Let me in."),
			)
			const first = 9

			stop := f.runPoller(t, mb.ID)
			waitFor(t, "the first messages processed", func() bool { return f.count(t, `SELECT COUNT(*) FROM mail_processed`) == first })
			stop()

			// A new ticket for Anne's client, requested by Anne.
			list, _, err := f.tickets.List(ctx, sys, ticket.Filter{ClientID: f.alpha.ID})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 2 {
				t.Fatalf("Alpha has %d tickets, want 2 (the existing one and the mailed request)", len(list))
			}
			created := list[0]
			if created.Title != "Serveur de fichiers lent" || created.RequesterID == nil || *created.RequesterID != f.anne.ID || !strings.Contains(created.Description, "très lent") {
				t.Errorf("mailed ticket = %+v", created)
			}
			// Anne's reply (without its quoted history) and Bruno's, her colleague's.
			fs, _, err := f.tickets.Timeline(ctx, sys, existing.ID)
			if err != nil {
				t.Fatal(err)
			}
			var bodies []string
			for _, fu := range fs {
				if !fu.Public {
					t.Errorf("followup %d is private", fu.ID)
				}
				bodies = append(bodies, fu.Author+": "+fu.Body)
			}
			want := []string{"Anne Martin (e-mail): Toujours en panne.", "Bruno Petit (e-mail): Je confirme, même chose ici."}
			if !slices.Equal(bodies, want) {
				t.Errorf("followups = %q, want %q", bodies, want)
			}
			// Bob could not reach Alpha's ticket, nor add to his own through it.
			if fs, _, _ := f.tickets.Timeline(ctx, sys, other.ID); len(fs) != 0 {
				t.Errorf("Bravo's ticket got %d followups", len(fs))
			}

			// Ignored and quarantined messages, each with its reason.
			ignored, err := f.svc.Quarantine(ctx, sys, helpdeskmail.QuarantineFilter{Status: helpdeskmail.QuarantineIgnored})
			if err != nil {
				t.Fatal(err)
			}
			reasons := func(qs []helpdeskmail.Quarantined) map[string]string {
				m := map[string]string{}
				for _, q := range qs {
					m[q.From+" "+q.Subject] = q.Reason
				}
				return m
			}
			ig := reasons(ignored)
			if r := ig["anne@alpha.example Réponse automatique : absente"]; !strings.Contains(r, "automatic reply") {
				t.Errorf("auto-reply: %q (ignored: %q)", r, ig)
			}
			if r := ig["mailer-daemon@mx.alpha.example Undelivered Mail Returned to Sender"]; !strings.Contains(r, "bounce") {
				t.Errorf("bounce: %q (ignored: %q)", r, ig)
			}
			pending, err := f.svc.Quarantine(ctx, sys, helpdeskmail.QuarantineFilter{})
			if err != nil {
				t.Fatal(err)
			}
			pd := reasons(pending)
			checks := map[string]string{
				"zed@unknown.example Buy now":                                         "unknown sender zed@unknown.example",
				"anne@alpha.example Broken":                                           "malformed message",
				"carla@alpha.example Nouvelle arrivée":                                "unknown contact at client Alpha SARL's domain alpha.example",
				"bob@bravo.example Re: [#" + strconv.FormatInt(existing.ID, 10) + "]": "is not visible to bob@bravo.example",
			}
			for k, want := range checks {
				if !strings.Contains(pd[k], want) {
					t.Errorf("quarantine %s: reason %q, want %q", k, pd[k], want)
				}
			}
			if len(pending) != len(checks) || len(ignored) != 2 {
				t.Errorf("pending %d, ignored %d: %q %q", len(pending), len(ignored), pd, ig)
			}
			for _, q := range pending {
				if q.From == "carla@alpha.example" && (q.ClientID == nil || *q.ClientID != f.alpha.ID) {
					t.Errorf("domain rule quarantine names client %v", q.ClientID)
				}
			}

			// A new poller on the same database processes nothing twice, and
			// a message arriving while it waits in IDLE is processed.
			polled := func() time.Time {
				m, err := f.db.Mailbox(ctx, mb.ID)
				if err != nil || m.LastPolled == nil {
					return time.Time{}
				}
				return *m.LastPolled
			}
			before := polled()
			f.runPoller(t, mb.ID)
			waitFor(t, "the restarted poller's first read", func() bool { return polled().After(before) })
			srv.appendMessages(t, eml("anne@alpha.example", "Écran noir", "", "Mon écran reste noir."))
			waitFor(t, "the message sent during IDLE", func() bool { return f.count(t, `SELECT COUNT(*) FROM mail_processed`) == first+1 })
			if n := f.count(t, `SELECT COUNT(*) FROM tickets WHERE client_id = ?`, f.alpha.ID); n != 3 {
				t.Errorf("Alpha has %d tickets after the restart, want 3", n)
			}
			if n := f.count(t, `SELECT COUNT(*) FROM followups`); n != 2 {
				t.Errorf("%d followups after the restart, want 2", n)
			}
			if n := f.count(t, `SELECT COUNT(*) FROM mail_quarantine`); n != 6 {
				t.Errorf("%d quarantined after the restart, want 6", n)
			}
		})
	}
}
