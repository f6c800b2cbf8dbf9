package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/app"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/config"
	"github.com/vigie-hq/vigie/internal/demo"
	"github.com/vigie-hq/vigie/internal/metric"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

func TestSeed(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			cfg := config.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), DatabaseURL: testdb.URL(t, dialect), LogLevel: "warn", LogFormat: "text", SMTP: config.SMTP{Port: 25, TLS: "none"}}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			a, err := app.New(ctx, cfg, nil, app.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close(ctx)
			accounts, err := demo.Seed(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			roles := map[string]bool{}
			for _, ac := range accounts {
				u, err := a.DB.UserByEmail(ctx, ac.Email)
				if err != nil {
					t.Fatalf("%s: %v", ac.Email, err)
				}
				roles[string(u.Role)] = true
				if _, _, err := a.Auth.Login(ctx, ac.Email, ac.Password, "127.0.0.1", "test"); err != nil {
					t.Errorf("sign in as %s: %v", ac.Email, err)
				}
			}
			for _, r := range tenant.Roles {
				if !roles[string(r)] {
					t.Errorf("no demo account with role %s", r)
				}
			}
			cs, err := a.Clients.List(ctx, tenant.System(), client.Filter{})
			if err != nil || len(cs) != 3 {
				t.Fatalf("clients: %d %v", len(cs), err)
			}
			all, _, err := a.Tickets.List(ctx, tenant.System(), ticket.Filter{Limit: 200})
			if err != nil || len(all) != 75 {
				t.Fatalf("tickets: %d %v", len(all), err)
			}
			states := map[string]int{}
			for _, tk := range all {
				states[string(tk.Status)]++
				if tk.SLA.TTOBreachAt != nil || tk.SLA.TTRBreachAt != nil {
					states["breached"]++
				}
				if tk.SLA.Covered {
					states["covered"]++
				}
			}
			for _, want := range []string{"new", "in-progress", "closed", "breached"} {
				if states[want] == 0 {
					t.Errorf("no demo ticket %s: %v", want, states)
				}
			}
			if states["covered"] != 75 {
				t.Errorf("%d tickets under SLA, want all 75", states["covered"])
			}
			for _, c := range cs {
				sites, _ := a.Clients.Sites(ctx, tenant.System(), c.ID)
				contacts, _ := a.Clients.Contacts(ctx, tenant.System(), client.ContactFilter{ClientID: c.ID})
				users, _ := a.Users.List(ctx, tenant.System(), user.Filter{ClientID: c.ID})
				if len(sites) == 0 || len(contacts) == 0 || len(users) != 2 {
					t.Errorf("client %s: %d sites, %d contacts, %d users", c.Code, len(sites), len(contacts), len(users))
				}
			}
			checkFleet(t, a)
			checkSimulation(t, a)
		})
	}
}

// checkFleet: every client has a fleet; the agents' machines have vitals,
// a change history and months of metrics; the low-disk filter finds one.
func checkFleet(t *testing.T, a *app.App) {
	t.Helper()
	ctx, s := context.Background(), tenant.System()
	all, err := a.Assets.List(ctx, s, asset.Filter{Limit: 100})
	if err != nil || len(all) < 16 {
		t.Fatalf("assets: %d, %v", len(all), err)
	}
	low, err := a.Assets.List(ctx, s, asset.Filter{LowDisk: true, Limit: 100})
	if err != nil || len(low) == 0 {
		t.Errorf("low-disk assets: %d, %v", len(low), err)
	}
	var srv asset.Asset
	for _, as := range all {
		if as.Name == "srv-lyon-01" {
			srv = as
		}
	}
	if srv.ID == 0 || srv.Agent == nil || srv.Vitals == nil || srv.OS != "linux" || srv.ParentID == nil {
		t.Fatalf("srv-lyon-01 = %+v", srv)
	}
	changes, err := a.Assets.Changes(ctx, s, asset.ChangeFilter{AssetID: srv.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]bool{}
	for _, c := range changes {
		fields[c.Field] = true
	}
	if len(changes) < 3 || !fields["memory"] {
		t.Errorf("changes of srv-lyon-01: %+v", changes)
	}
	now := time.Now()
	res, err := a.Metrics.Query(ctx, s, metric.Query{AssetID: srv.ID, Name: agentproto.MetricCPU, From: now.AddDate(0, 0, -30), To: now})
	if err != nil || len(res) != 1 || len(res[0].Points) < 30*20 {
		n := 0
		if len(res) == 1 {
			n = len(res[0].Points)
		}
		t.Errorf("30 days of CPU: %d results, %d points, %v", len(res), n, err)
	}
}

// checkSimulation: the simulated machines keep reporting, exactly once per
// tick, so they stay online with fresh samples.
func checkSimulation(t *testing.T, a *app.App) {
	t.Helper()
	ctx, s := context.Background(), tenant.System()
	list, err := a.Assets.List(ctx, s, asset.Filter{Query: "srv-lyon-01", Kind: asset.KindServer, Limit: 1})
	if err != nil || len(list) != 1 || list[0].Agent == nil {
		t.Fatalf("srv-lyon-01: %+v, %v", list, err)
	}
	before := list[0].Agent.LastSeq
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { demo.Simulate(sctx, a, 20*time.Millisecond, nil); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ag, err := a.Assets.Agent(ctx, s, list[0].Agent.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ag.LastSeq >= before+3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("simulated agent at seq %d after 10 s, started at %d", ag.LastSeq, before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
}
