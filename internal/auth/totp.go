package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

// Enrolment is a second factor being set up: the secret is kept by the
// caller (in the form) until a first code confirms it.
type Enrolment struct {
	Secret string
	URL    string // otpauth:// URL
	QRPNG  []byte
}

// BeginTOTP creates a new TOTP secret for a user, with its QR code.
func (svc *Service) BeginTOTP(u user.User, issuer string) (Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: u.Email, Rand: rand.Reader})
	if err != nil {
		return Enrolment{}, fmt.Errorf("generate totp: %w", err)
	}
	img, err := key.Image(220, 220)
	if err != nil {
		return Enrolment{}, fmt.Errorf("totp qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL(), QRPNG: buf.Bytes()}, nil
}

func (svc *Service) validCode(secret, code string) bool {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	ok, _ := totp.ValidateCustom(code, secret, svc.now().UTC(), totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	return ok
}

// ConfirmTOTP enables the second factor when code matches secret, and
// returns ten single-use recovery codes, shown once.
func (svc *Service) ConfirmTOTP(ctx context.Context, u user.User, secret, code string) ([]string, error) {
	if secret == "" || len(secret) > 64 || !svc.validCode(secret, code) {
		v := &fault.Invalid{}
		v.Add("code", "wrong_code")
		return nil, v
	}
	codes := make([]string, 10)
	hashes := make([]string, 10)
	for i := range codes {
		b := make([]byte, 5)
		_, _ = rand.Read(b)
		c := fmt.Sprintf("%x", b)
		codes[i] = c[:5] + "-" + c[5:]
		hashes[i] = HashSecret(codes[i])
	}
	err := svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.SetTOTP(ctx, u.ID, secret, true, hashes); err != nil {
			return fmt.Errorf("enable totp: %w", err)
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: u.ClientID, Action: "user.totp_enable", Object: audit.Object("user", u.ID)})
	})
	return codes, err
}

// DisableTOTP turns the second factor off after checking the password.
func (svc *Service) DisableTOTP(ctx context.Context, u user.User, password string) error {
	cred, err := svc.store.Credentials(ctx, u.ID)
	if err != nil {
		return err
	}
	if ok, _ := CheckPassword(cred.PasswordHash, password); !ok {
		v := &fault.Invalid{}
		v.Add("password", "wrong_password")
		return v
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.SetTOTP(ctx, u.ID, "", false, nil); err != nil {
			return err
		}
		return svc.journal.Record(ctx, audit.Entry{ClientID: u.ClientID, Action: "user.totp_disable", Object: audit.Object("user", u.ID)})
	})
}

// VerifySecondFactor completes a sign-in with a TOTP code or a recovery code.
func (svc *Service) VerifySecondFactor(ctx context.Context, s Session, code string) (Session, error) {
	if !s.MFAPending {
		return s, nil
	}
	key := fmt.Sprintf("mfa:%d", s.UserID)
	if err := svc.throttled(ctx, map[string]int{key: svc.policy.MaxPerAccount}); err != nil {
		return s, err
	}
	cred, err := svc.store.Credentials(ctx, s.UserID)
	if err != nil {
		return s, err
	}
	code = strings.TrimSpace(code)
	ok := cred.TOTPEnabled && svc.validCode(cred.TOTPSecret, code)
	recovery := false
	if !ok && len(code) == 11 {
		ok, err = svc.store.UseRecoveryCode(ctx, s.UserID, HashSecret(strings.ToLower(code)))
		if err != nil {
			return s, err
		}
		recovery = ok
	}
	if !ok {
		_ = svc.store.RecordLoginFailure(ctx, key, svc.now())
		return s, ErrBadCode
	}
	_ = svc.store.ClearLoginFailures(ctx, key)
	s.MFAPending = false
	now := svc.now().UTC()
	s.LastSeen = now
	err = svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.UpdateSession(ctx, &s); err != nil {
			return err
		}
		if err := svc.store.SetLastLogin(ctx, s.UserID, now); err != nil {
			return err
		}
		summary := "totp"
		if recovery {
			summary = "recovery code"
		}
		u, err := svc.users.User(ctx, tenant.System(), s.UserID)
		if err != nil {
			return err
		}
		ctx = audit.WithActor(ctx, audit.Actor{UserID: u.ID, Name: u.Email, IP: s.IP})
		return svc.journal.Record(ctx, audit.Entry{ClientID: u.ClientID, Action: "user.login", Object: audit.Object("user", s.UserID), Summary: summary})
	})
	return s, err
}

// CodeAt returns the TOTP code of a secret at a moment; tests and the demo use it.
func CodeAt(secret string, t time.Time) (string, error) {
	return totp.GenerateCode(secret, t)
}
