package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agent"
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

// TestAgentChecksAgainstServer runs the real vigie-agent against the real
// vigie: a staff member adds checks to the agent's asset through the API;
// the agent gets them with its settings, runs the command of its own
// allow-list and refuses the one that is not in it, and the server shows
// their states; a backup wrapped by `vigie-agent job run` that fails is
// recorded on its backup_job check.
func TestAgentChecksAgainstServer(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the test drives processes the Linux way (signals, /bin/sh)")
	}
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			testAgentChecks(t, dialect)
		})
	}
}

func testAgentChecks(t *testing.T, dialect string) {
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
	cl := client.Client{Code: "CHECKS", Name: "Checks Test", TimeZone: "Europe/Paris", Language: "fr"}
	must(t, a.Clients.Create(ctx, sys, &cl))
	st := agentproto.DefaultSettings()
	st.MetricInterval, st.ReportInterval = 10, 10
	must(t, a.Assets.UpdateSettings(ctx, sys, cl.ID, st))
	enrollToken, err := a.Assets.CreateEnrollToken(ctx, sys, &asset.EnrollToken{ClientID: cl.ID, Name: "e2e", MaxUses: 1})
	must(t, err)
	admin := user.User{Email: "admin@e2e.example", Name: "Admin", Role: tenant.RoleAdmin}
	must(t, a.Users.Create(ctx, sys, &admin, "e2e password 12345"))
	apiToken, _, err := a.Auth.CreateToken(ctx, admin, "e2e", true)
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
	// The machine's administrator allow-lists one plugin.
	ac, err := agent.LoadConfig(conf)
	must(t, err)
	ac.Commands = map[string][]string{"check_raid": {"/bin/sh", "-c", "echo 'RAID CRITICAL - md0 degraded | failed_disks=1'; exit 2"}}
	must(t, agent.SaveConfig(conf, ac))

	var agentLog syncBuffer
	run := exec.Command(agentBin, "run", "--config", conf, "--state-dir", state, "--log-level", "debug")
	run.Stdout, run.Stderr = &agentLog, &agentLog
	must(t, run.Start())
	defer func() {
		_ = run.Process.Signal(syscall.SIGTERM)
		_ = run.Wait()
		if t.Failed() {
			t.Logf("agent log:\n%s\nserver log:\n%s", agentLog.String(), srv.logs.String())
		}
	}()

	call := func(method, path string, body, out any) int {
		var rd *bytes.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		} else {
			rd = bytes.NewReader(nil)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		req.Header.Set("Authorization", "Bearer "+apiToken)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
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
	waitFor := func(what string, d time.Duration, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(d)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %s", what, d)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	var list struct {
		Data []struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}
	waitFor("the agent's asset", 40*time.Second, func() bool {
		return call("GET", "/api/v1/assets", nil, &list) == 200 && len(list.Data) == 1
	})
	assetID := list.Data[0].ID

	type checkJSON struct {
		ID     int64 `json:"id"`
		Status *struct {
			State  string `json:"state"`
			Output string `json:"output"`
		} `json:"status"`
	}
	create := func(body map[string]any) int64 {
		t.Helper()
		body["asset_id"] = assetID
		var c checkJSON
		if code := call("POST", "/api/v1/checks", body, &c); code != 201 {
			t.Fatalf("create check %v: %d", body, code)
		}
		return c.ID
	}
	raid := create(map[string]any{"kind": "command", "params": map[string]any{"name": "check_raid"}, "interval": 10, "retry_interval": 10, "max_attempts": 1})
	rogue := create(map[string]any{"kind": "command", "params": map[string]any{"name": "rm_everything"}, "interval": 10, "retry_interval": 10, "max_attempts": 1})
	backup := create(map[string]any{"kind": "backup_job", "params": map[string]any{"name": "nightly"}, "interval": 3600, "retry_interval": 60, "max_attempts": 1})

	checkState := func(id int64) (string, string) {
		var c checkJSON
		if call("GET", fmt.Sprintf("/api/v1/checks/%d", id), nil, &c) != 200 || c.Status == nil {
			return "", ""
		}
		return c.Status.State, c.Status.Output
	}
	waitFor("the allow-listed command's result", 90*time.Second, func() bool {
		s, o := checkState(raid)
		return s == "critical" && o == "RAID CRITICAL - md0 degraded"
	})
	waitFor("the refusal of a command outside the allow-list", 30*time.Second, func() bool {
		s, o := checkState(rogue)
		return s == "unknown" && strings.Contains(o, `command "rm_everything" is not in this agent's allow-list`)
	})

	// A failing backup, wrapped: the wrapper exits with its status and the
	// run reaches the server through the agent service.
	job := exec.Command(agentBin, "job", "run", "--name", "nightly", "--config", conf, "--state-dir", state, "--",
		"/bin/sh", "-c", "echo 'pg_dump: error: connection refused' >&2; exit 3")
	var jobOut bytes.Buffer
	job.Stdout, job.Stderr = &jobOut, &jobOut
	err = job.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 || !strings.Contains(jobOut.String(), "connection refused") {
		t.Fatalf("job run: %v, output %q", err, jobOut.String())
	}
	var runs struct {
		Data []struct {
			OK      bool   `json:"ok"`
			Message string `json:"message"`
			Source  string `json:"source"`
		} `json:"data"`
	}
	waitFor("the job run on its backup check", 40*time.Second, func() bool {
		return call("GET", fmt.Sprintf("/api/v1/checks/%d/backup-runs", backup), nil, &runs) == 200 && len(runs.Data) == 1
	})
	if r := runs.Data[0]; r.OK || r.Source != "agent" || !strings.Contains(r.Message, "connection refused") {
		t.Errorf("backup run %+v", r)
	}
	waitFor("the backup check's state", 20*time.Second, func() bool {
		s, _ := checkState(backup)
		return s == "critical"
	})
	if files, _ := filepath.Glob(filepath.Join(state, agent.JobsDir, "j-*.json")); len(files) != 0 {
		t.Errorf("job runs left behind: %v", files)
	}
}
