package contract_test

import (
	"context"
	netmail "net/mail"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

// usageEnv adds to env a technician, a ticket per client and contracts:
// A monthly (10 h, 5 on-site), B a 20 h pack from 15 February.
type usageEnv struct {
	*env
	tech         user.User
	tkA, tkB     ticket.Ticket
	outA         ticket.Ticket // A's ticket out of the perimeter
	monthly, pck contract.Contract
}

func newUsageEnv(t *testing.T, dialect string) *usageEnv {
	t.Helper()
	e := &usageEnv{env: newEnv(t, dialect)}
	ctx := t.Context()
	e.tech = user.User{Email: "tech@msp.example", Name: "Tech", Role: tenant.RoleTechnician, Language: "fr"}
	ok(t, e.db.CreateUser(ctx, &e.tech, "$argon2id$fake"))
	mkTk := func(clientID int64, title string) ticket.Ticket {
		tk := ticket.Ticket{ClientID: clientID, Type: ticket.TypeIncident, Title: title, Impact: 2, Urgency: 2, Priority: ticket.P3,
			Status: ticket.StatusNew, Level: "N1", Created: date(2026, 1, 2), Updated: date(2026, 1, 2)}
		ok(t, e.db.CreateTicket(ctx, sys, &tk))
		return tk
	}
	e.tkA, e.tkB, e.outA = mkTk(e.A.ID, "A"), mkTk(e.B.ID, "B"), mkTk(e.A.ID, "A serveur hors périmètre")
	_, err := e.db.SQL().ExecContext(ctx, "UPDATE tickets SET out_of_perimeter = TRUE WHERE id = "+strconv.FormatInt(e.outA.ID, 10))
	ok(t, err)
	e.monthly = contract.Contract{ClientID: e.A.ID, Reference: "A-1", Title: "Mensuel", Start: date(2026, 1, 1), State: contract.StateActive,
		Calendar: sla.AlwaysOpen().String(), Availability: 99.5, Support: contract.Support{Mode: contract.SupportMonthly, Minutes: 600},
		OnSitePerMonth: 5, Reporting: contract.Reporting{Recipients: []int64{e.contA.ID}}}
	ok(t, e.svc.Create(ctx, sys, &e.monthly))
	e.pck = contract.Contract{ClientID: e.B.ID, Reference: "B-1", Title: "Pack", Start: date(2026, 1, 1), End: datePtr(2026, 12, 31), State: contract.StateActive,
		Calendar: sla.AlwaysOpen().String(), Availability: 99.5,
		Support: contract.Support{Mode: contract.SupportPack, Minutes: 1200, PackStart: datePtr(2026, 2, 15)}}
	ok(t, e.svc.Create(ctx, sys, &e.pck))
	return e
}

func (e *usageEnv) entry(t *testing.T, tk ticket.Ticket, start time.Time, d time.Duration, edit func(*ticket.TimeEntry)) {
	t.Helper()
	te := ticket.TimeEntry{TicketID: tk.ID, TechnicianID: e.tech.ID, Start: start, Duration: d, Billable: true, Created: start}
	if edit != nil {
		edit(&te)
	}
	ok(t, e.db.AddTimeEntry(t.Context(), &te))
}

// paris is 10:00 on a date in Paris.
func paris(y int, m time.Month, d int) time.Time {
	loc, _ := time.LoadLocation("Europe/Paris")
	return time.Date(y, m, d, 10, 0, 0, 0, loc)
}

func TestUsage(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e := newUsageEnv(t, dialect)
			ctx := t.Context()
			at := paris(2026, 3, 10)
			usage := func(t *testing.T, clientID int64) contract.Usage {
				t.Helper()
				u, found, err := e.svc.Usage(ctx, sys, clientID, at)
				ok(t, err)
				if !found {
					t.Fatalf("no contract in force for client %d", clientID)
				}
				return u
			}
			// Counted: 7 h 59 min 59 s billable in March, Paris time (the
			// first falls on 1 March 00:30 in Paris, 28 February in UTC).
			e.entry(t, e.tkA, time.Date(2026, 2, 28, 23, 30, 0, 0, time.UTC), 4*time.Hour, nil)
			e.entry(t, e.tkA, paris(2026, 3, 5), 3*time.Hour+59*time.Minute+59*time.Second, func(te *ticket.TimeEntry) { te.Travel = 2 * time.Hour })
			// Not counted: not billable, out of the perimeter, February, April
			// in Paris (31 March 22:30 UTC), another client's.
			e.entry(t, e.tkA, paris(2026, 3, 6), 5*time.Hour, func(te *ticket.TimeEntry) { te.Billable = false })
			e.entry(t, e.outA, paris(2026, 3, 6), 6*time.Hour, nil)
			e.entry(t, e.tkA, paris(2026, 2, 27), 7*time.Hour, nil)
			e.entry(t, e.tkA, time.Date(2026, 3, 31, 22, 30, 0, 0, time.UTC), 8*time.Hour, nil)
			e.entry(t, e.tkB, paris(2026, 1, 20), 9*time.Hour, nil)

			u := usage(t, e.A.ID)
			loc, _ := time.LoadLocation("Europe/Paris")
			if want := (contract.Usage{ContractID: e.monthly.ID, ClientID: e.A.ID, Reference: "A-1", Mode: contract.SupportMonthly,
				From: time.Date(2026, 3, 1, 0, 0, 0, 0, loc), To: time.Date(2026, 4, 1, 0, 0, 0, 0, loc),
				Support: 8*time.Hour - time.Second, Included: 10 * time.Hour, SupportLevel: contract.LevelOK,
				OnSiteIncluded: 5, OnSiteLevel: contract.LevelOK}); !sameUsage(u, want) {
				t.Fatalf("usage at 7:59:59\n got %+v\nwant %+v", u, want)
			}
			steps := []struct {
				name    string
				add     time.Duration
				onSite  bool
				support contract.Level
				onsite  contract.Level
				n       int
			}{
				{"exactly 80 %", time.Second, true, contract.LevelWarning, contract.LevelOK, 1},
				{"just under 100 %", 2*time.Hour - time.Second, true, contract.LevelWarning, contract.LevelOK, 2},
				{"on-site 3 of 5", 0, true, contract.LevelWarning, contract.LevelOK, 3},
				{"on-site 4 of 5 is 80 %", 0, true, contract.LevelWarning, contract.LevelWarning, 4},
				{"exactly 100 %", time.Second, true, contract.LevelExhausted, contract.LevelExhausted, 5},
			}
			for _, st := range steps {
				t.Run(st.name, func(t *testing.T) {
					e.entry(t, e.tkA, paris(2026, 3, 9), st.add, func(te *ticket.TimeEntry) { te.OnSite = st.onSite })
					u := usage(t, e.A.ID)
					if u.SupportLevel != st.support || u.OnSiteLevel != st.onsite || u.OnSite != st.n {
						t.Fatalf("got support %s (%s), on-site %d %s; want %s, %d %s", u.SupportLevel, u.Support, u.OnSite, u.OnSiteLevel, st.support, st.n, st.onsite)
					}
				})
			}
			// A non-billable on-site visit is not part of the quota.
			e.entry(t, e.tkA, paris(2026, 3, 9), time.Hour, func(te *ticket.TimeEntry) { te.OnSite, te.Billable = true, false })
			if u := usage(t, e.A.ID); u.OnSite != 5 || u.Support != 10*time.Hour || u.SupportPercent() != 100 {
				t.Fatalf("after a non-billable on-site visit: %+v", u)
			}

			t.Run("pack from its start to the date", func(t *testing.T) {
				e.entry(t, e.tkB, paris(2026, 2, 14), time.Hour, nil)    // before the pack
				e.entry(t, e.tkB, paris(2026, 2, 20), 10*time.Hour, nil) // counted
				e.entry(t, e.tkB, paris(2026, 3, 10), 7*time.Hour, nil)  // counted: the date itself
				e.entry(t, e.tkB, paris(2026, 3, 11), 3*time.Hour, nil)  // after the date
				u := usage(t, e.B.ID)
				if u.Support != 17*time.Hour || u.Included != 20*time.Hour || u.SupportLevel != contract.LevelWarning || u.SupportPercent() != 85 {
					t.Fatalf("pack usage %+v", u)
				}
				loc, _ := time.LoadLocation("Europe/Paris")
				if !u.From.Equal(time.Date(2026, 2, 15, 0, 0, 0, 0, loc)) || !u.To.Equal(time.Date(2026, 3, 11, 0, 0, 0, 0, loc)) {
					t.Fatalf("pack period %s .. %s", u.From, u.To)
				}
				// The next day, the 3 h of 11 March make it 20 h: exhausted.
				u2, _, err := e.svc.Usage(ctx, sys, e.B.ID, paris(2026, 3, 11))
				ok(t, err)
				if u2.Support != 20*time.Hour || u2.SupportLevel != contract.LevelExhausted {
					t.Fatalf("pack usage on 11 March %+v", u2)
				}
			})

			t.Run("usage of every contract in force, by scope", func(t *testing.T) {
				none := client.Client{Code: "CHARLIE", Name: "Sans contrat", TimeZone: "Europe/Paris", Language: "fr"}
				ok(t, e.db.CreateClient(ctx, sys, &none))
				if _, found, err := e.svc.Usage(ctx, sys, none.ID, at); err != nil || found {
					t.Fatalf("client without contract: found %v, %v", found, err)
				}
				all, err := e.svc.UsageAll(ctx, sys, at)
				ok(t, err)
				if len(all) != 2 || all[0].ContractID != e.monthly.ID || all[1].ContractID != e.pck.ID {
					t.Fatalf("UsageAll = %+v", all)
				}
				for _, u := range all {
					one, _, err := e.svc.Usage(ctx, sys, u.ClientID, at)
					ok(t, err)
					if !sameUsage(u, one) {
						t.Errorf("UsageAll and Usage disagree for client %d:\n%+v\n%+v", u.ClientID, u, one)
					}
				}
				onlyB := tenant.Scope{UserID: 99, Role: tenant.RoleTechnician, Clients: []int64{e.B.ID}}
				got, err := e.svc.UsageAll(ctx, onlyB, at)
				ok(t, err)
				if len(got) != 1 || got[0].ClientID != e.B.ID {
					t.Fatalf("technician of B sees %+v", got)
				}
				if _, _, err := e.svc.Usage(ctx, onlyB, e.A.ID, at); err == nil {
					t.Fatal("technician of B read A's usage")
				}
				if _, err := e.svc.ContractUsage(ctx, onlyB, e.monthly.ID, at); err == nil {
					t.Fatal("technician of B read A's contract usage")
				}
				// Before the contract's start there is nothing to count.
				early, err := e.svc.ContractUsage(ctx, sys, e.monthly.ID, paris(2025, 12, 15))
				ok(t, err)
				if early.Support != 0 || !early.From.Equal(early.To) {
					t.Fatalf("usage before the start %+v", early)
				}
			})
		})
	}
}

