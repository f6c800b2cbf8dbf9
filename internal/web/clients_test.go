package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/tenant"
)

func TestCreateClientBadInput(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		srv.User("admin@example.com", tenant.RoleAdmin)
		b := signedIn(t, srv, "admin@example.com")
		base := url.Values{"code": {"ACME"}, "name": {"Acme"}, "time_zone": {"Europe/Paris"}, "language": {"fr"}}
		with := func(field, value string) url.Values {
			v := url.Values{}
			for k, vals := range base {
				v[k] = vals
			}
			v.Set(field, value)
			return v
		}
		tests := []struct {
			name         string
			form         url.Values
			field, code  string
			param, shown string
		}{
			{"empty name", with("name", "  "), "name", "required", "", ""},
			{"code with spaces", with("code", "AC ME"), "code", "invalid_code", "", "AC ME"},
			{"over-long name", with("name", strings.Repeat("n", 201)), "name", "too_long", "200", ""},
			{"invalid UTF-8", with("name", "Acme \xff\xfe"), "name", "invalid_utf8", "", "Acme \uFFFD"},
			{"unknown time zone", with("time_zone", "Mars/Olympus"), "time_zone", "invalid_timezone", "", "Mars/Olympus"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for _, lang := range []string{"fr", "en"} {
					b.lang = lang
					r := b.post("/clients/new", tt.form)
					wantStatus(t, lang, r, http.StatusUnprocessableEntity)
					want := fieldErr(lang, tt.code, tt.param)
					if got := fieldErrorBlock(r.body, tt.field); got != want {
						t.Errorf("%s: error under %s = %q, want %q", lang, tt.field, got, want)
					}
					// The summary at the top names the field in the same language.
					wantBody(t, lang, r, `<html lang="`+lang+`">`, `<a href="#f-`+tt.field+`">`+msg(lang, "field."+tt.field)+`</a>`)
					if tt.shown != "" && inputValue(r.body, tt.field) != tt.shown {
						t.Errorf("%s: the form shows %q for %s, want the input %q back", lang, inputValue(r.body, tt.field), tt.field, tt.shown)
					}
				}
			})
		}
		if fr, en := fieldErr("fr", "required", ""), fieldErr("en", "required", ""); fr == en {
			t.Fatalf("French and English messages are the same: %q", fr)
		}
		n, err := srv.App.Clients.Count(ctx(), tenant.System(), false)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("bad input created %d client(s)", n)
		}
	})
}

func TestCreateClientDuplicateCode(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		srv.Client("ACME")
		srv.User("admin@example.com", tenant.RoleAdmin)
		b := signedIn(t, srv, "admin@example.com")
		b.lang = "en"
		r := b.post("/clients/new", url.Values{"code": {"acme"}, "name": {"Another Acme"}, "time_zone": {"Europe/Paris"}, "language": {"en"}})
		wantStatus(t, "duplicate code", r, http.StatusConflict)
		if got := fieldErrorBlock(r.body, "code"); got != fieldErr("en", "taken", "") {
			t.Errorf("code error = %q", got)
		}
		if inputValue(r.body, "name") != "Another Acme" {
			t.Error("the form lost the user's input")
		}

		r = b.post("/clients/new", url.Values{"code": {"BETA"}, "name": {"Beta SARL"}, "time_zone": {"Europe/Paris"}, "language": {"fr"}})
		wantStatus(t, "create", r, http.StatusSeeOther)
		page := b.get(r.loc)
		wantStatus(t, "new client page", page, http.StatusOK)
		wantBody(t, "new client page", page, "Beta SARL", msg("en", "flash.client_created", "Beta SARL"))
		// Editing the new client to the taken code is refused the same way.
		r = b.post(r.loc+"/edit", url.Values{"code": {"ACME"}, "name": {"Beta SARL"}, "time_zone": {"Europe/Paris"}, "language": {"fr"}})
		wantStatus(t, "edit to a taken code", r, http.StatusConflict)
		if got := fieldErrorBlock(r.body, "code"); got != fieldErr("en", "taken", "") {
			t.Errorf("edit: code error = %q", got)
		}
	})
}

