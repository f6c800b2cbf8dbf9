package sla

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func hm(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

func TestNewValidation(t *testing.T) {
	office := [7][]Range{time.Monday: {{hm(8, 30), hm(12, 0)}, {hm(13, 30), hm(18, 0)}}}
	tests := []struct {
		name   string
		cfg    Config
		fields []string // fields named by the error, in order
		reason string   // a word the first reason contains
	}{
		{"valid", Config{Zone: "Europe/Paris", Week: office, Holidays: FrenchHolidays}, nil, ""},
		{"missing zone", Config{Week: office}, []string{"tz"}, "required"},
		{"unknown zone", Config{Zone: "Europe/Pariss", Week: office}, []string{"tz"}, "unknown time zone"},
		{"Local zone", Config{Zone: "Local", Week: office}, []string{"tz"}, "server"},
		{"end before start", Config{Zone: "UTC", Week: [7][]Range{time.Tuesday: {{hm(18, 0), hm(8, 0)}}}}, []string{"week.tue[0]"}, "end before start"},
		{"empty range", Config{Zone: "UTC", Week: [7][]Range{time.Tuesday: {{hm(8, 0), hm(8, 0)}}}}, []string{"week.tue[0]"}, "empty"},
		{"overlap", Config{Zone: "UTC", Week: [7][]Range{time.Monday: {{hm(13, 0), hm(18, 0)}, {hm(8, 30), hm(13, 30)}}}}, []string{"week.mon[0]"}, "overlaps"},
		{"start past midnight", Config{Zone: "UTC", Week: [7][]Range{time.Friday: {{hm(24, 0), hm(25, 0)}}}}, []string{"week.fri[0]"}, "start"},
		{"end past midnight", Config{Zone: "UTC", Week: [7][]Range{time.Friday: {{hm(22, 0), hm(24, 1)}}}}, []string{"week.fri[0]"}, "end"},
		{"negative start", Config{Zone: "UTC", Week: [7][]Range{time.Friday: {{-time.Minute, hm(1, 0)}}}}, []string{"week.fri[0]"}, "start"},
		{"seconds", Config{Zone: "UTC", Week: [7][]Range{time.Friday: {{hm(8, 0) + time.Second, hm(9, 0)}}}}, []string{"week.fri[0]"}, "whole minutes"},
		{"no business hours", Config{Zone: "UTC"}, []string{"week"}, "no business hours"},
		{"unknown holidays", Config{Zone: "UTC", Week: office, Holidays: "US"}, []string{"holidays"}, "unknown holiday set"},
		{"bad extra date", Config{Zone: "UTC", Week: office, Extra: []Date{{2026, 2, 30}}}, []string{"extra[0]"}, "not a day"},
		{"worked not a holiday", Config{Zone: "UTC", Week: office, Holidays: FrenchHolidays, Worked: []Date{{2026, 5, 26}}}, []string{"worked[0]"}, "not a public holiday"},
		{"worked without holidays", Config{Zone: "UTC", Week: office, Worked: []Date{{2026, 5, 25}}}, []string{"worked[0]"}, "not a public holiday"},
		{"worked and extra", Config{Zone: "UTC", Week: office, Holidays: FrenchHolidays, Extra: []Date{{2026, 5, 25}}, Worked: []Date{{2026, 5, 25}}}, []string{"worked[0]"}, "also an extra"},
		{"several problems", Config{Zone: "Mars/Olympus", Week: [7][]Range{time.Sunday: {{hm(9, 0), hm(8, 0)}}}, Holidays: "XX"}, []string{"tz", "week.sun[0]", "holidays"}, "unknown time zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if tt.fields == nil {
				if err != nil || c == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			var v *ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("New: err = %v, want a *ValidationError", err)
			}
			if c != nil {
				t.Errorf("New returned a calendar with an error")
			}
			var fields []string
			for _, f := range v.Fields {
				fields = append(fields, f.Field)
			}
			if !slices.Equal(fields, tt.fields) {
				t.Errorf("fields = %v, want %v (%v)", fields, tt.fields, err)
			}
			if !strings.Contains(v.Fields[0].Reason, tt.reason) {
				t.Errorf("reason %q does not say %q", v.Fields[0].Reason, tt.reason)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		field string // "" when valid; "-" for a syntax error naming no field
	}{
		{"office", officeText, ""},
		{"24:00 end", `{"tz":"UTC","week":{"sat":["20:00-24:00"]}}`, ""},
		{"unknown day", `{"tz":"UTC","week":{"lundi":["08:00-12:00"]}}`, "week.lundi"},
		{"bad range text", `{"tz":"UTC","week":{"mon":["8:00-12:00"]}}`, "week.mon[0]"},
		{"bad minutes", `{"tz":"UTC","week":{"mon":["08:60-12:00"]}}`, "week.mon[0]"},
		{"24:30", `{"tz":"UTC","week":{"mon":["08:00-24:30"]}}`, "week.mon[0]"},
		{"starts at 24:00", `{"tz":"UTC","week":{"mon":["24:00-24:00"]}}`, "week.mon[0]"},
		{"end before start", `{"tz":"UTC","week":{"mon":["08:00-12:00","13:00-12:30"]}}`, "week.mon[1]"},
		{"overlap", `{"tz":"UTC","week":{"mon":["08:00-12:00","11:00-14:00"]}}`, "week.mon[1]"},
		{"unknown zone", `{"tz":"Nowhere/Town","week":{"mon":["08:00-12:00"]}}`, "tz"},
		{"bad extra", `{"tz":"UTC","week":{"mon":["08:00-12:00"]},"extra":["24/12/2026"]}`, "extra[0]"},
		{"bad worked", `{"tz":"UTC","week":{"mon":["08:00-12:00"]},"worked":["2026-02-30"]}`, "worked[0]"},
		{"empty week", `{"tz":"UTC","week":{}}`, "week"},
		{"unknown field", `{"tz":"UTC","week":{"mon":["08:00-12:00"]},"jours":[]}`, "-"},
		{"trailing data", `{"tz":"UTC","week":{"mon":["08:00-12:00"]}} {}`, "-"},
		{"not JSON", `tz=UTC`, "-"},
		{"wrong type", `{"tz":"UTC","week":{"mon":"08:00-12:00"}}`, "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.text)
			switch tt.field {
			case "":
				if err != nil || c == nil {
					t.Fatalf("Parse: %v", err)
				}
			case "-":
				if err == nil {
					t.Fatalf("Parse accepted %s", tt.text)
				}
			default:
				var v *ValidationError
				if !errors.As(err, &v) || v.Fields[0].Field != tt.field {
					t.Fatalf("Parse: err = %v, want a problem with %s", err, tt.field)
				}
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // canonical text
	}{
		{
			"office",
			officeText,
			`{"tz":"Europe/Paris","week":{"mon":["08:30-12:00","13:30-18:00"],"tue":["08:30-12:00","13:30-18:00"],"wed":["08:30-12:00","13:30-18:00"],"thu":["08:30-12:00","13:30-18:00"],"fri":["08:30-12:00","13:30-18:00"]},"holidays":"FR"}`,
		},
		{
			"unordered input, duplicates, empty lists",
			`{"worked":["2026-05-25"],"extra":["2026-12-31","2026-12-24","2026-12-24"],"holidays":"FR-alsace-moselle",` +
				`"week":{"sun":[],"sat":["09:00-12:00"],"mon":["14:00-18:00","08:00-12:00"]},"tz":"America/Guadeloupe"}`,
			`{"tz":"America/Guadeloupe","week":{"mon":["08:00-12:00","14:00-18:00"],"sat":["09:00-12:00"]},"holidays":"FR-alsace-moselle","extra":["2026-12-24","2026-12-31"],"worked":["2026-05-25"]}`,
		},
		{
			"24x7",
			AlwaysOpen().String(),
			`{"tz":"UTC","week":{"mon":["00:00-24:00"],"tue":["00:00-24:00"],"wed":["00:00-24:00"],"thu":["00:00-24:00"],"fri":["00:00-24:00"],"sat":["00:00-24:00"],"sun":["00:00-24:00"]}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.in)
			if got := c.String(); got != tt.want {
				t.Fatalf("String() =\n %s\nwant\n %s", got, tt.want)
			}
			back := mustParse(t, c.String())
			if !reflect.DeepEqual(back.Config(), c.Config()) {
				t.Errorf("Parse(String()) = %+v, want %+v", back.Config(), c.Config())
			}
			again, err := New(c.Config())
			if err != nil || again.String() != tt.want {
				t.Errorf("New(Config()) = %v, %v", again, err)
			}
		})
	}
}

// A calendar inside a JSON document is an object, and reads back the same.
func TestCalendarJSON(t *testing.T) {
	type contract struct {
		Name     string    `json:"name"`
		Calendar *Calendar `json:"calendar"`
	}
	in := contract{Name: "ACME", Calendar: mustParse(t, officeText)}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"calendar":{"tz":"Europe/Paris"`) {
		t.Errorf("calendar not written as an object: %s", b)
	}
	var out contract
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Calendar.String() != in.Calendar.String() {
		t.Errorf("read back %s, want %s", out.Calendar, in.Calendar)
	}
	if err := json.Unmarshal([]byte(`{"calendar":{"tz":"UTC","week":{}}}`), &out); err == nil {
		t.Errorf("Unmarshal accepted a calendar without business hours")
	}
}

func TestCalendarHolidays(t *testing.T) {
	c := mustParse(t, `{"tz":"Europe/Paris","week":{"mon":["08:00-12:00"]},"holidays":"FR",`+
		`"extra":["2026-12-24","2027-01-02"],"worked":["2026-05-25"]}`)
	var got []string
	for _, d := range c.Holidays(2026) {
		got = append(got, d.String())
	}
	want := []string{"2026-01-01", "2026-04-06", "2026-05-01", "2026-05-08", "2026-05-14", "2026-07-14", "2026-08-15", "2026-11-01", "2026-11-11", "2026-12-24", "2026-12-25"}
	if !slices.Equal(got, want) {
		t.Errorf("Holidays(2026) =\n %v\nwant\n %v", got, want)
	}
	if got := c.WeeklyHours(); got != 4*time.Hour {
		t.Errorf("WeeklyHours() = %v, want 4h", got)
	}
}

func TestZeroCalendar(t *testing.T) {
	var zero Calendar
	var nilCal *Calendar
	start := local(t, "2026-03-03 10:00")
	for name, c := range map[string]*Calendar{"zero": &zero, "nil": nilCal} {
		t.Run(name, func(t *testing.T) {
			if got := c.Add(start, time.Hour); !got.Equal(Never()) {
				t.Errorf("Add = %v, want Never", got)
			}
			if got := c.Add(start, 0); !got.Equal(start) {
				t.Errorf("Add(start, 0) = %v, want start", got)
			}
			if got := c.Between(start, start.Add(100*time.Hour)); got != 0 {
				t.Errorf("Between = %v, want 0", got)
			}
			if c.Open(start) {
				t.Errorf("Open = true")
			}
			if got := c.Next(start); !got.Equal(Never()) {
				t.Errorf("Next = %v, want Never", got)
			}
			if got := c.Holidays(2026); got != nil {
				t.Errorf("Holidays = %v", got)
			}
		})
	}
}
