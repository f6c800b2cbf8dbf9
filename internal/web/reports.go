package web

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/chart"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/reportdoc"
	"github.com/vigie-hq/vigie/internal/router"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// reportMonths is how many months the report page offers: the running one
// and the twelve before it.
const reportMonths = 13

// registerReports adds a client's monthly report page and its downloads.
// Whoever may read the client (its staff, its admin and users in the
// portal) may read its report; the figures come from report.Figures only.
func (h *Handler) registerReports(rt *router.Router) {
	if h.d.Reports == nil {
		return
	}
	rt.HandleFunc("GET /clients/{id}/reports", h.reportShow)
	rt.HandleFunc("GET /clients/{id}/reports/pdf", h.reportPDF)
	rt.HandleFunc("GET /clients/{id}/reports/csv", h.reportCSV)
	rt.HandleFunc("GET /clients/{id}/reports/daily", h.reportDailyShow)
	rt.HandleFunc("GET /clients/{id}/reports/daily/pdf", h.reportDailyFile(false))
	rt.HandleFunc("GET /clients/{id}/reports/daily/csv", h.reportDailyFile(true))
	rt.HandleFunc("GET /clients/{id}/reports/annual", h.reportAnnualShow)
	rt.HandleFunc("GET /clients/{id}/reports/annual/pdf", h.reportAnnualFile(false))
	rt.HandleFunc("GET /clients/{id}/reports/annual/csv", h.reportAnnualFile(true))
}

// reportBuilder makes the report documents as the scheduler does, so that
// a download is the document the scheduler would make at that instant.
func (h *Handler) reportBuilder() reportdoc.Builder {
	b := reportdoc.Builder{Store: h.d.Reports, Clients: h.d.Clients, Provider: h.d.Provider, Texts: h.msg, Now: h.now}
	if h.d.Contracts != nil {
		b.Contracts = h.d.Contracts
	}
	return b
}

// ReportsOn reports whether the report pages are served.
func (v *view) ReportsOn() bool { return v.h.d.Reports != nil }

// reportTile is one key indicator.
type reportTile struct {
	Label, Value, Detail string
}

// reportRow is a row of a table: a heading cell and values.
type reportRow struct {
	Head  string
	Cells []string
	// Bar is an optional gauge drawn after the cells.
	Bar template.HTML
	// Badge and BadgeClass mark an availability against the target.
	Badge, BadgeClass string
}

// reportPage is the data of GET /clients/{id}/reports.
type reportPage struct {
	Client client.Client
	Nav    reportKindsNav
	Period string // YYYY-MM asked
	Months []option
	// Error is the message of a period that cannot be reported.
	Error string
	// Shown is false when no figures could be computed (bad period).
	Shown       bool
	M           report.Monthly
	Span        string // "du 01/10/2026 au 31/10/2026"
	SoFar       string // set while the month runs
	HasContract bool
	Contract    string // the reference of the contract in force
	Target      string // the availability target, "—" without a contract
	PDF, CSV    string
	Tiles       []reportTile
	Priorities  []reportRow
	Types       []reportRow
	Categories  []reportRow
	Available   []reportRow
	Backups     []reportRow
	Recurring   []reportRow
	Time        []reportRow
	Capacity    []reportRow
	Outside     []reportRow
	OutsideTime string
	// Support compares the support time with the contract (report.Support);
	// SupportNote explains its absence.
	Support     []reportRow
	SupportNote string
}

// reportRequest is what the three report routes share: the client, its
// zone, the period asked and the language of the caller.
type reportRequest struct {
	c      client.Client
	s      tenant.Scope
	v      *view
	loc    *time.Location
	period string
	bad    string // the message key of a bad period
}

// reportClient loads the client (a client the caller may not read is not
// found) and the period asked, the last complete month by default.
func (h *Handler) reportClient(w http.ResponseWriter, r *http.Request) (reportRequest, bool) {
	return h.reportClientFor(w, r, "period", "reportweb.bad_period", func(now time.Time) string {
		return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location()).AddDate(0, -1, 0).Format("2006-01")
	})
}

// reportClientFor loads the client and the period in the query parameter
// param, def(now in the client's zone) when it is empty; bad is the message
// key of a period that cannot be reported.
func (h *Handler) reportClientFor(w http.ResponseWriter, r *http.Request, param, bad string, def func(now time.Time) string) (reportRequest, bool) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return reportRequest{}, false
	}
	if !s.CanOn(tenant.ClientRead, c.ID) {
		h.notFound(w, r)
		return reportRequest{}, false
	}
	loc := contract.Location(c)
	if l, err := time.LoadLocation(c.TimeZone); err == nil && c.TimeZone != "" {
		loc = l
	}
	period := strings.TrimSpace(r.URL.Query().Get(param))
	if period == "" {
		period = def(h.now().In(loc))
	}
	return reportRequest{c: c, s: s, v: h.view(w, r, "clients"), loc: loc, period: period, bad: bad}, true
}

