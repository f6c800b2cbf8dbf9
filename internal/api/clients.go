package api

import (
	"strconv"

	"github.com/vigie-hq/vigie/internal/client"
)

// clientCreate is the body of POST /clients.
type clientCreate struct {
	Code     string `json:"code" doc:"required"`
	Name     string `json:"name" doc:"required"`
	LegalID  string `json:"legal_id"`
	VATID    string `json:"vat_id"`
	Address  string `json:"address"`
	TimeZone string `json:"time_zone" doc:"IANA time zone, Europe/Paris by default"`
	Language string `json:"language" doc:"enum=fr|en"`
}

// clientPatch is the body of PATCH /clients/{id}.
type clientPatch struct {
	Code     Opt[string] `json:"code"`
	Name     Opt[string] `json:"name"`
	LegalID  Opt[string] `json:"legal_id"`
	VATID    Opt[string] `json:"vat_id"`
	Address  Opt[string] `json:"address"`
	TimeZone Opt[string] `json:"time_zone"`
	Language Opt[string] `json:"language" doc:"enum=fr|en"`
}

func (p clientPatch) apply(c *client.Client) {
	p.Code.apply(&c.Code)
	p.Name.apply(&c.Name)
	p.LegalID.apply(&c.LegalID)
	p.VATID.apply(&c.VATID)
	p.Address.apply(&c.Address)
	p.TimeZone.apply(&c.TimeZone)
	p.Language.apply(&c.Language)
}

// siteInput is the body of POST /clients/{id}/sites.
type siteInput struct {
	Name    string `json:"name" doc:"required"`
	Address string `json:"address"`
	Notes   string `json:"notes"`
}

// sitePatch is the body of PATCH /sites/{id}.
type sitePatch struct {
	Name    Opt[string] `json:"name"`
	Address Opt[string] `json:"address"`
	Notes   Opt[string] `json:"notes"`
}

