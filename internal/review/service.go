package review

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Store reads the rows of a review and keeps what staff enter on it. The
// report rows come through report.Store; the review's own methods take a
// client id the Service has already checked against the caller's scope.
type Store interface {
	report.Store
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	Client(ctx context.Context, s tenant.Scope, id int64) (client.Client, error)

	// ReviewBreaches returns the client's SLA-covered tickets (merged
	// duplicates left out) with a clock breached before to that had not
	// stopped before from.
	ReviewBreaches(ctx context.Context, clientID int64, from, to time.Time) ([]BreachRow, error)
	// ReviewEvents returns the status, assignee, priority and escalation
	// events of the tickets before before, oldest first.
	ReviewEvents(ctx context.Context, ticketIDs []int64, before time.Time) ([]Event, error)
	// ReviewMeeting returns the client's review of the period [from, to);
	// fault.ErrNotFound when none was saved.
	ReviewMeeting(ctx context.Context, clientID int64, from, to time.Time) (Meeting, error)
	// SaveReviewMeeting inserts or updates the review of (client, from, to)
	// and sets m.ID.
	SaveReviewMeeting(ctx context.Context, m *Meeting) error
	// ReviewCauses returns the causes entered on a review.
	ReviewCauses(ctx context.Context, reviewID int64) ([]Cause, error)
	// SaveReviewCause sets the cause of one clock; an empty text removes it.
	SaveReviewCause(ctx context.Context, reviewID int64, c Cause) error
	// ReviewActions returns the client's actions decided in a review of a
	// period starting before to and not closed before from, by due date.
	ReviewActions(ctx context.Context, clientID int64, from, to time.Time) ([]Action, error)
	// ReviewAction returns one action; fault.ErrNotFound when none.
	ReviewAction(ctx context.Context, id int64) (Action, error)
	CreateReviewAction(ctx context.Context, a *Action) error
	UpdateReviewAction(ctx context.Context, a *Action) error
	// ReviewOwnerUser returns a user's name and client (nil: staff).
	ReviewOwnerUser(ctx context.Context, id int64) (name string, clientID *int64, err error)
	// ReviewOwnerContact returns a contact's name and client.
	ReviewOwnerContact(ctx context.Context, id int64) (name string, clientID int64, err error)
}

// Contracts finds the contract in force (a *contract.Service is one).
type Contracts interface {
	InForce(ctx context.Context, s tenant.Scope, clientID int64, at time.Time) (contract.Contract, bool, error)
}

// Journal appends to the audit journal.
type Journal interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Service builds reviews and keeps their meeting, causes and actions.
// Reading takes tenant.ClientRead on the client (staff and the client's own
// users); writing takes tenant.ClientWrite (admins and managers).
type Service struct {
	store     Store
	contracts Contracts
	journal   Journal
	now       func() time.Time
}

// NewService returns a Service; journal may be nil, now nil for time.Now.
func NewService(store Store, contracts Contracts, journal Journal, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, contracts: contracts, journal: journal, now: now}
}

func may(s tenant.Scope, a tenant.Action, clientID int64) error {
	switch {
	case !s.CanSee(clientID):
		return fault.ErrNotFound
	case !s.Can(a):
		return fault.ErrForbidden
	}
	return nil
}

func (svc *Service) record(ctx context.Context, clientID int64, action, object, summary string) error {
	if svc.journal == nil {
		return nil
	}
	return svc.journal.Record(ctx, audit.Entry{ClientID: &clientID, Action: action, Object: object, Summary: summary})
}

// Location returns the client's time zone, the one its periods are read in.
func (svc *Service) Location(ctx context.Context, s tenant.Scope, clientID int64) (*time.Location, error) {
	if err := may(s, tenant.ClientRead, clientID); err != nil {
		return nil, err
	}
	c, err := svc.store.Client(ctx, s, clientID)
	if err != nil {
		return nil, err
	}
	return location(c), nil
}

// location is the client's zone as report.Figures requires it (the
// stored name), contract.Location's default when it has none.
func location(c client.Client) *time.Location {
	if c.TimeZone != "" {
		if l, err := time.LoadLocation(c.TimeZone); err == nil {
			return l
		}
	}
	return contract.Location(c)
}

// DefaultPeriod is the last complete quarter at now in loc.
func DefaultPeriod(now time.Time, loc *time.Location) report.Period {
	n := now.In(loc)
	q := (int(n.Month())-1)/3 + 1
	year := n.Year()
	if q--; q == 0 {
		q, year = 4, year-1
	}
	return report.Quarter(year, q, loc)
}

// Get builds the client's review of period p at the service's clock.
func (svc *Service) Get(ctx context.Context, s tenant.Scope, clientID int64, p report.Period) (Review, error) {
	if err := may(s, tenant.ClientRead, clientID); err != nil {
		return Review{}, err
	}
	return svc.build(ctx, s, clientID, p, svc.now())
}

