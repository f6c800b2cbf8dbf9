package report

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// CapacityWindow is how far back the trend of a filesystem is fitted: the
// last 30 days of the period.
const CapacityWindow = 30 * 24 * time.Hour

// Capacity warning thresholds: a filesystem is listed when it is full in
// CapacityDaysLeft days or less at its trend, or already CapacityFullPercent
// used.
const (
	CapacityDaysLeft    = 30
	CapacityFullPercent = 90.0
)

// FSPoint is a filesystem's used percentage at an instant.
type FSPoint struct {
	T           time.Time
	UsedPercent float64
}

// FSSeries is the used percentage of one filesystem (an asset's mount).
type FSSeries struct {
	AssetID int64
	Asset   string
	Mount   string
	Points  []FSPoint
}

// Capacity is a filesystem trending full.
type Capacity struct {
	AssetID int64  `json:"asset_id"`
	Asset   string `json:"asset"`
	Mount   string `json:"mount"`
	// UsedPercent is the last value measured in the window.
	UsedPercent float64   `json:"used_percent"`
	At          time.Time `json:"at"` // when it was measured
	// GrowthPerDay is the slope of the least-squares line through the
	// window's points, in percentage points a day (negative: shrinking).
	GrowthPerDay float64 `json:"growth_per_day"`
	// DaysLeft is how many days from the last measure until 100 % at that
	// slope; nil when the filesystem does not grow.
	DaysLeft *float64 `json:"days_left"`
	Points   int      `json:"points"`
}

// CapacityOf fits a line through each filesystem's points in [from, until]
// (at least two points a day apart, else the filesystem is skipped) and
// returns those whose days left are CapacityDaysLeft or fewer or whose last
// value is CapacityFullPercent or more, the soonest full first (then the
// fullest, then by asset and mount).
func CapacityOf(series []FSSeries, from, until time.Time) []Capacity {
	out := []Capacity{}
	for _, s := range series {
		var pts []FSPoint
		for _, p := range s.Points {
			if !p.T.Before(from) && !p.T.After(until) && !math.IsNaN(p.UsedPercent) && !math.IsInf(p.UsedPercent, 0) {
				pts = append(pts, p)
			}
		}
		if len(pts) < 2 {
			continue
		}
		slices.SortStableFunc(pts, func(a, b FSPoint) int { return a.T.Compare(b.T) })
		first, last := pts[0], pts[len(pts)-1]
		if last.T.Sub(first.T) < 24*time.Hour {
			continue
		}
		slope := Slope(pts)
		used := math.Min(100, math.Max(0, last.UsedPercent))
		c := Capacity{AssetID: s.AssetID, Asset: s.Asset, Mount: s.Mount, UsedPercent: round(used, 2), At: last.T,
			GrowthPerDay: round(slope, 3), Points: len(pts)}
		if slope > 0 {
			d := round((100-used)/slope, 1)
			c.DaysLeft = &d
		}
		if (c.DaysLeft != nil && *c.DaysLeft <= CapacityDaysLeft) || used >= CapacityFullPercent {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Capacity) int {
		switch {
		case a.DaysLeft != nil && b.DaysLeft == nil:
			return -1
		case a.DaysLeft == nil && b.DaysLeft != nil:
			return 1
		case a.DaysLeft != nil && *a.DaysLeft != *b.DaysLeft:
			return cmp.Compare(*a.DaysLeft, *b.DaysLeft)
		}
		return cmp.Or(cmp.Compare(b.UsedPercent, a.UsedPercent), strings.Compare(strings.ToLower(a.Asset), strings.ToLower(b.Asset)),
			cmp.Compare(a.AssetID, b.AssetID), strings.Compare(a.Mount, b.Mount))
	})
	return out
}

// Slope is the least-squares slope of the points, in percentage points a
// day; 0 with fewer than two distinct instants.
func Slope(pts []FSPoint) float64 {
	if len(pts) < 2 {
		return 0
	}
	// Days since the first point, to keep the sums small.
	t0 := pts[0].T
	var n, sx, sy float64
	for _, p := range pts {
		n++
		sx += p.T.Sub(t0).Hours() / 24
		sy += p.UsedPercent
	}
	mx, my := sx/n, sy/n
	var sxy, sxx float64
	for _, p := range pts {
		dx := p.T.Sub(t0).Hours()/24 - mx
		sxy += dx * (p.UsedPercent - my)
		sxx += dx * dx
	}
	if sxx == 0 {
		return 0
	}
	return sxy / sxx
}
