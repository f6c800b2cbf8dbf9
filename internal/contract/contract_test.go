package contract

import (
	"slices"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/sla"
)

func d(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }

func dp(y int, m time.Month, day int) *time.Time { t := d(y, m, day); return &t }

func paris(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestInForce(t *testing.T) {
	loc := paris(t)
	// 2026: CET→CEST on 29 March 02:00, CEST→CET on 25 October 03:00.
	winter := Contract{ID: 1, ClientID: 7, Reference: "W", State: StateActive, Start: d(2026, 1, 1), End: dp(2026, 3, 28)}
	spring := Contract{ID: 2, ClientID: 7, Reference: "S", State: StateActive, Start: d(2026, 3, 29), End: dp(2026, 10, 24)}
	autumn := Contract{ID: 3, ClientID: 7, Reference: "A", State: StateActive, Start: d(2026, 10, 25)}
	draft := Contract{ID: 4, ClientID: 7, Reference: "D", State: StateDraft, Start: d(2025, 1, 1)}
	cancelled := Contract{ID: 5, ClientID: 7, Reference: "X", State: StateCancelled, Start: d(2025, 1, 1)}
	all := []Contract{draft, winter, spring, autumn, cancelled}
	tests := []struct {
		name string
		at   time.Time
		want string // reference, "" for none
	}{
		{"before every contract", time.Date(2025, 12, 31, 22, 59, 59, 0, time.UTC), ""},                  // 23:59:59 in Paris, 31 Dec
		{"first instant of the first day in Paris", time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC), "W"}, // 00:00 1 Jan in Paris
		{"last day inclusive, late evening", time.Date(2026, 3, 28, 22, 59, 0, 0, time.UTC), "W"},        // 23:59 CET
		{"spring-forward day starts at 23:00 UTC", time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC), "S"},   // 00:00 CET, 29 March
		{"spring-forward day, after the jump", time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), "S"},       // 03:30 CEST
		{"last day of S at 23:59 CEST", time.Date(2026, 10, 24, 21, 59, 0, 0, time.UTC), "S"},
		{"fall-back day starts at 22:00 UTC", time.Date(2026, 10, 24, 22, 0, 0, 0, time.UTC), "A"}, // 00:00 CEST, 25 October
		{"fall-back day, repeated hour", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), "A"},      // 02:30 CEST
		{"fall-back day, last minute", time.Date(2026, 10, 25, 22, 59, 0, 0, time.UTC), "A"},       // 23:59 CET
		{"open-ended, years later", time.Date(2040, 6, 1, 12, 0, 0, 0, time.UTC), "A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := InForce(all, tt.at, loc)
			if ok != (tt.want != "") || got.Reference != tt.want {
				t.Errorf("InForce(%s) = %q, %v; want %q", tt.at, got.Reference, ok, tt.want)
			}
		})
	}
	t.Run("UTC would pick the day before", func(t *testing.T) {
		at := time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC)
		if got, _ := InForce(all, at, time.UTC); got.Reference != "W" {
			t.Errorf("in UTC got %q, want W", got.Reference)
		}
		if got, _ := InForce(all, at, loc); got.Reference != "S" {
			t.Errorf("in Paris got %q, want S", got.Reference)
		}
	})
	t.Run("tacit renewal stays in force past its end", func(t *testing.T) {
		tacit := Contract{ID: 9, Reference: "T", State: StateActive, Start: d(2024, 1, 1), End: dp(2024, 12, 31), Renewal: Renewal{Kind: RenewalTacit, TermMonths: 12}}
		if _, ok := InForce([]Contract{tacit}, time.Date(2027, 5, 5, 10, 0, 0, 0, time.UTC), loc); !ok {
			t.Error("a tacitly renewed contract is not in force after its first term")
		}
		explicit := tacit
		explicit.Renewal = Renewal{Kind: RenewalExplicit, NoticeMonths: 3}
		if _, ok := InForce([]Contract{explicit}, time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC), loc); ok {
			t.Error("an explicitly renewable contract is in force after its end")
		}
	})
}

