package sla

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestAdd(t *testing.T) {
	office := mustParse(t, officeText)
	alsace := mustParse(t, `{"tz":"Europe/Paris","week":{"mon":["08:30-12:00","13:30-18:00"],"tue":["08:30-12:00","13:30-18:00"],`+
		`"wed":["08:30-12:00","13:30-18:00"],"thu":["08:30-12:00","13:30-18:00"],"fri":["08:30-12:00","13:30-18:00"]},"holidays":"FR-alsace-moselle"}`)
	bridge := mustParse(t, officeText[:len(officeText)-1]+`,"extra":["2026-05-15"]}`)
	solidarity := mustParse(t, officeText[:len(officeText)-1]+`,"worked":["2026-05-25"]}`)
	allDay := mustParse(t, everyDay("Europe/Paris", "00:00-24:00"))
	night := mustParse(t, everyDay("Europe/Paris", "00:00-06:00", "22:00-24:00"))
	dstRange := mustParse(t, everyDay("Europe/Paris", "02:00-03:30"))
	early := mustParse(t, everyDay("Europe/Paris", "01:00-02:30"))

	tests := []struct {
		name  string
		cal   *Calendar
		start time.Time
		d     time.Duration
		want  time.Time
	}{
		{"inside a range", office, local(t, "2026-03-03 09:00"), 2 * time.Hour, local(t, "2026-03-03 11:00")},
		{"across lunch", office, local(t, "2026-03-03 11:00"), 2 * time.Hour, local(t, "2026-03-03 14:30")},
		{"ends exactly at a range end", office, local(t, "2026-03-03 11:00"), time.Hour, local(t, "2026-03-03 12:00")},
		{"start before opening", office, local(t, "2026-03-03 07:00"), time.Hour, local(t, "2026-03-03 09:30")},
		{"start during lunch", office, local(t, "2026-03-03 12:30"), 30 * time.Minute, local(t, "2026-03-03 14:00")},
		{"start after closing", office, local(t, "2026-03-03 19:00"), time.Hour, local(t, "2026-03-04 09:30")},
		{"Friday evening deadline stays on Friday", office, local(t, "2026-03-06 17:00"), time.Hour, local(t, "2026-03-06 18:00")},
		{"over the weekend", office, local(t, "2026-03-06 17:00"), 2 * time.Hour, local(t, "2026-03-09 09:30")},
		{"start on Saturday", office, local(t, "2026-03-07 10:00"), time.Hour, local(t, "2026-03-09 09:30")},
		{"4 hours", office, local(t, "2026-03-03 10:00"), 4 * time.Hour, local(t, "2026-03-03 15:30")},
		{"2 business days", office, local(t, "2026-03-03 10:00"), 16 * time.Hour, local(t, "2026-03-05 10:00")},
		{"40 hours from Monday opening is Friday closing", office, local(t, "2026-03-02 08:30"), 40 * time.Hour, local(t, "2026-03-06 18:00")},
		{"80 hours from Monday opening", office, local(t, "2026-03-02 08:30"), 80 * time.Hour, local(t, "2026-03-13 18:00")},
		{"40 hours from Wednesday", office, local(t, "2026-03-04 10:00"), 40 * time.Hour, local(t, "2026-03-11 10:00")},
		{"one second", office, local(t, "2026-03-03 11:59:59"), 2 * time.Second, local(t, "2026-03-03 13:30:01")},
		{"nanoseconds inside business time", office, local(t, "2026-03-03 11:59:59.5"), time.Second, local(t, "2026-03-03 13:30:00.5")},
		{"nanoseconds outside business time", office, local(t, "2026-03-03 07:00:00.5"), time.Second + 250*time.Millisecond, local(t, "2026-03-03 08:30:01.25")},
		{"zero is start, even outside", office, local(t, "2026-03-07 10:00"), 0, local(t, "2026-03-07 10:00")},
		{"negative is start", office, local(t, "2026-03-03 10:00"), -time.Hour, local(t, "2026-03-03 10:00")},
		// Holidays.
		{"Easter Monday 2026", office, local(t, "2026-04-03 17:00"), 2 * time.Hour, local(t, "2026-04-07 09:30")},
		{"Good Friday in Alsace-Moselle", alsace, local(t, "2026-04-02 17:00"), 2 * time.Hour, local(t, "2026-04-07 09:30")},
		{"1 and 8 May 2026 are Fridays", office, local(t, "2026-04-30 17:00"), 2 * time.Hour, local(t, "2026-05-04 09:30")},
		{"Ascension 2026", office, local(t, "2026-05-13 17:00"), 2 * time.Hour, local(t, "2026-05-15 09:30")},
		{"Ascension bridge as extra date", bridge, local(t, "2026-05-13 17:00"), 2 * time.Hour, local(t, "2026-05-18 09:30")},
		{"Whit Monday 2026", office, local(t, "2026-05-22 17:00"), 2 * time.Hour, local(t, "2026-05-26 09:30")},
		{"Whit Monday worked", solidarity, local(t, "2026-05-22 17:00"), 2 * time.Hour, local(t, "2026-05-25 09:30")},
		{"Christmas 2026", office, local(t, "2026-12-24 17:00"), 2 * time.Hour, local(t, "2026-12-28 09:30")},
		{"Christmas 2026 in Alsace-Moselle", alsace, local(t, "2026-12-24 17:00"), 2 * time.Hour, local(t, "2026-12-28 09:30")},
		{"New Year 2027", office, local(t, "2026-12-31 17:00"), 2 * time.Hour, local(t, "2027-01-04 09:30")},
		{"Easter Monday 2038", office, local(t, "2038-04-23 17:00"), 2 * time.Hour, local(t, "2038-04-27 09:30")},
		{"Ascension 2027", office, local(t, "2027-05-05 17:00"), 2 * time.Hour, local(t, "2027-05-07 09:30")},
		{"a week across Whit Monday 2025", office, local(t, "2025-06-06 10:00"), 40 * time.Hour, local(t, "2025-06-16 10:00")},
		// Midnight.
		{"night shift across midnight", night, local(t, "2026-03-03 23:00"), 2 * time.Hour, local(t, "2026-03-04 01:00")},
		{"night shift from the afternoon", night, local(t, "2026-03-03 15:00"), 3 * time.Hour, local(t, "2026-03-04 01:00")},
		{"24x7 across midnight", AlwaysOpen(), utc(2026, 3, 3, 23, 0), 2 * time.Hour, utc(2026, 3, 4, 1, 0)},
		// DST, Europe/Paris: 29 March 2026 01:00Z (02:00 CET → 03:00 CEST), 25 October 2026 01:00Z (03:00 CEST → 02:00 CET).
		{"spring forward, all-day calendar", allDay, local(t, "2026-03-29 01:30"), time.Hour, utc(2026, 3, 29, 1, 30)},
		{"spring forward, one day is 23 hours", allDay, local(t, "2026-03-29 00:00"), 23 * time.Hour, local(t, "2026-03-30 00:00")},
		{"fall back, one day is 25 hours", allDay, utc(2026, 10, 24, 22, 0), 25 * time.Hour, local(t, "2026-10-26 00:00")},
		{"spring forward, 02:00-03:30 starts at 03:00 CEST", dstRange, local(t, "2026-03-29 00:00"), 10 * time.Minute, utc(2026, 3, 29, 1, 10)},
		{"spring forward, 02:00-03:30 holds 30 minutes", dstRange, local(t, "2026-03-29 00:00"), 31 * time.Minute, local(t, "2026-03-30 02:01")},
		{"fall back, 02:00-03:30 starts at the first 02:00", dstRange, local(t, "2026-10-25 00:00"), 10 * time.Minute, utc(2026, 10, 25, 0, 10)},
		{"fall back, 02:00-03:30 runs through the repeated hour", dstRange, local(t, "2026-10-25 00:00"), 90 * time.Minute, utc(2026, 10, 25, 1, 30)},
		{"fall back, 02:00-03:30 holds 2h30", dstRange, local(t, "2026-10-25 00:00"), 150 * time.Minute, utc(2026, 10, 25, 2, 30)},
		{"fall back, 01:00-02:30 counts the second 02:00-02:30", early, local(t, "2026-10-25 00:00"), 100 * time.Minute, utc(2026, 10, 25, 1, 10)},
		{"night shift over spring forward", night, local(t, "2026-03-28 23:00"), 6 * time.Hour, utc(2026, 3, 29, 4, 0)},
		{"office across the spring weekend", office, local(t, "2026-03-27 17:00"), 2 * time.Hour, local(t, "2026-03-30 09:30")},
		{"office across the autumn weekend", office, local(t, "2026-10-23 17:00"), 2 * time.Hour, local(t, "2026-10-26 09:30")},
		{"office, a week across spring forward", office, local(t, "2026-03-25 10:00"), 40 * time.Hour, local(t, "2026-04-01 10:00")},
		{"office, 2038 beyond the zone table", office, local(t, "2038-03-26 17:00"), 2 * time.Hour, local(t, "2038-03-29 09:30")},
		// Limits.
		{"after year 9999", office, local(t, "9999-12-31 10:00"), 100 * time.Hour, Never()},
		{"longest duration", AlwaysOpen(), utc(2026, 1, 1, 0, 0), math.MaxInt64, utc(2026, 1, 1, 0, 0).Add(math.MaxInt64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cal.Add(tt.start, tt.d)
			if !got.Equal(tt.want) {
				t.Fatalf("Add(%v, %v) = %v, want %v", tt.start, tt.d, got, tt.want)
			}
			if got.Location() != tt.cal.Location() && !got.Equal(Never()) {
				t.Errorf("result in %v, want the calendar's %v", got.Location(), tt.cal.Location())
			}
			if tt.d > 0 && !got.Equal(Never()) {
				if b := tt.cal.Between(tt.start, got); b != tt.d {
					t.Errorf("Between(start, Add(start, d)) = %v, want %v", b, tt.d)
				}
			}
		})
	}
}

