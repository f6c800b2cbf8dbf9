package sla

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// The text form of a calendar is a compact JSON object:
//
//	{"tz":"Europe/Paris",
//	 "week":{"mon":["08:30-12:00","13:30-18:00"],"tue":[…],…},
//	 "holidays":"FR",
//	 "extra":["2026-12-24"],
//	 "worked":["2026-05-25"]}
//
// Days without business hours, an empty holiday set and empty date lists are
// left out. String writes the canonical form (days Monday first, ranges and
// dates sorted), so Parse(c.String()) describes the same calendar and writes
// the same text.

// calendarText is the text form as read.
type calendarText struct {
	TZ       string              `json:"tz"`
	Week     map[string][]string `json:"week"`
	Holidays string              `json:"holidays"`
	Extra    []string            `json:"extra"`
	Worked   []string            `json:"worked"`
}

// Parse reads a calendar from its text form (see String). Unknown fields and
// trailing data are errors; every invalid field is reported in a
// *ValidationError.
func Parse(s string) (*Calendar, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.DisallowUnknownFields()
	var in calendarText
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("parse calendar: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("parse calendar: data after the calendar object")
	}

	var v ValidationError
	cfg := Config{Zone: in.TZ, Holidays: HolidaySet(in.Holidays)}
	for key, list := range in.Week {
		wd, ok := weekdayKey(key)
		if !ok {
			v.add("week."+key, "unknown day (want mon, tue, wed, thu, fri, sat or sun)")
			continue
		}
		if len(list) > maxRangesPerDay {
			v.add("week."+key, "more than %d ranges", maxRangesPerDay)
			continue
		}
		for i, text := range list {
			r, err := parseRange(text)
			if err != nil {
				v.add(fmt.Sprintf("week.%s[%d]", key, i), "%v", err)
				// Keep indexes aligned with the text for later errors.
				r = Range{Start: -1, End: -1}
			}
			cfg.Week[wd] = append(cfg.Week[wd], r)
		}
	}
	if len(in.Extra)+len(in.Worked) > maxDates {
		v.add("extra", "more than %d extra and worked dates", maxDates)
		return nil, fmt.Errorf("parse calendar: %w", &v)
	}
	cfg.Extra = parseDates(&v, "extra", in.Extra)
	cfg.Worked = parseDates(&v, "worked", in.Worked)
	if err := v.err(); err != nil {
		return nil, fmt.Errorf("parse calendar: %w", err)
	}
	c, err := New(cfg)
	if err != nil {
		return nil, fmt.Errorf("parse calendar: %w", err)
	}
	return c, nil
}

func weekdayKey(key string) (time.Weekday, bool) {
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		if dayKey(wd) == key {
			return wd, true
		}
	}
	return 0, false
}

func parseDates(v *ValidationError, field string, list []string) []Date {
	out := make([]Date, 0, len(list))
	for i, text := range list {
		d, err := ParseDate(text)
		if err != nil {
			v.add(fmt.Sprintf("%s[%d]", field, i), "%v", err)
			continue
		}
		out = append(out, d)
	}
	return out
}

// parseRange reads "HH:MM-HH:MM"; 24:00 is accepted as an end only (New
// checks the order of the two times).
func parseRange(s string) (Range, error) {
	if len(s) != 11 || s[5] != '-' {
		return Range{}, fmt.Errorf("%q is not a range HH:MM-HH:MM", s)
	}
	start, err := parseClock(s[:5])
	if err != nil {
		return Range{}, err
	}
	end, err := parseClock(s[6:])
	if err != nil {
		return Range{}, err
	}
	if start == 24*time.Hour {
		return Range{}, fmt.Errorf("%q: a range cannot start at 24:00", s)
	}
	return Range{Start: start, End: end}, nil
}

func parseClock(s string) (time.Duration, error) {
	h, ok1 := digits(s[0:2])
	m, ok2 := digits(s[3:5])
	if s[2] != ':' || !ok1 || !ok2 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time of day HH:MM (00:00 to 24:00)", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// weekText is the week as written: Monday first.
type weekText struct {
	Mon []string `json:"mon,omitempty"`
	Tue []string `json:"tue,omitempty"`
	Wed []string `json:"wed,omitempty"`
	Thu []string `json:"thu,omitempty"`
	Fri []string `json:"fri,omitempty"`
	Sat []string `json:"sat,omitempty"`
	Sun []string `json:"sun,omitempty"`
}

// calendarOut is the text form as written.
type calendarOut struct {
	TZ       string   `json:"tz"`
	Week     weekText `json:"week"`
	Holidays string   `json:"holidays,omitempty"`
	Extra    []string `json:"extra,omitempty"`
	Worked   []string `json:"worked,omitempty"`
}

// String returns the calendar's canonical text form, which Parse reads back.
func (c *Calendar) String() string {
	b, err := c.MarshalJSON()
	if err != nil {
		return "" // cannot happen: the value holds only strings
	}
	return string(b)
}

// MarshalJSON writes the calendar's canonical text form, so a calendar
// embedded in a JSON document is an object, not a quoted string.
func (c *Calendar) MarshalJSON() ([]byte, error) {
	cfg := c.Config()
	out := calendarOut{TZ: cfg.Zone, Holidays: string(cfg.Holidays)}
	days := [7]*[]string{&out.Week.Sun, &out.Week.Mon, &out.Week.Tue, &out.Week.Wed, &out.Week.Thu, &out.Week.Fri, &out.Week.Sat}
	for wd, rs := range cfg.Week {
		for _, r := range rs {
			*days[wd] = append(*days[wd], r.String())
		}
	}
	for _, d := range cfg.Extra {
		out.Extra = append(out.Extra, d.String())
	}
	for _, d := range cfg.Worked {
		out.Worked = append(out.Worked, d.String())
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads a calendar written by MarshalJSON (see Parse); JSON
// null leaves c unchanged, as encoding/json expects.
func (c *Calendar) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	parsed, err := Parse(string(b))
	if err != nil {
		return err
	}
	*c = *parsed
	return nil
}