func TestStatusTermNotice(t *testing.T) {
	c := Contract{State: StateActive, Start: d(2025, 2, 1), End: dp(2026, 1, 31), Renewal: Renewal{Kind: RenewalTacit, TermMonths: 12, NoticeMonths: 3}}
	tests := []struct {
		name            string
		day             time.Time
		termEnd, notice time.Time
		status          Status
		mutate          func(*Contract)
		wantNoTerm      bool
	}{
		{name: "first term", day: d(2025, 6, 1), termEnd: d(2026, 1, 31), notice: d(2025, 10, 31), status: StatusActive},
		{name: "last day of the first term", day: d(2026, 1, 31), termEnd: d(2026, 1, 31), notice: d(2025, 10, 31), status: StatusActive},
		{name: "renewed term, ending on a short month's last day", day: d(2026, 2, 1), termEnd: d(2027, 1, 31), notice: d(2026, 10, 31), status: StatusActive},
		{name: "third term", day: d(2027, 12, 25), termEnd: d(2028, 1, 31), notice: d(2027, 10, 31), status: StatusActive},
		{name: "notice given: ends", day: d(2026, 2, 1), termEnd: d(2026, 1, 31), notice: d(2026, 1, 31), status: StatusEnded,
			mutate: func(c *Contract) { c.Renewal = Renewal{Kind: RenewalNone} }},
		{name: "draft", day: d(2025, 6, 1), termEnd: d(2026, 1, 31), notice: d(2025, 10, 31), status: StatusDraft,
			mutate: func(c *Contract) { c.State = StateDraft }},
		{name: "cancelled", day: d(2025, 6, 1), termEnd: d(2026, 1, 31), notice: d(2025, 10, 31), status: StatusCancelled,
			mutate: func(c *Contract) { c.State = StateCancelled }},
		{name: "open-ended", day: d(2030, 6, 1), status: StatusActive, wantNoTerm: true,
			mutate: func(c *Contract) { c.End, c.Renewal = nil, Renewal{Kind: RenewalNone} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := c
			if tt.mutate != nil {
				tt.mutate(&c)
			}
			if got := c.StatusOn(tt.day); got != tt.status {
				t.Errorf("status %q, want %q", got, tt.status)
			}
			end, ok := c.TermEnd(tt.day)
			if ok == tt.wantNoTerm || (ok && !end.Equal(tt.termEnd)) {
				t.Errorf("term end %s, %v; want %s", end.Format(time.DateOnly), ok, tt.termEnd.Format(time.DateOnly))
			}
			notice, ok := c.NoticeBy(tt.day)
			if ok == tt.wantNoTerm || (ok && !notice.Equal(tt.notice)) {
				t.Errorf("notice by %s, %v; want %s", notice.Format(time.DateOnly), ok, tt.notice.Format(time.DateOnly))
			}
		})
	}
}

func TestOverlap(t *testing.T) {
	base := []Contract{
		{ID: 1, ClientID: 7, Reference: "2025", State: StateActive, Start: d(2025, 1, 1), End: dp(2025, 12, 31)},
		{ID: 2, ClientID: 7, Reference: "DRAFT", State: StateDraft, Start: d(2026, 1, 1)},
		{ID: 3, ClientID: 8, Reference: "OTHER", State: StateActive, Start: d(2020, 1, 1)},
		{ID: 4, ClientID: 7, Reference: "OLD", State: StateCancelled, Start: d(2020, 1, 1)},
	}
	tests := []struct {
		name string
		c    Contract
		want string
	}{
		{"the day after", Contract{ClientID: 7, State: StateActive, Start: d(2026, 1, 1)}, ""},
		{"on the last day", Contract{ClientID: 7, State: StateActive, Start: d(2025, 12, 31)}, "2025"},
		{"ends on the first day", Contract{ClientID: 7, State: StateActive, Start: d(2024, 1, 1), End: dp(2025, 1, 1)}, "2025"},
		{"ends the day before", Contract{ClientID: 7, State: StateActive, Start: d(2024, 1, 1), End: dp(2024, 12, 31)}, ""},
		{"contains it", Contract{ClientID: 7, State: StateActive, Start: d(2024, 1, 1)}, "2025"},
		{"inside it", Contract{ClientID: 7, State: StateActive, Start: d(2025, 3, 1), End: dp(2025, 3, 31)}, "2025"},
		{"a draft may overlap", Contract{ClientID: 7, State: StateDraft, Start: d(2025, 3, 1)}, ""},
		{"itself", Contract{ID: 1, ClientID: 7, State: StateActive, Start: d(2025, 1, 1)}, ""},
		{"tacit before, renewing into it", Contract{ClientID: 7, State: StateActive, Start: d(2023, 1, 1), End: dp(2023, 12, 31),
			Renewal: Renewal{Kind: RenewalTacit, TermMonths: 12}}, "2025"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Overlap(tt.c, base)
			if ok != (tt.want != "") || got.Reference != tt.want {
				t.Errorf("Overlap = %q, %v; want %q", got.Reference, ok, tt.want)
			}
		})
	}
}

