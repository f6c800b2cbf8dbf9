package chart

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func paris(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// wave makes n points every step from start, avg following a slow wave,
// min and max spread around it; skip drops the points in [a, b).
func wave(start time.Time, step time.Duration, n int, base, amp, spread float64, skipFrom, skipTo int) []Point {
	var out []Point
	for i := range n {
		if i >= skipFrom && i < skipTo {
			continue
		}
		v := base + amp*math.Sin(float64(i)/float64(n)*6)
		out = append(out, Point{T: start.Add(time.Duration(i) * step), Min: v - spread, Avg: v, Max: v + spread})
	}
	return out
}

func TestGolden(t *testing.T) {
	loc := paris(t)
	// Sunday 25 October 2026, 03:00 in Paris goes back to 02:00.
	end := time.Date(2026, 10, 27, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		o      Options
		series []Series
	}{
		{"cpu_1h_gap", Options{Title: "CPU", Unit: Percent, From: end.Add(-time.Hour), To: end, Loc: loc, Locale: English},
			[]Series{{Name: "cpu", Points: wave(end.Add(-time.Hour), time.Minute, 61, 30, 20, 0, 20, 30)}}},
		{"memory_24h_fr", Options{Title: "Mémoire", Unit: Percent, From: end.Add(-24 * time.Hour), To: end, Loc: loc, Locale: French},
			[]Series{{Name: "mémoire", Points: wave(end.Add(-24*time.Hour), 5*time.Minute, 289, 60, 10, 0, -1, -1)}, {Name: "swap", Points: wave(end.Add(-24*time.Hour), 5*time.Minute, 289, 5, 2, 0, -1, -1)}}},
		{"net_7d_dst_band", Options{Title: "Network", Unit: BytesPerSecond, From: end.Add(-7 * 24 * time.Hour), To: end, Loc: loc, Locale: English},
			[]Series{{Name: "eth0 in", Points: wave(end.Add(-7*24*time.Hour), time.Hour, 169, 3<<20, 2<<20, 1<<20, 50, 60)}, {Name: "eth0 out", Points: wave(end.Add(-7*24*time.Hour), time.Hour, 169, 200<<10, 100<<10, 50<<10, -1, -1)}}},
		{"fs_30d_fr", Options{Title: "Systèmes de fichiers", Unit: Percent, From: end.Add(-30 * 24 * time.Hour), To: end, Loc: loc, Locale: French},
			[]Series{{Name: "/", Points: wave(end.Add(-30*24*time.Hour), time.Hour, 721, 70, 5, 1, -1, -1)}, {Name: "/var", Points: wave(end.Add(-30*24*time.Hour), time.Hour, 721, 91, 3, 1, -1, -1)}, {Name: "/home/<users>&co", Points: wave(end.Add(-30*24*time.Hour), time.Hour, 721, 20, 3, 1, -1, -1)}}},
		{"uptime_1y", Options{Title: "Uptime", Unit: Seconds, From: end.Add(-365 * 24 * time.Hour), To: end, Loc: loc, Locale: English},
			[]Series{{Name: "uptime", Points: wave(end.Add(-365*24*time.Hour), 24*time.Hour, 366, 20*86400, 10*86400, 0, -1, -1)}}},
		{"empty", Options{Title: "Disk I/O", Unit: Bytes, From: end.Add(-time.Hour), To: end, Loc: loc, Locale: English, Empty: "No data for this period"}, nil},
		{"single_point", Options{Title: "Load", Unit: Count, From: end.Add(-time.Hour), To: end, Loc: loc, Locale: English},
			[]Series{{Name: "load 1", Points: []Point{{T: end.Add(-time.Minute), Min: 0.4, Avg: 0.5, Max: 0.6}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := []byte(Render(tt.o, tt.series))
			wellFormed(t, got)
			path := filepath.Join("testdata", tt.name+".svg")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file (run with -update after checking the change)", path)
			}
		})
	}
}

// wellFormed checks that out is one XML document whose root is an
// accessible <svg> with a <title>, without NaN, style attributes or script.
func wellFormed(t *testing.T, out []byte) {
	t.Helper()
	s := string(out)
	for _, bad := range []string{"NaN", "Inf", "style=", "<script", "on" + "load="} {
		if strings.Contains(s, bad) {
			t.Errorf("output contains %q", bad)
		}
	}
	d := xml.NewDecoder(bytes.NewReader(out))
	first, sawTitle := true, false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, s)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if first {
				attrs := map[string]string{}
				for _, a := range se.Attr {
					attrs[a.Name.Local] = a.Value
				}
				if se.Name.Local != "svg" || attrs["role"] != "img" || attrs["aria-label"] == "" {
					t.Errorf("root %s %v: want an svg with role=img and aria-label", se.Name.Local, attrs)
				}
				first = false
			}
			if se.Name.Local == "title" {
				sawTitle = true
			}
		}
	}
	if !sawTitle {
		t.Error("no <title>")
	}
}

