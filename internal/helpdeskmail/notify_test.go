package helpdeskmail_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/helpdeskmail"
	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

// lastMail returns the newest logged message with its raw content, parsed.
func (f *fixture) lastMail(t *testing.T) (mail.Entry, helpdeskmail.Inbound) {
	t.Helper()
	ctx := context.Background()
	list, err := f.outbox.List(ctx, sys, mail.Filter{Limit: 1})
	if err != nil || len(list) == 0 {
		t.Fatalf("mail log: %v, %d entries", err, len(list))
	}
	e, err := f.outbox.Get(ctx, sys, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	in, err := helpdeskmail.Parse(e.Raw)
	if err != nil {
		t.Fatal(err)
	}
	return e, in
}

func TestNotifier(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			f := newFixture(t, testdb.URL(t, dialect))
			ctx := context.Background()
			tests := []struct {
				name    string
				contact func() int64
				hello   string
				resolve string
			}{
				{"french client", func() int64 { return f.anne.ID }, "Bonjour Anne Martin", "dans les 7 jours"},
				{"english client", func() int64 { return f.bob.ID }, "Hello Bob Smith", "within 7 days"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					c, err := f.db.Contact(ctx, sys, tt.contact())
					if err != nil {
						t.Fatal(err)
					}
					tk := f.newTicket(t, c, "Disque plein")
					id := strconv.FormatInt(tk.ID, 10)
					root := "ticket-" + id + "@" + host
					if err := f.notifier.TicketCreated(ctx, tk); err != nil {
						t.Fatal(err)
					}
					e, in := f.lastMail(t)
					if e.Subject != "[#"+id+"] Disque plein" || len(e.To) != 1 || e.To[0] != c.Email || e.ClientID == nil || *e.ClientID != c.ClientID {
						t.Errorf("acknowledgement logged as %+v", e)
					}
					if !strings.HasPrefix(in.MessageID, "ticket-"+id+"-") || !strings.HasSuffix(in.MessageID, "@"+host) {
						t.Errorf("Message-ID %q", in.MessageID)
					}
					if len(in.InReplyTo) != 1 || in.InReplyTo[0] != root || len(in.References) != 1 || in.References[0] != root {
						t.Errorf("threading: In-Reply-To %q, References %q", in.InReplyTo, in.References)
					}
					if !strings.Contains(in.Text, tt.hello) || !strings.Contains(in.Text, "Infogérance Dupont") {
						t.Errorf("text in the wrong language or unsigned: %q", in.Text)
					}
					// A reply to the acknowledgement comes back to the ticket
					// even without its number in the subject.
					if n, ok := helpdeskmail.TicketRef(helpdeskmail.Inbound{InReplyTo: []string{in.MessageID}}, host); !ok || n != tk.ID {
						t.Errorf("reply to the acknowledgement refers to %d %v", n, ok)
					}

					fu, err := f.tickets.Reply(ctx, sys, tk.ID, "Nous avons libéré 20 Go.", true)
					if err != nil {
						t.Fatal(err)
					}
					if err := f.notifier.PublicReply(ctx, tk, fu); err != nil {
						t.Fatal(err)
					}
					e, in = f.lastMail(t)
					if e.Subject != "Re: [#"+id+"] Disque plein" || !strings.Contains(in.Text, "Nous avons libéré 20 Go.") {
						t.Errorf("public reply: %q %q", e.Subject, in.Text)
					}
					before := len(mustList(t, f))
					if err := f.notifier.PublicReply(ctx, tk, ticket.Followup{Public: false, Body: "note"}); err != nil || len(mustList(t, f)) != before {
						t.Errorf("a private note was mailed (%v)", err)
					}

					if err := f.notifier.Resolved(ctx, tk); err != nil {
						t.Fatal(err)
					}
					_, in = f.lastMail(t)
					if !strings.Contains(in.Text, tt.resolve) {
						t.Errorf("resolution text %q lacks %q", in.Text, tt.resolve)
					}
					token, err := f.tickets.RatingToken(ctx, tk.ID)
					if err != nil || token == "" {
						t.Fatalf("rating token %q, %v", token, err)
					}
					for score := 1; score <= 5; score++ {
						link := baseURL + "/rate/" + id + "?score=" + strconv.Itoa(score) + "&token=" + token
						if !strings.Contains(in.Text, link) {
							t.Errorf("resolution text lacks the rating link %s:\n%s", link, in.Text)
						}
					}
				})
			}

			// No requester, or a requester without an address: no message.
			before := len(mustList(t, f))
			noMail := f.mkContact(t, f.alpha.ID, "Sans", "Adresse", "")
			if err := f.notifier.TicketCreated(ctx, f.newTicket(t, noMail, "x")); err != nil {
				t.Fatal(err)
			}
			if err := f.notifier.TicketCreated(ctx, ticket.Ticket{ID: 99, ClientID: f.alpha.ID, Title: "x"}); err != nil {
				t.Fatal(err)
			}
			if n := len(mustList(t, f)); n != before {
				t.Errorf("%d messages sent to nobody", n-before)
			}
		})
	}
}

