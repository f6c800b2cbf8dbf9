package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/router"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// registerContracts adds the pages of clients' contracts. Reading takes
// client.read (a client's users read their own contracts), changing takes
// client.write: the contract service decides.
func (h *Handler) registerContracts(rt *router.Router) {
	rt.HandleFunc("GET /clients/{id}/contracts", h.contractList)
	rt.HandleFunc("GET /clients/{id}/contracts/new", h.contractNew)
	rt.HandleFunc("POST /clients/{id}/contracts/new", h.contractCreate)
	rt.HandleFunc("GET /contracts/{id}", h.contractShow)
	rt.HandleFunc("GET /contracts/{id}/edit", h.contractEdit)
	rt.HandleFunc("POST /contracts/{id}/edit", h.contractUpdate)
	rt.HandleFunc("POST /contracts/{id}/delete", h.contractDelete)
	if h.d.ContractDocs != nil {
		h.registerContractDocuments(rt)
	}
}

// ContractsOn reports whether the contract pages are served.
func (v *view) ContractsOn() bool { return v.h.d.Contracts != nil }

// contractRow is one contract of a client's list.
type contractRow struct {
	Contract contract.Contract
	Status   contract.Status
	InForce  bool
}

type contractListPage struct {
	Client   client.Client
	Rows     []contractRow
	CanWrite bool
}

// clientDay is today's date in the client's time zone, the date contract
// statuses are read on.
func (h *Handler) clientDay(c client.Client) time.Time {
	return contract.Day(h.now(), contract.Location(c))
}

