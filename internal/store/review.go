package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/review"
)

var _ review.Store = (*DB)(nil)

// ReviewBreaches returns the client's SLA-covered tickets (merged
// duplicates left out) with a clock breached before to that had not
// stopped before from: the candidates review.Breaches sorts out.
func (db *DB) ReviewBreaches(ctx context.Context, clientID int64, from, to time.Time) ([]review.BreachRow, error) {
	from, to = utc(from), utc(to)
	rows, err := db.query(ctx, `SELECT t.id, t.title, t.priority, t.created_at, t.owned_at, t.resolved_at, t.sla_covered, t.tto_breached_at, t.ttr_breached_at
FROM tickets t
WHERE t.client_id = ? AND t.merged_into IS NULL
	AND ((t.tto_breached_at < ? AND (t.owned_at IS NULL OR t.owned_at >= ?))
	  OR (t.ttr_breached_at < ? AND (t.resolved_at IS NULL OR t.resolved_at >= ?)))
ORDER BY t.id`, clientID, to, from, to, from)
	if err != nil {
		return nil, fmt.Errorf("read breached tickets: %w", err)
	}
	return collect(rows, func(row scanner) (review.BreachRow, error) {
		var (
			r                             review.BreachRow
			owned, resolved, tto, ttrTime sql.NullTime
		)
		err := row.Scan(&r.TicketID, &r.Title, &r.Priority, &r.Created, &owned, &resolved, &r.Covered, &tto, &ttrTime)
		r.Created = r.Created.UTC()
		r.Owned, r.Resolved, r.TTOBreach, r.TTRBreach = nullTime(owned), nullTime(resolved), nullTime(tto), nullTime(ttrTime)
		return r, translate(err)
	})
}

// ReviewEvents returns the status, assignee, priority and escalation events
// of the tickets before before, oldest first.
func (db *DB) ReviewEvents(ctx context.Context, ticketIDs []int64, before time.Time) ([]review.Event, error) {
	if len(ticketIDs) == 0 {
		return []review.Event{}, nil
	}
	args := make([]any, 0, len(ticketIDs)+1)
	for _, id := range ticketIDs {
		args = append(args, id)
	}
	args = append(args, utc(before))
	rows, err := db.query(ctx, `SELECT ticket_id, at, kind, from_value, to_value FROM ticket_events
WHERE ticket_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(ticketIDs)), ",")+`)
	AND kind IN ('status', 'assignee', 'priority', 'escalated') AND at < ?
ORDER BY at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read ticket events: %w", err)
	}
	return collect(rows, func(row scanner) (review.Event, error) {
		var e review.Event
		err := row.Scan(&e.TicketID, &e.At, &e.Kind, &e.From, &e.To)
		e.At = e.At.UTC()
		return e, translate(err)
	})
}

const meetingCols = `id, client_id, period_label, period_from, period_to, held_on, attendees, notes, updated_at`

func scanMeeting(row scanner) (review.Meeting, error) {
	var (
		m    review.Meeting
		held sql.NullString
	)
	if err := row.Scan(&m.ID, &m.ClientID, &m.Period, &m.From, &m.To, &held, &m.Attendees, &m.Notes, &m.Updated); err != nil {
		return review.Meeting{}, translate(err)
	}
	m.From, m.To, m.Updated = m.From.UTC(), m.To.UTC(), m.Updated.UTC()
	if held.Valid {
		d, err := parseDateText(held.String)
		if err != nil {
			return review.Meeting{}, err
		}
		m.HeldOn = &d
	}
	return m, nil
}

// ReviewMeeting returns the client's review of [from, to).
func (db *DB) ReviewMeeting(ctx context.Context, clientID int64, from, to time.Time) (review.Meeting, error) {
	return scanMeeting(db.queryRow(ctx, `SELECT `+meetingCols+` FROM service_reviews WHERE client_id = ? AND period_from = ? AND period_to = ?`,
		clientID, utc(from), utc(to)))
}

// SaveReviewMeeting inserts or updates the review of (client, from, to).
func (db *DB) SaveReviewMeeting(ctx context.Context, m *review.Meeting) error {
	at := now()
	id, err := db.insert(ctx, `INSERT INTO service_reviews (client_id, period_label, period_from, period_to, held_on, attendees, notes, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (client_id, period_from, period_to) DO UPDATE SET period_label = excluded.period_label, held_on = excluded.held_on,
	attendees = excluded.attendees, notes = excluded.notes, updated_at = excluded.updated_at`,
		m.ClientID, m.Period, utc(m.From), utc(m.To), dateTextPtr(m.HeldOn), m.Attendees, m.Notes, at, at)
	if err != nil {
		return err
	}
	m.ID, m.Updated = id, at
	return nil
}

// ReviewCauses returns the causes entered on a review.
func (db *DB) ReviewCauses(ctx context.Context, reviewID int64) ([]review.Cause, error) {
	rows, err := db.query(ctx, `SELECT ticket_id, clock, cause FROM review_causes WHERE review_id = ? ORDER BY ticket_id, clock`, reviewID)
	if err != nil {
		return nil, fmt.Errorf("read review causes: %w", err)
	}
	return collect(rows, func(row scanner) (review.Cause, error) {
		var c review.Cause
		return c, translate(row.Scan(&c.TicketID, &c.Clock, &c.Text))
	})
}

