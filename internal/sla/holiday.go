package sla

import (
	"fmt"
	"slices"
	"time"
)

// Date is a day of the proleptic Gregorian calendar, without a time zone: a
// holiday is a date, whatever the zone of the calendar that observes it.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// String returns the date as YYYY-MM-DD, the form used in a calendar's text.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// ParseDate parses a date written YYYY-MM-DD (year 0001 to 9999).
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("%q is not a date YYYY-MM-DD", s)
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return Date{}, fmt.Errorf("%q is not a date YYYY-MM-DD", s)
	}
	date := Date{Year: y, Month: time.Month(m), Day: d}
	if !date.valid() {
		return Date{}, fmt.Errorf("%q is not a day of the calendar", s)
	}
	return date, nil
}

// digits parses a non-empty run of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, len(s) > 0
}

func (d Date) valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < time.January || d.Month > time.December || d.Day < 1 {
		return false
	}
	return d.Day <= daysIn(d.Year, d.Month)
}

func daysIn(year int, m time.Month) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// dayNumber returns the number of days since 1970-01-01.
func (d Date) dayNumber() int64 {
	return daysFromCivil(int64(d.Year), int64(d.Month), int64(d.Day))
}

func dateOf(day int64) Date {
	y, m, d := civilFromDays(day)
	return Date{Year: int(y), Month: time.Month(m), Day: int(d)}
}

// daysFromCivil and civilFromDays convert between a Gregorian date and a day
// number (days since 1970-01-01) with integer arithmetic only, after Howard
// Hinnant's "chrono-compatible low-level date algorithms". They are exact for
// every year this package handles and cost a few nanoseconds, which matters
// because the business-time walk converts day numbers on every holiday check.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func civilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// weekdayOf returns the weekday of a day number (1970-01-01 was a Thursday).
func weekdayOf(day int64) time.Weekday {
	w := (day + 4) % 7
	if w < 0 {
		w += 7
	}
	return time.Weekday(w)
}

// HolidaySet names a rule that computes public holidays for any year.
type HolidaySet string

// The holiday sets a calendar can observe.
const (
	// NoHolidays observes no public holiday.
	NoHolidays HolidaySet = ""
	// FrenchHolidays are the eleven French public holidays: 1 January, Easter
	// Monday, 1 May, 8 May, Ascension Thursday, Whit Monday, 14 July,
	// 15 August, 1 November, 11 November and 25 December.
	FrenchHolidays HolidaySet = "FR"
	// AlsaceMoselleHolidays are the French holidays plus the two that local
	// law adds in Bas-Rhin, Haut-Rhin and Moselle: Good Friday and 26 December.
	AlsaceMoselleHolidays HolidaySet = "FR-alsace-moselle"
)

func (h HolidaySet) valid() bool {
	return h == NoHolidays || h == FrenchHolidays || h == AlsaceMoselleHolidays
}

// Dates returns the holidays of the set in year, in order, each date once
// (Ascension falls on 1 or 8 May in some years). The present list is applied
// to every year; history (8 May was not a holiday from 1959 to 1981) is not
// modelled.
func (h HolidaySet) Dates(year int) []Date {
	var buf [13]int64
	days := h.appendDays(buf[:0], int64(year))
	out := make([]Date, len(days))
	for i, d := range days {
		out[i] = dateOf(d)
	}
	return out
}

// appendDays appends the holidays of year as sorted, distinct day numbers.
// It allocates nothing when dst has room for 13 days.
func (h HolidaySet) appendDays(dst []int64, year int64) []int64 {
	if h == NoHolidays {
		return dst
	}
	start := len(dst)
	fixed := func(m, d int64) int64 { return daysFromCivil(year, m, d) }
	em, ed := easter(year)
	e := daysFromCivil(year, em, ed)
	dst = append(dst,
		fixed(1, 1),
		e+1, // Easter Monday
		fixed(5, 1),
		fixed(5, 8),
		e+39, // Ascension Thursday
		e+50, // Whit Monday
		fixed(7, 14),
		fixed(8, 15),
		fixed(11, 1),
		fixed(11, 11),
		fixed(12, 25),
	)
	if h == AlsaceMoselleHolidays {
		dst = append(dst, e-2, fixed(12, 26)) // Good Friday, St Stephen's Day
	}
	days := dst[start:]
	slices.Sort(days)
	days = slices.Compact(days)
	return dst[:start+len(days)]
}

// easter returns the month and day of Western (Gregorian) Easter Sunday in
// year, by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
func easter(year int64) (month, day int64) {
	a := year % 19
	b := year / 100
	c := year % 100
	d := b / 4
	e := b % 4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i := c / 4
	k := c % 4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	n := h + l - 7*m + 114
	return n / 31, n%31 + 1
}
