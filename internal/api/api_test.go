package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/user"
)

// TestAPI runs every API scenario on each database, one server per database.
func TestAPI(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e := newEnv(t, dialect)
			t.Run("clients", e.testClients)
			t.Run("conflict", e.testConflict)
			t.Run("sites", e.testSites)
			t.Run("contacts", e.testContacts)
			t.Run("users", e.testUsers)
			t.Run("me", e.testMe)
			t.Run("audit", e.testAudit)
			t.Run("pagination", e.testPagination)
			t.Run("permissions", e.testPermissions)
			t.Run("read-only token", e.testReadOnlyToken)
			t.Run("authentication", e.testAuthentication)
			t.Run("bad input", e.testBadInput)
			t.Run("foreign ids", e.testForeignIDs)
			t.Run("languages", e.testLanguages)
		})
	}
}

func (e *env) testClients(t *testing.T) {
	r := e.do(t, "POST", "/api/v1/clients", e.adminTok, map[string]any{
		"code": "ch-01", "name": "Chantiers Réunis", "address": "1 rue de la Paix\n75002 Paris", "language": "en",
	}).want(t, 201)
	var c client.Client
	r.decode(t, &c)
	if c.ID == 0 || c.Code != "CH-01" || c.TimeZone != "Europe/Paris" || c.Language != "en" || c.Archived {
		t.Fatalf("created %+v", c)
	}
	if loc := r.header.Get("Location"); loc != fmt.Sprintf("/api/v1/clients/%d", c.ID) {
		t.Errorf("Location %q", loc)
	}
	path := fmt.Sprintf("/api/v1/clients/%d", c.ID)

	var got client.Client
	e.do(t, "GET", path, e.techTok, nil).want(t, 200).decode(t, &got)
	if got.Name != "Chantiers Réunis" || got.Address != c.Address {
		t.Fatalf("get %+v", got)
	}

	// Merge patch: only name changes; null clears vat_id.
	e.do(t, "PATCH", path, e.managerTok, `{"name":"Chantiers Réunis SA","vat_id":null}`).want(t, 200).decode(t, &got)
	if got.Name != "Chantiers Réunis SA" || got.Address != c.Address || got.Code != "CH-01" || got.Language != "en" {
		t.Fatalf("after patch %+v", got)
	}
	stored, err := e.s.App.Clients.Get(e.s.Ctx(), tenant.System(), c.ID)
	if err != nil || stored.Name != "Chantiers Réunis SA" || stored.Address != c.Address {
		t.Fatalf("stored %+v, %v", stored, err)
	}
	// A merge patch with application/merge-patch+json is accepted too.
	e.do(t, "PATCH", path, e.managerTok, `{"legal_id":"732 829 320 00074"}`, header("Content-Type", "application/merge-patch+json")).want(t, 200)

	e.do(t, "POST", path+"/archive", e.adminTok, nil).want(t, 200).decode(t, &got)
	if !got.Archived {
		t.Fatal("archive did not archive")
	}
	var archived pageOf[client.Client]
	e.do(t, "GET", "/api/v1/clients?archived=true", e.adminTok, nil).want(t, 200).decode(t, &archived)
	if len(archived.Data) != 1 || archived.Data[0].ID != c.ID {
		t.Fatalf("archived=true lists %+v", archived.Data)
	}
	e.do(t, "POST", path+"/restore", e.adminTok, "{}").want(t, 200).decode(t, &got)
	if got.Archived {
		t.Fatal("restore did not restore")
	}
	var found pageOf[client.Client]
	e.do(t, "GET", "/api/v1/clients?q=r%C3%A9unis&archived=false", e.adminTok, nil).want(t, 200).decode(t, &found)
	if len(found.Data) != 1 || found.Data[0].ID != c.ID || found.NextCursor != nil {
		t.Fatalf("q=réunis lists %+v", found)
	}
	// Validation names the fields.
	p := e.do(t, "POST", "/api/v1/clients", e.adminTok, `{"code":"x","name":"","time_zone":"Mars/Olympus"}`).problem(t, 422)
	for _, f := range []string{"code", "name", "time_zone"} {
		p.field(t, f)
	}
}

