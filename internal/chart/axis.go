package chart

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Unit is what a series' values measure; it decides the value axis' round
// steps and how numbers are written.
type Unit int

// Units.
const (
	Count          Unit = iota // 12, 1.5k, 3M
	Percent                    // 0…100
	Bytes                      // 1.5 GiB
	BytesPerSecond             // 12 MiB/s
	Seconds                    // shown as a duration: 45 s, 12 min, 3 h, 9 d
)

// Axis is a value axis: round ticks from the lowest to the highest, and
// the scale they are written in (all labels of one axis share it).
type Axis struct {
	Ticks    []float64
	scale    float64
	suffix   string
	decimals int
	locale   Locale
}

// scaleFor picks the prefix (or duration unit) of an axis whose largest
// magnitude is m.
func scaleFor(m float64, u Unit, l Locale) (float64, string) {
	switch u {
	case Percent:
		if l.DecimalComma {
			return 1, "\u202f%"
		}
		return 1, "%"
	case Bytes, BytesPerSecond:
		prefixes := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
		s, i := 1.0, 0
		for m >= 1024*s && i < len(prefixes)-1 {
			s, i = s*1024, i+1
		}
		suf := " " + prefixes[i]
		if u == BytesPerSecond {
			suf += "/s"
		}
		return s, suf
	case Seconds:
		switch {
		case m >= 2*86400:
			return 86400, " " + l.Day
		case m >= 2*3600:
			return 3600, " h"
		case m >= 120:
			return 60, " min"
		}
		return 1, " s"
	}
	prefixes := []string{"", "k", "M", "G", "T"}
	s, i := 1.0, 0
	for m >= 1000*s && i < len(prefixes)-1 {
		s, i = s*1000, i+1
	}
	return s, prefixes[i]
}

// ValueTicks chooses about n round ticks covering [lo, hi] in unit u. The
// axis starts at zero for positive data; a percent axis stops at 100.
func ValueTicks(lo, hi float64, u Unit, n int, l Locale) Axis {
	if !finite(lo) || !finite(hi) || hi < lo {
		lo, hi = 0, 0
	}
	lo = math.Min(lo, 0)
	if hi <= lo {
		hi = lo + 1
		if u == Percent {
			hi = lo + 10
		}
	}
	n = min(max(n, 2), 10)
	scale, suffix := scaleFor(math.Max(math.Abs(lo), math.Abs(hi)), u, l)
	slo, shi := lo/scale, hi/scale
	step := niceStep((shi - slo) / float64(n-1))
	first := math.Floor(slo/step+1e-9) * step
	last := math.Ceil(shi/step-1e-9) * step
	if last < shi {
		last += step
	}
	if first > slo {
		first -= step
	}
	if u == Percent && hi <= 100 && last > 100 {
		last = 100
	}
	a := Axis{scale: scale, suffix: suffix, locale: l}
	// As many decimals as the step needs (2.5 needs one, 0.25 two).
	for a.decimals = 0; a.decimals < 12; a.decimals++ {
		x := step * math.Pow(10, float64(a.decimals))
		if math.Abs(x-math.Round(x)) < 1e-6*x {
			break
		}
	}
	for i := 0; ; i++ {
		v := first + float64(i)*step
		if v > last+step*1e-6 {
			break
		}
		// Round away the float error of the multiplication.
		v = math.Round(v/step) * step
		a.Ticks = append(a.Ticks, v*scale)
	}
	return a
}

