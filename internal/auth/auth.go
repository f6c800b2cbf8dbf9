// Package auth signs users in: passwords, sessions, second factor, API
// tokens, password reset and throttling of failed attempts.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

// Session is a signed-in browser. Its ID is the SHA-256 of the cookie value.
type Session struct {
	ID        string
	UserID    int64
	Created   time.Time
	LastSeen  time.Time
	Expires   time.Time
	IP        string
	UserAgent string
	// MFAPending is set between the password and the second factor.
	MFAPending bool
}

// Token is a personal API token. Its Hash is the SHA-256 of the secret.
type Token struct {
	ID       int64      `json:"id"`
	UserID   int64      `json:"-"`
	Name     string     `json:"name"`
	Prefix   string     `json:"prefix"` // first characters, to recognise it
	Hash     string     `json:"-"`
	Write    bool       `json:"write"`
	Created  time.Time  `json:"created_at"`
	LastUsed *time.Time `json:"last_used_at"`
	Revoked  *time.Time `json:"revoked_at"`
}

// Credentials are a user's secrets.
type Credentials struct {
	PasswordHash string
	TOTPSecret   string
	TOTPEnabled  bool
}

// Store keeps sessions, tokens and credentials.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	Credentials(ctx context.Context, userID int64) (Credentials, error)
	SetPassword(ctx context.Context, userID int64, hash string) error
	SetTOTP(ctx context.Context, userID int64, secret string, enabled bool, recoveryHashes []string) error
	// UseRecoveryCode deletes a matching unused code; false when none matched.
	UseRecoveryCode(ctx context.Context, userID int64, hash string) (bool, error)
	SetLastLogin(ctx context.Context, userID int64, at time.Time) error

	CreateSession(ctx context.Context, s *Session) error
	Session(ctx context.Context, id string) (Session, error)
	UpdateSession(ctx context.Context, s *Session) error
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions removes every session of a user but keep ("" for none).
	DeleteUserSessions(ctx context.Context, userID int64, keep string) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) error

	CreateToken(ctx context.Context, t *Token) error
	TokenByHash(ctx context.Context, hash string) (Token, error)
	Tokens(ctx context.Context, userID int64) ([]Token, error)
	RevokeToken(ctx context.Context, userID, id int64, at time.Time) error
	TouchToken(ctx context.Context, id int64, at time.Time) error

	CreateResetToken(ctx context.Context, userID int64, hash string, expires time.Time) error
	// ConsumeResetToken deletes a valid token and returns its user.
	ConsumeResetToken(ctx context.Context, hash string, now time.Time) (int64, error)

	RecordLoginFailure(ctx context.Context, key string, at time.Time) error
	CountLoginFailures(ctx context.Context, key string, since time.Time) (int, error)
	ClearLoginFailures(ctx context.Context, key string) error
}

// Users is what auth needs of the user package.
type Users interface {
	UserByEmail(ctx context.Context, email string) (user.User, error)
	User(ctx context.Context, s tenant.Scope, id int64) (user.User, error)
}

// Mailer sends the password-reset message.
type Mailer interface {
	PasswordReset(ctx context.Context, u user.User, link string) error
}

// Journal appends to the audit journal.
type Journal interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Policy holds the tunable limits of sign-in.
type Policy struct {
	SessionIdle     time.Duration // a session unused this long ends
	SessionMax      time.Duration // a session ends this long after sign-in
	FailureWindow   time.Duration
	MaxPerAccount   int // failures per account within the window
	MaxPerAddress   int // failures per client address within the window
	ResetValidity   time.Duration
	RequireStaffMFA func(ctx context.Context) bool
}

// DefaultPolicy is the policy used unless configured otherwise.
func DefaultPolicy() Policy {
	return Policy{
		SessionIdle:   7 * 24 * time.Hour,
		SessionMax:    30 * 24 * time.Hour,
		FailureWindow: 15 * time.Minute,
		MaxPerAccount: 5,
		MaxPerAddress: 20,
		ResetValidity: time.Hour,
	}
}