func (h *Handler) contractList(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	cs, err := h.d.Contracts.List(ctx, s, c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cur, found, err := h.d.Contracts.InForce(ctx, s, c.ID, h.now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	day := h.clientDay(c)
	d := contractListPage{Client: c, CanWrite: s.CanOn(tenant.ClientWrite, c.ID)}
	// Newest first: the one in force and the drafts replacing it on top.
	for _, x := range slices.Backward(cs) {
		d.Rows = append(d.Rows, contractRow{Contract: x, Status: x.StatusOn(day), InForce: found && x.ID == cur.ID})
	}
	h.render(w, h.view(w, r, "clients"), http.StatusOK, "contracts", d)
}

// StatusClass is the badge class of a contract status.
func (v *view) StatusClass(st contract.Status) string {
	switch st {
	case contract.StatusActive:
		return "badge-active"
	case contract.StatusDraft:
		return "badge-warn"
	}
	return "badge-archived"
}

// contractFormPage is the contract form: the service hours and targets
// inputs of the service level form, and the client's choices.
type contractFormPage struct {
	Client      client.Client
	Contract    contract.Contract // zero for a new one
	Days        []dayRow
	Targets     []targetRow
	TimeZones   []string
	HolidaySets []option
	States, Renewals, Supports,
	Reports, Recipients, Kinds, Sites, Assets []option
}

func (h *Handler) contractFormData(ctx context.Context, v *view, s tenant.Scope, c client.Client, x contract.Contract, ranges map[string]int) (contractFormPage, error) {
	sl := h.serviceLevelPage(v, c, true, ranges, 0)
	d := contractFormPage{Client: c, Contract: x, Days: sl.Days, Targets: sl.Targets, TimeZones: sl.TimeZones, HolidaySets: sl.HolidaySets}
	for _, st := range contract.States {
		d.States = append(d.States, option{Value: string(st), Label: v.T("contract.state." + string(st))})
	}
	for _, k := range contract.RenewalKinds {
		d.Renewals = append(d.Renewals, option{Value: string(k), Label: v.T("contract.renewal." + string(k))})
	}
	for _, m := range contract.SupportModes {
		d.Supports = append(d.Supports, option{Value: string(m), Label: v.T("contract.support." + string(m))})
	}
	for _, rp := range []string{"daily", "monthly", "quarterly", "annual"} {
		d.Reports = append(d.Reports, option{Value: rp, Label: v.T("contract.report." + rp)})
	}
	for _, k := range asset.Kinds {
		d.Kinds = append(d.Kinds, option{Value: string(k), Label: v.KindLabel(k)})
	}
	contacts, err := h.d.Clients.Contacts(ctx, s, client.ContactFilter{ClientID: c.ID, Limit: 500})
	if err != nil {
		return d, err
	}
	for _, ct := range contacts {
		label := ct.FullName()
		if ct.Email != "" {
			label += " <" + ct.Email + ">"
		}
		d.Recipients = append(d.Recipients, option{Value: itoa(ct.ID), Label: label})
	}
	sites, err := h.d.Clients.Sites(ctx, s, c.ID)
	if err != nil {
		return d, err
	}
	for _, st := range sites {
		d.Sites = append(d.Sites, option{Value: itoa(st.ID), Label: st.Name})
	}
	if h.d.Assets != nil && s.CanOn(tenant.AssetRead, c.ID) {
		as, err := h.d.Assets.List(ctx, s, asset.Filter{ClientID: c.ID, Limit: 500})
		if err != nil {
			return d, err
		}
		seen := map[int64]bool{}
		for _, a := range as {
			seen[a.ID] = true
			d.Assets = append(d.Assets, option{Value: itoa(a.ID), Label: a.Name + " (" + v.KindLabel(a.Kind) + ")"})
		}
		// Listed assets beyond the first 500 stay checked.
		for _, id := range append(slices.Clone(x.Perimeter.Include), x.Perimeter.Exclude...) {
			if !seen[id] {
				seen[id] = true
				d.Assets = append(d.Assets, option{Value: itoa(id), Label: "#" + itoa(id)})
			}
		}
	}
	return d, nil
}

// contractValues fills the form from a contract.
func contractValues(x contract.Contract) (url.Values, map[string]int) {
	cal, err := sla.Parse(x.Calendar)
	if err != nil {
		cal, _ = sla.Parse(ticket.DefaultCalendar)
	}
	targets := map[ticket.Priority]sla.Target{}
	for p := ticket.P1; p <= ticket.P4; p++ {
		if t, ok := x.Targets[sla.Priority(p.String())]; ok {
			targets[p] = t
		}
	}
	vals, counts := slaFormValues(targets, cal)
	vals.Set("reference", x.Reference)
	vals.Set("title", x.Title)
	vals.Set("state", string(x.State))
	if !x.Start.IsZero() {
		vals.Set("start", x.Start.Format(time.DateOnly))
	}
	if x.End != nil {
		vals.Set("end", x.End.Format(time.DateOnly))
	}
	vals.Set("renewal.kind", string(x.Renewal.Kind))
	vals.Set("renewal.notice_months", strconv.Itoa(x.Renewal.NoticeMonths))
	vals.Set("renewal.term_months", strconv.Itoa(x.Renewal.TermMonths))
	if x.Availability > 0 {
		vals.Set("availability", strconv.FormatFloat(x.Availability, 'f', -1, 64))
	}
	vals.Set("support.mode", string(x.Support.Mode))
	if x.Support.Minutes > 0 {
		vals.Set("support.hours", strconv.FormatFloat(float64(x.Support.Minutes)/60, 'f', -1, 64))
	}
	if x.Support.PackStart != nil {
		vals.Set("support.pack_start", x.Support.PackStart.Format(time.DateOnly))
	}
	vals.Set("onsite_per_month", strconv.Itoa(x.OnSitePerMonth))
	for name, on := range map[string]bool{"daily": x.Reporting.Daily, "monthly": x.Reporting.Monthly, "quarterly": x.Reporting.Quarterly, "annual": x.Reporting.Annual} {
		if on {
			vals.Add("reporting", name)
		}
	}
	ids := func(name string, list []int64) {
		for _, id := range list {
			vals.Add(name, itoa(id))
		}
	}
	ids("reporting.recipients", x.Reporting.Recipients)
	ids("perimeter.sites", x.Perimeter.Sites)
	ids("perimeter.include", x.Perimeter.Include)
	ids("perimeter.exclude", x.Perimeter.Exclude)
	for _, k := range x.Perimeter.Kinds {
		vals.Add("perimeter.kinds", string(k))
	}
	vals.Set("reversibility", x.Reversibility)
	vals.Set("data_protection", x.DataProtection)
	if x.RetentionYears > 0 {
		vals.Set("retention_years", strconv.Itoa(x.RetentionYears))
	}
	return vals, counts
}

// formDate reads an optional <input type="date">.
func formDate(vals url.Values, name string, inv *fault.Invalid) *time.Time {
	s := strings.TrimSpace(vals.Get(name))
	if s == "" {
		return nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		inv.Add(name, contract.CodeInvalidDate)
		return nil
	}
	return &d
}

// contractFromForm reads the form into x (whose id and client are kept);
// what cannot even be read is in the error, with the counts of ranges.
func contractFromForm(vals url.Values, x *contract.Contract) (map[string]int, error) {
	var inv fault.Invalid
	x.Reference, x.Title = vals.Get("reference"), vals.Get("title")
	x.State = contract.State(vals.Get("state"))
	x.Start = time.Time{}
	if d := formDate(vals, "start", &inv); d != nil {
		x.Start = *d
	} else if strings.TrimSpace(vals.Get("start")) == "" {
		inv.Add("start", contract.CodeRequired)
	}
	x.End = formDate(vals, "end", &inv)
	x.Renewal = contract.Renewal{Kind: contract.RenewalKind(vals.Get("renewal.kind")),
		NoticeMonths: formInt(vals, "renewal.notice_months", &inv), TermMonths: formInt(vals, "renewal.term_months", &inv)}
	cal, counts := calendarFromForm(vals, &inv)
	if cal != nil {
		x.Calendar = cal.String()
	}
	x.Targets = map[sla.Priority]sla.Target{}
	for p, t := range targetsFromForm(vals, &inv) {
		x.Targets[sla.Priority(p.String())] = t
	}
	x.Availability = 0
	if s := strings.TrimSpace(strings.ReplaceAll(vals.Get("availability"), ",", ".")); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			inv.Add("availability", "invalid_number")
		}
		x.Availability = f
	}
	x.Support = contract.Support{Mode: contract.SupportMode(vals.Get("support.mode")), PackStart: formDate(vals, "support.pack_start", &inv)}
	if s := strings.TrimSpace(strings.ReplaceAll(vals.Get("support.hours"), ",", ".")); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 || f > float64(contract.MaxSupportMinutes/60) {
			inv.Add("support.hours", contract.CodeOutOfRange, fmt.Sprintf("0–%d", contract.MaxSupportMinutes/60))
		} else {
			x.Support.Minutes = int(f*60 + 0.5)
		}
	}
	x.OnSitePerMonth = formInt(vals, "onsite_per_month", &inv)
	x.Reporting = contract.Reporting{Daily: slices.Contains(vals["reporting"], "daily"), Monthly: slices.Contains(vals["reporting"], "monthly"),
		Quarterly: slices.Contains(vals["reporting"], "quarterly"), Annual: slices.Contains(vals["reporting"], "annual"),
		Recipients: formIDs(vals, "reporting.recipients")}
	x.Reversibility, x.DataProtection = vals.Get("reversibility"), vals.Get("data_protection")
	x.RetentionYears = formInt(vals, "retention_years", &inv)
	x.Perimeter = contract.Perimeter{Sites: formIDs(vals, "perimeter.sites"), Include: formIDs(vals, "perimeter.include"), Exclude: formIDs(vals, "perimeter.exclude")}
	for _, k := range vals["perimeter.kinds"] {
		x.Perimeter.Kinds = append(x.Perimeter.Kinds, asset.Kind(k))
	}
	return counts, inv.Err()
}