func (e *env) testConflict(t *testing.T) {
	e.do(t, "POST", "/api/v1/clients", e.adminTok, `{"code":"DUP-1","name":"One"}`).want(t, 201)
	p := e.do(t, "POST", "/api/v1/clients", e.adminTok, `{"code":"dup-1","name":"Two"}`).problem(t, 409)
	if code, _ := p.field(t, "code"); code != "taken" {
		t.Errorf("conflict code %q", code)
	}
	if !strings.Contains(p.Type, "conflict") {
		t.Errorf("type %q", p.Type)
	}
	// Renaming onto a taken code is a conflict too, and changes nothing.
	p = e.do(t, "PATCH", fmt.Sprintf("/api/v1/clients/%d", e.b.ID), e.adminTok, `{"code":"DUP-1"}`).problem(t, 409)
	p.field(t, "code")
	if b, _ := e.s.App.Clients.Get(e.s.Ctx(), tenant.System(), e.b.ID); b.Code != "BRAVO" {
		t.Fatalf("B's code became %q", b.Code)
	}
	// A taken e-mail address is a conflict on email.
	p = e.do(t, "POST", "/api/v1/users", e.adminTok, map[string]any{"email": "TECH@msp.example", "name": "Dup", "role": "technician", "password": "long enough password"}).problem(t, 409)
	p.field(t, "email")
}

func (e *env) testSites(t *testing.T) {
	base := fmt.Sprintf("/api/v1/clients/%d/sites", e.a.ID)
	var st client.Site
	r := e.do(t, "POST", base, e.clientTok, `{"name":"Siège","address":"Lyon"}`).want(t, 201)
	r.decode(t, &st)
	if st.ClientID != e.a.ID || st.Name != "Siège" {
		t.Fatalf("site %+v", st)
	}
	path := fmt.Sprintf("/api/v1/sites/%d", st.ID)
	if r.header.Get("Location") != path {
		t.Errorf("Location %q", r.header.Get("Location"))
	}
	e.do(t, "POST", base, e.techTok, `{"name":"Annexe"}`).want(t, 201)
	var list pageOf[client.Site]
	e.do(t, "GET", base, e.userTok, nil).want(t, 200).decode(t, &list)
	if len(list.Data) != 2 || list.Data[0].Name != "Annexe" || list.NextCursor != nil {
		t.Fatalf("sites %+v", list)
	}
	e.do(t, "PATCH", path, e.techTok, `{"notes":"Badge à l'accueil"}`).want(t, 200).decode(t, &st)
	if st.Notes != "Badge à l'accueil" || st.Address != "Lyon" {
		t.Fatalf("patched %+v", st)
	}
	e.do(t, "PATCH", path, e.techTok, `{"name":null}`).problem(t, 422).field(t, "name")
	e.do(t, "GET", path, e.userTok, nil).want(t, 200)
	e.do(t, "DELETE", path, e.userTok, nil).problem(t, 403)
	e.do(t, "DELETE", path, e.clientTok, nil).want(t, 204)
	e.do(t, "GET", path, e.adminTok, nil).problem(t, 404)
	e.do(t, "DELETE", path, e.adminTok, nil).problem(t, 404)
}

func (e *env) testContacts(t *testing.T) {
	var st client.Site
	e.do(t, "POST", fmt.Sprintf("/api/v1/clients/%d/sites", e.a.ID), e.adminTok, `{"name":"Entrepôt"}`).want(t, 201).decode(t, &st)
	base := fmt.Sprintf("/api/v1/clients/%d/contacts", e.a.ID)
	var ct client.Contact
	e.do(t, "POST", base, e.clientTok, map[string]any{"first_name": "Léa", "last_name": "Martin", "email": "Lea.Martin@Alpha.example", "site_id": st.ID, "vip": true}).want(t, 201).decode(t, &ct)
	if ct.Email != "lea.martin@alpha.example" || ct.SiteID == nil || *ct.SiteID != st.ID || !ct.VIP {
		t.Fatalf("contact %+v", ct)
	}
	path := fmt.Sprintf("/api/v1/contacts/%d", ct.ID)
	// A site of another client is refused.
	var bSite client.Site
	e.do(t, "POST", fmt.Sprintf("/api/v1/clients/%d/sites", e.b.ID), e.adminTok, `{"name":"B site"}`).want(t, 201).decode(t, &bSite)
	e.do(t, "PATCH", path, e.adminTok, map[string]any{"site_id": bSite.ID}).problem(t, 422).field(t, "site_id")
	// null removes the site; absent fields stay.
	e.do(t, "PATCH", path, e.techTok, `{"site_id":null,"job_title":"DAF"}`).want(t, 200).decode(t, &ct)
	if ct.SiteID != nil || ct.JobTitle != "DAF" || ct.LastName != "Martin" || !ct.VIP {
		t.Fatalf("patched %+v", ct)
	}
	e.do(t, "POST", base, e.adminTok, `{"last_name":"Durand","email":"durand@alpha.example"}`).want(t, 201)
	var all pageOf[client.Contact]
	e.do(t, "GET", "/api/v1/contacts?q=MARTIN", e.userTok, nil).want(t, 200).decode(t, &all)
	if len(all.Data) != 1 || all.Data[0].ID != ct.ID {
		t.Fatalf("q=MARTIN %+v", all.Data)
	}
	var ofA pageOf[client.Contact]
	e.do(t, "GET", base, e.userTok, nil).want(t, 200).decode(t, &ofA)
	if len(ofA.Data) < 2 {
		t.Fatalf("contacts of A %+v", ofA.Data)
	}
	e.do(t, "POST", base, e.adminTok, `{"last_name":"X","email":"not-an-address"}`).problem(t, 422).field(t, "email")
	e.do(t, "DELETE", path, e.techTok, nil).want(t, 204)
	e.do(t, "GET", path, e.techTok, nil).problem(t, 404)
}

