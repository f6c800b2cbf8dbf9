package store_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// TestTicketSearch runs the full-text search of tickets on both databases:
// one database per dialect, shared by the cases, which only read until the
// last ones (edits).
func TestTicketSearch(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			testTicketSearch(t, newTestDB(t, d))
		})
	}
	// PostgreSQL filters on the ids of a probe when few documents match,
	// and on the full-text condition otherwise: both give the same answers.
	t.Run("postgres, common words", func(t *testing.T) {
		db := newTestDB(t, store.Postgres)
		store.SetSearchProbeLimit(db, 1)
		testTicketSearch(t, db)
	})
}

func testTicketSearch(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	printer := mkTicket(t, db, w.A.ID, "Imprimante en panne", func(tk *ticket.Ticket) { tk.Description = "Bourrage papier au 2e étage, bac n°2" })
	screen := mkTicket(t, db, w.A.ID, "Écran noir", func(tk *ticket.Ticket) {
		tk.Description, tk.Status = "Le moniteur ne s'allume plus", ticket.StatusResolved
	})
	mail := mkTicket(t, db, w.A.ID, "Messagerie lente", nil)
	ok(t, db.AddFollowup(ctx, &ticket.Followup{TicketID: mail.ID, Author: "Tina", Body: "Serveur Exchange redémarré ; problème résolu.", Created: m0}))
	ok(t, db.AddFollowup(ctx, &ticket.Followup{TicketID: mail.ID, Author: "Anne", Public: true, Body: "Merci, tout fonctionne.", Created: m0}))
	own := mkTicket(t, db, w.A.ID, "Imprimante du bureau de Anne", func(tk *ticket.Ticket) { tk.CreatedBy = &w.userA.ID })
	bravo := mkTicket(t, db, w.B.ID, "IMPRIMANTE Bravo", func(tk *ticket.Ticket) { tk.Description = "écran cassé aussi" })
	clientUserA := tenant.Scope{UserID: w.userA.ID, Role: tenant.RoleClientUser, ClientID: w.A.ID}
	open := true
	var sys0 tenant.Scope

	type searchCase struct {
		name  string
		f     ticket.Filter
		scope tenant.Scope    // zero: the system
		want  []ticket.Ticket // newest first
	}
	check := func(t *testing.T, cases []searchCase) {
		t.Helper()
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := tc.scope
				if s.Role == "" {
					s = sys
				}
				tc.f.Limit = 50
				got, next, err := db.Tickets(ctx, s, tc.f)
				if err != nil {
					t.Fatalf("Tickets(%q): %v", tc.f.Query, err)
				}
				if g, want := ids(got, ticketID), ids(tc.want, ticketID); !slices.Equal(g, want) || next != "" {
					t.Errorf("Tickets(%q) = %v (next %q), want %v", tc.f.Query, g, next, want)
				}
			})
		}
	}
	q := func(s string) ticket.Filter { return ticket.Filter{Query: s} }

	t.Run("matching", func(t *testing.T) {
		check(t, []searchCase{
			{"title word", q("imprimante"), sys0, []ticket.Ticket{bravo, own, printer}},
			{"title words in any order", q("panne imprimante"), sys0, []ticket.Ticket{printer}},
			{"every word must match", q("imprimante noir"), sys0, nil},
			{"description", q("bourrage"), sys0, []ticket.Ticket{printer}},
			{"title and description together", q("imprimante bourrage"), sys0, []ticket.Ticket{printer}},
			{"followup", q("exchange"), sys0, []ticket.Ticket{mail}},
			{"second followup", q("fonctionne"), sys0, []ticket.Ticket{mail}},
			{"title and followup together", q("messagerie serveur"), sys0, []ticket.Ticket{mail}},
			{"prefix of the last word", q("imprim"), sys0, []ticket.Ticket{bravo, own, printer}},
			{"prefix only on the last word", q("impri panne"), sys0, nil},
			{"short prefix", q("mon"), sys0, []ticket.Ticket{screen}},
			{"accents ignored", q("ecran"), sys0, []ticket.Ticket{bravo, screen}},
			{"accents in the query", q("ÉCRAN"), sys0, []ticket.Ticket{bravo, screen}},
			{"accented word of a followup", q("redemarre"), sys0, []ticket.Ticket{mail}},
			{"case ignored", q("MeSsAgErIe"), sys0, []ticket.Ticket{mail}},
			{"number", q("2e"), sys0, []ticket.Ticket{printer}},
			{"word with an apostrophe", q("s'allume"), sys0, []ticket.Ticket{screen}},
			{"unknown word", q("téléphone"), sys0, nil},
			{"no word at all", q(" ¿ "), sys0, nil},
		})
	})

	t.Run("special characters", func(t *testing.T) {
		var cases []searchCase
		for _, s := range []string{`"imprimante panne`, `imprimante" panne`, `"imprimante" "panne"`, `panne imprim*`, `*imprimante panne`, `panne imprimante:*`, `panne imprimante:A`,
			`imprimante & panne`, `imprimante|panne`, `!panne imprimante`, `(imprimante) panne`, `imprimante) (panne`, `imprimante' panne`,
			`imprimante + panne`, `imprimante^ -panne`, `imprimante\ panne%`, `{imprimante} [panne]`} {
			cases = append(cases, searchCase{s, q(s), sys0, []ticket.Ticket{printer}})
		}
		for _, s := range []string{`"`, `*`, `:`, `&`, `|`, `!`, `(`, `)`, `()`, `'`, `''`, `\`, `%`, `_`, `:*`, `"*"`, `&&`, `!!`, `<->`, `NOT`, `OR`, `NEAR`, `panne NEAR(imprimante)`, `panne AND imprimante`, `imprimante OR panne`} {
			cases = append(cases, searchCase{s, q(s), sys0, nil})
		}
		cases = append(cases, searchCase{"wildcard next to a number", q("100%"), sys0, nil})
		check(t, cases)
	})

	t.Run("filters and scopes", func(t *testing.T) {
		check(t, []searchCase{
			{"with a client", ticket.Filter{Query: "imprimante", ClientID: w.B.ID}, sys0, []ticket.Ticket{bravo}},
			{"with open", ticket.Filter{Query: "ecran", Open: &open}, sys0, []ticket.Ticket{bravo}},
			{"with a sort", ticket.Filter{Query: "imprimante", Sort: "due"}, sys0, []ticket.Ticket{printer, own, bravo}},
			{"client admin of A", q("imprimante"), w.userA.Scope(), []ticket.Ticket{own, printer}},
			{"client admin of A, accents", q("ecran"), w.userA.Scope(), []ticket.Ticket{screen}},
			{"client user of A sees its own requests only", q("imprimante"), clientUserA, []ticket.Ticket{own}},
			{"client user of A, no other client's ticket", q("bravo"), clientUserA, nil},
			{"client admin of B", q("imprim"), w.userB.Scope(), []ticket.Ticket{bravo}},
			{"technician limited to A", q("imprimante"), w.techA.Scope(), []ticket.Ticket{own, printer}},
			{"client of B asks for a ticket of A by its words", ticket.Filter{Query: "exchange", ClientID: w.A.ID}, w.userB.Scope(), nil},
		})
	})

	if db.Dialect() == store.Postgres {
		// SQLite has no stemmer: the prefix match covers the plural typed
		// last, not a plural typed first.
		t.Run("french stems", func(t *testing.T) {
			check(t, []searchCase{
				{"plural", q("imprimantes"), sys0, []ticket.Ticket{bravo, own, printer}},
				{"plural, not last", q("imprimantes panne"), sys0, []ticket.Ticket{printer}},
				{"other form", q("moniteurs"), sys0, []ticket.Ticket{screen}},
				{"stop word", q("le moniteur"), sys0, []ticket.Ticket{screen}},
			})
		})
	}

	t.Run("pagination", func(t *testing.T) {
		var want []int64
		for i := range 7 {
			tk := mkTicket(t, db, w.A.ID, "Poste lent", func(tk *ticket.Ticket) {
				// Ties on due and updated, so that the cursor's id decides.
				due := m0.Add(time.Duration(i%2) * time.Hour)
				tk.SLA = ticket.SLA{Covered: true, TTRDue: &due}
			})
			want = append(want, tk.ID)
		}
		mkTicket(t, db, w.B.ID, "Poste lent chez Bravo", nil)
		for _, sort := range []string{"", "updated", "due"} {
			t.Run("sort "+sort, func(t *testing.T) {
				seen := map[int64]bool{}
				after := ""
				for page := 0; ; page++ {
					if page > 10 {
						t.Fatal("pagination does not end")
					}
					got, next, err := db.Tickets(ctx, w.userA.Scope(), ticket.Filter{Query: "poste LEN", Sort: sort, Limit: 2, After: after})
					ok(t, err)
					for _, tk := range got {
						if seen[tk.ID] || !slices.Contains(want, tk.ID) {
							t.Fatalf("page %d: ticket %d repeated or unexpected", page, tk.ID)
						}
						seen[tk.ID] = true
					}
					if next == "" {
						break
					}
					after = next
				}
				if len(seen) != len(want) {
					t.Errorf("walked %d tickets, want %d", len(seen), len(want))
				}
			})
		}
	})

	t.Run("edits", func(t *testing.T) {
		// A change that leaves the text alone keeps the ticket found.
		p := must(db.Ticket(ctx, sys, printer.ID))(t)
		p.Status = ticket.StatusInProgress
		ok(t, db.UpdateTicket(ctx, sys, &p))
		check(t, []searchCase{{"after a status change", q("bourrage"), sys0, []ticket.Ticket{printer}}})

		p.Title, p.Description = "Scanner en panne", "Le scanner ne numérise plus"
		ok(t, db.UpdateTicket(ctx, sys, &p))
		m := must(db.Ticket(ctx, sys, mail.ID))(t)
		m.Title = "Outlook lent"
		ok(t, db.UpdateTicket(ctx, sys, &m))
		// An update the scope may not make changes nothing, index included.
		b := must(db.Ticket(ctx, sys, bravo.ID))(t)
		b.Title = "Scanner Bravo"
		if err := db.UpdateTicket(ctx, w.userA.Scope(), &b); err == nil {
			t.Fatal("client A updated a ticket of client B")
		}
		check(t, []searchCase{
			{"removed title word", q("imprimante"), sys0, []ticket.Ticket{bravo, own}},
			{"removed description word", q("bourrage"), sys0, nil},
			{"new title word", q("scanner"), sys0, []ticket.Ticket{p}},
			{"new description word", q("numerise"), sys0, []ticket.Ticket{p}},
			{"removed title of a ticket with followups", q("messagerie"), sys0, nil},
			{"followups stay after a title change", q("outlook exchange"), sys0, []ticket.Ticket{m}},
			{"refused update left the index alone", q("scanner bravo"), sys0, nil},
		})
	})
}

// TestTicketSearchBackfill runs the part of migration 0004 that indexes
// the tickets of an existing database: it must index them as the store does.
func TestTicketSearchBackfill(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			db := newTestDB(t, d)
			ctx := t.Context()
			w := newWorld(t, db)
			tk := mkTicket(t, db, w.A.ID, "Écran noir", func(tk *ticket.Ticket) { tk.Description = "Imprimante HS" })
			other := mkTicket(t, db, w.B.ID, "Sans suivi", nil)
			ok(t, db.AddFollowup(ctx, &ticket.Followup{TicketID: tk.ID, Body: "Le SERVEUR Exchange a été REDÉMARRÉ", Created: m0}))
			ok(t, db.AddFollowup(ctx, &ticket.Followup{TicketID: tk.ID, Body: "Merci", Created: m0}))

			b, err := os.ReadFile(filepath.Join("migrations", string(d), "0004_ticket_search.sql"))
			ok(t, err)
			sql := string(b)
			i := strings.Index(sql, "INSERT INTO")
			if i < 0 {
				t.Fatal("no INSERT in migration 0004")
			}
			table := map[store.Dialect]string{store.SQLite: "ticket_fts", store.Postgres: "ticket_search"}[d]
			_, err = db.SQL().ExecContext(ctx, "DELETE FROM "+table)
			ok(t, err)
			check := func(query string, want ...ticket.Ticket) {
				t.Helper()
				got, _, err := db.Tickets(ctx, sys, ticket.Filter{Query: query})
				ok(t, err)
				if g, w := ids(got, ticketID), ids(want, ticketID); !slices.Equal(g, w) {
					t.Errorf("Tickets(%q) = %v, want %v", query, g, w)
				}
			}
			check("ecran")
			_, err = db.SQL().ExecContext(ctx, sql[i:])
			ok(t, err)
			for _, q := range []string{"ECRAN", "imprim", "redemarre", "serveur exchange", "merci noir"} {
				check(q, tk)
			}
			check("suivi", other)
		})
	}
}
