package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

func testUserCRUD(t *testing.T, db *store.DB) {
	ctx := t.Context()
	a := mkClient(t, db, "ALPHA", "Alpha")
	b := mkClient(t, db, "BRAVO", "Bravo")
	c := mkClient(t, db, "CHARLIE", "Charlie")
	ct := mkContact(t, db, a.ID, nil, "Anne", "Alpha", "anne@alpha.example")

	tech := user.User{Email: "Tech@MSP.example", Name: "Tina", Role: tenant.RoleTechnician, Level: user.LevelN2, Language: "en", Clients: []int64{a.ID, c.ID}}
	ok(t, db.CreateUser(ctx, &tech, "hash-1"))
	if tech.ID == 0 || tech.Created.IsZero() || tech.Email != "tech@msp.example" {
		t.Fatalf("CreateUser did not fill the user: %+v", tech)
	}
	got := must(db.User(ctx, sys, tech.ID))(t)
	if got.Email != "tech@msp.example" || got.Name != "Tina" || got.Role != tenant.RoleTechnician || got.Level != user.LevelN2 || got.Language != "en" ||
		got.ClientID != nil || got.ContactID != nil || got.Disabled || got.TOTPEnabled || got.LastLogin != nil ||
		!slices.Equal(got.Clients, []int64{a.ID, c.ID}) || !got.Created.Equal(tech.Created) {
		t.Fatalf("User = %+v, want %+v", got, tech)
	}

	// Update replaces the client limits, in the same transaction.
	tech.Clients, tech.Disabled, tech.Name = []int64{b.ID}, true, "Tina T."
	ok(t, db.UpdateUser(ctx, &tech))
	got = must(db.User(ctx, sys, tech.ID))(t)
	if !slices.Equal(got.Clients, []int64{b.ID}) || !got.Disabled || got.Name != "Tina T." {
		t.Fatalf("after update: %+v", got)
	}
	tech.Clients = nil
	ok(t, db.UpdateUser(ctx, &tech))
	if got = must(db.User(ctx, sys, tech.ID))(t); len(got.Clients) != 0 {
		t.Fatalf("clients after clearing: %v", got.Clients)
	}

	cu := user.User{Email: "anne@alpha.example", Name: "Anne", Role: tenant.RoleClientUser, ClientID: &a.ID, ContactID: &ct.ID}
	ok(t, db.CreateUser(ctx, &cu, "hash-2"))
	got = must(db.UserByEmail(ctx, " ANNE@alpha.example"))(t)
	if got.ID != cu.ID || got.ClientID == nil || *got.ClientID != a.ID || got.ContactID == nil || *got.ContactID != ct.ID {
		t.Fatalf("UserByEmail = %+v", got)
	}
	wantNotFound(t, "UserByEmail(unknown)", func() error { _, err := db.UserByEmail(ctx, "nobody@example.com"); return err }())
	wantNotFound(t, "User(missing)", func() error { _, err := db.User(ctx, sys, 9999); return err }())
	wantNotFound(t, "UpdateUser(missing)", db.UpdateUser(ctx, &user.User{ID: 9999, Email: "x@example.com", Name: "x", Role: tenant.RoleAdmin}))
	if n := must(db.CountUsers(ctx))(t); n != 2 {
		t.Errorf("CountUsers = %d, want 2", n)
	}

	// Credentials and last sign-in belong to auth but show on the user.
	ok(t, db.SetPassword(ctx, cu.ID, "hash-3"))
	if cr := must(db.Credentials(ctx, cu.ID))(t); cr.PasswordHash != "hash-3" {
		t.Errorf("password hash = %q", cr.PasswordHash)
	}
	wantNotFound(t, "SetPassword(missing)", db.SetPassword(ctx, 9999, "x"))
	paris, err := time.LoadLocation("Europe/Paris")
	ok(t, err)
	at := time.Date(2025, 3, 30, 2, 30, 0, 123456789, time.UTC).In(paris) // a DST day, nanoseconds
	ok(t, db.SetLastLogin(ctx, cu.ID, at))
	got = must(db.User(ctx, sys, cu.ID))(t)
	if got.LastLogin == nil || !got.LastLogin.Equal(at.Truncate(time.Microsecond)) || got.LastLogin.Location() != time.UTC {
		t.Errorf("LastLogin = %v, want %v in UTC", got.LastLogin, at.UTC().Truncate(time.Microsecond))
	}
}