// contactInput is the body of POST /clients/{id}/contacts.
type contactInput struct {
	SiteID    *int64 `json:"site_id" doc:"a site of the same client"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name" doc:"required"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
	Mobile    string `json:"mobile"`
	JobTitle  string `json:"job_title"`
	VIP       bool   `json:"vip"`
}

// contactPatch is the body of PATCH /contacts/{id}.
type contactPatch struct {
	SiteID    Opt[int64]  `json:"site_id" doc:"null removes the site"`
	FirstName Opt[string] `json:"first_name"`
	LastName  Opt[string] `json:"last_name"`
	Email     Opt[string] `json:"email"`
	Phone     Opt[string] `json:"phone"`
	Mobile    Opt[string] `json:"mobile"`
	JobTitle  Opt[string] `json:"job_title"`
	VIP       Opt[bool]   `json:"vip"`
}

func (a *API) listClients(c *call) (any, error) {
	q := c.query()
	f := client.Filter{Query: q.str("q"), Archived: q.boolean("archived"), After: q.after()}
	limit := q.limit()
	if err := q.err(); err != nil {
		return nil, err
	}
	f.Limit = limit + 1
	rows, err := a.d.Clients.List(c.r.Context(), c.scope, f)
	if err != nil {
		return nil, err
	}
	return pageOf(rows, limit, func(c client.Client) int64 { return c.ID }), nil
}

func (a *API) createClient(c *call) (any, error) {
	var in clientCreate
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	cl := client.Client{Code: in.Code, Name: in.Name, LegalID: in.LegalID, VATID: in.VATID, Address: in.Address, TimeZone: in.TimeZone, Language: in.Language}
	if err := a.d.Clients.Create(c.r.Context(), c.scope, &cl); err != nil {
		return nil, err
	}
	c.location("/clients", cl.ID)
	return cl, nil
}

// client returns the client named by the path, as the caller sees it: a
// client of another tenant is not found, exactly like a missing one.
func (a *API) client(c *call) (client.Client, error) {
	id, err := c.id("id")
	if err != nil {
		return client.Client{}, err
	}
	return a.d.Clients.Get(c.r.Context(), c.scope, id)
}

func (a *API) getClient(c *call) (any, error) { return a.client(c) }

func (a *API) updateClient(c *call) (any, error) {
	cl, err := a.client(c)
	if err != nil {
		return nil, err
	}
	var in clientPatch
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	in.apply(&cl)
	if err := a.d.Clients.Update(c.r.Context(), c.scope, &cl); err != nil {
		return nil, err
	}
	return cl, nil
}

func (a *API) archiveClient(archived bool) func(c *call) (any, error) {
	return func(c *call) (any, error) {
		cl, err := a.client(c)
		if err != nil {
			return nil, err
		}
		if err := c.noBody(); err != nil {
			return nil, err
		}
		if err := a.d.Clients.SetArchived(c.r.Context(), c.scope, cl.ID, archived); err != nil {
			return nil, err
		}
		return a.d.Clients.Get(c.r.Context(), c.scope, cl.ID)
	}
}

func (a *API) listSites(c *call) (any, error) {
	cl, err := a.client(c)
	if err != nil {
		return nil, err
	}
	rows, err := a.d.Clients.Sites(c.r.Context(), c.scope, cl.ID)
	if err != nil {
		return nil, err
	}
	// A client has few sites: one page, sorted by name.
	return page[client.Site]{Data: rows}, nil
}

func (a *API) createSite(c *call) (any, error) {
	cl, err := a.client(c)
	if err != nil {
		return nil, err
	}
	var in siteInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	st := client.Site{ClientID: cl.ID, Name: in.Name, Address: in.Address, Notes: in.Notes}
	if err := a.d.Clients.CreateSite(c.r.Context(), c.scope, &st); err != nil {
		return nil, err
	}
	c.location("/sites", st.ID)
	return st, nil
}

func (a *API) site(c *call) (client.Site, error) {
	id, err := c.id("id")
	if err != nil {
		return client.Site{}, err
	}
	return a.d.Clients.Site(c.r.Context(), c.scope, id)
}

func (a *API) getSite(c *call) (any, error) { return a.site(c) }

func (a *API) updateSite(c *call) (any, error) {
	st, err := a.site(c)
	if err != nil {
		return nil, err
	}
	var in sitePatch
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	in.Name.apply(&st.Name)
	in.Address.apply(&st.Address)
	in.Notes.apply(&st.Notes)
	if err := a.d.Clients.UpdateSite(c.r.Context(), c.scope, &st); err != nil {
		return nil, err
	}
	return st, nil
}

func (a *API) deleteSite(c *call) (any, error) {
	st, err := a.site(c)
	if err != nil {
		return nil, err
	}
	if err := c.noBody(); err != nil {
		return nil, err
	}
	return nil, a.d.Clients.DeleteSite(c.r.Context(), c.scope, st.ID)
}

func (a *API) listContacts(c *call) (any, error) { return a.contacts(c, 0) }

func (a *API) listClientContacts(c *call) (any, error) {
	cl, err := a.client(c)
	if err != nil {
		return nil, err
	}
	return a.contacts(c, cl.ID)
}

func (a *API) contacts(c *call, clientID int64) (any, error) {
	q := c.query()
	f := client.ContactFilter{ClientID: clientID, Query: q.str("q"), After: q.after()}
	limit := q.limit()
	if err := q.err(); err != nil {
		return nil, err
	}
	f.Limit = limit + 1
	rows, err := a.d.Clients.Contacts(c.r.Context(), c.scope, f)
	if err != nil {
		return nil, err
	}
	return pageOf(rows, limit, func(c client.Contact) int64 { return c.ID }), nil
}

func (a *API) createContact(c *call) (any, error) {
	cl, err := a.client(c)
	if err != nil {
		return nil, err
	}
	var in contactInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	ct := client.Contact{ClientID: cl.ID, SiteID: in.SiteID, FirstName: in.FirstName, LastName: in.LastName, Email: in.Email,
		Phone: in.Phone, Mobile: in.Mobile, JobTitle: in.JobTitle, VIP: in.VIP}
	if err := a.d.Clients.CreateContact(c.r.Context(), c.scope, &ct); err != nil {
		return nil, err
	}
	c.location("/contacts", ct.ID)
	return ct, nil
}

func (a *API) contact(c *call) (client.Contact, error) {
	id, err := c.id("id")
	if err != nil {
		return client.Contact{}, err
	}
	return a.d.Clients.Contact(c.r.Context(), c.scope, id)
}

func (a *API) getContact(c *call) (any, error) { return a.contact(c) }

func (a *API) updateContact(c *call) (any, error) {
	ct, err := a.contact(c)
	if err != nil {
		return nil, err
	}
	var in contactPatch
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	in.SiteID.applyPtr(&ct.SiteID)
	in.FirstName.apply(&ct.FirstName)
	in.LastName.apply(&ct.LastName)
	in.Email.apply(&ct.Email)
	in.Phone.apply(&ct.Phone)
	in.Mobile.apply(&ct.Mobile)
	in.JobTitle.apply(&ct.JobTitle)
	in.VIP.apply(&ct.VIP)
	if err := a.d.Clients.UpdateContact(c.r.Context(), c.scope, &ct); err != nil {
		return nil, err
	}
	return ct, nil
}

func (a *API) deleteContact(c *call) (any, error) {
	ct, err := a.contact(c)
	if err != nil {
		return nil, err
	}
	if err := c.noBody(); err != nil {
		return nil, err
	}
	return nil, a.d.Clients.DeleteContact(c.r.Context(), c.scope, ct.ID)
}

// location sets the Location of a created object.
func (c *call) location(collection string, id int64) {
	c.w.Header().Set("Location", Prefix+collection+"/"+strconv.FormatInt(id, 10))
}
