package web

import (
	"bytes"
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
	"github.com/vigie-hq/vigie/internal/reportpdf"
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
}

// reportRequest is what the three report routes share: the client, its
// zone, the period asked and the language of the caller.
type reportRequest struct {
	c      client.Client
	s      tenant.Scope
	v      *view
	loc    *time.Location
	period string
}

// reportClient loads the client (a client the caller may not read is not
// found) and the period asked, the last complete month by default.
func (h *Handler) reportClient(w http.ResponseWriter, r *http.Request) (reportRequest, bool) {
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
	period := strings.TrimSpace(r.URL.Query().Get("period"))
	if period == "" {
		now := h.now().In(loc)
		period = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc).AddDate(0, -1, 0).Format("2006-01")
	}
	return reportRequest{c: c, s: s, v: h.view(w, r, "clients"), loc: loc, period: period}, true
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
	d := reportPage{Client: rq.c, Period: rq.period, Months: h.reportMonthOptions(v, rq.loc)}
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
func (h *Handler) reportDownloadFailed(w http.ResponseWriter, r *http.Request, v *view, err error) {
	if msg := v.periodError(err); msg != "" {
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	h.fail(w, r, err)
}

func (h *Handler) reportPDF(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.reportClient(w, r)
	if !ok {
		return
	}
	m, ct, err := h.figures(rq, r)
	if err != nil {
		h.reportDownloadFailed(w, r, rq.v, err)
		return
	}
	opts := reportpdf.Options{Texts: h.msg, Lang: rq.v.Lang, Client: rq.c.Name, Generated: h.now(), Location: rq.loc}
	if ct != nil {
		opts.AvailabilityTarget = ct.Availability
	}
	pr := rq.v.Provider
	opts.Provider = pr.Name
	// reportpdf draws PNG and JPEG only: an SVG logo is left out.
	if len(pr.Logo) > 0 && (pr.LogoType == "image/png" || pr.LogoType == "image/jpeg") {
		opts.Logo, opts.LogoType = pr.Logo, pr.LogoType
	}
	var buf bytes.Buffer
	if err := reportpdf.Render(&buf, m, opts); err != nil {
		h.fail(w, r, fmt.Errorf("render report of client %d: %w", rq.c.ID, err))
		return
	}
	h.reportAttachment(w, rq, "application/pdf", "pdf", buf.Bytes())
}

func (h *Handler) reportCSV(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.reportClient(w, r)
	if !ok {
		return
	}
	m, _, err := h.figures(rq, r)
	if err != nil {
		h.reportDownloadFailed(w, r, rq.v, err)
		return
	}
	h.reportAttachment(w, rq, "text/csv; charset=utf-8", "csv", m.CSV())
}

// reportAttachment sends a report file named after the client's code and
// the period ("rapport-ACME-2026-10.pdf").
func (h *Handler) reportAttachment(w http.ResponseWriter, rq reportRequest, contentType, ext string, body []byte) {
	name := rq.v.T("reportweb.file") + "-" + fileSafe(rq.c.Code) + "-" + fileSafe(rq.period) + "." + ext
	hd := w.Header()
	hd.Set("Content-Type", contentType)
	hd.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	hd.Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

// fileSafe keeps the letters, digits, dashes and underscores of s, for a
// file name in a header.
func fileSafe(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c < 128 && (c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			b.WriteRune(c)
		}
	}
	if b.Len() == 0 {
		return "client"
	}
	return b.String()
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
