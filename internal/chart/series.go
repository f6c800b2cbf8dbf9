package chart

import (
	"math"
	"slices"
	"time"
)

// segments cuts points into runs without gaps: points outside [from, to]
// or with a value that is not finite are dropped, and a gap much wider
// than the usual spacing ends one run and starts the next, so that
// missing data is drawn as a break instead of a line across it.
func segments(points []Point, from, to time.Time, step time.Duration) [][]Point {
	pts := make([]Point, 0, len(points))
	for _, p := range points {
		if p.T.Before(from) || p.T.After(to) || !finite(p.Avg) {
			continue
		}
		if !finite(p.Min) || p.Min > p.Avg {
			p.Min = p.Avg
		}
		if !finite(p.Max) || p.Max < p.Avg {
			p.Max = p.Avg
		}
		pts = append(pts, p)
	}
	slices.SortStableFunc(pts, func(a, b Point) int { return a.T.Compare(b.T) })
	if len(pts) == 0 {
		return nil
	}
	// A gap is measured against the step and against the spacing just
	// before it, so that data whose density changes (an agent whose
	// interval was raised, history sampled every 30 minutes before a day
	// of minute samples) is drawn as lines, not as dots, while a silence
	// well beyond the usual spacing breaks the line. The spacing counted
	// is capped at an hour (the longest report interval and the coarsest
	// rollup), so that one long outage does not hide the next one.
	base := max(step, medianStep(pts))
	ceiling := max(base, time.Hour)
	prev := base
	var out [][]Point
	start := 0
	for i := 1; i < len(pts); i++ {
		g := pts[i].T.Sub(pts[i-1].T)
		if g > max(base, prev)*5/2 {
			out = append(out, pts[start:i])
			start = i
		}
		prev = min(g, ceiling)
	}
	return append(out, pts[start:])
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// medianStep is the median distance between consecutive points; one point
// alone gets a minute.
func medianStep(pts []Point) time.Duration {
	if len(pts) < 2 {
		return time.Minute
	}
	d := make([]time.Duration, 0, len(pts)-1)
	for i := 1; i < len(pts); i++ {
		if g := pts[i].T.Sub(pts[i-1].T); g > 0 {
			d = append(d, g)
		}
	}
	if len(d) == 0 {
		return time.Minute
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// thin merges the points of a run that fall in the same of n buckets of
// [from, to]: the lowest minimum, the highest maximum and the mean of the
// averages at the mean time, so that a long range keeps its extremes
// without a path of thousands of points.
func thin(pts []Point, from, to time.Time, n int) []Point {
	if n < 1 || len(pts) <= n {
		return pts
	}
	width := to.Sub(from) / time.Duration(n)
	if width <= 0 {
		return pts
	}
	out := make([]Point, 0, n)
	var cur Point
	var sumAvg float64
	var sumT int64
	count := 0
	bucket := int64(-1)
	flush := func() {
		if count == 0 {
			return
		}
		cur.Avg = sumAvg / float64(count)
		cur.T = from.Add(time.Duration(sumT / int64(count)))
		out = append(out, cur)
	}
	for _, p := range pts {
		k := int64(p.T.Sub(from) / width)
		if k != bucket {
			flush()
			bucket, count, sumAvg, sumT = k, 0, 0, 0
			cur = Point{Min: p.Min, Max: p.Max}
		}
		cur.Min, cur.Max = math.Min(cur.Min, p.Min), math.Max(cur.Max, p.Max)
		sumAvg += p.Avg
		// Offsets from the range's start keep the sum far from overflow.
		sumT += int64(p.T.Sub(from))
		count++
	}
	flush()
	return out
}
