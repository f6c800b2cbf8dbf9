// Package provider holds the managed-services provider's own settings: the
// one organisation that runs this Vigie.
package provider

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Provider is the MSP.
type Provider struct {
	Name     string `json:"name"`
	LegalID  string `json:"legal_id"`
	Address  string `json:"address"`
	Email    string `json:"email"` // sender of outgoing mail
	Phone    string `json:"phone"`
	Website  string `json:"website"`
	Language string `json:"language"`
	TimeZone string `json:"time_zone"`
	// RequireStaffTOTP forces staff to enrol a second factor before anything else.
	RequireStaffTOTP bool   `json:"require_staff_totp"`
	Logo             []byte `json:"-"`
	LogoType         string `json:"-"` // image/png, image/jpeg, image/svg+xml
}

// Store keeps the provider's settings (a single row).
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	Provider(ctx context.Context) (Provider, error)
	SaveProvider(ctx context.Context, p Provider) error
}

// Journal appends to the audit journal.
type Journal interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Service reads and changes the provider's settings.
type Service struct {
	store   Store
	journal Journal

	// The staff second-factor rule is read on every staff request: it is
	// cached for a few seconds (other replicas see a change within that time).
	mu        sync.Mutex
	mfa       bool
	mfaExpiry time.Time
}

// NewService returns a Service.
func NewService(store Store, journal Journal) *Service {
	return &Service{store: store, journal: journal}
}

// MaxLogo is the largest logo accepted, in bytes.
const MaxLogo = 512 << 10

// Normalize validates settings and cleans them in place.
func (p *Provider) Normalize() error {
	var v fault.Invalid
	p.Name = v.Text("name", p.Name, 200, true, false)
	p.LegalID = v.Text("legal_id", p.LegalID, 40, false, false)
	p.Address = v.Text("address", p.Address, 1000, false, true)
	p.Email = v.Email("email", p.Email, false)
	p.Phone = v.Text("phone", p.Phone, 40, false, false)
	p.Website = v.Text("website", p.Website, 200, false, false)
	if p.Language == "" {
		p.Language = "fr"
	}
	v.Language("language", p.Language)
	if p.TimeZone == "" {
		p.TimeZone = "Europe/Paris"
	}
	p.TimeZone = v.TimeZone("time_zone", p.TimeZone)
	if len(p.Logo) > MaxLogo {
		v.Add("logo", "too_large", MaxLogo)
	}
	if len(p.Logo) > 0 {
		v.OneOf("logo", p.LogoType, "image/png", "image/jpeg")
	}
	return v.Err()
}

// Get returns the provider's settings; every signed-in user may read them.
func (svc *Service) Get(ctx context.Context) (Provider, error) {
	return svc.store.Provider(ctx)
}

// mfaTTL is how long the staff second-factor rule is cached.
const mfaTTL = 5 * time.Second

// RequireStaffTOTP reports whether staff must use a second factor.
func (svc *Service) RequireStaffTOTP(ctx context.Context) bool {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if time.Now().Before(svc.mfaExpiry) {
		return svc.mfa
	}
	p, err := svc.store.Provider(ctx)
	if err != nil {
		// Fail closed would lock every staff member out on a database hiccup;
		// keep the last known value and retry soon.
		return svc.mfa
	}
	svc.mfa, svc.mfaExpiry = p.RequireStaffTOTP, time.Now().Add(mfaTTL)
	return svc.mfa
}

// Save changes the provider's settings. A nil logo keeps the current one.
func (svc *Service) Save(ctx context.Context, s tenant.Scope, p Provider) error {
	if !s.Can(tenant.ProviderWrite) {
		return fault.ErrForbidden
	}
	// The cached rule is dropped after the commit, so no reader caches the old value.
	defer func() {
		svc.mu.Lock()
		svc.mfaExpiry = time.Time{}
		svc.mu.Unlock()
	}()
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		old, err := svc.store.Provider(ctx)
		if err != nil {
			return err
		}
		if p.Logo == nil {
			p.Logo, p.LogoType = old.Logo, old.LogoType
		}
		if err := p.Normalize(); err != nil {
			return err
		}
		if err := svc.store.SaveProvider(ctx, p); err != nil {
			return fmt.Errorf("save provider: %w", err)
		}

		return svc.journal.Record(ctx, audit.Entry{Action: "provider.update", Object: "provider", Summary: audit.Diff(old, p)})
	})
}
