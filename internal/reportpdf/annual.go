package reportpdf

import (
	"io"
	"math"
	"strconv"
	"time"

	"github.com/vigie-hq/vigie/internal/report"
)

// Colours of the annual trend lines.
var (
	ttoLine = [3]int{25, 118, 210}
	ttrLine = [3]int{239, 108, 0}
)

// RenderAnnual writes the PDF of an annual report to w: the summary page
// (the year's key figures against the year before), the monthly trends as
// charts and a table, the SLA compliance month by month and the evolution
// requests for the steering committee. Bad options are a fault.Invalid and
// nothing is written.
func RenderAnnual(w io.Writer, a report.Annual, opts Options) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	r, err := newRenderer(report.Monthly{ClientID: a.ClientID, Client: a.Client, Period: a.Period}, opts)
	if err != nil {
		return err
	}
	r.title = r.t("annual.title", a.Period.Label)
	r.pdf.SetTitle(r.title+" — "+r.o.Client, true)
	r.pdf.AddPage()
	r.titleBlock()
	r.annualSummary(a)
	r.pdf.AddPage()
	r.annualTrends(a)
	r.annualCompliance(a)
	r.evolutions(a)
	return r.finish(w)
}

// annualSummary is the first page: the key figures of the year, with the
// previous year's beside them when there is one.
func (r *renderer) annualSummary(a report.Annual) {
	y, prev := a.Year, a.Previous
	type fig struct {
		label string
		of    func(s report.YearSummary) string
	}
	figs := []fig{
		{r.t("kpi.opened"), func(s report.YearSummary) string { return strconv.Itoa(s.Opened) }},
		{r.t("kpi.closed"), func(s report.YearSummary) string { return strconv.Itoa(s.Closed) }},
		{r.t("kpi.mtto"), func(s report.YearSummary) string { return r.minutes(s.MeanToOwnMinutes) }},
		{r.t("kpi.mttr"), func(s report.YearSummary) string { return r.minutes(s.MeanToResolveMinutes) }},
		{r.t("kpi.tto"), func(s report.YearSummary) string { return r.compliance(s.TTO) }},
		{r.t("kpi.ttr"), func(s report.YearSummary) string { return r.compliance(s.TTR) }},
		{r.t("annual.backlog_end"), func(s report.YearSummary) string { return strconv.Itoa(s.Backlog) }},
		{r.t("annual.availability"), func(s report.YearSummary) string { return r.pct(s.Availability) }},
		{r.t("kpi.satisfaction"), func(s report.YearSummary) string {
			if s.Satisfaction == nil {
				return none
			}
			return r.number(*s.Satisfaction, 2) + " / 5"
		}},
		{r.t("time.total"), func(s report.YearSummary) string { return r.duration(float64(s.TotalMinutes)) }},
		{r.t("annual.alerts"), func(s report.YearSummary) string { return strconv.Itoa(s.Alerts) }},
		{r.t("kpi.backups"), func(s report.YearSummary) string { return r.pct(s.BackupSuccess) }},
		{r.t("annual.out_of_perimeter"), func(s report.YearSummary) string { return strconv.Itoa(s.OutOfPerimeter) }},
		{r.t("annual.evolutions"), func(report.YearSummary) string { return strconv.Itoa(len(a.Evolutions)) }},
	}
	r.heading(r.t("annual.summary"), 2*rowH)
	if a.Period.SoFar {
		r.note(r.t("annual.so_far", r.dateTime(a.Period.Until)))
	}
	head := []string{r.t("col.item"), y.Label}
	widths := []float64{contW - 50, 50}
	aligns := []string{"L", "R"}
	if prev != nil {
		head = append(head, prev.Label)
		widths = []float64{contW - 100, 50, 50}
		aligns = append(aligns, "R")
	}
	rows := make([][]string, 0, len(figs))
	for i, f := range figs {
		row := []string{f.label, f.of(y)}
		if prev != nil {
			v := none
			if i < len(figs)-1 { // the evolution requests are the year's only
				v = f.of(*prev)
			}
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	r.table(head, widths, aligns, rows, nil)
	if prev == nil {
		r.note(r.t("annual.no_previous"))
	}
}

// monthLabels are the months' short names.
func (r *renderer) monthLabels(a report.Annual) []string {
	out := make([]string, len(a.Months))
	for i, m := range a.Months {
		t, err := time.Parse("2006-01", m.Label)
		if err != nil {
			out[i] = m.Label
			continue
		}
		out[i] = r.t("annual.month_short." + strconv.Itoa(int(t.Month())))
	}
	return out
}

func (r *renderer) annualTrends(a report.Annual) {
	labels := r.monthLabels(a)
	r.heading(r.t("annual.trends"), 60)
	opened, closed := make([]float64, len(a.Months)), make([]float64, len(a.Months))
	for i, m := range a.Months {
		opened[i], closed[i] = float64(m.Opened), float64(m.Closed)
	}
	r.barPairs(r.t("annual.chart.tickets"), labels, opened, closed)

	mttr := make([]*float64, len(a.Months))
	avail := make([]*float64, len(a.Months))
	for i, m := range a.Months {
		if m.MeanToResolveMinutes != nil {
			h := *m.MeanToResolveMinutes / 60
			mttr[i] = &h
		}
		avail[i] = m.Availability
	}
	r.lines(r.t("annual.chart.mttr"), labels, [][]*float64{mttr}, [][3]int{accent}, []string{r.t("kpi.mttr")}, func(v float64) string { return r.number(v, 1) + " h" }, false)
	r.lines(r.t("annual.chart.availability"), labels, [][]*float64{avail}, [][3]int{green}, []string{r.t("annual.availability")}, r.percent, true)

	rows := make([][]string, len(a.Months))
	for i, m := range a.Months {
		label := labels[i]
		if m.SoFar {
			label += " *"
		}
		rows[i] = []string{label, strconv.Itoa(m.Opened), strconv.Itoa(m.Closed), r.minutes(m.MeanToResolveMinutes), strconv.Itoa(m.Backlog), r.pct(m.Availability)}
	}
	r.heading(r.t("annual.months"), 2*rowH)
	r.table([]string{r.t("annual.col.month"), r.t("col.opened"), r.t("col.closed"), r.t("annual.col.mttr"), r.t("annual.col.backlog"), r.t("col.availability")},
		[]float64{30, 22, 22, 46, 26, 34}, []string{"L", "R", "R", "R", "R", "R"}, rows, nil)
}

func (r *renderer) annualCompliance(a report.Annual) {
	labels := r.monthLabels(a)
	r.heading(r.t("annual.compliance"), 60)
	tto, ttr := make([]*float64, len(a.Months)), make([]*float64, len(a.Months))
	rows := make([][]string, len(a.Months))
	for i, m := range a.Months {
		tto[i], ttr[i] = m.TTO.Percent, m.TTR.Percent
		rows[i] = []string{labels[i], r.compliance(m.TTO), r.compliance(m.TTR)}
	}
	r.lines(r.t("annual.chart.compliance"), labels, [][]*float64{tto, ttr}, [][3]int{ttoLine, ttrLine},
		[]string{r.t("kpi.tto"), r.t("kpi.ttr")}, r.percent, true)
	r.table([]string{r.t("annual.col.month"), r.t("kpi.tto"), r.t("kpi.ttr")}, []float64{40, 70, 70}, []string{"L", "R", "R"}, rows, nil)
}

func (r *renderer) evolutions(a report.Annual) {
	r.heading(r.t("annual.evolution_requests"), 2*rowH)
	if len(a.Evolutions) == 0 {
		r.note(r.t("annual.none.evolutions"))
		return
	}
	rows := make([][]string, len(a.Evolutions))
	for i, e := range a.Evolutions {
		rows[i] = []string{"#" + strconv.FormatInt(e.ID, 10), e.Title, e.Priority.String(), r.date(e.Created), r.t("daily.status." + string(e.Status))}
	}
	r.table([]string{r.t("col.ticket"), r.t("col.title"), r.t("col.priority"), r.t("annual.col.asked"), r.t("daily.col.status")},
		[]float64{18, 82, 20, 25, 35}, []string{"L", "L", "C", "L", "L"}, rows, nil)
	r.note(r.t("annual.evolution_rule"))
}

// chartBox starts a chart: its title, and the plot's top-left corner and
// size under it.
func (r *renderer) chartBox(title string, h float64) (x, y, w float64) {
	r.ensure(h + 20)
	p := r.pdf
	p.Ln(2)
	r.font("B", 9)
	r.color(ink)
	r.cell(contW, 6, title, "", 1, "L", false, 0, "")
	return margin + 16, p.GetY() + 3, contW - 20
}

// axis draws a value axis from lo to hi (three ticks) and the month labels.
func (r *renderer) axis(x, y, w, h, lo, hi float64, labels []string, format func(float64) string) {
	p := r.pdf
	r.draw(rule)
	r.font("", 7)
	r.color(muted)
	for i := 0; i <= 2; i++ {
		v := lo + (hi-lo)*float64(i)/2
		ty := y + h - h*float64(i)/2
		p.Line(x, ty, x+w, ty)
		p.SetXY(margin, ty-2)
		r.cell(15, 4, format(v), "", 0, "R", false, 0, "")
	}
	step := w / float64(max(1, len(labels)))
	for i, l := range labels {
		p.SetXY(x+float64(i)*step, y+h+0.5)
		r.cell(step, 4, l, "", 0, "C", false, 0, "")
	}
}

// barPairs draws two bars a month (opened, closed).
func (r *renderer) barPairs(title string, labels []string, a, b []float64) {
	const h = 40.0
	x, y, w := r.chartBox(title, h)
	hi := 1.0
	for i := range a {
		hi = math.Max(hi, math.Max(a[i], b[i]))
	}
	hi = math.Ceil(hi)
	r.axis(x, y, w, h, 0, hi, labels, func(v float64) string { return r.number(v, 1) })
	p := r.pdf
	step := w / float64(max(1, len(labels)))
	bw := step * 0.35
	for i := range a {
		for j, v := range []float64{a[i], b[i]} {
			bh := h * v / hi
			r.fill([][3]int{opened, closed}[j])
			if bh > 0 {
				p.Rect(x+float64(i)*step+step*0.15+float64(j)*bw, y+h-bh, bw, bh, "F")
			}
		}
	}
	r.legend(y+h+5, [][3]int{opened, closed}, []string{r.t("col.opened"), r.t("col.closed")})
	p.SetY(y + h + 12)
}

// lines draws one line per series (a nil value breaks the line), on a scale
// from 0 — or, for percentages (pct), from a little under the lowest value —
// to the highest.
func (r *renderer) lines(title string, labels []string, series [][]*float64, colors [][3]int, names []string, format func(float64) string, pct bool) {
	const h = 40.0
	x, y, w := r.chartBox(title, h)
	lo, hi, found := math.Inf(1), math.Inf(-1), false
	for _, s := range series {
		for _, v := range s {
			if v != nil {
				lo, hi, found = math.Min(lo, *v), math.Max(hi, *v), true
			}
		}
	}
	p := r.pdf
	if !found {
		r.note(r.t("annual.no_data"))
		return
	}
	if pct {
		lo, hi = math.Max(0, math.Floor(lo)-1), 100
	} else {
		lo, hi = 0, math.Max(hi*1.1, 1)
	}
	if hi-lo < 1 {
		lo = math.Max(0, hi-1)
	}
	r.axis(x, y, w, h, lo, hi, labels, format)
	step := w / float64(max(1, len(labels)))
	yOf := func(v float64) float64 { return y + h - h*(v-lo)/(hi-lo) }
	p.SetLineWidth(0.6)
	for k, s := range series {
		r.draw(colors[k])
		r.fill(colors[k])
		var last *[2]float64
		for i, v := range s {
			if v == nil {
				last = nil
				continue
			}
			pt := [2]float64{x + float64(i)*step + step/2, yOf(*v)}
			if last != nil {
				p.Line(last[0], last[1], pt[0], pt[1])
			}
			p.Circle(pt[0], pt[1], 0.8, "F")
			last = &pt
		}
	}
	p.SetLineWidth(0.2)
	r.legend(y+h+5, colors, names)
	p.SetY(y + h + 12)
}
