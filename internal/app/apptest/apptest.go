// Package apptest starts a real Vigie server for tests: real database (SQLite
// or PostgreSQL), real HTTP on 127.0.0.1, and fixtures of every role.
package apptest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/app"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/config"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/user"
)

// Password is the password of every fixture user.
const Password = "correct-horse-battery"

// Server is a running Vigie for one test.
type Server struct {
	URL string
	App *app.App
	t   testing.TB
}

// New starts a server on a fresh database of the dialect ("sqlite" or
// "postgres") and stops it at the end of the test.
func New(t testing.TB, dialect string) *Server {
	t.Helper()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{
		Listen: ln.Addr().String(), DataDir: dir, DatabaseURL: testdb.URL(t, dialect),
		LogLevel: "warn", LogFormat: "text", SMTP: config.SMTP{Port: 587, TLS: "starttls"},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, nil, app.Options{})
	if err != nil {
		cancel()
		t.Fatalf("start app: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("server did not stop within 15 s")
		}
	})
	return &Server{URL: "http://" + ln.Addr().String(), App: a, t: t}
}

// Ctx is a context for fixtures, journaled as "test".
func (s *Server) Ctx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Name: "test"})
}

// Client creates a client with the given code.
func (s *Server) Client(code string) client.Client {
	s.t.Helper()
	c := client.Client{Code: code, Name: "Client " + code}
	if err := s.App.Clients.Create(s.Ctx(), tenant.System(), &c); err != nil {
		s.t.Fatalf("create client %s: %v", code, err)
	}
	return c
}

// User creates a user with Password. For client roles clientID is the
// client; for staff it limits them to those clients (none: all).
func (s *Server) User(email string, role tenant.Role, clientIDs ...int64) user.User {
	s.t.Helper()
	u := user.User{Email: email, Name: strings.Split(email, "@")[0], Role: role}
	if role.Staff() {
		u.Clients = clientIDs
	} else {
		u.ClientID = &clientIDs[0]
	}
	if err := s.App.Users.Create(s.Ctx(), tenant.System(), &u, Password); err != nil {
		s.t.Fatalf("create user %s: %v", email, err)
	}
	return u
}

// Token creates an API token for u and returns its secret.
func (s *Server) Token(u user.User, write bool) string {
	s.t.Helper()
	plain, _, err := s.App.Auth.CreateToken(s.Ctx(), u, "test", write)
	if err != nil {
		s.t.Fatalf("create token: %v", err)
	}
	return plain
}

// Browser returns an HTTP client with a cookie jar that does not follow
// redirects, so tests see them.
func (s *Server) Browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Login signs u in through the real sign-in form and returns the browser.
func (s *Server) Login(email string) *http.Client {
	s.t.Helper()
	b := s.Browser()
	res, err := b.PostForm(s.URL+"/login", url.Values{"email": {email}, "password": {Password}})
	if err != nil {
		s.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("login %s: status %d", email, res.StatusCode)
	}
	u, _ := url.Parse(s.URL)
	for _, c := range b.Jar.Cookies(u) {
		if c.Name == auth.SessionCookie {
			return b
		}
	}
	s.t.Fatalf("login %s: no session cookie", email)
	return nil
}

// String is a helper for messages.
func (s *Server) String() string { return fmt.Sprintf("vigie at %s", s.URL) }