func TestConsumptionLevel(t *testing.T) {
	h := time.Hour
	tests := []struct {
		consumed, included time.Duration
		want               Level
	}{
		{0, 10 * h, LevelOK},
		{8*h - time.Second, 10 * h, LevelOK},
		{8 * h, 10 * h, LevelWarning},
		{10*h - time.Second, 10 * h, LevelWarning},
		{10 * h, 10 * h, LevelExhausted},
		{25 * h, 10 * h, LevelExhausted},
		{5 * h, 0, LevelOK},
		{48 * time.Minute, h, LevelWarning},
		{47 * time.Minute, h, LevelOK},
	}
	for _, tt := range tests {
		if got := ConsumptionLevel(tt.consumed, tt.included); got != tt.want {
			t.Errorf("ConsumptionLevel(%s, %s) = %s, want %s", tt.consumed, tt.included, got, tt.want)
		}
	}
	sp := Support{Mode: SupportMonthly, Minutes: 600}
	if got := sp.Level(9 * h); got != LevelWarning {
		t.Errorf("monthly 10 h, 9 h used: %s", got)
	}
	if got := (Support{Mode: SupportNone}).Level(100 * h); got != LevelOK {
		t.Errorf("no support included: %s", got)
	}
}

// valid returns a contract that Normalize accepts.
func valid() Contract {
	return Contract{
		ClientID: 7, Reference: " INF-2026 ", Title: "Infogérance", Start: time.Date(2026, 1, 1, 15, 0, 0, 0, time.UTC),
		Calendar:     sla.AlwaysOpen().String(),
		Targets:      map[sla.Priority]sla.Target{"P1": {TTO: 15 * time.Minute, TTR: 4 * time.Hour}},
		Availability: 99.5,
	}
}

