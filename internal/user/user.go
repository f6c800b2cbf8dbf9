// Package user holds the people who sign in to Vigie: the provider's staff
// and the clients' users.
package user

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Support levels of technicians.
const (
	LevelN1 = "N1"
	LevelN2 = "N2"
	LevelN3 = "N3"
)

// User is someone who signs in.
type User struct {
	ID        int64       `json:"id"`
	Email     string      `json:"email"`
	Name      string      `json:"name"`
	Role      tenant.Role `json:"role"`
	Level     string      `json:"level"`      // N1/N2/N3, technicians only
	ClientID  *int64      `json:"client_id"`  // client users only
	ContactID *int64      `json:"contact_id"` // client users only
	// Clients limits a staff user to these clients; empty means all.
	Clients     []int64    `json:"clients"`
	Language    string     `json:"language"` // "" follows the browser
	Disabled    bool       `json:"disabled"`
	TOTPEnabled bool       `json:"totp_enabled"`
	LastLogin   *time.Time `json:"last_login_at"`
	Created     time.Time  `json:"created_at"`
	Updated     time.Time  `json:"updated_at"`
}

// Scope returns the tenant scope of the user's requests.
func (u User) Scope() tenant.Scope {
	s := tenant.Scope{UserID: u.ID, Role: u.Role, Clients: u.Clients}
	if u.ClientID != nil {
		s.ClientID = *u.ClientID
	}
	if u.ContactID != nil {
		s.ContactID = *u.ContactID
	}
	return s
}

// Filter selects users. Staff true lists staff users; otherwise ClientID
// (or every visible client when 0) selects client users.
type Filter struct {
	Staff    bool
	ClientID int64
	Query    string
	After    int64
	Limit    int
}

// Store keeps users. Reads are filtered by scope: staff users are visible to
// staff, client users to staff who see their client and to users of the same client.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	CreateUser(ctx context.Context, u *User, passwordHash string) error
	UpdateUser(ctx context.Context, u *User) error
	User(ctx context.Context, s tenant.Scope, id int64) (User, error)
	Users(ctx context.Context, s tenant.Scope, f Filter) ([]User, error)
	// UserByEmail is unscoped: it serves sign-in and password reset.
	UserByEmail(ctx context.Context, email string) (User, error)
	CountUsers(ctx context.Context) (int, error)
}

// ContactChecker verifies that a contact belongs to a client.
type ContactChecker interface {
	ContactClient(ctx context.Context, contactID int64) (int64, error)
}

// Journal appends to the audit journal.
type Journal interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Hasher turns a password into its stored hash.
type Hasher func(password string) (string, error)

// Service applies the rules on users.
type Service struct {
	store    Store
	contacts ContactChecker
	journal  Journal
	hash     Hasher
}

// NewService returns a Service.
func NewService(store Store, contacts ContactChecker, journal Journal, hash Hasher) *Service {
	return &Service{store: store, contacts: contacts, journal: journal, hash: hash}
}

// Normalize validates a user and cleans its fields in place.
func (u *User) Normalize() *fault.Invalid {
	var v fault.Invalid
	u.Email = v.Email("email", u.Email, true)
	u.Name = v.Text("name", u.Name, 200, true, false)
	if !u.Role.Valid() {
		v.Add("role", "invalid_choice")
	}
	if u.Language != "" {
		v.Language("language", u.Language)
	}
	if u.Role == tenant.RoleTechnician {
		if u.Level == "" {
			u.Level = LevelN1
		}
		v.OneOf("level", u.Level, LevelN1, LevelN2, LevelN3)
	} else {
		u.Level = ""
	}
	if u.Role.Staff() {
		u.ClientID, u.ContactID = nil, nil
		slices.Sort(u.Clients)
		u.Clients = slices.Compact(u.Clients)
		if u.Role == tenant.RoleAdmin {
			u.Clients = nil // an admin sees every client
		}
	} else {
		u.Clients = nil
		if u.ClientID == nil || *u.ClientID <= 0 {
			v.Add("client_id", "required")
		}
	}
	return &v
}

