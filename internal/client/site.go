package client

import (
	"context"
	"fmt"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Normalize validates a site and cleans its fields in place.
func (st *Site) Normalize() error {
	var v fault.Invalid
	st.Name = v.Text("name", st.Name, 200, true, false)
	st.Address = v.Text("address", st.Address, 1000, false, true)
	st.Notes = v.Text("notes", st.Notes, 5000, false, true)
	return v.Err()
}

// CreateSite adds a site to a client.
func (svc *Service) CreateSite(ctx context.Context, s tenant.Scope, st *Site) error {
	if !s.CanOn(tenant.SiteWrite, st.ClientID) {
		return fault.ErrForbidden
	}
	if err := st.Normalize(); err != nil {
		return err
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if _, err := svc.store.Client(ctx, s, st.ClientID); err != nil {
			return err
		}
		if err := svc.store.CreateSite(ctx, s, st); err != nil {
			return fmt.Errorf("create site: %w", err)
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: &st.ClientID, Action: "site.create", Object: audit.Object("site", st.ID), Summary: st.Name})
	})
}

// UpdateSite changes a site; its client cannot change.
func (svc *Service) UpdateSite(ctx context.Context, s tenant.Scope, st *Site) error {
	if err := st.Normalize(); err != nil {
		return err
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		old, err := svc.store.Site(ctx, s, st.ID)
		if err != nil {
			return err
		}
		if !s.CanOn(tenant.SiteWrite, old.ClientID) {
			return fault.ErrForbidden
		}
		st.ClientID = old.ClientID
		if err := svc.store.UpdateSite(ctx, s, st); err != nil {
			return fmt.Errorf("update site %d: %w", st.ID, err)
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: &st.ClientID, Action: "site.update", Object: audit.Object("site", st.ID), Summary: audit.Diff(old, *st)})
	})
}

// DeleteSite removes a site; contacts on it stay, without a site.
func (svc *Service) DeleteSite(ctx context.Context, s tenant.Scope, id int64) error {
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		old, err := svc.store.Site(ctx, s, id)
		if err != nil {
			return err
		}
		if !s.CanOn(tenant.SiteWrite, old.ClientID) {
			return fault.ErrForbidden
		}
		if err := svc.store.DeleteSite(ctx, s, id); err != nil {
			return fmt.Errorf("delete site %d: %w", id, err)
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: &old.ClientID, Action: "site.delete", Object: audit.Object("site", id), Summary: old.Name})
	})
}

// Site returns one site.
func (svc *Service) Site(ctx context.Context, s tenant.Scope, id int64) (Site, error) {
	if !s.Can(tenant.ClientRead) {
		return Site{}, fault.ErrForbidden
	}
	return svc.store.Site(ctx, s, id)
}

// Sites returns a client's sites.
func (svc *Service) Sites(ctx context.Context, s tenant.Scope, clientID int64) ([]Site, error) {
	if !s.CanOn(tenant.ClientRead, clientID) {
		return nil, fault.ErrNotFound
	}
	return svc.store.Sites(ctx, s, clientID)
}
