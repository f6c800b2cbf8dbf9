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
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/attachment"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/contractdoc"
	"github.com/vigie-hq/vigie/internal/helpdeskmail"
	"github.com/vigie-hq/vigie/internal/i18n"
	"github.com/vigie-hq/vigie/internal/notify"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/reportrun"
	"github.com/vigie-hq/vigie/internal/router"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/ticket"
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
	// Tickets is the helpdesk; nil leaves its routes out of the API.
	Tickets *ticket.Service
	// HelpdeskMail is the helpdesk's e-mail (mailboxes, domain rules,
	// quarantine); nil leaves its routes out of the API.
	HelpdeskMail *helpdeskmail.Service
	// Attachments keeps the files of tickets; nil leaves its routes out.
	Attachments *attachment.Service
	// Assets is the fleet; nil leaves its routes out.
	Assets *asset.Service
	// Supervision is checks, templates, events, maintenance, backups.
	Supervision *supervision.Service
	// Notify is the notification channels of supervision problems; nil leaves its routes out.
	Notify *notify.Service
	// Contracts is each client's contracts and their perimeter; nil leaves their routes out.
	Contracts *contract.Service
	// ContractDocs keeps the documents of contracts; nil leaves their routes out.
	ContractDocs *contractdoc.Service
	// ReportRuns is the clients' report archive; nil leaves its routes out.
	ReportRuns *reportrun.Service
	// Messages translates problem details and validation messages; nil
	// loads the embedded catalogs.
	Messages *i18n.Bundle
	// Now is the clock of "now" in answers (the contract in force, usage,
	// coverage); nil is time.Now.
	Now func() time.Time
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
	if a.d.Now == nil {
		a.d.Now = time.Now
	}
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
	if a.d.Supervision != nil {
		a.registerPush(rt)
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
	// noLocation marks a 201 whose new object has no URL of its own (a
	// followup, a time entry): no Location header.
	noLocation bool
	// multipart marks a body sent as multipart/form-data (an upload).
	multipart bool
	// rawBody is the media type of a body that is not JSON (text/csv),
	// read by the handler itself.
	rawBody string
	// download marks a response that is a file, written by the handler.
	download bool
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
	// list parameters may be repeated, and each value may be a comma-separated list.
	list bool
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
	eps := []endpoint{
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
	if a.d.Tickets != nil {
		eps = append(eps, a.helpdeskEndpoints()...)
	}
	if a.d.Tickets != nil && a.d.HelpdeskMail != nil {
		eps = append(eps, a.helpdeskMailEndpoints()...)
	}
	if a.d.Tickets != nil && a.d.Attachments != nil {
		eps = append(eps, a.attachmentEndpoints()...)
	}
	if a.d.Assets != nil {
		eps = append(eps, a.assetEndpoints()...)
	}
	if a.d.Contracts != nil {
		eps = append(eps, a.contractEndpoints()...)
		eps = append(eps, a.contractUsageEndpoints()...)
	}
	if a.d.Contracts != nil && a.d.ContractDocs != nil {
		eps = append(eps, a.contractDocumentEndpoints()...)
	}
	if a.d.Supervision != nil {
		eps = append(eps, a.supervisionEndpoints()...)
	}
	if a.d.Notify != nil {
		eps = append(eps, a.notifyEndpoints()...)
	}
	if a.d.ReportRuns != nil {
		eps = append(eps, a.reportRunEndpoints()...)
	}
	return eps
}

// helpdeskEndpoints are the routes of the helpdesk, served when the API has
// a ticket service (as the web UI shows its helpdesk pages).
func (a *API) helpdeskEndpoints() []endpoint {
	idErr := []int{http.StatusNotFound}
	writeErr := append([]int{http.StatusNotFound}, bodyErr...)
	return []endpoint{
		{method: "GET", path: "/tickets", op: "listTickets", tag: "tickets",
			summary: "Tickets the caller may see (a client user: the ones it requested or opened), newest first unless sorted.",
			query: append([]param{
				{name: "client_id", typ: "integer", format: "int64", desc: "Tickets of this client only."},
				{name: "status", typ: "string", enum: ticketStatusNames(), list: true, desc: "Tickets in one of these statuses: repeat the parameter or separate statuses with commas."},
				{name: "open", typ: "boolean", desc: "true: tickets neither resolved nor closed; false: resolved or closed ones."},
				{name: "assignee_id", typ: "integer", format: "int64", desc: "Tickets assigned to this staff user; 0: unassigned tickets."},
				{name: "level", typ: "string", enum: ticketLevels, desc: "Tickets at this support level."},
				{name: "priority", typ: "string", enum: []string{"1", "2", "3", "4", "P1", "P2", "P3", "P4"}, desc: "Tickets of this priority: 1 to 4 or P1 to P4."},
				{name: "out_of_perimeter", typ: "string", enum: []string{"0", "1", "false", "true"}, desc: "1 (or true): only the tickets out of their contract's perimeter (no contract in force, or an asset the contract does not cover); 0 or absent: every ticket."},
				{name: "q", typ: "string", desc: "Text to look for in the title and description (case-insensitive)."},
				{name: "sort", typ: "string", enum: []string{"due", "updated"}, desc: "due: earliest resolution deadline first, tickets without one last; updated: most recently changed first. Absent: newest first. A cursor belongs to its sort."},
			}, paging...),
			result: ticket.Ticket{}, page: true, status: 200, errors: listErr, handle: a.listTickets},
		{method: "POST", path: "/tickets", op: "createTicket", tag: "tickets",
			summary: "Open a ticket. Staff name the client; a client user opens it for its own client, as requester when linked to a contact.",
			body:    ticketCreate{}, result: ticket.Ticket{}, status: 201, errors: append([]int{http.StatusForbidden}, bodyErr...), handle: a.createTicket},
		{method: "GET", path: "/tickets/{id}", op: "getTicket", tag: "tickets", summary: "One ticket, with the summary of its SLA clocks.",
			result: ticket.Ticket{}, status: 200, errors: idErr, handle: a.getTicket},
		{method: "PATCH", path: "/tickets/{id}", op: "updateTicket", tag: "tickets",
			summary: "Change a ticket (staff; JSON merge patch). Each change is recorded in the timeline and the SLA is recomputed.",
			body:    ticketPatch{}, result: ticket.Ticket{}, status: 200, errors: append([]int{http.StatusForbidden}, writeErr...), handle: a.updateTicket},
		{method: "GET", path: "/tickets/{id}/timeline", op: "getTicketTimeline", tag: "tickets",
			summary: "A ticket's followups and events; private notes and private events only for staff.",
			result:  timeline{}, status: 200, errors: idErr, handle: a.getTimeline},
		{method: "POST", path: "/tickets/{id}/followups", op: "createFollowup", tag: "tickets",
			summary: "Reply to a ticket, or add a private note (staff). A client's reply resumes a ticket waiting for it and reopens a recently resolved one.",
			body:    followupInput{}, result: ticket.Followup{}, status: 201, noLocation: true, errors: append([]int{http.StatusForbidden}, writeErr...), handle: a.createFollowup},
		{method: "GET", path: "/tickets/{id}/time-entries", op: "listTimeEntries", tag: "tickets", summary: "Time spent on a ticket (staff; one page).",
			result: timeEntry{}, page: true, status: 200, errors: []int{http.StatusForbidden, http.StatusNotFound}, handle: a.listTimeEntries},
		{method: "POST", path: "/tickets/{id}/time-entries", op: "createTimeEntry", tag: "tickets", summary: "Log time spent on a ticket (staff), in minutes.",
			body: timeEntryInput{}, result: timeEntry{}, status: 201, noLocation: true, errors: append([]int{http.StatusForbidden}, writeErr...), handle: a.createTimeEntry},
		{method: "GET", path: "/tickets/{id}/rating", op: "getTicketRating", tag: "tickets",
			summary: "The requester's satisfaction rating of a resolved ticket; 404 until it is rated.",
			result:  ticket.Rating{}, status: 200, errors: idErr, handle: a.getRating},
		{method: "POST", path: "/tickets/{id}/rating", op: "rateTicket", tag: "tickets",
			summary: "Rate a resolved or closed ticket (client users, on the tickets they may see), replacing any earlier rating.",
			body:    ratingInput{}, result: ticket.Rating{}, status: 200, errors: append([]int{http.StatusForbidden}, writeErr...), handle: a.rateTicket},
		{method: "POST", path: "/tickets/bulk", op: "bulkUpdateTickets", tag: "tickets",
			summary: "Apply one change (status, assignee, level, impact, urgency) to up to 200 tickets (staff). Each ticket is changed on its own, as PATCH /tickets/{id} would: the result of each says whether it was, or the problem that refused it.",
			body:    bulkInput{}, result: bulkOutput{}, status: 200, errors: append([]int{http.StatusForbidden}, bodyErr...), handle: a.bulkUpdate},
		{method: "PUT", path: "/tickets/{id}/perimeter", op: "setTicketPerimeter", tag: "tickets",
			summary: "Decide by hand whether a ticket is out of its contract's perimeter (staff with helpdesk admin rights on its client): out of perimeter, no contractual SLA clock and billed on top. Audited and shown in the timeline; holds until the ticket's assets change.",
			body:    perimeterInput{}, result: ticket.Ticket{}, status: 200, errors: append([]int{http.StatusForbidden}, writeErr...), handle: a.setTicketPerimeter},
		{method: "POST", path: "/tickets/{id}/merge", op: "mergeTicket", tag: "tickets",
			summary: "Merge this ticket, a duplicate, into target_id (staff): its followups, files and time entries move there, its description becomes a public followup, it is closed and marked merged_into. Returns the target.",
			body:    mergeInput{}, result: ticket.Ticket{}, status: 200, errors: append([]int{http.StatusForbidden}, writeErr...), handle: a.mergeTicket},
		{method: "GET", path: "/tickets/{id}/watchers", op: "listWatchers", tag: "tickets",
			summary: "The users who watch a ticket: they are e-mailed its followups (staff also its private notes) and its resolution.",
			result:  ticket.Watcher{}, page: true, status: 200, errors: idErr, handle: a.listWatchers},
		{method: "PUT", path: "/tickets/{id}/watchers/{user}", op: "addWatcher", tag: "tickets",
			summary: "Watch a ticket (user = your own id), or make a staff member who may see its client watch it (staff working on the ticket).", status: 204,
			errors: append([]int{http.StatusForbidden}, writeErr...), handle: a.addWatcher},
		{method: "DELETE", path: "/tickets/{id}/watchers/{user}", op: "removeWatcher", tag: "tickets",
			summary: "Stop watching (your own id), or remove a watcher (staff working on the ticket); 404 when the user does not watch it.", status: 204,
			errors: []int{http.StatusForbidden, http.StatusNotFound}, handle: a.removeWatcher},
		{method: "GET", path: "/time-report", op: "getTimeReport", tag: "tickets",
			summary: "Time spent per client over one calendar month of the provider's time zone, with the totals (staff).",
			query: []param{
				{name: "month", typ: "string", desc: "The month, YYYY-MM, in the provider's time zone; absent: the current month."},
				{name: "client_id", typ: "integer", format: "int64", desc: "This client only; absent: every client the caller may see."},
			},
			result: timeReport{}, status: 200, errors: append([]int{http.StatusForbidden, http.StatusNotFound}, listErr...), handle: a.getTimeReport},

		{method: "GET", path: "/helpdesk/settings", op: "getHelpdeskSettings", tag: "helpdesk", summary: "The priority matrix and the reopening and closing delays.",
			result: ticket.Settings{}, status: 200, handle: a.getHelpdeskSettings},
		{method: "PUT", path: "/helpdesk/settings", op: "putHelpdeskSettings", tag: "helpdesk", summary: "Replace the helpdesk settings.",
			body: settingsInput{}, result: ticket.Settings{}, status: 200, errors: append([]int{http.StatusForbidden}, bodyErr...), handle: a.putHelpdeskSettings},
		{method: "GET", path: "/helpdesk/categories", op: "listCategories", tag: "helpdesk", summary: "The category tree of the provider, flat, by name (one page).",
			result: ticket.Category{}, page: true, status: 200, handle: a.listCategories},
		{method: "POST", path: "/helpdesk/categories", op: "createCategory", tag: "helpdesk", summary: "Add a category.",
			body: categoryInput{}, result: ticket.Category{}, status: 201, errors: append([]int{http.StatusForbidden}, bodyErr...), handle: a.createCategory},
		{method: "DELETE", path: "/helpdesk/categories/{id}", op: "deleteCategory", tag: "helpdesk", summary: "Delete a category without children; its tickets keep no category.",
			status: 204, errors: []int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict}, handle: a.deleteCategory},
		{method: "GET", path: "/helpdesk/templates", op: "listReplyTemplates", tag: "helpdesk", summary: "The reply templates of the provider, by name (staff; one page).",
			result: ticket.ReplyTemplate{}, page: true, status: 200, errors: []int{http.StatusForbidden}, handle: a.listReplyTemplates},
		{method: "POST", path: "/helpdesk/templates", op: "createReplyTemplate", tag: "helpdesk", summary: "Add a reply template.",
			body: replyTemplateInput{}, result: ticket.ReplyTemplate{}, status: 201, errors: append([]int{http.StatusForbidden, http.StatusConflict}, bodyErr...), handle: a.createReplyTemplate},
		{method: "PUT", path: "/helpdesk/templates/{id}", op: "putReplyTemplate", tag: "helpdesk", summary: "Replace a reply template.",
			body: replyTemplateInput{}, result: ticket.ReplyTemplate{}, status: 200, errors: append([]int{http.StatusForbidden, http.StatusConflict}, writeErr...), handle: a.putReplyTemplate},
		{method: "DELETE", path: "/helpdesk/templates/{id}", op: "deleteReplyTemplate", tag: "helpdesk", summary: "Delete a reply template.",
			status: 204, errors: []int{http.StatusForbidden, http.StatusNotFound}, handle: a.deleteReplyTemplate},
		{method: "GET", path: "/clients/{id}/service-level", op: "getServiceLevel", tag: "helpdesk",
			summary: "What a client is promised: business hours and, per priority, the times to own and to resolve.",
			result:  serviceLevel{}, status: 200, errors: idErr, handle: a.getServiceLevel},
		{method: "PUT", path: "/clients/{id}/service-level", op: "putServiceLevel", tag: "helpdesk",
			summary: "Replace a client's service level; the SLA of its open tickets follows at their next check.",
			body:    serviceLevelInput{}, result: serviceLevel{}, status: 200, errors: append([]int{http.StatusForbidden}, writeErr...), handle: a.putServiceLevel},
	}
}

func ticketStatusNames() []string {
	out := make([]string, len(ticket.Statuses))
	for i, s := range ticket.Statuses {
		out[i] = string(s)
	}
	return out
}

// serve turns an endpoint into a handler: it reads the caller, refuses
// writes of read-only tokens and unknown query parameters, runs the
// endpoint and writes its result or its problem.
func (a *API) serve(e endpoint) http.HandlerFunc {
	known := map[string]param{}
	for _, p := range e.query {
		known[p.name] = p
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
		if _, ok := v.(downloaded); ok {
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
