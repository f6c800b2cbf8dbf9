package ticket

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// DefaultCalendar is the business hours proposed for a new contract, and
// those of notifications for a client without a contract in force: Monday
// to Friday, 08:30–12:00 and 13:30–18:00, Paris time, French public holidays.
const DefaultCalendar = `{"tz":"Europe/Paris","week":{"mon":["08:30-12:00","13:30-18:00"],"tue":["08:30-12:00","13:30-18:00"],"wed":["08:30-12:00","13:30-18:00"],"thu":["08:30-12:00","13:30-18:00"],"fri":["08:30-12:00","13:30-18:00"]},"holidays":"FR"}`

// Clients is what the helpdesk needs of the client package: checking that
// a client, its contact and its site exist within the caller's scope.
type Clients interface {
	ClientExists(ctx context.Context, s tenant.Scope, clientID int64) error
	ContactOf(ctx context.Context, s tenant.Scope, clientID, contactID int64) error
	SiteOf(ctx context.Context, s tenant.Scope, clientID, siteID int64) error
}

// Staff is what the helpdesk needs of the user package.
type Staff interface {
	// StaffMember returns the name of a staff user who may see the client, or ErrNotFound.
	StaffMember(ctx context.Context, userID, clientID int64) (string, error)
	// Managers returns the enabled managers who may see the client, or the
	// admins when there is none.
	Managers(ctx context.Context, clientID int64) ([]int64, error)
}

// Journal appends to the audit journal.
type Journal interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Notifier tells the requester about their ticket (package helpdeskmail).
// Its methods run inside the change's transaction, so a message is queued
// exactly when the change is committed.
type Notifier interface {
	TicketCreated(ctx context.Context, t Ticket) error
	PublicReply(ctx context.Context, t Ticket, f Followup) error
	Resolved(ctx context.Context, t Ticket) error
	// StatusChanged follows a status change made by staff (other than to
	// resolved, which Resolved tells); the notifier picks which to send.
	StatusChanged(ctx context.Context, t Ticket, from Status) error
}

// Service runs the helpdesk.
type Service struct {
	store    Store
	clients  Clients
	staff    Staff
	journal  Journal
	notifier Notifier
	// escalator warns staff of escalated tickets; nil sends nothing.
	escalator Escalator
	// watchNotifier tells watchers of followups and resolution; nil: nothing.
	watchNotifier WatcherNotifier
	now           func() time.Time
	log           *slog.Logger

	ratingMu  sync.Mutex
	ratingKey []byte // loaded on first use
}

// SetNotifier makes the service notify requesters (none by default).
func (svc *Service) SetNotifier(n Notifier) { svc.notifier = n }

// NewService returns a Service; now may be nil for time.Now, log nil to discard.
func NewService(store Store, clients Clients, staff Staff, journal Journal, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, clients: clients, staff: staff, journal: journal, now: now, log: log}
}

func (svc *Service) clock() time.Time { return svc.now().UTC().Truncate(time.Microsecond) }

// normalize validates the fields a caller sets on a ticket.
func (t *Ticket) normalize(v *fault.Invalid) {
	if !slices.Contains(Types, t.Type) {
		v.Add("type", "invalid_choice")
	}
	t.Title = v.Text("title", t.Title, 200, true, false)
	t.Description = v.Text("description", t.Description, 50000, false, true)
	if t.Impact == 0 {
		t.Impact = 2
	}
	if t.Urgency == 0 {
		t.Urgency = 2
	}
	if t.Impact < 1 || t.Impact > 3 {
		v.Add("impact", "invalid_choice")
	}
	if t.Urgency < 1 || t.Urgency > 3 {
		v.Add("urgency", "invalid_choice")
	}
}