// fixture is a small world: two clients with a site, a contact and users.
type fixture struct {
	a, b             client.Client
	siteA, siteB     client.Site
	contactA, contB  client.Contact
	userA, userB     int64 // client users
	staffID, adminID int64
}

func newFixture(t *testing.T, srv *apptest.Server) fixture {
	t.Helper()
	var f fixture
	f.a, f.b = srv.Client("ALPHA"), srv.Client("BRAVO")
	for _, c := range []struct {
		cl   client.Client
		site *client.Site
		ct   *client.Contact
	}{{f.a, &f.siteA, &f.contactA}, {f.b, &f.siteB, &f.contB}} {
		*c.site = client.Site{ClientID: c.cl.ID, Name: "Site of " + c.cl.Code}
		if err := srv.App.Clients.CreateSite(srv.Ctx(), tenant.System(), c.site); err != nil {
			t.Fatal(err)
		}
		*c.ct = client.Contact{ClientID: c.cl.ID, FirstName: "Jo", LastName: "Contact " + c.cl.Code, VIP: true, SiteID: &c.site.ID}
		if err := srv.App.Clients.CreateContact(srv.Ctx(), tenant.System(), c.ct); err != nil {
			t.Fatal(err)
		}
	}
	f.adminID = srv.User("admin@example.com", tenant.RoleAdmin).ID
	srv.User("manager@example.com", tenant.RoleManager)
	f.staffID = srv.User("tech@example.com", tenant.RoleTechnician).ID
	srv.User("limited@example.com", tenant.RoleTechnician, f.a.ID)
	srv.User("cadmin@alpha.example", tenant.RoleClientAdmin, f.a.ID)
	f.userA = srv.User("cuser@alpha.example", tenant.RoleClientUser, f.a.ID).ID
	f.userB = srv.User("cuser@bravo.example", tenant.RoleClientUser, f.b.ID).ID
	return f
}

func TestClientUserSeesOnlyTheirClient(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		for _, email := range []string{"cuser@alpha.example", "cadmin@alpha.example", "limited@example.com"} {
			t.Run(email, func(t *testing.T) {
				b := signedIn(t, srv, email)
				wantBody(t, "own client", b.get(fmt.Sprintf("/clients/%d", f.a.ID)), f.a.Name, "Site of ALPHA", "Contact ALPHA")
				list := b.get("/clients")
				wantStatus(t, "client list", list, http.StatusOK)
				wantNotBody(t, "client list", list, f.b.Name)
				home := b.get("/")
				wantNotBody(t, "home", home, f.b.Name, "BRAVO")
				for _, path := range []string{
					fmt.Sprintf("/clients/%d", f.b.ID),
					fmt.Sprintf("/clients/%d/edit", f.b.ID),
					fmt.Sprintf("/clients/%d/sites/new", f.b.ID),
					fmt.Sprintf("/clients/%d/contacts/new", f.b.ID),
					fmt.Sprintf("/clients/%d/users/new", f.b.ID),
					fmt.Sprintf("/sites/%d/edit", f.siteB.ID),
					fmt.Sprintf("/contacts/%d/edit", f.contB.ID),
					fmt.Sprintf("/users/%d/edit", f.userB),
				} {
					r := b.get(path)
					wantStatus(t, "GET "+path, r, http.StatusNotFound)
					wantBody(t, "GET "+path, r, msg("fr", "errpage.not_found.title"))
				}
				for _, path := range []string{
					fmt.Sprintf("/clients/%d/archive", f.b.ID),
					fmt.Sprintf("/sites/%d/delete", f.siteB.ID),
					fmt.Sprintf("/contacts/%d/delete", f.contB.ID),
					fmt.Sprintf("/clients/%d/sites/new", f.b.ID),
					fmt.Sprintf("/users/%d/edit", f.userB),
				} {
					wantStatus(t, "POST "+path, b.post(path, url.Values{"name": {"x"}, "last_name": {"x"}}), http.StatusNotFound)
				}
			})
		}
		// Nothing of BRAVO changed.
		if _, err := srv.App.Clients.Site(ctx(), tenant.System(), f.siteB.ID); err != nil {
			t.Errorf("BRAVO's site: %v", err)
		}
		if c, _ := srv.App.Clients.Get(ctx(), tenant.System(), f.b.ID); c.Archived {
			t.Error("BRAVO archived by a foreign user")
		}
		// A client user is refused the staff pages, translated.
		b := signedIn(t, srv, "cuser@alpha.example")
		b.lang = "en"
		for _, path := range []string{"/users", "/audit", "/settings", "/clients/new", fmt.Sprintf("/clients/%d/edit", f.a.ID), fmt.Sprintf("/sites/%d/edit", f.siteA.ID)} {
			r := b.get(path)
			wantStatus(t, path, r, http.StatusForbidden)
			wantBody(t, path, r, msg("en", "errpage.forbidden.title"))
		}
		// The navigation shows only what the role may use.
		home := b.get("/")
		wantBody(t, "client user nav", home, msg("en", "nav.company"))
		wantNotBody(t, "client user nav", home, `href="/users"`, `href="/audit"`, `href="/settings"`)
	})
}

