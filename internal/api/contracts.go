package api

import (
	"net/http"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/sla"
)

// contractTarget is the promise for one priority, in minutes of business
// time (0: none).
type contractTarget struct {
	TTOMinutes int `json:"tto_minutes"`
	TTRMinutes int `json:"ttr_minutes"`
}

// contractSupport is the support time included.
type contractSupport struct {
	Mode    contract.SupportMode `json:"mode" doc:"none, monthly (minutes each calendar month) or pack (a prepaid pack of minutes consumed from pack_start)"`
	Minutes int                  `json:"minutes"`
	// PackStart is a date (YYYY-MM-DD), for a pack only.
	PackStart *string `json:"pack_start"`
}

// contractBody is a contract as the API reads and writes it: dates as
// YYYY-MM-DD, targets in minutes per priority (P1…P4).
type contractBody struct {
	Reference      string                    `json:"reference" doc:"required"`
	Title          string                    `json:"title" doc:"required"`
	Start          string                    `json:"start" doc:"required"`
	End            *string                   `json:"end"`
	Renewal        contract.Renewal          `json:"renewal"`
	State          contract.State            `json:"state"`
	Calendar       string                    `json:"calendar" doc:"required"`
	Targets        map[string]contractTarget `json:"targets"`
	Availability   float64                   `json:"availability" doc:"required"`
	Support        contractSupport           `json:"support"`
	OnSitePerMonth int                       `json:"onsite_per_month"`
	Reporting      contract.Reporting        `json:"reporting"`
	Reversibility  string                    `json:"reversibility"`
	DataProtection string                    `json:"data_protection"`
	RetentionYears int                       `json:"retention_years"`
	Perimeter      contract.Perimeter        `json:"perimeter"`
}

// contractOut is a contract in a response: its fields, its status today
// and whether it is the client's contract in force.
type contractOut struct {
	ID       int64 `json:"id"`
	ClientID int64 `json:"client_id"`
	contractBody
	// Status is draft, active, ended or cancelled, computed for today.
	Status  contract.Status `json:"status"`
	InForce bool            `json:"in_force"`
	Created time.Time       `json:"created_at"`
	Updated time.Time       `json:"updated_at"`
}

// contractPatch is the body of PATCH /contracts/{id} (JSON merge patch:
// absent fields are kept; objects are replaced whole).
type contractPatch struct {
	Reference      Opt[string]                    `json:"reference"`
	Title          Opt[string]                    `json:"title"`
	Start          Opt[string]                    `json:"start"`
	End            Opt[string]                    `json:"end"`
	Renewal        Opt[contract.Renewal]          `json:"renewal"`
	State          Opt[contract.State]            `json:"state"`
	Calendar       Opt[string]                    `json:"calendar"`
	Targets        Opt[map[string]contractTarget] `json:"targets"`
	Availability   Opt[float64]                   `json:"availability"`
	Support        Opt[contractSupport]           `json:"support"`
	OnSitePerMonth Opt[int]                       `json:"onsite_per_month"`
	Reporting      Opt[contract.Reporting]        `json:"reporting"`
	Reversibility  Opt[string]                    `json:"reversibility"`
	DataProtection Opt[string]                    `json:"data_protection"`
	RetentionYears Opt[int]                       `json:"retention_years"`
	Perimeter      Opt[contract.Perimeter]        `json:"perimeter"`
}

