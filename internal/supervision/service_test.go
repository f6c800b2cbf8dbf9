package supervision_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/supervision"
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

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// fakeEngine records what the service asks of the engine.
type fakeEngine struct {
	mu         sync.Mutex
	reloads    []int64
	contexts   int
	results    []supervision.Result
	acks       []string
	runs       []int64
	heartbeats []int64
	ackErr     error
}

func (f *fakeEngine) Reload(ctx context.Context, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reloads = append(f.reloads, id)
	return nil
}

func (f *fakeEngine) ReloadContext(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.contexts++
	return nil
}

func (f *fakeEngine) Submit(ctx context.Context, r supervision.Result) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.results = append(f.results, r)
	return nil
}

func (f *fakeEngine) Acknowledge(ctx context.Context, id int64, by, comment string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ackErr != nil {
		return f.ackErr
	}
	f.acks = append(f.acks, fmt.Sprintf("%d %s: %s", id, by, comment))
	return nil
}

func (f *fakeEngine) RunNow(id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runs = append(f.runs, id)
	return nil
}

func (f *fakeEngine) Heartbeat(assetID int64, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.heartbeats = append(f.heartbeats, assetID)
}

func (f *fakeEngine) submitted() []supervision.Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.results)
}

// env is the supervision service on a real database with two clients, A and
// B, each with a server with an agent and a backup job entered by hand.
type env struct {
	db      *store.DB
	svc     *supervision.Service
	eng     *fakeEngine
	clock   *clock
	assets  *asset.Service
	A, B    client.Client
	siteA   client.Site
	srvA    int64 // server with an agent, linux
	srvB    int64
	jobA    int64 // backup job asset of A, no agent
	manualA int64 // server of A entered by hand, no agent
	// Scopes.
	manager tenant.Scope
	techB   tenant.Scope // technician limited to B
	adminA  tenant.Scope // client admin of A
	userB   tenant.Scope // client user of B
}

func newEnv(t testing.TB, dialect string) *env {
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
	e := &env{db: db, clock: &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}, eng: &fakeEngine{}}
	journal := audit.NewJournal(db, e.clock.Now)
	e.svc = supervision.NewService(db.Supervision(), journal, e.clock.Now, nil)
	e.svc.SetLive(e.eng)
	e.assets = asset.NewService(db, journal, nil, asset.Options{Now: e.clock.Now, AgentVersion: "1.0.0"})
	cs := client.NewService(db, journal, e.clock.Now)
	mk := func(code string) client.Client {
		c := client.Client{Code: code, Name: "Client " + code}
		must(t, cs.Create(ctx, sys, &c))
		return c
	}
	e.A, e.B = mk("alpha"), mk("bravo")
	e.siteA = client.Site{ClientID: e.A.ID, Name: "HQ"}
	must(t, cs.CreateSite(ctx, sys, &e.siteA))
	e.srvA = e.enroll(t, e.A.ID, "srv-a")
	e.srvB = e.enroll(t, e.B.ID, "srv-b")
	e.jobA = e.manual(t, e.A.ID, asset.KindBackup, "Veeam nightly")
	e.manualA = e.manual(t, e.A.ID, asset.KindServer, "old-server")
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
	e.manager = mkUser("manager@msp.example", tenant.RoleManager)
	e.techB = mkUser("tech@msp.example", tenant.RoleTechnician, e.B.ID)
	e.adminA = mkUser("boss@alpha.example", tenant.RoleClientAdmin, e.A.ID)
	e.userB = mkUser("staff@bravo.example", tenant.RoleClientUser, e.B.ID)
	return e
}

// enroll makes a linux server with an agent and returns its asset id.
func (e *env) enroll(t testing.TB, clientID int64, host string) int64 {
	t.Helper()
	ctx := context.Background()
	tok := asset.EnrollToken{ClientID: clientID, Name: "token " + host}
	secret, err := e.assets.CreateEnrollToken(ctx, sys, &tok)
	must(t, err)
	resp, err := e.assets.Enroll(ctx, agentproto.EnrollRequest{Token: secret, Hostname: host, OS: "linux", Arch: "amd64", AgentVersion: "1.0.0", MachineID: "machine-" + host})
	must(t, err)
	return resp.AssetID
}

func (e *env) manual(t testing.TB, clientID int64, kind asset.Kind, name string) int64 {
	t.Helper()
	a := asset.Asset{ClientID: clientID, Kind: kind, Name: name}
	must(t, e.assets.Create(context.Background(), sys, &a))
	return a.ID
}

func newBenchEnv(b *testing.B) *env { return newEnv(b, "sqlite") }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func forDialects(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) { fn(t, newEnv(t, d)) })
	}
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
		t.Errorf("%s: err = %v, want %s on %s", what, err, code, field)
		return
	}
	for _, f := range v.Fields {
		if f.Field == field && f.Code == code {
			return
		}
	}
	t.Errorf("%s: err = %v, want %s on %s", what, err, code, field)
}

func cpuCheck(assetID int64) supervision.Check {
	return supervision.Check{AssetID: assetID, Enabled: true, Rules: supervision.Rules{Kind: supervision.KindCPU, Params: supervision.Params{Warning: 80, Critical: 95, For: 5}}}
}

