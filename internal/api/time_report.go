package api

import (
	"errors"
	"fmt"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// timeReport is the answer of GET /time-report: the time spent per client
// over one calendar month of the provider's time zone.
type timeReport struct {
	Month    string      `json:"month" doc:"The month, YYYY-MM"`
	TimeZone string      `json:"time_zone" doc:"The provider's time zone the month is counted in"`
	From     time.Time   `json:"from" doc:"First instant of the month"`
	To       time.Time   `json:"to" doc:"First instant of the next month (excluded)"`
	Clients  []timeTotal `json:"clients" doc:"One row per client with time in the month, by name"`
	Total    timeTotal   `json:"total" doc:"The sum of the rows (client_id 0)"`
}

// timeTotal is the time spent on one client's tickets.
type timeTotal struct {
	ClientID        int64  `json:"client_id"`
	ClientName      string `json:"client_name"`
	Tickets         int    `json:"tickets" doc:"Tickets with time logged in the month"`
	DurationMinutes int    `json:"duration_minutes" doc:"Minutes worked"`
	BillableMinutes int    `json:"billable_minutes" doc:"Minutes worked and billable"`
	OnSite          int    `json:"on_site" doc:"Time entries worked on site"`
	TravelMinutes   int    `json:"travel_minutes" doc:"Minutes of travel"`
}

func (a *API) getTimeReport(c *call) (any, error) {
	ctx := c.r.Context()
	q := c.query()
	clientID := q.id("client_id")
	if err := q.err(); err != nil {
		return nil, err
	}
	zone := "Europe/Paris"
	if a.d.Provider != nil {
		pr, err := a.d.Provider.Get(ctx)
		if err != nil && !errors.Is(err, fault.ErrNotFound) {
			return nil, fmt.Errorf("load provider: %w", err)
		}
		if pr.TimeZone != "" {
			zone = pr.TimeZone
		}
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("load time zone %q: %w", zone, err)
	}
	month, err := ticket.ParseMonth("month", q.v.Get("month"), loc)
	if err != nil {
		return nil, err
	}
	if month.IsZero() {
		month = a.d.Tickets.CurrentMonth(loc)
	}
	rows, err := a.d.Tickets.TimeReport(ctx, c.scope, month, clientID)
	if err != nil {
		return nil, err
	}
	out := timeReport{Month: month.Format("2006-01"), TimeZone: zone, From: month.UTC(), To: month.AddDate(0, 1, 0).UTC(),
		Clients: make([]timeTotal, len(rows))}
	var sum ticket.TimeTotal
	for i, r := range rows {
		out.Clients[i] = timeTotalOf(r)
		sum.Duration += r.Duration
		sum.Billable += r.Billable
		sum.OnSite += r.OnSite
		sum.Travel += r.Travel
		sum.Tickets += r.Tickets
	}
	out.Total = timeTotalOf(sum)
	return out, nil
}

func timeTotalOf(t ticket.TimeTotal) timeTotal {
	return timeTotal{ClientID: t.ClientID, ClientName: t.ClientName, Tickets: t.Tickets,
		DurationMinutes: minutes(t.Duration), BillableMinutes: minutes(t.Billable), OnSite: t.OnSite, TravelMinutes: minutes(t.Travel)}
}
