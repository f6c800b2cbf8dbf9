// Package client holds the provider's clients (the tenants), their sites and
// their contacts.
package client

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Client is a company whose IT the provider looks after.
type Client struct {
	ID       int64     `json:"id"`
	Code     string    `json:"code"`
	Name     string    `json:"name"`
	LegalID  string    `json:"legal_id"` // SIRET or another registration number
	VATID    string    `json:"vat_id"`
	Address  string    `json:"address"`
	TimeZone string    `json:"time_zone"`
	Language string    `json:"language"`
	Archived bool      `json:"archived"`
	Created  time.Time `json:"created_at"`
	Updated  time.Time `json:"updated_at"`
}

// Site is a place where a client has people or equipment.
type Site struct {
	ID       int64     `json:"id"`
	ClientID int64     `json:"client_id"`
	Name     string    `json:"name"`
	Address  string    `json:"address"`
	Notes    string    `json:"notes"`
	Created  time.Time `json:"created_at"`
	Updated  time.Time `json:"updated_at"`
}

// Contact is a person at a client.
type Contact struct {
	ID        int64     `json:"id"`
	ClientID  int64     `json:"client_id"`
	SiteID    *int64    `json:"site_id"`
	FirstName string    `json:"first_name"`
	LastName  string    `json:"last_name"`
	Email     string    `json:"email"`
	Phone     string    `json:"phone"`
	Mobile    string    `json:"mobile"`
	JobTitle  string    `json:"job_title"`
	VIP       bool      `json:"vip"`
	Created   time.Time `json:"created_at"`
	Updated   time.Time `json:"updated_at"`
}

// FullName is the contact's name as shown.
func (c Contact) FullName() string { return strings.TrimSpace(c.FirstName + " " + c.LastName) }

// Filter selects clients. After is the cursor: the last ID of the previous page.
type Filter struct {
	Query    string // matched against code and name
	Archived *bool  // nil: both
	After    int64
	Limit    int
}

// ContactFilter selects contacts of one client, or of every visible client when ClientID is 0.
type ContactFilter struct {
	ClientID int64
	Query    string // matched against names and e-mail
	After    int64
	Limit    int
}

// Store keeps clients, sites and contacts. Every method filters by the scope
// in its query: a row of a client the scope cannot see is ErrNotFound.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	CreateClient(ctx context.Context, s tenant.Scope, c *Client) error
	UpdateClient(ctx context.Context, s tenant.Scope, c *Client) error
	Client(ctx context.Context, s tenant.Scope, id int64) (Client, error)
	Clients(ctx context.Context, s tenant.Scope, f Filter) ([]Client, error)
	CountClients(ctx context.Context, s tenant.Scope, archived bool) (int, error)

	CreateSite(ctx context.Context, s tenant.Scope, st *Site) error
	UpdateSite(ctx context.Context, s tenant.Scope, st *Site) error
	DeleteSite(ctx context.Context, s tenant.Scope, id int64) error
	Site(ctx context.Context, s tenant.Scope, id int64) (Site, error)
	Sites(ctx context.Context, s tenant.Scope, clientID int64) ([]Site, error)

	CreateContact(ctx context.Context, s tenant.Scope, c *Contact) error
	UpdateContact(ctx context.Context, s tenant.Scope, c *Contact) error
	DeleteContact(ctx context.Context, s tenant.Scope, id int64) error
	Contact(ctx context.Context, s tenant.Scope, id int64) (Contact, error)
	Contacts(ctx context.Context, s tenant.Scope, f ContactFilter) ([]Contact, error)
}

// Journal appends to the audit journal (inside the caller's transaction).
type Journal interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Service applies the rules on clients, sites and contacts.
type Service struct {
	store   Store
	journal Journal
	now     func() time.Time
}

// NewService returns a Service; now may be nil for time.Now.
func NewService(store Store, journal Journal, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, journal: journal, now: now}
}