func TestArchiveAndRestore(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		path := fmt.Sprintf("/clients/%d", f.a.ID)
		tech := signedIn(t, srv, "tech@example.com")
		wantStatus(t, "technician archives", tech.post(path+"/archive", nil), http.StatusForbidden)
		wantNotBody(t, "technician's client page", tech.get(path), path+"/archive")

		m := signedIn(t, srv, "manager@example.com")
		page := m.get(path)
		wantBody(t, "manager's client page", page, `action="`+path+`/archive" data-confirm=`)
		r := m.post(path+"/archive", nil)
		wantStatus(t, "archive", r, http.StatusSeeOther)
		page = m.get(r.loc)
		wantBody(t, "archived client", page, msg("fr", "flash.client_archived", f.a.Name), `class="badge badge-archived"`, path+"/restore")
		wantNotBody(t, "active list", m.get("/clients"), f.a.Name)
		wantBody(t, "archived list", m.get("/clients?status=archived"), f.a.Name)
		wantStatus(t, "restore", m.post(path+"/restore", nil), http.StatusSeeOther)
		wantBody(t, "active list after restore", m.get("/clients"), f.a.Name)
		// Flash messages are shown once.
		m.get(path)
		wantNotBody(t, "second view", m.get(path), msg("fr", "flash.client_restored", f.a.Name))
	})
}

func TestSitesContactsAndUsers(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		b := signedIn(t, srv, "cadmin@alpha.example")
		cpath := fmt.Sprintf("/clients/%d", f.a.ID)

		r := b.post(cpath+"/sites/new", url.Values{"name": {""}})
		wantStatus(t, "site without a name", r, http.StatusUnprocessableEntity)
		wantStatus(t, "new site", b.post(cpath+"/sites/new", url.Values{"name": {"Annexe"}, "address": {"1 rue X\n75001 Paris"}}), http.StatusSeeOther)
		wantBody(t, "client page", b.get(cpath), "Annexe")

		// A contact's site must be one of its client's.
		r = b.post(cpath+"/contacts/new", url.Values{"last_name": {"Durand"}, "site_id": {itoa(f.siteB.ID)}})
		wantStatus(t, "foreign site", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "site_id"); got != fieldErr("fr", "invalid_choice", "") {
			t.Errorf("site_id error = %q", got)
		}
		r = b.post(cpath+"/contacts/new", url.Values{"last_name": {"Durand"}, "email": {"not-an-address"}})
		wantStatus(t, "bad e-mail", r, http.StatusUnprocessableEntity)
		wantStatus(t, "new contact", b.post(cpath+"/contacts/new", url.Values{"first_name": {"Léa"}, "last_name": {"Durand"}, "site_id": {itoa(f.siteA.ID)}, "vip": {"1"}}), http.StatusSeeOther)
		wantBody(t, "client page", b.get(cpath), "Léa Durand")

		// A client user, linked to a contact; the client comes from the URL only.
		r = b.post(cpath+"/users/new", url.Values{"name": {"Léa"}, "email": {"lea@alpha.example"}, "role": {"client-user"}, "contact_id": {itoa(f.contactA.ID)}, "password": {"long-enough-pass"}, "client_id": {itoa(f.b.ID)}})
		wantStatus(t, "new client user", r, http.StatusSeeOther)
		wantBody(t, "client page", b.get(cpath), "lea@alpha.example")
		r = b.post(cpath+"/users/new", url.Values{"name": {"Léa 2"}, "email": {"LEA@alpha.example"}, "role": {"client-user"}, "password": {"long-enough-pass"}})
		wantStatus(t, "duplicate e-mail", r, http.StatusConflict)
		if got := fieldErrorBlock(r.body, "email"); got != fieldErr("fr", "taken", "") {
			t.Errorf("email error = %q", got)
		}
		wantNotBody(t, "form after error", r, "long-enough-pass")
		r = b.post(cpath+"/users/new", url.Values{"name": {"Boss"}, "email": {"boss@alpha.example"}, "role": {"admin"}, "password": {"long-enough-pass"}})
		wantStatus(t, "client admin making a staff admin", r, http.StatusUnprocessableEntity)

		// Edit a site and delete a contact.
		wantStatus(t, "edit site", b.post(fmt.Sprintf("/sites/%d/edit", f.siteA.ID), url.Values{"name": {"Siège"}}), http.StatusSeeOther)
		wantStatus(t, "delete contact", b.post(fmt.Sprintf("/contacts/%d/delete", f.contactA.ID), nil), http.StatusSeeOther)
		b.get(cpath) // shows the flash message, which names the contact
		page := b.get(cpath)
		wantBody(t, "client page", page, "Siège")
		wantNotBody(t, "client page", page, "Contact ALPHA")
	})
}