func mustList(t *testing.T, f *fixture) []mail.Entry {
	t.Helper()
	l, err := f.outbox.List(context.Background(), sys, mail.Filter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func isInvalid(err error) bool {
	var v *fault.Invalid
	return errors.As(err, &v)
}

func TestLoopAndRelease(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			f := newFixture(t, testdb.URL(t, dialect))
			ctx := context.Background()
			mb := helpdeskmail.Mailbox{Address: "support@msp.example", Host: "imap.msp.example", TLS: helpdeskmail.TLSImplicit, Username: "support", Password: "p", Enabled: true}
			if err := f.svc.AddMailbox(ctx, sys, &mb); err != nil {
				t.Fatal(err)
			}
			if mb.Port != 993 {
				t.Errorf("default TLS port %d", mb.Port)
			}
			tk := f.newTicket(t, f.anne, "Disque plein")
			if err := f.notifier.TicketCreated(ctx, tk); err != nil {
				t.Fatal(err)
			}
			ack, _ := f.lastMail(t)

			// Vigie's own acknowledgement, come back to its mailbox, is a loop.
			res, err := f.svc.Deliver(ctx, helpdeskmail.Delivery{MailboxID: mb.ID, UIDValidity: 1, UID: 1, Raw: ack.Raw})
			if err != nil || res.Outcome != helpdeskmail.OutcomeIgnored || !strings.Contains(res.Reason, "Vigie") {
				t.Fatalf("own message delivered: %+v, %v", res, err)
			}
			// The same UID again is not processed twice; the same message
			// from another UID is a duplicate.
			if res, err := f.svc.Deliver(ctx, helpdeskmail.Delivery{MailboxID: mb.ID, UIDValidity: 1, UID: 1, Raw: ack.Raw}); err != nil || res.Outcome != helpdeskmail.OutcomeAlready {
				t.Errorf("same UID again: %+v, %v", res, err)
			}
			unknown := eml("zed@unknown.example", "Mon PC", "", "Il ne démarre plus.")
			res, err = f.svc.Deliver(ctx, helpdeskmail.Delivery{MailboxID: mb.ID, UIDValidity: 1, UID: 2, Raw: unknown})
			if err != nil || res.Outcome != helpdeskmail.OutcomeQuarantined {
				t.Fatalf("unknown sender: %+v, %v", res, err)
			}
			if res, err := f.svc.Deliver(ctx, helpdeskmail.Delivery{MailboxID: mb.ID, UIDValidity: 2, UID: 1, Raw: unknown}); err != nil || res.Outcome != helpdeskmail.OutcomeDuplicate {
				t.Errorf("same Message-ID under a new UIDVALIDITY: %+v, %v", res, err)
			}

			// Only staff see the quarantine; a technician limited to Bravo
			// does not see a message of no client.
			for name, s := range map[string]tenant.Scope{
				"client admin": {Role: tenant.RoleClientAdmin, ClientID: f.alpha.ID},
			} {
				if _, err := f.svc.Quarantine(ctx, s, helpdeskmail.QuarantineFilter{}); !errors.Is(err, fault.ErrForbidden) {
					t.Errorf("%s lists the quarantine: %v", name, err)
				}
				if _, err := f.svc.Release(ctx, s, res.QuarantineID, helpdeskmail.Release{ClientID: f.alpha.ID}); !errors.Is(err, fault.ErrForbidden) {
					t.Errorf("%s releases: %v", name, err)
				}
			}
			limited := tenant.Scope{UserID: 0, Role: tenant.RoleTechnician, Clients: []int64{f.bravo.ID}}
			if qs, err := f.svc.Quarantine(ctx, limited, helpdeskmail.QuarantineFilter{}); err != nil || len(qs) != 0 {
				t.Errorf("limited technician sees %d (%v)", len(qs), err)
			}
			if _, err := f.svc.Release(ctx, limited, res.QuarantineID, helpdeskmail.Release{ClientID: f.alpha.ID}); !errors.Is(err, fault.ErrForbidden) {
				t.Errorf("release into a foreign client: %v", err)
			}
			// Mailboxes are for admins.
			if _, err := f.svc.Mailboxes(ctx, tenant.Scope{Role: tenant.RoleManager}); !errors.Is(err, fault.ErrForbidden) {
				t.Errorf("manager lists mailboxes: %v", err)
			}

			// Staff release it as a new ticket of Alpha requested by Bruno.
			out, err := f.svc.Release(ctx, sys, res.QuarantineID, helpdeskmail.Release{ClientID: f.alpha.ID, ContactID: f.bruno.ID})
			if err != nil || out.Outcome != helpdeskmail.OutcomeTicket {
				t.Fatalf("release: %+v, %v", out, err)
			}
			got, err := f.tickets.Get(ctx, sys, out.TicketID)
			if err != nil || got.ClientID != f.alpha.ID || got.RequesterID == nil || *got.RequesterID != f.bruno.ID || got.Title != "Mon PC" {
				t.Errorf("released ticket %+v, %v", got, err)
			}
			if _, err := f.svc.Release(ctx, sys, res.QuarantineID, helpdeskmail.Release{ClientID: f.alpha.ID}); !errors.Is(err, fault.ErrConflict) {
				t.Errorf("second release: %v", err)
			}
			// A contact of another client is refused.
			other, err := f.svc.Deliver(ctx, helpdeskmail.Delivery{MailboxID: mb.ID, UIDValidity: 2, UID: 2, Raw: eml("zed@unknown.example", "Encore", "", "x")})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Release(ctx, sys, other.QuarantineID, helpdeskmail.Release{ClientID: f.alpha.ID, ContactID: f.bob.ID}); !isInvalid(err) {
				t.Errorf("release with Bravo's contact into Alpha: %v", err)
			}
			if err := f.svc.Discard(ctx, sys, other.QuarantineID); err != nil {
				t.Fatal(err)
			}
			if qs, _ := f.svc.Quarantine(ctx, sys, helpdeskmail.QuarantineFilter{Status: helpdeskmail.QuarantineDiscarded}); len(qs) != 1 || qs[0].ID != other.QuarantineID {
				t.Errorf("discarded: %+v", qs)
			}
		})
	}
}

