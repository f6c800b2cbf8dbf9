package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/helpdeskmail"
	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/router"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

// TestTenantIsolation is the tenant-isolation matrix. It walks every route
// of the real router (a.Router.Routes()), so a new route is covered, or
// fails the test until someone classifies it, without anyone remembering.
//
// For every route × every role × (the objects of client A, the objects of
// client B) it checks that:
//   - a caller restricted to A (a technician limited to A, A's client admin,
//     A's client user) never gets a success with B's objects, changes none of
//     them, and never sees B's names in a response;
//   - a role that lacks the route's permission (tenant.Scope.Can) is refused
//     with 403 or 404 and changes nothing;
//   - a role that has it succeeds (no 4xx).
//
// API routes are called with a write-scope bearer token, web routes with a
// browser session signed in through the real /login form.
func TestTenantIsolation(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			m := newMatrix(t, dialect)
			m.run(t)
		})
	}
}

// kind is what a path parameter names.
type kind string

const (
	kindClient  kind = "client"
	kindSite    kind = "site"
	kindContact kind = "contact"
	kindUser    kind = "user"  // a client user of the target client
	kindToken   kind = "token" // an API token of the caller itself
	kindMail    kind = "mail"  // a logged outgoing message about the target client
)

// Kinds of the helpdesk.
const (
	kindTicket   kind = "ticket"   // a ticket of the target client, requested by its contact (A's client user is linked to A's)
	kindCategory kind = "category" // a helpdesk category: the provider's, no tenant's
)

// kindReplyTemplate is a reply template: the provider's, no tenant's.
const kindReplyTemplate kind = "reply-template"

// kindAttachment is a file on the target client's ticket.
const kindAttachment kind = "attachment"

// Kinds of the helpdesk's e-mail.
const (
	kindMailbox    kind = "mailbox"     // an IMAP mailbox: the provider's, no tenant's
	kindDomainRule kind = "domain-rule" // a domain rule mapping a domain to the target client
	// kindQuarantine is a quarantined e-mail from an unknown sender at the
	// target client's domain, which its domain rule ties to that client.
	kindQuarantine kind = "quarantine"
)

// Kinds of the fleet.
const (
	kindAsset       kind = "asset"        // an asset of the target client (an agent reports for it)
	kindEnrollToken kind = "enroll-token" // an enrollment token of the target client
	kindAgent       kind = "agent"        // an agent of the target client
)

// kindBySegment gives the kind of a parameter from the path segment before it:
// /clients/{id} names a client.
var kindBySegment = map[string]kind{
	"clients":  kindClient,
	"sites":    kindSite,
	"contacts": kindContact,
	"users":    kindUser,
	"tokens":   kindToken,
	"mail":     kindMail,

	"tickets":    kindTicket,
	"categories": kindCategory,
	"templates":  kindReplyTemplate,

	"mailboxes":    kindMailbox,
	"domain-rules": kindDomainRule,
	"quarantine":   kindQuarantine,

	"attachments": kindAttachment,

	"assets":        kindAsset,
	"enroll-tokens": kindEnrollToken,
	"agents":        kindAgent,
}

// kindByParam classifies parameters that their preceding segment does not
// name, as "pattern" → parameter → kind. Add a route here when its
// parameter follows no collection segment.
var kindByParam = map[string]map[string]kind{
	"POST /tickets/{id}/watchers/{user}/remove":   {"user": kindUser},
	"PUT /api/v1/tickets/{id}/watchers/{user}":    {"user": kindUser},
	"DELETE /api/v1/tickets/{id}/watchers/{user}": {"user": kindUser},
}

// spec says what a route needs and how to call it.
type spec struct {
	// action is the permission the route needs; "" for any signed-in user.
	action tenant.Action
	// target is set when the route acts on one client's data (through its
	// path parameters or its body): it then needs action on that client.
	target bool
	// bodyTarget is set when the target client is named in the body rather
	// than the path: a refusal may then also be 422 (an invalid choice).
	bodyTarget bool
	// self routes act on the caller's own account (profile, tokens,
	// second factor); every signed-in user may call them.
	self bool
	// lenient routes are called with a deliberately wrong body (a wrong
	// current password…): only a 5xx fails.
	lenient bool
	// resets is set when the route ends the caller's browser sessions.
	resets bool
	// unlinks is set for a DELETE that removes a link between the objects
	// of its path (a watcher of a ticket), not the objects themselves.
	unlinks bool
	// body returns the request body: url.Values for a web form, a value
	// sent as JSON for the API; nil sends none.
	body func(m *matrix, x *attempt) any
	// query is appended to the path ("?name=cpu.percent").
	query string
}

