package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/review"
	"github.com/vigie-hq/vigie/internal/router"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

// reviewQuarters is how many quarters the review page offers.
const reviewQuarters = 8

// registerReviews adds a client's service review page, its downloads and
// the forms staff fill in during the review (docs/service-review.md).
// Whoever may read the client reads its reviews; client.write changes them.
func (h *Handler) registerReviews(rt *router.Router) {
	if h.d.Reviews == nil {
		return
	}
	rt.HandleFunc("GET /clients/{id}/reviews", h.reviewShow)
	rt.HandleFunc("GET /clients/{id}/reviews/pdf", h.reviewPDF)
	rt.HandleFunc("GET /clients/{id}/reviews/csv", h.reviewCSV)
	rt.HandleFunc("POST /clients/{id}/reviews/meeting", h.reviewMeeting)
	rt.HandleFunc("POST /clients/{id}/reviews/causes", h.reviewCause)
	rt.HandleFunc("POST /clients/{id}/reviews/actions", h.reviewActionAdd)
	// The action's id is in the form (action_id), as on the client's page
	// every form names the client in its path.
	rt.HandleFunc("POST /clients/{id}/reviews/actions/edit", h.reviewActionEdit)
	rt.HandleFunc("POST /clients/{id}/reviews/actions/status", h.reviewActionStatus)
}

// ReviewsOn reports whether the service review pages are served.
func (v *view) ReviewsOn() bool { return v.h.d.Reviews != nil }

// reviewPage is the data of GET /clients/{id}/reviews.
type reviewPage struct {
	Client   client.Client
	Period   string
	Quarters []option
	Error    string
	Shown    bool
	R        review.Review
	L        review.Lines
	Span     string
	SoFar    string
	CanWrite bool
	// Query is "period=…", for the forms' and downloads' links.
	Query    string
	PDF, CSV string
	Users    []option
	Contacts []option
	Statuses []option
	// Actions pairs each action's line with its stored values for its form.
	Actions []reviewActionRow
	// HeldOn is the meeting's date as shown, "" when not held yet.
	HeldOn string
}

// reviewActionRow is an action as its row and edit form show it.
type reviewActionRow struct {
	review.ActionLine
	A   review.Action
	Due string // YYYY-MM-DD for the date input
	// UserID and ContactID are the owner's ids as the selects' values ("" for none).
	UserID, ContactID string
}

// reviewRequest is what the review routes share.
type reviewRequest struct {
	c      client.Client
	s      tenant.Scope
	v      *view
	loc    *time.Location
	period string
}

// reviewClient loads the client (one the caller may not read is not found)
// and the period asked, the last complete quarter by default.
func (h *Handler) reviewClient(w http.ResponseWriter, r *http.Request) (reviewRequest, bool) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return reviewRequest{}, false
	}
	if !s.CanOn(tenant.ClientRead, c.ID) {
		h.notFound(w, r)
		return reviewRequest{}, false
	}
	loc, err := h.d.Reviews.Location(r.Context(), s, c.ID)
	if err != nil {
		h.fail(w, r, err)
		return reviewRequest{}, false
	}
	period := strings.TrimSpace(r.URL.Query().Get("period"))
	if period == "" {
		period = review.DefaultPeriod(h.now(), loc).Label()
	}
	return reviewRequest{c: c, s: s, v: h.view(w, r, "clients"), loc: loc, period: period}, true
}

// parseReviewPeriod reads a quarter (2026-Q3), a month (2026-09), a year
// (2026) or a range of days (2026-07-01..2026-09-30).
func parseReviewPeriod(value string, loc *time.Location) (report.Period, error) {
	kind := report.KindQuarter
	switch {
	case strings.Contains(value, ".."):
		kind = report.KindRange
	case strings.Contains(value, "-Q"):
		kind = report.KindQuarter
	case len(value) == 7:
		kind = report.KindMonth
	case len(value) == 4:
		kind = report.KindYear
	}
	return report.ParsePeriod(kind, value, loc)
}