var codeRe = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{1,31}$`)

// Normalize validates a client and cleans its fields in place.
func (c *Client) Normalize() error {
	var v fault.Invalid
	c.Code = strings.ToUpper(v.Text("code", c.Code, 32, true, false))
	if c.Code != "" && !v.Has("code") && !codeRe.MatchString(c.Code) {
		v.Add("code", "invalid_code")
	}
	c.Name = v.Text("name", c.Name, 200, true, false)
	c.LegalID = v.Text("legal_id", c.LegalID, 40, false, false)
	if c.LegalID != "" && !v.Has("legal_id") {
		digits := strings.ReplaceAll(c.LegalID, " ", "")
		if isDigits(digits) && len(digits) == 14 && !luhn(digits) {
			v.Add("legal_id", "invalid_siret")
		}
	}
	c.VATID = v.Text("vat_id", c.VATID, 40, false, false)
	c.Address = v.Text("address", c.Address, 1000, false, true)
	if c.TimeZone == "" {
		c.TimeZone = "Europe/Paris"
	}
	c.TimeZone = v.TimeZone("time_zone", c.TimeZone)
	if c.Language == "" {
		c.Language = "fr"
	}
	v.Language("language", c.Language)
	return v.Err()
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// luhn checks a SIRET's key (the Luhn algorithm).
func luhn(s string) bool {
	sum := 0
	for i := range len(s) {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// Create adds a client.
func (svc *Service) Create(ctx context.Context, s tenant.Scope, c *Client) error {
	if !s.Can(tenant.ClientWrite) || !s.AllClients() {
		// A staff member limited to some clients cannot create a new one
		// they would not be allowed to see.
		return fault.ErrForbidden
	}
	if err := c.Normalize(); err != nil {
		return err
	}
	c.Archived = false
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.CreateClient(ctx, s, c); err != nil {
			return fmt.Errorf("create client: %w", err)
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: &c.ID, Action: "client.create", Object: audit.Object("client", c.ID), Summary: c.Code + " " + c.Name})
	})
}

// Update changes a client's fields (not its archived state).
func (svc *Service) Update(ctx context.Context, s tenant.Scope, c *Client) error {
	if !s.CanOn(tenant.ClientWrite, c.ID) {
		return fault.ErrForbidden
	}
	if err := c.Normalize(); err != nil {
		return err
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		old, err := svc.store.Client(ctx, s, c.ID)
		if err != nil {
			return err
		}
		c.Archived = old.Archived
		if err := svc.store.UpdateClient(ctx, s, c); err != nil {
			return fmt.Errorf("update client %d: %w", c.ID, err)
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: &c.ID, Action: "client.update", Object: audit.Object("client", c.ID), Summary: audit.Diff(old, *c)})
	})
}

// SetArchived archives or restores a client.
func (svc *Service) SetArchived(ctx context.Context, s tenant.Scope, id int64, archived bool) error {
	if !s.CanOn(tenant.ClientWrite, id) {
		return fault.ErrForbidden
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		c, err := svc.store.Client(ctx, s, id)
		if err != nil {
			return err
		}
		if c.Archived == archived {
			return nil
		}
		c.Archived = archived
		if err := svc.store.UpdateClient(ctx, s, &c); err != nil {
			return fmt.Errorf("archive client %d: %w", id, err)
		}
		action := "client.archive"
		if !archived {
			action = "client.restore"
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: &id, Action: action, Object: audit.Object("client", id), Summary: c.Code})
	})
}

// Get returns a client the scope may see.
func (svc *Service) Get(ctx context.Context, s tenant.Scope, id int64) (Client, error) {
	if !s.Can(tenant.ClientRead) {
		return Client{}, fault.ErrForbidden
	}
	return svc.store.Client(ctx, s, id)
}

// List returns the clients the scope may see, filtered and paged.
func (svc *Service) List(ctx context.Context, s tenant.Scope, f Filter) ([]Client, error) {
	if !s.Can(tenant.ClientRead) {
		return nil, fault.ErrForbidden
	}
	f.Limit = PageLimit(f.Limit)
	return svc.store.Clients(ctx, s, f)
}

// Count returns how many clients the scope sees, active or archived.
func (svc *Service) Count(ctx context.Context, s tenant.Scope, archived bool) (int, error) {
	return svc.store.CountClients(ctx, s, archived)
}

// PageLimit clamps a requested page size to 1..500, 50 by default.
func PageLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 500:
		return 500
	}
	return n
}