func sameUsage(a, b contract.Usage) bool {
	return a.ContractID == b.ContractID && a.ClientID == b.ClientID && a.Reference == b.Reference && a.Mode == b.Mode &&
		a.From.Equal(b.From) && a.To.Equal(b.To) && a.Support == b.Support && a.Included == b.Included && a.SupportLevel == b.SupportLevel &&
		a.OnSite == b.OnSite && a.OnSiteIncluded == b.OnSiteIncluded && a.OnSiteLevel == b.OnSiteLevel
}

// outbox records the queued e-mails.
type outbox struct{ sent []mail.Message }

func (o *outbox) Send(_ context.Context, m mail.Message) (int64, string, error) {
	o.sent = append(o.sent, m)
	return int64(len(o.sent)), "id", nil
}

type providers struct{}

func (providers) Get(context.Context) (provider.Provider, error) {
	return provider.Provider{Name: "Infogérance Sud", Language: "fr"}, nil
}

func TestWarner(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e := newUsageEnv(t, dialect)
			ctx := t.Context()
			// Staff warned for A: the admin and the manager of every client;
			// not the manager limited to B, nor the technician, nor a
			// disabled admin.
			for _, u := range []user.User{
				{Email: "admin@msp.example", Name: "Adèle Admin", Role: tenant.RoleAdmin, Language: "fr"},
				{Email: "manager@msp.example", Name: "Max Manager", Role: tenant.RoleManager, Language: "en"},
				{Email: "b@msp.example", Name: "Bea B", Role: tenant.RoleManager, Clients: []int64{e.B.ID}},
				{Email: "off@msp.example", Name: "Off", Role: tenant.RoleAdmin, Disabled: true},
			} {
				ok(t, e.db.CreateUser(ctx, &u, "$argon2id$fake"))
			}
			contact := client.Contact{ClientID: e.A.ID, FirstName: "Claire", LastName: "Client", Email: "claire@alpha.example"}
			ok(t, e.db.CreateContact(ctx, sys, &contact))
			e.monthly.Reporting.Recipients = []int64{e.contA.ID, contact.ID} // contA has no address
			ok(t, e.svc.Update(ctx, sys, &e.monthly))

			clock := paris(2026, 3, 10)
			out := &outbox{}
			w := contract.NewWarner(e.svc, e.db, out, providers{}, "https://vigie.example", func() time.Time { return clock }, nil)
			check := func(t *testing.T, wantNew int, wantTo ...string) {
				t.Helper()
				out.sent = nil
				n, err := w.Check(ctx)
				ok(t, err)
				var to []string
				for _, m := range out.sent {
					a, err := netmail.ParseAddress(m.To[0])
					ok(t, err)
					to = append(to, a.Address)
				}
				if n != wantNew || strings.Join(to, " ") != strings.Join(wantTo, " ") {
					t.Fatalf("check: %d new, mails to %q; want %d, %q", n, to, wantNew, wantTo)
				}
			}
			staff := []string{"admin@msp.example", "manager@msp.example"}
			check(t, 0)
			e.entry(t, e.tkA, paris(2026, 3, 2), 8*time.Hour, nil)
			check(t, 1, staff...) // 80 %: staff only
			if s := out.sent[0].Subject; !strings.Contains(s, "80 %") || !strings.Contains(s, "A-1") {
				t.Errorf("French subject %q", s)
			}
			if b := out.sent[1].Text; !strings.Contains(b, "8 h of 10 h (80 %)") || !strings.Contains(b, "https://vigie.example/contracts/"+strconv.FormatInt(e.monthly.ID, 10)) {
				t.Errorf("English body %q", b)
			}
			check(t, 0) // once
			e.entry(t, e.tkA, paris(2026, 3, 3), 2*time.Hour, func(te *ticket.TimeEntry) {
				te.OnSite = true
			})
			// 100 % of support (staff and the contract's recipient with an
			// address) and 1 of 5 on-site: no on-site warning.
			check(t, 1, append(staff, "claire@alpha.example")...)
			if m := out.sent[2]; m.ClientID == nil || *m.ClientID != e.A.ID || !strings.Contains(m.Text, "facturées en sus") {
				t.Errorf("client's mail %+v", m)
			}
			check(t, 0)
			// B's pack jumps from 0 to 100 %: one mail per recipient, both levels recorded.
			e.entry(t, e.tkB, paris(2026, 3, 1), 20*time.Hour, nil)
			check(t, 2, "admin@msp.example", "manager@msp.example", "b@msp.example")
			ws, err := e.svc.Warnings(ctx, sys, e.pck.ID)
			ok(t, err)
			if len(ws) != 2 || ws[0].Level != contract.LevelExhausted || ws[0].Recipients != 3 || ws[1].Recipients != 0 || !ws[0].PeriodStart.Equal(date(2026, 2, 15)) {
				t.Fatalf("B's warnings %+v", ws)
			}
			// A new month is a new period: warned again when reached again.
			clock = paris(2026, 4, 2)
			check(t, 0)
			e.entry(t, e.tkA, paris(2026, 4, 1), 9*time.Hour, nil)
			check(t, 1, staff...)
			ws, err = e.svc.Warnings(ctx, sys, e.monthly.ID)
			ok(t, err)
			if len(ws) != 3 || !ws[0].PeriodStart.Equal(date(2026, 4, 1)) || ws[0].Kind != contract.QuotaSupport {
				t.Fatalf("A's warnings %+v", ws)
			}
			if _, err := e.svc.Warnings(ctx, tenant.Scope{UserID: 1, Role: tenant.RoleTechnician, Clients: []int64{e.B.ID}}, e.monthly.ID); err == nil {
				t.Fatal("technician of B read A's warnings")
			}
		})
	}
}

func TestHoursText(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{{0, "0 h"}, {10 * time.Hour, "10 h"}, {8*time.Hour + 30*time.Minute, "8 h 30"}, {5*time.Minute + 59*time.Second, "0 h 05"}} {
		if got := contract.HoursText(tt.d); got != tt.want {
			t.Errorf("HoursText(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
