package chart

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// StackRow is one horizontal bar of a stacked bar chart: one value per key.
type StackRow struct {
	Label string
	// Href, when set, links the row's label and bar (a local page).
	Href   string
	Values []float64
}

// StackOptions say what a stacked bar chart shows.
type StackOptions struct {
	// Title is the chart's accessible name.
	Title string
	// Keys name the parts of every bar, in order (the legend).
	Keys []string
	// Colours are the parts' colours; missing ones are the palette's.
	Colours []string
	// Empty is the text shown when no row has a value.
	Empty  string
	Locale Locale
	// Width of the drawing in user units; zero: 720.
	Width int
}

const (
	stackRowH   = 22
	stackBarH   = 14
	stackLabelW = 170
	stackTotalW = 48
)

// Stacked draws rows as horizontal bars split in parts (e.g. the open
// tickets of each client by support level, or by SLA state), with each
// bar's total at its end and a legend on top. Every part has a <title>
// tooltip naming its key and value, so the chart reads without colours.
func Stacked(o StackOptions, rows []StackRow) template.HTML {
	return template.HTML(stackedString(o, rows)) //nolint:gosec // every text inside is escaped
}

func stackColour(o StackOptions, i int) string {
	if i < len(o.Colours) && o.Colours[i] != "" {
		return o.Colours[i]
	}
	return Colour(i)
}

func stackedString(o StackOptions, rows []StackRow) string {
	if o.Width <= 0 {
		o.Width = 720
	}
	if o.Locale.Day == "" {
		o.Locale = English
	}
	W := float64(o.Width)
	most := 0.0
	for _, r := range rows {
		most = math.Max(most, rowTotal(r))
	}
	legendH := 0.0
	if len(o.Keys) > 0 {
		legendH = legendRow + 4
	}
	n := len(rows)
	if most <= 0 {
		n = 0
	}
	H := legendH + float64(max(n, 1))*stackRowH + 4
	var b strings.Builder
	title := text(o.Title)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-stacked" viewBox="0 0 %s %s" role="img" aria-label="%s" font-size="11" font-family="system-ui, sans-serif">`, num(W), num(H), title)
	fmt.Fprintf(&b, "<title>%s</title>", title)
	if len(o.Keys) > 0 {
		b.WriteString(`<g class="chart-legend" fill="#1c2733">`)
		x := 0.0
		for i, k := range o.Keys {
			fmt.Fprintf(&b, `<rect x="%s" y="2" width="10" height="10" rx="2" fill="%s"/>`, num(x), stackColour(o, i))
			fmt.Fprintf(&b, `<text x="%s" y="11">%s</text>`, num(x+15), text(k))
			x += 15 + 6.2*float64(len([]rune(k))) + 18
		}
		b.WriteString(`</g>`)
	}
	if n == 0 {
		fmt.Fprintf(&b, `<text class="chart-empty" x="%s" y="%s" text-anchor="middle" fill="#5b6878" font-size="13">%s</text></svg>`, num(W/2), num(legendH+15), text(o.Empty))
		return b.String()
	}
	barW := W - stackLabelW - stackTotalW
	for i, r := range rows {
		y := legendH + float64(i)*stackRowH
		open, closeTag := "", ""
		if r.Href != "" {
			open, closeTag = fmt.Sprintf(`<a href="%s">`, text(r.Href)), `</a>`
		}
		b.WriteString(`<g class="chart-row">` + open)
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" fill="#1c2733">%s</text>`, num(stackLabelW-8), num(y+stackBarH-2), text(clipLabel(r.Label, 26)))
		x := float64(stackLabelW)
		for j, v := range r.Values {
			if !finite(v) || v <= 0 {
				continue
			}
			w := v / most * barW
			key := ""
			if j < len(o.Keys) {
				key = o.Keys[j] + " : "
			}
			fmt.Fprintf(&b, `<rect class="chart-part chart-s%d" x="%s" y="%s" width="%s" height="%d" fill="%s"><title>%s</title></rect>`,
				j%len(palette), num(x), num(y), num(math.Max(w, 0.5)), stackBarH, stackColour(o, j), text(r.Label+" — "+key+Format(v, Count, o.Locale)))
			x += w
		}
		fmt.Fprintf(&b, `<text class="chart-total" x="%s" y="%s" fill="#5b6878">%s</text>`, num(x+6), num(y+stackBarH-2), text(Format(rowTotal(r), Count, o.Locale)))
		b.WriteString(closeTag + `</g>`)
	}
	b.WriteString("</svg>")
	return b.String()
}

func rowTotal(r StackRow) float64 {
	t := 0.0
	for _, v := range r.Values {
		if finite(v) && v > 0 {
			t += v
		}
	}
	return t
}

// clipLabel shortens s to n characters with an ellipsis.
func clipLabel(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
