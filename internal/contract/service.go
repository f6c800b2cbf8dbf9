package contract

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// DefaultZone is the time zone of a client without a valid one.
const DefaultZone = "Europe/Paris"

// Store keeps contracts with their perimeter. Methods that take a scope
// filter by it in their query: a row of a client the scope cannot see is
// fault.ErrNotFound.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error

	// Of package client, to check links and read the client's time zone.
	Client(ctx context.Context, s tenant.Scope, id int64) (client.Client, error)
	Site(ctx context.Context, s tenant.Scope, id int64) (client.Site, error)
	Contact(ctx context.Context, s tenant.Scope, id int64) (client.Contact, error)
	// AssetFacts returns the kind and site of an asset.
	AssetFacts(ctx context.Context, s tenant.Scope, assetID int64) (AssetFacts, error)

	// CreateContract inserts a contract with its perimeter and recipients;
	// a reference the client already uses is fault.Conflict("reference").
	CreateContract(ctx context.Context, s tenant.Scope, c *Contract) error
	// UpdateContract writes every field but the client and the creation
	// time, and replaces the perimeter and the recipients.
	UpdateContract(ctx context.Context, s tenant.Scope, c *Contract) error
	DeleteContract(ctx context.Context, s tenant.Scope, id int64) error
	Contract(ctx context.Context, s tenant.Scope, id int64) (Contract, error)
	// Contracts lists a client's contracts by start date, then id.
	Contracts(ctx context.Context, s tenant.Scope, clientID int64) ([]Contract, error)
	// ContractInForce returns the client's active contract whose dates
	// contain day (a date, UTC midnight); fault.ErrNotFound when none.
	ContractInForce(ctx context.Context, s tenant.Scope, clientID int64, day time.Time) (Contract, error)
	// LockContracts serialises changes of one client's contracts until the
	// end of the transaction, so that two writers cannot both pass the
	// overlap check.
	LockContracts(ctx context.Context, clientID int64) error
}

// Journal appends to the audit journal (inside the caller's transaction).
type Journal interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Hook is told, inside the change's transaction, that a client's contracts
// changed (the helpdesk recomputes the SLA clocks of its open tickets).
type Hook interface {
	ContractsChanged(ctx context.Context, clientID int64) error
}

// Service applies the rules on contracts. Reading a contract takes
// tenant.ClientRead (every role, on the clients it sees: a client's users
// read their own contract); changing one takes tenant.ClientWrite (admins
// and managers).
type Service struct {
	store   Store
	journal Journal
	now     func() time.Time
	// hook is told of every change; nil tells nobody.
	hook Hook
}

// SetHook makes the service tell h of every change of a client's contracts.
func (svc *Service) SetHook(h Hook) { svc.hook = h }

func (svc *Service) changed(ctx context.Context, clientID int64) error {
	if svc.hook == nil {
		return nil
	}
	if err := svc.hook.ContractsChanged(ctx, clientID); err != nil {
		return fmt.Errorf("after a change of the contracts of client %d: %w", clientID, err)
	}
	return nil
}

// NewService returns a Service; journal may be nil (nothing recorded) and
// now nil for time.Now.
func NewService(store Store, journal Journal, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, journal: journal, now: now}
}

func (svc *Service) record(ctx context.Context, e audit.Entry) error {
	if svc.journal == nil {
		return nil
	}
	return svc.journal.Record(ctx, e)
}