func TestBetween(t *testing.T) {
	office := mustParse(t, officeText)
	allDay := mustParse(t, everyDay("Europe/Paris", "00:00-24:00"))
	night := mustParse(t, everyDay("Europe/Paris", "00:00-06:00", "22:00-24:00"))
	dstRange := mustParse(t, everyDay("Europe/Paris", "02:00-03:30"))
	early := mustParse(t, everyDay("Europe/Paris", "01:00-02:30"))
	late := mustParse(t, everyDay("Europe/Paris", "02:30-03:30"))

	tests := []struct {
		name string
		cal  *Calendar
		a, b time.Time
		want time.Duration
	}{
		{"same instant", office, local(t, "2026-03-03 10:00"), local(t, "2026-03-03 10:00"), 0},
		{"a business day", office, local(t, "2026-03-03 00:00"), local(t, "2026-03-04 00:00"), 8 * time.Hour},
		{"a week", office, local(t, "2026-03-02 00:00"), local(t, "2026-03-09 00:00"), 40 * time.Hour},
		{"reversed is negative", office, local(t, "2026-03-04 00:00"), local(t, "2026-03-03 00:00"), -8 * time.Hour},
		{"a weekend", office, local(t, "2026-03-06 18:00"), local(t, "2026-03-09 08:30"), 0},
		// 261 weekdays in 2026; 15 Aug and 1 Nov fall on a weekend, 9 holidays do not.
		{"a year 2026", office, local(t, "2026-01-01 00:00"), local(t, "2027-01-01 00:00"), (261 - 9) * 8 * time.Hour},
		// 261 weekdays in 2027; 1 May, 8 May, 15 Aug and 25 Dec fall on a Saturday or Sunday.
		{"a year 2027", office, local(t, "2027-01-01 00:00"), local(t, "2028-01-01 00:00"), (261 - 7) * 8 * time.Hour},
		{"lunch is not counted", office, local(t, "2026-03-03 11:00"), local(t, "2026-03-03 14:00"), 90 * time.Minute},
		{"fractions of seconds", office, local(t, "2026-03-03 11:59:59.25"), local(t, "2026-03-03 13:30:00.5"), 1250 * time.Millisecond},
		{"fractions outside business time", office, local(t, "2026-03-03 12:00:00.25"), local(t, "2026-03-03 13:29:59.5"), 0},
		{"24x7 is elapsed time", AlwaysOpen(), utc(2026, 3, 28, 0, 0), utc(2026, 3, 30, 0, 0), 48 * time.Hour},
		{"spring weekend of an all-day calendar is 47h", allDay, local(t, "2026-03-28 00:00"), local(t, "2026-03-30 00:00"), 47 * time.Hour},
		{"autumn weekend of an all-day calendar is 49h", allDay, local(t, "2026-10-24 00:00"), local(t, "2026-10-26 00:00"), 49 * time.Hour},
		{"spring night 22:00-06:00 is 7h", night, local(t, "2026-03-28 20:00"), local(t, "2026-03-29 08:00"), 7 * time.Hour},
		{"autumn night 22:00-06:00 is 9h", night, local(t, "2026-10-24 20:00"), local(t, "2026-10-25 08:00"), 9 * time.Hour},
		{"spring 02:00-03:30 is 30m", dstRange, local(t, "2026-03-29 00:00"), local(t, "2026-03-30 00:00"), 30 * time.Minute},
		{"autumn 02:00-03:30 is 2h30", dstRange, local(t, "2026-10-25 00:00"), local(t, "2026-10-26 00:00"), 150 * time.Minute},
		{"autumn 01:00-02:30 is 2h", early, local(t, "2026-10-25 00:00"), local(t, "2026-10-26 00:00"), 2 * time.Hour},
		{"autumn 02:30-03:30 is 1h30", late, local(t, "2026-10-25 00:00"), local(t, "2026-10-26 00:00"), 90 * time.Minute},
		{"spring 02:30-03:30 is 30m", late, local(t, "2026-03-29 00:00"), local(t, "2026-03-30 00:00"), 30 * time.Minute},
		{"autumn, only the first pass of 02:00-03:00", dstRange, utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 1, 0), time.Hour},
		{"office on DST weeks is 40h", office, local(t, "2026-03-23 00:00"), local(t, "2026-04-06 00:00"), 80 * time.Hour},
		{"empty calendar", &Calendar{}, local(t, "2026-03-03 00:00"), local(t, "2026-03-04 00:00"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cal.Between(tt.a, tt.b); got != tt.want {
				t.Errorf("Between(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestOpenNext(t *testing.T) {
	office := mustParse(t, officeText)
	dstRange := mustParse(t, everyDay("Europe/Paris", "02:00-03:30"))
	tests := []struct {
		name string
		cal  *Calendar
		t    time.Time
		open bool
		next time.Time
	}{
		{"opening instant", office, local(t, "2026-03-03 08:30"), true, local(t, "2026-03-03 08:30")},
		{"closing instant is closed", office, local(t, "2026-03-03 18:00"), false, local(t, "2026-03-04 08:30")},
		{"last second before closing", office, local(t, "2026-03-03 17:59:59.999"), true, local(t, "2026-03-03 17:59:59.999")},
		{"lunch", office, local(t, "2026-03-03 12:15"), false, local(t, "2026-03-03 13:30")},
		{"Friday night", office, local(t, "2026-03-06 19:00"), false, local(t, "2026-03-09 08:30")},
		{"Easter Monday", office, local(t, "2026-04-06 10:00"), false, local(t, "2026-04-07 08:30")},
		{"Sunday of spring forward, before", dstRange, utc(2026, 3, 29, 0, 30), false, utc(2026, 3, 29, 1, 0)},
		{"Sunday of fall back, first 02:30", dstRange, utc(2026, 10, 25, 0, 30), true, utc(2026, 10, 25, 0, 30)},
		{"Sunday of fall back, second 02:30", dstRange, utc(2026, 10, 25, 1, 30), true, utc(2026, 10, 25, 1, 30)},
		{"Sunday of fall back, 03:30 CET", dstRange, utc(2026, 10, 25, 2, 30), false, local(t, "2026-10-26 02:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cal.Open(tt.t); got != tt.open {
				t.Errorf("Open(%v) = %v, want %v", tt.t, got, tt.open)
			}
			if got := tt.cal.Next(tt.t); !got.Equal(tt.next) {
				t.Errorf("Next(%v) = %v, want %v", tt.t, got, tt.next)
			}
		})
	}
}

// propertyCalendars are calendars with the shapes that break business-time
// code: lunch breaks, holidays, extra and worked dates, night shifts, ranges
// inside the DST jump, half-hour offsets (India, Lord Howe's 30-minute DST),
// a skipped day (Samoa, 30 December 2011), and 24×7.
func propertyCalendars(t testing.TB) map[string]*Calendar {
	return map[string]*Calendar{
		"office":   mustParse(t, officeText),
		"alsace":   mustParse(t, `{"tz":"Europe/Paris","week":{"mon":["08:00-12:00","14:00-17:30"],"tue":["08:00-12:00"],"sat":["09:00-10:00"]},"holidays":"FR-alsace-moselle","extra":["2026-12-24","2027-12-24","2026-03-30"],"worked":["2026-05-25","2027-05-17"]}`),
		"night":    mustParse(t, everyDay("Europe/Paris", "00:00-06:00", "22:00-24:00")),
		"dst":      mustParse(t, everyDay("Europe/Paris", "01:00-02:30", "02:30-03:30")),
		"sunday":   mustParse(t, `{"tz":"Europe/Paris","week":{"sun":["01:59-03:01"]}}`),
		"newyork":  mustParse(t, `{"tz":"America/New_York","week":{"mon":["00:00-24:00"],"sun":["00:30-02:30","07:00-09:00"]}}`),
		"kolkata":  mustParse(t, `{"tz":"Asia/Kolkata","week":{"mon":["09:00-17:45"],"wed":["09:00-17:45"],"fri":["09:00-17:45"]}}`),
		"lordhowe": mustParse(t, everyDay("Australia/Lord_Howe", "01:00-02:45", "08:00-18:00")),
		"apia":     mustParse(t, everyDay("Pacific/Apia", "08:00-17:00")),
		"24x7":     AlwaysOpen(),
	}
}

// randomInstant returns an instant between 2010 and 2040, often close to a
// DST change in Paris or New York or to Samoa's skipped day, sometimes with a
// fraction of a second.
func randomInstant(r *rand.Rand) time.Time {
	base := []time.Time{
		utc(2026, 3, 29, 1, 0), utc(2026, 10, 25, 1, 0), utc(2026, 3, 8, 7, 0),
		utc(2011, 12, 29, 10, 0), utc(2038, 3, 28, 1, 0), utc(2027, 4, 4, 15, 0),
	}
	var t time.Time
	if r.IntN(2) == 0 {
		t = base[r.IntN(len(base))].Add(time.Duration(r.Int64N(int64(96*time.Hour))) - 48*time.Hour)
	} else {
		t = utc(2010, 1, 1, 0, 0).Add(time.Duration(r.Int64N(int64(30 * 365 * 24 * time.Hour))))
	}
	switch r.IntN(3) {
	case 0:
		return t.Truncate(time.Minute)
	case 1:
		return t.Truncate(time.Second)
	}
	return t
}

func randomDuration(r *rand.Rand) time.Duration {
	switch r.IntN(4) {
	case 0:
		return time.Duration(r.Int64N(int64(time.Hour)))
	case 1:
		return time.Duration(r.Int64N(600)) * time.Minute
	case 2:
		return time.Duration(r.Int64N(int64(100 * time.Hour)))
	}
	return time.Duration(r.Int64N(int64(600 * time.Hour)))
}

func TestAddBetweenProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 3))
	for name, c := range propertyCalendars(t) {
		t.Run(name, func(t *testing.T) {
			for range 1500 {
				start := randomInstant(r)
				d1, d2 := randomDuration(r), randomDuration(r)
				if d1 > d2 {
					d1, d2 = d2, d1
				}
				t1, t2 := c.Add(start, d1), c.Add(start, d2)

				// Add(start, 0) is start exactly.
				if got := c.Add(start, 0); !got.Equal(start) {
					t.Fatalf("Add(%v, 0) = %v", start, got)
				}
				// Monotone, strictly when d grows.
				if t2.Before(t1) || (d1 < d2 && !t1.Before(t2)) {
					t.Fatalf("Add(%v, %v) = %v but Add(.., %v) = %v", start, d1, t1, d2, t2)
				}
				for _, p := range []struct {
					d time.Duration
					u time.Time
				}{{d1, t1}, {d2, t2}} {
					// Inverse.
					if got := c.Between(start, p.u); got != p.d {
						t.Fatalf("Between(%v, Add(.., %v) = %v) = %v", start, p.d, p.u, got)
					}
					if p.d == 0 {
						continue
					}
					// Earliest: a nanosecond before, d has not elapsed yet.
					if got := c.Between(start, p.u.Add(-1)); got >= p.d {
						t.Fatalf("Add(%v, %v) = %v is not the earliest: %v elapsed a nanosecond before", start, p.d, p.u, got)
					}
					// The result is at or after the next business instant.
					if n := c.Next(start); p.u.Before(n) || !c.Open(n) {
						t.Fatalf("Next(%v) = %v (open %v) after Add(.., %v) = %v", start, n, c.Open(n), p.d, p.u)
					}
				}
				// Additive for instants in any order.
				a, b, x := randomInstant(r), randomInstant(r), randomInstant(r)
				if ab, bx, ax := c.Between(a, b), c.Between(b, x), c.Between(a, x); ab+bx != ax {
					t.Fatalf("Between(a,b)+Between(b,c) = %v+%v != Between(a,c) = %v (a=%v b=%v c=%v)", ab, bx, ax, a, b, x)
				}
				if name == "24x7" {
					if got := c.Between(a, b); got != b.Sub(a) {
						t.Fatalf("24x7 Between(%v, %v) = %v, want %v", a, b, got, b.Sub(a))
					}
					if got := c.Add(start, d2); !got.Equal(start.Add(d2)) {
						t.Fatalf("24x7 Add(%v, %v) = %v", start, d2, got)
					}
				}
			}
		})
	}
}

