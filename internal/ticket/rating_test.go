package ticket_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/ticket"
)

func TestRatingToken(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		tk := e.create(t, e.carlU, ticket.Ticket{Title: "Imprimante"})
		other := e.create(t, e.carlU, ticket.Ticket{Title: "Écran"})
		e.update(t, e.techA, tk.ID, ticket.Change{Status: ptr(ticket.StatusResolved)})
		token, err := e.svc.RatingToken(ctx, tk.ID)
		if err != nil || len(token) < 40 {
			t.Fatalf("RatingToken = %q, %v", token, err)
		}
		if again, _ := e.svc.RatingToken(ctx, tk.ID); again != token {
			t.Errorf("token changes: %q then %q", token, again)
		}
		otherToken, _ := e.svc.RatingToken(ctx, other.ID)
		if otherToken == token {
			t.Error("two tickets share a token")
		}

		// A fresh service on the same database signs alike: the secret is stored.
		if fresh, _ := ticket.NewService(e.db, e.db, e.db, nil, nil, nil).RatingToken(ctx, tk.ID); fresh != token {
			t.Errorf("a restarted service signs %q, not %q", fresh, token)
		}
		title, r, err := e.svc.RatingSubject(ctx, tk.ID, token)
		if err != nil || title != "Imprimante" || r != nil {
			t.Errorf("RatingSubject = %q, %+v, %v", title, r, err)
		}
		for _, bad := range []string{"", "x", otherToken, token[:len(token)-1], strings.ToUpper(token)} {
			if bad == token {
				continue
			}
			_, _, err := e.svc.RatingSubject(ctx, tk.ID, bad)
			wantNotFound(t, "subject with token "+bad, err)
			_, err = e.svc.Rate(ctx, tk.ID, bad, 5, "")
			wantNotFound(t, "rate with token "+bad, err)
		}
		if n := e.count(t, "ticket_ratings"); n != 0 {
			t.Errorf("%d ratings stored with wrong tokens", n)
		}

		events := e.count(t, "ticket_events")
		got, err := e.svc.Rate(ctx, tk.ID, token, 4, "  Rapide  ")
		if err != nil {
			t.Fatal(err)
		}
		if got.Score != 4 || got.Comment != "Rapide" || got.ByContactID == nil || *got.ByContactID != e.carl.ID || !got.RatedAt.Equal(e.now) {
			t.Errorf("rating %+v", got)
		}
		if e.count(t, "ticket_events") != events+1 {
			t.Error("no timeline event for the rating")
		}
		mctx, ms := e.as(t, e.manager)
		_, evs, err := e.svc.Timeline(mctx, ms, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := evs[len(evs)-1]
		if last.Kind != "rating" || last.To != "4" || !last.Public {
			t.Errorf("last event %+v", last)
		}

		// A later rating replaces the earlier one.
		if _, err := e.svc.Rate(ctx, tk.ID, token, 2, ""); err != nil {
			t.Fatal(err)
		}
		stored, err := e.svc.RatingOf(mctx, ms, tk.ID)
		if err != nil || stored.Score != 2 || stored.Comment != "" {
			t.Errorf("after re-rating: %+v, %v", stored, err)
		}
		if n := e.count(t, "ticket_ratings"); n != 1 {
			t.Errorf("%d ratings for one ticket", n)
		}
	})
}

func TestRatingRefused(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		open := e.create(t, e.carlU, ticket.Ticket{Title: "Ouvert"})
		done := e.create(t, e.carlU, ticket.Ticket{Title: "Fait"})
		e.update(t, e.techA, done.ID, ticket.Change{Status: ptr(ticket.StatusResolved)})
		openToken, _ := e.svc.RatingToken(ctx, open.ID)
		doneToken, _ := e.svc.RatingToken(ctx, done.ID)

		tests := []struct {
			name    string
			id      int64
			token   string
			score   int
			comment string
			field   string
		}{
			{"unresolved", open.ID, openToken, 5, "", "status"},
			{"score 0", done.ID, doneToken, 0, "", "score"},
			{"score 6", done.ID, doneToken, 6, "", "score"},
			{"score -1", done.ID, doneToken, -1, "", "score"},
			{"comment too long", done.ID, doneToken, 3, strings.Repeat("é", 2001), "comment"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.Rate(ctx, tt.id, tt.token, tt.score, tt.comment)
				wantInvalid(t, tt.name, err, tt.field)
			})
		}
		if _, err := e.svc.Rate(ctx, done.ID, doneToken, 3, strings.Repeat("é", 2000)); err != nil {
			t.Errorf("a 2000-rune comment is refused: %v", err)
		}
		if n := e.count(t, "ticket_ratings"); n != 1 {
			t.Errorf("%d ratings stored, want the valid one only", n)
		}
	})
}

func TestRateAs(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		mine := e.create(t, e.carlU, ticket.Ticket{Title: "Carl's"})
		dora := e.create(t, e.doraU, ticket.Ticket{Title: "Dora's"})
		for _, id := range []int64{mine.ID, dora.ID} {
			e.update(t, e.techA, id, ticket.Change{Status: ptr(ticket.StatusResolved)})
		}
		cctx, cs := e.as(t, e.carlU)
		r, err := e.svc.RateAs(cctx, cs, mine.ID, 5, "Merci")
		if err != nil || r.Score != 5 || r.ByContactID == nil || *r.ByContactID != e.carl.ID {
			t.Errorf("RateAs own ticket = %+v, %v", r, err)
		}
		_, err = e.svc.RateAs(cctx, cs, dora.ID, 5, "")
		wantNotFound(t, "client user rates another's ticket", err)
		bctx, bs := e.as(t, e.adminB)
		_, err = e.svc.RateAs(bctx, bs, mine.ID, 1, "")
		wantNotFound(t, "other client rates", err)
		_, err = e.svc.RatingOf(bctx, bs, mine.ID)
		wantNotFound(t, "other client reads the rating", err)
		tctx, ts := e.as(t, e.techA)
		if _, err := e.svc.RateAs(tctx, ts, mine.ID, 1, ""); !errors.Is(err, fault.ErrForbidden) {
			t.Errorf("staff rates: %v", err)
		}
		if got, err := e.svc.RatingOf(tctx, ts, mine.ID); err != nil || got.Score != 5 {
			t.Errorf("staff reads %+v, %v", got, err)
		}
	})
}
