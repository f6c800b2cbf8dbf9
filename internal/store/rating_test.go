package store_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// testRatings checks that a ticket has at most one rating, a later one
// replacing it, and that the signing secret is random per database.
func testRatings(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	tk := mkTicket(t, db, w.A.ID, "Alpha printer", nil)
	_, err := db.Rating(ctx, tk.ID)
	wantNotFound(t, "rating of an unrated ticket", err)

	first := ticket.Rating{TicketID: tk.ID, Score: 4, Comment: "Rapide", RatedAt: m0, ByContactID: &w.contactA.ID}
	ok(t, db.SaveRating(ctx, &first))
	got, err := db.Rating(ctx, tk.ID)
	ok(t, err)
	if got.Score != 4 || got.Comment != "Rapide" || !got.RatedAt.Equal(m0) || got.ByContactID == nil || *got.ByContactID != w.contactA.ID {
		t.Errorf("read back %+v, want %+v", got, first)
	}
	second := ticket.Rating{TicketID: tk.ID, Score: 2, RatedAt: m0.Add(time.Hour)}
	ok(t, db.SaveRating(ctx, &second))
	got, err = db.Rating(ctx, tk.ID)
	ok(t, err)
	if got.Score != 2 || got.Comment != "" || got.ByContactID != nil || !got.RatedAt.Equal(second.RatedAt) {
		t.Errorf("after replacing: %+v", got)
	}
	if err := db.SaveRating(ctx, &ticket.Rating{TicketID: tk.ID, Score: 6, RatedAt: m0}); err == nil {
		t.Error("the database accepts a score of 6")
	}

	key, err := db.RatingSecret(ctx)
	ok(t, err)
	if len(key) != 32 || bytes.Equal(key, make([]byte, 32)) {
		t.Errorf("rating secret of %d bytes: %x", len(key), key)
	}
	again, err := db.RatingSecret(ctx)
	ok(t, err)
	if !bytes.Equal(key, again) {
		t.Error("the rating secret changes between reads")
	}
}