// oracleOpen is the definition of business time written the slow, obvious
// way with the time package: look at the wall clock.
func oracleOpen(c *Calendar, t time.Time) bool {
	lt := t.In(c.Location())
	y, m, d := lt.Date()
	date := Date{y, m, d}
	cfg := c.Config()
	closed := slices.Contains(cfg.Extra, date) ||
		(slices.Contains(cfg.Holidays.Dates(y), date) && !slices.Contains(cfg.Worked, date))
	if closed {
		return false
	}
	clock := time.Duration(lt.Hour())*time.Hour + time.Duration(lt.Minute())*time.Minute + time.Duration(lt.Second())*time.Second
	for _, r := range cfg.Week[lt.Weekday()] {
		if r.Start <= clock && clock < r.End {
			return true
		}
	}
	return false
}

// TestOracle checks Between, Add and Open against a minute-by-minute walk of
// the wall clock. Every range boundary and every UTC offset here is a whole
// minute, so business time is constant over each minute.
func TestOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for name, c := range propertyCalendars(t) {
		t.Run(name, func(t *testing.T) {
			for range 40 {
				a := randomInstant(r).Truncate(time.Minute)
				n := r.IntN(5 * 24 * 60)
				var count time.Duration
				for i := range n {
					m := a.Add(time.Duration(i) * time.Minute)
					open := oracleOpen(c, m)
					if open != c.Open(m) {
						t.Fatalf("Open(%v) = %v, oracle %v", m.In(c.Location()), c.Open(m), open)
					}
					if open {
						count += time.Minute
						if got := c.Add(a, count); !got.Equal(m.Add(time.Minute)) {
							t.Fatalf("Add(%v, %v) = %v, oracle %v", a, count, got, m.Add(time.Minute))
						}
					}
				}
				b := a.Add(time.Duration(n) * time.Minute)
				if got := c.Between(a, b); got != count {
					t.Fatalf("Between(%v, %v) = %v, oracle %v", a, b, got, count)
				}
			}
		})
	}
}

