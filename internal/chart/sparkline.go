package chart

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// SparkPoint is one column of a sparkline, e.g. a month.
type SparkPoint struct {
	Label string   // under the column ("oct.")
	Value *float64 // nil: no value (drawn as a dash)
}

// SparkOptions say what a sparkline shows.
type SparkOptions struct {
	// Title is the chart's accessible name.
	Title  string
	Unit   Unit
	Locale Locale
	// Colour of the columns; empty: the first of the palette.
	Colour string
	// Width and Height; zero: 260 × 90.
	Width, Height int
	// LastPartial draws the last column lighter: a period still running.
	LastPartial bool
}

// Sparkline draws a small column chart of a few values, one per period,
// with each column's label below and its value as a tooltip, the last
// value written above its column. A percent sparkline's scale is 0…100.
func Sparkline(o SparkOptions, pts []SparkPoint) template.HTML {
	return template.HTML(sparkString(o, pts)) //nolint:gosec // every text inside is escaped
}

func sparkString(o SparkOptions, pts []SparkPoint) string {
	if o.Width <= 0 {
		o.Width = 260
	}
	if o.Height <= 0 {
		o.Height = 90
	}
	if o.Locale.Day == "" {
		o.Locale = English
	}
	if o.Colour == "" {
		o.Colour = Colour(0)
	}
	W, H := float64(o.Width), float64(o.Height)
	top, bottom := 16.0, H-16
	most := 0.0
	for _, p := range pts {
		if p.Value != nil && finite(*p.Value) {
			most = math.Max(most, *p.Value)
		}
	}
	if o.Unit == Percent {
		most = 100
	}
	if most <= 0 {
		most = 1
	}
	var b strings.Builder
	title := text(o.Title)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-spark" viewBox="0 0 %s %s" role="img" aria-label="%s" font-size="10" font-family="system-ui, sans-serif">`, num(W), num(H), title)
	fmt.Fprintf(&b, "<title>%s</title>", title)
	fmt.Fprintf(&b, `<line x1="0" x2="%s" y1="%s" y2="%s" stroke="#d8dee6"/>`, num(W), num(bottom), num(bottom))
	if len(pts) == 0 {
		b.WriteString("</svg>")
		return b.String()
	}
	slot := W / float64(len(pts))
	colW := math.Max(slot*0.6, 2)
	for i, p := range pts {
		x := float64(i)*slot + (slot-colW)/2
		cx := x + colW/2
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" fill="#5b6878">%s</text>`, num(cx), num(H-3), text(p.Label))
		if p.Value == nil || !finite(*p.Value) {
			fmt.Fprintf(&b, `<line class="chart-none" x1="%s" x2="%s" y1="%s" y2="%s" stroke="#9aa5b1"><title>%s</title></line>`,
				num(x), num(x+colW), num(bottom-1), num(bottom-1), text(p.Label+" : —"))
			continue
		}
		v := math.Max(*p.Value, 0)
		h := math.Max(v/most*(bottom-top), 1)
		opacity := ""
		if o.LastPartial && i == len(pts)-1 {
			opacity = ` fill-opacity="0.45"`
		}
		label := Format(*p.Value, o.Unit, o.Locale)
		fmt.Fprintf(&b, `<rect class="chart-col" x="%s" y="%s" width="%s" height="%s" fill="%s"%s><title>%s</title></rect>`,
			num(x), num(bottom-h), num(colW), num(h), o.Colour, opacity, text(p.Label+" : "+label))
		if i == len(pts)-1 {
			fmt.Fprintf(&b, `<text class="chart-last" x="%s" y="%s" text-anchor="middle" fill="#1c2733" font-weight="600">%s</text>`, num(cx), num(bottom-h-4), text(label))
		}
	}
	b.WriteString("</svg>")
	return b.String()
}
