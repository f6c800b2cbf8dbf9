package api

import (
	"bytes"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/metric"
)

// assetInput is the body of POST /assets.
type assetInput struct {
	ClientID       int64             `json:"client_id" doc:"required"`
	Kind           asset.Kind        `json:"kind" doc:"required;enum=server|workstation|network|printer|application|licence|backup|other"`
	Name           string            `json:"name" doc:"required"`
	SiteID         *int64            `json:"site_id" doc:"A site of the same client"`
	Criticality    asset.Criticality `json:"criticality" doc:"enum=low|normal|high|critical;normal by default"`
	OwnerContactID *int64            `json:"owner_contact_id" doc:"A contact of the same client"`
	WarrantyEnd    string            `json:"warranty_end" doc:"format=date;YYYY-MM-DD"`
	Notes          string            `json:"notes"`
	ParentID       *int64            `json:"parent_id" doc:"An asset of the same client (router, hypervisor…), not a descendant"`
	Fields         map[string]string `json:"fields" doc:"The fields of the kind (see docs/fleet.md): dates YYYY-MM-DD, integers, http(s) URLs, IP addresses"`
}

// assetPatch is the body of PATCH /assets/{id}.
type assetPatch struct {
	Kind           Opt[asset.Kind]        `json:"kind" doc:"enum=server|workstation|network|printer|application|licence|backup|other"`
	Name           Opt[string]            `json:"name"`
	SiteID         Opt[int64]             `json:"site_id" doc:"null removes the site"`
	Criticality    Opt[asset.Criticality] `json:"criticality" doc:"enum=low|normal|high|critical"`
	OwnerContactID Opt[int64]             `json:"owner_contact_id" doc:"null removes the owner"`
	WarrantyEnd    Opt[string]            `json:"warranty_end" doc:"format=date;YYYY-MM-DD; null removes it"`
	Notes          Opt[string]            `json:"notes"`
	ParentID       Opt[int64]             `json:"parent_id" doc:"null removes the parent"`
	Fields         Opt[map[string]string] `json:"fields" doc:"Replaces every field of the kind"`
}

// inventoryResult is the body of GET /assets/{id}/inventory.
type inventoryResult struct {
	AssetID   int64            `json:"asset_id"`
	Inventory *asset.Inventory `json:"inventory" doc:"null until the asset's agent sent one"`
}

// metricSeries is one series of GET /assets/{id}/metrics.
type metricSeries struct {
	Name       string            `json:"name"`
	Labels     map[string]string `json:"labels"`
	Resolution string            `json:"resolution" doc:"enum=raw|5m|1h"`
	Points     []metricPoint     `json:"points"`
}

// metricPoint is a sample (raw: min = avg = max) or a rollup bucket.
type metricPoint struct {
	T   time.Time `json:"t"`
	Min float64   `json:"min"`
	Avg float64   `json:"avg"`
	Max float64   `json:"max"`
}

// metricsResult is the body of GET /assets/{id}/metrics.
type metricsResult struct {
	AssetID int64          `json:"asset_id"`
	From    time.Time      `json:"from"`
	To      time.Time      `json:"to"`
	Series  []metricSeries `json:"series"`
}

// enrollTokenInput is the body of POST /clients/{id}/enroll-tokens.
type enrollTokenInput struct {
	Name      string `json:"name" doc:"required"`
	SiteID    *int64 `json:"site_id" doc:"Agents enrolled with it join this site of the client"`
	ExpiresAt string `json:"expires_at" doc:"format=date-time;RFC 3339, in the future. Absent: never expires"`
	MaxUses   int    `json:"max_uses" doc:"0 to 100000; 0: unlimited"`
}

// enrollTokenCreated is the response of POST /clients/{id}/enroll-tokens.
type enrollTokenCreated struct {
	asset.EnrollToken
	Secret string `json:"secret" doc:"The token, shown once: give it to vigie-agent enroll --token"`
}

// fleetSettingsInput is the body of PUT /clients/{id}/fleet-settings.
type fleetSettingsInput struct {
	MetricInterval    int             `json:"metric_interval" doc:"Seconds between samples, 10 to 3600 (60 by default)"`
	ReportInterval    int             `json:"report_interval" doc:"Seconds between reports, from metric_interval to 86400 (60 by default)"`
	InventoryInterval int             `json:"inventory_interval" doc:"Seconds between inventories, 600 to 604800 (14400 by default)"`
	Collectors        map[string]bool `json:"collectors" doc:"false turns a collector off: software, smart, users, disk_io, net_io"`
	SpoolBytes        int64           `json:"spool_bytes" doc:"Bound of the agent's on-disk spool, 1 MiB to 1 GiB (50 MiB by default)"`
}