// figures computes the report of the request's period with the
// availability target of the contract in force at its end (0: none).
func (h *Handler) figures(rq reportRequest, r *http.Request) (report.Monthly, *contractTarget, error) {
	now := h.now()
	p, err := report.ParsePeriod(report.KindMonth, rq.period, rq.loc)
	if err != nil {
		return report.Monthly{}, nil, err
	}
	m, err := report.Figures(r.Context(), h.d.Reports, rq.c.ID, p, now)
	if err != nil {
		return report.Monthly{}, nil, err
	}
	var ct *contractTarget
	if h.d.Contracts != nil {
		x, found, err := h.d.Contracts.InForce(r.Context(), rq.s, rq.c.ID, m.Period.Until.Add(-time.Second))
		if err != nil {
			return report.Monthly{}, nil, err
		}
		if found {
			ct = &contractTarget{Reference: x.Reference, Availability: x.Availability}
		}
	}
	return m, ct, nil
}

// contractTarget is what a report takes of the contract in force.
type contractTarget struct {
	Reference    string
	Availability float64
}

// periodError is the message of a period that cannot be reported, or ""
// when err is another failure.
func (v *view) periodError(err error) string {
	if _, ok := fault.AsInvalid(err); ok {
		return v.T("reportweb.bad_period")
	}
	return ""
}

func (h *Handler) reportShow(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.reportClient(w, r)
	if !ok {
		return
	}
	v := rq.v
	d := reportPage{Client: rq.c, Nav: reportKindsNav{ClientID: rq.c.ID, Current: report.DocMonthly}, Period: rq.period, Months: h.reportMonthOptions(v, rq.loc)}
	m, ct, err := h.figures(rq, r)
	if err != nil {
		msg := v.periodError(err)
		if msg == "" {
			h.fail(w, r, err)
			return
		}
		d.Error = msg
		h.render(w, v, http.StatusBadRequest, "report", d)
		return
	}
	d.fill(v, m, ct, rq.loc)
	q := url.Values{"period": {rq.period}}.Encode()
	d.PDF = fmt.Sprintf("/clients/%d/reports/pdf?%s", rq.c.ID, q)
	d.CSV = fmt.Sprintf("/clients/%d/reports/csv?%s", rq.c.ID, q)
	h.render(w, v, http.StatusOK, "report", d)
}

// reportMonthOptions lists the months offered, the running one first.
func (h *Handler) reportMonthOptions(v *view, loc *time.Location) []option {
	now := h.now().In(loc)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	out := make([]option, 0, reportMonths)
	for i := range reportMonths {
		m := first.AddDate(0, -i, 0)
		label := v.T("reportpdf.month."+strconv.Itoa(int(m.Month()))) + " " + strconv.Itoa(m.Year())
		if i == 0 {
			label = v.T("reportweb.running", label)
		}
		out = append(out, option{Value: m.Format("2006-01"), Label: label})
	}
	return out
}

// reportDownloadFailed answers a download that cannot be computed: the page's
// message with 400 for a bad period, the error page otherwise.
func (h *Handler) reportDownloadFailed(w http.ResponseWriter, r *http.Request, rq reportRequest, err error) {
	if _, bad := fault.AsInvalid(err); bad {
		http.Error(w, rq.v.T(rq.bad), http.StatusBadRequest)
		return
	}
	h.fail(w, r, err)
}

func (h *Handler) reportPDF(w http.ResponseWriter, r *http.Request) {
	h.reportMonthlyFile(w, r, false)
}

func (h *Handler) reportCSV(w http.ResponseWriter, r *http.Request) {
	h.reportMonthlyFile(w, r, true)
}

// reportMonthlyFile sends the monthly report's PDF or CSV, made by the
// monthly generator.
func (h *Handler) reportMonthlyFile(w http.ResponseWriter, r *http.Request, csv bool) {
	rq, ok := h.reportClient(w, r)
	if !ok {
		return
	}
	p, err := report.ParsePeriod(report.KindMonth, rq.period, rq.loc)
	if err != nil {
		h.reportDownloadFailed(w, r, rq, err)
		return
	}
	h.reportDocument(w, r, rq, h.reportBuilder().Monthly(), p, csv)
}

// reportDocument generates a document and sends its PDF or its CSV.
func (h *Handler) reportDocument(w http.ResponseWriter, r *http.Request, rq reportRequest, gen report.Generator, p report.Period, csv bool) {
	doc, err := gen(r.Context(), report.Request{ClientID: rq.c.ID, Period: p, Lang: rq.v.Lang, Now: h.now()})
	if err != nil {
		h.reportDownloadFailed(w, r, rq, err)
		return
	}
	if csv {
		h.reportFile(w, doc.Name+".csv", "text/csv; charset=utf-8", doc.CSV)
		return
	}
	h.reportFile(w, doc.Name+".pdf", "application/pdf", doc.PDF)
}