func TestStaffUsers(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		m := signedIn(t, srv, "manager@example.com")
		wantStatus(t, "manager adds staff", m.get("/users/new"), http.StatusForbidden)
		wantNotBody(t, "manager's staff list", m.get("/users"), `href="/users/new"`)
		wantStatus(t, "manager editing an admin", m.get(fmt.Sprintf("/users/%d/edit", f.adminID)), http.StatusForbidden)
		r := m.post("/users/new", url.Values{"name": {"Root"}, "email": {"root@example.com"}, "role": {"admin"}, "password": {"long-enough-pass"}})
		wantStatus(t, "manager making an admin", r, http.StatusForbidden)

		a := signedIn(t, srv, "admin@example.com")
		wantBody(t, "admin's role choices", a.get("/users/new"), `<option value="admin"`)
		r = a.post("/users/new", url.Values{"name": {"Neo"}, "email": {"neo@example.com"}, "role": {"technician"}, "level": {"N2"}, "clients": {itoa(f.b.ID)}, "password": {"long-enough-pass"}})
		wantStatus(t, "new technician", r, http.StatusSeeOther)
		wantBody(t, "staff list", a.get("/users"), "neo@example.com", ">N2<", f.b.Name)
		r = a.post("/users/new", url.Values{"name": {"Neo"}, "email": {"NEO@example.com"}, "role": {"technician"}, "password": {"long-enough-pass"}})
		wantStatus(t, "duplicate staff e-mail", r, http.StatusConflict)
		if got := fieldErrorBlock(r.body, "email"); got != fieldErr("fr", "taken", "") {
			t.Errorf("email error = %q", got)
		}
		r = a.post(fmt.Sprintf("/users/%d/edit", f.adminID), url.Values{"name": {"Admin"}, "email": {"admin@example.com"}, "role": {"manager"}})
		wantStatus(t, "admin demoting themself", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "role"); got != fieldErr("fr", "cannot_change_self", "") {
			t.Errorf("role error = %q", got)
		}
		r = a.post(fmt.Sprintf("/users/%d/edit", f.staffID), url.Values{"name": {"Tech"}, "email": {"tech@example.com"}, "role": {"technician"}, "level": {"N3"}, "disabled": {"1"}})
		wantStatus(t, "disable a technician", r, http.StatusSeeOther)
		nb := newBrowser(t, srv)
		wantStatus(t, "disabled user signs in", nb.post("/login", url.Values{"email": {"tech@example.com"}, "password": {apptest.Password}}), http.StatusUnauthorized)

		tech := signedIn(t, srv, "limited@example.com")
		wantStatus(t, "technician lists staff", tech.get("/users"), http.StatusOK)
		wantStatus(t, "technician adds staff", tech.get("/users/new"), http.StatusForbidden)
		wantNotBody(t, "technician's staff list", tech.get("/users"), `href="/users/new"`)
	})
}