func (e *env) testUsers(t *testing.T) {
	var u user.User
	r := e.do(t, "POST", "/api/v1/users", e.clientTok, map[string]any{
		"email": "new@alpha.example", "name": "Nouveau", "role": "client-user", "client_id": e.a.ID, "password": "un mot de passe long",
	}).want(t, 201)
	r.decode(t, &u)
	if u.ClientID == nil || *u.ClientID != e.a.ID || u.Role != tenant.RoleClientUser {
		t.Fatalf("user %+v", u)
	}
	// The initial password works.
	if _, _, err := e.s.App.Auth.Login(e.s.Ctx(), "new@alpha.example", "un mot de passe long", "127.0.0.1", "test"); err != nil {
		t.Fatalf("sign in with the initial password: %v", err)
	}
	path := fmt.Sprintf("/api/v1/users/%d", u.ID)
	e.do(t, "PATCH", path, e.clientTok, `{"name":"Renommé","language":"en"}`).want(t, 200).decode(t, &u)
	if u.Name != "Renommé" || u.Language != "en" || u.Email != "new@alpha.example" {
		t.Fatalf("patched %+v", u)
	}
	// A client admin cannot make a client user staff, nor a user for B.
	e.do(t, "PATCH", path, e.clientTok, `{"role":"admin"}`).problem(t, 422).field(t, "role")
	e.do(t, "POST", "/api/v1/users", e.clientTok, map[string]any{
		"email": "x@bravo.example", "name": "X", "role": "client-user", "client_id": e.b.ID, "password": "un mot de passe long",
	}).problem(t, 422).field(t, "client_id")
	// A short password names the field.
	e.do(t, "POST", "/api/v1/users", e.adminTok, map[string]any{"email": "s@msp.example", "name": "S", "role": "manager", "password": "short"}).problem(t, 422).field(t, "password")
	// Only an admin makes an admin.
	e.do(t, "POST", "/api/v1/users", e.managerTok, map[string]any{"email": "a2@msp.example", "name": "A2", "role": "admin", "password": "long enough password"}).problem(t, 403)

	staff, _ := collect[user.User](t, e, "/api/v1/users?kind=staff", e.techTok, 2)
	for _, s := range staff {
		if !s.Role.Staff() {
			t.Fatalf("kind=staff lists %+v", s)
		}
	}
	if len(staff) != 3 {
		t.Fatalf("%d staff users, want 3", len(staff))
	}
	ofA, _ := collect[user.User](t, e, fmt.Sprintf("/api/v1/users?client_id=%d", e.a.ID), e.clientTok, 50)
	if len(ofA) != 3 {
		t.Fatalf("%d users of A, want 3", len(ofA))
	}
	// Without kind, staff see both kinds, merged by id and paged.
	every, _ := collect[user.User](t, e, "/api/v1/users", e.adminTok, 2)
	if len(every) != 6 || !slices.IsSortedFunc(every, func(x, y user.User) int { return int(x.ID - y.ID) }) {
		t.Fatalf("every user: %d, sorted %v", len(every), slices.IsSortedFunc(every, func(x, y user.User) int { return int(x.ID - y.ID) }))
	}
	// A client user sees its client's users only, and no staff.
	mine, _ := collect[user.User](t, e, "/api/v1/users", e.userTok, 50)
	for _, m := range mine {
		if m.ClientID == nil || *m.ClientID != e.a.ID {
			t.Fatalf("client user sees %+v", m)
		}
	}
	e.do(t, "GET", "/api/v1/users?kind=staff", e.userTok, nil).problem(t, 403)
	e.do(t, "GET", "/api/v1/users?kind=robots", e.adminTok, nil).problem(t, 422).field(t, "kind")
	e.do(t, "GET", fmt.Sprintf("/api/v1/users/%d", e.tech.ID), e.userTok, nil).problem(t, 404)
}

