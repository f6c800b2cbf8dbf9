package review

import (
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/report"
)

// CSV returns the review as CSV in the monthly report's shape, one value a
// line: section, item, measure, value. Items are "tto:P1",
// "availability:<asset>", "ticket:<id>:ttr", "action:<id>". Times are RFC
// 3339 in the period's time zone, dates YYYY-MM-DD, decimals use a point,
// a value not measured is empty. A cell a spreadsheet would read as a
// formula starts with an apostrophe.
func (rv Review) CSV() []byte {
	sh := report.NewSheet(rv.Client, rv.Period)
	line, ts, n := sh.Line, sh.Time, strconv.Itoa
	if rv.Contract != nil {
		line("contract", "", "reference", rv.Contract.Reference)
		line("contract", "", "title", rv.Contract.Title)
	} else {
		line("contract", "", "reference", "")
	}
	for _, c := range rv.Commitments {
		item := c.Kind
		switch {
		case c.Priority != "":
			item += ":" + c.Priority
		case c.Asset != "":
			item += ":" + c.Asset
		}
		switch c.Kind {
		case KindTTO, KindTTR:
			line("commitment", item, "target_minutes", n(c.TargetMinutes))
			if c.Compliance != nil {
				line("commitment", item, "met", n(c.Compliance.Met))
				line("commitment", item, "total", n(c.Compliance.Total))
				line("commitment", item, "percent", report.Num(c.Compliance.Percent))
			}
		case KindAvailability:
			line("commitment", item, "target_percent", strconv.FormatFloat(c.TargetPercent, 'f', -1, 64))
			line("commitment", item, "percent", report.Num(c.Percent))
		case KindSupport:
			line("commitment", item, "included_minutes", n(c.TargetMinutes))
			line("commitment", item, "billable_minutes", n(c.Minutes))
		case KindOnSite:
			line("commitment", item, "included", n(c.TargetCount))
			line("commitment", item, "interventions", n(c.Count))
		}
		line("commitment", item, "outcome", string(c.Outcome))
	}
	for _, b := range rv.Breaches {
		item := "ticket:" + strconv.FormatInt(b.TicketID, 10) + ":" + b.Clock
		line("breach", item, "title", b.Title)
		line("breach", item, "priority", b.Priority)
		line("breach", item, "due", ts(b.Due))
		stopped := ""
		if b.Stopped != nil {
			stopped = ts(*b.Stopped)
		}
		line("breach", item, "stopped", stopped)
		line("breach", item, "late_minutes", n(b.LateMinutes))
		line("breach", item, "cause", b.Cause)
		codes := make([]string, len(b.Suggested))
		for i, f := range b.Suggested {
			codes[i] = f.Code
		}
		line("breach", item, "suggested", strings.Join(codes, " "))
	}
	for _, a := range rv.Actions {
		item := "action:" + strconv.FormatInt(a.ID, 10)
		line("action", item, "title", a.Title)
		line("action", item, "owner", a.Who())
		line("action", item, "due", a.Due.Format(time.DateOnly))
		line("action", item, "status", string(a.Status))
		line("action", item, "decided_in", a.DecidedIn)
		closed := ""
		if a.ClosedAt != nil {
			closed = ts(*a.ClosedAt)
		}
		line("action", item, "closed_at", closed)
	}
	m := rv.Meeting
	held := ""
	if m.HeldOn != nil {
		held = m.HeldOn.Format(time.DateOnly)
	}
	line("meeting", "", "held_on", held)
	line("meeting", "", "attendees", m.Attendees)
	line("meeting", "", "notes", m.Notes)
	return sh.Bytes()
}
