// Package api serves the JSON API under /api/v1 and the OpenAPI document
// that describes it.
//
// Every route is one entry of a table (endpoints): the same entry registers
// the handler and writes the route into the OpenAPI document, so the two
// cannot drift apart. Permissions are the services' business; the API
// translates HTTP to service calls and service errors to RFC 9457 problems.
package api

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/i18n"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/router"
	"github.com/vigie-hq/vigie/internal/user"
)

// Prefix is the path under which every API route lives.
const Prefix = "/api/v1"

// Deps are the services the API uses.
type Deps struct {
	Log      *slog.Logger
	Clients  *client.Service
	Users    *user.Service
	Auth     *auth.Service
	Provider *provider.Service
	Journal  *audit.Journal
	// Messages translates problem details and validation messages; nil
	// loads the embedded catalogs.
	Messages *i18n.Bundle
}

// API serves /api/v1.
type API struct {
	d       Deps
	log     *slog.Logger
	msg     *i18n.Bundle
	openapi []byte
}

// New returns the API. It panics when the embedded message catalogs or the
// OpenAPI document cannot be built: both are compiled in, and the i18n and
// api tests catch either break before a release.
func New(d Deps) *API {
	a := &API{d: d, log: d.Log, msg: d.Messages}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.msg == nil {
		b, err := i18n.Load()
		if err != nil {
			panic(fmt.Sprintf("api: load messages: %v", err))
		}
		a.msg = b
	}
	doc, err := json.MarshalIndent(buildDocument(a.endpoints()), "", "  ")
	if err != nil {
		panic(fmt.Sprintf("api: build OpenAPI document: %v", err))
	}
	a.openapi = doc
	return a
}

// Register adds the API's routes.
func (a *API) Register(rt *router.Router) {
	for _, e := range a.endpoints() {
		pattern := e.method + " " + Prefix + e.path
		if e.public {
			rt.Public(pattern, a.serve(e))
		} else {
			rt.HandleFunc(pattern, a.serve(e))
		}
	}
}

// OpenAPI returns the OpenAPI document served at /api/v1/openapi.json.
func (a *API) OpenAPI() []byte { return a.openapi }

// endpoint is one route: its handler and what the OpenAPI document says of it.
type endpoint struct {
	method  string
	path    string // under Prefix, with {id} parameters
	op      string // operationId
	tag     string
	summary string
	public  bool
	query   []param // accepted query parameters; any other is refused
	body    any     // request body (a zero value) described in the document; nil when none
	result  any     // response (a zero value); nil for 204 No Content
	page    bool    // the response is a page of result values
	status  int     // status of success
	// errors lists the problem statuses the document announces besides the
	// ones every authenticated route can answer (401, 403 for read-only tokens, 500).
	errors []int
	handle func(c *call) (any, error)
}

// param is a query parameter.
type param struct {
	name   string
	typ    string // "string", "integer", "boolean"
	format string // "date-time", "int64"…
	enum   []string
	desc   string
}

var (
	pLimit  = param{name: "limit", typ: "integer", desc: fmt.Sprintf("Page size, 1 to %d (default %d).", maxLimit, defaultLimit)}
	pAfter  = param{name: "after", typ: "string", desc: "Cursor: the next_cursor of the previous page."}
	pQuery  = param{name: "q", typ: "string", desc: "Text to look for (case-insensitive substring)."}
	paging  = []param{pLimit, pAfter}
	listErr = []int{http.StatusBadRequest, http.StatusUnprocessableEntity}
	bodyErr = []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity}
)