// build fetches the input of a review and builds it (the caller checked
// the scope).
func (svc *Service) build(ctx context.Context, s tenant.Scope, clientID int64, p report.Period, now time.Time) (Review, error) {
	m, err := report.Figures(ctx, svc.store, clientID, p, now)
	if err != nil {
		return Review{}, err
	}
	from, until := m.Period.From, m.Period.Until
	in := Input{Figures: m}
	if in.Tickets, err = svc.store.ReportTickets(ctx, clientID, from, until); err != nil {
		return Review{}, fmt.Errorf("review tickets of client %d: %w", clientID, err)
	}
	if svc.contracts != nil {
		c, found, err := svc.contracts.InForce(ctx, s, clientID, until.Add(-time.Second))
		if err != nil {
			return Review{}, fmt.Errorf("contract of client %d: %w", clientID, err)
		}
		if found {
			in.Contract = &c
		}
	}
	if in.Breaches, err = svc.store.ReviewBreaches(ctx, clientID, from, until); err != nil {
		return Review{}, fmt.Errorf("review breaches of client %d: %w", clientID, err)
	}
	ids := make([]int64, len(in.Breaches))
	for i, b := range in.Breaches {
		ids[i] = b.TicketID
	}
	if in.Events, err = svc.store.ReviewEvents(ctx, ids, until); err != nil {
		return Review{}, fmt.Errorf("review events of client %d: %w", clientID, err)
	}
	in.Meeting, err = svc.store.ReviewMeeting(ctx, clientID, p.From, p.To)
	switch {
	case errors.Is(err, fault.ErrNotFound):
		in.Meeting = Meeting{ClientID: clientID, Period: p.Label(), From: p.From, To: p.To}
	case err != nil:
		return Review{}, fmt.Errorf("review meeting of client %d: %w", clientID, err)
	default:
		if in.Causes, err = svc.store.ReviewCauses(ctx, in.Meeting.ID); err != nil {
			return Review{}, fmt.Errorf("review causes of client %d: %w", clientID, err)
		}
	}
	if in.Actions, err = svc.store.ReviewActions(ctx, clientID, p.From, p.To); err != nil {
		return Review{}, fmt.Errorf("review actions of client %d: %w", clientID, err)
	}
	return Build(in), nil
}

// SaveMeeting records the meeting of the client's review of p.
func (svc *Service) SaveMeeting(ctx context.Context, s tenant.Scope, clientID int64, p report.Period, m *Meeting) error {
	if err := may(s, tenant.ClientWrite, clientID); err != nil {
		return err
	}
	if err := p.Validate(svc.now()); err != nil {
		return err
	}
	if err := m.normalize(); err != nil {
		return err
	}
	m.ClientID, m.Period, m.From, m.To = clientID, p.Label(), p.From, p.To
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if _, err := svc.store.Client(ctx, s, clientID); err != nil {
			return err
		}
		if err := svc.store.SaveReviewMeeting(ctx, m); err != nil {
			return fmt.Errorf("save review of client %d: %w", clientID, err)
		}
		return svc.record(ctx, clientID, "review.meeting", audit.Object("review", m.ID), p.Label())
	})
}

// SetCause records the cause of a breached clock listed by the client's
// review of p; an empty text goes back to the timeline's suggestion. A
// ticket and clock the review does not list is refused ("ticket_id":
// not_breached).
func (svc *Service) SetCause(ctx context.Context, s tenant.Scope, clientID int64, p report.Period, c Cause) error {
	if err := may(s, tenant.ClientWrite, clientID); err != nil {
		return err
	}
	var v fault.Invalid
	c.Text = v.Text("cause", c.Text, maxCauseRunes, false, true)
	if c.Clock != ClockTTO && c.Clock != ClockTTR {
		v.Add("clock", "invalid_choice")
	}
	if err := v.Err(); err != nil {
		return err
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		rv, err := svc.build(ctx, s, clientID, p, svc.now())
		if err != nil {
			return err
		}
		listed := false
		for _, b := range rv.Breaches {
			listed = listed || (b.TicketID == c.TicketID && b.Clock == c.Clock)
		}
		if !listed {
			v.Add("ticket_id", CodeNotBreached)
			return v.Err()
		}
		m := rv.Meeting
		if m.ID == 0 {
			if err := svc.store.SaveReviewMeeting(ctx, &m); err != nil {
				return fmt.Errorf("save review of client %d: %w", clientID, err)
			}
		}
		if err := svc.store.SaveReviewCause(ctx, m.ID, c); err != nil {
			return fmt.Errorf("save cause of ticket %d: %w", c.TicketID, err)
		}
		return svc.record(ctx, clientID, "review.cause", audit.Object("ticket", c.TicketID), p.Label()+" "+c.Clock)
	})
}