func (e *env) testMe(t *testing.T) {
	var m struct {
		User     user.User   `json:"user"`
		Token    *auth.Token `json:"token"`
		ReadOnly bool        `json:"read_only"`
		Language string      `json:"language"`
	}
	e.do(t, "GET", "/api/v1/me", e.readTok, nil, header("Accept-Language", "en-GB")).want(t, 200).decode(t, &m)
	if m.User.ID != e.admin.ID || m.Token == nil || m.Token.Write || !m.ReadOnly || m.Language != "en" {
		t.Fatalf("me %+v", m)
	}
	if bytes.Contains(e.do(t, "GET", "/api/v1/me", e.readTok, nil).body, []byte("hash")) {
		t.Fatal("me shows a hash")
	}
}

func (e *env) testAudit(t *testing.T) {
	start := time.Now().UTC().Add(-time.Second)
	path := fmt.Sprintf("/api/v1/clients/%d", e.a.ID)
	e.do(t, "PATCH", path, e.managerTok, `{"address":"Audit street"}`).want(t, 200)
	var p pageOf[audit.Entry]
	e.do(t, "GET", fmt.Sprintf("/api/v1/audit?action=client.update&client_id=%d&since=%s", e.a.ID, start.Format(time.RFC3339)), e.clientTok, nil).want(t, 200).decode(t, &p)
	if len(p.Data) == 0 || p.Data[0].Action != "client.update" || p.Data[0].ActorID == nil || *p.Data[0].ActorID != e.manager.ID {
		t.Fatalf("audit %+v", p.Data)
	}
	e.do(t, "GET", fmt.Sprintf("/api/v1/audit?actor_id=%d&limit=200", e.manager.ID), e.adminTok, nil).want(t, 200).decode(t, &p)
	for _, en := range p.Data {
		if en.ActorID == nil || *en.ActorID != e.manager.ID {
			t.Fatalf("actor filter lets through %+v", en)
		}
	}
	e.do(t, "GET", "/api/v1/audit?until=2000-01-01T00:00:00Z", e.adminTok, nil).want(t, 200).decode(t, &p)
	if len(p.Data) != 0 {
		t.Fatalf("until 2000 lists %d entries", len(p.Data))
	}
	// Newest first, each entry once across pages.
	all, _ := collect[audit.Entry](t, e, "/api/v1/audit", e.adminTok, 7)
	for i := 1; i < len(all); i++ {
		if all[i].ID >= all[i-1].ID {
			t.Fatalf("audit not newest first at %d: %d then %d", i, all[i-1].ID, all[i].ID)
		}
	}
	// A client admin reads only its client's entries.
	mine, _ := collect[audit.Entry](t, e, "/api/v1/audit", e.clientTok, 200)
	for _, en := range mine {
		if en.ClientID == nil || *en.ClientID != e.a.ID {
			t.Fatalf("client admin reads %+v", en)
		}
	}
	e.do(t, "GET", "/api/v1/audit", e.techTok, nil).problem(t, 403)
	e.do(t, "GET", "/api/v1/audit?since=yesterday", e.adminTok, nil).problem(t, 422).field(t, "since")
}