func (a *API) endpoints() []endpoint {
	idErr := []int{http.StatusNotFound}
	writeErr := append([]int{http.StatusNotFound}, bodyErr...)
	return []endpoint{
		{method: "GET", path: "/openapi.json", op: "getOpenAPI", tag: "meta", summary: "This OpenAPI document.", public: true, result: json.RawMessage(nil), status: 200, handle: a.getOpenAPI},
		{method: "GET", path: "/me", op: "getMe", tag: "meta", summary: "The caller: its user and, for a token, the token.", result: me{}, status: 200, handle: a.getMe},

		{method: "GET", path: "/clients", op: "listClients", tag: "clients", summary: "Clients the caller may see, by id.",
			query:  append([]param{pQuery, {name: "archived", typ: "boolean", desc: "true: archived clients only; false: active only; absent: both."}}, paging...),
			result: client.Client{}, page: true, status: 200, errors: listErr, handle: a.listClients},
		{method: "POST", path: "/clients", op: "createClient", tag: "clients", summary: "Create a client.", body: clientCreate{}, result: client.Client{}, status: 201,
			errors: append([]int{http.StatusForbidden, http.StatusConflict}, bodyErr...), handle: a.createClient},
		{method: "GET", path: "/clients/{id}", op: "getClient", tag: "clients", summary: "One client.", result: client.Client{}, status: 200, errors: idErr, handle: a.getClient},
		{method: "PATCH", path: "/clients/{id}", op: "updateClient", tag: "clients", summary: "Change a client (JSON merge patch: absent fields are kept).", body: clientPatch{}, result: client.Client{}, status: 200,
			errors: append([]int{http.StatusForbidden, http.StatusConflict}, writeErr...), handle: a.updateClient},
		{method: "POST", path: "/clients/{id}/archive", op: "archiveClient", tag: "clients", summary: "Archive a client.", result: client.Client{}, status: 200,
			errors: []int{http.StatusForbidden, http.StatusNotFound}, handle: a.archiveClient(true)},
		{method: "POST", path: "/clients/{id}/restore", op: "restoreClient", tag: "clients", summary: "Restore an archived client.", result: client.Client{}, status: 200,
			errors: []int{http.StatusForbidden, http.StatusNotFound}, handle: a.archiveClient(false)},

		{method: "GET", path: "/clients/{id}/sites", op: "listSites", tag: "sites", summary: "A client's sites, by name (one page).", result: client.Site{}, page: true, status: 200, errors: idErr, handle: a.listSites},
		{method: "POST", path: "/clients/{id}/sites", op: "createSite", tag: "sites", summary: "Add a site to a client.", body: siteInput{}, result: client.Site{}, status: 201,
			errors: append([]int{http.StatusForbidden}, writeErr...), handle: a.createSite},
		{method: "GET", path: "/sites/{id}", op: "getSite", tag: "sites", summary: "One site.", result: client.Site{}, status: 200, errors: idErr, handle: a.getSite},
		{method: "PATCH", path: "/sites/{id}", op: "updateSite", tag: "sites", summary: "Change a site (JSON merge patch).", body: sitePatch{}, result: client.Site{}, status: 200,
			errors: append([]int{http.StatusForbidden}, writeErr...), handle: a.updateSite},
		{method: "DELETE", path: "/sites/{id}", op: "deleteSite", tag: "sites", summary: "Delete a site; its contacts stay, without a site.", status: 204,
			errors: []int{http.StatusForbidden, http.StatusNotFound}, handle: a.deleteSite},

		{method: "GET", path: "/clients/{id}/contacts", op: "listClientContacts", tag: "contacts", summary: "A client's contacts, by id.", query: append([]param{pQuery}, paging...),
			result: client.Contact{}, page: true, status: 200, errors: append([]int{http.StatusNotFound}, listErr...), handle: a.listClientContacts},
		{method: "POST", path: "/clients/{id}/contacts", op: "createContact", tag: "contacts", summary: "Add a contact to a client.", body: contactInput{}, result: client.Contact{}, status: 201,
			errors: append([]int{http.StatusForbidden}, writeErr...), handle: a.createContact},
		{method: "GET", path: "/contacts", op: "listContacts", tag: "contacts", summary: "Contacts of every client the caller may see, by id.", query: append([]param{pQuery}, paging...),
			result: client.Contact{}, page: true, status: 200, errors: listErr, handle: a.listContacts},
		{method: "GET", path: "/contacts/{id}", op: "getContact", tag: "contacts", summary: "One contact.", result: client.Contact{}, status: 200, errors: idErr, handle: a.getContact},
		{method: "PATCH", path: "/contacts/{id}", op: "updateContact", tag: "contacts", summary: "Change a contact (JSON merge patch).", body: contactPatch{}, result: client.Contact{}, status: 200,
			errors: append([]int{http.StatusForbidden}, writeErr...), handle: a.updateContact},
		{method: "DELETE", path: "/contacts/{id}", op: "deleteContact", tag: "contacts", summary: "Delete a contact.", status: 204,
			errors: []int{http.StatusForbidden, http.StatusNotFound}, handle: a.deleteContact},

		{method: "GET", path: "/users", op: "listUsers", tag: "users", summary: "Users the caller may see, by id.",
			query: append([]param{
				{name: "kind", typ: "string", enum: []string{"staff", "client"}, desc: "staff: the provider's staff; client: client users. Absent: both for staff callers, client users otherwise."},
				{name: "client_id", typ: "integer", format: "int64", desc: "Client users of this client only."},
				pQuery,
			}, paging...),
			result: user.User{}, page: true, status: 200, errors: append([]int{http.StatusForbidden, http.StatusNotFound}, listErr...), handle: a.listUsers},
		{method: "POST", path: "/users", op: "createUser", tag: "users", summary: "Create a user with an initial password.", body: userCreate{}, result: user.User{}, status: 201,
			errors: append([]int{http.StatusForbidden, http.StatusConflict}, bodyErr...), handle: a.createUser},
		{method: "GET", path: "/users/{id}", op: "getUser", tag: "users", summary: "One user.", result: user.User{}, status: 200, errors: idErr, handle: a.getUser},
		{method: "PATCH", path: "/users/{id}", op: "updateUser", tag: "users", summary: "Change a user (JSON merge patch).", body: userPatch{}, result: user.User{}, status: 200,
			errors: append([]int{http.StatusForbidden, http.StatusConflict}, writeErr...), handle: a.updateUser},

		{method: "GET", path: "/audit", op: "listAudit", tag: "audit", summary: "The audit journal, newest first.",
			query: append([]param{
				{name: "client_id", typ: "integer", format: "int64", desc: "Entries about this client."},
				{name: "actor_id", typ: "integer", format: "int64", desc: "Entries by this user."},
				{name: "action", typ: "string", desc: `Action prefix: "client" or "client.create".`},
				{name: "since", typ: "string", format: "date-time", desc: "Entries at or after this instant (RFC 3339)."},
				{name: "until", typ: "string", format: "date-time", desc: "Entries before this instant (RFC 3339)."},
			}, paging...),
			result: audit.Entry{}, page: true, status: 200, errors: append([]int{http.StatusForbidden}, listErr...), handle: a.listAudit},
	}
}

