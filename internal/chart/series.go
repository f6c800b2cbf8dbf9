package chart

import (
	"math"
	"slices"
	"time"
)

// segments cuts points into runs without gaps: points outside [from, to]
// or with a value that is not finite are dropped, and two points further
// apart than 2.5 steps end one run and start the next, so that missing
// data is drawn as a break instead of a line across it.
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
	if step <= 0 {
		step = medianStep(pts)
	}
	limit := step * 5 / 2
	var out [][]Point
	start := 0
	for i := 1; i < len(pts); i++ {
		if pts[i].T.Sub(pts[i-1].T) > limit {
			out = append(out, pts[start:i])
			start = i
		}
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
