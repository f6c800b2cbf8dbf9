package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

// mayManage tells whether the caller may edit a user, to hide buttons and
// refuse the form early. It mirrors the rule of package user, which stays
// the authority when the form is submitted.
func mayManage(s tenant.Scope, u user.User) bool {
	if u.Role.Staff() {
		return s.Can(tenant.StaffWrite) && (u.Role != tenant.RoleAdmin || s.Role == tenant.RoleAdmin)
	}
	return u.ClientID != nil && s.CanOn(tenant.ClientUserWrite, *u.ClientID)
}

// CanManage reports whether the caller may edit u.
func (v *view) CanManage(u user.User) bool { return v.User != nil && mayManage(v.Scope(), u) }

type staffListPage struct {
	Users []user.User
	Query string
	Next  string
	Names map[int64]string
}

func (h *Handler) staffList(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, s := r.Context(), p.Scope()
	d := staffListPage{Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	us, err := h.d.Users.List(ctx, s, user.Filter{Staff: true, Query: d.Query, After: cursor(r, "after"), Limit: pageSize + 1})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(us) > pageSize {
		us = us[:pageSize]
		d.Next = nextPage(r, "after", us[len(us)-1].ID)
	}
	d.Users = us
	if d.Names, err = h.clientNames(ctx, s); err != nil {
		h.fail(w, r, err)
		return
	}
	v := h.view(w, r, "users")
	v.Form.setValues(url.Values{"q": {d.Query}})
	h.render(w, v, http.StatusOK, "users", d)
}

type userFormPage struct {
	User      user.User
	Client    *client.Client // the company of a client user
	Staff     bool
	Action    string
	Cancel    string
	Roles     []option
	Levels    []option
	Clients   []option
	Contacts  []option
	Languages []option
}

func userValues(u user.User) url.Values {
	vals := url.Values{"name": {u.Name}, "email": {u.Email}, "role": {string(u.Role)}, "level": {u.Level}, "language": {u.Language}}
	for _, id := range u.Clients {
		vals.Add("clients", itoa(id))
	}
	if u.ContactID != nil {
		vals.Set("contact_id", itoa(*u.ContactID))
	}
	if u.Disabled {
		vals.Set("disabled", "1")
	}
	return vals
}

// userFromForm copies the form onto u. A staff user's client limits and a
// client user's contact are read only for the kind of user u is; the client
// of a client user never comes from the form.
func userFromForm(vals url.Values, u *user.User, withDisabled bool) {
	u.Name, u.Email = vals.Get("name"), vals.Get("email")
	u.Role = tenant.Role(vals.Get("role"))
	u.Level = vals.Get("level")
	u.Language = vals.Get("language")
	if u.ClientID == nil {
		u.Clients = formIDs(vals, "clients")
	} else {
		u.ContactID = formID(vals, "contact_id")
	}
	if withDisabled {
		u.Disabled = formBool(vals, "disabled")
	}
}

// userForm gathers the choices of the user form for the caller.
func (h *Handler) userForm(ctx context.Context, v *view, s tenant.Scope, u user.User, c *client.Client) (userFormPage, error) {
	d := userFormPage{User: u, Client: c, Staff: c == nil, Languages: v.languageOptions(true)}
	role := func(r tenant.Role) { d.Roles = append(d.Roles, option{Value: string(r), Label: v.Role(r)}) }
	if d.Staff {
		if s.Role == tenant.RoleAdmin || s.IsSystem() {
			role(tenant.RoleAdmin)
		}
		role(tenant.RoleManager)
		role(tenant.RoleTechnician)
		for _, l := range []string{user.LevelN1, user.LevelN2, user.LevelN3} {
			d.Levels = append(d.Levels, option{Value: l, Label: v.T("level." + l)})
		}
		cs, err := h.allClients(ctx, s)
		if err != nil {
			return d, err
		}
		for _, cl := range cs {
			d.Clients = append(d.Clients, option{Value: itoa(cl.ID), Label: cl.Code + " — " + cl.Name})
		}
		d.Cancel = "/users"
	} else {
		role(tenant.RoleClientAdmin)
		role(tenant.RoleClientUser)
		cts, err := h.d.Clients.Contacts(ctx, s, client.ContactFilter{ClientID: c.ID, Limit: 500})
		if err != nil {
			return d, err
		}
		d.Contacts = []option{{Value: "", Label: v.T("user.no_contact")}}
		for _, ct := range cts {
			d.Contacts = append(d.Contacts, option{Value: itoa(ct.ID), Label: ct.FullName()})
		}
		d.Cancel = fmt.Sprintf("/clients/%d#users", c.ID)
	}
	if u.ID == 0 {
		d.Action = "/users/new"
		if c != nil {
			d.Action = fmt.Sprintf("/clients/%d/users/new", c.ID)
		}
	} else {
		d.Action = fmt.Sprintf("/users/%d/edit", u.ID)
	}
	return d, nil
}

// renderUserForm draws the user form, or fails if its choices cannot be loaded.
func (h *Handler) renderUserForm(w http.ResponseWriter, r *http.Request, v *view, s tenant.Scope, u user.User, c *client.Client, err error) {
	d, derr := h.userForm(r.Context(), v, s, u, c)
	if derr != nil {
		h.fail(w, r, derr)
		return
	}
	if err != nil {
		h.formFailed(w, v, "user_form", d, err)
		return
	}
	h.render(w, v, http.StatusOK, "user_form", d)
}

func (h *Handler) staffNew(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	s := p.Scope()
	if !s.Can(tenant.StaffWrite) {
		h.forbidden(w, r)
		return
	}
	v := h.view(w, r, "users")
	v.Form.setValues(url.Values{"role": {string(tenant.RoleTechnician)}, "level": {user.LevelN1}})
	h.renderUserForm(w, r, v, s, user.User{}, nil, nil)
}

func (h *Handler) staffCreate(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	s := p.Scope()
	if !s.Can(tenant.StaffWrite) {
		h.forbidden(w, r)
		return
	}
	if !parseForm(w, r) {
		return
	}
	var u user.User
	userFromForm(r.PostForm, &u, false)
	if !u.Role.Staff() {
		// This form makes staff only; client users are made from their client's page.
		u.Role = ""
	}
	if err := h.d.Users.Create(r.Context(), s, &u, r.PostForm.Get("password")); err != nil {
		v := h.view(w, r, "users")
		v.Form.setValues(withoutPasswords(r.PostForm))
		h.renderUserForm(w, r, v, s, user.User{}, nil, err)
		return
	}
	h.redirect(w, r, "/users", "flash.user_created", u.Email)
}

func (h *Handler) clientUserNew(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	if !s.CanOn(tenant.ClientUserWrite, c.ID) {
		h.forbidden(w, r)
		return
	}
	v := h.view(w, r, "clients")
	v.Form.setValues(url.Values{"role": {string(tenant.RoleClientUser)}})
	h.renderUserForm(w, r, v, s, user.User{}, &c, nil)
}

func (h *Handler) clientUserCreate(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	// The client comes from the URL, checked through the scope, never from the form.
	u := user.User{ClientID: &c.ID}
	userFromForm(r.PostForm, &u, false)
	if u.Role.Staff() {
		u.Role = ""
	}
	if err := h.d.Users.Create(r.Context(), s, &u, r.PostForm.Get("password")); err != nil {
		v := h.view(w, r, "clients")
		v.Form.setValues(withoutPasswords(r.PostForm))
		h.renderUserForm(w, r, v, s, user.User{}, &c, err)
		return
	}
	h.redirect(w, r, fmt.Sprintf("/clients/%d#users", c.ID), "flash.user_created", u.Email)
}

// loadUser loads the user of the path through the scope, with the client of
// a client user.
func (h *Handler) loadUser(w http.ResponseWriter, r *http.Request) (user.User, *client.Client, tenant.Scope, bool) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return user.User{}, nil, tenant.Scope{}, false
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return user.User{}, nil, tenant.Scope{}, false
	}
	s := p.Scope()
	u, err := h.d.Users.Get(r.Context(), s, id)
	if err != nil {
		h.fail(w, r, err)
		return user.User{}, nil, tenant.Scope{}, false
	}
	if u.ClientID == nil {
		return u, nil, s, true
	}
	c, err := h.d.Clients.Get(r.Context(), s, *u.ClientID)
	if err != nil {
		h.fail(w, r, err)
		return user.User{}, nil, tenant.Scope{}, false
	}
	return u, &c, s, true
}