// Location returns a client's time zone, DefaultZone when it has none.
func Location(c client.Client) *time.Location {
	if c.TimeZone != "" {
		if loc, err := time.LoadLocation(c.TimeZone); err == nil {
			return loc
		}
	}
	loc, err := time.LoadLocation(DefaultZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// may returns the error for a scope that may not do a on clientID's data:
// not found when it cannot see the client at all, forbidden when its role
// does not allow the action.
func may(s tenant.Scope, a tenant.Action, clientID int64) error {
	switch {
	case !s.CanSee(clientID):
		return fault.ErrNotFound
	case !s.Can(a):
		return fault.ErrForbidden
	}
	return nil
}

// Create adds a contract to a client.
func (svc *Service) Create(ctx context.Context, s tenant.Scope, c *Contract) error {
	if err := may(s, tenant.ClientWrite, c.ClientID); err != nil {
		return err
	}
	c.ID = 0
	if err := c.Normalize(); err != nil {
		return err
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if _, err := svc.store.Client(ctx, s, c.ClientID); err != nil {
			return err
		}
		if err := svc.check(ctx, s, c); err != nil {
			return err
		}
		if err := svc.store.CreateContract(ctx, s, c); err != nil {
			return fmt.Errorf("create contract: %w", err)
		}
		if err := svc.changed(ctx, c.ClientID); err != nil {
			return err
		}
		return svc.record(ctx, audit.Entry{ClientID: &c.ClientID, Action: "contract.create", Object: audit.Object("contract", c.ID), Summary: c.Reference + " " + c.Title})
	})
}

// Update changes a contract; its client cannot change.
func (svc *Service) Update(ctx context.Context, s tenant.Scope, c *Contract) error {
	if err := c.Normalize(); err != nil {
		return err
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		old, err := svc.store.Contract(ctx, s, c.ID)
		if err != nil {
			return err
		}
		if err := may(s, tenant.ClientWrite, old.ClientID); err != nil {
			return err
		}
		c.ClientID, c.Created = old.ClientID, old.Created
		if err := svc.check(ctx, s, c); err != nil {
			return err
		}
		if err := svc.store.UpdateContract(ctx, s, c); err != nil {
			return fmt.Errorf("update contract %d: %w", c.ID, err)
		}
		if err := svc.changed(ctx, c.ClientID); err != nil {
			return err
		}
		return svc.record(ctx, audit.Entry{ClientID: &c.ClientID, Action: "contract.update", Object: audit.Object("contract", c.ID), Summary: audit.Diff(old, *c)})
	})
}

// Delete removes a draft or cancelled contract. An active contract is
// refused (state: still_active): it is history that reports rely on;
// cancel it first.
func (svc *Service) Delete(ctx context.Context, s tenant.Scope, id int64) error {
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		old, err := svc.store.Contract(ctx, s, id)
		if err != nil {
			return err
		}
		if err := may(s, tenant.ClientWrite, old.ClientID); err != nil {
			return err
		}
		if old.State == StateActive {
			var v fault.Invalid
			v.Add("state", CodeStillActive)
			return v.Err()
		}
		if err := svc.store.DeleteContract(ctx, s, id); err != nil {
			return fmt.Errorf("delete contract %d: %w", id, err)
		}
		if err := svc.changed(ctx, old.ClientID); err != nil {
			return err
		}
		return svc.record(ctx, audit.Entry{ClientID: &old.ClientID, Action: "contract.delete", Object: audit.Object("contract", id), Summary: old.Reference + " " + old.Title})
	})
}

// Get returns one contract with its perimeter.
func (svc *Service) Get(ctx context.Context, s tenant.Scope, id int64) (Contract, error) {
	if !s.Can(tenant.ClientRead) {
		return Contract{}, fault.ErrForbidden
	}
	return svc.store.Contract(ctx, s, id)
}

// List returns a client's contracts, by start date.
func (svc *Service) List(ctx context.Context, s tenant.Scope, clientID int64) ([]Contract, error) {
	if err := may(s, tenant.ClientRead, clientID); err != nil {
		return nil, err
	}
	if _, err := svc.store.Client(ctx, s, clientID); err != nil {
		return nil, err
	}
	return svc.store.Contracts(ctx, s, clientID)
}

