package sla

import (
	"testing"
	"time"
)

// officeText is the usual French office calendar: 8 business hours a day,
// 40 a week, French public holidays.
const officeText = `{"tz":"Europe/Paris","week":{` +
	`"mon":["08:30-12:00","13:30-18:00"],"tue":["08:30-12:00","13:30-18:00"],` +
	`"wed":["08:30-12:00","13:30-18:00"],"thu":["08:30-12:00","13:30-18:00"],` +
	`"fri":["08:30-12:00","13:30-18:00"]},"holidays":"FR"}`

// everyDay returns the text of a calendar in zone with the same ranges on
// every day and no holidays.
func everyDay(zone string, ranges ...string) string {
	list := ""
	for i, r := range ranges {
		if i > 0 {
			list += ","
		}
		list += `"` + r + `"`
	}
	week := ""
	for i, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		if i > 0 {
			week += ","
		}
		week += `"` + d + `":[` + list + `]`
	}
	return `{"tz":"` + zone + `","week":{` + week + `}}`
}

func mustParse(t testing.TB, text string) *Calendar {
	t.Helper()
	c, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse(%s): %v", text, err)
	}
	return c
}

func mustLoad(t testing.TB, zone string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatalf("load %s: %v", zone, err)
	}
	return loc
}

// local reads "2006-01-02 15:04[:05]" as a wall time in Europe/Paris. Use it
// only for wall times that occur exactly once; DST edges are written in UTC.
func local(t testing.TB, s string) time.Time {
	t.Helper()
	layout := "2006-01-02 15:04"
	if len(s) > len(layout) {
		layout = "2006-01-02 15:04:05.999999999"
	}
	v, err := time.ParseInLocation(layout, s, mustLoad(t, "Europe/Paris"))
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return v
}

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}
