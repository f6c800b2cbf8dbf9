package web

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/vigie-hq/vigie/internal/chart"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/dashboard"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/router"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// dashboardChartRows is how many clients the staff dashboard's charts show
// (the most open tickets, the most SLA trouble).
const dashboardChartRows = 15

// dashboardLines is how many clients needing attention the staff table
// lists; the others are counted.
const dashboardLines = 100

// Colours of the SLA states, those of the queues' badges.
var slaColours = []string{"#067647", "#b54708", "#b42318"}

// registerDashboard adds the dashboards: GET /dashboard is the staff's
// (every client they see) or, for a client's users, their company's (the
// portal); GET /clients/{id}/dashboard is one client's, as its users see it.

// dashChartWidth is the drawing width of the dashboards' bar charts, about
// the width of the half-page card they sit in, so that their text is shown
// at its size rather than scaled down.
const dashChartWidth = 520

func (h *Handler) registerDashboard(rt *router.Router) {
	if h.d.Dashboard == nil {
		return
	}
	rt.HandleFunc("GET /dashboard", h.dashboard)
	rt.HandleFunc("GET /clients/{id}/dashboard", h.clientDashboard)
}

// DashboardOn reports whether the dashboards are served.
func (v *view) DashboardOn() bool { return v.h.d.Dashboard != nil }

// dashTile is one figure at the top of a dashboard, linked to its list.
type dashTile struct {
	Label, Value, Detail, Href string
	// Class is "stat-warn" or "stat-danger" when the figure needs a look.
	Class string
}

// staffDashPage is the data of the staff dashboard.
type staffDashPage struct {
	D        dashboard.Staff
	Tiles    []dashTile
	ByLevel  template.HTML
	BySLA    template.HTML
	Lines    []dashLine
	Quiet    int // clients with nothing needing attention
	More     int // clients needing attention beyond the table
	Quotas   []dashQuota
	Renewals []dashRenewal
	// Empty is set when the scope sees no client at all.
	Empty bool
}

// dashLine is a row of the staff table.
type dashLine struct {
	L        dashboard.Line
	Levels   []int // open tickets per level of D.Levels
	Quota    string
	Renewal  string
	RowClass string
}

type dashQuota struct {
	Client, Reference, Support, OnSite string
	ContractID                         int64
	Bar                                template.HTML
	Exhausted                          bool
}

type dashRenewal struct {
	Client, Reference, Kind, TermEnd, NoticeBy, In string
	ContractID                                     int64
}

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if p.User.ClientID != nil {
		h.showClientDashboard(w, r, *p.User.ClientID)
		return
	}
	s := p.Scope()
	d, err := h.d.Dashboard.Staff(r.Context(), s, h.now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := h.view(w, r, "dashboard")
	h.render(w, v, http.StatusOK, "dashboard", staffPage(v, d))
}