// InForce returns the client's contract in force at instant at, whose
// date is read in the client's time zone; found is false when none is.
func (svc *Service) InForce(ctx context.Context, s tenant.Scope, clientID int64, at time.Time) (c Contract, found bool, err error) {
	if err := may(s, tenant.ClientRead, clientID); err != nil {
		return Contract{}, false, err
	}
	cl, err := svc.store.Client(ctx, s, clientID)
	if err != nil {
		return Contract{}, false, err
	}
	c, err = svc.store.ContractInForce(ctx, s, clientID, Day(at, Location(cl)))
	if errors.Is(err, fault.ErrNotFound) {
		return Contract{}, false, nil
	}
	if err != nil {
		return Contract{}, false, fmt.Errorf("find contract in force for client %d: %w", clientID, err)
	}
	return c, true, nil
}

// Coverage says whether an asset is in the perimeter of the contract in
// force at instant at, and why.
func (svc *Service) Coverage(ctx context.Context, s tenant.Scope, assetID int64, at time.Time) (Coverage, error) {
	if !s.Can(tenant.ClientRead) {
		return Coverage{}, fault.ErrForbidden
	}
	a, err := svc.store.AssetFacts(ctx, s, assetID)
	if err != nil {
		return Coverage{}, err
	}
	c, found, err := svc.InForce(ctx, s, a.ClientID, at)
	if err != nil {
		return Coverage{}, err
	}
	return CoverageOf(c, found, a), nil
}

// check verifies what needs the database: a reference unique to the
// client, no overlap with another active contract, recipients that are
// contacts of the client, sites and assets of the client.
func (svc *Service) check(ctx context.Context, s tenant.Scope, c *Contract) error {
	if err := svc.store.LockContracts(ctx, c.ClientID); err != nil {
		return fmt.Errorf("lock contracts of client %d: %w", c.ClientID, err)
	}
	others, err := svc.store.Contracts(ctx, s, c.ClientID)
	if err != nil {
		return fmt.Errorf("list contracts of client %d: %w", c.ClientID, err)
	}
	for _, o := range others {
		if o.ID != c.ID && o.Reference == c.Reference {
			return fault.Conflict("reference")
		}
	}
	var v fault.Invalid
	if o, ok := Overlap(*c, others); ok {
		v.Add("start", CodeOverlaps, o.Reference)
	}
	for _, id := range c.Reporting.Recipients {
		ct, err := svc.store.Contact(ctx, s, id)
		if err := owned(&v, "reporting.recipients", id, err, ct.ClientID, c.ClientID); err != nil {
			return err
		}
	}
	for _, id := range c.Perimeter.Sites {
		st, err := svc.store.Site(ctx, s, id)
		if err := owned(&v, "perimeter.sites", id, err, st.ClientID, c.ClientID); err != nil {
			return err
		}
	}
	for _, list := range []struct {
		field string
		ids   []int64
	}{{"perimeter.include", c.Perimeter.Include}, {"perimeter.exclude", c.Perimeter.Exclude}} {
		for _, id := range list.ids {
			a, err := svc.store.AssetFacts(ctx, s, id)
			if err := owned(&v, list.field, id, err, a.ClientID, c.ClientID); err != nil {
				return err
			}
		}
	}
	return v.Err()
}

// owned adds not_of_client to field when the row id, read with error err,
// is missing or belongs to another client than clientID; a missing row and
// another client's row are the same answer, so that a contract's form
// cannot probe which ids exist. It returns err when it is another failure.
func owned(v *fault.Invalid, field string, id int64, err error, owner, clientID int64) error {
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return fmt.Errorf("check %s %d: %w", field, id, err)
	}
	if err != nil || owner != clientID {
		v.Add(field, CodeNotOfClient, id)
	}
	return nil
}

// Current returns the client's contract in force now (the service's clock).
func (svc *Service) Current(ctx context.Context, s tenant.Scope, clientID int64) (Contract, bool, error) {
	return svc.InForce(ctx, s, clientID, svc.now())
}
