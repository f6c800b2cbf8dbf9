package asset_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/metric"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/user"
)

var sys = tenant.System()

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a fleet service on a real database with two clients, A and B.
type env struct {
	db           *store.DB
	svc          *asset.Service
	clock        *clock
	A, B         client.Client
	siteA, siteB client.Site
	contA, contB client.Contact
	// Scopes.
	adminA   tenant.Scope // client admin of A
	userA    tenant.Scope // client user of A
	techA    tenant.Scope // technician limited to A
	manager  tenant.Scope
	dialects string
}

const serverAgentVersion = "1.4.0"

func newEnv(t *testing.T, dialect string) *env { return newEnvTB(t, dialect) }

func newBenchEnv(b *testing.B) *env { return newEnvTB(b, "sqlite") }

func newEnvTB(t testing.TB, dialect string) *env {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.URL(t, dialect), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, clock: &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}, dialects: dialect}
	journal := audit.NewJournal(db, e.clock.Now)
	metrics := metric.NewService(db, e.clock.Now, nil)
	e.svc = asset.NewService(db, journal, metrics, asset.Options{Now: e.clock.Now, AgentVersion: serverAgentVersion})
	cs := client.NewService(db, journal, e.clock.Now)
	mk := func(code string) (client.Client, client.Site, client.Contact) {
		c := client.Client{Code: code, Name: "Client " + code}
		must(t, cs.Create(ctx, sys, &c))
		st := client.Site{ClientID: c.ID, Name: "HQ " + code}
		must(t, cs.CreateSite(ctx, sys, &st))
		ct := client.Contact{ClientID: c.ID, LastName: "Owner " + code, Email: "owner@" + code + ".example"}
		must(t, cs.CreateContact(ctx, sys, &ct))
		return c, st, ct
	}
	e.A, e.siteA, e.contA = mk("alpha")
	e.B, e.siteB, e.contB = mk("bravo")
	mkUser := func(email string, role tenant.Role, clients ...int64) tenant.Scope {
		u := user.User{Email: email, Name: email, Role: role, Language: "fr"}
		if role.Staff() {
			u.Clients = clients
		} else {
			u.ClientID = &clients[0]
		}
		must(t, db.CreateUser(ctx, &u, "$argon2id$fake"))
		return u.Scope()
	}
	e.adminA = mkUser("boss@alpha.example", tenant.RoleClientAdmin, e.A.ID)
	e.userA = mkUser("staff@alpha.example", tenant.RoleClientUser, e.A.ID)
	e.techA = mkUser("tech@msp.example", tenant.RoleTechnician, e.A.ID)
	e.manager = mkUser("manager@msp.example", tenant.RoleManager)
	return e
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func forDialects(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) {
			fn(t, newEnv(t, d))
		})
	}
}

// enroll makes a token for the client and enrolls a machine with it.
func (e *env) enroll(t testing.TB, clientID int64, host, machine string) (asset.Agent, string) {
	t.Helper()
	ctx := context.Background()
	tok := asset.EnrollToken{ClientID: clientID, Name: "token " + host}
	secret, err := e.svc.CreateEnrollToken(ctx, sys, &tok)
	must(t, err)
	resp, err := e.svc.Enroll(ctx, enrollReq(secret, host, machine))
	must(t, err)
	ag, err := e.svc.AuthenticateAgent(ctx, resp.Secret)
	must(t, err)
	return ag, resp.Secret
}

func wantKind(t testing.TB, what string, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: err = %v, want %v", what, err, kind)
	}
}

func wantInvalid(t testing.TB, what string, err error, field, code string) {
	t.Helper()
	v, ok := fault.AsInvalid(err)
	if !ok {
		t.Errorf("%s: err = %v, want a validation error on %s", what, err, field)
		return
	}
	for _, f := range v.Fields {
		if f.Field == field && (code == "" || f.Code == code) {
			return
		}
	}
	t.Errorf("%s: err = %v, want %s on %s", what, err, code, field)
}
