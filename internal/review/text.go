package review

import (
	"github.com/vigie-hq/vigie/internal/contract"
	"math"
	"strconv"
	"strings"
	"time"
)

// Lines is a review written out in one language: what the page and the PDF
// print, so that both say the same thing the same way.
type Lines struct {
	Commitments []CommitmentLine
	Breaches    []BreachLine
	Actions     []ActionLine
}

// CommitmentLine is a commitment in words.
type CommitmentLine struct {
	Label, Target, Achieved, Outcome string
	// Result is the outcome's code (met, missed, not_measured), for colours.
	Result Outcome
}

// BreachLine is a breach in words.
type BreachLine struct {
	TicketID                           int64
	Ticket, Priority, Clock, Due, Late string
	// Cause is the cause entered, or the timeline's suggestion when none
	// was (Entered false); Suggestion is always the timeline's.
	Cause, Suggestion string
	Entered           bool
	ClockCode         string
}

// ActionLine is an action in words.
type ActionLine struct {
	ID                                   int64
	Title, Owner, Due, Status, DecidedIn string
	// Carried is set for an action decided in an earlier review; Overdue
	// for an open one past its due date at the end of the period.
	Carried, Overdue bool
	StatusCode       Status
}

// Text writes numbers, durations and dates in one language and zone.
type Text struct {
	Texts Translator
	Lang  string
	Loc   *time.Location
}

// T translates a review.* key.
func (x Text) T(key string, args ...any) string { return x.Texts.T(x.Lang, "review."+key, args...) }

