package api

import (
	"encoding/json"
	"errors"
	"slices"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

// userCreate is the body of POST /users.
type userCreate struct {
	Email     string      `json:"email" doc:"required"`
	Name      string      `json:"name" doc:"required"`
	Role      tenant.Role `json:"role" doc:"required"`
	Level     string      `json:"level" doc:"enum=N1|N2|N3;technicians only, N1 by default"`
	ClientID  *int64      `json:"client_id" doc:"client roles only: the user's client"`
	ContactID *int64      `json:"contact_id" doc:"client roles only: a contact of the same client"`
	Clients   []int64     `json:"clients" doc:"staff only: the clients they are limited to; empty means all"`
	Language  string      `json:"language" doc:"enum=|fr|en;empty follows the browser"`
	Password  string      `json:"password" doc:"required;format=password;initial password, at least 10 characters"`
}

// userPatch is the body of PATCH /users/{id}. A user's client never changes.
type userPatch struct {
	Email     Opt[string]      `json:"email"`
	Name      Opt[string]      `json:"name"`
	Role      Opt[tenant.Role] `json:"role" doc:"staff stay staff, client users stay client users"`
	Level     Opt[string]      `json:"level" doc:"enum=N1|N2|N3"`
	ContactID Opt[int64]       `json:"contact_id" doc:"null removes the link"`
	Clients   Opt[[]int64]     `json:"clients"`
	Language  Opt[string]      `json:"language" doc:"enum=|fr|en"`
	Disabled  Opt[bool]        `json:"disabled"`
}

// me is the body of GET /me.
type me struct {
	User user.User `json:"user"`
	// Token is the token of the request; null for a browser session.
	Token *auth.Token `json:"token"`
	// ReadOnly is set for a read-scope token: every write is refused.
	ReadOnly bool `json:"read_only"`
	// Language is the language of messages for this caller.
	Language string `json:"language" doc:"enum=fr|en"`
}

func (a *API) getOpenAPI(c *call) (any, error) { return json.RawMessage(a.openapi), nil }

func (a *API) getMe(c *call) (any, error) {
	return me{User: c.p.User, Token: c.p.Token, ReadOnly: c.scope.ReadOnly, Language: c.language()}, nil
}

func (a *API) listUsers(c *call) (any, error) {
	q := c.query()
	kind := q.v.Get("kind")
	if kind != "" {
		q.bad.OneOf("kind", kind, "staff", "client")
	}
	clientID := q.id("client_id")
	if kind == "staff" && clientID != 0 {
		q.bad.Add("client_id", "invalid_choice")
	}
	f := user.Filter{ClientID: clientID, Query: q.str("q"), After: q.after()}
	limit := q.limit()
	if err := q.err(); err != nil {
		return nil, err
	}
	f.Limit = limit + 1
	ctx := c.r.Context()
	var rows []user.User
	switch {
	case kind == "staff":
		f.Staff = true
		u, err := a.d.Users.List(ctx, c.scope, f)
		if err != nil {
			return nil, err
		}
		rows = u
	case kind == "client" || clientID != 0 || !c.scope.Can(tenant.StaffRead):
		u, err := a.d.Users.List(ctx, c.scope, f)
		if err != nil {
			return nil, err
		}
		rows = u
	default:
		// Both kinds: two pages by id, merged, are the first limit+1 ids of the union.
		f.Staff = true
		staff, err := a.d.Users.List(ctx, c.scope, f)
		if err != nil {
			return nil, err
		}
		f.Staff = false
		clientUsers, err := a.d.Users.List(ctx, c.scope, f)
		if err != nil {
			return nil, err
		}
		rows = append(staff, clientUsers...)
		slices.SortFunc(rows, func(x, y user.User) int { return cmpInt(x.ID, y.ID) })
		if len(rows) > f.Limit {
			rows = rows[:f.Limit]
		}
	}
	return pageOf(rows, limit, func(u user.User) int64 { return u.ID }), nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (a *API) createUser(c *call) (any, error) {
	var in userCreate
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	ctx := c.r.Context()
	if in.ClientID != nil && !in.Role.Staff() {
		// A client the caller cannot see is an invalid choice, whether it
		// exists or not.
		if _, err := a.d.Clients.Get(ctx, c.scope, *in.ClientID); err != nil {
			if errors.Is(err, fault.ErrNotFound) {
				v := &fault.Invalid{}
				v.Add("client_id", "invalid_choice")
				return nil, v
			}
			return nil, err
		}
	}
	u := user.User{Email: in.Email, Name: in.Name, Role: in.Role, Level: in.Level, ClientID: in.ClientID, ContactID: in.ContactID, Clients: in.Clients, Language: in.Language}
	if err := a.d.Users.Create(ctx, c.scope, &u, in.Password); err != nil {
		return nil, err
	}
	c.location("/users", u.ID)
	return u, nil
}

func (a *API) user(c *call) (user.User, error) {
	id, err := c.id("id")
	if err != nil {
		return user.User{}, err
	}
	return a.d.Users.Get(c.r.Context(), c.scope, id)
}

func (a *API) getUser(c *call) (any, error) { return a.user(c) }

func (a *API) updateUser(c *call) (any, error) {
	u, err := a.user(c)
	if err != nil {
		return nil, err
	}
	var in userPatch
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	in.Email.apply(&u.Email)
	in.Name.apply(&u.Name)
	in.Role.apply(&u.Role)
	in.Level.apply(&u.Level)
	in.ContactID.applyPtr(&u.ContactID)
	in.Clients.apply(&u.Clients)
	in.Language.apply(&u.Language)
	in.Disabled.apply(&u.Disabled)
	if err := a.d.Users.Update(c.r.Context(), c.scope, &u); err != nil {
		return nil, err
	}
	return a.d.Users.Get(c.r.Context(), c.scope, u.ID)
}

func (a *API) listAudit(c *call) (any, error) {
	q := c.query()
	var f audit.Filter
	if id := q.id("client_id"); id != 0 {
		f.ClientID = &id
	}
	if id := q.id("actor_id"); id != 0 {
		f.ActorID = &id
	}
	f.Action = q.str("action")
	f.Since, f.Until = q.time("since"), q.time("until")
	f.Before = q.after()
	limit := q.limit()
	if err := q.err(); err != nil {
		return nil, err
	}
	f.Limit = limit + 1
	rows, err := a.d.Journal.List(c.r.Context(), c.scope, f)
	if err != nil {
		return nil, err
	}
	return pageOf(rows, limit, func(e audit.Entry) int64 { return e.ID }), nil
}