// journal returns the actions journaled about an object.
func (e *env) journal(t *testing.T, object string) []string {
	t.Helper()
	entries, err := e.db.AuditEntries(context.Background(), sys, audit.Filter{Limit: 500})
	must(t, err)
	var out []string
	for _, en := range entries {
		if en.Object == object {
			out = append(out, en.Action)
		}
	}
	return out
}

func TestAssetKindsMatchFleet(t *testing.T) {
	var fleet []string
	for _, k := range asset.Kinds {
		fleet = append(fleet, string(k))
	}
	if !slices.Equal(fleet, supervision.AssetKinds) {
		t.Errorf("templates match %v, the fleet has %v", supervision.AssetKinds, fleet)
	}
}

func TestCreateCheck(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cpuCheck(e.srvA)
		must(t, e.svc.CreateCheck(ctx, e.manager, &c))
		if c.ID == 0 || c.ClientID != e.A.ID || c.Name != "CPU" || c.Interval != 60 || c.Severity != supervision.SeverityMajor {
			t.Errorf("created %+v", c)
		}
		got, err := e.svc.Check(ctx, e.adminA, c.ID)
		must(t, err)
		if got.Params.Warning != 80 || got.Params.For != 5 || !got.Enabled {
			t.Errorf("read back %+v", got)
		}
		if !slices.Contains(e.eng.reloads, c.ID) {
			t.Errorf("engine not told of check %d: %v", c.ID, e.eng.reloads)
		}
		if j := e.journal(t, audit.Object("check", c.ID)); !slices.Equal(j, []string{"check.create"}) {
			t.Errorf("journal %v", j)
		}
		specs, version, err := e.svc.AgentChecks(ctx, e.srvA)
		must(t, err)
		if len(specs) != 1 || specs[0].ID != c.ID || specs[0].Kind != "cpu" || specs[0].Interval != 60 || specs[0].Params.Critical != 95 || version == 0 {
			t.Errorf("agent checks %+v version %d", specs, version)
		}

		bad := cpuCheck(e.srvA)
		err = e.svc.CreateCheck(ctx, e.adminA, &bad)
		wantKind(t, "client admin defines a check", err, fault.ErrForbidden)
		err = e.svc.CreateCheck(ctx, e.techB, &bad)
		wantKind(t, "technician of B on A's asset", err, fault.ErrNotFound)
		bad = cpuCheck(e.srvA)
		bad.ClientID = e.B.ID
		wantInvalid(t, "another client", e.svc.CreateCheck(ctx, e.manager, &bad), "client_id", "invalid_choice")
		bad = cpuCheck(e.manualA)
		wantInvalid(t, "local check without agent", e.svc.CreateCheck(ctx, e.manager, &bad), "asset_id", "no_agent")
		bad = cpuCheck(e.srvA)
		bad.Params.Critical = 70
		wantInvalid(t, "critical below warning", e.svc.CreateCheck(ctx, e.manager, &bad), "params.critical", "below_warning")

		probe := func(runner int64) supervision.Check {
			return supervision.Check{AssetID: e.manualA, Enabled: true, RunnerAssetID: &runner,
				Rules: supervision.Rules{Kind: supervision.KindHTTP, Params: supervision.Params{URL: "http://10.0.0.9/"}}}
		}
		bad = probe(e.srvB)
		wantInvalid(t, "runner of another client", e.svc.CreateCheck(ctx, e.manager, &bad), "runner_asset_id", "invalid_choice")
		bad = probe(e.jobA)
		wantInvalid(t, "runner without agent", e.svc.CreateCheck(ctx, e.manager, &bad), "runner_asset_id", "no_agent")
		lan := probe(e.srvA)
		must(t, e.svc.CreateCheck(ctx, e.manager, &lan))
		specs, _, err = e.svc.AgentChecks(ctx, e.srvA)
		must(t, err)
		if len(specs) != 2 || specs[1].ID != lan.ID || specs[1].Params.URL != "http://10.0.0.9/" {
			t.Errorf("the runner's agent does not run the LAN probe: %+v", specs)
		}
		bad = supervision.Check{AssetID: e.manualA, Rules: supervision.Rules{Kind: supervision.KindHTTP, Params: supervision.Params{URL: "http://x/", BodyRegexp: "(("}}}
		wantInvalid(t, "bad regexp", e.svc.CreateCheck(ctx, e.manager, &bad), "params.body_regexp", "invalid_regexp")

		list, err := e.svc.Checks(ctx, e.userB, supervision.CheckFilter{})
		must(t, err)
		if len(list) != 0 {
			t.Errorf("client user of B sees %d checks of A", len(list))
		}
		_, err = e.svc.Checks(ctx, e.userB, supervision.CheckFilter{ClientID: e.A.ID})
		wantKind(t, "client user of B lists A's checks", err, fault.ErrNotFound)
	})
}

