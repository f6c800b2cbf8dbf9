package reportrun_test

import (
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/reportrun"
)

func zoneOf(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("time zone data missing: %v", err)
	}
	return loc
}

// TestLastDue: the period due at an instant, in the client's zone, on each
// side of the 06:00 (local) threshold, across day, month, quarter and year
// boundaries and the two DST changes of Europe/Paris in 2026 (29 March:
// a 23-hour day; 25 October: a 25-hour day).
func TestLastDue(t *testing.T) {
	paris := zoneOf(t, "Europe/Paris")
	tokyo := zoneOf(t, "Asia/Tokyo")
	at := func(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	tests := []struct {
		name string
		kind string
		loc  *time.Location
		now  time.Time
		want string
	}{
		{"day before 6:00", report.DocDaily, paris, at(paris, 2026, 10, 6, 5, 59), "2026-10-04"},
		{"day at 6:00", report.DocDaily, paris, at(paris, 2026, 10, 6, 6, 0), "2026-10-05"},
		{"day at 6:00 as UTC instant", report.DocDaily, paris, time.Date(2026, 10, 6, 4, 0, 0, 0, time.UTC), "2026-10-05"},
		{"day one minute before, as UTC", report.DocDaily, paris, time.Date(2026, 10, 6, 3, 59, 0, 0, time.UTC), "2026-10-04"},
		{"after the 25-hour day", report.DocDaily, paris, at(paris, 2026, 10, 26, 6, 0), "2026-10-25"},
		{"25-hour day, 6:00 is UTC+1 now", report.DocDaily, paris, time.Date(2026, 10, 26, 4, 59, 0, 0, time.UTC), "2026-10-24"},
		{"25-hour day, 6:00 local reached", report.DocDaily, paris, time.Date(2026, 10, 26, 5, 0, 0, 0, time.UTC), "2026-10-25"},
		{"after the 23-hour day", report.DocDaily, paris, at(paris, 2026, 3, 30, 6, 0), "2026-03-29"},
		{"23-hour day, before 6:00 CEST", report.DocDaily, paris, time.Date(2026, 3, 30, 3, 59, 0, 0, time.UTC), "2026-03-28"},
		{"day across the year", report.DocDaily, paris, at(paris, 2027, 1, 1, 7, 0), "2026-12-31"},
		{"month on the 1st before 6:00", report.DocMonthly, paris, at(paris, 2026, 11, 1, 5, 59), "2026-09"},
		{"month on the 1st at 6:00", report.DocMonthly, paris, at(paris, 2026, 11, 1, 6, 0), "2026-10"},
		{"month in the middle", report.DocMonthly, paris, at(paris, 2026, 11, 17, 12, 0), "2026-10"},
		{"March (DST) month at 6:00 CEST", report.DocMonthly, paris, time.Date(2026, 4, 1, 4, 0, 0, 0, time.UTC), "2026-03"},
		{"March month one minute before", report.DocMonthly, paris, time.Date(2026, 4, 1, 3, 59, 0, 0, time.UTC), "2026-02"},
		{"month in Tokyo, still October in UTC", report.DocMonthly, tokyo, time.Date(2026, 10, 31, 21, 0, 0, 0, time.UTC), "2026-10"},
		{"month in Tokyo, an hour before", report.DocMonthly, tokyo, time.Date(2026, 10, 31, 20, 59, 0, 0, time.UTC), "2026-09"},
		{"January for December", report.DocMonthly, paris, at(paris, 2027, 1, 1, 6, 0), "2026-12"},
		{"quarter on 1 October before 6:00", report.DocReview, paris, at(paris, 2026, 10, 1, 5, 0), "2026-Q2"},
		{"quarter on 1 October at 6:00", report.DocReview, paris, at(paris, 2026, 10, 1, 6, 0), "2026-Q3"},
		{"quarter in February", report.DocReview, paris, at(paris, 2027, 2, 10, 0, 0), "2026-Q4"},
		{"quarter on 1 April (after DST)", report.DocReview, paris, at(paris, 2026, 4, 1, 6, 0), "2026-Q1"},
		{"year on 1 January before 6:00", report.DocAnnual, paris, at(paris, 2027, 1, 1, 5, 59), "2025"},
		{"year on 1 January at 6:00", report.DocAnnual, paris, at(paris, 2027, 1, 1, 6, 0), "2026"},
		{"year in summer", report.DocAnnual, paris, at(paris, 2026, 7, 14, 12, 0), "2025"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := reportrun.LastDue(tc.kind, tc.now, tc.loc, reportrun.DefaultReadyHour)
			if got := p.Label(); got != tc.want {
				t.Errorf("LastDue(%s, %s) = %s, want %s", tc.kind, tc.now.In(tc.loc).Format(time.RFC3339), got, tc.want)
			}
			if p.Kind != report.PeriodKind(tc.kind) || p.Location != tc.loc {
				t.Errorf("period kind %s zone %v", p.Kind, p.Location)
			}
			if ready := reportrun.ReadyAt(p, reportrun.DefaultReadyHour); tc.now.Before(ready) {
				t.Errorf("period %s is due at %s, after now", p.Label(), ready)
			}
			if !tc.now.After(p.To) {
				t.Errorf("period %s not over at now", p.Label())
			}
		})
	}
}

// TestReadyAtIsLocalWallClock: 06:00 local on the DST days, not 24 hours
// after midnight.
func TestReadyAtIsLocalWallClock(t *testing.T) {
	paris := zoneOf(t, "Europe/Paris")
	tests := []struct {
		name string
		p    report.Period
		want time.Time
	}{
		{"25-hour day", report.Day(2026, 10, 25, paris), time.Date(2026, 10, 26, 5, 0, 0, 0, time.UTC)},
		{"23-hour day", report.Day(2026, 3, 29, paris), time.Date(2026, 3, 30, 4, 0, 0, 0, time.UTC)},
		{"October", report.Month(2026, 10, paris), time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC)},
		{"Q1", report.Quarter(2026, 1, paris), time.Date(2026, 4, 1, 4, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := reportrun.ReadyAt(tc.p, 6); !got.Equal(tc.want) {
				t.Errorf("ReadyAt = %s, want %s", got.UTC(), tc.want)
			}
		})
	}
}