func section(c *client.Client) string {
	if c != nil {
		return "clients"
	}
	return "users"
}

func (h *Handler) userEdit(w http.ResponseWriter, r *http.Request) {
	u, c, s, ok := h.loadUser(w, r)
	if !ok {
		return
	}
	if !mayManage(s, u) {
		h.forbidden(w, r)
		return
	}
	v := h.view(w, r, section(c))
	v.Form.setValues(userValues(u))
	h.renderUserForm(w, r, v, s, u, c, nil)
}

func (h *Handler) userUpdate(w http.ResponseWriter, r *http.Request) {
	u, c, s, ok := h.loadUser(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	loaded := u
	userFromForm(r.PostForm, &u, true)
	if err := h.d.Users.Update(r.Context(), s, &u); err != nil {
		v := h.view(w, r, section(c))
		v.Form.setValues(r.PostForm)
		h.renderUserForm(w, r, v, s, loaded, c, err)
		return
	}
	to := "/users"
	if c != nil {
		to = fmt.Sprintf("/clients/%d#users", c.ID)
	}
	h.redirect(w, r, to, "flash.user_saved", u.Email)
}

// withoutPasswords copies form values without the password fields, which
// are never sent back into a page.
func withoutPasswords(vals url.Values) url.Values {
	out := url.Values{}
	for k, v := range vals {
		if !strings.Contains(k, "password") {
			out[k] = v
		}
	}
	return out
}
