// Package contract holds what the provider owes each client: its contracts
// (dates, renewal, service hours, SLA targets, availability target, support
// hours, on-site quota, reporting, clauses) and each contract's perimeter,
// the assets it covers.
//
// A client may have several contracts over time; at most one is in force
// on a given date (InForce). Whether an asset is covered is decided in Go by
// Covers, a pure function that also says why, so that the same rule serves
// the asset page, the helpdesk and the reports.
package contract

import (
	"fmt"
	"slices"
	"time"

	"github.com/vigie-hq/vigie/internal/sla"
)

// State is the stored stage of a contract's life, as the manager sets it.
type State string

// States. Only an active contract can be in force; a draft is being
// prepared (it may overlap the contract it will replace); a cancelled one
// is kept for history and never in force.
const (
	StateDraft     State = "draft"
	StateActive    State = "active"
	StateCancelled State = "cancelled"
)

// States lists every state in display order.
var States = []State{StateDraft, StateActive, StateCancelled}

// Valid reports whether st is a known state.
func (st State) Valid() bool { return slices.Contains(States, st) }

// Status is what a contract is at a date: its State, except that an active
// contract past its end is ended. It is computed, never stored.
type Status string

// Statuses.
const (
	StatusDraft     Status = "draft"
	StatusActive    Status = "active"
	StatusEnded     Status = "ended"
	StatusCancelled Status = "cancelled"
)

// RenewalKind says what happens at the end of a contract's term.
type RenewalKind string

// Renewal kinds.
const (
	// RenewalNone: the contract ends at its end date.
	RenewalNone RenewalKind = "none"
	// RenewalTacit: without notice, the contract renews itself for TermMonths
	// at each end of term (tacite reconduction). Giving notice is setting
	// the renewal to none and the end date to the end of the current term.
	RenewalTacit RenewalKind = "tacit"
	// RenewalExplicit: the contract ends at its end date unless both parties
	// sign a renewal (a new contract, or a later end date).
	RenewalExplicit RenewalKind = "explicit"
)

// RenewalKinds lists every renewal kind.
var RenewalKinds = []RenewalKind{RenewalNone, RenewalTacit, RenewalExplicit}

// Renewal is a contract's renewal clause.
type Renewal struct {
	Kind RenewalKind `json:"kind"`
	// NoticeMonths is how long before the end of a term notice must be given
	// (tacit) or a renewal discussed (explicit).
	NoticeMonths int `json:"notice_months"`
	// TermMonths is the length of each renewed term (tacit only).
	TermMonths int `json:"term_months"`
}

// SupportMode is how support hours are sold.
type SupportMode string

// Support modes.
const (
	SupportNone    SupportMode = "none"    // no hours included: every intervention is billed
	SupportMonthly SupportMode = "monthly" // Minutes included each calendar month
	SupportPack    SupportMode = "pack"    // a prepaid pack of Minutes, consumed from PackStart
)

// SupportModes lists every support mode.
var SupportModes = []SupportMode{SupportNone, SupportMonthly, SupportPack}

// Support is the support time a contract includes, consumed by billable
// interventions.
type Support struct {
	Mode SupportMode `json:"mode"`
	// Minutes included per month (monthly) or in the pack (pack).
	Minutes int `json:"minutes"`
	// PackStart is the date from which a pack is consumed (pack only; a
	// date: UTC midnight).
	PackStart *time.Time `json:"pack_start"`
}

// Level is how much of the included support time is consumed.
type Level string

// Levels, the thresholds at which the manager and the client are warned.
const (
	LevelOK        Level = "ok"            // below 80 %
	LevelWarning   Level = "warning_80"    // 80 % or more
	LevelExhausted Level = "exhausted_100" // 100 % or more
)

// ConsumptionLevel returns the level of consumed time against included
// time. With nothing included (0) there is no quota to warn about: ok.
// The thresholds are exact (integer arithmetic on seconds): 80 % of 10 h
// is warned at 8 h 00 min 00 s, not a rounding error later.
func ConsumptionLevel(consumed, included time.Duration) Level {
	inc := int64(included / time.Second)
	if inc <= 0 {
		return LevelOK
	}
	used := int64(consumed / time.Second)
	switch {
	case used >= inc:
		return LevelExhausted
	case used*100 >= inc*80:
		return LevelWarning
	}
	return LevelOK
}

