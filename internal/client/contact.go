package client

import (
	"context"
	"fmt"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Normalize validates a contact and cleans its fields in place.
func (c *Contact) Normalize() error {
	var v fault.Invalid
	c.FirstName = v.Text("first_name", c.FirstName, 100, false, false)
	c.LastName = v.Text("last_name", c.LastName, 100, true, false)
	c.Email = v.Email("email", c.Email, false)
	c.Phone = v.Text("phone", c.Phone, 40, false, false)
	c.Mobile = v.Text("mobile", c.Mobile, 40, false, false)
	c.JobTitle = v.Text("job_title", c.JobTitle, 100, false, false)
	return v.Err()
}

// checkSite verifies that a contact's site belongs to the contact's client.
func (svc *Service) checkSite(ctx context.Context, s tenant.Scope, c *Contact) error {
	if c.SiteID == nil {
		return nil
	}
	st, err := svc.store.Site(ctx, s, *c.SiteID)
	if err != nil || st.ClientID != c.ClientID {
		v := &fault.Invalid{}
		v.Add("site_id", "invalid_choice")
		return v
	}
	return nil
}

// CreateContact adds a contact to a client.
func (svc *Service) CreateContact(ctx context.Context, s tenant.Scope, c *Contact) error {
	if !s.CanOn(tenant.ContactWrite, c.ClientID) {
		return fault.ErrForbidden
	}
	if err := c.Normalize(); err != nil {
		return err
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if _, err := svc.store.Client(ctx, s, c.ClientID); err != nil {
			return err
		}
		if err := svc.checkSite(ctx, s, c); err != nil {
			return err
		}
		if err := svc.store.CreateContact(ctx, s, c); err != nil {
			return fmt.Errorf("create contact: %w", err)
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: &c.ClientID, Action: "contact.create", Object: audit.Object("contact", c.ID), Summary: c.FullName()})
	})
}

// UpdateContact changes a contact; its client cannot change.
func (svc *Service) UpdateContact(ctx context.Context, s tenant.Scope, c *Contact) error {
	if err := c.Normalize(); err != nil {
		return err
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		old, err := svc.store.Contact(ctx, s, c.ID)
		if err != nil {
			return err
		}
		if !s.CanOn(tenant.ContactWrite, old.ClientID) {
			return fault.ErrForbidden
		}
		c.ClientID = old.ClientID
		if err := svc.checkSite(ctx, s, c); err != nil {
			return err
		}
		if err := svc.store.UpdateContact(ctx, s, c); err != nil {
			return fmt.Errorf("update contact %d: %w", c.ID, err)
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: &c.ClientID, Action: "contact.update", Object: audit.Object("contact", c.ID), Summary: audit.Diff(old, *c)})
	})
}

// DeleteContact removes a contact; a client user linked to it loses the link.
func (svc *Service) DeleteContact(ctx context.Context, s tenant.Scope, id int64) error {
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		old, err := svc.store.Contact(ctx, s, id)
		if err != nil {
			return err
		}
		if !s.CanOn(tenant.ContactWrite, old.ClientID) {
			return fault.ErrForbidden
		}
		if err := svc.store.DeleteContact(ctx, s, id); err != nil {
			return fmt.Errorf("delete contact %d: %w", id, err)
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: &old.ClientID, Action: "contact.delete", Object: audit.Object("contact", id), Summary: old.FullName()})
	})
}

// Contact returns one contact.
func (svc *Service) Contact(ctx context.Context, s tenant.Scope, id int64) (Contact, error) {
	if !s.Can(tenant.ClientRead) {
		return Contact{}, fault.ErrForbidden
	}
	return svc.store.Contact(ctx, s, id)
}

// Contacts lists contacts, of one client or of all visible clients.
func (svc *Service) Contacts(ctx context.Context, s tenant.Scope, f ContactFilter) ([]Contact, error) {
	if !s.Can(tenant.ClientRead) {
		return nil, fault.ErrForbidden
	}
	f.Limit = PageLimit(f.Limit)
	return svc.store.Contacts(ctx, s, f)
}
