package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// ratePage is the public rating page of a resolution e-mail's links: it
// shows the ticket's title and nothing else of it, since whoever holds the
// link (a forwarded e-mail) is not signed in.
type ratePage struct {
	ID     int64
	Title  string
	Scores []option
}

// scoreOptions are the five choices of a rating, worst first.
func (v *view) scoreOptions() []option {
	opts := make([]option, 0, len(ticket.Scores))
	for _, s := range ticket.Scores {
		opts = append(opts, option{Value: strconv.Itoa(s), Label: v.T("rate.score." + strconv.Itoa(s))})
	}
	return opts
}

// rateForm shows the rating page with the score of the link clicked
// preselected; a wrong token is a 404, as if the ticket did not exist.
func (h *Handler) rateForm(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	q := r.URL.Query()
	token := q.Get("token")
	title, current, err := h.d.Tickets.RatingSubject(r.Context(), id, token)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := h.view(w, r, "")
	vals := url.Values{"token": {token}}
	if current != nil {
		vals.Set("score", strconv.Itoa(current.Score))
		vals.Set("comment", current.Comment)
	}
	if n, err := strconv.Atoi(q.Get("score")); err == nil && n >= 1 && n <= 5 {
		vals.Set("score", strconv.Itoa(n))
	}
	v.Form.setValues(vals)
	h.render(w, v, http.StatusOK, "rate", ratePage{ID: id, Title: title, Scores: v.scoreOptions()})
}

// rate records the rating of the public page and thanks the requester.
func (h *Handler) rate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok || !parseForm(w, r) {
		if !ok {
			h.notFound(w, r)
		}
		return
	}
	token := r.PostForm.Get("token")
	score, _ := strconv.Atoi(r.PostForm.Get("score"))
	_, err := h.d.Tickets.Rate(r.Context(), id, token, score, r.PostForm.Get("comment"))
	v := h.view(w, r, "")
	if err == nil {
		h.render(w, v, http.StatusOK, "rate_thanks", nil)
		return
	}
	if _, invalid := fault.AsInvalid(err); !invalid {
		h.fail(w, r, err)
		return
	}
	title, _, serr := h.d.Tickets.RatingSubject(r.Context(), id, token)
	if serr != nil {
		h.fail(w, r, serr)
		return
	}
	v.Form.setValues(url.Values{"token": {token}, "score": {r.PostForm.Get("score")}, "comment": {r.PostForm.Get("comment")}})
	h.formFailed(w, v, "rate", ratePage{ID: id, Title: title, Scores: v.scoreOptions()}, err)
}

// ticketRate records the rating a signed-in client gives on its ticket page.
func (h *Handler) ticketRate(w http.ResponseWriter, r *http.Request) {
	t, s, ok := h.loadTicket(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	score, _ := strconv.Atoi(r.PostForm.Get("score"))
	if _, err := h.d.Tickets.RateAs(r.Context(), s, t.ID, score, r.PostForm.Get("comment")); err != nil {
		if errors.Is(err, fault.ErrForbidden) || errors.Is(err, fault.ErrNotFound) {
			h.fail(w, r, err)
			return
		}
		h.ticketFailed(w, r, s, t, err)
		return
	}
	h.redirect(w, r, ticketPath(t.ID)+"#rating", "flash.rated")
}