// specs classifies every non-public route. A route missing here fails the
// test: add it with the tenant.Action it requires.
var specs = map[string]spec{
	// JSON API.
	"GET /api/v1/me":                     {self: true},
	"GET /api/v1/clients":                {action: tenant.ClientRead},
	"POST /api/v1/clients":               {action: tenant.ClientWrite, body: apiNewClient},
	"GET /api/v1/clients/{id}":           {action: tenant.ClientRead, target: true},
	"PATCH /api/v1/clients/{id}":         {action: tenant.ClientWrite, target: true, body: jsonBody(`{"address":"Matrix street %d"}`)},
	"POST /api/v1/clients/{id}/archive":  {action: tenant.ClientWrite, target: true},
	"POST /api/v1/clients/{id}/restore":  {action: tenant.ClientWrite, target: true},
	"GET /api/v1/clients/{id}/sites":     {action: tenant.ClientRead, target: true},
	"POST /api/v1/clients/{id}/sites":    {action: tenant.SiteWrite, target: true, body: jsonBody(`{"name":"Matrix site %d"}`)},
	"GET /api/v1/sites/{id}":             {action: tenant.ClientRead, target: true},
	"PATCH /api/v1/sites/{id}":           {action: tenant.SiteWrite, target: true, body: jsonBody(`{"notes":"Matrix note %d"}`)},
	"DELETE /api/v1/sites/{id}":          {action: tenant.SiteWrite, target: true},
	"GET /api/v1/clients/{id}/contacts":  {action: tenant.ClientRead, target: true},
	"POST /api/v1/clients/{id}/contacts": {action: tenant.ContactWrite, target: true, body: jsonBody(`{"last_name":"Matrix %d"}`)},
	"GET /api/v1/contacts":               {action: tenant.ClientRead},
	"GET /api/v1/contacts/{id}":          {action: tenant.ClientRead, target: true},
	"PATCH /api/v1/contacts/{id}":        {action: tenant.ContactWrite, target: true, body: jsonBody(`{"job_title":"Matrix %d"}`)},
	"DELETE /api/v1/contacts/{id}":       {action: tenant.ContactWrite, target: true},
	"GET /api/v1/users":                  {action: tenant.ClientRead},
	"POST /api/v1/users":                 {action: tenant.ClientUserWrite, target: true, bodyTarget: true, body: apiNewClientUser},
	"GET /api/v1/users/{id}":             {action: tenant.ClientRead, target: true},
	"PATCH /api/v1/users/{id}":           {action: tenant.ClientUserWrite, target: true, body: jsonBody(`{"name":"Matrix %d"}`)},
	"GET /api/v1/audit":                  {action: tenant.AuditRead},
	"GET /{$}":                           {self: true},
	"GET /clients":                       {action: tenant.ClientRead},
	"GET /clients/new":                   {action: tenant.ClientWrite},
	"POST /clients/new":                  {action: tenant.ClientWrite, body: webNewClient},
	"GET /clients/{id}":                  {action: tenant.ClientRead, target: true},
	"GET /clients/{id}/edit":             {action: tenant.ClientWrite, target: true},
	"POST /clients/{id}/edit":            {action: tenant.ClientWrite, target: true, body: webEditClient},
	"POST /clients/{id}/archive":         {action: tenant.ClientWrite, target: true},
	"POST /clients/{id}/restore":         {action: tenant.ClientWrite, target: true},
	"GET /clients/{id}/sites/new":        {action: tenant.SiteWrite, target: true},
	"POST /clients/{id}/sites/new":       {action: tenant.SiteWrite, target: true, body: formBody("name", "Matrix site %d")},
	"GET /sites/{id}/edit":               {action: tenant.SiteWrite, target: true},
	"POST /sites/{id}/edit":              {action: tenant.SiteWrite, target: true, body: webEditSite},
	"POST /sites/{id}/delete":            {action: tenant.SiteWrite, target: true},
	"GET /clients/{id}/contacts/new":     {action: tenant.ContactWrite, target: true},
	"POST /clients/{id}/contacts/new":    {action: tenant.ContactWrite, target: true, body: formBody("last_name", "Matrix %d")},
	"GET /contacts/{id}/edit":            {action: tenant.ContactWrite, target: true},
	"POST /contacts/{id}/edit":           {action: tenant.ContactWrite, target: true, body: webEditContact},
	"POST /contacts/{id}/delete":         {action: tenant.ContactWrite, target: true},
	"GET /clients/{id}/users/new":        {action: tenant.ClientUserWrite, target: true},
	"POST /clients/{id}/users/new":       {action: tenant.ClientUserWrite, target: true, body: webNewClientUser},
	"GET /users":                         {action: tenant.StaffRead},
	"GET /users/new":                     {action: tenant.StaffWrite},
	"POST /users/new":                    {action: tenant.StaffWrite, body: webNewStaff},
	"GET /users/{id}/edit":               {action: tenant.ClientUserWrite, target: true},
	"POST /users/{id}/edit":              {action: tenant.ClientUserWrite, target: true, body: webEditUser},
	"GET /account":                       {self: true},
	"POST /account/language":             {self: true, body: formBody("language", "fr")},
	"POST /account/password":             {self: true, lenient: true, resets: true, body: webWrongPassword},
	"POST /account/logout-all":           {self: true, resets: true},
	"GET /account/2fa":                   {self: true},
	"POST /account/2fa":                  {self: true, lenient: true, body: formBody("code", "000000")},
	"POST /account/2fa/disable":          {self: true, lenient: true, body: formBody("password", "not the password %d")},
	"POST /account/tokens":               {self: true, body: webNewToken},
	"POST /account/tokens/{id}/revoke":   {self: true},
	"GET /audit":                         {action: tenant.AuditRead},
	"GET /mail":                          {action: tenant.MailRead},
	"GET /mail/{id}":                     {action: tenant.MailRead, target: true},
	"GET /settings":                      {action: tenant.ProviderWrite},
	"POST /settings":                     {action: tenant.ProviderWrite, body: webSettings},

	// Helpdesk API.
	"GET /api/v1/tickets":                         {action: tenant.TicketRead},
	"POST /api/v1/tickets":                        {action: tenant.TicketCreate, target: true, bodyTarget: true, body: apiNewTicket},
	"GET /api/v1/tickets/{id}":                    {action: tenant.TicketRead, target: true},
	"PATCH /api/v1/tickets/{id}":                  {action: tenant.TicketWork, target: true, body: apiPatchTicket},
	"POST /api/v1/tickets/{id}/attachments":       {action: tenant.TicketCreate, target: true, body: apiAttachment},
	"GET /api/v1/tickets/{id}/attachments":        {action: tenant.TicketRead, target: true},
	"GET /api/v1/attachments/{id}":                {action: tenant.TicketRead, target: true},
	"GET /attachments/{id}":                       {action: tenant.TicketRead, target: true},
	"GET /api/v1/tickets/{id}/timeline":           {action: tenant.TicketRead, target: true},
	"POST /api/v1/tickets/bulk":                   {action: tenant.TicketWork, target: true, lenient: true, body: apiBulkTicket},                    // 200 with a per-ticket 404 for a foreign ticket: no data changes, no name leaks
	"POST /api/v1/tickets/{id}/merge":             {action: tenant.TicketWork, target: true, lenient: true, body: jsonBody(`{"target_id":999999}`)}, // 422: no such ticket
	"GET /api/v1/tickets/{id}/watchers":           {action: tenant.TicketRead, target: true},
	"PUT /api/v1/tickets/{id}/watchers/{user}":    {action: tenant.TicketRead, target: true, lenient: true},                // 403/422: not the caller
	"DELETE /api/v1/tickets/{id}/watchers/{user}": {action: tenant.TicketRead, target: true, lenient: true, unlinks: true}, // 404 unless the user watches
	"POST /api/v1/tickets/{id}/followups":         {action: tenant.TicketCreate, target: true, body: jsonBody(`{"body":"Matrix reply %d","public":true}`)},
	"GET /api/v1/tickets/{id}/time-entries":       {action: tenant.TicketWork, target: true},
	"POST /api/v1/tickets/{id}/time-entries":      {action: tenant.TicketWork, target: true, body: jsonBody(`{"duration_minutes":15,"note":"Matrix %d"}`)},
	"GET /api/v1/tickets/{id}/rating":             {action: tenant.TicketRead, target: true, lenient: true},
	"POST /api/v1/tickets/{id}/rating":            {action: tenant.TicketRead, target: true, lenient: true, body: jsonBody(`{"score":5,"comment":"Matrix %d"}`)},
	"GET /api/v1/time-report":                     {action: tenant.TicketWork},
	"GET /api/v1/helpdesk/settings":               {}, // every signed-in user reads the priority matrix
	"PUT /api/v1/helpdesk/settings":               {action: tenant.HelpdeskAdmin, body: apiHelpdeskSettings},
	"GET /api/v1/helpdesk/categories":             {}, // provider-wide, offered to whoever opens a ticket
	"POST /api/v1/helpdesk/categories":            {action: tenant.HelpdeskAdmin, body: jsonBody(`{"name":"Matrix category %d"}`)},
	"DELETE /api/v1/helpdesk/categories/{id}":     {action: tenant.HelpdeskAdmin},
	"GET /api/v1/helpdesk/templates":              {action: tenant.TicketWork},
	"POST /api/v1/helpdesk/templates":             {action: tenant.HelpdeskAdmin, body: jsonBody(`{"name":"Matrix template %d","language":"en","body":"Hello {{requester}}"}`)},
	"PUT /api/v1/helpdesk/templates/{id}":         {action: tenant.HelpdeskAdmin, body: jsonBody(`{"name":"Matrix template %d","language":"fr","body":"Bonjour"}`)},
	"DELETE /api/v1/helpdesk/templates/{id}":      {action: tenant.HelpdeskAdmin},
	"GET /api/v1/clients/{id}/service-level":      {action: tenant.ClientRead, target: true},
	"PUT /api/v1/clients/{id}/service-level":      {action: tenant.HelpdeskAdmin, target: true, body: apiServiceLevel},

	// Helpdesk pages: staff queues and the clients' portal share /tickets.
	"GET /tickets":                              {action: tenant.TicketRead},
	"GET /tickets/new":                          {action: tenant.TicketCreate},
	"POST /tickets/new":                         {action: tenant.TicketCreate, target: true, bodyTarget: true, body: webNewTicket},
	"GET /tickets/{id}":                         {action: tenant.TicketRead, target: true},
	"POST /tickets/{id}/reply":                  {action: tenant.TicketCreate, target: true, body: formBody("body", "Matrix reply %d")},
	"POST /tickets/{id}/update":                 {action: tenant.TicketWork, target: true, body: webUpdateTicket},
	"POST /tickets/{id}/time":                   {action: tenant.TicketWork, target: true, body: formBody("duration", "15")},
	"POST /tickets/{id}/rate":                   {action: tenant.TicketRead, target: true, lenient: true, body: formBody("score", "5")},          // 422 on an open ticket
	"POST /tickets/bulk":                        {action: tenant.TicketWork, target: true, lenient: true, body: webBulkTicket},                   // a foreign ticket is refused in the flash: no data changes
	"POST /tickets/{id}/assets":                 {action: tenant.TicketWork, target: true},                                                       // no asset ticked: unlinks them all
	"POST /tickets/{id}/merge":                  {action: tenant.TicketWork, target: true, lenient: true, body: formBody("target_id", "999999")}, // 422: no such ticket
	"POST /tickets/{id}/watchers":               {action: tenant.TicketRead, target: true},                                                       // the caller watches
	"POST /tickets/{id}/watchers/{user}/remove": {action: tenant.TicketRead, target: true, lenient: true},                                        // 404 unless the user watches
	"GET /tickets/time":                         {action: tenant.TicketWork},
	"GET /helpdesk/settings":                    {action: tenant.HelpdeskAdmin},
	"POST /helpdesk/settings":                   {action: tenant.HelpdeskAdmin, body: webHelpdeskSettings},
	"GET /helpdesk/categories":                  {action: tenant.HelpdeskAdmin},
	"POST /helpdesk/categories":                 {action: tenant.HelpdeskAdmin, body: formBody("name", "Matrix category %d")},
	"POST /helpdesk/categories/{id}/delete":     {action: tenant.HelpdeskAdmin},
	"GET /helpdesk/templates":                   {action: tenant.HelpdeskAdmin},
	"POST /helpdesk/templates":                  {action: tenant.HelpdeskAdmin, body: webReplyTemplate},
	"POST /helpdesk/templates/{id}/delete":      {action: tenant.HelpdeskAdmin},
	"GET /helpdesk/templates/{id}/edit":         {action: tenant.HelpdeskAdmin},
	"POST /helpdesk/templates/{id}/edit": {action: tenant.HelpdeskAdmin, body: func(_ *matrix, x *attempt) any {
		return url.Values{"name": {fmt.Sprintf("Matrix template %d", x.n)}, "language": {"fr"}, "body": {"Bonjour"}}
	}},
	"GET /clients/{id}/service-level":  {action: tenant.HelpdeskAdmin, target: true},
	"POST /clients/{id}/service-level": {action: tenant.HelpdeskAdmin, target: true, body: webServiceLevel},

	// The helpdesk's e-mail: mailboxes are the provider's (administrators);
	// domain rules and quarantined messages belong to the client of their
	// rule (a message without one is seen by staff of every client only).
	"GET /api/v1/helpdesk/mailboxes":                {action: tenant.ProviderWrite},
	"POST /api/v1/helpdesk/mailboxes":               {action: tenant.ProviderWrite, body: apiNewMailbox},
	"PATCH /api/v1/helpdesk/mailboxes/{id}":         {action: tenant.ProviderWrite, body: jsonBody(`{"folder":"Matrix %d"}`)},
	"GET /api/v1/helpdesk/domain-rules":             {action: tenant.TicketWork},
	"POST /api/v1/helpdesk/domain-rules":            {action: tenant.HelpdeskAdmin, target: true, bodyTarget: true, body: apiNewDomainRule},
	"DELETE /api/v1/helpdesk/domain-rules/{id}":     {action: tenant.HelpdeskAdmin, target: true},
	"GET /api/v1/helpdesk/quarantine":               {action: tenant.TicketWork},
	"GET /api/v1/helpdesk/quarantine/{id}":          {action: tenant.TicketWork, target: true},
	"POST /api/v1/helpdesk/quarantine/{id}/release": {action: tenant.TicketWork, target: true, bodyTarget: true, body: apiRelease},
	"POST /api/v1/helpdesk/quarantine/{id}/discard": {action: tenant.TicketWork, target: true},
	"GET /helpdesk/mailboxes":                       {action: tenant.ProviderWrite},
	"POST /helpdesk/mailboxes":                      {action: tenant.ProviderWrite, body: webNewMailbox},
	"POST /helpdesk/mailboxes/{id}":                 {action: tenant.ProviderWrite, body: formBody("toggle", "off")},
	"GET /helpdesk/domain-rules":                    {action: tenant.HelpdeskAdmin},
	"POST /helpdesk/domain-rules":                   {action: tenant.HelpdeskAdmin, target: true, bodyTarget: true, body: webNewDomainRule},
	"POST /helpdesk/domain-rules/{id}/delete":       {action: tenant.HelpdeskAdmin, target: true},
	"GET /helpdesk/quarantine":                      {action: tenant.TicketWork},
	"GET /helpdesk/quarantine/{id}":                 {action: tenant.TicketWork, target: true},
	"POST /helpdesk/quarantine/{id}/release":        {action: tenant.TicketWork, target: true, bodyTarget: true, body: webRelease},
	"POST /helpdesk/quarantine/{id}/discard":        {action: tenant.TicketWork, target: true},

	// Fleet API.
	"GET /api/v1/assets":                      {action: tenant.AssetRead},
	"POST /api/v1/assets":                     {action: tenant.AssetWrite, target: true, bodyTarget: true, body: apiNewAsset},
	"GET /api/v1/assets/{id}":                 {action: tenant.AssetRead, target: true},
	"PATCH /api/v1/assets/{id}":               {action: tenant.AssetWrite, target: true, body: jsonBody(`{"notes":"Matrix note %d"}`)},
	"DELETE /api/v1/assets/{id}":              {action: tenant.AssetWrite, target: true},
	"GET /api/v1/assets/{id}/inventory":       {action: tenant.AssetRead, target: true},
	"GET /api/v1/assets/{id}/changes":         {action: tenant.AssetRead, target: true},
	"GET /api/v1/assets/{id}/metrics":         {action: tenant.AssetRead, target: true, query: "?name=cpu.percent"},
	"POST /api/v1/clients/{id}/assets/import": {action: tenant.AssetWrite, target: true, body: apiImportCSV},
	"GET /api/v1/clients/{id}/assets/export":  {action: tenant.AssetRead, target: true},
	"GET /api/v1/clients/{id}/enroll-tokens":  {action: tenant.AgentAdmin, target: true},
	"POST /api/v1/clients/{id}/enroll-tokens": {action: tenant.AgentAdmin, target: true, body: jsonBody(`{"name":"Matrix token %d"}`)},
	"POST /api/v1/enroll-tokens/{id}/revoke":  {action: tenant.AgentAdmin, target: true},
	"POST /api/v1/agents/{id}/revoke":         {action: tenant.AgentAdmin, target: true},
	"GET /api/v1/clients/{id}/fleet-settings": {action: tenant.AssetRead, target: true},
	"PUT /api/v1/clients/{id}/fleet-settings": {action: tenant.AgentAdmin, target: true, body: apiFleetSettings},

	// Fleet pages.
	"GET /fleet":                        {action: tenant.AssetRead},
	"GET /fleet/export":                 {action: tenant.AssetRead},
	"GET /clients/{id}/fleet":           {action: tenant.AssetRead, target: true},
	"GET /clients/{id}/assets/new":      {action: tenant.AssetWrite, target: true},
	"POST /clients/{id}/assets/new":     {action: tenant.AssetWrite, target: true, body: webNewAsset},
	"GET /assets/{id}":                  {action: tenant.AssetRead, target: true},
	"GET /assets/{id}/edit":             {action: tenant.AssetWrite, target: true},
	"POST /assets/{id}/edit":            {action: tenant.AssetWrite, target: true, body: webEditAsset},
	"POST /assets/{id}/delete":          {action: tenant.AssetWrite, target: true},
	"POST /agents/{id}/revoke":          {action: tenant.AgentAdmin, target: true},
	"GET /clients/{id}/fleet/import":    {action: tenant.AssetWrite, target: true},
	"POST /clients/{id}/fleet/import":   {action: tenant.AssetWrite, target: true, body: webImportCSV},
	"GET /clients/{id}/fleet/enroll":    {action: tenant.AgentAdmin, target: true},
	"POST /clients/{id}/fleet/enroll":   {action: tenant.AgentAdmin, target: true, body: webNewEnrollToken},
	"POST /enroll-tokens/{id}/revoke":   {action: tenant.AgentAdmin, target: true},
	"GET /clients/{id}/fleet/settings":  {action: tenant.AgentAdmin, target: true},
	"POST /clients/{id}/fleet/settings": {action: tenant.AgentAdmin, target: true, body: webFleetSettings},
}

