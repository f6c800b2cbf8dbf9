// Package reportpdf renders a client's reports as PDF — the steering report
// (report.Monthly, Render), the daily summary (report.Daily, RenderDaily) and
// the annual report (report.Annual, RenderAnnual): a title block with the
// provider's logo, the key indicators, the tables of docs/reports.md and
// charts drawn with PDF vector operations.
//
// It counts nothing itself: every figure comes from report.Figures. Text is
// set in the Go fonts (embedded, UTF-8), so French accents, « », œ and €
// print as typed. The output is deterministic: the same figures and options
// give the same bytes (the document's dates are the generation time).
package reportpdf

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/report"
)

// Translator returns the message of key in lang (an *i18n.Bundle is one).
type Translator interface {
	T(lang, key string, args ...any) string
}

// Options says how to render the report: language, who sends it, to whom,
// when.
type Options struct {
	// Texts gives the messages (keys reportpdf.*); required.
	Texts Translator
	// Lang is "fr" or "en".
	Lang string
	// Provider is the provider's name, printed in the title block.
	Provider string
	// Logo is the provider's logo (PNG or JPEG bytes), optional.
	Logo []byte
	// LogoType is "image/png" or "image/jpeg"; required with Logo.
	LogoType string
	// Client is the client's name; the figures' one when empty.
	Client string
	// Generated is when the report was generated (printed, and the PDF's
	// creation date); required.
	Generated time.Time
	// Location is the time zone of the dates printed; the period's zone
	// when nil.
	Location *time.Location
	// AvailabilityTarget is the availability objective in percent (from the
	// client's contract), 0 when none: with one, each critical asset gets a
	// coloured badge saying whether it was met.
	AvailabilityTarget float64
}

// SetProvider prints the provider's name and, when it is a PNG or a JPEG
// (what the PDF can draw: an SVG logo is left out), its logo.
func (o *Options) SetProvider(p provider.Provider) {
	o.Provider = p.Name
	if len(p.Logo) > 0 && (p.LogoType == "image/png" || p.LogoType == "image/jpeg") {
		o.Logo, o.LogoType = p.Logo, p.LogoType
	}
}

// Validate checks the options; a fault.Invalid names the faulty field.
func (o Options) Validate() error {
	v := &fault.Invalid{}
	if o.Texts == nil {
		v.Add("texts", "required")
	}
	v.OneOf("lang", o.Lang, "fr", "en")
	if len(o.Logo) > 0 {
		v.OneOf("logo_type", o.LogoType, "image/png", "image/jpeg")
	}
	if o.Generated.IsZero() {
		v.Add("generated", "required")
	}
	if o.AvailabilityTarget < 0 || o.AvailabilityTarget > 100 || math.IsNaN(o.AvailabilityTarget) {
		v.Add("availability_target", "out_of_range", 0, 100)
	}
	return v.Err()
}

// Page geometry, in millimetres (A4 portrait).
const (
	pageW   = 210.0
	margin  = 15.0
	contW   = pageW - 2*margin
	lineH   = 6.0
	rowH    = 6.5
	bottomY = 297.0 - 20.0 // where content stops (the footer is below)
	font    = "go"
)

// Colours (RGB).
var (
	ink      = [3]int{33, 37, 41}
	muted    = [3]int{108, 117, 125}
	accent   = [3]int{13, 71, 161}
	headerBg = [3]int{232, 238, 247}
	rule     = [3]int{206, 212, 218}
	green    = [3]int{46, 125, 50}
	red      = [3]int{198, 40, 40}
	grey     = [3]int{120, 120, 120}
	opened   = [3]int{25, 118, 210}
	closed   = [3]int{129, 199, 132}
)

// Render writes the PDF of m to w. Bad options are a fault.Invalid and
// nothing is written.
func Render(w io.Writer, m report.Monthly, opts Options) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	r, err := newRenderer(m, opts)
	if err != nil {
		return err
	}
	r.document()
	if err := r.pdf.Error(); err != nil {
		return fmt.Errorf("render report pdf: %w", err)
	}
	var buf bytes.Buffer
	if err := r.pdf.Output(&buf); err != nil {
		return fmt.Errorf("render report pdf: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write report pdf: %w", err)
	}
	return nil
}

