package sla

import (
	"testing"
	"time"
)

// FuzzParseCalendar feeds the calendar parser arbitrary text: it must never
// panic, and whatever it accepts must write out text that it reads back to the
// same calendar.
func FuzzParseCalendar(f *testing.F) {
	for _, seed := range []string{
		officeText,
		AlwaysOpen().String(),
		`{"tz":"Europe/Paris","week":{"mon":["08:00-12:00","14:00-17:30"],"sat":["09:00-10:00"]},"holidays":"FR-alsace-moselle","extra":["2026-12-24"],"worked":["2026-05-25"]}`,
		`{"tz":"America/Guadeloupe","week":{"sun":["00:00-24:00"]}}`,
		`{"tz":"UTC","week":{"mon":["08:00-12:00","11:00-14:00"]}}`,
		`{"tz":"UTC","week":{"mon":["24:00-24:00"]}}`,
		`{"tz":"Local","week":{}}`,
		`{"tz":"../../etc/passwd","week":{"mon":["08:00-09:00"]}}`,
		`{}`, `[]`, `null`, ``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse(text)
		if err != nil {
			if c != nil {
				t.Fatalf("Parse returned a calendar with error %v", err)
			}
			return
		}
		if c.WeeklyHours() <= 0 || c.WeeklyHours() > 7*24*time.Hour {
			t.Fatalf("accepted a week of %v", c.WeeklyHours())
		}
		out := c.String()
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(String()) of %q: %v", out, err)
		}
		if again := back.String(); again != out {
			t.Fatalf("round trip changed the text:\n %s\n %s", out, again)
		}
	})
}

// FuzzAddBetween checks on arbitrary inputs that Add and Between are
// inverse, that Add never goes back in time, and that its result is the
// earliest instant at which d has elapsed.
func FuzzAddBetween(f *testing.F) {
	cals := []*Calendar{
		mustParse(f, officeText),
		mustParse(f, everyDay("Europe/Paris", "00:00-06:00", "22:00-24:00")),
		mustParse(f, everyDay("Europe/Paris", "02:00-03:30")),
		mustParse(f, `{"tz":"Europe/Paris","week":{"sun":["01:59-03:01"]},"holidays":"FR-alsace-moselle"}`),
		mustParse(f, everyDay("Australia/Lord_Howe", "01:00-02:45", "08:00-18:00")),
		mustParse(f, everyDay("Pacific/Apia", "08:00-17:00")),
		AlwaysOpen(),
	}
	f.Add(uint8(0), int64(1774659600), int64(0), int64(2*time.Hour))       // Saturday 28 March 2026, 02:00 CET, the eve of spring forward
	f.Add(uint8(2), int64(1792882800), int64(500), int64(150*time.Minute)) // 25 October 2026, 01:00 CEST, just before fall back
	f.Add(uint8(3), int64(2240265600), int64(0), int64(600*time.Hour))     // 28 December 2040, before the Go ZoneBounds bug of 31 December
	f.Add(uint8(5), int64(1325160000), int64(999999999), int64(time.Hour)) // 29 December 2011 in Samoa, the eve of its skipped day
	lo, hi := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	f.Fuzz(func(t *testing.T, which uint8, sec, nsec, d int64) {
		c := cals[int(which)%len(cals)]
		// Keep instants within three centuries and d within a year of
		// business time so that each run stays fast.
		sec = lo + mod(sec, hi-lo)
		start := time.Unix(sec, mod(nsec, int64(time.Second)))
		dur := time.Duration(mod(d, int64(2000*time.Hour)))

		u := c.Add(start, dur)
		if u.Before(start) {
			t.Fatalf("Add(%v, %v) = %v, before start", start, dur, u)
		}
		if u.Equal(Never()) {
			t.Fatalf("Add(%v, %v) = Never", start, dur)
		}
		if got := c.Between(start, u); got != dur {
			t.Fatalf("Between(%v, Add(.., %v) = %v) = %v", start, dur, u, got)
		}
		if dur > 0 {
			if got := c.Between(start, u.Add(-1)); got >= dur {
				t.Fatalf("Add(%v, %v) = %v is not the earliest", start, dur, u)
			}
		}
		if got := c.Between(u, start); got != -dur {
			t.Fatalf("Between(Add(.., %v), start) = %v, want %v", dur, got, -dur)
		}
	})
}

func mod(a, m int64) int64 {
	r := a % m
	if r < 0 {
		r += m
	}
	return r
}