var assetFilterParams = []param{
	{name: "client_id", typ: "integer", format: "int64", desc: "Assets of this client only."},
	{name: "kind", typ: "string", enum: kindNames(), desc: "Assets of this kind."},
	{name: "os", typ: "string", desc: "Assets whose agent reports this operating system: linux, windows, darwin."},
	{name: "site_id", typ: "integer", format: "int64", desc: "Assets of this site."},
	{name: "status", typ: "string", enum: []string{"online", "offline", "revoked"}, desc: "Assets whose agent is in this state (offline: no report for three report intervals)."},
	{name: "outdated", typ: "boolean", desc: "true: assets whose agent runs another version than the server's."},
	{name: "low_disk", typ: "boolean", desc: "true: assets whose fullest file system is at least 90 % full or has less than 1 GiB free."},
	{name: "q", typ: "string", desc: "Text to look for in the name, hostname and serial number (case- and accent-insensitive)."},
}

func kindNames() []string {
	out := make([]string, len(asset.Kinds))
	for i, k := range asset.Kinds {
		out[i] = string(k)
	}
	return out
}

// assetEndpoints are the routes of the fleet.
func (a *API) assetEndpoints() []endpoint {
	idErr := []int{http.StatusNotFound}
	writeErr := append([]int{http.StatusNotFound}, bodyErr...)
	return []endpoint{
		{method: "GET", path: "/assets", op: "listAssets", tag: "fleet", summary: "Assets the caller may see, by id, with their agent and latest vitals.",
			query: append(append([]param{}, assetFilterParams...), paging...), result: asset.Asset{}, page: true, status: 200, errors: append([]int{http.StatusForbidden, http.StatusNotFound}, listErr...), handle: a.listAssets},
		{method: "POST", path: "/assets", op: "createAsset", tag: "fleet", summary: "Create an asset (entered by hand: network device, printer, application, licence, backup job…).",
			body: assetInput{}, result: asset.Asset{}, status: 201, errors: append([]int{http.StatusForbidden}, bodyErr...), handle: a.createAsset},
		{method: "GET", path: "/assets/{id}", op: "getAsset", tag: "fleet", summary: "One asset with its agent and latest vitals.", result: asset.Asset{}, status: 200, errors: idErr, handle: a.getAsset},
		{method: "PATCH", path: "/assets/{id}", op: "updateAsset", tag: "fleet", summary: "Change an asset (JSON merge patch). What its agent reports (OS, hostname) is read only.",
			body: assetPatch{}, result: asset.Asset{}, status: 200, errors: append([]int{http.StatusForbidden}, writeErr...), handle: a.updateAsset},
		{method: "DELETE", path: "/assets/{id}", op: "deleteAsset", tag: "fleet", summary: "Delete an asset with its agent, inventory, change history and metrics.",
			status: 204, errors: []int{http.StatusForbidden, http.StatusNotFound}, handle: a.deleteAsset},
		{method: "GET", path: "/assets/{id}/inventory", op: "getAssetInventory", tag: "fleet", summary: "The last inventory the asset's agent sent.",
			result: inventoryResult{}, status: 200, errors: idErr, handle: a.getInventory},
		{method: "GET", path: "/assets/{id}/changes", op: "listAssetChanges", tag: "fleet", summary: "The asset's inventory changes, newest first (memory 8 GiB → 16 GiB, Firefox 128 → 131…).",
			query: paging, result: asset.Change{}, page: true, status: 200, errors: append([]int{http.StatusNotFound}, listErr...), handle: a.listChanges},
		{method: "GET", path: "/assets/{id}/metrics", op: "getAssetMetrics", tag: "fleet", summary: "The asset's samples of one metric over a range, at the resolution the range calls for unless given.",
			query: []param{
				{name: "name", typ: "string", desc: "Required: the metric, e.g. cpu.percent, memory.percent, fs.used_percent (see docs/fleet.md)."},
				{name: "from", typ: "string", format: "date-time", desc: "Start of the range (RFC 3339); 24 hours before to by default."},
				{name: "to", typ: "string", format: "date-time", desc: "End of the range (RFC 3339); now by default."},
				{name: "resolution", typ: "string", enum: []string{"raw", "5m", "1h"}, desc: "raw samples, 5-minute or hourly min/avg/max. Absent: raw up to ~2 days, 5-minute up to ~60 days, else hourly."},
			},
			result: metricsResult{}, status: 200, errors: append([]int{http.StatusNotFound}, listErr...), handle: a.getMetrics},
		{method: "POST", path: "/clients/{id}/assets/import", op: "importAssets", tag: "fleet",
			summary: "Import a client's assets from CSV (text/csv, UTF-8, comma or semicolon, at most 10,000 rows and 5 MB): rows without id are created, rows with the id of one of the client's assets update it. Nothing is written unless every row is valid; with dry_run=true nothing is written at all.",
			query:   []param{{name: "dry_run", typ: "boolean", desc: "true: check and preview the rows, write nothing."}},
			rawBody: "text/csv", result: asset.ImportResult{}, status: 200, errors: append([]int{http.StatusForbidden, http.StatusNotFound}, bodyErr...), handle: a.importAssets},
		{method: "GET", path: "/clients/{id}/assets/export", op: "exportAssets", tag: "fleet",
			summary: "Export a client's assets as CSV, in the columns the import reads (an edited export imported back updates the same assets).",
			query:   assetFilterParams[1:], download: true, status: 200, errors: append([]int{http.StatusNotFound}, listErr...), handle: a.exportAssets},
		{method: "GET", path: "/clients/{id}/enroll-tokens", op: "listEnrollTokens", tag: "fleet", summary: "A client's enrollment tokens, newest first (one page).",
			result: asset.EnrollToken{}, page: true, status: 200, errors: []int{http.StatusForbidden, http.StatusNotFound}, handle: a.listEnrollTokens},
		{method: "POST", path: "/clients/{id}/enroll-tokens", op: "createEnrollToken", tag: "fleet", summary: "Create an enrollment token; its secret is in the response only.",
			body: enrollTokenInput{}, result: enrollTokenCreated{}, status: 201, noLocation: true, errors: append([]int{http.StatusForbidden}, writeErr...), handle: a.createEnrollToken},
		{method: "POST", path: "/enroll-tokens/{id}/revoke", op: "revokeEnrollToken", tag: "fleet", summary: "Revoke an enrollment token; agents enrolled with it stay.",
			status: 204, errors: []int{http.StatusForbidden, http.StatusNotFound}, handle: a.revokeEnrollToken},
		{method: "POST", path: "/agents/{id}/revoke", op: "revokeAgent", tag: "fleet", summary: "Revoke an agent: its secret is refused from now on; its asset and history stay.",
			status: 204, errors: []int{http.StatusForbidden, http.StatusNotFound}, handle: a.revokeAgent},
		{method: "GET", path: "/clients/{id}/fleet-settings", op: "getFleetSettings", tag: "fleet", summary: "The settings of a client's agents (the defaults until saved).",
			result: agentproto.Settings{}, status: 200, errors: idErr, handle: a.getFleetSettings},
		{method: "PUT", path: "/clients/{id}/fleet-settings", op: "putFleetSettings", tag: "fleet", summary: "Replace the settings of a client's agents; their version goes up and agents fetch them after their next report.",
			body: fleetSettingsInput{}, result: agentproto.Settings{}, status: 200, errors: append([]int{http.StatusForbidden}, writeErr...), handle: a.putFleetSettings},
	}
}