// renderer holds one rendering.
type renderer struct {
	pdf          *fpdf.Fpdf
	m            report.Monthly
	o            Options
	loc          *time.Location
	logo         string // the registered image's name, "" without logo
	logoW, logoH float64
	glyphs       *sfnt.Font // goregular, to know which characters print
	sfntBuf      sfnt.Buffer
	// title replaces the steering report's title (daily, annual).
	title string
}

func newRenderer(m report.Monthly, o Options) (*renderer, error) {
	loc := o.Location
	if loc == nil {
		loc = time.UTC
		if m.Period.TimeZone != "" {
			l, err := time.LoadLocation(m.Period.TimeZone)
			if err != nil {
				return nil, fmt.Errorf("load report time zone %q: %w", m.Period.TimeZone, err)
			}
			loc = l
		}
	}
	if o.Client == "" {
		o.Client = m.Client
	}
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCompression(true)
	p.SetCatalogSort(true)
	p.SetCreationDate(o.Generated)
	p.SetModificationDate(o.Generated)
	p.AddUTF8FontFromBytes(font, "", goregular.TTF)
	p.AddUTF8FontFromBytes(font, "B", gobold.TTF)
	p.SetMargins(margin, margin, margin)
	p.SetAutoPageBreak(true, 297.0-bottomY)
	p.AliasNbPages("{nb}")
	glyphs, err := sfnt.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("parse report font: %w", err)
	}
	r := &renderer{pdf: p, m: m, o: o, loc: loc, glyphs: glyphs}
	p.SetTitle(r.t("title")+" — "+o.Client, true)
	p.SetAuthor(o.Provider, true)
	p.SetCreator("Vigie", true)
	if len(o.Logo) > 0 {
		typ := "PNG"
		if o.LogoType == "image/jpeg" {
			typ = "JPG"
		}
		info := p.RegisterImageOptionsReader("logo", fpdf.ImageOptions{ImageType: typ}, bytes.NewReader(o.Logo))
		if err := p.Error(); err != nil || info == nil {
			v := &fault.Invalid{}
			v.Add("logo", "invalid_format")
			return nil, v
		}
		r.logo = "logo"
		// Fit the logo in a 45 × 20 mm box, keeping its proportions.
		w, h := info.Width(), info.Height()
		scale := math.Min(45/w, 20/h)
		r.logoW, r.logoH = w*scale, h*scale
	}
	p.SetFooterFunc(r.footer)
	return r, nil
}

// cell is fpdf's CellFormat with the text made printable.
func (r *renderer) cell(w, h float64, s, border string, ln int, align string, fill bool, link int, linkStr string) {
	r.pdf.CellFormat(w, h, r.clean(s), border, ln, align, fill, link, linkStr)
}

// multi is fpdf's MultiCell with the text made printable.
func (r *renderer) multi(w, h float64, s, border, align string, fill bool) {
	r.pdf.MultiCell(w, h, r.clean(s), border, align, fill)
}

// clean makes s printable in the Go fonts: control characters become
// spaces, characters the fonts have no glyph for (emoji, CJK…) become "?",
// instead of failing the whole report over a client's or an asset's name.
func (r *renderer) clean(s string) string {
	return strings.Map(func(c rune) rune {
		switch {
		case c == '\n':
			return c
		case unicode.IsControl(c):
			return ' '
		case c > 0xFFFF:
			return '?'
		}
		g, err := r.glyphs.GlyphIndex(&r.sfntBuf, c)
		if err != nil || g == 0 {
			if unicode.IsSpace(c) || unicode.Is(unicode.Cf, c) {
				return -1
			}
			return '?'
		}
		return c
	}, s)
}

func (r *renderer) t(key string, args ...any) string {
	return r.o.Texts.T(r.o.Lang, "reportpdf."+key, args...)
}

func (r *renderer) color(c [3]int)                  { r.pdf.SetTextColor(c[0], c[1], c[2]) }
func (r *renderer) fill(c [3]int)                   { r.pdf.SetFillColor(c[0], c[1], c[2]) }
func (r *renderer) draw(c [3]int)                   { r.pdf.SetDrawColor(c[0], c[1], c[2]) }
func (r *renderer) font(style string, size float64) { r.pdf.SetFont(font, style, size) }