func testUserDuplicateEmail(t *testing.T, db *store.DB) {
	ctx := t.Context()
	mkUser(t, db, user.User{Email: "a@example.com", Name: "A", Role: tenant.RoleAdmin})
	dup := user.User{Email: "A@example.com", Name: "A2", Role: tenant.RoleAdmin}
	wantConflict(t, "CreateUser(dup)", db.CreateUser(ctx, &dup, "h"), "email")
	other := mkUser(t, db, user.User{Email: "b@example.com", Name: "B", Role: tenant.RoleAdmin})
	other.Email = "a@example.com"
	wantConflict(t, "UpdateUser(dup)", db.UpdateUser(ctx, &other), "email")
	if n := must(db.CountUsers(ctx))(t); n != 2 {
		t.Errorf("CountUsers = %d, want 2", n)
	}
}

// testUserRollback checks that a user and its client limits are written
// together or not at all.
func testUserRollback(t *testing.T, db *store.DB) {
	ctx := t.Context()
	a := mkClient(t, db, "ALPHA", "Alpha")
	bad := user.User{Email: "bad@example.com", Name: "Bad", Role: tenant.RoleTechnician, Clients: []int64{a.ID, 9999}}
	if err := db.CreateUser(ctx, &bad, "h"); err == nil {
		t.Fatal("CreateUser with an unknown client succeeded")
	}
	wantNotFound(t, "UserByEmail(rolled back)", func() error { _, err := db.UserByEmail(ctx, "bad@example.com"); return err }())
	var n int
	ok(t, db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM user_clients`).Scan(&n))
	if n != 0 {
		t.Errorf("user_clients has %d rows after a failed CreateUser", n)
	}

	u := mkUser(t, db, user.User{Email: "u@example.com", Name: "U", Role: tenant.RoleTechnician, Clients: []int64{a.ID}})
	changed := u
	changed.Name, changed.Clients = "Changed", []int64{9999}
	if err := db.UpdateUser(ctx, &changed); err == nil {
		t.Fatal("UpdateUser with an unknown client succeeded")
	}
	got := must(db.User(ctx, sys, u.ID))(t)
	if got.Name != "U" || !slices.Equal(got.Clients, []int64{a.ID}) {
		t.Errorf("after a failed update: name %q, clients %v; want unchanged", got.Name, got.Clients)
	}
}

func testUserVisibility(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	staff := []int64{w.manager.ID, w.techA.ID}
	for _, tc := range []struct {
		name    string
		s       tenant.Scope
		visible []int64 // staff and client users this scope may read
	}{
		{"system", sys, []int64{w.userA.ID, w.userB.ID, w.manager.ID, w.techA.ID}},
		{"manager", w.manager.Scope(), []int64{w.userA.ID, w.userB.ID, w.manager.ID, w.techA.ID}},
		{"technician limited to A", w.techA.Scope(), []int64{w.userA.ID, w.manager.ID, w.techA.ID}},
		{"client admin of A", w.userA.Scope(), []int64{w.userA.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, id := range []int64{w.userA.ID, w.userB.ID, w.manager.ID, w.techA.ID} {
				_, err := db.User(ctx, tc.s, id)
				if slices.Contains(tc.visible, id) {
					ok(t, err)
				} else {
					wantNotFound(t, "User", err)
				}
			}
			gotStaff := ids(must(db.Users(ctx, tc.s, user.Filter{Staff: true, Limit: 50}))(t), userID)
			var wantStaff, wantClient []int64
			for _, id := range tc.visible {
				if slices.Contains(staff, id) {
					wantStaff = append(wantStaff, id)
				} else {
					wantClient = append(wantClient, id)
				}
			}
			slices.Sort(wantStaff)
			if !slices.Equal(gotStaff, wantStaff) {
				t.Errorf("Users(staff) = %v, want %v", gotStaff, wantStaff)
			}
			if got := ids(must(db.Users(ctx, tc.s, user.Filter{Limit: 50}))(t), userID); !slices.Equal(got, wantClient) {
				t.Errorf("Users(client users) = %v, want %v", got, wantClient)
			}
			if got := ids(must(db.Users(ctx, tc.s, user.Filter{ClientID: w.A.ID, Limit: 50}))(t), userID); !slices.Equal(got, []int64{w.userA.ID}) {
				t.Errorf("Users(client A) = %v, want %v", got, []int64{w.userA.ID})
			}
		})
	}
}