// contractFormError moves the service's field errors onto the form's
// inputs: support minutes are entered in hours, the calendar as its parts.
func contractFormError(err error) error {
	inv, ok := fault.AsInvalid(err)
	if !ok {
		return err
	}
	out := &fault.Invalid{}
	for _, f := range inv.Fields {
		switch f.Field {
		case "support.minutes":
			f.Field = "support.hours"
			if f.Code == contract.CodeOutOfRange {
				f.Param = fmt.Sprintf("0–%d", contract.MaxSupportMinutes/60)
			}
		case "calendar":
			f.Field = "time_zone"
		}
		out.Fields = append(out.Fields, f)
	}
	return out
}

func (h *Handler) contractNew(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	if !s.CanOn(tenant.ClientWrite, c.ID) {
		h.forbidden(w, r)
		return
	}
	v := h.view(w, r, "clients")
	x := contract.Contract{ClientID: c.ID, State: contract.StateDraft, Start: h.clientDay(c), Calendar: ticket.DefaultCalendar,
		Availability: 99.5, RetentionYears: contract.DefaultRetentionYears, Renewal: contract.Renewal{Kind: contract.RenewalNone}, Support: contract.Support{Mode: contract.SupportNone}}
	vals, counts := contractValues(x)
	v.Form.setValues(vals)
	d, err := h.contractFormData(r.Context(), v, s, c, contract.Contract{ClientID: c.ID}, counts)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, v, http.StatusOK, "contract_form", d)
}

