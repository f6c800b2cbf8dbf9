package sla

import (
	"slices"
	"testing"
	"time"
)

func TestEaster(t *testing.T) {
	tests := []struct {
		year       int64
		month, day int64
	}{
		{1943, 4, 25}, // latest possible
		{1961, 4, 2},
		{2008, 3, 23},
		{2011, 4, 24},
		{2024, 3, 31},
		{2025, 4, 20},
		{2026, 4, 5},
		{2027, 3, 28},
		{2038, 4, 25},
		{2285, 3, 22}, // earliest possible
	}
	for _, tt := range tests {
		m, d := easter(tt.year)
		if m != tt.month || d != tt.day {
			t.Errorf("easter(%d) = %02d-%02d, want %02d-%02d", tt.year, m, d, tt.month, tt.day)
		}
	}
}

func TestHolidaySetDates(t *testing.T) {
	tests := []struct {
		name string
		set  HolidaySet
		year int
		want []string
	}{
		{"FR 2024", FrenchHolidays, 2024, []string{"2024-01-01", "2024-04-01", "2024-05-01", "2024-05-08", "2024-05-09", "2024-05-20", "2024-07-14", "2024-08-15", "2024-11-01", "2024-11-11", "2024-12-25"}},
		{"FR 2025", FrenchHolidays, 2025, []string{"2025-01-01", "2025-04-21", "2025-05-01", "2025-05-08", "2025-05-29", "2025-06-09", "2025-07-14", "2025-08-15", "2025-11-01", "2025-11-11", "2025-12-25"}},
		{"FR 2026", FrenchHolidays, 2026, []string{"2026-01-01", "2026-04-06", "2026-05-01", "2026-05-08", "2026-05-14", "2026-05-25", "2026-07-14", "2026-08-15", "2026-11-01", "2026-11-11", "2026-12-25"}},
		{"FR 2027", FrenchHolidays, 2027, []string{"2027-01-01", "2027-03-29", "2027-05-01", "2027-05-06", "2027-05-08", "2027-05-17", "2027-07-14", "2027-08-15", "2027-11-01", "2027-11-11", "2027-12-25"}},
		{"FR 2038", FrenchHolidays, 2038, []string{"2038-01-01", "2038-04-26", "2038-05-01", "2038-05-08", "2038-06-03", "2038-06-14", "2038-07-14", "2038-08-15", "2038-11-01", "2038-11-11", "2038-12-25"}},
		// Ascension fell on 1 May in 2008: the date is listed once.
		{"FR 2008 Ascension on 1 May", FrenchHolidays, 2008, []string{"2008-01-01", "2008-03-24", "2008-05-01", "2008-05-08", "2008-05-12", "2008-07-14", "2008-08-15", "2008-11-01", "2008-11-11", "2008-12-25"}},
		{"Alsace-Moselle 2026", AlsaceMoselleHolidays, 2026, []string{"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-01", "2026-05-08", "2026-05-14", "2026-05-25", "2026-07-14", "2026-08-15", "2026-11-01", "2026-11-11", "2026-12-25", "2026-12-26"}},
		{"Alsace-Moselle 2038", AlsaceMoselleHolidays, 2038, []string{"2038-01-01", "2038-04-23", "2038-04-26", "2038-05-01", "2038-05-08", "2038-06-03", "2038-06-14", "2038-07-14", "2038-08-15", "2038-11-01", "2038-11-11", "2038-12-25", "2038-12-26"}},
		{"none", NoHolidays, 2026, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := []string{}
			for _, d := range tt.set.Dates(tt.year) {
				got = append(got, d.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Dates(%d) =\n %v\nwant\n %v", tt.year, got, tt.want)
			}
		})
	}
}

// The Easter-based holidays keep their weekday in every year.
func TestHolidayWeekdays(t *testing.T) {
	for year := 1900; year <= 2200; year++ {
		d := AlsaceMoselleHolidays.Dates(year)
		weekdays := map[string]time.Weekday{}
		for _, date := range d {
			weekdays[date.String()] = weekdayOf(date.dayNumber())
		}
		em, ed := easter(int64(year))
		e := daysFromCivil(int64(year), em, ed)
		for _, c := range []struct {
			day  int64
			want time.Weekday
		}{{e - 2, time.Friday}, {e + 1, time.Monday}, {e + 39, time.Thursday}, {e + 50, time.Monday}} {
			s := dateOf(c.day).String()
			if got, ok := weekdays[s]; !ok || got != c.want {
				t.Fatalf("%d: %s is %v (listed %v), want a listed %v", year, s, got, ok, c.want)
			}
		}
	}
}

func TestCivilDays(t *testing.T) {
	for _, y := range []int{1, 1600, 1900, 1969, 1970, 2000, 2024, 2100, 9999} {
		for m := time.January; m <= time.December; m++ {
			for _, d := range []int{1, 28, daysIn(y, m)} {
				want := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / daySec
				date := Date{y, m, d}
				if got := date.dayNumber(); got != want {
					t.Fatalf("dayNumber(%v) = %d, want %d", date, got, want)
				}
				if back := dateOf(want); back != date {
					t.Fatalf("dateOf(%d) = %v, want %v", want, back, date)
				}
				if got, want := weekdayOf(want), time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Weekday(); got != want {
					t.Fatalf("weekdayOf(%v) = %v, want %v", date, got, want)
				}
			}
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want Date
		ok   bool
	}{
		{"2026-12-24", Date{2026, time.December, 24}, true},
		{"2024-02-29", Date{2024, time.February, 29}, true},
		{"0001-01-01", Date{1, time.January, 1}, true},
		{"2026-02-29", Date{}, false},
		{"2100-02-29", Date{}, false},
		{"2026-13-01", Date{}, false},
		{"2026-00-10", Date{}, false},
		{"0000-01-01", Date{}, false},
		{"2026-1-01", Date{}, false},
		{"2026/01/01", Date{}, false},
		{"2026-01-0x", Date{}, false},
		{"", Date{}, false},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