// Create opens a ticket. A client user opens it for its own client, as
// requester when linked to a contact; staff choose the client.
func (svc *Service) Create(ctx context.Context, s tenant.Scope, t *Ticket) error {
	if !s.Staff() {
		t.ClientID = s.ClientID
		if s.Role == tenant.RoleClientUser || t.RequesterID == nil {
			// A client-user only ever requests for itself: without a
			// contact, for nobody else either.
			t.RequesterID = nil
			if s.ContactID != 0 {
				id := s.ContactID
				t.RequesterID = &id
			}
		}
	}
	if !s.CanOn(tenant.TicketCreate, t.ClientID) {
		return fault.ErrForbidden
	}
	var v fault.Invalid
	t.normalize(&v)
	if !s.Staff() {
		// Clients describe their problem; staff qualify it.
		t.Impact, t.Urgency, t.AssigneeID, t.Level, t.AssetIDs = 2, 2, nil, "", nil
	}
	if t.Level == "" {
		t.Level = "N1"
	}
	v.OneOf("level", t.Level, "N1", "N2", "N3")
	if err := svc.checkLinks(ctx, s, t, &v); err != nil {
		return err
	}
	assetIDs, assetNames, err := svc.checkAssets(ctx, t.ClientID, t.AssetIDs, &v)
	if err != nil {
		return err
	}
	if err := v.Err(); err != nil {
		return err
	}
	st, err := svc.store.Settings(ctx)
	if err != nil {
		return err
	}
	t.Priority = st.PriorityOf(t.Impact, t.Urgency)
	t.Status = StatusNew
	now := svc.clock()
	t.Created, t.Updated = now, now
	if s.UserID != 0 {
		id := s.UserID
		t.CreatedBy = &id
	}
	assignee := t.AssigneeID
	t.AssigneeID = nil
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.CreateTicket(ctx, s, t); err != nil {
			return fmt.Errorf("create ticket: %w", err)
		}
		if err := svc.event(ctx, t, "created", "", string(t.Status)+" "+t.Priority.String(), true); err != nil {
			return err
		}
		if len(assetIDs) > 0 {
			if err := svc.linkAssets(ctx, t, assetIDs, assetNames); err != nil {
				return err
			}
		}
		if assignee != nil {
			if err := svc.assign(ctx, s, t, assignee); err != nil {
				return err
			}
		}
		if err := svc.refreshSLA(ctx, t); err != nil {
			return err
		}
		if err := svc.store.UpdateTicket(ctx, tenant.System(), t); err != nil {
			return err
		}
		if svc.notifier != nil {
			if err := svc.notifier.TicketCreated(ctx, *t); err != nil {
				return err
			}
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: &t.ClientID, Action: "ticket.create", Object: audit.Object("ticket", t.ID), Summary: t.Title})
	})
}

// checkLinks verifies the client, requester, site, category and assignee of t.
func (svc *Service) checkLinks(ctx context.Context, s tenant.Scope, t *Ticket, v *fault.Invalid) error {
	if err := svc.clients.ClientExists(ctx, s, t.ClientID); err != nil {
		if errors.Is(err, fault.ErrNotFound) {
			v.Add("client_id", "invalid_choice")
			return nil
		}
		return err
	}
	if t.RequesterID != nil && svc.clients.ContactOf(ctx, s, t.ClientID, *t.RequesterID) != nil {
		v.Add("requester_id", "invalid_choice")
	}
	if t.SiteID != nil && svc.clients.SiteOf(ctx, s, t.ClientID, *t.SiteID) != nil {
		v.Add("site_id", "invalid_choice")
	}
	if t.CategoryID != nil {
		cats, err := svc.store.Categories(ctx)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(cats, func(c Category) bool { return c.ID == *t.CategoryID }) {
			v.Add("category_id", "invalid_choice")
		}
	}
	if t.AssigneeID != nil {
		if _, err := svc.staff.StaffMember(ctx, *t.AssigneeID, t.ClientID); err != nil {
			v.Add("assignee_id", "invalid_choice")
		}
	}
	return nil
}

// Get returns a ticket the scope may see.
func (svc *Service) Get(ctx context.Context, s tenant.Scope, id int64) (Ticket, error) {
	if !s.Can(tenant.TicketRead) {
		return Ticket{}, fault.ErrForbidden
	}
	t, err := svc.store.Ticket(ctx, s, id)
	if err != nil {
		return t, err
	}
	as, err := svc.store.TicketAssets(ctx, id)
	for _, a := range as {
		t.AssetIDs = append(t.AssetIDs, a.ID)
	}
	return t, err
}

