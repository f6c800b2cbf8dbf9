package report

import (
	"cmp"
	"slices"
	"time"

	"github.com/vigie-hq/vigie/internal/ticket"
)

// OutOfPerimeter is the work of a period on tickets outside the contract's
// perimeter: listed apart, billable, never in the SLA compliance.
type OutOfPerimeter struct {
	Tickets []OutTicket `json:"tickets"`
	// Minutes sums the time entries of the period on those tickets.
	TotalMinutes    int `json:"total_minutes"`
	BillableMinutes int `json:"billable_minutes"`
}

// OutTicket is a ticket out of the perimeter and the time spent on it in
// the period.
type OutTicket struct {
	ID              int64           `json:"id"`
	Title           string          `json:"title"`
	Type            ticket.Type     `json:"type"`
	Priority        ticket.Priority `json:"priority"`
	Reason          string          `json:"reason"`
	Created         time.Time       `json:"created"`
	Resolved        *time.Time      `json:"resolved"`
	Minutes         int             `json:"minutes"`
	BillableMinutes int             `json:"billable_minutes"`
}

// OutOfPerimeterOf lists the out-of-perimeter tickets opened or resolved in
// [from, until), or with time spent on them in it, by id, with the time of
// the entries (started in the period).
func OutOfPerimeterOf(rows []TicketRow, entries []TimeRow, from, until time.Time) OutOfPerimeter {
	out := OutOfPerimeter{Tickets: []OutTicket{}}
	spent := map[int64][2]time.Duration{} // ticket → total, billable
	for _, e := range entries {
		if !within(e.Start, from, until) {
			continue
		}
		s := spent[e.TicketID]
		s[0] += e.Duration
		if e.Billable {
			s[1] += e.Duration
		}
		spent[e.TicketID] = s
	}
	var total, billable time.Duration
	for _, t := range rows {
		if !t.OutOfPerimeter {
			continue
		}
		s, worked := spent[t.ID]
		if !worked && !within(t.Created, from, until) && !withinPtr(t.Resolved, from, until) {
			continue
		}
		total, billable = total+s[0], billable+s[1]
		out.Tickets = append(out.Tickets, OutTicket{ID: t.ID, Title: t.Title, Type: t.Type, Priority: t.Priority, Reason: t.PerimeterReason,
			Created: t.Created, Resolved: t.Resolved, Minutes: minutes(s[0]), BillableMinutes: minutes(s[1])})
	}
	slices.SortFunc(out.Tickets, func(a, b OutTicket) int { return cmp.Compare(a.ID, b.ID) })
	out.TotalMinutes, out.BillableMinutes = minutes(total), minutes(billable)
	return out
}
