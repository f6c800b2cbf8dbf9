// Package chart draws time series as server-rendered SVG: a line for the
// average of each series over a band from its minimum to its maximum, a
// time axis in the viewer's time zone and language, a value axis with round
// ticks in the series' unit, a legend, and breaks where data is missing.
//
// The output needs no script and no style attribute, so it is shown under a
// strict Content-Security-Policy: colours are SVG presentation attributes
// (which CSP does not govern) and classes the page's stylesheet may refine.
// It imports nothing of Vigie.
package chart

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Point is one sample or one rolled-up interval: at raw resolution Min,
// Avg and Max are equal.
type Point struct {
	T             time.Time
	Min, Avg, Max float64
}

// Series is one line of a chart.
type Series struct {
	Name   string // legend
	Points []Point
}

// Options say what a chart shows and how.
type Options struct {
	// Title is the chart's accessible name (<title>, aria-label).
	Title string
	Unit  Unit
	// From and To bound the time axis.
	From, To time.Time
	// Loc is the time zone of the axis labels; nil is UTC.
	Loc *time.Location
	// Locale names months and weekdays and says how numbers are written.
	Locale Locale
	// Step is the expected distance between points; two points further
	// apart than 2.5 steps are not joined. Zero: the median distance.
	Step time.Duration
	// Empty is the text shown when no series has a point in the range.
	Empty string
	// Width and Height of the drawing in user units; zero: 720 × 220.
	Width, Height int
}

// Locale is what a language changes in a chart.
type Locale struct {
	Months   [12]string // short names, January first
	Weekdays [7]string  // short names, Sunday first
	// DecimalComma writes 1,5 instead of 1.5.
	DecimalComma bool
	// Day is the symbol of a day in durations ("d", "j").
	Day string
}

