package ticket

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Rating is the requester's satisfaction with a resolved ticket, kept for
// reports; a later rating replaces the earlier one.
type Rating struct {
	TicketID    int64     `json:"ticket_id"`
	Score       int       `json:"score"` // 1 (unhappy) … 5 (delighted)
	Comment     string    `json:"comment"`
	RatedAt     time.Time `json:"rated_at"`
	ByContactID *int64    `json:"by_contact_id"`
}

// Scores lists the choices of a rating, worst first.
var Scores = []int{1, 2, 3, 4, 5}

// RatingToken returns the token of the one-click rating links of a ticket:
// an HMAC-SHA256 of its id under the installation's secret, so that the
// links need no login and cannot be guessed for another ticket.
func (svc *Service) RatingToken(ctx context.Context, ticketID int64) (string, error) {
	key, err := svc.ratingSecret(ctx)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(ratingMAC(key, ticketID)), nil
}

func ratingMAC(key []byte, ticketID int64) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("rating:" + strconv.FormatInt(ticketID, 10)))
	return m.Sum(nil)
}

// ratingSecret loads the signing key once; it never changes after the migration.
func (svc *Service) ratingSecret(ctx context.Context) ([]byte, error) {
	svc.ratingMu.Lock()
	defer svc.ratingMu.Unlock()
	if svc.ratingKey == nil {
		key, err := svc.store.RatingSecret(ctx)
		if err != nil {
			return nil, fmt.Errorf("load rating secret: %w", err)
		}
		svc.ratingKey = key
	}
	return svc.ratingKey, nil
}

// checkRatingToken returns ErrNotFound unless token signs ticketID, so that a
// wrong link says nothing of whether the ticket exists.
func (svc *Service) checkRatingToken(ctx context.Context, ticketID int64, token string) error {
	key, err := svc.ratingSecret(ctx)
	if err != nil {
		return err
	}
	got, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || !hmac.Equal(got, ratingMAC(key, ticketID)) {
		return fault.ErrNotFound
	}
	return nil
}

// RatingSubject returns the title of the ticket a rating link is for (all
// the public rating page shows of it), and its current rating if any;
// ErrNotFound when the token is wrong.
func (svc *Service) RatingSubject(ctx context.Context, ticketID int64, token string) (string, *Rating, error) {
	if err := svc.checkRatingToken(ctx, ticketID, token); err != nil {
		return "", nil, err
	}
	t, err := svc.store.Ticket(ctx, tenant.System(), ticketID)
	if err != nil {
		return "", nil, err
	}
	r, err := svc.store.Rating(ctx, ticketID)
	if errors.Is(err, fault.ErrNotFound) {
		return t.Title, nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	return t.Title, &r, nil
}

// Rate records the rating of a rating link (no login): ErrNotFound when the
// token is wrong, invalid when the ticket is not resolved or closed.
func (svc *Service) Rate(ctx context.Context, ticketID int64, token string, score int, comment string) (Rating, error) {
	if err := svc.checkRatingToken(ctx, ticketID, token); err != nil {
		return Rating{}, err
	}
	t, err := svc.store.Ticket(ctx, tenant.System(), ticketID)
	if err != nil {
		return Rating{}, err
	}
	return svc.rate(ctx, t, t.RequesterID, score, comment)
}

// RateAs records the rating of a signed-in client user on a resolved ticket
// it may see; staff do not rate their own work.
func (svc *Service) RateAs(ctx context.Context, s tenant.Scope, ticketID int64, score int, comment string) (Rating, error) {
	if s.Staff() || !s.Can(tenant.TicketRead) {
		return Rating{}, fault.ErrForbidden
	}
	t, err := svc.store.Ticket(ctx, s, ticketID)
	if err != nil {
		return Rating{}, err
	}
	var by *int64
	if s.ContactID != 0 {
		id := s.ContactID
		by = &id
	}
	return svc.rate(ctx, t, by, score, comment)
}

// RatingOf returns the rating of a ticket the scope may see; ErrNotFound
// when it has none.
func (svc *Service) RatingOf(ctx context.Context, s tenant.Scope, ticketID int64) (Rating, error) {
	if _, err := svc.Get(ctx, s, ticketID); err != nil {
		return Rating{}, err
	}
	return svc.store.Rating(ctx, ticketID)
}

func (svc *Service) rate(ctx context.Context, t Ticket, by *int64, score int, comment string) (Rating, error) {
	var v fault.Invalid
	if t.Status.Open() {
		v.Add("status", "not_resolved")
	}
	if score < 1 || score > 5 {
		v.Add("score", "invalid_choice")
	}
	comment = v.Text("comment", comment, 2000, false, true)
	if err := v.Err(); err != nil {
		return Rating{}, err
	}
	r := Rating{TicketID: t.ID, Score: score, Comment: comment, RatedAt: svc.clock(), ByContactID: by}
	err := svc.store.InTx(ctx, func(ctx context.Context) error {
		from := ""
		if old, err := svc.store.Rating(ctx, t.ID); err == nil {
			from = strconv.Itoa(old.Score)
		} else if !errors.Is(err, fault.ErrNotFound) {
			return err
		}
		if err := svc.store.SaveRating(ctx, &r); err != nil {
			return fmt.Errorf("save rating of ticket %d: %w", t.ID, err)
		}
		if err := svc.event(ctx, &t, "rating", from, strconv.Itoa(score), true); err != nil {
			return err
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: &t.ClientID, Action: "ticket.rate", Object: audit.Object("ticket", t.ID), Summary: strconv.Itoa(score) + "/5"})
	})
	return r, err
}