// Service signs users in and out.
type Service struct {
	store   Store
	users   Users
	mailer  Mailer
	journal Journal
	policy  Policy
	now     func() time.Time
	log     *slog.Logger
}

// NewService returns a Service; now may be nil for time.Now, log nil to discard.
func NewService(store Store, users Users, mailer Mailer, journal Journal, policy Policy, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, users: users, mailer: mailer, journal: journal, policy: policy, now: now, log: log}
}

// Errors of sign-in that the UI tells apart.
var (
	ErrBadCredentials = fmt.Errorf("wrong e-mail or password: %w", fault.ErrUnauthorized)
	ErrBadCode        = fmt.Errorf("wrong code: %w", fault.ErrUnauthorized)
	ErrBadResetToken  = errors.New("this reset link is invalid or expired")
)

// secret returns a random URL-safe string and its SHA-256 hex digest.
func secret(prefix string) (plain, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	plain = prefix + base64.RawURLEncoding.EncodeToString(b)
	return plain, HashSecret(plain)
}

// HashSecret returns the stored form of a session, token or reset secret.
func HashSecret(plain string) string {
	h := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(h[:])
}

func (svc *Service) throttled(ctx context.Context, keys map[string]int) error {
	since := svc.now().Add(-svc.policy.FailureWindow)
	for key, max := range keys {
		n, err := svc.store.CountLoginFailures(ctx, key, since)
		if err != nil {
			return fmt.Errorf("count login failures: %w", err)
		}
		if n >= max {
			return fault.ErrThrottled
		}
	}
	return nil
}

// Login checks an e-mail and password from a client address. It returns the
// new session's cookie value and the session, whose MFAPending tells whether
// the second factor is still to be given.
func (svc *Service) Login(ctx context.Context, email, password, ip, userAgent string) (string, Session, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	keys := map[string]int{"acct:" + email: svc.policy.MaxPerAccount, "addr:" + ip: svc.policy.MaxPerAddress}
	if err := svc.throttled(ctx, keys); err != nil {
		return "", Session{}, err
	}
	fail := func() (string, Session, error) {
		now := svc.now()
		for key := range keys {
			if err := svc.store.RecordLoginFailure(ctx, key, now); err != nil {
				return "", Session{}, fmt.Errorf("record login failure: %w", err)
			}
		}
		svc.log.Info("sign-in failed", "ip", ip)
		return "", Session{}, ErrBadCredentials
	}
	u, err := svc.users.UserByEmail(ctx, email)
	if errors.Is(err, fault.ErrNotFound) {
		_, _ = CheckPassword(dummyHash(), password)
		return fail()
	}
	if err != nil {
		return "", Session{}, err
	}
	cred, err := svc.store.Credentials(ctx, u.ID)
	if err != nil {
		return "", Session{}, err
	}
	ok, err := CheckPassword(cred.PasswordHash, password)
	if err != nil || !ok || u.Disabled {
		return fail()
	}
	_ = svc.store.ClearLoginFailures(ctx, "acct:"+email)
	return svc.startSession(ctx, u, cred.TOTPEnabled, ip, userAgent)
}

func (svc *Service) startSession(ctx context.Context, u user.User, mfa bool, ip, userAgent string) (string, Session, error) {
	plain, hash := secret("")
	now := svc.now().UTC()
	s := Session{ID: hash, UserID: u.ID, Created: now, LastSeen: now, Expires: now.Add(svc.policy.SessionIdle), IP: ip, UserAgent: truncate(userAgent, 300), MFAPending: mfa}
	err := svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.CreateSession(ctx, &s); err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		if !mfa {
			if err := svc.store.SetLastLogin(ctx, u.ID, now); err != nil {
				return err
			}
			return svc.journal.Record(audit.WithActor(ctx, audit.Actor{UserID: u.ID, Name: u.Email, IP: ip}), audit.Entry{ClientID: u.ClientID, Action: "user.login", Object: audit.Object("user", u.ID)})
		}
		return nil
	})
	if err != nil {
		return "", Session{}, err
	}
	return plain, s, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Authenticate returns the session and user of a cookie value. An expired,
