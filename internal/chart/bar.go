package chart

import (
	"fmt"
	"html/template"
	"math"
)

// Bar draws a small horizontal gauge of a share in percent, for tables
// (disk, memory): green below warnAt, amber from warnAt, red from critAt.
// label is its accessible name (and tooltip), e.g. "/var 92 %".
func Bar(percent, warnAt, critAt float64, label string) template.HTML {
	if !finite(percent) {
		percent = 0
	}
	p := math.Min(math.Max(percent, 0), 100)
	level, colour := "ok", "#067647"
	switch {
	case percent >= critAt:
		level, colour = "crit", "#b42318"
	case percent >= warnAt:
		level, colour = "warn", "#b54708"
	}
	l := text(label)
	return template.HTML(fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" class="bar bar-%s" viewBox="0 0 100 8" preserveAspectRatio="none" role="img" aria-label="%s"><title>%s</title><rect width="100" height="8" rx="2" fill="#e4e8ee"/><rect width="%s" height="8" rx="2" fill="%s"/></svg>`, level, l, l, num(p), colour)) //nolint:gosec // label escaped
}