// Number writes v with at most dec decimals and the language's separator.
func (x Text) Number(v float64, dec int) string {
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if x.Lang == "fr" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// Percent writes "99,5 %" or "99.5%".
func (x Text) Percent(v float64) string {
	if x.Lang == "fr" {
		return x.Number(v, 2) + "\u00a0%"
	}
	return x.Number(v, 2) + "%"
}

// Duration writes minutes as "1 j 2 h 5 min" / "1 d 2 h 5 min".
func (x Text) Duration(min int) string {
	if min <= 0 {
		return "0 min"
	}
	days, hours, mins := min/(24*60), min/60%24, min%60
	var parts []string
	if days > 0 {
		parts = append(parts, strconv.Itoa(days)+" "+x.T("unit.day"))
	}
	if hours > 0 {
		parts = append(parts, strconv.Itoa(hours)+" h")
	}
	if mins > 0 {
		parts = append(parts, strconv.Itoa(mins)+" min")
	}
	return strings.Join(parts, " ")
}

// Hours writes minutes as hours and minutes, never days: "30 h 15 min".
func (x Text) Hours(min int) string {
	switch {
	case min <= 0:
		return "0 h"
	case min%60 == 0:
		return strconv.Itoa(min/60) + " h"
	case min < 60:
		return strconv.Itoa(min) + " min"
	}
	return strconv.Itoa(min/60) + " h " + strconv.Itoa(min%60) + " min"
}

// Date writes a date: 08/10/2026 or 2026-10-08.
func (x Text) Date(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	if x.Lang == "fr" {
		return t.Format("02/01/2006")
	}
	return t.Format(time.DateOnly)
}

// DateTime writes an instant in the text's zone.
func (x Text) DateTime(t time.Time) string {
	return x.T("at", x.Date(t, x.Loc), t.In(x.Loc).Format("15:04"))
}

// Lines writes the review out.
func (x Text) Lines(rv Review) Lines {
	out := Lines{Commitments: []CommitmentLine{}, Breaches: []BreachLine{}, Actions: []ActionLine{}}
	for _, c := range rv.Commitments {
		out.Commitments = append(out.Commitments, x.commitment(c))
	}
	for _, b := range rv.Breaches {
		l := BreachLine{TicketID: b.TicketID, Ticket: "#" + strconv.FormatInt(b.TicketID, 10) + " " + b.Title, Priority: b.Priority,
			Clock: x.T("clock." + b.Clock), ClockCode: b.Clock, Due: x.DateTime(b.Due), Suggestion: x.Facts(b.Suggested)}
		if b.Stopped != nil {
			l.Late = x.Duration(b.LateMinutes)
		} else {
			l.Late = x.T("late_running", x.Duration(b.LateMinutes))
		}
		l.Cause, l.Entered = b.Cause, b.Cause != ""
		if !l.Entered {
			l.Cause = l.Suggestion
		}
		out.Breaches = append(out.Breaches, l)
	}
	end := rv.Period.Until
	for _, a := range rv.Actions {
		l := ActionLine{ID: a.ID, Title: a.Title, Owner: a.Who(), Due: x.Date(a.Due, time.UTC), Status: x.T("status." + string(a.Status)),
			DecidedIn: a.DecidedIn, Carried: a.Carried(rv.Period.From), StatusCode: a.Status}
		if a.ClosedAt != nil && a.Status.Closed() {
			l.Status = x.T("status_closed", l.Status, x.Date(*a.ClosedAt, x.Loc))
		}
		// Overdue: still open at the end of the period and due before it.
		l.Overdue = !a.Status.Closed() && a.Due.Before(time.Date(end.In(x.Loc).Year(), end.In(x.Loc).Month(), end.In(x.Loc).Day(), 0, 0, 0, 0, time.UTC))
		out.Actions = append(out.Actions, l)
	}
	return out
}

func (x Text) commitment(c Commitment) CommitmentLine {
	l := CommitmentLine{Result: c.Outcome, Outcome: x.T("outcome." + string(c.Outcome))}
	switch c.Kind {
	case KindTTO, KindTTR:
		l.Label = x.T("commitment."+c.Kind, c.Priority)
		l.Target = x.T("target.delay", x.Duration(c.TargetMinutes))
		l.Achieved = x.T("achieved.none")
		if c.Compliance != nil && c.Compliance.Percent != nil {
			l.Achieved = x.T("achieved.clocks", x.Percent(*c.Compliance.Percent), c.Compliance.Met, c.Compliance.Total)
		}
	case KindAvailability:
		l.Label = x.T("commitment.availability", c.Asset)
		l.Target = x.T("target.percent", x.Percent(c.TargetPercent))
		l.Achieved = x.T("achieved.unmeasured")
		if c.Percent != nil && !math.IsNaN(*c.Percent) {
			l.Achieved = x.Percent(*c.Percent)
		}
	case KindSupport:
		l.Label = x.T("commitment.support")
		l.Target = x.T("target.included", x.Hours(c.TargetMinutes))
		if c.Mode == string(contract.SupportPack) {
			l.Label = x.T("commitment.support_pack")
			l.Target = x.T("target.pack", x.Hours(c.TargetMinutes))
		}
		l.Achieved = x.Hours(c.Minutes)
		l.Outcome = x.T("quota." + string(c.Outcome))
	case KindOnSite:
		l.Label = x.T("commitment.onsite")
		l.Target = x.T("target.count", c.TargetCount)
		l.Achieved = strconv.Itoa(c.Count)
		l.Outcome = x.T("quota." + string(c.Outcome))
	}
	return l
}

// Facts writes the timeline's facts as one sentence.
func (x Text) Facts(fs []Fact) string {
	parts := make([]string, 0, len(fs))
	for _, f := range fs {
		switch f.Code {
		case FactThirdParty, FactClient:
			parts = append(parts, x.T("fact."+f.Code, x.Duration(f.Minutes)))
		case FactReassigned, FactEscalated:
			parts = append(parts, x.T("fact."+f.Code, f.Count))
		case FactPriority:
			parts = append(parts, x.T("fact."+f.Code, f.From, f.To))
		default:
			parts = append(parts, x.T("fact."+f.Code))
		}
	}
	s := strings.Join(parts, " ; ")
	if x.Lang == "en" {
		s = strings.ReplaceAll(s, " ; ", "; ")
	}
	return s
}
