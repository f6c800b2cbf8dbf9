package report

import (
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
)

func paris(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParsePeriod(t *testing.T) {
	loc := paris(t)
	tests := []struct {
		name     string
		kind     Kind
		value    string
		from, to time.Time
		label    string
		field    string // the field a fault.Invalid names; "" when valid
	}{
		{"month", KindMonth, "2026-10", time.Date(2026, 10, 1, 0, 0, 0, 0, loc), time.Date(2026, 11, 1, 0, 0, 0, 0, loc), "2026-10", ""},
		{"december ends next year", KindMonth, "2025-12", time.Date(2025, 12, 1, 0, 0, 0, 0, loc), time.Date(2026, 1, 1, 0, 0, 0, 0, loc), "2025-12", ""},
		{"day of the autumn clock change lasts 25 h", KindDay, "2026-10-25", time.Date(2026, 10, 25, 0, 0, 0, 0, loc), time.Date(2026, 10, 26, 0, 0, 0, 0, loc), "2026-10-25", ""},
		{"quarter", KindQuarter, "2026-Q3", time.Date(2026, 7, 1, 0, 0, 0, 0, loc), time.Date(2026, 10, 1, 0, 0, 0, 0, loc), "2026-Q3", ""},
		{"year", KindYear, "2025", time.Date(2025, 1, 1, 0, 0, 0, 0, loc), time.Date(2026, 1, 1, 0, 0, 0, 0, loc), "2025", ""},
		{"range includes its last day", KindRange, "2026-10-03..2026-10-09", time.Date(2026, 10, 3, 0, 0, 0, 0, loc), time.Date(2026, 10, 10, 0, 0, 0, 0, loc), "2026-10-03..2026-10-09", ""},
		{"bad month", KindMonth, "2026-13", time.Time{}, time.Time{}, "", "period"},
		{"bad quarter", KindQuarter, "2026-Q5", time.Time{}, time.Time{}, "", "period"},
		{"bad year", KindYear, "twenty", time.Time{}, time.Time{}, "", "period"},
		{"bad day", KindDay, "2026-02-30", time.Time{}, time.Time{}, "", "period"},
		{"range without its end", KindRange, "2026-10-03", time.Time{}, time.Time{}, "", "from"},
		{"range with a bad end", KindRange, "2026-10-03..soon", time.Time{}, time.Time{}, "", "to"},
		{"unknown kind", Kind("week"), "2026-W40", time.Time{}, time.Time{}, "", "kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePeriod(tt.kind, tt.value, loc)
			if tt.field != "" {
				v, ok := fault.AsInvalid(err)
				if !ok || !v.Has(tt.field) {
					t.Fatalf("ParsePeriod(%s, %q) = %v, want a fault.Invalid on %q", tt.kind, tt.value, err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePeriod(%s, %q): %v", tt.kind, tt.value, err)
			}
			if !p.From.Equal(tt.from) || !p.To.Equal(tt.to) {
				t.Errorf("period = [%s, %s), want [%s, %s)", p.From, p.To, tt.from, tt.to)
			}
			if got := p.Label(); got != tt.label {
				t.Errorf("Label() = %q, want %q", got, tt.label)
			}
			back, err := ParsePeriod(tt.kind, p.Label(), loc)
			if err != nil || !back.From.Equal(p.From) || !back.To.Equal(p.To) {
				t.Errorf("label %q does not read back: %v, %v", p.Label(), back, err)
			}
		})
	}
	if _, err := ParsePeriod(KindMonth, "2026-10", nil); err == nil {
		t.Error("a period without a time zone was accepted")
	}
}

func TestPeriodValidate(t *testing.T) {
	loc := paris(t)
	now := time.Date(2026, 11, 15, 10, 30, 0, 0, loc)
	tests := []struct {
		name  string
		p     Period
		field string // "" when valid
		code  string
		soFar bool
	}{
		{"last month", Month(2026, 10, loc), "", "", false},
		{"this month, so far", Month(2026, 11, loc), "", "", true},
		{"today, so far", Day(2026, 11, 15, loc), "", "", true},
		{"this year, so far", Year(2026, loc), "", "", true},
		{"next month", Month(2026, 12, loc), "from", "in_future", false},
		{"tomorrow", Day(2026, 11, 16, loc), "from", "in_future", false},
		{"inverted range", Range(time.Date(2026, 10, 9, 0, 0, 0, 0, loc), time.Date(2026, 10, 3, 0, 0, 0, 0, loc), loc), "to", "end_before_start", false},
		{"thirteen months", Range(time.Date(2025, 10, 1, 0, 0, 0, 0, loc), time.Date(2026, 10, 31, 0, 0, 0, 0, loc), loc), "", "", false},
		{"thirteen months and a day", Range(time.Date(2025, 10, 1, 0, 0, 0, 0, loc), time.Date(2026, 11, 1, 0, 0, 0, 0, loc), loc), "to", "too_long", false},
		{"no time zone", Period{Kind: KindMonth, From: now, To: now.Add(time.Hour)}, "time_zone", "required", false},
		{"zero", Period{Location: loc}, "from", "required", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate(now)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if got := tt.p.SoFar(now); got != tt.soFar {
					t.Errorf("SoFar = %v, want %v", got, tt.soFar)
				}
				want := tt.p.To
				if tt.soFar {
					want = now
				}
				if got := tt.p.Until(now); !got.Equal(want) {
					t.Errorf("Until = %s, want %s", got, want)
				}
				return
			}
			v, ok := fault.AsInvalid(err)
			if !ok || len(v.Fields) != 1 || v.Fields[0].Field != tt.field || v.Fields[0].Code != tt.code {
				t.Fatalf("Validate = %v, want %s: %s", err, tt.field, tt.code)
			}
		})
	}
}