// reviewOf builds the review of the request's period.
func (h *Handler) reviewOf(rq reviewRequest, r *http.Request) (review.Review, report.Period, error) {
	p, err := parseReviewPeriod(rq.period, rq.loc)
	if err != nil {
		return review.Review{}, report.Period{}, err
	}
	rv, err := h.d.Reviews.Get(r.Context(), rq.s, rq.c.ID, p)
	return rv, p, err
}

func (h *Handler) reviewShow(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.reviewClient(w, r)
	if !ok {
		return
	}
	h.reviewRender(w, r, rq, http.StatusOK, nil)
}

// reviewRender draws the page; failed is the error of a form just
// submitted (its fields marked), nil otherwise.
func (h *Handler) reviewRender(w http.ResponseWriter, r *http.Request, rq reviewRequest, status int, failed error) {
	v := rq.v
	d := reviewPage{Client: rq.c, Period: rq.period, Quarters: h.reviewQuarterOptions(rq.loc)}
	rv, _, err := h.reviewOf(rq, r)
	if err != nil {
		if _, bad := fault.AsInvalid(err); !bad {
			h.fail(w, r, err)
			return
		}
		d.Error = v.T("review.bad_period")
		h.render(w, v, http.StatusBadRequest, "review", d)
		return
	}
	if err := h.reviewFill(r, rq, &d, rv); err != nil {
		h.fail(w, r, err)
		return
	}
	// The meeting form shows what is stored, under what was just typed.
	values := url.Values{"attendees": {rv.Meeting.Attendees}, "notes": {rv.Meeting.Notes}}
	if rv.Meeting.HeldOn != nil {
		values.Set("held_on", rv.Meeting.HeldOn.Format(time.DateOnly))
	}
	values.Set("status", string(review.StatusOpen))
	if failed != nil {
		for k, vs := range r.PostForm {
			values[k] = vs
		}
		if inv, ok := fault.AsInvalid(failed); ok {
			for _, f := range inv.Fields {
				v.Form.add(f.Field, f.Code, f.Param)
			}
		}
	}
	v.Form.setValues(values)
	h.render(w, v, status, "review", d)
}

// reviewFill lays the review out for the page.
func (h *Handler) reviewFill(r *http.Request, rq reviewRequest, d *reviewPage, rv review.Review) error {
	v := rq.v
	x := review.Text{Texts: h.msg, Lang: v.Lang, Loc: rq.loc}
	d.Shown, d.R, d.L = true, rv, x.Lines(rv)
	d.Span = v.T("reportpdf.period_range", x.Date(rv.Period.From, rq.loc), x.Date(rv.Period.To.Add(-time.Nanosecond), rq.loc))
	if rv.Period.SoFar {
		d.SoFar = v.T("reportpdf.so_far", x.DateTime(rv.Period.Until))
	}
	d.Query = url.Values{"period": {rq.period}}.Encode()
	d.PDF = fmt.Sprintf("/clients/%d/reviews/pdf?%s", rq.c.ID, d.Query)
	d.CSV = fmt.Sprintf("/clients/%d/reviews/csv?%s", rq.c.ID, d.Query)
	for i, a := range rv.Actions {
		row := reviewActionRow{ActionLine: d.L.Actions[i], A: a, Due: a.Due.Format(time.DateOnly)}
		if a.OwnerUserID != nil {
			row.UserID = itoa(*a.OwnerUserID)
		}
		if a.OwnerContactID != nil {
			row.ContactID = itoa(*a.OwnerContactID)
		}
		d.Actions = append(d.Actions, row)
	}
	if rv.Meeting.HeldOn != nil {
		d.HeldOn = x.Date(*rv.Meeting.HeldOn, time.UTC)
	}
	for _, st := range review.Statuses {
		d.Statuses = append(d.Statuses, option{Value: string(st), Label: v.T("review.status." + string(st))})
	}
	d.CanWrite = rq.s.CanOn(tenant.ClientWrite, rq.c.ID)
	if !d.CanWrite {
		return nil
	}
	ctx := r.Context()
	d.Users = []option{{Value: "", Label: v.T("review.nobody")}}
	staff, err := h.d.Users.List(ctx, rq.s, user.Filter{Staff: true, Limit: 500})
	if err != nil {
		return fmt.Errorf("list staff for review owners: %w", err)
	}
	for _, u := range staff {
		if !u.Disabled {
			d.Users = append(d.Users, option{Value: itoa(u.ID), Label: u.Name})
		}
	}
	d.Contacts = []option{{Value: "", Label: v.T("review.nobody")}}
	contacts, err := h.d.Clients.Contacts(ctx, rq.s, client.ContactFilter{ClientID: rq.c.ID, Limit: 500})
	if err != nil {
		return fmt.Errorf("list contacts for review owners: %w", err)
	}
	for _, c := range contacts {
		d.Contacts = append(d.Contacts, option{Value: itoa(c.ID), Label: strings.TrimSpace(c.FirstName + " " + c.LastName)})
	}
	return nil
}