func (e *env) testPagination(t *testing.T) {
	for i := range 23 {
		e.do(t, "POST", "/api/v1/clients", e.adminTok, map[string]any{"code": fmt.Sprintf("PAGE-%02d", i), "name": fmt.Sprintf("Paged %d", i)}).want(t, 201)
		e.do(t, "POST", fmt.Sprintf("/api/v1/clients/%d/contacts", e.a.ID), e.adminTok, map[string]any{"last_name": fmt.Sprintf("Paged %d", i)}).want(t, 201)
	}
	want, err := e.s.App.Clients.List(e.s.Ctx(), tenant.System(), client.Filter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{1, 5, 7, len(want), 200} {
		got, pages := collect[client.Client](t, e, "/api/v1/clients", e.adminTok, limit)
		if len(got) != len(want) {
			t.Fatalf("limit %d: %d clients, want %d", limit, len(got), len(want))
		}
		seen := map[int64]bool{}
		for i, c := range got {
			if seen[c.ID] || c.ID != want[i].ID {
				t.Fatalf("limit %d: row %d is client %d (seen before: %v), want %d", limit, i, c.ID, seen[c.ID], want[i].ID)
			}
			seen[c.ID] = true
		}
		if wantPages := (len(want) + limit - 1) / limit; pages != wantPages {
			t.Errorf("limit %d: %d pages, want %d", limit, pages, wantPages)
		}
	}
	q, _ := collect[client.Client](t, e, "/api/v1/clients?q=paged", e.adminTok, 4)
	if len(q) != 23 {
		t.Fatalf("q=paged over pages: %d, want 23", len(q))
	}
	contacts, _ := collect[client.Contact](t, e, "/api/v1/contacts?q=paged", e.userTok, 6)
	ids := map[int64]bool{}
	for _, c := range contacts {
		ids[c.ID] = true
	}
	if len(contacts) != 23 || len(ids) != 23 {
		t.Fatalf("contacts over pages: %d rows, %d distinct", len(contacts), len(ids))
	}
	for _, bad := range []string{"limit=0", "limit=201", "limit=x", "after=bm90IGEgY3Vyc29y", "after=%21"} {
		p := e.do(t, "GET", "/api/v1/clients?"+bad, e.adminTok, nil).problem(t, 422)
		p.field(t, strings.SplitN(bad, "=", 2)[0])
	}
}

func (e *env) testPermissions(t *testing.T) {
	for _, c := range []struct {
		name, method, path, token, body string
		status                          int
	}{
		{"technician creates a client", "POST", "/api/v1/clients", e.techTok, `{"code":"T1","name":"T"}`, 403},
		{"client admin edits its client", "PATCH", fmt.Sprintf("/api/v1/clients/%d", e.a.ID), e.clientTok, `{"name":"Mine"}`, 403},
		{"client user adds a site", "POST", fmt.Sprintf("/api/v1/clients/%d/sites", e.a.ID), e.userTok, `{"name":"S"}`, 403},
		{"technician archives", "POST", fmt.Sprintf("/api/v1/clients/%d/archive", e.a.ID), e.techTok, "", 403},
		{"client user reads the journal", "GET", "/api/v1/audit", e.userTok, "", 403},
		{"client user adds a user", "POST", "/api/v1/users", e.userTok, fmt.Sprintf(`{"email":"u9@alpha.example","name":"U","role":"client-user","client_id":%d,"password":"long enough password"}`, e.a.ID), 403},
		{"technician reads staff", "GET", "/api/v1/users?kind=staff", e.techTok, "", 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body any
			if c.body != "" {
				body = c.body
			}
			r := e.do(t, c.method, c.path, c.token, body)
			if c.status >= 400 {
				p := r.problem(t, c.status)
				if p.Type != "urn:vigie:problem:forbidden" {
					t.Errorf("type %q", p.Type)
				}
				return
			}
			r.want(t, c.status)
		})
	}
	if a, _ := e.s.App.Clients.Get(e.s.Ctx(), tenant.System(), e.a.ID); a.Name == "Mine" || a.Archived {
		t.Fatalf("a refused call changed A: %+v", a)
	}
}

func (e *env) testReadOnlyToken(t *testing.T) {
	e.do(t, "GET", "/api/v1/clients", e.readTok, nil).want(t, 200)
	e.do(t, "GET", fmt.Sprintf("/api/v1/clients/%d", e.b.ID), e.readTok, nil).want(t, 200)
	before, _ := e.s.App.Clients.Get(e.s.Ctx(), tenant.System(), e.b.ID)
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/v1/clients", `{"code":"RO","name":"Read only"}`},
		{"PATCH", fmt.Sprintf("/api/v1/clients/%d", e.b.ID), `{"name":"Changed"}`},
		{"POST", fmt.Sprintf("/api/v1/clients/%d/archive", e.b.ID), ""},
		{"POST", fmt.Sprintf("/api/v1/clients/%d/sites", e.b.ID), `{"name":"S"}`},
		{"DELETE", "/api/v1/sites/1", ""},
		{"POST", "/api/v1/users", `{"email":"ro@msp.example","name":"RO","role":"technician","password":"long enough password"}`},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		p := e.do(t, c.method, c.path, e.readTok, body).problem(t, 403)
		if p.Type != "urn:vigie:problem:read-only" {
			t.Errorf("%s %s: type %q", c.method, c.path, p.Type)
		}
	}
	after, _ := e.s.App.Clients.Get(e.s.Ctx(), tenant.System(), e.b.ID)
	if after != before {
		t.Fatalf("a read-only token changed B: %+v → %+v", before, after)
	}
	if _, err := e.s.App.Users.List(e.s.Ctx(), tenant.System(), user.Filter{Staff: true, Query: "ro@msp"}); err != nil {
		t.Fatal(err)
	} else if us, _ := e.s.App.Users.List(e.s.Ctx(), tenant.System(), user.Filter{Staff: true, Query: "ro@msp"}); len(us) != 0 {
		t.Fatal("a read-only token created a user")
	}
}

