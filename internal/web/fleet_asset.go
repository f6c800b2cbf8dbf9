package web

import (
	"cmp"
	"context"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/chart"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/metric"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// graphRange is one choice of the asset page's range switch.
type graphRange struct {
	Key  string
	Span time.Duration
}

var graphRanges = []graphRange{
	{"1h", time.Hour}, {"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}, {"1y", 365 * 24 * time.Hour},
}

type rangeLink struct {
	Label, Href string
	Current     bool
}

type labelled struct{ Label, Value string }

type assetPage struct {
	Asset  asset.Asset
	Client client.Client
	Site   string
	Owner  string
	Parent *asset.Asset
	Fields []labelled
	// Children are the assets that name this one as parent.
	Inventory *asset.Inventory
	// Software is the inventory's software, filtered by SoftwareQuery.
	Software      []agentproto.Software
	SoftwareQuery string
	SoftwareTotal int
	Changes       []asset.Change
	ChangesNext   string
	Range         string
	Ranges        []rangeLink
	Charts        []assetChart
	CanWrite      bool
	CanAdmin      bool
	// Tickets are the newest tickets about the asset the viewer may see
	// (nil when the viewer sees no tickets or the helpdesk is off).
	Tickets []ticket.Ticket
}

func (h *Handler) assetShow(w http.ResponseWriter, r *http.Request) {
	a, s, ok := h.loadAsset(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	v := h.view(w, r, "fleet")
	q := r.URL.Query()
	d := assetPage{Asset: a, CanWrite: s.CanOn(tenant.AssetWrite, a.ClientID), CanAdmin: s.CanOn(tenant.AgentAdmin, a.ClientID)}
	var err error
	if d.Client, err = h.d.Clients.Get(ctx, s, a.ClientID); err != nil {
		h.fail(w, r, err)
		return
	}
	if a.SiteID != nil {
		if st, err := h.d.Clients.Site(ctx, s, *a.SiteID); err == nil {
			d.Site = st.Name
		}
	}
	if a.OwnerContactID != nil {
		if ct, err := h.d.Clients.Contact(ctx, s, *a.OwnerContactID); err == nil {
			d.Owner = ct.FullName()
			if ct.Email != "" {
				d.Owner += " <" + ct.Email + ">"
			}
		}
	}
	if a.ParentID != nil {
		if pa, err := h.d.Assets.Get(ctx, s, *a.ParentID); err == nil {
			d.Parent = &pa
		}
	}
	for _, fd := range asset.KindFields[a.Kind] {
		if val := a.Fields[fd.Key]; val != "" {
			d.Fields = append(d.Fields, labelled{v.T("asset.field." + fd.Key), val})
		}
	}
	if d.Inventory, err = h.d.Assets.Inventory(ctx, s, a.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	if inv := d.Inventory; inv != nil {
		d.SoftwareQuery = strings.TrimSpace(q.Get("sw"))
		d.SoftwareTotal = len(inv.Software)
		needle := strings.ToLower(d.SoftwareQuery)
		for _, sw := range inv.Software {
			if needle == "" || strings.Contains(strings.ToLower(sw.Name+" "+sw.Publisher), needle) {
				d.Software = append(d.Software, sw)
			}
		}
		slices.SortFunc(d.Software, func(x, y agentproto.Software) int {
			return cmp.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name))
		})
	}
	after := cursor(r, "changes_after")
	cs, err := h.d.Assets.Changes(ctx, s, asset.ChangeFilter{AssetID: a.ID, After: after, Limit: pageSize + 1})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(cs) > pageSize {
		cs = cs[:pageSize]
		d.ChangesNext = nextPage(r, "changes_after", cs[len(cs)-1].ID) + "#changes"
	}
	d.Changes = cs
	if h.d.Tickets != nil && s.Can(tenant.TicketRead) {
		if d.Tickets, _, err = h.d.Tickets.List(ctx, s, ticket.Filter{AssetID: a.ID, Limit: 10}); err != nil {
			h.fail(w, r, err)
			return
		}
	}

	// Graphs of agent-reported assets over the chosen range.
	d.Range = q.Get("range")
	span := time.Duration(0)
	for _, gr := range graphRanges {
		if gr.Key == d.Range {
			span = gr.Span
		}
	}
	if span == 0 {
		d.Range, span = "24h", 24*time.Hour
	}
	for _, gr := range graphRanges {
		lq := url.Values{"range": {gr.Key}}
		if d.SoftwareQuery != "" {
			lq.Set("sw", d.SoftwareQuery)
		}
		d.Ranges = append(d.Ranges, rangeLink{Label: v.T("fleet.range." + gr.Key), Href: assetPath(a.ID) + "?" + lq.Encode() + "#graphs", Current: gr.Key == d.Range})
	}
	if a.Agent != nil {
		to := h.now()
		if d.Charts, err = h.assetCharts(ctx, v, s, a.ID, to.Add(-span), to); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	v.Form.setValues(url.Values{"sw": {d.SoftwareQuery}})
	h.render(w, v, http.StatusOK, "fleet_asset", d)
}

// graphDef is one graph of the asset page: the metrics it draws and how
// each series is named in its legend.
type graphDef struct {
	title   string
	unit    chart.Unit
	metrics []graphMetric
}

type graphMetric struct {
	name string
	// legend is a message key naming the series, given the series' label
	// (mount, device, interface) when label is set.
	legend string
	label  string
}

var assetGraphs = []graphDef{
	{"fleet.graph.cpu", chart.Percent, []graphMetric{{agentproto.MetricCPU, "fleet.series.cpu", ""}}},
	{"fleet.graph.memory", chart.Percent, []graphMetric{{agentproto.MetricMemory, "fleet.series.memory", ""}, {agentproto.MetricSwap, "fleet.series.swap", ""}}},
	{"fleet.graph.load", chart.Count, []graphMetric{{agentproto.MetricLoad1, "fleet.series.load1", ""}, {agentproto.MetricLoad5, "fleet.series.load5", ""}, {agentproto.MetricLoad15, "fleet.series.load15", ""}}},
	{"fleet.graph.fs", chart.Percent, []graphMetric{{agentproto.MetricFSUsed, "fleet.series.label", "mount"}}},
	{"fleet.graph.disk", chart.BytesPerSecond, []graphMetric{{agentproto.MetricDiskRead, "fleet.series.read", "device"}, {agentproto.MetricDiskWrite, "fleet.series.write", "device"}}},
	{"fleet.graph.net", chart.BytesPerSecond, []graphMetric{{agentproto.MetricNetRecv, "fleet.series.recv", "interface"}, {agentproto.MetricNetSent, "fleet.series.sent", "interface"}}},
}

// maxGraphSeries bounds the lines of one graph (a server with dozens of
// mounts or interfaces): the first ones by label are drawn.
const maxGraphSeries = 8

// assetChart is one graph of the asset page with its visible title.
type assetChart struct {
	Title string
	SVG   template.HTML
}

func (h *Handler) assetCharts(ctx context.Context, v *view, s tenant.Scope, assetID int64, from, to time.Time) ([]assetChart, error) {
	var out []assetChart
	for _, g := range assetGraphs {
		var series []chart.Series
		step := time.Duration(0)
		for _, m := range g.metrics {
			res, err := h.d.Assets.Metrics(ctx, s, metric.Query{AssetID: assetID, Name: m.name, From: from, To: to})
			if err != nil {
				return nil, err
			}
			slices.SortFunc(res, func(x, y metric.Result) int { return cmp.Compare(x.Series.Labels[m.label], y.Series.Labels[m.label]) })
			for _, rs := range res {
				if len(rs.Points) == 0 {
					continue
				}
				name := v.T(m.legend)
				if m.label != "" {
					name = v.T(m.legend, rs.Series.Labels[m.label])
				}
				cs := chart.Series{Name: name, Points: make([]chart.Point, len(rs.Points))}
				for i, p := range rs.Points {
					cs.Points[i] = chart.Point{T: p.T, Min: p.Min, Avg: p.Avg, Max: p.Max}
				}
				series = append(series, cs)
				step = max(step, rs.Resolution.Step())
			}
		}
		if len(series) > maxGraphSeries {
			series = series[:maxGraphSeries]
		}
		title := v.T(g.title)
		out = append(out, assetChart{Title: title, SVG: chart.Render(chart.Options{
			Title: title, Unit: g.unit, From: from, To: to, Loc: v.loc, Locale: v.chartLocale(),
			Step: step, Empty: v.T("fleet.graph.empty"), Width: 600, Height: 230,
		}, series)})
	}
	return out, nil
}

// ChangeText says what one inventory change did, in the page's language.
func (v *view) ChangeText(c asset.Change) string {
	field := v.T("fleet.change_field." + c.Field)
	if !v.h.msg.Has("fleet.change_field." + c.Field) {
		field = c.Field
	}
	if c.Item != "" {
		field += " " + c.Item
	}
	switch {
	case c.Old == "" && c.New != "":
		return v.T("fleet.change.added", field, c.New)
	case c.New == "" && c.Old != "":
		return v.T("fleet.change.removed", field, c.Old)
	}
	return v.T("fleet.change.changed", field, c.Old, c.New)
}

// FSUsed is a file system's used share in percent.
func (v *view) FSUsed(fs agentproto.Filesystem) float64 {
	if fs.Bytes == 0 {
		return 0
	}
	return float64(fs.Used) / float64(fs.Bytes) * 100
}

// Uptime says how long a machine has run since boot.
func (v *view) Uptime(boot time.Time) string {
	if boot.IsZero() {
		return "—"
	}
	return v.Span(v.h.now().Sub(boot))
}

func (h *Handler) agentRevoke(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	s := p.Scope()
	ag, err := h.d.Assets.Agent(r.Context(), s, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.d.Assets.RevokeAgent(r.Context(), s, id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, assetPath(ag.AssetID), "flash.agent_revoked", ag.Hostname)
}

// FSFree is a file system's free bytes.
func (v *view) FSFree(fs agentproto.Filesystem) uint64 {
	if fs.Used > fs.Bytes {
		return 0
	}
	return fs.Bytes - fs.Used
}
