package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/chart"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/router"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// The fleet pages. GET /fleet lists every asset the caller sees (staff
// across clients, a client administrator their company's); GET
// /clients/{id}/fleet is one client's fleet with its actions (new asset,
// import, export, enrollment, agent settings). Every page of one asset
// loads it through the service with the caller's scope first, so an asset
// of a client the caller may not see answers 404 whatever the route.

// registerFleet adds the fleet pages.
func (h *Handler) registerFleet(rt *router.Router) {
	rt.HandleFunc("GET /fleet", h.fleetList)
	rt.HandleFunc("GET /fleet/export", h.fleetExport)
	rt.HandleFunc("GET /clients/{id}/fleet", h.clientFleet)
	rt.HandleFunc("GET /clients/{id}/assets/new", h.assetNew)
	rt.HandleFunc("POST /clients/{id}/assets/new", h.assetCreate)
	rt.HandleFunc("GET /assets/{id}", h.assetShow)
	rt.HandleFunc("GET /assets/{id}/edit", h.assetEdit)
	rt.HandleFunc("POST /assets/{id}/edit", h.assetUpdate)
	rt.HandleFunc("POST /assets/{id}/delete", h.assetDelete)
	rt.HandleFunc("POST /agents/{id}/revoke", h.agentRevoke)
	rt.HandleFunc("GET /clients/{id}/fleet/import", h.fleetImportForm)
	rt.HandleFunc("POST /clients/{id}/fleet/import", h.fleetImport)
	rt.HandleFunc("GET /clients/{id}/fleet/enroll", h.enrollPage)
	rt.HandleFunc("POST /clients/{id}/fleet/enroll", h.enrollCreate)
	rt.HandleFunc("POST /enroll-tokens/{id}/revoke", h.enrollRevoke)
	rt.HandleFunc("GET /clients/{id}/fleet/settings", h.fleetSettingsForm)
	rt.HandleFunc("POST /clients/{id}/fleet/settings", h.fleetSettingsSave)
}

// FleetOn reports whether the fleet pages are served.
func (v *view) FleetOn() bool { return v.h.d.Assets != nil }

type fleetRow struct {
	Asset  asset.Asset
	Client string
	Site   string
}

type fleetListPage struct {
	// Client is set on a client's own fleet page.
	Client   *client.Client
	Rows     []fleetRow
	Total    int
	Next     string
	Filtered bool
	// ShowClient adds the client column (a list across clients).
	ShowClient bool
	Clients    []option
	Kinds      []option
	OSes       []option
	Sites      []option
	Statuses   []option
	Export     string
	CanWrite   bool
	CanAdmin   bool
	Tab        string
}

