package store

import (
	"context"
	"database/sql"

	"github.com/vigie-hq/vigie/internal/ticket"
)

// SaveRating records a ticket's rating, replacing any earlier one.
func (db *DB) SaveRating(ctx context.Context, r *ticket.Rating) error {
	if r.RatedAt.IsZero() {
		r.RatedAt = now()
	}
	r.RatedAt = utc(r.RatedAt)
	_, err := db.exec(ctx, `INSERT INTO ticket_ratings (ticket_id, score, comment, rated_at, by_contact_id) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (ticket_id) DO UPDATE SET score = excluded.score, comment = excluded.comment, rated_at = excluded.rated_at, by_contact_id = excluded.by_contact_id`,
		r.TicketID, r.Score, r.Comment, r.RatedAt, r.ByContactID)
	return translate(err)
}

// Rating returns a ticket's rating; ErrNotFound when it has none.
func (db *DB) Rating(ctx context.Context, ticketID int64) (ticket.Rating, error) {
	var (
		r  ticket.Rating
		by sql.NullInt64
	)
	err := db.queryRow(ctx, `SELECT ticket_id, score, comment, rated_at, by_contact_id FROM ticket_ratings WHERE ticket_id = ?`, ticketID).
		Scan(&r.TicketID, &r.Score, &r.Comment, &r.RatedAt, &by)
	if err != nil {
		return ticket.Rating{}, translate(err)
	}
	r.ByContactID, r.RatedAt = nullInt(by), r.RatedAt.UTC()
	return r, nil
}

// RatingSecret returns the key, random per installation, that signs the
// one-click rating links.
func (db *DB) RatingSecret(ctx context.Context) ([]byte, error) {
	var key []byte
	if err := db.queryRow(ctx, `SELECT value FROM helpdesk_secrets WHERE name = 'rating'`).Scan(&key); err != nil {
		return nil, translate(err)
	}
	return key, nil
}