func TestCheckTenancy(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cpuCheck(e.srvA)
		must(t, e.svc.CreateCheck(ctx, e.manager, &c))
		from, to := e.clock.Now().Add(-time.Hour), e.clock.Now()
		for _, s := range []struct {
			name  string
			scope tenant.Scope
		}{{"client user of B", e.userB}, {"technician of B", e.techB}} {
			calls := map[string]error{}
			_, calls["Check"] = e.svc.Check(ctx, s.scope, c.ID)
			_, calls["Status"] = e.svc.Status(ctx, s.scope, c.ID)
			_, calls["Availability"] = e.svc.Availability(ctx, s.scope, c.ID, from, to)
			_, calls["AssetAvailability"] = e.svc.AssetAvailability(ctx, s.scope, e.srvA, from, to)
			_, calls["BackupRuns"] = e.svc.BackupRuns(ctx, s.scope, c.ID)
			_, calls["RestoreTests"] = e.svc.RestoreTests(ctx, s.scope, e.jobA)
			if s.scope.Staff() {
				upd := cpuCheck(e.srvA)
				upd.ID = c.ID
				calls["UpdateCheck"] = e.svc.UpdateCheck(ctx, s.scope, &upd)
				calls["DeleteCheck"] = e.svc.DeleteCheck(ctx, s.scope, c.ID)
				calls["Acknowledge"] = e.svc.Acknowledge(ctx, s.scope, c.ID, "seen")
				calls["RunNow"] = e.svc.RunNow(ctx, s.scope, c.ID)
				calls["SetTags"] = e.svc.SetTags(ctx, s.scope, e.srvA, []string{"web"})
				rt := supervision.RestoreTest{AssetID: e.jobA, TestedAt: from, Scope: "all", Result: supervision.RestoreOK}
				calls["AddRestoreTest"] = e.svc.AddRestoreTest(ctx, s.scope, &rt)
			}
			for name, err := range calls {
				wantKind(t, s.name+" "+name, err, fault.ErrNotFound)
			}
			evs, err := e.svc.Events(ctx, s.scope, supervision.EventFilter{CheckID: c.ID})
			must(t, err)
			if len(evs) != 0 {
				t.Errorf("%s sees events of A", s.name)
			}
		}
		// Client users read but never change.
		upd := cpuCheck(e.srvA)
		upd.ID = c.ID
		wantKind(t, "client admin updates", e.svc.UpdateCheck(ctx, e.adminA, &upd), fault.ErrForbidden)
		wantKind(t, "client admin deletes", e.svc.DeleteCheck(ctx, e.adminA, c.ID), fault.ErrForbidden)
		wantKind(t, "client admin acknowledges", e.svc.Acknowledge(ctx, e.adminA, c.ID, "x"), fault.ErrForbidden)
		if got, err := e.svc.Check(ctx, e.adminA, c.ID); err != nil || got.ID != c.ID {
			t.Errorf("client admin of A reads its check: %v", err)
		}
	})
}

func TestUpdateAndDeleteCheck(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cpuCheck(e.srvA)
		must(t, e.svc.CreateCheck(ctx, e.manager, &c))
		upd := c
		upd.Name, upd.Params.Warning, upd.ClientID, upd.AssetID = "Processor", 70, e.B.ID, e.srvB
		must(t, e.svc.UpdateCheck(ctx, e.manager, &upd))
		got, err := e.svc.Check(ctx, e.manager, c.ID)
		must(t, err)
		if got.Name != "Processor" || got.Params.Warning != 70 || got.ClientID != e.A.ID || got.AssetID != e.srvA {
			t.Errorf("after update %+v", got)
		}
		bad := got
		bad.Interval = 3
		wantInvalid(t, "bad interval", e.svc.UpdateCheck(ctx, e.manager, &bad), "interval", "too_small")
		if again, _ := e.svc.Check(ctx, e.manager, c.ID); again.Interval != 60 {
			t.Errorf("a refused update changed the interval to %d", again.Interval)
		}
		must(t, e.svc.DeleteCheck(ctx, e.manager, c.ID))
		_, err = e.svc.Check(ctx, e.manager, c.ID)
		wantKind(t, "deleted check", err, fault.ErrNotFound)
		if j := e.journal(t, audit.Object("check", c.ID)); !slices.Equal(j, []string{"check.delete", "check.update", "check.create"}) {
			t.Errorf("journal %v", j)
		}
	})
}

var tokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{24}$`)

func TestBackupPush(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		bad := supervision.Check{AssetID: e.jobA, Rules: supervision.Rules{Kind: supervision.KindBackupPush, Params: supervision.Params{Schedule: "0 25 * * *"}}}
		wantInvalid(t, "invalid cron", e.svc.CreateCheck(ctx, e.manager, &bad), "params.schedule", "invalid_cron")

		c := supervision.Check{AssetID: e.jobA, Enabled: true, Rules: supervision.Rules{Kind: supervision.KindBackupPush, Params: supervision.Params{Schedule: "0 2 * * *", GraceMinutes: 60}}}
		must(t, e.svc.CreateCheck(ctx, e.manager, &c))
		if !tokenRE.MatchString(c.PushToken) {
			t.Fatalf("push token %q", c.PushToken)
		}
		if got, _ := e.svc.Check(ctx, e.adminA, c.ID); got.PushToken != "" {
			t.Error("a client user reads the push token")
		}
		if got, _ := e.svc.Check(ctx, e.manager, c.ID); got.PushToken != c.PushToken {
			t.Error("staff do not read the push token")
		}
		// Updating keeps the token.
		upd := c
		upd.PushToken = "chosen-by-the-caller"
		upd.Params.GraceMinutes = 90
		must(t, e.svc.UpdateCheck(ctx, e.manager, &upd))
		if upd.PushToken != c.PushToken {
			t.Errorf("update changed the token to %q", upd.PushToken)
		}

		e.clock.Set(time.Date(2026, 3, 3, 2, 14, 0, 0, time.UTC))
		must(t, e.svc.Push(ctx, c.PushToken, supervision.PushInput{OK: true, Seconds: 720, Bytes: 4_200_000_000, Message: "42 VMs"}))
		must(t, e.svc.Push(ctx, c.PushToken, supervision.PushInput{OK: false, Message: "disk full"}))
		wantKind(t, "unknown token", e.svc.Push(ctx, "nope", supervision.PushInput{OK: true}), fault.ErrNotFound)
		wantInvalid(t, "negative size", e.svc.Push(ctx, c.PushToken, supervision.PushInput{Bytes: -1}), "size", "negative")

		res := e.eng.submitted()
		if len(res) != 2 {
			t.Fatalf("submitted %+v", res)
		}
		if res[0].CheckID != c.ID || res[0].State != check.OK || res[0].Output != "backup succeeded in 12 min, 4.2 GB: 42 VMs" || !res[0].At.Equal(e.clock.Now()) {
			t.Errorf("success submitted as %+v", res[0])
		}
		if res[1].State != check.Critical || res[1].Output != "backup failed: disk full" {
			t.Errorf("failure submitted as %+v", res[1])
		}
		runs, err := e.svc.BackupRuns(ctx, e.adminA, c.ID)
		must(t, err)
		if len(runs) != 2 || runs[0].Source != "push" || runs[0].AssetID != e.jobA {
			t.Fatalf("runs %+v", runs)
		}
		var ok supervision.BackupRun
		for _, r := range runs {
			if r.OK {
				ok = r
			}
		}
		if ok.Seconds != 720 || ok.Bytes != 4_200_000_000 || ok.Message != "42 VMs" {
			t.Errorf("successful run %+v", ok)
		}
		sums, err := e.svc.LastBackups(ctx, e.adminA, 0)
		must(t, err)
		if len(sums) != 1 || sums[0].AssetID != e.jobA || sums[0].LastSuccess == nil || sums[0].LastSuccess.ID != ok.ID {
			t.Errorf("last backups %+v", sums)
		}
		_, err = e.svc.LastBackups(ctx, e.userB, e.A.ID)
		wantKind(t, "client user of B reads A's backups", err, fault.ErrNotFound)

		// Switching kind drops the token.
		other := upd
		other.Rules = supervision.Rules{Kind: supervision.KindFileAge, Params: supervision.Params{Path: "/srv/backups", MaxAgeHours: 26}}
		wantInvalid(t, "file age on an asset without agent", e.svc.UpdateCheck(ctx, e.manager, &other), "asset_id", "no_agent")
	})
}

func TestIngestAgent(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		mine := cpuCheck(e.srvA)
		must(t, e.svc.CreateCheck(ctx, e.manager, &mine))
		foreign := cpuCheck(e.srvB)
		must(t, e.svc.CreateCheck(ctx, e.manager, &foreign))
		server := supervision.Check{AssetID: e.manualA, Enabled: true, Rules: supervision.Rules{Kind: supervision.KindTCP, Params: supervision.Params{Host: "10.0.0.2", Port: 22}}}
		must(t, e.svc.CreateCheck(ctx, e.manager, &server))
		runner := e.srvA
		job := supervision.Check{AssetID: e.jobA, Enabled: true, RunnerAssetID: &runner, Rules: supervision.Rules{Kind: supervision.KindBackupJob, Params: supervision.Params{Name: "nightly"}}}
		must(t, e.svc.CreateCheck(ctx, e.manager, &job))
		ownJob := supervision.Check{AssetID: e.srvB, Enabled: true, Rules: supervision.Rules{Kind: supervision.KindBackupJob, Params: supervision.Params{Name: "nightly"}}}
		must(t, e.svc.CreateCheck(ctx, e.manager, &ownJob))
		if ownJob.RunnerAssetID == nil || *ownJob.RunnerAssetID != e.srvB {
			t.Errorf("a backup job on an asset with an agent runs there: runner %v", ownJob.RunnerAssetID)
		}

		now := e.clock.Now()
		start := now.Add(-3 * time.Minute)
		err := e.svc.IngestAgent(ctx, e.srvA, []agentproto.CheckResult{
			{CheckID: mine.ID, At: now.Add(-time.Second), State: 1, Output: "CPU 85% over 5 min\nmore"},
			{CheckID: foreign.ID, At: now, State: 2, Output: "not yours"},
			{CheckID: server.ID, At: now, State: 2, Output: "not an agent check"},
			{CheckID: mine.ID, At: now.Add(time.Hour), State: 7, Output: "odd"},
		}, []agentproto.JobRun{
			{Name: "nightly", Start: start, End: now, ExitCode: 2, Output: "copying\nrsync error: some files vanished\n"},
			{Name: "weekly", Start: start, End: now, ExitCode: 0},
		})
		must(t, err)
		res := e.eng.submitted()
		var ids []int64
		for _, r := range res {
			ids = append(ids, r.CheckID)
		}
		if !slices.Equal(ids, []int64{mine.ID, mine.ID, job.ID}) {
			t.Fatalf("submitted results of checks %v, want %v", ids, []int64{mine.ID, mine.ID, job.ID})
		}
		if res[0].State != check.Warning || res[0].Output != "CPU 85% over 5 min more" {
			t.Errorf("result %+v", res[0])
		}
		if res[1].State != check.Unknown || !res[1].At.Equal(now) {
			t.Errorf("state 7 from the future: %+v", res[1])
		}
		if res[2].State != check.Critical || res[2].Output != "exit code 2 after 3 min: rsync error: some files vanished" {
			t.Errorf("job result %+v", res[2])
		}
		if !slices.Equal(e.eng.heartbeats, []int64{e.srvA}) {
			t.Errorf("heartbeats %v", e.eng.heartbeats)
		}
		runs, err := e.svc.BackupRuns(ctx, e.manager, job.ID)
		must(t, err)
		if len(runs) != 1 || runs[0].OK || runs[0].Source != "agent" || runs[0].Seconds != 180 || runs[0].Message != "rsync error: some files vanished" {
			t.Errorf("job runs %+v", runs)
		}
		if runs, _ := e.svc.BackupRuns(ctx, e.manager, ownJob.ID); len(runs) != 0 {
			t.Errorf("B's job of the same name got A's run: %+v", runs)
		}
		// The same run sent again (an agent stopped before deleting its
		// file) is not recorded twice.
		must(t, e.svc.IngestAgent(ctx, e.srvA, nil, []agentproto.JobRun{
			{Name: "nightly", Start: start, End: now, ExitCode: 2, Output: "copying\nrsync error: some files vanished\n"}}))
		if runs, _ := e.svc.BackupRuns(ctx, e.manager, job.ID); len(runs) != 1 {
			t.Errorf("a replayed job run was recorded again: %d runs", len(runs))
		}
	})
}

func TestTemplates(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		web := e.enroll(t, e.A.ID, "web-a")
		must(t, e.svc.SetTags(ctx, e.manager, web, []string{"Web", "prod"}))
		tpl := supervision.Template{Name: "Memory of web servers", MatchKind: "server", MatchOS: "linux", MatchTag: "web", Enabled: true,
			Rules: supervision.Rules{Kind: supervision.KindMemory, Params: supervision.Params{Warning: 85, Critical: 95}}}
		wantKind(t, "technician limited to B makes a global template", e.svc.CreateTemplate(ctx, e.techB, &tpl), fault.ErrForbidden)
		wantKind(t, "client admin makes a template", e.svc.CreateTemplate(ctx, e.adminA, &tpl), fault.ErrForbidden)
		must(t, e.svc.CreateTemplate(ctx, e.manager, &tpl))

		applied := func() []supervision.Check {
			cs, err := e.svc.Checks(ctx, e.manager, supervision.CheckFilter{TemplateID: tpl.ID})
			must(t, err)
			return cs
		}
		cs := applied()
		if len(cs) != 1 || cs[0].AssetID != web || cs[0].Params.Critical != 95 || cs[0].Name != tpl.Name || !cs[0].Enabled {
			t.Fatalf("after create: %+v", cs)
		}
		n, err := e.svc.ApplyTemplates(ctx)
		if err != nil || n != 0 {
			t.Errorf("second apply changed %d checks, err %v", n, err)
		}

		upd := cs[0]
		upd.Params.Critical = 99
		wantInvalid(t, "edit an applied check", e.svc.UpdateCheck(ctx, e.manager, &upd), "template_id", "managed_by_template")
		wantInvalid(t, "delete an applied check", e.svc.DeleteCheck(ctx, e.manager, upd.ID), "template_id", "managed_by_template")

		// A second asset gets the tag: it gets the check.
		must(t, e.svc.SetTags(ctx, e.manager, e.srvB, []string{"web"}))
		if cs = applied(); len(cs) != 2 {
			t.Fatalf("after tagging B's server: %d checks", len(cs))
		}
		// The template changes: its checks follow.
		tpl.Params.Critical = 97
		must(t, e.svc.UpdateTemplate(ctx, e.manager, &tpl))
		for _, c := range applied() {
			if c.Params.Critical != 97 {
				t.Errorf("check %d critical %v after the template changed", c.ID, c.Params.Critical)
			}
		}
		// Limited to client A: B's check goes.
		clientA := e.A.ID
		tplA := supervision.Template{ClientID: &clientA, Name: "Heartbeat of A", Enabled: true, Rules: supervision.Rules{Kind: supervision.KindHeartbeat}}
		wantInvalid(t, "technician of B makes A's template", e.svc.CreateTemplate(ctx, e.techB, &tplA), "client_id", "invalid_choice")
		must(t, e.svc.CreateTemplate(ctx, e.manager, &tplA))
		hb, err := e.svc.Checks(ctx, e.manager, supervision.CheckFilter{TemplateID: tplA.ID})
		must(t, err)
		var hbAssets []int64
		for _, c := range hb {
			hbAssets = append(hbAssets, c.AssetID)
		}
		slices.Sort(hbAssets)
		if !slices.Equal(hbAssets, []int64{e.srvA, web}) {
			t.Errorf("heartbeat template applied to %v, want A's assets with an agent %v", hbAssets, []int64{e.srvA, web})
		}
		if tb, err := e.svc.Templates(ctx, e.userB); err != nil || len(tb) != 1 || tb[0].ID != tpl.ID {
			t.Errorf("client user of B sees templates %+v (%v), want the global one only", tb, err)
		}
		_, err = e.svc.Template(ctx, e.userB, tplA.ID)
		wantKind(t, "client user of B reads A's template", err, fault.ErrNotFound)

		// The tag goes: the check goes.
		must(t, e.svc.SetTags(ctx, e.manager, web, []string{"prod"}))
		cs = applied()
		if len(cs) != 1 || cs[0].AssetID != e.srvB {
			t.Errorf("after untagging: %+v", cs)
		}
		// Disabled, the template disables its checks.
		tpl.Enabled = false
		must(t, e.svc.UpdateTemplate(ctx, e.manager, &tpl))
		if cs = applied(); len(cs) != 1 || cs[0].Enabled {
			t.Errorf("disabled template left %+v", cs)
		}
		// Disabled, it makes no check for a newly tagged asset.
		must(t, e.svc.SetTags(ctx, e.manager, web, []string{"web"}))
		if cs = applied(); len(cs) != 1 {
			t.Errorf("a disabled template made a check: %+v", cs)
		}
		must(t, e.svc.DeleteTemplate(ctx, e.manager, tpl.ID))
		if cs = applied(); len(cs) != 0 {
			t.Errorf("deleted template left %d checks", len(cs))
		}
		wantInvalid(t, "bad tags", e.svc.SetTags(ctx, e.manager, web, []string{"Not Valid"}), "tags", "invalid_tag")
	})
}

func TestAcknowledgeAndRunNow(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := audit.WithActor(context.Background(), audit.Actor{UserID: e.manager.UserID, Name: "manager@msp.example", Display: "Marie"})
		c := cpuCheck(e.srvA)
		must(t, e.svc.CreateCheck(ctx, e.manager, &c))
		wantInvalid(t, "no comment", e.svc.Acknowledge(ctx, e.manager, c.ID, "  "), "comment", "required")
		must(t, e.svc.Acknowledge(ctx, e.manager, c.ID, "replacing the fan"))
		if len(e.eng.acks) != 1 || e.eng.acks[0] != fmt.Sprintf("%d Marie: replacing the fan", c.ID) {
			t.Errorf("acks %v", e.eng.acks)
		}
		e.eng.ackErr = fmt.Errorf("acknowledge: %w (%w)", fault.ErrConflict, check.ErrNoProblem)
		wantInvalid(t, "no problem", e.svc.Acknowledge(ctx, e.manager, c.ID, "x"), "state", "no_problem")
		must(t, e.svc.RunNow(ctx, e.manager, c.ID))
		if !slices.Equal(e.eng.runs, []int64{c.ID}) {
			t.Errorf("runs %v", e.eng.runs)
		}
		if j := e.journal(t, audit.Object("check", c.ID)); !slices.Contains(j, "check.acknowledge") {
			t.Errorf("journal %v", j)
		}
	})
}

func TestAvailability(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cpuCheck(e.srvA)
		c.Severity = supervision.SeverityCritical
		must(t, e.svc.CreateCheck(ctx, e.manager, &c))
		minor := supervision.Check{AssetID: e.srvA, Enabled: true,
			Rules: supervision.Rules{Kind: supervision.KindSwap, Severity: supervision.SeverityMinor, Params: supervision.Params{Critical: 90}}}
		must(t, e.svc.CreateCheck(ctx, e.manager, &minor))
		from := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		to := from.Add(4 * time.Hour)
		ev := func(id int64, at time.Time, kind check.EventKind, fromSt, toSt check.State) supervision.Event {
			return supervision.Event{CheckID: id, ClientID: e.A.ID, AssetID: e.srvA,
				Event: check.Event{At: at, Kind: kind, From: fromSt, To: toSt, Type: check.Hard}}
		}
		soft := ev(c.ID, from.Add(150*time.Minute), check.SoftChange, check.OK, check.Critical)
		soft.Type = check.Soft
		must(t, e.db.Supervision().SaveResults(ctx, nil, []supervision.Event{
			ev(c.ID, from.Add(-30*time.Minute), check.Problem, check.OK, check.Critical), // down at from
			ev(c.ID, from.Add(time.Hour), check.Recovery, check.Critical, check.OK),
			soft, // a soft problem does not count
			ev(c.ID, from.Add(3*time.Hour), check.Problem, check.OK, check.Critical),
			ev(minor.ID, from.Add(time.Hour), check.Problem, check.OK, check.Critical), // minor: left out of the asset
		}))
		e.clock.Set(from.Add(-time.Hour))
		w := supervision.Window{Window: check.Window{AssetID: e.srvA, From: from.Add(210 * time.Minute), To: to, Comment: "disk swap"}}
		must(t, e.svc.CreateWindow(ctx, e.manager, &w))
		if w.ClientID != e.A.ID || e.eng.contexts != 1 {
			t.Errorf("window client %d, engine reloads %d", w.ClientID, e.eng.contexts)
		}
		want := check.Uptime{Up: 2 * time.Hour, Down: 90 * time.Minute, Maintenance: 30 * time.Minute}
		u, err := e.svc.Availability(ctx, e.adminA, c.ID, from, to)
		must(t, err)
		if u != want {
			t.Errorf("check availability %+v, want %+v", u, want)
		}
		u, err = e.svc.AssetAvailability(ctx, e.adminA, e.srvA, from, to)
		must(t, err)
		if u != want {
			t.Errorf("asset availability %+v, want %+v (critical checks only)", u, want)
		}
		_, err = e.svc.Availability(ctx, e.adminA, c.ID, to, from)
		wantInvalid(t, "reversed range", err, "to", "end_before_start")
	})
}

func TestWindows(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		now := e.clock.Now()
		paris, _ := time.LoadLocation("Europe/Paris")
		rec := supervision.Window{Window: check.Window{ClientID: e.A.ID, Weekdays: []time.Weekday{time.Sunday}, Start: 2 * time.Hour, Duration: 3 * time.Hour, Location: paris, Comment: "updates"}}
		must(t, e.svc.CreateWindow(ctx, e.manager, &rec))
		if rec.ClientID != e.A.ID || rec.CreatedBy != e.manager.UserID {
			t.Errorf("window %+v", rec)
		}
		got, err := e.svc.Window(ctx, e.adminA, rec.ID)
		must(t, err)
		if got.Location.String() != "Europe/Paris" || got.Start != 2*time.Hour || len(got.Weekdays) != 1 {
			t.Errorf("read back %+v", got.Window)
		}
		one := supervision.Window{Window: check.Window{AssetID: e.srvA, From: now, To: now.Add(time.Hour)}}
		wantKind(t, "technician of B on A's asset", e.svc.CreateWindow(ctx, e.techB, &one), fault.ErrNotFound)
		wantKind(t, "client admin", e.svc.CreateWindow(ctx, e.adminA, &one), fault.ErrForbidden)
		mixed := supervision.Window{Window: check.Window{ClientID: e.B.ID, AssetID: e.srvA, From: now, To: now.Add(time.Hour)}}
		wantInvalid(t, "client and asset disagree", e.svc.CreateWindow(ctx, e.manager, &mixed), "asset_id", "invalid_choice")
		past := supervision.Window{Window: check.Window{AssetID: e.srvA, From: now.Add(-2 * time.Hour), To: now.Add(-time.Hour)}}
		wantInvalid(t, "over already", e.svc.CreateWindow(ctx, e.manager, &past), "to", "in_past")
		none := supervision.Window{}
		wantInvalid(t, "no target", e.svc.CreateWindow(ctx, e.manager, &none), "client_id", "required")
		must(t, e.svc.CreateWindow(ctx, e.manager, &one))

		ws, err := e.svc.Windows(ctx, e.adminA, supervision.WindowFilter{AssetID: e.srvA})
		must(t, err)
		if len(ws) != 2 {
			t.Errorf("windows covering the server: %d", len(ws))
		}
		if ws, _ := e.svc.Windows(ctx, e.userB, supervision.WindowFilter{}); len(ws) != 0 {
			t.Errorf("client user of B sees %d windows of A", len(ws))
		}
		wantKind(t, "technician of B deletes A's window", e.svc.DeleteWindow(ctx, e.techB, one.ID), fault.ErrNotFound)
		must(t, e.svc.DeleteWindow(ctx, e.manager, one.ID))
		if j := e.journal(t, audit.Object("maintenance", one.ID)); !slices.Equal(j, []string{"maintenance.delete", "maintenance.create"}) {
			t.Errorf("journal %v", j)
		}
	})
}

func TestRestoreTests(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		rt := supervision.RestoreTest{AssetID: e.jobA, TestedAt: e.clock.Now().Add(-time.Hour), Scope: "mailbox of the CEO", Result: supervision.RestorePartial, Minutes: 25, Evidence: "ticket #42"}
		must(t, e.svc.AddRestoreTest(ctx, e.manager, &rt))
		if rt.ID == 0 || rt.ClientID != e.A.ID || rt.UserID != e.manager.UserID {
			t.Errorf("restore test %+v", rt)
		}
		notJob := supervision.RestoreTest{AssetID: e.srvA, TestedAt: e.clock.Now(), Scope: "x", Result: supervision.RestoreOK}
		wantInvalid(t, "a server is no backup job", e.svc.AddRestoreTest(ctx, e.manager, &notJob), "asset_id", "not_backup_job")
		bad := supervision.RestoreTest{AssetID: e.jobA, Result: "great"}
		wantInvalid(t, "bad result", e.svc.AddRestoreTest(ctx, e.manager, &bad), "result", "invalid_choice")
		wantKind(t, "client admin", e.svc.AddRestoreTest(ctx, e.adminA, &rt), fault.ErrForbidden)

		list, err := e.svc.RestoreTests(ctx, e.adminA, e.jobA)
		must(t, err)
		if len(list) != 1 || list[0].Scope != "mailbox of the CEO" || list[0].Minutes != 25 {
			t.Errorf("restore tests %+v", list)
		}
		sums, err := e.svc.LastBackups(ctx, e.manager, e.A.ID)
		must(t, err)
		if len(sums) != 1 || sums[0].LastRestore == nil || sums[0].LastRestore.ID != rt.ID {
			t.Errorf("last backups %+v", sums)
		}
		wantKind(t, "technician of B deletes A's test", e.svc.DeleteRestoreTest(ctx, e.techB, rt.ID), fault.ErrNotFound)
		must(t, e.svc.DeleteRestoreTest(ctx, e.manager, rt.ID))
		if j := e.journal(t, audit.Object("restore_test", rt.ID)); !slices.Equal(j, []string{"restore_test.delete", "restore_test.create"}) {
			t.Errorf("journal %v", j)
		}
		entries, err := e.db.AuditEntries(ctx, e.adminA, audit.Filter{Action: "restore_test", Limit: 10})
		must(t, err)
		if len(entries) != 2 {
			t.Errorf("client admin of A reads %d restore test entries of the journal, want 2", len(entries))
		}
		if list, _ := e.svc.RestoreTests(ctx, e.manager, e.jobA); len(list) != 0 {
			t.Errorf("deleted test still listed")
		}
	})
}

func TestBoard(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, id := range []int64{e.srvA, e.srvB} {
			c := cpuCheck(id)
			must(t, e.svc.CreateCheck(ctx, e.manager, &c))
		}
		push := supervision.Check{AssetID: e.jobA, Enabled: true, Rules: supervision.Rules{Kind: supervision.KindBackupPush, Params: supervision.Params{Schedule: "@daily"}}}
		must(t, e.svc.CreateCheck(ctx, e.manager, &push))
		rows, _, total, err := e.svc.Board(ctx, e.adminA, supervision.BoardFilter{})
		must(t, err)
		if total != 2 || len(rows) != 2 {
			t.Fatalf("client admin of A sees %d rows (%d)", len(rows), total)
		}
		for _, r := range rows {
			if r.Check.ClientID != e.A.ID || r.Check.PushToken != "" {
				t.Errorf("row %+v", r.Check)
			}
		}
		_, _, _, err = e.svc.Board(ctx, e.manager, supervision.BoardFilter{State: "purple"})
		wantInvalid(t, "bad state", err, "state", "invalid_choice")
		_, _, _, err = e.svc.Board(ctx, e.userB, supervision.BoardFilter{ClientID: e.A.ID})
		wantKind(t, "client user of B on A's board", err, fault.ErrNotFound)
		if strings.Contains(fmt.Sprint(rows), push.PushToken) {
			t.Error("the board shows the push token to a client")
		}

		// A window over A's server now: its check is counted and marked in
		// maintenance; B's is not. A window that starts later counts nothing.
		now := e.clock.Now()
		later := supervision.Window{Window: check.Window{AssetID: e.srvB, From: now.Add(time.Hour), To: now.Add(2 * time.Hour), Comment: "later"}}
		must(t, e.svc.CreateWindow(ctx, e.manager, &later))
		_, counts, _, err := e.svc.Board(ctx, e.manager, supervision.BoardFilter{})
		must(t, err)
		if counts.Maintenance != 0 {
			t.Fatalf("%d checks in maintenance before any window is active", counts.Maintenance)
		}
		w := supervision.Window{Window: check.Window{AssetID: e.srvA, From: now.Add(-time.Minute), To: now.Add(time.Hour), Comment: "disk swap"}}
		must(t, e.svc.CreateWindow(ctx, e.manager, &w))
		rows, counts, _, err = e.svc.Board(ctx, e.manager, supervision.BoardFilter{})
		must(t, err)
		if counts.Maintenance != 1 {
			t.Errorf("%d checks in maintenance, want A's server's one", counts.Maintenance)
		}
		for _, r := range rows {
			if want := r.Check.AssetID == e.srvA; r.InMaintenance != want {
				t.Errorf("check on asset %d: in maintenance %v, want %v", r.Check.AssetID, r.InMaintenance, want)
			}
		}
		_, counts, _, err = e.svc.Board(ctx, e.userB, supervision.BoardFilter{})
		must(t, err)
		if counts.Maintenance != 0 {
			t.Errorf("B's user counts %d checks in maintenance, all A's", counts.Maintenance)
		}
	})
}

func TestSiteWindow(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		now := e.clock.Now()
		w := supervision.Window{Window: check.Window{SiteID: e.siteA.ID, From: now, To: now.Add(time.Hour)}}
		must(t, e.svc.CreateWindow(ctx, e.manager, &w))
		if w.ClientID != e.A.ID {
			t.Errorf("site window of client %d, want %d", w.ClientID, e.A.ID)
		}
		other := supervision.Window{Window: check.Window{ClientID: e.B.ID, SiteID: e.siteA.ID, From: now, To: now.Add(time.Hour)}}
		wantInvalid(t, "site of another client", e.svc.CreateWindow(ctx, e.manager, &other), "site_id", "invalid_choice")
		wantKind(t, "technician of B on A's site", e.svc.CreateWindow(ctx, e.techB, &w), fault.ErrNotFound)
	})
}

func TestApplyTemplatesConcurrent(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		tpl := supervision.Template{Name: "Heartbeat", Enabled: true, Rules: supervision.Rules{Kind: supervision.KindHeartbeat}}
		must(t, e.svc.CreateTemplate(ctx, e.manager, &tpl))
		for i := range 3 {
			e.enroll(t, e.A.ID, fmt.Sprintf("new-%d", i))
		}
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Go(func() {
				if _, err := e.svc.ApplyTemplates(ctx); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		cs, err := e.svc.Checks(ctx, e.manager, supervision.CheckFilter{TemplateID: tpl.ID})
		must(t, err)
		per := map[int64]int{}
		for _, c := range cs {
			per[c.AssetID]++
		}
		if len(per) != 5 || len(cs) != 5 {
			t.Errorf("%d checks on %d assets, want one on each of the 5 assets with an agent", len(cs), len(per))
		}
	})
}
