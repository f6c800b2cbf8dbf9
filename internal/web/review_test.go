package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/review"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// TestReviewPage: staff with client.write hold the review (meeting,
// actions, causes); the client's users read it; bad input is shown on the
// page and changes nothing; the PDF and CSV download.
func TestReviewPage(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		ctx, sys := srv.Ctx(), tenant.System()
		paris, err := time.LoadLocation("Europe/Paris")
		if err != nil {
			t.Fatal(err)
		}
		period := review.DefaultPeriod(time.Now(), paris)
		label := period.Label()
		base := fmt.Sprintf("/clients/%d/reviews", f.a.ID)
		q := "?period=" + label

		t.Run("no contract", func(t *testing.T) {
			b := signedIn(t, srv, "cuser@alpha.example")
			wantBody(t, "client page", b.get(fmt.Sprintf("/clients/%d", f.a.ID)), `href="`+base+`"`)
			for _, lang := range []string{"fr", "en"} {
				b.lang = lang
				r := b.get(base)
				wantStatus(t, lang+" review", r, http.StatusOK)
				checkPage(t, lang+" review", lang, r)
				wantBody(t, lang+" review", r, `value="`+label+`"`, msg(lang, "review.no_contract"), msg(lang, "review.read_only"))
				wantNotBody(t, lang+" review", r, `id="review-new-action"`)
			}
		})

		start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		c := contract.Contract{ClientID: f.a.ID, Reference: "INF-REVIEW", Title: "Infogérance", Start: start, State: contract.StateActive,
			Renewal: contract.Renewal{Kind: contract.RenewalNone}, Calendar: ticket.DefaultCalendar, Availability: 99.5,
			Support: contract.Support{Mode: contract.SupportNone},
			Targets: map[sla.Priority]sla.Target{"P1": {TTO: 30 * time.Minute, TTR: 4 * time.Hour}}}
		if err := srv.App.Contracts.Create(ctx, sys, &c); err != nil {
			t.Fatal(err)
		}
		// A P1 of ALPHA owned late in the period, and one of BRAVO.
		created := period.From.Add(24 * time.Hour)
		breach, owned := created.Add(30*time.Minute), created.Add(2*time.Hour)
		late := ticket.Ticket{ClientID: f.a.ID, Title: "Alpha server down", Type: ticket.TypeIncident, Priority: 1, Impact: 1, Urgency: 1, Level: "N1",
			Status: ticket.StatusInProgress, Created: created, Updated: created, OwnedAt: &owned, SLA: ticket.SLA{Covered: true, TTOBreachAt: &breach}}
		other := late
		other.ClientID, other.Title = f.b.ID, "Bravo secret outage"
		for _, tk := range []*ticket.Ticket{&late, &other} {
			if err := srv.App.DB.CreateTicket(ctx, sys, tk); err != nil {
				t.Fatal(err)
			}
		}

		t.Run("manager holds the review", func(t *testing.T) {
			b := signedIn(t, srv, "manager@example.com")
			b.lang = "fr"
			r := b.get(base + q)
			wantStatus(t, "review", r, http.StatusOK)
			checkPage(t, "review", "fr", r)
			wantBody(t, "review", r, "INF-REVIEW", msg("fr", "review.commitment.tto", "P1"), msg("fr", "review.outcome.missed"),
				"Alpha server down", "1 h 30 min", `id="review-new-action"`)
			wantNotBody(t, "review", r, "Bravo secret outage")

			// Bad input: every field named, nothing added.
			bad := b.post(base+"/actions"+q, url.Values{"title": {" "}, "due": {"2000-01-01"}, "owner_contact_id": {fmt.Sprint(f.contB.ID)}})
			wantStatus(t, "bad action", bad, http.StatusUnprocessableEntity)
			for _, field := range []string{"title", "due", "owner_contact_id"} {
				if fieldErrorBlock(bad.body, field) == "" {
					t.Errorf("no error under %s:\n%s", field, excerpt(bad.body))
				}
			}
			rv, err := srv.App.Reviews.Get(ctx, sys, f.a.ID, period)
			if err != nil {
				t.Fatal(err)
			}
			if len(rv.Actions) != 0 {
				t.Fatalf("a refused action was stored: %+v", rv.Actions)
			}

			due := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
			ok := b.post(base+"/actions"+q, url.Values{"title": {"Remplacer l’onduleur"}, "owner_contact_id": {fmt.Sprint(f.contactA.ID)}, "due": {due}, "status": {"open"}})
			wantStatus(t, "action", ok, http.StatusSeeOther)
			rv, _ = srv.App.Reviews.Get(ctx, sys, f.a.ID, period)
			if len(rv.Actions) != 1 {
				t.Fatalf("actions = %+v", rv.Actions)
			}
			id := fmt.Sprint(rv.Actions[0].ID)
			wantStatus(t, "status", b.post(base+"/actions/status"+q, url.Values{"action_id": {id}, "status": {"done"}}), http.StatusSeeOther)
			wantStatus(t, "edit", b.post(base+"/actions/edit"+q, url.Values{"action_id": {id}, "title": {"Remplacer l’onduleur B"}, "owner": {"Équipe"}, "due": {due}, "status": {"in_progress"}}), http.StatusSeeOther)
			wantStatus(t, "cause", b.post(base+"/causes"+q, url.Values{"ticket_id": {fmt.Sprint(late.ID)}, "clock": {"tto"}, "cause": {"Astreinte injoignable"}}), http.StatusSeeOther)
			wantStatus(t, "other client's ticket", b.post(base+"/causes"+q, url.Values{"ticket_id": {fmt.Sprint(other.ID)}, "clock": {"tto"}, "cause": {"x"}}), http.StatusUnprocessableEntity)
			wantStatus(t, "meeting", b.post(base+"/meeting"+q, url.Values{"held_on": {time.Now().Format(time.DateOnly)}, "attendees": {"Jo Contact"}, "notes": {"RAS"}}), http.StatusSeeOther)
			r = b.get(base + q)
			wantBody(t, "after", r, "Remplacer l’onduleur B", msg("fr", "review.status.in_progress"), "Astreinte injoignable", "Jo Contact")

			pdf := b.get(base + "/pdf" + q)
			wantStatus(t, "pdf", pdf, http.StatusOK)
			if !strings.HasPrefix(pdf.body, "%PDF-") || pdf.header.Get("Content-Disposition") != `attachment; filename="revue-ALPHA-`+label+`.pdf"` {
				t.Errorf("pdf: %q, %.20q", pdf.header.Get("Content-Disposition"), pdf.body)
			}
			csv := b.get(base + "/csv" + q)
			wantStatus(t, "csv", csv, http.StatusOK)
			wantBody(t, "csv", csv, "breach,ticket:"+fmt.Sprint(late.ID)+":tto,cause,Astreinte injoignable", "action,action:"+id+",status,in_progress")
			wantStatus(t, "bad period", b.get(base+"?period=2999-Q1"), http.StatusBadRequest)
		})

		t.Run("client users read only", func(t *testing.T) {
			for _, email := range []string{"cuser@alpha.example", "cadmin@alpha.example", "tech@example.com"} {
				b := signedIn(t, srv, email)
				r := b.get(base + q)
				wantStatus(t, email, r, http.StatusOK)
				wantBody(t, email, r, "Remplacer l’onduleur B", "Astreinte injoignable")
				wantNotBody(t, email, r, `id="review-new-action"`, "Bravo secret outage")
				wantStatus(t, email+" add", b.post(base+"/actions"+q, url.Values{"title": {"x"}, "owner": {"x"}, "due": {"2099-01-01"}}), http.StatusForbidden)
			}
			wantStatus(t, "other client", signedIn(t, srv, "cuser@bravo.example").get(base+q), http.StatusNotFound)
		})
	})
}