// Level returns the level of consumed time against what the support
// includes (per month or in the pack).
func (sp Support) Level(consumed time.Duration) Level {
	if sp.Mode == SupportNone {
		return LevelOK
	}
	return ConsumptionLevel(consumed, time.Duration(sp.Minutes)*time.Minute)
}

// Reporting says which reports the client receives and who receives them.
type Reporting struct {
	Daily     bool `json:"daily"`     // daily summary (compte rendu)
	Monthly   bool `json:"monthly"`   // monthly steering report
	Quarterly bool `json:"quarterly"` // quarterly service review
	Annual    bool `json:"annual"`    // annual report for the steering committee
	// Recipients are contact ids of the contract's client.
	Recipients []int64 `json:"recipients"`
}

// Priorities are the ticket priorities a contract sets targets for, named
// as package ticket names them (ticket.Priority.String()), so that the
// targets go straight into an sla.Policy.
var Priorities = []sla.Priority{"P1", "P2", "P3", "P4"}

// Bounds and defaults.
const (
	DefaultRetentionYears = 5
	MinRetentionYears     = 1
	MaxRetentionYears     = 30
	MaxNoticeMonths       = 24
	MaxTermMonths         = 120
	MaxSupportMinutes     = 100000 * 60
	MaxOnSitePerMonth     = 1000
	MaxTarget             = 10000 * time.Hour
)

// Contract is what the provider owes one client over a period.
type Contract struct {
	ID       int64 `json:"id"`
	ClientID int64 `json:"client_id"`
	// Reference is unique among the client's contracts, e.g. "INF-2026-01".
	Reference string `json:"reference"`
	Title     string `json:"title"`
	// Start and End are dates (UTC midnight), both inclusive, read in the
	// client's time zone; End nil is open-ended.
	Start   time.Time  `json:"start"`
	End     *time.Time `json:"end"`
	Renewal Renewal    `json:"renewal"`
	State   State      `json:"state"`
	// Calendar is the service hours in sla's text form (sla.Parse), the
	// same form as a client's service level today.
	Calendar string `json:"calendar"`
	// Targets are the time to own and to resolve per priority (P1..P4); a
	// missing priority has no promise.
	Targets map[sla.Priority]sla.Target `json:"targets"`
	// Availability is the availability target of critical assets in
	// percent (0 < x ≤ 100), e.g. 99.5.
	Availability float64 `json:"availability"`
	Support      Support `json:"support"`
	// OnSitePerMonth is the number of on-site interventions included each
	// month (0: none included).
	OnSitePerMonth int       `json:"onsite_per_month"`
	Reporting      Reporting `json:"reporting"`
	// Reversibility and DataProtection are the clauses' texts.
	Reversibility  string `json:"reversibility"`
	DataProtection string `json:"data_protection"`
	// RetentionYears is how long personal data are kept (1..30, 5 by default).
	RetentionYears int       `json:"retention_years"`
	Perimeter      Perimeter `json:"perimeter"`
	Created        time.Time `json:"created_at"`
	Updated        time.Time `json:"updated_at"`
}