func (h *Handler) contractCreate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	x := contract.Contract{ClientID: c.ID}
	counts, err := contractFromForm(r.PostForm, &x)
	if err == nil {
		err = h.d.Contracts.Create(r.Context(), s, &x)
	}
	if err != nil {
		h.contractFormFailed(w, r, s, c, contract.Contract{ClientID: c.ID}, counts, err)
		return
	}
	h.redirect(w, r, contractPath(x.ID), "flash.contract.created", x.Reference)
}

func (h *Handler) contractFormFailed(w http.ResponseWriter, r *http.Request, s tenant.Scope, c client.Client, x contract.Contract, counts map[string]int, err error) {
	if errors.Is(err, fault.ErrNotFound) || errors.Is(err, fault.ErrForbidden) {
		h.fail(w, r, err)
		return
	}
	v := h.view(w, r, "clients")
	v.Form.setValues(r.PostForm)
	d, derr := h.contractFormData(r.Context(), v, s, c, x, counts)
	if derr != nil {
		h.fail(w, r, derr)
		return
	}
	h.formFailed(w, v, "contract_form", d, contractFormError(err))
}

func contractPath(id int64) string { return "/contracts/" + itoa(id) }

// contractLoad reads the contract of the path and its client.
func (h *Handler) contractLoad(w http.ResponseWriter, r *http.Request) (contract.Contract, client.Client, tenant.Scope, bool) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return contract.Contract{}, client.Client{}, tenant.Scope{}, false
	}
	s := p.Scope()
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return contract.Contract{}, client.Client{}, s, false
	}
	x, err := h.d.Contracts.Get(r.Context(), s, id)
	if err != nil {
		h.fail(w, r, err)
		return x, client.Client{}, s, false
	}
	c, err := h.d.Clients.Get(r.Context(), s, x.ClientID)
	if err != nil {
		h.fail(w, r, err)
		return x, c, s, false
	}
	return x, c, s, true
}

// contractPage is the page of one contract.
type contractPage struct {
	Client   client.Client
	Contract contract.Contract
	Status   contract.Status
	InForce  bool
	CanWrite bool
	// TermEnd and NoticeBy are the current term's end and the last day
	// to give notice (nil when the contract has no end).
	TermEnd, NoticeBy *time.Time
	Weekly            string
	Targets           []contractTargetRow
	Recipients        []string
	Kinds, Sites      []string
	Include, Exclude  []labelledLink
	// Usage is the consumption of support time and on-site
	// interventions, the warnings sent and the documents.
	Usage contractUsageSection
}

// contractTargetRow is the promise for one priority.
type contractTargetRow struct {
	Priority string
	TTO, TTR string
}

// labelledLink is an asset named in a perimeter.
type labelledLink struct {
	ID   int64
	Name string
}

func (h *Handler) contractShow(w http.ResponseWriter, r *http.Request) {
	x, c, s, ok := h.contractLoad(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	v := h.view(w, r, "clients")
	day := h.clientDay(c)
	d := contractPage{Client: c, Contract: x, Status: x.StatusOn(day), CanWrite: s.CanOn(tenant.ClientWrite, c.ID)}
	cur, found, err := h.d.Contracts.InForce(ctx, s, c.ID, h.now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.InForce = found && cur.ID == x.ID
	if end, ok := x.TermEnd(day); ok {
		d.TermEnd = &end
		if x.Renewal.Kind != contract.RenewalNone {
			nb, _ := x.NoticeBy(day)
			d.NoticeBy = &nb
		}
	}
	if cal, err := sla.Parse(x.Calendar); err == nil {
		d.Weekly = v.Hours(cal.WeeklyHours())
	}
	dur := func(t time.Duration) string {
		if t <= 0 {
			return "—"
		}
		return v.Hours(t)
	}
	for _, p := range contract.Priorities {
		t := x.Targets[p]
		d.Targets = append(d.Targets, contractTargetRow{Priority: string(p), TTO: dur(t.TTO), TTR: dur(t.TTR)})
	}
	for _, id := range x.Reporting.Recipients {
		if ct, err := h.d.Clients.Contact(ctx, s, id); err == nil {
			d.Recipients = append(d.Recipients, ct.FullName())
		}
	}
	for _, k := range x.Perimeter.Kinds {
		d.Kinds = append(d.Kinds, v.KindLabel(k))
	}
	for _, id := range x.Perimeter.Sites {
		if st, err := h.d.Clients.Site(ctx, s, id); err == nil {
			d.Sites = append(d.Sites, st.Name)
		}
	}
	name := func(id int64) labelledLink {
		if h.d.Assets != nil {
			if a, err := h.d.Assets.Get(ctx, s, id); err == nil {
				return labelledLink{ID: id, Name: a.Name}
			}
		}
		return labelledLink{ID: id, Name: "#" + itoa(id)}
	}
	for _, id := range x.Perimeter.Include {
		d.Include = append(d.Include, name(id))
	}
	for _, id := range x.Perimeter.Exclude {
		d.Exclude = append(d.Exclude, name(id))
	}
	if d.Usage, err = h.contractUsage(r, v, s, x, c); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, v, http.StatusOK, "contract", d)
}

func (h *Handler) contractEdit(w http.ResponseWriter, r *http.Request) {
	x, c, s, ok := h.contractLoad(w, r)
	if !ok {
		return
	}
	if !s.CanOn(tenant.ClientWrite, c.ID) {
		h.forbidden(w, r)
		return
	}
	v := h.view(w, r, "clients")
	vals, counts := contractValues(x)
	v.Form.setValues(vals)
	d, err := h.contractFormData(r.Context(), v, s, c, x, counts)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, v, http.StatusOK, "contract_form", d)
}