// unknown or disabled one is ErrUnauthorized.
func (svc *Service) Authenticate(ctx context.Context, cookie string) (Session, user.User, error) {
	if cookie == "" || len(cookie) > 100 {
		return Session{}, user.User{}, fault.ErrUnauthorized
	}
	s, err := svc.store.Session(ctx, HashSecret(cookie))
	if errors.Is(err, fault.ErrNotFound) {
		return Session{}, user.User{}, fault.ErrUnauthorized
	}
	if err != nil {
		return Session{}, user.User{}, err
	}
	now := svc.now().UTC()
	if now.After(s.Expires) || now.After(s.Created.Add(svc.policy.SessionMax)) {
		_ = svc.store.DeleteSession(ctx, s.ID)
		return Session{}, user.User{}, fault.ErrUnauthorized
	}
	u, err := svc.users.User(ctx, tenant.System(), s.UserID)
	if err != nil || u.Disabled {
		return Session{}, user.User{}, fault.ErrUnauthorized
	}
	// Sliding expiry, written at most once a minute.
	if now.Sub(s.LastSeen) > time.Minute {
		s.LastSeen = now
		s.Expires = now.Add(svc.policy.SessionIdle)
		if err := svc.store.UpdateSession(ctx, &s); err != nil {
			svc.log.Warn("touch session", "err", err)
		}
	}
	return s, u, nil
}

// Logout ends one session.
func (svc *Service) Logout(ctx context.Context, s Session) error {
	return svc.store.DeleteSession(ctx, s.ID)
}

// LogoutEverywhere ends every session of the user, the current one included.
func (svc *Service) LogoutEverywhere(ctx context.Context, u user.User) error {
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.DeleteUserSessions(ctx, u.ID, ""); err != nil {
			return err
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: u.ClientID, Action: "user.logout_all", Object: audit.Object("user", u.ID)})
	})
}

// MFARequired reports whether a staff user must enrol a second factor before
// doing anything else.
func (svc *Service) MFARequired(ctx context.Context, u user.User) bool {
	return u.Role.Staff() && !u.TOTPEnabled && svc.policy.RequireStaffMFA != nil && svc.policy.RequireStaffMFA(ctx)
}

// ChangePassword changes the caller's password after checking the current
// one, and ends every other session.
func (svc *Service) ChangePassword(ctx context.Context, u user.User, keepSession, current, next string) error {
	var v fault.Invalid
	v.Password("new_password", next)
	cred, err := svc.store.Credentials(ctx, u.ID)
	if err != nil {
		return err
	}
	if ok, _ := CheckPassword(cred.PasswordHash, current); !ok {
		v.Add("current_password", "wrong_password")
	}
	if err := v.Err(); err != nil {
		return err
	}
	return svc.setPassword(ctx, u, keepSession, next, "user.password_change")
}

func (svc *Service) setPassword(ctx context.Context, u user.User, keepSession, password, action string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.SetPassword(ctx, u.ID, hash); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if err := svc.store.DeleteUserSessions(ctx, u.ID, keepSession); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: u.ClientID, Action: action, Object: audit.Object("user", u.ID)})
	})
}

// RequestReset e-mails a single-use reset link when the address has an
// account. It says nothing either way, so the answer does not reveal accounts.
func (svc *Service) RequestReset(ctx context.Context, email, ip string, link func(token string) string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	// Reset requests count as failures of the address, so they cannot be used to flood a mailbox.
	key := "reset:" + ip
	if err := svc.throttled(ctx, map[string]int{key: svc.policy.MaxPerAddress, "reset:" + email: 3}); err != nil {
		return err
	}
	now := svc.now()
	_ = svc.store.RecordLoginFailure(ctx, key, now)
	_ = svc.store.RecordLoginFailure(ctx, "reset:"+email, now)
	u, err := svc.users.UserByEmail(ctx, email)
	if errors.Is(err, fault.ErrNotFound) || (err == nil && u.Disabled) {
		return nil
	}
	if err != nil {
		return err
	}
	plain, hash := secret("")
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.CreateResetToken(ctx, u.ID, hash, now.Add(svc.policy.ResetValidity).UTC()); err != nil {
			return fmt.Errorf("create reset token: %w", err)
		}
		if err := svc.journal.Record(audit.WithActor(ctx, audit.Actor{UserID: u.ID, Name: u.Email, IP: ip}), audit.Entry{ClientID: u.ClientID, Action: "user.reset_request", Object: audit.Object("user", u.ID)}); err != nil {
			return err
		}
		return svc.mailer.PasswordReset(ctx, u, link(plain))
	})
}