// reviewQuarterOptions lists the quarters offered, the running one first.
func (h *Handler) reviewQuarterOptions(loc *time.Location) []option {
	p := review.DefaultPeriod(h.now(), loc)
	p = report.Quarter(p.To.Year(), (int(p.To.Month())-1)/3+1, loc) // the running quarter
	out := make([]option, 0, reviewQuarters)
	for range reviewQuarters {
		out = append(out, option{Value: p.Label(), Label: p.Label()})
		prev := p.From.AddDate(0, -3, 0)
		p = report.Quarter(prev.Year(), (int(prev.Month())-1)/3+1, loc)
	}
	return out
}

func (h *Handler) reviewPDF(w http.ResponseWriter, r *http.Request) { h.reviewFile(w, r, false) }

func (h *Handler) reviewCSV(w http.ResponseWriter, r *http.Request) { h.reviewFile(w, r, true) }

// reviewFile sends the review's PDF or CSV, made by the generator the
// scheduler uses for the quarterly review.
func (h *Handler) reviewFile(w http.ResponseWriter, r *http.Request, csv bool) {
	rq, ok := h.reviewClient(w, r)
	if !ok {
		return
	}
	rr := reportRequest{c: rq.c, s: rq.s, v: rq.v, loc: rq.loc, period: rq.period, bad: "review.bad_period"}
	p, err := parseReviewPeriod(rq.period, rq.loc)
	if err != nil {
		h.reportDownloadFailed(w, r, rr, err)
		return
	}
	h.reportDocument(w, r, rr, h.reportBuilder().Review(h.d.Reviews), p, csv)
}

// reviewPost starts a form of the review page: the form parsed, the
// client and period loaded, the period parsed.
func (h *Handler) reviewPost(w http.ResponseWriter, r *http.Request) (reviewRequest, report.Period, bool) {
	if !parseForm(w, r) {
		return reviewRequest{}, report.Period{}, false
	}
	rq, ok := h.reviewClient(w, r)
	if !ok {
		return reviewRequest{}, report.Period{}, false
	}
	p, err := parseReviewPeriod(rq.period, rq.loc)
	if err != nil {
		h.reviewRender(w, r, rq, http.StatusBadRequest, nil)
		return reviewRequest{}, report.Period{}, false
	}
	return rq, p, true
}

// reviewDone answers a form: back to the page, or the page again with the
// fields in error.
func (h *Handler) reviewDone(w http.ResponseWriter, r *http.Request, rq reviewRequest, err error, anchor, flashKey string, args ...string) {
	if err != nil {
		if _, bad := fault.AsInvalid(err); bad {
			h.reviewRender(w, r, rq, http.StatusUnprocessableEntity, err)
			return
		}
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, fmt.Sprintf("/clients/%d/reviews?%s#%s", rq.c.ID, url.Values{"period": {rq.period}}.Encode(), anchor), flashKey, args...)
}