func (h *Handler) fleetList(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	s := p.Scope()
	if !s.Can(tenant.AssetRead) {
		h.forbidden(w, r)
		return
	}
	// A client user's fleet is their company's: the client's own page,
	// with its site filter.
	if p.User.ClientID != nil {
		c, err := h.d.Clients.Get(r.Context(), s, *p.User.ClientID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.renderFleet(w, r, s, &c)
		return
	}
	h.renderFleet(w, r, s, nil)
}

func (h *Handler) clientFleet(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	if !s.CanOn(tenant.AssetRead, c.ID) {
		h.forbidden(w, r)
		return
	}
	h.renderFleet(w, r, s, &c)
}

// fleetFilter reads the list's filters from the query; values holds them
// as the form shows them again.
func fleetFilter(q url.Values, c *client.Client) (asset.Filter, url.Values) {
	f := asset.Filter{Query: strings.TrimSpace(q.Get("q"))}
	values := url.Values{"q": {f.Query}}
	if c != nil {
		f.ClientID = c.ID
	} else if id := formID(q, "client"); id != nil {
		f.ClientID = *id
		values.Set("client", itoa(*id))
	}
	if k := asset.Kind(q.Get("kind")); k.Valid() {
		f.Kind = k
		values.Set("kind", string(k))
	}
	if os := q.Get("os"); slices.Contains(fleetOSes, os) {
		f.OS = os
		values.Set("os", os)
	}
	if f.ClientID != 0 {
		if id := formID(q, "site"); id != nil {
			f.SiteID = *id
			values.Set("site", itoa(*id))
		}
	}
	switch st := asset.Status(q.Get("status")); st {
	case asset.StatusOnline, asset.StatusOffline, asset.StatusRevoked:
		f.Status = st
		values.Set("status", string(st))
	}
	if formBool(q, "outdated") {
		f.Outdated = true
		values.Set("outdated", "1")
	}
	if formBool(q, "lowdisk") {
		f.LowDisk = true
		values.Set("lowdisk", "1")
	}
	return f, values
}

// fleetOSes are the operating-system families an agent reports.
var fleetOSes = []string{"linux", "windows", "darwin"}

func (h *Handler) renderFleet(w http.ResponseWriter, r *http.Request, s tenant.Scope, c *client.Client) {
	ctx := r.Context()
	v := h.view(w, r, "fleet")
	q := r.URL.Query()
	f, values := fleetFilter(q, c)
	d := fleetListPage{Client: c, ShowClient: c == nil && s.Staff(), Tab: "list"}
	d.Filtered = len(values) > 1 || f.Query != "" || q.Get("after") != ""
	if c != nil {
		d.CanWrite, d.CanAdmin = s.CanOn(tenant.AssetWrite, c.ID), s.CanOn(tenant.AgentAdmin, c.ID)
	}
	total, err := h.d.Assets.Count(ctx, s, f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Total = total
	f.After, f.Limit = cursor(r, "after"), pageSize+1
	as, err := h.d.Assets.List(ctx, s, f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(as) > pageSize {
		as = as[:pageSize]
		d.Next = nextPage(r, "after", as[len(as)-1].ID)
	}
	clientNames := map[int64]string{}
	if d.ShowClient {
		cs, err := h.allClients(ctx, s)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Clients = []option{{Value: "", Label: v.T("fleet.all_clients")}}
		for _, c := range cs {
			d.Clients = append(d.Clients, option{Value: itoa(c.ID), Label: c.Name})
			clientNames[c.ID] = c.Name
		}
	}
	// Site names of the clients on this page (and the site filter's
	// choices once one client is chosen).
	siteNames := map[int64]string{}
	clientIDs := []int64{}
	if f.ClientID != 0 {
		clientIDs = append(clientIDs, f.ClientID)
	}
	for _, a := range as {
		if !slices.Contains(clientIDs, a.ClientID) {
			clientIDs = append(clientIDs, a.ClientID)
		}
	}
	for _, id := range clientIDs {
		sites, err := h.d.Clients.Sites(ctx, s, id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, st := range sites {
			siteNames[st.ID] = st.Name
			if id == f.ClientID {
				d.Sites = append(d.Sites, option{Value: itoa(st.ID), Label: st.Name})
			}
		}
	}
	if len(d.Sites) > 0 {
		d.Sites = append([]option{{Value: "", Label: v.T("fleet.all_sites")}}, d.Sites...)
	}
	for _, a := range as {
		row := fleetRow{Asset: a, Client: clientNames[a.ClientID]}
		if a.SiteID != nil {
			row.Site = siteNames[*a.SiteID]
		}
		d.Rows = append(d.Rows, row)
	}
	d.Kinds = append([]option{{Value: "", Label: v.T("fleet.all_kinds")}}, v.kindOptions()...)
	d.OSes = []option{{Value: "", Label: v.T("fleet.all_os")}}
	for _, os := range fleetOSes {
		d.OSes = append(d.OSes, option{Value: os, Label: v.OSLabel(os)})
	}
	d.Statuses = []option{{Value: "", Label: v.T("fleet.any_status")}}
	for _, st := range []asset.Status{asset.StatusOnline, asset.StatusOffline, asset.StatusRevoked} {
		d.Statuses = append(d.Statuses, option{Value: string(st), Label: v.T("fleet.status." + string(st))})
	}
	exp := url.Values{}
	for k, vals := range values {
		if vals[0] != "" {
			exp[k] = vals
		}
	}
	if c != nil {
		exp.Set("client", itoa(c.ID))
	}
	d.Export = "/fleet/export"
	if len(exp) > 0 {
		d.Export += "?" + exp.Encode()
	}
	v.Form.setValues(values)
	h.render(w, v, http.StatusOK, "fleet", d)
}

// fleetExport downloads the assets of the list's filters as CSV, in the
// columns the import reads.
func (h *Handler) fleetExport(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	s := p.Scope()
	if !s.Can(tenant.AssetRead) {
		h.forbidden(w, r)
		return
	}
	f, _ := fleetFilter(r.URL.Query(), nil)
	// Written to a buffer first, so that a failure is a clean error page.
	var buf strings.Builder
	if err := h.d.Assets.ExportCSV(r.Context(), s, f, &buf); err != nil {
		h.fail(w, r, err)
		return
	}
	name := "fleet"
	if f.ClientID != 0 {
		if c, err := h.d.Clients.Get(r.Context(), s, f.ClientID); err == nil {
			name += "-" + strings.ToLower(c.Code)
		}
	}
	name += "-" + h.now().Format("2006-01-02") + ".csv"
	hd := w.Header()
	hd.Set("Content-Type", "text/csv; charset=utf-8")
	hd.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	hd.Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(buf.String()))
}

// kindOptions lists the kinds of asset in display order.
func (v *view) kindOptions() []option {
	out := make([]option, 0, len(asset.Kinds))
	for _, k := range asset.Kinds {
		out = append(out, option{Value: string(k), Label: v.KindLabel(k)})
	}
	return out
}

// KindLabel is the translated name of a kind of asset.
func (v *view) KindLabel(k asset.Kind) string { return v.T("asset.kind." + string(k)) }

// CriticalityLabel is the translated name of a criticality.
func (v *view) CriticalityLabel(c asset.Criticality) string {
	return v.T("asset.criticality." + string(c))
}

// OSLabel names an operating-system family.
func (v *view) OSLabel(os string) string {
	switch os {
	case "linux", "windows", "darwin":
		return v.T("fleet.os." + os)
	case "":
		return "—"
	}
	return os
}

// agentBadge is the status of an asset's agent as a badge.
type agentBadge struct{ Class, Label string }

// AgentStatus is the badge of an asset's agent: online, offline, revoked
// or no agent.
func (v *view) AgentStatus(a asset.Asset) agentBadge {
	if a.Agent == nil {
		return agentBadge{"badge-archived", v.T("fleet.status.none")}
	}
	switch a.Agent.Status {
	case asset.StatusOnline:
		return agentBadge{"badge-active", v.T("fleet.status.online")}
	case asset.StatusRevoked:
		return agentBadge{"badge-danger", v.T("fleet.status.revoked")}
	}
	return agentBadge{"badge-warn", v.T("fleet.status.offline")}
}

// Outdated reports whether an agent runs another version than the one
// this server ships.
func (v *view) Outdated(ag *asset.Agent) bool {
	cur := v.h.d.Assets.AgentVersion()
	return ag != nil && cur != "" && ag.Version != "" && ag.Version != cur
}

// AgentVersion is the agent version this server ships.
func (v *view) AgentVersion() string { return v.h.d.Assets.AgentVersion() }

// Ago says how long ago a moment was: "5 min ago", "just now", "never".
func (v *view) Ago(t *time.Time) string {
	if t == nil || t.IsZero() {
		return v.T("common.never")
	}
	d := v.h.now().Sub(*t)
	if d < time.Minute {
		return v.T("fleet.just_now")
	}
	return v.T("fleet.ago", v.Span(d))
}

// chartLocale is the chart package's locale for the page's language.
func (v *view) chartLocale() chart.Locale {
	if v.Lang == "fr" {
		return chart.French
	}
	return chart.English
}

// UsageBar draws a usage share as a small gauge, amber from 80 %, red
// from 90 %.
func (v *view) UsageBar(percent float64, label string) template.HTML {
	return chart.Bar(percent, 80, asset.LowDiskPercent, label+" "+v.Percent(percent))
}

// Percent writes a share: 42 %.
func (v *view) Percent(p float64) string { return chart.Format(p, chart.Percent, v.chartLocale()) }

// Bytes writes a size: 1.5 GiB.
func (v *view) Bytes(n uint64) string { return chart.Format(float64(n), chart.Bytes, v.chartLocale()) }

// Day writes a date without time (warranty end, token expiry).
func (v *view) Day(t *time.Time) string {
	if t == nil {
		return "—"
	}
	if v.Lang == "fr" {
		return t.Format("02/01/2006")
	}
	return t.Format("2006-01-02")
}

// loadAsset loads the asset named in the path through the caller's scope.
func (h *Handler) loadAsset(w http.ResponseWriter, r *http.Request) (asset.Asset, tenant.Scope, bool) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return asset.Asset{}, tenant.Scope{}, false
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return asset.Asset{}, tenant.Scope{}, false
	}
	a, err := h.d.Assets.Get(r.Context(), p.Scope(), id)
	if err != nil {
		h.fail(w, r, err)
		return asset.Asset{}, tenant.Scope{}, false
	}
	return a, p.Scope(), true
}

// clientAssets lists a client's assets (for the parent picker), at most 500.
func (h *Handler) clientAssets(ctx context.Context, s tenant.Scope, clientID int64) ([]asset.Asset, error) {
	return h.d.Assets.List(ctx, s, asset.Filter{ClientID: clientID, Limit: 500})
}

func assetPath(id int64) string { return "/assets/" + strconv.FormatInt(id, 10) }

func fleetPath(clientID int64) string { return fmt.Sprintf("/clients/%d/fleet", clientID) }