// mayManage reports whether s may create or change a user like u.
func mayManage(s tenant.Scope, u User) bool {
	if u.Role.Staff() {
		if !s.Can(tenant.StaffWrite) {
			return false
		}
		// Only an admin may make or change an admin.
		return u.Role != tenant.RoleAdmin || s.Role == tenant.RoleAdmin || s.IsSystem()
	}
	return u.ClientID != nil && s.CanOn(tenant.ClientUserWrite, *u.ClientID)
}

func (svc *Service) check(ctx context.Context, s tenant.Scope, u *User, v *fault.Invalid) error {
	if !mayManage(s, *u) {
		return fault.ErrForbidden
	}
	if u.ClientID != nil && !s.IsSystem() {
		// A client admin may only grant client roles of its own client.
		if !s.CanSee(*u.ClientID) {
			return fault.ErrForbidden
		}
	}
	if u.ContactID != nil && u.ClientID != nil && !v.Has("contact_id") {
		cid, err := svc.contacts.ContactClient(ctx, *u.ContactID)
		if err != nil || cid != *u.ClientID {
			v.Add("contact_id", "invalid_choice")
		}
	}
	return v.Err()
}

// Create adds a user with an initial password.
func (svc *Service) Create(ctx context.Context, s tenant.Scope, u *User, password string) error {
	v := u.Normalize()
	v.Password("password", password)
	if err := svc.check(ctx, s, u, v); err != nil {
		return err
	}
	hash, err := svc.hash(password)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	u.Disabled = false
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.CreateUser(ctx, u, hash); err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: u.ClientID, Action: "user.create", Object: audit.Object("user", u.ID), Summary: u.Email + " (" + string(u.Role) + ")"})
	})
}

// Update changes a user's profile, role, limits or disabled flag.
func (svc *Service) Update(ctx context.Context, s tenant.Scope, u *User) error {
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		old, err := svc.store.User(ctx, s, u.ID)
		if err != nil {
			return err
		}
		if !mayManage(s, old) {
			return fault.ErrForbidden
		}
		// Staff stay staff and client users stay with their client.
		if old.Role.Staff() != u.Role.Staff() {
			v := &fault.Invalid{}
			v.Add("role", "invalid_choice")
			return v
		}
		if !old.Role.Staff() {
			u.ClientID = old.ClientID
		}
		if u.ID == s.UserID && (u.Role != old.Role || u.Disabled) {
			v := &fault.Invalid{}
			v.Add("role", "cannot_change_self")
			return v
		}
		u.TOTPEnabled = old.TOTPEnabled
		if err := svc.check(ctx, s, u, u.Normalize()); err != nil {
			return err
		}
		if err := svc.store.UpdateUser(ctx, u); err != nil {
			return fmt.Errorf("update user %d: %w", u.ID, err)
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: u.ClientID, Action: "user.update", Object: audit.Object("user", u.ID), Summary: audit.Diff(old, *u)})
	})
}

// Get returns a user the scope may see.
func (svc *Service) Get(ctx context.Context, s tenant.Scope, id int64) (User, error) {
	return svc.store.User(ctx, s, id)
}

// List returns users the scope may see.
func (svc *Service) List(ctx context.Context, s tenant.Scope, f Filter) ([]User, error) {
	if f.Staff && !s.Can(tenant.StaffRead) {
		return nil, fault.ErrForbidden
	}
	if !f.Staff && f.ClientID != 0 && !s.CanSee(f.ClientID) {
		return nil, fault.ErrNotFound
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	return svc.store.Users(ctx, s, f)
}

// SetLanguage changes the caller's own language ("" follows the browser).
func (svc *Service) SetLanguage(ctx context.Context, s tenant.Scope, lang string) error {
	if lang != "" {
		var v fault.Invalid
		v.Language("language", lang)
		if err := v.Err(); err != nil {
			return err
		}
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		u, err := svc.store.User(ctx, s, s.UserID)
		if err != nil {
			return err
		}
		u.Language = lang
		return svc.store.UpdateUser(ctx, &u)
	})
}