// agentRoutes are the routes of vigie-agent: public for the router (no
// user session), each authenticated by what it says here. TestAgentIsolation
// checks that an agent's secret reaches its own asset only.
var agentRoutes = map[string]string{
	"POST /api/agent/v1/enroll":       "an enrollment token in the body, of one client",
	"POST /api/agent/v1/report":       "the agent's secret: writes its own asset only",
	"GET /api/agent/v1/settings":      "the agent's secret: its own client's settings",
	"GET /agent/download/{os}/{arch}": "none: the agent binaries are no tenant's",
}

// tenantData is one client and an object of each kind it owns.
type tenantData struct {
	name    string // "A" or "B"
	client  client.Client
	site    client.Site
	contact client.Contact
	user    user.User // a client user: the object of users/{id}
	mail    int64     // a logged message about the client
	ticket  int64     // a ticket requested by contact (the client-user caller is linked to A's)
	domain  string    // the client's e-mail domain, mapped to it by a domain rule
	// attachment is a file on the client's ticket, named after the client.
	attachment int64
	// asset is a server of the client, named after it, reported by an
	// enrolled agent.
	asset int64
	agent int64
	// sup are its supervision objects (isolation_supervision_test.go).
	sup supFixtures

	contract int64 // a draft contract (isolation_contract_test.go)
}

