package store_test

import (
	"fmt"
	"testing"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

var sys = tenant.System()

// world is two clients, A and B, each with a site, a contact and a client
// user, plus staff: a manager who sees every client and a technician limited to A.
type world struct {
	A, B               client.Client
	siteA, siteB       client.Site
	contactA, contactB client.Contact
	userA, userB       user.User
	manager, techA     user.User
}

func newWorld(t testing.TB, db *store.DB) world {
	t.Helper()
	var w world
	w.A = mkClient(t, db, "ALPHA", "Alpha SARL")
	w.B = mkClient(t, db, "BRAVO", "Bravo SAS")
	w.siteA = mkSite(t, db, w.A.ID, "Alpha HQ")
	w.siteB = mkSite(t, db, w.B.ID, "Bravo HQ")
	w.contactA = mkContact(t, db, w.A.ID, &w.siteA.ID, "Anne", "Alpha", "anne@alpha.example")
	w.contactB = mkContact(t, db, w.B.ID, &w.siteB.ID, "Bob", "Bravo", "bob@bravo.example")
	w.userA = mkUser(t, db, user.User{Email: "anne@alpha.example", Name: "Anne Alpha", Role: tenant.RoleClientAdmin, ClientID: &w.A.ID, ContactID: &w.contactA.ID})
	w.userB = mkUser(t, db, user.User{Email: "bob@bravo.example", Name: "Bob Bravo", Role: tenant.RoleClientAdmin, ClientID: &w.B.ID, ContactID: &w.contactB.ID})
	w.manager = mkUser(t, db, user.User{Email: "manager@msp.example", Name: "Marc Manager", Role: tenant.RoleManager})
	w.techA = mkUser(t, db, user.User{Email: "tech@msp.example", Name: "Tina Tech", Role: tenant.RoleTechnician, Level: user.LevelN2, Clients: []int64{w.A.ID}})
	return w
}

// limitedToA returns the scopes that may see client A and nothing of client B.
func (w world) limitedToA() map[string]tenant.Scope {
	return map[string]tenant.Scope{
		"technician limited to A": w.techA.Scope(),
		"client admin of A":       w.userA.Scope(),
		"client user of A":        {UserID: w.userA.ID, Role: tenant.RoleClientUser, ClientID: w.A.ID},
	}
}

func mkClient(t testing.TB, db *store.DB, code, name string) client.Client {
	t.Helper()
	c := client.Client{Code: code, Name: name, TimeZone: "Europe/Paris", Language: "fr"}
	ok(t, db.CreateClient(t.Context(), sys, &c))
	return c
}

func mkSite(t testing.TB, db *store.DB, clientID int64, name string) client.Site {
	t.Helper()
	st := client.Site{ClientID: clientID, Name: name, Address: "1 rue de la Paix\n75002 Paris"}
	ok(t, db.CreateSite(t.Context(), sys, &st))
	return st
}

func mkContact(t testing.TB, db *store.DB, clientID int64, siteID *int64, first, last, email string) client.Contact {
	t.Helper()
	c := client.Contact{ClientID: clientID, SiteID: siteID, FirstName: first, LastName: last, Email: email}
	ok(t, db.CreateContact(t.Context(), sys, &c))
	return c
}

func mkUser(t testing.TB, db *store.DB, u user.User) user.User {
	t.Helper()
	if u.Language == "" {
		u.Language = "fr"
	}
	ok(t, db.CreateUser(t.Context(), &u, "$argon2id$fake"))
	return u
}

// ids returns the IDs of rows, in order.
func ids[T any](rows []T, id func(T) int64) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = id(r)
	}
	return out
}

func clientID(c client.Client) int64   { return c.ID }
func siteID(s client.Site) int64       { return s.ID }
func contactID(c client.Contact) int64 { return c.ID }
func userID(u user.User) int64         { return u.ID }

// paginate walks every page of size n through next, checking that each row
// comes exactly once and in the expected order, and returns all IDs.
func paginate(t testing.TB, n int, asc bool, next func(cursor int64, limit int) ([]int64, error)) []int64 {
	t.Helper()
	var all []int64
	seen := map[int64]bool{}
	cursor := int64(0)
	for page := 0; ; page++ {
		if page > 1000 {
			t.Fatal("pagination does not end")
		}
		got, err := next(cursor, n)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > n {
			t.Fatalf("page %d has %d rows, limit %d", page, len(got), n)
		}
		for _, id := range got {
			if seen[id] {
				t.Fatalf("row %d returned twice (page %d)", id, page)
			}
			if len(all) > 0 && (asc && id <= all[len(all)-1] || !asc && id >= all[len(all)-1]) {
				t.Fatalf("row %d out of order after %d", id, all[len(all)-1])
			}
			seen[id] = true
			all = append(all, id)
		}
		if len(got) < n {
			return all
		}
		cursor = got[len(got)-1]
	}
}

func codeN(i int) string { return fmt.Sprintf("C%03d", i) }