// document lays out every part in order.
func (r *renderer) document() {
	r.pdf.AddPage()
	r.titleBlock()
	r.summary()
	r.counts(r.t("section.priority"), r.t("col.priority"), r.m.Tickets.ByPriority, func(c report.Count) string { return c.Key })
	r.priorityChart()
	r.counts(r.t("section.type"), r.t("col.type"), r.m.Tickets.ByType, func(c report.Count) string { return r.t("type." + c.Key) })
	r.counts(r.t("section.category"), r.t("col.category"), r.m.Tickets.ByCategory, r.categoryName)
	r.availability()
	r.availabilityChart()
	r.backups()
	r.recurring()
	r.capacity()
	r.outOfPerimeter()
	r.support()
	r.timeSpent()
	r.satisfactionChart()
}

func (r *renderer) footer() {
	p := r.pdf
	p.SetY(-14)
	r.draw(rule)
	p.Line(margin, p.GetY()-1, pageW-margin, p.GetY()-1)
	r.font("", 8)
	r.color(muted)
	left := r.o.Provider
	if left != "" {
		left += " — "
	}
	left += r.o.Client
	r.cell(contW/2, 5, left, "", 0, "L", false, 0, "")
	r.cell(contW/2, 5, r.t("page", p.PageNo(), "{nb}"), "", 0, "R", false, 0, "")
}

// ensure starts a new page unless h millimetres are left.
func (r *renderer) ensure(h float64) {
	if r.pdf.GetY()+h > bottomY {
		r.pdf.AddPage()
	}
}

// providerHeader prints the provider's logo and name at the top of a
// report's first page.
func (r *renderer) providerHeader() {
	p := r.pdf
	top := p.GetY()
	x := margin
	if r.logo != "" {
		p.ImageOptions(r.logo, margin, top, r.logoW, r.logoH, false, fpdf.ImageOptions{}, 0, "")
		x = margin + r.logoW + 5
	}
	p.SetXY(x, top+2)
	r.font("B", 12)
	r.color(ink)
	r.cell(pageW-margin-x, lineH, r.o.Provider, "", 2, "L", false, 0, "")
	p.SetY(math.Max(top+r.logoH, p.GetY()) + 6)
}

func (r *renderer) titleBlock() {
	p := r.pdf
	r.providerHeader()

	r.font("B", 20)
	r.color(accent)
	title := r.t("title")
	if r.title != "" {
		title = r.title
	} else if r.m.Period.Kind == report.KindMonth {
		title += " — " + r.t("month."+strconv.Itoa(int(r.m.Period.From.In(r.loc).Month()))) + " " + strconv.Itoa(r.m.Period.From.In(r.loc).Year())
	}
	r.multi(contW, 9, title, "", "L", false)
	p.Ln(2)

	r.label(r.t("client"), r.o.Client)
	last := r.m.Period.To.Add(-time.Nanosecond)
	period := r.t("period_range", r.date(r.m.Period.From), r.date(last))
	if r.m.Period.SoFar {
		period += " (" + r.t("so_far", r.dateTime(r.m.Period.Until)) + ")"
	}
	r.label(r.t("period"), period)
	r.font("", 9)
	r.color(muted)
	r.cell(contW, lineH, r.t("generated", r.dateTime(r.o.Generated), r.loc.String()), "", 1, "L", false, 0, "")
	p.Ln(4)
	r.draw(accent)
	p.SetLineWidth(0.6)
	p.Line(margin, p.GetY(), pageW-margin, p.GetY())
	p.SetLineWidth(0.2)
	p.Ln(4)
}

// label prints "name: value" on one line.
func (r *renderer) label(name, value string) {
	r.font("B", 11)
	r.color(ink)
	r.cell(30, lineH, name, "", 0, "L", false, 0, "")
	r.font("", 11)
	r.multi(contW-30, lineH, value, "", "L", false)
}

func (r *renderer) heading(s string, need float64) {
	r.ensure(12 + need) // 12: the heading itself
	p := r.pdf
	p.Ln(3)
	r.font("B", 13)
	r.color(accent)
	r.cell(contW, 8, s, "", 1, "L", false, 0, "")
	p.Ln(1)
}