// staffPage lays the staff dashboard out: tiles, charts, tables. It
// counts nothing itself.
func staffPage(v *view, d dashboard.Staff) staffDashPage {
	pg := staffDashPage{D: d, Empty: len(d.Lines) == 0}
	f := reportFormat{v: v, loc: v.loc}
	names := make(map[int64]string, len(d.Lines))
	for _, l := range d.Lines {
		names[l.Client.ID] = l.Client.Name
	}
	warn := func(n int, class string) string {
		if n > 0 {
			return class
		}
		return ""
	}
	pg.Tiles = []dashTile{
		{Label: v.T("dashboard.tile.open"), Value: strconv.Itoa(d.Open.Open), Href: "/tickets?queue=open"},
		{Label: v.T("dashboard.tile.breached"), Value: strconv.Itoa(d.Open.Breached), Href: "/tickets?queue=breaching", Class: warn(d.Open.Breached, "stat-danger")},
		{Label: v.T("dashboard.tile.at_risk"), Value: strconv.Itoa(d.Open.AtRisk), Href: "/tickets?queue=breaching", Class: warn(d.Open.AtRisk, "stat-warn")},
		{Label: v.T("dashboard.tile.problems"), Value: strconv.Itoa(d.Problems.Total), Href: "/supervision?problems=1",
			Detail: v.T("dashboard.tile.problems_detail", d.Problems.BySeverity[0], d.Problems.BySeverity[1], d.Problems.BySeverity[2]), Class: warn(d.Problems.Critical(), "stat-danger")},
		{Label: v.T("dashboard.tile.quota"), Value: strconv.Itoa(len(d.Quotas)), Href: "#dash-quotas", Class: warn(len(d.Quotas), "stat-warn")},
		{Label: v.T("dashboard.tile.renewal"), Value: strconv.Itoa(len(d.Renewals)), Href: "#dash-renewals", Class: warn(len(d.Renewals), "stat-warn")},
	}

	// Charts: the clients with the most open tickets, by level; those with
	// the most SLA trouble, by state.
	byOpen := slices.Clone(d.Lines)
	slices.SortStableFunc(byOpen, func(a, b dashboard.Line) int { return b.Open.Open - a.Open.Open })
	var levelRows []chart.StackRow
	for _, l := range byOpen {
		if l.Open.Open == 0 || len(levelRows) == dashboardChartRows {
			break
		}
		row := chart.StackRow{Label: l.Client.Name, Href: fmt.Sprintf("/tickets?queue=open&client=%d", l.Client.ID)}
		for _, lv := range d.Levels {
			row.Values = append(row.Values, float64(l.Open.ByLevel[lv]))
		}
		levelRows = append(levelRows, row)
	}
	pg.ByLevel = chart.Stacked(chart.StackOptions{Width: dashChartWidth, Title: v.T("dashboard.chart.level"), Keys: d.Levels, Locale: v.chartLocale(),
		Empty: v.T("dashboard.chart.no_open")}, levelRows)
	bySLA := slices.Clone(d.Lines)
	slices.SortStableFunc(bySLA, func(a, b dashboard.Line) int {
		if c := (b.Open.Breached + b.Open.AtRisk) - (a.Open.Breached + a.Open.AtRisk); c != 0 {
			return c
		}
		return b.Open.Open - a.Open.Open
	})
	var slaRows []chart.StackRow
	for _, l := range bySLA {
		if l.Open.Open == 0 || len(slaRows) == dashboardChartRows {
			break
		}
		slaRows = append(slaRows, chart.StackRow{Label: l.Client.Name, Href: fmt.Sprintf("/tickets?queue=breaching&client=%d", l.Client.ID),
			Values: []float64{float64(l.Open.OnTime()), float64(l.Open.AtRisk), float64(l.Open.Breached)}})
	}
	pg.BySLA = chart.Stacked(chart.StackOptions{Width: dashChartWidth, Title: v.T("dashboard.chart.sla"), Locale: v.chartLocale(), Colours: slaColours,
		Keys:  []string{v.T("dashboard.sla.on_time"), v.T("dashboard.sla.at_risk"), v.T("dashboard.sla.breached")},
		Empty: v.T("dashboard.chart.no_open")}, slaRows)

	for _, l := range d.Lines {
		if !l.Attention() {
			pg.Quiet++
			continue
		}
		if len(pg.Lines) == dashboardLines {
			pg.More++
			continue
		}
		dl := dashLine{L: l}
		for _, lv := range d.Levels {
			dl.Levels = append(dl.Levels, l.Open.ByLevel[lv])
		}
		if len(l.Quotas) > 0 {
			dl.Quota = strconv.Itoa(dashboard.Percent(l.Quotas[0])) + f.percentSign()
		}
		if l.Renewal != nil {
			dl.Renewal = v.T("dashboard.in_days", l.Renewal.Days)
		}
		switch {
		case l.Open.Breached > 0 || l.Problems.Critical() > 0:
			dl.RowClass = "row-breached"
		case l.Open.AtRisk > 0:
			dl.RowClass = "row-at-risk"
		}
		pg.Lines = append(pg.Lines, dl)
	}
	pg.Quotas = quotaRows(v, f, d.Quotas, names)
	for _, rn := range d.Renewals {
		pg.Renewals = append(pg.Renewals, renewalRow(v, f, rn, names[rn.ClientID]))
	}
	return pg
}

// percentSign is " %" in French, "%" in English.
func (f reportFormat) percentSign() string {
	if f.v.Lang == "fr" {
		return "\u00a0%"
	}
	return "%"
}

func quotaRows(v *view, f reportFormat, us []contract.Usage, names map[int64]string) []dashQuota {
	var out []dashQuota
	for _, u := range us {
		q := dashQuota{Client: names[u.ClientID], Reference: u.Reference, ContractID: u.ContractID, Support: "—", OnSite: "—",
			Exhausted: u.Worst() == contract.LevelExhausted}
		if u.Included > 0 {
			q.Support = v.T("dashboard.quota.support", contract.HoursText(u.Support), contract.HoursText(u.Included), strconv.Itoa(u.SupportPercent())+f.percentSign())
		}
		if u.OnSiteIncluded > 0 {
			q.OnSite = v.T("dashboard.quota.onsite", u.OnSite, u.OnSiteIncluded)
		}
		pct := float64(dashboard.Percent(u))
		q.Bar = chart.Bar(pct, 80, 100, q.Reference+" "+strconv.Itoa(int(pct))+f.percentSign())
		out = append(out, q)
	}
	return out
}

