package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

// assertEmpty checks that no client, site, contact, user or journal entry exists.
func assertEmpty(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := t.Context()
	for _, table := range []string{"clients", "sites", "contacts", "users", "user_clients", "audit_log"} {
		var n int
		ok(t, db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n))
		if n != 0 {
			t.Errorf("%s has %d rows after a rolled-back transaction", table, n)
		}
	}
}

func testTxRollback(t *testing.T, db *store.DB) {
	ctx := t.Context()
	boom := errors.New("boom")
	err := db.InTx(ctx, func(ctx context.Context) error {
		c := client.Client{Code: "TX", Name: "Tx", TimeZone: "Europe/Paris", Language: "fr"}
		ok(t, db.CreateClient(ctx, sys, &c))
		st := client.Site{ClientID: c.ID, Name: "Site"}
		ok(t, db.CreateSite(ctx, sys, &st))
		ct := client.Contact{ClientID: c.ID, SiteID: &st.ID, LastName: "Doe"}
		ok(t, db.CreateContact(ctx, sys, &ct))
		u := user.User{Email: "tx@example.com", Name: "Tx", Role: tenant.RoleTechnician, Clients: []int64{c.ID}}
		ok(t, db.CreateUser(ctx, &u, "hash"))
		ok(t, db.AppendAudit(ctx, &audit.Entry{Action: "client.create", ClientID: &c.ID}))
		// Reads inside the transaction see its writes.
		if _, err := db.Client(ctx, sys, c.ID); err != nil {
			t.Errorf("read own write in tx: %v", err)
		}
		if got, err := db.User(ctx, sys, u.ID); err != nil || !slices.Equal(got.Clients, []int64{c.ID}) {
			t.Errorf("read own user in tx = %v, %v", got.Clients, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want the function's error", err)
	}
	assertEmpty(t, db)
}

func testTxRollbackOnConflict(t *testing.T, db *store.DB) {
	ctx := t.Context()
	mkClient(t, db, "TAKEN", "Taken")
	err := db.InTx(ctx, func(ctx context.Context) error {
		c := client.Client{Code: "NEW", Name: "New", TimeZone: "Europe/Paris", Language: "fr"}
		if err := db.CreateClient(ctx, sys, &c); err != nil {
			return err
		}
		dup := client.Client{Code: "TAKEN", Name: "Dup", TimeZone: "Europe/Paris", Language: "fr"}
		return db.CreateClient(ctx, sys, &dup)
	})
	wantConflict(t, "second insert in tx", err, "code")
	got := must(db.Clients(ctx, sys, client.Filter{Limit: 10}))(t)
	if len(got) != 1 || got[0].Code != "TAKEN" {
		t.Fatalf("clients after rollback = %v, want only TAKEN", got)
	}
	// The connection is usable again (SQLite has a single writer).
	mkClient(t, db, "AFTER", "After")
}

func testTxNested(t *testing.T, db *store.DB) {
	ctx := t.Context()
	boom := errors.New("boom")
	err := db.InTx(ctx, func(ctx context.Context) error {
		mk := client.Client{Code: "OUTER", Name: "Outer", TimeZone: "Europe/Paris", Language: "fr"}
		ok(t, db.CreateClient(ctx, sys, &mk))
		// The inner transaction succeeds but joins the outer one…
		ok(t, db.InTx(ctx, func(ctx context.Context) error {
			in := client.Client{Code: "INNER", Name: "Inner", TimeZone: "Europe/Paris", Language: "fr"}
			return db.CreateClient(ctx, sys, &in)
		}))
		// …so a later failure undoes both; CreateUser's own InTx joins too.
		u := user.User{Email: "nested@example.com", Name: "N", Role: tenant.RoleAdmin}
		ok(t, db.CreateUser(ctx, &u, "hash"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v", err)
	}
	assertEmpty(t, db)
}

func testClientCRUD(t *testing.T, db *store.DB) {
	ctx := t.Context()
	c := client.Client{Code: "ACME", Name: "Acme", LegalID: "73282932000074", VATID: "FR44732829320", Address: "Paris", TimeZone: "Europe/Paris", Language: "fr"}
	ok(t, db.CreateClient(ctx, sys, &c))
	if c.ID == 0 || c.Created.IsZero() {
		t.Fatalf("CreateClient did not fill ID and dates: %+v", c)
	}
	got := must(db.Client(ctx, sys, c.ID))(t)
	if got.Code != c.Code || got.Name != c.Name || got.LegalID != c.LegalID || got.VATID != c.VATID || got.Address != c.Address || got.TimeZone != c.TimeZone || got.Language != c.Language || got.Archived || !got.Created.Equal(c.Created) {
		t.Fatalf("Client = %+v, want %+v", got, c)
	}
	c.Name, c.Archived, c.Language = "Acme Corp", true, "en"
	ok(t, db.UpdateClient(ctx, sys, &c))
	got = must(db.Client(ctx, sys, c.ID))(t)
	if got.Name != "Acme Corp" || !got.Archived || got.Language != "en" || !got.Updated.Equal(c.Updated) {
		t.Fatalf("after update: %+v", got)
	}
	other := mkClient(t, db, "OTHER", "Other")
	yes, no := true, false
	if l := ids(must(db.Clients(ctx, sys, client.Filter{Archived: &yes, Limit: 10}))(t), clientID); !slices.Equal(l, []int64{c.ID}) {
		t.Errorf("archived clients = %v", l)
	}
	if l := ids(must(db.Clients(ctx, sys, client.Filter{Archived: &no, Limit: 10}))(t), clientID); !slices.Equal(l, []int64{other.ID}) {
		t.Errorf("active clients = %v", l)
	}
	if n := must(db.CountClients(ctx, sys, true))(t); n != 1 {
		t.Errorf("CountClients(archived) = %d", n)
	}
	wantNotFound(t, "Client(missing)", func() error { _, err := db.Client(ctx, sys, 9999); return err }())
	missing := client.Client{ID: 9999, Code: "NOPE", Name: "Nope", TimeZone: "UTC", Language: "fr"}
	wantNotFound(t, "UpdateClient(missing)", db.UpdateClient(ctx, sys, &missing))
}

func testClientDuplicateCode(t *testing.T, db *store.DB) {
	ctx := t.Context()
	mkClient(t, db, "ACME", "Acme")
	dup := client.Client{Code: "ACME", Name: "Another", TimeZone: "Europe/Paris", Language: "fr"}
	wantConflict(t, "CreateClient(dup)", db.CreateClient(ctx, sys, &dup), "code")
	other := mkClient(t, db, "OTHER", "Other")
	other.Code = "ACME"
	wantConflict(t, "UpdateClient(dup)", db.UpdateClient(ctx, sys, &other), "code")
}

func testSiteCRUD(t *testing.T, db *store.DB) {
	ctx := t.Context()
	c := mkClient(t, db, "ACME", "Acme")
	b := mkSite(t, db, c.ID, "B site")
	a := mkSite(t, db, c.ID, "a site")
	got := must(db.Site(ctx, sys, a.ID))(t)
	if got.ClientID != c.ID || got.Name != "a site" || got.Address != a.Address || !got.Created.Equal(a.Created) {
		t.Fatalf("Site = %+v, want %+v", got, a)
	}
	if l := ids(must(db.Sites(ctx, sys, c.ID))(t), siteID); !slices.Equal(l, []int64{a.ID, b.ID}) {
		t.Errorf("Sites = %v, want by name, ignoring case", l)
	}
	a.Name, a.Notes = "A renamed", "door code 1234"
	a.ClientID = 4242 // ignored: a site never moves to another client
	ok(t, db.UpdateSite(ctx, sys, &a))
	got = must(db.Site(ctx, sys, a.ID))(t)
	if got.Name != "A renamed" || got.Notes != "door code 1234" || got.ClientID != c.ID {
		t.Fatalf("after update: %+v", got)
	}
	// Deleting a site keeps its contacts, without a site.
	ct := mkContact(t, db, c.ID, &b.ID, "Jo", "Doe", "jo@example.com")
	ok(t, db.DeleteSite(ctx, sys, b.ID))
	wantNotFound(t, "Site(deleted)", func() error { _, err := db.Site(ctx, sys, b.ID); return err }())
	wantNotFound(t, "DeleteSite(deleted)", db.DeleteSite(ctx, sys, b.ID))
	if got := must(db.Contact(ctx, sys, ct.ID))(t); got.SiteID != nil {
		t.Errorf("contact of a deleted site keeps site %d", *got.SiteID)
	}
	// The id of a deleted row is never reused (the journal names objects by id).
	n := mkSite(t, db, c.ID, "New")
	if n.ID <= b.ID {
		t.Errorf("new site got id %d, not above deleted %d", n.ID, b.ID)
	}
	wantNotFound(t, "CreateSite(missing client)", db.CreateSite(ctx, sys, &client.Site{ClientID: 9999, Name: "x"}))
}

func testContactCRUD(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	c := client.Contact{ClientID: w.A.ID, SiteID: &w.siteA.ID, FirstName: "Zoé", LastName: "Étienne", Email: "zoe@alpha.example", Phone: "+33 1 23 45 67 89", Mobile: "+33 6", JobTitle: "DAF", VIP: true}
	ok(t, db.CreateContact(ctx, sys, &c))
	got := must(db.Contact(ctx, sys, c.ID))(t)
	if got.ClientID != w.A.ID || got.SiteID == nil || *got.SiteID != w.siteA.ID || got.FirstName != "Zoé" || got.LastName != "Étienne" || got.Email != c.Email || got.Phone != c.Phone || got.Mobile != c.Mobile || got.JobTitle != "DAF" || !got.VIP || !got.Created.Equal(c.Created) {
		t.Fatalf("Contact = %+v, want %+v", got, c)
	}
	if cid := must(db.ContactClient(ctx, c.ID))(t); cid != w.A.ID {
		t.Errorf("ContactClient = %d, want %d", cid, w.A.ID)
	}
	wantNotFound(t, "ContactClient(missing)", func() error { _, err := db.ContactClient(ctx, 9999); return err }())
	c.SiteID, c.VIP, c.LastName = nil, false, "Martin"
	ok(t, db.UpdateContact(ctx, sys, &c))
	got = must(db.Contact(ctx, sys, c.ID))(t)
	if got.SiteID != nil || got.VIP || got.LastName != "Martin" {
		t.Fatalf("after update: %+v", got)
	}
	// A site of another client is refused, whoever asks.
	c.SiteID = &w.siteB.ID
	wantNotFound(t, "UpdateContact(site of B)", db.UpdateContact(ctx, sys, &c))
	bad := client.Contact{ClientID: w.A.ID, SiteID: &w.siteB.ID, LastName: "X"}
	wantNotFound(t, "CreateContact(site of B)", db.CreateContact(ctx, sys, &bad))
	if l := ids(must(db.Contacts(ctx, sys, client.ContactFilter{ClientID: w.A.ID, Limit: 10}))(t), contactID); !slices.Equal(l, []int64{w.contactA.ID, c.ID}) {
		t.Errorf("Contacts(A) = %v", l)
	}
	// Deleting a contact unlinks the user bound to it.
	ok(t, db.DeleteContact(ctx, sys, w.contactA.ID))
	wantNotFound(t, "Contact(deleted)", func() error { _, err := db.Contact(ctx, sys, w.contactA.ID); return err }())
	wantNotFound(t, "DeleteContact(deleted)", db.DeleteContact(ctx, sys, w.contactA.ID))
	if u := must(db.User(ctx, sys, w.userA.ID))(t); u.ContactID != nil {
		t.Errorf("user keeps deleted contact %d", *u.ContactID)
	}
}

// testTenancy checks that a scope limited to client A can neither read nor
// change anything of client B, and that B's rows are unchanged afterwards.
func testTenancy(t *testing.T, db *store.DB) {
	w := newWorld(t, db)
	ok(t, db.AppendAudit(t.Context(), &audit.Entry{ClientID: &w.B.ID, Action: "client.create"}))
	for name, s := range w.limitedToA() {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			notFound := map[string]error{}
			_, notFound["Client"] = db.Client(ctx, s, w.B.ID)
			b := w.B
			b.Name = "pwned"
			notFound["UpdateClient"] = db.UpdateClient(ctx, s, &b)
			_, notFound["Site"] = db.Site(ctx, s, w.siteB.ID)
			st := w.siteB
			st.Name = "pwned"
			notFound["UpdateSite"] = db.UpdateSite(ctx, s, &st)
			notFound["DeleteSite"] = db.DeleteSite(ctx, s, w.siteB.ID)
			notFound["CreateSite"] = db.CreateSite(ctx, s, &client.Site{ClientID: w.B.ID, Name: "pwned"})
			_, notFound["Contact"] = db.Contact(ctx, s, w.contactB.ID)
			ct := w.contactB
			ct.LastName = "pwned"
			notFound["UpdateContact"] = db.UpdateContact(ctx, s, &ct)
			notFound["DeleteContact"] = db.DeleteContact(ctx, s, w.contactB.ID)
			notFound["CreateContact"] = db.CreateContact(ctx, s, &client.Contact{ClientID: w.B.ID, LastName: "pwned"})
			notFound["CreateContact(own client, B's site)"] = db.CreateContact(ctx, s, &client.Contact{ClientID: w.A.ID, SiteID: &w.siteB.ID, LastName: "pwned"})
			_, notFound["User"] = db.User(ctx, s, w.userB.ID)
			for op, err := range notFound {
				wantNotFound(t, op, err)
			}

			// Lists hold A's rows and never B's.
			if l := ids(must(db.Clients(ctx, s, client.Filter{Limit: 100}))(t), clientID); !slices.Equal(l, []int64{w.A.ID}) {
				t.Errorf("Clients = %v, want only A", l)
			}
			if n := must(db.CountClients(ctx, s, false))(t); n != 1 {
				t.Errorf("CountClients = %d, want 1", n)
			}
			if l := must(db.Sites(ctx, s, w.B.ID))(t); len(l) != 0 {
				t.Errorf("Sites(B) = %v", l)
			}
			if l := ids(must(db.Sites(ctx, s, w.A.ID))(t), siteID); !slices.Equal(l, []int64{w.siteA.ID}) {
				t.Errorf("Sites(A) = %v", l)
			}
			if l := ids(must(db.Contacts(ctx, s, client.ContactFilter{Limit: 100}))(t), contactID); !slices.Equal(l, []int64{w.contactA.ID}) {
				t.Errorf("Contacts = %v, want only A's", l)
			}
			if l := must(db.Contacts(ctx, s, client.ContactFilter{ClientID: w.B.ID, Limit: 100}))(t); len(l) != 0 {
				t.Errorf("Contacts(B) = %v", l)
			}
			if l := ids(must(db.Users(ctx, s, user.Filter{Limit: 100}))(t), userID); !slices.Equal(l, []int64{w.userA.ID}) {
				t.Errorf("Users = %v, want only A's", l)
			}
			if l := must(db.Users(ctx, s, user.Filter{ClientID: w.B.ID, Limit: 100}))(t); len(l) != 0 {
				t.Errorf("Users(B) = %v", l)
			}
			for _, e := range must(db.AuditEntries(ctx, s, audit.Filter{Limit: 100}))(t) {
				if e.ClientID == nil || *e.ClientID != w.A.ID {
					t.Errorf("AuditEntries returned %+v", e)
				}
			}
			if l := must(db.AuditEntries(ctx, s, audit.Filter{ClientID: &w.B.ID, Limit: 100}))(t); len(l) != 0 {
				t.Errorf("AuditEntries(B) = %v", l)
			}
		})
	}
	// B is untouched.
	ctx := t.Context()
	if c := must(db.Client(ctx, sys, w.B.ID))(t); c.Name != w.B.Name {
		t.Errorf("client B renamed to %q", c.Name)
	}
	if st := must(db.Site(ctx, sys, w.siteB.ID))(t); st.Name != w.siteB.Name {
		t.Errorf("site of B renamed to %q", st.Name)
	}
	if ct := must(db.Contact(ctx, sys, w.contactB.ID))(t); ct.LastName != w.contactB.LastName {
		t.Errorf("contact of B renamed to %q", ct.LastName)
	}
	if l := must(db.Sites(ctx, sys, w.B.ID))(t); len(l) != 1 {
		t.Errorf("B has %d sites, want 1", len(l))
	}
	if l := must(db.Contacts(ctx, sys, client.ContactFilter{ClientID: w.B.ID, Limit: 100}))(t); len(l) != 1 {
		t.Errorf("B has %d contacts, want 1", len(l))
	}
	// A client scope without a client sees no client.
	none := tenant.Scope{Role: tenant.RoleClientUser}
	if l := must(db.Clients(ctx, none, client.Filter{Limit: 100}))(t); len(l) != 0 {
		t.Errorf("a client scope without client sees %v", l)
	}
}

func testPaginateClients(t *testing.T, db *store.DB) {
	ctx := t.Context()
	var want []int64
	for i := range 23 {
		want = append(want, mkClient(t, db, codeN(i), "Client").ID)
	}
	for _, n := range []int{1, 5, 23, 50} {
		got := paginate(t, n, true, func(after int64, limit int) ([]int64, error) {
			l, err := db.Clients(ctx, sys, client.Filter{After: after, Limit: limit})
			return ids(l, clientID), err
		})
		if !slices.Equal(got, want) {
			t.Errorf("pages of %d = %v, want %v", n, got, want)
		}
	}
	// With a search and a limited scope, the pages hold exactly the visible matches.
	s := tenant.Scope{Role: tenant.RoleTechnician, Clients: want[3:17]}
	got := paginate(t, 4, true, func(after int64, limit int) ([]int64, error) {
		l, err := db.Clients(ctx, s, client.Filter{Query: "c01", After: after, Limit: limit})
		return ids(l, clientID), err
	})
	if !slices.Equal(got, want[10:17]) { // C010…C016
		t.Errorf("scoped search pages = %v, want %v", got, want[10:17])
	}
}

func testPaginateContacts(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	want := []int64{w.contactA.ID}
	for i := range 17 {
		want = append(want, mkContact(t, db, w.A.ID, nil, "F", codeN(i), "").ID)
		mkContact(t, db, w.B.ID, nil, "F", codeN(i), "") // interleaved, invisible
	}
	got := paginate(t, 5, true, func(after int64, limit int) ([]int64, error) {
		l, err := db.Contacts(ctx, w.techA.Scope(), client.ContactFilter{After: after, Limit: limit})
		return ids(l, contactID), err
	})
	if !slices.Equal(got, want) {
		t.Errorf("pages = %v, want %v", got, want)
	}
}

func testPaginateUsers(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	staff := []int64{w.manager.ID, w.techA.ID}
	clientUsers := []int64{w.userA.ID, w.userB.ID}
	for i := range 12 {
		staff = append(staff, mkUser(t, db, user.User{Email: codeN(i) + "@msp.example", Name: "Staff", Role: tenant.RoleTechnician}).ID)
		clientUsers = append(clientUsers, mkUser(t, db, user.User{Email: codeN(i) + "@client.example", Name: "User", Role: tenant.RoleClientUser, ClientID: &w.A.ID}).ID)
	}
	slices.Sort(staff)
	slices.Sort(clientUsers)
	for name, tc := range map[string]struct {
		f    user.Filter
		want []int64
	}{
		"staff":        {user.Filter{Staff: true}, staff},
		"client users": {user.Filter{}, clientUsers},
	} {
		got := paginate(t, 5, true, func(after int64, limit int) ([]int64, error) {
			f := tc.f
			f.After, f.Limit = after, limit
			l, err := db.Users(ctx, sys, f)
			return ids(l, userID), err
		})
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s pages = %v, want %v", name, got, tc.want)
		}
	}
}

func testPaginateAudit(t *testing.T, db *store.DB) {
	ctx := t.Context()
	var want []int64
	for range 21 {
		e := audit.Entry{Action: "client.update"}
		ok(t, db.AppendAudit(ctx, &e))
		want = append(want, e.ID)
	}
	slices.Reverse(want)
	got := paginate(t, 4, false, func(before int64, limit int) ([]int64, error) {
		l, err := db.AuditEntries(ctx, sys, audit.Filter{Before: before, Limit: limit})
		return ids(l, func(e audit.Entry) int64 { return e.ID }), err
	})
	if !slices.Equal(got, want) {
		t.Errorf("pages = %v, want %v", got, want)
	}
}

// testSearchLiteral checks that % _ and \ in a search are plain characters.
func testSearchLiteral(t *testing.T, db *store.DB) {
	ctx := t.Context()
	pct := mkClient(t, db, "PCT", "Alpha 100% Pure")
	nopct := mkClient(t, db, "NOPCT", "Alpha 1000 Pure")
	und := mkClient(t, db, "UND", "Under_score")
	mkClient(t, db, "NOUND", "UnderXscore")
	bsl := mkClient(t, db, "BSL", `Back\slash`)
	mkClient(t, db, "NOBSL", "Backslash")
	ecole := mkClient(t, db, "ECOLE", "École Gartnerei Étienne")
	for _, tc := range []struct {
		q    string
		want []int64
	}{
		{"100%", []int64{pct.ID}},
		{"%", []int64{pct.ID}},
		{"_", []int64{und.ID}},
		{"r_s", []int64{und.ID}},
		{`\`, []int64{bsl.ID}},
		{`k\s`, []int64{bsl.ID}},
		{"PURE", []int64{pct.ID, nopct.ID}}, // case-insensitive
		{"ÉCOLE", []int64{ecole.ID}},        // Unicode case folding, not only ASCII
		{"ecole", []int64{ecole.ID}},        // accents ignored
		{"gärtnerei", []int64{ecole.ID}},    // both ways
	} {
		got := ids(must(db.Clients(ctx, sys, client.Filter{Query: tc.q, Limit: 50}))(t), clientID)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Clients(%q) = %v, want %v", tc.q, got, tc.want)
		}
	}

	c := pct.ID
	a := mkContact(t, db, c, nil, "Anne", "Dupont", "a_b@example.com")
	mkContact(t, db, c, nil, "Anne", "Durand", "axb@example.com")
	p := mkContact(t, db, c, nil, "Paul", "50%", "")
	mkContact(t, db, c, nil, "Paul", "500", "")
	h := mkContact(t, db, c, nil, "Hélène", "Noël", "")
	for q, want := range map[string][]int64{"a_b": {a.ID}, "%": {p.ID}, "helene": {h.ID}, "NOËL": {h.ID}} {
		if got := ids(must(db.Contacts(ctx, sys, client.ContactFilter{Query: q, Limit: 50}))(t), contactID); !slices.Equal(got, want) {
			t.Errorf("Contacts(%q) = %v, want %v", q, got, want)
		}
	}

	u := mkUser(t, db, user.User{Email: "j_d@msp.example", Name: "J D", Role: tenant.RoleAdmin})
	mkUser(t, db, user.User{Email: "jxd@msp.example", Name: "J X", Role: tenant.RoleAdmin})
	if got := ids(must(db.Users(ctx, sys, user.Filter{Staff: true, Query: "J_D", Limit: 50}))(t), userID); !slices.Equal(got, []int64{u.ID}) {
		t.Errorf("Users(j_d) = %v, want %v", got, []int64{u.ID})
	}

	x := audit.Entry{Action: "ab_c.create"}
	ok(t, db.AppendAudit(ctx, &x))
	ok(t, db.AppendAudit(ctx, &audit.Entry{Action: "abxc.create"}))
	if got := must(db.AuditEntries(ctx, sys, audit.Filter{Action: "ab_", Limit: 50}))(t); len(got) != 1 || got[0].ID != x.ID {
		t.Errorf("AuditEntries(ab_) = %+v, want only %d", got, x.ID)
	}
}
