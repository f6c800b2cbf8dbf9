package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// timeReportPage is the data of GET /tickets/time: the time spent per client
// over one month of the provider's calendar.
type timeReportPage struct {
	Month   string // YYYY-MM shown
	Prev    string // links to the neighbouring months, keeping the client filter
	Next    string
	Clients []option
	Rows    []ticket.TimeTotal
	Total   ticket.TimeTotal
}

func (h *Handler) timeReport(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, s := r.Context(), p.Scope()
	if !s.Staff() || !s.Can(tenant.TicketWork) {
		h.forbidden(w, r)
		return
	}
	v := h.view(w, r, "tickets")
	q := r.URL.Query()
	var clientID int64
	if id := formID(q, "client"); id != nil {
		clientID = *id
	}
	month, err := ticket.ParseMonth("month", q.Get("month"), v.loc)
	if err == nil && month.IsZero() {
		month = ticket.MonthOf(h.now(), v.loc)
	}
	d := timeReportPage{}
	cs, cerr := h.allClients(ctx, s)
	if cerr != nil {
		h.fail(w, r, cerr)
		return
	}
	d.Clients = []option{{Value: "", Label: v.T("tickets.all_clients")}}
	for _, c := range cs {
		d.Clients = append(d.Clients, option{Value: itoa(c.ID), Label: c.Name})
	}
	if err == nil {
		d.Month = month.Format("2006-01")
		q.Set("month", d.Month)
		d.Prev = monthLink(q, month.AddDate(0, -1, 0))
		d.Next = monthLink(q, month.AddDate(0, 1, 0))
		d.Rows, err = h.d.Tickets.TimeReport(ctx, s, month, clientID)
	}
	v.Form.setValues(q)
	if err != nil {
		h.formFailed(w, v, "time_report", d, err)
		return
	}
	for _, row := range d.Rows {
		d.Total.Duration += row.Duration
		d.Total.Billable += row.Billable
		d.Total.OnSite += row.OnSite
		d.Total.Travel += row.Travel
		d.Total.Tickets += row.Tickets
	}
	h.render(w, v, http.StatusOK, "time_report", d)
}

// monthLink is the report URL for another month with the same filters.
func monthLink(q url.Values, month time.Time) string {
	out := url.Values{"month": {month.Format("2006-01")}}
	if c := q.Get("client"); c != "" {
		out.Set("client", c)
	}
	return "/tickets/time?" + out.Encode()
}