func renewalRow(v *view, f reportFormat, rn dashboard.Renewal, client string) dashRenewal {
	out := dashRenewal{Client: client, Reference: rn.Reference, ContractID: rn.ContractID, Kind: v.T("dashboard.renewal." + string(rn.Kind)),
		TermEnd: f.day(rn.TermEnd), NoticeBy: "—", In: v.T("dashboard.in_days", rn.Days)}
	if rn.NoticeBy != nil {
		out.NoticeBy = f.day(*rn.NoticeBy)
	}
	return out
}

// day writes a contract date (UTC midnight) in the page's language.
func (f reportFormat) day(t time.Time) string {
	if f.v.Lang == "fr" {
		return t.UTC().Format("02/01/2006")
	}
	return t.UTC().Format("2006-01-02")
}

// clientDashPage is the data of a client's dashboard (the portal's).
type clientDashPage struct {
	D dashboard.Client
	// Staff viewing a client's dashboard get a way back to theirs.
	StaffView bool
	Month     string // the running month's name
	SoFar     string
	Tiles     []dashTile
	Now       []dashTile
	Sparks    []dashSpark
	SLA       template.HTML
	Priority  []reportRow
	Available []reportRow
	Quotas    []dashQuota
	Renewal   *dashRenewal
	// Links the caller may follow.
	Tickets, Board, Report, Contract string
}

// dashSpark is a sparkline of the last months with its heading.
type dashSpark struct {
	Label string
	SVG   template.HTML
}

func (h *Handler) clientDashboard(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	if !s.CanOn(tenant.ClientRead, c.ID) {
		h.notFound(w, r)
		return
	}
	h.showClientDashboard(w, r, c.ID)
}

func (h *Handler) showClientDashboard(w http.ResponseWriter, r *http.Request, clientID int64) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	s := p.Scope()
	d, err := h.d.Dashboard.Client(r.Context(), s, clientID, h.now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	section := "dashboard"
	if s.Staff() {
		section = "clients"
	}
	v := h.view(w, r, section)
	pg := clientDashLayout(v, d)
	pg.StaffView = s.Staff()
	if h.d.Tickets != nil && s.Can(tenant.TicketRead) {
		pg.Tickets = "/tickets"
		if s.Staff() {
			pg.Tickets = fmt.Sprintf("/tickets?queue=open&client=%d", clientID)
		}
	}
	if h.d.Supervision != nil && s.Can(tenant.SupervisionRead) {
		pg.Board = "/supervision?problems=1"
		if s.Staff() {
			pg.Board = fmt.Sprintf("/supervision?problems=1&client=%d", clientID)
		}
	}
	if h.d.Reports != nil {
		pg.Report = fmt.Sprintf("/clients/%d/reports", clientID)
	}
	if h.d.Contracts != nil {
		pg.Contract = fmt.Sprintf("/clients/%d/contracts", clientID)
	}
	h.render(w, v, http.StatusOK, "dashboard_client", pg)
}

