package auth

import (
	"context"

	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

// Principal is the signed-in caller of a request: a browser session or an API token.
type Principal struct {
	User    user.User
	Session *Session // nil for API calls
	Token   *Token   // nil for browser calls
}

// Scope returns the tenant scope of the caller; a read-only token cannot write.
func (p Principal) Scope() tenant.Scope {
	s := p.User.Scope()
	if p.Token != nil && !p.Token.Write {
		s.ReadOnly = true
	}
	return s
}

type principalKey struct{}

// WithPrincipal returns a context carrying the caller.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller of the request, if signed in.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// SessionCookie is the name of the browser session cookie.
const SessionCookie = "vigie_session"