func TestEscalatedMail(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			f := newFixture(t, testdb.URL(t, dialect))
			ctx := context.Background()
			f.notifier.SetStaff(f.db)
			mk := func(email, name, lang string, disabled bool) int64 {
				u := user.User{Email: email, Name: name, Role: tenant.RoleManager, Language: lang, Disabled: disabled}
				if err := f.db.CreateUser(ctx, &u, "$argon2id$fake"); err != nil {
					t.Fatal(err)
				}
				return u.ID
			}
			en := mk("maria@msp.example", "Maria", "en", false)
			fr := mk("marc@msp.example", "Marc", "", false)
			gone := mk("gone@msp.example", "Gone", "fr", true)
			tk := f.newTicket(t, f.anne, "Sauvegarde en échec")
			before := len(mustList(t, f))
			err := f.notifier.Escalated(ctx, tk, ticket.Escalation{Trigger: ticket.TriggerBreached, Clock: ticket.ClockTTR, Recipients: []int64{en, fr, gone, 9999}})
			if err != nil {
				t.Fatal(err)
			}
			list := mustList(t, f)
			if len(list) != before+2 {
				t.Fatalf("%d messages queued, want 2 (the disabled and the unknown user get none)", len(list)-before)
			}
			id := strconv.FormatInt(tk.ID, 10)
			subjects := map[string]string{}
			for _, e := range list[:2] {
				full, err := f.outbox.Get(ctx, sys, e.ID)
				if err != nil {
					t.Fatal(err)
				}
				subjects[full.To[0]] = full.Subject
				if !strings.Contains(string(full.Raw), "/tickets/"+id) {
					t.Errorf("escalation to %s has no link to the ticket", full.To[0])
				}
			}
			if s := subjects["maria@msp.example"]; s != "[#"+id+"] Escalation: time to resolve breached — Sauvegarde en échec" {
				t.Errorf("English subject %q", s)
			}
			if s := subjects["marc@msp.example"]; s != "[#"+id+"] Escalade : délai de résolution dépassé — Sauvegarde en échec" {
				t.Errorf("French subject %q", s)
			}
		})
	}
}

func TestStatusChangedMail(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			f := newFixture(t, testdb.URL(t, dialect))
			ctx := context.Background()
			tk := f.newTicket(t, f.bob, "Printer jam") // an English-speaking client
			before := len(mustList(t, f))
			for _, c := range []struct {
				to, from ticket.Status
				sent     bool
			}{
				{ticket.StatusAssigned, ticket.StatusNew, false},
				{ticket.StatusWaitingClient, ticket.StatusInProgress, true},
				{ticket.StatusClosed, ticket.StatusResolved, false},
			} {
				tk.Status = c.to
				if err := f.notifier.StatusChanged(ctx, tk, c.from); err != nil {
					t.Fatal(err)
				}
				if got := len(mustList(t, f)) - before; (got == 1) != c.sent {
					t.Errorf("%s → %s: %d messages", c.from, c.to, got)
				}
				before = len(mustList(t, f))
			}
			e, in := f.lastMail(t)
			id := strconv.FormatInt(tk.ID, 10)
			if e.Subject != "Re: [#"+id+"] Printer jam — waiting for your answer" || !strings.Contains(in.Text, "simply reply to this message") {
				t.Errorf("status mail: %q\n%s", e.Subject, in.Text)
			}
		})
	}
}