// English is the English locale.
var English = Locale{
	Months:   [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	Weekdays: [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
	Day:      "d",
}

// French is the French locale.
var French = Locale{
	Months:       [12]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."},
	Weekdays:     [7]string{"dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."},
	DecimalComma: true,
	Day:          "j",
}

// palette holds the series colours, chosen to stay apart for the colour
// blind (Okabe–Ito) and readable on white.
var palette = [...]string{"#1f5fa8", "#d55e00", "#009e73", "#cc79a7", "#8a6d00", "#56b4e9", "#6a3d9a", "#5b6878"}

// Colour returns the colour of the i-th series, so that a page can draw a
// matching key elsewhere.
func Colour(i int) string { return palette[i%len(palette)] }

const (
	padLeft   = 64
	padRight  = 14
	padTop    = 10
	axisBelow = 22 // room for the time labels
	legendRow = 18
)

// Render draws series as an SVG element to embed in a page.
func Render(o Options, series []Series) template.HTML {
	return template.HTML(renderString(o, series)) //nolint:gosec // every text inside is escaped
}

func renderString(o Options, series []Series) string {
	if o.Width <= 0 {
		o.Width = 720
	}
	if o.Height <= 0 {
		o.Height = 220
	}
	if o.Loc == nil {
		o.Loc = time.UTC
	}
	if o.Locale.Day == "" {
		o.Locale = English
	}
	if !o.To.After(o.From) {
		o.To = o.From.Add(time.Hour)
	}
	W, H := float64(o.Width), float64(o.Height)

	// Cut each series into runs without gaps, keep only finite values in
	// range, and thin them to about two points per unit of width.
	plotW := W - padLeft - padRight
	type run struct {
		series int
		pts    []Point
	}
	var runs []run
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, s := range series {
		for _, seg := range segments(s.Points, o.From, o.To, o.Step) {
			seg = thin(seg, o.From, o.To, int(plotW/2))
			for _, p := range seg {
				lo, hi = math.Min(lo, p.Min), math.Max(hi, p.Max)
			}
			runs = append(runs, run{i, seg})
		}
	}

	// The legend wraps over as many rows as it needs.
	var keys []legendKey
	rows := 0
	if len(series) > 1 || (len(series) == 1 && series[0].Name != "") {
		x := float64(padLeft)
		rows = 1
		for i, s := range series {
			w := 16 + 6.2*float64(len([]rune(s.Name))) + 16
			if x+w > W-padRight && x > padLeft {
				x, rows = padLeft, rows+1
			}
			keys = append(keys, legendKey{x, rows, s.Name, i})
			x += w
		}
	}
	plotH := H - padTop - axisBelow - float64(rows)*legendRow
	if plotH < 40 {
		plotH = 40
		H = padTop + plotH + axisBelow + float64(rows)*legendRow
	}
	top, bottom, left, right := float64(padTop), padTop+plotH, float64(padLeft), W-padRight

	var b strings.Builder
	title := text(o.Title)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %s %s" role="img" aria-label="%s" font-size="11" font-family="system-ui, sans-serif">`, num(W), num(H), title)
	fmt.Fprintf(&b, "<title>%s</title>", title)
	fmt.Fprintf(&b, `<rect class="chart-plot" x="%s" y="%s" width="%s" height="%s" fill="#ffffff" stroke="#d8dee6"/>`, num(left), num(top), num(plotW), num(plotH))

	if len(runs) == 0 {
		fmt.Fprintf(&b, `<text class="chart-empty" x="%s" y="%s" text-anchor="middle" fill="#5b6878" font-size="13">%s</text>`, num(left+plotW/2), num(top+plotH/2+4), text(o.Empty))
		drawTimeAxis(&b, o, left, right, bottom, false)
		drawLegend(&b, keys, bottom)
		b.WriteString("</svg>")
		return b.String()
	}

	axis := ValueTicks(lo, hi, o.Unit, int(plotH/36)+1, o.Locale)
	ticks := axis.Ticks
	vlo, vhi := axis.Lo(), axis.Hi()
	y := func(v float64) float64 { return bottom - (v-vlo)/(vhi-vlo)*plotH }
	span := float64(o.To.Sub(o.From))
	x := func(t time.Time) float64 { return left + float64(t.Sub(o.From))/span*plotW }

	// Value axis: grid lines and labels.
	b.WriteString(`<g class="chart-grid" stroke="#eef1f5">`)
	for _, v := range ticks[1 : len(ticks)-1] {
		fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(left), num(right), num(y(v)), num(y(v)))
	}
	b.WriteString(`</g><g class="chart-axis" fill="#5b6878" text-anchor="end">`)
	for _, v := range ticks {
		fmt.Fprintf(&b, `<text x="%s" y="%s">%s</text>`, num(left-6), num(y(v)+4), text(axis.Label(v)))
	}
	b.WriteString(`</g>`)
	drawTimeAxis(&b, o, left, right, bottom, true)

	// Bands first, then lines over every band.
	for _, r := range runs {
		banded := slices.ContainsFunc(r.pts, func(p Point) bool { return p.Max-p.Min > (vhi-vlo)*1e-3 })
		if !banded || len(r.pts) < 2 {
			continue
		}
		var d strings.Builder
		for i, p := range r.pts {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%s %s", cmd, num(x(p.T)), num(y(p.Max)))
		}
		for i := len(r.pts) - 1; i >= 0; i-- {
			fmt.Fprintf(&d, "L%s %s", num(x(r.pts[i].T)), num(y(r.pts[i].Min)))
		}
		fmt.Fprintf(&b, `<path class="chart-band chart-s%d" d="%sZ" fill="%s" fill-opacity="0.15" stroke="none"/>`, r.series%len(palette), d.String(), Colour(r.series))
	}
	for _, r := range runs {
		c := Colour(r.series)
		if len(r.pts) == 1 {
			p := r.pts[0]
			fmt.Fprintf(&b, `<circle class="chart-dot chart-s%d" cx="%s" cy="%s" r="2" fill="%s"/>`, r.series%len(palette), num(x(p.T)), num(y(p.Avg)), c)
			continue
		}
		var d strings.Builder
		for i, p := range r.pts {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%s %s", cmd, num(x(p.T)), num(y(p.Avg)))
		}
		fmt.Fprintf(&b, `<path class="chart-line chart-s%d" d="%s" fill="none" stroke="%s" stroke-width="1.5" stroke-linejoin="round"/>`, r.series%len(palette), d.String(), c)
	}
	drawLegend(&b, keys, bottom)
	b.WriteString("</svg>")
	return b.String()
}

func drawTimeAxis(b *strings.Builder, o Options, left, right, bottom float64, grid bool) {
	plotW := right - left
	span := float64(o.To.Sub(o.From))
	ticks := TimeTicks(o.From, o.To, o.Loc, o.Locale, int(plotW/80))
	b.WriteString(`<g class="chart-axis" fill="#5b6878" text-anchor="middle">`)
	for _, t := range ticks {
		xx := left + float64(t.T.Sub(o.From))/span*plotW
		if grid {
			fmt.Fprintf(b, `<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#d8dee6"/>`, num(xx), num(xx), num(bottom), num(bottom+4))
		}
		anchor := ""
		switch {
		case xx-left < 20:
			anchor = ` text-anchor="start"`
		case right-xx < 20:
			anchor = ` text-anchor="end"`
		}
		fmt.Fprintf(b, `<text x="%s" y="%s"%s>%s</text>`, num(xx), num(bottom+16), anchor, text(t.Label))
	}
	b.WriteString(`</g>`)
}

// legendKey is one entry of the legend: a swatch and a name on a row.
type legendKey struct {
	x    float64
	row  int
	name string
	i    int
}

func drawLegend(b *strings.Builder, keys []legendKey, bottom float64) {
	if len(keys) == 0 {
		return
	}
	b.WriteString(`<g class="chart-legend" fill="#1c2733">`)
	for _, k := range keys {
		y := bottom + axisBelow + float64(k.row)*legendRow - 4
		fmt.Fprintf(b, `<rect x="%s" y="%s" width="10" height="10" rx="2" fill="%s"/>`, num(k.x), num(y-9), Colour(k.i))
		fmt.Fprintf(b, `<text x="%s" y="%s">%s</text>`, num(k.x+15), num(y), text(k.name))
	}
	b.WriteString(`</g>`)
}

// text escapes s for XML, dropping what XML cannot hold (control
// characters, invalid UTF-8): names come from agents.
func text(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (r < 0x20 && r != '\t') || (r >= 0x7f && r < 0xa0) || r == 0xfffe || r == 0xffff {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	return html.EscapeString(s)
}

// num writes a coordinate with at most one decimal, never NaN.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	v = math.Round(v*10) / 10
	if v == math.Trunc(v) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.1f", v)
}