// niceStep is the smallest 1, 2, 2.5 or 5 × 10ⁿ at least raw.
func niceStep(raw float64) float64 {
	if raw <= 0 || !finite(raw) {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw*(1-1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}

// Lo and Hi are the axis' ends.
func (a Axis) Lo() float64 { return a.Ticks[0] }

// Hi is the axis' top.
func (a Axis) Hi() float64 { return a.Ticks[len(a.Ticks)-1] }

// Label writes a value in the axis' scale.
func (a Axis) Label(v float64) string {
	return number(v/a.scale, a.decimals, a.locale) + a.suffix
}

// Format writes one value in unit u with a prefix fit for its size and up
// to three significant digits: 42 %, 1.5 GiB, 3.2 MiB/s, 12 min.
func Format(v float64, u Unit, l Locale) string {
	if l.Day == "" {
		l = English
	}
	if !finite(v) {
		return "—"
	}
	scale, suffix := scaleFor(math.Abs(v), u, l)
	s := v / scale
	dec := 0
	switch a := math.Abs(s); {
	case a == 0 || a >= 100:
	case a >= 10:
		dec = 1
	default:
		dec = 1
		if u == Count && scale == 1 && s == math.Trunc(s) {
			dec = 0
		}
		if a < 1 && u != Count {
			dec = 2
		}
	}
	if u == Percent && math.Abs(s) >= 10 {
		dec = 0
	}
	return number(s, dec, l) + suffix
}

// number writes v with at most dec decimals, dropping trailing zeros.
func number(v float64, dec int, l Locale) string {
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	if l.DecimalComma {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// TimeTick is one labelled mark of the time axis.
type TimeTick struct {
	T     time.Time
	Label string
}

// timeStep is a candidate distance between time ticks, counted on the
// wall clock of the axis' zone so that ticks fall on round local times
// across daylight-saving changes.
type timeStep struct {
	unit   string // minute, hour, day, week, month, year
	n      int
	approx time.Duration
}

var timeSteps = []timeStep{
	{"minute", 1, time.Minute}, {"minute", 2, 2 * time.Minute}, {"minute", 5, 5 * time.Minute},
	{"minute", 10, 10 * time.Minute}, {"minute", 15, 15 * time.Minute}, {"minute", 30, 30 * time.Minute},
	{"hour", 1, time.Hour}, {"hour", 2, 2 * time.Hour}, {"hour", 3, 3 * time.Hour},
	{"hour", 6, 6 * time.Hour}, {"hour", 12, 12 * time.Hour},
	{"day", 1, 24 * time.Hour}, {"day", 2, 48 * time.Hour}, {"week", 1, 7 * 24 * time.Hour},
	{"month", 1, 30 * 24 * time.Hour}, {"month", 2, 61 * 24 * time.Hour}, {"month", 3, 91 * 24 * time.Hour},
	{"month", 6, 182 * 24 * time.Hour}, {"year", 1, 365 * 24 * time.Hour},
}

// TimeTicks chooses at most maxTicks round moments in [from, to] in loc
// and labels them: HH:MM within a day (the date at midnight), the weekday
// for a week, day/month for a month, month names for a year.
func TimeTicks(from, to time.Time, loc *time.Location, l Locale, maxTicks int) []TimeTick {
	if loc == nil {
		loc = time.UTC
	}
	if l.Day == "" {
		l = English
	}
	maxTicks = max(maxTicks, 2)
	span := to.Sub(from)
	if span <= 0 {
		return nil
	}
	st := timeSteps[len(timeSteps)-1]
	for _, c := range timeSteps {
		if span/c.approx <= time.Duration(maxTicks) {
			st = c
			break
		}
	}
	for st.unit == "year" && span/(time.Duration(st.n)*st.approx) > time.Duration(maxTicks) {
		st.n *= 2
	}
	f := from.In(loc)
	y, m, d := f.Date()
	var next func(k int) time.Time
	switch st.unit {
	case "minute", "hour":
		unit := time.Minute
		if st.unit == "hour" {
			unit = time.Hour
		}
		// Start at the hour (or midnight for hour steps) and walk the wall clock.
		start := time.Date(y, m, d, f.Hour(), 0, 0, 0, loc)
		if st.unit == "hour" {
			start = time.Date(y, m, d, 0, 0, 0, 0, loc)
		}
		sh, sm := start.Hour(), start.Minute()
		next = func(k int) time.Time {
			if unit == time.Hour {
				return time.Date(start.Year(), start.Month(), start.Day(), sh+k*st.n, sm, 0, 0, loc)
			}
			return time.Date(start.Year(), start.Month(), start.Day(), sh, sm+k*st.n, 0, 0, loc)
		}
	case "day":
		next = func(k int) time.Time { return time.Date(y, m, d+k*st.n, 0, 0, 0, 0, loc) }
	case "week":
		back := (int(f.Weekday()) + 6) % 7 // days since Monday
		next = func(k int) time.Time { return time.Date(y, m, d-back+7*k, 0, 0, 0, 0, loc) }
	case "month":
		m0 := time.Month((int(m)-1)/st.n*st.n + 1)
		next = func(k int) time.Time { return time.Date(y, m0+time.Month(k*st.n), 1, 0, 0, 0, 0, loc) }
	default:
		y0 := y / st.n * st.n
		next = func(k int) time.Time { return time.Date(y0+k*st.n, 1, 1, 0, 0, 0, 0, loc) }
	}
	var out []TimeTick
	for k := 0; k < 100000; k++ {
		t := next(k)
		if t.After(to) {
			break
		}
		if t.Before(from) || (len(out) > 0 && !t.After(out[len(out)-1].T)) {
			continue
		}
		out = append(out, TimeTick{T: t, Label: timeLabel(t.In(loc), st, span, l)})
	}
	return out
}

func timeLabel(t time.Time, st timeStep, span time.Duration, l Locale) string {
	dm := fmt.Sprintf("%02d/%02d", t.Day(), int(t.Month()))
	switch st.unit {
	case "minute", "hour":
		if t.Hour() == 0 && t.Minute() == 0 {
			if span <= 26*time.Hour {
				return l.Weekdays[t.Weekday()] + " " + strconv.Itoa(t.Day())
			}
			return dm
		}
		return t.Format("15:04")
	case "day":
		if span <= 8*24*time.Hour {
			return l.Weekdays[t.Weekday()] + " " + strconv.Itoa(t.Day())
		}
		return dm
	case "week":
		return dm
	case "month":
		if t.Month() == time.January {
			return strconv.Itoa(t.Year())
		}
		return l.Months[t.Month()-1]
	}
	return strconv.Itoa(t.Year())
}