func (h *Handler) contractUpdate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	x, c, s, ok := h.contractLoad(w, r)
	if !ok {
		return
	}
	old := x
	counts, err := contractFromForm(r.PostForm, &x)
	if err == nil {
		err = h.d.Contracts.Update(r.Context(), s, &x)
	}
	if err != nil {
		h.contractFormFailed(w, r, s, c, old, counts, err)
		return
	}
	h.redirect(w, r, contractPath(x.ID), "flash.contract.saved", x.Reference)
}

func (h *Handler) contractDelete(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	x, c, s, ok := h.contractLoad(w, r)
	if !ok {
		return
	}
	if err := h.d.Contracts.Delete(r.Context(), s, x.ID); err != nil {
		if _, invalid := fault.AsInvalid(err); invalid {
			h.redirect(w, r, contractPath(x.ID), "flash.warn.contract.still_active", x.Reference)
			return
		}
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, "/clients/"+itoa(c.ID)+"/contracts", "flash.contract.deleted", x.Reference)
}

// assetCoverage is the contract perimeter badge of an asset page.
type assetCoverage struct {
	contract.Coverage
	Reason string
}

// AssetCoverage says whether an asset is in the perimeter of its client's
// contract in force, and why; nil for a viewer who may not read the client
// or when contracts are off (the asset page then shows nothing).
func (v *view) AssetCoverage(a asset.Asset) *assetCoverage {
	if v.h.d.Contracts == nil || !v.CanOn(string(tenant.ClientRead), a.ClientID) {
		return nil
	}
	cv, err := v.h.d.Contracts.Coverage(v.r.Context(), v.Scope(), a.ID, v.h.now())
	if err != nil {
		v.h.log.Warn("asset coverage", "asset", a.ID, "err", err)
		return nil
	}
	return &assetCoverage{Coverage: cv, Reason: v.CoverageReason(cv.Reason)}
}

// CoverageReason is the translated reason an asset is in or out.
func (v *view) CoverageReason(r contract.Reason) string {
	switch r.Code {
	case contract.ReasonKindIncluded:
		if r.Site != "" {
			return v.T("contract.reason.kind_included_at", v.KindLabel(r.Kind), r.Site)
		}
		return v.T("contract.reason.kind_included", v.KindLabel(r.Kind))
	case contract.ReasonKindNotIncluded:
		return v.T("contract.reason.kind_not_included", v.KindLabel(r.Kind))
	case contract.ReasonSiteNotIncluded:
		return v.T("contract.reason.site_not_included", r.Site)
	}
	return v.T("contract.reason." + string(r.Code))
}

// Period is a contract's dates: "01/01/2026 – 31/12/2026", or "from
// 01/01/2026" when open-ended.
func (v *view) Period(x contract.Contract) string {
	start := x.Start
	if x.End == nil {
		return v.T("contract.period_open", v.Day(&start))
	}
	return v.T("contract.period_range", v.Day(&start), v.Day(x.End))
}

// Minutes is a number of minutes as a duration, for Hours.
func (v *view) Minutes(n int) time.Duration { return time.Duration(n) * time.Minute }
