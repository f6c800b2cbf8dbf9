package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/app"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/config"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/user"
)

// TestAgentBinaryAgainstServer runs the real vigie-agent binary against the
// real vigie binary: it enrolls, reports inventory and metrics every 10 s;
// the server is stopped for half a minute (the agent spools) and started
// again on the same address; every batch then arrives exactly once, in
// order, so the CPU series has no gap and no repeated instant.
func TestAgentBinaryAgainstServer(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the test drives processes the Linux way (signals, /proc)")
	}
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			testAgentBinary(t, dialect)
		})
	}
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds vigie and vigie-agent once for the package's tests.
func binaries(t *testing.T) (server, agentBin string) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "vigie-e2e-bin-")
		if buildErr != nil {
			return
		}
		for _, c := range []string{"vigie", "vigie-agent"} {
			out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, c), "../cmd/"+c).CombinedOutput()
			if err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", c, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "vigie"), filepath.Join(binDir, "vigie-agent")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// serverProc is vigie serve in a child process.
type serverProc struct {
	cmd  *exec.Cmd
	logs bytes.Buffer
	mu   sync.Mutex
}

func (p *serverProc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.Write(b)
}

func startVigie(t *testing.T, exe, addr, dataDir, dbURL string) *serverProc {
	t.Helper()
	p := &serverProc{}
	args := []string{"serve", "--listen", addr, "--data-dir", dataDir, "--log-level", "warn"}
	if dbURL != "" {
		args = append(args, "--database-url", dbURL)
	}
	p.cmd = exec.Command(exe, args...)
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			t.Fatalf("vigie not ready: %s", p.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *serverProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

func testAgentBinary(t *testing.T, dialect string) {
	vigie, agentBin := binaries(t)
	dir := t.TempDir()
	dbURL := testdb.URL(t, dialect)
	if dialect == "sqlite" {
		dbURL = ""
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr

	// The client, the 10-second settings, an enrollment token and an API
	// token to read back, written before the server starts.
	cfg := config.Config{Listen: addr, DataDir: dir, DatabaseURL: dbURL, LogLevel: "warn", LogFormat: "text", SMTP: config.SMTP{Port: 587, TLS: "starttls"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	a, err := app.New(ctx, cfg, nil, app.Options{AgentVersion: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	sys := tenant.System()
	cl := client.Client{Code: "AGENT", Name: "Agent Test", TimeZone: "Europe/Paris", Language: "fr"}
	must(t, a.Clients.Create(ctx, sys, &cl))
	st := agentproto.DefaultSettings()
	st.MetricInterval, st.ReportInterval = 10, 10
	must(t, a.Assets.UpdateSettings(ctx, sys, cl.ID, st))
	enrollToken, err := a.Assets.CreateEnrollToken(ctx, sys, &asset.EnrollToken{ClientID: cl.ID, Name: "e2e", MaxUses: 1})
	must(t, err)
	admin := user.User{Email: "admin@e2e.example", Name: "Admin", Role: tenant.RoleAdmin}
	must(t, a.Users.Create(ctx, sys, &admin, "e2e password 12345"))
	apiToken, _, err := a.Auth.CreateToken(ctx, admin, "e2e", false)
	must(t, err)
	must(t, a.Close(ctx))

	srv := startVigie(t, vigie, addr, dir, dbURL)
	defer func() { srv.stop() }()

	agentDir := filepath.Join(dir, "agent")
	conf, state := filepath.Join(agentDir, "agent.json"), filepath.Join(agentDir, "state")
	out, err := exec.Command(agentBin, "enroll", "--server", base, "--token", enrollToken, "--config", conf, "--state-dir", state).CombinedOutput()
	if err != nil {
		t.Fatalf("vigie-agent enroll: %v\n%s", err, out)
	}
	if fi, err := os.Stat(conf); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("agent config %v, mode %v: the secret must be readable by its owner only", err, fi.Mode())
	}
	// A used-up token is refused with the server's reason.
	out, err = exec.Command(agentBin, "enroll", "--server", base, "--token", enrollToken, "--config", filepath.Join(dir, "other.json"), "--state-dir", filepath.Join(dir, "other")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), agentproto.CodeTokenInvalid) && !strings.Contains(strings.ToLower(string(out)), "token") {
		t.Errorf("second enrollment with a one-use token: %v\n%s", err, out)
	}

	var agentLog syncBuffer
	run := exec.Command(agentBin, "run", "--config", conf, "--state-dir", state)
	run.Stdout, run.Stderr = &agentLog, &agentLog
	must(t, run.Start())
	defer func() {
		_ = run.Process.Signal(syscall.SIGTERM)
		_ = run.Wait()
		if t.Failed() {
			t.Logf("agent log:\n%s\nserver log:\n%s", agentLog.String(), srv.logs.String())
		}
	}()

	api := func(path string, out any) int {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+apiToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		defer res.Body.Close()
		if out != nil {
			_ = json.NewDecoder(res.Body).Decode(out)
		}
		return res.StatusCode
	}
	type assetJSON struct {
		ID    int64 `json:"id"`
		Agent *struct {
			LastSeq uint64 `json:"last_seq"`
			Status  string `json:"status"`
		} `json:"agent"`
	}
	var list struct {
		Data []assetJSON `json:"data"`
	}
	waitFor := func(what string, d time.Duration, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(d)
		for !ok() {
			if time.Now().After(deadline) {
				raw := map[string]any{}
				code := api("/api/v1/assets", &raw)
				t.Fatalf("%s: not within %s (assets: %d %v)", what, d, code, raw)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitFor("first report with the inventory", 40*time.Second, func() bool {
		if api("/api/v1/assets", &list) != 200 || len(list.Data) != 1 || list.Data[0].Agent == nil {
			return false
		}
		var inv struct {
			Inventory *agentproto.Inventory `json:"inventory"`
		}
		return list.Data[0].Agent.LastSeq >= 1 && api(fmt.Sprintf("/api/v1/assets/%d/inventory", list.Data[0].ID), &inv) == 200 && inv.Inventory != nil && inv.Inventory.Hostname != ""
	})
	assetID := list.Data[0].ID
	seqBefore := list.Data[0].Agent.LastSeq

	// The server goes away for 30 s: three batches wait in the spool.
	srv.stop()
	down := time.Now()
	time.Sleep(30 * time.Second)
	srv = startVigie(t, vigie, addr, dir, dbURL)
	up := time.Now()

	// Every spooled batch arrives: the series covers the outage without a
	// gap and no instant twice.
	type series struct {
		Points []struct {
			T time.Time `json:"t"`
		} `json:"points"`
	}
	var m struct {
		Series []series `json:"series"`
	}
	from := down.Add(-30 * time.Second).UTC().Format(time.RFC3339)
	waitFor("replay of the spooled batches", 60*time.Second, func() bool {
		q := url.Values{"name": {agentproto.MetricCPU}, "from": {from}, "resolution": {"raw"}}
		if api(fmt.Sprintf("/api/v1/assets/%d/metrics?%s", assetID, q.Encode()), &m) != 200 || len(m.Series) != 1 {
			return false
		}
		pts := m.Series[0].Points
		return len(pts) > 0 && pts[len(pts)-1].T.After(up)
	})
	pts := m.Series[0].Points
	for i := 1; i < len(pts); i++ {
		gap := pts[i].T.Sub(pts[i-1].T)
		if gap <= 0 {
			t.Errorf("sample %d at %v repeats or precedes the one before (%v)", i, pts[i].T, pts[i-1].T)
		}
		if gap > 25*time.Second {
			t.Errorf("gap of %v between %v and %v: a batch was lost across the restart", gap, pts[i-1].T, pts[i].T)
		}
	}
	if first := pts[0].T; first.After(down) {
		t.Errorf("the series starts at %v, after the server went down at %v", first, down)
	}
	api("/api/v1/assets", &list)
	if list.Data[0].Agent.LastSeq < seqBefore+3 || list.Data[0].Agent.Status != "online" {
		t.Errorf("after the restart: agent at seq %d (was %d), status %s", list.Data[0].Agent.LastSeq, seqBefore, list.Data[0].Agent.Status)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer safe for a child's two output streams.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
