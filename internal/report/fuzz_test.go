package report

import (
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
)

// FuzzParsePeriod: any input is either a fault.Invalid or a period of whole
// days, From before To, whose label reads back to the same period.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2026-10", "2026-10-05", "2026-Q4", "2026", "2026-10-01..2026-10-15", "2026-10-15..2026-10-01", "0000-01", "9999-Q4", "-1", " 2026 "} {
		f.Add(s)
	}
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, value string) {
		for _, kind := range []Kind{KindDay, KindMonth, KindQuarter, KindYear, KindRange} {
			p, err := ParsePeriod(kind, value, loc)
			if err != nil {
				if _, ok := fault.AsInvalid(err); !ok {
					t.Fatalf("ParsePeriod(%s, %q): %v is not a fault.Invalid", kind, value, err)
				}
				continue
			}
			if p.From.Hour() != 0 || p.To.Hour() != 0 || p.From.Minute() != 0 {
				t.Fatalf("ParsePeriod(%s, %q) = [%s, %s): not whole days", kind, value, p.From, p.To)
			}
			if kind == KindRange && !p.To.After(p.From) {
				if p.Validate(p.To.AddDate(1, 0, 0)) == nil {
					t.Fatalf("inverted range %q validates", value)
				}
				continue
			}
			if !p.To.After(p.From) {
				t.Fatalf("ParsePeriod(%s, %q) = [%s, %s): empty", kind, value, p.From, p.To)
			}
			back, err := ParsePeriod(kind, p.Label(), loc)
			if err != nil || !back.From.Equal(p.From) || !back.To.Equal(p.To) {
				t.Fatalf("label %q of %q does not read back: %v", p.Label(), value, err)
			}
		}
	})
}
