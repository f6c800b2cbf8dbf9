package app_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/app"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/config"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/user"
)

// TestShutdownEndsBoardStreams proves that an open supervision board does
// not hold the server's shutdown: its event stream ends at once, where the
// server would otherwise wait its whole 10 s grace for it.
func TestShutdownEndsBoardStreams(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	cfg := config.Config{Listen: ln.Addr().String(), DataDir: t.TempDir(), DatabaseURL: testdb.URL(t, "sqlite"), LogLevel: "warn", LogFormat: "text", SMTP: config.SMTP{Port: 587, TLS: "starttls"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, nil, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	u := user.User{Email: "a@x.example", Name: "a", Role: tenant.RoleAdmin}
	if err := a.Users.Create(audit.WithActor(context.Background(), audit.Actor{Name: "t"}), tenant.System(), &u, "correct-horse-battery"); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := "http://" + ln.Addr().String()
	res, err := c.PostForm(base+"/login", url.Values{"email": {u.Email}, "password": {"correct-horse-battery"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	res, err = c.Get(base + "/supervision/stream")
	if err != nil || res.StatusCode != 200 {
		t.Fatal(err, res.StatusCode)
	}
	defer res.Body.Close()
	ended := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, res.Body)
		close(ended)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the server still shuts down 5 s later: the board's stream holds it")
	}
	select {
	case <-ended:
	case <-time.After(time.Second):
		t.Fatal("the stream is still open after the shutdown")
	}
}