// summary prints the key indicators as tiles, two a row.
func (r *renderer) summary() {
	t := r.m.Tickets
	tiles := [][2]string{
		{r.t("kpi.opened"), strconv.Itoa(t.Opened)},
		{r.t("kpi.closed"), strconv.Itoa(t.Closed)},
		{r.t("kpi.mtto"), r.minutes(t.MeanToOwnMinutes)},
		{r.t("kpi.mttr"), r.minutes(t.MeanToResolveMinutes)},
		{r.t("kpi.tto"), r.compliance(t.TTO)},
		{r.t("kpi.ttr"), r.compliance(t.TTR)},
		{r.t("kpi.backlog"), strconv.Itoa(t.Backlog)},
		{r.t("kpi.reopen"), r.ratio(t.Reopen)},
		{r.t("kpi.satisfaction"), r.satisfaction()},
		{r.t("kpi.alerts"), r.t("alerts_value", r.m.Alerts.Count, r.m.Alerts.InMaintenance)},
		{r.t("kpi.backups"), r.ratio(r.m.Backups.Success)},
	}
	r.tiles(r.t("summary"), tiles)
}

// table prints a header and rows; widths are in millimetres, aligns per
// column ("L", "R", "C"). A long cell wraps (up to maxLines lines, the last
// shortened with an ellipsis); a row never splits over two pages, and the
// header is repeated on each page. When decorate is not nil, it draws in the
// last column of each row (x, y, w, h: that cell).
func (r *renderer) table(head []string, widths []float64, aligns []string, rows [][]string, decorate func(i int, x, y, w, h float64)) {
	const textH, maxLines = 4.2, 4
	p := r.pdf
	total := 0.0
	for _, w := range widths {
		total += w
	}
	header := func() {
		r.font("B", 9)
		r.color(ink)
		r.fill(headerBg)
		r.draw(rule)
		for i, h := range head {
			r.cell(widths[i], rowH, r.fit(h, widths[i]-2), "B", 0, aligns[i], true, 0, "")
		}
		p.Ln(-1)
	}
	r.ensure(2 * rowH)
	header()
	for i, row := range rows {
		r.font("", 9)
		cells := make([][]string, len(row))
		n := 1
		for j, c := range row {
			lines := p.SplitText(r.clean(c), widths[j])
			if len(lines) > maxLines {
				lines = lines[:maxLines]
				lines[maxLines-1] = r.fit(lines[maxLines-1]+"…", widths[j]-2)
			}
			cells[j] = lines
			n = max(n, len(lines))
		}
		h := max(rowH, float64(n)*textH+2.3)
		if p.GetY()+h > bottomY {
			p.AddPage()
			header()
			r.font("", 9)
		}
		x, y := margin, p.GetY()
		r.color(ink)
		for j, lines := range cells {
			top := y + (h-float64(len(lines))*textH)/2
			for k, l := range lines {
				p.SetXY(x, top+float64(k)*textH)
				r.cell(widths[j], textH, l, "", 0, aligns[j], false, 0, "")
			}
			x += widths[j]
		}
		if decorate != nil {
			w := widths[len(widths)-1]
			decorate(i, x-w, y, w, h)
		}
		r.draw(rule)
		p.Line(margin, y+h, margin+total, y+h)
		p.SetXY(margin, y+h)
	}
}

