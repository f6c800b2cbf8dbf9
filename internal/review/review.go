// Package review builds a client's service review (revue de service) for a
// period: each commitment of the contract in force against what was
// achieved, the breached SLA clocks with their cause, and the actions
// decided in reviews, carried from one review to the next until closed.
//
// It counts nothing on its own: the figures come from report.Figures, and
// the per-priority compliance from report.TicketFigures over the tickets of
// one priority, the same tested rule as the monthly report. Build is a pure
// function of its input; Service fetches the input and keeps what staff
// enter on a review (meeting, causes, actions). docs/service-review.md
// says what a user sees and the rules.
package review

import (
	"cmp"
	"slices"
	"time"

	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// Outcome says whether a commitment was kept over the period.
type Outcome string

// Outcomes.
const (
	Met         Outcome = "met"
	Missed      Outcome = "missed"
	NotMeasured Outcome = "not_measured" // nothing to measure: no clock stopped, no data
)

// Commitment kinds.
const (
	KindTTO          = "tto"          // time to own, one row per priority with a target
	KindTTR          = "ttr"          // time to resolve, one row per priority with a target
	KindAvailability = "availability" // one row per critical asset
	KindSupport      = "support"      // billable time against the hours included
	KindOnSite       = "onsite"       // on-site interventions against the quota
)

// Commitment is one promise of the contract and what was achieved.
type Commitment struct {
	Kind     string `json:"kind"`
	Priority string `json:"priority,omitempty"` // P1…P4 (tto, ttr)
	Asset    string `json:"asset,omitempty"`    // the critical asset (availability)
	Mode     string `json:"mode,omitempty"`     // the support mode, monthly or pack (support)
	// TargetMinutes is the delay promised (tto, ttr), the minutes included
	// (support); TargetPercent the availability target; TargetCount the
	// on-site interventions included.
	TargetMinutes int     `json:"target_minutes,omitempty"`
	TargetPercent float64 `json:"target_percent,omitempty"`
	TargetCount   int     `json:"target_count,omitempty"`
	// Compliance is the clocks that met the delay (tto, ttr); the
	// commitment is met when every clock stopped in the period did.
	Compliance *report.Compliance `json:"compliance,omitempty"`
	// Percent is the availability achieved (nil: not measured).
	Percent *float64 `json:"percent,omitempty"`
	// Minutes is the support time consumed against the contract (support:
	// report.Support, the contract page's figure; for a pack, its
	// consumption at the end of the period against the pack); Count the
	// on-site interventions (onsite).
	Minutes int     `json:"minutes,omitempty"`
	Count   int     `json:"count,omitempty"`
	Outcome Outcome `json:"outcome"`
}

// Clocks of a ticket's SLA.
const (
	ClockTTO = "tto"
	ClockTTR = "ttr"
)

// BreachRow is a ticket with a breached SLA clock, as the store reads it.
type BreachRow struct {
	TicketID  int64
	Title     string
	Priority  ticket.Priority
	Created   time.Time
	Owned     *time.Time
	Resolved  *time.Time
	Covered   bool
	TTOBreach *time.Time
	TTRBreach *time.Time
}

// Event is a timeline event of a breached ticket (kinds "status",
// "assignee", "priority", "escalated").
type Event struct {
	TicketID int64
	At       time.Time
	Kind     string
	From, To string
}

// Fact is one thing the timeline says about a breach, translated by the
// page and the PDF (review.fact.<Code>).
type Fact struct {
	Code    string `json:"code"`
	Minutes int    `json:"minutes,omitempty"`
	Count   int    `json:"count,omitempty"`
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
}

// Fact codes.
const (
	FactThirdParty  = "waiting_third_party" // Minutes in waiting-for-third-party before the clock stopped
	FactClient      = "waiting_client"      // Minutes in waiting-for-client
	FactReassigned  = "reassigned"          // Count of reassignments
	FactPriority    = "priority_raised"     // From → To
	FactEscalated   = "escalated"           // Count of escalations
	FactOutOfHours  = "out_of_hours"        // created outside the contract's service hours
	FactNothing     = "nothing"             // nothing in the timeline explains it
	maxCauseRunes   = 2000
	maxTitleRunes   = 200
	maxOwnerRunes   = 120
	maxMeetingRunes = 4000
)

// Breach is one breached clock of a ticket in the period.
type Breach struct {
	TicketID int64     `json:"ticket_id"`
	Title    string    `json:"title"`
	Priority string    `json:"priority"`
	Clock    string    `json:"clock"` // tto or ttr
	Due      time.Time `json:"due"`   // when the clock was breached
	// Stopped is when the clock stopped (owned, resolved); nil when it
	// still ran at the end of the period.
	Stopped *time.Time `json:"stopped"`
	// LateMinutes is the wall-clock time from Due to Stopped (or to the
	// end of the period).
	LateMinutes int `json:"late_minutes"`
	// Cause is what staff entered; Suggested what the timeline says, shown
	// when Cause is empty.
	Cause     string `json:"cause"`
	Suggested []Fact `json:"suggested"`
}

// ContractInfo is what a review shows of the contract in force.
type ContractInfo struct {
	ID        int64  `json:"id"`
	Reference string `json:"reference"`
	Title     string `json:"title"`
}

// Review is a client's service review of one period.
type Review struct {
	ClientID int64             `json:"client_id"`
	Client   string            `json:"client"`
	Period   report.PeriodInfo `json:"period"`
	// Contract is the contract in force at the end of the period; nil when
	// none is: there are no commitments to compare.
	Contract    *ContractInfo `json:"contract"`
	Commitments []Commitment  `json:"commitments"`
	Breaches    []Breach      `json:"breaches"`
	Actions     []Action      `json:"actions"`
	Meeting     Meeting       `json:"meeting"`
}

// Input is everything Build needs.
type Input struct {
	Figures report.Monthly
	// Tickets are the ticket rows of the period (report.Store.ReportTickets)
	// and Changes their status changes, for the per-priority compliance.
	Tickets []report.TicketRow
	Changes []report.StatusChange
	// Contract is the contract in force at the end of the period, nil when none.
	Contract *contract.Contract
	Breaches []BreachRow
	Events   []Event
	Causes   []Cause
	Actions  []Action
	Meeting  Meeting
}

// Build lays the review out from its input.
func Build(in Input) Review {
	m := in.Figures
	rv := Review{ClientID: m.ClientID, Client: m.Client, Period: m.Period,
		Commitments: []Commitment{}, Breaches: []Breach{}, Actions: in.Actions, Meeting: in.Meeting}
	if rv.Actions == nil {
		rv.Actions = []Action{}
	}
	var cal *sla.Calendar
	if c := in.Contract; c != nil {
		rv.Contract = &ContractInfo{ID: c.ID, Reference: c.Reference, Title: c.Title}
		rv.Commitments = commitments(in, *c)
		if parsed, err := sla.Parse(c.Calendar); err == nil {
			cal = parsed
		}
	}
	rv.Breaches = Breaches(in.Breaches, in.Events, in.Causes, cal, m.Period.From, m.Period.Until)
	return rv
}

// commitments compares the contract's promises with the period's figures.
func commitments(in Input, c contract.Contract) []Commitment {
	m := in.Figures
	from, until := m.Period.From, m.Period.Until
	out := []Commitment{}
	byPrio := map[ticket.Priority][]report.TicketRow{}
	for _, t := range in.Tickets {
		byPrio[t.Priority] = append(byPrio[t.Priority], t)
	}
	for _, kind := range []string{KindTTO, KindTTR} {
		for i, prio := range contract.Priorities {
			target := c.Targets[prio]
			d := target.TTO
			if kind == KindTTR {
				d = target.TTR
			}
			if d <= 0 {
				continue // no promise for this priority
			}
			f := report.TicketFigures(byPrio[ticket.Priority(i+1)], nil, from, until)
			comp := f.TTO
			if kind == KindTTR {
				comp = f.TTR
			}
			out = append(out, Commitment{Kind: kind, Priority: string(prio), TargetMinutes: int(d / time.Minute),
				Compliance: &comp, Outcome: clocksOutcome(comp)})
		}
	}
	if c.Availability > 0 {
		for _, a := range m.Availability {
			row := Commitment{Kind: KindAvailability, Asset: a.Asset, TargetPercent: c.Availability, Percent: a.Percent, Outcome: NotMeasured}
			if a.Percent != nil {
				row.Outcome = Missed
				if *a.Percent >= c.Availability {
					row.Outcome = Met
				}
			}
			out = append(out, row)
		}
	}
	// Support and on-site: the report's figure (contract.ConsumptionOver,
	// the contract page's computation), measured over whole months only.
	if sp := m.Support; sp.Measured() && sp.ContractID == c.ID {
		if sp.Mode != contract.SupportNone && sp.IncludedMinutes > 0 {
			row := Commitment{Kind: KindSupport, Mode: string(sp.Mode), TargetMinutes: sp.IncludedMinutes, Minutes: sp.ConsumedMinutes, Outcome: Met}
			if sp.ConsumedMinutes > sp.IncludedMinutes {
				row.Outcome = Missed
			}
			out = append(out, row)
		}
		if sp.OnSiteIncluded > 0 {
			row := Commitment{Kind: KindOnSite, TargetCount: sp.OnSiteIncluded, Count: sp.OnSite, Outcome: Met}
			if sp.OnSite > sp.OnSiteIncluded {
				row.Outcome = Missed
			}
			out = append(out, row)
		}
	}
	return out
}

// clocksOutcome: met when every clock stopped in the period met its delay
// (the contract promises each ticket), not measured without any.
func clocksOutcome(c report.Compliance) Outcome {
	switch {
	case c.Total == 0:
		return NotMeasured
	case c.Met == c.Total:
		return Met
	}
	return Missed
}

// Breaches lists the breached clocks of the period: a clock that stopped
// in [from, until) at or after its breach (counted as missed by the
// compliance), or one breached in the period and still running at its end.
// Rows come ordered by due time, then ticket and clock.
func Breaches(rows []BreachRow, events []Event, causes []Cause, cal *sla.Calendar, from, until time.Time) []Breach {
	byTicket := map[int64][]Event{}
	for _, e := range events {
		byTicket[e.TicketID] = append(byTicket[e.TicketID], e)
	}
	cause := map[[2]any]string{}
	for _, c := range causes {
		cause[[2]any{c.TicketID, c.Clock}] = c.Text
	}
	out := []Breach{}
	for _, r := range rows {
		if !r.Covered {
			continue
		}
		for _, clk := range []struct {
			name    string
			due     *time.Time
			stopped *time.Time
		}{{ClockTTO, r.TTOBreach, r.Owned}, {ClockTTR, r.TTRBreach, r.Resolved}} {
			if clk.due == nil {
				continue
			}
			due := *clk.due
			b := Breach{TicketID: r.TicketID, Title: r.Title, Priority: r.Priority.String(), Clock: clk.name, Due: due}
			switch {
			case clk.stopped != nil && within(*clk.stopped, from, until) && !due.After(*clk.stopped):
				s := *clk.stopped
				b.Stopped, b.LateMinutes = &s, minutes(s.Sub(due))
			case (clk.stopped == nil || !clk.stopped.Before(until)) && within(due, from, until):
				b.LateMinutes = minutes(until.Sub(due))
			default:
				continue
			}
			end := until
			if b.Stopped != nil {
				end = *b.Stopped
			}
			b.Cause = cause[[2]any{r.TicketID, clk.name}]
			b.Suggested = Suggest(r, clk.name, byTicket[r.TicketID], cal, end)
			out = append(out, b)
		}
	}
	slices.SortStableFunc(out, func(a, b Breach) int {
		return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(a.TicketID, b.TicketID), cmp.Compare(a.Clock, b.Clock))
	})
	return out
}