// List returns a page of the tickets the scope may see, and the next cursor.
func (svc *Service) List(ctx context.Context, s tenant.Scope, f Filter) ([]Ticket, string, error) {
	if !s.Can(tenant.TicketRead) {
		return nil, "", fault.ErrForbidden
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	return svc.store.Tickets(ctx, s, f)
}

// Timeline returns a ticket's followups and events; private ones only for staff.
func (svc *Service) Timeline(ctx context.Context, s tenant.Scope, id int64) ([]Followup, []Event, error) {
	if _, err := svc.Get(ctx, s, id); err != nil {
		return nil, nil, err
	}
	fs, err := svc.store.Followups(ctx, id, s.Staff())
	if err != nil {
		return nil, nil, err
	}
	es, err := svc.store.Events(ctx, id, s.Staff())
	return fs, es, err
}

// Change is an edit of a ticket by staff; nil fields stay as they are.
type Change struct {
	Type       *Type
	CategoryID **int64
	Title      *string
	Impact     *int
	Urgency    *int
	Status     *Status
	AssigneeID **int64
	Level      *string
	SiteID     **int64
	// AssetIDs replaces the linked assets (an empty list unlinks them all).
	AssetIDs *[]int64
}

// Update applies a staff change, records each field's change in the
// timeline and recomputes the SLA.
func (svc *Service) Update(ctx context.Context, s tenant.Scope, id int64, c Change) (Ticket, error) {
	var out Ticket
	err := svc.store.InTx(ctx, func(ctx context.Context) error {
		t, err := svc.store.Ticket(ctx, s, id)
		if err != nil {
			return err
		}
		if !s.CanOn(tenant.TicketWork, t.ClientID) {
			return fault.ErrForbidden
		}
		old := t
		var v fault.Invalid
		if c.Type != nil {
			t.Type = *c.Type
		}
		if c.Title != nil {
			t.Title = *c.Title
		}
		if c.CategoryID != nil {
			t.CategoryID = *c.CategoryID
		}
		if c.SiteID != nil {
			t.SiteID = *c.SiteID
		}
		// 0 means "default" only at creation; a change must name a level.
		if c.Impact != nil {
			t.Impact = *c.Impact
			if t.Impact == 0 {
				v.Add("impact", "invalid_choice")
			}
		}
		if c.Urgency != nil {
			t.Urgency = *c.Urgency
			if t.Urgency == 0 {
				v.Add("urgency", "invalid_choice")
			}
		}
		if c.Level != nil {
			t.Level = *c.Level
			v.OneOf("level", t.Level, "N1", "N2", "N3")
		}
		t.normalize(&v)
		probe := t
		probe.AssigneeID = nil
		if c.AssigneeID != nil {
			probe.AssigneeID = *c.AssigneeID
		}
		if err := svc.checkLinks(ctx, s, &probe, &v); err != nil {
			return err
		}
		if c.Status != nil && !slices.Contains(Statuses, *c.Status) {
			v.Add("status", "invalid_choice")
		}
		var assetIDs []int64
		var assetNames []string
		if c.AssetIDs != nil {
			if assetIDs, assetNames, err = svc.checkAssets(ctx, t.ClientID, *c.AssetIDs, &v); err != nil {
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		st, err := svc.store.Settings(ctx)
		if err != nil {
			return err
		}
		t.Priority = st.PriorityOf(t.Impact, t.Urgency)
		now := svc.clock()
		for _, ch := range []struct{ kind, from, to string }{
			{"type", string(old.Type), string(t.Type)},
			{"title", old.Title, t.Title},
			{"category", idText(old.CategoryID), idText(t.CategoryID)},
			{"site", idText(old.SiteID), idText(t.SiteID)},
			{"priority", old.Priority.String(), t.Priority.String()},
			{"level", old.Level, t.Level},
		} {
			if ch.from != ch.to {
				if err := svc.event(ctx, &t, ch.kind, ch.from, ch.to, ch.kind != "level"); err != nil {
					return err
				}
			}
		}
		if c.AssigneeID != nil && !sameID(old.AssigneeID, *c.AssigneeID) {
			if err := svc.assign(ctx, s, &t, *c.AssigneeID); err != nil {
				return err
			}
		}
		if c.Status != nil && *c.Status != t.Status {
			if err := svc.setStatus(ctx, &t, *c.Status, now); err != nil {
				return err
			}
		}
		if c.AssetIDs != nil {
			if err := svc.linkAssets(ctx, &t, assetIDs, assetNames); err != nil {
				return err
			}
		}
		t.Updated = now
		if err := svc.refreshSLA(ctx, &t); err != nil {
			return err
		}
		if err := svc.store.UpdateTicket(ctx, s, &t); err != nil {
			return fmt.Errorf("update ticket %d: %w", id, err)
		}
		if svc.notifier != nil && s.Staff() && t.Status != old.Status && t.Status != StatusResolved {
			if err := svc.notifier.StatusChanged(ctx, t, old.Status); err != nil {
				return err
			}
		}
		if t.Status == StatusResolved && old.Status != StatusResolved {
			if svc.notifier != nil {
				if err := svc.notifier.Resolved(ctx, t); err != nil {
					return err
				}
			}
			to, err := svc.watchersFor(ctx, t.ID, true)
			if err != nil {
				return err
			}
			if len(to) > 0 {
				if err := svc.watchNotifier.WatchedResolved(ctx, t, to); err != nil {
					return err
				}
			}
		}
		if c.AssetIDs == nil {
			as, err := svc.store.TicketAssets(ctx, t.ID)
			if err != nil {
				return err
			}
			for _, a := range as {
				t.AssetIDs = append(t.AssetIDs, a.ID)
			}
		}
		out = t
		return svc.journal.Record(ctx, audit.Entry{ClientID: &t.ClientID, Action: "ticket.update", Object: audit.Object("ticket", t.ID), Summary: audit.Diff(old, t)})
	})
	return out, err
}

func idText(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

func sameID(a, b *int64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// assign sets the assignee; a new ticket becomes assigned, and assignment
// takes the ticket in hand (stops the time to own).
func (svc *Service) assign(ctx context.Context, s tenant.Scope, t *Ticket, to *int64) error {
	name := ""
	if to != nil {
		n, err := svc.staff.StaffMember(ctx, *to, t.ClientID)
		if err != nil {
			v := &fault.Invalid{}
			v.Add("assignee_id", "invalid_choice")
			return v
		}
		name = n
	}
	from := idText(t.AssigneeID)
	t.AssigneeID = to
	if err := svc.event(ctx, t, "assignee", from, name, true); err != nil {
		return err
	}
	if to != nil {
		if err := svc.own(ctx, t); err != nil {
			return err
		}
		if t.Status == StatusNew {
			return svc.setStatus(ctx, t, StatusAssigned, svc.clock())
		}
	}
	return nil
}

// own stops the time to own at the first assignment or public staff reply.
func (svc *Service) own(ctx context.Context, t *Ticket) error {
	if t.OwnedAt != nil {
		return nil
	}
	now := svc.clock()
	t.OwnedAt = &now
	return svc.event(ctx, t, "owned", "", "", false)
}

// setStatus moves a ticket in its workflow, with the moments of resolution
// and closing; leaving resolved or closed reopens it.
func (svc *Service) setStatus(ctx context.Context, t *Ticket, to Status, now time.Time) error {
	from := t.Status
	t.Status = to
	switch to {
	case StatusResolved:
		t.ResolvedAt, t.ClosedAt = &now, nil
	case StatusClosed:
		if t.ResolvedAt == nil {
			t.ResolvedAt = &now
		}
		t.ClosedAt = &now
	default:
		t.ResolvedAt, t.ClosedAt = nil, nil
	}
	return svc.event(ctx, t, "status", string(from), string(to), true)
}

// Reply adds a followup. A public staff reply takes the ticket in hand; a
// client's reply to a ticket waiting for it resumes the work (and the clock);
// a client's reply to a resolved ticket within the reopen delay reopens it.
func (svc *Service) Reply(ctx context.Context, s tenant.Scope, id int64, body string, public bool) (Followup, error) {
	var v fault.Invalid
	body = v.Text("body", body, 50000, true, true)
	if err := v.Err(); err != nil {
		return Followup{}, err
	}
	var f Followup
	err := svc.store.InTx(ctx, func(ctx context.Context) error {
		t, err := svc.store.Ticket(ctx, s, id)
		if err != nil {
			return err
		}
		if !s.CanOn(tenant.TicketCreate, t.ClientID) || (!public && !s.CanOn(tenant.TicketWork, t.ClientID)) {
			return fault.ErrForbidden
		}
		if !s.Staff() {
			public = true
		}
		now := svc.clock()
		if t.Status == StatusClosed && !s.Staff() {
			v.Add("body", "ticket_closed")
			return v.Err()
		}
		if t.Status == StatusResolved && !s.Staff() {
			st, err := svc.store.Settings(ctx)
			if err != nil {
				return err
			}
			if t.ResolvedAt == nil || now.Sub(*t.ResolvedAt) > time.Duration(st.ReopenDays)*24*time.Hour {
				v.Add("body", "reopen_expired")
				return v.Err()
			}
			if err := svc.setStatus(ctx, &t, StatusInProgress, now); err != nil {
				return err
			}
		}
		a := audit.ActorFrom(ctx)
		f = Followup{TicketID: t.ID, Public: public, Body: body, Created: now, Author: a.Shown()}
		if s.UserID != 0 {
			uid := s.UserID
			f.AuthorID = &uid
		}
		if err := svc.store.AddFollowup(ctx, &f); err != nil {
			return fmt.Errorf("add followup: %w", err)
		}
		kind := "note"
		if public {
			kind = "followup"
		}
		if err := svc.event(ctx, &t, kind, "", strconv.FormatInt(f.ID, 10), public); err != nil {
			return err
		}
		if s.Staff() && public {
			if err := svc.own(ctx, &t); err != nil {
				return err
			}
		}
		if !s.Staff() && t.Status == StatusWaitingClient {
			if err := svc.setStatus(ctx, &t, StatusInProgress, now); err != nil {
				return err
			}
		}
		t.Updated = now
		if err := svc.refreshSLA(ctx, &t); err != nil {
			return err
		}
		if err := svc.store.UpdateTicket(ctx, tenant.System(), &t); err != nil {
			return err
		}
		if svc.notifier != nil && s.Staff() && public {
			if err := svc.notifier.PublicReply(ctx, t, f); err != nil {
				return err
			}
		}
		to, err := svc.watchersFor(ctx, t.ID, public)
		if err != nil || len(to) == 0 {
			return err
		}
		return svc.watchNotifier.WatchedFollowup(ctx, t, f, to)
	})
	return f, err
}

// LogTime records time spent on a ticket by a technician (the caller, unless
// TechnicianID names another staff member).
func (svc *Service) LogTime(ctx context.Context, s tenant.Scope, id int64, e *TimeEntry) error {
	var v fault.Invalid
	if e.Duration <= 0 || e.Duration > 24*time.Hour {
		v.Add("duration", "out_of_range", "24h")
	}
	if e.Travel < 0 || e.Travel > 24*time.Hour || (!e.OnSite && e.Travel != 0) {
		v.Add("travel", "out_of_range", "24h")
	}
	e.Note = v.Text("note", e.Note, 5000, false, true)
	now := svc.clock()
	if e.Start.IsZero() {
		e.Start = now.Add(-e.Duration)
	}
	if e.Start.After(now.Add(24 * time.Hour)) {
		v.Add("start", "in_future")
	}
	if err := v.Err(); err != nil {
		return err
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		t, err := svc.store.Ticket(ctx, s, id)
		if err != nil {
			return err
		}
		if !s.CanOn(tenant.TicketWork, t.ClientID) {
			return fault.ErrForbidden
		}
		if e.TechnicianID == 0 {
			e.TechnicianID = s.UserID
		}
		if _, err := svc.staff.StaffMember(ctx, e.TechnicianID, t.ClientID); err != nil {
			v.Add("technician_id", "invalid_choice")
			return v.Err()
		}
		e.TicketID, e.Created, e.Start = t.ID, now, e.Start.UTC()
		if err := svc.store.AddTimeEntry(ctx, e); err != nil {
			return fmt.Errorf("add time entry: %w", err)
		}
		return svc.event(ctx, &t, "time", "", e.Duration.String(), false)
	})
}

// TimeEntries lists the time spent on a ticket (staff only).
func (svc *Service) TimeEntries(ctx context.Context, s tenant.Scope, id int64) ([]TimeEntry, error) {
	t, err := svc.Get(ctx, s, id)
	if err != nil {
		return nil, err
	}
	if !s.CanOn(tenant.TicketWork, t.ClientID) {
		return nil, fault.ErrForbidden
	}
	return svc.store.TimeEntries(ctx, id)
}

func (svc *Service) event(ctx context.Context, t *Ticket, kind, from, to string, public bool) error {
	a := audit.ActorFrom(ctx)
	e := Event{TicketID: t.ID, At: svc.clock(), Kind: kind, From: from, To: to, Public: public, Actor: a.Shown()}
	if a.UserID != 0 {
		id := a.UserID
		e.ActorID = &id
	}
	if e.Actor == "" {
		e.Actor = "system"
	}
	return svc.store.AddEvent(ctx, &e)
}

// refreshSLA recomputes the contract, perimeter and stored SLA summary of
// t. The clock is the one of the contract in force at t's creation (its
// business hours and targets), with the at-risk share, pause statuses and
// escalation rules of the client's helpdesk service level. No contract in
// force, or a ticket out of perimeter, has no clock. A change of the
// perimeter is recorded in the timeline.
func (svc *Service) refreshSLA(ctx context.Context, t *Ticket) error {
	before := perimeterText(t.OutOfPerimeter, t.PerimeterReason)
	c, found, err := svc.perimeter(ctx, t)
	if err != nil {
		return err
	}
	if after := perimeterText(t.OutOfPerimeter, t.PerimeterReason); after != before {
		if err := svc.event(ctx, t, "perimeter", before, after, false); err != nil {
			return err
		}
	}
	if !found || t.OutOfPerimeter {
		t.SLA = SLA{}
		return nil
	}
	sl, err := svc.store.ServiceLevel(ctx, t.ClientID)
	if errors.Is(err, fault.ErrNotFound) {
		sl, err = ServiceLevel{ClientID: t.ClientID}, nil
	}
	if err != nil {
		return err
	}
	policy, err := PolicyOf(c, sl)
	if err != nil {
		svc.log.Warn("contract unusable for the SLA", "client", t.ClientID, "contract", c.ID, "err", err)
		t.SLA = SLA{}
		return nil
	}
	events, err := svc.store.Events(ctx, t.ID, true)
	if err != nil {
		return err
	}
	state, err := sla.Evaluate(policy, slaEvents(*t, events), svc.clock())
	if err != nil {
		return fmt.Errorf("evaluate sla of ticket %d: %w", t.ID, err)
	}
	t.SLA = summarize(state)
	if !t.Status.Open() {
		return nil
	}
	changed, err := svc.escalate(ctx, t, sl, state, events)
	if err != nil || !changed {
		return err
	}
	// A reassignment or a new level is in the timeline now: evaluate again
	// (without escalating: every trigger that fired is recorded).
	events, err = svc.store.Events(ctx, t.ID, true)
	if err != nil {
		return err
	}
	if state, err = sla.Evaluate(policy, slaEvents(*t, events), svc.clock()); err != nil {
		return fmt.Errorf("evaluate sla of ticket %d: %w", t.ID, err)
	}
	t.SLA = summarize(state)
	return nil
}

// slaEvents turns a ticket's timeline into the events of the SLA engine.
func slaEvents(t Ticket, events []Event) []sla.Event {
	out := []sla.Event{{At: t.Created, Kind: sla.EventCreated, Status: sla.Status(StatusNew), Priority: sla.Priority(firstPriority(t, events))}}
	for _, e := range events {
		switch e.Kind {
		case "priority":
			out = append(out, sla.Event{At: e.At, Kind: sla.EventPriority, Priority: sla.Priority(e.To)})
		case "owned":
			out = append(out, sla.Event{At: e.At, Kind: sla.EventOwned})
		case "status":
			from, to := Status(e.From), Status(e.To)
			switch {
			case to == StatusResolved || (to == StatusClosed && from != StatusResolved):
				out = append(out, sla.Event{At: e.At, Kind: sla.EventResolved})
			case to == StatusClosed:
			case !from.Open():
				out = append(out, sla.Event{At: e.At, Kind: sla.EventReopened, Status: sla.Status(to)})
			default:
				out = append(out, sla.Event{At: e.At, Kind: sla.EventStatus, Status: sla.Status(to)})
			}
		}
	}
	return out
}

// firstPriority is the priority at creation: the "from" of the first
// priority change, or the current one.
func firstPriority(t Ticket, events []Event) string {
	for _, e := range events {
		if e.Kind == "priority" {
			return e.From
		}
	}
	return t.Priority.String()
}

func summarize(s sla.State) SLA {
	out := SLA{Covered: true, Paused: s.TTR.Paused, AtRisk: s.TTO.AtRisk || s.TTR.AtRisk}
	ptr := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		t = t.UTC()
		return &t
	}
	if !s.TTO.Stopped {
		out.TTODue = ptr(s.TTO.Due)
	}
	if !s.TTR.Stopped {
		out.TTRDue = ptr(s.TTR.Due)
	}
	if s.TTO.Breached {
		out.TTOBreachAt = ptr(s.TTO.BreachedAt)
	}
	if s.TTR.Breached {
		out.TTRBreachAt = ptr(s.TTR.BreachedAt)
	}
	out.NextCheck = ptr(s.NextCheck())
	return out
}

// CheckDue re-evaluates the SLA of tickets whose next check has come (a
// clock becoming at risk or breached with no event), a batch at a time. It
// returns how many were updated.
func (svc *Service) CheckDue(ctx context.Context, limit int) (int, error) {
	ts, err := svc.store.DueForCheck(ctx, svc.clock(), limit)
	if err != nil {
		return 0, err
	}
	for _, due := range ts {
		err := svc.store.InTx(ctx, func(ctx context.Context) error {
			// Read the ticket again inside the transaction: writing back the
			// copy read before it would undo a change made in between.
			t, err := svc.store.Ticket(ctx, tenant.System(), due.ID)
			if errors.Is(err, fault.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := svc.refreshSLA(ctx, &t); err != nil {
				return err
			}
			return svc.store.UpdateTicket(ctx, tenant.System(), &t)
		})
		if err != nil {
			return 0, err
		}
	}
	return len(ts), nil
}

// AutoClose closes the tickets resolved more than the settings' CloseDays
// ago (nothing when CloseDays is 0), a batch at a time; it returns how many.
func (svc *Service) AutoClose(ctx context.Context, limit int) (int, error) {
	st, err := svc.store.Settings(ctx)
	if err != nil || st.CloseDays == 0 {
		return 0, err
	}
	ids, err := svc.store.ResolvedBefore(ctx, svc.clock().Add(-time.Duration(st.CloseDays)*24*time.Hour), limit)
	if err != nil {
		return 0, err
	}
	closed := StatusClosed
	ctx = audit.WithActor(ctx, audit.Actor{Name: "system"})
	for _, id := range ids {
		if _, err := svc.Update(ctx, tenant.System(), id, Change{Status: &closed}); err != nil {
			return 0, fmt.Errorf("close ticket %d: %w", id, err)
		}
	}
	return len(ids), nil
}