// caller is a user of some role with its token and browser.
type caller struct {
	name       string
	user       user.User
	token      string
	browser    *http.Client
	restricted bool // limited to client A
}

// attempt is one call of the matrix, given to body builders.
type attempt struct {
	caller *caller
	target *tenantData // nil for routes without a target
	n      int         // unique per attempt, for codes and e-mail addresses
}

type matrix struct {
	s       *apptest.Server
	http    *http.Client
	a, b    tenantData
	callers []*caller
	// markers are strings of B that a caller restricted to A must never see.
	markers []string
	n       int
	// mailbox is the (disabled) mailbox quarantined messages are delivered
	// from, and uid the last UID delivered.
	mailbox int64
	uid     uint32
}

func newMatrix(t *testing.T, dialect string) *matrix {
	t.Helper()
	s := apptest.New(t, dialect)
	m := &matrix{s: s, http: &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	m.a = m.tenant(t, "A", "ALPHACO", "Alpha Industries", "alpha-co.example")
	m.b = m.tenant(t, "B", "ZULUMARK", "Zulu Marker SARL", "zulu-mark.example")
	m.markers = []string{"ZULUMARK", "Zulu Marker", "zulu-mark.example"}
	for _, c := range []struct {
		name, email string
		role        tenant.Role
		clients     []int64
		restricted  bool
	}{
		{"admin", "admin@msp.example", tenant.RoleAdmin, nil, false},
		{"manager", "manager@msp.example", tenant.RoleManager, nil, false},
		{"technician", "tech@msp.example", tenant.RoleTechnician, nil, false},
		{"technician limited to A", "tech-a@msp.example", tenant.RoleTechnician, []int64{m.a.client.ID}, true},
		{"client admin of A", "boss@alpha-co.example", tenant.RoleClientAdmin, []int64{m.a.client.ID}, true},
		{"client user of A", "staff@alpha-co.example", tenant.RoleClientUser, []int64{m.a.client.ID}, true},
	} {
		u := s.User(c.email, c.role, c.clients...)
		if c.role == tenant.RoleClientUser {
			// A client user sees the tickets it requested: link it to the
			// contact that requests A's ticket.
			u.ContactID = &m.a.contact.ID
			if err := s.App.Users.Update(s.Ctx(), tenant.System(), &u); err != nil {
				t.Fatal(err)
			}
		}
		m.callers = append(m.callers, &caller{name: c.name, user: u, token: s.Token(u, true), restricted: c.restricted})
	}
	return m
}

// tenant creates a client with a site, a contact and a client user, all
// carrying the client's name so that a leak is visible.
func (m *matrix) tenant(t *testing.T, label, code, name, domain string) tenantData {
	t.Helper()
	ctx, sys := m.s.Ctx(), tenant.System()
	d := tenantData{name: label, client: client.Client{Code: code, Name: name}}
	if err := m.s.App.Clients.Create(ctx, sys, &d.client); err != nil {
		t.Fatal(err)
	}
	d.site = client.Site{ClientID: d.client.ID, Name: name + " Depot"}
	if err := m.s.App.Clients.CreateSite(ctx, sys, &d.site); err != nil {
		t.Fatal(err)
	}
	d.contact = client.Contact{ClientID: d.client.ID, SiteID: &d.site.ID, LastName: name + " Contact", Email: "contact@" + domain}
	if err := m.s.App.Clients.CreateContact(ctx, sys, &d.contact); err != nil {
		t.Fatal(err)
	}
	d.user = m.s.User("user@"+domain, tenant.RoleClientUser, d.client.ID)
	e := mail.Entry{ClientID: &d.client.ID, To: []string{d.contact.Email}, Subject: name + " report",
		Raw: []byte("From: msp@msp.example\r\nTo: " + d.contact.Email + "\r\nSubject: " + name + " report\r\n\r\nHello " + name + ".\r\n")}
	if err := m.s.App.DB.CreateMail(ctx, &e); err != nil {
		t.Fatal(err)
	}
	d.mail = e.ID
	tk := ticket.Ticket{ClientID: d.client.ID, Type: ticket.TypeIncident, Title: name + " outage", Description: "Reported by " + d.contact.Email,
		RequesterID: &d.contact.ID, SiteID: &d.site.ID}
	if err := m.s.App.Tickets.Create(ctx, sys, &tk); err != nil {
		t.Fatal(err)
	}
	d.ticket = tk.ID
	att, err := m.s.App.Attachments.Save(ctx, sys, tk.ID, nil, name+" scan.txt", "text/plain", strings.NewReader("Scan for "+name))
	if err != nil {
		t.Fatal(err)
	}
	d.attachment = att.ID
	d.domain = domain
	rule := helpdeskmail.DomainRule{Domain: domain, ClientID: d.client.ID}
	if err := m.s.App.HelpdeskMail.AddDomainRule(ctx, sys, &rule); err != nil {
		t.Fatal(err)
	}
	// A message of the client's quarantine from the start, so that the
	// listings have one of each tenant to leak.
	m.quarantined(t, &d)
	d.agent, d.asset = m.enrolled(t, &d, name+" server")
	m.supervisionFixtures(t, &d)
	m.contractFixtures(t, &d)
	return d
}

// enrolled enrolls an agent in the target client with a fresh token and
// returns its id and its asset's.
func (m *matrix) enrolled(t *testing.T, d *tenantData, host string) (agentID, assetID int64) {
	t.Helper()
	ctx := m.s.Ctx()
	tok := asset.EnrollToken{ClientID: d.client.ID, Name: host}
	secret, err := m.s.App.Assets.CreateEnrollToken(ctx, tenant.System(), &tok)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := m.s.App.Assets.Enroll(ctx, agentproto.EnrollRequest{Token: secret, Hostname: host, OS: "linux", Arch: "amd64", AgentVersion: "1.0"})
	if err != nil {
		t.Fatal(err)
	}
	return resp.AgentID, resp.AssetID
}

func (m *matrix) run(t *testing.T) {
	start := time.Now()
	routes := m.s.App.Router.Routes()
	registered := map[string]bool{}
	calls := 0
	for _, rt := range routes {
		registered[rt.Pattern] = true
		if _, agent := agentRoutes[rt.Pattern]; agent {
			continue // authenticated by agent secret: TestAgentIsolation
		}
		if strings.HasPrefix(rt.Path, "/api/agent/") || strings.HasPrefix(rt.Path, "/agent/") {
			t.Errorf("agent route %q is not classified: add it to agentRoutes in internal/app/isolation_test.go with what authenticates it", rt.Pattern)
			continue
		}
		if rt.Public {
			continue // open to anonymous visitors: nothing of a tenant to protect
		}
		if _, stream := streamRoutes[rt.Pattern]; stream {
			continue
		}
		sp, ok := specs[rt.Pattern]
		if !ok {
			t.Errorf("route %q is not classified: add it to specs in internal/app/isolation_test.go with the tenant.Action it requires (and a body if it takes one)", rt.Pattern)
			continue
		}
		kinds, err := classify(rt)
		if err != nil {
			t.Error(err)
			continue
		}
		tenantParams := false
		for _, k := range kinds {
			tenantParams = tenantParams || (k != kindToken && k != kindCategory && k != kindMailbox && k != kindReplyTemplate)
		}
		if tenantParams && !sp.target {
			t.Errorf("route %q has a parameter naming a tenant's object but its spec has no target: set target", rt.Pattern)
			continue
		}
		targets := []*tenantData{nil}
		if sp.target {
			targets = []*tenantData{&m.a, &m.b}
		}
		for _, c := range m.callers {
			for _, tg := range targets {
				m.check(t, rt, sp, kinds, c, tg)
				calls++
			}
		}
	}
	for p := range agentRoutes {
		if !registered[p] {
			t.Errorf("agentRoutes classifies %q, which the router does not register: remove it", p)
		}
	}
	for p := range specs {
		if !registered[p] {
			t.Errorf("specs classifies %q, which the router does not register: remove it from internal/app/isolation_test.go", p)
		}
	}
	t.Logf("%d routes, %d calls in %v", len(routes), calls, time.Since(start).Round(time.Millisecond))
}

// classify returns the kind of each path parameter of a route, or an error
// telling the developer to classify it.
func classify(rt router.Route) (map[string]kind, error) {
	if rt.Method == "" {
		return nil, fmt.Errorf("route %q accepts any method: register it with a method, or teach the matrix which one to call", rt.Pattern)
	}
	out := map[string]kind{}
	segs := strings.Split(rt.Path, "/")
	for i, seg := range segs {
		if !strings.HasPrefix(seg, "{") || seg == "{$}" {
			continue
		}
		name := strings.TrimSuffix(strings.Trim(seg, "{}"), "...")
		if k, ok := kindByParam[rt.Pattern][name]; ok {
			out[name] = k
			continue
		}
		if k, ok := kindBySegment[segs[i-1]]; ok && !strings.HasSuffix(seg, "...}") {
			out[name] = k
			continue
		}
		return nil, fmt.Errorf("route %q: cannot tell what parameter {%s} names: add it to kindByParam in internal/app/isolation_test.go", rt.Pattern, name)
	}
	return out, nil
}

// check makes one call and asserts what it must.
func (m *matrix) check(t *testing.T, rt router.Route, sp spec, kinds map[string]kind, c *caller, tg *tenantData) {
	m.n++
	x := &attempt{caller: c, target: tg, n: m.n}
	scope := c.user.Scope()
	allowed := sp.self || sp.action == ""
	if !allowed {
		if tg != nil {
			allowed = scope.CanOn(sp.action, tg.client.ID)
		} else {
			allowed = scope.Can(sp.action)
		}
	}
	label := fmt.Sprintf("%s as %s", rt.Pattern, c.name)
	if tg != nil {
		label += " with the objects of " + tg.name
	}
	path, err := m.substitute(t, rt, kinds, x, sp.unlinks)
	if err != nil {
		t.Errorf("%s: %v", label, err)
		return
	}
	path += sp.query
	var body any
	if sp.body != nil {
		body = sp.body(m, x)
	}
	write := rt.Method != http.MethodGet && rt.Method != http.MethodHead
	var before snapshot
	if write && !allowed {
		before = m.snapshot(t)
	}
	api := strings.HasPrefix(rt.Path, "/api/")
	status, location, resp, sent := m.do(t, c, api, rt.Method, path, body)
	label = fmt.Sprintf("%s (%s %s)", label, rt.Method, path)

	if status >= 500 {
		t.Errorf("%s: status %d: %.300s", label, status, resp)
	}
	if c.restricted {
		lower, lowerSent := strings.ToLower(string(resp)), strings.ToLower(string(sent))
		for _, mk := range m.markers {
			// A value the caller sent itself may be echoed back.
			if l := strings.ToLower(mk); strings.Contains(lower, l) && !strings.Contains(lowerSent, l) {
				t.Errorf("%s: the response shows %q, a name of client B", label, mk)
			}
		}
	}
	refusal := []int{http.StatusForbidden, http.StatusNotFound}
	if sp.bodyTarget {
		refusal = append(refusal, http.StatusUnprocessableEntity)
	}
	switch {
	case sp.lenient:
	case allowed && status >= 400:
		t.Errorf("%s: status %d, want success: the role may %s; body: %.300s", label, status, permission(sp), resp)
	case !allowed && !slices.Contains(refusal, status):
		what := "refusal (403 or 404)"
		if status == http.StatusSeeOther {
			what += fmt.Sprintf("; a redirect to %q is taken for success", location)
		}
		t.Errorf("%s: status %d, want a %s: the role may not %s", label, status, what, permission(sp))
	}
	if write && !allowed {
		if diff := before.diff(m.snapshot(t)); diff != "" {
			t.Errorf("%s: a refused call changed data: %s", label, diff)
		}
	}
	if write && allowed {
		m.repair(t)
	}
	if sp.resets {
		c.browser = nil // signs in again at its next web call
	}
}

func permission(sp spec) string {
	if sp.action == "" {
		return "call it"
	}
	return string(sp.action)
}

// substitute fills the path parameters with the target's objects; a route
// that deletes gets a disposable object of the target, so that the fixture
// stays for the next calls.
func (m *matrix) substitute(t *testing.T, rt router.Route, kinds map[string]kind, x *attempt, unlinks bool) (string, error) {
	t.Helper()
	path := strings.ReplaceAll(rt.Path, "{$}", "")
	destructive := (rt.Method == http.MethodDelete || strings.HasSuffix(rt.Path, "/delete")) && !unlinks
	ctx, sys := m.s.Ctx(), tenant.System()
	for name, k := range kinds {
		var id int64
		switch k {
		case kindToken:
			_, tok, err := m.s.App.Auth.CreateToken(ctx, x.caller.user, fmt.Sprintf("matrix %d", x.n), false)
			if err != nil {
				t.Fatal(err)
			}
			id = tok.ID
		case kindClient, kindUser:
			if destructive {
				return "", fmt.Errorf("no disposable %s for a route that deletes: teach substitute to make one", k)
			}
			if k == kindClient {
				id = x.target.client.ID
			} else {
				id = x.target.user.ID
			}
		case kindMail:
			if destructive {
				return "", fmt.Errorf("no disposable %s for a route that deletes: teach substitute to make one", k)
			}
			id = x.target.mail
		case kindTicket:
			if destructive {
				return "", fmt.Errorf("no disposable %s for a route that deletes: teach substitute to make one", k)
			}
			id = x.target.ticket
		case kindAttachment:
			if destructive {
				return "", fmt.Errorf("no disposable %s for a route that deletes: teach substitute to make one", k)
			}
			id = x.target.attachment
		case kindMailbox:
			// Always a fresh one, disabled: nothing polls it.
			mb := helpdeskmail.Mailbox{Name: fmt.Sprintf("Matrix mailbox %d", x.n), Host: "imap.msp.example", TLS: helpdeskmail.TLSImplicit,
				Username: fmt.Sprintf("matrix%d", x.n), Password: matrixPassword}
			if err := m.s.App.HelpdeskMail.AddMailbox(ctx, sys, &mb); err != nil {
				t.Fatal(err)
			}
			id = mb.ID
		case kindDomainRule:
			// Always a fresh one: the only route on a rule deletes it.
			rule := helpdeskmail.DomainRule{Domain: fmt.Sprintf("rule%d.%s", x.n, x.target.domain), ClientID: x.target.client.ID}
			if err := m.s.App.HelpdeskMail.AddDomainRule(ctx, sys, &rule); err != nil {
				t.Fatal(err)
			}
			id = rule.ID
		case kindQuarantine:
			// Always a fresh one: releasing or discarding ends its triage.
			id = m.quarantined(t, x.target)
		case kindReplyTemplate:
			// Always a fresh one: a route on a template may delete it.
			rt := ticket.ReplyTemplate{Name: fmt.Sprintf("Disposable template %d", x.n), Language: "en", Body: "Hello {{requester}}"}
			if err := m.s.App.Tickets.SaveReplyTemplate(ctx, sys, &rt); err != nil {
				t.Fatal(err)
			}
			id = rt.ID
		case kindCategory:
			// Always a fresh one: the routes on a category delete it.
			cat := ticket.Category{Name: fmt.Sprintf("Disposable category %d", x.n)}
			if err := m.s.App.Tickets.SaveCategory(ctx, sys, &cat); err != nil {
				t.Fatal(err)
			}
			id = cat.ID
		case kindAsset:
			id = x.target.asset
			if destructive {
				a := asset.Asset{ClientID: x.target.client.ID, Kind: asset.KindPrinter, Name: fmt.Sprintf("Disposable printer %d", x.n)}
				if err := m.s.App.Assets.Create(ctx, sys, &a); err != nil {
					t.Fatal(err)
				}
				id = a.ID
			}
		case kindEnrollToken:
			// Always a fresh one: the only route on a token revokes it.
			tok := asset.EnrollToken{ClientID: x.target.client.ID, Name: fmt.Sprintf("Disposable token %d", x.n)}
			if _, err := m.s.App.Assets.CreateEnrollToken(ctx, sys, &tok); err != nil {
				t.Fatal(err)
			}
			id = tok.ID
		case kindAgent:
			// Always a fresh one: the only route on an agent revokes it.
			id, _ = m.enrolled(t, x.target, fmt.Sprintf("%s disposable %d", x.target.client.Name, x.n))
		case kindSite:
			id = x.target.site.ID
			if destructive {
				st := client.Site{ClientID: x.target.client.ID, Name: fmt.Sprintf("Disposable site %d", x.n)}
				if err := m.s.App.Clients.CreateSite(ctx, sys, &st); err != nil {
					t.Fatal(err)
				}
				id = st.ID
			}
		case kindContact:
			id = x.target.contact.ID
			if destructive {
				ct := client.Contact{ClientID: x.target.client.ID, LastName: fmt.Sprintf("Disposable %d", x.n)}
				if err := m.s.App.Clients.CreateContact(ctx, sys, &ct); err != nil {
					t.Fatal(err)
				}
				id = ct.ID
			}
		default:
			var ok bool
			if id, ok = m.substituteSupervision(t, k, x, destructive); !ok {
				return "", fmt.Errorf("no object for parameter kind %q", k)
			}
		}
		path = strings.Replace(path, "{"+name+"}", strconv.FormatInt(id, 10), 1)
	}
	return path, nil
}

// do sends one request: a bearer token to the API, the caller's browser
// session to the web UI. It returns the status, the Location, the body
// received and the body sent.
func (m *matrix) do(t *testing.T, c *caller, api bool, method, path string, body any) (int, string, []byte, []byte) {
	t.Helper()
	var raw []byte
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		raw, ct = []byte(b.Encode()), "application/x-www-form-urlencoded"
	case multipartBody:
		raw, ct = b.raw, b.contentType
	case json.RawMessage:
		raw, ct = b, "application/json"
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
		ct = "application/json"
	}
	req, err := http.NewRequest(method, m.s.URL+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	hc := m.http
	if api {
		req.Header.Set("Authorization", "Bearer "+c.token)
	} else {
		if c.browser == nil {
			c.browser = m.s.Login(c.user.Email)
		}
		hc = c.browser
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header.Get("Location"), got, raw
}

// snapshot is every row a call could change, read with tenant.System().
type snapshot struct {
	Clients  []client.Client
	Sites    map[int64][]client.Site
	Contacts []client.Contact
	Staff    []user.User
	Users    []user.User
	Provider provider.Provider
	Tickets  []ticket.Ticket
	// Followups and TimeEntries are those of the fixture tickets, the only
	// ones that routes with a ticket id reach.
	Followups   []ticket.Followup
	TimeEntries []ticket.TimeEntry
	Categories  []ticket.Category
	Helpdesk    ticket.Settings
	Levels      []serviceLevel
	Mailboxes   []helpdeskmail.Mailbox
	DomainRules []helpdeskmail.DomainRule
	Quarantine  []helpdeskmail.Quarantined
	Assets      []asset.Asset
	// EnrollTokens and FleetSettings are those of A and B.
	EnrollTokens  []asset.EnrollToken
	FleetSettings []agentproto.Settings
	Supervision   supSnapshot
	Contracts     contractRows
}

// serviceLevel is a client's service level in a snapshot.
type serviceLevel struct {
	Level ticket.ServiceLevel
	Found bool
}

func (m *matrix) snapshot(t *testing.T) snapshot {
	t.Helper()
	ctx, sys := m.s.Ctx(), tenant.System()
	var s snapshot
	var err error
	if s.Clients, err = m.s.App.Clients.List(ctx, sys, client.Filter{Limit: 500}); err != nil {
		t.Fatal(err)
	}
	s.Sites = map[int64][]client.Site{}
	for _, c := range s.Clients {
		if s.Sites[c.ID], err = m.s.App.Clients.Sites(ctx, sys, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	if s.Contacts, err = m.s.App.Clients.Contacts(ctx, sys, client.ContactFilter{Limit: 500}); err != nil {
		t.Fatal(err)
	}
	if s.Staff, err = m.s.App.Users.List(ctx, sys, user.Filter{Staff: true, Limit: 500}); err != nil {
		t.Fatal(err)
	}
	if s.Users, err = m.s.App.Users.List(ctx, sys, user.Filter{Limit: 500}); err != nil {
		t.Fatal(err)
	}
	if s.Provider, err = m.s.App.Provider.Get(ctx); err != nil {
		t.Fatal(err)
	}
	for after := ""; ; {
		page, next, err := m.s.App.Tickets.List(ctx, sys, ticket.Filter{After: after, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range page {
			// The SLA summary is the background check's to recompute at
			// any moment (a saved service level schedules one): not a change
			// made by the call.
			tk.SLA = ticket.SLA{}
			// So are the contract and perimeter it computes with it (an
			// override by hand changes the ticket's update time too).
			tk.OutOfPerimeter, tk.PerimeterReason, tk.ContractID = false, "", nil
			s.Tickets = append(s.Tickets, tk)
		}
		if after = next; after == "" {
			break
		}
	}
	for _, d := range []*tenantData{&m.a, &m.b} {
		fs, _, err := m.s.App.Tickets.Timeline(ctx, sys, d.ticket)
		if err != nil {
			t.Fatal(err)
		}
		s.Followups = append(s.Followups, fs...)
		es, err := m.s.App.Tickets.TimeEntries(ctx, sys, d.ticket)
		if err != nil {
			t.Fatal(err)
		}
		s.TimeEntries = append(s.TimeEntries, es...)
		sl, found, err := m.s.App.Tickets.ServiceLevel(ctx, sys, d.client.ID)
		if err != nil {
			t.Fatal(err)
		}
		s.Levels = append(s.Levels, serviceLevel{sl, found})
	}
	if s.Categories, err = m.s.App.Tickets.Categories(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Mailboxes, err = m.s.App.HelpdeskMail.Mailboxes(ctx, sys); err != nil {
		t.Fatal(err)
	}
	if s.DomainRules, err = m.s.App.HelpdeskMail.DomainRules(ctx, sys); err != nil {
		t.Fatal(err)
	}
	for _, st := range []helpdeskmail.QuarantineStatus{helpdeskmail.QuarantinePending, helpdeskmail.QuarantineIgnored, helpdeskmail.QuarantineReleased, helpdeskmail.QuarantineDiscarded} {
		for before := int64(0); ; {
			page, err := m.s.App.HelpdeskMail.Quarantine(ctx, sys, helpdeskmail.QuarantineFilter{Status: st, Before: before, Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			s.Quarantine = append(s.Quarantine, page...)
			if len(page) < 200 {
				break
			}
			before = page[len(page)-1].ID
		}
	}
	if s.Helpdesk, err = m.s.App.Tickets.Settings(ctx); err != nil {
		t.Fatal(err)
	}
	for after := int64(0); ; {
		page, err := m.s.App.Assets.List(ctx, sys, asset.Filter{After: after, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		s.Assets = append(s.Assets, page...)
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].ID
	}
	for _, d := range []*tenantData{&m.a, &m.b} {
		toks, err := m.s.App.Assets.EnrollTokens(ctx, sys, d.client.ID)
		if err != nil {
			t.Fatal(err)
		}
		s.EnrollTokens = append(s.EnrollTokens, toks...)
		st, err := m.s.App.Assets.Settings(ctx, sys, d.client.ID)
		if err != nil {
			t.Fatal(err)
		}
		s.FleetSettings = append(s.FleetSettings, st)
	}
	s.Supervision = m.supervisionSnapshot(t)
	s.Contracts = m.contractSnapshot(t)
	return s
}

// diff names the rows that differ between two snapshots; "" when none does.
func (s snapshot) diff(o snapshot) string {
	var out []string
	for _, part := range []struct {
		name        string
		before, now any
	}{
		{"client", s.Clients, o.Clients},
		{"site", flatten(s.Sites), flatten(o.Sites)},
		{"contact", s.Contacts, o.Contacts},
		{"staff user", s.Staff, o.Staff},
		{"client user", s.Users, o.Users},
		{"provider", []provider.Provider{s.Provider}, []provider.Provider{o.Provider}},
		{"ticket", s.Tickets, o.Tickets},
		{"followup", s.Followups, o.Followups},
		{"time entry", s.TimeEntries, o.TimeEntries},
		{"category", s.Categories, o.Categories},
		{"helpdesk settings", []ticket.Settings{s.Helpdesk}, []ticket.Settings{o.Helpdesk}},
		{"service level", s.Levels, o.Levels},
		{"mailbox", s.Mailboxes, o.Mailboxes},
		{"domain rule", s.DomainRules, o.DomainRules},
		{"quarantined message", s.Quarantine, o.Quarantine},
		{"asset", s.Assets, o.Assets},
		{"enrollment token", s.EnrollTokens, o.EnrollTokens},
		{"fleet settings", s.FleetSettings, o.FleetSettings},
		{"check", s.Supervision.Checks, o.Supervision.Checks},
		{"check template", s.Supervision.Templates, o.Supervision.Templates},
		{"maintenance window", s.Supervision.Windows, o.Supervision.Windows},
		{"restore test", s.Supervision.Restores, o.Supervision.Restores},
		{"asset tags", s.Supervision.Tags, o.Supervision.Tags},
		{"contract", s.Contracts, o.Contracts},
	} {
		before, now := rows(part.before), rows(part.now)
		for id, b := range before {
			switch n, ok := now[id]; {
			case !ok:
				out = append(out, fmt.Sprintf("%s %s deleted", part.name, id))
			case n != b:
				out = append(out, fmt.Sprintf("%s %s changed: %s → %s", part.name, id, b, n))
			}
		}
		for id, n := range now {
			if _, ok := before[id]; !ok {
				out = append(out, fmt.Sprintf("%s %s created: %s", part.name, id, n))
			}
		}
	}
	slices.Sort(out)
	return strings.Join(out, "; ")
}

func flatten(m map[int64][]client.Site) []client.Site {
	var out []client.Site
	for _, s := range m {
		out = append(out, s...)
	}
	return out
}

// rows indexes the JSON of each element of a slice by its ID field.
func rows(slice any) map[string]string {
	out := map[string]string{}
	v := reflect.ValueOf(slice)
	for i := range v.Len() {
		e := v.Index(i)
		id := "#" + strconv.Itoa(i)
		if f := e.FieldByName("ID"); f.IsValid() {
			id = "#" + strconv.FormatInt(f.Int(), 10)
		}
		b, _ := json.Marshal(e.Interface())
		out[id] = string(b)
	}
	return out
}

// repair undoes what allowed calls may have done to the fixture that later
// calls rely on: an archived client.
func (m *matrix) repair(t *testing.T) {
	t.Helper()
	for _, d := range []*tenantData{&m.a, &m.b} {
		if err := m.s.App.Clients.SetArchived(m.s.Ctx(), tenant.System(), d.client.ID, false); err != nil {
			t.Fatal(err)
		}
	}
}

// Bodies.

func jsonBody(format string) func(*matrix, *attempt) any {
	return func(_ *matrix, x *attempt) any {
		if strings.Contains(format, "%d") {
			return json.RawMessage(fmt.Sprintf(format, x.n))
		}
		return json.RawMessage(format)
	}
}

func formBody(field, format string) func(*matrix, *attempt) any {
	return func(_ *matrix, x *attempt) any {
		v := format
		if strings.Contains(format, "%d") {
			v = fmt.Sprintf(format, x.n)
		}
		return url.Values{field: {v}}
	}
}

const matrixPassword = "matrix password 123"

func apiNewClient(_ *matrix, x *attempt) any {
	return map[string]any{"code": fmt.Sprintf("MXA-%d", x.n), "name": fmt.Sprintf("Matrix %d", x.n)}
}

func apiNewClientUser(_ *matrix, x *attempt) any {
	return map[string]any{
		"email": fmt.Sprintf("matrix%d@users.example", x.n), "name": fmt.Sprintf("Matrix %d", x.n),
		"role": "client-user", "client_id": x.target.client.ID, "password": matrixPassword,
	}
}

// webBulkTicket raises the level of the target's ticket from the queue's bulk bar.
func webBulkTicket(_ *matrix, x *attempt) any {
	return url.Values{"ids": {strconv.FormatInt(x.target.ticket, 10)}, "bulk_level": {"N2"}}
}

// apiBulkTicket raises the level of the target's ticket in a bulk change.
func apiBulkTicket(_ *matrix, x *attempt) any {
	return map[string]any{"ids": []int64{x.target.ticket}, "level": "N2"}
}

func apiNewTicket(_ *matrix, x *attempt) any {
	return map[string]any{"client_id": x.target.client.ID, "type": "request", "title": fmt.Sprintf("Matrix ticket %d", x.n)}
}

// apiPatchTicket renames the target's ticket after its client, so that B's
// ticket keeps showing B's name to whoever must not see it.
func apiPatchTicket(_ *matrix, x *attempt) any {
	return map[string]any{"title": fmt.Sprintf("%s ticket %d", x.target.client.Name, x.n)}
}

func apiHelpdeskSettings(_ *matrix, x *attempt) any {
	return map[string]any{"matrix": [][]int{{1, 2, 3}, {2, 3, 4}, {3, 4, 4}}, "reopen_days": x.n % 366, "close_days": 14}
}

// apiServiceLevel changes how the helpdesk works for the client (hours and
// targets are the contract's).
func apiServiceLevel(_ *matrix, x *attempt) any {
	return map[string]any{"at_risk_share": 0.8, "escalation": fmt.Sprintf("Matrix escalation %d", x.n)}
}

// webNewTicket names the target client in the form: staff choose it, and a
// client user naming another client than its own is refused.
func webNewTicket(_ *matrix, x *attempt) any {
	return url.Values{"client_id": {strconv.FormatInt(x.target.client.ID, 10)}, "type": {"incident"}, "title": {fmt.Sprintf("Matrix ticket %d", x.n)}}
}

// webUpdateTicket moves the ticket between the first two support levels,
// leaving its status alone so that later replies still reach it.
func webUpdateTicket(_ *matrix, x *attempt) any {
	return url.Values{"level": {[]string{"N1", "N2"}[x.n%2]}}
}

func webReplyTemplate(_ *matrix, x *attempt) any {
	return url.Values{"name": {fmt.Sprintf("Matrix template %d", x.n)}, "language": {"en"}, "body": {"Hello {{requester}}"}}
}

func webHelpdeskSettings(_ *matrix, x *attempt) any {
	v := url.Values{"reopen_days": {strconv.Itoa(x.n % 366)}, "close_days": {"14"}}
	for i, row := range [][]string{{"P1", "P2", "P3"}, {"P2", "P3", "P4"}, {"P3", "P4", "P4"}} {
		for u, p := range row {
			v.Set(fmt.Sprintf("matrix.%d.%d", i+1, u+1), p)
		}
	}
	return v
}

func webServiceLevel(_ *matrix, x *attempt) any {
	return url.Values{"at_risk_share": {"80"}, "escalation": {fmt.Sprintf("Matrix escalation %d", x.n)}}
}

func webNewClient(_ *matrix, x *attempt) any {
	return url.Values{"code": {fmt.Sprintf("MXW-%d", x.n)}, "name": {fmt.Sprintf("Matrix %d", x.n)}, "time_zone": {"Europe/Paris"}, "language": {"fr"}}
}

// webEditClient submits the target's current values with a new address.
func webEditClient(m *matrix, x *attempt) any {
	c, err := m.s.App.Clients.Get(m.s.Ctx(), tenant.System(), x.target.client.ID)
	if err != nil {
		panic(err)
	}
	return url.Values{"code": {c.Code}, "name": {c.Name}, "legal_id": {c.LegalID}, "vat_id": {c.VATID},
		"address": {fmt.Sprintf("Matrix street %d", x.n)}, "time_zone": {c.TimeZone}, "language": {c.Language}}
}

func webEditSite(m *matrix, x *attempt) any {
	st, err := m.s.App.Clients.Site(m.s.Ctx(), tenant.System(), x.target.site.ID)
	if err != nil {
		panic(err)
	}
	return url.Values{"name": {st.Name}, "address": {st.Address}, "notes": {fmt.Sprintf("Matrix note %d", x.n)}}
}

func webEditContact(m *matrix, x *attempt) any {
	ct, err := m.s.App.Clients.Contact(m.s.Ctx(), tenant.System(), x.target.contact.ID)
	if err != nil {
		panic(err)
	}
	v := url.Values{"first_name": {ct.FirstName}, "last_name": {ct.LastName}, "email": {ct.Email}, "phone": {ct.Phone},
		"mobile": {ct.Mobile}, "job_title": {fmt.Sprintf("Matrix %d", x.n)}}
	if ct.SiteID != nil {
		v.Set("site_id", strconv.FormatInt(*ct.SiteID, 10))
	}
	if ct.VIP {
		v.Set("vip", "1")
	}
	return v
}

func webNewClientUser(_ *matrix, x *attempt) any {
	return url.Values{"email": {fmt.Sprintf("matrix%d@users.example", x.n)}, "name": {fmt.Sprintf("Matrix %d", x.n)},
		"role": {"client-user"}, "password": {matrixPassword}}
}

func webNewStaff(_ *matrix, x *attempt) any {
	return url.Values{"email": {fmt.Sprintf("matrix%d@msp.example", x.n)}, "name": {fmt.Sprintf("Matrix %d", x.n)},
		"role": {"technician"}, "level": {"N1"}, "password": {matrixPassword}}
}

func webEditUser(m *matrix, x *attempt) any {
	u, err := m.s.App.Users.Get(m.s.Ctx(), tenant.System(), x.target.user.ID)
	if err != nil {
		panic(err)
	}
	v := url.Values{"name": {fmt.Sprintf("Matrix %d", x.n)}, "email": {u.Email}, "role": {string(u.Role)}, "level": {u.Level}, "language": {u.Language}}
	if u.ContactID != nil {
		v.Set("contact_id", strconv.FormatInt(*u.ContactID, 10))
	}
	return v
}

func webWrongPassword(_ *matrix, x *attempt) any {
	return url.Values{"current_password": {"not the password"}, "new_password": {matrixPassword}, "new_password_confirm": {matrixPassword}}
}

func webNewToken(_ *matrix, x *attempt) any {
	return url.Values{"name": {fmt.Sprintf("Matrix %d", x.n)}, "scope": {"read"}}
}

func webSettings(m *matrix, x *attempt) any {
	p, err := m.s.App.Provider.Get(m.s.Ctx())
	if err != nil {
		panic(err)
	}
	name := p.Name
	if name == "" {
		name = "Matrix MSP"
	}
	lang, tz := p.Language, p.TimeZone
	if lang == "" {
		lang = "fr"
	}
	if tz == "" {
		tz = "Europe/Paris"
	}
	return url.Values{"name": {name}, "legal_id": {p.LegalID}, "address": {fmt.Sprintf("Matrix avenue %d", x.n)}, "email": {p.Email},
		"phone": {p.Phone}, "website": {p.Website}, "language": {lang}, "time_zone": {tz}}
}

// quarantined delivers an e-mail from an unknown sender at the target's
// domain through the helpdesk's e-mail, as the IMAP reader would: the domain
// rule sends it to the quarantine under the target client.
func (m *matrix) quarantined(t *testing.T, d *tenantData) int64 {
	t.Helper()
	ctx, sys := m.s.Ctx(), tenant.System()
	if m.mailbox == 0 {
		mb := helpdeskmail.Mailbox{Name: "Matrix support", Address: "support@msp.example", Host: "imap.msp.example", TLS: helpdeskmail.TLSImplicit,
			Username: "support@msp.example", Password: matrixPassword}
		if err := m.s.App.HelpdeskMail.AddMailbox(ctx, sys, &mb); err != nil {
			t.Fatal(err)
		}
		m.mailbox = mb.ID
	}
	m.uid++
	raw := fmt.Sprintf("From: Stranger <stranger%d@%s>\r\nTo: support@msp.example\r\nSubject: %s printer %d\r\nMessage-ID: <matrix-%d@%s>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0100\r\n\r\nThe printer of %s is down.\r\n",
		m.uid, d.domain, d.client.Name, m.uid, m.uid, d.domain, d.client.Name)
	res, err := m.s.App.HelpdeskMail.Deliver(ctx, helpdeskmail.Delivery{MailboxID: m.mailbox, UIDValidity: 1, UID: m.uid, Raw: []byte(raw)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != helpdeskmail.OutcomeQuarantined || res.QuarantineID == 0 {
		t.Fatalf("delivery to the quarantine: %+v", res)
	}
	return res.QuarantineID
}

func apiNewMailbox(_ *matrix, x *attempt) any {
	return map[string]any{"name": fmt.Sprintf("Matrix mailbox %d", x.n), "host": "imap.msp.example", "tls_mode": "tls",
		"username": fmt.Sprintf("matrix%d", x.n), "password": matrixPassword, "enabled": false}
}

func webNewMailbox(_ *matrix, x *attempt) any {
	return url.Values{"name": {fmt.Sprintf("Matrix mailbox %d", x.n)}, "host": {"imap.msp.example"}, "tls_mode": {"tls"},
		"username": {fmt.Sprintf("matrix%d", x.n)}, "password": {matrixPassword}}
}

func apiNewDomainRule(_ *matrix, x *attempt) any {
	return map[string]any{"domain": fmt.Sprintf("new%d.%s", x.n, x.target.domain), "client_id": x.target.client.ID}
}

func webNewDomainRule(_ *matrix, x *attempt) any {
	return url.Values{"domain": {fmt.Sprintf("new%d.%s", x.n, x.target.domain)}, "client_id": {strconv.FormatInt(x.target.client.ID, 10)}}
}

// apiRelease releases the target's message into the target client, with
// its contact as requester.
func apiRelease(_ *matrix, x *attempt) any {
	return map[string]any{"client_id": x.target.client.ID, "contact_id": x.target.contact.ID}
}

func webRelease(_ *matrix, x *attempt) any {
	return url.Values{"client_id": {strconv.FormatInt(x.target.client.ID, 10)}, "contact_id": {strconv.FormatInt(x.target.contact.ID, 10)}}
}

// multipartBody is a multipart/form-data request body (an upload).
type multipartBody struct {
	raw         []byte
	contentType string
}

// apiAttachment uploads a small text file.
func apiAttachment(m *matrix, x *attempt) any {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile("file", fmt.Sprintf("matrix-%d.txt", x.n))
	_, _ = fmt.Fprintf(w, "Matrix file %d", x.n)
	_ = mw.Close()
	return multipartBody{raw: buf.Bytes(), contentType: mw.FormDataContentType()}
}

func apiNewAsset(_ *matrix, x *attempt) any {
	return map[string]any{"client_id": x.target.client.ID, "kind": "printer", "name": fmt.Sprintf("Matrix printer %d", x.n), "fields": map[string]string{"ip": "10.0.0.9"}}
}

// apiImportCSV imports one asset into the target client.
func apiImportCSV(_ *matrix, x *attempt) any {
	return multipartBody{raw: []byte(fmt.Sprintf("kind;name;ip\nprinter;Matrix import %d;10.0.0.7\n", x.n)), contentType: "text/csv"}
}

func webNewAsset(_ *matrix, x *attempt) any {
	return url.Values{"kind": {"printer"}, "name": {fmt.Sprintf("Matrix printer %d", x.n)}, "criticality": {"normal"}, "fields.ip": {"10.0.0.9"}}
}

// webEditAsset keeps the asset's kind and name (the client's, a marker of
// B) and changes its notes.
func webEditAsset(_ *matrix, x *attempt) any {
	return url.Values{"kind": {"server"}, "name": {x.target.client.Name + " server"}, "criticality": {"normal"}, "notes": {fmt.Sprintf("Matrix note %d", x.n)}}
}

// webImportCSV uploads one asset for the import's dry run (the preview).
func webImportCSV(_ *matrix, x *attempt) any {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile("csv", fmt.Sprintf("matrix-%d.csv", x.n))
	_, _ = fmt.Fprintf(w, "kind;name;ip\nprinter;Matrix import %d;10.0.0.7\n", x.n)
	_ = mw.Close()
	return multipartBody{raw: buf.Bytes(), contentType: mw.FormDataContentType()}
}

func webNewEnrollToken(_ *matrix, x *attempt) any {
	return url.Values{"name": {fmt.Sprintf("Matrix token %d", x.n)}, "expires_in": {"7d"}}
}

func webFleetSettings(_ *matrix, x *attempt) any {
	return url.Values{"metric_interval": {"60"}, "report_interval": {strconv.Itoa(60 + x.n%1000)}, "inventory_interval": {"14400"}, "spool_mib": {"50"}, "collectors": {"software", "smart"}}
}

func apiFleetSettings(_ *matrix, x *attempt) any {
	return map[string]any{"metric_interval": 60, "report_interval": 60 + x.n%1000}
}
