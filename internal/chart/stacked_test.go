package chart

import (
	"strings"
	"testing"
)

func TestStacked(t *testing.T) {
	tests := []struct {
		name      string
		rows      []StackRow
		want      []string
		wantNot   []string
		wantParts int
	}{
		{
			name: "parts, totals, links and escaped names",
			rows: []StackRow{
				{Label: "Alpha & Co", Href: "/tickets?client=1&queue=open", Values: []float64{3, 0, 2}},
				{Label: "Bravo", Values: []float64{1, 1, 1}},
			},
			want:      []string{"Alpha &amp; Co", `href="/tickets?client=1&amp;queue=open"`, ">5</text>", ">3</text>", "<title>Alpha &amp; Co — Breached : 2</title>", `fill="#b42318"`},
			wantNot:   []string{"Alpha & Co"},
			wantParts: 5, // the zero part is not drawn
		},
		{
			name:    "nothing to draw shows the empty text",
			rows:    []StackRow{{Label: "Alpha", Values: []float64{0, 0, 0}}},
			want:    []string{`class="chart-empty"`, "No open ticket"},
			wantNot: []string{"chart-part"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stackedString(StackOptions{Title: "SLA", Keys: []string{"On time", "At risk", "Breached"},
				Colours: []string{"#067647", "#b54708", "#b42318"}, Empty: "No open ticket"}, tt.rows)
			wellFormed(t, []byte(s))
			for _, w := range tt.want {
				if !strings.Contains(s, w) {
					t.Errorf("missing %q in\n%s", w, s)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(s, w) {
					t.Errorf("unexpected %q in\n%s", w, s)
				}
			}
			if n := strings.Count(s, `class="chart-part`); n != tt.wantParts {
				t.Errorf("%d parts drawn, want %d", n, tt.wantParts)
			}
		})
	}
}

func TestStackedScale(t *testing.T) {
	// The longest bar spans the whole bar area; half the total, half of it.
	s := stackedString(StackOptions{Title: "t", Width: 720}, []StackRow{{Label: "a", Values: []float64{10}}, {Label: "b", Values: []float64{5}}})
	full := 720 - stackLabelW - stackTotalW
	if !strings.Contains(s, `width="`+num(float64(full))+`"`) || !strings.Contains(s, `width="`+num(float64(full)/2)+`"`) {
		t.Errorf("bars not to scale:\n%s", s)
	}
}

func TestSparkline(t *testing.T) {
	v := func(x float64) *float64 { return &x }
	tests := []struct {
		name string
		o    SparkOptions
		pts  []SparkPoint
		want []string
	}{
		{"counts, last value written, running month lighter", SparkOptions{Title: "Opened", LastPartial: true},
			[]SparkPoint{{"jun", v(4)}, {"jul", v(8)}, {"aug", v(2)}},
			[]string{"<title>jul : 8</title>", `class="chart-last"`, ">2</text>", `fill-opacity="0.45"`}},
		{"a month without a value is a dash", SparkOptions{Title: "TTR", Unit: Percent, Locale: French},
			[]SparkPoint{{"juin", nil}, {"juil.", v(87.5)}},
			[]string{`class="chart-none"`, "<title>juin : —</title>", "88\u202f%"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sparkString(tt.o, tt.pts)
			wellFormed(t, []byte(s))
			for _, w := range tt.want {
				if !strings.Contains(s, w) {
					t.Errorf("missing %q in\n%s", w, s)
				}
			}
			if strings.Contains(s, "NaN") || strings.Contains(s, ` style="`) {
				t.Errorf("NaN or a style attribute in\n%s", s)
			}
		})
	}
}