// SaveReviewCause sets the cause of one clock; an empty text removes it.
func (db *DB) SaveReviewCause(ctx context.Context, reviewID int64, c review.Cause) error {
	if c.Text == "" {
		_, err := db.exec(ctx, `DELETE FROM review_causes WHERE review_id = ? AND ticket_id = ? AND clock = ?`, reviewID, c.TicketID, c.Clock)
		return err
	}
	_, err := db.exec(ctx, `INSERT INTO review_causes (review_id, ticket_id, clock, cause, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (review_id, ticket_id, clock) DO UPDATE SET cause = excluded.cause, updated_at = excluded.updated_at`,
		reviewID, c.TicketID, c.Clock, c.Text, now())
	return err
}

const actionCols = `a.id, a.client_id, a.title, a.owner, a.owner_user_id, a.owner_contact_id,
	TRIM(COALESCE(u.name, '') || CASE WHEN u.name IS NOT NULL AND k.id IS NOT NULL THEN ', ' ELSE '' END || COALESCE(k.first_name || ' ' || k.last_name, '')),
	a.due_on, a.status, a.decided_from, a.decided_label, a.closed_at, a.created_at, a.updated_at`

const actionFrom = ` FROM review_actions a LEFT JOIN users u ON u.id = a.owner_user_id LEFT JOIN contacts k ON k.id = a.owner_contact_id`

func scanAction(row scanner) (review.Action, error) {
	var (
		a            review.Action
		user, ct     sql.NullInt64
		due, status  string
		closed       sql.NullTime
		decidedFrom  time.Time
		created, upd time.Time
	)
	if err := row.Scan(&a.ID, &a.ClientID, &a.Title, &a.Owner, &user, &ct, &a.OwnerName, &due, &status, &decidedFrom, &a.DecidedIn, &closed, &created, &upd); err != nil {
		return review.Action{}, translate(err)
	}
	d, err := parseDateText(due)
	if err != nil {
		return review.Action{}, err
	}
	a.Due, a.Status, a.DecidedFrom, a.ClosedAt, a.Created, a.Updated = d, review.Status(status), decidedFrom.UTC(), nullTime(closed), created.UTC(), upd.UTC()
	if user.Valid {
		a.OwnerUserID = &user.Int64
	}
	if ct.Valid {
		a.OwnerContactID = &ct.Int64
	}
	return a, nil
}

// ReviewActions returns the client's actions decided in a review of a
// period starting before to and not closed before from, by due date.
func (db *DB) ReviewActions(ctx context.Context, clientID int64, from, to time.Time) ([]review.Action, error) {
	rows, err := db.query(ctx, `SELECT `+actionCols+actionFrom+`
WHERE a.client_id = ? AND a.decided_from < ? AND (a.closed_at IS NULL OR a.closed_at >= ?)
ORDER BY a.due_on, a.id`, clientID, utc(to), utc(from))
	if err != nil {
		return nil, fmt.Errorf("read review actions: %w", err)
	}
	return collect(rows, scanAction)
}

// ReviewAction returns one action.
func (db *DB) ReviewAction(ctx context.Context, id int64) (review.Action, error) {
	return scanAction(db.queryRow(ctx, `SELECT `+actionCols+actionFrom+` WHERE a.id = ?`, id))
}

// CreateReviewAction inserts an action.
func (db *DB) CreateReviewAction(ctx context.Context, a *review.Action) error {
	at := now()
	id, err := db.insert(ctx, `INSERT INTO review_actions (client_id, title, owner, owner_user_id, owner_contact_id, due_on, status, decided_from, decided_label, closed_at, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ClientID, a.Title, a.Owner, a.OwnerUserID, a.OwnerContactID, dateText(a.Due), string(a.Status), utc(a.DecidedFrom), a.DecidedIn,
		utcPtr(a.ClosedAt), utc(a.Created), at)
	if err != nil {
		return err
	}
	a.ID, a.Created, a.Updated = id, utc(a.Created), at
	return nil
}

// UpdateReviewAction writes an action's title, owner, due date, status and
// closing time.
func (db *DB) UpdateReviewAction(ctx context.Context, a *review.Action) error {
	at := now()
	err := affected(db.exec(ctx, `UPDATE review_actions SET title = ?, owner = ?, owner_user_id = ?, owner_contact_id = ?, due_on = ?, status = ?, closed_at = ?, updated_at = ?
WHERE id = ?`, a.Title, a.Owner, a.OwnerUserID, a.OwnerContactID, dateText(a.Due), string(a.Status), utcPtr(a.ClosedAt), at, a.ID))
	if err != nil {
		return err
	}
	a.Updated = at
	return nil
}

// ReviewOwnerUser returns a user's name and client (nil: a staff user).
func (db *DB) ReviewOwnerUser(ctx context.Context, id int64) (string, *int64, error) {
	var (
		name string
		cid  sql.NullInt64
	)
	if err := db.queryRow(ctx, `SELECT name, client_id FROM users WHERE id = ?`, id).Scan(&name, &cid); err != nil {
		return "", nil, translate(err)
	}
	if !cid.Valid {
		return name, nil, nil
	}
	return name, &cid.Int64, nil
}

// ReviewOwnerContact returns a contact's name and client.
func (db *DB) ReviewOwnerContact(ctx context.Context, id int64) (string, int64, error) {
	var first, last string
	var cid int64
	if err := db.queryRow(ctx, `SELECT first_name, last_name, client_id FROM contacts WHERE id = ?`, id).Scan(&first, &last, &cid); err != nil {
		return "", 0, translate(err)
	}
	return strings.TrimSpace(first + " " + last), cid, nil
}