func TestGapsBreakTheLine(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pts := wave(from, time.Minute, 60, 50, 10, 0, 10, 20)
	segs := segments(pts, from, from.Add(time.Hour), 0)
	if len(segs) != 2 || len(segs[0]) != 10 || len(segs[1]) != 40 {
		t.Fatalf("segments: %d runs, want 2 of 10 and 40", len(segs))
	}
	out := string(Render(Options{Title: "x", From: from, To: from.Add(time.Hour)}, []Series{{Name: "a", Points: pts}}))
	if n := strings.Count(out, `class="chart-line`); n != 2 {
		t.Errorf("%d line paths, want 2 (one per run)", n)
	}
	// NaN values break the line too and never reach the output.
	pts[30].Avg = math.NaN()
	if segs := segments(pts, from, from.Add(time.Hour), time.Minute); len(segs) != 2 {
		t.Errorf("a NaN sample left %d runs", len(segs))
	}
	// A step shorter than the data's spacing does not cut every point
	// apart; a wider step joins the gap.
	if segs := segments(pts, from, from.Add(time.Hour), 10*time.Second); len(segs) != 2 {
		t.Errorf("step 10s over minute data: %d runs, want 2", len(segs))
	}
	if segs := segments(pts, from, from.Add(time.Hour), 5*time.Minute); len(segs) != 1 {
		t.Errorf("step 5 min over minute data with an 11-minute gap: %d runs, want 1", len(segs))
	}
}

func TestGapsAcrossDensityChanges(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(7 * 24 * time.Hour)
	// Five days every 30 minutes, then two days every 5 minutes (a rollup
	// of minute samples): lines, not dots.
	pts := wave(from, 30*time.Minute, 240, 50, 10, 0, -1, -1)
	pts = append(pts, wave(from.Add(5*24*time.Hour), 5*time.Minute, 576, 50, 10, 0, -1, -1)...)
	if segs := segments(pts, from, to, 5*time.Minute); len(segs) > 2 {
		t.Errorf("mixed density: %d runs, want at most 2", len(segs))
	}
	// Minute samples, a 3-hour silence, ten minutes, a 2-hour silence:
	// both silences break the line.
	var gappy []Point
	gappy = append(gappy, wave(from, time.Minute, 60, 1, 0, 0, -1, -1)...)
	gappy = append(gappy, wave(from.Add(4*time.Hour), time.Minute, 10, 1, 0, 0, -1, -1)...)
	gappy = append(gappy, wave(from.Add(6*time.Hour), time.Minute, 60, 1, 0, 0, -1, -1)...)
	if segs := segments(gappy, from, to, 0); len(segs) != 3 {
		t.Errorf("two silences: %d runs, want 3", len(segs))
	}
}

func TestThinKeepsExtremes(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pts := wave(from, time.Second, 7200, 10, 5, 1, -1, -1)
	pts[3333].Max = 999
	pts[5000].Min = -50
	got := thin(pts, from, from.Add(2*time.Hour), 100)
	if len(got) > 101 {
		t.Fatalf("thinned to %d points, want ≤ 101", len(got))
	}
	hi, lo := math.Inf(-1), math.Inf(1)
	for i, p := range got {
		hi, lo = math.Max(hi, p.Max), math.Min(lo, p.Min)
		if i > 0 && !p.T.After(got[i-1].T) {
			t.Fatalf("point %d not after the previous", i)
		}
	}
	if hi != 999 || lo != -50 {
		t.Errorf("extremes %v..%v, want -50..999", lo, hi)
	}
}

func TestValueTicksProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		u := Unit(i % 5)
		a, b := r.NormFloat64()*math.Pow(10, float64(r.IntN(12))), r.NormFloat64()*math.Pow(10, float64(r.IntN(12)))
		if i%7 == 0 {
			a = 0
		}
		if u == Percent {
			a, b = math.Mod(math.Abs(a), 100), math.Mod(math.Abs(b), 100)
		}
		lo, hi := math.Min(a, b), math.Max(a, b)
		n := 2 + r.IntN(8)
		ax := ValueTicks(lo, hi, u, n, French)
		if len(ax.Ticks) < 2 || len(ax.Ticks) > 2*n+2 {
			t.Fatalf("ValueTicks(%v, %v, %v, %d): %d ticks", lo, hi, u, n, len(ax.Ticks))
		}
		if ax.Lo() > lo || ax.Hi() < hi*(1-1e-9) {
			t.Fatalf("ValueTicks(%v, %v, %v): axis %v..%v does not cover the data", lo, hi, u, ax.Lo(), ax.Hi())
		}
		if u == Percent && ax.Hi() > 100 {
			t.Fatalf("percent axis up to %v", ax.Hi())
		}
		for j, v := range ax.Ticks {
			if !finite(v) || (j > 0 && v <= ax.Ticks[j-1]) {
				t.Fatalf("ticks %v not finite and increasing", ax.Ticks)
			}
			if l := ax.Label(v); strings.Contains(l, "NaN") || strings.Contains(l, "e+") {
				t.Fatalf("label %q", l)
			}
		}
	}
	// Junk in gives an axis, not a panic.
	for _, c := range [][2]float64{{math.NaN(), 1}, {0, math.Inf(1)}, {5, 5}, {3, 1}} {
		if ax := ValueTicks(c[0], c[1], Count, 5, English); len(ax.Ticks) < 2 {
			t.Errorf("ValueTicks(%v): %v", c, ax.Ticks)
		}
	}
}

func TestTimeTicksProperties(t *testing.T) {
	loc := paris(t)
	r := rand.New(rand.NewPCG(3, 4))
	spans := []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour, 365 * 24 * time.Hour}
	for i := range 2000 {
		to := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour))))
		span := spans[i%len(spans)]
		from := to.Add(-span)
		maxTicks := 3 + r.IntN(10)
		ticks := TimeTicks(from, to, loc, French, maxTicks)
		if len(ticks) == 0 || len(ticks) > maxTicks+1 {
			t.Fatalf("%v over %v, max %d: %d ticks", from, span, maxTicks, len(ticks))
		}
		for j, tk := range ticks {
			if tk.T.Before(from) || tk.T.After(to) {
				t.Fatalf("tick %v outside %v..%v", tk.T, from, to)
			}
			if j > 0 && !tk.T.After(ticks[j-1].T) {
				t.Fatalf("ticks not increasing: %v", ticks)
			}
			if tk.Label == "" {
				t.Fatalf("empty label at %v", tk.T)
			}
		}
	}
}