func (e *env) testAuthentication(t *testing.T) {
	plain, tok, err := e.s.App.Auth.CreateToken(e.s.Ctx(), e.admin, "to revoke", true)
	if err != nil {
		t.Fatal(err)
	}
	e.do(t, "GET", "/api/v1/me", plain, nil).want(t, 200)
	if err := e.s.App.Auth.RevokeToken(e.s.Ctx(), e.admin, tok.ID); err != nil {
		t.Fatal(err)
	}
	e.do(t, "GET", "/api/v1/me", plain, nil).problem(t, 401)
	e.do(t, "GET", "/api/v1/clients", "vgt_not-a-token", nil).problem(t, 401)
	e.do(t, "GET", "/api/v1/clients", "", nil).problem(t, 401)
	e.do(t, "GET", "/api/v1/clients", "", nil, header("Authorization", "Basic YWRtaW46YWRtaW4=")).problem(t, 401)
	// The document is public.
	e.do(t, "GET", "/api/v1/openapi.json", "", nil).want(t, 200)
}

func (e *env) testBadInput(t *testing.T) {
	clients := "/api/v1/clients"
	patch := fmt.Sprintf("/api/v1/clients/%d", e.a.ID)
	big := `{"name":"` + strings.Repeat("x", 3<<20) + `"}`
	for _, c := range []struct {
		name, method, path, body string
		opts                     []opt
		status                   int
		field                    string // the field the problem must name
	}{
		{"no content type", "POST", clients, `{"code":"NC","name":"N"}`, []opt{header("Content-Type", "")}, 415, ""},
		{"form content type", "POST", clients, `code=NC&name=N`, []opt{header("Content-Type", "application/x-www-form-urlencoded")}, 415, ""},
		{"latin-1 charset", "POST", clients, `{"code":"NC","name":"N"}`, []opt{header("Content-Type", "application/json; charset=iso-8859-1")}, 415, ""},
		{"merge patch type on POST", "POST", clients, `{"code":"NC","name":"N"}`, []opt{header("Content-Type", "application/merge-patch+json")}, 415, ""},
		{"malformed", "POST", clients, `{"code":"NC",`, nil, 400, ""},
		{"syntax error", "POST", clients, `{"code" "NC"}`, nil, 400, ""},
		{"empty body", "POST", clients, ` `, nil, 400, ""},
		{"not an object", "POST", clients, `["NC"]`, nil, 400, ""},
		{"null body", "POST", clients, `null`, nil, 400, ""},
		{"unknown field", "POST", clients, `{"code":"NC","name":"N","colour":"red"}`, nil, 400, "colour"},
		{"read-only field", "PATCH", patch, `{"archived":true}`, nil, 400, "archived"},
		{"id in body", "PATCH", patch, `{"id":5}`, nil, 400, "id"},
		{"wrong type", "POST", clients, `{"code":12,"name":"N"}`, nil, 400, "code"},
		{"wrong type in patch", "PATCH", patch, `{"name":false}`, nil, 400, "name"},
		{"duplicate field", "POST", clients, `{"code":"NC","name":"N","code":"NC2"}`, nil, 400, "code"},
		{"duplicate nested field", "PATCH", fmt.Sprintf("/api/v1/users/%d", e.userA.ID), `{"clients":[],"name":"a","language":"fr","name":"b"}`, nil, 400, "name"},
		{"trailing data", "POST", clients, `{"code":"NC","name":"N"} {"x":1}`, nil, 400, ""},
		{"trailing garbage", "POST", clients, `{"code":"NC","name":"N"}garbage`, nil, 400, ""},
		{"invalid UTF-8", "POST", clients, "{\"code\":\"NC\",\"name\":\"\xff\xfe\"}", nil, 400, ""},
		{"too large", "POST", clients, big, nil, 413, ""},
		{"control characters", "POST", clients, `{"code":"NC","name":"a\u0007b"}`, nil, 422, "name"},
		{"body on archive", "POST", patch + "/archive", `{"why":"because"}`, nil, 400, "why"},
		{"unknown query parameter", "GET", clients + "?archve=true", "", nil, 400, "archve"},
		{"repeated query parameter", "GET", clients + "?q=a&q=b", "", nil, 400, "q"},
		{"bad boolean", "GET", clients + "?archived=yes", "", nil, 422, "archived"},
		{"id not a number", "GET", clients + "/abc", "", nil, 404, ""},
		{"id zero", "GET", clients + "/0", "", nil, 404, ""},
		{"id negative", "GET", clients + "/-1", "", nil, 404, ""},
		{"id with sign", "GET", fmt.Sprintf("%s/+%d", clients, e.a.ID), "", nil, 404, ""},
		{"id with leading zero", "GET", fmt.Sprintf("%s/0%d", clients, e.a.ID), "", nil, 404, ""},
		{"id overflows", "GET", clients + "/99999999999999999999", "", nil, 404, ""},
		{"missing id", "GET", clients + "/987654", "", nil, 404, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body any
			if c.body != "" {
				body = c.body
			}
			r := e.do(t, c.method, c.path, e.adminTok, body, c.opts...)
			if c.status == 413 {
				// The server's body limit may answer before the API does.
				r.want(t, 413)
				return
			}
			p := r.problem(t, c.status)
			if c.field != "" {
				p.field(t, c.field)
			}
		})
	}
	// Nothing above changed anything.
	if a, _ := e.s.App.Clients.Get(e.s.Ctx(), tenant.System(), e.a.ID); a.Archived || a.Code != "ALPHA" {
		t.Fatalf("bad input changed A: %+v", a)
	}
	if cs, _ := e.s.App.Clients.List(e.s.Ctx(), tenant.System(), client.Filter{Query: "NC"}); len(cs) != 0 {
		t.Fatalf("bad input created %+v", cs)
	}

	// A chunked body over the limit (no Content-Length) is refused by the API itself.
	req, _ := http.NewRequest("POST", e.s.URL+clients, struct{ *strings.Reader }{strings.NewReader(big)})
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.adminTok)
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("chunked too-large body: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func (e *env) testForeignIDs(t *testing.T) {
	// Objects of B, reached by users limited to A, answer exactly like missing ones.
	var bSite client.Site
	e.do(t, "POST", fmt.Sprintf("/api/v1/clients/%d/sites", e.b.ID), e.adminTok, `{"name":"Bravo HQ"}`).want(t, 201).decode(t, &bSite)
	var bContact client.Contact
	e.do(t, "POST", fmt.Sprintf("/api/v1/clients/%d/contacts", e.b.ID), e.adminTok, `{"last_name":"Bravo","email":"ceo@bravo.example"}`).want(t, 201).decode(t, &bContact)
	limited := e.s.User("limited@msp.example", tenant.RoleTechnician, e.a.ID)
	limitedTok := e.s.Token(limited, true)
	for _, tok := range []string{e.clientTok, e.userTok, limitedTok} {
		for _, c := range []struct{ method, foreign, missing, body string }{
			{"GET", fmt.Sprintf("/api/v1/clients/%d", e.b.ID), "/api/v1/clients/987654", ""},
			{"PATCH", fmt.Sprintf("/api/v1/clients/%d", e.b.ID), "/api/v1/clients/987654", `{"name":"Pwned"}`},
			{"POST", fmt.Sprintf("/api/v1/clients/%d/archive", e.b.ID), "/api/v1/clients/987654/archive", ""},
			{"GET", fmt.Sprintf("/api/v1/clients/%d/sites", e.b.ID), "/api/v1/clients/987654/sites", ""},
			{"POST", fmt.Sprintf("/api/v1/clients/%d/sites", e.b.ID), "/api/v1/clients/987654/sites", `{"name":"Pwned"}`},
			{"GET", fmt.Sprintf("/api/v1/clients/%d/contacts", e.b.ID), "/api/v1/clients/987654/contacts", ""},
			{"GET", fmt.Sprintf("/api/v1/sites/%d", bSite.ID), "/api/v1/sites/987654", ""},
			{"PATCH", fmt.Sprintf("/api/v1/sites/%d", bSite.ID), "/api/v1/sites/987654", `{"name":"Pwned"}`},
			{"DELETE", fmt.Sprintf("/api/v1/sites/%d", bSite.ID), "/api/v1/sites/987654", ""},
			{"GET", fmt.Sprintf("/api/v1/contacts/%d", bContact.ID), "/api/v1/contacts/987654", ""},
			{"DELETE", fmt.Sprintf("/api/v1/contacts/%d", bContact.ID), "/api/v1/contacts/987654", ""},
		} {
			var body any
			if c.body != "" {
				body = c.body
			}
			foreign := e.do(t, c.method, c.foreign, tok, body)
			missing := e.do(t, c.method, c.missing, tok, body)
			if foreign.status != 404 || !bytes.Equal(foreign.body, missing.body) {
				t.Errorf("%s %s: %d %s; missing object: %d %s", c.method, c.foreign, foreign.status, foreign.body, missing.status, missing.body)
			}
		}
		var list pageOf[client.Client]
		e.do(t, "GET", "/api/v1/clients", tok, nil).want(t, 200).decode(t, &list)
		if len(list.Data) != 1 || list.Data[0].ID != e.a.ID {
			t.Errorf("a caller limited to A lists %+v", list.Data)
		}
		if r := e.do(t, "GET", "/api/v1/contacts", tok, nil); bytes.Contains(r.body, []byte("ceo@bravo.example")) {
			t.Errorf("B's contact is listed to a caller limited to A")
		}
	}
	if st, err := e.s.App.Clients.Site(e.s.Ctx(), tenant.System(), bSite.ID); err != nil || st.Name != "Bravo HQ" {
		t.Fatalf("B's site: %+v, %v", st, err)
	}
	if b, _ := e.s.App.Clients.Get(e.s.Ctx(), tenant.System(), e.b.ID); b.Archived || b.Name == "Pwned" {
		t.Fatalf("B changed: %+v", b)
	}
}