// A long addition lands where a walk of every minute lands.
func TestAddLongOracle(t *testing.T) {
	c := mustParse(t, propertyCalendars(t)["alsace"].String())
	a := local(t, "2026-01-05 10:17")
	want := 300 * time.Hour
	var count time.Duration
	m := a
	for ; count < want; m = m.Add(time.Minute) {
		if oracleOpen(c, m) {
			count += time.Minute
		}
	}
	if got := c.Add(a, want); !got.Equal(m) {
		t.Fatalf("Add(%v, %v) = %v, oracle %v", a, want, got, m)
	}
}

// zoneAt must always move forward with a constant offset, including where
// Go's ZoneBounds is wrong (golang/go#81583: the last UTC day of leap years
// served by a zone's POSIX rule, e.g. 2040-12-31 in Paris).
func TestZoneSegments(t *testing.T) {
	for _, zone := range []string{"Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia", "Asia/Kolkata", "UTC"} {
		t.Run(zone, func(t *testing.T) {
			c := mustParse(t, everyDay(zone, "08:00-18:00"))
			for _, start := range []time.Time{utc(2010, 1, 1, 0, 0), utc(2040, 12, 31, 12, 0), utc(2096, 12, 31, 23, 0)} {
				u := start.Unix()
				for range 40 {
					off, end := c.zoneAt(u)
					if end <= u {
						t.Fatalf("zoneAt(%v) ends at %v, not after", time.Unix(u, 0).UTC(), time.Unix(end, 0).UTC())
					}
					if end == forever {
						break
					}
					for _, probe := range []int64{u, (u + end) / 2, end - 1} {
						if got := int64(c.offsetAt(probe)); got != off {
							t.Fatalf("zoneAt(%v) = offset %d until %v, but %v has %d", time.Unix(u, 0).UTC(), off, time.Unix(end, 0).UTC(), time.Unix(probe, 0).UTC(), got)
						}
					}
					u = end
				}
			}
		})
	}
}

// The instants where ZoneBounds fails are counted like any other.
func TestLeapYearEndPastZoneTable(t *testing.T) {
	c := mustParse(t, everyDay("Europe/Paris", "08:00-18:00"))
	a := local(t, "2040-12-31 10:00")
	if got, want := c.Add(a, 10*time.Hour), local(t, "2041-01-01 10:00"); !got.Equal(want) {
		t.Errorf("Add = %v, want %v", got, want)
	}
	if got := c.Between(a, local(t, "2041-01-02 10:00")); got != 20*time.Hour {
		t.Errorf("Between = %v, want 20h", got)
	}
}