// serve turns an endpoint into a handler: it reads the caller, refuses
// writes of read-only tokens and unknown query parameters, runs the
// endpoint and writes its result or its problem.
func (a *API) serve(e endpoint) http.HandlerFunc {
	known := map[string]bool{}
	for _, p := range e.query {
		known[p.name] = true
	}
	return func(w http.ResponseWriter, r *http.Request) {
		c := &call{api: a, w: w, r: r}
		if p, ok := auth.PrincipalFrom(r.Context()); ok {
			c.p, c.scope, c.signedIn = p, p.Scope(), true
		}
		w.Header().Set("Cache-Control", "no-store")
		if c.signedIn && c.scope.ReadOnly && r.Method != http.MethodGet && r.Method != http.MethodHead {
			// A read token may not write whatever the route: say so before
			// looking at the body or the ids, which leaks nothing.
			a.fail(c, errReadOnly)
			return
		}
		if err := c.checkQuery(known); err != nil {
			a.fail(c, err)
			return
		}
		v, err := e.handle(c)
		if err != nil {
			a.fail(c, err)
			return
		}
		if raw, ok := v.(json.RawMessage); ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(e.status)
			_, _ = w.Write(raw)
			return
		}
		if e.status == http.StatusNoContent {
			w.WriteHeader(e.status)
			return
		}
		c.writeJSON(e.status, v)
	}
}