// fit shortens s with an ellipsis to fit in w millimetres at the current font.
func (r *renderer) fit(s string, w float64) string {
	s = r.clean(s)
	if r.pdf.GetStringWidth(s) <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && r.pdf.GetStringWidth(string(rs)+"…") > w {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}

func (r *renderer) note(s string) {
	r.font("", 9)
	r.color(muted)
	r.cell(contW, rowH, s, "", 1, "L", false, 0, "")
}

func (r *renderer) counts(title, col string, cs []report.Count, name func(report.Count) string) {
	r.heading(title, 2*rowH)
	if len(cs) == 0 {
		r.note(r.t("none.category"))
		return
	}
	rows := make([][]string, len(cs))
	for i, c := range cs {
		rows[i] = []string{name(c), strconv.Itoa(c.Opened), strconv.Itoa(c.Closed)}
	}
	r.table([]string{col, r.t("col.opened"), r.t("col.closed")}, []float64{contW - 60, 30, 30}, []string{"L", "R", "R"}, rows, nil)
}

func (r *renderer) categoryName(c report.Count) string {
	if c.Key == "0" || c.Label == "" {
		return r.t("no_category")
	}
	return c.Label
}

// priorityChart draws horizontal bars of the tickets opened and closed per
// priority.
func (r *renderer) priorityChart() {
	cs := r.m.Tickets.ByPriority
	if len(cs) == 0 {
		return
	}
	const barH, labelW = 3.5, 14.0
	h := 10 + float64(len(cs))*(2*barH+3) + 8
	r.ensure(h + 4)
	p := r.pdf
	p.Ln(3)
	r.font("B", 9)
	r.color(ink)
	r.cell(contW, 6, r.t("chart.priority"), "", 1, "L", false, 0, "")
	top := p.GetY() + 2
	most := 1
	for _, c := range cs {
		most = max(most, c.Opened, c.Closed)
	}
	scaleW := contW - labelW - 20
	r.font("", 8)
	y := top
	for _, c := range cs {
		r.color(ink)
		p.SetXY(margin, y)
		r.cell(labelW, 2*barH, c.Key, "", 0, "L", false, 0, "")
		for j, v := range []int{c.Opened, c.Closed} {
			by := y + float64(j)*barH
			w := scaleW * float64(v) / float64(most)
			r.fill([][3]int{opened, closed}[j])
			if w > 0 {
				p.Rect(margin+labelW, by, w, barH-0.5, "F")
			}
			p.SetXY(margin+labelW+w+1, by)
			r.color(muted)
			r.cell(15, barH-0.5, strconv.Itoa(v), "", 0, "L", false, 0, "")
		}
		y += 2*barH + 3
	}
	r.draw(rule)
	p.Line(margin+labelW, top-1, margin+labelW, y-2)
	r.legend(y+1, [][3]int{opened, closed}, []string{r.t("col.opened"), r.t("col.closed")})
	p.SetY(y + 8)
}

// legend draws coloured squares with their labels at y.
func (r *renderer) legend(y float64, colors [][3]int, labels []string) {
	p := r.pdf
	x := margin + 14
	r.font("", 8)
	for i, l := range labels {
		r.fill(colors[i])
		p.Rect(x, y+1, 3, 3, "F")
		p.SetXY(x+4, y)
		r.color(muted)
		w := p.GetStringWidth(l) + 2
		r.cell(w, 5, l, "", 0, "L", false, 0, "")
		x += 4 + w + 6
	}
}

func (r *renderer) availability() {
	r.heading(r.t("section.availability"), 2*rowH)
	if len(r.m.Availability) == 0 {
		r.note(r.t("none.availability"))
		return
	}
	target := r.o.AvailabilityTarget > 0
	head := []string{r.t("col.asset"), r.t("col.checks"), r.t("col.availability"), r.t("col.down"), r.t("col.maintenance"), r.t("col.no_data")}
	widths := []float64{44, 20, 26, 30, 30, 30}
	aligns := []string{"L", "R", "R", "R", "R", "R"}
	if target {
		head = append(head, r.t("col.target", r.percent(r.o.AvailabilityTarget)))
		widths = []float64{36, 17, 24, 25, 25, 24, 29}
		aligns = append(aligns, "C")
	}
	rows := make([][]string, len(r.m.Availability))
	for i, a := range r.m.Availability {
		rows[i] = []string{a.Asset, strconv.Itoa(a.Checks), r.pct(a.Percent),
			r.duration(a.DownMinutes), r.duration(a.MaintenanceMinutes), r.duration(a.NoDataMinutes)}
		if target {
			rows[i] = append(rows[i], "")
		}
	}
	var badges func(i int, x, y, w, h float64)
	if target {
		badges = func(i int, x, y, w, h float64) {
			r.badge(x+1.5, y+(h-(rowH-2))/2, w-3, rowH-2, r.m.Availability[i].Percent)
		}
	}
	r.table(head, widths, aligns, rows, badges)
}

func (r *renderer) badgeOf(v *float64) ([3]int, string) {
	switch {
	case v == nil:
		return grey, r.t("badge.none")
	case *v >= r.o.AvailabilityTarget:
		return green, r.t("badge.met")
	default:
		return red, r.t("badge.missed")
	}
}

func (r *renderer) badge(x, y, w, h float64, v *float64) {
	p := r.pdf
	c, s := r.badgeOf(v)
	r.fill(c)
	p.RoundedRect(x, y, w, h, 1.5, "1234", "F")
	r.font("B", 7.5)
	p.SetTextColor(255, 255, 255)
	p.SetXY(x, y)
	r.cell(w, h, s, "", 0, "C", false, 0, "")
	r.font("", 9)
}

// availabilityChart draws one bar per measured asset on a scale that ends at
// 100 % and starts a little under the lowest value (or the target), with the
// target as a dashed line.
func (r *renderer) availabilityChart() {
	var measured []report.Availability
	for _, a := range r.m.Availability {
		if a.Percent != nil {
			measured = append(measured, a)
		}
	}
	if len(measured) == 0 {
		return
	}
	lo := 100.0
	for _, a := range measured {
		lo = math.Min(lo, *a.Percent)
	}
	if r.o.AvailabilityTarget > 0 {
		lo = math.Min(lo, r.o.AvailabilityTarget)
	}
	lo = math.Max(0, math.Floor(lo)-1)
	const barH, labelW = 5.0, 40.0
	h := 10 + float64(len(measured))*(barH+2) + 10
	r.ensure(h + 4)
	p := r.pdf
	p.Ln(3)
	r.font("B", 9)
	r.color(ink)
	r.cell(contW, 6, r.t("chart.availability"), "", 1, "L", false, 0, "")
	top := p.GetY() + 2
	scaleW := contW - labelW - 20
	xOf := func(v float64) float64 { return margin + labelW + scaleW*(v-lo)/(100-lo) }
	y := top
	for _, a := range measured {
		r.font("", 8)
		r.color(ink)
		p.SetXY(margin, y)
		r.cell(labelW-2, barH, r.fit(a.Asset, labelW-3), "", 0, "L", false, 0, "")
		c := accent
		if r.o.AvailabilityTarget > 0 {
			c, _ = r.badgeOf(a.Percent)
		}
		r.fill(c)
		if w := xOf(*a.Percent) - xOf(lo); w > 0 {
			p.Rect(xOf(lo), y, w, barH, "F")
		}
		p.SetXY(xOf(*a.Percent)+1, y)
		r.color(muted)
		r.cell(18, barH, r.pct(a.Percent), "", 0, "L", false, 0, "")
		y += barH + 2
	}
	// Axis with its two ends.
	r.draw(rule)
	p.Line(xOf(lo), y, xOf(100), y)
	r.font("", 7)
	r.color(muted)
	for _, v := range []float64{lo, 100} {
		p.SetXY(xOf(v)-10, y+0.5)
		r.cell(20, 4, r.percent(v), "", 0, "C", false, 0, "")
	}
	if t := r.o.AvailabilityTarget; t > 0 {
		r.draw(red)
		p.SetDashPattern([]float64{1, 1}, 0)
		p.Line(xOf(t), top-1, xOf(t), y)
		p.SetDashPattern(nil, 0)
		r.legend(y+5, [][3]int{red}, []string{r.t("chart.target") + " " + r.percent(t)})
	}
	p.SetY(y + 11)
}

func (r *renderer) backups() {
	r.heading(r.t("section.backups"), 2*rowH)
	b := r.m.Backups
	if len(b.Jobs) == 0 {
		r.note(r.t("none.backups"))
		return
	}
	rows := make([][]string, len(b.Jobs))
	for i, j := range b.Jobs {
		run := r.t("run.none")
		if j.LastRun != nil {
			state := r.t("run.failed")
			if j.LastRunOK {
				state = r.t("run.ok")
			}
			run = r.dateTime(*j.LastRun) + ", " + state
		}
		restore := r.t("restore.none")
		if lr := j.LastRestore; lr != nil {
			restore = r.date(lr.At) + ", " + r.t("restore."+lr.Result)
			if lr.Scope != "" {
				restore += " (" + lr.Scope + ")"
			}
		}
		rows[i] = []string{j.Asset + " — " + j.Check, r.ratio(j.Success), run, restore}
	}
	r.table([]string{r.t("col.job"), r.t("col.success"), r.t("col.last_run"), r.t("col.last_restore")},
		[]float64{45, 32, 45, 58}, []string{"L", "R", "L", "L"}, rows, nil)
}

func (r *renderer) recurring() {
	r.heading(r.t("section.recurring"), 2*rowH)
	rec := r.m.Alerts.Recurring
	if len(rec) == 0 {
		r.note(r.t("none.recurring"))
		return
	}
	rows := make([][]string, len(rec))
	for i, c := range rec {
		rows[i] = []string{c.Asset, c.Check, strconv.Itoa(c.Problems)}
	}
	r.table([]string{r.t("col.asset"), r.t("col.check"), r.t("col.problems")}, []float64{70, 80, 30}, []string{"L", "L", "R"}, rows, nil)
}

func (r *renderer) timeSpent() {
	r.heading(r.t("section.time"), 2*rowH)
	ts := r.m.Time
	d := func(min int) string { return r.duration(float64(min)) }
	rows := [][]string{
		{r.t("time.total"), d(ts.TotalMinutes)},
		{r.t("time.billable"), d(ts.BillableMinutes)},
		{r.t("time.non_billable"), d(ts.NonBillableMinutes)},
		{r.t("time.on_site", ts.OnSiteEntries), d(ts.OnSiteMinutes)},
		{r.t("time.travel"), d(ts.TravelMinutes)},
		{r.t("time.entries"), strconv.Itoa(ts.Entries)},
		{r.t("time.tickets"), strconv.Itoa(ts.Tickets)},
	}
	r.table([]string{r.t("col.item"), r.t("col.value")}, []float64{contW - 50, 50}, []string{"L", "R"}, rows, nil)
}

// satisfactionChart draws one vertical bar per score (1…5) with its count.
func (r *renderer) satisfactionChart() {
	s := r.m.Satisfaction
	if s.Count == 0 {
		return
	}
	const chartH, barW, gap = 30.0, 14.0, 6.0
	r.heading(r.t("chart.satisfaction"), chartH+12)
	p := r.pdf
	most := 1
	for _, n := range s.Scores {
		most = max(most, n)
	}
	base := p.GetY() + 5 + chartH
	for i, n := range s.Scores {
		x := margin + 14 + float64(i)*(barW+gap)
		h := chartH * float64(n) / float64(most)
		r.fill(accent)
		if h > 0 {
			p.Rect(x, base-h, barW, h, "F")
		}
		r.font("", 8)
		r.color(muted)
		p.SetXY(x, base-h-5)
		r.cell(barW, 5, strconv.Itoa(n), "", 0, "C", false, 0, "")
		r.color(ink)
		p.SetXY(x, base+0.5)
		r.cell(barW, 5, strconv.Itoa(i+1)+" / 5", "", 0, "C", false, 0, "")
	}
	r.draw(rule)
	p.Line(margin+10, base, margin+14+5*(barW+gap), base)
	p.SetY(base + 8)
}

// Formatting.

const none = "—"

// number formats v with at most decimals digits, the language's decimal
// separator, no trailing zeros.
func (r *renderer) number(v float64, decimals int) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if r.o.Lang == "fr" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// percent formats a percentage: "99,89 %" in French, "99.89%" in English.
func (r *renderer) percent(v float64) string {
	if r.o.Lang == "fr" {
		return r.number(v, 2) + "\u00a0%"
	}
	return r.number(v, 2) + "%"
}

func (r *renderer) pct(v *float64) string {
	if v == nil {
		return none
	}
	return r.percent(*v)
}

func (r *renderer) ratio(x report.Ratio) string {
	if x.Percent == nil {
		return none
	}
	return r.t("ratio", r.percent(*x.Percent), x.Part, x.Whole)
}

func (r *renderer) compliance(c report.Compliance) string {
	return r.ratio(report.Ratio{Part: c.Met, Whole: c.Total, Percent: c.Percent})
}

func (r *renderer) satisfaction() string {
	s := r.m.Satisfaction
	if s.Average == nil {
		return none
	}
	return r.t("satisfaction_value", r.number(*s.Average, 2), s.Count)
}

func (r *renderer) minutes(v *float64) string {
	if v == nil {
		return none
	}
	return r.duration(*v)
}

// duration formats minutes as "4 j 9 h 40 min" (days only past 24 h),
// rounded to the minute.
func (r *renderer) duration(min float64) string {
	total := int64(math.Round(min))
	if total == 0 {
		return "0 min"
	}
	days, hours, mins := total/(24*60), total/60%24, total%60
	var parts []string
	if days > 0 {
		parts = append(parts, strconv.FormatInt(days, 10)+" "+r.t("unit.day"))
	}
	if hours > 0 || (days > 0 && mins > 0) {
		parts = append(parts, strconv.FormatInt(hours, 10)+" h")
	}
	if mins > 0 {
		parts = append(parts, strconv.FormatInt(mins, 10)+" min")
	}
	return strings.Join(parts, " ")
}

func (r *renderer) date(t time.Time) string {
	t = t.In(r.loc)
	if r.o.Lang == "fr" {
		return t.Format("02/01/2006")
	}
	return t.Format("2006-01-02")
}

func (r *renderer) dateTime(t time.Time) string {
	return r.t("at", r.date(t), t.In(r.loc).Format("15:04"))
}
