package app

import (
	"context"

	"github.com/vigie-hq/vigie/internal/user"
)

// TEMPORARY until internal/mail lands: logs instead of sending.
type logMailer struct{ a *App }

func (m logMailer) PasswordReset(ctx context.Context, u user.User, link string) error {
	m.a.Log.Info("password reset mail (not sent: mail not wired yet)", "user", u.ID)
	return nil
}

func (a *App) buildMail(ctx context.Context) (logMailer, error) { return logMailer{a}, nil }