func (h *Handler) reviewMeeting(w http.ResponseWriter, r *http.Request) {
	rq, p, ok := h.reviewPost(w, r)
	if !ok {
		return
	}
	m := review.Meeting{Attendees: r.PostForm.Get("attendees"), Notes: r.PostForm.Get("notes")}
	var v fault.Invalid
	m.HeldOn = formDate(r.PostForm, "held_on", &v)
	err := v.Err()
	if err == nil {
		err = h.d.Reviews.SaveMeeting(r.Context(), rq.s, rq.c.ID, p, &m)
	}
	h.reviewDone(w, r, rq, err, "review-meeting", "flash.review.saved")
}

func (h *Handler) reviewCause(w http.ResponseWriter, r *http.Request) {
	rq, p, ok := h.reviewPost(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PostForm.Get("ticket_id"), 10, 64)
	if err != nil {
		var v fault.Invalid
		v.Add("ticket_id", "invalid_number")
		h.reviewDone(w, r, rq, v.Err(), "", "")
		return
	}
	err = h.d.Reviews.SetCause(r.Context(), rq.s, rq.c.ID, p, review.Cause{TicketID: id, Clock: r.PostForm.Get("clock"), Text: r.PostForm.Get("cause")})
	h.reviewDone(w, r, rq, err, "review-breaches", "flash.review.cause_saved")
}

// actionFromForm reads an action's fields.
func actionFromForm(values url.Values, a *review.Action) error {
	var v fault.Invalid
	a.Title, a.Owner, a.Status = values.Get("title"), values.Get("owner"), review.Status(values.Get("status"))
	a.OwnerUserID, a.OwnerContactID = formID(values, "owner_user_id"), formID(values, "owner_contact_id")
	if d := formDate(values, "due", &v); d != nil {
		a.Due = *d
	}
	return v.Err()
}

func (h *Handler) reviewActionAdd(w http.ResponseWriter, r *http.Request) {
	rq, p, ok := h.reviewPost(w, r)
	if !ok {
		return
	}
	var a review.Action
	err := actionFromForm(r.PostForm, &a)
	if err == nil {
		err = h.d.Reviews.AddAction(r.Context(), rq.s, rq.c.ID, p, &a)
	}
	h.reviewDone(w, r, rq, err, "review-actions", "flash.review.action_added", a.Title)
}

// reviewLoadAction reads the action of the form, which must be the client's.
func (h *Handler) reviewLoadAction(w http.ResponseWriter, r *http.Request, rq reviewRequest) (review.Action, bool) {
	id, err := strconv.ParseInt(r.PostForm.Get("action_id"), 10, 64)
	if err != nil {
		h.notFound(w, r)
		return review.Action{}, false
	}
	a, err := h.d.Reviews.Action(r.Context(), rq.s, id)
	if err == nil && a.ClientID != rq.c.ID {
		err = fault.ErrNotFound
	}
	if err != nil {
		h.fail(w, r, err)
		return review.Action{}, false
	}
	return a, true
}

func (h *Handler) reviewActionEdit(w http.ResponseWriter, r *http.Request) {
	rq, _, ok := h.reviewPost(w, r)
	if !ok {
		return
	}
	old, ok := h.reviewLoadAction(w, r, rq)
	if !ok {
		return
	}
	a := review.Action{ID: old.ID}
	err := actionFromForm(r.PostForm, &a)
	if err == nil {
		err = h.d.Reviews.UpdateAction(r.Context(), rq.s, &a)
	}
	if errors.Is(err, fault.ErrForbidden) {
		h.fail(w, r, err)
		return
	}
	h.reviewDone(w, r, rq, err, "review-actions", "flash.review.action_saved", a.Title)
}

func (h *Handler) reviewActionStatus(w http.ResponseWriter, r *http.Request) {
	rq, _, ok := h.reviewPost(w, r)
	if !ok {
		return
	}
	a, ok := h.reviewLoadAction(w, r, rq)
	if !ok {
		return
	}
	err := h.d.Reviews.SetStatus(r.Context(), rq.s, a.ID, review.Status(r.PostForm.Get("status")))
	h.reviewDone(w, r, rq, err, "review-actions", "flash.review.action_saved", a.Title)
}