// clientDashLayout lays a client's dashboard out from its figures.
func clientDashLayout(v *view, d dashboard.Client) clientDashPage {
	pg := clientDashPage{D: d}
	f := reportFormat{v: v, loc: d.Location}
	m := d.Running()
	if len(d.Months) > 0 {
		pg.Month = v.T("reportpdf.month."+strconv.Itoa(int(m.Period.From.Month()))) + " " + strconv.Itoa(m.Period.From.Year())
		if m.Period.SoFar {
			pg.SoFar = v.T("reportpdf.so_far", f.dateTime(m.Period.Until))
		}
		t := m.Tickets
		pg.Tiles = []dashTile{
			{Label: v.T("reportpdf.kpi.opened"), Value: strconv.Itoa(t.Opened)},
			{Label: v.T("reportpdf.kpi.closed"), Value: strconv.Itoa(t.Closed)},
			{Label: v.T("reportpdf.kpi.tto"), Value: f.pct(t.TTO.Percent), Detail: v.T("reportweb.of", t.TTO.Met, t.TTO.Total)},
			{Label: v.T("reportpdf.kpi.ttr"), Value: f.pct(t.TTR.Percent), Detail: v.T("reportweb.of", t.TTR.Met, t.TTR.Total)},
			{Label: v.T("reportpdf.kpi.mttr"), Value: f.minutes(t.MeanToResolveMinutes)},
			{Label: v.T("reportpdf.kpi.satisfaction"), Value: f.average(m.Satisfaction.Average), Detail: v.T("reportweb.ratings", m.Satisfaction.Count)},
			{Label: v.T("reportpdf.kpi.alerts"), Value: strconv.Itoa(m.Alerts.Count)},
			{Label: v.T("reportpdf.kpi.backups"), Value: f.pct(m.Backups.Success.Percent), Detail: v.T("reportweb.of", m.Backups.Success.Part, m.Backups.Success.Whole)},
		}
		for _, a := range m.Availability {
			row := reportRow{Head: a.Asset, Cells: []string{f.pct(a.Percent), f.duration(a.DownMinutes)}}
			if a.Percent != nil {
				row.Bar = chart.Bar(*a.Percent, 101, 101, a.Asset+" "+f.percent(*a.Percent))
			}
			pg.Available = append(pg.Available, row)
		}
		pg.Sparks = sparks(v, d.Months)
	}
	o := d.Open
	pg.Now = []dashTile{
		{Label: v.T("dashboard.tile.open"), Value: strconv.Itoa(o.Open)},
		{Label: v.T("dashboard.tile.breached"), Value: strconv.Itoa(o.Breached), Class: map[bool]string{true: "stat-danger"}[o.Breached > 0]},
		{Label: v.T("dashboard.tile.at_risk"), Value: strconv.Itoa(o.AtRisk), Class: map[bool]string{true: "stat-warn"}[o.AtRisk > 0]},
		{Label: v.T("dashboard.tile.problems"), Value: strconv.Itoa(d.Problems.Total),
			Detail: v.T("dashboard.tile.problems_detail", d.Problems.BySeverity[0], d.Problems.BySeverity[1], d.Problems.BySeverity[2]),
			Class:  map[bool]string{true: "stat-danger"}[d.Problems.Critical() > 0]},
	}
	var sla []chart.StackRow
	if o.Open > 0 {
		sla = []chart.StackRow{{Label: v.T("dashboard.tile.open"), Values: []float64{float64(o.OnTime()), float64(o.AtRisk), float64(o.Breached)}}}
	}
	pg.SLA = chart.Stacked(chart.StackOptions{Width: dashChartWidth, Title: v.T("dashboard.chart.sla_client"), Locale: v.chartLocale(), Colours: slaColours,
		Keys:  []string{v.T("dashboard.sla.on_time"), v.T("dashboard.sla.at_risk"), v.T("dashboard.sla.breached")},
		Empty: v.T("dashboard.chart.no_open_client")}, sla)
	for i, n := range o.ByPriority {
		pg.Priority = append(pg.Priority, reportRow{Head: ticket.Priority(i + 1).String(), Cells: []string{strconv.Itoa(n)}})
	}
	names := map[int64]string{d.Client.ID: d.Client.Name}
	pg.Quotas = quotaRows(v, f, d.Quotas, names)
	if d.Renewal != nil {
		rn := renewalRow(v, f, *d.Renewal, d.Client.Name)
		pg.Renewal = &rn
	}
	return pg
}

// sparks draws the monthly sparklines of a client: tickets opened and
// closed, TTR compliance and hard problems, the running month lighter.
func sparks(v *view, months []report.Monthly) []dashSpark {
	loc := v.chartLocale()
	series := []struct {
		key  string
		unit chart.Unit
		val  func(m report.Monthly) *float64
	}{
		{"dashboard.spark.opened", chart.Count, func(m report.Monthly) *float64 { x := float64(m.Tickets.Opened); return &x }},
		{"dashboard.spark.closed", chart.Count, func(m report.Monthly) *float64 { x := float64(m.Tickets.Closed); return &x }},
		{"dashboard.spark.ttr", chart.Percent, func(m report.Monthly) *float64 { return m.Tickets.TTR.Percent }},
		{"dashboard.spark.alerts", chart.Count, func(m report.Monthly) *float64 { x := float64(m.Alerts.Count); return &x }},
	}
	last := months[len(months)-1]
	var out []dashSpark
	for i, s := range series {
		pts := make([]chart.SparkPoint, len(months))
		for j, m := range months {
			pts[j] = chart.SparkPoint{Label: loc.Months[m.Period.From.Month()-1], Value: s.val(m)}
		}
		label := v.T(s.key)
		out = append(out, dashSpark{Label: label, SVG: chart.Sparkline(chart.SparkOptions{Title: label, Unit: s.unit, Locale: loc,
			Colour: chart.Colour(i), LastPartial: last.Period.SoFar}, pts)})
	}
	return out
}