func (a *API) contractEndpoints() []endpoint {
	writeErr := append([]int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict}, bodyErr...)
	return []endpoint{
		{method: "GET", path: "/clients/{id}/contracts", op: "listContracts", tag: "contracts",
			summary: "A client's contracts by start date (one page), each with its status today and whether it is the one in force.",
			result:  contractOut{}, page: true, status: 200, errors: []int{http.StatusNotFound}, handle: a.listContracts},
		{method: "POST", path: "/clients/{id}/contracts", op: "createContract", tag: "contracts",
			summary: "Add a contract to a client. Two active contracts may not share a day (start: overlaps); recipients, sites and assets must be the client's (not_of_client).",
			body:    contractBody{}, result: contractOut{}, status: 201, errors: writeErr, handle: a.createContract},
		{method: "GET", path: "/contracts/{id}", op: "getContract", tag: "contracts", summary: "One contract with its perimeter.",
			result: contractOut{}, status: 200, errors: []int{http.StatusNotFound}, handle: a.getContract},
		{method: "PATCH", path: "/contracts/{id}", op: "updateContract", tag: "contracts", summary: "Change a contract (JSON merge patch; renewal, support, reporting, targets and perimeter are replaced whole).",
			body: contractPatch{}, result: contractOut{}, status: 200, errors: writeErr, handle: a.updateContract},
		{method: "DELETE", path: "/contracts/{id}", op: "deleteContract", tag: "contracts", summary: "Delete a draft or cancelled contract; an active one is refused (state: still_active): cancel it first.",
			status: 204, errors: []int{http.StatusForbidden, http.StatusNotFound, http.StatusUnprocessableEntity}, handle: a.deleteContract},
		{method: "GET", path: "/assets/{id}/coverage", op: "getAssetCoverage", tag: "contracts",
			summary: "Whether the asset is in the perimeter of its client's contract in force now, and why (reason.code: included, excluded, kind_included, kind_not_included, site_not_included, no_site, no_contract).",
			result:  contract.Coverage{}, status: 200, errors: []int{http.StatusNotFound}, handle: a.getCoverage},
	}
}

const dateLayout = "2006-01-02"

func fmtDate(t time.Time) string { return t.UTC().Format(dateLayout) }

func fmtDatePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := fmtDate(*t)
	return &s
}

// readDate parses a YYYY-MM-DD date of field into v's errors.
func readDate(v *fault.Invalid, field, s string) time.Time {
	d, err := time.Parse(dateLayout, s)
	if err != nil {
		if s == "" {
			v.Add(field, contract.CodeRequired)
		} else {
			v.Add(field, contract.CodeInvalidDate)
		}
	}
	return d
}

func readDatePtr(v *fault.Invalid, field string, s *string) *time.Time {
	if s == nil || *s == "" {
		return nil
	}
	d := readDate(v, field, *s)
	return &d
}

// bodyOf is a contract in the API's form.
func bodyOf(c contract.Contract) contractBody {
	b := contractBody{Reference: c.Reference, Title: c.Title, Start: fmtDate(c.Start), End: fmtDatePtr(c.End), Renewal: c.Renewal, State: c.State,
		Calendar: c.Calendar, Targets: map[string]contractTarget{}, Availability: c.Availability,
		Support:        contractSupport{Mode: c.Support.Mode, Minutes: c.Support.Minutes, PackStart: fmtDatePtr(c.Support.PackStart)},
		OnSitePerMonth: c.OnSitePerMonth, Reporting: c.Reporting, Reversibility: c.Reversibility, DataProtection: c.DataProtection,
		RetentionYears: c.RetentionYears, Perimeter: c.Perimeter}
	for p, t := range c.Targets {
		b.Targets[string(p)] = contractTarget{TTOMinutes: int(t.TTO / time.Minute), TTRMinutes: int(t.TTR / time.Minute)}
	}
	if b.Perimeter.Kinds == nil {
		b.Perimeter.Kinds = []asset.Kind{}
	}
	for _, l := range []*[]int64{&b.Perimeter.Sites, &b.Perimeter.Include, &b.Perimeter.Exclude, &b.Reporting.Recipients} {
		if *l == nil {
			*l = []int64{}
		}
	}
	return b
}

// apply writes the body into c; a date that does not parse is an error of
// its field, with those Normalize finds left for the service.
func (b contractBody) apply(c *contract.Contract) error {
	var v fault.Invalid
	c.Reference, c.Title, c.Renewal, c.State, c.Calendar = b.Reference, b.Title, b.Renewal, b.State, b.Calendar
	c.Start = readDate(&v, "start", b.Start)
	c.End = readDatePtr(&v, "end", b.End)
	c.Targets = map[sla.Priority]sla.Target{}
	for p, t := range b.Targets {
		c.Targets[sla.Priority(p)] = sla.Target{TTO: time.Duration(t.TTOMinutes) * time.Minute, TTR: time.Duration(t.TTRMinutes) * time.Minute}
	}
	c.Availability = b.Availability
	c.Support = contract.Support{Mode: b.Support.Mode, Minutes: b.Support.Minutes, PackStart: readDatePtr(&v, "support.pack_start", b.Support.PackStart)}
	c.OnSitePerMonth, c.Reporting = b.OnSitePerMonth, b.Reporting
	c.Reversibility, c.DataProtection, c.RetentionYears, c.Perimeter = b.Reversibility, b.DataProtection, b.RetentionYears, b.Perimeter
	return v.Err()
}