func TestNormalize(t *testing.T) {
	c := valid()
	if err := c.Normalize(); err != nil {
		t.Fatal(err)
	}
	if c.Reference != "INF-2026" || c.State != StateDraft || c.Renewal.Kind != RenewalNone || c.Support.Mode != SupportNone ||
		c.RetentionYears != DefaultRetentionYears || !c.Start.Equal(d(2026, 1, 1)) || c.Reporting.Recipients == nil {
		t.Errorf("normalized %+v", c)
	}
	tests := []struct {
		name   string
		mutate func(*Contract)
		field  string
		code   string
	}{
		{"end before start", func(c *Contract) { c.End = dp(2025, 12, 31) }, "end", CodeEndBeforeStart},
		{"no reference", func(c *Contract) { c.Reference = " " }, "reference", CodeRequired},
		{"no title", func(c *Contract) { c.Title = "" }, "title", CodeRequired},
		{"unknown state", func(c *Contract) { c.State = "signed" }, "state", CodeInvalidChoice},
		{"TTO after TTR", func(c *Contract) { c.Targets["P2"] = sla.Target{TTO: 5 * time.Hour, TTR: time.Hour} }, "targets.P2", CodeTTOAfterTTR},
		{"negative target", func(c *Contract) { c.Targets["P3"] = sla.Target{TTO: -time.Minute} }, "targets.P3", CodeOutOfRange},
		{"unknown priority", func(c *Contract) { c.Targets["P5"] = sla.Target{} }, "targets.P5", CodeInvalidChoice},
		{"availability zero", func(c *Contract) { c.Availability = 0 }, "availability", CodeOutOfRange},
		{"availability above 100", func(c *Contract) { c.Availability = 100.01 }, "availability", CodeOutOfRange},
		{"no calendar", func(c *Contract) { c.Calendar = "" }, "calendar", CodeRequired},
		{"bad calendar", func(c *Contract) { c.Calendar = "{" }, "calendar", CodeInvalidCal},
		{"retention too long", func(c *Contract) { c.RetentionYears = 31 }, "retention_years", CodeOutOfRange},
		{"retention negative", func(c *Contract) { c.RetentionYears = -1 }, "retention_years", CodeOutOfRange},
		{"tacit without end", func(c *Contract) { c.Renewal = Renewal{Kind: RenewalTacit, TermMonths: 12} }, "end", CodeRequired},
		{"tacit without term", func(c *Contract) { c.End = dp(2026, 12, 31); c.Renewal = Renewal{Kind: RenewalTacit} }, "renewal.term_months", CodeOutOfRange},
		{"unknown renewal", func(c *Contract) { c.Renewal.Kind = "auto" }, "renewal.kind", CodeInvalidChoice},
		{"notice too long", func(c *Contract) {
			c.End = dp(2026, 12, 31)
			c.Renewal = Renewal{Kind: RenewalExplicit, NoticeMonths: 25}
		}, "renewal.notice_months", CodeOutOfRange},
		{"pack without start", func(c *Contract) { c.Support = Support{Mode: SupportPack, Minutes: 600} }, "support.pack_start", CodeRequired},
		{"monthly without hours", func(c *Contract) { c.Support = Support{Mode: SupportMonthly} }, "support.minutes", CodeOutOfRange},
		{"unknown support", func(c *Contract) { c.Support = Support{Mode: "unlimited"} }, "support.mode", CodeInvalidChoice},
		{"negative on-site quota", func(c *Contract) { c.OnSitePerMonth = -1 }, "onsite_per_month", CodeOutOfRange},
		{"unknown asset kind", func(c *Contract) { c.Perimeter.Kinds = []asset.Kind{"robot"} }, "perimeter.kinds", CodeInvalidChoice},
		{"asset in and out", func(c *Contract) { c.Perimeter.Include, c.Perimeter.Exclude = []int64{3, 4}, []int64{4} }, "perimeter.include", CodeInAndOut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.mutate(&c)
			v, ok := fault.AsInvalid(c.Normalize())
			if !ok || !slices.ContainsFunc(v.Fields, func(f fault.FieldError) bool { return f.Field == tt.field && f.Code == tt.code }) {
				t.Errorf("Normalize = %v; want %s: %s", v, tt.field, tt.code)
			}
		})
	}
	t.Run("lists sorted without duplicates, pack start cut to the day", func(t *testing.T) {
		c := valid()
		c.Perimeter = Perimeter{Kinds: []asset.Kind{"workstation", "server", "workstation"}, Sites: []int64{5, 2, 5}, Include: []int64{9, 1}}
		c.Reporting.Recipients = []int64{4, 4, 1}
		ps := time.Date(2026, 2, 1, 18, 0, 0, 0, time.UTC)
		c.Support = Support{Mode: SupportPack, Minutes: 1200, PackStart: &ps}
		if err := c.Normalize(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(c.Perimeter.Kinds, []asset.Kind{"server", "workstation"}) || !slices.Equal(c.Perimeter.Sites, []int64{2, 5}) ||
			!slices.Equal(c.Perimeter.Include, []int64{1, 9}) || !slices.Equal(c.Reporting.Recipients, []int64{1, 4}) || !c.Support.PackStart.Equal(d(2026, 2, 1)) {
			t.Errorf("normalized %+v %+v %+v", c.Perimeter, c.Reporting, c.Support)
		}
	})
}

func TestPolicy(t *testing.T) {
	c := valid()
	if err := c.Normalize(); err != nil {
		t.Fatal(err)
	}
	p, err := c.Policy()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Targets) != 4 || p.Targets["P1"] != (sla.Target{TTO: 15 * time.Minute, TTR: 4 * time.Hour}) || p.Targets["P3"] != (sla.Target{}) {
		t.Errorf("targets %v", p.Targets)
	}
	at := time.Date(2026, 3, 29, 2, 30, 0, 0, time.UTC)
	if !p.Calendar.Open(at) || p.Calendar.Add(at, time.Hour) != at.Add(time.Hour) {
		t.Error("the 24×7 calendar does not come through")
	}
	// The policy is one the SLA engine accepts.
	st, err := sla.Evaluate(p, []sla.Event{{Kind: sla.EventCreated, At: at, Priority: "P1", Status: "new"}}, at.Add(5*time.Hour))
	if err != nil || !st.TTR.Breached {
		t.Errorf("evaluate under the contract's policy: %+v, %v", st.TTR, err)
	}
	c.Calendar = "{"
	if _, err := c.Policy(); err == nil {
		t.Error("a broken calendar gives a policy")
	}
}
