package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/agent"
	"github.com/vigie-hq/vigie/internal/agent/agenttest"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

func TestEnroll(t *testing.T) {
	srv := httptest.NewServer(agenttest.New("good-token", "s3cret"))
	defer srv.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "etc", "agent.json")
	state := filepath.Join(dir, "state")
	tests := []struct {
		name      string
		args      []string
		wantCode  int
		wantInErr string
	}{
		{"missing token", []string{"enroll", "--server", srv.URL}, 2, "--server and --token are required"},
		{"not a URL", []string{"enroll", "--server", "vigie.example.com", "--token", "x"}, 2, "want a URL starting with https://"},
		{"bad token shows the server's detail", []string{"enroll", "--server", srv.URL, "--token", "bad"}, 1, "the enrollment token is unknown, expired, revoked or used up"},
		{"server unreachable", []string{"enroll", "--server", "http://127.0.0.1:1", "--token", "good-token"}, 1, "cannot reach server http://127.0.0.1:1"},
		{"unknown flag", []string{"enroll", "--sever", srv.URL}, 2, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, append(tt.args, "--config", cfg, "--state-dir", state)...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantInErr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tt.wantCode, tt.wantInErr)
			}
			if _, err := os.Stat(cfg); !os.IsNotExist(err) {
				t.Fatal("a failed enrollment wrote the config")
			}
		})
	}

	code, stdout, stderr := runCmd(t, "enroll", "--server", srv.URL+"/", "--token", "good-token", "--config", cfg, "--state-dir", state)
	if code != 0 || !strings.Contains(stdout, "enrolled as agent 1") {
		t.Fatalf("enroll: %d %q %q", code, stdout, stderr)
	}
	c, err := agent.LoadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.Secret != "s3cret" || c.Server != srv.URL || c.StateDir != state {
		t.Fatalf("config %+v", c)
	}
	// status finds the state directory recorded at enrollment.
	code, stdout, _ = runCmd(t, "status", "--config", cfg)
	if code != 0 || !strings.Contains(stdout, "agent id:  1") || !strings.Contains(stdout, "state dir: "+state) || strings.Contains(stdout, "s3cret") {
		t.Fatalf("status: %d\n%s", code, stdout)
	}
}

func TestCommands(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string
	}{
		{[]string{"version"}, 0, "vigie-agent dev"},
		{[]string{"--help"}, 0, "vigie-agent enroll --server URL --token TOKEN"},
		{[]string{}, 2, "Usage:"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"run", "--help"}, 0, "Usage: vigie-agent run"},
		{[]string{"install", "--help"}, 0, "--token"},
		{[]string{"run", "--config", "/nonexistent/agent.json"}, 1, "agent not enrolled"},
		{[]string{"run", "--log-level", "loud"}, 2, "--log-level"},
		{[]string{"inventory", "--software=false", "--config", "/nonexistent/agent.json"}, 0, `"os": "` + runtime.GOOS + `"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(stdout+stderr, tt.wantOut) {
				t.Fatalf("exit %d, output %q; want %d and %q", code, stdout+stderr, tt.wantCode, tt.wantOut)
			}
		})
	}
}

func TestEnrollWithCAFile(t *testing.T) {
	srv := httptest.NewTLSServer(agenttest.New("good-token", "s3cret"))
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "agent.json")
	code, _, stderr := runCmd(t, "enroll", "--server", srv.URL, "--token", "good-token", "--config", cfg, "--state-dir", dir)
	if code != 1 || !strings.Contains(stderr, "certificate") {
		t.Fatalf("unknown CA: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCmd(t, "enroll", "--server", srv.URL, "--token", "good-token", "--config", cfg, "--state-dir", dir, "--ca-file", ca)
	if code != 0 {
		t.Fatalf("with --ca-file: exit %d, %q", code, stderr)
	}
	c, err := agent.LoadConfig(cfg)
	if err != nil || c.CAFile != ca {
		t.Fatalf("config %+v, %v: want ca_file %s", c, err, ca)
	}
	// The agent's client trusts it too.
	cl := agent.NewClient(c.Server, c.Secret, "test")
	if err := cl.TrustCAFile(c.CAFile); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Settings(context.Background()); err != nil {
		t.Fatalf("settings over TLS: %v", err)
	}
	if err := cl.TrustCAFile(cfg); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("a file without certificates: %v", err)
	}
}
