package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

// pageSize is the number of rows of a listing page; one more is fetched to
// know whether a next page exists.
const pageSize = 50

// pathID reads a numeric path parameter; anything else is "not found".
func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}

// cursor reads a pagination cursor (an id) from the query.
func cursor(r *http.Request, name string) int64 {
	id, err := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
	if err != nil || id < 0 {
		return 0
	}
	return id
}

// nextPage returns the address of the next page: the current query with
// the cursor replaced.
func nextPage(r *http.Request, name string, id int64) string {
	q := r.URL.Query()
	q.Set(name, itoa(id))
	return r.URL.Path + "?" + q.Encode()
}

// allClients lists every client the scope sees, page by page, for pickers
// and name lookups: a list cut at one page would silently drop a staff
// member's access to the clients beyond it when their form is saved.
func (h *Handler) allClients(ctx context.Context, s tenant.Scope) ([]client.Client, error) {
	var out []client.Client
	var after int64
	for {
		page, err := h.d.Clients.List(ctx, s, client.Filter{After: after, Limit: 500})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < 500 {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

type homePage struct {
	Active, Archived int
	// Client is set for client users: their company.
	Client   *client.Client
	Sites    int
	Contacts int
	Users    int
	Recent   []audit.Entry
	// Tickets counts the open tickets the caller sees (nil: no helpdesk).
	Tickets *ticketCounts
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, s := r.Context(), p.Scope()
	var d homePage
	if p.User.ClientID != nil {
		c, err := h.d.Clients.Get(ctx, s, *p.User.ClientID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Client = &c
		sites, err := h.d.Clients.Sites(ctx, s, c.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		contacts, err := h.d.Clients.Contacts(ctx, s, client.ContactFilter{ClientID: c.ID, Limit: 500})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		users, err := h.d.Users.List(ctx, s, user.Filter{ClientID: c.ID, Limit: 500})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Sites, d.Contacts, d.Users = len(sites), len(contacts), len(users)
	} else {
		if d.Active, err = h.d.Clients.Count(ctx, s, false); err != nil {
			h.fail(w, r, err)
			return
		}
		if d.Archived, err = h.d.Clients.Count(ctx, s, true); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if h.d.Tickets != nil && s.Can(tenant.TicketRead) {
		if d.Tickets, err = h.countTickets(ctx, s); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if s.Can(tenant.AuditRead) {
		if d.Recent, err = h.d.Journal.List(ctx, s, audit.Filter{Limit: 8}); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.render(w, h.view(w, r, "home"), http.StatusOK, "home", d)
}

func (h *Handler) clientNames(ctx context.Context, s tenant.Scope) (map[int64]string, error) {
	cs, err := h.allClients(ctx, s)
	if err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(cs))
	for _, c := range cs {
		names[c.ID] = c.Name
	}
	return names, nil
}

type clientListPage struct {
	Clients []client.Client
	Status  string
	Query   string
	Next    string
	// Filtered is set when a search or filter is active, to tell "nothing
	// matches" from "no client yet".
	Filtered bool
}

func (h *Handler) clientList(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	d := clientListPage{Query: strings.TrimSpace(q.Get("q")), Status: q.Get("status")}
	f := client.Filter{Query: d.Query, After: cursor(r, "after"), Limit: pageSize + 1}
	switch d.Status {
	case "archived":
		yes := true
		f.Archived = &yes
	case "all":
	default:
		d.Status = "active"
		no := false
		f.Archived = &no
	}
	cs, err := h.d.Clients.List(r.Context(), p.Scope(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(cs) > pageSize {
		cs = cs[:pageSize]
		d.Next = nextPage(r, "after", cs[len(cs)-1].ID)
	}
	d.Clients = cs
	d.Filtered = d.Query != "" || d.Status != "active" || f.After != 0
	v := h.view(w, r, "clients")
	v.Form.setValues(url.Values{"q": {d.Query}, "status": {d.Status}})
	h.render(w, v, http.StatusOK, "clients", d)
}

// loadClient loads the client named in the path through the caller's scope:
// a client the caller may not see is answered 404 before anything else.
func (h *Handler) loadClient(w http.ResponseWriter, r *http.Request) (client.Client, tenant.Scope, bool) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return client.Client{}, tenant.Scope{}, false
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return client.Client{}, tenant.Scope{}, false
	}
	c, err := h.d.Clients.Get(r.Context(), p.Scope(), id)
	if err != nil {
		h.fail(w, r, err)
		return client.Client{}, tenant.Scope{}, false
	}
	return c, p.Scope(), true
}

type clientPage struct {
	Client   client.Client
	Sites    []client.Site
	Contacts []client.Contact
	Users    []user.User
	// SiteNames and ContactNames resolve links between the lists.
	SiteNames    map[int64]string
	ContactNames map[int64]string
}

func (h *Handler) clientShow(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	d := clientPage{Client: c, SiteNames: map[int64]string{}, ContactNames: map[int64]string{}}
	var err error
	if d.Sites, err = h.d.Clients.Sites(ctx, s, c.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Contacts, err = h.d.Clients.Contacts(ctx, s, client.ContactFilter{ClientID: c.ID, Limit: 500}); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Users, err = h.d.Users.List(ctx, s, user.Filter{ClientID: c.ID, Limit: 500}); err != nil {
		h.fail(w, r, err)
		return
	}
	for _, st := range d.Sites {
		d.SiteNames[st.ID] = st.Name
	}
	for _, ct := range d.Contacts {
		d.ContactNames[ct.ID] = ct.FullName()
	}
	h.render(w, h.view(w, r, "clients"), http.StatusOK, "client", d)
}

// SiteName names a contact's site, "" for none.
func (d clientPage) SiteName(id *int64) string {
	if id == nil {
		return ""
	}
	return d.SiteNames[*id]
}

// ContactName names a user's linked contact, "" for none.
func (d clientPage) ContactName(id *int64) string {
	if id == nil {
		return ""
	}
	return d.ContactNames[*id]
}

// StatusOptions are the choices of the clients list filter.
func (v *view) StatusOptions() []option {
	return []option{{Value: "active", Label: v.T("clients.status_active")}, {Value: "archived", Label: v.T("clients.status_archived")}, {Value: "all", Label: v.T("clients.status_all")}}
}

type clientFormPage struct {
	Client    client.Client
	TimeZones []string
	Languages []option
}

func clientValues(c client.Client) url.Values {
	return url.Values{"code": {c.Code}, "name": {c.Name}, "legal_id": {c.LegalID}, "vat_id": {c.VATID}, "address": {c.Address}, "time_zone": {c.TimeZone}, "language": {c.Language}}
}

func clientFromForm(vals url.Values, c *client.Client) {
	c.Code, c.Name = vals.Get("code"), vals.Get("name")
	c.LegalID, c.VATID = vals.Get("legal_id"), vals.Get("vat_id")
	c.Address, c.TimeZone, c.Language = vals.Get("address"), vals.Get("time_zone"), vals.Get("language")
}

func (h *Handler) clientForm(v *view, c client.Client) clientFormPage {
	return clientFormPage{Client: c, TimeZones: timeZones, Languages: v.languageOptions(false)}
}

func (h *Handler) clientNew(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if s := p.Scope(); !s.Can(tenant.ClientWrite) || !s.AllClients() {
		h.forbidden(w, r)
		return
	}
	v := h.view(w, r, "clients")
	v.Form.setValues(clientValues(client.Client{TimeZone: "Europe/Paris", Language: v.Provider.Language}))
	h.render(w, v, http.StatusOK, "client_form", h.clientForm(v, client.Client{}))
}

func (h *Handler) clientCreate(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !parseForm(w, r) {
		return
	}
	var c client.Client
	clientFromForm(r.PostForm, &c)
	if err := h.d.Clients.Create(r.Context(), p.Scope(), &c); err != nil {
		v := h.view(w, r, "clients")
		v.Form.setValues(r.PostForm)
		h.formFailed(w, v, "client_form", h.clientForm(v, client.Client{}), err)
		return
	}
	h.redirect(w, r, fmt.Sprintf("/clients/%d", c.ID), "flash.client_created", c.Name)
}

func (h *Handler) clientEdit(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	if !s.CanOn(tenant.ClientWrite, c.ID) {
		h.forbidden(w, r)
		return
	}
	v := h.view(w, r, "clients")
	v.Form.setValues(clientValues(c))
	h.render(w, v, http.StatusOK, "client_form", h.clientForm(v, c))
}

func (h *Handler) clientUpdate(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	loaded := c
	clientFromForm(r.PostForm, &c)
	if err := h.d.Clients.Update(r.Context(), s, &c); err != nil {
		v := h.view(w, r, "clients")
		v.Form.setValues(r.PostForm)
		h.formFailed(w, v, "client_form", h.clientForm(v, loaded), err)
		return
	}
	h.redirect(w, r, fmt.Sprintf("/clients/%d", c.ID), "flash.client_saved", c.Name)
}

func (h *Handler) clientArchive(w http.ResponseWriter, r *http.Request) { h.setArchived(w, r, true) }

func (h *Handler) clientRestore(w http.ResponseWriter, r *http.Request) { h.setArchived(w, r, false) }

func (h *Handler) setArchived(w http.ResponseWriter, r *http.Request, archived bool) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	if err := h.d.Clients.SetArchived(r.Context(), s, c.ID, archived); err != nil {
		h.fail(w, r, err)
		return
	}
	key := "flash.client_archived"
	if !archived {
		key = "flash.client_restored"
	}
	h.redirect(w, r, fmt.Sprintf("/clients/%d", c.ID), key, c.Name)
}

// Sites.

type siteFormPage struct {
	Client client.Client
	Site   client.Site
}

func siteValues(st client.Site) url.Values {
	return url.Values{"name": {st.Name}, "address": {st.Address}, "notes": {st.Notes}}
}

func siteFromForm(vals url.Values, st *client.Site) {
	st.Name, st.Address, st.Notes = vals.Get("name"), vals.Get("address"), vals.Get("notes")
}

func (h *Handler) siteNew(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	if !s.CanOn(tenant.SiteWrite, c.ID) {
		h.forbidden(w, r)
		return
	}
	h.render(w, h.view(w, r, "clients"), http.StatusOK, "site_form", siteFormPage{Client: c})
}

func (h *Handler) siteCreate(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	st := client.Site{ClientID: c.ID}
	siteFromForm(r.PostForm, &st)
	if err := h.d.Clients.CreateSite(r.Context(), s, &st); err != nil {
		v := h.view(w, r, "clients")
		v.Form.setValues(r.PostForm)
		h.formFailed(w, v, "site_form", siteFormPage{Client: c}, err)
		return
	}
	h.redirect(w, r, fmt.Sprintf("/clients/%d#sites", c.ID), "flash.site_created", st.Name)
}

// loadSite loads the site of the path and its client, through the scope.
func (h *Handler) loadSite(w http.ResponseWriter, r *http.Request) (client.Site, client.Client, tenant.Scope, bool) {
	return loadOfClient(h, w, r, h.d.Clients.Site, func(st client.Site) int64 { return st.ClientID })
}

// loadOfClient loads the object named by the path's id with get, then its
// client, both through the caller's scope; on failure it answers (404, 403…)
// and returns false.
func loadOfClient[T any](h *Handler, w http.ResponseWriter, r *http.Request, get func(context.Context, tenant.Scope, int64) (T, error), clientOf func(T) int64) (T, client.Client, tenant.Scope, bool) {
	var zero T
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return zero, client.Client{}, tenant.Scope{}, false
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return zero, client.Client{}, tenant.Scope{}, false
	}
	s := p.Scope()
	obj, err := get(r.Context(), s, id)
	if err != nil {
		h.fail(w, r, err)
		return zero, client.Client{}, tenant.Scope{}, false
	}
	c, err := h.d.Clients.Get(r.Context(), s, clientOf(obj))
	if err != nil {
		h.fail(w, r, err)
		return zero, client.Client{}, tenant.Scope{}, false
	}
	return obj, c, s, true
}

func (h *Handler) siteEdit(w http.ResponseWriter, r *http.Request) {
	st, c, s, ok := h.loadSite(w, r)
	if !ok {
		return
	}
	if !s.CanOn(tenant.SiteWrite, c.ID) {
		h.forbidden(w, r)
		return
	}
	v := h.view(w, r, "clients")
	v.Form.setValues(siteValues(st))
	h.render(w, v, http.StatusOK, "site_form", siteFormPage{Client: c, Site: st})
}

func (h *Handler) siteUpdate(w http.ResponseWriter, r *http.Request) {
	st, c, s, ok := h.loadSite(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	loaded := st
	siteFromForm(r.PostForm, &st)
	if err := h.d.Clients.UpdateSite(r.Context(), s, &st); err != nil {
		v := h.view(w, r, "clients")
		v.Form.setValues(r.PostForm)
		h.formFailed(w, v, "site_form", siteFormPage{Client: c, Site: loaded}, err)
		return
	}
	h.redirect(w, r, fmt.Sprintf("/clients/%d#sites", c.ID), "flash.site_saved", st.Name)
}

func (h *Handler) siteDelete(w http.ResponseWriter, r *http.Request) {
	st, c, s, ok := h.loadSite(w, r)
	if !ok {
		return
	}
	if err := h.d.Clients.DeleteSite(r.Context(), s, st.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, fmt.Sprintf("/clients/%d#sites", c.ID), "flash.site_deleted", st.Name)
}

// Contacts.

type contactFormPage struct {
	Client  client.Client
	Contact client.Contact
	Sites   []option
}

func contactValues(ct client.Contact) url.Values {
	vals := url.Values{"first_name": {ct.FirstName}, "last_name": {ct.LastName}, "email": {ct.Email}, "phone": {ct.Phone}, "mobile": {ct.Mobile}, "job_title": {ct.JobTitle}}
	if ct.SiteID != nil {
		vals.Set("site_id", itoa(*ct.SiteID))
	}
	if ct.VIP {
		vals.Set("vip", "1")
	}
	return vals
}

func contactFromForm(vals url.Values, ct *client.Contact) {
	ct.FirstName, ct.LastName = vals.Get("first_name"), vals.Get("last_name")
	ct.Email, ct.Phone, ct.Mobile = vals.Get("email"), vals.Get("phone"), vals.Get("mobile")
	ct.JobTitle = vals.Get("job_title")
	ct.SiteID = formID(vals, "site_id")
	ct.VIP = formBool(vals, "vip")
}

func (h *Handler) contactForm(ctx context.Context, v *view, s tenant.Scope, c client.Client, ct client.Contact) (contactFormPage, error) {
	sites, err := h.d.Clients.Sites(ctx, s, c.ID)
	if err != nil {
		return contactFormPage{}, err
	}
	opts := []option{{Value: "", Label: v.T("contact.no_site")}}
	for _, st := range sites {
		opts = append(opts, option{Value: itoa(st.ID), Label: st.Name})
	}
	return contactFormPage{Client: c, Contact: ct, Sites: opts}, nil
}

func (h *Handler) contactNew(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	if !s.CanOn(tenant.ContactWrite, c.ID) {
		h.forbidden(w, r)
		return
	}
	v := h.view(w, r, "clients")
	d, err := h.contactForm(r.Context(), v, s, c, client.Contact{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, v, http.StatusOK, "contact_form", d)
}

func (h *Handler) contactCreate(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	ct := client.Contact{ClientID: c.ID}
	contactFromForm(r.PostForm, &ct)
	if err := h.d.Clients.CreateContact(r.Context(), s, &ct); err != nil {
		v := h.view(w, r, "clients")
		v.Form.setValues(r.PostForm)
		d, derr := h.contactForm(r.Context(), v, s, c, client.Contact{})
		if derr != nil {
			h.fail(w, r, derr)
			return
		}
		h.formFailed(w, v, "contact_form", d, err)
		return
	}
	h.redirect(w, r, fmt.Sprintf("/clients/%d#contacts", c.ID), "flash.contact_created", ct.FullName())
}

// loadContact loads the contact of the path and its client, through the scope.
func (h *Handler) loadContact(w http.ResponseWriter, r *http.Request) (client.Contact, client.Client, tenant.Scope, bool) {
	return loadOfClient(h, w, r, h.d.Clients.Contact, func(ct client.Contact) int64 { return ct.ClientID })
}

func (h *Handler) contactEdit(w http.ResponseWriter, r *http.Request) {
	ct, c, s, ok := h.loadContact(w, r)
	if !ok {
		return
	}
	if !s.CanOn(tenant.ContactWrite, c.ID) {
		h.forbidden(w, r)
		return
	}
	v := h.view(w, r, "clients")
	v.Form.setValues(contactValues(ct))
	d, err := h.contactForm(r.Context(), v, s, c, ct)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, v, http.StatusOK, "contact_form", d)
}

func (h *Handler) contactUpdate(w http.ResponseWriter, r *http.Request) {
	ct, c, s, ok := h.loadContact(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	loaded := ct
	contactFromForm(r.PostForm, &ct)
	if err := h.d.Clients.UpdateContact(r.Context(), s, &ct); err != nil {
		v := h.view(w, r, "clients")
		v.Form.setValues(r.PostForm)
		d, derr := h.contactForm(r.Context(), v, s, c, loaded)
		if derr != nil {
			h.fail(w, r, derr)
			return
		}
		h.formFailed(w, v, "contact_form", d, err)
		return
	}
	h.redirect(w, r, fmt.Sprintf("/clients/%d#contacts", c.ID), "flash.contact_saved", ct.FullName())
}

func (h *Handler) contactDelete(w http.ResponseWriter, r *http.Request) {
	ct, c, s, ok := h.loadContact(w, r)
	if !ok {
		return
	}
	if err := h.d.Clients.DeleteContact(r.Context(), s, ct.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, fmt.Sprintf("/clients/%d#contacts", c.ID), "flash.contact_deleted", ct.FullName())
}

// languageOptions are the languages to choose from; withBrowser adds
// "follow the browser" (a user's language may be left unset).
func (v *view) languageOptions(withBrowser bool) []option {
	var opts []option
	if withBrowser {
		opts = append(opts, option{Value: "", Label: v.T("account.language_browser")})
	}
	for _, l := range fault.Languages {
		opts = append(opts, option{Value: l, Label: v.T("lang." + l)})
	}
	return opts
}

// timeZones are offered in a list beside the free-text field; any IANA
// name is accepted.
var timeZones = []string{
	"Europe/Paris", "Europe/Brussels", "Europe/Luxembourg", "Europe/Zurich", "Europe/Monaco",
	"Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Madrid", "Europe/Berlin",
	"Europe/Amsterdam", "Europe/Rome", "Europe/Vienna", "Europe/Stockholm", "Europe/Oslo",
	"Europe/Copenhagen", "Europe/Helsinki", "Europe/Warsaw", "Europe/Prague", "Europe/Athens",
	"Africa/Casablanca", "Africa/Algiers", "Africa/Tunis", "Africa/Dakar", "Africa/Abidjan",
	"America/Montreal", "America/Toronto", "America/New_York", "America/Martinique", "America/Guadeloupe",
	"America/Cayenne", "Indian/Reunion", "Indian/Mayotte", "Pacific/Noumea", "Pacific/Tahiti", "UTC",
}
