package contract_test

import (
	"context"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/contract"
)

// monthSums is a contract.Summer that answers, for each window, the
// minutes and on-site visits of its month (by the month of SupportTo's
// last instant), recording the windows asked.
type monthSums struct {
	loc     *time.Location
	support map[time.Month]int // minutes consumed in the window ending in that month
	onSite  map[time.Month]int
	asked   []contract.UsageWindow
}

func (m *monthSums) UsageSums(_ context.Context, ws []contract.UsageWindow) ([]contract.UsageSum, error) {
	m.asked = append(m.asked, ws...)
	out := make([]contract.UsageSum, len(ws))
	for i, w := range ws {
		if !w.SupportTo.After(w.SupportFrom) {
			continue
		}
		month := w.SupportTo.Add(-time.Nanosecond).In(m.loc).Month()
		out[i] = contract.UsageSum{Support: time.Duration(m.support[month]) * time.Minute, OnSite: m.onSite[month]}
	}
	return out, nil
}

// TestConsumptionOver checks how a period of months adds up: monthly
// support adds the months the contract covers, a pack is its consumption
// at the end of the period, on-site visits add up against the quota times
// the months covered.
func TestConsumptionOver(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	q4 := time.Date(2026, 10, 1, 0, 0, 0, 0, paris)
	q4End := time.Date(2027, 1, 1, 0, 0, 0, 0, paris)
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	packStart := day(9, 1)
	for _, tc := range []struct {
		name                   string
		c                      contract.Contract
		months                 int
		support, included      time.Duration
		level                  contract.Level
		onSite, onSiteIncluded int
		onSiteLevel            contract.Level
	}{
		{"monthly, whole quarter", contract.Contract{Start: day(1, 1), OnSitePerMonth: 2, Support: contract.Support{Mode: contract.SupportMonthly, Minutes: 100}},
			3, 240 * time.Minute, 300 * time.Minute, contract.LevelWarning, 5, 6, contract.LevelWarning},
		// Started on 15 November: October is not covered, November counts whole.
		{"monthly, started mid-quarter", contract.Contract{Start: day(11, 15), OnSitePerMonth: 2, Support: contract.Support{Mode: contract.SupportMonthly, Minutes: 100}},
			2, 150 * time.Minute, 200 * time.Minute, contract.LevelOK, 4, 4, contract.LevelExhausted},
		// A pack: the consumption at the end of December, against the pack.
		{"pack", contract.Contract{Start: day(9, 1), Support: contract.Support{Mode: contract.SupportPack, Minutes: 90, PackStart: &packStart}},
			3, 90 * time.Minute, 90 * time.Minute, contract.LevelExhausted, 5, 0, contract.LevelOK},
		{"no hours included", contract.Contract{Start: day(1, 1), Support: contract.Support{Mode: contract.SupportNone}},
			3, 240 * time.Minute, 0, contract.LevelOK, 5, 0, contract.LevelOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &monthSums{loc: paris, support: map[time.Month]int{10: 90, 11: 60, 12: 90}, onSite: map[time.Month]int{10: 1, 11: 3, 12: 1}}
			u, err := contract.ConsumptionOver(t.Context(), st, tc.c, paris, q4, q4End)
			if err != nil {
				t.Fatal(err)
			}
			if u.Months != tc.months || u.Support != tc.support || u.Included != tc.included || u.SupportLevel != tc.level ||
				u.OnSite != tc.onSite || u.OnSiteIncluded != tc.onSiteIncluded || u.OnSiteLevel != tc.onSiteLevel {
				t.Errorf("got %d months, %v of %v (%s), %d of %d on site (%s)", u.Months, u.Support, u.Included, u.SupportLevel,
					u.OnSite, u.OnSiteIncluded, u.OnSiteLevel)
			}
			// One query for the whole period, one window a month.
			if len(st.asked) != 3 {
				t.Errorf("%d windows asked, want 3", len(st.asked))
			}
		})
	}
}
