package ticket

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Merge merges a duplicate into another ticket of the same client: the
// duplicate's followups, attachments and time entries move to the target,
// its description becomes a public followup there, its requester (if it
// has a user) watches the target, and the duplicate is closed, marked
// merged, with a line in both timelines. Replies by e-mail to the duplicate
// go to the target. It returns the target.
func (svc *Service) Merge(ctx context.Context, s tenant.Scope, sourceID, targetID int64) (Ticket, error) {
	var out Ticket
	err := svc.store.InTx(ctx, func(ctx context.Context) error {
		src, err := svc.store.Ticket(ctx, s, sourceID)
		if err != nil {
			return err
		}
		if !s.CanOn(tenant.TicketWork, src.ClientID) {
			return fault.ErrForbidden
		}
		var v fault.Invalid
		dst, err := svc.store.Ticket(ctx, s, targetID)
		switch {
		case errors.Is(err, fault.ErrNotFound):
			v.Add("target_id", "not_found")
		case err != nil:
			return err
		case dst.ID == src.ID:
			v.Add("target_id", "same_ticket")
		case dst.ClientID != src.ClientID:
			v.Add("target_id", "other_client")
		case dst.MergedInto != nil:
			v.Add("target_id", "already_merged")
		case dst.Status == StatusClosed:
			v.Add("target_id", "target_closed")
		}
		if src.MergedInto != nil {
			v.Add("target_id", "already_merged")
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := svc.clock()
		if err := svc.store.MergeTicket(ctx, src.ID, dst.ID); err != nil {
			return err
		}
		a := audit.ActorFrom(ctx)
		f := Followup{TicketID: dst.ID, Public: true, Created: now, Author: a.Shown(),
			Body: fmt.Sprintf("**#%d — %s**\n\n%s", src.ID, src.Title, src.Description)}
		if s.UserID != 0 {
			uid := s.UserID
			f.AuthorID = &uid
		}
		if err := svc.store.AddFollowup(ctx, &f); err != nil {
			return fmt.Errorf("add merged description: %w", err)
		}
		if src.CreatedBy != nil {
			// Whoever opened the duplicate keeps hearing of the request.
			if err := svc.store.AddWatcher(ctx, dst.ID, *src.CreatedBy); err != nil {
				return err
			}
		}
		if err := svc.event(ctx, &src, "merged", "", strconv.FormatInt(dst.ID, 10), true); err != nil {
			return err
		}
		if err := svc.event(ctx, &dst, "merged_from", "", strconv.FormatInt(src.ID, 10), true); err != nil {
			return err
		}
		id := dst.ID
		src.MergedInto = &id
		if src.Status != StatusClosed {
			if err := svc.setStatus(ctx, &src, StatusClosed, now); err != nil {
				return err
			}
		}
		src.Updated, dst.Updated = now, now
		for _, t := range []*Ticket{&src, &dst} {
			if err := svc.refreshSLA(ctx, t); err != nil {
				return err
			}
			if err := svc.store.UpdateTicket(ctx, tenant.System(), t); err != nil {
				return fmt.Errorf("update ticket %d: %w", t.ID, err)
			}
		}
		out = dst
		return svc.journal.Record(ctx, audit.Entry{ClientID: &src.ClientID, Action: "ticket.merge", Object: audit.Object("ticket", src.ID),
			Summary: fmt.Sprintf("#%d → #%d", src.ID, dst.ID)})
	})
	return out, err
}

// WatcherNotifier tells watchers about a ticket (package helpdeskmail). It
// runs inside the change's transaction.
type WatcherNotifier interface {
	// WatchedFollowup tells watchers of a new followup.
	WatchedFollowup(ctx context.Context, t Ticket, f Followup, to []Watcher) error
	// WatchedResolved tells watchers the ticket is resolved.
	WatchedResolved(ctx context.Context, t Ticket, to []Watcher) error
}

// SetWatcherNotifier makes the service e-mail watchers.
func (svc *Service) SetWatcherNotifier(n WatcherNotifier) { svc.watchNotifier = n }

// Watch makes a user watch a ticket. Anyone who sees a ticket may watch it;
// staff who work on it may add another staff member who may see its client.
func (svc *Service) Watch(ctx context.Context, s tenant.Scope, ticketID, userID int64) error {
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		t, err := svc.store.Ticket(ctx, s, ticketID)
		if err != nil {
			return err
		}
		name := audit.ActorFrom(ctx).Shown()
		if userID != s.UserID {
			if !s.CanOn(tenant.TicketWork, t.ClientID) {
				return fault.ErrForbidden
			}
			n, err := svc.staff.StaffMember(ctx, userID, t.ClientID)
			if err != nil {
				v := &fault.Invalid{}
				v.Add("user_id", "invalid_choice")
				return v
			}
			name = n
		}
		if err := svc.store.AddWatcher(ctx, t.ID, userID); err != nil {
			return fmt.Errorf("add watcher: %w", err)
		}
		return svc.event(ctx, &t, "watcher", "", name, false)
	})
}

// Unwatch stops a user watching a ticket: oneself, or anyone for staff who
// work on it.
func (svc *Service) Unwatch(ctx context.Context, s tenant.Scope, ticketID, userID int64) error {
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		t, err := svc.store.Ticket(ctx, s, ticketID)
		if err != nil {
			return err
		}
		if userID != s.UserID && !s.CanOn(tenant.TicketWork, t.ClientID) {
			return fault.ErrForbidden
		}
		ws, err := svc.store.Watchers(ctx, t.ID)
		if err != nil {
			return err
		}
		name := ""
		for _, w := range ws {
			if w.UserID == userID {
				name = w.Name
			}
		}
		if err := svc.store.RemoveWatcher(ctx, t.ID, userID); err != nil {
			return err
		}
		return svc.event(ctx, &t, "watcher", name, "", false)
	})
}

// Watchers lists the watchers of a ticket the scope sees.
func (svc *Service) Watchers(ctx context.Context, s tenant.Scope, ticketID int64) ([]Watcher, error) {
	if _, err := svc.store.Ticket(ctx, s, ticketID); err != nil {
		return nil, err
	}
	return svc.store.Watchers(ctx, ticketID)
}

// watchersFor returns who among a ticket's watchers hears of a change by
// the current actor: not the actor, and only staff for private notes.
func (svc *Service) watchersFor(ctx context.Context, ticketID int64, public bool) ([]Watcher, error) {
	if svc.watchNotifier == nil {
		return nil, nil
	}
	ws, err := svc.store.Watchers(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	self := audit.ActorFrom(ctx).UserID
	out := ws[:0]
	for _, w := range ws {
		if w.UserID != self && (public || w.Staff) && w.Email != "" {
			out = append(out, w)
		}
	}
	return out, nil
}