// Reset sets a new password with a reset token and ends every session.
func (svc *Service) Reset(ctx context.Context, token, password string) error {
	var v fault.Invalid
	v.Password("password", password)
	if err := v.Err(); err != nil {
		return err
	}
	if token == "" || len(token) > 100 {
		return ErrBadResetToken
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		id, err := svc.store.ConsumeResetToken(ctx, HashSecret(token), svc.now().UTC())
		if errors.Is(err, fault.ErrNotFound) {
			return ErrBadResetToken
		}
		if err != nil {
			return err
		}
		u, err := svc.users.User(ctx, tenant.System(), id)
		if err != nil {
			return err
		}
		return svc.setPassword(audit.WithActor(ctx, audit.Actor{UserID: u.ID, Name: u.Email, IP: audit.ActorFrom(ctx).IP}), u, "", password, "user.password_reset")
	})
}

// CreateToken makes a personal API token and returns its secret, shown once.
func (svc *Service) CreateToken(ctx context.Context, u user.User, name string, write bool) (string, Token, error) {
	var v fault.Invalid
	name = v.Text("name", name, 100, true, false)
	if err := v.Err(); err != nil {
		return "", Token{}, err
	}
	plain, hash := secret("vgt_")
	t := Token{UserID: u.ID, Name: name, Prefix: plain[:10], Hash: hash, Write: write, Created: svc.now().UTC()}
	err := svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.CreateToken(ctx, &t); err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: u.ClientID, Action: "token.create", Object: audit.Object("token", t.ID), Summary: name})
	})
	return plain, t, err
}

// Tokens lists a user's tokens, revoked ones included.
func (svc *Service) Tokens(ctx context.Context, u user.User) ([]Token, error) {
	return svc.store.Tokens(ctx, u.ID)
}

// RevokeToken revokes one of the user's tokens.
func (svc *Service) RevokeToken(ctx context.Context, u user.User, id int64) error {
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.RevokeToken(ctx, u.ID, id, svc.now().UTC()); err != nil {
			return err
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: u.ClientID, Action: "token.revoke", Object: audit.Object("token", id)})
	})
}

// AuthenticateToken returns the token and user of a bearer secret.
func (svc *Service) AuthenticateToken(ctx context.Context, bearer string) (Token, user.User, error) {
	if !strings.HasPrefix(bearer, "vgt_") || len(bearer) > 100 {
		return Token{}, user.User{}, fault.ErrUnauthorized
	}
	t, err := svc.store.TokenByHash(ctx, HashSecret(bearer))
	if errors.Is(err, fault.ErrNotFound) {
		return Token{}, user.User{}, fault.ErrUnauthorized
	}
	if err != nil {
		return Token{}, user.User{}, err
	}
	if t.Revoked != nil {
		return Token{}, user.User{}, fault.ErrUnauthorized
	}
	u, err := svc.users.User(ctx, tenant.System(), t.UserID)
	if err != nil || u.Disabled {
		return Token{}, user.User{}, fault.ErrUnauthorized
	}
	now := svc.now().UTC()
	if t.LastUsed == nil || now.Sub(*t.LastUsed) > time.Minute {
		if err := svc.store.TouchToken(ctx, t.ID, now); err != nil {
			svc.log.Warn("touch token", "err", err)
		}
		t.LastUsed = &now
	}
	return t, u, nil
}

// Prune removes expired sessions.
func (svc *Service) Prune(ctx context.Context) error {
	return svc.store.DeleteExpiredSessions(ctx, svc.now().UTC())
}