func TestTimeLabels(t *testing.T) {
	loc := paris(t)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name     string
		from, to time.Time
		l        Locale
		max      int
		want     []string
	}{
		{"hour", at("2026-03-10 09:07"), at("2026-03-10 10:07"), English, 5, []string{"09:15", "09:30", "09:45", "10:00"}},
		{"day across midnight", at("2026-03-10 10:00"), at("2026-03-11 10:00"), French, 8, []string{"12:00", "15:00", "18:00", "21:00", "mer. 11", "03:00", "06:00", "09:00"}},
		{"week", at("2026-03-09 12:00"), at("2026-03-16 12:00"), French, 8, []string{"mar. 10", "mer. 11", "jeu. 12", "ven. 13", "sam. 14", "dim. 15", "lun. 16"}},
		{"month", at("2026-03-01 00:00"), at("2026-03-31 00:00"), English, 8, []string{"02/03", "09/03", "16/03", "23/03", "30/03"}},
		{"year", at("2025-11-15 00:00"), at("2026-11-15 00:00"), French, 12, []string{"déc.", "2026", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov."}},
		// 29 March 2026: 02:00 does not exist in Paris; ticks stay on round local hours.
		{"spring forward", at("2026-03-29 00:30"), at("2026-03-29 06:30"), English, 6, []string{"01:00", "03:00", "04:00", "05:00", "06:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, tk := range TimeTicks(tt.from, tt.to, loc, tt.l, tt.max) {
				got = append(got, tk.Label)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("labels %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		v    float64
		u    Unit
		l    Locale
		want string
	}{
		{42.4, Percent, English, "42%"},
		{42.4, Percent, French, "42\u202f%"},
		{1.5 * (1 << 30), Bytes, English, "1.5 GiB"},
		{1.5 * (1 << 30), Bytes, French, "1,5 GiB"},
		{512, Bytes, English, "512 B"},
		{3.26 * (1 << 20), BytesPerSecond, English, "3.3 MiB/s"},
		{45, Seconds, English, "45 s"},
		{3 * 3600, Seconds, English, "3 h"},
		{9 * 86400, Seconds, French, "9 j"},
		{12, Count, English, "12"},
		{1500, Count, English, "1.5k"},
		{0.42, Count, English, "0.4"},
		{math.NaN(), Count, English, "—"},
	}
	for _, tt := range tests {
		if got := Format(tt.v, tt.u, tt.l); got != tt.want {
			t.Errorf("Format(%v, %v) = %q, want %q", tt.v, tt.u, got, tt.want)
		}
	}
	ax := ValueTicks(0, 900<<20, Bytes, 5, English)
	var labels []string
	for _, v := range ax.Ticks {
		labels = append(labels, ax.Label(v))
	}
	if got := strings.Join(labels, ","); got != "0 MiB,250 MiB,500 MiB,750 MiB,1000 MiB" {
		t.Errorf("byte axis labels %s", got)
	}
}

func TestBar(t *testing.T) {
	for _, c := range []struct {
		p     float64
		class string
		width string
	}{{10, "bar-ok", `width="10"`}, {85, "bar-warn", `width="85"`}, {97.26, "bar-crit", `width="97.3"`}, {140, "bar-crit", `width="100"`}, {math.NaN(), "bar-ok", `width="0"`}} {
		out := []byte(Bar(c.p, 80, 90, `/var <"x">`))
		wellFormed(t, out)
		if !bytes.Contains(out, []byte(c.class)) || !bytes.Contains(out, []byte(c.width)) {
			t.Errorf("Bar(%v) = %s", c.p, out)
		}
	}
}

func FuzzRender(f *testing.F) {
	f.Add(int64(0), 1.0, 2.0, 3.0, int64(60), "cpu")
	f.Add(int64(-5), math.Inf(1), math.NaN(), -1e300, int64(0), "<&>")
	f.Fuzz(func(t *testing.T, off int64, a, b, c float64, stepSec int64, name string) {
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		pts := []Point{{T: from.Add(time.Duration(off) * time.Second), Min: a, Avg: b, Max: c}, {T: from.Add(30 * time.Minute), Min: c, Avg: a, Max: b}, {T: from.Add(31 * time.Minute), Avg: b}}
		for u := range Unit(5) {
			out := []byte(Render(Options{Title: name, Unit: u, From: from, To: from.Add(time.Hour), Step: time.Duration(stepSec) * time.Second}, []Series{{Name: name, Points: pts}}))
			if err := xml.Unmarshal(out, new(struct{})); err != nil {
				t.Fatalf("not well-formed: %v", err)
			}
			if numbers := strings.ReplaceAll(string(out), text(name), ""); strings.Contains(numbers, "NaN") || strings.Contains(numbers, "Inf") {
				t.Fatalf("NaN in output: %s", out)
			}
		}
	})
}

// BenchmarkRenderDay draws a day of minute samples of three series, the
// heaviest graph of the asset page's default range.
func BenchmarkRenderDay(b *testing.B) {
	end := time.Date(2026, 10, 27, 10, 0, 0, 0, time.UTC)
	from := end.Add(-24 * time.Hour)
	series := []Series{
		{Name: "1 min", Points: wave(from, time.Minute, 1440, 1.5, 0.5, 0, -1, -1)},
		{Name: "5 min", Points: wave(from, time.Minute, 1440, 1.2, 0.4, 0, -1, -1)},
		{Name: "15 min", Points: wave(from, time.Minute, 1440, 1.0, 0.3, 0, -1, -1)},
	}
	o := Options{Title: "Load", Unit: Count, From: from, To: end, Width: 600, Height: 230}
	var n int
	for b.Loop() {
		n = len(Render(o, series))
	}
	b.ReportMetric(float64(n), "bytes/chart")
}
