package web_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// resolve marks a ticket resolved as the fixture's technician.
func resolve(t *testing.T, srv *apptest.Server, id int64) {
	t.Helper()
	st := ticket.StatusResolved
	if _, err := srv.App.Tickets.Update(srv.Ctx(), scopeOf(t, srv, "tech@example.com"), id, ticket.Change{Status: &st}); err != nil {
		t.Fatal(err)
	}
}

// storedRating returns the rating of a ticket, nil when there is none.
func storedRating(t *testing.T, srv *apptest.Server, id int64) *ticket.Rating {
	t.Helper()
	r, err := srv.App.Tickets.RatingOf(srv.Ctx(), scopeOf(t, srv, "tech@example.com"), id)
	if errors.Is(err, fault.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return &r
}

func TestPublicRatingPage(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		id := helpdeskFixture(t, srv, f)
		resolve(t, srv, id)
		token, err := srv.App.Tickets.RatingToken(srv.Ctx(), id)
		if err != nil {
			t.Fatal(err)
		}
		path := "/rate/" + itoa(id)
		anon := newBrowser(t, srv)
		anon.lang = "en"

		page := anon.get(path + "?" + url.Values{"token": {token}, "score": {"4"}}.Encode())
		wantStatus(t, "rating page", page, http.StatusOK)
		wantBody(t, "rating page", page, "VPN down", `value="4" checked`, msg("en", "rate.score.1"), msg("en", "rate.score.5"))
		// Nothing of the ticket but its title: not its description, timeline,
		// category, client, requester or staff.
		wantNotBody(t, "rating page", page, "this morning", "Looking into it", "Firewall", "Network", f.a.Name, f.contactA.LastName, "Tech", "tech@example.com", "Checked the box")

		for _, bad := range []string{"", "nope", strings.ToLower(token)} {
			if bad == token {
				continue
			}
			r := anon.get(path + "?" + url.Values{"token": {bad}, "score": {"4"}}.Encode())
			wantStatus(t, "page with token "+bad, r, http.StatusNotFound)
			wantNotBody(t, "page with token "+bad, r, "VPN down")
			wantStatus(t, "rating with token "+bad, anon.post(path, url.Values{"token": {bad}, "score": {"4"}}), http.StatusNotFound)
		}
		otherToken, _ := srv.App.Tickets.RatingToken(srv.Ctx(), id+1000)
		wantStatus(t, "another ticket's token", anon.post(path, url.Values{"token": {otherToken}, "score": {"4"}}), http.StatusNotFound)
		if r := storedRating(t, srv, id); r != nil {
			t.Fatalf("a wrong token stored %+v", r)
		}

		r := anon.post(path, url.Values{"token": {token}, "score": {"9"}})
		wantStatus(t, "score out of range", r, http.StatusUnprocessableEntity)
		wantBody(t, "score out of range", r, "VPN down")

		r = anon.post(path, url.Values{"token": {token}, "score": {"4"}, "comment": {"Quick fix, thanks"}})
		wantStatus(t, "rating", r, http.StatusOK)
		wantBody(t, "rating", r, msg("en", "rate.thanks"))
		if got := storedRating(t, srv, id); got == nil || got.Score != 4 || got.Comment != "Quick fix, thanks" {
			t.Errorf("stored rating %+v", got)
		}
		// Rating again replaces it.
		wantStatus(t, "second rating", anon.post(path, url.Values{"token": {token}, "score": {"2"}}), http.StatusOK)
		if got := storedRating(t, srv, id); got == nil || got.Score != 2 || got.Comment != "" {
			t.Errorf("after re-rating: %+v", got)
		}

		// Staff and the client see it on the ticket page.
		for _, email := range []string{"tech@example.com", "cuser@alpha.example"} {
			b := signedIn(t, srv, email)
			b.lang = "en"
			wantBody(t, email, b.get("/tickets/"+itoa(id)), msg("en", "ticket.rating_title"), msg("en", "ticket.rating_score", "2"), msg("en", "event.rating", "2"))
		}
	})
}

func TestClientRatesOnTicketPage(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		newFixture(t, srv)
		tk := openTicket(t, srv, "cuser@alpha.example", ticket.Ticket{Title: "Printer jam"})
		path := "/tickets/" + itoa(tk.ID)
		cu := signedIn(t, srv, "cuser@alpha.example")
		cu.lang = "en"
		wantNotBody(t, "open ticket", cu.get(path), `action="`+path+`/rate"`)
		wantStatus(t, "rating an open ticket", cu.post(path+"/rate", url.Values{"score": {"5"}}), http.StatusUnprocessableEntity)
		if r := storedRating(t, srv, tk.ID); r != nil {
			t.Fatalf("an open ticket was rated: %+v", r)
		}

		resolve(t, srv, tk.ID)
		wantBody(t, "resolved ticket", cu.get(path), `action="`+path+`/rate"`)
		tech := signedIn(t, srv, "tech@example.com")
		wantNotBody(t, "staff page", tech.get(path), `action="`+path+`/rate"`)
		wantStatus(t, "staff rating", tech.post(path+"/rate", url.Values{"score": {"5"}}), http.StatusForbidden)

		r := cu.post(path+"/rate", url.Values{"score": {"5"}, "comment": {"Great"}})
		wantStatus(t, "client rating", r, http.StatusSeeOther)
		if got := storedRating(t, srv, tk.ID); got == nil || got.Score != 5 || got.Comment != "Great" {
			t.Errorf("stored rating %+v", got)
		}
		other := signedIn(t, srv, "cuser@bravo.example")
		wantStatus(t, "another client's rating", other.post(path+"/rate", url.Values{"score": {"1"}}), http.StatusNotFound)
		if got := storedRating(t, srv, tk.ID); got == nil || got.Score != 5 {
			t.Errorf("another client changed the rating: %+v", got)
		}
	})
}