// today is what a client's contracts are read against: the date in the
// client's time zone and the id of its contract in force (0: none).
type today struct {
	day     time.Time
	inForce int64
}

// out is a contract in a response.
func (t today) out(c contract.Contract) contractOut {
	return contractOut{ID: c.ID, ClientID: c.ClientID, contractBody: bodyOf(c), Status: c.StatusOn(t.day), InForce: t.inForce != 0 && c.ID == t.inForce,
		Created: c.Created, Updated: c.Updated}
}

// today reads the client's date and contract in force now.
func (a *API) today(c *call, clientID int64) (today, error) {
	cl, err := a.d.Clients.Get(c.r.Context(), c.scope, clientID)
	if err != nil {
		return today{}, err
	}
	now := a.d.Now()
	t := today{day: contract.Day(now, contract.Location(cl))}
	cur, found, err := a.d.Contracts.InForce(c.r.Context(), c.scope, clientID, now)
	if err != nil || !found {
		return t, err
	}
	t.inForce = cur.ID
	return t, nil
}

func (a *API) listContracts(c *call) (any, error) {
	cl, err := a.client(c)
	if err != nil {
		return nil, err
	}
	rows, err := a.d.Contracts.List(c.r.Context(), c.scope, cl.ID)
	if err != nil {
		return nil, err
	}
	t, err := a.today(c, cl.ID)
	if err != nil {
		return nil, err
	}
	out := make([]contractOut, len(rows))
	for i, r := range rows {
		out[i] = t.out(r)
	}
	// A client has few contracts: one page.
	return page[contractOut]{Data: out}, nil
}

func (a *API) createContract(c *call) (any, error) {
	cl, err := a.client(c)
	if err != nil {
		return nil, err
	}
	var in contractBody
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	x := contract.Contract{ClientID: cl.ID}
	if err := in.apply(&x); err != nil {
		return nil, err
	}
	if err := a.d.Contracts.Create(c.r.Context(), c.scope, &x); err != nil {
		return nil, err
	}
	t, err := a.today(c, x.ClientID)
	if err != nil {
		return nil, err
	}
	c.location("/contracts", x.ID)
	return t.out(x), nil
}

func (a *API) contract(c *call) (contract.Contract, error) {
	id, err := c.id("id")
	if err != nil {
		return contract.Contract{}, err
	}
	return a.d.Contracts.Get(c.r.Context(), c.scope, id)
}

func (a *API) getContract(c *call) (any, error) {
	x, err := a.contract(c)
	if err != nil {
		return nil, err
	}
	t, err := a.today(c, x.ClientID)
	if err != nil {
		return nil, err
	}
	return t.out(x), nil
}

func (a *API) updateContract(c *call) (any, error) {
	x, err := a.contract(c)
	if err != nil {
		return nil, err
	}
	var p contractPatch
	if err := c.decode(&p); err != nil {
		return nil, err
	}
	b := bodyOf(x)
	p.Reference.apply(&b.Reference)
	p.Title.apply(&b.Title)
	p.Start.apply(&b.Start)
	p.End.applyPtr(&b.End)
	p.Renewal.apply(&b.Renewal)
	p.State.apply(&b.State)
	p.Calendar.apply(&b.Calendar)
	p.Targets.apply(&b.Targets)
	p.Availability.apply(&b.Availability)
	p.Support.apply(&b.Support)
	p.OnSitePerMonth.apply(&b.OnSitePerMonth)
	p.Reporting.apply(&b.Reporting)
	p.Reversibility.apply(&b.Reversibility)
	p.DataProtection.apply(&b.DataProtection)
	p.RetentionYears.apply(&b.RetentionYears)
	p.Perimeter.apply(&b.Perimeter)
	if err := b.apply(&x); err != nil {
		return nil, err
	}
	if err := a.d.Contracts.Update(c.r.Context(), c.scope, &x); err != nil {
		return nil, err
	}
	t, err := a.today(c, x.ClientID)
	if err != nil {
		return nil, err
	}
	return t.out(x), nil
}

func (a *API) deleteContract(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	return nil, a.d.Contracts.Delete(c.r.Context(), c.scope, id)
}

func (a *API) getCoverage(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	return a.d.Contracts.Coverage(c.r.Context(), c.scope, id, a.d.Now())
}