func (e *env) testLanguages(t *testing.T) {
	body := `{"code":"LANG","name":""}`
	p := e.do(t, "POST", "/api/v1/clients", e.adminTok, body).problem(t, 422)
	if _, msg := p.field(t, "name"); msg != "Ce champ est obligatoire." {
		t.Errorf("default message %q, want French", msg)
	}
	p = e.do(t, "POST", "/api/v1/clients", e.adminTok, body, header("Accept-Language", "en-US,en;q=0.9")).problem(t, 422)
	if _, msg := p.field(t, "name"); msg != "This field is required." {
		t.Errorf("Accept-Language en: %q", msg)
	}
	if !strings.Contains(p.Detail, "invalid") {
		t.Errorf("English detail %q", p.Detail)
	}
	// The user's saved language wins over the browser's.
	en := e.s.User("english@msp.example", tenant.RoleAdmin)
	if err := e.s.App.Users.SetLanguage(e.s.Ctx(), en.Scope(), "en"); err != nil {
		t.Fatal(err)
	}
	enTok := e.s.Token(en, true)
	p = e.do(t, "POST", "/api/v1/clients", enTok, body, header("Accept-Language", "fr-FR")).problem(t, 422)
	if _, msg := p.field(t, "name"); msg != "This field is required." {
		t.Errorf("saved language en: %q", msg)
	}
	p = e.do(t, "POST", "/api/v1/clients", e.adminTok, `{"code":"L2","name":"N","colour":"red"}`, header("Accept-Language", "fr")).problem(t, 400)
	if p.Detail != "Champ inconnu « colour »." {
		t.Errorf("French unknown-field detail %q", p.Detail)
	}
	p = e.do(t, "POST", "/api/v1/clients", e.adminTok, `{"code":"L2","name":"N","colour":"red"}`, header("Accept-Language", "en")).problem(t, 400)
	if p.Detail != "Unknown field “colour”." {
		t.Errorf("English unknown-field detail %q", p.Detail)
	}
	p = e.do(t, "GET", "/api/v1/clients/987654", e.adminTok, nil, header("Accept-Language", "en")).problem(t, 404)
	if !strings.HasPrefix(p.Detail, "This object does not exist") {
		t.Errorf("English 404 detail %q", p.Detail)
	}
}