// AddAction adds an action decided in the client's review of p.
func (svc *Service) AddAction(ctx context.Context, s tenant.Scope, clientID int64, p report.Period, a *Action) error {
	if err := may(s, tenant.ClientWrite, clientID); err != nil {
		return err
	}
	if err := p.Validate(svc.now()); err != nil {
		return err
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		c, err := svc.store.Client(ctx, s, clientID)
		if err != nil {
			return err
		}
		now := svc.now()
		a.ID, a.ClientID, a.DecidedFrom, a.DecidedIn, a.Created = 0, clientID, p.From, p.Label(), now
		if err := svc.check(ctx, a, now, location(c)); err != nil {
			return err
		}
		a.ClosedAt = nil
		if a.Status.Closed() {
			a.ClosedAt = &now
		}
		if err := svc.store.CreateReviewAction(ctx, a); err != nil {
			return fmt.Errorf("create action: %w", err)
		}
		return svc.record(ctx, clientID, "review.action.create", audit.Object("review_action", a.ID), a.Title)
	})
}

// UpdateAction changes an action's title, owner, due date and status;
// closing it (done, dropped) stamps ClosedAt, reopening it clears it.
func (svc *Service) UpdateAction(ctx context.Context, s tenant.Scope, a *Action) error {
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		old, err := svc.store.ReviewAction(ctx, a.ID)
		if err != nil {
			return err
		}
		if err := may(s, tenant.ClientWrite, old.ClientID); err != nil {
			return err
		}
		c, err := svc.store.Client(ctx, s, old.ClientID)
		if err != nil {
			return err
		}
		a.ClientID, a.DecidedFrom, a.DecidedIn, a.Created, a.ClosedAt = old.ClientID, old.DecidedFrom, old.DecidedIn, old.Created, old.ClosedAt
		if err := svc.check(ctx, a, old.Created, location(c)); err != nil {
			return err
		}
		svc.stamp(a, old.Status)
		if err := svc.store.UpdateReviewAction(ctx, a); err != nil {
			return fmt.Errorf("update action %d: %w", a.ID, err)
		}
		return svc.record(ctx, a.ClientID, "review.action.update", audit.Object("review_action", a.ID), a.Title+" ("+string(a.Status)+")")
	})
}

// SetStatus changes an action's status only.
func (svc *Service) SetStatus(ctx context.Context, s tenant.Scope, id int64, st Status) error {
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		a, err := svc.store.ReviewAction(ctx, id)
		if err != nil {
			return err
		}
		if err := may(s, tenant.ClientWrite, a.ClientID); err != nil {
			return err
		}
		if !st.Valid() {
			var v fault.Invalid
			v.Add("status", "invalid_choice")
			return v.Err()
		}
		old := a.Status
		a.Status = st
		svc.stamp(&a, old)
		if err := svc.store.UpdateReviewAction(ctx, &a); err != nil {
			return fmt.Errorf("update action %d: %w", id, err)
		}
		return svc.record(ctx, a.ClientID, "review.action.status", audit.Object("review_action", id), string(old)+" → "+string(st))
	})
}

// Action returns one action the caller may read.
func (svc *Service) Action(ctx context.Context, s tenant.Scope, id int64) (Action, error) {
	a, err := svc.store.ReviewAction(ctx, id)
	if err != nil {
		return Action{}, err
	}
	if err := may(s, tenant.ClientRead, a.ClientID); err != nil {
		return Action{}, err
	}
	return a, nil
}

// stamp sets or clears ClosedAt when the status crosses between open and closed.
func (svc *Service) stamp(a *Action, old Status) {
	switch {
	case a.Status.Closed() && !old.Closed():
		now := svc.now()
		a.ClosedAt = &now
	case !a.Status.Closed():
		a.ClosedAt = nil
	}
}

// check validates an action: its fields, and an owner user or contact of
// the action's client (a staff user may own any client's action).
func (svc *Service) check(ctx context.Context, a *Action, created time.Time, loc *time.Location) error {
	v := &fault.Invalid{}
	if err := a.normalize(created, loc); err != nil {
		inv, _ := fault.AsInvalid(err)
		v = inv
	}
	var names []string
	if a.OwnerUserID != nil {
		name, cid, err := svc.store.ReviewOwnerUser(ctx, *a.OwnerUserID)
		switch {
		case err != nil && !errors.Is(err, fault.ErrNotFound):
			return fmt.Errorf("check owner user %d: %w", *a.OwnerUserID, err)
		case err != nil || (cid != nil && *cid != a.ClientID):
			v.Add("owner_user_id", CodeNotOfClient, *a.OwnerUserID)
		default:
			names = append(names, name)
		}
	}
	if a.OwnerContactID != nil {
		name, cid, err := svc.store.ReviewOwnerContact(ctx, *a.OwnerContactID)
		switch {
		case err != nil && !errors.Is(err, fault.ErrNotFound):
			return fmt.Errorf("check owner contact %d: %w", *a.OwnerContactID, err)
		case err != nil || cid != a.ClientID:
			v.Add("owner_contact_id", CodeNotOfClient, *a.OwnerContactID)
		default:
			names = append(names, name)
		}
	}
	a.OwnerName = strings.Join(names, ", ")
	return v.Err()
}
