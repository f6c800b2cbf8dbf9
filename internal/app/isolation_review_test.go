package app_test

import (
	"fmt"
	"net/url"
	"time"

	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/review"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// reviewQuery is the period the matrix calls the review routes with: a
// past quarter, whatever the day the test runs.
const reviewQuery = "?period=2026-Q3"

// The service review of a client (its page, PDF and CSV) is read by whoever
// may read the client; its meeting, causes and actions are written by
// whoever may write the client (admins and managers). Another client's
// users get 404; the client's own users 403 on the forms.
func init() {
	read, write := tenant.ClientRead, tenant.ClientWrite
	for pattern, sp := range map[string]spec{
		"GET /clients/{id}/reviews":                 {action: read, target: true, query: reviewQuery},
		"GET /clients/{id}/reviews/pdf":             {action: read, target: true, query: reviewQuery},
		"GET /clients/{id}/reviews/csv":             {action: read, target: true, query: reviewQuery},
		"POST /clients/{id}/reviews/meeting":        {action: write, target: true, query: reviewQuery, body: formBody("attendees", "Matrix attendees %d")},
		"POST /clients/{id}/reviews/causes":         {action: write, target: true, query: reviewQuery, body: webReviewCause},
		"POST /clients/{id}/reviews/actions":        {action: write, target: true, query: reviewQuery, body: webReviewAction},
		"POST /clients/{id}/reviews/actions/edit":   {action: write, target: true, query: reviewQuery, body: webReviewActionEdit},
		"POST /clients/{id}/reviews/actions/status": {action: write, target: true, query: reviewQuery, body: webReviewActionStatus},
	} {
		specs[pattern] = sp
	}
}

// webReviewAction is a valid new action.
func webReviewAction(_ *matrix, x *attempt) any {
	return url.Values{"title": {fmt.Sprintf("Matrix action %d", x.n)}, "owner": {"Matrix"}, "due": {"2099-01-01"}, "status": {"open"}}
}

// newReviewAction gives the target client an action decided in the
// matrix's quarter.
func (m *matrix) newReviewAction(x *attempt) int64 {
	paris, err := time.LoadLocation(x.target.client.TimeZone)
	if err != nil {
		panic(err)
	}
	a := review.Action{Title: fmt.Sprintf("%s action %d", x.target.client.Name, x.n), Owner: x.target.client.Name, Due: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := m.s.App.Reviews.AddAction(m.s.Ctx(), tenant.System(), x.target.client.ID, report.Quarter(2026, 3, paris), &a); err != nil {
		panic(err)
	}
	return a.ID
}

func webReviewActionEdit(m *matrix, x *attempt) any {
	v := webReviewAction(m, x).(url.Values)
	v.Set("action_id", fmt.Sprint(m.newReviewAction(x)))
	return v
}

func webReviewActionStatus(m *matrix, x *attempt) any {
	return url.Values{"action_id": {fmt.Sprint(m.newReviewAction(x))}, "status": {"done"}}
}

// webReviewCause gives the target client a ticket whose time to own was
// breached in the matrix's quarter, and a cause for it.
func webReviewCause(m *matrix, x *attempt) any {
	created := time.Date(2026, 8, 3, 8, 0, 0, 0, time.UTC)
	breach := created.Add(30 * time.Minute)
	tk := ticket.Ticket{ClientID: x.target.client.ID, Title: fmt.Sprintf("%s breach %d", x.target.client.Name, x.n), Type: ticket.TypeIncident,
		Priority: 1, Impact: 1, Urgency: 1, Level: "N1", Status: ticket.StatusNew, Created: created, Updated: created,
		SLA: ticket.SLA{Covered: true, TTOBreachAt: &breach}}
	if err := m.s.App.DB.CreateTicket(m.s.Ctx(), tenant.System(), &tk); err != nil {
		panic(err)
	}
	return url.Values{"ticket_id": {fmt.Sprint(tk.ID)}, "clock": {"tto"}, "cause": {"Matrix cause"}}
}