// assetFilter reads the filter parameters.
func assetFilter(q *query) asset.Filter {
	f := asset.Filter{ClientID: q.id("client_id"), SiteID: q.id("site_id"), OS: q.str("os"), Query: q.str("q")}
	if k := q.v.Get("kind"); k != "" {
		q.bad.OneOf("kind", k, kindNames()...)
		f.Kind = asset.Kind(k)
	}
	if s := q.v.Get("status"); s != "" {
		q.bad.OneOf("status", s, "online", "offline", "revoked")
		f.Status = asset.Status(s)
	}
	if b := q.boolean("outdated"); b != nil {
		f.Outdated = *b
	}
	if b := q.boolean("low_disk"); b != nil {
		f.LowDisk = *b
	}
	return f
}

func (a *API) listAssets(c *call) (any, error) {
	q := c.query()
	f := assetFilter(q)
	f.After = q.after()
	limit := q.limit()
	if err := q.err(); err != nil {
		return nil, err
	}
	f.Limit = limit + 1
	rows, err := a.d.Assets.List(c.r.Context(), c.scope, f)
	if err != nil {
		return nil, err
	}
	return pageOf(rows, limit, func(x asset.Asset) int64 { return x.ID }), nil
}

func parseDate(field, s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	d, ok := asset.ParseDate(s)
	if !ok {
		v := &fault.Invalid{}
		v.Add(field, "invalid_date")
		return nil, v
	}
	return &d, nil
}