// Day returns the date t shows in loc, as UTC midnight: the form contract
// dates are kept in.
func Day(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// date cuts t to its UTC date.
func date(t time.Time) time.Time { return Day(t, time.UTC) }

// openEnded reports whether the contract never reaches an end: no end
// date, or a tacit renewal (it renews until notice is given).
func (c Contract) openEnded() bool {
	return c.End == nil || c.Renewal.Kind == RenewalTacit
}

// CoversDay reports whether day (a date, UTC midnight) is within the
// contract's dates, whatever its state. A tacitly renewed contract covers
// every day from its start.
func (c Contract) CoversDay(day time.Time) bool {
	day = date(day)
	if day.Before(date(c.Start)) {
		return false
	}
	return c.openEnded() || !day.After(date(*c.End))
}

// StatusOn returns the contract's status on a date.
func (c Contract) StatusOn(day time.Time) Status {
	switch c.State {
	case StateDraft:
		return StatusDraft
	case StateCancelled:
		return StatusCancelled
	}
	if !c.openEnded() && date(day).After(date(*c.End)) {
		return StatusEnded
	}
	return StatusActive
}

// TermEnd returns the last day of the term that contains day: the end date,
// or for a tacit renewal past it, the end of the renewed term. ok is false
// for an open-ended contract without an end date.
func (c Contract) TermEnd(day time.Time) (end time.Time, ok bool) {
	if c.End == nil {
		return time.Time{}, false
	}
	end = date(*c.End)
	if c.Renewal.Kind != RenewalTacit || c.Renewal.TermMonths <= 0 {
		return end, true
	}
	day = date(day)
	for n := 1; end.Before(day); n++ {
		// Each term is counted from the day after the first end, so that a
		// term ending on 31 January is followed by one ending on the last
		// day of the next period, not a day drifted by short months.
		end = date(*c.End).AddDate(0, 0, 1).AddDate(0, n*c.Renewal.TermMonths, 0).AddDate(0, 0, -1)
	}
	return end, true
}

// NoticeBy returns the last day on which notice can be given for the term
// containing day (the term's end minus the notice months); ok is false
// when the contract has no term end.
func (c Contract) NoticeBy(day time.Time) (time.Time, bool) {
	end, ok := c.TermEnd(day)
	if !ok {
		return time.Time{}, false
	}
	return end.AddDate(0, 0, 1).AddDate(0, -c.Renewal.NoticeMonths, 0).AddDate(0, 0, -1), true
}

// InForce returns the contract in force at instant t: the active contract
// whose dates contain the date t shows in loc (the client's time zone). When
// several would (they cannot once validated), the latest start wins.
func InForce(contracts []Contract, t time.Time, loc *time.Location) (Contract, bool) {
	day := Day(t, loc)
	var best Contract
	found := false
	for _, c := range contracts {
		if c.State != StateActive || !c.CoversDay(day) {
			continue
		}
		if !found || c.Start.After(best.Start) || (c.Start.Equal(best.Start) && c.ID > best.ID) {
			best, found = c, true
		}
	}
	return best, found
}

// Overlap returns an active contract among others whose dates overlap c's
// (c itself, by id, and contracts of other clients are ignored). Only
// active contracts are compared: a draft may overlap the contract it will
// replace until it is activated.
func Overlap(c Contract, others []Contract) (Contract, bool) {
	if c.State != StateActive {
		return Contract{}, false
	}
	for _, o := range others {
		if o.State != StateActive || o.ClientID != c.ClientID || (c.ID != 0 && o.ID == c.ID) {
			continue
		}
		if overlaps(c, o) {
			return o, true
		}
	}
	return Contract{}, false
}

// overlaps reports whether two contracts share at least one day.
func overlaps(a, b Contract) bool {
	// [a.Start, aEnd] ∩ [b.Start, bEnd] ≠ ∅ ⇔ a starts by b's end and b by a's.
	return a.CoversDay(maxDate(a.Start, b.Start)) && b.CoversDay(maxDate(a.Start, b.Start))
}

func maxDate(a, b time.Time) time.Time {
	if date(a).After(date(b)) {
		return date(a)
	}
	return date(b)
}

// Policy returns the SLA policy the contract promises: its service hours
// and a target for every priority (a priority without one gets the zero
// target, measured but never at risk nor breached, as the helpdesk does
// for a client's service level). At-risk share and pause statuses are the
// SLA engine's defaults.
func (c Contract) Policy() (sla.Policy, error) {
	cal, err := sla.Parse(c.Calendar)
	if err != nil {
		return sla.Policy{}, fmt.Errorf("calendar of contract %s: %w", c.Reference, err)
	}
	p := sla.Policy{Calendar: cal, Targets: make(map[sla.Priority]sla.Target, len(Priorities))}
	for _, prio := range Priorities {
		p.Targets[prio] = c.Targets[prio]
	}
	return p, nil
}
