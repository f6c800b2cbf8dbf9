package ticket

import (
	"context"
	"errors"
	"fmt"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Settings returns the helpdesk settings (everyone signed in may read them).
func (svc *Service) Settings(ctx context.Context) (Settings, error) {
	return svc.store.Settings(ctx)
}

// SaveSettings changes the helpdesk settings.
func (svc *Service) SaveSettings(ctx context.Context, s tenant.Scope, st Settings) error {
	if !s.Can(tenant.HelpdeskAdmin) {
		return fault.ErrForbidden
	}
	if err := st.Validate(); err != nil {
		return err
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		old, err := svc.store.Settings(ctx)
		if err != nil {
			return err
		}
		if err := svc.store.SaveSettings(ctx, st); err != nil {
			return fmt.Errorf("save helpdesk settings: %w", err)
		}
		return svc.journal.Record(ctx, audit.Entry{Action: "helpdesk.settings", Object: "helpdesk", Summary: audit.Diff(old, st)})
	})
}

// ServiceLevel returns a client's helpdesk service level; a client without
// one gets the defaults, with found false.
func (svc *Service) ServiceLevel(ctx context.Context, s tenant.Scope, clientID int64) (ServiceLevel, bool, error) {
	if err := svc.clients.ClientExists(ctx, s, clientID); err != nil {
		return ServiceLevel{}, false, err
	}
	sl, err := svc.store.ServiceLevel(ctx, clientID)
	if errors.Is(err, fault.ErrNotFound) {
		return ServiceLevel{ClientID: clientID}, false, nil
	}
	return sl, err == nil, err
}

// SaveServiceLevel sets a client's service level; the open tickets of the
// client get their SLA recomputed at the next check (within 30 s).
func (svc *Service) SaveServiceLevel(ctx context.Context, s tenant.Scope, sl ServiceLevel) error {
	if !s.CanOn(tenant.HelpdeskAdmin, sl.ClientID) {
		return fault.ErrForbidden
	}
	if err := svc.clients.ClientExists(ctx, s, sl.ClientID); err != nil {
		return err
	}
	if err := sl.Validate(); err != nil {
		return err
	}
	var v fault.Invalid
	for i, r := range sl.Rules {
		if r.ReassignTo == nil {
			continue
		}
		if _, err := svc.staff.StaffMember(ctx, *r.ReassignTo, sl.ClientID); err != nil {
			v.Add(fmt.Sprintf("rules.%d.reassign_to", i), "invalid_choice")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	sl.Updated = svc.clock()
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.SaveServiceLevel(ctx, sl); err != nil {
			return fmt.Errorf("save service level: %w", err)
		}
		// Open tickets follow the new at-risk share, pauses and rules at once.
		if err := svc.store.ScheduleSLACheck(ctx, sl.ClientID, sl.Updated); err != nil {
			return fmt.Errorf("schedule sla checks: %w", err)
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: &sl.ClientID, Action: "helpdesk.service_level", Object: audit.Object("client", sl.ClientID)})
	})
}

// Categories returns the category tree, flat (parents before children is not guaranteed).
func (svc *Service) Categories(ctx context.Context) ([]Category, error) {
	return svc.store.Categories(ctx)
}

// SaveCategory creates (ID 0) or renames / moves a category.
func (svc *Service) SaveCategory(ctx context.Context, s tenant.Scope, c *Category) error {
	if !s.Can(tenant.HelpdeskAdmin) {
		return fault.ErrForbidden
	}
	var v fault.Invalid
	c.Name = v.Text("name", c.Name, 100, true, false)
	if err := v.Err(); err != nil {
		return err
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if c.ParentID != nil {
			cats, err := svc.store.Categories(ctx)
			if err != nil {
				return err
			}
			parents := map[int64]*int64{}
			for _, k := range cats {
				parents[k.ID] = k.ParentID
			}
			if _, ok := parents[*c.ParentID]; !ok {
				v.Add("parent_id", "invalid_choice")
				return v.Err()
			}
			// Moving a category under itself or a descendant would make a cycle.
			for p := c.ParentID; p != nil; p = parents[*p] {
				if c.ID != 0 && *p == c.ID {
					v.Add("parent_id", "cycle")
					return v.Err()
				}
			}
		}
		if err := svc.store.SaveCategory(ctx, c); err != nil {
			return fmt.Errorf("save category: %w", err)
		}
		return svc.journal.Record(ctx, audit.Entry{Action: "helpdesk.category", Object: audit.Object("category", c.ID), Summary: c.Name})
	})
}

// DeleteCategory removes a category without children; its tickets keep no category.
func (svc *Service) DeleteCategory(ctx context.Context, s tenant.Scope, id int64) error {
	if !s.Can(tenant.HelpdeskAdmin) {
		return fault.ErrForbidden
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.DeleteCategory(ctx, id); err != nil {
			return err
		}
		return svc.journal.Record(ctx, audit.Entry{Action: "helpdesk.category_delete", Object: audit.Object("category", id)})
	})
}