func (a *API) createAsset(c *call) (any, error) {
	var in assetInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	w, err := parseDate("warranty_end", in.WarrantyEnd)
	if err != nil {
		return nil, err
	}
	x := asset.Asset{ClientID: in.ClientID, Kind: in.Kind, Name: in.Name, SiteID: in.SiteID, Criticality: in.Criticality, OwnerContactID: in.OwnerContactID,
		WarrantyEnd: w, Notes: in.Notes, ParentID: in.ParentID, Fields: in.Fields}
	if x.ClientID <= 0 || !c.scope.CanSee(x.ClientID) {
		v := &fault.Invalid{}
		v.Add("client_id", "invalid_choice")
		return nil, v
	}
	if err := a.d.Assets.Create(c.r.Context(), c.scope, &x); err != nil {
		return nil, err
	}
	c.location("/assets", x.ID)
	return x, nil
}

func (a *API) asset(c *call) (asset.Asset, error) {
	id, err := c.id("id")
	if err != nil {
		return asset.Asset{}, err
	}
	return a.d.Assets.Get(c.r.Context(), c.scope, id)
}

func (a *API) getAsset(c *call) (any, error) { return a.asset(c) }

func (a *API) updateAsset(c *call) (any, error) {
	x, err := a.asset(c)
	if err != nil {
		return nil, err
	}
	var p assetPatch
	if err := c.decode(&p); err != nil {
		return nil, err
	}
	p.Kind.apply(&x.Kind)
	p.Name.apply(&x.Name)
	p.SiteID.applyPtr(&x.SiteID)
	p.Criticality.apply(&x.Criticality)
	p.OwnerContactID.applyPtr(&x.OwnerContactID)
	p.Notes.apply(&x.Notes)
	p.ParentID.applyPtr(&x.ParentID)
	p.Fields.apply(&x.Fields)
	if p.WarrantyEnd.Set {
		w, err := parseDate("warranty_end", p.WarrantyEnd.Value)
		if err != nil {
			return nil, err
		}
		x.WarrantyEnd = w
	}
	if err := a.d.Assets.Update(c.r.Context(), c.scope, &x); err != nil {
		return nil, err
	}
	return x, nil
}

func (a *API) deleteAsset(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	return nil, a.d.Assets.Delete(c.r.Context(), c.scope, id)
}

func (a *API) getInventory(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	inv, err := a.d.Assets.Inventory(c.r.Context(), c.scope, id)
	if err != nil {
		return nil, err
	}
	return inventoryResult{AssetID: id, Inventory: inv}, nil
}

func (a *API) listChanges(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	q := c.query()
	after, limit := q.after(), q.limit()
	if err := q.err(); err != nil {
		return nil, err
	}
	rows, err := a.d.Assets.Changes(c.r.Context(), c.scope, asset.ChangeFilter{AssetID: id, After: after, Limit: limit + 1})
	if err != nil {
		return nil, err
	}
	return pageOf(rows, limit, func(x asset.Change) int64 { return x.ID }), nil
}

// resolutions names metric resolutions on the wire.
var resolutions = map[string]metric.Resolution{"raw": metric.Raw, "5m": metric.FiveMinutes, "1h": metric.Hourly}

func resolutionName(r metric.Resolution) string {
	for k, v := range resolutions {
		if v == r {
			return k
		}
	}
	return r.String()
}

func (a *API) getMetrics(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	q := c.query()
	name := q.str("name")
	if name == "" && !q.bad.Has("name") {
		q.bad.Add("name", "required")
	}
	from, to := q.time("from"), q.time("to")
	var res *metric.Resolution
	if s := q.v.Get("resolution"); s != "" {
		r, ok := resolutions[s]
		if !ok {
			q.bad.Add("resolution", "invalid_choice")
		}
		res = &r
	}
	if err := q.err(); err != nil {
		return nil, err
	}
	if to.IsZero() {
		to = time.Now().UTC()
	}
	if from.IsZero() {
		from = to.Add(-24 * time.Hour)
	}
	if !from.Before(to) {
		v := &fault.Invalid{}
		v.Add("from", "invalid_range")
		return nil, v
	}
	results, err := a.d.Assets.Metrics(c.r.Context(), c.scope, metric.Query{AssetID: id, Name: name, From: from, To: to, Resolution: res})
	if err != nil {
		return nil, err
	}
	out := metricsResult{AssetID: id, From: from, To: to, Series: []metricSeries{}}
	for _, r := range results {
		s := metricSeries{Name: r.Series.Name, Labels: r.Series.Labels, Resolution: resolutionName(r.Resolution), Points: make([]metricPoint, len(r.Points))}
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		for i, p := range r.Points {
			s.Points[i] = metricPoint{T: p.T.UTC(), Min: p.Min, Avg: p.Avg, Max: p.Max}
		}
		out.Series = append(out.Series, s)
	}
	return out, nil
}