// Suggest says what the ticket's timeline up to end (the clock's stop, or
// the end of the period) shows that may explain a breach of clock: time
// waiting on a third party or the client, reassignments, a raised
// priority, escalations, a creation outside service hours (cal nil: not
// known). It states facts and guesses nothing; FactNothing when none.
func Suggest(r BreachRow, clock string, events []Event, cal *sla.Calendar, end time.Time) []Fact {
	var facts []Fact
	sorted := slices.Clone(events)
	slices.SortStableFunc(sorted, func(a, b Event) int { return a.At.Compare(b.At) })
	waiting := map[string]time.Duration{}
	status, since := string(ticket.StatusNew), r.Created
	reassigned, escalated := 0, 0
	var raised *Fact
	for _, e := range sorted {
		if !e.At.Before(end) {
			break
		}
		switch e.Kind {
		case "status":
			waiting[status] += e.At.Sub(since)
			status, since = e.To, e.At
		case "assignee":
			if e.From != "" {
				reassigned++
			}
		case "priority":
			if e.To != "" && e.From != "" && e.To < e.From { // "P1" < "P3": more urgent
				if raised == nil {
					raised = &Fact{Code: FactPriority, From: e.From}
				}
				raised.To = e.To
			}
		case "escalated":
			escalated++
		}
	}
	if end.After(since) {
		waiting[status] += end.Sub(since)
	}
	if clock == ClockTTR {
		if d := waiting[string(ticket.StatusWaitingThirdParty)]; d > 0 {
			facts = append(facts, Fact{Code: FactThirdParty, Minutes: minutes(d)})
		}
		if d := waiting[string(ticket.StatusWaitingClient)]; d > 0 {
			facts = append(facts, Fact{Code: FactClient, Minutes: minutes(d)})
		}
	}
	if reassigned > 0 {
		facts = append(facts, Fact{Code: FactReassigned, Count: reassigned})
	}
	if raised != nil {
		facts = append(facts, *raised)
	}
	if escalated > 0 {
		facts = append(facts, Fact{Code: FactEscalated, Count: escalated})
	}
	if cal != nil && !cal.Open(r.Created) {
		facts = append(facts, Fact{Code: FactOutOfHours})
	}
	if len(facts) == 0 {
		facts = append(facts, Fact{Code: FactNothing})
	}
	return facts
}

func within(t, from, until time.Time) bool { return !t.Before(from) && t.Before(until) }

// minutes rounds a duration to whole minutes (half up), as report does.
func minutes(d time.Duration) int { return int((d + 30*time.Second) / time.Minute) }