// reportFile sends a report file as an attachment.
func (h *Handler) reportFile(w http.ResponseWriter, name, contentType string, body []byte) {
	hd := w.Header()
	hd.Set("Content-Type", contentType)
	hd.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	hd.Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

// fill lays out the figures: tiles, tables and gauges. It counts nothing.
func (d *reportPage) fill(v *view, m report.Monthly, ct *contractTarget, loc *time.Location) {
	d.Shown, d.M = true, m
	f := reportFormat{v: v, loc: loc}
	last := m.Period.To.Add(-time.Nanosecond)
	d.Span = v.T("reportpdf.period_range", f.date(m.Period.From), f.date(last))
	if m.Period.SoFar {
		d.SoFar = v.T("reportpdf.so_far", f.dateTime(m.Period.Until))
	}
	d.Target = "—"
	target := 0.0
	if ct != nil {
		d.HasContract, d.Contract, target = true, ct.Reference, ct.Availability
		d.Target = f.percent(target)
	}
	t := m.Tickets
	d.Tiles = []reportTile{
		{Label: v.T("reportpdf.kpi.opened"), Value: strconv.Itoa(t.Opened)},
		{Label: v.T("reportpdf.kpi.closed"), Value: strconv.Itoa(t.Closed)},
		{Label: v.T("reportpdf.kpi.mtto"), Value: f.minutes(t.MeanToOwnMinutes)},
		{Label: v.T("reportpdf.kpi.mttr"), Value: f.minutes(t.MeanToResolveMinutes)},
		{Label: v.T("reportpdf.kpi.tto"), Value: f.pct(t.TTO.Percent), Detail: v.T("reportweb.of", t.TTO.Met, t.TTO.Total)},
		{Label: v.T("reportpdf.kpi.ttr"), Value: f.pct(t.TTR.Percent), Detail: v.T("reportweb.of", t.TTR.Met, t.TTR.Total)},
		{Label: v.T("reportpdf.kpi.backlog"), Value: strconv.Itoa(t.Backlog)},
		{Label: v.T("reportpdf.kpi.reopen"), Value: f.pct(t.Reopen.Percent), Detail: v.T("reportweb.of", t.Reopen.Part, t.Reopen.Whole)},
		{Label: v.T("reportpdf.kpi.satisfaction"), Value: f.average(m.Satisfaction.Average), Detail: v.T("reportweb.ratings", m.Satisfaction.Count)},
		{Label: v.T("reportpdf.kpi.alerts"), Value: strconv.Itoa(m.Alerts.Count), Detail: v.T("reportweb.in_maintenance", m.Alerts.InMaintenance)},
		{Label: v.T("reportpdf.kpi.backups"), Value: f.pct(m.Backups.Success.Percent), Detail: v.T("reportweb.of", m.Backups.Success.Part, m.Backups.Success.Whole)},
	}
	most := 0
	for _, c := range t.ByPriority {
		most = max(most, c.Opened, c.Closed)
	}
	for _, c := range t.ByPriority {
		share := 0.0
		if most > 0 {
			share = 100 * float64(c.Opened) / float64(most)
		}
		// A neutral gauge (never amber or red): more tickets is no alarm.
		d.Priorities = append(d.Priorities, reportRow{Head: c.Key, Cells: []string{strconv.Itoa(c.Opened), strconv.Itoa(c.Closed)},
			Bar: chart.Bar(share, 101, 101, v.T("reportweb.bar.opened", c.Key, c.Opened))})
	}
	for _, c := range t.ByType {
		d.Types = append(d.Types, reportRow{Head: v.T("reportpdf.type." + c.Key), Cells: []string{strconv.Itoa(c.Opened), strconv.Itoa(c.Closed)}})
	}
	for _, c := range t.ByCategory {
		name := c.Label
		if c.Key == "0" || name == "" {
			name = v.T("reportpdf.no_category")
		}
		d.Categories = append(d.Categories, reportRow{Head: name, Cells: []string{strconv.Itoa(c.Opened), strconv.Itoa(c.Closed)}})
	}
	for _, a := range m.Availability {
		row := reportRow{Head: a.Asset, Cells: []string{strconv.Itoa(a.Checks), f.pct(a.Percent), f.duration(a.DownMinutes), f.duration(a.MaintenanceMinutes), f.duration(a.NoDataMinutes), d.Target}}
		if a.Percent != nil {
			row.Bar = chart.Bar(*a.Percent, 101, 101, a.Asset+" "+f.percent(*a.Percent))
		}
		if target > 0 {
			switch {
			case a.Percent == nil:
				row.Badge, row.BadgeClass = v.T("reportpdf.badge.none"), "badge-archived"
			case *a.Percent >= target:
				row.Badge, row.BadgeClass = v.T("reportpdf.badge.met"), "badge-active"
			default:
				row.Badge, row.BadgeClass = v.T("reportpdf.badge.missed"), "badge-danger"
			}
		}
		d.Available = append(d.Available, row)
	}
	for _, j := range m.Backups.Jobs {
		run := v.T("reportpdf.run.none")
		if j.LastRun != nil {
			state := v.T("reportpdf.run.failed")
			if j.LastRunOK {
				state = v.T("reportpdf.run.ok")
			}
			run = f.dateTime(*j.LastRun) + " (" + state + ")"
		}
		restore := v.T("reportpdf.restore.none")
		if rs := j.LastRestore; rs != nil {
			restore = f.date(rs.At) + " (" + v.T("reportpdf.restore."+rs.Result) + ")"
			if rs.Scope != "" {
				restore += " — " + rs.Scope
			}
		}
		d.Backups = append(d.Backups, reportRow{Head: j.Asset + " / " + j.Check, Cells: []string{f.ratio(j.Success), run, restore}})
	}
	for _, rc := range m.Alerts.Recurring {
		d.Recurring = append(d.Recurring, reportRow{Head: rc.Asset, Cells: []string{rc.Check, strconv.Itoa(rc.Problems)}})
	}
	for _, c := range m.Capacity {
		left := v.T("reportpdf.capacity.not_growing")
		if c.DaysLeft != nil {
			left = v.T("reportpdf.capacity.days", f.number(*c.DaysLeft, 0))
		}
		d.Capacity = append(d.Capacity, reportRow{Head: c.Asset, Cells: []string{c.Mount, f.percent(c.UsedPercent),
			v.T("reportpdf.capacity.growth", f.number(c.GrowthPerDay, 2)), left},
			Bar: chart.Bar(c.UsedPercent, 80, 90, c.Asset+" "+c.Mount+" "+f.percent(c.UsedPercent))})
	}
	for _, o := range m.OutOfPerimeter.Tickets {
		d.Outside = append(d.Outside, reportRow{Head: "#" + strconv.FormatInt(o.ID, 10), Cells: []string{o.Title, f.reason(o.Reason), o.Priority.String(), f.duration(float64(o.Minutes))}})
	}
	d.OutsideTime = v.T("reportpdf.out_of_perimeter.total", f.duration(float64(m.OutOfPerimeter.TotalMinutes)), f.duration(float64(m.OutOfPerimeter.BillableMinutes)))
	d.fillSupport(v, f, m.Support)
	tm := m.Time
	d.Time = []reportRow{
		{Head: v.T("reportpdf.time.total"), Cells: []string{f.duration(float64(tm.TotalMinutes))}},
		{Head: v.T("reportpdf.time.billable"), Cells: []string{f.duration(float64(tm.BillableMinutes))}},
		{Head: v.T("reportpdf.time.non_billable"), Cells: []string{f.duration(float64(tm.NonBillableMinutes))}},
		{Head: v.T("reportpdf.time.on_site", tm.OnSiteEntries), Cells: []string{f.duration(float64(tm.OnSiteMinutes))}},
		{Head: v.T("reportpdf.time.travel"), Cells: []string{f.duration(float64(tm.TravelMinutes))}},
		{Head: v.T("reportpdf.time.entries"), Cells: []string{strconv.Itoa(tm.Entries)}},
		{Head: v.T("reportpdf.time.tickets"), Cells: []string{strconv.Itoa(tm.Tickets)}},
	}
}

// fillSupport lays out the support time against the contract: a tile and
// the rows of its section, with the level's badge.
func (d *reportPage) fillSupport(v *view, f reportFormat, s report.Support) {
	dur := func(min int) string { return f.duration(float64(min)) }
	outside := reportRow{Head: v.T("reportpdf.support.out_of_perimeter"), Cells: []string{dur(s.OutOfPerimeterBillableMinutes)}}
	if !s.Measured() {
		d.SupportNote = v.T("reportpdf.support." + s.Status)
		d.Support = []reportRow{outside}
		return
	}
	badge := func(l contract.Level) (string, string) {
		class := "badge-active"
		switch l {
		case contract.LevelWarning:
			class = "badge-warn"
		case contract.LevelExhausted:
			class = "badge-danger"
		}
		return v.T("reportpdf.support.level." + string(l)), class
	}
	consumed, included := "reportpdf.support.consumed", v.T("reportpdf.support.included_months", s.Months)
	if s.Mode == contract.SupportPack {
		consumed, included = "reportpdf.support.consumed_pack", v.T("reportpdf.support.included_pack")
	}
	d.Support = []reportRow{{Head: v.T("reportpdf.support.contract"), Cells: []string{s.Reference}}, {Head: v.T(consumed), Cells: []string{dur(s.ConsumedMinutes)}}}
	tile := reportTile{Label: v.T("reportpdf.kpi.support"), Value: dur(s.ConsumedMinutes), Detail: v.T("reportpdf.support.included_none")}
	if s.IncludedMinutes > 0 {
		balance := dur(s.IncludedMinutes - s.ConsumedMinutes)
		if s.ConsumedMinutes > s.IncludedMinutes {
			balance = v.T("reportpdf.support.overrun", dur(s.ConsumedMinutes-s.IncludedMinutes))
		}
		level := reportRow{Head: v.T("reportpdf.support.percent"), Cells: []string{f.percent(float64(s.Percent))},
			Bar: chart.Bar(float64(s.Percent), 80, 100, v.T("reportpdf.support.percent")+" "+f.percent(float64(s.Percent)))}
		level.Badge, level.BadgeClass = badge(s.Level)
		d.Support = append(d.Support, reportRow{Head: included, Cells: []string{dur(s.IncludedMinutes)}}, level,
			reportRow{Head: v.T("reportpdf.support.balance"), Cells: []string{balance}})
		tile.Value = v.T("reportweb.support.tile", dur(s.ConsumedMinutes), dur(s.IncludedMinutes))
		tile.Detail = f.percent(float64(s.Percent)) + " — " + v.T("reportpdf.support.level."+string(s.Level))
	} else {
		d.Support = append(d.Support, reportRow{Head: v.T("reportpdf.support.included"), Cells: []string{v.T("reportpdf.support.included_none")}})
	}
	onSite := reportRow{Head: v.T("reportpdf.support.onsite"), Cells: []string{v.T("reportpdf.support.onsite_no_quota", s.OnSite)}}
	if s.OnSiteIncluded > 0 {
		onSite.Cells = []string{v.T("reportpdf.support.onsite_of", s.OnSite, s.OnSiteIncluded)}
		onSite.Badge, onSite.BadgeClass = badge(s.OnSiteLevel)
	}
	d.Support = append(d.Support, onSite, outside)
	d.Tiles = append(d.Tiles, tile)
}

// reportFormat writes the figures in the page's language and the client's
// zone: "99,89 %" and "99.89%", "4 j 9 h 40 min".
type reportFormat struct {
	v   *view
	loc *time.Location
}

// number writes v with at most dec decimals, trailing zeros dropped.
func (f reportFormat) number(x float64, dec int) string {
	s := strconv.FormatFloat(x, 'f', dec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if f.v.Lang == "fr" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

func (f reportFormat) percent(x float64) string {
	if f.v.Lang == "fr" {
		return f.number(x, 2) + "\u00a0%"
	}
	return f.number(x, 2) + "%"
}

func (f reportFormat) pct(x *float64) string {
	if x == nil || math.IsNaN(*x) {
		return "—"
	}
	return f.percent(*x)
}

func (f reportFormat) ratio(x report.Ratio) string {
	return f.pct(x.Percent) + " (" + f.v.T("reportweb.of", x.Part, x.Whole) + ")"
}

func (f reportFormat) average(x *float64) string {
	if x == nil {
		return "—"
	}
	return f.number(*x, 2) + " / 5"
}

func (f reportFormat) minutes(x *float64) string {
	if x == nil {
		return "—"
	}
	return f.duration(*x)
}

// duration writes minutes as days, hours and minutes.
func (f reportFormat) duration(min float64) string {
	total := int64(math.Round(min))
	if total <= 0 {
		return "0 min"
	}
	days, hours, mins := total/(24*60), total/60%24, total%60
	var parts []string
	if days > 0 {
		parts = append(parts, strconv.FormatInt(days, 10)+" "+f.v.T("reportpdf.unit.day"))
	}
	if hours > 0 {
		parts = append(parts, strconv.FormatInt(hours, 10)+" h")
	}
	if mins > 0 {
		parts = append(parts, strconv.FormatInt(mins, 10)+" min")
	}
	return strings.Join(parts, " ")
}

func (f reportFormat) date(t time.Time) string {
	if f.v.Lang == "fr" {
		return t.In(f.loc).Format("02/01/2006")
	}
	return t.In(f.loc).Format("2006-01-02")
}

func (f reportFormat) dateTime(t time.Time) string {
	return f.v.T("reportpdf.at", f.date(t), t.In(f.loc).Format("15:04"))
}

// reason names a perimeter reason code as the PDF does.
func (f reportFormat) reason(code string) string {
	if code == "" {
		return "—"
	}
	key := "reportpdf.reason." + code
	if s := f.v.T(key); s != "["+key+"]" {
		return s
	}
	return code
}

// reportKindsNav links a client's three report pages.
type reportKindsNav struct {
	ClientID int64
	Current  string // report.DocDaily, DocMonthly or DocAnnual
}

// reportList is a titled table of a report page.
type reportList struct {
	ID, Title string
	Rows      []reportRow
}

// reportDailyPage is the data of GET /clients/{id}/reports/daily.
type reportDailyPage struct {
	Client client.Client
	Nav    reportKindsNav
	Day    string // YYYY-MM-DD asked
	Prev   string // the day before and after, for the arrows ("" past today)
	Next   string
	Error  string
	Shown  bool
	D      report.Daily
	Title  string
	SoFar  string
	PDF    string
	CSV    string
	Tiles  []reportTile
	Lists  []reportList // the tickets opened, then those resolved
	Alerts []reportRow
	Work   []reportRow
	Runs   []reportRow
}

func yesterday(now time.Time) string { return now.AddDate(0, 0, -1).Format(time.DateOnly) }

func (h *Handler) reportDailyShow(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.reportClientFor(w, r, "day", "reportweb.bad_day", yesterday)
	if !ok {
		return
	}
	v := rq.v
	pg := reportDailyPage{Client: rq.c, Nav: reportKindsNav{ClientID: rq.c.ID, Current: report.DocDaily}, Day: rq.period}
	p, err := report.ParsePeriod(report.KindDay, rq.period, rq.loc)
	var d report.Daily
	if err == nil {
		d, err = report.DailyFigures(r.Context(), h.d.Reports, rq.c.ID, p, h.now())
	}
	if err != nil {
		if _, bad := fault.AsInvalid(err); !bad {
			h.fail(w, r, err)
			return
		}
		pg.Error = v.T("reportweb.bad_day")
		h.render(w, v, http.StatusBadRequest, "report_daily", pg)
		return
	}
	pg.fill(v, d, rq.loc)
	pg.Prev = p.From.AddDate(0, 0, -1).Format(time.DateOnly)
	if next := p.From.AddDate(0, 0, 1); next.Before(h.now()) {
		pg.Next = next.Format(time.DateOnly)
	}
	q := url.Values{"day": {p.Label()}}.Encode()
	pg.PDF = fmt.Sprintf("/clients/%d/reports/daily/pdf?%s", rq.c.ID, q)
	pg.CSV = fmt.Sprintf("/clients/%d/reports/daily/csv?%s", rq.c.ID, q)
	h.render(w, v, http.StatusOK, "report_daily", pg)
}

// fill lays out the day's figures; it counts nothing.
func (pg *reportDailyPage) fill(v *view, d report.Daily, loc *time.Location) {
	f := reportFormat{v: v, loc: loc}
	pg.Shown, pg.D = true, d
	pg.Title = f.date(d.Period.From)
	if d.Period.SoFar {
		pg.SoFar = v.T("reportpdf.so_far", f.dateTime(d.Period.Until))
	}
	clock := func(t time.Time) string { return t.In(loc).Format("15:04") }
	pg.Tiles = []reportTile{
		{Label: v.T("reportpdf.kpi.opened"), Value: strconv.Itoa(len(d.Opened))},
		{Label: v.T("reportpdf.kpi.closed"), Value: strconv.Itoa(len(d.Closed))},
		{Label: v.T("reportpdf.kpi.alerts"), Value: strconv.Itoa(d.AlertCount), Detail: v.T("reportweb.in_maintenance", d.InMaintenance)},
		{Label: v.T("reportpdf.daily.kpi.time"), Value: f.duration(float64(d.Time.TotalMinutes)), Detail: v.T("reportweb.daily_on_site", f.duration(float64(d.Time.OnSiteMinutes)), d.Time.OnSiteEntries)},
		{Label: v.T("reportpdf.kpi.backups"), Value: f.pct(d.BackupSuccess.Percent), Detail: v.T("reportweb.of", d.BackupSuccess.Part, d.BackupSuccess.Whole)},
	}
	tickets := func(ts []report.DayTicket) []reportRow {
		var out []reportRow
		for _, t := range ts {
			title := t.Title
			if t.OutOfPerimeter {
				title += " (" + v.T("reportpdf.daily.out_of_perimeter") + ")"
			}
			out = append(out, reportRow{Head: "#" + strconv.FormatInt(t.ID, 10), Cells: []string{title, v.T("reportpdf.type." + string(t.Type)),
				t.Priority.String(), v.T("reportpdf.daily.status." + string(t.Status))}})
		}
		return out
	}
	pg.Lists = []reportList{
		{ID: "daily-opened", Title: v.T("reportpdf.daily.opened"), Rows: tickets(d.Opened)},
		{ID: "daily-closed", Title: v.T("reportpdf.daily.closed"), Rows: tickets(d.Closed)},
	}
	for _, a := range d.Alerts {
		state := v.T("reportpdf.daily.state." + a.State)
		if a.Maintenance {
			state += " (" + v.T("reportpdf.daily.maintenance") + ")"
		}
		pg.Alerts = append(pg.Alerts, reportRow{Head: clock(a.At), Cells: []string{a.Asset, a.Check, state}})
	}
	for _, e := range d.Interventions {
		where := v.T("reportpdf.daily.remote")
		if e.OnSite {
			where = v.T("reportpdf.daily.on_site")
		}
		pg.Work = append(pg.Work, reportRow{Head: clock(e.Start), Cells: []string{e.Technician, "#" + strconv.FormatInt(e.TicketID, 10) + " " + e.Ticket,
			f.duration(float64(e.Minutes)), where}})
	}
	for _, b := range d.Backups {
		state, class := v.T("reportpdf.run.failed"), "badge-danger"
		if b.OK {
			state, class = v.T("reportpdf.run.ok"), "badge-active"
		}
		pg.Runs = append(pg.Runs, reportRow{Head: clock(b.At), Cells: []string{b.Asset + " / " + b.Check}, Badge: state, BadgeClass: class})
	}
}

// reportDailyFile sends the daily summary's PDF or CSV.
func (h *Handler) reportDailyFile(csv bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rq, ok := h.reportClientFor(w, r, "day", "reportweb.bad_day", yesterday)
		if !ok {
			return
		}
		p, err := report.ParsePeriod(report.KindDay, rq.period, rq.loc)
		if err != nil {
			h.reportDownloadFailed(w, r, rq, err)
			return
		}
		h.reportDocument(w, r, rq, h.reportBuilder().Daily(), p, csv)
	}
}

// reportAnnualPage is the data of GET /clients/{id}/reports/annual.
type reportAnnualPage struct {
	Client     client.Client
	Nav        reportKindsNav
	Year       string
	Years      []option
	Error      string
	Shown      bool
	A          report.Annual
	SoFar      string
	PDF        string
	CSV        string
	YearLabel  string
	PrevLabel  string // "" without a year before
	Summary    []reportRow
	Months     []reportRow
	Tickets    template.HTML
	Compliance template.HTML
	MTTR       template.HTML
	Evolutions []reportRow
}

func thisYear(now time.Time) string { return strconv.Itoa(now.Year()) }

func (h *Handler) reportAnnualShow(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.reportClientFor(w, r, "year", "reportweb.bad_year", thisYear)
	if !ok {
		return
	}
	v := rq.v
	pg := reportAnnualPage{Client: rq.c, Nav: reportKindsNav{ClientID: rq.c.ID, Current: report.DocAnnual}, Year: rq.period}
	now := h.now().In(rq.loc)
	for y := now.Year(); y > now.Year()-5; y-- {
		pg.Years = append(pg.Years, option{Value: strconv.Itoa(y), Label: strconv.Itoa(y)})
	}
	p, err := report.ParsePeriod(report.KindYear, rq.period, rq.loc)
	var a report.Annual
	if err == nil {
		a, err = report.AnnualFigures(r.Context(), h.d.Reports, rq.c.ID, p, h.now())
	}
	if err != nil {
		if _, bad := fault.AsInvalid(err); !bad {
			h.fail(w, r, err)
			return
		}
		pg.Error = v.T("reportweb.bad_year")
		h.render(w, v, http.StatusBadRequest, "report_annual", pg)
		return
	}
	pg.fill(v, a, rq.loc)
	q := url.Values{"year": {p.Label()}}.Encode()
	pg.PDF = fmt.Sprintf("/clients/%d/reports/annual/pdf?%s", rq.c.ID, q)
	pg.CSV = fmt.Sprintf("/clients/%d/reports/annual/csv?%s", rq.c.ID, q)
	h.render(w, v, http.StatusOK, "report_annual", pg)
}

// fill lays out the year's figures and charts; it counts nothing.
func (pg *reportAnnualPage) fill(v *view, a report.Annual, loc *time.Location) {
	f := reportFormat{v: v, loc: loc}
	pg.Shown, pg.A, pg.YearLabel = true, a, a.Year.Label
	if a.Period.SoFar {
		pg.SoFar = v.T("reportpdf.annual.so_far", f.dateTime(a.Period.Until))
	}
	comp := func(c report.Compliance) string {
		return f.pct(c.Percent) + " (" + v.T("reportweb.of", c.Met, c.Total) + ")"
	}
	type fig struct {
		label string
		of    func(s report.YearSummary) string
	}
	figs := []fig{
		{v.T("reportpdf.kpi.opened"), func(s report.YearSummary) string { return strconv.Itoa(s.Opened) }},
		{v.T("reportpdf.kpi.closed"), func(s report.YearSummary) string { return strconv.Itoa(s.Closed) }},
		{v.T("reportpdf.kpi.mtto"), func(s report.YearSummary) string { return f.minutes(s.MeanToOwnMinutes) }},
		{v.T("reportpdf.kpi.mttr"), func(s report.YearSummary) string { return f.minutes(s.MeanToResolveMinutes) }},
		{v.T("reportpdf.kpi.tto"), func(s report.YearSummary) string { return comp(s.TTO) }},
		{v.T("reportpdf.kpi.ttr"), func(s report.YearSummary) string { return comp(s.TTR) }},
		{v.T("reportpdf.annual.backlog_end"), func(s report.YearSummary) string { return strconv.Itoa(s.Backlog) }},
		{v.T("reportpdf.annual.availability"), func(s report.YearSummary) string { return f.pct(s.Availability) }},
		{v.T("reportpdf.kpi.satisfaction"), func(s report.YearSummary) string { return f.average(s.Satisfaction) }},
		{v.T("reportpdf.time.total"), func(s report.YearSummary) string { return f.duration(float64(s.TotalMinutes)) }},
		{v.T("reportpdf.annual.alerts"), func(s report.YearSummary) string { return strconv.Itoa(s.Alerts) }},
		{v.T("reportpdf.kpi.backups"), func(s report.YearSummary) string { return f.pct(s.BackupSuccess) }},
		{v.T("reportpdf.annual.out_of_perimeter"), func(s report.YearSummary) string { return strconv.Itoa(s.OutOfPerimeter) }},
	}
	if a.Previous != nil {
		pg.PrevLabel = a.Previous.Label
	}
	for _, x := range figs {
		row := reportRow{Head: x.label, Cells: []string{x.of(a.Year)}}
		if a.Previous != nil {
			row.Cells = append(row.Cells, x.of(*a.Previous))
		}
		pg.Summary = append(pg.Summary, row)
	}
	var opened, closed, tto, ttr, avail, mttr chart.Series
	opened.Name, closed.Name = v.T("reportpdf.col.opened"), v.T("reportpdf.col.closed")
	tto.Name, ttr.Name, avail.Name = v.T("reportpdf.kpi.tto"), v.T("reportpdf.kpi.ttr"), v.T("reportpdf.annual.availability")
	mttr.Name = v.T("reportpdf.kpi.mttr")
	point := func(t time.Time, x float64) chart.Point { return chart.Point{T: t, Min: x, Avg: x, Max: x} }
	add := func(s *chart.Series, t time.Time, x *float64, scale float64) {
		if x != nil {
			s.Points = append(s.Points, point(t, *x*scale))
		}
	}
	for _, m := range a.Months {
		start, err := time.ParseInLocation("2006-01", m.Label, loc)
		if err != nil {
			continue
		}
		mid := start.AddDate(0, 0, 14)
		opened.Points = append(opened.Points, point(mid, float64(m.Opened)))
		closed.Points = append(closed.Points, point(mid, float64(m.Closed)))
		add(&tto, mid, m.TTO.Percent, 1)
		add(&ttr, mid, m.TTR.Percent, 1)
		add(&avail, mid, m.Availability, 1)
		add(&mttr, mid, m.MeanToResolveMinutes, 60)
		label := v.T("reportpdf.month."+strconv.Itoa(int(start.Month()))) + " " + strconv.Itoa(start.Year())
		if m.SoFar {
			label = v.T("reportweb.running", label)
		}
		pg.Months = append(pg.Months, reportRow{Head: label, Cells: []string{strconv.Itoa(m.Opened), strconv.Itoa(m.Closed),
			f.minutes(m.MeanToResolveMinutes), comp(m.TTO), comp(m.TTR), strconv.Itoa(m.Backlog), f.pct(m.Availability)}})
	}
	o := chart.Options{From: a.Period.From, To: a.Period.To, Loc: loc, Locale: v.chartLocale(), Step: 31 * 24 * time.Hour,
		Empty: v.T("reportpdf.annual.no_data"), Height: 200}
	o.Title, o.Unit = v.T("reportpdf.annual.chart.tickets"), chart.Count
	pg.Tickets = chart.Render(o, []chart.Series{opened, closed})
	o.Title, o.Unit = v.T("reportpdf.annual.chart.compliance"), chart.Percent
	pg.Compliance = chart.Render(o, []chart.Series{tto, ttr, avail})
	o.Title, o.Unit = v.T("reportpdf.kpi.mttr"), chart.Seconds
	pg.MTTR = chart.Render(o, []chart.Series{mttr})
	for _, e := range a.Evolutions {
		pg.Evolutions = append(pg.Evolutions, reportRow{Head: "#" + strconv.FormatInt(e.ID, 10), Cells: []string{e.Title, e.Priority.String(),
			f.date(e.Created), v.T("reportpdf.daily.status." + string(e.Status))}})
	}
}

// reportAnnualFile sends the annual report's PDF or CSV.
func (h *Handler) reportAnnualFile(csv bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rq, ok := h.reportClientFor(w, r, "year", "reportweb.bad_year", thisYear)
		if !ok {
			return
		}
		p, err := report.ParsePeriod(report.KindYear, rq.period, rq.loc)
		if err != nil {
			h.reportDownloadFailed(w, r, rq, err)
			return
		}
		h.reportDocument(w, r, rq, h.reportBuilder().Annual(), p, csv)
	}
}

// reportTab is one tab of a client's reports.
type reportTab struct {
	Href, Label string
	Current     bool
}

// reportTabs is what the "report-tabs" partial draws.
type reportTabs struct {
	Label string
	Tabs  []reportTab
}

// ReportTabs returns the tabs of a client's report pages that are served
// (daily, monthly, review, annual, archive), current marking the page shown.
func (v *view) ReportTabs(clientID int64, current string) reportTabs {
	base := fmt.Sprintf("/clients/%d", clientID)
	var tabs []reportTab
	add := func(on bool, key, href, label string) {
		if on {
			tabs = append(tabs, reportTab{Href: base + href, Label: v.T(label), Current: key == current})
		}
	}
	add(v.ReportsOn(), "daily", "/reports/daily", "reportweb.kind.daily")
	add(v.ReportsOn(), "monthly", "/reports", "reportweb.kind.monthly")
	add(v.ReviewsOn(), "review", "/reviews", "review.title")
	add(v.ReportsOn(), "annual", "/reports/annual", "reportweb.kind.annual")
	add(v.ReportArchiveOn(), "archive", "/reports/archive", "reportarchive.link")
	return reportTabs{Label: v.T("reportweb.nav"), Tabs: tabs}
}