func (a *API) importAssets(c *call) (any, error) {
	clientID, err := c.id("id")
	if err != nil {
		return nil, err
	}
	q := c.query()
	dry := q.boolean("dry_run")
	if err := q.err(); err != nil {
		return nil, err
	}
	if ct := c.r.Header.Get("Content-Type"); !mediaIs(ct, "text/csv") {
		return nil, &requestError{status: http.StatusUnsupportedMediaType, key: "api.problem.media_type_csv"}
	}
	b, err := c.readBody()
	if err != nil {
		return nil, err
	}
	return a.d.Assets.ImportCSV(c.r.Context(), c.scope, clientID, bytes.NewReader(b), dry != nil && *dry)
}

func (a *API) exportAssets(c *call) (any, error) {
	clientID, err := c.id("id")
	if err != nil {
		return nil, err
	}
	q := c.query()
	f := assetFilter(q)
	if err := q.err(); err != nil {
		return nil, err
	}
	f.ClientID = clientID
	// Check before the first byte: once the CSV streams, the status is sent.
	if _, err := a.d.Assets.Count(c.r.Context(), c.scope, f); err != nil {
		return nil, err
	}
	if _, err := a.d.Clients.Get(c.r.Context(), c.scope, clientID); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := a.d.Assets.ExportCSV(c.r.Context(), c.scope, f, &buf); err != nil {
		return nil, err
	}
	h := c.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="assets-`+strconv.FormatInt(clientID, 10)+`.csv"`)
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(buf.Bytes())
	return downloaded{}, nil
}

func (a *API) listEnrollTokens(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	rows, err := a.d.Assets.EnrollTokens(c.r.Context(), c.scope, id)
	if err != nil {
		return nil, err
	}
	if rows == nil {
		rows = []asset.EnrollToken{}
	}
	return page[asset.EnrollToken]{Data: rows}, nil
}

func (a *API) createEnrollToken(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	var in enrollTokenInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	t := asset.EnrollToken{ClientID: id, Name: in.Name, SiteID: in.SiteID, MaxUses: in.MaxUses}
	if in.ExpiresAt != "" {
		e, err := time.Parse(time.RFC3339Nano, in.ExpiresAt)
		if err != nil {
			v := &fault.Invalid{}
			v.Add("expires_at", "invalid_time")
			return nil, v
		}
		t.Expires = &e
	}
	secret, err := a.d.Assets.CreateEnrollToken(c.r.Context(), c.scope, &t)
	if err != nil {
		return nil, err
	}
	return enrollTokenCreated{EnrollToken: t, Secret: secret}, nil
}

func (a *API) revokeEnrollToken(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	if err := c.noBody(); err != nil {
		return nil, err
	}
	return nil, a.d.Assets.RevokeEnrollToken(c.r.Context(), c.scope, id)
}

func (a *API) revokeAgent(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	if err := c.noBody(); err != nil {
		return nil, err
	}
	return nil, a.d.Assets.RevokeAgent(c.r.Context(), c.scope, id)
}

func (a *API) getFleetSettings(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	return a.d.Assets.Settings(c.r.Context(), c.scope, id)
}

func (a *API) putFleetSettings(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	var in fleetSettingsInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	st := agentproto.Settings{MetricInterval: in.MetricInterval, ReportInterval: in.ReportInterval, InventoryInterval: in.InventoryInterval,
		Collectors: in.Collectors, SpoolBytes: in.SpoolBytes}
	if err := a.d.Assets.UpdateSettings(c.r.Context(), c.scope, id, st); err != nil {
		return nil, err
	}
	return a.d.Assets.Settings(c.r.Context(), c.scope, id)
}

// mediaIs reports whether a Content-Type is the media type want (any charset
// parameter must be UTF-8).
func mediaIs(ct, want string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return false
	}
	return mt == want
}
